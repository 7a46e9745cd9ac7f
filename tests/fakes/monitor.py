"""A dead-man's switch in a monitor's place (Healthchecks, Uptime Kuma's push monitor).

It records every call with its time, and answers with whatever status the test sets:
200, a 500 while the monitor is "down", or a redirect it must not be followed into.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.redirect import serve

SECRET_PATH = "/ping/7c1d4f0e-secret-token"  # what a real monitor's URL carries


@dataclass
class FakeMonitor:
    status: int = 200
    location: str = ""  # with a 3xx status: where it points
    calls: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, path)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeMonitor:
        monitor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with monitor.lock:
                    monitor.calls.append((time.monotonic(), self.path))
                    status, location = monitor.status, monitor.location
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = serve(Handler)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{SECRET_PATH}"

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _at, path in self.calls]

    def answer(self, status: int, location: str = "") -> None:
        with self.lock:
            self.status, self.location = status, location

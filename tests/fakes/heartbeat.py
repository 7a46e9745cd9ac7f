"""A fake dead-man's switch on 127.0.0.1: records each heartbeat GET, as Healthchecks would.

Tests choose what it answers (200, an error status, a redirect) or make it hang until
released, and read back every request it got, with when it came.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN_PATH = "/ping/5f0c1d3e-hb-token-9a7b"  # the secret part, as a check's UUID is


@dataclass
class Ping:
    at: float  # time.monotonic()
    method: str
    path: str


@dataclass
class FakeReceiver:
    port: int = 0
    status: int = 200
    location: str = ""  # with a 3xx status: where the redirect points
    hang: threading.Event = field(default_factory=threading.Event)  # set: requests wait
    released: threading.Event = field(default_factory=threading.Event)
    pings: list[Ping] = field(default_factory=list)  # every request, answered or not
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeReceiver:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.released.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections; a hanging request is let go first."""
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{TOKEN_PATH}"

    def count(self) -> int:
        with self.lock:
            return len(self.pings)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.pings.append(Ping(time.monotonic(), handler.command, handler.path))
        if self.hang.is_set():
            self.released.wait(60)
            return  # no answer at all
        handler.send_response(self.status)
        if self.location:
            handler.send_header("Location", self.location)
        body = b"OK" if self.status == 200 else b"not ok"
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

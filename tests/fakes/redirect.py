"""A server in SMSC's place that answers every request with a redirect, and a collector.

The collector stands for whoever a redirect points to (an attacker's http:// address, a
captive portal): it records every request that reaches it, so a test can say that none
did, and so that the credentials went nowhere but SMSC_BASE_URL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Collected:
    method: str
    path: str
    body: bytes


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@dataclass
class Collector:
    """Answers 200 to anything, and remembers it."""

    requests: list[Collected] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Collector:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def _collect(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with collector.lock:
                    collector.requests.append(Collected(self.command, self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            do_GET = do_POST = do_PUT = _collect

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = serve(Handler)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def collected(self) -> list[Collected]:
        with self.lock:
            return list(self.requests)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class Redirector:
    """Answers every request with `status` and `Location: <target><the same path>`."""

    target: str
    status: int = 302
    requests: int = 0

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Redirector:
        redirector = self

        class Handler(BaseHTTPRequestHandler):
            def _redirect(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                redirector.requests += 1
                self.send_response(redirector.status)
                self.send_header("Location", redirector.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _redirect

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = serve(Handler)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

"""A fake SMSC inbox on 127.0.0.1, speaking `/sys/get.php?get_answers=1` as smsc-api.md says.

Tests add SMS to its inbox, queue faults for the next requests (error codes, HTTP errors,
garbage bodies, slow answers, dropped connections), and read back every request it got,
to check the bridge keeps SMSC's rules.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from tests.fakes.smsc_send import PATHS as OUTBOX_PATHS
from tests.fakes.smsc_send import FakeOutbox, respond

LOGIN, PASSWORD, API_KEY = "acme", "s3cret-smsc-pass", "smsc-api-key-123456"
AUTH_FIELDS = ("login", "psw", "apikey")


@dataclass(frozen=True)
class Fault:
    """What the next request gets instead of a normal answer."""

    kind: str  # "error" (SMSC code), "status" (HTTP code), "body" (raw bytes), "delay", "drop"
    value: Any = None

    @staticmethod
    def error(code: int, text: str = "fake error") -> Fault:
        return Fault("error", (code, text))


@dataclass
class InboxRequest:
    at: float  # time.monotonic()
    wall: float  # time.time()
    form: dict[str, str]
    method: str

    @property
    def identity(self) -> tuple[tuple[str, str], ...]:
        """What makes two requests "identical" for SMSC's rate rule."""
        return tuple(sorted(self.form.items()))


def most_identical_in_a_minute(requests: list[InboxRequest]) -> int:
    """The largest number of identical inbox requests within any 60-second window."""
    worst = 0
    for _, group in itertools.groupby(
        sorted(requests, key=lambda r: (r.identity, r.at)), key=lambda r: r.identity
    ):
        times = [r.at for r in group]
        for i, start in enumerate(times):
            worst = max(worst, sum(1 for t in times[i:] if t - start < 60))
    return worst


@dataclass
class FakeSmsc:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    inbox: list[dict[str, Any]] = field(default_factory=list)
    requests: list[InboxRequest] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    sticky_fault: Fault | None = None
    enforce_rate_rule: bool = False
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)
    outbox: FakeOutbox = field(default_factory=FakeOutbox)  # send.php, status.php, balance.php

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None

    # -- test controls -----------------------------------------------------------------

    def start(self) -> FakeSmsc:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, dict(parse_qsl(urlsplit(self.path).query)), "GET")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:  # the client went away mid-body (a bridge stopping):
                    self.close_connection = True  # no server answers half a request
                    return
                body = raw.decode("utf-8")
                form = dict(parse_qsl(urlsplit(self.path).query))
                form.update(parse_qsl(body, keep_blank_values=True))
                fake._handle(self, form, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.outbox.released.set()  # a send held back for a test ends with the fake
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_sms(
        self,
        text: str,
        *,
        phone: str = "79261234567",
        to_phone: str = "79031234567",
        received: datetime | None = None,
        sms_id: int | None = None,
        raw: dict[str, Any] | None = None,
    ) -> int:
        """Put an SMS in the inbox; returns its ID. `raw` overrides fields as sent."""
        with self.lock:
            if sms_id is None:
                self.next_id += 1
                sms_id = self.next_id
            else:
                self.next_id = max(self.next_id, sms_id)
            moment = (received or datetime.now(UTC)).astimezone(self.zone)
            record: dict[str, Any] = {
                "id": sms_id,
                "received": moment.strftime("%d.%m.%Y %H:%M:%S"),
                "phone": phone,
                "message": text,
                "to_phone": to_phone,
                "sent": (moment - timedelta(seconds=2)).strftime("%d.%m.%Y %H:%M:%S"),
            }
            record.update(raw or {})
            record["_received_utc"] = moment.astimezone(UTC)
            self.inbox.append(record)
            return sms_id

    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def inbox_requests(self) -> list[InboxRequest]:
        with self.lock:
            return list(self.requests)

    # -- serving -----------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, form: dict[str, str], method: str) -> None:
        path = urlsplit(handler.path).path
        if path in OUTBOX_PATHS:
            if not self._authorised(form):
                self.outbox._json(handler, {"error": "authorise error", "error_code": 2})
                return
            self.outbox.handle(handler, path, form)
            return
        if path != "/sys/get.php":
            self._send(handler, 404, b"not found")
            return
        with self.lock:
            request = InboxRequest(time.monotonic(), time.time(), form, method)
            self.requests.append(request)
            fault = self.faults.popleft() if self.faults else self.sticky_fault
            identical = sum(
                1
                for r in self.requests
                if r.identity == request.identity and request.at - r.at < 60
            )
        if fault is not None:
            self._apply(handler, fault)
            return
        if not self._authorised(form):
            self._json(handler, {"error": "authorise error", "error_code": 2})
            return
        if self.enforce_rate_rule and identical > 3:
            self._json(handler, {"error": "duplicate request, wait a minute", "error_code": 9})
            return
        self._json(handler, self._answers(form))

    @staticmethod
    def _authorised(form: dict[str, str]) -> bool:
        if form.get("apikey"):
            return form["apikey"] == API_KEY
        return form.get("login") == LOGIN and form.get("psw") == PASSWORD

    def _answers(self, form: dict[str, str]) -> list[dict[str, Any]]:
        after = int(form.get("after_id") or 0)
        count = int(form.get("cnt") or 100)
        hours = int(form["hour"]) if form.get("hour") else None
        now = datetime.now(UTC)
        with self.lock:
            chosen = [
                r
                for r in sorted(
                    self.inbox, key=lambda r: int(r["id"]) if str(r["id"]).isdigit() else 0
                )
                if self._id_of(r) > after
                and (hours is None or r["_received_utc"] >= now - timedelta(hours=hours))
            ][:count]
        return [{k: v for k, v in r.items() if not k.startswith("_")} for r in chosen]

    @staticmethod
    def _id_of(record: dict[str, Any]) -> int:
        try:
            return int(record["id"])
        except (KeyError, TypeError, ValueError):
            return 1 << 62  # records with broken IDs are served to every request

    def _apply(self, handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        if fault.kind == "error":
            code, text = fault.value
            self._json(handler, {"error": text, "error_code": code})
        elif fault.kind == "status":
            self._send(handler, int(fault.value), b"<html><body>Bad Gateway</body></html>")
        elif fault.kind == "body":
            self._send(handler, 200, fault.value)
        elif fault.kind == "delay":
            time.sleep(float(fault.value))
            self._json(handler, [])
        elif fault.kind == "drop":
            handler.close_connection = True
            handler.connection.close()
        else:
            raise ValueError(fault.kind)

    def _json(self, handler: BaseHTTPRequestHandler, payload: Any) -> None:
        try:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in a text: a JSON escape, `\ud800`
            body = json.dumps(payload).encode("ascii")
        self._send(handler, 200, body)

    _send = staticmethod(respond)

"""SMSC's send.php, status.php and balance.php, as smsc-api.md documents them, for tests.

Every send request is recorded (that is the point: a test counts them). Sends answer in
fmt=3 JSON with the documented error codes; `cost=1` prices without sending; an identical
send within a minute gets error 9, as SMSC's only duplicate guard, and so does a sixth
identical price request within a minute. Faults for the next send: an error code, an
answer dropped after the SMS was "sent" (the lost answer), an answer held back forever (a
crash window), an HTTP error from a proxy. A voice call (`call=1`) is a send like an SMS
(the same faults, the same error 9), kept in `calls`; its status follows `call_timelines`
by the phone called (answered, not answered, busy: the codes are UNCONFIRMED at SMSC, so
the fake uses what the bridge assumes, `CALL_ANSWERED`, `CALL_NOT_ANSWERED`, `CALL_BUSY`).
A sent SMS's
status moves along a timeline (handed to the operator, then delivered, unless set);
status.php finds an SMS by the phone and our ID, as SMSC does (the last one sent wins),
answers "not found" (-3) for one it never had, and fails as it is told to for the next
status requests: an error code (9: asked too often), a proxy's HTTP error, a connection
cut before the answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

PATHS = ("/sys/send.php", "/sys/status.php", "/sys/balance.php")
COST_PER_PART = 2.5
QUOTES_A_MINUTE = 5  # identical price requests SMSC answers a minute; then error 9


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str
    sender: str | None
    our_id: str  # send.php's `id`, as the bridge gave it
    at: float  # time.monotonic()
    call: bool = False  # a voice call (`call=1`), not an SMS
    voice: str | None = None
    param: str | None = None


# A call's status codes over time, by what the person does (UNCONFIRMED codes: status.php
# documents SMS ones; the bridge reads 1 and 2 as answered, anything else as not).
CALL_ANSWERED = [(0.0, -1), (0.2, 1)]
CALL_NOT_ANSWERED = [(0.0, -1), (0.2, 20)]
CALL_BUSY = [(0.0, -1), (0.2, 25)]


@dataclass
class FakeOutbox:
    sends: list[SentSms] = field(default_factory=list)  # every SMS SMSC "sent"
    send_requests: list[dict[str, str]] = field(default_factory=list)  # every send.php call
    quotes: list[dict[str, str]] = field(default_factory=list)  # every cost=1 call
    quoted_at: list[float] = field(default_factory=list)  # when each was made
    status_requests: list[tuple[str, str, float]] = field(default_factory=list)
    send_faults: deque[tuple[str, Any]] = field(default_factory=deque)
    status_faults: deque[tuple[str, Any]] = field(default_factory=deque)
    # status codes over time for every send: (seconds after the send, code)
    timeline: list[tuple[float, int]] = field(default_factory=lambda: [(0, 0), (2, 1)])
    balance: float = 100.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)  # ends a "hold"
    # a call's status timeline by the phone called; CALL_NOT_ANSWERED when not set
    call_timelines: dict[str, list[tuple[float, int]]] = field(default_factory=dict)

    @property
    def calls(self) -> list[SentSms]:
        """Every call SMSC "placed" (a request whose answer was lost included)."""
        with self.lock:
            return [sent for sent in self.sends if sent.call]

    @property
    def call_requests(self) -> list[dict[str, str]]:
        with self.lock:
            return [form for form in self.send_requests if form.get("call") == "1"]

    def fail_next_send(self, kind: str, value: Any = None) -> None:
        """kind: "error" (code), "drop" (send, then cut the answer), "hold" (send, never
        answer until `released`), "status" (HTTP code, nothing sent)."""
        with self.lock:
            self.send_faults.append((kind, value))

    def fail_next_status(self, kind: str, value: Any = None) -> None:
        """kind: "error" (code, e.g. 9), "status" (HTTP code), "drop" (cut the answer)."""
        with self.lock:
            self.status_faults.append((kind, value))

    def handle(self, handler: BaseHTTPRequestHandler, path: str, form: dict[str, str]) -> None:
        if path == "/sys/balance.php":
            self._json(handler, {"balance": f"{self.balance:.2f}"})
        elif path == "/sys/status.php":
            self._status(handler, form)
        elif form.get("cost") == "1":
            now = time.monotonic()
            with self.lock:
                self.quotes.append(form)
                self.quoted_at.append(now)
                same = [
                    at
                    for quote, at in zip(self.quotes, self.quoted_at, strict=True)
                    if _same_sms(quote, form) and now - at < 60
                ]
            if len(same) > QUOTES_A_MINUTE:
                self._json(handler, {"error": "duplicate request, wait a minute", "error_code": 9})
                return
            self._json(
                handler,
                {"cost": f"{COST_PER_PART * _parts(form['mes']):.2f}", "cnt": _parts(form["mes"])},
            )
        else:
            self._send_sms(handler, form)

    def _send_sms(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        now = time.monotonic()
        with self.lock:
            self.send_requests.append(form)
            fault = self.send_faults.popleft() if self.send_faults else None
            duplicate = any(
                s.phone == form.get("phones") and s.text == form.get("mes") and now - s.at < 60
                for s in self.sends
            )
        if fault is not None and fault[0] == "error":
            self._json(
                handler, {"error": "fake refusal", "error_code": fault[1], "id": form.get("id")}
            )
            return
        if fault is not None and fault[0] == "status":
            respond(handler, int(fault[1]), b"<html>Bad Gateway</html>")
            return
        if duplicate:
            self._json(handler, {"error": "duplicate request, wait a minute", "error_code": 9})
            return
        parts = _parts(form["mes"])
        with self.lock:
            self.sends.append(
                SentSms(
                    form["phones"],
                    form["mes"],
                    form.get("sender"),
                    form["id"],
                    now,
                    call=form.get("call") == "1",
                    voice=form.get("voice"),
                    param=form.get("param"),
                )
            )
            self.balance -= COST_PER_PART * parts
        if fault is not None and fault[0] == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if fault is not None and fault[0] == "hold":
            self.released.wait()
            return
        self._json(
            handler,
            {
                "id": 9000 + len(self.sends),
                "cnt": parts,
                "cost": f"{COST_PER_PART * parts:.2f}",
                "balance": f"{self.balance:.2f}",
            },
        )

    def _status(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        now = time.monotonic()
        with self.lock:
            self.status_requests.append((form.get("phone", ""), form.get("id", ""), now))
            fault = self.status_faults.popleft() if self.status_faults else None
            sent = [
                s for s in self.sends if s.phone == form.get("phone") and s.our_id == form.get("id")
            ]
        if fault is not None and fault[0] == "error":
            self._json(handler, {"error": "fake status error", "error_code": fault[1]})
            return
        if fault is not None and fault[0] == "status":
            respond(handler, int(fault[1]), b"<html>Bad Gateway</html>")
            return
        if fault is not None and fault[0] == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if not sent:
            self._json(handler, {"status": -3, "last_date": "", "err": 0})
            return
        code = 0
        timeline = self.timeline
        if sent[-1].call:
            timeline = self.call_timelines.get(sent[-1].phone, CALL_NOT_ANSWERED)
        for after, step in timeline:
            if now - sent[-1].at >= after:
                code = step
        self._json(handler, {"status": code, "last_date": "28.11.2026 03:12:00", "err": 0})

    @staticmethod
    def _json(handler: BaseHTTPRequestHandler, payload: Any) -> None:
        respond(handler, 200, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _same_sms(one: dict[str, str], other: dict[str, str]) -> bool:
    return all(one.get(key) == other.get(key) for key in ("phones", "mes", "sender"))


def _parts(text: str) -> int:
    unicode = any(ord(ch) > 127 for ch in text)
    single, part = (70, 67) if unicode else (160, 153)
    return 1 if len(text) <= single else -(-len(text) // part)


def respond(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    """Answer as SMSC does: a JSON body (a client gone meanwhile is not an error)."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass

"""An SMSC account inside the process, on 127.0.0.1: the inbox the demo fills, an outbox.

It answers what `bot.smsc` asks, in the same shape as SMSC (smsc-api.md): `get_answers`
in fmt=3 with `after_id`, `hour` and `cnt`; send.php with `cost=1` (a price, nothing
sent) and `cost=3` (sent: id, parts, cost, balance); status.php by phone and our ID,
"handed to the operator" at first and "delivered" a few seconds later, "not found" for an
SMS it never had; balance.php. Errors come as SMSC writes them: HTTP 200 and
`{"error", "error_code"}`. Nothing it "sends" leaves the machine: a sent SMS is a record.
The clock is passed in, so a test decides when a status turns delivered.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.smsc.parts import sms_parts

SMSC_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"  # no zone: the account's (tests read it with bot.smsc)
LOGIN = "demo"
PASSWORD = "demo-password"  # known to the demo only: this SMSC serves 127.0.0.1
ACCOUNT_NUMBER = "79001234567"  # the simulated account's receiving number
PRICE_PER_PART = 3.5  # the demo's currency units per SMS part
DELIVERED_AFTER = timedelta(seconds=5)  # from "handed to the operator" to "delivered"
STARTING_BALANCE = 500.0
HANDED_OVER, DELIVERED, NOT_FOUND = 0, 1, -3
BAD_PARAMETERS, BAD_LOGIN = 1, 2


@dataclass(frozen=True)
class InboxSms:
    """An SMS in the simulated inbox, as get_answers lists it."""

    smsc_id: int
    phone: str
    message: str
    received: datetime  # aware


@dataclass(frozen=True)
class OutboxSms:
    """An SMS the bridge asked to send; it went nowhere but this list."""

    smsc_id: int
    phone: str
    text: str
    our_id: str
    parts: int
    at: datetime


@dataclass
class SimulatedSmsc:
    """The inbox and outbox of one simulated account; `start` serves them over HTTP."""

    zone: ZoneInfo  # the zone SMSC writes its dates in (SMSC_TIMEZONE)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    inbox: list[InboxSms] = field(default_factory=list)
    outbox: list[OutboxSms] = field(default_factory=list)
    inbox_polls: int = 0
    balance: float = STARTING_BALANCE
    polled: asyncio.Event = field(default_factory=asyncio.Event)  # set by the first poll
    on_sent: Callable[[OutboxSms], None] | None = None  # told of each SMS sent
    _next_id: int = 1000
    _runner: web.AppRunner | None = None

    # -- what the demo does --------------------------------------------------------------

    def receive(self, phone: str, message: str, *, late_by: timedelta = timedelta(0)) -> InboxSms:
        """An SMS arrives in the inbox now, dated `late_by` earlier (a late delivery)."""
        self._next_id += 1
        sms = InboxSms(self._next_id, phone, message, self.now() - late_by)
        self.inbox.append(sms)
        return sms

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; the base URL (SMSC_BASE_URL)."""
        app = web.Application()
        app.router.add_route("*", "/sys/get.php", self._get)
        app.router.add_route("*", "/sys/send.php", self._send)
        app.router.add_route("*", "/sys/status.php", self._status)
        app.router.add_route("*", "/sys/balance.php", self._balance)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))  # a free port, known before anyone connects
        await web.SockSite(self._runner, listening).start()
        return f"http://127.0.0.1:{listening.getsockname()[1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the inbox ---------------------------------------------------------------------

    def answers(self, form: Mapping[str, str]) -> Any:
        """get_answers: the SMS after `after_id`, received within `hour`, at most `cnt`."""
        self.inbox_polls += 1
        self.polled.set()
        after = _number(form.get("after_id"), 0)
        hours = _number(form.get("hour"), 24)
        count = _number(form.get("cnt"), 100)
        since = self.now() - timedelta(hours=hours)
        found = [s for s in self.inbox if s.smsc_id > after and s.received >= since]
        found.sort(key=lambda sms: sms.smsc_id)
        return [self._listed(sms) for sms in found[:count]]

    def _listed(self, sms: InboxSms) -> dict[str, Any]:
        local = sms.received.astimezone(self.zone)
        return {
            "id": sms.smsc_id,
            "received": local.strftime(SMSC_TIME_FORMAT),
            "phone": sms.phone,
            "message": sms.message,
            "to_phone": ACCOUNT_NUMBER,
            "sent": (local - timedelta(seconds=2)).strftime(SMSC_TIME_FORMAT),
        }

    # -- the outbox --------------------------------------------------------------------

    def send(self, form: Mapping[str, str]) -> dict[str, Any]:
        """send.php: `cost=1` prices only; otherwise the SMS is recorded as sent."""
        phone, text = form.get("phones", ""), form.get("mes", "")
        if not phone or not text:
            return _error(BAD_PARAMETERS, "parameters error")
        parts = sms_parts(text).count
        cost = PRICE_PER_PART * parts
        if form.get("cost") == "1":
            return {"cost": f"{cost:.2f}", "cnt": parts}
        self._next_id += 1
        sent = OutboxSms(self._next_id, phone, text, form.get("id", ""), parts, self.now())
        self.outbox.append(sent)
        self.balance -= cost
        if self.on_sent is not None:
            self.on_sent(sent)
        answer: dict[str, Any] = {"id": self._next_id, "cnt": parts}
        if form.get("cost") == "3":
            answer |= {"cost": f"{cost:.2f}", "balance": f"{self.balance:.2f}"}
        return answer

    def status(self, form: Mapping[str, str]) -> dict[str, Any]:
        """status.php: found by phone and our ID (the last one sent wins)."""
        sent = [
            sms
            for sms in self.outbox
            if sms.phone == form.get("phone") and sms.our_id == form.get("id")
        ]
        if not sent:
            return {"status": NOT_FOUND, "last_date": "", "err": 0}
        since = self.now() - sent[-1].at
        code = DELIVERED if since >= DELIVERED_AFTER else HANDED_OVER
        stamp = self.now().astimezone(self.zone)
        return {
            "status": code,
            "last_date": stamp.strftime(SMSC_TIME_FORMAT),
            "last_timestamp": int(stamp.timestamp()),
            "err": 0,
        }

    # -- HTTP --------------------------------------------------------------------------

    async def _get(self, request: web.Request) -> web.Response:
        form = await _form(request)
        if form.get("get_answers") != "1":
            return _json(_error(BAD_PARAMETERS, "parameters error"))
        return _json(self._authorized(form) or self.answers(form))

    async def _send(self, request: web.Request) -> web.Response:
        form = await _form(request)
        return _json(self._authorized(form) or self.send(form))

    async def _status(self, request: web.Request) -> web.Response:
        form = await _form(request)
        return _json(self._authorized(form) or self.status(form))

    async def _balance(self, request: web.Request) -> web.Response:
        form = await _form(request)
        return _json(self._authorized(form) or {"balance": f"{self.balance:.2f}"})

    @staticmethod
    def _authorized(form: Mapping[str, str]) -> dict[str, Any] | None:
        """None when the login and password are the demo's; SMSC's error 2 otherwise."""
        if form.get("login") == LOGIN and form.get("psw") == PASSWORD:
            return None
        return _error(BAD_LOGIN, "authorise error")


async def _form(request: web.Request) -> dict[str, str]:
    """The query string and the POST body together, as SMSC reads either."""
    fields = dict(request.query)
    if request.method == "POST":
        fields.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return fields


def _number(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.isdigit() else default


def _error(code: int, text: str) -> dict[str, Any]:
    return {"error": text, "error_code": code}


def _json(payload: Any) -> web.Response:
    body = json.dumps(payload, ensure_ascii=False)
    return web.Response(text=body, content_type="application/json", charset="utf-8")

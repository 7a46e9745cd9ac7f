"""Sending SMS through SMSC: a price, the send itself, its delivery status, the balance.

A send costs money and reaches a real person, so `send` makes exactly one request and
never another on its own: httpx retries nothing, no tenacity wraps it, and no error turns
into a second attempt. What the one answer says decides:

- SMSC's error code: nothing was sent (`SendRefused`, with a sentence a person can act on);
- no connection at all: nothing left the bridge (`SendNotMade`);
- anything else without a readable answer (a timeout after the request left, a cut
  connection, an HTML page from a proxy, a 5xx): SMSC may have sent it (`SendUnknown`).
  Only `status` can tell, and only a person sends again after status.php says "not found".

Prices (`cost=1`) and statuses are safe to ask again, within SMSC's limits: five identical
cost requests or status requests for one SMS a minute, ten balance requests a minute.
Credentials go in the POST body, never in the URL, and never anywhere but SMSC_BASE_URL:
a redirect is not followed, and is no answer (`redirect_refused` says where it pointed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from bot import __version__
from bot.smsc.credentials import SmscCredentials
from bot.smsc.errors import (
    DELIVERY_STATUSES,
    NOT_FOUND,
    SEND_REFUSALS,
    TOO_MANY_IDENTICAL,
    UNKNOWN_REFUSAL,
    UNKNOWN_STATUS,
    redirect_refused,
    redirect_target,
)
from bot.text.i18n import Phrase
from bot.text.numbers import ascii_int

SEND_PATH = "/sys/send.php"
STATUS_PATH = "/sys/status.php"
BALANCE_PATH = "/sys/balance.php"
REQUEST_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class SendRefused(Exception):
    """SMSC answered the send with an error code: nothing was sent."""

    def __init__(self, code: int) -> None:
        super().__init__(f"SMSC refused the send with error {code}")
        self.code = code

    @property
    def sentence(self) -> str:
        """What a person should know, N_-marked, `{code}` unfilled: what is stored."""
        return SEND_REFUSALS.get(self.code, UNKNOWN_REFUSAL)

    @property
    def said(self) -> Phrase:
        """The sentence as people and the log read it."""
        return smsc_reason(self.sentence, self.code)


def smsc_reason(reason: str, code: int | None) -> Phrase:
    """Why SMSC refused an SMS or what its status is (N_-marked, some with `{code}`), with
    SMSC's number filled in, in the reader's language. A refusal is read when it happens
    (the price line, the log) and again from the store (the preview's state), so it reads
    the same through this one function."""
    return Phrase(reason, code=code)


class SendNotMade(Exception):
    """The request never reached SMSC (no connection): nothing was sent."""


class SendUnknown(Exception):
    """The request may have reached SMSC, but its answer did not come back."""


class SmscNoAnswer(Exception):
    """A price, status or balance request got no usable answer (safe to ask later)."""


@dataclass(frozen=True)
class Quote:
    cost: str | None  # what SMSC says the SMS will cost, in the account's currency
    parts: int | None


@dataclass(frozen=True)
class Sent:
    smsc_id: int | None  # SMSC's own ID of the send
    parts: int | None
    cost: str | None
    balance: str | None


@dataclass(frozen=True)
class SendStatus:
    """What status.php says of an SMS the bridge sent (not a chat delivery's state)."""

    code: int
    meaning: str  # N_-marked
    final: bool
    delivered: bool

    @property
    def never_sent(self) -> bool:
        return self.code == NOT_FOUND


def status_of(code: int) -> SendStatus:
    meaning, final, delivered = DELIVERY_STATUSES.get(code, UNKNOWN_STATUS)
    return SendStatus(code, meaning, final, delivered)


class CallOutcome(StrEnum):
    RINGING = "ringing"  # not final yet (-1 waiting, 0 handed to the operator)
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"  # any other final code: SMSC's words say which
    NEVER_WENT_OUT = "never_went_out"  # -3: SMSC has no such call
    UNKNOWN = "unknown"  # a code SMSC's tables do not name: never read as answered


# UNCONFIRMED (smsc-api.md, "Voice calls"): which status.php codes a call reports. The
# bridge assumes SMS's own table: 1 "delivered" and 2 "read" mean the call was answered;
# -1 and 0 that it is still ringing; -3 that SMSC never had it; every other code of the
# table that nobody answered (SMSC's words are shown with the code, so a person can read
# "busy" or "unreachable" there). A code outside the table is shown as a number and never
# taken for an answer: the chain goes on to the next person.
CALL_ANSWERED_CODES = frozenset({1, 2})


def call_outcome(code: int) -> CallOutcome:
    if code in CALL_ANSWERED_CODES:
        return CallOutcome.ANSWERED
    if code == NOT_FOUND:
        return CallOutcome.NEVER_WENT_OUT
    if code not in DELIVERY_STATUSES:
        return CallOutcome.UNKNOWN
    return CallOutcome.RINGING if code in (-1, 0) else CallOutcome.NOT_ANSWERED


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _error_code(answer: Mapping[str, Any]) -> int | None:
    code = answer.get("error_code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return abs(code)
    return ascii_int(str(code).strip().lstrip("-")) if code is not None else None


def _not_smscs(response: httpx.Response) -> str:
    """Why an answer that is not HTTP 200 is not SMSC's; a redirect says where it pointed."""
    if response.is_redirect:
        where = redirect_target(str(response.request.url), response.headers.get("location"))
        return redirect_refused(response.status_code, where)
    return f"HTTP {response.status_code}, an answer that is not SMSC's"


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _count(value: Any) -> int | None:
    return ascii_int(str(value)) if value is not None and not isinstance(value, bool) else None


class SmscOutbox:
    """Sends SMS from one SMSC account, and asks about them."""

    def __init__(
        self,
        base_url: str,
        credentials: SmscCredentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._auth = credentials.form()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=REQUEST_TIMEOUT,
            headers={"User-Agent": f"sms-bridge/{__version__}"},
            transport=transport,  # None: httpx's own, which retries nothing
            follow_redirects=False,  # a redirect would post the credentials elsewhere
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _form(self, **fields: str) -> dict[str, str]:
        return {"fmt": "3", "charset": "utf-8", **self._auth, **fields}

    async def _ask(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        """A request that is safe to repeat; SmscNoAnswer when there is nothing to read."""
        try:
            response = await self._http.post(path, data=form)
        except httpx.HTTPError as error:
            raise SmscNoAnswer(type(error).__name__) from None
        if response.status_code != 200:
            raise SmscNoAnswer(_not_smscs(response))
        answer = _json_object(response.content)
        if answer is None:
            raise SmscNoAnswer("HTTP 200, not SMSC's JSON")
        return answer

    async def quote(self, phone: str, text: str, sender: str | None) -> Quote:
        """What sending would cost (`cost=1`: SMSC prices it and sends nothing).

        SendRefused when SMSC would refuse the SMS itself; SmscNoAnswer when the price is
        unknown for now (no answer, or asked too often)."""
        form = self._form(phones=phone, mes=text, cost="1")
        if sender:
            form["sender"] = sender
        answer = await self._ask(SEND_PATH, form)
        if (code := _error_code(answer)) == TOO_MANY_IDENTICAL:
            raise SmscNoAnswer("SMSC prices the same SMS at most five times a minute")
        if code is not None:
            raise SendRefused(code)
        return Quote(_text(answer.get("cost")), _count(answer.get("cnt")))

    async def balance(self) -> str | None:
        answer = await self._ask(BALANCE_PATH, self._form())
        return _text(answer.get("balance"))

    async def send(self, phone: str, text: str, sender: str | None, our_id: str) -> Sent:
        """Send once. Raises SendRefused, SendNotMade or SendUnknown; never retries.

        `our_id` is how status.php will find it (with the phone): never used twice."""
        form = self._form(phones=phone, mes=text, id=our_id, cost="3")
        if sender:
            form["sender"] = sender
        return await self._send_once(form)

    async def call(
        self, phone: str, text: str, our_id: str, *, voice: str = "", param: str = ""
    ) -> Sent:
        """Place one voice call (`call=1`: SMSC speaks `text`), as `send` sends an SMS: one
        request, never repeated; the same errors, the same answer, status.php by our ID.

        `voice` and `param` (which voice; wait, pause, attempts) are UNCONFIRMED in SMSC's
        own tables (smsc-api.md, "Voice calls"): sent only when set (CALL_VOICE, CALL_PARAM).
        """
        form = self._form(phones=phone, mes=text, id=our_id, cost="3", call="1")
        if voice:
            form["voice"] = voice
        if param:
            form["param"] = param
        return await self._send_once(form)

    async def _send_once(self, form: dict[str, str]) -> Sent:
        """The one POST of a send or a call, and what its answer says."""
        try:
            response = await self._http.post(SEND_PATH, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as error:
            raise SendNotMade(type(error).__name__) from None
        except httpx.HTTPError as error:
            raise SendUnknown(f"no answer: {type(error).__name__}") from None
        if response.status_code != 200:  # a redirect too: no answer of SMSC's to read
            raise SendUnknown(_not_smscs(response))
        answer = _json_object(response.content)
        if answer is None:
            raise SendUnknown("HTTP 200, an answer that is not SMSC's")
        if (code := _error_code(answer)) is not None:
            raise SendRefused(code)
        return Sent(
            _count(answer.get("id")),
            _count(answer.get("cnt")),
            _text(answer.get("cost")),
            _text(answer.get("balance")),
        )

    async def status(self, phone: str, our_id: str) -> SendStatus:
        """Where a send stands (SMSC knows it by the phone and our ID)."""
        return status_of(await self.status_code(phone, our_id))

    async def status_code(self, phone: str, our_id: str) -> int:
        """status.php's bare code for a send or a call (a call reads it as `call_status`)."""
        answer = await self._ask(STATUS_PATH, self._form(phone=phone, id=our_id))
        if (code := _error_code(answer)) is not None and "status" not in answer:
            raise SmscNoAnswer(f"SMSC error {code}")
        raw = answer.get("status")
        code = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if code is None and isinstance(raw, str) and ascii_int(raw.lstrip("-")) is not None:
            code = int(raw)
        if code is None:
            raise SmscNoAnswer("a status reply without a status")
        return code

"""The heartbeat's rule, and the GET that carries it.

"Successful poll" is read from the health facts (`BridgeStatus.last_poll_ok_at` and
`failing_since`), the same facts /healthz and /status read, so the heartbeat and /healthz
can never disagree about whether polling works, and the poller knows nothing of it: a
heartbeat that hangs or fails cannot hold a poll back. A look at those facts is cheap, so
the task looks every second and pings when

- a poll has succeeded since the last ping (each successful poll is vouched for once),
- polling is not failing right now (a bridge that cannot reach SMSC is not healthy: the
  switch must go off), and
- the last try was at least `every` ago (at most once a minute by default, tries that
  failed included, so a receiver that is down is not hammered).

A failing ping is logged once per outage, at WARNING, and once more when a ping works
again; the tries in between only at DEBUG. HEARTBEAT_URL usually carries the check's
token: it is never logged (only its host), and it is among the settings' secrets, so the
log's redaction blanks it wherever else it might appear. No redirect is followed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx

from bot.core.bridge_state import BridgeStatus
from bot.text.i18n import N_, Phrase

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=1)  # HEARTBEAT_INTERVAL's default
TIMEOUT = 10.0  # seconds a GET may take, connecting included
LOOK_EVERY = 1.0  # seconds between looks at the health facts

Clock = Callable[[], datetime]
Ping = Callable[[], Awaitable[None]]  # raises HeartbeatFailed when the receiver said no


def wall_clock() -> datetime:
    return datetime.now(UTC)


class HeartbeatFailed(Exception):
    """A heartbeat the receiver did not take; `said` is why, for people (no URL in it)."""

    def __init__(self, said: Phrase) -> None:
        super().__init__(str(said))
        self.said = said


NO_ANSWER = Phrase(N_("no answer in time"))
NO_CONNECTION = Phrase(N_("no connection"))


def refusal(status_code: int) -> Phrase:
    if 300 <= status_code < 400:
        return Phrase(N_("a redirect (HTTP {code}), not followed"), code=status_code)
    return Phrase(N_("HTTP {code}"), code=status_code)


def english(said: Phrase) -> str:
    """A phrase as the log has it: in English, whatever UI_LANGUAGE says."""
    return said.message.format(**said.fields)


def why(error: Exception) -> Phrase:
    """What a failed GET means, in words that never quote the URL."""
    if isinstance(error, HeartbeatFailed):
        return error.said
    if isinstance(error, httpx.TimeoutException):
        return NO_ANSWER
    return NO_CONNECTION


class Receiver:
    """The GET to HEARTBEAT_URL: no redirect followed, `timeout` for the whole of it."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        self._url = url
        self._client = httpx.AsyncClient(follow_redirects=False, timeout=timeout)

    async def ping(self) -> None:
        response = await self._client.get(self._url)
        if not response.is_success:
            raise HeartbeatFailed(refusal(response.status_code))

    async def aclose(self) -> None:
        await self._client.aclose()


class Heartbeat:
    """Decides when to ping, pings, and remembers how the last pings went."""

    def __init__(
        self,
        status: BridgeStatus,
        ping: Ping,
        *,
        host: str,
        every: timedelta = EVERY,
        clock: Clock = wall_clock,
    ) -> None:
        self._status = status
        self._ping = ping
        self._host = host  # for the log: the URL itself is a secret
        self._every = every
        self._clock = clock
        self._vouched_for: datetime | None = None  # the successful poll the last try covered
        self._tried_at: datetime | None = None
        self.sent_at: datetime | None = None  # the last ping the receiver took
        self.failing_since: datetime | None = None  # the first failed try of this outage
        self.failure: Phrase | None = None  # why the last try failed, while failing
        self._failed_tries = 0

    @property
    def polling_fails(self) -> bool:
        return self._status.failing_since is not None

    def due(self) -> bool:
        """Whether a ping should go now (see the module's rule)."""
        polled = self._status.last_poll_ok_at
        if polled is None or polled == self._vouched_for or self.polling_fails:
            return False
        if self._tried_at is None:
            return True
        now = self._clock()
        return not self._tried_at <= now < self._tried_at + self._every  # a clock set back: go

    async def beat(self) -> bool:
        """Ping if one is due; whether one was tried."""
        if not self.due():
            return False
        self._vouched_for = self._status.last_poll_ok_at
        self._tried_at = self._clock()
        try:
            await self._ping()
        except Exception as error:  # any failure is the receiver's trouble, never the bridge's
            self._failed(why(error), error)
        else:
            self._succeeded()
        return True

    async def run(self) -> None:
        """Look, and ping when due, until cancelled."""
        while True:
            await self.beat()
            await asyncio.sleep(LOOK_EVERY)

    def _failed(self, said: Phrase, error: Exception) -> None:
        self._failed_tries += 1
        self.failure = said
        if self.failing_since is not None:
            log.debug("heartbeat to %s failed again: %s (%r)", self._host, english(said), error)
            return
        self.failing_since = self._tried_at
        log.warning(
            "heartbeat to %s failed: %s; the dead-man's switch raises its alarm if this "
            "lasts (logged once until a heartbeat goes through again)",
            self._host,
            english(said),
        )
        log.debug("heartbeat error: %r", error)

    def _succeeded(self) -> None:
        if self.failing_since is not None:
            log.info(
                "heartbeat to %s works again, after %d failed since %s",
                self._host,
                self._failed_tries,
                self.failing_since.strftime("%Y-%m-%d %H:%M:%S UTC"),
            )
        elif self.sent_at is None:
            log.info("heartbeat: the first one went to %s", self._host)
        self.sent_at = self._tried_at
        self.failing_since, self.failure, self._failed_tries = None, None, 0

"""The heartbeat: a GET to HEARTBEAT_URL after successful polls, for a dead-man's switch.

An on-call tool's worst failure is the quiet one: the host dies, the network goes, the
process hangs, and nothing in the chat says so, because the thing that would say it is
gone. A monitor outside (Healthchecks, Uptime Kuma's push monitor) expects a call every
few minutes and raises its own alarm when the calls stop. So the bridge calls only when
it is doing its job: after a poll of SMSC that succeeded, at most once a minute. While
SMSC cannot be polled, no heartbeat goes out, and the monitor tells people.

The heartbeat never slows polling: it runs in its own task, reads the poller's last
success from `BridgeStatus`, and gives each call a short timeout. A failing URL is logged
once when the failures start and once when it works again, never on every try, and the
URL itself (it carries the monitor's token) never reaches a log line. Redirects are not
followed: a monitor that answers with one is misconfigured, and is reported as failing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from bot.core.bridge_state import BridgeStatus

log = logging.getLogger(__name__)

MIN_GAP = 60.0  # seconds between two heartbeats, at least
TICK = 1.0  # how often the task looks for a newer successful poll
TIMEOUT = 10.0  # one call's limit: a slow monitor must not hold the next beat


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Heartbeat:
    """Calls the URL after successful polls, at most once per `min_gap`; logs outages once."""

    def __init__(
        self,
        url: str,
        status: BridgeStatus,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        min_gap: float = MIN_GAP,
        tick: float = TICK,
    ) -> None:
        self._url = url
        self._status = status
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
        self._clock = clock
        self._sleep = sleep
        self._min_gap = min_gap
        self._tick = tick
        self._tried_at: datetime | None = None  # the last call, whatever came of it
        self._beat_for: datetime | None = None  # the successful poll the last call was for
        self.last_ok: datetime | None = None  # when a call last got a 2xx
        self.failing_since: datetime | None = None  # the first failed call of an outage
        self.failure: str | None = None  # why the last call failed, for /status
        self._failed = 0  # calls failed in this outage

    def due(self, now: datetime) -> bool:
        """Whether a poll succeeded since the last call, and the last call is a gap ago."""
        polled = self._status.last_poll_ok_at
        if polled is None or (self._beat_for is not None and polled <= self._beat_for):
            return False
        return self._tried_at is None or (now - self._tried_at).total_seconds() >= self._min_gap

    async def beat(self, now: datetime) -> bool:
        """One call to the URL; True when the monitor answered 2xx."""
        self._tried_at, self._beat_for = now, self._status.last_poll_ok_at
        try:
            response = await self._client.get(self._url)
        except httpx.HTTPError as error:
            self._failed_with(type(error).__name__, now)
            return False
        if not response.is_success:
            self._failed_with(f"HTTP {response.status_code}", now)
            return False
        if self._failed:
            log.info("heartbeat: HEARTBEAT_URL answers again, after %d failed calls", self._failed)
        self.last_ok, self.failing_since, self.failure, self._failed = now, None, None, 0
        return True

    def _failed_with(self, why: str, now: datetime) -> None:
        if not self._failed:
            log.warning(
                "heartbeat: HEARTBEAT_URL failed (%s); polling goes on, and the monitor "
                "behind it raises its alarm if this lasts. Logged again only when it works.",
                why,
            )
            self.failing_since = now
        self._failed += 1
        self.failure = why

    async def run(self) -> None:
        """Look for a newer successful poll every `tick`, and beat when one is due."""
        while True:
            await self._sleep(self._tick)
            now = self._clock()
            if self.due(now):
                await self.beat(now)

    async def aclose(self) -> None:
        await self._client.aclose()

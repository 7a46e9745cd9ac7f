"""Polling the inbox into the store.

Each poll asks for the SMS after the largest stored SMSC ID (the cursor lives in the
database, never only in memory), a page at a time, and stores them; the store queues each
new SMS for the chats the router picks for it (`bot.routes`: every chat without
ROUTES_FILE), in the same transaction. Every few minutes a poll also re-reads the
last hour, so an SMS whose ID arrived out of order is still caught; dedup by ID makes the
overlap harmless.

On the very first start (no marker in the database) the last SMSC_BACKFILL_HOURS are
fetched into history, relayed only if SMSC_RELAY_BACKFILL is set.

The poller depends on `bot.inbox.Inbox`, not on SMSC: the app hands it an SMSC client,
the unit tests anything with `fetch_after`. Failures never end the poller. An
`InboxError` carries its policy (pause, growth, log level, metrics label, whether the
chats are told at once), so no error number is read here; a policy without a fixed pause,
and any other exception, backs off exponentially with jitter, never faster than the poll
interval (so retries cannot break SMSC's three-identical-requests-a-minute rule).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_never,
    wait_exponential_jitter,
)

from bot.alerts import Alerts
from bot.database import AsyncStore
from bot.inbox import Inbox, InboxError, InboxPage
from bot.metrics import Metrics
from bot.routes import Router
from bot.status import BridgeStatus
from state import IncomingSms, Store

log = logging.getLogger(__name__)

OVERLAP_EVERY = 300.0  # seconds between re-reads of the last hour
OVERLAP_HOURS = 1
CATCH_UP_HOURS = 168  # SMSC keeps the inbox for 7 days
MAX_TRANSIENT_PAUSE = 300.0
UNEXPECTED_ERROR_LABEL = "transport"  # not an InboxError (a bug, the disk): counted there


class Poller:
    """Fetches new SMS from SMSC into the store, forever, until cancelled."""

    def __init__(
        self,
        *,
        store: AsyncStore,
        inbox: Inbox,
        router: Router,
        interval: float,
        backfill_hours: int,
        relay_backfill: bool,
        status: BridgeStatus,
        alerts: Alerts,
        metrics: Metrics,
        on_new_sms: Callable[[], None],
    ) -> None:
        self._store = store
        self._inbox = inbox
        self._router = router
        self._interval = interval
        self._backfill_hours = backfill_hours
        self._relay_backfill = relay_backfill
        self._status = status
        self._alerts = alerts
        self._metrics = metrics
        self._on_new_sms = on_new_sms
        self._last_overlap = -math.inf
        self._transient_wait = wait_exponential_jitter(
            multiplier=interval,
            max=max(MAX_TRANSIENT_PAUSE, interval),
            jitter=interval / 2,
            min=interval,
        )

    async def run(self) -> None:
        """Poll every interval; each poll retried until it succeeds."""
        while True:
            await self.poll_until_success()
            await asyncio.sleep(self._interval)

    async def poll_until_success(self) -> None:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=self._pause_after,
            stop=stop_never,
            before_sleep=self._record_failure,
            reraise=True,
        ):
            with attempt:
                await self.poll_once()
        recovered_after = self._status.failing_for()
        self._status.poll_succeeded()
        self._metrics.last_poll_ok.set(time.time())
        if recovered_after:
            log.info("SMSC polling works again after %.0f s of failures", recovered_after)
        self._alerts.polling_recovered(recovered_after)

    async def poll_once(self) -> None:
        first_start_done = await self._store.call(Store.first_start_done_at)
        if first_start_done is None:
            await self._backfill()
            return
        cursor = await self._store.call(Store.max_smsc_id)
        if cursor is None:
            # Nothing stored yet: look back to the first start, which the backfill covered.
            since = (datetime.now(UTC) - first_start_done).total_seconds()
            hours = min(CATCH_UP_HOURS, math.ceil(since / 3600) + 1)
            await self._fetch_pages(after_id=None, hours=hours, relay=True)
        else:
            await self._fetch_pages(after_id=cursor, hours=CATCH_UP_HOURS, relay=True)
        if time.monotonic() - self._last_overlap >= OVERLAP_EVERY:
            await self._fetch_pages(after_id=None, hours=OVERLAP_HOURS, relay=True)
            self._last_overlap = time.monotonic()

    async def _backfill(self) -> None:
        log.info(
            "first start: fetching the last %d hours of SMS into history (%s)",
            self._backfill_hours,
            "relaying them" if self._relay_backfill else "not relaying them",
        )
        stored = await self._fetch_pages(
            after_id=None, hours=self._backfill_hours, relay=self._relay_backfill
        )
        await self._store.call(Store.mark_first_start_done, datetime.now(UTC))
        log.info("first start: %d SMS stored as history; relaying every new SMS from now", stored)
        self._last_overlap = time.monotonic()

    async def _fetch_pages(self, *, after_id: int | None, hours: int, relay: bool) -> int:
        """Fetch page after page until one says no more follow; returns how many were new.

        A page whose cursor did not move on ends the walk too: asking again after the same
        cursor would only get the same page.
        """
        new = 0
        while True:
            page = await self._inbox.fetch_after(after_id, hours=hours)
            log.debug(
                "polled SMSC (after_id=%s, hour=%d): %d items", after_id, hours, len(page.records)
            )
            new += await self._save(page, relay)
            cursor = page.next_cursor
            moved_on = cursor is not None and (after_id is None or cursor > after_id)
            if not (page.more and moved_on):
                return new
            after_id = cursor

    async def _save(self, page: InboxPage, relay: bool) -> int:
        for problem in page.problems:
            log.warning("SMSC reply: %s", problem)
        if not page.records:
            return 0
        place = functools.partial(self._router.placement, relay=relay)
        new_ids = set(await self._store.call(Store.save_incoming, page.records, place))
        for sms in page.records:
            if sms.smsc_id in new_ids:
                log.info(
                    "fetched SMS %d from %s to %s, %d characters%s%s",
                    sms.smsc_id,
                    sms.sender,
                    sms.recipient,
                    len(sms.text),
                    "" if relay else " (history, not relayed)",
                    self._route_note(sms),
                )
        self._status.sms_fetched += len(new_ids)
        self._metrics.sms_fetched.inc(len(new_ids))
        if new_ids and relay:
            self._on_new_sms()
        return len(new_ids)

    def _route_note(self, sms: IncomingSms) -> str:
        """With routes, which one took the SMS and where it went (the decision is pure)."""
        if not self._router.routes:
            return ""
        return "; " + self._router.decide(sms.sender, sms.recipient, sms.text).describe()

    def _pause_after(self, state: RetryCallState) -> float:
        """Seconds to wait after a failed poll: the error's policy, else backoff."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, InboxError):
            pause = error.policy.pause_before(state.attempt_number)
            if pause is not None:
                return pause
        return float(self._transient_wait(state))

    def _record_failure(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if error is None:
            return
        pause = state.upcoming_sleep
        self._status.poll_failed(str(error))
        if isinstance(error, InboxError):
            policy = error.policy
            self._metrics.poll_errors.labels(code=policy.metrics_label).inc()
            log.log(policy.log_level, "%s; next try in %.0f s", error.summary, pause)
        else:
            self._metrics.poll_errors.labels(code=UNEXPECTED_ERROR_LABEL).inc()
            log.error("poll failed: %r; next try in %.0f s", error, pause, exc_info=error)
        self._alerts.polling_failed(error)

"""Polling the inbox into the store.

Each poll asks for the SMS after the largest stored SMSC ID (the cursor lives in the
database, never only in memory), a page at a time (the next one asked for and routed
while SQLite alone finishes the one before), and stores them; the store queues each new
SMS for the chats the router picked for it (`bot.routing.routes`: every chat without
ROUTES_FILE) before the write transaction, in a worker thread (a pattern may take its
time limit). Every few minutes a poll also re-reads the last hour, so an SMS whose ID
arrived out of order is still caught; dedup by ID makes the overlap harmless.

One SMS never stops the others: its text was made storable when it was read, and one the
database still refuses is kept aside by the store (its ID counts for the cursor), logged
by its ID, counted, and told to the chats once; the rest of the page is stored. The log
names SMS by their IDs at INFO; their numbers only at DEBUG (they outlive RETENTION_DAYS
in a journal).

On the very first start (no marker in the database) the last SMSC_BACKFILL_HOURS are
fetched into history, relayed only if SMSC_RELAY_BACKFILL is set.

Polls come on a timer, every SMSC_POLL_INTERVAL seconds after the last one ended, and
sooner when a push hint says the inbox changed (`hints`, an event that any number of hints
set once). A hinted poll is a poll like any other, through the same request; when it
finds nothing new (SMSC may call before its inbox shows the SMS), one more follows a few
seconds later. `bot.intake.poll_pacing` decides each turn: hinted polls wait for their turn under
SMSC's three-identical-requests rule and never take the timer's room, so the timer's polls
come on time whatever the hints do.

The poller depends on `bot.core.inbox.Inbox`, not on SMSC: the app hands it an SMSC client,
the unit tests anything with `fetch_after`. Failures never end the poller. An
`InboxError` carries its policy (pause, growth, log level, metrics label, whether the
chats are told at once), so no error number is read here; a policy without a fixed pause,
and any other exception, backs off exponentially with jitter, never faster than the poll
interval (so retries cannot break SMSC's three-identical-requests-a-minute rule).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_never,
)

from bot.core.alerts import Alerts
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.inbox import Inbox, InboxPage
from bot.core.metrics import Metrics
from bot.intake.poll_failures import PollFailures
from bot.intake.poll_pacing import PollReason, PollSchedule, RequestLog, SentRequest
from bot.routing.routes import RouteDecision, Router
from state import IncomingSms, Placement, Saved, first_fill, markers, messages

log = logging.getLogger(__name__)
Routed = dict[int, tuple[RouteDecision, Placement]]  # where each SMS of a page goes, by ID
SHOWN_IDS = 20  # IDs of SMS too old to store named in one log line, at most
LINE_PER_SMS_UP_TO = 20  # new SMS in a page logged a line each; more: one line for the page

OVERLAP_EVERY = 300.0  # seconds between re-reads of the last hour
OVERLAP_HOURS = 1
CATCH_UP_HOURS = 168  # SMSC keeps the inbox for 7 days


async def _first_of(task: asyncio.Future[int], event: asyncio.Event) -> None:
    """Wait until `task` is done or `event` is set, whichever comes first."""
    waiting: asyncio.Future[Any] = asyncio.ensure_future(event.wait())
    either: set[asyncio.Future[Any]] = {task, waiting}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()


def log_too_old(ids: Sequence[int]) -> None:
    """One line for the SMS that were older than RETENTION_DAYS when fetched and that no
    chat was to get (the first start's history, SMS a route drops): never stored."""
    if not ids:
        return
    shown = ", ".join(str(smsc_id) for smsc_id in ids[:SHOWN_IDS])
    if len(ids) > SHOWN_IDS:
        shown += f" and {len(ids) - SHOWN_IDS} more"
    log.info(
        "retention: %d SMS already older than RETENTION_DAYS when fetched, for no chat: "
        "not stored: %s",
        len(ids),
        shown,
    )


@dataclass(frozen=True)
class PollStart:
    """The first request of the next poll: the one SMSC may have seen before."""

    after_id: int | None
    hours: int
    backfill: bool = False  # the very first start: history, relayed only if configured

    @property
    def identity(self) -> tuple[int | None, int]:
        """What makes two of the poller's requests identical for SMSC's rate rule."""
        return (self.after_id, self.hours)


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
        hints: asyncio.Event | None = None,
    ) -> None:
        self._store = store
        self._inbox = inbox
        self._router = router
        self._backfill_hours = backfill_hours
        self._relay_backfill = relay_backfill
        self._status = status
        self._alerts = alerts
        self._metrics = metrics
        self._on_new_sms = on_new_sms
        self._hints = hints if hints is not None else asyncio.Event()
        self._schedule = PollSchedule(interval)
        self._requests = RequestLog()
        for reason in PollReason:  # every reason shows in /metrics, 0 until it happens
            metrics.polls.labels(reason=reason.value)
        self._last_overlap = -math.inf
        self._failures = PollFailures(interval, status, alerts, metrics)

    async def run(self) -> None:
        """Poll on the timer, and sooner when hinted, within SMSC's rule; each poll retried
        until it succeeds."""
        while True:
            reason = await self._wait_for_turn()
            covered_hint = self._hints.is_set()
            self._metrics.polls.labels(reason=reason.value).inc()
            log.debug("polling SMSC (%s)", reason.value)
            new = await self.poll_until_success(reason)
            self._schedule.polled(
                finished_at=time.monotonic(), covered_hint=covered_hint, found_new=new > 0
            )

    async def _wait_for_turn(self) -> PollReason:
        """Wait until the timer, a hint or a follow-up may poll; what it is."""
        while True:
            sent = await self._sent_like_next()
            now = time.monotonic()
            turn = self._schedule.next_turn(now, hint_pending=self._hints.is_set(), sent=sent)
            if turn.at <= now:
                return turn.reason
            await self._sleep_unless_hinted(turn.at - now)

    async def _sent_like_next(self) -> list[SentRequest]:
        """The recent requests identical to the next poll's first one.

        If the store cannot say what that is, every recent request counts, which paces no
        less safely; the poll itself then meets the failure and retries as it says.
        """
        try:
            start = await self._next_start()
        except Exception as error:
            log.debug("cannot read the cursor for pacing: %r", error)
            return self._requests.all_recent()
        return self._requests.identical_to(start.identity)

    async def _sleep_unless_hinted(self, seconds: float) -> None:
        """Sleep; a hint ends it early, unless one is pending already (its turn is known)."""
        if self._hints.is_set():
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hints.wait(), seconds)

    async def poll_until_success(self, reason: PollReason = PollReason.TIMER) -> int:
        """Poll, retrying as each failure's policy says; how many SMS were new."""
        new = 0
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=self._failures.pause_after,
            stop=stop_never,
            before_sleep=self._failures.record,
            reraise=True,
        ):
            with attempt:
                self._hints.clear()  # this attempt covers every hint so far
                new = await self.poll_once(reason)
        recovered_after = self._status.failing_for()
        self._status.poll_succeeded()
        self._metrics.last_poll_ok.set(time.time())
        if recovered_after:
            log.info("SMSC polling works again after %.0f s of failures", recovered_after)
        self._alerts.polling_recovered(recovered_after)
        return new

    async def poll_once(self, reason: PollReason = PollReason.TIMER) -> int:
        """One poll: the SMS after the cursor, and the last hour when due; how many were new."""
        hinted = reason.hinted
        start = await self._next_start()
        if start.backfill:
            return await self._backfill(start, hinted)
        new = await self._fetch_pages(start.after_id, start.hours, relay=True, hinted=hinted)
        if time.monotonic() - self._last_overlap >= OVERLAP_EVERY:
            new += await self._fetch_pages(None, OVERLAP_HOURS, relay=True, hinted=hinted)
            self._last_overlap = time.monotonic()
        return new

    async def _next_start(self) -> PollStart:
        first_start_done = await self._store.call(markers.first_start_done_at)
        if first_start_done is None:
            return PollStart(None, self._backfill_hours, backfill=True)
        cursor = await self._store.call(markers.max_smsc_id)
        if cursor is None:
            # Nothing stored yet: look back to the first start, which the backfill covered.
            since = (datetime.now(UTC) - first_start_done).total_seconds()
            return PollStart(None, min(CATCH_UP_HOURS, math.ceil(since / 3600) + 1))
        return PollStart(cursor, CATCH_UP_HOURS)

    async def _backfill(self, start: PollStart, hinted: bool) -> int:
        log.info(
            "first start: fetching the last %d hours of SMS into history (%s)",
            start.hours,
            "relaying them" if self._relay_backfill else "not relaying them",
        )
        # Into an empty store, the index by sender is built once at the end: faster than
        # written page by page (state.first_fill); failed or not, it is there after.
        filling = await self._store.call(first_fill.begin)
        try:
            stored = await self._fetch_pages(
                None, start.hours, relay=self._relay_backfill, hinted=hinted
            )
        finally:
            if filling:
                await self._index_senders()
        await self._store.call(markers.mark_first_start_done, datetime.now(UTC))
        log.info("first start: %d SMS stored as history; relaying every new SMS from now", stored)
        self._last_overlap = time.monotonic()
        return stored

    async def _index_senders(self) -> None:
        """Build the index by sender after a first start's fill; a failure is logged, not
        raised (it would hide why the fill stopped), and the next start builds it."""
        started = time.monotonic()
        try:
            await self._store.call(first_fill.end)
        except Exception as error:
            log.error(
                "first start: the index by sender could not be built (%s): /from reads "
                "every SMS until the next start builds it",
                error,
            )
            return
        log.info("first start: index by sender built in %.1f s", time.monotonic() - started)

    async def _fetch_pages(
        self, after_id: int | None, hours: int, *, relay: bool, hinted: bool
    ) -> int:
        """Fetch page after page until one says no more follow; returns how many were new.

        A page whose cursor did not move on ends the walk too: asking again after the same
        cursor would only get the same page. The next page is asked for, read and routed
        while SQLite alone finishes this one (`_ask_and_route`): a catch-up's page of
        thousands of SMS takes some 100 ms to index and commit, and the store's thread
        holds no lock of the interpreter's meanwhile (beside the page's other statements,
        Python's work would stall them: docs/benchmarks.md). The next page is stored only
        after this one is, and dropped, never stored, if this one fails.
        """
        new = 0
        page = await self._ask(after_id, hours, hinted)
        routed: Routed | None = None  # the first page is routed when it is saved
        while True:
            log.debug(
                "polled SMSC (after_id=%s, hour=%d): %d items", after_id, hours, len(page.records)
            )
            cursor = page.next_cursor
            moved_on = cursor is not None and (after_id is None or cursor > after_id)
            more = page.more and moved_on
            finishing = asyncio.Event()  # set when SQLite alone finishes the page
            saving = asyncio.ensure_future(self._save(page, relay, finishing, routed))
            following: asyncio.Future[tuple[InboxPage, Routed | None]] | None = None
            try:
                if more:
                    await _first_of(saving, finishing)
                    if finishing.is_set():
                        following = asyncio.ensure_future(
                            self._ask_and_route(cursor, hours, hinted, relay)
                        )
                new += await saving
            except BaseException:
                saving.cancel()
                if following is not None:
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following
                raise
            if not more:
                return new
            after_id = cursor
            if following is None:
                page, routed = await self._ask(after_id, hours, hinted), None
            else:
                page, routed = await following

    async def _ask(self, after_id: int | None, hours: int, hinted: bool) -> InboxPage:
        """One inbox request, remembered (answered or not) for pacing the next ones."""
        try:
            return await self._inbox.fetch_after(after_id, hours=hours)
        finally:
            sent = SentRequest(time.monotonic(), hinted)
            self._requests.record(PollStart(after_id, hours).identity, sent)

    async def _ask_and_route(
        self, after_id: int | None, hours: int, hinted: bool, relay: bool
    ) -> tuple[InboxPage, Routed | None]:
        """The next page of a walk, and where each of its SMS goes, found while SQLite alone
        finishes the page before (its text index, its commit): routing, Python's work, runs
        beside that instead of after it (routing is a fifth of a catch-up's work). Its SMS
        are routed before the store says which are new: one already stored is routed for
        nothing (a re-read of the last hour), and stored nowhere twice. None: routed when
        saved, as without routes, where placing an SMS costs next to nothing."""
        page = await self._ask(after_id, hours, hinted)
        if not self._router.routes or not page.records:
            return page, None
        return page, await asyncio.to_thread(self._route_all, page.records, relay)

    async def _save(
        self, page: InboxPage, relay: bool, finishing: asyncio.Event, routed: Routed | None
    ) -> int:
        """Route the page's new SMS (unless `routed` says already where each goes), then
        store them; how many were stored. `finishing` is set when what is left of the
        page's transaction is SQLite's alone (`messages.save_incoming`'s `sqlite_alone`)."""
        for problem in page.problems:
            log.warning("SMSC reply: %s", problem)
        fresh = await self._store.call(messages.unseen, page.records) if page.records else []
        if not fresh:
            return 0
        if routed is None and self._router.routes:  # off the event loop: a pattern may
            routed = await asyncio.to_thread(self._route_all, fresh, relay)  # take its time
        elif routed is None:
            routed = self._route_all(fresh, relay)
        loop = asyncio.get_running_loop()
        saved = await self._store.call(
            messages.save_incoming,
            fresh,
            lambda sms: routed[sms.smsc_id][1],
            sqlite_alone=lambda: loop.call_soon_threadsafe(finishing.set),
        )
        self._report(fresh, routed, saved, relay)
        log_too_old(saved.too_old)  # RETENTION_DAYS: history too old to keep
        if saved.stored and relay:
            self._on_new_sms()
        return len(saved.stored)

    def _log_page(
        self,
        new: list[IncomingSms],
        routed: Routed,
        relay: bool,
    ) -> None:
        """One line for a page of many new SMS: how many, which IDs, by which route."""
        by_route = Counter(routed[sms.smsc_id][0].route or "no route" for sms in new)
        damaged = sum(sms.damaged for sms in new)
        log.info(
            "fetched %d SMS, IDs %d to %d%s%s%s",
            len(new),
            new[0].smsc_id,
            new[-1].smsc_id,
            f" ({damaged} with unreadable characters replaced)" if damaged else "",
            "" if relay else " (history, not relayed)",
            "; by route: " + ", ".join(f"{name} {n}" for name, n in by_route.most_common())
            if self._router.routes
            else "",
        )

    def _route_all(self, batch: Sequence[IncomingSms], relay: bool) -> Routed:
        """Where each SMS goes (the router never raises: a failure means unmatched). Of two
        records with one ID the first counts, as the store keeps the first."""
        routed: Routed = {}
        for sms in batch:
            if sms.smsc_id not in routed:
                routed[sms.smsc_id] = self._router.route(sms, relay)
        return routed

    def _report(
        self,
        batch: list[IncomingSms],
        routed: Routed,
        saved: Saved,
        relay: bool,
    ) -> None:
        """Log, count and tell what became of a page's new SMS."""
        stored = set(saved.stored)
        new = [sms for sms in batch if sms.smsc_id in stored]
        # A line per SMS while they come a few at a time; a catch-up of thousands gets
        # one line per page instead (a million lines would flood the journal), and each
        # SMS's line at DEBUG.
        each_level = logging.INFO if len(new) <= LINE_PER_SMS_UP_TO else logging.DEBUG
        if len(new) > LINE_PER_SMS_UP_TO:
            self._log_page(new, routed, relay)
        if log.isEnabledFor(each_level):
            for sms in new:
                log.log(
                    each_level,
                    "fetched SMS %d, %d characters%s%s%s",
                    sms.smsc_id,
                    len(sms.text),
                    " (unreadable characters replaced)" if sms.damaged else "",
                    "" if relay else " (history, not relayed)",
                    "; " + routed[sms.smsc_id][0].describe() if self._router.routes else "",
                )
                log.debug("SMS %d is from %s to %s", sms.smsc_id, sms.sender, sms.recipient)
        self._status.sms_fetched += len(stored)
        self._metrics.sms_fetched.inc(len(stored))
        self._metrics.sms_damaged.inc(sum(sms.damaged for sms in batch if sms.smsc_id in stored))
        for kept in saved.kept_aside:
            log.error(
                "SMS %d could not be stored (%s): kept aside in the kept_aside table; "
                "the SMS after it go on",
                kept.smsc_id,
                kept.kind,
            )
        if saved.kept_aside:
            self._metrics.sms_kept_aside.inc(len(saved.kept_aside))
            self._alerts.sms_kept_aside([kept.smsc_id for kept in saved.kept_aside])

"""Delivering stored SMS to Telegram chats, oldest first, one relay per target.

Each configured chat (or forum topic) has its own `ChatRelay`, so a chat that is
rate-limited, unreachable or gone never holds up the others. A step reads the queue,
asks `bot.relay.plan` what to send (one SMS or a backlog digest), writes it through
the chat's `ChatGateway` (which paces every write into that chat and follows a migrated
group), and books the outcome. A send is recorded in the store before it leaves
(SENDING) and after Telegram answered (SENT with the message ID); see `state.store` for
what a crash in between means.

After a failure the SMS stays queued: a 429 is waited out by the gateway (no request
before `retry_after`), network errors back off exponentially, and a chat that refuses for
good (bot removed, chat gone) has its queue marked failed with the reason.

A refusal of one message (too long, entities Telegram would not parse) is no refusal of
the chat: what is left of the message goes again at once as plain text in half-size parts
(`bot.text.formatting.plain_parts`), the SMS text whole, and the queue goes on. What the
message showed as plain text is what a later edit (who took it) builds on.

A route's `collapse` folds a repeat of an SMS just relayed into the message shown
(`bot.relay.repeats`): booked, counted, edited in; no new message.

Features take part through delivery hooks (`bot.relay.hooks`): room kept in the text,
markup on the message, rows written in the transaction that books it sent. The relay
names no feature; the application hands it the hooks its settings turn on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.database import AsyncStore
from bot.core.metrics import Metrics
from bot.core.telegram_errors import SendFailure, Verdict
from bot.relay.chats import Chats
from bot.relay.gateway import ChatGateway, WriteFailed
from bot.relay.hooks import DeliveryHook, Outgoing, Sent
from bot.relay.plan import (
    Plan,
    default_digest_threshold,
    head_size,
    in_backlog,
    plan_next,
)
from bot.relay.repeats import REPEAT_RESERVE, Repeats
from bot.routing.targets import ChatTarget
from bot.text.formatting import TEXT_LIMIT, escape, plain_parts
from bot.text.sms_view import Look
from state import Store, deliveries, messages, repeats

log = logging.getLogger(__name__)

IDLE_RECHECK = 15.0  # a relay with nothing to do looks at its queue this often anyway
UNEXPECTED_PAUSE = 10.0  # after an error no rule covers, before the relay tries again
BACKOFF_MAX = 30.0  # network errors: 1, 2, 4 ... seconds (plus jitter), at most this


def network_backoff(failures: int) -> float:
    """Seconds to wait after the `failures`-th network failure in a row."""
    return min(BACKOFF_MAX, 2.0 ** (failures - 1)) + random.uniform(0, 1)


class Step(Enum):
    SENT = "sent"
    IDLE = "idle"  # nothing queued (or stopping)
    RETRY = "retry"  # not sent; still queued
    REFUSED = "refused"  # the chat refused for good; its queue is marked failed
    GAVE_UP = "gave_up"  # this message refused in every form; its SMS failed, the chat goes on


@dataclass(frozen=True)
class Outcome:
    """What one step came to, and how long to pause before the next."""

    step: Step
    pause: float = 0.0


@dataclass(frozen=True)
class RelayOptions:
    """How every target's relay works: the same for all, decided once by the settings."""

    zone: ZoneInfo  # DISPLAY_TIMEZONE, for the times in a message
    digest_threshold: int | None = None  # RELAY_DIGEST_THRESHOLD; None: a chat's minute
    hide_codes: bool = False  # HIDE_CODES
    hooks: tuple[DeliveryHook, ...] = ()  # what the features turned on add to each message


class DeliveryEvents(Protocol):
    """Who hears that a chat refuses the bot for good, or takes messages again."""

    def chat_refused(self, key: str, name: str, reason: str) -> None: ...

    def chat_delivers(self, key: str) -> None: ...


class ChatRelay:
    """Sends one target's pending deliveries in order, forever, until `stop` is set."""

    def __init__(
        self,
        target: ChatTarget,
        gateway: ChatGateway,
        store: AsyncStore,
        options: RelayOptions,
        *,
        stop: asyncio.Event,
        metrics: Metrics,
        events: DeliveryEvents,
    ) -> None:
        self.target = target
        self.key = target.key
        self.wake = asyncio.Event()
        threshold = options.digest_threshold
        self.digest_threshold = (
            default_digest_threshold(target.chat_id) if threshold is None else threshold
        )
        self._gateway = gateway
        self._store = store
        self.options = options
        self._stop = stop
        self._metrics = metrics
        self._events = events
        self._backlog = False
        self._failures = 0  # network failures in a row, for the backoff
        self.repeats = Repeats(target, gateway, store, options.zone, options.hooks)

    async def run(self) -> None:
        self.repeats.show_counts()  # counts a crash kept from the chat
        try:
            await self._loop()
        finally:
            await self.repeats.stop()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            try:
                outcome = await self.step()
            except Exception as error:  # a bug or the disk: the relay must not end
                await self._recover_from(error)
                continue
            if outcome.step is Step.IDLE:
                await self._wait_for_work()
            elif outcome.pause > 0:
                await self._sleep(outcome.pause)

    async def step(self) -> Outcome:
        """Send the head of the queue (one SMS or a digest) and book what happened."""
        queued = await self._store.call(deliveries.count_pending, self.key)
        self._backlog = in_backlog(queued, self.digest_threshold, self._backlog)
        if queued == 0:
            return Outcome(Step.IDLE)
        head = await self._store.call(
            deliveries.pending, self.key, head_size(queued, self._backlog)
        )
        if not head:
            return Outcome(Step.IDLE)
        now = datetime.now(UTC)
        if await self.repeats.fold(head[0], now):
            return Outcome(Step.SENT)  # counted in a message shown: nothing to send
        several = await self._store.call(messages.receiving_numbers) > 1
        hide_codes = self.options.hide_codes
        look = Look(self.options.zone, now, several, hide_codes=hide_codes)
        limit = TEXT_LIMIT - sum(hook.reserve(self.target) for hook in self.options.hooks)
        if head[0].collapse is not None:
            limit -= REPEAT_RESERVE  # room for the count of repeats under it
        plan = plan_next(head, queued, self._backlog, look, limit)
        await self._sleep(self._gateway.wait_needed())
        if self._stop.is_set():
            return Outcome(Step.IDLE)
        return await self._deliver(plan)

    async def _deliver(self, plan: Plan) -> Outcome:
        await self._store.call(deliveries.mark_sending, self.key, plan.ids)
        silent = plan.silent_at(datetime.now(UTC), self.options.zone)
        leaving = Outgoing(self.target, tuple(plan.ids), plan.texts, silent=silent)
        for hook in self.options.hooks:
            leaving = await hook.leaving(leaving)
        texts, markup = list(leaving.texts), leaving.markup
        base = plan.texts[0]  # the first message as edits build on it (without hooks' text)
        sent_html = texts[0]  # the first message as it goes
        first_message_id: int | None = None
        html, done = True, 0
        while done < len(texts):
            try:
                message = await self._gateway.send_text(
                    texts[done],
                    topic_id=self.target.topic_id,
                    html=html,
                    markup=markup if first_message_id is None else None,  # on the first part
                    silent=leaving.silent,
                )
            except WriteFailed as failed:
                if failed.failure.verdict is not Verdict.MESSAGE_REFUSED:
                    return await self._book_failure(plan, failed.failure, done > 0)
                if not html:
                    return await self._give_up(plan, failed.failure)
                # This message, not the chat: the rest goes as plain text (the last resort).
                log.warning(
                    "chat %s refused the message with SMS %s as written (%s); sending it as "
                    "plain text",
                    self.key,
                    ",".join(map(str, plan.ids)),
                    failed.failure.reason,
                )
                texts, html = [*texts[:done], *plain_parts(plan.texts[done:])], False
                if done == 0:  # shown without what hooks added: a later edit adds that
                    base = sent_html = escape(texts[0])
                continue
            first_message_id = first_message_id or message.message_id
            done += 1
        assert first_message_id is not None
        at = datetime.now(UTC)
        sent = Sent(
            self.target,
            tuple(plan.ids),
            first_message_id,
            base,
            sent_html,
            markup,
            at,
            muted=leaving.muted,
        )
        await self._book_sent(plan, sent, parts=len(texts))
        await self._after_delivery(sent)
        return Outcome(Step.SENT)

    async def _book_sent(self, plan: Plan, sent: Sent, parts: int) -> None:
        first = plan.deliveries[0]
        repeats_fold_in = len(plan.deliveries) == 1 and parts == 1 and first.collapse is not None

        def with_it(store: Store) -> None:  # inside mark_sent's transaction
            for hook in self.options.hooks:
                hook.booked(store, sent)
            if repeats_fold_in:
                repeats.start_run(
                    store, self.key, sent.message_id, first.sms, sent.base_html, sent.at
                )

        await self._store.call(
            deliveries.mark_sent, self.key, plan.ids, sent.message_id, also=with_it
        )
        self._failures = 0
        self._events.chat_delivers(self.key)
        self._metrics.deliveries.labels(chat=self.key, outcome="sent").inc(len(plan.ids))
        for delivery in plan.deliveries:
            delay = sent.at - delivery.sms.fetched_at
            self._metrics.delivery_delay.observe(delay.total_seconds())
            log.info(
                "delivered SMS %d to chat %s as message %d",
                delivery.sms.smsc_id,
                self.key,
                sent.message_id,
            )

    async def _after_delivery(self, sent: Sent) -> None:
        """Each hook's catch-up. The SMS are delivered and booked whatever happens here:
        a failing hook is logged, never a reason to send them again."""
        for hook in self.options.hooks:
            try:
                await hook.delivered(sent)
            except Exception as error:
                log.error(
                    "chat %s: %s failed after message %d was delivered",
                    self.key,
                    type(hook).__name__,
                    sent.message_id,
                    exc_info=error,
                )

    async def _book_failure(self, plan: Plan, failure: SendFailure, partly_sent: bool) -> Outcome:
        ids = plan.ids
        listed = ",".join(map(str, ids))
        if failure.verdict is Verdict.CHAT_REFUSES:
            self._metrics.deliveries.labels(chat=self.key, outcome="failed").inc(len(ids))
            await self._store.call(deliveries.mark_failed, self.key, ids, failure.reason)
            dropped = await self._store.call(deliveries.fail_pending, self.key, failure.reason)
            log.error(
                "chat %s refused SMS %s for good (%s); %d more queued SMS marked failed too",
                self.key,
                listed,
                failure.reason,
                dropped,
            )
            name = self._gateway.title or self.key
            self._events.chat_refused(self.key, name, failure.reason)
            return Outcome(Step.REFUSED)
        maybe = failure.maybe_delivered or partly_sent
        outcome = "uncertain" if maybe else "retried"
        self._metrics.deliveries.labels(chat=self.key, outcome=outcome).inc(len(ids))
        await self._store.call(
            deliveries.release, self.key, ids, uncertain=maybe, error=failure.reason
        )
        if maybe:
            log.warning(
                "SMS %s to chat %s: %s; Telegram may have shown it, the retry may repeat it",
                listed,
                self.key,
                failure.reason,
            )
        pause = 0.0  # the gateway holds back the next write until retry_after has passed
        if failure.wait is None:
            self._failures += 1
            pause = network_backoff(self._failures)
        wait = max(pause, self._gateway.wait_needed())
        log.warning(
            "chat %s: SMS %s not sent: %s; retrying in %.1f s",
            self.key,
            listed,
            failure.reason,
            wait,
        )
        return Outcome(Step.RETRY, pause)

    async def _give_up(self, plan: Plan, failure: SendFailure) -> Outcome:
        """Telegram refused this message even as plain text: its SMS fail in this chat alone.

        No refusal known today survives plain text in half-size parts; should Telegram
        find one, these SMS wait for `retry-failed` and the chat's other SMS go on.
        """
        self._metrics.deliveries.labels(chat=self.key, outcome="failed").inc(len(plan.ids))
        await self._store.call(deliveries.mark_failed, self.key, plan.ids, failure.reason)
        log.error(
            "chat %s refused the message with SMS %s even as plain text (%s); marked failed "
            "in this chat, its other SMS go on",
            self.key,
            ",".join(map(str, plan.ids)),
            failure.reason,
        )
        return Outcome(Step.GAVE_UP)

    async def _recover_from(self, error: Exception) -> None:
        """Log loudly, put an unanswered send back in the queue, and pause before going on."""
        log.error(
            "chat %s: unexpected error, retrying in %.0f s",
            self.key,
            UNEXPECTED_PAUSE,
            exc_info=error,
        )
        try:
            requeued = await self._store.call(deliveries.recover_interrupted, self.key)
        except Exception as again:
            log.error("chat %s: could not requeue its send either: %r", self.key, again)
        else:
            if requeued:
                log.warning("chat %s: %d SMS requeued as possibly shown", self.key, requeued)
        await self._sleep(UNEXPECTED_PAUSE)

    async def _wait_for_work(self) -> None:
        waiters = [
            asyncio.ensure_future(self.wake.wait()),
            asyncio.ensure_future(self._stop.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=IDLE_RECHECK, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the bridge stops."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=seconds)


class Relay:
    """Every target's relay, started and stopped together."""

    def __init__(
        self,
        store: AsyncStore,
        chats: Chats,
        options: RelayOptions,
        *,
        metrics: Metrics,
        events: DeliveryEvents,
    ) -> None:
        self.stop = asyncio.Event()
        self.relays = [
            ChatRelay(
                target,
                chats.for_target(target),
                store,
                options,
                stop=self.stop,
                metrics=metrics,
                events=events,
            )
            for target in chats.targets
        ]

    def wake(self) -> None:
        """New SMS are queued: every relay looks at its queue now."""
        for relay in self.relays:
            relay.wake.set()

    async def run(self) -> None:
        await asyncio.gather(*(relay.run() for relay in self.relays))

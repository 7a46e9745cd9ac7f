"""Delivering stored SMS to Telegram chats, oldest first, one sender per chat.

Each configured chat (or forum topic) has its own `ChatSender`, so a chat that is
rate-limited, unreachable or gone never holds up the others. A send is recorded in the
store before it leaves (SENDING) and after Telegram answered (SENT with the message ID);
see `state.store` for what a crash in between means.

Limits: python-telegram-bot's AIORateLimiter keeps the bot under 30 messages a second and
20 a minute per group; each sender also spaces its own chat's messages a second apart
(Telegram's per-chat limit, which AIORateLimiter does not apply to private chats) and,
after a 429, waits the `retry_after` Telegram asked for before that chat sees another
request.

Backlogs: when a chat's queue holds more SMS than it can take one per message within a
minute (20 for a group, 60 for a private chat, or RELAY_DIGEST_THRESHOLD), consecutive SMS
are packed into digest messages of up to 4096 characters, each SMS whole with its sender
and time; each is still its own delivery, recorded sent with the digest's message ID.
Once in a backlog, a chat stays on digests until its queue is empty: sending the tail of
a backlog one SMS per message would spend the minute's budget that a digest saves. Live
traffic (a queue that never grew past the threshold) stays one message per SMS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ExtBot
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from bot.config import ChatTarget
from bot.database import StoreThread
from bot.formatting import (
    DIGEST_HEADER_RESERVE,
    ENTRY_SEPARATOR,
    digest_header,
    entry_atoms,
    pack_entries,
    render_sms,
)
from bot.metrics import Metrics
from bot.telegram_errors import SendFailure, Verdict, classify_send_error
from state import PendingDelivery

log = logging.getLogger(__name__)

SEND_SPACING = 1.0  # seconds between two messages to one chat
RETRY_AFTER_MARGIN = 0.05  # sleep timers may fire a hair early; never be early after a 429
IDLE_RECHECK = 15.0  # a sender with nothing to do looks at its queue this often anyway
UNEXPECTED_PAUSE = 10.0  # after an error no rule covers, before the sender tries again
DIGEST_HEAD = 200  # SMS considered for one digest message (far more than fit)
GROUP_PER_MINUTE = 20  # Telegram: messages a minute into one group
PRIVATE_PER_MINUTE = 60  # Telegram: about one message a second into one chat


def default_digest_threshold(chat_id: int) -> int:
    """Queue length above which a chat gets digests: what it can take in one minute."""
    return GROUP_PER_MINUTE if chat_id < 0 else PRIVATE_PER_MINUTE


class RetryLater(Exception):
    """A send did not go through but may later; carries what the classifier said."""

    def __init__(self, failure: SendFailure, ids: list[int]) -> None:
        super().__init__(failure.reason)
        self.failure = failure
        self.ids = ids


@dataclass
class ChatState:
    """What /status shows about one chat's sender, besides the store's counts."""

    target: ChatTarget
    chat_id: int
    last_error: str | None = None
    blocked_until: float = 0.0  # monotonic time before which nothing is sent to this chat


class ChatSender:
    """Sends one chat's pending deliveries in order, forever, until `stop` is set."""

    def __init__(
        self,
        target: ChatTarget,
        *,
        db: StoreThread,
        bot: ExtBot[Any],
        zone: ZoneInfo,
        stop: asyncio.Event,
        metrics: Metrics,
        digest_threshold: int | None = None,
        spacing: float = SEND_SPACING,
    ) -> None:
        self.target = target
        self.spacing = spacing
        self.draining_backlog = False
        self.digest_threshold = (
            default_digest_threshold(target.chat_id)
            if digest_threshold is None
            else digest_threshold
        )
        self.key = target.key
        self.state = ChatState(target, target.chat_id)
        self.wake = asyncio.Event()
        self._db = db
        self._bot = bot
        self._zone = zone
        self._stop = stop
        self._metrics = metrics
        self._network_wait = wait_exponential_jitter(multiplier=1, max=30, jitter=1)

    async def run(self) -> None:
        moved_to = await self._db.call(self._db.store.chat_id_for, self.key)
        if moved_to is not None:
            self.state.chat_id = moved_to
        while not self._stop.is_set():
            self.wake.clear()
            try:
                sent = await self._send_next_with_retries()
            except RetryLater:  # only when stopping in the middle of retries
                break
            except Exception as error:  # a bug or the disk: the sender must not end
                await self._recover_from(error)
                continue
            if not sent:
                await self._wait_for_work()

    async def _recover_from(self, error: Exception) -> None:
        """Log loudly, put an unanswered send back in the queue, and pause before going on."""
        log.error(
            "chat %s: unexpected error, retrying in %.0f s",
            self.key,
            UNEXPECTED_PAUSE,
            exc_info=error,
        )
        self.state.last_error = f"unexpected error: {error!r}"
        try:
            requeued = await self._db.call(self._db.store.recover_interrupted, self.key)
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

    async def _send_next_with_retries(self) -> bool:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(RetryLater),
            wait=self._retry_wait,
            stop=lambda _: self._stop.is_set(),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        ):
            with attempt:
                return await self._send_next()
        return False

    async def _send_next(self) -> bool:
        """Send the head of the queue; False when the queue is empty or we are stopping."""
        if self._stop.is_set():
            return False
        queued = await self._db.call(self._db.store.count_pending, self.key)
        if queued == 0:
            self.draining_backlog = False
            return False
        if queued > self.digest_threshold > 0:
            self.draining_backlog = True
        digest = self.draining_backlog and queued > 1
        head = await self._db.call(self._db.store.pending, self.key, DIGEST_HEAD if digest else 1)
        if not head:
            return False
        if digest:
            await self._deliver(*self._plan_digest(head, queued))
        else:
            await self._deliver(head, render_sms(head[0].sms, self._zone))
        return True

    def _plan_digest(
        self, head: list[PendingDelivery], queued: int
    ) -> tuple[list[PendingDelivery], list[str]]:
        """The first digest message of the backlog: as many whole SMS as fit, in order."""
        first = pack_entries(
            [entry_atoms(d.sms, self._zone) for d in head], reserve=DIGEST_HEADER_RESERVE
        )[0]
        members = [head[index] for index in first.entries]
        if len(members) == 1:  # one SMS filling a message alone: send it the usual way
            return members, render_sms(members[0].sms, self._zone)
        header = digest_header(
            members[0].sms, members[-1].sms, len(members), queued - len(members), self._zone
        )
        return members, [header + ENTRY_SEPARATOR + first.html]

    async def _deliver(self, head: list[PendingDelivery], texts: list[str]) -> None:
        ids = [delivery.sms.smsc_id for delivery in head]
        await self.wait_turn()
        if self._stop.is_set():
            return
        await self._db.call(self._db.store.mark_sending, self.key, ids)
        first_message_id: int | None = None
        try:
            for text in texts:
                await self.wait_turn()
                self.claim_turn()
                message = await self._bot.send_message(
                    chat_id=self.state.chat_id,
                    message_thread_id=self.target.topic_id,
                    text=text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
                first_message_id = first_message_id or message.message_id
        except Exception as error:
            await self._handle_failure(ids, classify_send_error(error), first_message_id)
            return
        assert first_message_id is not None
        await self._db.call(self._db.store.mark_sent, self.key, ids, first_message_id)
        self.state.last_error = None
        self._metrics.deliveries.labels(chat=self.key, outcome="sent").inc(len(ids))
        now = datetime.now(UTC)
        for delivery in head:
            self._metrics.delivery_delay.observe((now - delivery.sms.fetched_at).total_seconds())
            log.info(
                "delivered SMS %d to chat %s as message %d",
                delivery.sms.smsc_id,
                self.key,
                first_message_id,
            )

    async def _handle_failure(
        self, ids: list[int], failure: SendFailure, partly_sent: int | None
    ) -> None:
        store = self._db.store
        self.state.last_error = failure.reason
        if failure.verdict is Verdict.PERMANENT:
            self._metrics.deliveries.labels(chat=self.key, outcome="failed").inc(len(ids))
            await self._db.call(store.mark_failed, self.key, ids, failure.reason)
            dropped = await self._db.call(store.fail_pending, self.key, failure.reason)
            log.error(
                "chat %s refused SMS %s for good (%s); %d more queued SMS marked failed too",
                self.key,
                ",".join(map(str, ids)),
                failure.reason,
                dropped,
            )
            return
        maybe = failure.maybe_delivered or partly_sent is not None
        outcome = "uncertain" if maybe else "retried"
        self._metrics.deliveries.labels(chat=self.key, outcome=outcome).inc(len(ids))
        await self._db.call(store.release, self.key, ids, uncertain=maybe, error=failure.reason)
        if failure.verdict is Verdict.MIGRATED and failure.new_chat_id is not None:
            await self._db.call(store.record_chat_migration, self.key, failure.new_chat_id)
            log.warning(
                "chat %s moved to %d; sending there from now", self.key, failure.new_chat_id
            )
            self.state.chat_id = failure.new_chat_id
            return
        if failure.wait is not None:
            self.state.blocked_until = max(
                self.state.blocked_until, time.monotonic() + failure.wait + RETRY_AFTER_MARGIN
            )
        if maybe:
            log.warning(
                "SMS %s to chat %s: %s; Telegram may have shown it, the retry may repeat it",
                ",".join(map(str, ids)),
                self.key,
                failure.reason,
            )
        raise RetryLater(failure, ids)

    def _retry_wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryLater) and error.failure.wait is not None:
            return 0.0  # blocked_until holds the exact wait; wait_turn honours it
        return float(self._network_wait(state))

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        ids = ",".join(map(str, error.ids)) if isinstance(error, RetryLater) else "?"
        wait = max(state.upcoming_sleep, self.state.blocked_until - time.monotonic())
        log.warning("chat %s: SMS %s not sent: %s; retrying in %.1f s", self.key, ids, error, wait)

    def claim_turn(self) -> None:
        """A message goes to this chat now: the next one waits a spacing from now.

        Spacing counts from the start of a send: Telegram limits a chat's rate, and the
        time a send takes is part of the gap, not added to it.
        """
        self.state.blocked_until = max(self.state.blocked_until, time.monotonic() + self.spacing)

    async def wait_turn(self) -> None:
        """Sleep until this chat may receive the next message (spacing, retry_after)."""
        while not self._stop.is_set():
            delay = self.state.blocked_until - time.monotonic()
            if delay <= 0:
                return
            await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the bridge stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)


class Relay:
    """All chat senders, started and stopped together."""

    def __init__(
        self,
        *,
        db: StoreThread,
        bot: ExtBot[Any],
        targets: list[ChatTarget],
        zone: ZoneInfo,
        metrics: Metrics,
        digest_threshold: int | None = None,
        spacing: float = SEND_SPACING,
    ) -> None:
        self.stop = asyncio.Event()
        self.senders = [
            ChatSender(
                target,
                db=db,
                bot=bot,
                zone=zone,
                stop=self.stop,
                metrics=metrics,
                digest_threshold=digest_threshold,
                spacing=spacing,
            )
            for target in targets
        ]

    def wake(self) -> None:
        """New SMS are queued: every sender looks at its queue now."""
        for sender in self.senders:
            sender.wake.set()

    async def run(self) -> None:
        await asyncio.gather(*(sender.run() for sender in self.senders))

    async def take_turn(self, chat_id: int) -> None:
        """Wait until a chat may get a message that is not an SMS (a reply, a notice).

        The chat's senders know when it may next be written to: a second after their
        last message, or once a 429's retry_after has passed. A reply must not jump that.
        """
        senders = [s for s in self.senders if s.state.chat_id == chat_id]
        for sender in senders:
            await sender.wait_turn()
        for sender in senders:
            sender.claim_turn()

    async def notify(self, bot: ExtBot[Any], text: str) -> None:
        """Post a notice (not an SMS) to every chat; best effort, failures are logged."""
        for sender in self.senders:
            try:
                await self.take_turn(sender.state.chat_id)
                await bot.send_message(
                    chat_id=sender.state.chat_id,
                    message_thread_id=sender.target.topic_id,
                    text=text,
                    rate_limit_args=3,  # let AIORateLimiter wait out a 429 for notices
                )
            except Exception as error:
                log.error("could not post a notice to chat %s: %s", sender.key, error)

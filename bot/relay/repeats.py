"""Collapsed repeats: an SMS that repeats one just relayed is counted, not sent again.

With a route's `collapse = "10m"` (`bot.routing.collapse`), an SMS whose sender and text
match a message relayed into the same target less than ten minutes ago makes no new
message: its delivery is booked sent as that message (so history, presses and replies find
it there) and the run counts it (`state.repeats`), in one transaction. The message is then
edited to say so (`🔁 ×3, last 03:12`), through the chat's gateway, which paces edits
behind SMS; the count is read when the edit is made, so a burst of repeats costs one edit.
Which count the chat shows is stored, so an edit lost to a crash is made after the
restart. A repeat after the window, or after the earlier message's SMS was taken (the take
buttons' `ends_run`), starts a new message; so does one whose message can no longer be
edited (the run is closed).

Only a message that carries one SMS in one part starts a run: a digest or a long SMS in
parts has no single line to count under. In a backlog, a repeat folds only when it is at
the head of the queue; one packed into a digest is shown there as an entry.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.database import AsyncStore
from bot.core.telegram_errors import Verdict
from bot.relay.gateway import ChatGateway, WriteFailed
from bot.relay.hooks import DeliveryHook, Outgoing
from bot.routing.targets import ChatTarget
from bot.text.sms_view import Look, with_repeats
from state import PendingDelivery, Store, deliveries, repeats
from state.repeats import RepeatRun

log = logging.getLogger(__name__)

REPEAT_RESERVE = 60  # characters a message repeats may fold into keeps for the count line


class Repeats:
    """One target's collapsed repeats: folding each into its message, editing counts in."""

    def __init__(
        self,
        target: ChatTarget,
        gateway: ChatGateway,
        store: AsyncStore,
        zone: ZoneInfo,
        hooks: tuple[DeliveryHook, ...],
    ) -> None:
        self.target = target
        self._gateway = gateway
        self._store = store
        self._zone = zone
        self._hooks = hooks
        self._asked = False  # counts to show since the worker last looked
        self._worker: asyncio.Task[None] | None = None

    async def fold(self, delivery: PendingDelivery, now: datetime) -> bool:
        """Count `delivery` into the message shown for its SMS, if its route collapses
        repeats and a run is open for it; whether it did."""
        if delivery.collapse is None:
            return False
        since = now - timedelta(seconds=delivery.collapse)
        look = Look(self._zone, now)
        target, hooks, sms = self.target, self._hooks, delivery.sms

        def fold_in(store: Store) -> RepeatRun | None:  # on the store's thread: one at a time
            run = repeats.open_run(store, target.key, sms, since)
            if run is None:
                return None
            ids = tuple(deliveries.sms_in_message(store, [target.key], run.telegram_message_id))
            if any(hook.ends_run(store, target, ids) for hook in hooks):
                return None
            counted: list[RepeatRun] = []

            def with_it(store: Store) -> None:  # in the transaction booking the repeat
                now_counted = repeats.count_repeat(store, run, sms.received_at)
                html = with_repeats(run.html, now_counted.count, now_counted.last_at, look)
                for hook in hooks:
                    hook.recounted(store, target, run.telegram_message_id, html)
                counted.append(now_counted)

            deliveries.mark_sent(
                store, target.key, [sms.smsc_id], run.telegram_message_id, also=with_it
            )
            return counted[0]

        run = await self._store.call(fold_in)
        if run is None:
            return False
        log.info(
            "SMS %d to chat %s repeats SMS %d: counted in message %d (×%d)",
            sms.smsc_id,
            target.key,
            run.first_id,
            run.telegram_message_id,
            run.count,
        )
        self.show_counts()
        return True

    def show_counts(self) -> None:
        """Bring every message of this target whose count is behind up to date, in the
        background (one worker per target; asking while it works makes it look again)."""
        self._asked = True
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name=f"repeats {self.target.key}")

    async def stop(self) -> None:
        """End the worker; a count not yet shown is shown after the next start."""
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _work(self) -> None:
        while self._asked:
            self._asked = False
            try:
                behind = await self._store.call(repeats.runs_behind, self.target.key)
                for run in behind:
                    await self._show(run)
            except Exception as error:  # a bug or the disk: the next repeat asks again
                log.error(
                    "chat %s: showing counts of repeats failed", self.target.key, exc_info=error
                )

    async def _show(self, run: RepeatRun) -> None:
        key, message_id = self.target.key, run.telegram_message_id
        ids = tuple(await self._store.call(deliveries.sms_in_message, [key], message_id))
        html = with_repeats(run.html, run.count, run.last_at, Look(self._zone, datetime.now(UTC)))
        message = Outgoing(self.target, ids, (html,))
        for hook in self._hooks:
            message = await hook.reshowing(message, message_id)
        try:
            await self._gateway.edit_text(message_id, message.texts[0], markup=message.markup)
        except WriteFailed as failed:
            gone = failed.failure.verdict in (Verdict.MESSAGE_REFUSED, Verdict.CHAT_REFUSES)
            log.warning(
                "could not show ×%d in message %d in chat %s: %s%s",
                run.count,
                message_id,
                key,
                failed.failure.reason,
                "; the next repeat makes a new message" if gone else "; trying again later",
            )
            if gone:
                await self._store.call(repeats.mark_shown, key, message_id, run.count, close=True)
            return
        await self._store.call(repeats.mark_shown, key, message_id, run.count)

"""Take buttons on relayed messages: the on-call feature's delivery hook.

In a group, each relayed message keeps room for the "taken by" line, carries the take
button, and is filed (`shown`) in the transaction that books it sent, so a press can edit
it, after a restart too. Not in a private chat: there is no team to take an SMS there.

One SMS goes to several chats, each at its own pace: a press in the first chat can come
before a slower chat has the message. So a message leaves showing who holds its SMS at
that moment, and once it is booked, it is compared with how it should read now: a press
made while it was on its way, which found no booked message to edit, is caught up with.

A message that repeats fold into (a route's `collapse`) takes none once one of its SMS is
taken: the next repeat is news for whoever took it, and gets its own message and button.
Its new text is filed in the repeat's booking, so a press keeps the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.core.database import AsyncStore
from bot.features.oncall.buttons import TAKE_RESERVE, message_after_press
from bot.features.oncall.edits import EditQueue
from bot.relay.hooks import DeliveryHook, Outgoing, Sent
from bot.routing.targets import ChatTarget
from state import Store, oncall


class TakeButtons(DeliveryHook):
    """Room for who took it, the button, the message filed, a press on the way caught up."""

    def __init__(self, store: AsyncStore, zone: ZoneInfo, edits: EditQueue) -> None:
        self._store = store
        self._zone = zone
        self._edits = edits

    def reserve(self, target: ChatTarget) -> int:
        return TAKE_RESERVE if target.in_group else 0

    async def leaving(self, message: Outgoing) -> Outgoing:
        """Taken already (in a chat it reached first): it leaves showing who has it.
        Muted (a silence, `/mute`): no button."""
        if not message.target.in_group or message.muted:
            return message
        first, markup = await self._as_it_reads_now(message.texts[0], message.ids)
        return replace(message, texts=(first, *message.texts[1:]), markup=markup)

    def booked(self, store: Store, sent: Sent) -> None:
        if sent.target.in_group and not sent.muted:
            oncall.file_shown(store, sent.target.key, sent.message_id, sent.base_html)

    async def delivered(self, sent: Sent) -> None:
        """Edit the message just booked if it no longer reads as its SMS' takes say.

        A press edits only the messages booked sent; this one was booked after any press
        made while it was on its way, so it may show who held its SMS when it left."""
        if not sent.target.in_group or sent.muted:
            return
        should_read = await self._as_it_reads_now(sent.base_html, sent.ids)
        if should_read == (sent.sent_html, sent.markup):
            return
        showing = await self._store.call(oncall.messages_showing, sent.ids)
        here = (sent.target.key, sent.message_id)
        self._edits.refresh(m for m in showing if (m.chat, m.telegram_message_id) == here)

    def ends_run(self, store: Store, target: ChatTarget, ids: tuple[int, ...]) -> bool:
        return bool(oncall.takes_of(store, ids))

    def recounted(
        self, store: Store, target: ChatTarget, telegram_message_id: int, base_html: str
    ) -> None:
        oncall.refile_shown(store, target.key, telegram_message_id, base_html)

    async def reshowing(self, message: Outgoing, telegram_message_id: int) -> Outgoing:
        """The button again, and who took what, on a message that left with a button."""
        key = message.target.key
        if not await self._store.call(oncall.has_button, key, telegram_message_id):
            return message
        first, markup = await self._as_it_reads_now(message.texts[0], message.ids)
        return replace(message, texts=(first, *message.texts[1:]), markup=markup)

    async def _as_it_reads_now(
        self, html: str, ids: Sequence[int]
    ) -> tuple[str, InlineKeyboardMarkup]:
        takes = await self._store.call(oncall.takes_of, ids)
        return message_after_press(html, takes, ids, self._zone, datetime.now(UTC))

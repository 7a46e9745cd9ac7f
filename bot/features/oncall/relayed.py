"""A relayed message's button as it leaves: the SMS may be taken before it gets there.

One SMS goes to several chats, each at its own pace: a press in the first chat can come
before a slower chat has it. So a message is built showing who holds its SMS when it
leaves (taken, with the release button), and a press made while it was on its way, which
found no message to edit, is caught up with once Telegram has answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.core.database import AsyncStore
from bot.features.oncall.buttons import message_after_press
from bot.features.oncall.edits import EditQueue
from state import oncall
from state.oncall import Take


async def as_it_leaves(
    store: AsyncStore, zone: ZoneInfo, texts: Sequence[str], ids: Sequence[int]
) -> tuple[list[str], InlineKeyboardMarkup, dict[int, Take]]:
    """The message's parts (the first says who took its SMS, if anyone has), its button,
    and the takes it shows."""
    takes = await store.call(oncall.takes_of, ids)
    first, markup = message_after_press(texts[0], takes, ids, zone, datetime.now(UTC))
    return [first, *texts[1:]], markup, takes


async def catch_up(
    store: AsyncStore,
    edits: EditQueue,
    chat: str,
    message_id: int,
    ids: Sequence[int],
    shown: dict[int, Take],
) -> None:
    """Edit a message just booked sent if its SMS were taken or released meanwhile.

    A press edits only the messages booked sent; this one was booked after the press, so
    it shows who held its SMS when it left, not since.
    """
    if await store.call(oncall.takes_of, ids) == shown:
        return
    showing = await store.call(oncall.messages_showing, ids)
    edits.refresh(m for m in showing if (m.chat, m.telegram_message_id) == (chat, message_id))

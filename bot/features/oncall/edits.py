"""Bringing every message that shows a taken SMS up to date, paced with the chat's writes.

One SMS may have gone to several chats, and a digest carries many SMS: a press changes
every message showing them. Edits are queued per chat and sent one at a time through the
chat's gateway, which gives them at most a third of a busy chat's budget (SMS first).
Presses that arrive while a message waits for its edit fold into one: the edit reads who
holds what when it is made, so a burst of presses on one message costs one edit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.database import AsyncStore
from bot.core.metrics import Metrics
from bot.features.oncall.buttons import message_after_press
from bot.relay.chats import Chats
from bot.relay.gateway import WriteFailed
from state import oncall
from state.oncall import ShownMessage

log = logging.getLogger(__name__)


class EditQueue:
    """Edits waiting per chat; one worker per chat while it has any."""

    def __init__(self, store: AsyncStore, chats: Chats, zone: ZoneInfo, metrics: Metrics) -> None:
        self._store = store
        self._chats = chats
        self._zone = zone
        self._metrics = metrics
        # per target key: Telegram message ID -> (the message, when it was first asked for)
        self._waiting: dict[str, dict[int, tuple[ShownMessage, float]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    def refresh(self, messages: Iterable[ShownMessage]) -> None:
        """These messages must show who holds their SMS now."""
        asked = time.monotonic()
        for message in messages:
            waiting = self._waiting.setdefault(message.chat, {})
            _, since = waiting.get(message.telegram_message_id, (message, asked))
            waiting[message.telegram_message_id] = (message, since)
            if message.chat not in self._workers:
                worker = asyncio.create_task(self._work(message.chat), name="edits")
                self._workers[message.chat] = worker

    async def _work(self, chat: str) -> None:
        try:
            waiting = self._waiting[chat]
            while waiting:
                telegram_message_id = next(iter(waiting))
                message, since = waiting.pop(telegram_message_id)
                await self._edit(message)
                self._metrics.press_to_edit.observe(time.monotonic() - since)
        finally:
            del self._workers[chat]

    async def _edit(self, message: ShownMessage) -> None:
        target = self._chats.target(message.chat)
        if target is None:  # a chat no longer configured keeps its last state
            return
        takes = await self._store.call(oncall.takes_of, message.smsc_ids)
        now = datetime.now(UTC)
        text, markup = message_after_press(message.html, takes, message.smsc_ids, self._zone, now)
        try:
            await self._chats.for_target(target).edit_text(
                message.telegram_message_id, text, markup=markup
            )
        except WriteFailed as failed:
            log.warning(
                "could not update message %d in chat %s after a press: %s",
                message.telegram_message_id,
                message.chat,
                failed,
            )
        except Exception as error:  # a bug must not end the queue for this chat
            log.error("updating message %d failed", message.telegram_message_id, exc_info=error)

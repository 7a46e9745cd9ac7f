"""The chats the bridge writes to: relay targets, and one gateway per Telegram chat.

A target is where SMS go: a chat, or a forum topic in it. Several targets may share a
chat, and so its gateway, because the flood limit is the chat's, not the topic's. A chat
that is not a target (a private chat with an allowed user, a stranger trying a command)
gets a gateway the first time the bot answers there, so its answers are paced too.

Where a configured group moved when it became a supergroup is kept in the store, so that
a restart writes to the new ID at once and commands from there count as configured.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import ExtBot

from bot.core.database import AsyncStore
from bot.relay.chat_pace import GROUP_WINDOW, SEND_SPACING
from bot.relay.gateway import ChatGateway, WriteFailed
from bot.routing.targets import ChatTarget
from state import deliveries

log = logging.getLogger(__name__)

MAX_OTHER_CHATS = 1000  # gateways kept for chats that are not targets; oldest dropped


class Chats:
    """Relay targets and the gateway of every chat the bot writes to."""

    def __init__(
        self,
        targets: list[ChatTarget],
        bot: ExtBot[Any],
        store: AsyncStore,
        *,
        spacing: float = SEND_SPACING,
        group_window: tuple[int, float] = GROUP_WINDOW,
    ) -> None:
        self.targets = targets
        self._bot = bot
        self._store = store
        self._spacing = spacing
        self._group_window = group_window
        self._configured: dict[int, ChatGateway] = {}
        for target in targets:
            if target.chat_id not in self._configured:
                self._configured[target.chat_id] = self._new_gateway(target.chat_id)
        self._others: dict[int, ChatGateway] = {}

    def _new_gateway(self, chat_id: int) -> ChatGateway:
        return ChatGateway(
            chat_id,
            self._bot,
            spacing=self._spacing,
            group_window=self._group_window,
            on_migrated=self._remember,
        )

    async def _remember(self, configured: int, moved_to: int) -> None:
        log.warning("chat %d moved to %d; writing there from now", configured, moved_to)
        if configured in self._configured:
            await self._store.call(deliveries.record_chat_migration, str(configured), moved_to)

    async def load_migrations(self) -> None:
        """Point each configured chat's gateway at the ID it moved to, if it moved."""
        for chat_id, gateway in self._configured.items():
            moved_to = await self._store.call(deliveries.chat_id_for, str(chat_id))
            if moved_to is not None:
                gateway.chat_id = moved_to

    async def load_titles(self) -> None:
        """Ask Telegram each configured chat's name, for /status and notices; best effort."""
        for gateway in self._configured.values():
            try:
                chat = await self._bot.get_chat(gateway.chat_id)
            except Exception as error:  # a name is a nicety: the ID stands in for it
                log.info("could not read the name of chat %d: %r", gateway.chat_id, error)
                continue
            gateway.title = chat.title or chat.username or chat.first_name

    def target(self, key: str) -> ChatTarget | None:
        """The target with this key (`CHAT` or `CHAT:TOPIC`), if it is configured."""
        return next((t for t in self.targets if t.key == key), None)

    def keys_of(self, gateway: ChatGateway) -> list[str]:
        """The keys of the targets in a configured chat (the chat, and any of its topics)."""
        return [t.key for t in self.targets if t.chat_id == gateway.configured_id]

    def for_target(self, target: ChatTarget) -> ChatGateway:
        return self._configured[target.chat_id]

    def key_of(self, chat_id: int) -> str:
        """How the store names a chat: a configured chat by the ID it was configured with,
        also after a move to a supergroup; any other chat by its own ID."""
        gateway = self.configured(chat_id)
        return str(chat_id if gateway is None else gateway.configured_id)

    def configured(self, chat_id: int) -> ChatGateway | None:
        """The gateway of a configured chat that `chat_id` is (before or after a move)."""
        return next((g for g in self._configured.values() if g.answers_to(chat_id)), None)

    def gateway(self, chat_id: int) -> ChatGateway:
        """The gateway for writing into any chat; made on first use for other chats."""
        found = self.configured(chat_id) or self._others.get(chat_id)
        if found is not None:
            return found
        if len(self._others) >= MAX_OTHER_CHATS:
            del self._others[next(iter(self._others))]
        self._others[chat_id] = made = self._new_gateway(chat_id)
        return made

    async def broadcast(
        self, text: str, *, reply_to: dict[str, int] | None = None, skip: str | None = None
    ) -> dict[str, int]:
        """Post a notice (HTML, not an SMS) to every target but `skip`; best effort.

        `reply_to` names, by target key, a message to quote (the alert a recovery answers).
        Returns the ID of the notice in each target it reached.
        """
        posted: dict[str, int] = {}
        for target in self.targets:
            if target.key == skip:
                continue
            try:
                message = await self.for_target(target).send_text(
                    text,
                    topic_id=target.topic_id,
                    reply_to=(reply_to or {}).get(target.key),
                    retry=True,
                )
            except WriteFailed as error:
                log.error("could not post a notice to chat %s: %s", target.key, error)
            else:
                posted[target.key] = message.message_id
        return posted

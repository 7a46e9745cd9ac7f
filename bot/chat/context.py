"""What the command handlers need from the running bridge, kept in `bot_data`.

The chat layer's own needs (the store, the chats, who may ask, how to show things) and
the registries it routes by: the commands, the button kinds, the reply handlers and the
running features. It names no feature: a feature's handler finds its running part with
`feature(TheClass)`, which is None while the settings leave it off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar, assert_never
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.button_kinds import ButtonKinds
from bot.chat.commands.registry import Access, ChatCommand
from bot.chat.feature import Feature, ReplyHandler
from bot.chat.prompts import Prompts
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor
from bot.core.logs import Redactor
from bot.core.metrics import Metrics
from bot.relay.chats import Chats
from state.phones import DEFAULT_REGION

BOT_DATA_KEY = "bridge"
UPLOAD_LIMIT = 50_000_000  # bytes: Telegram's limit for a file a bot sends
NOBODY = "none"  # a visibility no SMS has: what a chat outside the configuration sees

F = TypeVar("F", bound=Feature)


@dataclass
class BridgeContext:
    store: AsyncStore
    chats: Chats
    allowed_user_ids: set[int]
    zone: ZoneInfo
    health: HealthMonitor
    redactor: Redactor
    metrics: Metrics
    hide_codes: bool = False  # HIDE_CODES: codes in answers hidden until tapped
    retention_days: int = 0  # RETENTION_DAYS, for /status
    routed: bool = False  # ROUTES_FILE is set: a group's history is what was routed to it
    phone_region: str = DEFAULT_REGION  # PHONE_REGION: how typed numbers are read
    upload_limit: int = UPLOAD_LIMIT  # /export's largest file (tests make it small)
    commands: Sequence[ChatCommand] = ()
    buttons: ButtonKinds = field(default_factory=ButtonKinds)
    reply_handlers: Sequence[ReplyHandler] = ()  # offered a reply to the bot, in turn
    features: Sequence[Feature] = ()  # the running ones
    prompts: Prompts = field(default_factory=Prompts)

    def feature(self, kind: type[F]) -> F | None:
        """The running feature of this class, or None while the settings leave it off."""
        return next((f for f in self.features if isinstance(f, kind)), None)

    def running(self, name: str) -> bool:
        """Whether the feature of this name is on: for the chat layer, which names none by
        class (`/help` says "tap Take" only where take buttons are)."""
        return any(f.name == name for f in self.features)

    def may_use(self, access: Access, chat_id: int, chat_type: str, user_id: int | None) -> bool:
        """Whether a user in a chat may use a command with this `access`."""
        if access is Access.MEMBERS:
            return self.is_member(chat_id, chat_type, user_id)
        assert_never(access)

    def is_member(self, chat_id: int, chat_type: str, user_id: int | None) -> bool:
        """Configured chats (also after a move to a supergroup), and allowed users in private."""
        if self.chats.configured(chat_id) is not None:
            return True
        return chat_type == "private" and user_id in self.allowed_user_ids

    def visible_to(self, update: Update) -> str | None:
        """Whose history the asker sees: None for every SMS, else a configured chat's ID.

        Without routes every chat sees everything (and the queries stay as they were).
        With routes an allowed user in a private chat sees every SMS, dropped ones too,
        and a configured chat only the SMS routed to it, looked up by the ID it was
        configured with, also after it moved to a supergroup. Anyone else sees nothing.
        """
        chat, user = update.effective_chat, update.effective_user
        private = chat is not None and chat.type == "private"
        if not self.routed or (private and user is not None and user.id in self.allowed_user_ids):
            return None
        gateway = self.chats.configured(chat.id) if chat is not None else None
        return NOBODY if gateway is None else str(gateway.configured_id)


def bridge_of(context: ContextTypes.DEFAULT_TYPE) -> BridgeContext:
    bridge = context.bot_data[BOT_DATA_KEY]
    assert isinstance(bridge, BridgeContext)
    return bridge

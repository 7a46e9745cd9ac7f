"""What the command handlers need from the running bridge, kept in `bot_data`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never
from zoneinfo import ZoneInfo

from telegram.ext import ContextTypes

from bot.chats import Chats
from bot.commands.registry import Access, ChatCommand
from bot.database import AsyncStore
from bot.health import HealthMonitor
from bot.logs import Redactor
from bot.metrics import Metrics
from bot.oncall.team import OnCall

BOT_DATA_KEY = "bridge"


@dataclass
class BridgeContext:
    store: AsyncStore
    chats: Chats
    allowed_user_ids: set[int]
    zone: ZoneInfo
    health: HealthMonitor
    redactor: Redactor
    metrics: Metrics
    oncall: OnCall | None = None  # None when ONCALL_BUTTONS is off
    escalate_after: float = 0
    hide_codes: bool = False  # HIDE_CODES: codes in answers hidden until tapped
    retention_days: int = 0  # RETENTION_DAYS, for /status
    commands: list[ChatCommand] = field(default_factory=list)

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


def bridge_of(context: ContextTypes.DEFAULT_TYPE) -> BridgeContext:
    bridge = context.bot_data[BOT_DATA_KEY]
    assert isinstance(bridge, BridgeContext)
    return bridge

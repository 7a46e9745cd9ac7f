"""The running reminders feature: on when ESCALATE_AFTER is set (it needs the take buttons).

It hands the relay one delivery hook (`ReminderQueue`: each SMS relayed into a group falls
due ESCALATE_AFTER later, booked with its delivery). Its one task looks for reminders that
fell due; it writes into chats, so it starts once Telegram answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.chat.feature import CoreParts, Feature, Task
from bot.features.reminders.queue import ReminderQueue
from bot.features.reminders.reminders import Reminders
from bot.relay.hooks import DeliveryHook


class RemindersSettings(Protocol):
    """The settings the reminders read."""

    @property
    def escalate_after(self) -> float: ...
    @property
    def display_zone(self) -> ZoneInfo: ...
    @property
    def hide_codes(self) -> bool: ...


@dataclass
class RemindersFeature(Feature):
    """Reminders as the lifecycle runs them: one task, nothing in the chat of its own."""

    reminders: Reminders
    queue: ReminderQueue
    name: str = "reminders"

    def delivery_hooks(self) -> Sequence[DeliveryHook]:
        return [self.queue]

    def tasks(self) -> Sequence[Task]:
        return [Task("reminders", self.reminders.run, with_telegram=True)]


def build(settings: RemindersSettings, core: CoreParts) -> RemindersFeature | None:
    if not settings.escalate_after:
        return None
    reminders = Reminders(
        core.store,
        core.chats,
        settings.display_zone,
        settings.escalate_after,
        hide_codes=settings.hide_codes,
    )
    return RemindersFeature(reminders, ReminderQueue(settings.escalate_after))

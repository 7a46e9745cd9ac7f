"""The running retention feature: on when RETENTION_DAYS is set.

Its one task purges at start and then daily, beside polling: it writes into no chat, so
it starts with the poller, whether Telegram answers or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.chat.feature import CoreParts, Feature, Task
from bot.features.retention.purging import Retention


class RetentionSettings(Protocol):
    """The settings retention reads."""

    @property
    def retention_days(self) -> int: ...


@dataclass
class RetentionFeature(Feature):
    """The purge as the lifecycle runs it: one task beside polling, nothing else."""

    retention: Retention
    name: str = "retention"

    def tasks(self) -> Sequence[Task]:
        return [Task("retention", self.retention.run)]


def build(settings: RetentionSettings, core: CoreParts) -> RetentionFeature | None:
    if not settings.retention_days:
        return None
    return RetentionFeature(Retention(core.store, settings.retention_days))

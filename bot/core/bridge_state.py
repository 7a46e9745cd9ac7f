"""What the running bridge knows about itself, for /status, alerts and the health check.

This is process memory, not the database: uptime, the last poll and its outcome. What
must survive a restart (SMS, deliveries) lives in the store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.inbox import UNEXPECTED
from bot.text.i18n import Phrase


@dataclass
class PollError:
    at: datetime
    message: str  # for the log: may quote what SMSC (or a proxy) answered
    said: Phrase = field(default_factory=lambda: UNEXPECTED)  # for people: `said_of`


@dataclass
class BridgeStatus:
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_poll_ok_at: datetime | None = None
    last_error: PollError | None = None
    failing_since: datetime | None = None  # start of the current run of failed polls
    sms_fetched: int = 0
    telegram_connected: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def telegram_ready(self) -> bool:
        return self.telegram_connected.is_set()

    def poll_succeeded(self, at: datetime | None = None) -> None:
        self.last_poll_ok_at = at or datetime.now(UTC)
        self.failing_since = None

    def poll_failed(
        self, message: str, said: Phrase = UNEXPECTED, at: datetime | None = None
    ) -> None:
        moment = at or datetime.now(UTC)
        self.last_error = PollError(moment, message, said)
        if self.failing_since is None:
            self.failing_since = moment

    def failing_for(self, now: datetime | None = None) -> float:
        """Seconds since polling last worked, counted from the first failure (0 if fine)."""
        if self.failing_since is None:
            return 0.0
        return ((now or datetime.now(UTC)) - self.failing_since).total_seconds()

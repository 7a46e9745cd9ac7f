"""The running heartbeat feature: on when HEARTBEAT_URL is set.

Its one task starts with the poller, not with Telegram: the monitor behind the URL must
hear from a bridge that polls SMSC even while Telegram is down (the relay's own alerts
cover that), and must stop hearing from it when polling stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.chat.feature import CoreParts, Feature, Task
from bot.features.heartbeat.beat import Heartbeat
from bot.text.clock import moment_in_zone
from bot.text.formatting import escape
from bot.text.i18n import _


class HeartbeatSettings(Protocol):
    """The settings the heartbeat reads."""

    @property
    def heartbeat_url(self) -> SecretStr | None: ...

    @property
    def display_zone(self) -> ZoneInfo: ...


@dataclass
class HeartbeatFeature(Feature):
    """The heartbeat as the lifecycle runs it: one task, one line in /status."""

    heartbeat: Heartbeat
    zone: ZoneInfo
    name: str = "heartbeat"

    def tasks(self) -> Sequence[Task]:
        return [Task("heartbeat", self.heartbeat.run)]

    async def status_lines(self) -> list[str]:
        beat = self.heartbeat
        line = heartbeat_line(
            beat.last_ok, beat.failing_since, beat.failure, self.zone, datetime.now(UTC)
        )
        return [escape(line)]

    async def stop(self) -> None:
        await self.heartbeat.aclose()


def heartbeat_line(
    last_ok: datetime | None,
    failing_since: datetime | None,
    failure: str | None,
    zone: ZoneInfo,
    now: datetime,
) -> str:
    """/status's line: when the monitor last heard from the bridge, or since when it fails."""
    if failing_since is not None:
        failing = _("⚠️ Heartbeat failing since {time} ({why}): the monitor will raise its alarm")
        return failing.format(time=moment_in_zone(failing_since, zone, now), why=failure)
    if last_ok is None:
        return _("Heartbeat: none sent yet (one goes after the first successful SMSC check)")
    return _("Heartbeat last sent {time}").format(time=moment_in_zone(last_ok, zone, now))


def build(settings: HeartbeatSettings, core: CoreParts) -> HeartbeatFeature | None:
    if settings.heartbeat_url is None:
        return None
    heartbeat = Heartbeat(settings.heartbeat_url.get_secret_value(), core.status)
    return HeartbeatFeature(heartbeat, settings.display_zone)

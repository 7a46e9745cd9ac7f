"""The running heartbeat: on when HEARTBEAT_URL is set.

One task beside the poller (it writes into no chat, so it starts with the poller, whether
Telegram answers or not), a line in /status, and its HTTP client closed at shutdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.chat.feature import CoreParts, Feature, Task
from bot.features.heartbeat.beat import Clock, Heartbeat, Receiver, wall_clock
from bot.text.clock import moment_in_zone
from bot.text.durations import short_duration
from bot.text.formatting import escape
from bot.text.i18n import _


class HeartbeatSettings(Protocol):
    """The settings the heartbeat reads."""

    @property
    def heartbeat_url(self) -> SecretStr | None: ...
    @property
    def heartbeat_interval(self) -> float: ...
    @property
    def display_zone(self) -> ZoneInfo: ...


@dataclass
class HeartbeatFeature(Feature):
    """The heartbeat as the lifecycle runs it: one task, one /status line."""

    heartbeat: Heartbeat
    receiver: Receiver
    zone: ZoneInfo
    clock: Clock = wall_clock
    name: str = "heartbeat"

    def tasks(self) -> Sequence[Task]:
        return [Task("heartbeat", self.heartbeat.run)]

    async def status_lines(self) -> list[str]:
        return [escape(status_line(self.heartbeat, self.zone, self.clock()))]

    async def stop(self) -> None:
        await self.receiver.aclose()


def status_line(heartbeat: Heartbeat, zone: ZoneInfo, now: datetime) -> str:
    """When the last heartbeat went out, or why none goes out now."""

    def ago(moment: datetime) -> str:
        return _("{moment}, {ago} ago").format(
            moment=moment_in_zone(moment, zone, now),
            ago=short_duration((now - moment).total_seconds()),
        )

    if heartbeat.failing_since is not None and heartbeat.failure is not None:
        return _("⚠️ Heartbeat failing since {when}: {reason}").format(
            when=ago(heartbeat.failing_since), reason=heartbeat.failure
        )
    if heartbeat.polling_fails:
        held = _("⚠️ Heartbeat held back while SMSC polling fails")
        if heartbeat.sent_at is None:
            return held
        return held + "; " + _("last sent {when}").format(when=ago(heartbeat.sent_at))
    if heartbeat.sent_at is None:
        return _("Heartbeat: none sent yet; the first goes after a successful SMSC poll")
    return _("Heartbeat: last sent {when}").format(when=ago(heartbeat.sent_at))


def build(settings: HeartbeatSettings, core: CoreParts) -> HeartbeatFeature | None:
    if settings.heartbeat_url is None:
        return None
    url = settings.heartbeat_url.get_secret_value()
    receiver = Receiver(url)
    heartbeat = Heartbeat(
        core.status,
        receiver.ping,
        host=urlsplit(url).hostname or "?",
        every=timedelta(seconds=settings.heartbeat_interval),
    )
    return HeartbeatFeature(heartbeat, receiver, settings.display_zone)

"""The running on-call feature: who may press, where the edits after a press queue, and
the take buttons on relayed messages.

On when ONCALL_BUTTONS is (the default). It hands the relay one delivery hook
(`TakeButtons`: room for who took it, the button, the message filed). Its tasks are none
of its own: the edits a press asks for run in the chats' gateways, one worker per chat
while it has any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

import httpx

from bot.chat.feature import CoreParts, Feature, Task
from bot.features.oncall.calendars import FETCH_TIMEOUT
from bot.features.oncall.delivery import TakeButtons
from bot.features.oncall.duty import (
    SYSTEM_WALL_CLOCK,
    CalendarRefresh,
    DutyRoster,
    Handovers,
)
from bot.features.oncall.edits import EditQueue
from bot.features.oncall.rosters import keep_roster
from bot.features.oncall.team import CalendarSource, Team
from bot.relay.hooks import DeliveryHook


class OnCallSettings(Protocol):
    """The settings the on-call feature reads."""

    @property
    def oncall_buttons(self) -> bool: ...
    @property
    def oncall_user_ids(self) -> list[int]: ...
    @property
    def display_zone(self) -> ZoneInfo: ...
    @property
    def team(self) -> Team | None: ...
    @property
    def team_calendar_refresh(self) -> float: ...


@dataclass
class OnCall(Feature):
    """What a press needs of the running feature: who may press, and the edit queue."""

    edits: EditQueue
    buttons: TakeButtons
    roster: DutyRoster  # who is on duty, whom to call
    user_ids: set[int] = field(default_factory=set)  # ONCALL_USER_IDS; empty: every member
    team: Team | None = None  # TEAM_FILE's, or None
    handovers: Handovers | None = None  # with schedules: the line at each handover
    refresh: CalendarRefresh | None = None  # with calendars: reading them again
    client: httpx.AsyncClient | None = None  # with calendar URLs
    name: str = "oncall"

    def tasks(self) -> Sequence[Task]:
        found = []
        if self.refresh is not None:
            found.append(Task("duty calendars", self.refresh.run))
        if self.handovers is not None:
            found.append(Task("duty handovers", self.handovers.run, with_telegram=True))
        return found

    async def status_lines(self) -> list[str]:
        return [line for feed in self.roster.feeds.values() for line in feed.status_lines()]

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    def may_press(self, user_id: int) -> bool:
        return not self.user_ids or user_id in self.user_ids

    def delivery_hooks(self) -> Sequence[DeliveryHook]:
        return [self.buttons]


def build(settings: OnCallSettings, core: CoreParts) -> OnCall | None:
    """The take buttons' side, when ONCALL_BUTTONS is on."""
    if not settings.oncall_buttons:
        return None
    edits = EditQueue(core.store, core.chats, settings.display_zone, core.metrics)
    buttons = TakeButtons(core.store, settings.display_zone, edits)
    team = settings.team
    urls = team is not None and any(
        isinstance(s, CalendarSource) and s.is_url for s in team.schedules.values()
    )
    client = httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=False) if urls else None
    roster = DutyRoster(team, core.store, settings.display_zone, client)
    keep_roster(core.store, roster)  # the calls ask this one whom to call
    handovers = refresh = None
    if team is not None and team.schedules:
        handovers = Handovers(roster, core.chats, SYSTEM_WALL_CLOCK)
    if roster.feeds:
        feeds = list(roster.feeds.values())
        refresh = CalendarRefresh(feeds, settings.team_calendar_refresh, SYSTEM_WALL_CLOCK)
    user_ids = set(settings.oncall_user_ids)
    return OnCall(edits, buttons, roster, user_ids, team, handovers, refresh, client)

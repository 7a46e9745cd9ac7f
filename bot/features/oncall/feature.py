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

from bot.chat.feature import CoreParts, Feature
from bot.features.oncall.delivery import TakeButtons
from bot.features.oncall.duty import DutyRoster
from bot.features.oncall.edits import EditQueue
from bot.features.oncall.rosters import shared_roster
from bot.features.oncall.team import Team
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


@dataclass
class OnCall(Feature):
    """What a press needs of the running feature: who may press, and the edit queue."""

    edits: EditQueue
    buttons: TakeButtons
    roster: DutyRoster  # who is on duty, whom to call
    user_ids: set[int] = field(default_factory=set)  # ONCALL_USER_IDS; empty: every member
    team: Team | None = None  # TEAM_FILE's, or None
    name: str = "oncall"

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
    roster = shared_roster(core.store, lambda: DutyRoster(team, core.store))  # calls: same
    return OnCall(edits, buttons, roster, set(settings.oncall_user_ids), team)

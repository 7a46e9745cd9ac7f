"""The running calls feature: on when the team file gives a chat a `call` policy.

It hands the relay one delivery hook (`ChainQueue`: each SMS relayed into such a chat
starts its chain, booked with its delivery). Its one task places the calls that fell due
and follows them with status.php; it writes into chats, so it starts once Telegram
answers, first turning calls a crash left mid-request into `unknown` (never placed again).
/status gets the calls made today and every call whose answer was lost and is not settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.chat.feature import CoreParts, Feature, Task
from bot.features.oncall.call_plan import Policy
from bot.features.oncall.call_queue import ChainQueue
from bot.features.oncall.call_texts import call_plan
from bot.features.oncall.calling import Calling
from bot.features.oncall.duty import DutyRoster
from bot.features.oncall.rosters import roster_of
from bot.features.oncall.team import Team
from bot.relay.hooks import DeliveryHook
from bot.smsc.credentials import SmscCredentials
from bot.smsc.send_api import SmscOutbox


class CallsSettings(Protocol):
    """The settings calls read."""

    @property
    def team(self) -> Team | None: ...
    @property
    def oncall_buttons(self) -> bool: ...
    @property
    def smsc_base_url(self) -> str: ...
    @property
    def display_zone(self) -> ZoneInfo: ...
    @property
    def call_daily_limit(self) -> int: ...
    @property
    def call_voice(self) -> str | None: ...
    @property
    def call_param(self) -> str | None: ...
    def smsc_auth(self) -> SmscCredentials: ...


def policies(team: Team) -> dict[str, Policy]:
    """Each chat's calling policy, by target key; chats without `call` call nobody."""
    return {
        chat: Policy(escalation.call, escalation.next, escalation.rounds, escalation.read_code)
        for chat, escalation in team.escalations.items()
        if escalation.call is not None
    }


@dataclass
class CallsFeature(Feature):
    calling: Calling
    queue: ChainQueue
    roster: DutyRoster
    name: str = "calls"

    async def plan_text(self, chats: Sequence[str], asker_id: int, now: datetime) -> str:
        """/oncall's call plan for the chats (a chat and its topics) it is asked in: HTML,
        empty when none of them calls."""
        plans = []
        for chat in chats:
            policy = self.calling.policies.get(chat)
            if policy is not None:
                order = await self.roster.call_order(chat, now)
                plans.append(call_plan(policy, order, asker_id))
        return "\n".join(plans)

    def delivery_hooks(self) -> Sequence[DeliveryHook]:
        return [self.queue]

    def tasks(self) -> Sequence[Task]:
        return [Task("calls", self.calling.run, with_telegram=True)]

    async def status_lines(self) -> list[str]:
        return await self.calling.status_lines(datetime.now(UTC))

    async def stop(self) -> None:
        await self.calling.outbox.aclose()


def build(settings: CallsSettings, core: CoreParts) -> CallsFeature | None:
    team = settings.team
    if team is None or not settings.oncall_buttons or not (by_chat := policies(team)):
        return None  # calls stop at a take: without the take buttons, no calls
    # the on-call feature's roster (built first, its calendars kept read), not a copy
    roster = roster_of(core.store)
    if roster is None:
        return None
    calling = Calling(
        core.store,
        core.chats,
        SmscOutbox(settings.smsc_base_url, settings.smsc_auth()),
        by_chat,
        roster.call_order,
        settings.display_zone,
        settings.call_daily_limit,
        voice=settings.call_voice or "",
        param=settings.call_param or "",
    )
    return CallsFeature(calling, ChainQueue(by_chat), roster)

"""Who is on duty in a chat, and in which order to call people: `DutyRoster`.

Duty comes from two places: the `/oncall me` overrides kept in the store
(`state.oncall.on_duty`), and, with TEAM_FILE, the chat's schedule. Only members of the
team file can be called: someone who typed `/oncall me` but is not in it is on duty in
the chat (reminders mention them) and never in a call order.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.database import AsyncStore
from bot.features.oncall.team import Member, Team
from state import oncall


class DutyRoster:
    """Built by the on-call feature from the team file (or None) and the store."""

    def __init__(self, team: Team | None, store: AsyncStore) -> None:
        self.team = team
        self.store = store

    async def call_order(self, chat: str, now: datetime) -> list[Member]:
        """Who to call for an SMS relayed to `chat` (a target key), first to last: the
        people on duty now (the /oncall me overrides first, then the schedule's person),
        then the others of the rotation in the order their shifts come; each once; only
        members of the team file (a /oncall me user who is not in it cannot be called)."""
        if self.team is None:
            return []
        team = self.team
        overrides = await self.store.call(oncall.on_duty, chat)
        found = (team.member_by_telegram_id(person.user_id) for person in overrides)
        order = [member for member in found if member is not None]
        return list(dict.fromkeys(order))

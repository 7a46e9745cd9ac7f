"""The on-call settings the chat side needs: who may press, and where edits queue."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.features.oncall.edits import EditQueue


@dataclass
class OnCall:
    edits: EditQueue
    user_ids: set[int] = field(default_factory=set)  # ONCALL_USER_IDS; empty: every member

    def may_press(self, user_id: int) -> bool:
        return not self.user_ids or user_id in self.user_ids

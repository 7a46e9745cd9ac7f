"""Where SMS are relayed to: a chat, or a forum topic inside a chat.

A setting (TELEGRAM_CHAT_IDS) and the routes file (ROUTES_FILE) name targets in the same
form, `CHAT_ID` or `CHAT_ID:TOPIC_ID`, so both parse them here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ChatTarget:
    """One place SMS are relayed to: a chat, or a forum topic inside a chat."""

    chat_id: int
    topic_id: int | None = None

    @property
    def key(self) -> str:
        """The stable name of this target in the database (`CHAT` or `CHAT:TOPIC`)."""
        return str(self.chat_id) if self.topic_id is None else f"{self.chat_id}:{self.topic_id}"

    @property
    def in_group(self) -> bool:
        """A group (or supergroup): Telegram gives groups negative IDs, people positive."""
        return self.chat_id < 0

    @classmethod
    def parse(cls, text: str) -> ChatTarget:
        chat, sep, topic = text.strip().partition(":")
        try:
            return cls(int(chat), int(topic) if sep else None)
        except ValueError:
            raise ValueError(f"{text.strip()!r} is not CHAT_ID or CHAT_ID:TOPIC_ID") from None

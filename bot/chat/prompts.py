"""Which command a prompt of the bot asked for, by the prompt's message, never its text.

Bare `/search` and `/from` ask what is missing with a prompt the user answers with
Telegram's reply. The answer is recognised by the message it replies to: the prompt the
bot sent, booked here by its chat and message ID. Text would not do: any message of the
bot, or a quote of the prompt, can read the same in some language.

The book is kept in memory, bounded: a prompt is a question of the moment, answered in
seconds. After a restart an old prompt is no longer known, and an answer to it is left
alone like any conversation; the command asks again when tapped.
"""

from __future__ import annotations

from collections import OrderedDict

KEPT = 1000  # prompts remembered; the oldest is forgotten first


class Prompts:
    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._asked: OrderedDict[tuple[int, int], str] = OrderedDict()

    def asked(self, chat_id: int, message_id: int, command: str) -> None:
        """The bot's message `message_id` in `chat_id` prompts for `command`'s arguments."""
        self._asked[(chat_id, message_id)] = command
        while len(self._asked) > self._kept:
            self._asked.popitem(last=False)

    def answered(self, chat_id: int, message_id: int) -> str | None:
        """The command a reply to this message answers, or None: not a prompt."""
        return self._asked.get((chat_id, message_id))

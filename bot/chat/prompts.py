"""Which command a prompt of the bot asked for, by the prompt's message, never its text.

Bare `/search` and `/from` ask what is missing with a prompt the user answers with
Telegram's reply. The answer is recognised by the message it replies to: the prompt the
bot sent, booked here by its chat and message ID. Text would not do: any message of the
bot, or a quote of the prompt, can read the same in some language.

A prompt's ID is known only once Telegram has answered the send, and the person may
already see it (and answer it) before that answer reaches the bridge: so a reply in a
chat where a prompt is on its way waits for that send to end before it is judged.

The book is kept in memory, bounded: a prompt is a question of the moment, answered in
seconds. After a restart an old prompt is no longer known, and an answer to it is left
alone like any conversation; the command asks again when tapped.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from telegram import Message

KEPT = 1000  # prompts remembered; the oldest is forgotten first


class Prompts:
    """The prompts the bot sent, by chat and message ID, and those on their way."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._asked: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._on_the_way: dict[int, set[asyncio.Event]] = {}  # by chat: prompts being sent

    async def ask(self, chat_id: int, command: str, send: Callable[[], Awaitable[Message]]) -> None:
        """Send a prompt for `command`'s arguments into `chat_id` and book it."""
        sent = asyncio.Event()
        self._on_the_way.setdefault(chat_id, set()).add(sent)
        try:
            message = await send()
            self.asked(message.chat_id, message.message_id, command)
        finally:
            sent.set()
            self._on_the_way[chat_id].discard(sent)

    def asked(self, chat_id: int, message_id: int, command: str) -> None:
        """The bot's message `message_id` in `chat_id` prompts for `command`'s arguments."""
        self._asked[(chat_id, message_id)] = command
        while len(self._asked) > self._kept:
            self._asked.popitem(last=False)

    async def answered(self, chat_id: int, message_id: int) -> str | None:
        """The command a reply to this message answers, or None: not a prompt."""
        if (chat_id, message_id) not in self._asked:
            for sending in list(self._on_the_way.get(chat_id, ())):
                await sending.wait()
        return self._asked.get((chat_id, message_id))

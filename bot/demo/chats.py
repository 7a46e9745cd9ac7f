"""`sms-bridge chats`: which chats the bot is in and who writes to it, ready to paste.

It needs only the bot token (TELEGRAM_BASE_URL too, if set): it runs before the chat IDs
are known, which is its point. It fetches the bot's updates (long polling, as the bridge
does) and prints each group, channel, forum topic and private chat once, with the setting
line that names it, and each person who writes, with their user ID. It only listens:
nothing is ever written into a chat. Names and titles are untrusted input: control
characters are dropped before they reach the terminal.

Telegram gives a bot's updates to one reader at a time, so a running bridge on the same
token and `chats` exclude each other (`Conflict`): stop the bridge first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot, Chat, ChatMemberUpdated, Message, Update, User
from telegram.error import Conflict, InvalidToken, NetworkError

from bot.app.settings import BotSettings

log = logging.getLogger(__name__)

LONG_POLL = 30  # seconds Telegram holds a getUpdates open when nothing happens
RETRY_AFTER = 5.0  # seconds after a network failure
NAME_LIMIT = 64
WANTED = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.MY_CHAT_MEMBER,
    Update.CALLBACK_QUERY,
]
GONE = ("left", "kicked")


class ChatsFailed(Exception):
    """Telegram refused the token, or another program reads the bot's updates."""


def printable(text: str) -> str:
    """`text` without control or format characters, and not longer than a line should be."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    return kept if len(kept) <= NAME_LIMIT else kept[: NAME_LIMIT - 1] + "…"


def person(user: User) -> str:
    name = printable(user.full_name) or "?"
    return f"{name} (@{printable(user.username)})" if user.username else name


@dataclass
class Sightings:
    """What was seen so far: each chat, topic and user is announced once."""

    chats: dict[int, str] = field(default_factory=dict)  # groups and channels: their title
    topics: set[tuple[int, int]] = field(default_factory=set)
    users: dict[int, str] = field(default_factory=dict)
    private: set[int] = field(default_factory=set)

    def note(self, update: Update) -> list[str]:
        """The lines `update` adds: a chat, topic or user not seen before, a removal."""
        lines: list[str] = []
        chat, user = update.effective_chat, update.effective_user
        if chat is not None:
            lines += self._chat(chat, update.effective_message)
        if user is not None and not user.is_bot and user.id not in self.users:
            self.users[user.id] = person(user)
            lines.append(f"user {person(user)}: TELEGRAM_ALLOWED_USER_IDS={user.id}")
        if update.my_chat_member is not None:
            lines += self._membership(update.my_chat_member)
        return lines

    def _chat(self, chat: Chat, message: Message | None) -> list[str]:
        lines = []
        if chat.type == Chat.PRIVATE:
            if chat.id not in self.private:
                self.private.add(chat.id)
                name = printable(chat.full_name or "") or str(chat.id)
                lines.append(f"private chat with {name}: TELEGRAM_CHAT_IDS={chat.id}")
            return lines
        title = printable(chat.title or "") or "?"
        if chat.id not in self.chats:
            self.chats[chat.id] = title
            lines.append(f'{chat.type} "{title}": TELEGRAM_CHAT_IDS={chat.id}')
        topic = message.message_thread_id if message and message.is_topic_message else None
        if topic is not None and (chat.id, topic) not in self.topics:
            self.topics.add((chat.id, topic))
            lines.append(f'topic {topic} of "{title}": TELEGRAM_CHAT_IDS={chat.id}:{topic}')
        return lines

    @staticmethod
    def _membership(change: ChatMemberUpdated) -> list[str]:
        if change.new_chat_member.status in GONE:
            title = printable(change.chat.title or "") or str(change.chat.id)
            return [f'the bot was removed from "{title}" ({change.chat.id})']
        return []

    def summary(self) -> list[str]:
        """Every group and person seen, as setting lines (keep the ones you mean)."""
        lines = []
        if self.chats:
            lines.append("TELEGRAM_CHAT_IDS=" + ",".join(map(str, self.chats)))
        if self.users:
            lines.append("TELEGRAM_ALLOWED_USER_IDS=" + ",".join(map(str, self.users)))
        return lines


async def list_chats(settings: BotSettings, say: Callable[[str], None]) -> None:
    """Print what the bot's updates show until SIGINT or SIGTERM; raises ChatsFailed."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        await bot.initialize()
    except InvalidToken:
        raise ChatsFailed("Telegram rejected TELEGRAM_BOT_TOKEN") from None
    except NetworkError as error:
        raise ChatsFailed(f"cannot reach Telegram: {error}") from None
    say(
        f"listening as @{bot.username} (Ctrl-C to stop): add the bot to a group, or write in "
        f"a group it is in (with privacy mode on, send /start@{bot.username} there), or "
        "write to it privately; it answers nothing"
    )
    seen = Sightings()
    try:
        await _fetch_until(stop, bot, seen, say)
    finally:
        await bot.shutdown()
        if lines := seen.summary():
            say("seen, ready to paste (keep the ones you mean):")
            for line in lines:
                say(line)


async def _fetch_until(
    stop: asyncio.Event, bot: Bot, seen: Sightings, say: Callable[[str], None]
) -> None:
    offset: int | None = None
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            fetch = asyncio.ensure_future(
                bot.get_updates(offset=offset, timeout=LONG_POLL, allowed_updates=WANTED)
            )
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetch
                return
            try:
                updates = fetch.result()
            except Conflict:
                raise ChatsFailed(
                    "another program reads this bot's updates (a running bridge, or a "
                    "webhook): stop it and try again"
                ) from None
            except NetworkError as error:
                log.warning("fetching updates failed (%s); retrying in %g s", error, RETRY_AFTER)
                await asyncio.wait({stopped}, timeout=RETRY_AFTER)
                continue
            for update in updates:
                offset = update.update_id + 1
                for line in seen.note(update):
                    say(line)
    finally:
        stopped.cancel()

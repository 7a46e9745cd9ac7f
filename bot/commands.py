"""Chat commands: /help, /last, /history, /search, /from, /status.

Every handler is guarded: it answers only in the configured chats and, in private chats,
to TELEGRAM_ALLOWED_USER_IDS. Anyone else gets no data, and the attempt is logged.
Arguments are untrusted: a bad one gets a usage line with an example. Answers state their
window and time zone, say so when nothing matched, and are never cut silently: a long
answer goes out as several messages or, when longer still, as a text file.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes, ExtBot

from bot import __version__
from bot.config import ChatTarget
from bot.database import StoreThread
from bot.formatting import (
    TEXT_LIMIT,
    entry_atoms,
    escape,
    format_time,
    pack_entries,
    plain_entry,
    telegram_length,
)
from bot.logs import secret_variants
from bot.relay import Relay
from bot.status import BridgeStatus
from bot.windows import WINDOW_FORMS, Window, WindowError, parse_window, split_trailing_window
from state import Page
from state.phones import looks_like_phone

log = logging.getLogger(__name__)

_ASCII_NUMBER = re.compile(r"[0-9]{1,6}")  # str.isdigit() also accepts "²", which int() refuses
LAST_DEFAULT = 10
LAST_MAX = 100
ANSWER_ROWS = 2000  # most SMS one answer carries; more are counted and the user told
MAX_ANSWER_MESSAGES = 3  # longer answers go out as a file

COMMANDS = [
    ("help", "what this bot does and how to ask it"),
    ("last", "the last N SMS (default 10, at most 100)"),
    ("history", "SMS in a window: /history 2h, /history yesterday"),
    ("search", "SMS containing words: /search code 1d"),
    ("from", "SMS from one number: /from +79261234567 7d"),
    ("status", "is the bridge polling and delivering?"),
]

USAGE = {
    "last": "Usage: /last [N], N from 1 to 100. Example: /last 20",
    "history": f"Usage: /history WINDOW. Example: /history 2h\nWINDOW: {WINDOW_FORMS}",
    "search": f"Usage: /search TEXT [WINDOW]. Example: /search code 1d\nWINDOW: {WINDOW_FORMS}",
    "from": f"Usage: /from PHONE [WINDOW]. Example: /from +79261234567 7d\nWINDOW: {WINDOW_FORMS}",
}


@dataclass
class BridgeContext:
    """What the handlers need from the running bridge."""

    db: StoreThread
    targets: list[ChatTarget]
    allowed_user_ids: set[int]
    zone: Any  # ZoneInfo; Any keeps PTB's untyped bot_data simple
    status: BridgeStatus
    relay: Relay | None = None
    secrets: list[str] = field(default_factory=list)

    def chat_allowed(self, chat_id: int, chat_type: str, user_id: int | None) -> bool:
        if chat_id in self.chat_ids():
            return True
        return chat_type == "private" and user_id in self.allowed_user_ids

    def chat_ids(self) -> set[int]:
        """Configured chats, and where they moved to when a group became a supergroup."""
        ids = {target.chat_id for target in self.targets}
        if self.relay is not None:
            ids |= {sender.state.chat_id for sender in self.relay.senders}
        return ids

    def redact(self, text: str) -> str:
        for secret in secret_variants(self.secrets):
            text = text.replace(secret, "[redacted]")
        return text


class UsageError(Exception):
    """A command argument is wrong; the message is the reply."""


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def bridge_of(context: ContextTypes.DEFAULT_TYPE) -> BridgeContext:
    bridge = context.bot_data["bridge"]
    assert isinstance(bridge, BridgeContext)
    return bridge


def _bot(context: ContextTypes.DEFAULT_TYPE) -> ExtBot[Any]:
    """The bot with rate_limit_args typed as the AIORateLimiter the app installs takes."""
    return cast(ExtBot[Any], context.bot)


def _args(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return list(context.args or [])


# -- argument parsing (pure) -----------------------------------------------------------


def parse_last_count(args: list[str]) -> int:
    if not args:
        return LAST_DEFAULT
    if len(args) > 1 or not _ASCII_NUMBER.fullmatch(args[0]) or not 1 <= int(args[0]) <= LAST_MAX:
        raise UsageError(USAGE["last"])
    return int(args[0])


def parse_history_args(args: list[str], now: datetime, zone: Any) -> Window:
    if not args:
        raise UsageError(USAGE["history"])
    try:
        return parse_window(" ".join(args), now, zone)
    except WindowError as error:
        raise UsageError(f"{error}\n{USAGE['history']}") from None


def parse_search_args(args: list[str], now: datetime, zone: Any) -> tuple[str, Window | None]:
    words, window = split_trailing_window(args, now, zone)
    text = " ".join(words).strip()
    if not any(ch.isalnum() for ch in text):
        raise UsageError(USAGE["search"])
    return text, window


def parse_from_args(args: list[str], now: datetime, zone: Any) -> tuple[str, Window | None]:
    words, window = split_trailing_window(args, now, zone)
    sender = " ".join(words).strip()
    if not (looks_like_phone(sender) or any(ch.isalpha() for ch in sender)):
        raise UsageError(USAGE["from"])
    return sender, window


# -- answers ----------------------------------------------------------------------------


def showing(page: Page) -> str:
    """How much of a truncated answer is shown, stated, never silent."""
    of = f"more than {page.total:,}" if page.total_is_lower_bound else f"{page.total:,}"
    return f"Showing the newest {len(page.messages):,} of {of}; narrow the window to see more."


def answer_messages(title: str, page: Page, zone: Any) -> list[str] | None:
    """The answer as HTML messages, or None when it is too long and must be a file."""
    heading = f"<b>{escape(title)}</b>"
    if page.total == 0:
        return [f"{heading}\nNo SMS matched."]
    if page.truncated:
        heading += f"\n{showing(page)}"
    entries = [entry_atoms(sms, zone) for sms in page.messages]
    reserve = telegram_length(heading) + 2
    packed = pack_entries(entries, TEXT_LIMIT, reserve)
    if len(packed) > MAX_ANSWER_MESSAGES:
        return None
    return [
        (heading + "\n\n" + message.html) if index == 0 else message.html
        for index, message in enumerate(packed)
    ]


def answer_file(title: str, page: Page, zone: Any) -> bytes:
    lines = [title]
    if page.truncated:
        lines.append(showing(page))
    lines += ["", *(plain_entry(sms, zone) + "\n" for sms in page.messages)]
    return "\n".join(lines).encode("utf-8")


async def reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *, html: bool = True
) -> None:
    """Answer in the asker's chat (and forum topic), waiting out a 429 if one comes."""
    message = update.effective_message
    assert message is not None
    await _take_turn(context, message.chat_id)
    await _bot(context).send_message(
        chat_id=message.chat_id,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        text=text,
        parse_mode=ParseMode.HTML if html else None,
        rate_limit_args=3,
    )


async def _take_turn(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """A configured chat's flood-limit wait applies to replies too (see Relay.take_turn)."""
    relay = bridge_of(context).relay
    if relay is not None:
        await relay.take_turn(chat_id)


async def send_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, title: str, page: Page, zone: Any
) -> None:
    texts = answer_messages(title, page, zone)
    if texts is not None:
        for text in texts:
            await reply(update, context, text)
        return
    message = update.effective_message
    assert message is not None
    await _take_turn(context, message.chat_id)
    caption = f"{title}\n{len(page.messages)} SMS, too many for messages: here as a file."
    if page.truncated:
        caption += f"\n{showing(page)}"
    await _bot(context).send_document(
        chat_id=message.chat_id,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        document=io.BytesIO(answer_file(title, page, zone)),
        filename="sms.txt",
        caption=caption[:1024],
        rate_limit_args=3,
    )


def _title(what: str, window: Window | None, zone: Any) -> str:
    if window is None:
        return f"{what}, all stored history (times in {zone.key})"
    return f"{what}, {window.label()}"


# -- handlers ---------------------------------------------------------------------------


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the bot and list the commands."""
    bridge = bridge_of(context)
    lines = [
        "<b>sms-bridge</b> relays every SMS received on the SMSC account to this chat, "
        "and answers questions about the stored history.",
        "",
        *(f"/{name} — {escape(text)}" for name, text in COMMANDS),
        "",
        f"WINDOW: {escape(WINDOW_FORMS)}; times are {escape(bridge.zone.key)}.",
    ]
    await reply(update, context, "\n".join(lines))


async def last_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last N SMS."""
    bridge = bridge_of(context)
    count = parse_last_count(_args(context))
    page = await bridge.db.call(bridge.db.store.last, count)
    title = f"The last {count} SMS (times in {bridge.zone.key})"
    await send_answer(update, context, title, page, bridge.zone)


async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """SMS received within a window."""
    bridge = bridge_of(context)
    window = parse_history_args(_args(context), datetime.now(UTC), bridge.zone)
    page = await bridge.db.call(bridge.db.store.between, window.start, window.end, ANSWER_ROWS)
    await send_answer(update, context, _title("SMS", window, bridge.zone), page, bridge.zone)


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Full-text search, optionally within a window."""
    bridge = bridge_of(context)
    text, window = parse_search_args(_args(context), datetime.now(UTC), bridge.zone)
    start, end = (window.start, window.end) if window else (None, None)
    page = await bridge.db.call(bridge.db.store.search, text, start, end, ANSWER_ROWS)
    title = _title(f"SMS containing “{text}”", window, bridge.zone)
    await send_answer(update, context, title, page, bridge.zone)


async def from_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """SMS from one sender, however the number is written."""
    bridge = bridge_of(context)
    sender, window = parse_from_args(_args(context), datetime.now(UTC), bridge.zone)
    start, end = (window.start, window.end) if window else (None, None)
    page = await bridge.db.call(bridge.db.store.from_sender, sender, start, end, ANSWER_ROWS)
    title = _title(f"SMS from {sender}", window, bridge.zone)
    await send_answer(update, context, title, page, bridge.zone)


def _age(seconds: float) -> str:
    seconds = int(max(0, seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Uptime, polling, errors, queue per chat, version."""
    bridge = bridge_of(context)
    await reply(update, context, await render_status(bridge))


async def render_status(bridge: BridgeContext) -> str:
    now = datetime.now(UTC)
    status = bridge.status
    store = bridge.db.store
    stored = await bridge.db.call(store.count_messages)
    queues = await bridge.db.call(store.queues, [t.key for t in bridge.targets])
    uptime = _age((now - status.started_at).total_seconds())
    lines = [f"<b>sms-bridge {escape(__version__)}</b>, up {uptime}"]
    if status.last_poll_ok_at is None:
        lines.append("SMSC: no successful poll yet")
    else:
        ago = (now - status.last_poll_ok_at).total_seconds()
        lines.append(
            f"SMSC: last successful poll {format_time(status.last_poll_ok_at, bridge.zone)} "
            f"({_age(ago)} ago)"
        )
    if status.last_error is not None:
        error = status.last_error
        lines.append(
            f"Last SMSC error: {format_time(error.at, bridge.zone)}, "
            f"{escape(bridge.redact(error.message))}"
        )
    if status.failing_since is not None:
        lines.append(f"⚠️ polling has failed for {_age(status.failing_for(now))}")
    telegram = (
        "connected"
        if status.telegram_ready
        else f"not connected ({status.telegram_error or 'connecting'})"
    )
    lines.append(f"Telegram: {escape(telegram)}")
    lines.append(f"SMS stored: {stored}; fetched since start: {status.sms_fetched}")
    lines.append("Deliveries per chat:")
    senders = {s.key: s for s in bridge.relay.senders} if bridge.relay else {}
    for queue in queues:
        line = f"• {escape(queue.chat)}: {queue.pending} pending, {queue.failed} failed"
        if queue.uncertain:
            line += f", {queue.uncertain} possibly shown twice"
        if queue.failed and queue.last_error:
            line += f" (last refusal: {escape(bridge.redact(queue.last_error))})"
        sender = senders.get(queue.chat)
        if sender is not None and sender.state.last_error and queue.pending:
            line += f"; retrying after: {escape(bridge.redact(sender.state.last_error))}"
        lines.append(line)
    return "\n".join(lines)


def guarded(name: str, handler: Handler) -> Handler:
    """Answer only allowed chats and users; turn UsageError into the usage reply."""

    async def guarded_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bridge = bridge_of(context)
        chat, user = update.effective_chat, update.effective_user
        if chat is None or update.effective_message is None:
            return
        user_id = user.id if user else None
        if not bridge.chat_allowed(chat.id, chat.type, user_id):
            log.warning(
                "refused /%s from user %s in %s chat %s: not a configured chat or allowed user",
                name,
                user_id,
                chat.type,
                chat.id,
            )
            await reply(
                update,
                context,
                f"This bot answers only in its configured chats. Chat ID {chat.id}, "
                f"your user ID {user_id}: an operator can add them to TELEGRAM_CHAT_IDS "
                "or TELEGRAM_ALLOWED_USER_IDS.",
                html=False,
            )
            return
        log.info("/%s from user %s in chat %s", name, user_id, chat.id)
        try:
            await handler(update, context)
        except UsageError as usage:
            await reply(update, context, str(usage), html=False)

    guarded_handler.__doc__ = handler.__doc__
    return guarded_handler


HANDLERS: dict[str, Handler] = {
    "help": help_command,
    "start": help_command,
    "last": last_command,
    "history": history_command,
    "search": search_command,
    "from": from_command,
    "status": status_command,
}


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any handler failure, and tell the asker that their command failed."""
    bridge = context.bot_data.get("bridge")
    error = context.error
    log.error("command failed: %r", error, exc_info=error)
    if isinstance(update, Update) and update.effective_message is not None:
        reason = bridge.redact(repr(error)) if isinstance(bridge, BridgeContext) else "error"
        try:
            await reply(update, context, f"⚠️ That failed: {reason[:300]}", html=False)
        except Exception as reply_error:  # the reply itself may be what failed
            log.error("could not report the failure to the chat: %r", reply_error)


def register(application: Application[Any, Any, Any, Any, Any, Any], bridge: BridgeContext) -> None:
    application.bot_data["bridge"] = bridge
    for name, handler in HANDLERS.items():
        application.add_handler(CommandHandler(name, guarded(name, handler)))
    application.add_error_handler(error_handler)


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in COMMANDS]

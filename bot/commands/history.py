"""/last, /history, /search, /from: looking back over the stored SMS.

Arguments are untrusted: the parsers are pure (the clock and the zone passed in) and
raise `UsageError` with a reason, which the guard turns into the command's usage line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.commands.answers import send_answer
from bot.commands.context import bridge_of
from bot.commands.registry import ChatCommand, UsageError
from bot.numbers import ascii_int
from bot.windows import WINDOW_FORMS, Window, WindowError, parse_window, split_trailing_window
from state import Store
from state.phones import looks_like_phone

LAST_DEFAULT = 10
LAST_MAX = 100
ANSWER_ROWS = 2000  # most SMS one answer carries; more are counted and the user told


def _args(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return list(context.args or [])


# -- argument parsing (pure) -----------------------------------------------------------


def parse_last_count(args: list[str]) -> int:
    if not args:
        return LAST_DEFAULT
    count = ascii_int(args[0], max_digits=6) if len(args) == 1 else None
    if count is None or not 1 <= count <= LAST_MAX:
        raise UsageError()
    return count


def parse_history_args(args: list[str], now: datetime, zone: ZoneInfo) -> Window:
    if not args:
        raise UsageError()
    try:
        return parse_window(" ".join(args), now, zone)
    except WindowError as error:
        raise UsageError(str(error)) from None


def parse_search_args(args: list[str], now: datetime, zone: ZoneInfo) -> tuple[str, Window | None]:
    words, window = split_trailing_window(args, now, zone)
    text = " ".join(words).strip()
    if not any(ch.isalnum() for ch in text):
        raise UsageError()
    return text, window


def parse_from_args(args: list[str], now: datetime, zone: ZoneInfo) -> tuple[str, Window | None]:
    words, window = split_trailing_window(args, now, zone)
    sender = " ".join(words).strip()
    if not (looks_like_phone(sender) or any(ch.isalpha() for ch in sender)):
        raise UsageError()
    return sender, window


def _title(what: str, window: Window | None, zone: ZoneInfo) -> str:
    if window is None:
        return f"{what}, all stored history (times in {zone.key})"
    return f"{what}, {window.label()}"


# -- handlers ---------------------------------------------------------------------------


async def last_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last N SMS."""
    bridge = bridge_of(context)
    count = parse_last_count(_args(context))
    page = await bridge.store.call(Store.last, count)
    await send_answer(update, context, f"The last {count} SMS (times in {bridge.zone.key})", page)


async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """SMS received within a window."""
    bridge = bridge_of(context)
    window = parse_history_args(_args(context), datetime.now(UTC), bridge.zone)
    page = await bridge.store.call(Store.between, window.start, window.end, ANSWER_ROWS)
    await send_answer(update, context, _title("SMS", window, bridge.zone), page)


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Full-text search, optionally within a window."""
    bridge = bridge_of(context)
    text, window = parse_search_args(_args(context), datetime.now(UTC), bridge.zone)
    start, end = (window.start, window.end) if window else (None, None)
    page = await bridge.store.call(Store.search, text, start, end, ANSWER_ROWS)
    await send_answer(
        update, context, _title(f"SMS containing “{text}”", window, bridge.zone), page
    )


async def from_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """SMS from one sender, however the number is written."""
    bridge = bridge_of(context)
    sender, window = parse_from_args(_args(context), datetime.now(UTC), bridge.zone)
    start, end = (window.start, window.end) if window else (None, None)
    page = await bridge.store.call(Store.from_sender, sender, start, end, ANSWER_ROWS)
    await send_answer(update, context, _title(f"SMS from {sender}", window, bridge.zone), page)


COMMANDS = [
    ChatCommand(
        "last",
        "the last N SMS (default 10, at most 100)",
        last_command,
        args="[N]",
        usage="/last [N], N from 1 to 100. Example: /last 20",
    ),
    ChatCommand(
        "history",
        "SMS in a window: /history 2h, /history yesterday",
        history_command,
        args="WINDOW",
        usage=f"/history WINDOW. Example: /history 2h\nWINDOW: {WINDOW_FORMS}",
    ),
    ChatCommand(
        "search",
        "SMS containing words: /search code 1d",
        search_command,
        args="TEXT [WINDOW]",
        usage=f"/search TEXT [WINDOW]. Example: /search code 1d\nWINDOW: {WINDOW_FORMS}",
    ),
    ChatCommand(
        "from",
        "SMS from one number: /from +79261234567 7d",
        from_command,
        args="PHONE [WINDOW]",
        usage=f"/from PHONE [WINDOW]. Example: /from +79261234567 7d\nWINDOW: {WINDOW_FORMS}",
    ),
]

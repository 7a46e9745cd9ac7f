"""/last, /history, /search, /from: looking back over the stored SMS.

Arguments are untrusted: the parsers are pure (the clock and the zone passed in) and
raise `UsageError` with a one-line reason, which the guard turns into the command's usage
line. Tapping a command in the menu sends it bare, so bare forms work: `/history` is the
last 24 hours, and bare `/search` and `/from` ask for what is missing with a prompt the
user answers with Telegram's reply (ForceReply); the answer to that prompt is read as the
command's arguments. The prompt is recognised by its text, so it works after a restart.
/from reads a number in PHONE_REGION's habits (`state.phones`) and its answer names the
number as it was read (`8 926 ...` answers as `+7 926 ...`), so a misread shows at once.
Here the commands only parse; what they asked is looked up in `lookback`, the one path
that queries, keeps what the chat may see, and titles the answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import ForceReply, Update
from telegram.ext import ContextTypes

from bot.chat.answers import reply, send_answer
from bot.chat.commands.lookback import (
    LAST_MAX,
    Asked,
    Containing,
    FromSender,
    Newest,
    Within,
    look_back,
)
from bot.chat.commands.registry import ChatCommand, UsageError
from bot.chat.context import bridge_of
from bot.chat.windows import Window, WindowError, parse_window, split_trailing_window
from bot.text.i18n import LANGUAGES, N_, _, in_language
from bot.text.numbers import ascii_int
from state.phones import looks_like_phone

LAST_DEFAULT = 10
HISTORY_DEFAULT = "24h"  # what bare /history (a tap in the menu) covers
SEARCH_PROMPT = N_("🔎 What should I look for? Reply with words, and a window if you like.")
FROM_PROMPT = N_("📇 Which sender? Reply with a number or a name, and a window if you like.")


# -- argument parsing (pure) -----------------------------------------------------------


def parse_last_count(args: list[str]) -> tuple[int, bool]:
    """How many SMS /last shows, and whether the asker wanted more than LAST_MAX."""
    if not args:
        return LAST_DEFAULT, False
    count = ascii_int(args[0], max_digits=12) if len(args) == 1 else None
    if count is None or count < 1:
        raise UsageError(_("“{text}” is not a number of SMS").format(text=" ".join(args)))
    return min(count, LAST_MAX), count > LAST_MAX


def _window(text: str, now: datetime, zone: ZoneInfo) -> Window:
    try:
        return parse_window(text, now, zone)
    except WindowError as error:
        raise UsageError(str(error)) from None


def parse_history_args(args: list[str], now: datetime, zone: ZoneInfo) -> Window:
    return _window(" ".join(args) if args else HISTORY_DEFAULT, now, zone)


def parse_search_args(args: list[str], now: datetime, zone: ZoneInfo) -> tuple[str, Window | None]:
    words, window = split_trailing_window(args, now, zone)
    text = " ".join(words).strip()
    if not any(ch.isalnum() for ch in text):
        raise UsageError(_("“{text}” has no word to look for").format(text=text))
    return text, window


def parse_from_args(args: list[str], now: datetime, zone: ZoneInfo) -> tuple[str, Window | None]:
    words, window = split_trailing_window(args, now, zone)
    sender = " ".join(words).strip()
    if not (looks_like_phone(sender) or any(ch.isalpha() for ch in sender)):
        raise UsageError(_("“{text}” is not a phone number or a name").format(text=sender))
    return sender, window


# -- handlers ---------------------------------------------------------------------------


def _args(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return list(context.args or [])


async def _answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, asked: Asked, now: datetime
) -> None:
    """What the command asked, looked up for the asking chat and answered there."""
    bridge = bridge_of(context)
    found = await look_back(
        bridge.store,
        asked,
        visible_to=bridge.visible_to(update),
        zone=bridge.zone,
        region=bridge.phone_region,
        now=now,
    )
    await send_answer(
        update, context, found.title, found.scope, found.page, found.filename, sent=found.sent
    )


async def last_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last N SMS."""
    count, capped = parse_last_count(_args(context))
    await _answer(update, context, Newest(count, capped), datetime.now(UTC))


async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """SMS received within a window (the last 24 hours when none is given)."""
    now = datetime.now(UTC)
    window = parse_history_args(_args(context), now, bridge_of(context).zone)
    await _answer(update, context, Within(window), now)


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE, args: list[str]) -> None:
    now = datetime.now(UTC)
    text, window = parse_search_args(args, now, bridge_of(context).zone)
    await _answer(update, context, Containing(text, window), now)


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Full-text search, optionally within a window; bare, it asks what to look for."""
    if not context.args:
        await _prompt(update, context, SEARCH_PROMPT, _("words, e.g. boiler 2d"))
        return
    await search(update, context, _args(context))


async def sender_history(
    update: Update, context: ContextTypes.DEFAULT_TYPE, args: list[str]
) -> None:
    now = datetime.now(UTC)
    sender, window = parse_from_args(args, now, bridge_of(context).zone)
    await _answer(update, context, FromSender(sender, window), now)


async def from_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """SMS from one sender, however the number is written; bare, it asks which."""
    if not context.args:
        await _prompt(update, context, FROM_PROMPT, _("number or name, e.g. +79261234567 7d"))
        return
    await sender_history(update, context, _args(context))


async def _prompt(
    update: Update, context: ContextTypes.DEFAULT_TYPE, prompt: str, placeholder: str
) -> None:
    force = ForceReply(selective=True, input_field_placeholder=placeholder[:64])
    await reply(update, context, _(prompt), html=False, force_reply=force)


def answered_prompt(prompt_text: str) -> str | None:
    """Which command a bot message prompted for (`search`, `from`), in any language."""
    for language in LANGUAGES:
        with in_language(language):
            if prompt_text == _(SEARCH_PROMPT):
                return "search"
            if prompt_text == _(FROM_PROMPT):
                return "from"
    return None


COMMANDS = [
    ChatCommand(
        "last",
        N_("the last N SMS (10 unless you say, at most 100)"),
        last_command,
        args=N_("[N]"),
        examples=(N_("/last"), N_("/last 30")),
    ),
    ChatCommand(
        "history",
        N_("SMS in a window; the last 24 hours unless you say"),
        history_command,
        args=N_("[WINDOW]"),
        examples=(N_("/history 2h"), N_("/history yesterday"), N_("/history 28.11")),
    ),
    ChatCommand(
        "search",
        N_("SMS containing words, optionally in a window"),
        search_command,
        args=N_("TEXT [WINDOW]"),
        examples=(N_("/search code"), N_("/search boiler 2d")),
    ),
    ChatCommand(
        "from",
        N_("SMS from one sender, optionally in a window"),
        from_command,
        args=N_("PHONE [WINDOW]"),
        examples=(N_("/from +79261234567"), N_("/from Sberbank 7d")),
    ),
]

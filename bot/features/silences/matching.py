"""What `/mute WINDOW [TEXT or FROM]` says, and which SMS a silence covers. Pure: no I/O.

WINDOW is a length of time from now: `30m`, `2h`, `1d`, `1w` (Russian units too), at
most MAX_SILENCE. What follows is either a phone number (it matches that sender, written
any way, as `/from` reads numbers) or text: it matches an SMS whose text contains it or
whose sender is it, in any case. Nothing after the window: every SMS in the chat.
"""

from __future__ import annotations

from datetime import timedelta

from bot.text.durations import read_length
from bot.text.i18n import _
from state import StoredSms
from state.phones import looks_like_phone, sender_key, typed_key

MAX_SILENCE = timedelta(days=30)  # longer is forgetting it: remove the route instead
MAX_MATCH = 200  # characters of what a silence matches


class MuteError(ValueError):
    """`/mute`'s arguments cannot be read; the message says why, in one line."""


def parse_length(word: str) -> timedelta:
    """`2h` as a timedelta; MuteError when it is not a length, is zero or is too long."""
    length = read_length(word) if " " not in word.strip() else None
    if length is None:
        raise MuteError(_("“{text}” is not a length of time such as 30m or 2h").format(text=word))
    if not timedelta(0) < length <= MAX_SILENCE:
        raise MuteError(_("A silence lasts from 1 minute to 30 days"))
    return length


def parse_mute(words: list[str], region: str) -> tuple[timedelta, str, str]:
    """(length, text matched, sender key matched) of `/mute`'s words; MuteError if unread."""
    if not words:
        raise MuteError("")
    length = parse_length(words[0])
    rest = " ".join(" ".join(words[1:]).split())[:MAX_MATCH]
    if rest and looks_like_phone(rest):
        return length, "", typed_key(rest, region)
    return length, rest, ""


def covers(match_text: str, match_key: str, sms: StoredSms, region: str) -> bool:
    """Whether a silence matching `match_text` / `match_key` (either, or neither: any SMS)
    covers `sms`."""
    if match_key:
        return sender_key(sms.sender, region) == match_key
    if not match_text:
        return True
    wanted = match_text.casefold()
    return wanted in sms.text.casefold() or wanted == sms.sender.strip().casefold()

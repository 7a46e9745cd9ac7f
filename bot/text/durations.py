"""Lengths of time in words, the one way they are written for people, in either language."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.text.i18n import _, ngettext

# A length as people type one: a whole number and a unit, English or Russian (`30m`, `2h`,
# `1d`, `1w`, `2ч`, `1н`): /mute's window, the team file's durations.
_LENGTH = re.compile(r"^(\d{1,5})\s*(m|min|h|d|w|м|мин|ч|д|н|нед)$", re.IGNORECASE)
_UNIT = {"m": 60, "min": 60, "м": 60, "мин": 60, "h": 3600, "ч": 3600}
_UNIT |= {"d": 86400, "д": 86400, "w": 7 * 86400, "н": 7 * 86400, "нед": 7 * 86400}


def read_length(word: str) -> timedelta | None:
    """`2h` as a timedelta (minutes, hours, days, weeks); None when it is not a length."""
    match = _LENGTH.match(word.strip())
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2).lower()])


def short_duration(seconds: float) -> str:
    """`45 s`, `1 min 35 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: precise when short,
    rounded when long ("95 s" makes the reader divide by 60).

    Abbreviated units need no plural forms, which keeps /status lines short.
    """
    seconds = int(max(0, seconds))
    if seconds < 60:
        return _("{n} s").format(n=seconds)
    if seconds < 120 and seconds % 60:
        return _("{m} min {s} s").format(m=1, s=seconds - 60)
    if seconds < 7200:
        return _("{n} min").format(n=seconds // 60)
    if seconds < 172800:
        return _("{h} h {m} min").format(h=seconds // 3600, m=seconds % 3600 // 60)
    return _("{d} d {h} h").format(d=seconds // 86400, h=seconds % 86400 // 3600)


def minutes_in_words(seconds: float) -> str:
    """`1 minute`, `90 minutes`, `3 hours 5 minutes`, `2 days 4 hours`, for sentences.

    Up to two hours in minutes; beyond, "after 185 minutes" reads like a stopwatch, so
    hours and minutes, and days and hours beyond two days. The Russian forms are those a
    length of time takes after уже, за, в (1 минуту, 3 минуты, 5 минут; 1 час, 2 дня): the
    case every sentence using this needs.
    """
    minutes = max(1, round(seconds / 60))
    if minutes <= 120:
        return _minutes(minutes)
    hours = minutes // 60
    if hours < 48:
        return _joined(_hours(hours), _minutes(minutes % 60) if minutes % 60 else "")
    days, hours = divmod(hours, 24)
    day_words = ngettext("{n} day", "{n} days", days).format(n=days)
    return _joined(day_words, _hours(hours) if hours else "")


def _minutes(n: int) -> str:
    return ngettext("{n} minute", "{n} minutes", n).format(n=n)


def _hours(n: int) -> str:
    return ngettext("{n} hour", "{n} hours", n).format(n=n)


def _joined(larger: str, smaller: str) -> str:
    """`3 hours 5 minutes`: the same in both languages, no "and" needed."""
    return f"{larger} {smaller}" if smaller else larger

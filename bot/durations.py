"""Lengths of time in words, the one way they are written for people, in either language."""

from __future__ import annotations

from bot.i18n import _, ngettext


def short_duration(seconds: float) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: precise when short, rounded when long.

    Abbreviated units need no plural forms, which keeps /status lines short.
    """
    seconds = int(max(0, seconds))
    if seconds < 120:
        return _("{n} s").format(n=seconds)
    if seconds < 7200:
        return _("{n} min").format(n=seconds // 60)
    if seconds < 172800:
        return _("{h} h {m} min").format(h=seconds // 3600, m=seconds % 3600 // 60)
    return _("{d} d {h} h").format(d=seconds // 86400, h=seconds % 86400 // 3600)


def minutes_in_words(seconds: float) -> str:
    """`1 minute`, `5 minutes`; in Russian `1 минута`, `3 минуты`, `5 минут`."""
    minutes = max(1, round(seconds / 60))
    return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)

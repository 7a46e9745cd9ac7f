"""Time windows typed in chat commands (`2h`, `yesterday`, `2026-11-01 2026-11-07`...).

Pure functions: the caller passes "now" and the display zone, so every case is testable
without a clock. Calendar words and dates are read in the display zone; the window itself
is returned in UTC, half-open: [start, end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WINDOW_FORMS = "30m, 2h, 1d, 7d, today, yesterday, HH:MM, YYYY-MM-DD or YYYY-MM-DD YYYY-MM-DD"
MAX_SPAN = timedelta(days=3660)  # ten years: longer than anything SMSC or a user keeps

_DURATION = re.compile(r"^(\d{1,6})\s*(m|min|h|d|w)$", re.IGNORECASE)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_UNIT_NAMES = {"m": "minute", "min": "minute", "h": "hour", "d": "day", "w": "week"}


class WindowError(ValueError):
    """The text is not a window; the message says why, for the user."""


@dataclass(frozen=True)
class Window:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC, excluded
    description: str  # what the user asked for, in words
    zone: ZoneInfo

    def label(self) -> str:
        """The window as replies state it: words, local bounds, and the zone."""
        start = self.start.astimezone(self.zone).strftime("%d.%m.%Y %H:%M")
        end = self.end.astimezone(self.zone).strftime("%d.%m.%Y %H:%M")
        return f"{self.description}: {start} – {end} ({self.zone.key})"


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _parse_date(text: str) -> date:
    if not _DATE.match(text):
        raise WindowError(f"{text!r} is not a date like 2026-11-27")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WindowError(f"{text!r} is not a real date") from None


def parse_window(text: str, now: datetime, zone: ZoneInfo) -> Window:
    """Read a window; raise WindowError with a reason the user can act on."""
    words = text.split()
    now = now.astimezone(UTC)
    today = now.astimezone(zone).date()
    if len(words) == 2:
        first, last = _parse_date(words[0]), _parse_date(words[1])
        if last < first:
            raise WindowError(f"{words[1]} is before {words[0]}")
        end = _midnight(last + timedelta(days=1), zone)
        return Window(_midnight(first, zone), end, f"{first} to {last}", zone)
    if len(words) != 1:
        raise WindowError(f"a window is one of: {WINDOW_FORMS}")
    word = words[0].lower()
    if word == "today":
        return Window(_midnight(today, zone), now, "today", zone)
    if word == "yesterday":
        start = _midnight(today - timedelta(days=1), zone)
        return Window(start, _midnight(today, zone), "yesterday", zone)
    if match := _DURATION.match(word):
        amount, unit = int(match.group(1)), match.group(2).lower()
        if amount == 0:
            raise WindowError("a window must be longer than zero")
        span = timedelta(seconds=amount * _UNIT_SECONDS[unit])
        if span > MAX_SPAN:
            raise WindowError(f"{word} is longer than ten years")
        name = _UNIT_NAMES[unit] + ("s" if amount != 1 else "")
        return Window(now - span, now, f"the last {amount} {name}", zone)
    if match := _CLOCK.match(word):
        since = datetime.combine(
            today, time(int(match.group(1)), int(match.group(2))), tzinfo=zone
        ).astimezone(UTC)
        if since > now:
            raise WindowError(f"{word} has not come yet today")
        return Window(since, now, f"since {word} today", zone)
    if _DATE.match(word):
        day = _parse_date(word)
        end = _midnight(day + timedelta(days=1), zone)
        return Window(_midnight(day, zone), end, str(day), zone)
    raise WindowError(f"{words[0]!r} is not a window; use {WINDOW_FORMS}")


def split_trailing_window(
    words: list[str], now: datetime, zone: ZoneInfo
) -> tuple[list[str], Window | None]:
    """Separate a window written at the end of other words (`/search code 2h`).

    Tries the last two words (a date range), then the last one; the words before it must
    not be empty, so `/search today` searches for "today".
    """
    for size in (2, 1):
        if len(words) > size:
            try:
                return words[:-size], parse_window(" ".join(words[-size:]), now, zone)
            except WindowError:
                continue
    return words, None

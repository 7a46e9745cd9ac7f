"""Quiet hours: when a route's SMS are relayed without a notification sound. Pure: no I/O.

A route's `quiet` names days, hours, or both, in the display zone (DISPLAY_TIMEZONE):

    quiet = "23:00-07:00"            every night, 23:00 up to (not including) 07:00
    quiet = "Sat-Sun"                the whole of Saturday and Sunday
    quiet = "Mon,Wed-Fri 12:00-13:00"
    quiet = "Sat-Sun 23:00-07:00"    both must hold: a weekend day AND those hours

Days are `Mon Tue Wed Thu Fri Sat Sun` (or in full, any case), single or as ranges (`Fri-Mon` wraps
past Sunday), separated by commas. Hours are `HH:MM-HH:MM`, from the first minute up to
the second, crossing midnight when the end comes first; `24:00` may end a window. Days and
hours together mean both: the day is the one the moment falls on, so `Sat-Sun 23:00-07:00`
covers Saturday and Sunday from 00:00 to 07:00 and from 23:00 to midnight, and not
Monday's early hours.

A moment is read on the wall clock of the zone, as people there see it: across a
daylight-saving change the window still opens and closes at the times written (an hour
the clock skips is simply not lived; an hour lived twice is quiet both times if written).
Whether an SMS is quiet is decided when it is relayed, not when it arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
MINUTES_A_DAY = 24 * 60
STORED_SEPARATOR = "; "  # between the windows of several routes, as a delivery keeps them

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class QuietError(ValueError):
    """A `quiet` value that cannot be read; the message says why, in one line."""


@dataclass(frozen=True)
class QuietHours:
    """Days of the week (0 is Monday) and minutes of the day, [start, end) on the wall clock.

    `start == end` is never built: no hours means the whole day (0, MINUTES_A_DAY).
    """

    days: frozenset[int] = ALL_DAYS
    start: int = 0  # minutes after midnight
    end: int = MINUTES_A_DAY  # before `start`: the window crosses midnight

    def covers(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether `moment` (aware) falls in the window, on the wall clock of `zone`."""
        local = moment.astimezone(zone)
        if local.weekday() not in self.days:
            return False
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        """The canonical spelling, which `parse_quiet` reads back to the same window."""
        parts = []
        if self.days != ALL_DAYS:
            parts.append(",".join(DAYS[day].title() for day in sorted(self.days)))
        if (self.start, self.end) != (0, MINUTES_A_DAY):
            parts.append(f"{_clock(self.start)}-{_clock(self.end)}")
        return " ".join(parts)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(word: str) -> int:
    name = word.strip().lower()
    for names in (DAYS, FULL_DAYS):
        if name in names:
            return names.index(name)
    raise QuietError(f"{word.strip()!r} is not a day (Mon, Tue, ... Sun)")


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        if not dash:
            days.add(_day(first))
            continue
        start, end = _day(first), _day(last)
        days.update((start + step) % 7 for step in range((end - start) % 7 + 1))
    return frozenset(days)


def _hours(text: str) -> tuple[int, int]:
    match = _HOURS.match(text)
    if match is None:
        raise QuietError(f"{text!r} is not HH:MM-HH:MM")
    sh, sm, eh, em = (int(group) for group in match.groups())
    if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em != 0):
        raise QuietError(f"{text!r}: not a time of day (00:00 to 23:59, or 24:00 to end)")
    start, end = sh * 60 + sm, eh * 60 + em
    if start == end % MINUTES_A_DAY:
        raise QuietError(f"{text!r} starts where it ends: give days alone for whole days")
    return start, end


def parse_quiet(text: str) -> QuietHours:
    """The window `text` writes (see the module's docstring), or QuietError saying why."""
    words = text.split()
    if not words or len(words) > 2:
        raise QuietError(
            f"{text.strip()!r}: write days, hours or both, such as 'Sat-Sun 23:00-07:00'"
        )
    hours = words[-1] if any(c.isdigit() for c in words[-1]) else None  # days have none
    days = words[0] if words[0] != hours else None
    if len(words) == 2 and (hours is None or days is None):
        raise QuietError(f"{text.strip()!r}: write the days first, then HH:MM-HH:MM")
    start, end = _hours(hours) if hours is not None else (0, MINUTES_A_DAY)
    return QuietHours(_days(days) if days is not None else ALL_DAYS, start, end)


@lru_cache(maxsize=256)
def _stored(text: str) -> tuple[QuietHours, ...]:
    return tuple(parse_quiet(part) for part in text.split(STORED_SEPARATOR.strip()))


def quiet_at(stored: str | None, moment: datetime, zone: ZoneInfo) -> bool:
    """Whether a delivery keeping the windows `stored` (several routes' windows, all of
    which must hold, joined by STORED_SEPARATOR; None: none) is quiet at `moment`."""
    if not stored:
        return False
    return all(window.covers(moment, zone) for window in _stored(stored))


def joined(windows: list[QuietHours]) -> str:
    """Several routes' windows as a delivery keeps them (all must hold)."""
    return STORED_SEPARATOR.join(dict.fromkeys(str(window) for window in windows))

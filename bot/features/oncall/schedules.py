"""Who is on duty when, by a chat's schedule: a rotation, or an iCalendar's events.

A rotation is pure arithmetic: the first person's first shift starts on `start` at
`handover` (a wall-clock time of the display zone, kept across daylight-saving changes),
each shift lasts `shift` (or, with `days`, until the next of those weekdays' handover),
and the people take turns in order. A calendar is read with `icalendar` and expanded with
`recurring-ical-events` (recurring events, EXDATE exceptions, each event's own TZID); each
event's SUMMARY names a person of the team file (a key or a name, in any case). Events
naming nobody known are skipped and reported (`unknown`), never fatal.

Both answer the same three questions (`Plan`): who is on duty at an instant, who comes
next after it, and the handovers between two instants. Pure, apart from the calendar
having been fetched by the caller (`bot.features.oncall.calendars`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]

from bot.features.oncall.team import Rotation, Team

MAX_HANDOVERS = 1000  # handovers listed between two instants, at most
LOOK_AHEAD = timedelta(days=62)  # how far a calendar is searched for who is next
LOOK_BACK = timedelta(days=62)  # and back for the last change of duty


@dataclass(frozen=True)
class Shift:
    """A person's time on duty: [start, end), in UTC; `end` None: open-ended."""

    person: str  # a key of the team file
    start: datetime
    end: datetime | None


# --- rotations ----------------------------------------------------------------------------


def _firsts(rotation: Rotation) -> list[int]:
    """Days after `start`, within its first week, on which a `days` rotation hands over."""
    return [i for i in range(7) if (rotation.start.weekday() + i) % 7 in rotation.days]


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    return wall_instant(datetime.combine(day, at), zone)


def wall_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time of `zone` as an instant in UTC; a time read twice (the clocks go
    back) is its first reading.

    A time the clocks skip (they go forward) is the instant they jump at, as if the
    handover waited for the clock to show it: so handovers never run backwards, and a
    shift that lies wholly in the gap lasts no time (nobody is on duty in it). Python's
    own reading (`fold=0`, the offset before the jump) puts 02:00 of Berlin's spring
    night on 03:00's instant and 02:30 half an hour after it, so a shift could end
    before it began.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second >= first:  # an ordinary time (the same), or one read twice
        return first
    # In the gap `first` lies after the jump and `second` before it: find the jump,
    # the first second that has the offset after it.
    offset_after = first.astimezone(zone).utcoffset()
    before, after = 0, int((first - second).total_seconds())
    while after - before > 1:
        middle = (before + after) // 2
        if (second + timedelta(seconds=middle)).astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return second + timedelta(seconds=after)


def handover_at(rotation: Rotation, k: int, zone: ZoneInfo) -> datetime:
    """The instant of the rotation's k-th handover (0: the first shift's start), in UTC."""
    if rotation.days:
        firsts = _firsts(rotation)
        weeks, nth = divmod(k, len(firsts))
        day = rotation.start + timedelta(days=7 * weeks + firsts[nth])
        return _wall(day, rotation.handover, zone)
    assert rotation.shift is not None
    return wall_instant(
        datetime.combine(rotation.start, rotation.handover) + k * rotation.shift, zone
    )


def _estimate(rotation: Rotation, at: datetime, zone: ZoneInfo) -> int:
    if rotation.days:
        firsts = _firsts(rotation)
        elapsed = (at.astimezone(zone).date() - rotation.start).days
        weeks, rest = divmod(elapsed, 7)
        return weeks * len(firsts) + sum(1 for first in firsts if first <= rest) - 1
    assert rotation.shift is not None
    return (at - handover_at(rotation, 0, zone)) // rotation.shift


def shift_index(rotation: Rotation, at: datetime, zone: ZoneInfo) -> int:
    """Which shift holds the instant `at` (0: the first); -1 before the first one."""
    k = max(-1, _estimate(rotation, at, zone))
    while handover_at(rotation, k + 1, zone) <= at:
        k += 1
    while k >= 0 and handover_at(rotation, k, zone) > at:
        k -= 1
    return k


def rotation_shift(rotation: Rotation, k: int, zone: ZoneInfo) -> Shift:
    """The rotation's k-th shift."""
    person = rotation.people[k % len(rotation.people)]
    return Shift(person, handover_at(rotation, k, zone), handover_at(rotation, k + 1, zone))


def rotation_on_duty(rotation: Rotation, at: datetime, zone: ZoneInfo) -> Shift | None:
    """Who the rotation has on duty at `at`; None before its first shift."""
    k = shift_index(rotation, at, zone)
    return None if k < 0 else rotation_shift(rotation, k, zone)


def rotation_handovers(
    rotation: Rotation, after: datetime, until: datetime, zone: ZoneInfo
) -> list[Shift]:
    """The shifts that begin in (after, until], in order (at most MAX_HANDOVERS); a shift
    the clocks skip wholly (it lasts no time: `wall_instant`) is nobody's duty, not listed."""
    found: list[Shift] = []
    k = shift_index(rotation, after, zone) + 1
    while len(found) < MAX_HANDOVERS:
        shift = rotation_shift(rotation, k, zone)
        if shift.start > until:
            break
        if shift.end != shift.start:
            found.append(shift)
        k += 1
    return found


# --- calendars ----------------------------------------------------------------------------


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """An event's start or end in UTC: a date is its midnight in the display zone, a
    floating time is read in it too."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time()).replace(tzinfo=zone).astimezone(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class CalendarShifts:
    """A calendar read: its events as shifts of known people, and titles naming nobody."""

    calendar: icalendar.Calendar
    team: Team
    zone: ZoneInfo
    unknown: frozenset[str] = field(default=frozenset())

    def between(self, start: datetime, end: datetime) -> list[Shift]:
        """The shifts of the events that overlap [start, end), by start."""
        events = recurring_ical_events.of(self.calendar).between(start, end)
        shifts = []
        for event in events:
            member = self.team.member_named(str(event.get("SUMMARY", "")))
            if member is None:
                continue
            begin = _instant(event.decoded("DTSTART"), self.zone)
            finish = _instant(event.decoded("DTEND"), self.zone) if "DTEND" in event else None
            if finish is None and "DURATION" in event:
                finish = begin + event.decoded("DURATION")
            shifts.append(Shift(member.key, begin, finish or begin + timedelta(days=1)))
        return sorted(shifts, key=lambda s: (s.start, s.person))


def read_calendar(data: bytes | str, team: Team, zone: ZoneInfo) -> CalendarShifts:
    """A calendar's text, parsed (ValueError when it is not iCalendar); the SUMMARYs that
    name nobody of the team are collected in `unknown`."""
    calendar = icalendar.Calendar.from_ical(data)
    if not isinstance(calendar, icalendar.Calendar):
        raise ValueError("not an iCalendar (no VCALENDAR)")
    unknown = {
        str(event.get("SUMMARY", "")).strip()
        for event in calendar.walk("VEVENT")
        if team.member_named(str(event.get("SUMMARY", ""))) is None
    }
    return CalendarShifts(calendar, team, zone, frozenset(unknown))


# --- either -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A chat's schedule, ready to answer: a rotation, or a calendar read (None: not yet)."""

    rotation: Rotation | None
    calendar: CalendarShifts | None
    zone: ZoneInfo

    def on_duty(self, at: datetime) -> list[Shift]:
        """The shifts holding `at` (a rotation: one at most; a calendar: any overlap)."""
        if self.rotation is not None:
            shift = rotation_on_duty(self.rotation, at, self.zone)
            return [] if shift is None else [shift]
        if self.calendar is None:
            return []
        shifts = self.calendar.between(at, at + timedelta(seconds=1))
        return [s for s in shifts if s.start <= at and (s.end is None or at < s.end)]

    def next_after(self, at: datetime) -> list[Shift]:
        """The shifts that begin first after `at` (who is next), within LOOK_AHEAD."""
        if self.rotation is not None:
            return [
                rotation_shift(
                    self.rotation, shift_index(self.rotation, at, self.zone) + 1, self.zone
                )
            ]
        if self.calendar is None:
            return []
        later = [s for s in self.calendar.between(at, at + LOOK_AHEAD) if s.start > at]
        first = min((s.start for s in later), default=None)
        return [s for s in later if s.start == first]

    def last_change(self, at: datetime) -> datetime | None:
        """The latest instant at or before `at` when duty changed hands (a handover, a
        calendar shift's start or end): overrides set before it no longer count."""
        if self.rotation is not None:
            k = shift_index(self.rotation, at, self.zone)
            return None if k < 0 else handover_at(self.rotation, k, self.zone)
        if self.calendar is None:
            return None
        shifts = self.calendar.between(at - LOOK_BACK, at + timedelta(seconds=1))
        edges = [s.start for s in shifts] + [s.end for s in shifts if s.end is not None]
        return max((edge for edge in edges if edge <= at), default=None)

    def handovers(self, after: datetime, until: datetime) -> list[datetime]:
        """The instants in (after, until] at which a shift begins, in order, each once."""
        if self.rotation is not None:
            shifts: Sequence[Shift] = rotation_handovers(self.rotation, after, until, self.zone)
        elif self.calendar is not None:
            shifts = self.calendar.between(after, until + timedelta(seconds=1))
        else:
            return []
        return sorted({s.start for s in shifts if after < s.start <= until})[:MAX_HANDOVERS]

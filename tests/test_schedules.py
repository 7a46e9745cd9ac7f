"""Schedules, pure: who a rotation has on duty at an instant, the handovers between two
instants (hypothesis), and calendars with a weekly recurring shift, an EXDATE exception
and a TZID other than the display zone, across a daylight-saving change."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.features.oncall.schedules import (
    Plan,
    handover_at,
    read_calendar,
    rotation_handovers,
    rotation_on_duty,
    wall_instant,
)
from bot.features.oncall.team import Member, Rotation, Team

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKLY = Rotation(("anna", "boris", "vera"), time(9), timedelta(weeks=1), date(2026, 12, 7))
MON_THU = Rotation(("anna", "boris"), time(9, 30), None, date(2026, 12, 2), days=(0, 3))
TEAM = Team(
    Path("team.toml"),
    {
        "anna": Member("anna", "Anna", 1, "+79261234567"),
        "boris": Member("boris", "Boris", 2, "+79261234568"),
    },
    {},
    {},
)


def at(text: str, zone: ZoneInfo = MOSCOW) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def test_a_weekly_rotation() -> None:
    assert rotation_on_duty(WEEKLY, at("2026-12-07 08:59"), MOSCOW) is None
    first = rotation_on_duty(WEEKLY, at("2026-12-07 09:00"), MOSCOW)
    assert first is not None and first.person == "anna"
    assert first.end == at("2026-12-14 09:00")
    assert rotation_on_duty(WEEKLY, at("2026-12-14 09:00"), MOSCOW).person == "boris"  # type: ignore[union-attr]
    assert rotation_on_duty(WEEKLY, at("2026-12-27 23:00"), MOSCOW).person == "vera"  # type: ignore[union-attr]
    assert rotation_on_duty(WEEKLY, at("2026-12-28 09:00"), MOSCOW).person == "anna"  # type: ignore[union-attr]


def test_a_rotation_on_weekdays() -> None:
    # 2026-12-02 is a Wednesday: the first handover is Thursday the 3rd, then Monday the 7th
    assert handover_at(MON_THU, 0, MOSCOW) == at("2026-12-03 09:30")
    assert handover_at(MON_THU, 1, MOSCOW) == at("2026-12-07 09:30")
    assert handover_at(MON_THU, 2, MOSCOW) == at("2026-12-10 09:30")
    assert rotation_on_duty(MON_THU, at("2026-12-08 12:00"), MOSCOW).person == "boris"  # type: ignore[union-attr]


def test_the_handover_keeps_its_wall_clock_time_across_a_dst_change() -> None:
    rotation = Rotation(("anna", "boris"), time(9), timedelta(days=1), date(2026, 3, 27))
    shifts = rotation_handovers(
        rotation, at("2026-03-27 00:00", BERLIN), at("2026-03-31", BERLIN), BERLIN
    )
    assert [s.start.astimezone(BERLIN).hour for s in shifts] == [9, 9, 9, 9]
    assert shifts[1].start - shifts[0].start == timedelta(days=1)
    assert shifts[2].start - shifts[1].start == timedelta(hours=23)  # the night of 29 March


def test_an_hour_the_clocks_skip_is_nobodys_shift() -> None:
    """Hourly shifts in Berlin on 29 March 2020: 02:00 does not exist; its shift lasts no
    time and is not a handover, and the duty passes from 01:00's shift to 03:00's."""
    hourly = Rotation(("anna", "boris"), time(0), timedelta(hours=1), date(2020, 1, 1))
    after, until = at("2020-03-29 00:30", BERLIN), at("2020-03-29 04:30", BERLIN)
    shifts = rotation_handovers(hourly, after, until, BERLIN)
    assert [s.start.astimezone(BERLIN).hour for s in shifts] == [1, 3, 4]
    assert shifts[0].end == shifts[1].start  # 01:00's shift ends at the jump, 03:00
    assert wall_instant(datetime(2020, 3, 29, 2, 30), BERLIN) == at("2020-03-29 03:00", BERLIN)
    # read twice in October: the first reading, summer time
    assert wall_instant(datetime(2020, 10, 25, 2, 30), BERLIN) == datetime(
        2020, 10, 25, 0, 30, tzinfo=UTC
    )


# Lord Howe's clocks move by half an hour; Troll's jump by two hours in spring.
ODD_ZONES = [ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Antarctica/Troll")]
ZONES = st.sampled_from([MOSCOW, BERLIN, ZoneInfo("America/New_York"), ZoneInfo("UTC"), *ODD_ZONES])
ROTATIONS = st.builds(
    Rotation,
    people=st.lists(st.sampled_from(["anna", "boris", "vera"]), min_size=1, max_size=4).map(tuple),
    handover=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    shift=st.one_of(st.none(), st.integers(1, 30 * 24).map(lambda h: timedelta(hours=h))),
    start=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    days=st.just(()),
).map(
    lambda r: (
        r if r.shift is not None else Rotation(r.people, r.handover, None, r.start, days=(0, 2, 4))
    )
)
INSTANTS = st.datetimes(datetime(2019, 6, 1), datetime(2031, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(max_examples=300, deadline=None)
@given(ROTATIONS, INSTANTS, ZONES)
def test_the_shift_on_duty_holds_the_instant(
    rotation: Rotation, instant: datetime, zone: ZoneInfo
) -> None:
    shift = rotation_on_duty(rotation, instant, zone)
    if shift is None:
        assert instant < handover_at(rotation, 0, zone)
        return
    assert shift.end is not None and shift.start <= instant < shift.end


HOURLY = Rotation(("anna",), time(0), timedelta(hours=1), date(2020, 1, 1))


@settings(max_examples=200, deadline=None)
@given(ROTATIONS, INSTANTS, st.integers(0, 24 * 40), ZONES)
@example(HOURLY, datetime(2020, 3, 10, tzinfo=UTC), 457, BERLIN)  # found by CI, 2026-12-05
def test_handovers_between_two_instants_are_where_duty_changes(
    rotation: Rotation, after: datetime, hours: int, zone: ZoneInfo
) -> None:
    until = after + timedelta(hours=hours)
    shifts = rotation_handovers(rotation, after, until, zone)
    assert all(after < s.start <= until for s in shifts)
    assert [s.start for s in shifts] == sorted({s.start for s in shifts})
    for earlier, later in itertools.pairwise(shifts):
        assert earlier.end == later.start
    # none missed: the shift at `until` began in (after, until] or holds `after` too
    last = rotation_on_duty(rotation, until, zone)
    if last is not None and last.start > after:
        assert shifts and shifts[-1] == last
    if not shifts:
        assert last == rotation_on_duty(rotation, after, zone)


# A weekly shift, Monday 10:00 to the next Monday 10:00 in Berlin, Anna one week and Boris
# the other; one of Anna's weeks (7 December) taken out by an EXDATE. The display zone is
# Moscow (no DST): Berlin's 10:00 is 12:00 in Moscow in winter, 11:00 in summer.
ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//duty//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:anna@test
SUMMARY:Anna
DTSTART;TZID=Europe/Berlin:20261130T100000
DTEND;TZID=Europe/Berlin:20261207T100000
RRULE:FREQ=WEEKLY;INTERVAL=2
EXDATE;TZID=Europe/Berlin:20261214T100000
END:VEVENT
BEGIN:VEVENT
UID:boris@test
SUMMARY:boris
DTSTART;TZID=Europe/Berlin:20261207T100000
DTEND;TZID=Europe/Berlin:20261214T100000
RRULE:FREQ=WEEKLY;INTERVAL=2
END:VEVENT
BEGIN:VEVENT
UID:nobody@test
SUMMARY:Grisha
DTSTART;TZID=Europe/Berlin:20261201T100000
DTEND;TZID=Europe/Berlin:20261201T110000
END:VEVENT
END:VCALENDAR
"""


def plan() -> Plan:
    return Plan(None, read_calendar(ICS, TEAM, MOSCOW), MOSCOW)


def names(shifts: list) -> list[str]:  # type: ignore[type-arg]
    return [s.person for s in shifts]


def test_a_weekly_recurring_shift_in_another_zone() -> None:
    schedule = plan()
    assert names(schedule.on_duty(at("2026-12-01 12:00"))) == ["anna"]
    assert names(schedule.on_duty(at("2026-12-07 11:59"))) == ["anna"]  # 09:59 in Berlin
    assert names(schedule.on_duty(at("2026-12-07 12:00"))) == ["boris"]
    [boris] = schedule.on_duty(at("2026-12-08 12:00"))
    assert boris.end == at("2026-12-14 10:00", BERLIN) == at("2026-12-14 12:00")
    assert names(schedule.on_duty(at("2026-12-28 12:00"))) == ["anna"]


def test_an_exdate_leaves_a_gap_and_an_unknown_title_is_reported() -> None:
    schedule = plan()
    assert schedule.on_duty(at("2026-12-15 12:00")) == []  # Anna's week taken out
    assert names(schedule.next_after(at("2026-12-15 12:00"))) == ["boris"]
    assert schedule.next_after(at("2026-12-15 12:00"))[0].start == at("2026-12-21 12:00")
    assert read_calendar(ICS, TEAM, MOSCOW).unknown == frozenset({"Grisha"})
    assert names(schedule.on_duty(at("2026-12-01 12:30"))) == ["anna"]  # Grisha's skipped


def test_the_shift_follows_berlin_across_its_dst_change() -> None:
    schedule = plan()
    # 30 March 2027 is after Berlin's spring change: 10:00 Berlin is 11:00 Moscow
    march = [at("2027-03-15 11:59"), at("2027-03-29 10:59"), at("2027-03-29 11:00")]
    duty = [names(schedule.on_duty(instant)) for instant in march]
    assert duty[0] == ["anna"]  # 15 March, winter: 10:00 Berlin is 12:00 Moscow
    assert names(schedule.on_duty(at("2027-03-15 12:00"))) == ["boris"]
    assert duty[1] == ["anna"] and duty[2] == ["boris"]
    assert schedule.handovers(at("2027-03-28 00:00"), at("2027-03-30 00:00")) == [
        at("2027-03-29 11:00")
    ]


@settings(max_examples=300, deadline=None)
@given(ROTATIONS, st.integers(0, 24 * 3700), ZONES)
@example(HOURLY, 24 * 88 + 2, ZoneInfo("Antarctica/Troll"))  # 02:00, 29 March 2020: skipped
def test_handovers_never_run_backwards(rotation: Rotation, k: int, zone: ZoneInfo) -> None:
    assert handover_at(rotation, k, zone) <= handover_at(rotation, k + 1, zone)

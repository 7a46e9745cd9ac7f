"""Quiet hours: a route's `quiet` read and checked, the window's pure rule at its edges,
across midnight and across daylight-saving changes, and the routes that combine them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.relay.plan import plan_next
from bot.routing.quiet import QuietError, QuietHours, joined, parse_quiet, quiet_at
from bot.routing.routes import Route, Router, RoutesFileError, RouteSpec, combine, load_routes
from bot.routing.targets import ChatTarget
from bot.text.sms_view import Look
from state import IncomingSms, PendingDelivery, StoredSms

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
NIGHT = parse_quiet("23:00-07:00")


def berlin(*fields: int, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


def test_the_night_window_opens_at_its_first_minute_and_closes_at_its_last() -> None:
    assert not NIGHT.covers(berlin(2026, 12, 3, 22, 59, 59), BERLIN)
    assert NIGHT.covers(berlin(2026, 12, 3, 23, 0), BERLIN)
    assert NIGHT.covers(berlin(2026, 12, 3, 23, 59, 59), BERLIN)
    assert NIGHT.covers(berlin(2026, 12, 4, 0, 0), BERLIN)  # across midnight
    assert NIGHT.covers(berlin(2026, 12, 4, 6, 59, 59), BERLIN)
    assert not NIGHT.covers(berlin(2026, 12, 4, 7, 0), BERLIN)


def test_a_day_window_does_not_cross_midnight() -> None:
    lunch = parse_quiet("12:00-13:30")
    assert lunch.covers(berlin(2026, 12, 3, 12, 0), BERLIN)
    assert lunch.covers(berlin(2026, 12, 3, 13, 29), BERLIN)
    assert not lunch.covers(berlin(2026, 12, 3, 13, 30), BERLIN)
    assert not lunch.covers(berlin(2026, 12, 3, 0, 0), BERLIN)
    assert parse_quiet("22:00-24:00").covers(berlin(2026, 12, 3, 23, 59), BERLIN)


def test_days_and_hours_together_must_both_hold() -> None:
    weekend_nights = parse_quiet("Sat-Sun 23:00-07:00")
    assert weekend_nights.covers(berlin(2026, 12, 5, 6, 0), BERLIN)  # Saturday early
    assert weekend_nights.covers(berlin(2026, 12, 6, 23, 30), BERLIN)  # Sunday late
    assert not weekend_nights.covers(berlin(2026, 12, 7, 6, 0), BERLIN)  # Monday early
    assert not weekend_nights.covers(berlin(2026, 12, 4, 23, 30), BERLIN)  # Friday late
    assert not weekend_nights.covers(berlin(2026, 12, 5, 12, 0), BERLIN)  # Saturday noon


def test_days_alone_cover_the_whole_day_and_ranges_wrap_past_sunday() -> None:
    weekend = parse_quiet("Sat-Sun")
    assert weekend.covers(berlin(2026, 12, 5, 0, 0), BERLIN)
    assert weekend.covers(berlin(2026, 12, 6, 23, 59), BERLIN)
    assert not weekend.covers(berlin(2026, 12, 7, 0, 0), BERLIN)
    assert parse_quiet("Fri-Mon").days == {4, 5, 6, 0}
    assert parse_quiet("mon,WED-friday").days == {0, 2, 3, 4}


def test_the_zone_is_the_display_zones_wall_clock() -> None:
    moment = datetime(2026, 12, 3, 21, 30, tzinfo=UTC)  # 22:30 in Berlin, 00:30 in Moscow
    assert not NIGHT.covers(moment, BERLIN)
    assert NIGHT.covers(moment, MOSCOW)


def test_across_the_spring_change_the_window_keeps_its_wall_clock_times() -> None:
    """Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 is never lived."""
    window = parse_quiet("01:30-02:30")
    before = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)  # 01:59 CET
    after = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert window.covers(before, BERLIN)
    assert not window.covers(after, BERLIN)
    night = datetime(2026, 3, 29, 4, 59, tzinfo=UTC)  # 06:59 CEST: the night is an hour short
    assert NIGHT.covers(night, BERLIN)
    assert not NIGHT.covers(night + timedelta(minutes=1), BERLIN)


def test_across_the_autumn_change_an_hour_lived_twice_is_quiet_both_times() -> None:
    """Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:15 is lived twice."""
    window = parse_quiet("02:00-02:30")
    first = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 02:15 CEST
    second = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET
    between = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # 02:45 CEST
    assert window.covers(first, BERLIN) and window.covers(second, BERLIN)
    assert not window.covers(between, BERLIN)
    assert NIGHT.covers(datetime(2026, 10, 25, 5, 59, tzinfo=UTC), BERLIN)  # 06:59 CET
    assert not NIGHT.covers(datetime(2026, 10, 25, 6, 0, tzinfo=UTC), BERLIN)


minutes = st.integers(0, 24 * 60 - 1)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@given(start=minutes, end=minutes, moment=moments)
def test_a_window_and_its_complement_cover_every_moment_once(
    start: int, end: int, moment: datetime
) -> None:
    if start == end:
        return
    window = parse_quiet(f"{clock(start)}-{clock(end)}")
    complement = parse_quiet(f"{clock(end)}-{clock(start)}")
    assert window.covers(moment, BERLIN) != complement.covers(moment, BERLIN)


@given(start=minutes, end=minutes, moment=moments)
def test_a_window_covers_a_moment_exactly_when_its_wall_clock_minute_is_inside(
    start: int, end: int, moment: datetime
) -> None:
    if start == end:
        return
    local = moment.astimezone(BERLIN)
    minute = local.hour * 60 + local.minute
    inside = (minute - start) % (24 * 60) < (end - start) % (24 * 60)
    assert parse_quiet(f"{clock(start)}-{clock(end)}").covers(moment, BERLIN) == inside


@given(
    days=st.frozensets(st.integers(0, 6), min_size=1),
    hours=st.none() | st.tuples(minutes, minutes).filter(lambda pair: pair[0] != pair[1]),
)
def test_the_canonical_spelling_reads_back_to_the_same_window(
    days: frozenset[int], hours: tuple[int, int] | None
) -> None:
    start, end = hours if hours is not None else (0, 24 * 60)
    window = QuietHours(days, start, end)
    if str(window):
        assert parse_quiet(str(window)) == window


@given(st.text(max_size=40))
def test_any_text_is_a_window_or_a_one_line_error(text: str) -> None:
    try:
        parse_quiet(text)
    except QuietError as error:
        assert "\n" not in str(error).replace(repr(text), "")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "write days, hours or both"),
        ("23:00", "not HH:MM-HH:MM"),
        ("25:00-07:00", "not a time of day"),
        ("07:00-07:00", "starts where it ends"),
        ("00:00-24:00", "starts where it ends"),
        ("Sat-Sunday 7-8", "not HH:MM-HH:MM"),
        ("Weekend", "not a day"),
        ("23:00-07:00 Sat", "the days first"),
        ("Sat Sun 23:00-07:00", "write days, hours or both"),
    ],
)
def test_a_bad_value_says_why(value: str, why: str) -> None:
    with pytest.raises(QuietError, match=why):
        parse_quiet(value)


def test_a_bad_quiet_in_the_routes_file_stops_with_one_line_naming_file_route_and_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "routes.toml"
    path.write_text('[[route]]\nname = "night"\ntext = "x"\nchats = ["-1"]\nquiet = "23-7"\n')
    with pytest.raises(RoutesFileError) as raised:
        load_routes(path)
    message = str(raised.value)
    assert message.startswith(f'ROUTES_FILE {path}: route 1 ("night"): quiet: ')
    assert "'23-7' is not HH:MM-HH:MM" in message and "\n" not in message
    path.write_text('[[route]]\ntext = "x"\nchats = ["-1"]\nsilent = true\nquiet = "Sat"\n')
    with pytest.raises(RoutesFileError, match=r"route 1: quiet: a dropped or silent route"):
        load_routes(path)


def route(number: int, chats: list[str], **fields: object) -> Route:
    spec = RouteSpec.model_validate({"text": "x", "chats": chats, **fields})
    assert spec.problem() is None, spec.problem()
    return Route.from_spec(number, spec)


def test_a_chat_two_routes_name_is_quiet_only_when_each_is_silent_or_quiet() -> None:
    a, c = ChatTarget(-1), ChatTarget(-3)
    night = route(1, ["-1", "-2", "-3"], quiet="23:00-07:00", **{"continue": True})
    weekend = route(2, ["-1"], quiet="Sat-Sun", **{"continue": True})
    loud = route(3, ["-2"], **{"continue": True})
    hush = route(4, ["-3"], silent=True)
    decision = combine([night, weekend, loud, hush])
    assert dict(decision.quiet) == {a: "23:00-07:00; Sat,Sun", c: "23:00-07:00"}
    assert decision.silent == frozenset()
    assert decision.placement(relay=True).quiet == (
        ("-1", "23:00-07:00; Sat,Sun"),
        ("-3", "23:00-07:00"),
    )
    assert decision.placement(relay=False).quiet == ()
    assert "-1 (quiet 23:00-07:00; Sat,Sun), -2, -3 (quiet 23:00-07:00)" in decision.describe()
    saturday_night = datetime(2026, 12, 5, 23, 30, tzinfo=MOSCOW)
    friday_night = datetime(2026, 12, 4, 23, 30, tzinfo=MOSCOW)
    assert quiet_at("23:00-07:00; Sat,Sun", saturday_night, MOSCOW)
    assert not quiet_at("23:00-07:00; Sat,Sun", friday_night, MOSCOW)
    assert not quiet_at(None, saturday_night, MOSCOW)
    assert joined([NIGHT, NIGHT]) == "23:00-07:00"


def test_the_routers_placement_keeps_the_quiet_hours_of_each_target() -> None:
    router = Router([route(1, ["-5"], quiet="Sat-Sun 23:00-07:00")], [ChatTarget(-9)])
    now = datetime(2026, 12, 3, tzinfo=UTC)
    sms = IncomingSms(1, "79261234567", "79030000001", "x marks", now, None)
    assert router.placement(sms, relay=True).quiet == (("-5", "Sat,Sun 23:00-07:00"),)


def test_a_digest_is_quiet_only_when_every_sms_in_it_is_quiet_when_it_goes() -> None:
    when = datetime(2026, 12, 3, 20, 30, tzinfo=UTC)  # 23:30 in Moscow, a Thursday
    look = Look(MOSCOW, when)

    def delivery(n: int, quiet: str | None) -> PendingDelivery:
        sms = StoredSms(n, "79261234567", "79031234567", f"SMS {n}", when, None, when)
        return PendingDelivery(sms, "-1", 0, quiet=quiet)

    nightly = [delivery(1, "23:00-07:00"), delivery(2, "Thu")]
    assert plan_next(nightly, 2, True, look).silent_at(when, MOSCOW)
    assert not plan_next(nightly, 2, True, look).silent_at(when + timedelta(hours=8), MOSCOW)
    mixed = [*nightly, delivery(3, "Sat-Sun")]
    assert not plan_next(mixed, 3, True, look).silent_at(when, MOSCOW)

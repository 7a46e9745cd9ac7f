"""The database's time text: UTC, whole seconds, in an order that sorts as time does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from state.times import from_db, to_db, to_db_end

ZONES = st.sampled_from(["Europe/Moscow", "Asia/Kolkata", "America/St_Johns", "UTC"]).map(ZoneInfo)
MOMENTS = st.datetimes(datetime(1900, 1, 1), datetime(9998, 12, 31), timezones=ZONES)


@given(moment=MOMENTS)
def test_a_moment_is_stored_as_its_utc_second(moment: datetime) -> None:
    stored = to_db(moment)
    assert stored == moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert from_db(stored) == moment.astimezone(UTC).replace(microsecond=0)


@given(first=MOMENTS, second=MOMENTS)
def test_stored_text_sorts_as_the_seconds_do(first: datetime, second: datetime) -> None:
    earlier = first.astimezone(UTC).replace(microsecond=0) < second.astimezone(UTC).replace(
        microsecond=0
    )
    assert (to_db(first) < to_db(second)) == earlier


@given(moment=MOMENTS)
@example(datetime(2026, 10, 25, 2, 30, 0, 500_000, fold=1, tzinfo=ZoneInfo("Europe/Berlin")))
def test_an_end_is_rounded_up_to_the_next_whole_second(moment: datetime) -> None:
    end, utc = from_db(to_db_end(moment)), moment.astimezone(UTC)  # compared in one zone:
    assert utc <= end < utc + timedelta(seconds=1)  # an hour that repeats compares oddly


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2026, 12, 4, 9, 0))


def test_a_naive_moment_is_refused_after_its_wall_time_was_stored_in_utc() -> None:
    to_db(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))  # remembered, and hashed as the naive one
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2026, 12, 4, 9, 0))


@pytest.mark.parametrize("first_fold", [0, 1])
def test_the_two_readings_of_a_repeated_hour_are_two_texts_whichever_comes_first(
    first_fold: int,
) -> None:
    # Berlin's clocks went back at 03:00 to 02:00: 02:30 came twice, an hour apart; the
    # two readings compare equal within their zone, so only `fold` tells them apart.
    berlin = ZoneInfo("Europe/Berlin")
    readings = {fold: datetime(2026, 10, 25, 2, 30, fold=fold, tzinfo=berlin) for fold in (0, 1)}
    assert readings[0] == readings[1]
    texts = {fold: to_db(readings[fold]) for fold in (first_fold, 1 - first_fold)}
    assert texts == {0: "2026-10-25 00:30:00", 1: "2026-10-25 01:30:00"}


DST_ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])


@given(
    moment=st.datetimes(
        datetime(2000, 1, 1), datetime(2040, 12, 31), timezones=DST_ZONES.map(ZoneInfo)
    ),
    other_zone=DST_ZONES.map(ZoneInfo),
)
def test_a_remembered_text_is_the_one_its_moment_writes(
    moment: datetime, other_zone: ZoneInfo
) -> None:
    # Whatever was stored just before: the other reading of the same wall time, the same
    # wall time in another zone, the same instant written in another zone.
    to_db(moment.replace(fold=1 - moment.fold))
    to_db(moment.replace(tzinfo=other_zone))
    to_db(moment.astimezone(other_zone))
    assert to_db(moment) == moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

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

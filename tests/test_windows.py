"""Time windows typed in commands, read in the display zone, returned in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.windows import WindowError, parse_window, split_trailing_window

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)  # 16:30 in Moscow


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("30m", NOW - timedelta(minutes=30), NOW),
        ("2h", NOW - timedelta(hours=2), NOW),
        ("1d", NOW - timedelta(days=1), NOW),
        ("7d", NOW - timedelta(days=7), NOW),
        ("2w", NOW - timedelta(days=14), NOW),
        ("today", utc(2026, 11, 26, 21, 0), NOW),
        ("TODAY", utc(2026, 11, 26, 21, 0), NOW),
        ("yesterday", utc(2026, 11, 25, 21, 0), utc(2026, 11, 26, 21, 0)),
        ("09:15", utc(2026, 11, 27, 6, 15), NOW),
        ("2026-11-01", utc(2026, 10, 31, 21, 0), utc(2026, 11, 1, 21, 0)),
        ("2026-11-01 2026-11-07", utc(2026, 10, 31, 21, 0), utc(2026, 11, 7, 21, 0)),
    ],
)
def test_windows_in_the_display_zone(text: str, start: datetime, end: datetime) -> None:
    window = parse_window(text, NOW, MOSCOW)
    assert (window.start, window.end) == (start, end)


def test_label_states_bounds_and_zone() -> None:
    label = parse_window("2h", NOW, MOSCOW).label()
    assert label == "the last 2 hours: 27.11.2026 14:30 – 27.11.2026 16:30 (Europe/Moscow)"


def test_a_day_across_a_dst_change_is_23_hours() -> None:
    window = parse_window("2026-03-29", NOW, BERLIN)
    assert window.end - window.start == timedelta(hours=23)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0h", "longer than zero"),
        ("17:00", "has not come yet"),
        ("2026-02-30", "not a real date"),
        ("2026-11-07 2026-11-01", "before"),
        ("last week", "not a date"),
        ("soon", "is not a window"),
        ("99999999d", "is not a window"),
        ("5000w", "ten years"),
        ("", "one of"),
    ],
)
def test_bad_windows_say_why(text: str, reason: str) -> None:
    with pytest.raises(WindowError, match=reason):
        parse_window(text, NOW, MOSCOW)


def test_trailing_window_is_split_off_the_words() -> None:
    words, window = split_trailing_window(["code", "2h"], NOW, MOSCOW)
    assert words == ["code"] and window is not None and window.description == "the last 2 hours"
    words, window = split_trailing_window(["a", "2026-11-01", "2026-11-02"], NOW, MOSCOW)
    assert words == ["a"] and window is not None and window.description.startswith("2026-11-01")
    assert split_trailing_window(["today"], NOW, MOSCOW) == (["today"], None)
    assert split_trailing_window(["two", "words"], NOW, MOSCOW) == (["two", "words"], None)


@given(st.text(max_size=40))
def test_any_text_is_a_window_or_a_window_error(text: str) -> None:
    try:
        window = parse_window(text, NOW, MOSCOW)
    except WindowError as error:
        assert str(error)
    else:
        assert window.start < window.end <= NOW + timedelta(days=1)

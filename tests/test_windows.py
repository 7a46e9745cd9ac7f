"""Time windows typed in commands, read in the display zone, returned in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat.windows import WindowError, parse_window, split_trailing_window
from bot.text.i18n import in_language

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
        # dates as answers write them, and ranges of them
        ("01.11", utc(2026, 10, 31, 21, 0), utc(2026, 11, 1, 21, 0)),
        ("01.11.2026", utc(2026, 10, 31, 21, 0), utc(2026, 11, 1, 21, 0)),
        ("1.11.26", utc(2026, 10, 31, 21, 0), utc(2026, 11, 1, 21, 0)),
        ("28.11", utc(2025, 11, 27, 21, 0), utc(2025, 11, 28, 21, 0)),  # the last 28.11
        ("01.11 07.11", utc(2026, 10, 31, 21, 0), utc(2026, 11, 7, 21, 0)),
        ("01.11-07.11", utc(2026, 10, 31, 21, 0), utc(2026, 11, 7, 21, 0)),
        ("01.11–07.11.2026", utc(2026, 10, 31, 21, 0), utc(2026, 11, 7, 21, 0)),
        ("01.11..07.11", utc(2026, 10, 31, 21, 0), utc(2026, 11, 7, 21, 0)),
        ("28.12.2025-03.01", utc(2025, 12, 27, 21, 0), utc(2026, 1, 3, 21, 0)),
        # HH:MM is its most recent occurrence: 17:00 has not come yet today
        ("17:00", utc(2026, 11, 26, 14, 0), NOW),
        # Russian words, whatever the interface language
        ("сегодня", utc(2026, 11, 26, 21, 0), NOW),
        ("Вчера", utc(2026, 11, 25, 21, 0), utc(2026, 11, 26, 21, 0)),
        ("30м", NOW - timedelta(minutes=30), NOW),
        ("2ч", NOW - timedelta(hours=2), NOW),
        ("7д", NOW - timedelta(days=7), NOW),
        ("1н", NOW - timedelta(days=7), NOW),
    ],
)
def test_windows_in_the_display_zone(text: str, start: datetime, end: datetime) -> None:
    window = parse_window(text, NOW, MOSCOW)
    assert (window.start, window.end) == (start, end)


def test_label_states_bounds_and_zone() -> None:
    label = parse_window("2h", NOW, MOSCOW).label()
    assert label == "the last 2 hours (27.11.2026 14:30 – 16:30 MSK)"
    label = parse_window("25.11 26.11", NOW, MOSCOW).label()
    assert label == "25.11.2026 to 26.11.2026 (25.11.2026 00:00 – 27.11.2026 00:00 MSK)"
    assert parse_window("2h", NOW, ZoneInfo("Asia/Yekaterinburg")).label().endswith(" UTC+5)")
    with in_language("ru"):
        assert parse_window("2h", NOW, MOSCOW).label().endswith(" МСК)")


def test_a_day_across_a_dst_change_is_23_hours() -> None:
    window = parse_window("2026-03-29", NOW, BERLIN)
    assert window.end - window.start == timedelta(hours=23)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0h", "longer than zero"),
        ("2026-02-30", "not a real date"),
        ("30.02", "not a real date"),
        ("2026-11-07 2026-11-01", "before"),
        ("last week", "not a time window"),
        ("soon", "not a time window"),
        ("99999999d", "not a time window"),
        ("5000w", "ten years"),
        ("2000-01-01 2026-01-01", "ten years"),  # /stats would count each of its hours
        ("0001-01-01", "outside the dates the bridge reads, 01.01.1970 to 31.12.2999"),
        ("9999-12-31", "outside the dates"),
        ("31.12.9999", "outside the dates"),
        ("28.11.0026", "outside the dates"),  # a typo, not an empty answer
        ("28.12.2999-03.01.3000", "outside the dates"),
        ("", "not a time window"),
    ],
)
def test_bad_windows_say_why(text: str, reason: str) -> None:
    with pytest.raises(WindowError, match=reason) as refused:
        parse_window(text, NOW, MOSCOW)
    assert "\n" not in str(refused.value)  # one line


def test_a_time_of_day_says_which_day() -> None:
    assert parse_window("09:15", NOW, MOSCOW).description == "since 09:15 today"
    assert parse_window("23:00", NOW, MOSCOW).description == "since 23:00 yesterday"


def test_russian_descriptions_and_refusals() -> None:
    with in_language("ru"):
        assert parse_window("2h", NOW, MOSCOW).description == "последние 2 часа"
        assert parse_window("1д", NOW, MOSCOW).description == "последние сутки"
        assert parse_window("1ч", NOW, MOSCOW).description == "последний час"
        assert parse_window("21д", NOW, MOSCOW).description == "последний 21 день"
        assert parse_window("5d", NOW, MOSCOW).description == "последние 5 дней"
        with pytest.raises(WindowError, match="«скоро» — не период"):
            parse_window("скоро", NOW, MOSCOW)


def test_trailing_window_is_split_off_the_words() -> None:
    words, window = split_trailing_window(["code", "2h"], NOW, MOSCOW)
    assert words == ["code"] and window is not None and window.description == "the last 2 hours"
    words, window = split_trailing_window(["a", "2026-11-01", "2026-11-02"], NOW, MOSCOW)
    assert words == ["a"] and window is not None and window.description.startswith("01.11.2026")
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


ZONES = [MOSCOW, BERLIN, ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")]
# Days anywhere in Python's calendar, with its first and last days and the edges of the
# bridge's own range drawn often.
EDGES = [date.min, date.max, date(1969, 12, 31), date(1970, 1, 1), date(2999, 12, 31)]
days = st.one_of(st.sampled_from(EDGES), st.dates())
FORMS = [
    "{0.year:04}-{0.month:02}-{0.day:02}",
    "{0.day}.{0.month}.{0.year:04}",
    "{0.day:02}.{0.month:02}",
]
written = st.sampled_from(FORMS)


@given(
    st.lists(st.tuples(days, written), min_size=1, max_size=2),
    st.sampled_from(["", " ", "-", "–", ".."]),
    st.sampled_from(ZONES),
)
def test_dates_at_the_ends_of_the_calendar_are_a_window_or_a_window_error(
    dates: list[tuple[date, str]], separator: str, zone: ZoneInfo
) -> None:
    text = (separator or " ").join(form.format(day) for day, form in dates)
    try:
        window = parse_window(text, NOW, zone)
    except WindowError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert window.start < window.end
        assert window.label() and window.file_name(".csv")

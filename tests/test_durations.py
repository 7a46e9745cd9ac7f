"""Lengths of time in words: minutes while short, hours and days when long, both languages."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.durations import minutes_in_words, short_duration
from bot.text.i18n import in_language


@pytest.mark.parametrize(
    ("seconds", "english", "russian"),
    [
        (20, "1 minute", "1 минуту"),
        (300, "5 minutes", "5 минут"),
        (7200, "120 minutes", "120 минут"),
        (10_800, "3 hours", "3 часа"),
        (11_100, "3 hours 5 minutes", "3 часа 5 минут"),
        (75_660, "21 hours 1 minute", "21 час 1 минуту"),
        (172_800, "2 days", "2 дня"),
        (5 * 86_400 + 3600, "5 days 1 hour", "5 дней 1 час"),
    ],
)
def test_a_long_time_reads_in_hours_and_days_not_in_minutes(
    seconds: float, english: str, russian: str
) -> None:
    assert minutes_in_words(seconds) == english
    with in_language("ru"):
        assert minutes_in_words(seconds) == russian


UNITS = {"minute": 60, "hour": 3600, "day": 86_400}


@given(st.floats(min_value=0, max_value=30 * 86_400))
def test_the_words_say_the_time_to_the_minute_below_two_days(seconds: float) -> None:
    parts = re.findall(r"(\d+) (minute|hour|day)s?", minutes_in_words(seconds))
    units = [unit for _, unit in parts]
    assert units in (["minute"], ["hour"], ["hour", "minute"], ["day"], ["day", "hour"])
    said = sum(int(n) * UNITS[unit] for n, unit in parts)
    exact = max(60, round(seconds / 60) * 60)
    assert said <= exact and exact - said < (60 if exact < 48 * 3600 else 3600)
    assert (units == ["minute"]) is (exact <= 2 * 3600)


@pytest.mark.parametrize(
    ("seconds", "english", "russian"),
    [
        (45, "45 s", "45 с"),
        (60, "1 min", "1 мин"),
        (95, "1 min 35 s", "1 мин 35 с"),
        (780, "13 min", "13 мин"),
        (11_100, "3 h 5 min", "3 ч 5 мин"),
    ],
)
def test_a_short_duration_never_makes_the_reader_divide_by_sixty(
    seconds: float, english: str, russian: str
) -> None:
    assert short_duration(seconds) == english
    with in_language("ru"):
        assert short_duration(seconds) == russian

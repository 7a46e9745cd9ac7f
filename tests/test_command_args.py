"""Command arguments: a result or a usage line with an example, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import (
    UsageError,
    parse_from_args,
    parse_history_args,
    parse_last_count,
    parse_search_args,
)

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)


def test_last_count() -> None:
    assert parse_last_count([]) == 10
    assert parse_last_count(["100"]) == 100
    for bad in (["0"], ["101"], ["-5"], ["ten"], ["1", "2"], ["1.5"], ["²"], ["٣"]):
        with pytest.raises(UsageError, match=r"Example: /last 20"):
            parse_last_count(bad)


def test_history_needs_a_window() -> None:
    assert parse_history_args(["yesterday"], NOW, MOSCOW).description == "yesterday"
    with pytest.raises(UsageError, match="Example: /history 2h"):
        parse_history_args([], NOW, MOSCOW)
    with pytest.raises(UsageError, match="is not a window"):
        parse_history_args(["soon"], NOW, MOSCOW)


def test_search_text_and_optional_window() -> None:
    assert parse_search_args(["code", "1d"], NOW, MOSCOW)[0] == "code"
    assert parse_search_args(["code", "1d"], NOW, MOSCOW)[1] is not None
    assert parse_search_args(["today"], NOW, MOSCOW) == ("today", None)
    with pytest.raises(UsageError, match="Example: /search code 1d"):
        parse_search_args([], NOW, MOSCOW)
    with pytest.raises(UsageError):
        parse_search_args(["!!!"], NOW, MOSCOW)


def test_from_phone_in_pieces_and_window() -> None:
    sender, window = parse_from_args(["+7", "926", "123-45-67", "7d"], NOW, MOSCOW)
    assert sender == "+7 926 123-45-67" and window is not None
    assert parse_from_args(["Sberbank"], NOW, MOSCOW) == ("Sberbank", None)
    with pytest.raises(UsageError, match="Example: /from"):
        parse_from_args([], NOW, MOSCOW)
    with pytest.raises(UsageError):
        parse_from_args(["#$%"], NOW, MOSCOW)


args = st.lists(st.text(min_size=1, max_size=20).filter(lambda s: not s.isspace()), max_size=5)


@given(args)
def test_any_arguments_get_an_answer_or_a_usage_line(words: list[str]) -> None:
    for parse in (parse_history_args, parse_search_args, parse_from_args):
        try:
            parse(words, NOW, MOSCOW)
        except UsageError as usage:
            assert "Usage:" in str(usage)
    try:
        parse_last_count(words)
    except UsageError as usage:
        assert "Usage:" in str(usage)

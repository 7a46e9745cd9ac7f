"""Command arguments: a result or a usage line with an example, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import COMMANDS, UsageError
from bot.commands.history import (
    parse_from_args,
    parse_history_args,
    parse_last_count,
    parse_search_args,
)
from bot.i18n import in_language

MOSCOW = ZoneInfo("Europe/Moscow")
REGISTRY = {command.name: command for command in COMMANDS}


def usage_answer(name: str, usage: UsageError) -> str:
    """What the chat is told when the arguments of /name could not be read."""
    return REGISTRY[name].usage_answer(str(usage))


NOW = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)


def test_last_count() -> None:
    assert parse_last_count([]) == (10, False)
    assert parse_last_count(["100"]) == (100, False)
    assert parse_last_count(["100000"]) == (100, True)  # the 100 newest, and it says so
    for bad in (["0"], ["-5"], ["ten"], ["1", "2"], ["1.5"], ["²"], ["٣"]):
        with pytest.raises(UsageError) as refused:
            parse_last_count(bad)
        assert "Try: /last, /last 30" in usage_answer("last", refused.value)


def test_bare_history_is_the_last_24_hours() -> None:
    window = parse_history_args([], NOW, MOSCOW)
    assert window.end - window.start == timedelta(hours=24)
    assert parse_history_args(["yesterday"], NOW, MOSCOW).description == "yesterday"
    with pytest.raises(UsageError) as refused:
        parse_history_args(["soon"], NOW, MOSCOW)
    answer = usage_answer("history", refused.value)
    assert (
        answer
        == "“soon” is not a time window. Try: /history 2h, /history yesterday, /history 28.11"
    )


def test_usage_is_one_line_with_examples_in_either_language() -> None:
    assert usage_answer("search", UsageError()) == (
        "Usage: /search TEXT [WINDOW]. Try: /search code, /search boiler 2d"
    )
    with in_language("ru"):
        assert usage_answer("search", UsageError()) == (
            "Как писать: /search ТЕКСТ [ПЕРИОД]. Например: /search код, /search котёл 2д"
        )


def test_search_text_and_optional_window() -> None:
    assert parse_search_args(["code", "1d"], NOW, MOSCOW)[0] == "code"
    assert parse_search_args(["code", "1d"], NOW, MOSCOW)[1] is not None
    assert parse_search_args(["today"], NOW, MOSCOW) == ("today", None)
    with pytest.raises(UsageError) as refused:
        parse_search_args(["!!!"], NOW, MOSCOW)
    assert "Try: /search code" in usage_answer("search", refused.value)


def test_from_phone_in_pieces_and_window() -> None:
    sender, window = parse_from_args(["+7", "926", "123-45-67", "7d"], NOW, MOSCOW)
    assert sender == "+7 926 123-45-67" and window is not None
    assert parse_from_args(["Sberbank"], NOW, MOSCOW) == ("Sberbank", None)
    with pytest.raises(UsageError) as refused:
        parse_from_args(["#$%"], NOW, MOSCOW)
    assert "Try: /from +79261234567" in usage_answer("from", refused.value)


args = st.lists(st.text(min_size=1, max_size=20).filter(lambda s: not s.isspace()), max_size=5)


@given(args)
def test_any_arguments_get_an_answer_or_a_one_line_usage(words: list[str]) -> None:
    parsers = {"history": parse_history_args, "search": parse_search_args, "from": parse_from_args}
    for name, parse in parsers.items():
        try:
            parse(words, NOW, MOSCOW)
        except UsageError as usage:
            assert "Try: " in usage_answer(name, usage)
    try:
        parse_last_count(words)
    except UsageError as usage:
        assert "Try: " in usage_answer("last", usage)

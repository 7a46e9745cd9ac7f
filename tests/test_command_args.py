"""Command arguments: a result or a usage line with an example, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app.features import commands
from bot.chat.commands.export import parse_export_args
from bot.chat.commands.history import (
    parse_from_args,
    parse_history_args,
    parse_last_count,
    parse_search_args,
)
from bot.chat.commands.lookback import from_title
from bot.chat.commands.registry import UsageError
from bot.chat.commands.stats import parse_stats_args
from bot.features.replies.commands import split_sms_command
from bot.features.replies.compose import phone_or_none, why_not_to
from bot.text.i18n import in_language

MOSCOW = ZoneInfo("Europe/Moscow")
REGISTRY = {command.name: command for command in commands()}


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
            "Формат: /search ТЕКСТ [ПЕРИОД]. Например: /search код, /search котёл 2д"
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


def test_from_names_the_number_as_the_region_reads_it_and_a_name_as_typed() -> None:
    assert from_title("8 926 123-45-67", "RU") == "SMS from +7 926 123-45-67"
    assert from_title("067 123 45 67", "UA") == "SMS from +380 67 123 4567"
    assert from_title("sberBank", "UA") == "SMS from sberBank"
    assert from_title("900", "RU") == "SMS from 900"


def test_sms_reads_the_number_in_the_region_and_sends_to_its_e164_digits() -> None:
    assert split_sms_command("/sms 8 926 111-22-33 Call me", "RU") == ("79261112233", "Call me")
    assert split_sms_command("/sms 067 123 45 67 Дякую", "UA") == ("380671234567", "Дякую")
    assert split_sms_command("/sms 79261112233 hi", "UA") == ("79261112233", "hi")
    assert split_sms_command("/sms 8 701 234 56 78\nline two", "KZ") == (
        "77012345678",
        "line two",
    )


@pytest.mark.parametrize(
    ("asked", "number", "text"),
    [
        ("/sms +79261112233 10 minutes late", "79261112233", "10 minutes late"),
        ("/sms +7 926 123-45-67 2 trucks", "79261234567", "2 trucks"),
        ("/sms 8 926 111 22 33 44 55", "79261112233", "44 55"),
        ("/sms 89261112233 2026", "79261112233", "2026"),
        ("/sms 89261112233\n15:00 ok", "79261112233", "15:00 ok"),
    ],
)
def test_a_text_that_starts_with_digits_is_not_read_as_part_of_the_number(
    asked: str, number: str, text: str
) -> None:
    assert split_sms_command(asked, "RU") == (number, text)


@pytest.mark.parametrize("number", ["900", "0611", "8 800 555-35-35", "+7 999", "067 123 45 67"])
def test_sms_refuses_what_cannot_receive_an_sms_before_any_request(number: str) -> None:
    with pytest.raises(UsageError) as refused:
        split_sms_command(f"/sms {number} hi", "RU")
    assert f"“{number}” is not a phone number" in str(refused.value)


def test_a_reply_goes_to_the_sender_smsc_wrote_never_to_a_number_it_resembles() -> None:
    assert phone_or_none("79261112233", "UA", typed=False) == "79261112233"
    assert phone_or_none("84951234567", "RU", typed=False) == "84951234567"  # +84: Vietnam
    assert phone_or_none("84951234567", "RU") == "74951234567"  # typed: a Moscow line
    assert why_not_to("Sberbank") is not None and why_not_to("900") is not None
    assert why_not_to("380671234567", "UA") is None


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "31.12.9999", "1.1.0001"])
def test_a_date_at_the_end_of_the_calendar_gets_one_line_of_usage(day: str) -> None:
    """Not an OverflowError and a traceback: /history, /open, /export and /stats say why."""
    parsers = {
        "history": parse_history_args,
        "export": lambda *a: parse_export_args(*a)[0],
        "stats": parse_stats_args,
    }
    for name, parse in parsers.items():
        with pytest.raises(UsageError) as refused:
            parse([day], NOW, MOSCOW)
        answer = usage_answer(name, refused.value)
        assert "is outside the dates the bridge reads" in answer and "\n" not in answer
    # After words it is no window, so it is searched for, like any other word.
    assert parse_search_args(["code", day], NOW, MOSCOW) == (f"code {day}", None)
    assert parse_from_args(["Sberbank", day], NOW, MOSCOW) == (f"Sberbank {day}", None)


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

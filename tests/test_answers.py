"""History answers as chat messages: a list stays in messages while it reasonably can."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.answers import MAX_ANSWER_MESSAGES, SHORTEN_UP_TO, SHORTENED_ENTRY, answer_messages
from bot.text.formatting import pack_entries
from bot.text.sms_view import Look, entry_atoms
from state import Page, StoredSms
from tests.fakes.telegram import parse_telegram_html

MOSCOW = ZoneInfo("Europe/Moscow")
WHEN = datetime(2026, 11, 27, 13, 5, tzinfo=UTC)
LOOK = Look(MOSCOW, WHEN + timedelta(hours=1))
SHORTENED = "Long SMS are shortened here"


def sms(n: int, text: str) -> StoredSms:
    at = WHEN + timedelta(minutes=n)
    return StoredSms(n + 1, "79261234567", "79031234567", text, at, None, at)


def answer(*texts: str) -> list[str] | None:
    page = Page([sms(n, text) for n, text in enumerate(texts)], len(texts))
    return answer_messages("SMS received", "the last day", page, LOOK)


def test_a_few_long_sms_are_shortened_so_that_the_list_stays_in_messages() -> None:
    texts = [f"report {n}: " + "all sensors nominal, " * 70 for n in range(10)]  # 1,400 each
    messages = answer(*texts)
    assert messages is not None and len(messages) <= MAX_ANSWER_MESSAGES
    shown = "\n".join(parse_telegram_html(m) for m in messages)
    assert SHORTENED in shown.split("\n\n")[0]  # said at the top
    entries = [e.split(": ", 1)[1] for e in shown.split("\n\n")[1:]]
    assert len(entries) == len(texts)
    for text, entry in zip(texts, entries, strict=True):
        start = entry.removesuffix("…")
        assert entry.endswith("…") and text.startswith(start)  # the start, as written
        assert SHORTENED_ENTRY - 20 <= len(start) <= SHORTENED_ENTRY  # after a whole word


def test_short_sms_are_listed_whole_and_nothing_is_said_about_shortening() -> None:
    texts = [f"Door {n} opened" for n in range(6)]
    messages = answer(*texts)
    assert messages is not None and len(messages) == 1
    assert all(text in messages[0] for text in texts) and SHORTENED not in messages[0]


def test_many_long_sms_still_go_out_as_a_file() -> None:
    assert answer(*["x" * 1400 for _ in range(41)]) is None


@given(st.integers(min_value=SHORTENED_ENTRY - 10, max_value=SHORTENED_ENTRY + 2))
def test_a_shortened_entry_never_cuts_a_code_in_two(at: int) -> None:
    text = "a" * (at - 10) + " код 48213456, " + "b" * 400
    html = "".join(entry_atoms(sms(0, text), LOOK, at_most=SHORTENED_ENTRY))
    text_shown = parse_telegram_html(html).split(": ", 1)[1]  # after the entry's head
    assert text_shown.endswith("…")
    assert re.findall(r"[0-9]+", text_shown) in ([], ["48213456"])  # whole, or not at all


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(max_size=60), min_size=SHORTEN_UP_TO + 1, max_size=1200),
    st.sampled_from(["79261234567", "Sberbank", ""]),
)
def test_a_list_goes_out_as_a_file_only_when_drawn_it_would_not_fit(
    texts: list[str], sender: str
) -> None:
    """The answer tells "file" from a cheap bound before drawing; drawn, it would not fit."""
    page = Page([sms(n, text)._replace(sender=sender) for n, text in enumerate(texts)], len(texts))
    messages = answer_messages("SMS received", "the last day", page, LOOK)
    drawn = [entry_atoms(s, LOOK, fold=True) for s in page.messages]
    fits = len(pack_entries(drawn, reserve=200)) <= MAX_ANSWER_MESSAGES
    if messages is None:
        assert not fits
    else:
        assert len(messages) <= MAX_ANSWER_MESSAGES

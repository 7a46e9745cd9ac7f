"""SMS as Telegram HTML: escaping, tap-to-copy codes, splitting, packing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.formatting import (
    TEXT_LIMIT,
    entry_atoms,
    pack_entries,
    render_sms,
    split_atoms,
    telegram_length,
    text_atoms,
)
from state import StoredSms
from tests.fakes.telegram import parse_telegram_html, utf16_length

MOSCOW = ZoneInfo("Europe/Moscow")
WHEN = datetime(2026, 11, 27, 13, 5, 3, tzinfo=UTC)


def sms(text: str, sender: str = "79261234567") -> StoredSms:
    return StoredSms(1, sender, "79031234567", text, WHEN, None, WHEN)


def body_of(message_plain: str) -> str:
    """What follows the header block of a rendered SMS."""
    return message_plain.split("\n\n", 1)[1] if "\n\n" in message_plain else ""


def test_header_shows_sender_recipient_and_local_time() -> None:
    [html] = render_sms(sms("hello"), MOSCOW)
    plain = parse_telegram_html(html)
    assert plain == ("📩 SMS from +79261234567\nto +79031234567 · 27.11.2026 16:05:03 MSK\n\nhello")
    assert "<b>+79261234567</b>" in html


def test_markup_in_sms_arrives_as_typed() -> None:
    [html] = render_sms(sms("<b>&</code>"), MOSCOW)
    assert "&lt;b&gt;&amp;&lt;/code&gt;" in html
    assert body_of(parse_telegram_html(html)) == "<b>&</code>"


def test_sender_names_are_escaped_too() -> None:
    [html] = render_sms(sms("x", sender="<Bank&Co>"), MOSCOW)
    assert "📩 SMS from <Bank&Co>" in parse_telegram_html(html)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Your code 123456", ["123456"]),
        ("PIN 1234, again 87654321", ["1234", "87654321"]),
        ("123 is short, 123456789 is long", []),
        ("phone 79261234567", []),
        ("code:4321.", ["4321"]),
    ],
)
def test_codes_of_4_to_8_digits_are_tap_to_copy(text: str, codes: list[str]) -> None:
    html = "".join(text_atoms(text))
    assert re.findall(r"<code>(\d+)</code>", html) == codes


def test_long_sms_is_split_into_numbered_parts_with_nothing_cut() -> None:
    text = ("word & <tag> " * 900).strip()  # about 11,700 characters, 2 entities each
    parts = render_sms(sms(text), MOSCOW)
    assert len(parts) >= 3
    plains = [parse_telegram_html(p) for p in parts]
    assert all(utf16_length(p) <= TEXT_LIMIT for p in parts)
    assert all(f"({n}/{len(parts)})" in p.split("\n")[0] for n, p in enumerate(plains, 1))
    assert "".join(body_of(p) for p in plains) == text


def test_split_prefers_whitespace() -> None:
    chunks = split_atoms(list("aaaa bbbb cccc"), limit=10)
    assert chunks == ["aaaa bbbb ", "cccc"]


def test_pack_keeps_order_and_never_splits_an_entry_that_fits() -> None:
    entries = [entry_atoms(sms(f"message {n} " + "x" * (n * 37 % 700)), MOSCOW) for n in range(60)]
    packed = pack_entries(entries)
    assert [i for message in packed for i in message.entries] == list(range(60))
    assert all(telegram_length(m.html) <= TEXT_LIMIT for m in packed)
    assert len(packed) < 60 / 3


def test_pack_splits_only_an_entry_longer_than_a_message() -> None:
    entries = [entry_atoms(sms("short"), MOSCOW), entry_atoms(sms("y " * 5000), MOSCOW)]
    packed = pack_entries(entries)
    assert packed[0].entries == (0,)
    assert all(m.entries == (1,) for m in packed[1:]) and len(packed) >= 3


sms_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=9000) | st.text(
    alphabet="<>&;/bcode 0123456789#x\n", max_size=9000
)


@settings(max_examples=150, deadline=None)
@given(sms_text)
def test_any_text_renders_to_valid_html_whose_plain_text_is_the_sms(text: str) -> None:
    parts = render_sms(sms(text), MOSCOW)
    plains = [parse_telegram_html(part) for part in parts]  # raises if Telegram would refuse
    assert all(utf16_length(part) <= TEXT_LIMIT for part in parts)
    for part in parts:
        tags = set(re.findall(r"</?([a-z-]+)", part))
        assert tags <= {"b", "code"}
    assert "".join(body_of(p) for p in plains) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(sms_text, min_size=1, max_size=15))
def test_any_list_packs_into_valid_messages_in_order(texts: list[str]) -> None:
    entries = [entry_atoms(sms(t), MOSCOW) for t in texts]
    packed = pack_entries(entries, reserve=100)
    assert all(telegram_length(m.html) <= TEXT_LIMIT - 100 for m in packed)
    order = [i for m in packed for i in m.entries]
    assert sorted(set(order)) == list(range(len(texts))) and order == sorted(order)
    for message in packed:
        parse_telegram_html(message.html)

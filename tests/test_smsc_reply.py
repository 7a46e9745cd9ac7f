"""Reading SMSC inbox replies: records, errors, garbage, and anything at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.smsc import (
    SmscApiError,
    SmscError,
    SmscGarbageReply,
    parse_inbox_reply,
    parse_smsc_time,
    responses,
)
from state import Store, history, messages

MOSCOW = ZoneInfo("Europe/Moscow")
FETCHED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SAMPLE = (
    b'[{"id": 47436134, "received": "29.09.2018 15:07:39", "phone": "7926XXXXXXX",'
    b' "message": "1", "to_phone": "7903XXXXXXX", "sent": "29.09.2018 15:07:37"}]'
)


def parse(body: bytes):  # type: ignore[no-untyped-def]
    return parse_inbox_reply(body, MOSCOW, FETCHED)


def test_a_remembered_moment_is_read_again_in_each_zone_and_a_bad_one_never_is() -> None:
    """SMSC times are remembered once read (`parse_smsc_time`): the zone is part of what
    is remembered, and a text that is no time is refused each time it comes."""
    text = "29.09.2018 15:07:39"
    moscow = parse_smsc_time(text, MOSCOW)
    assert parse_smsc_time(text, MOSCOW) == moscow == datetime(2018, 9, 29, 12, 7, 39, tzinfo=UTC)
    assert parse_smsc_time(text, ZoneInfo("Asia/Yekaterinburg")) == datetime(
        2018, 9, 29, 10, 7, 39, tzinfo=UTC
    )
    for _ in range(2):
        with pytest.raises(ValueError, match="not a date"):
            parse_smsc_time("29.09.2018 25:07", MOSCOW)
    with pytest.raises(ValueError, match="not a date"):
        parse_smsc_time(["29.09.2018 15:07:39"], MOSCOW)  # unhashable: never remembered


def test_a_long_time_text_is_read_but_not_kept() -> None:
    """A garbage reply's long texts never fill the memory of recent times."""
    kept = responses._remembered_moment.cache_info().currsize
    spaced = "29.09.2018" + " " * 10_000 + "15:07:39"
    assert parse_smsc_time(spaced, MOSCOW) == datetime(2018, 9, 29, 12, 7, 39, tzinfo=UTC)
    assert responses._remembered_moment.cache_info().currsize == kept


def test_documented_sample_is_read_with_times_in_utc() -> None:
    reply = parse(SAMPLE)
    assert reply.problems == []
    assert reply.item_count == 1 and reply.max_id == 47436134
    [sms] = reply.records
    assert (sms.smsc_id, sms.sender, sms.recipient, sms.text) == (
        47436134,
        "7926XXXXXXX",
        "7903XXXXXXX",
        "1",
    )
    assert sms.received_at == datetime(2018, 9, 29, 12, 7, 39, tzinfo=UTC)
    assert sms.sent_at == datetime(2018, 9, 29, 12, 7, 37, tzinfo=UTC)


def test_empty_inbox() -> None:
    reply = parse(b"[]")
    assert reply.records == [] and reply.item_count == 0 and reply.max_id is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"error": "authorise error", "error_code": 2}', 2),
        (b'{"error": "duplicate request, wait a minute", "error_code": 9}', 9),
        (b'{"error": "x", "error_code": "4"}', 4),
        (b'{"error": "x", "error_code": " -2 "}', 2),
        (b"ERROR = 4 (ip is blocked)", 4),
        (b"ERROR = 1", 1),
    ],
)
def test_error_replies_carry_their_code(body: bytes, code: int) -> None:
    with pytest.raises(SmscApiError) as caught:
        parse(body)
    assert caught.value.code == code


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b'[{"id": 1, "message": "trunc',
        b'{"id": 5}',
        b'"just a string"',
        b'{"error": "no code here"}',
        b'{"error": "x", "error_code": "--9"}',
        '{"error": "x", "error_code": "\u0669"}'.encode(),  # an Arabic-Indic 9
        b"\xff\xfe\x00garbage",
    ],
)
def test_garbage_is_refused_with_a_clear_error(body: bytes) -> None:
    with pytest.raises(SmscGarbageReply) as caught:
        parse(body)
    assert str(caught.value)


def test_a_bad_record_never_costs_the_others() -> None:
    items = [
        {"id": 10, "received": "01.11.2026 10:00:00", "phone": "79261112233", "message": "ok"},
        {"received": "01.11.2026 10:00:01", "message": "no id at all"},
        {"id": "eleven", "message": "id not a number"},
        {"id": "²", "message": "a digit to str.isdigit(), not to int()"},
        {"id": 12, "received": "not a date", "phone": "79261112233", "message": "bad date"},
        {"id": 13, "received": "01.11.2026 10:00:03"},
        "not an object",
        {"id": "14", "received": "01.11.2026 10:00:04", "phone": 79261112233, "message": 42},
    ]
    reply = parse(json.dumps(items).encode())
    assert reply.item_count == 8
    assert [s.smsc_id for s in reply.records] == [10, 12, 13, 14]
    bad_date = reply.records[1]
    assert bad_date.text == "bad date" and bad_date.received_at == FETCHED
    missing = reply.records[2]
    assert (missing.sender, missing.recipient, missing.text) == ("unknown", "", "")
    numeric = reply.records[3]
    assert (numeric.sender, numeric.text) == ("79261112233", "42")
    assert len(reply.problems) >= 5
    assert any("SMS 12" in p and "received" in p for p in reply.problems)
    assert reply.max_id == 14


def test_text_is_kept_exactly() -> None:
    text = "  <b>&</code>\n\ttabs  and  spaces  \u200b🙂 "
    body = json.dumps([{"id": 1, "received": "01.11.2026 10:00:00", "message": text}]).encode()
    assert parse(body).records[0].text == text


@given(st.binary(max_size=2000))
def test_any_bytes_are_parsed_or_refused_with_an_smsc_error(body: bytes) -> None:
    try:
        reply = parse(body)
    except SmscError as error:
        assert str(error)
    else:
        assert len(reply.records) <= reply.item_count


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
record_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | st.text(max_size=12) | st.none(),
        "received": st.text(max_size=25) | st.just("01.11.2026 10:00:00") | st.integers(),
        "sent": st.text(max_size=25) | st.none(),
        "phone": st.text(max_size=15) | st.integers(),
        "to_phone": st.text(max_size=15),
        "message": st.text() | st.integers() | st.none() | json_values,
    },
)


@given(st.lists(record_like | json_values, max_size=20))
def test_any_list_of_records_never_crashes(items: list[object]) -> None:
    reply = parse(json.dumps(items).encode())
    assert reply.item_count == len(items)
    assert all(s.smsc_id > 0 for s in reply.records)
    assert all(s.received_at.tzinfo is not None for s in reply.records)


def test_a_lone_surrogate_or_a_bad_byte_becomes_u_fffd_and_marks_the_sms_damaged() -> None:
    """SQLite refuses a lone surrogate: left as it came, one SMS failed its whole page at
    every poll. A byte that is not UTF-8 failed the whole reply."""
    body = (
        b'[{"id": 1, "received": "01.11.2026 10:00:00", "phone": "79261112233",'
        b' "message": "code \\ud800 1234"},'
        b' {"id": 2, "received": "01.11.2026 10:00:01", "phone": "7926\xff1112233",'
        b' "message": "\xd0\x9a\xd0\xbe\xd0 \xd0\xb4 42"},'  # "Ко", a cut letter, " д 42"
        b' {"id": 3, "received": "01.11.2026 10:00:02", "phone": "79261112233",'
        b' "message": "smile \\ud83d\\ude00 whole"}]'
    )
    reply = parse(body)
    surrogate, bad_bytes, whole = reply.records
    assert (surrogate.text, surrogate.damaged) == ("code \ufffd 1234", True)
    assert (bad_bytes.sender, bad_bytes.text) == ("7926\ufffd1112233", "Ко\ufffd д 42")
    assert bad_bytes.damaged
    assert (whole.text, whole.damaged) == ("smile 😀 whole", False)  # a pair is a character
    unreadable = [p for p in reply.problems if "unreadable" in p]
    assert unreadable == [
        "SMS 1: message had unreadable characters, each now U+FFFD",
        "SMS 2: phone had unreadable characters, each now U+FFFD",
        "SMS 2: message had unreadable characters, each now U+FFFD",
    ]
    assert not any("1234" in p or "42" in p for p in reply.problems)  # never the text


def test_garbage_names_its_kind_and_size_and_keeps_its_first_characters_apart() -> None:
    """What SMSC answered instead of JSON may hold SMS text: it goes to `detail`, which
    the poller logs at DEBUG only."""
    body = b'[{"id": 1, "message": "your code 734219'
    with pytest.raises(SmscGarbageReply) as caught:
        parse(body)
    assert str(caught.value) == f"reply is not JSON ({len(body)} bytes)"
    assert "734219" in caught.value.detail


any_character = st.characters() | st.integers(0xD800, 0xDFFF).map(chr)  # lone surrogates too
any_text = st.lists(any_character, max_size=60).map("".join)


@settings(deadline=None)  # speed is measured in the benchmarks, not asserted here
@given(any_text, any_text)
def test_any_text_even_with_lone_surrogates_is_read_storable_and_stored(
    text: str, phone: str
) -> None:
    item = {"id": 7, "received": "01.11.2026 10:00:00", "phone": phone, "message": text}
    [sms] = parse(json.dumps([item]).encode()).records  # ASCII JSON: `\ud800` escapes
    # What the JSON says: two escapes that make a pair are one character.
    text, phone = json.loads(json.dumps([text, phone]))
    lone = any(0xD800 <= ord(c) <= 0xDFFF for c in text + phone)
    assert sms.damaged == lone
    for read, meant in ((sms.text, text), (sms.sender, phone)):
        assert len(read) == len(meant)
        assert all(a == b or a == "\ufffd" for a, b in zip(read, meant, strict=True))
    store = Store.open(":memory:")
    assert messages.save_incoming(store, [sms], ["-1001"]).stored == [7]
    [stored] = history.last(store, 1).messages
    assert (stored.text, stored.sender, stored.damaged) == (sms.text, sms.sender, lone)


@given(st.binary(max_size=200))
def test_any_bytes_in_a_text_are_read_storable(raw: bytes) -> None:
    safe = bytes(b for b in raw if b >= 0x20 and b not in b'"\\')  # stays a JSON string
    body = b'[{"id": 8, "received": "01.11.2026 10:00:00", "message": "' + safe + b'"}]'
    [sms] = parse(body).records
    try:
        expected, damaged = safe.decode("utf-8"), False
    except UnicodeDecodeError:
        expected, damaged = safe.decode("utf-8", "replace"), True
    assert sms.damaged == damaged
    assert sms.text.replace("\ufffd", "") == expected.replace("\ufffd", "")
    sms.text.encode("utf-8")  # storable

"""Silences: /mute read (pure), which SMS a silence covers, and the stored silences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.database import AsyncStore
from bot.features.silences.commands import read_end
from bot.features.silences.feature import Muting
from bot.features.silences.matching import MAX_SILENCE, MuteError, covers, parse_length, parse_mute
from bot.features.silences.texts import write_end
from bot.relay.hooks import Outgoing, Sent
from bot.routing.targets import ChatTarget
from state import IncomingSms, Placement, Store, StoredSms, messages, silences

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
UNITS = {"m": 60, "min": 60, "мин": 60, "h": 3600, "ч": 3600, "d": 86400, "д": 86400}


def sms(text: str, sender: str = "79261112233") -> StoredSms:
    return StoredSms(1, sender, "79030000001", text, NOW, None, NOW)


@given(n=st.integers(1, 99_999), unit=st.sampled_from(sorted(UNITS)))
def test_a_length_is_read_in_any_unit_or_refused_in_one_line(n: int, unit: str) -> None:
    seconds = n * UNITS[unit]
    try:
        length = parse_length(f"{n}{unit.upper() if n % 2 else unit}")
    except MuteError as error:
        assert seconds > MAX_SILENCE.total_seconds() and "\n" not in str(error)
    else:
        assert length == timedelta(seconds=seconds) <= MAX_SILENCE


@pytest.mark.parametrize("word", ["0m", "31d", "2 hours", "h", "-1h", "1.5h", ""])
def test_what_is_not_a_length_from_a_minute_to_30_days_is_refused(word: str) -> None:
    with pytest.raises(MuteError):
        parse_length(word)


def test_mute_reads_a_number_as_a_sender_and_anything_else_as_text() -> None:
    assert parse_mute(["30m", "+7", "926", "111-22-33"], "RU") == (
        timedelta(minutes=30),
        "",
        "79261112233",
    )
    assert parse_mute(["2h", "door", " 7"], "RU") == (timedelta(hours=2), "door 7", "")
    assert parse_mute(["1d"], "RU") == (timedelta(days=1), "", "")
    with pytest.raises(MuteError):
        parse_mute([], "RU")


def test_a_silence_covers_its_sender_written_any_way_text_in_any_case_or_everything() -> None:
    _length, text, key = parse_mute(["2h", "8 (926) 111-22-33"], "RU")
    assert covers(text, key, sms("anything", "+79261112233"), "RU")
    assert not covers(text, key, sms("anything", "79035550000"), "RU")
    assert covers("door 7", "", sms("DOOR 7 opened"), "RU")
    assert not covers("door 7", "", sms("door 8 opened"), "RU")
    assert covers("sberbank", "", sms("Код 1234", "SberBank"), "RU")
    assert covers("", "", sms("whatever"), "RU")


@given(st.text(max_size=60), st.text(max_size=200))
def test_a_text_silence_covers_exactly_the_sms_that_contain_it(wanted: str, text: str) -> None:
    wanted = " ".join(wanted.split())
    if not wanted:
        return
    _length, match_text, key = parse_mute(["1h", wanted], "RU")
    if key:
        return  # read as a phone number: a sender silence
    expected = match_text.casefold() in text.casefold() or match_text.casefold() == "x"
    assert covers(match_text, "", sms(text, "x"), "RU") == expected


@given(st.integers(1, 10**12))
def test_the_end_button_reads_back_what_it_writes(number: int) -> None:
    assert read_end(write_end(number)) == number
    assert len(write_end(number)) <= 64


@pytest.mark.parametrize("data", ["um:", "um:x", "um:-1", "t:7", "um"])
def test_end_button_data_that_does_not_read_is_none(data: str) -> None:
    assert read_end(data) is None


def test_a_silence_is_stored_counts_what_it_mutes_ends_and_is_told_once(
    store: Store, tmp_path: Path
) -> None:
    door = silences.add(store, "-1001", "door 7", "", (1, "Anna"), NOW, NOW + timedelta(hours=2))
    other = silences.add(store, "-1002", "", "", (2, "Boris"), NOW, NOW + timedelta(hours=1))
    assert [s.number for s in silences.active(store, "-1001", NOW)] == [door]
    with store.transaction():
        silences.count_muted(store, door, 2)
    store.close()
    store = Store.open(tmp_path / "bridge.db")  # it survives a restart
    [kept] = silences.active(store, "-1001", NOW + timedelta(minutes=5))
    assert (kept.match_text, kept.set_by_name, kept.muted) == ("door 7", "Anna", 2)
    assert silences.next_end(store) == NOW + timedelta(hours=1)
    assert silences.ended_untold(store, NOW + timedelta(minutes=59)) == []

    assert silences.end(store, "-1002", door, NOW) is None  # another chat's silence
    ended = silences.end(store, "-1001", door, NOW + timedelta(minutes=10))
    assert ended is not None and ended.ends_at == NOW + timedelta(minutes=10)
    assert silences.active(store, "-1001", NOW + timedelta(minutes=10)) == []
    assert silences.end(store, "-1001", door, NOW + timedelta(minutes=11)) is None
    later = NOW + timedelta(hours=1)
    assert [s.number for s in silences.ended_untold(store, later)] == [door, other]
    silences.mark_told(store, door)
    silences.mark_told(store, other)
    assert silences.ended_untold(store, later) == [] and silences.next_end(store) is None
    store.close()


async def test_the_hook_mutes_a_digest_only_when_a_silence_covers_each_of_its_sms(
    tmp_path: Path,
) -> None:
    db = AsyncStore(Store.open(tmp_path / "bridge.db"))
    try:
        now = datetime.now(UTC)
        texts = ["door 7 opened", "door 7 closed", "pump 3 stopped"]
        new = [
            IncomingSms(n, "79261112233", "79030000001", t, now, None)
            for n, t in enumerate(texts, 1)
        ]
        await db.call(messages.save_incoming, new, lambda _sms: Placement((("-1001", False),)))
        door = await db.call(
            silences.add, "-1001", "door 7", "", (1, "Anna"), now, now + timedelta(hours=1)
        )
        hook, target = Muting(db, "RU"), ChatTarget(-1001, 5)  # a topic of the chat muted
        button = InlineKeyboardMarkup([[InlineKeyboardButton("✋ Take", callback_data="td:1:3")]])
        mixed = await hook.leaving(Outgoing(target, (1, 2, 3), ("digest",), button))
        assert not mixed.muted and not mixed.silent and mixed.markup is button
        doors = await hook.leaving(Outgoing(target, (1, 2), ("digest",), button))
        assert doors.muted and doors.silent and doors.markup is None
        elsewhere = await hook.leaving(Outgoing(ChatTarget(-1002), (1,), ("one",)))
        assert not elsewhere.muted
        sent = Sent(target, (1, 2), 77, "digest", "digest", None, now, muted=True)

        def book(store: Store) -> None:  # as the relay books it: in mark_sent's transaction
            with store.transaction():
                hook.booked(store, sent)

        await db.call(book)
        [counted] = await db.call(silences.active, "-1001", now)
        assert (counted.number, counted.muted) == (door, 2)
    finally:
        db.close()

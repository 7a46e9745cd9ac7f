"""One SMS the database refuses never costs the others: it is kept aside, the rest stored.

The refusals here are real SQLite ones: a trigger that aborts (as a constraint would), and
a lone UTF-16 surrogate that reached the store without the parser (SQLite cannot encode
it). A database that fails as a whole (read-only, here) puts nothing aside: the page is
retried.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from state import IncomingSms, KeptAside, Saved, SmsNotStored, Store, deliveries, markers, messages

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHATS = ["-1001", "-1002:7"]
REFUSE_POISON = (
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages WHEN NEW.text LIKE '%poison%' "
    "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
)


def sms(smsc_id: int, text: str = "hello", minutes: int = 0) -> IncomingSms:
    return IncomingSms(smsc_id, "79261234567", "79031234567", text, T0 + timedelta(minutes=minutes))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "bridge.db")
    opened.conn.execute(REFUSE_POISON)
    yield opened
    opened.close()


def queued(store: Store) -> list[int]:
    return [delivery.sms.smsc_id for delivery in deliveries.pending(store, "-1001", 100)]


def test_a_record_the_database_refuses_is_kept_aside_and_the_others_are_stored(
    store: Store,
) -> None:
    page = [sms(1), sms(2, "poison: your code 734219"), sms(3), sms(4, "\ud800 lone")]
    saved = messages.save_incoming(store, page, CHATS)
    assert saved == Saved(
        [1, 3],
        [KeptAside(2, "sqlite3.IntegrityError"), KeptAside(4, "UnicodeEncodeError")],
    )
    assert queued(store) == [1, 3] and messages.count_messages(store) == 2
    assert messages.count_kept_aside(store) == 2
    rows = store.conn.execute("SELECT smsc_id, raw, reason FROM kept_aside ORDER BY 1").fetchall()
    raw = {smsc_id: json.loads(text) for smsc_id, text, _reason in rows}
    assert raw[2]["message"] == "poison: your code 734219" and raw[2]["phone"] == "79261234567"
    assert raw[4]["message"] == "\ud800 lone"  # as read: ASCII JSON keeps even this
    assert "refused by a trigger" in rows[0][2] and rows[1][2].startswith("UnicodeEncodeError")


def test_the_cursor_moves_past_an_sms_kept_aside_and_a_re_read_leaves_it(store: Store) -> None:
    assert messages.save_incoming(store, [sms(1), sms(9, "poison")], CHATS).stored == [1]
    assert markers.max_smsc_id(store) == 9  # the next poll asks for what comes after it
    # The overlap re-read of the last hour fetches it again: seen, not retried, not told.
    assert messages.save_incoming(store, [sms(1), sms(9, "poison"), sms(10)], CHATS) == Saved(
        [10], []
    )
    assert messages.unseen(store, [sms(1), sms(9, "poison"), sms(11)]) == [sms(11)]
    assert messages.count_kept_aside(store) == 1 and queued(store) == [1, 10]


def test_a_database_that_fails_as_a_whole_puts_nothing_aside(store: Store) -> None:
    store.conn.execute("PRAGMA query_only = ON")  # every write fails, whatever the record
    with pytest.raises(sqlite3.OperationalError):
        messages.save_incoming(store, [sms(1), sms(2, "poison")], CHATS)
    store.conn.execute("PRAGMA query_only = OFF")
    assert messages.count_messages(store) == 0 and messages.count_kept_aside(store) == 0
    assert markers.max_smsc_id(store) is None  # the page is fetched and tried again


def test_an_sms_that_can_be_neither_stored_nor_kept_aside_fails_the_page_by_its_id(
    store: Store,
) -> None:
    store.conn.execute(
        "CREATE TRIGGER refuse_aside BEFORE INSERT ON kept_aside "
        "BEGIN SELECT RAISE(ABORT, 'no room aside'); END"
    )
    with pytest.raises(SmsNotStored) as caught:
        messages.save_incoming(store, [sms(1), sms(2, "poison 734219")], CHATS)
    assert caught.value.smsc_id == 2 and "734219" not in str(caught.value)
    assert queued(store) == [1]  # stored before: the retry finds it and leaves it

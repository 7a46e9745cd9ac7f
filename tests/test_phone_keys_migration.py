"""Schema v8: a database written by the release before gets its phone keys recomputed in
place, so /from finds the numbers stored under the old hand-written rules."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

import state.migrations
from state import SCHEMA_VERSION, Store, history
from state.migrations import MIGRATIONS, migrate

RECEIVED = "2026-11-27 10:00:00"  # as state.times writes it
# (sender as SMSC wrote it, text): Moscow, Vietnam (+84, which the old rules took for a
# Russian 8), a name, a short number, and a number written with punctuation.
SENDERS = [
    ("74951234567", "Moscow line"),
    ("84951234567", "Vietnamese mobile"),
    ("Sberbank", "a name"),
    ("900", "balance"),
    ("+7 (926) 111-22-33", "punctuated"),
]


def old_key(sender: str) -> str:
    """`state.phones.sender_key` of release v7: digits, an 11-digit `8...` made `7...`."""
    text = sender.strip()
    if re.fullmatch(r"[0-9\s+()\-.]+", text):
        digits = re.sub(r"\D", "", text)
        return "7" + digits[1:] if len(digits) == 11 and digits.startswith("8") else digits
    return text.casefold()


def release_7_database(path: Path) -> None:
    """A database as release v7 left it: its schema steps, its keys."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    for step in MIGRATIONS[:7]:
        step(db)
    conn.execute("PRAGMA user_version = 7")
    conn.executemany(
        "INSERT INTO messages (id, sender, sender_key, recipient, text, received_at, "
        "fetched_at) VALUES (?, ?, ?, '79031234567', ?, ?, ?)",
        [
            (n, sender, old_key(sender), text, RECEIVED, RECEIVED)
            for n, (sender, text) in enumerate(SENDERS, start=1)
        ],
    )
    conn.execute(
        "INSERT INTO outgoing (phone, phone_key, text, parts, chat, author_id, author_name, "
        "created_at, expires_at, state, sent_at) VALUES ('84951234567', ?, 'hi', 1, '-1001', "
        "1, 'Anna', ?, ?, 'delivered', ?)",
        [old_key("84951234567"), RECEIVED, RECEIVED, RECEIVED],
    )
    conn.close()


def found(store: Store, typed: str) -> list[str]:
    return [sms.text for sms in history.from_sender(store, typed, None, None, 10).messages]


def test_a_release_7_database_is_rekeyed_in_place_and_from_finds_each_sender(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bridge.db"
    release_7_database(path)
    monkeypatch.setattr(state.migrations, "REKEY_BATCH", 2)  # several batches of a few rows
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert found(store, "8 495 123-45-67") == ["Moscow line"]
    assert found(store, "+84 95 123 45 67") == ["Vietnamese mobile"]
    assert found(store, "SBERBANK") == ["a name"]
    assert found(store, "900") == ["balance"]
    assert found(store, "89261112233") == ["punctuated"]
    [sent] = store.conn.execute("SELECT phone_key FROM outgoing").fetchall()
    assert sent == ("84951234567",)
    store.close()


def test_the_rekeying_step_run_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    release_7_database(path)
    Store.open(path).close()
    before = sqlite3.connect(path).execute("SELECT id, sender_key FROM messages").fetchall()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA user_version = 7")  # as if the version write never happened
    # every step after it is safe to run again
    assert migrate(Database(conn)) == list(range(8, SCHEMA_VERSION + 1))
    assert conn.execute("SELECT id, sender_key FROM messages").fetchall() == before
    conn.close()


def test_keys_are_read_as_smsc_writes_numbers_whatever_the_stores_region(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bridge.db"
    release_7_database(path)
    store = Store.open(path, region="UA")  # the step reads SMSC's digits, which need none
    assert found(store, "+7 495 123 45 67") == ["Moscow line"]
    assert found(store, "84951234567") == ["Vietnamese mobile"]  # in UA, 8... is not domestic
    store.close()

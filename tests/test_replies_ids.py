"""The ID SMSC knows each reply by is never used twice by an install: status.php finds a
send by the phone and this ID, so an ID used again lets an old SMS answer for a new one."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from state import Store, outgoing
from state.migrations import MIGRATIONS
from state.oncall import Person
from state.outgoing import Draft, Outgoing, OutgoingState
from state.retention import purge_replies_batch

NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)
SEND_ID = re.compile(r"[a-z]{8}[0-9]+")  # SMSC takes up to 40 Latin letters and digits


def preview(store: Store, at: datetime = NOW) -> Outgoing:
    draft = Draft("79261112233", "hi", None, 1, "-1001", None, None, Person(1, "Anna"))
    return outgoing.create_preview(store, draft, at, at + timedelta(minutes=10))


def test_a_purge_of_every_reply_never_brings_an_id_back(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "bridge.db")
    earlier = []
    for _ in range(3):
        out = preview(store)
        outgoing.settle(store, out.id, OutgoingState.DELIVERED)
        earlier.append(out)
    assert purge_replies_batch(store, NOW + timedelta(days=1)) == 3
    assert store.conn.execute("SELECT count(*) FROM outgoing").fetchone() == (0,)
    after = preview(store, NOW + timedelta(days=2))
    assert after.id == earlier[0].id  # the row ID came back, as SQLite makes it...
    assert after.send_id not in {out.send_id for out in earlier}  # ...the ID SMSC sees did not
    for out in [*earlier, after]:
        assert SEND_ID.fullmatch(out.send_id) and len(out.send_id) <= 40
    assert len({out.send_id[:8] for out in [*earlier, after]}) == 1  # one install, one prefix
    store.close()


def test_a_new_database_makes_a_new_prefix(tmp_path: Path) -> None:
    first, second = Store.open(tmp_path / "one.db"), Store.open(tmp_path / "two.db")
    one, two = preview(first), preview(second)
    assert one.id == two.id and one.send_id != two.send_id
    assert one.send_id[:8] != two.send_id[:8]
    first.close()
    reopened = Store.open(tmp_path / "one.db")  # the same file keeps its prefix
    assert preview(reopened).send_id[:8] == one.send_id[:8]
    reopened.close()
    second.close()


def test_a_send_from_before_the_upgrade_keeps_the_id_it_was_sent_with(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    for step in MIGRATIONS[:9]:  # release 9's schema, with a send whose answer was lost
        step(db)
    conn.execute("PRAGMA user_version = 9")
    conn.execute(
        "INSERT INTO outgoing (id, phone, phone_key, text, parts, chat, author_id, "
        "author_name, created_at, expires_at, state, sent_at) VALUES (7, '79261112233', "
        "'79261112233', 'hi', 1, '-1001', 1, 'Anna', ?, ?, 'unknown', ?)",
        ["2026-11-27 10:00:00"] * 3,
    )
    conn.close()
    store = Store.open(path)
    old = outgoing.get(store, 7)
    assert old is not None and old.send_id == "7"  # status.php still finds it
    assert (old.not_found, old.first_not_found_at) == (0, None)
    assert SEND_ID.fullmatch(preview(store).send_id)
    store.close()

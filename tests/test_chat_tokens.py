"""A routed chat's /search asks the full-text index for the chat's token (`chats` column).

The tokens must say exactly what `message_chats` says, for new SMS, for SMS stored before
the column existed (schema 21), and after SMS are deleted; and a user's words are looked
for in the text alone, never among the tokens.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from state import IncomingSms, Placement, Store, history, messages, retention
from state.migrations import MIGRATIONS, rebuild_text_index
from state.schema import chat_token, chat_tokens
from state.times import to_db

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHATS = ("-1001", "-1002", "77")  # two groups and a private chat


def sms(smsc_id: int, text: str, minutes: int = 0) -> IncomingSms:
    return IncomingSms(smsc_id, "79261234567", "79031234567", text, T0 + timedelta(minutes=minutes))


def shown_in(*chats: str) -> Placement:
    return Placement((), chats)


def found(store: Store, words: str, chat: str | None) -> list[int]:
    return [s.smsc_id for s in history.search(store, words, None, None, 100, chat).messages]


def index_is_whole(conn: sqlite3.Connection) -> None:
    """FTS5's own check of the index against the stored rows it was built from."""
    conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")


def test_a_chats_token_is_one_index_token_for_any_chat_id() -> None:
    assert chat_token("-1001234567890") == "chatn1001234567890"
    assert chat_token("77") == "chat77"
    assert chat_tokens(("-1001", "77")) == "chatn1001 chat77"
    assert chat_tokens(()) is None
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE x USING FTS5 (a, tokenize='unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5vocab(x, 'row')")
    conn.execute("INSERT INTO x (a) VALUES (?)", (chat_tokens(("-1001234567890", "77")),))
    assert [r[0] for r in conn.execute("SELECT term FROM t")] == [
        "chat77",
        "chatn1001234567890",
    ]


def test_a_word_like_a_chats_token_is_looked_for_in_the_text_alone(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "bridge.db")
    messages.save_incoming(store, [sms(1, "boiler alarm")], lambda s: shown_in("-1001"))
    messages.save_incoming(store, [sms(2, "say chatn1001 to the boiler")], lambda s: shown_in())
    assert found(store, "chatn1001", None) == [2]
    assert found(store, "chatn1001", "-1001") == []
    assert found(store, "boiler", "-1001") == [1]
    assert found(store, "boiler", "-1002") == []
    assert found(store, "boiler", None) == [1, 2]
    store.close()


def test_a_purge_takes_an_sms_and_its_chats_out_of_the_index(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "bridge.db")
    old = [sms(n, f"pump {n}", minutes=n) for n in range(1, 5)]
    messages.save_incoming(store, old, lambda s: shown_in("-1001", "-1002"))
    messages.save_incoming(store, [sms(9, "pump 9", minutes=600)], lambda s: shown_in("-1001"))
    assert retention.purge_batch(store, T0 + timedelta(hours=1)) == 4
    index_is_whole(store.conn)  # the trigger said the tokens the SMS was indexed with
    assert found(store, "pump", "-1001") == [9]
    assert found(store, "pump", "-1002") == []
    terms = {r[0] for r in store.conn.execute("SELECT term FROM indexed_words")}
    assert "chatn1002" not in terms and "chatn1001" in terms
    store.close()


def test_an_upgrade_gives_stored_sms_their_chats_tokens(tmp_path: Path) -> None:
    """A schema 20 database, written as that release wrote it: after the upgrade each SMS
    is found in the chats its `message_chats` rows name, and only there."""
    path = tmp_path / "v20.db"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:20]:
        step(Database(conn))
    conn.execute("PRAGMA user_version = 20")
    shown = {1: ["-1001"], 2: ["-1001", "-1002"], 3: [], 4: ["-1002"]}
    for smsc_id, chats in shown.items():
        at = to_db(T0 + timedelta(minutes=smsc_id))
        conn.execute(
            "INSERT INTO messages (id, sender, sender_key, recipient, text, received_at, "
            "fetched_at) VALUES (?, '79261234567', '79261234567', '79031234567', ?, ?, ?)",
            (smsc_id, f"valve {smsc_id}", at, at),
        )
        conn.execute(
            "INSERT INTO messages_fts (rowid, text) VALUES (?, ?)", (smsc_id, f"valve {smsc_id}")
        )
        conn.executemany(
            "INSERT INTO message_chats (chat_id, received_at, message_id) VALUES (?, ?, ?)",
            [(chat, at, smsc_id) for chat in chats],
        )
    conn.commit()
    conn.close()

    store = Store.open(path)
    tokens = dict(store.conn.execute("SELECT id, chats FROM messages").fetchall())
    assert tokens == {1: "chatn1001", 2: "chatn1001 chatn1002", 3: None, 4: "chatn1002"}
    index_is_whole(store.conn)
    assert found(store, "valve", "-1001") == [1, 2]
    assert found(store, "valve", "-1002") == [2, 4]
    assert found(store, "valve", None) == [1, 2, 3, 4]
    indexes = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert "message_chats_by_id" not in indexes  # only the look-up it replaces read it
    store.conn.execute("UPDATE messages SET text = 'gate 2' WHERE id = 2")  # the new trigger
    index_is_whole(store.conn)
    assert found(store, "gate", "-1002") == [2] and found(store, "valve", "-1002") == [4]
    store.close()


_placements = st.lists(
    st.tuples(st.sampled_from(["pump", "pump door", "door"]), st.sets(st.sampled_from(CHATS))),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_placements)
def test_a_chats_search_finds_exactly_what_its_history_shows(
    placed: list[tuple[str, set[str]]],
) -> None:
    store = Store.open(Path(":memory:"))
    where = {n: tuple(sorted(chats)) for n, (_text, chats) in enumerate(placed, 1)}
    batch = [sms(n, text, minutes=n) for n, (text, _chats) in enumerate(placed, 1)]
    messages.save_incoming(store, batch, lambda s: shown_in(*where[s.smsc_id]))
    for chat in CHATS:
        visible = {
            row[0]
            for row in store.conn.execute(
                "SELECT message_id FROM message_chats WHERE chat_id = ?", (chat,)
            )
        }
        for word in ("pump", "door", "pump door"):
            expected = [
                n for n, (text, _c) in enumerate(placed, 1) if n in visible and word in text
            ]
            page = history.search(store, word, None, None, 100, chat)
            assert [s.smsc_id for s in page.messages] == expected
            assert page.total == len(expected)
    store.close()


def test_a_text_index_rebuilt_with_other_prefixes_keeps_the_chats(tmp_path: Path) -> None:
    """`rebuild_text_index` (the upgrades' and `benchmarks.storing_floor`'s) keeps the
    index's columns: a new SMS is still indexed with its chats, and found by them."""
    store = Store.open(tmp_path / "bridge.db")
    messages.save_incoming(store, [sms(1, "boiler alarm")], lambda s: shown_in("-1001"))
    rebuild_text_index(Database(store.conn), "2 3 4 5 6")
    messages.save_incoming(store, [sms(2, "boiler low", 1)], lambda s: shown_in("-1002"))
    index_is_whole(store.conn)
    assert found(store, "boiler", "-1001") == [1]
    assert found(store, "boiler", "-1002") == [2]
    store.close()

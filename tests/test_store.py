"""The SQLite store: dedup by SMSC ID, the per-chat outbox, history queries, schema."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from state import (
    SCHEMA_VERSION,
    DatabaseSummary,
    DatabaseUnreadable,
    IncomingSms,
    Page,
    Placement,
    SchemaTooNew,
    Store,
    deliveries,
    fts_query,
    history,
    inspect_database,
    markers,
    messages,
    oncall,
)
from state.aside import CountAside
from state.messages import BULK_PAGE, INDEX_PAGE
from state.schema import FAILED_DELIVERY, OPEN_DELIVERY, UNCERTAIN_DELIVERY
from state.store import BULK_CHECKPOINT_PAGES, CHECKPOINT_PAGES, read_only_connection
from state.transactions import read_transaction

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHATS = ["-1001", "-1002:7"]


def sms(
    smsc_id: int, text: str = "hello", sender: str = "79261234567", minutes: int = 0
) -> IncomingSms:
    return IncomingSms(smsc_id, sender, "79031234567", text, T0 + timedelta(minutes=minutes))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "sub" / "bridge.db")
    yield opened  # type: ignore[misc]
    opened.close()


def test_open_creates_the_folder_in_wal_mode_at_the_current_schema(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a" / "b" / "x.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


def test_each_sms_is_stored_once_and_queued_once_per_chat(store: Store) -> None:
    assert messages.save_incoming(store, [sms(1), sms(2), sms(1)], CHATS).stored == [1, 2]
    assert messages.save_incoming(store, [sms(2), sms(3)], CHATS).stored == [3]
    assert messages.count_messages(store) == 3
    assert [d.sms.smsc_id for d in deliveries.pending(store, "-1001", 10)] == [1, 2, 3]
    assert [d.sms.smsc_id for d in deliveries.pending(store, "-1002:7", 10)] == [1, 2, 3]
    assert markers.max_smsc_id(store) == 3


def test_history_is_stored_without_deliveries(store: Store) -> None:
    messages.save_incoming(store, [sms(5)], [])
    assert deliveries.pending(store, "-1001", 10) == [] and messages.count_messages(store) == 1


def test_pending_is_oldest_first_by_smsc_id(store: Store) -> None:
    messages.save_incoming(store, [sms(9, minutes=5), sms(8, minutes=1), sms(7, minutes=3)], CHATS)
    assert [d.sms.smsc_id for d in deliveries.pending(store, "-1001", 10)] == [7, 8, 9]


def attempts(store: Store, smsc_id: int, chat: str = "-1001") -> int:
    """How many times a delivery was handed to Telegram (kept for inspection, not read)."""
    (count,) = store.conn.execute(
        "SELECT attempts FROM deliveries WHERE message_id = ? AND chat = ?", (smsc_id, chat)
    ).fetchone()
    return int(count)


def test_delivery_life_cycle(store: Store) -> None:
    messages.save_incoming(store, [sms(1), sms(2)], CHATS)
    deliveries.mark_sending(store, "-1001", [1])
    assert [d.sms.smsc_id for d in deliveries.pending(store, "-1001", 10)] == [2]
    deliveries.mark_sent(store, "-1001", [1], telegram_message_id=555)
    row = store.conn.execute(
        "SELECT status, telegram_message_id, attempts FROM deliveries "
        "WHERE message_id = 1 AND chat = '-1001'"
    ).fetchone()
    assert row == ("sent", 555, 1)
    assert deliveries.queues(store, CHATS)[0].pending == 1


def test_interrupted_sends_come_back_as_uncertain(store: Store) -> None:
    messages.save_incoming(store, [sms(1)], CHATS)
    deliveries.mark_sending(store, "-1001", [1])
    assert deliveries.recover_interrupted(store) == 1
    [again] = deliveries.pending(store, "-1001", 10)
    assert again.uncertain == 1 and attempts(store, 1) == 1
    assert deliveries.queues(store, CHATS)[0].uncertain == 1


def test_release_counts_uncertain_only_when_told(store: Store) -> None:
    messages.save_incoming(store, [sms(1)], CHATS)
    deliveries.mark_sending(store, "-1001", [1])
    deliveries.release(store, "-1001", [1], uncertain=False, error="502")
    deliveries.mark_sending(store, "-1001", [1])
    deliveries.release(store, "-1001", [1], uncertain=True, error="timeout")
    [again] = deliveries.pending(store, "-1001", 10)
    assert (attempts(store, 1), again.uncertain) == (2, 1)


def test_a_refusing_chat_fails_alone_and_can_be_requeued(store: Store) -> None:
    messages.save_incoming(store, [sms(1), sms(2), sms(3)], CHATS)
    deliveries.mark_failed(store, "-1001", [1], "Forbidden: bot was kicked")
    assert deliveries.fail_pending(store, "-1001", "Forbidden: bot was kicked") == 2
    first, second = deliveries.queues(store, CHATS)
    assert (first.pending, first.failed, first.last_error) == (0, 3, "Forbidden: bot was kicked")
    assert (second.pending, second.failed) == (3, 0)
    assert deliveries.requeue_failed(store, "-1001") == 3
    assert deliveries.queues(store, CHATS)[0].pending == 3


def test_oldest_pending(store: Store) -> None:
    assert deliveries.oldest_pending(store, CHATS) is None
    messages.save_incoming(store, [sms(1)], CHATS, fetched_at=T0)
    assert deliveries.oldest_pending(store, CHATS) == T0


class RecordingConnection:
    """The store's own connection, passed through, remembering each statement it ran."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, Sequence[Any]]] = []

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        self.statements.append((sql, args))
        return self.conn.execute(sql, args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_queue_queries_use_the_partial_indexes(store: Store) -> None:
    """SQLite uses a partial index only for a query that repeats its condition literally.

    A status bound as a parameter would silently turn a look-up into a walk over every
    delivery ever sent.
    """
    messages.save_incoming(store, [sms(1), sms(2)], CHATS)
    recorder = RecordingConnection(store.conn)
    store.conn = recorder  # type: ignore[assignment]
    deliveries.pending(store, "-1001", 10)
    deliveries.mark_sending(store, "-1001", [1])
    deliveries.recover_interrupted(store)
    deliveries.recover_interrupted(store, "-1001")
    deliveries.oldest_pending(store, CHATS)
    deliveries.queues(store, CHATS)
    deliveries.fail_pending(store, "-1001", "Forbidden")
    deliveries.requeue_failed(store)
    deliveries.requeue_failed(store, "-1001")
    store.conn = recorder.conn
    plans = {
        sql: [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
        for sql, args in recorder.statements
        if "FROM deliveries" in sql or "UPDATE deliveries" in sql
    }
    assert len(plans) >= 10
    for sql, plan in plans.items():
        if OPEN_DELIVERY in sql:
            assert any("USING INDEX deliveries_open" in step for step in plan), (sql, plan)
        for step in plan:
            whole_table = step.startswith("SCAN") and "INDEX deliveries_" not in step
            assert not whole_table, (sql, plan)


def test_the_partial_index_conditions_are_the_published_ones() -> None:
    # Databases in use carry these conditions in their indexes; queries must keep matching.
    assert OPEN_DELIVERY == "status IN ('pending', 'sending')"
    assert FAILED_DELIVERY == "status = 'failed'"
    assert UNCERTAIN_DELIVERY == "uncertain > 0"


def test_the_first_start_is_remembered_to_the_second(store: Store) -> None:
    assert markers.first_start_done_at(store) is None
    markers.mark_first_start_done(store, T0 + timedelta(seconds=5, microseconds=700))
    assert markers.first_start_done_at(store) == T0 + timedelta(seconds=5)


def test_inspecting_a_database_reads_it_without_changing_it(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    assert inspect_database(path) is None and not path.exists()
    store = Store.open(path)
    messages.save_incoming(store, [sms(1), sms(2)], CHATS)
    store.close()
    before = path.read_bytes()
    summary = inspect_database(path)
    assert summary is not None and not summary.too_new
    assert (summary.schema_version, summary.sms_count) == (SCHEMA_VERSION, 2)
    assert path.read_bytes() == before


def test_inspecting_a_newer_or_broken_database_says_so(tmp_path: Path) -> None:
    newer, broken, empty = tmp_path / "newer.db", tmp_path / "broken.db", tmp_path / "empty.db"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    assert inspect_database(newer) == DatabaseSummary(SCHEMA_VERSION + 1, sms_count=None)
    assert DatabaseSummary(SCHEMA_VERSION + 1, None).too_new
    broken.write_bytes(b"not a database, just bytes " * 100)
    with pytest.raises(DatabaseUnreadable, match="not a database"):
        inspect_database(broken)
    empty.touch()
    assert inspect_database(empty) == DatabaseSummary(schema_version=0, sms_count=0)


def test_chat_migration_is_remembered(store: Store) -> None:
    assert deliveries.chat_id_for(store, "-1001") is None
    deliveries.record_chat_migration(store, "-1001", -100999)
    assert deliveries.chat_id_for(store, "-1001") == -100999


def test_queries(store: Store) -> None:
    messages.save_incoming(
        store,
        [
            sms(1, "Your code 1234", minutes=0),
            sms(2, "Пароль для входа: 5678", sender="Sberbank", minutes=10),
            sms(3, "Alarm: boiler pressure LOW", sender="89261112233", minutes=20),
            sms(4, "alarm cleared", sender="+7 926 111-22-33", minutes=30),
        ],
        [],
    )
    last = history.last(store, 2)
    assert [s.smsc_id for s in last.messages] == [3, 4]
    page = history.between(store, T0 + timedelta(minutes=5), T0 + timedelta(minutes=25), 10)
    assert [s.smsc_id for s in page.messages] == [2, 3] and page.total == 2
    assert [s.smsc_id for s in history.search(store, "alarm", None, None, 10).messages] == [3, 4]
    assert [s.smsc_id for s in history.search(store, "пароль", None, None, 10).messages] == [2]
    assert [s.smsc_id for s in history.search(store, "парол", None, None, 10).messages] == [2]
    assert [s.smsc_id for s in history.search(store, "boil press", None, None, 10).messages] == [3]
    in_window = history.search(store, "alarm", T0 + timedelta(minutes=25), None, 10)
    assert [s.smsc_id for s in in_window.messages] == [4]
    for written in ("79261112233", "+79261112233", "8 926 111 22 33"):
        assert [
            s.smsc_id for s in history.from_sender(store, written, None, None, 10).messages
        ] == [3, 4]
    assert history.from_sender(store, "SBERBANK", None, None, 10).total == 1
    limited = history.search(store, "alarm", None, None, 1)
    assert [s.smsc_id for s in limited.messages] == [4] and limited.truncated


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ('"', []),  # no word at all: nothing is searched for
        ("AND", [3]),
        ("a OR b", [3]),  # as FTS syntax it would match "only a" too
        ("NEAR(x", [3]),
        ("*", []),  # as FTS syntax (a prefix of anything) it would match every SMS
        ("col:val", [3]),  # as FTS syntax, a column filter: "no such column"
        ("(-)", []),
    ],
)
def test_search_syntax_typed_by_users_is_only_text(
    store: Store, typed: str, found: list[int]
) -> None:
    messages.save_incoming(
        store,
        [sms(1, "plain text"), sms(2, "only a, nothing else"), sms(3, f"as typed: {typed}")],
        [],
    )
    page = history.search(store, typed, None, None, 10)  # an FTS syntax error would raise here
    assert [s.smsc_id for s in page.messages] == found and page.total == len(found)


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('code "AND" 12') == '"code"* AND "AND"* AND "12"'
    assert fts_query("!!!") is None


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew, match="upgrade sms-bridge"):
        Store.open(path)


def test_migration_is_idempotent_after_a_crash_halfway(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 0")  # as if the version write never happened
    conn.close()
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


def test_a_windowed_search_finds_an_sms_whose_id_arrived_out_of_order(store: Store) -> None:
    messages.save_incoming(
        store, [sms(10, "alarm one", minutes=0), sms(20, "alarm two", minutes=10)], []
    )
    messages.save_incoming(store, [sms(5, "alarm late id", minutes=5)], [])  # lower ID, later time
    page = history.search(store, "alarm", T0 + timedelta(minutes=4), T0 + timedelta(minutes=6), 10)
    assert [s.smsc_id for s in page.messages] == [5] and page.total == 1
    page = history.search(store, "alarm", T0, T0 + timedelta(minutes=11), 10)
    assert sorted(s.smsc_id for s in page.messages) == [5, 10, 20]
    assert history.search(store, "alarm", T0 + timedelta(days=1), None, 10).total == 0


def test_search_counts_up_to_a_cap_and_says_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import state.history

    monkeypatch.setattr(state.history, "COUNT_CAP", 3)
    messages.save_incoming(store, [sms(n, f"pump {n}", minutes=n) for n in range(1, 8)], [])
    page = history.search(store, "pump", None, None, 2)
    assert (page.total, page.total_is_lower_bound) == (3, True)
    assert [s.smsc_id for s in page.messages] == [6, 7]
    windowed = history.search(store, "pump", T0, T0 + timedelta(minutes=2, seconds=30), 10)
    assert (windowed.total, windowed.total_is_lower_bound) == (2, False)


def test_a_count_runs_on_its_own_connection_and_thread_and_closes_with_the_store(
    store: Store,
) -> None:
    messages.save_incoming(store, [sms(n, f"pump {n}", minutes=n) for n in range(1, 8)], [])
    assert store.path is not None
    conn = read_only_connection(store.path)
    conn.create_function("thread", 0, lambda: threading.current_thread().name)
    store.aside = CountAside(conn)
    on_its_thread = "SELECT count(*) FROM messages WHERE thread() LIKE 'sqlite-count%'"
    assert store.count(on_its_thread, ()).result() == 7
    page = history.search(store, "pump", None, None, 2)
    assert (page.total, [s.smsc_id for s in page.messages]) == (7, [6, 7])
    # Between counts it holds no read: a checkpoint (the purge's) copies the whole WAL.
    busy, _logged, _copied = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    store.close()
    assert not any(t.name.startswith("sqlite-count") for t in threading.enumerate())
    with pytest.raises(sqlite3.ProgrammingError):  # closed with the store
        conn.execute("SELECT 1")


def test_a_count_inside_a_read_transaction_sees_the_moment_its_rows_see(store: Store) -> None:
    """A report's snapshot is one read transaction: its totals and rows must agree, which a
    count on a second connection, seeing what was written since, would not."""
    messages.save_incoming(store, [sms(1, "pump 1")], [])
    assert store.path is not None
    with read_transaction(store.conn):
        assert history.search(store, "pump", None, None, 10).total == 1  # the moment is set
        writer = Store.open(store.path)
        messages.save_incoming(writer, [sms(2, "pump 2", minutes=1)], [])
        writer.close()
        page = history.search(store, "pump", None, None, 10)
        assert (page.total, len(page.messages)) == (1, 1)
        assert history.between(store, T0, T0 + timedelta(hours=1), 10).total == 1
    assert store.aside is None  # nothing was counted aside: it opens at the first count
    assert history.search(store, "pump", None, None, 10).total == 2
    assert store.aside is not None


def test_a_store_in_memory_or_a_snapshot_counts_on_its_own_connection(store: Store) -> None:
    memory = Store.open(":memory:")
    messages.save_incoming(memory, [sms(1, "pump 1")], [])
    assert history.search(memory, "pump", None, None, 10).total == 1
    assert memory.aside is None
    memory.close()
    messages.save_incoming(store, [sms(1, "pump 1")], [])
    assert store.path is not None
    snapshot = Store.open_snapshot(store.path)
    assert history.search(snapshot, "pump", None, None, 10).total == 1
    assert snapshot.aside is None
    snapshot.close()


def test_a_first_release_database_is_upgraded_in_place(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from state.migrations import MIGRATIONS

    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    MIGRATIONS[0](Database(conn))  # the schema the first release wrote
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO messages VALUES (7, '79261234567', '79261234567', '79031234567', "
        "'Пароль для входа 4455', '2026-11-27 10:00:00', NULL, '2026-11-27 10:00:01')"
    )
    conn.execute(
        "INSERT INTO deliveries (message_id, chat, status, attempts, uncertain, created_at, "
        "updated_at) VALUES (7, '-1001', 'pending', 0, 0, '2026-11-27 10:00:01', "
        "'2026-11-27 10:00:01')"
    )
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    fts_sql = store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'"
    ).fetchone()[0]
    assert "prefix=" in fts_sql
    assert [s.smsc_id for s in history.search(store, "парол", None, None, 10).messages] == [7]
    assert [d.sms.smsc_id for d in deliveries.pending(store, "-1001", 10)] == [7]
    messages.save_incoming(
        store, [sms(8, "пароль новый")], ["-1001"]
    )  # triggers still feed the index
    assert history.search(store, "парол", None, None, 10).total == 2
    store.close()


def test_a_second_release_database_is_upgraded_in_place(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from state.migrations import MIGRATIONS

    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:  # the schema the second release wrote
        step(Database(conn))
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO messages VALUES (7, '79261234567', '79261234567', '79031234567', "
        "'code 4455', '2026-11-27 10:00:00', '2026-11-27 09:59:58', '2026-11-27 10:00:01')"
    )
    conn.execute(
        "INSERT INTO deliveries (message_id, chat, status, attempts, uncertain, "
        "telegram_message_id, created_at, updated_at, sent_at) VALUES (7, '-1001', 'sent', 1, "
        "0, 555, '2026-11-27 10:00:01', '2026-11-27 10:00:02', '2026-11-27 10:00:02')"
    )
    conn.execute(
        "INSERT INTO deliveries (message_id, chat, status, attempts, uncertain, created_at, "
        "updated_at) VALUES (7, '-1002:7', 'pending', 0, 0, '2026-11-27 10:00:01', "
        "'2026-11-27 10:00:01')"
    )
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = {r[1] for r in store.conn.execute("PRAGMA table_info(deliveries)")}
    assert "delivered_at" in columns and "sent_at" not in columns
    assert store.conn.execute(
        "SELECT delivered_at FROM deliveries WHERE chat = '-1001'"
    ).fetchone() == ("2026-11-27 10:00:02",)
    [kept] = history.last(store, 1).messages  # the subscriber's sent_at is still the SMS's own
    assert kept.sent_at == datetime(2026, 11, 27, 9, 59, 58, tzinfo=UTC)
    deliveries.mark_sending(store, "-1002:7", [7])
    deliveries.mark_sent(store, "-1002:7", [7], telegram_message_id=556)
    assert store.conn.execute(
        "SELECT status, delivered_at IS NOT NULL FROM deliveries WHERE chat = '-1002:7'"
    ).fetchone() == ("sent", 1)
    MIGRATIONS[2](store.db)  # again, as after a crash before the version was written
    assert deliveries.queues(store, CHATS)[1].pending == 0
    store.close()


def test_the_text_index_is_rebuilt_with_prefixes_of_3_to_5_keeping_what_search_finds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlite_utils import Database

    from state.migrations import FTS_PREFIXES, MIGRATIONS

    path = tmp_path / "v18.db"
    store = Store.open(path)
    texts = ["Пароль для входа 4455", "door 7 opened", "Температура 85 C в котельной"]
    messages.save_incoming(store, [sms(n, text) for n, text in enumerate(texts, 1)], [])
    store.conn.execute("PRAGMA user_version = 18")
    store.close()
    conn = sqlite3.connect(path)  # the index as schema 18 kept it: prefixes 2 to 6
    conn.execute("DROP TABLE messages_fts")
    MIGRATIONS[1](Database(conn))
    conn.close()
    assert (
        "prefix='2 3 4 5 6'"
        in sqlite3.connect(path)
        .execute("SELECT sql FROM sqlite_master WHERE name = 'messages_fts'")
        .fetchone()[0]
    )

    with caplog.at_level(logging.INFO, logger="state.migrations"):
        store = Store.open(path)
    assert f"upgrading the database from schema 18 to {SCHEMA_VERSION}" in caplog.text
    fts_sql = store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'"
    ).fetchone()[0]
    assert f"prefix='{FTS_PREFIXES}'" in fts_sql
    for words, found in [
        ("парол", [1]),
        ("пароль", [1]),
        ("door 7", [2]),
        ("темпер", [3]),
        ("кот", [3]),
        ("4455", [1]),
        ("opened door", [2]),
    ]:
        assert [s.smsc_id for s in history.search(store, words, None, None, 10).messages] == found
    messages.save_incoming(store, [sms(4, "пароль новый")], [])  # new SMS enter it as before
    assert history.search(store, "пароль", None, None, 10).total == 2
    # raises SQLITE_CORRUPT_VTAB should the index and the stored texts disagree
    store.conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
    )
    store.close()


def test_a_window_ending_now_includes_this_second(store: Store) -> None:
    messages.save_incoming(store, [sms(1, "just now")], [])  # stored as T0, a whole second
    now = T0 + timedelta(milliseconds=400)
    assert history.between(store, now - timedelta(hours=1), now, 10).total == 1
    assert history.search(store, "just", now - timedelta(hours=1), now, 10).total == 1
    assert history.from_sender(store, "79261234567", None, now, 10).total == 1
    assert history.between(store, now - timedelta(hours=1), T0, 10).total == 0  # end is exclusive


def routed(sms: IncomingSms) -> Placement:
    """Odd SMS to chat -1001 (silently), even ones to -1002:7; SMS 5 dropped (seen by none)."""
    if sms.smsc_id == 5:
        return Placement((), (), "spam", None)
    if sms.smsc_id % 2:
        return Placement((("-1001", True),), ("-1001",), "odd", "Odd line")
    return Placement((("-1002:7", False),), ("-1002",), None, None)


def test_each_sms_is_queued_and_made_visible_where_its_placement_says(store: Store) -> None:
    assert messages.save_incoming(
        store, [sms(n, minutes=n) for n in range(1, 6)], routed
    ).stored == [
        1,
        2,
        3,
        4,
        5,
    ]
    odd = deliveries.pending(store, "-1001", 10)
    assert [(d.sms.smsc_id, d.silent, d.sms.label) for d in odd] == [
        (1, True, "Odd line"),
        (3, True, "Odd line"),
    ]
    assert [(d.sms.smsc_id, d.silent) for d in deliveries.pending(store, "-1002:7", 10)] == [
        (2, 0),
        (4, 0),
    ]
    stored = store.conn.execute("SELECT id, route, label FROM messages ORDER BY id").fetchall()
    assert stored[0] == (1, "odd", "Odd line") and stored[1] == (2, None, None)
    assert stored[4] == (5, "spam", None)
    # The same SMS again, placed differently now: nothing moves.
    assert (
        messages.save_incoming(
            store, [sms(1), sms(2)], lambda s: Placement((("-1003", False),))
        ).stored
        == []
    )
    assert deliveries.pending(store, "-1003", 10) == []


def test_a_chat_sees_only_the_sms_visible_to_it_and_no_filter_sees_all(store: Store) -> None:
    messages.save_incoming(
        store, [sms(n, f"alarm {n}", sender="Sberbank", minutes=n) for n in range(1, 6)], routed
    )
    start, end = T0, T0 + timedelta(hours=1)

    def ids(page: Page) -> list[int]:
        return [s.smsc_id for s in page.messages]

    assert ids(history.last(store, 10, visible_to="-1001")) == [1, 3]
    assert ids(history.last(store, 1, visible_to="-1002")) == [4]
    assert ids(history.last(store, 10)) == [1, 2, 3, 4, 5]  # the dropped one too
    assert history.between(store, start, end, 10, visible_to="-1002").total == 2
    assert ids(history.between(store, T0 + timedelta(minutes=2), end, 10, visible_to="-1001")) == [
        3
    ]
    assert ids(history.search(store, "alarm", None, None, 10, visible_to="-1001")) == [1, 3]
    assert history.search(store, "alarm", start, end, 10, visible_to="-1002").total == 2
    assert ids(history.from_sender(store, "SBERBANK", None, None, 10, visible_to="-1002")) == [2, 4]
    assert history.from_sender(store, "sberbank", start, None, 10, visible_to="-1001").total == 2
    assert history.last(store, 10, visible_to="-1003").total == 0
    assert history.search(store, "alarm", None, None, 10).total == 5


def test_what_nobody_took_in_one_chat_is_only_what_was_routed_there(store: Store) -> None:
    messages.save_incoming(store, [sms(n, minutes=n) for n in range(1, 6)], routed)
    oncall.take(store, [3], oncall.Person(1, "Anna"), T0)
    window = (T0, T0 + timedelta(hours=1))
    assert [s.smsc_id for s in oncall.untaken(store, *window, 10, "-1001").messages] == [1]
    assert oncall.untaken(store, *window, 10, "-1002").total == 2
    assert oncall.untaken(store, *window, 10).total == 3  # not the dropped one: no button
    oldest = oncall.untaken(store, *window, 2)  # the oldest two of the three, oldest first
    assert ([s.smsc_id for s in oldest.messages], oldest.total) == ([1, 2], 3)
    messages.save_incoming(
        store, [sms(9, minutes=9)], []
    )  # history of the first start: not relayed
    assert oncall.untaken(store, *window, 10).total == 3


def test_one_chats_history_searches_its_index_and_never_scans_a_table(store: Store) -> None:
    messages.save_incoming(store, [sms(n, f"alarm {n}", minutes=n) for n in range(1, 30)], routed)
    recorder = RecordingConnection(store.conn)
    store.conn = recorder  # type: ignore[assignment]
    assert store.path is not None
    counter = RecordingConnection(read_only_connection(store.path))
    store.aside = CountAside(counter)  # type: ignore[arg-type]
    window = (T0, T0 + timedelta(hours=1))
    history.last(store, 10, visible_to="-1001")
    history.between(store, *window, 10, visible_to="-1001")
    history.search(store, "alarm", None, None, 10, visible_to="-1001")
    history.search(store, "alarm", *window, 10, visible_to="-1001")
    history.from_sender(store, "79261234567", None, None, 10, visible_to="-1001")
    history.from_sender(store, "79261234567", *window, 10, visible_to="-1001")
    oncall.untaken(store, *window, 10, visible_to="-1001")
    store.conn = recorder.conn
    plans = {
        sql: [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
        for sql, args in [*recorder.statements, *counter.statements]
        if "message_chats" in sql
    }
    assert len(plans) == 9  # /last one, the others but /search a count and a page each
    assert all("count(*)" in sql for sql, _args in counter.statements)  # counted aside
    assert len(counter.statements) == 6
    searched = [args for sql, args in [*recorder.statements, *counter.statements] if "MATCH" in sql]
    assert len(searched) == 4  # /search asks the index for the chat's token, not the table
    assert all('{chats} : "chatn1001"' in args[0] for args in searched)
    for sql, plan in plans.items():
        chat_index = (
            "USING PRIMARY KEY (chat_id=?",
            "USING COVERING INDEX message_chats_by_message (message_id=? AND chat_id=?)",
        )
        assert any(index in step for index in chat_index for step in plan), (sql, plan)
        for step in plan:
            assert "TEMP B-TREE" not in step, (sql, plan)  # walked in order, never sorted
            scan = step.startswith("SCAN") and "VIRTUAL TABLE" not in step
            assert not scan or step.startswith("SCAN (subquery"), (sql, plan)


def test_a_database_from_before_routes_is_upgraded_in_place(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from state.migrations import MIGRATIONS

    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:5]:  # the schema before routes (on call was step 5)
        step(Database(conn))
    conn.execute("PRAGMA user_version = 5")
    conn.execute(
        "INSERT INTO messages VALUES (7, '79261234567', '79261234567', '79031234567', "
        "'code 4455', '2026-11-27 10:00:00', NULL, '2026-11-27 10:00:01')"
    )
    conn.execute(
        "INSERT INTO deliveries (message_id, chat, status, attempts, uncertain, created_at, "
        "updated_at) VALUES (7, '-1001', 'pending', 0, 0, '2026-11-27 10:00:01', "
        "'2026-11-27 10:00:01')"
    )
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    [waiting] = deliveries.pending(store, "-1001", 10)
    assert (waiting.sms.smsc_id, waiting.silent, waiting.sms.label) == (7, False, None)
    MIGRATIONS[5](store.db)  # again, as after a crash before the version was written
    messages.save_incoming(store, [sms(8)], routed)
    assert [s.smsc_id for s in history.last(store, 10, visible_to="-1002").messages] == [8]
    assert [s.smsc_id for s in history.last(store, 10).messages] == [7, 8]
    store.close()


def test_a_read_snapshot_sees_one_moment_while_the_bridge_writes(store: Store) -> None:
    assert store.path is not None
    messages.save_incoming(store, [sms(1)], CHATS)
    with Store.read_snapshot(store.path) as snapshot:
        assert messages.count_messages(snapshot) == 1
        messages.save_incoming(store, [sms(2, minutes=1)], CHATS)  # not kept waiting by the reader
        assert messages.count_messages(snapshot) == 1  # still the moment the snapshot began
        with pytest.raises(sqlite3.OperationalError):
            snapshot.conn.execute("DELETE FROM messages")  # read-only
    with pytest.raises(sqlite3.ProgrammingError):
        snapshot.conn.execute("SELECT 1")  # closed at the end
    assert messages.count_messages(store) == 2


def test_the_full_text_index_holds_every_stored_sms_once(store: Store) -> None:
    """New SMS are indexed a page at a time, not by a trigger: pages, a page repeated, an
    SMS kept as history only, each is in the index once."""
    messages.save_incoming(store, [sms(1, "boiler one"), sms(2, "boiler two")], CHATS)
    messages.save_incoming(store, [sms(2, "boiler two"), sms(3, "door three")], CHATS)
    messages.save_incoming(store, [sms(4, "boiler four")], [])
    assert (
        store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'messages_ai'"
        ).fetchall()
        == []
    )
    indexed = store.conn.execute("SELECT count(*) FROM messages_fts_docsize").fetchone()[0]
    assert indexed == messages.count_messages(store) == 4
    store.conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
    )
    assert history.search(store, "boiler", None, None, 10).total == 3


def _sizes(store: Store) -> tuple[int, int]:
    """Bytes of the database file and of its WAL, read without copying anything."""
    assert store.path is not None
    wal = store.path.with_name(store.path.name + "-wal")
    return store.path.stat().st_size, wal.stat().st_size


def _checkpoint_pages(store: Store) -> int:
    return int(store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def test_a_catch_ups_pages_are_copied_from_the_wal_once_it_ends(store: Store) -> None:
    """Big pages let the WAL grow past SQLite's checkpoint; the next small write copies it."""
    page_size = int(store.conn.execute("PRAGMA page_size").fetchone()[0])
    file_before, _wal = _sizes(store)
    words = " ".join(f"word{n}" for n in range(40))
    for page in range(6):
        first = page * BULK_PAGE + 1
        batch = [sms(i, f"{words} {i}", f"7926{i:07d}") for i in range(first, first + BULK_PAGE)]
        messages.save_incoming(store, batch, [])
        assert _checkpoint_pages(store) == BULK_CHECKPOINT_PAGES
    file_during, wal_during = _sizes(store)
    assert wal_during > CHECKPOINT_PAGES * page_size  # past where SQLite would have copied
    assert file_during == file_before  # and nothing copied yet
    messages.save_incoming(store, [sms(10**6)], ["-1001"])  # the next SMS, relayed
    assert _checkpoint_pages(store) == CHECKPOINT_PAGES
    file_after, _wal = _sizes(store)
    assert file_after > file_before + CHECKPOINT_PAGES * page_size  # copied at its commit
    assert messages.count_messages(store) == 6 * BULK_PAGE + 1


def test_a_page_says_when_sqlite_alone_finishes_it_its_rows_written_not_indexed_yet(
    store: Store,
) -> None:
    assert store.path is not None
    other = read_only_connection(store.path)
    seen: list[tuple[int, int, int]] = []

    def sqlite_alone() -> None:
        def count(conn: sqlite3.Connection, table: str, where: str = "") -> int:
            return int(conn.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0])

        found = "WHERE messages_fts MATCH 'door'"
        seen.append(
            (
                count(store.conn, "messages"),
                count(store.conn, "messages_fts", found),
                count(other, "messages"),
            )
        )

    texts = [sms(1, "door opened"), sms(2, "door closed"), sms(3, "pump")]
    saved = messages.save_incoming(store, texts, CHATS, sqlite_alone=sqlite_alone)
    # every row written, nothing indexed, nothing committed: the index and commit follow
    assert seen == [(3, 0, 0)]
    assert saved.stored == [1, 2, 3]
    assert other.execute("SELECT count(*) FROM messages").fetchone()[0] == 3
    assert [s.smsc_id for s in history.search(store, "door", None, None, 10).messages] == [1, 2]
    other.close()


def test_a_page_is_indexed_from_its_rows_found_by_id_never_by_walking_every_sms(
    store: Store,
) -> None:
    plan = [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {INDEX_PAGE}", ("[1]",))]
    assert any(step.startswith("SEARCH m USING INTEGER PRIMARY KEY") for step in plan), plan
    assert not [step for step in plan if step.startswith("SCAN m")], plan


def test_a_page_that_fails_once_sqlite_alone_finishes_it_keeps_nothing(store: Store) -> None:
    def failing() -> None:
        raise OSError("the disk is full")

    with pytest.raises(OSError, match="disk is full"):
        messages.save_incoming(store, [sms(1), sms(2)], CHATS, sqlite_alone=failing)
    assert messages.count_messages(store) == 0
    assert deliveries.pending(store, CHATS[0], 10) == []
    messages.save_incoming(store, [sms(1), sms(2)], CHATS)  # the store goes on as before
    assert messages.count_messages(store) == 2

"""RETENTION_DAYS: what a purge deletes (everything about an old SMS), what it never
deletes (an SMS still waiting for a chat, the poll cursor), and the space given back."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.commands.status import StatusFacts, status_text
from bot.database import AsyncStore
from bot.retention import Purged, Retention
from state import IncomingSms, Store, oncall, retention
from state.oncall import Person

NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=30)
CHATS = ["-1001", "-1002"]
ANNA = Person(1, "Anna")


def sms(smsc_id: int, days_ago: float, text: str = "hello", to: str = "79031234567") -> IncomingSms:
    return IncomingSms(smsc_id, "79261234567", to, text, NOW - timedelta(days=days_ago))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "bridge.db")
    yield opened
    opened.close()


def delivered(store: Store, ids: list[int], message_id: int, *, shown: bool = False) -> None:
    for chat in CHATS:
        store.mark_sending(chat, ids)
        store.mark_sent(
            chat, ids, message_id, shown_html="<b>x</b>" if shown else None, remind_after=60
        )


def rows(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def kept(store: Store) -> list[int]:
    return [i for (i,) in store.conn.execute("SELECT id FROM messages ORDER BY id")]


def test_an_old_sms_goes_with_its_deliveries_takes_reminders_shown_html_and_index_entry(
    store: Store,
) -> None:
    store.save_incoming([sms(1, 40, "boiler pressure low", to="79030000001")], CHATS)
    store.save_incoming([sms(2, 1, "door opened")], CHATS)
    delivered(store, [1], 101, shown=True)
    delivered(store, [2], 102, shown=True)
    oncall.take(store, [1], ANNA, NOW - timedelta(days=39))
    assert store.search("boiler", None, None, 10).total == 1

    assert retention.purge_batch(store, CUTOFF) == 1
    assert kept(store) == [2]
    for table, column in retention.SMS_TABLES:
        found = store.conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = 1").fetchone()
        assert found == (0,), table
    assert store.conn.execute("SELECT telegram_message_id FROM shown").fetchall() == [
        (102,),
        (102,),
    ]
    assert store.search("boiler", None, None, 10).total == 0  # /search finds it no more
    store.conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
    )
    assert store.receiving_numbers() == 2  # the account's numbers are not SMS
    assert retention.purge_batch(store, CUTOFF) == 0


def test_an_sms_still_waiting_for_a_chat_is_never_purged(store: Store) -> None:
    store.save_incoming([sms(1, 50), sms(2, 45), sms(3, 40), sms(4, 1)], CHATS)
    delivered(store, [2, 3, 4], 200)
    store.mark_sending("-1002", [1])  # handed to Telegram, no answer yet: still open
    store.mark_failed("-1001", [1], "Forbidden")
    store.release("-1001", [3], uncertain=False, error="timeout")  # pending again
    assert retention.purge_batch(store, CUTOFF) == 1
    assert kept(store) == [1, 3, 4]
    store.mark_sent("-1002", [1], 300)
    store.mark_sending("-1001", [3])
    store.mark_sent("-1001", [3], 301)
    assert retention.purge_batch(store, CUTOFF) == 2  # sent or failed for good: due now
    assert kept(store) == [4]


def test_the_newest_sms_stays_however_old_it_is_it_is_the_poll_cursor(store: Store) -> None:
    store.save_incoming([sms(1, 90), sms(2, 80)], [])
    assert retention.purge_batch(store, CUTOFF) == 1
    assert store.max_smsc_id() == 2


def test_a_digests_shown_html_stays_while_any_of_its_sms_is_kept(store: Store) -> None:
    store.save_incoming([sms(1, 40), sms(2, 20), sms(3, 1)], CHATS)
    delivered(store, [1, 2], 500, shown=True)  # one digest message carrying both
    delivered(store, [3], 501)
    assert retention.purge_batch(store, CUTOFF) == 1
    assert rows(store, "shown") == 2  # SMS 2 still shows in message 500, in both chats
    assert retention.purge_batch(store, NOW - timedelta(days=10)) == 1
    assert rows(store, "shown") == 0


def assert_index_intact(store: Store) -> None:
    """FTS5's own check: the index matches the table (raises if not)."""
    check = "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
    store.conn.execute(check)


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def fill(store: Store, count: int, days_ago: float) -> None:
    text = "Датчик на объекте MSK-1: температура превышена " * 20
    first = (store.max_smsc_id() or 0) + 1
    batch = [sms(first + n, days_ago, f"{n} {text}") for n in range(count)]
    store.save_incoming(batch, CHATS)
    for chat in CHATS:
        ids = [s.smsc_id for s in batch]
        store.mark_sending(chat, ids)
        store.mark_sent(chat, ids, 1)


async def purge_and_measure(path: Path, keep_days: int = 30) -> tuple[Purged, int, int]:
    """Purge with the bridge's own loop; (what went, bytes before, bytes after)."""
    store = AsyncStore(Store.open(path))
    before = file_size(path)
    try:
        deleted = await Retention(store, keep_days, batch=100, pause=0).purge(NOW)
    finally:
        store.close()
    return deleted, before, file_size(path)


async def test_a_new_database_gives_the_space_back_in_steps(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    store = Store.open(path)
    assert retention.gives_space_back(store)  # created with incremental vacuum
    fill(store, 1500, days_ago=40)
    fill(store, 100, days_ago=1)
    store.close()
    deleted, before, after = await purge_and_measure(path)
    assert deleted == Purged(sms=1500, replies=0)
    assert after < before / 4, (before, after)
    store = Store.open(path)
    store.conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
    )
    assert store.search("температура", None, None, 10).total == 100
    store.close()


def test_one_hand_back_step_frees_as_many_pages_as_it_is_asked(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "bridge.db")
    fill(store, 300, days_ago=40)
    fill(store, 1, days_ago=1)
    while retention.purge_batch(store, CUTOFF):
        pass
    freed = retention.free_pages(store)
    assert freed > 100
    assert retention.hand_back(store, freed - 10)  # ten left
    assert retention.free_pages(store) == 10
    assert not retention.hand_back(store)
    store.close()


async def test_an_earlier_releases_database_is_converted_once_and_shrinks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bridge.db"
    with sqlite3.connect(path) as plain:  # as an earlier release made it: auto_vacuum off
        plain.execute("PRAGMA journal_mode = WAL")
    store = Store.open(path)
    assert not retention.gives_space_back(store)
    fill(store, 1500, days_ago=40)
    fill(store, 100, days_ago=1)
    store.close()
    deleted, before, after = await purge_and_measure(path)
    assert deleted.sms == 1500 and after < before / 4, (before, after)
    store = Store.open(path)
    assert retention.gives_space_back(store) and store.count_messages() == 100
    store.close()


async def test_other_store_calls_go_between_the_batches(tmp_path: Path) -> None:
    store = AsyncStore(Store.open(tmp_path / "bridge.db"))
    try:
        await store.call(Store.save_incoming, [sms(n, 40) for n in range(1, 301)], CHATS)
        await store.call(Store.save_incoming, [sms(400, 1)], [])
        for chat in CHATS:
            await store.call(Store.mark_sending, chat, list(range(1, 301)))
            await store.call(Store.mark_sent, chat, list(range(1, 301)), 1)
        purge = asyncio.create_task(Retention(store, 30, batch=5, pause=0.01).purge(NOW))
        await asyncio.sleep(0.05)
        saved = await store.call(Store.save_incoming, [sms(401, 0)], CHATS)
        assert saved.stored == [401]
        assert not purge.done()  # a new SMS was stored while the purge was under way
        assert await purge == Purged(sms=300, replies=0)
    finally:
        store.close()


def test_status_names_the_oldest_sms_kept_and_the_retention() -> None:
    moscow = ZoneInfo("Europe/Moscow")
    facts = StatusFacts(
        now=NOW,
        zone=moscow,
        problems=[],
        last_sms=NOW,
        last_poll_ok=NOW,
        poll_error=None,
        chats=[],
        stored=10,
        started_at=NOW,
        oldest_sms=datetime(2026, 10, 28, 9, 0, tzinfo=UTC),
        retention_days=30,
    )
    assert "oldest SMS kept: 28.10.2026 (RETENTION_DAYS=30)" in status_text(facts)
    kept_all = status_text(StatusFacts(**{**facts.__dict__, "retention_days": 0}))
    assert "oldest SMS kept: 28.10.2026 (RETENTION_DAYS=0: none deleted)" in kept_all
    empty = status_text(StatusFacts(**{**facts.__dict__, "oldest_sms": None}))
    assert "oldest SMS kept" not in empty


def test_routed_sms_and_settled_replies_go_too(store: Store) -> None:
    from state import Placement, outgoing
    from state.outgoing import Draft, OutgoingState
    from state.retention import purge_batch

    old = datetime.now(UTC) - timedelta(days=40)
    routed = [sms(1, 40), sms(2, 39), sms(3, 0)]
    store.save_incoming(routed, lambda s: Placement((), ("-1001",), "line", "Support"))
    draft = Draft("79261112233", "ok", None, 1, "-1001", None, 1, Person(7, "Anna"))
    settled = outgoing.create_preview(store, draft, old, old + timedelta(minutes=10))
    outgoing.settle(store, settled.id, OutgoingState.DELIVERED)
    followed = outgoing.create_preview(store, draft, old, old + timedelta(minutes=10))
    outgoing.settle(store, followed.id, OutgoingState.SENT)  # its delivery still followed
    assert purge_batch(store, datetime.now(UTC) - timedelta(days=30)) == 2
    assert kept(store) == [3] and rows(store, "message_chats") == 1
    assert rows(store, "outgoing") == 2  # replies go in batches of their own
    assert retention.purge_replies_batch(store, datetime.now(UTC) - timedelta(days=30)) == 1
    assert [row[0] for row in store.conn.execute("SELECT id FROM outgoing")] == [followed.id]


def old_replies(store: Store, count: int, days_ago: float, state: str = "delivered") -> None:
    """`count` SMS sent for a person `days_ago`, settled in `state`, each a long text."""
    from state import outgoing
    from state.outgoing import Draft, OutgoingState

    created = NOW - timedelta(days=days_ago)
    for n in range(count):
        text = f"{n} Бригада выехала, будем через 20 минут. " * 12
        draft = Draft("79261112233", text, None, 3, "-1001", None, 1, ANNA)
        reply = outgoing.create_preview(store, draft, created, created + timedelta(minutes=10))
        outgoing.settle(store, reply.id, OutgoingState(state))


async def test_replies_go_in_counted_batches_and_alone_still_give_space_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bridge.db"
    store = Store.open(path)
    old_replies(store, 400, days_ago=40)
    old_replies(store, 1, days_ago=40, state="sent")  # its delivery still followed: stays
    old_replies(store, 5, days_ago=1)
    store.save_incoming([sms(1, 1)], CHATS)  # no SMS is due: only replies go
    assert retention.purge_replies_batch(store, CUTOFF, batch=150) == 150  # a batch, no more
    store.close()
    thread = AsyncStore(Store.open(path))
    before = file_size(path)
    try:
        purged = await Retention(thread, 30, batch=100, pause=0).purge(NOW)
    finally:
        thread.close()
    assert purged == Purged(sms=0, replies=250)
    assert file_size(path) < before * 0.7, (before, file_size(path))
    store = Store.open(path)
    assert rows(store, "outgoing") == 6 and retention.free_pages(store) == 0
    store.close()


def test_deleting_an_sms_looks_up_the_rows_naming_it_and_scans_no_table(tmp_path: Path) -> None:
    """With foreign keys on, deleting a message looks up every row that names it: a table
    without an index led by the SMS's ID would be scanned once per SMS deleted (a batch of
    200 took seconds on a million-SMS file)."""
    store = Store.open(tmp_path / "bridge.db")
    for table in ("message_chats", "reminders_due"):
        plan = store.conn.execute(
            f"EXPLAIN QUERY PLAN SELECT 1 FROM {table} WHERE message_id = 1"
        ).fetchall()
        assert all(not step[3].startswith("SCAN") for step in plan), (table, plan)
    store.close()

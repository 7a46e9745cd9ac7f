"""RETENTION_DAYS: what a purge deletes (everything about an old SMS), what it never
deletes (an SMS still waiting for a chat, the poll cursor), and the space given back."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.chat.commands.status import StatusFacts, status_text
from bot.core.database import AsyncStore
from bot.features.retention.purging import Purged, Retention
from bot.intake.poller import log_too_old
from bot.smsc import SmscClient, SmscCredentials
from state import (
    IncomingSms,
    Saved,
    Store,
    deliveries,
    history,
    markers,
    messages,
    oncall,
    retention,
)
from state.oncall import Person
from state.store import BUSY_TIMEOUT_MS
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc
from tests.fakes.wait import eventually
from tests.test_poller import make_harness

NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=30)
CHATS = ["-1001", "-1002"]
ANNA = Person(1, "Anna")


def sms(smsc_id: int, days_ago: float, text: str = "hello", to: str = "79031234567") -> IncomingSms:
    return IncomingSms(smsc_id, "79261234567", to, text, NOW - timedelta(days=days_ago))


def delivered(store: Store, ids: list[int], message_id: int, *, shown: bool = False) -> None:
    """Booked sent as the relay books it with take buttons and reminders on."""
    due = datetime.now(UTC) + timedelta(seconds=60)
    for chat in CHATS:

        def on_call_rows(store: Store, chat: str = chat) -> None:
            if shown:
                oncall.file_shown(store, chat, message_id, "<b>x</b>")
            oncall.queue_reminders(store, chat, ids, due)

        deliveries.mark_sending(store, chat, ids)
        deliveries.mark_sent(store, chat, ids, message_id, also=on_call_rows)


def rows(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def kept(store: Store) -> list[int]:
    return [i for (i,) in store.conn.execute("SELECT id FROM messages ORDER BY id")]


def test_an_old_sms_goes_with_its_deliveries_takes_reminders_shown_html_and_index_entry(
    store: Store,
) -> None:
    messages.save_incoming(store, [sms(1, 40, "boiler pressure low", to="79030000001")], CHATS)
    messages.save_incoming(store, [sms(2, 1, "door opened")], CHATS)
    delivered(store, [1], 101, shown=True)
    delivered(store, [2], 102, shown=True)
    oncall.take(store, [1], ANNA, NOW - timedelta(days=39))
    assert history.search(store, "boiler", None, None, 10).total == 1

    assert retention.purge_batch(store, CUTOFF) == 1
    assert kept(store) == [2]
    for table, column in retention.SMS_TABLES:
        found = store.conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = 1").fetchone()
        assert found == (0,), table
    assert store.conn.execute("SELECT telegram_message_id FROM shown").fetchall() == [
        (102,),
        (102,),
    ]
    assert history.search(store, "boiler", None, None, 10).total == 0  # /search finds it no more
    store.conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
    )
    assert messages.receiving_numbers(store) == 2  # the account's numbers are not SMS
    assert retention.purge_batch(store, CUTOFF) == 0


def test_an_sms_still_waiting_for_a_chat_is_never_purged(store: Store) -> None:
    messages.save_incoming(store, [sms(1, 50), sms(2, 45), sms(3, 40), sms(4, 1)], CHATS)
    delivered(store, [2, 3, 4], 200)
    deliveries.mark_sending(store, "-1002", [1])  # handed to Telegram, no answer yet: still open
    deliveries.mark_failed(store, "-1001", [1], "Forbidden")
    deliveries.release(store, "-1001", [3], uncertain=False, error="timeout")  # pending again
    assert retention.purge_batch(store, CUTOFF) == 1
    assert kept(store) == [1, 3, 4]
    deliveries.mark_sent(store, "-1002", [1], 300)
    deliveries.mark_sending(store, "-1001", [3])
    deliveries.mark_sent(store, "-1001", [3], 301)
    assert retention.purge_batch(store, CUTOFF) == 2  # sent or failed for good: due now
    assert kept(store) == [4]


def test_the_newest_sms_stays_however_old_it_is_it_is_the_poll_cursor(store: Store) -> None:
    messages.save_incoming(store, [sms(1, 90), sms(2, 80)], [])
    assert retention.purge_batch(store, CUTOFF) == 1
    assert markers.max_smsc_id(store) == 2


def test_a_digests_shown_html_stays_while_any_of_its_sms_is_kept(store: Store) -> None:
    messages.save_incoming(store, [sms(1, 40), sms(2, 20), sms(3, 1)], CHATS)
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
    first = (markers.max_smsc_id(store) or 0) + 1
    batch = [sms(first + n, days_ago, f"{n} {text}") for n in range(count)]
    messages.save_incoming(store, batch, CHATS)
    for chat in CHATS:
        ids = [s.smsc_id for s in batch]
        deliveries.mark_sending(store, chat, ids)
        deliveries.mark_sent(store, chat, ids, 1)


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
    assert history.search(store, "температура", None, None, 10).total == 100
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
    assert retention.gives_space_back(store) and messages.count_messages(store) == 100
    store.close()


async def test_other_store_calls_go_between_the_batches(tmp_path: Path) -> None:
    store = AsyncStore(Store.open(tmp_path / "bridge.db"))
    try:
        await store.call(messages.save_incoming, [sms(n, 40) for n in range(1, 301)], CHATS)
        await store.call(messages.save_incoming, [sms(400, 1)], [])
        for chat in CHATS:
            await store.call(deliveries.mark_sending, chat, list(range(1, 301)))
            await store.call(deliveries.mark_sent, chat, list(range(1, 301)), 1)
        purge = asyncio.create_task(Retention(store, 30, batch=5, pause=0.01).purge(NOW))
        await asyncio.sleep(0.05)
        saved = await store.call(messages.save_incoming, [sms(401, 0)], CHATS)
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
    messages.save_incoming(store, routed, lambda s: Placement((), ("-1001",), "line", "Support"))
    draft = Draft("79261112233", "ok", None, 1, "-1001", None, 1, Person(7, "Anna"))
    settled = outgoing.create_preview(store, draft, old, old + timedelta(minutes=10))
    outgoing.settle(store, settled.id, OutgoingState.DELIVERED)
    recent = outgoing.create_preview(store, draft, datetime.now(UTC), datetime.now(UTC))
    outgoing.settle(store, recent.id, OutgoingState.DELIVERED)
    assert purge_batch(store, datetime.now(UTC) - timedelta(days=30)) == 2
    assert kept(store) == [3] and rows(store, "message_chats") == 1
    assert rows(store, "outgoing") == 2  # replies go in batches of their own
    assert retention.purge_replies_batch(store, datetime.now(UTC) - timedelta(days=30)) == 1
    assert [row[0] for row in store.conn.execute("SELECT id FROM outgoing")] == [recent.id]


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
    old_replies(store, 1, days_ago=40, state="sent")  # never settled (replies off): goes too
    old_replies(store, 5, days_ago=1)
    messages.save_incoming(store, [sms(1, 1)], CHATS)  # no SMS is due: only replies go
    assert retention.purge_replies_batch(store, CUTOFF, batch=150) == 150  # a batch, no more
    store.close()
    thread = AsyncStore(Store.open(path))
    before = file_size(path)
    try:
        purged = await Retention(thread, 30, batch=100, pause=0).purge(NOW)
    finally:
        thread.close()
    assert purged == Purged(sms=0, replies=251)
    assert file_size(path) < before * 0.7, (before, file_size(path))
    store = Store.open(path)
    assert rows(store, "outgoing") == 5 and retention.free_pages(store) == 0
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


@pytest.mark.parametrize("state", ["preview", "sending", "sent", "unknown", "not_sent"])
def test_replies_go_by_age_in_any_state_even_when_nothing_follows_them_any_more(
    store: Store, state: str
) -> None:
    """With SMS_REPLY_USER_IDS emptied, no preview expires and no send is followed: rows
    left in any state must still go by their age."""
    old_replies(store, 2, days_ago=40, state=state)
    old_replies(store, 1, days_ago=29, state=state)  # within the retention: stays
    assert retention.purge_replies_batch(store, CUTOFF) == 2
    assert rows(store, "outgoing") == 1


def test_a_reply_previewed_before_the_cutoff_but_sent_after_it_stays(store: Store) -> None:
    from state import outgoing
    from state.outgoing import Claim, Draft

    created = CUTOFF - timedelta(minutes=2)
    draft = Draft("79261112233", "ok", None, 1, "-1001", None, 1, ANNA)
    reply = outgoing.create_preview(store, draft, created, created + timedelta(minutes=10))
    sent_at = CUTOFF + timedelta(minutes=3)
    assert outgoing.claim(store, reply.id, sent_at, sent_at - timedelta(hours=1), 50) is (
        Claim.CLAIMED
    )
    assert retention.purge_replies_batch(store, CUTOFF) == 0  # it went out within the retention
    assert retention.purge_replies_batch(store, CUTOFF + timedelta(minutes=4)) == 1


def hold_a_reader(path: Path) -> Store:
    """Another connection inside a read transaction, as an /export's snapshot is."""
    reader = Store.open_snapshot(path)
    reader.conn.execute("BEGIN")
    messages.count_messages(reader)  # its snapshot is taken now: the log must keep what it sees
    return reader


def test_a_checkpoint_a_reader_holds_up_says_so_at_once_without_waiting(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    store = Store.open(path)
    fill(store, 50, days_ago=40)
    fill(store, 1, days_ago=1)
    reader = hold_a_reader(path)
    while retention.purge_batch(store, CUTOFF):
        pass
    started = time.monotonic()
    done = retention.checkpoint(store)
    assert time.monotonic() - started < 1  # not the 3 s busy timeout: the store waits for it
    assert done.busy and not done.complete and 0 <= done.copied < done.frames
    assert store.conn.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,)
    reader.conn.execute("COMMIT")
    reader.close()
    assert retention.checkpoint(store) == retention.Checkpoint(False, 0, 0)
    store.close()


async def test_a_checkpoint_held_up_is_tried_again_then_a_warning_says_what_follows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bridge.db"
    store = Store.open(path)
    fill(store, 300, days_ago=40)
    fill(store, 1, days_ago=1)
    store.close()
    reader = hold_a_reader(path)
    thread = AsyncStore(Store.open(path))
    try:
        purged = await Retention(thread, 30, batch=100, pause=0, checkpoint_retry=0.01).purge(NOW)
    finally:
        thread.close()
        reader.close()
    assert purged.sms == 300  # the purge itself is done: only the shrinking waits
    [warning] = [r for r in caplog.records if "write-ahead log" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "could not be emptied after 4 tries" in warning.getMessage()
    assert "SQLite's next automatic checkpoint" in warning.getMessage()
    assert not [r for r in caplog.records if "free pages given back" in r.getMessage()]


async def test_a_checkpoint_tried_again_after_the_reader_left_shrinks_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.features.retention.purging")
    path = tmp_path / "bridge.db"
    store = Store.open(path)
    fill(store, 300, days_ago=40)
    fill(store, 1, days_ago=1)
    store.close()
    reader = hold_a_reader(path)
    thread = AsyncStore(Store.open(path))
    before = file_size(path)
    try:
        purge = asyncio.create_task(
            Retention(thread, 30, batch=100, pause=0, checkpoint_retry=0.2).purge(NOW)
        )
        await eventually(lambda: any("checkpoint busy" in r.getMessage() for r in caplog.records))
        reader.conn.execute("COMMIT")  # the export ends
        await purge
    finally:
        thread.close()
        reader.close()
    assert not [r for r in caplog.records if "write-ahead log" in r.getMessage()]
    assert [r for r in caplog.records if "free pages given back" in r.getMessage()]
    assert file_size(path) < before / 4


# -- SMS already older than the retention when fetched ------------------------------------


def test_history_older_than_the_retention_when_fetched_is_never_stored_and_the_cursor_passes_it(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "bridge.db", keep_for=timedelta(days=1))
    batch = [sms(1, 3, "boiler code 1111"), sms(2, 1.01), sms(3, 0.99, "door opened")]
    no_chat: list[str] = []  # no chat is to get them: the first start's history
    assert messages.save_incoming(store, batch, no_chat, fetched_at=NOW) == Saved([3], [], [1, 2])
    assert kept(store) == [3] and rows(store, "deliveries") == 0
    assert history.search(store, "boiler", None, None, 10).total == 0
    assert markers.max_smsc_id(store) == 3
    # A page of nothing but old SMS: the cursor still moves past them, so they are not
    # asked for again and again.
    assert messages.save_incoming(
        store, [sms(5, 2), sms(4, 1.5)], no_chat, fetched_at=NOW
    ) == Saved([], [], [4, 5])
    assert kept(store) == [3] and markers.max_smsc_id(store) == 5
    assert messages.save_incoming(store, [sms(4, 2)], no_chat, fetched_at=NOW).too_old == [4]
    assert markers.max_smsc_id(store) == 5  # the cursor never goes back
    store.close()
    reopened = Store.open(tmp_path / "bridge.db")  # the cursor is in the database
    assert markers.max_smsc_id(reopened) == 5
    assert messages.save_incoming(reopened, [sms(6, 400)], CHATS, fetched_at=NOW).stored == [
        6
    ]  # no limit
    reopened.close()


def test_an_old_sms_a_chat_is_still_to_get_is_stored_and_relayed(tmp_path: Path) -> None:
    """A lost SMS is worse than an old one: the purge takes it once every chat has it."""
    store = Store.open(tmp_path / "bridge.db", keep_for=timedelta(days=1))
    assert messages.save_incoming(
        store, [sms(1, 3, "boiler code 1111")], CHATS, fetched_at=NOW
    ) == Saved([1], [], [])
    assert kept(store) == [1] and rows(store, "deliveries") == len(CHATS)
    store.close()


async def test_a_first_start_that_purges_first_then_fetches_a_week_keeps_nothing_older(
    tmp_path: Path, smsc: FakeSmsc, caplog: pytest.LogCaptureFixture
) -> None:
    """RETENTION_DAYS=1, SMSC_BACKFILL_HOURS=168: the start-up purge runs before the
    week of history arrives, and still nothing older than a day is kept after it."""
    caplog.set_level(logging.INFO, logger="bot.features.retention.purging")
    caplog.set_level(logging.INFO, logger="bot.intake.poller")
    now = datetime.now(UTC)
    old = [smsc.add_sms(f"code {n}111", received=now - timedelta(days=n)) for n in (6, 3, 2)]
    recent = smsc.add_sms("door opened", received=now - timedelta(hours=2))
    client = SmscClient(smsc.url, SmscCredentials(LOGIN, PASSWORD), smsc.zone)
    harness = make_harness(tmp_path / "bridge.db", client)
    harness.store.keep_for = timedelta(days=1)  # as `sms-bridge run` opens it
    harness.poller._backfill_hours = 168
    try:
        assert await Retention(harness.db, 1, pause=0).purge(now) == Purged(0, 0)
        await harness.poller.poll_once()
    finally:
        await client.aclose()
        harness.db.close()
    [request] = smsc.inbox_requests()
    assert request.form["hour"] == "168"
    store = Store.open(tmp_path / "bridge.db")
    assert kept(store) == [recent] and history.search(store, "code", None, None, 10).total == 0
    assert markers.max_smsc_id(store) == recent
    store.close()
    [line] = [r for r in caplog.records if "older than RETENTION_DAYS" in r.getMessage()]
    assert line.levelno == logging.INFO and line.getMessage() == (
        "retention: 3 SMS already older than RETENTION_DAYS when fetched, for no chat: "
        "not stored: " + ", ".join(map(str, old))
    )


async def test_after_an_outage_longer_than_the_retention_the_sms_meanwhile_are_still_relayed(
    tmp_path: Path, smsc: FakeSmsc
) -> None:
    now = datetime.now(UTC)
    client = SmscClient(smsc.url, SmscCredentials(LOGIN, PASSWORD), smsc.zone)
    harness = make_harness(tmp_path / "bridge.db", client)
    markers.mark_first_start_done(harness.store, now - timedelta(days=5))
    before = IncomingSms(500, "79261234567", "79031234567", "before", now - timedelta(days=3))
    messages.save_incoming(harness.store, [before], [])  # the cursor when the bridge went away
    harness.store.keep_for = timedelta(days=1)
    away = [smsc.add_sms("meanwhile", received=now - timedelta(hours=h)) for h in (48, 30)]
    back = smsc.add_sms("after", received=now - timedelta(hours=1))
    harness.poller._last_overlap = float("inf")  # no overlap re-read: one request per poll
    try:
        await harness.poller.poll_once()
        assert harness.pending_ids() == [*away, back]
    finally:
        await client.aclose()
        harness.db.close()


def test_the_log_names_at_most_twenty_ids_of_sms_too_old_to_keep(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    log_too_old(list(range(1, 26)))
    [line] = caplog.records
    assert line.getMessage().endswith(
        ": 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 and 5 more"
    )
    log_too_old([])
    assert len(caplog.records) == 1


def test_records_kept_aside_go_with_the_retention_and_the_cursor_stays_past_them(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "bridge.db")
    # A lone surrogate no SQLite text can hold: kept aside in its raw form.
    saved = messages.save_incoming(
        store,
        [sms(1, 0), sms(7, 0, "code 5512 \ud800")],
        CHATS,
        fetched_at=NOW - timedelta(days=40),
    )
    assert saved.stored == [1] and [k.smsc_id for k in saved.kept_aside] == [7]
    assert retention.purge_kept_aside_batch(store, NOW - timedelta(days=41)) == 0
    assert retention.purge_kept_aside_batch(store, NOW - timedelta(days=30)) == 1
    assert messages.count_kept_aside(store) == 0 and rows(store, "kept_aside") == 0
    assert markers.max_smsc_id(store) == 7  # SMSC's copy is not fetched and kept aside again
    assert messages.unseen(store, [sms(8, 0)]) == [sms(8, 0)]
    store.close()

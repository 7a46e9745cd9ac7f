"""A first start's fill of an empty store builds the index by sender once, at its end."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.inbox import InboxPage
from state import IncomingSms, Store, first_fill, history, markers, messages
from state.migrations import SENDER_INDEX
from state.store import read_only_connection
from tests.test_poller import make_harness

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def sms(smsc_id: int, sender: str = "79261234567") -> IncomingSms:
    return IncomingSms(smsc_id, sender, "79031234567", f"sms {smsc_id}", NOW)


def has_sender_index(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (SENDER_INDEX,)
    ).fetchone()
    return found is not None


def from_sender_plan(store: Store) -> str:
    """How /from finds a sender's SMS."""
    rows = store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM messages m WHERE m.sender_key = ? "
        "ORDER BY m.received_at DESC, m.id DESC LIMIT 10",
        ("79261234567",),
    ).fetchall()
    return " ".join(row[3] for row in rows)


def test_a_fill_of_an_empty_store_leaves_the_index_out_and_builds_it_at_its_end(
    store: Store,
) -> None:
    assert first_fill.begin(store) is True
    assert not has_sender_index(store.conn)
    messages.save_incoming(store, [sms(1), sms(2, "79037654321"), sms(3)], ["-1001"])
    first_fill.end(store)
    assert has_sender_index(store.conn)
    assert SENDER_INDEX in from_sender_plan(store)
    found = history.from_sender(store, "+7 926 123-45-67", None, None, 10)
    assert [s.smsc_id for s in found.messages] == [1, 3]


def test_a_fill_that_begins_on_stored_sms_keeps_the_index(store: Store) -> None:
    messages.save_incoming(store, [sms(1)], ["-1001"])
    assert first_fill.begin(store) is False
    assert has_sender_index(store.conn)


def test_a_fill_stopped_by_a_crash_gets_its_index_at_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    crashed = Store.open(path)
    first_fill.begin(crashed)
    messages.save_incoming(crashed, [sms(1), sms(2)], ["-1001"])
    crashed.conn.close()  # no end: the process died midway
    reopened = Store.open(path)
    try:
        assert has_sender_index(reopened.conn)
        assert SENDER_INDEX in from_sender_plan(reopened)
    finally:
        reopened.close()


class WatchingInbox:
    """Pages of two SMS; at each request, whether the index by sender is in the file."""

    def __init__(self, path: Path, ids: list[int], fail_at: int | None = None) -> None:
        self.path, self.ids, self.fail_at = path, ids, fail_at
        self.index_seen: list[bool] = []

    async def fetch_after(self, cursor: int | None, *, hours: int) -> InboxPage:
        conn = read_only_connection(self.path)
        try:
            self.index_seen.append(has_sender_index(conn))
        finally:
            conn.close()
        if len(self.index_seen) == self.fail_at:
            raise ConnectionError("SMSC went away midway")
        after = [i for i in self.ids if cursor is None or i > cursor][:2]
        return InboxPage(
            records=[sms(i) for i in after],
            problems=[],
            next_cursor=max(after, default=None),
            more=len(after) == 2,
        )


async def test_a_first_start_fills_without_the_index_and_ends_with_it(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    inbox = WatchingInbox(path, [1, 2, 3, 4, 5])
    harness = make_harness(path, inbox)
    try:
        assert await harness.poller.poll_once() == 5
        assert inbox.index_seen == [False, False, False]  # three pages, none with it
        assert has_sender_index(harness.store.conn)
        assert markers.first_start_done_at(harness.store) is not None
    finally:
        harness.db.close()


async def test_a_first_start_that_fails_midway_still_ends_with_the_index(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    inbox = WatchingInbox(path, [1, 2, 3, 4, 5], fail_at=2)
    harness = make_harness(path, inbox)
    try:
        with pytest.raises(ConnectionError):
            await harness.poller.poll_once()
        assert has_sender_index(harness.store.conn)
        assert markers.first_start_done_at(harness.store) is None  # tried again next poll
        inbox.fail_at = None
        assert await harness.poller.poll_once() == 3  # from the start again: 3 are new
        assert inbox.index_seen == [False, False, True, True, True]  # kept: SMS were stored
        assert markers.first_start_done_at(harness.store) is not None
    finally:
        harness.db.close()

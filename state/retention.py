"""Retention: SMS older than a cutoff are deleted, with everything the database holds
about them, and the file gives the space back.

SMS hold one-time codes and private messages; RETENTION_DAYS bounds how long the file
keeps them. What a purge deletes, and what it never does:

- an SMS received before the cutoff goes with its rows in every per-SMS table
  (`SMS_TABLES`, the one list: a table keyed by an SMS's ID is added there), the `shown`
  HTML of Telegram messages that no longer carry any SMS, and its full-text entry
  (`messages_fts` is an external-content FTS5 index kept by the `messages_ad` trigger that
  sqlite-utils created: deleting the row deletes the entry);
- deleted text is overwritten with zeros (`PRAGMA secure_delete`), not left as free bytes
  inside the pages that remain;
- never an SMS with a delivery still open (PENDING or SENDING): it has not reached every
  chat; a later purge takes it once it is sent, or failed for good;
- never the newest SMS: its ID is the poll cursor (`markers.max_smsc_id`), and without it
  the poller would fetch SMSC's last days again and relay them twice;
- the account's receiving numbers stay: they are not SMS;
- SMS the bridge sent for a person (replies, and previews never sent) go by their own
  age (the last of created and sent), in any state, in batches of their own
  (`purge_replies_batch`): whether replies are on or not (switched off, nothing settles
  them any more); so do the calls placed when nobody took an SMS (`state.calls`). None
  is still followed by then: a preview expires in minutes, a send
  is followed for 24 hours at most, and a retention is a day at least; the sends that
  count against today's limit are younger than a day.

A purge works in batches, each one short transaction, so the bridge's other writes (new
SMS, deliveries) wait at most one batch; the caller yields between batches.

Space, and the index. FTS5 deletes by writing tombstones: the words of a deleted SMS stay
in the index's older segments until those are merged. So after a purge the index is
merged, a few hundred pages a step (`merge` with a negative size merges every segment,
which drops the tombstones and what they cover), until a step does no work.

Deleted rows leave free pages inside the file. A database is created with
`auto_vacuum = INCREMENTAL` (`Store.open`), so after a purge `PRAGMA incremental_vacuum`
hands the free pages back a few thousand at a time (small steps again), and a WAL
checkpoint then truncates the file (in WAL mode the file shrinks when the checkpoint
copies the last frames). A reader in another connection (an /export's or a /stats'
snapshot, a backup, the sqlite3 shell) keeps the checkpoint from finishing: it never
waits for one (the store's other calls would wait with it), and says so (`Checkpoint`),
so the caller can try again later.

A database made by an earlier release has auto_vacuum off, and switching needs one
VACUUM: the first purge that deletes anything runs it, once. VACUUM rewrites the file
(6.4 s for 340 MB, measured) while the store's other calls wait, but only once, and after
the purge, so it copies only what is kept. The other way, a VACUUM after every large
purge, would rewrite the whole file every day with a 30-day retention (a thirtieth of it
deleted daily), each time holding the store for the whole copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from state.markers import raise_cursor_floor
from state.schema import OPEN_DELIVERY
from state.store import Store
from state.times import from_db, to_db

# Every table with rows about one SMS, and the column naming it: deleted with the SMS,
# before it (foreign keys). `shown` is keyed by Telegram message, not by SMS: see below.
SMS_TABLES: tuple[tuple[str, str], ...] = (
    ("takes", "message_id"),
    ("reminders_due", "message_id"),
    ("deliveries", "message_id"),
    ("message_chats", "message_id"),  # routes: which chats see it
    ("quiet_deliveries", "message_id"),  # routes: quiet hours
    ("collapse_deliveries", "message_id"),  # routes: collapsed repeats
    ("repeat_runs", "message_id"),  # the message a run of repeats folds into
    ("call_chains", "message_id"),  # calls: who is called next for it
)
BATCH = 200  # SMS deleted per transaction: tens of milliseconds on a million-SMS file
VACUUM_STEP = 2000  # free pages handed back per step (8 MB at 4 KiB pages): ~15 ms
MERGE_STEP = 100  # index pages a merge step writes: tens of milliseconds
AUTO_VACUUM_INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def purge_batch(store: Store, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to `batch` SMS received before `cutoff`, oldest first; how many went.

    Fewer than `batch` means nothing more is due now.
    """
    conn = store.conn
    conn.execute("PRAGMA secure_delete = ON")  # deleted text zeroed, not left in pages
    with store.transaction():
        ids = [
            smsc_id
            for (smsc_id,) in conn.execute(
                "SELECT m.id FROM messages m WHERE m.received_at < ? "
                "AND m.id < (SELECT max(id) FROM messages) "
                f"AND NOT EXISTS (SELECT 1 FROM deliveries WHERE message_id = m.id "
                f"AND {OPEN_DELIVERY}) "
                "ORDER BY m.received_at LIMIT ?",
                (to_db(cutoff), batch),
            )
        ]
        if not ids:
            return 0
        marks = _marks(ids)
        places = conn.execute(
            "SELECT DISTINCT chat, telegram_message_id FROM deliveries "
            f"WHERE message_id IN ({marks}) AND telegram_message_id IS NOT NULL",
            ids,
        ).fetchall()
        for table, column in SMS_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)
        conn.executemany(
            "DELETE FROM shown WHERE chat = ? AND telegram_message_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM deliveries WHERE chat = ? AND telegram_message_id = ?)",
            [(chat, message, chat, message) for chat, message in places],
        )
        conn.execute(f"DELETE FROM messages WHERE id IN ({marks})", ids)
    return len(ids)


def purge_replies_batch(store: Store, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to `batch` SMS sent (or previewed) for a person, created and sent before
    `cutoff`, in any state, oldest first, and up to `batch` calls; how many went. Fewer
    than `batch` means nothing more is due now."""
    store.conn.execute("PRAGMA secure_delete = ON")
    before = to_db(cutoff)
    with store.transaction():
        deleted = store.conn.execute(
            "DELETE FROM outgoing WHERE id IN (SELECT id FROM outgoing WHERE created_at < ? "
            "AND coalesce(sent_at, created_at) < ? ORDER BY created_at LIMIT ?)",
            (before, before, batch),
        )
        # calls placed when nobody took an SMS (`state.calls`): who was called, at which
        # number; by their age too, but never one still being asked of SMSC
        called = store.conn.execute(
            "DELETE FROM calls WHERE id IN (SELECT id FROM calls WHERE created_at < ? "
            "AND state != 'calling' ORDER BY id LIMIT ?)",
            (before, batch),
        )
        return deleted.rowcount + called.rowcount


def purge_kept_aside_batch(store: Store, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to `batch` records kept aside (SMS the database refused, in their raw
    form) before `cutoff`; how many went. Their IDs still count for the poll cursor (the
    cursor floor), so SMSC's copies are not fetched and kept aside again."""
    store.conn.execute("PRAGMA secure_delete = ON")
    with store.transaction():
        ids = [
            smsc_id
            for (smsc_id,) in store.conn.execute(
                "SELECT smsc_id FROM kept_aside WHERE kept_at < ? ORDER BY smsc_id LIMIT ?",
                (to_db(cutoff), batch),
            )
        ]
        if ids:
            raise_cursor_floor(store, ids)
            store.conn.execute(f"DELETE FROM kept_aside WHERE smsc_id IN ({_marks(ids)})", ids)
    return len(ids)


def merge_index(store: Store, pages: int = MERGE_STEP) -> bool:
    """Merge the full-text index's segments by about `pages` pages; False once there is
    nothing left to merge (FTS5: a step that did work changes two rows or more)."""
    before = store.conn.total_changes
    with store.transaction():
        store.conn.execute(
            "INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', ?)", (-int(pages),)
        )
    return store.conn.total_changes - before >= 2


def oldest_received_at(store: Store) -> datetime | None:
    """When the oldest SMS kept was received (by the received index: no scan)."""
    (oldest,) = store.conn.execute("SELECT min(received_at) FROM messages").fetchone()
    return None if oldest is None else from_db(oldest)


def gives_space_back(store: Store) -> bool:
    """Whether free pages can be handed back in steps (auto_vacuum is INCREMENTAL)."""
    (mode,) = store.conn.execute("PRAGMA auto_vacuum").fetchone()
    return int(mode) == AUTO_VACUUM_INCREMENTAL


def convert_to_incremental(store: Store) -> Checkpoint:
    """Switch a database of an earlier release to incremental vacuum: one VACUUM."""
    store.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    store.conn.execute("VACUUM")
    return checkpoint(store)


def free_pages(store: Store) -> int:
    return int(store.conn.execute("PRAGMA freelist_count").fetchone()[0])


def hand_back(store: Store, pages: int = VACUUM_STEP) -> bool:
    """Give up to `pages` free pages back to the file system; whether any remain."""
    # Each step of the statement frees one page, and `execute` steps a statement that
    # returns no rows only once: a script runs it to the end.
    store.conn.executescript(f"PRAGMA incremental_vacuum({int(pages)});")
    return free_pages(store) > 0


class Checkpoint(NamedTuple):
    """What `PRAGMA wal_checkpoint` answered."""

    busy: bool  # another connection was reading or writing: it could not finish
    frames: int  # frames in the write-ahead log; -1 when the database is not in WAL mode
    copied: int  # of them, copied into the database file

    @property
    def complete(self) -> bool:
        """Everything copied and the log emptied: the file has shrunk."""
        return not self.busy and self.copied == self.frames


def checkpoint(store: Store) -> Checkpoint:
    """Copy the write-ahead log into the file and empty it, so the file shrinks now; busy
    at once, without waiting, when another connection is in the way."""
    conn = store.conn
    (waits,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")  # TRUNCATE would wait for every reader
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(waits)}")
    return Checkpoint(bool(busy), int(frames), int(copied))

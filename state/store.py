"""The SQLite store: the connection to the bridge's database, and its life.

`Store` opens the file (private to this user, see `state.files`) and brings it to this
release's schema (`state.migrations`), gives a read-only snapshot for a long report,
holds the one write transaction, and closes. The database is the truth: what that means
for an SMS and a delivery is told in `state.messages` and `state.deliveries`.

The queries are free functions taking the Store, one module per table family:

- `state.messages`: storing SMS, each once, and looking them up (by ID, how many);
- `state.deliveries`: the relay's outbox, its marks, the SMS a relayed message carries;
- `state.history`: /last, /history, /search and /from;
- `state.markers`: the first start's marker and the poll cursor;
- `state.oncall`, `state.outgoing`, `state.retention`, `state.stats`, `state.export`:
  takes and duty, outgoing SMS, purges, /stats figures, /export rows.

The store is synchronous and owns one connection; callers in async code run any of those
functions on one dedicated thread (`await db.call(pending, chat, 10)`, see
`bot.core.database`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from state.files import create_private_file, make_private_folder, private_umask
from state.migrations import migrate
from state.models import DeliveryStatus
from state.phones import DEFAULT_REGION
from state.times import to_db, utc_now
from state.transactions import read_transaction, write_transaction

BUSY_TIMEOUT_MS = 3000  # another process holding the lock: wait this long, then raise
_IN_CHUNK = 500  # stay well under SQLite's host-parameter limit


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    """The bridge's database. Not thread-safe: use it from one thread at a time.

    `region` (PHONE_REGION) is how numbers are read into keys (`state.phones`): senders
    as SMSC writes them when stored, numbers as people type them when looked up.
    """

    def __init__(
        self,
        db: Database,
        path: Path | None = None,
        region: str = DEFAULT_REGION,
        keep_for: timedelta | None = None,
    ) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path  # the database file; None in memory
        self.region = region
        self.keep_for = keep_for  # RETENTION_DAYS: older SMS are never stored; None: all

    @classmethod
    def open(
        cls, path: Path | str, region: str = DEFAULT_REGION, keep_for: timedelta | None = None
    ) -> Store:
        """Open (creating the file and its folder if needed) and migrate to this release.

        What it creates is private to this user (see `state.files`): the folder 0700, the
        database and SQLite's `-wal` and `-shm` beside it 0600, whatever the umask.
        """
        path = Path(path)
        if str(path) == ":memory:":
            store = cls._connect(path, region)
        else:
            make_private_folder(path.parent)
            with private_umask():  # SQLite creates -wal and -shm while the store opens
                create_private_file(path)
                store = cls._connect(path, region)
        store.keep_for = keep_for
        return store

    @classmethod
    def _connect(cls, path: Path, region: str) -> Store:
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,  # transactions are explicit: see transaction()
            check_same_thread=False,  # used from one dedicated thread, not the creating one
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
            # A new file: freed pages can be handed back in small steps after a purge
            # (state.retention). Only an empty file takes this without a VACUUM.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # a committed SMS survives power loss
        conn.execute("PRAGMA foreign_keys = ON")
        store = cls(Database(conn, execute_plugins=False), path, region)
        migrate(store.db)
        return store

    @classmethod
    def open_snapshot(cls, path: Path) -> Store:
        """A read-only Store on a connection of its own, for a long read (a report) on
        another thread. In WAL mode it neither blocks the bridge's writes nor waits for
        them, and one read transaction sees one moment of the database throughout."""
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        conn.execute("PRAGMA query_only = ON")
        return cls(Database(conn, execute_plugins=False), path)

    @classmethod
    @contextmanager
    def read_snapshot(cls, path: Path) -> Iterator[Store]:
        """`open_snapshot` in one read transaction, closed at the end: a report's queries
        (counts, then the rows they count) agree with each other."""
        snapshot = cls.open_snapshot(path)
        try:
            with read_transaction(snapshot.conn):
                yield snapshot
        finally:
            snapshot.close()

    def close(self) -> None:
        self.conn.close()

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction (see state.transactions.write_transaction)."""
        return write_transaction(self.conn)

    def _update_rows(
        self, chat: str, ids: Sequence[int], assignments: str, args: Sequence[Any]
    ) -> None:
        """The UPDATE of `_update`, inside a transaction the caller holds."""
        now = to_db(utc_now())
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                f"UPDATE deliveries SET {assignments}, updated_at = ? "
                f"WHERE chat = ? AND message_id IN ({marks})",
                (*args, now, chat, *chunk),
            )

    def mark_sent(
        self,
        chat: str,
        ids: Sequence[int],
        telegram_message_id: int,
        *,
        shown_html: str | None = None,
        remind_after: float | None = None,
    ) -> None:
        """Telegram accepted these deliveries as message `telegram_message_id`, now.

        A message with a button keeps its HTML (`shown_html`) for the edits a press makes;
        `remind_after` (seconds) queues a reminder should nobody take these SMS by then;
        none for an SMS taken already (in a chat it reached first), as a take clears them.
        """
        moment = utc_now()
        now = to_db(moment)
        with self.transaction():
            self._update_rows(
                chat,
                ids,
                "status = ?, telegram_message_id = ?, delivered_at = ?, error = NULL",
                (DeliveryStatus.SENT, telegram_message_id, now),
            )
            if shown_html is not None:
                self.conn.execute(
                    "INSERT OR REPLACE INTO shown (chat, telegram_message_id, html) "
                    "VALUES (?, ?, ?)",
                    (chat, telegram_message_id, shown_html),
                )
            if remind_after is not None:  # not for an SMS taken already (in another chat)
                due = to_db(moment + timedelta(seconds=remind_after))
                self.conn.executemany(
                    "INSERT OR IGNORE INTO reminders_due (chat, message_id, due_at) "
                    "SELECT ?, ?, ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM takes WHERE message_id = ?)",
                    [(chat, smsc_id, due, smsc_id) for smsc_id in ids],
                )

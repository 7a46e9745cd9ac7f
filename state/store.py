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

The store is synchronous and owns one connection (and, for a history answer's totals, a
read-only one that counts beside it: `state.aside`); callers in async code run any of those
functions on one dedicated thread (`await db.call(deliveries.pending, chat, 10)`, see
`bot.core.database`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from state.aside import CountAside, counted_here
from state.files import create_private_file, make_private_folder, private_umask
from state.migrations import migrate
from state.phones import DEFAULT_REGION
from state.transactions import read_transaction, write_transaction

BUSY_TIMEOUT_MS = 3000  # another process holding the lock: wait this long, then raise
CHECKPOINT_PAGES = 1000  # SQLite's own: the WAL is copied into the file past 4 MB
BULK_CHECKPOINT_PAGES = 40_000  # while a catch-up's big pages are written: past 160 MB
WAL_KEPT_BYTES = 16 * 1024 * 1024  # what a WAL grown past this is cut back to once copied


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
        self._bulk = False  # whether the WAL may grow to BULK_CHECKPOINT_PAGES
        self.counts_aside = False  # Store.open of a file: counts run beside, see count()
        self.aside: CountAside | None = None  # the counts' connection, opened at the first

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
            store.counts_aside = True
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
        conn.execute(f"PRAGMA journal_size_limit = {WAL_KEPT_BYTES}")
        store = cls(Database(conn, execute_plugins=False), path, region)
        migrate(store.db)
        return store

    @classmethod
    def open_snapshot(cls, path: Path) -> Store:
        """A read-only Store on a connection of its own, for a long read (a report) on
        another thread. In WAL mode it neither blocks the bridge's writes nor waits for
        them, and one read transaction sees one moment of the database throughout."""
        return cls(Database(read_only_connection(path), execute_plugins=False), path)

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

    def count(self, sql: str, args: Sequence[Any]) -> Future[int]:
        """Start `sql`, a count, on a second connection (`state.aside`) and return at once:
        the caller reads its page of rows meanwhile and then waits for the future.

        Counted here instead, before returning, where a second connection would see
        another moment or cannot be had: inside a transaction (a report's snapshot, whose
        count and rows must agree), on a snapshot, in memory.
        """
        if not self.counts_aside or self.path is None or self.conn.in_transaction:
            return counted_here(self.conn, sql, args)
        if self.aside is None:
            self.aside = CountAside(read_only_connection(self.path))
        return self.aside.count(sql, args)

    def close(self) -> None:
        if self.aside is not None:
            self.aside.close()
        self.conn.close()

    def transaction(self, bulk: bool = False) -> AbstractContextManager[None]:
        """One write transaction (see state.transactions.write_transaction).

        `bulk`: one of a catch-up's pages of thousands of SMS. Each such page rewrites
        pages of the indexes the one before rewrote too (every sender's, the text's); so
        that each is copied from the WAL into the file once for many of them, not once a
        transaction, SQLite's checkpoint waits for BULK_CHECKPOINT_PAGES while bulk ones
        are written (storing a million raw: 61.7 s instead of 65.6, docs/benchmarks.md). The
        next transaction that is not bulk copies what grew, and the WAL is cut back to
        WAL_KEPT_BYTES.
        """
        if bulk != self._bulk:
            pages = BULK_CHECKPOINT_PAGES if bulk else CHECKPOINT_PAGES
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {pages}")
            self._bulk = bulk
        return write_transaction(self.conn)


def read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that only reads the database at `path`, usable from any one thread."""
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    conn.execute("PRAGMA query_only = ON")
    return conn

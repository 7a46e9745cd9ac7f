"""Transactions: one helper for writes (the store and the migrations alike), one for reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def write_transaction(
    conn: sqlite3.Connection, committing: Callable[[], object] | None = None
) -> Iterator[None]:
    """One write transaction, taking the write lock up front (no upgrade deadlocks).

    The connection is in autocommit mode (isolation_level=None); this is the only place
    that begins, commits and rolls back. `committing` is called when every statement has
    run, just before the commit (which may still fail); should it raise, nothing is kept.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        if committing is not None:
            committing()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every query inside sees one moment of the database, however
    long the reading takes and whatever is written meanwhile (WAL mode)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")  # nothing was written: ending it is all there is to do

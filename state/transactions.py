"""Transactions: one helper for writes (the store and the migrations alike), one for reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taking the write lock up front (no upgrade deadlocks).

    The connection is in autocommit mode (isolation_level=None); this is the only place
    that begins, commits and rolls back.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
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

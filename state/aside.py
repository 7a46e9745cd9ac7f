"""Counting aside: an answer's total counted on a second connection while the first reads
the page of rows it is the total of.

A history answer reads the same matches twice: how many there are (up to a cap), then the
newest page of them. Python's sqlite3 lets go of the interpreter's lock while SQLite
walks, so a count running on a connection and a thread of its own walks at the same time
as the rows are read and turned into SMS, on another core. A routed team chat's `/search`
of a word in a tenth of a million SMS counts 10,000 visible matches by walking 30,000:
29 ms for count and page together instead of 50 (docs/benchmarks.md).

The count's connection is read-only and opened at the first count. In WAL mode it neither
waits for the bridge's writes nor holds them up. It reads what is committed when its
statement starts, as a count run before the page on the same connection did: the two
were always two statements, outside any transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class CountAside:
    """A read-only connection to the database (opened by `Store.count`) and the one thread
    that uses it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-count")

    def count(self, sql: str, args: Sequence[Any]) -> Future[int]:
        """Start `sql`, a query of one number, on the count's thread; the future holds it."""
        return self._thread.submit(first_number, self.conn, sql, args)

    def close(self) -> None:
        """Finish the count in progress, then close the connection."""
        self._thread.shutdown(wait=True)
        self.conn.close()


def first_number(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> int:
    """The number `sql` selects (a count's one row, one column)."""
    return int(conn.execute(sql, args).fetchone()[0])


def counted_here(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Future[int]:
    """`sql` counted on `conn` at once, as a future that is already done."""
    done: Future[int] = Future()
    done.set_result(first_number(conn, sql, args))
    return done

"""A first start's fill of an empty store: the index by sender built once, at its end.

A first start may store a million SMS of history in pages of 5,000. The index by sender
(for /from) is keyed by sender first, so a page from thousands of senders writes nearly
as many of that index's pages, scattered over the file, at every commit; SQLite builds
the same index from the finished table by sorting it once. Stored raw, 1,000,000 SMS
took 83.2 s with the index and 51.5 s without it, plus 1.9 s to build it after
(docs/benchmarks.md).

So a fill that begins on an empty `messages` table drops the index, and `end` builds it
again, whether the fill finished or failed. A fill stopped by a crash leaves it out until
the next `Store.open`, which builds it (`state.migrations.migrate`). While the fill runs,
/from reads the table whole: slower, never wrong. A fill that begins on stored SMS (a
first start retried after one that failed midway) keeps the index as it is: dropping it
would cost building it again from what is stored.
"""

from __future__ import annotations

from state.migrations import CREATE_SENDER_INDEX, SENDER_INDEX
from state.store import Store


def begin(store: Store) -> bool:
    """Before a first start's fill: leave the index by sender out if no SMS is stored yet;
    whether it was (then `end` must follow)."""
    with store.transaction():
        if store.conn.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is not None:
            return False
        store.conn.execute(f"DROP INDEX IF EXISTS {SENDER_INDEX}")
    return True


def end(store: Store) -> None:
    """After the fill, finished or not: the index by sender, built from what is stored."""
    with store.transaction():
        store.conn.execute(CREATE_SENDER_INDEX)

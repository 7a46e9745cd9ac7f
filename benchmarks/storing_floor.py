"""What each part of the schema costs a catch-up's storing: a tool to look, not a guard.

Raw `sqlite3` `executemany` of the rows a first start writes for N SMS (messages, their
full-text entries, the visibility rows of 20 routes and 3 chats), one transaction per
page, into the store as `Store.open` makes it; then the same with one part changed. The
figures are the floor the bridge's own storing is held against (`benchmarks.catchup`), and
they say where a cheaper schema would save: docs/benchmarks.md has what they showed.

    python -m benchmarks.storing_floor 200000 --pages 1000 5000 10000
    python -m benchmarks.storing_floor 1000000 --change no-text-index no-sender-index prefixes-2-6

The rows are built once, ahead (routing and parsing are not timed).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.catchup import CHATS, BulkInbox
from benchmarks.common import MOSCOW, inbox_records
from benchmarks.ingest import ROUTES_20
from bot.routing.routes import Router, load_routes
from bot.routing.targets import ChatTarget
from bot.smsc import parse_inbox_reply
from state import Store
from state.messages import INDEX_TEXT, INSERT_MESSAGE, INSERT_VISIBLE, message_row
from state.schema import FTS_TOKENIZER
from state.times import to_db

Rows = list[tuple[object, ...]]
Page = tuple[Rows, Rows]  # message rows, visibility rows

# One part of the schema taken away or changed before storing, by name (`--change`).
CHANGES: dict[str, Callable[[sqlite3.Connection], object]] = {
    "no-text-index": lambda conn: conn.execute("DROP TABLE messages_fts"),
    "no-sender-index": lambda conn: conn.execute("DROP INDEX idx_messages_sender_key_received_at"),
    "no-time-index": lambda conn: conn.execute("DROP INDEX idx_messages_received_at"),
    "prefixes-2-6": lambda conn: _text_index_with_prefixes(conn, "2 3 4 5 6"),  # schema 18's
    "prefixes-3-6": lambda conn: _text_index_with_prefixes(conn, "3 4 5 6"),
    "cache-32mb": lambda conn: conn.execute("PRAGMA cache_size = -32768"),
}


def _text_index_with_prefixes(conn: sqlite3.Connection, prefixes: str) -> None:
    conn.execute("DROP TABLE messages_fts")
    conn.execute(
        f"CREATE VIRTUAL TABLE messages_fts USING FTS5 (text, tokenize='{FTS_TOKENIZER}', "
        f"prefix='{prefixes}', content=\"messages\")"
    )


def pages_of(count: int, size: int) -> list[Page]:
    """The rows a first start writes for `count` SMS, in pages of `size`."""
    records = inbox_records(count, random.Random(20261203), span_days=0.9)
    inbox = BulkInbox(records)
    with tempfile.TemporaryDirectory() as name:
        routes = Path(name) / "routes.toml"
        routes.write_text(ROUTES_20, "utf-8")
        targets = [ChatTarget.parse(chat) for chat in CHATS.split(",")]
        router = Router(load_routes(routes), targets)
    now = to_db(datetime.now(UTC))
    pages = []
    for start in range(0, count, size):
        body = inbox.page(int(records[start]["id"]) - 1, size)
        rows: Rows = []
        visible: Rows = []
        for sms in parse_inbox_reply(body, MOSCOW, datetime.now(UTC)).records:
            place = router.placement(sms, relay=False)
            row = message_row(sms, now, place.route, place.label)
            rows.append(row)
            visible += [(chat, row[5], sms.smsc_id) for chat in place.visible_to]
        pages.append((rows, visible))
    return pages


def store_all(pages: list[Page], change: str | None) -> tuple[float, float]:
    """Seconds to store every page, and the file's size in MB."""
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "floor.db"
        store = Store.open(path)
        conn = store.conn
        if change is not None:
            CHANGES[change](conn)
        indexed = change != "no-text-index"
        started = time.perf_counter()
        for rows, visible in pages:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(INSERT_MESSAGE, rows)
            if indexed:
                conn.executemany(INDEX_TEXT, [(row[0], row[4]) for row in rows])
            conn.executemany(INSERT_VISIBLE, visible)
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        store.close()
        return seconds, path.stat().st_size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="SMS to store")
    parser.add_argument("--pages", type=int, nargs="+", default=[5000], help="page sizes")
    parser.add_argument("--change", nargs="*", default=[], choices=sorted(CHANGES))
    options = parser.parse_args()
    print(f"{'page':>6}  {'schema':<24} {'seconds':>8} {'MB':>6}")
    for size in options.pages:
        pages = pages_of(options.count, size)
        for change in [None, *options.change]:
            seconds, size_mb = store_all(pages, change)
            schema = change or "as is"
            print(f"{size:>6}  {schema:<24} {seconds:>8.1f} {size_mb:>6.0f}", flush=True)


if __name__ == "__main__":
    main()

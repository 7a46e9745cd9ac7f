"""What each part of the schema costs a catch-up's storing: a tool to look, not a guard.

Raw `sqlite3` `executemany` of the rows a first start writes for N SMS (messages, their
full-text entries, the visibility rows of 20 routes and 3 chats), one transaction per
page, into the store as `Store.open` makes it; then the same with one part changed. The
figures are the floor the bridge's own storing is held against (`benchmarks.catchup`), and
they say where a cheaper schema would save: docs/benchmarks.md has what they showed.

    python -m benchmarks.storing_floor 200000 --pages 1000 5000 10000
    python -m benchmarks.storing_floor 1000000 --change no-text-index prefixes-2-6
    python -m benchmarks.storing_floor 1000000 --change page-16k+sync-normal

The rows are built once, ahead (routing and parsing are not timed).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from benchmarks.catchup import CHATS, BulkInbox, RawPage, raw_pages, store_raw
from benchmarks.common import inbox_records
from benchmarks.ingest import ROUTES_20
from bot.routing.routes import Router, load_routes
from bot.routing.targets import ChatTarget
from state.migrations import rebuild_text_index

# One part of the schema taken away or changed before storing, by name (`--change`).
CHANGES: dict[str, Callable[[sqlite3.Connection], object]] = {
    "no-text-index": lambda conn: conn.execute("DROP TABLE messages_fts"),
    "no-time-index": lambda conn: conn.execute("DROP INDEX idx_messages_received_at"),
    "prefixes-2-6": lambda conn: rebuild_text_index(Database(conn), "2 3 4 5 6"),  # schema 18's
    "prefixes-3-6": lambda conn: rebuild_text_index(Database(conn), "3 4 5 6"),
    "cache-32mb": lambda conn: conn.execute("PRAGMA cache_size = -32768"),
    "sync-normal": lambda conn: conn.execute("PRAGMA synchronous = NORMAL"),
    "page-8k": lambda conn: _page_size(conn, 8192),
    "page-16k": lambda conn: _page_size(conn, 16384),
}


def _page_size(conn: sqlite3.Connection, size: int) -> None:
    """A new, empty store's pages made `size` bytes (WAL mode keeps the size it has)."""
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(f"PRAGMA page_size = {size}")
    conn.execute("VACUUM")
    conn.execute("PRAGMA journal_mode = WAL")


def pages_of(count: int, size: int) -> list[RawPage]:
    """The rows a first start writes for `count` SMS, in pages of `size`."""
    records = inbox_records(count, random.Random(20261203), span_days=0.9)
    inbox = BulkInbox(records)
    bodies = [inbox.page(int(records[i]["id"]) - 1, size) for i in range(0, count, size)]
    with tempfile.TemporaryDirectory() as name:
        routes = Path(name) / "routes.toml"
        routes.write_text(ROUTES_20, "utf-8")
        targets = [ChatTarget.parse(chat) for chat in CHATS.split(",")]
        return raw_pages(bodies, Router(load_routes(routes), targets))


def store_all(pages: list[RawPage], change: str | None) -> tuple[float, float]:
    """Seconds to store every page, and the file's size in MB."""
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "floor.db"
        parts = change.split("+") if change is not None else []

        def altered(conn: sqlite3.Connection) -> None:
            for part in parts:
                CHANGES[part](conn)

        seconds = store_raw(path, pages, altered, index_text="no-text-index" not in parts)
        return seconds, path.stat().st_size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="SMS to store")
    parser.add_argument("--pages", type=int, nargs="+", default=[5000], help="page sizes")
    parser.add_argument(
        "--change", nargs="*", default=[], help=f"of {', '.join(CHANGES)}; several: a+b"
    )
    options = parser.parse_args()
    unknown = {p for c in options.change for p in c.split("+")} - set(CHANGES)
    if unknown:
        parser.error(f"no such change: {', '.join(sorted(unknown))}")
    print(f"{'page':>6}  {'schema':<24} {'seconds':>8} {'MB':>6}")
    for size in options.pages:
        pages = pages_of(options.count, size)
        for change in [None, *options.change]:
            seconds, size_mb = store_all(pages, change)
            schema = change or "as is"
            print(f"{size:>6}  {schema:<24} {seconds:>8.1f} {size_mb:>6.0f}", flush=True)


if __name__ == "__main__":
    main()

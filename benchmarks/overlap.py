"""What a catch-up would gain by reading and routing a page while the one before is
stored: a look, not a guard (not in `make bench`).

A first start's pages (SMSC JSON of 5,000 SMS each, served from memory) parsed, routed by
the 20 routes of `benchmarks.ingest` and stored raw (a transaction a page, the index by
sender built at the end as a first start does), three ways: one after the other in one
process, as the bridge does today; with a forked child reading and routing each page
while this process stores the one before, the rows sent over a pipe; and with a thread
doing the child's work while each table's rows of a page go to SQLite as one statement
(`INSERT ... SELECT ... FROM json_each(?)`). A thread beside `executemany` would stall
it: `executemany` gives the interpreter's lock away for each row's step, and a busy
thread hands it back only every 5 ms (docs/benchmarks.md); one statement gives it away
once a table. No HTTP, no dedup read, no bridge: the figures say how far overlapping can
go, not what the bridge takes.

    python -m benchmarks.overlap 1000000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import random
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol, TypeVar

from benchmarks.catchup import CHATS, BulkInbox, raw_pages, store_raw_page
from benchmarks.common import inbox_records
from benchmarks.ingest import ROUTES_20
from bot.routing.routes import Router, load_routes
from bot.routing.targets import ChatTarget
from bot.smsc.inbox_api import PAGE_SIZE
from state import Store, first_fill
from state.messages import INSERT_MESSAGE, INSERT_VISIBLE, page_transaction

# A page's rows as one statement a table. `->>` needs SQLite 3.38. Not for the bridge as
# is: SQLite's JSON cuts a text at an escaped NUL ("a\u0000b" is stored as "a").
_ROWS = "SELECT {} FROM json_each(?)"
_MESSAGE_VALUES = ", ".join(f"value->>{n}" for n in range(12))
MESSAGES_AS_ONE = INSERT_MESSAGE.split(" VALUES")[0] + " " + _ROWS.format(_MESSAGE_VALUES)
TEXT_AS_ONE = "INSERT INTO messages_fts (rowid, text, chats) " + _ROWS.format(
    "value->>0, value->>4, value->>11"
)
VISIBLE_AS_ONE = (
    INSERT_VISIBLE.split(" VALUES")[0] + " " + _ROWS.format("value->>0, value->>1, value->>2")
)
JsonPage = tuple[str, str, int]  # a page's message rows and visibility rows, and how many


def one_after_the_other(path: Path, bodies: list[bytes], router: Router) -> float:
    """Seconds to read, route and store every page in turn, in this process."""
    store = Store.open(path)
    started = time.perf_counter()
    filling = first_fill.begin(store)
    for body in bodies:
        store_raw_page(store, raw_pages([body], router)[0])
    if filling:
        first_fill.end(store)
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def _read_and_route(bodies: list[bytes], router: Router, out: Connection) -> None:
    for body in bodies:
        out.send(raw_pages([body], router)[0])
    out.send(None)


P = TypeVar("P")  # a page as the producer hands it over


class _Producer(Protocol):
    """A child process or a thread making pages for the writer."""

    def start(self) -> None: ...
    def join(self) -> None: ...


def _fill_beside(
    path: Path,
    producer: _Producer,
    receive: Callable[[], P | None],
    store_page: Callable[[Store, P], None],
) -> tuple[float, float, int]:
    """Seconds to store, as a first start does, each page `receive` gives (None: no more)
    while `producer` makes the next; of them the seconds waited for a page; SMS stored."""
    store = Store.open(path)
    started = time.perf_counter()
    filling = first_fill.begin(store)
    producer.start()
    waited = 0.0
    while True:
        asked = time.perf_counter()
        page = receive()
        waited += time.perf_counter() - asked
        if page is None:
            break
        store_page(store, page)
    producer.join()
    if filling:
        first_fill.end(store)
    seconds = time.perf_counter() - started
    (stored,) = store.conn.execute("SELECT count(*) FROM messages").fetchone()
    store.close()
    return seconds, waited, stored


def overlapped(path: Path, bodies: list[bytes], router: Router) -> tuple[float, float]:
    """Seconds to store every page while a child reads and routes the next, and of them
    the seconds this process waited for a page's rows."""
    rows_in, rows_out = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_read_and_route, args=(bodies, router, rows_out)
    )
    seconds, waited, _stored = _fill_beside(path, child, rows_in.recv, store_raw_page)
    return seconds, waited


def _read_route_and_encode(bodies: list[bytes], router: Router, out: queue.Queue[Any]) -> None:
    for body in bodies:
        rows, visible = raw_pages([body], router)[0]
        out.put((json.dumps(rows, ensure_ascii=False), json.dumps(visible), len(rows)))
    out.put(None)


def _store_page_as_one(store: Store, page: JsonPage) -> None:
    rows, visible, count = page
    with page_transaction(store, count):
        store.conn.execute(MESSAGES_AS_ONE, (rows,))
        store.conn.execute(TEXT_AS_ONE, (rows,))
        store.conn.execute(VISIBLE_AS_ONE, (visible,))


def in_a_thread(path: Path, bodies: list[bytes], router: Router) -> tuple[float, float, int]:
    """Seconds to store every page, each table's rows as one statement, while a thread
    reads, routes and encodes the next; the seconds the writer waited; rows stored."""
    pages: queue.Queue[JsonPage | None] = queue.Queue(maxsize=1)
    reader = threading.Thread(target=_read_route_and_encode, args=(bodies, router, pages))
    return _fill_beside(path, reader, pages.get, _store_page_as_one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="SMS in the inbox")
    count = parser.parse_args().count
    records = inbox_records(count, random.Random(20261203), span_days=0.9)
    inbox = BulkInbox(records)
    starts = range(0, count, PAGE_SIZE)
    bodies = [inbox.page(int(records[i]["id"]) - 1, PAGE_SIZE) for i in starts]
    del records, inbox
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "routes.toml").write_text(ROUTES_20, "utf-8")
        targets = [ChatTarget.parse(chat) for chat in CHATS.split(",")]
        router = Router(load_routes(folder / "routes.toml"), targets)
        serial = one_after_the_other(folder / "serial.db", bodies, router)
        print(f"{count:,} SMS, one after the other: {serial:.1f} s", flush=True)
        both, waited = overlapped(folder / "overlapped.db", bodies, router)
        print(
            f"{count:,} SMS, read and routed in a child: {both:.1f} s "
            f"({serial / both:.2f}x; the writer waited {waited:.1f} s for rows)",
            flush=True,
        )
        threaded, waited, stored = in_a_thread(folder / "threaded.db", bodies, router)
        print(
            f"{count:,} SMS, read and routed in a thread, a statement a table: {threaded:.1f} s "
            f"({serial / threaded:.2f}x; the writer waited {waited:.1f} s; {stored:,} stored)"
        )


if __name__ == "__main__":
    main()

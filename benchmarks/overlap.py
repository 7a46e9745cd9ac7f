"""What a catch-up would gain with reading and routing in another process: a look, not a
guard (not in `make bench`).

A first start's pages (SMSC JSON of 5,000 SMS each, served from memory) parsed, routed by
the 20 routes of `benchmarks.ingest` and stored raw (`executemany`, a transaction a page),
two ways: one after the other in one process, as the bridge does today; and with a forked
child reading and routing each page while this process stores the one before, the rows
sent over a pipe. A thread cannot do the child's work: `executemany` gives the
interpreter's lock away for each row's step, and a busy thread hands it back only every
5 ms (docs/benchmarks.md). No HTTP, no dedup read, no bridge: the figures say how far
overlapping can go, not what the bridge takes.

    python -m benchmarks.overlap 1000000
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from benchmarks.catchup import CHATS, BulkInbox, RawPage, raw_pages
from benchmarks.common import inbox_records
from benchmarks.ingest import ROUTES_20
from bot.routing.routes import Router, load_routes
from bot.routing.targets import ChatTarget
from bot.smsc.inbox_api import PAGE_SIZE
from state import Store
from state.messages import INDEX_TEXT, INSERT_MESSAGE, INSERT_VISIBLE, page_transaction


def _store_page(store: Store, page: RawPage) -> None:
    rows, visible = page
    with page_transaction(store, len(rows)):
        store.conn.executemany(INSERT_MESSAGE, rows)
        store.conn.executemany(INDEX_TEXT, [(row[0], row[4]) for row in rows])
        store.conn.executemany(INSERT_VISIBLE, visible)


def one_after_the_other(path: Path, bodies: list[bytes], router: Router) -> float:
    """Seconds to read, route and store every page in turn, in this process."""
    store = Store.open(path)
    started = time.perf_counter()
    for body in bodies:
        _store_page(store, raw_pages([body], router)[0])
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def _read_and_route(bodies: list[bytes], router: Router, out: Connection) -> None:
    for body in bodies:
        out.send(raw_pages([body], router)[0])
    out.send(None)


def overlapped(path: Path, bodies: list[bytes], router: Router) -> tuple[float, float]:
    """Seconds to store every page while a child reads and routes the next, and of them
    the seconds this process waited for a page's rows."""
    store = Store.open(path)
    started = time.perf_counter()
    rows_in, rows_out = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_read_and_route, args=(bodies, router, rows_out)
    )
    child.start()
    waited = 0.0
    while True:
        asked = time.perf_counter()
        page = rows_in.recv()
        waited += time.perf_counter() - asked
        if page is None:
            break
        _store_page(store, page)
    child.join()
    seconds = time.perf_counter() - started
    store.close()
    return seconds, waited


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
            f"({serial / both:.2f}x; the writer waited {waited:.1f} s for rows)"
        )


if __name__ == "__main__":
    main()

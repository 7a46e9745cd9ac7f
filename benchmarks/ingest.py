"""Ingest: SMS per second through reply parsing and storing, against raw executemany.

The bridge's path: each page of SMSC JSON is parsed and validated (`parse_inbox_reply`)
and stored with one delivery row per chat (`Store.save_incoming`, one transaction per
page). The baseline: `sqlite3` `executemany` of the same, already-built rows into a
database with the same schema, pragmas and FTS triggers, one transaction per page, with
no parsing at all. Then both again with every record already stored (dedup): the bridge
looks the IDs up and inserts nothing; the baseline runs `INSERT OR IGNORE`.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import CHATS, MOSCOW, Result, inbox_records, pages
from bot.smsc import parse_inbox_reply
from state import IncomingSms, Store
from state.store import INSERT_DELIVERY, INSERT_MESSAGE, message_row
from state.times import to_db


def _bridge_pass(store: Store, bodies: list[bytes]) -> float:
    started = time.perf_counter()
    for body in bodies:
        reply = parse_inbox_reply(body, MOSCOW, datetime.now(UTC))
        store.save_incoming(reply.records, CHATS)
    return time.perf_counter() - started


def _raw_rows(
    bodies: list[bytes],
) -> list[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
    now = to_db(datetime.now(UTC))
    batches = []
    for body in bodies:
        records: list[IncomingSms] = parse_inbox_reply(body, MOSCOW, datetime.now(UTC)).records
        messages = [message_row(s, now) for s in records]
        deliveries = [(s.smsc_id, chat, False, now, now) for s in records for chat in CHATS]
        batches.append((messages, deliveries))
    return batches


def _raw_pass(
    store: Store,
    batches: list[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]],
    or_ignore: str,
) -> float:
    conn = store.conn
    started = time.perf_counter()
    for messages, deliveries in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT_MESSAGE.replace("INSERT", f"INSERT {or_ignore}"), messages)
        conn.executemany(INSERT_DELIVERY.replace("INSERT", f"INSERT {or_ignore}"), deliveries)
        conn.execute("COMMIT")
    return time.perf_counter() - started


def run(count: int) -> list[Result]:
    rng = random.Random(20261127)
    bodies = pages(inbox_records(count, rng, span_days=7))
    batches = _raw_rows(bodies)
    with tempfile.TemporaryDirectory() as folder:
        bridge_store = Store.open(Path(folder) / "bridge.db")
        raw_store = Store.open(Path(folder) / "raw.db")
        bridge_new = _bridge_pass(bridge_store, bodies)
        raw_new = _raw_pass(raw_store, batches, "")
        bridge_dup = _bridge_pass(bridge_store, bodies)
        raw_dup = _raw_pass(raw_store, batches, "OR IGNORE")
        assert bridge_store.count_messages() == raw_store.count_messages() == count
        bridge_store.close()
        raw_store.close()
    how = (
        f"{count:,} records in {len(bodies)} SMSC JSON pages of 1,000, 3 chats; "
        "bridge = parse + validate + Store.save_incoming per page; raw = sqlite3 executemany "
        "of prebuilt rows, same schema, pragmas (WAL, synchronous=FULL) and FTS triggers, "
        "one transaction per page"
    )
    results = []
    for label, bridge_s, raw_s in (("new", bridge_new, raw_new), ("dedup", bridge_dup, raw_dup)):
        ratio = raw_s / bridge_s
        results += [
            Result("ingest", f"{label}: bridge", count / bridge_s, "SMS/s", how=how),
            Result("ingest", f"{label}: raw executemany", count / raw_s, "SMS/s", how=how),
            Result(
                "ingest",
                f"{label}: bridge / raw speed",
                ratio,
                "x",
                target=">= 0.5",
                met=ratio >= 0.5,
                how=how,
            ),
        ]
    return results

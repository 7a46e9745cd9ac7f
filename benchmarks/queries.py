"""Queries: the chat commands' look-ups on a database of SMS spread over a year.

Each command's store call is timed as the command makes it (newest 5,000 rows at most,
plus the total), at random points of the year, then p50 and p95. With routes, a group's
commands read only the SMS routed to it: the database routes every third SMS to one team
chat, and the "(routed chat)" cases ask as that chat does. The query plans are
checked: every query must search an index or the FTS index, never scan the table.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import SITES, Result, percentile, phone, sms_text
from bot.chat.commands.lookback import ANSWER_ROWS
from state import Store, history
from state.messages import INSERT_MESSAGE, INSERT_VISIBLE, index_page
from state.phones import sender_key
from state.schema import chat_tokens
from state.times import to_db

END = datetime(2026, 11, 27, tzinfo=UTC)
SPAN = timedelta(days=365)
REPEATS = 60
WORDS = ["pressure", "код", "battery", "температура", "door", "заказ", "invoice"]
TEAM_CHAT = "-1009"  # the chat every third SMS is routed to


def build(path: Path, count: int) -> None:
    """A bridge database of `count` SMS spread evenly over the year before END."""
    rng = random.Random(365)
    store = Store.open(path)
    step = SPAN / count
    batch: list[tuple[object, ...]] = []
    routed: list[tuple[object, ...]] = []
    fetched = to_db(END)

    def flush() -> None:
        store.conn.execute("BEGIN")
        store.conn.executemany(INSERT_MESSAGE, batch)
        index_page(store.conn, [row[0] for row in batch])
        store.conn.executemany(INSERT_VISIBLE, routed)
        store.conn.execute("COMMIT")
        batch.clear()
        routed.clear()

    for n in range(count):
        sender = phone(rng)
        received = to_db(END - SPAN + step * n)
        batch.append(
            (
                n + 1,
                sender,
                sender_key(sender),
                "79031234567",
                sms_text(rng),
                received,
                None,
                fetched,
                None,
                None,
                0,  # not damaged
                chat_tokens((TEAM_CHAT,) if n % 3 == 0 else ()),
            )
        )
        if n % 3 == 0:
            routed.append((TEAM_CHAT, received, n + 1))
        if len(batch) == 20000:
            flush()
    if batch:
        flush()
    store.conn.execute("PRAGMA optimize")
    store.close()


def database(folder: Path, count: int) -> Path:
    path = folder / f"queries-v6-{count}.db"  # v6: a routed chat's token in the index
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in folder.glob(partial.name + "*"):
            leftover.unlink()
        build(partial, count)
        partial.rename(path)
        for suffix in ("-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
    return path


def _plan(conn: sqlite3.Connection, sql: str) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def _full_scans(sql: str, plan: list[str]) -> list[str]:
    """Plan steps that read a whole table or index instead of searching it.

    A walk along an index in ORDER BY order, stopped by LIMIT (no temporary B-tree to
    sort), reads only LIMIT entries: /last does that, and it is not a full scan. Scans of
    the FTS virtual table and of a subquery's own rows are not either.
    """
    ordered_walk = "LIMIT" in sql.upper() and not any("TEMP B-TREE" in s for s in plan)
    return [
        step
        for step in plan
        if step.startswith("SCAN")
        and "VIRTUAL TABLE" not in step
        and not step.startswith("SCAN (subquery")
        and not (ordered_walk and " USING INDEX " in step)
    ]


def _statements(conn: sqlite3.Connection, query: Callable[[], object]) -> list[str]:
    """The SQL a query really runs, parameters bound (for EXPLAIN QUERY PLAN)."""
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        query()
    finally:
        conn.set_trace_callback(None)
    return [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]


def run(folder: Path, count: int) -> list[Result]:
    path = database(folder, count)
    store = Store.open(path)
    rng = random.Random(7)

    def moment() -> datetime:
        return END - timedelta(seconds=rng.uniform(0, SPAN.total_seconds() - 7 * 86400))

    def window(days: int) -> tuple[datetime, datetime]:
        end = moment()
        return end - timedelta(days=days), end

    cases: dict[str, Callable[[], object]] = {
        "/history 1d": lambda: history.between(store, *window(1), ANSWER_ROWS),
        "/history 7d": lambda: history.between(store, *window(7), ANSWER_ROWS),
        "/search SITE door": lambda: history.search(
            store, f"{rng.choice(SITES)} door", None, None, ANSWER_ROWS
        ),
        "/search WORD": lambda: history.search(store, rng.choice(WORDS), None, None, ANSWER_ROWS),
        "/search WORD 1d": lambda: history.search(
            store, rng.choice(WORDS), *window(1), ANSWER_ROWS
        ),
        "/from PHONE": lambda: history.from_sender(store, phone(rng), None, None, ANSWER_ROWS),
        "/from PHONE 7d": lambda: history.from_sender(store, phone(rng), *window(7), ANSWER_ROWS),
        "/last 100": lambda: history.last(store, 100),
        "/last 100 (routed chat)": lambda: history.last(store, 100, TEAM_CHAT),
        "/history 1d (routed chat)": lambda: history.between(
            store, *window(1), ANSWER_ROWS, TEAM_CHAT
        ),
        "/search WORD (routed chat)": lambda: history.search(
            store, rng.choice(WORDS), None, None, ANSWER_ROWS, TEAM_CHAT
        ),
        "/search WORD 1d (routed chat)": lambda: history.search(
            store, rng.choice(WORDS), *window(1), ANSWER_ROWS, TEAM_CHAT
        ),
        "/from PHONE (routed chat)": lambda: history.from_sender(
            store, phone(rng), None, None, ANSWER_ROWS, TEAM_CHAT
        ),
    }
    results = []
    how = (
        f"{count:,} SMS over 365 days, 5,000 senders; Store call as the command makes it "
        f"(newest {ANSWER_ROWS:,} rows + total), {REPEATS} runs at random points, "
        "rows converted to StoredSms; every third SMS routed to one team chat, whose "
        "commands the (routed chat) cases make"
    )
    for name, query in cases.items():
        query()  # warm the page cache, as a running bridge has it
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            query()
            timings.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
        results.append(
            Result(
                "queries",
                f"{name}: p95 (p50)",
                p95,
                f"ms ({p50:.2f} ms)",
                target="p95 < 20 ms",
                met=p95 < 20,
                how=how,
                extra={"p50_ms": round(p50, 3), "p95_ms": round(p95, 3)},
            )
        )
    traced = [
        (name, sql, _plan(store.conn, sql))
        for name, query in cases.items()
        for sql in _statements(store.conn, query)
    ]
    plans = {f"{name}: {sql}": plan for name, sql, plan in traced}
    scans = {
        f"{name}: {sql}": _full_scans(sql, plan)
        for name, sql, plan in traced
        if _full_scans(sql, plan)
    }
    results.append(
        Result(
            "queries",
            "query plans with a full scan",
            len(scans),
            "queries",
            target="0",
            met=not scans,
            how="EXPLAIN QUERY PLAN of every SELECT each command ran (traced); SEARCH or FTS",
            extra={"plans": plans, "scans": scans},
        )
    )
    store.close()
    return results

"""Retention: purging a large database, step by step, and the space given back.

On a copy of the queries benchmark's database (1,000,000 SMS over a year, made with
auto_vacuum off, as an earlier release made its files), the steps
`bot.features.retention.purging` takes are timed one by one, since each holds the store
while it runs: the delete batches of RETENTION_DAYS=300 (two months of SMS), the index
merges, and the one-time VACUUM that converts the file to incremental vacuum. Then a second
purge (RETENTION_DAYS=240) on the converted file, whose space comes back in incremental
steps. What matters is the longest single step (polling and relaying wait at most that
long), p95 and max, and the file's size."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from benchmarks import queries
from benchmarks.common import Result, percentile
from state import Store, messages, retention

STEP_TARGET_MS = 250  # p95 of the time one step of a purge holds the store


def _steps(step: Callable[[], bool]) -> list[float]:
    """Run `step` until it says it is done; each run's milliseconds."""
    timings = []
    while True:
        started = time.perf_counter()
        more = step()
        timings.append((time.perf_counter() - started) * 1000)
        if not more:
            return timings


def _purge(store: Store, days: int) -> list[float]:
    cutoff = queries.END - timedelta(days=days)
    return _steps(lambda: retention.purge_batch(store, cutoff) == retention.BATCH)


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def run(folder: Path, count: int) -> list[Result]:
    source = queries.database(folder, count)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        path = Path(work) / "bridge.db"
        shutil.copyfile(source, path)
        store = Store.open(path)
        before = _size_mb(path)
        deleted = messages.count_messages(store)
        batches = _purge(store, 300)
        merges = _steps(lambda: retention.merge_index(store))
        started = time.perf_counter()
        retention.convert_to_incremental(store)
        vacuum = time.perf_counter() - started
        after_first = _size_mb(path)
        deleted -= messages.count_messages(store)
        batches += _purge(store, 240)
        merges += _steps(lambda: retention.merge_index(store))
        hand_back = _steps(lambda: retention.hand_back(store))
        retention.checkpoint(store)
        after_second = _size_mb(path)
        store.close()
    steps = batches + merges + hand_back
    p95 = percentile(steps, 0.95)
    how = (
        f"copy of a {count:,}-SMS database (auto_vacuum off, as earlier releases made it): "
        f"RETENTION_DAYS=300 deleted {deleted:,} SMS in {len(batches)} batches of "
        f"{retention.BATCH}, index merged in {len(merges)} steps, then one VACUUM to convert; "
        f"then RETENTION_DAYS=240 on the converted file, space handed back in "
        f"{len(hand_back)} steps of {retention.VACUUM_STEP} pages; each step timed alone"
    )
    sizes = {"before_mb": before, "after_first_mb": after_first, "after_second_mb": after_second}
    return [
        Result(
            "retention",
            "delete batch p95 (max)",
            percentile(batches, 0.95),
            f"ms ({max(batches):.0f} ms)",
            how=how,
        ),
        Result(
            "retention",
            "any step holding the store: p95 (max)",
            p95,
            f"ms ({max(steps):.0f} ms)",
            target=f"p95 < {STEP_TARGET_MS} ms",
            met=p95 < STEP_TARGET_MS,
            how=how,
            extra={"merge_max_ms": max(merges), "hand_back_max_ms": max(hand_back)},
        ),
        Result("retention", "one-time VACUUM (conversion)", vacuum, "s", how=how, extra=sizes),
        Result(
            "retention",
            "file size before, after 1st, after 2nd purge",
            before,
            f"MB -> {after_first:.0f} MB -> {after_second:.0f} MB",
            how=how,
            extra=sizes,
        ),
    ]

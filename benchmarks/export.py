"""Export: /export's code path over every SMS of a large database, memory watched.

A child process (so that its peak RSS is the export's alone) opens the queries
benchmark's database (1,000,000 SMS over a year), and runs `write_export` exactly as the
command does (a snapshot in a worker thread's place, rows streamed into an unnamed
temporary file beside the database) over the whole year, with Telegram's 50 MB limit
lifted so that every row is written. It reports the time, the file's size, and VmHWM
(peak RSS) before and after: flat memory means the peak does not grow with the rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks import queries
from benchmarks.common import MOSCOW, Result
from benchmarks.memory import rss_mb

GROWTH_TARGET_MB = 20  # peak RSS the export may add, whatever the number of rows


def child(database: Path) -> dict[str, float]:
    """Run in the child: export every SMS of the database; the figures as a dict."""
    from bot.chat.commands.export import write_export
    from bot.chat.windows import Window

    day = timedelta(days=1)
    window = Window(queries.END - queries.SPAN - day, queries.END + day, "the year", MOSCOW)
    before = rss_mb(os.getpid())["VmHWM"]
    started = time.perf_counter()
    with tempfile.TemporaryFile(dir=database.parent) as out:
        written, total = write_export(database, window, out, limit=sys.maxsize)
    seconds = time.perf_counter() - started
    after = rss_mb(os.getpid())["VmHWM"]
    return {
        "rows": written.rows,
        "total": total,
        "megabytes": written.size / 1e6,
        "seconds": seconds,
        "hwm_before_mb": before,
        "hwm_after_mb": after,
    }


def run(folder: Path, count: int) -> list[Result]:
    database = queries.database(folder, count)
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.export", str(database)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(output)
    growth = figures["hwm_after_mb"] - figures["hwm_before_mb"]
    fits = int(figures["rows"] * 50 / max(figures["megabytes"], 1e-9))
    how = (
        f"write_export as /export runs it, on a snapshot of a {count:,}-SMS database, every "
        f"row of the year (limit lifted): {figures['rows']:,} rows, "
        f"{figures['megabytes']:.1f} MB of CSV (about {fits:,} SMS fit in Telegram's 50 MB); "
        "child process, /proc/self/status VmHWM before and after"
    )
    return [
        Result(
            "export",
            f"time for {figures['rows']:,} SMS",
            figures["seconds"],
            "s",
            how=how,
            extra=figures,
        ),
        Result(
            "export",
            "peak RSS growth while exporting",
            growth,
            f"MB (peak {figures['hwm_after_mb']:.1f} MB)",
            target=f"< {GROWTH_TARGET_MB} MB, whatever the rows",
            met=growth < GROWTH_TARGET_MB,
            how=how,
            extra=figures,
        ),
    ]


if __name__ == "__main__":
    print(json.dumps(child(Path(sys.argv[1]))))

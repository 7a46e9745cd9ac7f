"""Run the benchmarks, print a table, write it as JSON.

    python -m benchmarks.run            # full sizes (make bench): about 30 minutes
    python -m benchmarks.run --smoke    # small sizes (make bench-smoke, CI): every code path
                                        # but the unhinted push probes (30 s each)

Figures are measured on the machine at hand and vary with it; each row says how it was
measured, and the JSON keeps that with the numbers. The JSON is written after each
benchmark (a run stopped midway keeps what it measured), and each figure is compared with
the committed baseline (`benchmarks/baseline.py`); `--save-baseline` makes this run it.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    answers,
    catchup,
    drain,
    export,
    ingest,
    latency,
    memory,
    presses,
    push,
    queries,
    retention,
)
from benchmarks.baseline import BASELINES, compared, load_baseline
from benchmarks.common import Result, table

RESULTS = Path(__file__).parent / "results"
BENCHMARKS = [
    "ingest",
    "catchup",
    "queries",
    "answers",
    "drain",
    "latency",
    "memory",
    "presses",
    "export",
    "retention",
]


@dataclass(frozen=True)
class RunSizes:
    """How much each benchmark does in a mode: SMS counts, repeats, SMS per chat."""

    ingest: int
    catchup: int
    queries: int
    answers: tuple[int, int]  # SMS in the database, repeats
    drain: int
    latency: int
    push: push.Sizes
    memory: tuple[int, int]  # SMS in the database, SMS relayed
    presses: tuple[int, float]  # SMS and presses, seconds between SMS
    export: int
    retention: int


SIZES = {
    "full": RunSizes(
        ingest=100_000,
        catchup=1_000_000,
        queries=1_000_000,
        answers=(1_000_000, 20),
        drain=1_000,
        latency=30,
        push=push.Sizes(hinted=30, unhinted=12, flood=1_000, flood_seconds=10),
        memory=(1_000_000, 10_000),
        presses=(12, 6.0),
        export=1_000_000,
        retention=1_000_000,
    ),
    "smoke": RunSizes(
        ingest=5_000,
        catchup=100_000,  # about a minute here
        queries=20_000,
        answers=(20_000, 3),
        drain=100,
        latency=3,
        # unhinted probes cost an interval each (30 s): the smoke run has none
        push=push.Sizes(hinted=3, unhinted=0, flood=100, flood_seconds=1),
        memory=(20_000, 200),
        presses=(3, 2.0),
        export=20_000,
        retention=20_000,
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes, for CI")
    parser.add_argument(
        "--only",
        choices=BENCHMARKS,
        action="append",
    )
    parser.add_argument(
        "--save-baseline",
        action="store_true",
        help="keep this run as the figures later runs are compared with (then commit it)",
    )
    options = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    logging.getLogger("bot.relay.relay").setLevel(logging.ERROR)  # 429s are the point of drain
    mode = "smoke" if options.smoke else "full"
    size = SIZES[mode]
    RESULTS.mkdir(exist_ok=True)
    chosen = options.only or BENCHMARKS
    runners = {
        "ingest": lambda: ingest.run(size.ingest),
        "catchup": lambda: catchup.run(size.catchup),
        "queries": lambda: queries.run(RESULTS, size.queries),
        "answers": lambda: answers.run(RESULTS, *size.answers),
        "drain": lambda: drain.run(size.drain),
        # latency at a 1 s interval, then with and without push hints at the default 30 s
        "latency": lambda: latency.run(size.latency) + push.run(size.push),
        "memory": lambda: memory.run(RESULTS, *size.memory),
        "presses": lambda: presses.run(*size.presses),
        "export": lambda: export.run(RESULTS, size.export),
        "retention": lambda: retention.run(RESULTS, size.retention),
    }
    baseline = load_baseline(mode)
    out = RESULTS / f"{mode}.json"
    results: list[Result] = []
    for name in chosen:
        started = time.monotonic()
        print(f"running {name} ({mode})...", file=sys.stderr, flush=True)
        results += runners[name]()
        print(f"  {name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        # Written after each benchmark: a run stopped midway keeps what it measured.
        _write(out, mode, results, complete=name == chosen[-1])
    comparisons = compared(results, baseline)
    print(table(results, [c.cell() for c in comparisons]))
    missed = [f"{r.benchmark}: {r.metric}" for r in results if r.met is False]
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
    worse = [f"{c.result.benchmark}: {c.result.metric}" for c in comparisons if c.regressed]
    if worse:
        print(f"\nworse than {BASELINES.name}/{mode}.json by over 15%: " + "; ".join(worse))
    print(f"\nwritten to {out}")
    if options.save_baseline:
        BASELINES.mkdir(exist_ok=True)
        (BASELINES / f"{mode}.json").write_text(out.read_text("utf-8"), "utf-8")
        print(f"saved as the baseline: {BASELINES / f'{mode}.json'} (commit it)")
    return 0


def _write(out: Path, mode: str, results: list[Result], *, complete: bool) -> None:
    out.write_text(
        json.dumps(
            {
                "mode": mode,
                "complete": complete,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {platform.python_implementation()} "
                f"{platform.python_version()}, {platform.platform()}",
                "results": [r.as_dict() for r in results],
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    sys.exit(main())

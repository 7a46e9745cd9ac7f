"""Run the benchmarks, print a table, write it as JSON.

    python -m benchmarks.run            # full sizes (make bench): about 15 minutes
    python -m benchmarks.run --smoke    # small sizes, every code path (make bench-smoke, CI)

Figures are measured on the machine at hand and vary with it; each row says how it was
measured, and the JSON keeps that with the numbers.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from types import ModuleType

from benchmarks.common import Result, table

RESULTS = Path(__file__).parent / "results"
SIZES = {
    "full": {
        "ingest": 100_000,
        "queries": 1_000_000,
        "drain": 1_000,
        "latency": 30,
        "memory": (1_000_000, 10_000),
    },
    "smoke": {
        "ingest": 5_000,
        "queries": 20_000,
        "drain": 100,
        "latency": 3,
        "memory": (20_000, 200),
    },
}


def benchmark(name: str) -> ModuleType:
    """A benchmark's module, imported when it runs: `--only` needs no other one to import."""
    return import_module(f"benchmarks.{name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes, for CI")
    parser.add_argument(
        "--only", choices=["ingest", "queries", "drain", "latency", "memory"], action="append"
    )
    options = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    logging.getLogger("bot.relay").setLevel(logging.ERROR)  # 429s are the point of drain
    mode = "smoke" if options.smoke else "full"
    size = SIZES[mode]
    RESULTS.mkdir(exist_ok=True)
    chosen = options.only or ["ingest", "queries", "drain", "latency", "memory"]
    runners = {
        "ingest": lambda: benchmark("ingest").run(size["ingest"]),
        "queries": lambda: benchmark("queries").run(RESULTS, size["queries"]),
        "drain": lambda: benchmark("drain").run(size["drain"]),
        "latency": lambda: benchmark("latency").run(size["latency"]),
        "memory": lambda: benchmark("memory").run(RESULTS, *size["memory"]),
    }
    results: list[Result] = []
    for name in chosen:
        started = time.monotonic()
        print(f"running {name} ({mode})...", file=sys.stderr, flush=True)
        results += runners[name]()
        print(f"  {name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print(table(results))
    missed = [f"{r.benchmark}: {r.metric}" for r in results if r.met is False]
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
    out = RESULTS / f"{mode}.json"
    out.write_text(
        json.dumps(
            {
                "mode": mode,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {platform.python_implementation()} "
                f"{platform.python_version()}, {platform.platform()}",
                "results": [r.as_dict() for r in results],
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

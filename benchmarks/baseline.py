"""The last committed figures, and how a new run compares with them.

`make bench` (or `--smoke`) compares each figure with the one of the same benchmark and
name in `benchmarks/baseline/<mode>.json`, the results a maintainer last committed with
`--save-baseline`, and flags a figure more than REGRESSION worse, in the direction the
figure improves (`Result.better`). The figures come from whatever machine ran them: on
another machine, or on this one under load, read the ratios (bridge / raw) rather than
the rates. A flag is a prompt to look, not a failure: timings are not asserted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import Result

BASELINES = Path(__file__).parent / "baseline"
REGRESSION = 0.15  # worse by more than this is flagged


@dataclass(frozen=True)
class Comparison:
    result: Result
    before: float | None  # the baseline's figure, if it has one

    @property
    def change(self) -> float | None:
        """How much better (+) or worse (-) than the baseline, as a fraction of it."""
        if self.before is None or self.before == 0 or self.result.better is None:
            return None
        ratio = self.result.value / self.before
        return ratio - 1 if self.result.better == "higher" else 1 - ratio

    @property
    def regressed(self) -> bool:
        return self.change is not None and self.change < -REGRESSION

    def cell(self) -> str:
        if self.change is None:
            return ""
        flag = "  REGRESSION" if self.regressed else ""
        return f"{self.change:+.0%}{flag}"


def load_baseline(mode: str) -> dict[tuple[str, str], float]:
    """The committed figures of `mode` by (benchmark, figure); empty when none."""
    path = BASELINES / f"{mode}.json"
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return {(r["benchmark"], r["metric"]): float(r["value"]) for r in data["results"]}


def compared(results: list[Result], baseline: dict[tuple[str, str], float]) -> list[Comparison]:
    return [Comparison(r, baseline.get((r.benchmark, r.metric))) for r in results]

"""The benchmarks' comparison with the committed baseline: which way is worse, what is
flagged, and a run's figures written as each benchmark ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import baseline
from benchmarks.baseline import Comparison, compared, load_baseline
from benchmarks.common import Result, table


def test_a_rate_that_fell_and_a_time_that_grew_by_over_15_percent_are_flagged() -> None:
    rate = Result("ingest", "new: bridge", 800.0, "SMS/s")
    time = Result("catch-up", "stored", 1.2, "s")
    ratio = Result("ingest", "bridge / raw", 0.9, "x", target=">= 0.5")
    plain = Result("catch-up", "something counted", 5.0, "")
    found = compared(
        [rate, time, ratio, plain],
        {
            ("ingest", "new: bridge"): 1000.0,
            ("catch-up", "stored"): 1.0,
            ("ingest", "bridge / raw"): 1.0,
            ("catch-up", "something counted"): 1.0,
        },
    )
    assert [round(c.change, 2) if c.change is not None else None for c in found] == [
        -0.2,
        -0.2,
        -0.1,
        None,
    ]
    assert [c.regressed for c in found] == [True, True, False, False]
    assert found[0].cell() == "-20%  REGRESSION" and found[2].cell() == "-10%"


def test_a_figure_the_baseline_lacks_is_shown_without_a_comparison() -> None:
    new = Comparison(Result("catch-up", "stored", 3.0, "s"), None)
    assert new.change is None and not new.regressed and new.cell() == ""
    assert "vs baseline" in table([new.result], [new.cell()])


def test_the_baseline_is_read_by_benchmark_and_figure_and_none_is_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(baseline, "BASELINES", tmp_path)
    assert load_baseline("smoke") == {}
    rows = [Result("ingest", "new: bridge", 12.5, "SMS/s").as_dict()]
    (tmp_path / "smoke.json").write_text(json.dumps({"results": rows}), "utf-8")
    assert load_baseline("smoke") == {("ingest", "new: bridge"): 12.5}


def test_the_committed_smoke_baseline_names_every_smoke_figure_it_compares() -> None:
    figures = load_baseline("smoke")
    assert ("catch-up", "bridge / raw speed") in figures
    assert ("ingest", "new: bridge / raw speed") in figures

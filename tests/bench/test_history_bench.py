"""The history benchmark's scenario, tiny: runs change a few findings and are recorded."""

from __future__ import annotations

from bench.history import run


def test_the_history_scenario_records_changing_runs() -> None:
    result = run("1x100", runs=3, seed=1, target=None)
    rows = result["per_run"]
    assert [r["run"] for r in rows] == [1, 2, 3]
    assert rows[0]["new"] > 0 and all(r["findings"] == result["findings"] for r in rows)
    counts = result["diff_counts"]
    changed = sum(v for k, v in counts.items() if k != "unchanged")
    assert 0 < changed < counts["unchanged"]  # a few percent change, most do not
    assert result["backend"] == "sqlite" and result["store_mb"] > 0

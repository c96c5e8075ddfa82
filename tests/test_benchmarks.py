"""The benchmark suite in its smoke mode: every row is measured and written, so it cannot rot.

The figures themselves are not asserted (these machines are shared and noisy); `make bench`
prints them against their targets.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_the_smoke_run_measures_every_row(tmp_path) -> None:
    results = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    written = json.loads(results.read_text())
    rows = {row["id"]: row for row in written["rows"]}
    assert set(rows) == {
        "open-empty", "open-small", "open-small-panels", "open-big", "load-big", "move-median", "move-slowest",
        "edit-board", "edit-panels", "filter-big", "export-small", "export-small-own", "memory-small", "memory-big",
        "scripted-latency", "scripted-memory",
    }  # fmt: skip
    for row in rows.values():
        assert min(row["figure"], row["ratio"]) > 0, row
        assert row["met"] == (row["ratio"] <= row["target"])
        assert f"| {row['what']} |" in run.stdout  # and the table shows it
    assert set(written["baselines"]) == {"B_start", "B_key", "B_parse", "B_derive", "B_rss"}

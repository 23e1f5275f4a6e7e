"""`python -m bench --smoke` runs every figure once on tiny sizes: the bench's plumbing works.

Figures themselves come from `make bench`; no timing is asserted here.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from bench.api import RATE_FIGURES
from bench.history import FIGURE_NAMES as HISTORY_FIGURES
from dashboard.navigation import PAGES
from ml.models.families import FAMILIES

API_RATES = list(RATE_FIGURES.values())  # requests/s at 1, 4, 16 and 64 clients, the bare endpoint's as floor
EXPECTED = [
    "predict path: canvas → row committed", "predict: one canvas drawing recognised (canonical form + model)",
    "concurrency: 16 threads predicting",
    "store: newest predictions of a user", "store: predictions per day (90 days)",
    "audit: filtered page with its total (Audit page)", "audit: page of denied rows with text in details",
    "audit: one row written (hash chain)", "audit: verify the whole chain",
    "store: audit rows of a user in a date range", "store: CSV export of all predictions", *HISTORY_FIGURES,
    "backup: whole database, checked (EXPORT DATABASE)", "restore: into a new file, checked",
    "health: every figure of the Health page",
    "usage: per user, day and action (30 days, everyone)", "usage: per day and action of one user (90 days)",
    "usage: the whole page's queries (its default 30 days, everyone)",
    *[f"page run: {p.key}" for p in PAGES],
    *[name for f in FAMILIES for name in (f"fit {f}: embedded digits (200)", f"fit {f}: MNIST-format (100, generated)")],
    "tuning: 200-trial study, DuckDB vs in-memory",
    *API_RATES, "api: throughput at 16 clients / bare endpoint's", "api: every request stored exactly once",
    "api: lone request p50 (floor: bare endpoint)", "api: lone request p50 / bare endpoint's",
    "api: server RSS after the run",
]
# Figures compared with a floor measured in the same run (the bench's ratios are against these).
WITH_FLOOR = {"predict path: canvas → row committed", "predict: one canvas drawing recognised (canonical form + model)",
              "concurrency: 16 threads predicting",
              "store: newest predictions of a user", "store: CSV export of all predictions",
              "backup: whole database, checked (EXPORT DATABASE)", "restore: into a new file, checked",
              *API_RATES, "api: lone request p50 (floor: bare endpoint)"}


def test_smoke_bench_produces_every_figure_with_its_floor(tmp_path: Path):
    out = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)], capture_output=True,
                         env={**os.environ, "DIGITLAB_DEFAULT_DATA": "digits"},  # plumbing: the quickest default
                         text=True, timeout=600, cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    by_name = {f["figure"]: f for f in results["figures"]}
    names = [f["figure"] for f in results["figures"]]
    assert sorted(names) == sorted(EXPECTED)  # every figure once (their order follows module imports)
    for fig in results["figures"]:
        assert math.isfinite(fig["median"]) and fig["median"] > 0, fig
        assert (fig["status"] == "info") == (fig["target"] is None), fig
    for name in WITH_FLOOR:
        assert by_name[name]["floor"] is not None and by_name[name]["floor"] > 0, name
        assert f"{by_name[name]['ratio_to_floor']:.2f}x" in run.stdout
    assert "smoke run" in run.stdout


def test_a_figure_that_fails_is_a_failed_row_and_the_others_are_still_measured(tmp_path: Path):
    """A figure that times out must not end `make bench` with nothing written."""
    from bench import core

    def broken(ctx):
        raise TimeoutError("Timeout 60000ms exceeded.\nwaiting for function")

    ctx = core.Context(quick=True, workdir=tmp_path, smoke=True)
    rows = core.measure(core.Figure("broken figure", "s", 2.0, False, broken, "x"), ctx)
    rows += core.measure(core.Figure("fine figure", "s", 2.0, False, lambda c: core.Measured([0.5, 1.0, 1.5]), "x"),
                         ctx)
    assert [(r.name, r.status) for r in rows] == [("broken figure", "failed"), ("fine figure", "pass")]
    assert rows[0].note == "failed: TimeoutError: Timeout 60000ms exceeded. waiting for function"
    assert rows[1].median == 1.0 and rows[0].ratio is None
    assert "| broken figure | -      | -   | -   | s    | ≤2     |       |       | failed |" in core.table(rows)
    out = tmp_path / "results.json"
    core.write_json(rows, True, 1.0, out)
    written = json.loads(out.read_text())["figures"]
    assert written[0]["status"] == "failed" and written[0]["median"] is None and written[1]["median"] == 1.0

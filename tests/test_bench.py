"""`make bench QUICK=1` runs and produces every figure (no timing is asserted in tests)."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from dashboard.navigation import PAGES
from ml.families import FAMILIES

EXPECTED = [
    "predict path: canvas → row committed", "concurrency: 16 threads predicting",
    "store: newest predictions of a user", "store: predictions per day (90 days)",
    "store: audit rows of a user in a date range", "store: CSV export of all predictions",
    *[f"page run: {p.key}" for p in PAGES],
    *[name for f in FAMILIES for name in (f"fit {f}: embedded digits (1,437)", f"fit {f}: MNIST-format (1,000, generated)")],
    "cold start: until /_stcore/health answers", "cold start: until the sign-in form is shown",
    "memory: server RSS after start with the default model", "memory: peak during a batch of images",
]


def test_quick_bench_produces_every_figure(tmp_path: Path):
    out = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], capture_output=True,
                         text=True, timeout=600, cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    names = [f["figure"] for f in results["figures"]]
    assert names == EXPECTED
    for fig in results["figures"]:
        assert math.isfinite(fig["median"]) and fig["median"] > 0, fig
        assert fig["status"] in ("pass", "short", "info")
        if fig["floor"] is not None:
            assert fig["ratio_to_floor"] == fig["median"] / fig["floor"]
    assert "| figure" in run.stdout and "ratio" in run.stdout

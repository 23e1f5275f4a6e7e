"""Tuning figures: what persisting every trial in DuckDB costs over Optuna's in-memory storage, and
how fast a 10,000-trial study opens on the Tuning page in Chromium (against a 20-trial study)."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

import numpy as np
import optuna

from bench.core import Context, Measured, figure
from data import db, studies
from ml.tuning import tune as tuning
from ml.tuning.requests import TuneRequest
from ml.tuning.space import Dim, suggest

SPACE = [{"name": "n_neighbors", "kind": "int", "low": 1, "high": 30, "log": False, "choices": None},
         {"name": "weights", "kind": "choice", "low": None, "high": None, "log": False,
          "choices": ["uniform", "distance"]}]


def _trivial(dims: list[Dim]):
    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, dims)
        return 1.0 / (1 + abs(params["n_neighbors"] - 7)) + (0.01 if params["weights"] == "distance" else 0.0)
    return objective


@figure("tuning: 200-trial study, DuckDB vs in-memory", unit="s", target=1.5, group="tuning")
def persistence_overhead(ctx: Context) -> Measured:
    """The same sampler, seed and trivial objective: Optuna alone on its in-memory storage (the floor)
    against `tuning.run_study` (study row, trial log in DuckDB, audit). The target is the ratio."""
    n = int(ctx.size(200, 200, 10))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dims = [Dim.from_dict(d) for d in SPACE]
    ours, bare = [], []
    for i in range(ctx.repeats(5, 3)):
        t = time.perf_counter()
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
        study.optimize(_trivial(dims), n_trials=n)
        bare.append(time.perf_counter() - t)
        request = TuneRequest("knn", "digits", "bench", SPACE, n_trials=n, study=f"bench-overhead-{i}").validated()
        t = time.perf_counter()
        tuning.run_study(request, objective_for=_trivial)
        ours.append(time.perf_counter() - t)
        assert len(studies.trials(studies.by_name(f"bench-overhead-{i}").id)) == n  # every trial on disk
    ratio = float(np.median(ours) / np.median(bare))
    return Measured([ratio], unit="x in-memory", note=f"{n} trials (TPE, seed 0): DuckDB {np.median(ours):.2f} s, "
                                                      f"in-memory {np.median(bare):.2f} s; median of {len(ours)}")


def _fill_study(name: str, n: int) -> int:
    """A finished study of n trials written the way an import writes them (random-search values)."""
    rng = np.random.default_rng(0)
    study_id = studies.create(name=name, family="knn", dataset="digits", objective="accuracy", direction="maximize",
                              space=SPACE, settings={"sampler": "random", "seed": 0}, created_by="admin")
    start = datetime(2026, 1, 1)
    rows = []
    for k in range(n):
        began = start + timedelta(seconds=2 * k)
        state = "PRUNED" if k % 7 == 3 else "COMPLETE"
        value = None if state == "PRUNED" else float(0.9 + 0.08 * rng.random())
        rows.append((study_id, k, state, {"n_neighbors": int(rng.integers(1, 31)),
                                          "weights": ["uniform", "distance"][k % 2]}, value,
                     {"1": 0.8, "2": 0.85}, 2, began, began + timedelta(seconds=1), 1.0, "bench", ""))
    studies.replace_trials(study_id, rows, space=SPACE, settings={"sampler": "random", "seed": 0}, status="finished")
    return study_id


def _history_drawn(more_than: int | None = None, at_most: int | None = None) -> str:
    """JS: the optimisation-history chart is drawn with a dot count in the given range (which study it shows)."""
    test = f"n > {more_than}" if more_than is not None else f"n > 0 && n <= {at_most}"
    return ("() => [...document.querySelectorAll('.js-plotly-plot')].some(p => { if (!/best so far/i.test(p.textContent)) "
            "return false; const d = p._fullData && p._fullData[0]; const n = d ? d._length : 0; "
            "return !!p.querySelector('.scatterlayer .trace') && " + test + "; })")  # the dots are WebGL


def _pick(page, name: str) -> None:
    """Choose a study in the picker, as a person does once the page is still (a pick made during a rerun
    may be lost with the redrawn select box)."""
    import re

    from tests.browser import wait_idle
    wait_idle(page, timeout=120_000)
    page.get_by_role("combobox", name="Study", exact=True).click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(name)} ")).click()


def _see_history(page, drawn: str) -> None:
    """Scroll to the study's optimisation history, as a person looks for it, and wait until it is drawn."""
    heading = page.get_by_role("heading", name="Optimisation history")
    heading.wait_for(timeout=120_000)
    heading.scroll_into_view_if_needed(timeout=120_000)
    page.wait_for_function(drawn, polling=50, timeout=120_000)


@figure("tuning: study opens with its history chart drawn (Chromium)", unit="s", target=2.0, group="tuning page")
def big_study_page(ctx: Context) -> Measured:
    """Picking a 10,000-trial study on the Tuning page → its optimisation-history chart drawn (2,000
    sampled dots); the floor is picking a 20-trial study the same way, in the same browser and server.
    The browser opens the page, scrolls to the chart and waits, as a person does (1400×1000)."""
    from playwright.sync_api import expect

    from bench.server import ROOT
    from ml.ops.serving import start_streamlit, stop, wait_health
    from tests.browser import chromium, sign_in
    n = int(ctx.size(10_000, 10_000, 500))
    _fill_study("bench-small", 20)
    _fill_study("bench-big", n)
    db.close()  # DuckDB: one process per file, the server needs it
    samples, floor, cold = [], [], []
    with chromium() as browser:
        proc, url, started = start_streamlit(ROOT / "dashboard" / "app.py")
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            wait_health(url, proc, started + 60)
            sign_in(page, url, "admin", os.environ["DIGITLAB_ADMIN_PASSWORD"])
            expect(page.get_by_text("Welcome")).to_be_visible(timeout=60_000)
            for k in range(ctx.repeats(5, 3) + 1):  # the first round warms the server's caches up
                t = time.monotonic()
                page.goto(f"{url}/tuning")  # the newest study (the big one) opens by default
                _see_history(page, _history_drawn(more_than=100))
                if k:
                    cold.append(time.monotonic() - t)
                for name, drawn, out in (("bench-small", _history_drawn(at_most=20), floor),
                                         ("bench-big", _history_drawn(more_than=100), samples)):
                    page.evaluate("window.scrollTo(0, 0)")  # back up to the picker
                    _pick(page, name)
                    t = time.monotonic()  # from the choice, not from waiting for the page to be still
                    _see_history(page, drawn)
                    if k:
                        out.append(time.monotonic() - t)
            page.close()
        finally:
            stop(proc)
    return {
        "tuning: pick a 10,000-trial study → history chart drawn (Chromium)": Measured(
            samples, floor, note=f"{n:,} trials; floor = picking a 20-trial study the same way"),
        "tuning: page load with a 10,000-trial study → history chart drawn": Measured(
            cold, note="a fresh page load (Streamlit's front end boots first) of /tuning, signed in as admin"),
    }

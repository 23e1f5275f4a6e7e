"""Fits take both cores only while they are the only job: OpenMP fits beside other work crawl (ml.runtime.threads)."""
from __future__ import annotations

import os

from ml.models.families import build_model
from ml.runtime import threads


def test_a_fit_takes_one_thread_while_another_job_runs(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    alone = min(2, os.cpu_count() or 1)
    assert threads.fit_threads() == alone
    with threads.job_running():
        assert threads.fit_threads() == alone
        assert build_model("xgboost", {}).steps[-1][1].n_jobs == alone
        with threads.job_running():  # a second job at once (a study beside a training job)
            assert threads.fit_threads() == 1
            assert build_model("xgboost", {}).steps[-1][1].n_jobs == 1
            assert build_model("random_forest", {}).steps[-1][1].n_jobs == 1
    assert threads.fit_threads() == alone


def test_the_setting_pins_the_threads_and_caps_openmp_inside_a_fit(monkeypatch):
    from threadpoolctl import threadpool_info
    monkeypatch.setenv(threads.ENV, "1")
    assert threads.fit_threads() == 1
    with threads.limited():
        openmp = [p for p in threadpool_info() if p["user_api"] == "openmp"]
        assert openmp and all(p["num_threads"] == 1 for p in openmp)

"""Tuning studies: a bad search space is one sentence at submit; a real study's trials in DuckDB are
Optuna's trials; pruning stops bad trials; stop, restart and resume keep the study whole; a trial
promoted to a model is linked to its study; the CLI prints the best trial as JSON."""
from __future__ import annotations

import json

import pytest

from data import audit, registry, studies
from data import jobs as job_rows
from ml.errors import PolicyError, RequestError
from ml.jobs import engine as jobs
from ml.tuning import tune as tuning
from ml.tuning.requests import PromoteRequest, TuneRequest
from ml.tuning.space import check_space, default_space


def _dim(name, kind="int", low=None, high=None, log=False, choices=()):
    return {"name": name, "kind": kind, "low": low, "high": high, "log": log, "choices": list(choices)}


@pytest.mark.parametrize("family, space, sentence", [
    ("knn", [_dim("n_neighbors", low=10, high=3)], "The range of n_neighbors is inverted: 10 is above 3."),
    ("knn", [_dim("n_neighbors", low=3)], "n_neighbors needs both a lowest and a highest value."),
    ("logreg", [_dim("C", "float", 0, 10, log=True)], "A log-scale range cannot include 0 or less: C starts at 0"),
    ("knn", [_dim("weights", "choice")], "weights has no choices left"),
    ("knn", [_dim("n_neighbors", low=1, high=500)], "n_neighbors must stay within 1 to 30; got 1 to 500."),
    ("random_forest", [_dim("seed", low=0, high=5)], "seed is a seed, not a hyperparameter"),
    ("knn", [], "The search space is empty"),
    ("knn", [_dim("n_neighbours", low=1, high=5)], "knn has no parameter 'n_neighbours'"),
])
def test_a_bad_search_space_is_refused_in_one_sentence(family, space, sentence):
    with pytest.raises(RequestError) as caught:
        check_space(family, space)
    assert sentence in str(caught.value)
    assert str(caught.value).endswith(".")


def test_the_space_is_prefilled_from_the_family_without_its_seed():
    space = {d.name: d for d in default_space("mlp")}
    assert set(space) == {"hidden_units", "alpha", "max_iter"}
    assert space["alpha"].log and space["alpha"].low == 1e-6
    assert [d.name for d in default_space("knn")] == ["n_neighbors", "weights"]


@pytest.mark.parametrize("changes, sentence", [
    ({"n_trials": 0}, "Ask for between 1 and 10,000 trials; got 0."),
    ({"family": "forest"}, "Unknown model family 'forest'"),
    ({"objective": "auc"}, "Unknown objective 'auc'"),
    ({"sampler": "grid", "space": [_dim("C", "float", 0.001, 100, True), _dim("max_iter", low=100, high=5000)]},
     "A grid needs a small space"),
    ({"cv_folds": 1}, "Cross-validation needs 2 to 10 folds"),
    ({"timeout_s": float("nan")}, "The time budget must be 0 (none) to 604,800 seconds; got nan."),
    ({"timeout_s": float("inf")}, "The time budget must be 0 (none) to 604,800 seconds; got inf."),
    ({"timeout_s": -1.0}, "The time budget must be 0 (none) to 604,800 seconds; got -1.0."),
    ({"study": "s" * 101}, "A study name has at most 100 characters; this one has 101."),
    ({"study": "two\nlines"}, "A study name cannot hold control characters"),
])
def test_a_bad_tune_request_is_refused_before_any_work(seeded_store, changes, sentence):
    values = {"family": "logreg", "dataset": "digits", "requested_by": "ana", "n_trials": 3, **changes}
    with pytest.raises(RequestError) as caught:
        TuneRequest(**values).validated()
    assert sentence in str(caught.value)
    assert studies.listing().empty


def test_a_worker_refuses_a_time_budget_that_is_not_a_number_before_opening_its_storage(tmp_path):
    from ml.tuning.worker import run_worker
    with pytest.raises(RequestError, match="got nan"):
        run_worker(f"sqlite:///{tmp_path / 'absent.db'}", "s", n_trials=1, timeout_s=float("nan"))
    assert not (tmp_path / "absent.db").exists()


def test_viewers_may_not_tune(seeded_store):
    with pytest.raises(PolicyError):
        jobs.run_inline(TuneRequest("knn", "digits", "vic", n_trials=2))
    assert studies.listing().empty


@pytest.fixture
def captured(monkeypatch):
    """The in-memory Optuna studies run_study builds, to compare with what DuckDB holds."""
    made = []
    real = tuning.load_study

    def keep(record, **kwargs):
        study = real(record, **kwargs)
        made.append(study)
        return study
    monkeypatch.setattr(tuning, "load_study", keep)
    return made


def _same(study_id: int, optuna_study) -> None:
    rows = studies.trials(study_id)
    assert [r.number for r in rows] == [t.number for t in optuna_study.trials]
    for row, trial in zip(rows, optuna_study.trials):
        assert row.state == trial.state.name
        assert row.params == trial.params
        assert row.value == trial.value
        assert row.intermediate == trial.intermediate_values
        assert row.finished_at is not None and row.duration_s is not None


def test_a_study_runs_in_the_background_and_duckdb_holds_optunas_trials(seeded_store, captured):
    jobs.reset_runner()
    try:
        job_id = jobs.submit(TuneRequest("knn", "digits", "ana", n_trials=6, study="knn-1", objective="macro_f1"))
        record = jobs.runner().wait(job_id, timeout=120)
    finally:
        jobs.reset_runner()
    assert record.status == "succeeded", record.message
    study = studies.by_name("knn-1")
    assert study.status == "finished" and study.planned == 6 and study.objective == "macro_f1"
    best = f"best macro-f1 {100 * record.result['best_value']:.2f}% (trial {record.result['best_trial']})"
    assert record.message.endswith(best)  # a share, written as the page writes it (98.61%, not 0.9861)
    _same(study.id, captured[0])
    assert record.result["best_value"] == pytest.approx(captured[0].best_value)
    assert record.result["best_params"] == captured[0].best_params
    assert all(1 <= r.params["n_neighbors"] <= 30 for r in studies.trials(study.id))
    actions = audit.page(username="ana", action="tune_study")["detail"].tolist()
    assert any("started" in a for a in actions) and any("finished" in a for a in actions)
    assert len(registry.all_models()) == 1  # trials register no model: only the template's default one


def test_step_wise_families_are_pruned_and_say_at_which_step(seeded_store, captured):
    space = [_dim("n_estimators", low=10, high=60), _dim("max_depth", low=1, high=12)]
    result = tuning.run_study(TuneRequest("random_forest", "digits", "ana", space, n_trials=12, study="rf",
                                          pruner="median").validated())
    rows = studies.trials(result["study_id"])
    pruned = [r for r in rows if r.state == "PRUNED"]
    complete = [r for r in rows if r.state == "COMPLETE"]
    assert pruned and complete and result["pruned"] == len(pruned)
    for row in pruned:
        assert row.message.startswith("pruned after")
        assert row.last_step == max(row.intermediate) < max(max(c.intermediate) for c in complete)
    _same(result["study_id"], captured[0])
    from ml.tuning.promote import promote
    trained = promote(PromoteRequest(result["study_id"], "ana", pruned[0].number).validated())  # any trial, not only the best
    assert studies.model_link(trained["model_id"]) == (result["study_id"], pruned[0].number)
    assert registry.get(trained["model_id"]).params["n_estimators"] == pruned[0].params["n_estimators"]


def test_xgboost_trials_are_pruned_on_their_half_grown_booster(seeded_store, captured):
    space = [_dim("n_estimators", low=20, high=60), _dim("max_depth", low=1, high=6)]
    result = tuning.run_study(TuneRequest("xgboost", "digits", "ana", space, n_trials=10, study="xgb",
                                          pruner="median").validated())
    rows = studies.trials(result["study_id"])
    pruned = [r for r in rows if r.state == "PRUNED"]
    assert pruned and result["pruned"] == len(pruned)
    assert all(r.message.startswith("pruned after") and "boosting rounds" in r.message for r in pruned)
    complete = [r for r in rows if r.state == "COMPLETE"]
    assert all(len(c.intermediate) >= 2 for c in complete)  # scored as it grew, not only at the end
    _same(result["study_id"], captured[0])


def test_a_restart_fails_the_running_trial_and_the_study_resumes_with_numbers_going_on(seeded_store, captured):
    request = TuneRequest("knn", "digits", "ana", [_dim("n_neighbors", low=1, high=15)], n_trials=3,
                          study="lr").validated()
    first = tuning.run_study(request)
    study_id = first["study_id"]
    # The server dies while trial 3 runs: the study and its job say running, the trial row is RUNNING.
    job_id = job_rows.create("tune", request.to_params(), "ana", lane="tune")
    job_rows.mark_running(job_id)
    studies.start(study_id, job_id, 2)
    tuning.TrialLog(study_id).started(3, "job-tune")
    jobs.reset_runner()
    job_rows.mark_interrupted_all()  # what a new server's runner does first
    tuning.reconcile()
    assert studies.get(study_id).status == "interrupted"
    lost = studies.trials(study_id)[3]
    assert lost.state == "FAIL" and "server stopped" in lost.message
    with pytest.raises(RequestError, match="Trial 3 of 'lr' failed, so there is nothing to train"):
        PromoteRequest(study_id, "ana", 3).validated()  # its parameters never reached the disk
    resumed = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=2, study="lr").validated())
    assert [r.number for r in studies.trials(study_id)] == [0, 1, 2, 3, 4, 5]
    assert resumed["complete"] == 5 and resumed["failed"] == 1
    _same(study_id, captured[-1])


def test_stopping_a_study_keeps_its_trials_and_it_can_be_resumed(seeded_store):
    calls = {"n": 0}

    def check():
        calls["n"] += 1
        if calls["n"] > 2:
            raise RuntimeError("cancel")  # what ctx.check_cancelled raises stands for the job's cancel
    request = TuneRequest("knn", "digits", "ana", n_trials=50, study="stop-me").validated()
    with pytest.raises(jobs.JobCancelled):
        tuning.run_study(request, check=check)
    study = studies.by_name("stop-me")
    assert study.status == "stopped"
    rows = studies.trials(study.id)
    assert 1 <= len(rows) < 50 and all(r.state != "RUNNING" for r in rows)
    assert study.planned == len(rows)  # what it holds, not the 50 asked for
    result = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=2, study="stop-me").validated())
    assert result["trials"] == len(rows) + 2
    resumed = studies.by_name("stop-me")
    assert studies.summary(resumed.id)["done"] == resumed.planned == len(rows) + 2  # "done / planned" adds up
    assert any("stopped" in d for d in audit.page(username="ana", action="tune_study")["detail"])


def test_a_promoted_trial_becomes_a_model_linked_to_its_study(seeded_store):
    result = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=4, study="promote-me").validated())
    jobs.reset_runner()
    try:
        job_id = jobs.submit(PromoteRequest(result["study_id"], "ana"))  # trial -1: the best
        done = jobs.runner().wait(job_id, timeout=120)
    finally:
        jobs.reset_runner()
    assert done.status == "succeeded", done.message
    assert done.title == f"Train trial {result['best_trial']} of study promote-me"  # the study's name, not its id
    model = registry.get(done.result["model_id"])
    assert studies.model_link(model.id) == (result["study_id"], result["best_trial"])
    assert {k: model.params[k] for k in result["best_params"]} == result["best_params"]
    assert model.split["val_size"] == 0.0 and model.split["n_test"] > 0  # full training data, scored on test
    assert any(f"-> model {model.id}" in d for d in audit.page(username="ana", action="promote_trial")["detail"])
    with pytest.raises(RequestError, match="has no trial 99"):
        PromoteRequest(result["study_id"], "ana", 99).validated()
    other = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=1, study="other").validated())
    with pytest.raises(RequestError, match="'other' has no trial 3"):  # a trial named from another study's list
        PromoteRequest(other["study_id"], "ana", 3).validated()


def test_cli_tune_prints_the_best_trial_as_json(seeded_store, capsys):
    from ml.cli.commands import main
    code = main(["tune", "--family", "knn", "--dataset", "digits", "--trials", "3", "--study", "cli-knn"])
    out = capsys.readouterr()
    assert code == 0, out.err
    best = json.loads(out.out)
    assert best["study"] == "cli-knn" and best["trials"] == 3
    assert best["best_value"] == studies.best(best["study_id"], "maximize")[1]
    assert set(best["best_params"]) == {"n_neighbors", "weights"}
    assert main(["tune", "--family", "knn", "--trials", "0"]) == 1
    assert "Ask for between 1 and 10,000 trials; got 0." in capsys.readouterr().err
    for budget in ("nan", "inf"):
        assert main(["tune", "--family", "knn", "--trials", "1", "--timeout", budget]) == 1
        assert f"got {budget}." in capsys.readouterr().err


def _done(name: str) -> int:
    study = studies.by_name(name)
    return studies.summary(study.id)["done"] if study else 0


def test_cancelling_the_job_stops_the_study_between_steps(seeded_store):
    import time
    jobs.reset_runner()
    try:
        job_id = jobs.submit(TuneRequest("knn", "digits", "ana", n_trials=5_000, study="long"))
        deadline = time.monotonic() + 60
        while _done("long") < 2:
            assert time.monotonic() < deadline, "no trial finished within a minute"
            time.sleep(0.05)
        jobs.cancel(job_id, by="ana")
        record = jobs.runner().wait(job_id, timeout=60)
    finally:
        jobs.reset_runner()
    assert record.status == "cancelled"
    study = studies.by_name("long")
    rows = studies.trials(study.id)
    assert study.status == "stopped" and 2 <= len(rows) < 5_000
    assert all(r.state in ("COMPLETE", "FAIL") for r in rows)  # none left RUNNING, none half-written


def test_a_resumed_random_search_draws_new_parameters_and_two_workers_keep_trials_whole(seeded_store, captured):
    space = [_dim("n_neighbors", low=1, high=30), _dim("weights", "choice", choices=("uniform", "distance"))]
    tuning.run_study(TuneRequest("knn", "digits", "ana", space, sampler="random", n_trials=4, study="rnd").validated())
    result = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=4, workers=2, study="rnd").validated())
    rows = studies.trials(result["study_id"])
    first, again = [r.params for r in rows[:4]], [r.params for r in rows[4:]]
    assert first != again and len(rows) == 8
    assert [r.number for r in rows] == list(range(8))
    assert all(r.worker and r.state == "COMPLETE" for r in rows)  # each trial written once, by the thread that ran it
    _same(result["study_id"], captured[-1])


def test_a_long_trial_is_on_disk_as_running_while_it_runs(seeded_store):
    import time
    log = tuning.TrialLog(studies.create(name="slow", family="knn", dataset="digits", objective="accuracy",
                                         direction="maximize", space=[], settings={}, created_by="ana"), every=0.1)
    log.started(0, "w")  # the first write goes at once
    log.started(1, "w")  # within `every` of it: batched, written by the timer
    study_id = studies.by_name("slow").id
    assert [r.state for r in studies.trials(study_id)] == ["RUNNING"]
    time.sleep(0.4)
    assert [r.state for r in studies.trials(study_id)] == ["RUNNING", "RUNNING"]


def test_a_grid_search_tries_every_point_of_a_small_space_once(seeded_store):
    space = [_dim("n_neighbors", low=1, high=4), _dim("weights", "choice", choices=("uniform", "distance"))]
    result = tuning.run_study(TuneRequest("knn", "digits", "ana", space, sampler="grid", pruner="none", n_trials=8,
                                          study="grid").validated())
    tried = sorted((r.params["n_neighbors"], r.params["weights"]) for r in studies.trials(result["study_id"]))
    assert tried == sorted((k, w) for k in range(1, 5) for w in ("uniform", "distance"))
    assert result["complete"] == 8


def test_cma_es_searches_a_numeric_space(seeded_store, captured):
    import optuna
    space = [_dim("C", "float", 0.1, 100, log=True), _dim("gamma", "float", 0.001, 0.1, log=True)]
    result = tuning.run_study(TuneRequest("svc", "digits", "ana", space, sampler="cmaes", pruner="none", n_trials=5,
                                          study="cma").validated())
    assert isinstance(captured[0].sampler, optuna.samplers.CmaEsSampler)
    assert result["complete"] == 5 and studies.by_name("cma").settings["sampler"] == "cmaes"
    assert all(0.1 <= r.params["C"] <= 100 for r in studies.trials(result["study_id"]))
    _same(result["study_id"], captured[0])
    with pytest.raises(RequestError, match="CMA-ES searches numbers only"):
        TuneRequest("knn", "digits", "ana", sampler="cmaes", n_trials=2).validated()


@pytest.mark.parametrize("pruner", ["hyperband", "successive_halving", "none"])
def test_each_pruner_runs_a_forest_study_and_none_prunes_nothing(seeded_store, captured, pruner):
    space = [_dim("n_estimators", low=10, high=40), _dim("max_depth", low=1, high=12)]
    result = tuning.run_study(TuneRequest("random_forest", "digits", "ana", space, pruner=pruner, n_trials=8,
                                          study=f"rf-{pruner}").validated())
    rows = studies.trials(result["study_id"])
    assert len(rows) == 8 and result["complete"] >= 1
    if pruner == "none":
        assert result["pruned"] == 0
    else:
        assert result["pruned"] >= 1 and all(r.message.startswith("pruned after") for r in rows if r.state == "PRUNED")
    _same(result["study_id"], captured[0])


def test_a_time_budget_ends_the_study_before_its_trials_run_out(seeded_store):
    result = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=10_000, timeout_s=1.0,
                                          study="budget").validated())
    study = studies.by_name("budget")
    assert study.status == "finished" and 1 <= result["trials"] < 10_000
    assert study.planned == result["trials"]  # the budget ended it: planned is what ran
    assert all(r.state != "RUNNING" for r in studies.trials(study.id))

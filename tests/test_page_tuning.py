"""Tuning page (AppTest): an analyst starts a study, sees its trials and charts, trains the best trial;
a bad search space is refused in one sentence; viewers cannot open it."""
from conftest import texts

from data import db, studies
from ml.jobs import engine as jobs
from ml.lab import lifecycle
from ml.tuning import tune as tuning
from ml.tuning.requests import TuneRequest


def _start(at):
    next(b for b in at.button if b.label == "Start study").click()
    at.run()


def test_analyst_runs_a_study_and_trains_its_best_trial(open_app):
    jobs.reset_runner()
    try:
        at = open_app("ana", "tuning")
        assert not at.exception
        assert "No studies yet" in texts(at)
        at.selectbox(key="tune_family").set_value("knn").run()
        at.number_input(key="tune_trials").set_value(4)
        at.text_input(key="tune_name").input("page-knn")
        _start(at)
        assert not at.exception
        job_id = db.one("SELECT max(id) FROM jobs WHERE kind = 'tune'")[0]
        done = jobs.runner().wait(job_id, timeout=120)
        assert done.status == "succeeded", done.message
        at.run()
        shown = texts(at)
        assert "4 / 4" in shown  # trials done / planned
        best = studies.best(studies.by_name("page-knn").id, "maximize")
        assert f"{100 * best[1]:.2f}%" in shown  # accuracy, a share: written as every other share
        assert len(at.dataframe[-1].value) == 4  # the trials table
        assert all(v == "" or v.endswith("%") for v in at.dataframe[-1].value["value"])  # shares, blank if none
        assert any(b.label == "Trials as CSV" for b in at.get("download_button"))
        study_id = studies.by_name("page-knn").id
        assert at.selectbox(key=f"tune_promote_trial_{study_id}").value == best[0]
        next(b for b in at.button if b.label == f"Train trial {best[0]}").click()  # it names what it trains
        at.run()
        assert any(f"Training trial {best[0]} of page-knn as job #" in s.value.replace("\\", "")
                   for s in at.success)  # it says it happened
        promote_id = db.one("SELECT max(id) FROM jobs WHERE kind = 'promote'")[0]
        trained = jobs.runner().wait(promote_id, timeout=120)
        assert trained.status == "succeeded", trained.message
        assert studies.model_link(trained.result["model_id"]) == (studies.by_name("page-knn").id, best[0])
        at.run()
        assert f"#{trained.result['model_id']} (trial {best[0]})" in texts(at)
        # the promote job is listed with the study's jobs, titled by the study's name
        assert f"Train trial {best[0]} of study page-knn" in texts(at).replace("\\", "")
        lifecycle.activate(trained.result["model_id"], by="ana")
        models_page = open_app("ana", "models")  # the model's page links back to its study
        link = next(p for p in models_page.main.get("page_link") if "Trained from trial" in p.proto.label)
        assert f"trial {best[0]} of study 'page-knn'" in link.proto.label.replace("\\", "")  # as rendered
        assert link.proto.query_string == f"study={studies.by_name('page-knn').id}"  # opens that study
    finally:
        jobs.reset_runner()


def test_a_bad_search_space_is_refused_and_no_study_starts(open_app):
    jobs.reset_runner()
    try:
        at = open_app("ana", "tuning")
        at.selectbox(key="tune_family").set_value("knn").run()
        at.text_input(key="tune_dataset").input("zip:nonexistent.zip")  # inside the data folder, missing
        _start(at)
        assert not at.exception
        shown = [e.value.replace("\\", "") for e in at.error]  # as rendered
        assert any("nonexistent.zip" in e for e in shown), shown
        assert studies.listing().empty and db.one("SELECT count(*) FROM jobs")[0] == 0
    finally:
        jobs.reset_runner()


def test_a_finished_study_shows_its_charts_and_can_be_resumed(open_app):
    tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=3, study="charted").validated())
    jobs.reset_runner()
    try:
        at = open_app("ana", "tuning")
        assert not at.exception
        study_id = studies.by_name("charted").id
        assert len(at.tabs) == 6
        at.selectbox(key=f"tune_filter_param_{study_id}").set_value("n_neighbors").run()
        values = sorted(t.params["n_neighbors"] for t in studies.trials(study_id))
        at.slider(key=f"tune_filter_range_{study_id}_n_neighbors").set_range(values[0], values[0]).run()
        table = at.dataframe[-1].value
        assert len(table) == values.count(values[0]) < 3 and set(table["param: n_neighbors"]) == {values[0]}
        assert len(at.get("plotly_chart")) >= 6  # history, importances, parallel coordinates, slice, contour, EDF
        at.number_input(key=f"tune_more_{study_id}").set_value(2)
        next(b for b in at.button if b.label == "Resume study").click()
        at.run()
        job_id = db.one("SELECT max(id) FROM jobs WHERE kind = 'tune'")[0]
        assert jobs.runner().wait(job_id, timeout=120).status == "succeeded"
        tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=2, study="other", objective="macro_f1").validated())
        at.run()
        at.selectbox(key="tune_study").set_value(study_id).run()
        at.multiselect(key="tune_compare").select(studies.by_name("other").id).run()
        side = at.dataframe[-1].value
        assert list(side["name"]) == ["other", "charted"] and list(side["complete"]) == [2, 5]
        assert [t.number for t in studies.trials(study_id)] == [0, 1, 2, 3, 4]
    finally:
        jobs.reset_runner()


def test_the_space_editor_leaves_a_choice_parameters_range_blank(open_app):
    at = open_app("ana", "tuning")
    at.selectbox(key="tune_family").set_value("knn").run()
    editor = next(d for d in at.dataframe if d.key == "tune_space_knn")
    assert editor.value["low"].isna().tolist() == [False, True]  # weights: a choice, no range
    assert editor.proto.HasField("placeholder") and editor.proto.placeholder == ""  # shown blank, not "None"


def test_viewers_cannot_open_tuning(open_app):
    at = open_app("vic", "tuning")
    assert any("may not open Tuning" in e.value for e in at.error)


def test_a_large_study_opens_with_a_sampled_history_and_no_slow_charts(open_app):
    import json
    import random
    from datetime import datetime, timedelta
    space = [{"name": "n_neighbors", "kind": "int", "low": 1, "high": 30, "log": False, "choices": []}]
    settings = {"sampler": "tpe", "pruner": "median", "val_size": 0.2, "cv_folds": 0, "test_size": 0.2, "seed": 0}
    study_id = studies.create(name="big", family="knn", dataset="digits", objective="accuracy", direction="maximize",
                              space=space, settings=settings, created_by="ana")
    rng, start = random.Random(0), datetime(2026, 1, 1)
    rows = [(study_id, n, "COMPLETE", {"n_neighbors": rng.randint(1, 30)}, rng.random(), {}, None,
             start + timedelta(seconds=n), start + timedelta(seconds=n + 1), 1.0, "w", "") for n in range(2_500)]
    for i in range(0, len(rows), 500):
        studies.write_trials(rows[i:i + 500])
    studies.finish(study_id, "finished")
    at = open_app("ana", "tuning")
    assert not at.exception
    assert "drawn for studies of up to 500 trials" in texts(at)
    charts = at.get("plotly_chart")
    assert len(charts) == 1  # the history only: Optuna's own plots would rebuild 2,500 trials
    trials, best = json.loads(charts[0].proto.spec)["data"]
    assert len(_values(trials["x"])) == 2_000 and len(_values(best["x"])) == 2_500  # dots sampled, the line whole
    assert max(_values(best["y"])) == max(r[4] for r in rows)


def _values(array):
    """A plotly array from a chart's JSON (plotly 6 sends numbers as base64 typed arrays)."""
    import base64

    import numpy as np
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def test_the_study_named_in_the_address_is_the_one_opened(open_app):
    first = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=2, study="first").validated())
    second = tuning.run_study(TuneRequest("knn", "digits", "ana", n_trials=2, study="second").validated())
    assert open_app("ana", "tuning").selectbox(key="tune_study").value == second["study_id"]  # the newest first
    at = open_app("ana", "models")  # as when following a model's link to its study
    at.query_params["study"] = str(first["study_id"])
    at.switch_page("../pages/tuning.py").run()
    assert at.selectbox(key="tune_study").value == first["study_id"]


def _finished_study(name: str, values: list[float], *, family: str = "knn", settings: dict | None = None) -> int:
    """A finished study whose trials score `values` in order (written as a study run writes them)."""
    from datetime import datetime, timedelta
    space = [{"name": "n_neighbors", "kind": "int", "low": 1, "high": 30, "log": False, "choices": []}]
    study_id = studies.create(name=name, family=family, dataset="digits", objective="accuracy",
                              direction="maximize", space=space,
                              settings=settings or {"sampler": "tpe", "pruner": "median", "val_size": 0.2,
                                                    "cv_folds": 0, "test_size": 0.2, "seed": 0},
                              created_by="ana")
    start = datetime(2026, 1, 1)
    studies.write_trials([(study_id, n, "COMPLETE", {"n_neighbors": n + 1}, v, {}, None,
                           start + timedelta(seconds=n), start + timedelta(seconds=n + 1), 1.0, "w", "")
                          for n, v in enumerate(values)])
    studies.finish(study_id, "finished")
    return study_id


def _offered(at) -> int:
    return next(s for s in at.selectbox if s.label == "Trial to train").value


def test_each_study_offers_its_own_best_trial_to_train(open_app):
    first = _finished_study("first", [0.5, 0.6, 0.9, 0.7])    # best: trial 2
    _finished_study("second", [0.8, 0.95, 0.7])  # best: trial 1 (the newest: opened first)
    at = open_app("ana", "tuning")
    assert _offered(at) == 1
    at.selectbox(key="tune_study").set_value(first).run()
    assert not at.exception
    assert _offered(at) == 2
    assert any(b.label == "Train trial 2" for b in at.button) and not any(b.label == "Train trial 1"
                                                                            for b in at.button)
    best = next(m for m in at.metric if m.label == "Best accuracy")
    assert (best.value, best.delta) == ("90.00%", "trial 2")  # the header's best trial is the one offered


def test_the_promote_box_follows_the_best_until_a_trial_is_picked(open_app):
    study_id = _finished_study("moving", [0.5, 0.9])
    at = open_app("ana", "tuning")
    assert _offered(at) == 1
    from datetime import datetime
    studies.write_trials([(study_id, 2, "COMPLETE", {"n_neighbors": 3}, 0.99, {}, None, datetime(2026, 1, 2),
                           datetime(2026, 1, 2), 1.0, "w", "")])
    at.run()
    assert _offered(at) == 2  # the new best, not a stale trial 1
    at.selectbox(key=f"tune_promote_trial_{study_id}").set_value(0).run()
    studies.write_trials([(study_id, 3, "COMPLETE", {"n_neighbors": 4}, 0.999, {}, None, datetime(2026, 1, 3),
                           datetime(2026, 1, 3), 1.0, "w", "")])
    at.run()
    assert at.selectbox(key=f"tune_promote_trial_{study_id}").value == 0  # a person's pick stays
    assert any(b.label == "Train trial 0" for b in at.button)


def test_a_large_study_shows_its_history_first_and_one_page_of_trials(open_app):
    study_id = _finished_study("big", [i / 10_000 for i in range(10_000)])
    at = open_app("ana", "tuning")
    assert not at.exception
    headings = [h.value for h in at.subheader]
    assert headings.index("Optimisation history") < headings.index("Trials")  # the chart before the table
    assert len(at.dataframe[-1].value) == 100  # one page, not 10,000 rows
    assert "Trials 1–100 of 10,000 shown by the filter" in texts(at)
    at.number_input(key=f"tune_page_{study_id}").set_value(100).run()
    assert list(at.dataframe[-1].value["number"])[-1] == 9_999
    at.selectbox(key=f"tune_order_{study_id}").set_value("best first").run()
    assert list(at.dataframe[-1].value["number"])[0] == 9_999 and "Trials 1–100" in texts(at)  # back to page 1
    at.multiselect(key=f"tune_states_{study_id}").set_value(["PRUNED"]).run()
    assert "of 0 shown by the filter" in texts(at)


def test_an_imported_study_is_labelled_with_its_import_date_and_cannot_be_resumed(open_app):
    settings = {"sampler": "tpe", "pruner": "median", "val_size": 0.2, "cv_folds": 0, "test_size": 0.2, "seed": 0,
                "imported_from": "sqlite:///optuna.db", "optuna_study": "big"}
    _finished_study("big", [0.1, 0.2], family="imported", settings=settings)
    at = open_app("ana", "tuning")
    created = studies.by_name("big").created_at.strftime("%Y-%m-%d")
    label = at.selectbox(key="tune_study").format_func(at.selectbox(key="tune_study").value)
    assert label == f"big · imported {created}"
    assert not any(b.label == "Resume study" for b in at.button)


def test_charts_of_a_study_without_steps_log_no_optuna_warning(open_app, caplog):
    import logging
    _finished_study("flat", [0.5, 0.6, 0.7])
    with caplog.at_level(logging.WARNING, logger="optuna"):
        at = open_app("ana", "tuning")
    assert not at.exception
    assert not [r for r in caplog.records if r.name.startswith("optuna")]
    assert "No trial reported intermediate values" in texts(at)

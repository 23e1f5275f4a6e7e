"""Importing studies from other Optuna storages: an SQLite study and a journal file land in DuckDB
trial for trial, importing again refreshes, bad storages are one sentence; imported studies of a
foreign objective are watched, not resumed or promoted."""
from __future__ import annotations

import json

import optuna
import pytest

from data import audit, studies
from ml.errors import RequestError
from ml.tuning.importer import import_studies
from ml.tuning.requests import PromoteRequest, TuneRequest

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report(x * x + step, step)
        if trial.number == 2 and step == 1:
            raise optuna.TrialPruned()
    return x * x + (kind == "b")


def _external(tmp_path, n: int = 5) -> tuple[str, optuna.Study]:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="theirs", storage=url, load_if_exists=True,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=n)
    return url, study


def _matches(name: str, study: optuna.Study) -> None:
    rows = studies.trials(studies.by_name(name).id)
    assert [(r.number, r.state, r.params, r.value, r.intermediate) for r in rows] == [
        (t.number, t.state.name, t.params, t.value, t.intermediate_values) for t in study.trials]


def test_an_sqlite_study_is_imported_and_refreshed(seeded_store, tmp_path):
    url, theirs = _external(tmp_path)
    [result] = import_studies(url, by="ana")
    assert result["study"] == "theirs" and result["trials"] == 5 and result["pruned"] == 1
    _matches("theirs", theirs)
    record = studies.by_name("theirs")
    assert record.direction == "minimize" and record.family == "imported"
    assert {d["name"] for d in record.space} == {"x", "kind"}
    theirs.optimize(_objective, n_trials=3)  # they go on in their storage; importing again refreshes
    [again] = import_studies(url, study="theirs", by="ana")
    assert again["trials"] == 8 and studies.by_name("theirs").id == record.id
    _matches("theirs", theirs)
    assert any("8 trials" in d for d in audit.page(username="ana", action="tune_import")["detail"])
    with pytest.raises(RequestError, match="imported from another Optuna storage"):
        TuneRequest("imported", "digits", "ana", n_trials=2, study="theirs").validated()
    with pytest.raises(RequestError, match="cannot be trained here"):
        PromoteRequest(record.id, "ana").validated()


def test_a_journal_file_is_imported(seeded_store, tmp_path):
    from optuna.storages.journal import JournalFileBackend, JournalStorage
    path = tmp_path / "journal.log"
    theirs = optuna.create_study(study_name="journal", storage=JournalStorage(JournalFileBackend(str(path))),
                                 direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    theirs.optimize(_objective, n_trials=4)
    [result] = import_studies(str(path), by="ana")
    assert result["direction"] == "maximize" and result["trials"] == 4
    _matches("journal", theirs)


@pytest.mark.parametrize("url, sentence", [
    ("sqlite:////nowhere/optuna.db", "/nowhere/optuna.db does not exist"),
    ("/nowhere/journal.log", "/nowhere/journal.log does not exist"),
    ("postgresql://someone:secret@127.0.0.1:1/optuna", "Could not open the Optuna storage"),
])
def test_a_storage_that_cannot_be_read_is_one_sentence(seeded_store, url, sentence):
    with pytest.raises(RequestError) as caught:
        import_studies(url, by="ana")
    assert sentence in str(caught.value) and "secret" not in str(caught.value)
    assert studies.listing().empty
    [row] = audit.page(username="ana", action="tune_import").to_dict("records")  # the CLI's refusal too
    assert row["outcome"] == "error" and sentence in row["detail"] and "secret" not in row["detail"]


def test_a_storage_without_that_study_names_the_ones_it_has(seeded_store, tmp_path):
    url, _ = _external(tmp_path, n=1)
    with pytest.raises(RequestError, match="has no study named 'mine'; it has theirs."):
        import_studies(url, study="mine", by="ana")


def test_cli_tune_import_prints_a_json_line_per_study(seeded_store, tmp_path, capsys):
    from ml.cli.commands import main
    url, _ = _external(tmp_path, n=3)
    assert main(["tune-import", "--storage", url]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["trials"] == 3
    assert main(["tune-import", "--storage", "sqlite:////nowhere.db"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_viewers_may_not_import(seeded_store, tmp_path):
    from ml.errors import PolicyError
    url, _ = _external(tmp_path, n=1)
    with pytest.raises(PolicyError):
        import_studies(url, by="vic")
    assert studies.listing().empty


def test_the_tuning_page_imports_a_study(open_app, tmp_path):
    from conftest import texts
    url, _ = _external(tmp_path, n=3)
    at = open_app("ana", "tuning")
    at.text_input(key="tune_import_url").input(url)
    next(b for b in at.button if b.label == "Import").click()
    at.run()
    assert not at.exception
    assert "Imported theirs: 3 trials" in texts(at)
    assert len(at.dataframe[-1].value) == 3  # the imported study is picked and its trials shown
    assert len(at.get("plotly_chart")) >= 5  # its charts are drawn like a local study's
    at.text_input(key="tune_import_url").input("sqlite:////nowhere.db")
    next(b for b in at.button if b.label == "Import").click()
    at.run()
    assert any("does not exist" in e.value for e in at.error)

"""Studies from other Optuna storages (an SQLite file, a PostgreSQL URL, a journal file) copied into
DuckDB, so people who use optuna-dashboard today can open their studies on the Tuning page.

Importing again refreshes a study: its trials are replaced in one transaction. An imported study is
watched and compared like a local one; it is resumed or promoted here only when its `family` user
attribute names one of our families (otherwise its objective is not ours to run).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from data import audit, studies
from ml.errors import RequestError
from ml.governance import policy

log = logging.getLogger(__name__)
IMPORTED = "imported"  # the family of a study whose objective is not one of ours


def _shown(url: str) -> str:
    """The URL without its password (it is stored and shown)."""
    try:
        from sqlalchemy.engine import make_url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a database URL (a journal file path)
        return url


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """The storage a URL names, or RequestError: a missing file is refused, never created empty."""
    url = url.strip()
    if not url:
        raise RequestError("Name a storage: sqlite:///PATH, postgresql://USER@HOST/DB or a journal file path.")
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise RequestError(f"{path} does not exist, so there is no study to import from it.")
    if "://" not in url:
        path = Path(url.removeprefix("journal:"))
        if not path.is_file():
            raise RequestError(f"{path} does not exist, so there is no study to import from it.")
        from optuna.storages.journal import JournalFileBackend, JournalStorage
        return JournalStorage(JournalFileBackend(str(path)))
    try:
        return optuna.storages.RDBStorage(url, skip_table_creation=True)
    except Exception as exc:  # noqa: BLE001 - an unreachable server, a bad URL, a file that is not Optuna's
        raise RequestError(f"Could not open the Optuna storage {_shown(url)}: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0][:200]}") from None


def _space(trials: list[optuna.trial.FrozenTrial]) -> list[dict[str, Any]]:
    dims: dict[str, dict[str, Any]] = {}
    for trial in trials:
        for name, dist in trial.distributions.items():
            if isinstance(dist, CategoricalDistribution):
                dims[name] = {"name": name, "kind": "choice", "low": None, "high": None, "log": False,
                              "choices": list(dist.choices)}
            elif isinstance(dist, (IntDistribution, FloatDistribution)):
                kind = "int" if isinstance(dist, IntDistribution) else "float"
                old = dims.get(name, {"low": dist.low, "high": dist.high})
                dims[name] = {"name": name, "kind": kind, "low": min(old["low"], dist.low),
                              "high": max(old["high"], dist.high), "log": dist.log, "choices": []}
    return list(dims.values())


def _rows(study_id: int, trials: list[optuna.trial.FrozenTrial]) -> list[tuple]:
    rows = []
    for t in trials:
        if t.state == optuna.trial.TrialState.WAITING:
            continue  # enqueued, never started: not a trial yet
        end = t.datetime_complete
        rows.append((study_id, t.number, t.state.name, t.params, t.value,
                     {str(k): v for k, v in t.intermediate_values.items()}, t.last_step, t.datetime_start, end,
                     (end - t.datetime_start).total_seconds() if end and t.datetime_start else None,
                     str(t.user_attrs.get("worker", "imported")), ""))
    return rows


def import_studies(url: str, *, study: str | None = None, by: str) -> list[dict[str, Any]]:
    """Copy one study (or every study) of the storage into DuckDB; returns one summary per study.
    A storage that cannot be read is one sentence, audited here (the page and the CLI alike)."""
    policy.require(by, "tune", action="tune_import")
    try:
        return _import_all(url, study, by)
    except RequestError as exc:
        audit.record(by, "tune_import", "error", f"{_shown(url)}: {exc}")
        exc.audited = True
        raise


def _import_all(url: str, study: str | None, by: str) -> list[dict[str, Any]]:
    storage = open_storage(url)
    try:
        names = [s.study_name for s in storage.get_all_studies()]
    except Exception as exc:  # noqa: BLE001 - not an Optuna storage, or a server that went away
        raise RequestError(f"{_shown(url)} could not be read as an Optuna storage: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0][:200]}") from None
    if study and study not in names:
        raise RequestError(f"{_shown(url)} has no study named {study!r}"
                           + (f"; it has {', '.join(names)}." if names else "; it has none."))
    if not names:
        raise RequestError(f"{_shown(url)} holds no study.")
    out = []
    for name in [study] if study else names:
        loaded = optuna.load_study(study_name=name, storage=storage)
        if len(loaded.directions) != 1:
            raise RequestError(f"Study {name!r} has {len(loaded.directions)} objectives; only single-objective "
                               "studies can be imported.")
        out.append(_import_one(loaded, url, by))
    return out


def _import_one(loaded: optuna.Study, url: str, by: str) -> dict[str, Any]:
    from ml.models.families import FAMILIES
    from ml.tuning.tune import result_of
    trials = loaded.get_trials(deepcopy=False)
    attrs = loaded.user_attrs
    family = attrs.get("family") if attrs.get("family") in FAMILIES else IMPORTED
    direction = loaded.direction.name.lower()
    space = _space(trials)
    settings = {"sampler": "tpe", "pruner": "median", "val_size": 0.2, "cv_folds": 0, "test_size": 0.2, "seed": 0,
                **(attrs.get("settings") or {}),  # a study set up by `tune-worker` carries ours
                "imported_from": _shown(url), "optuna_study": loaded.study_name}
    record = studies.by_name(loaded.study_name)
    if record is not None and record.settings.get("imported_from") is None:
        raise RequestError(f"A study named {loaded.study_name!r} was run here; rename one of them to import it.")
    if record is None:
        studies.create(name=loaded.study_name, family=family, dataset=str(attrs.get("dataset", "")),
                       objective=str(attrs.get("objective", "value")), direction=direction, space=space,
                       settings=settings, created_by=by)
        record = studies.by_name(loaded.study_name)
    running = any(t.state == optuna.trial.TrialState.RUNNING for t in trials)
    studies.replace_trials(record.id, _rows(record.id, trials), space=space, settings=settings,
                           status="running" if running else "finished")
    result = result_of(studies.get(record.id))
    audit.record(by, "tune_import", "ok", f"study {record.name} from {_shown(url)}: {result['trials']} trials")
    return result

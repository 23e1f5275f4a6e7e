"""Train a family on a dataset split, evaluate it, save the artifact and register the version."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import replace
from typing import Callable

import numpy as np

from data import audit, dataset_records, registry
from ml import artifacts, fitting, jobs
from ml.augment import Augmentation, augment
from ml.conventions import ImageConvention
from ml.datasets import Dataset, load_embedded, split
from ml.jobs import JobContext
from ml.sources import load_spec
from ml.evaluation import classification_metrics
from ml.families import DEFAULT_FAMILY, DEFAULT_PARAMS, FAMILIES, build_model
from ml.predict import ten_probabilities

log = logging.getLogger(__name__)

Progress = Callable[..., None]  # (stage, fraction, detail="")


def _quiet(stage: str, fraction: float, detail: str = "") -> None:
    log.debug("%s %.0f%% %s", stage, fraction * 100, detail)


def register_dataset(dataset: Dataset, *, by: str) -> int:
    """Record a dataset (counts, convention, content hash) so a model's data can be recognised later."""
    digest = hashlib.sha256(np.ascontiguousarray(dataset.X).tobytes() + np.ascontiguousarray(dataset.y).tobytes())
    return dataset_records.upsert(spec=dataset.name, source=dataset.source, n_samples=int(len(dataset.y)),
                                  class_counts=np.bincount(dataset.y, minlength=10).tolist(),
                                  convention=dataset.convention.to_dict(), content_sha256=digest.hexdigest(),
                                  registered_by=by)


def train_and_register(dataset: Dataset, family: str, params: dict | None = None, *, trained_by: str,
                       seed: int = 0, test_size: float = 0.2, val_size: float = 0.0, activate: bool = False,
                       progress: Progress = _quiet, augmentation: Augmentation | None = None,
                       deskew: bool | None = None) -> int:
    """Fit on the seeded train split, score on its test split, store artifact + metrics; returns the model id.
    Parameters not given take the family's defaults for the dataset's image convention; `deskew`
    None follows the convention. A validation share is held out of training too and scored apart
    (`metrics["validation"]`): the figure to compare parameter choices by, so the test split stays
    unseen. The test split does not depend on it."""
    if family not in FAMILIES:
        raise ValueError(f"Unknown model family {family!r}; choose one of {', '.join(FAMILIES)}.")
    convention = dataset.convention
    if deskew is not None and deskew != convention.deskew:
        convention = replace(convention, deskew=bool(deskew))
    merged = {**FAMILIES[family].defaults_for(convention.name), **(params or {})}
    progress("splitting", 0.05)
    parts = split(dataset.X, dataset.y, seed=seed, test_size=test_size, val_size=val_size)
    train, test, val = parts["train"], parts["test"], parts.get("val")
    model = build_model(family, merged, deskew=convention.deskew)
    X_train, y_train = dataset.X[train], dataset.y[train]
    if augmentation is not None and augmentation.copies > 0:
        progress("augmenting", 0.08)
        X_train, y_train = augment(X_train, y_train, dataset.convention, augmentation)
    progress("fitting", 0.1)
    started = time.perf_counter()
    fitting.fit(model, X_train, y_train,
                lambda done, total, unit: progress("fitting", 0.1 + 0.7 * done / total, f"{done:,} of {total:,} {unit}"))
    fit_seconds = time.perf_counter() - started
    progress("evaluating", 0.8)
    proba = model.predict_proba(dataset.X[test])
    metrics = classification_metrics(dataset.y[test], proba, model.classes_)
    if val is not None and len(val):
        scored = classification_metrics(dataset.y[val], model.predict_proba(dataset.X[val]), model.classes_)
        metrics["validation"] = {k: scored[k] for k in ("accuracy", "macro_f1", "log_loss", "n_test")}
    progress("saving", 0.9)
    meta = {"family": family, "params": merged, "convention": convention.to_dict(), "dataset": dataset.name}
    name, digest, size = artifacts.save(model, meta)
    model_id = registry.register(
        family=family, params=merged, dataset=dataset.name,
        split={"seed": seed, "test_size": test_size, "val_size": val_size, "n_train": int(len(train)),
               "n_val": int(len(val)) if val is not None else 0, "n_test": int(len(test)),
               "augmentation": augmentation.to_dict() if augmentation else None, "n_fit": int(len(y_train))},
        convention=convention.to_dict(), metrics=metrics, artifact_path=name, sha256=digest,
        size_bytes=size, trained_by=trained_by, fit_seconds=fit_seconds)
    audit.record(trained_by, "train_model", "ok",
                 f"model {model_id}: {family} on {dataset.name}, accuracy {metrics['accuracy']:.4f}")
    if activate:
        activate_model(model_id, by=trained_by)
    progress("done", 1.0)
    return model_id


def train_job(params: dict, ctx: JobContext) -> dict:
    """The "train" job: the Train page and `python -m ml train` both run this."""
    ctx.progress("loading data", 0.02, f"Loading {params['dataset']}")
    dataset = load_spec(params["dataset"])
    register_dataset(dataset, by=params["trained_by"])
    ctx.check_cancelled()
    augmentation = Augmentation(**params["augment"]) if params.get("augment") else None
    model_id = train_and_register(
        dataset, params["family"], params.get("params") or {}, trained_by=params["trained_by"],
        seed=int(params.get("seed", 0)), test_size=float(params.get("test_size", 0.2)),
        val_size=float(params.get("val_size", 0.0)),
        activate=bool(params.get("activate")), augmentation=augmentation, deskew=params.get("deskew"),
        progress=lambda stage, fraction, detail="": ctx.progress(
            stage, fraction, f"{stage}{': ' + detail if detail else ''} ({len(dataset.y):,} images)"))
    accuracy = registry.get(model_id).metrics["accuracy"]
    return {"model_id": model_id, "accuracy": accuracy,
            "message": f"Model {model_id} trained: {accuracy:.2%} accuracy on the test split."}


jobs.register("train", train_job)


def _probabilities(model_id: int, X: np.ndarray) -> np.ndarray:
    return ten_probabilities(artifacts.load(model_id).estimator, X)


def _test_index(record, dataset: Dataset) -> np.ndarray:
    return split(dataset.X, dataset.y, seed=int(record.split["seed"]), test_size=float(record.split["test_size"]))["test"]


def test_split_predictions(model_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(test images, true digits, probabilities) of a model on the split it was trained with."""
    record = registry.get(model_id)
    dataset = load_spec(record.dataset)
    test = _test_index(record, dataset)
    return dataset.X[test], dataset.y[test], _probabilities(model_id, dataset.X[test])


def _check_convention(record, dataset: Dataset, spec: str) -> None:
    expected = ImageConvention.from_dict(record.convention)
    if replace(expected, deskew=dataset.convention.deskew) != dataset.convention:  # deskewing is the model's own
        raise ValueError(f"Model {record.id} expects {record.convention['name']} images but {spec} is "
                         f"{dataset.convention.name}.")


def evaluate(model_id: int, spec: str) -> dict:
    """Metrics of a model on a whole dataset (e.g. the feedback users gave): `python -m ml evaluate`."""
    dataset = load_spec(spec)
    record = registry.get(model_id)
    if record is None:
        raise ValueError(f"Model {model_id} is not in the registry.")
    _check_convention(record, dataset, spec)
    proba = _probabilities(model_id, dataset.X)
    return {"model_id": model_id, "dataset": spec, **classification_metrics(dataset.y, proba, np.arange(10))}


def shared_test_predictions(model_ids: list[int], spec: str | None = None
                            ) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray], str]:
    """Images every model can be fairly scored on, their digits, each model's probabilities, and a
    sentence saying what the images are. Without `spec`, the models must come from one dataset: the
    images in all their test splits (seeds may differ), which none of them trained on. With `spec`,
    the whole of that dataset (a model that trained on some of it is flattered)."""
    records = [registry.get(m) for m in model_ids]
    if spec is not None:
        dataset = load_spec(spec)
        for record in records:
            _check_convention(record, dataset, spec)
        index = np.arange(len(dataset.y))
        note = f"all {len(index):,} images of {spec}"
    else:
        if len({r.dataset for r in records}) > 1:
            raise ValueError("These models were trained on different datasets: pick one dataset to score them all on.")
        dataset = load_spec(records[0].dataset)
        index = _test_index(records[0], dataset)
        for record in records[1:]:
            index = np.intersect1d(index, _test_index(record, dataset))
        if len(index) == 0:
            raise ValueError("No image of the dataset is in every model's test split: pick a dataset to score them on.")
        same = len({(r.split["seed"], r.split["test_size"]) for r in records}) == 1
        note = (f"the {len(index):,} test images of {dataset.name} they share" if same else
                f"the {len(index):,} images of {dataset.name} in every model's test split (none trained on them)")
    X = dataset.X[index]
    return X, dataset.y[index], {m: _probabilities(m, X) for m in model_ids}, note


def activate_model(model_id: int, *, by: str) -> None:
    """Make a model the one behind predictions; loading it first proves the artifact is sound."""
    artifacts.load(model_id)
    previous = registry.active_id()
    registry.set_active(model_id)
    audit.record(by, "activate_model", "ok", f"model {model_id} (was {previous})")


def ensure_default_model(by: str = "system") -> int:
    """The active model id, training the default family on the embedded data when none is active."""
    active = registry.active_id()
    if active is not None:
        return active
    log.info("no active model: training the default %s on the embedded digits", DEFAULT_FAMILY)
    return train_and_register(load_embedded(), DEFAULT_FAMILY, DEFAULT_PARAMS, trained_by=by, activate=True)

"""Scoring trained models: rebuild a model's test split, evaluate on a dataset, compare on shared images.

A test split is rebuilt from the dataset SPEC and the recorded seed and sizes, and checked against
the content hash recorded at training (`ml.datasets.provenance`): data that changed since (e.g. `feedback`
grew) is refused with a sentence, never scored as if it were the model's held-out images.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from data import registry
from data.registry import ModelRecord
from ml.datasets import provenance
from ml.datasets.sources import load_spec
from ml.datasets.splits import Dataset, split
from ml.errors import DatasetError, RequestError
from ml.evaluation.metrics import classification_metrics
from ml.models import artifacts
from ml.prediction.predict import ten_probabilities
from ml.recognition.conventions import ImageConvention, title
from ml.recognition.rendering import render, same_form


@dataclass(frozen=True)
class SharedScores:
    """Images several models are scored on, their digits, each model's probabilities, and what they are."""
    X: np.ndarray
    y: np.ndarray
    probabilities: dict[int, np.ndarray]
    note: str

    def __iter__(self):  # `X, y, probas, note = shared_test_predictions(...)` unpacks as before
        return iter((self.X, self.y, self.probabilities, self.note))


def _record(model_id: int) -> ModelRecord:
    record = registry.get(model_id)
    if record is None:
        raise RequestError(f"Model {model_id} is not in the registry.")
    return record


def probabilities(model_id: int, X: np.ndarray) -> np.ndarray:
    """The model's ten-digit probabilities for model inputs (artifact checked by sha256 on load)."""
    return ten_probabilities(artifacts.load(model_id).estimator, X)


def _test_index(record: ModelRecord, dataset: Dataset) -> np.ndarray:
    return split(dataset.X, dataset.y, seed=int(record.split["seed"]),
                 test_size=float(record.split["test_size"]))["test"]


def training_data(record: ModelRecord) -> Dataset:
    """The dataset a model was trained on, as it was then (DatasetError when it has changed or moved)."""
    dataset = load_spec(record.dataset)
    provenance.check_unchanged(record, dataset)
    return dataset


def test_split(model_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(images, digits) of the model's own test split, rebuilt and checked against the recorded hash."""
    record = _record(model_id)
    dataset = training_data(record)
    index = _test_index(record, dataset)
    return dataset.X[index], dataset.y[index]


def test_split_predictions(model_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(test images, true digits, probabilities) of a model on the split it was trained with."""
    X, y = test_split(model_id)
    return X, y, probabilities(model_id, X)


def inputs_for(records: list[ModelRecord], dataset: Dataset) -> tuple[dict[int, np.ndarray], np.ndarray, list[str]]:
    """Each model's inputs for the same images of `dataset`, drawn in the model's own convention: ({model id:
    inputs}, the images every model could be shown, what was redrawn for whom, in words). An image too
    faint to redraw for one model is left out for all, so they are still scored on the same images."""
    drawn: dict[ImageConvention, tuple[np.ndarray, np.ndarray]] = {}
    owners: dict[ImageConvention, list[int]] = {}
    for record in records:
        conv = ImageConvention.from_dict(record.convention)
        key = replace(conv, deskew=False)
        if key not in drawn:
            drawn[key] = render(dataset.X, dataset.convention, conv)
        owners.setdefault(key, []).append(record.id)
    keep = np.logical_and.reduce([ok for _, ok in drawn.values()])
    inputs = {m: drawn[key][0][keep] for key, ids in owners.items() for m in ids}
    redrawn = [f"model{'s' if len(ids) > 1 else ''} {', '.join(str(m) for m in ids)} as {title(key)}"
               for key, ids in owners.items() if not same_form(key, dataset.convention)]
    return inputs, np.flatnonzero(keep), redrawn


def _drawn_note(redrawn: list[str], left_out: int) -> str:
    if not redrawn:
        return ""
    note = f", each model shown them in its own form ({'; '.join(redrawn)})"
    if left_out:
        note += f"; {left_out:,} too faint to redraw are left out"
    return note


def evaluate(model_id: int, spec: str | None = None, *, whole: bool = False) -> dict:
    """Metrics of a model on a dataset (`python -m ml evaluate`), with `scored` saying which images.
    On the model's own dataset (the default) only its test split is scored, as at training: the
    images it trained on would flatter it. `whole=True` scores every image of `spec` (e.g. all the
    feedback users gave) and says so when the model trained on some of them."""
    record = _record(model_id)
    spec = spec or record.dataset
    if spec == record.dataset and not whole:
        X, y = test_split(model_id)
        scored = (f"the {len(y):,} test images of {spec} (model {model_id}'s own test split, never trained on; "
                  "score the whole dataset with --all)")
    else:
        dataset = load_spec(spec)
        inputs, index, redrawn = inputs_for([record], dataset)
        X, y = inputs[model_id], dataset.y[index]
        if len(y) == 0:
            raise DatasetError(f"None of the images of {spec} could be redrawn for model {model_id}.")
        scored = f"all {len(y):,} images of {spec}" + (
            f", including the {record.split.get('n_train', 0):,} model {model_id} trained on"
            if spec == record.dataset else "") + _drawn_note(redrawn, len(dataset.y) - len(y))
    proba = probabilities(model_id, X)
    return {"model_id": model_id, "dataset": spec, "scored": scored,
            **classification_metrics(y, proba, np.arange(10))}


def shared_test_predictions(model_ids: list[int], spec: str | None = None) -> SharedScores:
    """Images every model can be fairly scored on. Without `spec`, the models must come from one
    dataset, unchanged since they trained on it: the images in all their test splits (seeds may
    differ), which none of them trained on. With `spec`, the whole of that dataset (a model that
    trained on some of it is flattered; the note says which images they are), each model shown them
    in its own convention (ml.recognition.rendering)."""
    records = [_record(m) for m in model_ids]
    if spec is not None:
        dataset = load_spec(spec)
        inputs, index, redrawn = inputs_for(records, dataset)
        if len(index) == 0:
            raise DatasetError(f"None of the images of {spec} could be redrawn for every model.")
        note = f"all {len(index):,} images of {spec}" + _drawn_note(redrawn, len(dataset.y) - len(index))
        return SharedScores(dataset.X[index], dataset.y[index],
                            {m: probabilities(m, inputs[m]) for m in model_ids}, note)
    if len({r.dataset for r in records}) > 1:
        raise DatasetError("These models were trained on different datasets: pick one dataset to score them "
                           "all on.")
    dataset = load_spec(records[0].dataset)
    for record in records:
        provenance.check_unchanged(record, dataset)
    index = _test_index(records[0], dataset)
    for record in records[1:]:
        index = np.intersect1d(index, _test_index(record, dataset))
    if len(index) == 0:
        raise DatasetError("No image of the dataset is in every model's test split: pick a dataset to score "
                           "them on.")
    same = len({(r.split["seed"], r.split["test_size"]) for r in records}) == 1
    note = (f"the {len(index):,} test images of {dataset.name} they share" if same else
            f"the {len(index):,} images of {dataset.name} in every model's test split (none trained on them)")
    X = dataset.X[index]
    return SharedScores(X, dataset.y[index], {m: probabilities(m, X) for m in model_ids}, note)

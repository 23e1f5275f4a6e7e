"""Which data a model was trained on: the dataset record and its content hash.

A SPEC names data that can change (`feedback` grows with every correction; a folder can be edited),
so the SPEC alone cannot rebuild a test split faithfully. The hash recorded at training time tells
a rebuild whether it is looking at the same images; when it is not, it says so instead of scoring
a test split that may now hold images the model trained on.
"""
from __future__ import annotations

import hashlib

import numpy as np

from data import dataset_records
from data.registry import ModelRecord
from ml.datasets.splits import Dataset
from ml.errors import DatasetError


def content_sha256(dataset: Dataset) -> str:
    """sha256 of the images and their digits, as the model saw them (order included: splits are by index)."""
    digest = hashlib.sha256(np.ascontiguousarray(dataset.X).tobytes())
    digest.update(np.ascontiguousarray(dataset.y).tobytes())
    return digest.hexdigest()


def register_dataset(dataset: Dataset, *, by: str) -> tuple[int, str]:
    """Record a dataset (counts, convention, content hash); returns (record id, content sha256)."""
    digest = content_sha256(dataset)
    record_id = dataset_records.upsert(
        spec=dataset.name, source=dataset.source, n_samples=int(len(dataset.y)),
        class_counts=np.bincount(dataset.y, minlength=10).tolist(), convention=dataset.convention.to_dict(),
        content_sha256=digest, registered_by=by)
    return record_id, digest


def check_unchanged(record: ModelRecord, dataset: Dataset) -> None:
    """Raise DatasetError when `dataset` is not the data `record` was trained on.

    Models registered before hashes were kept (no `dataset_sha256`) cannot be checked and pass.
    """
    if not record.dataset_sha256 or content_sha256(dataset) == record.dataset_sha256:
        return
    split = record.split or {}
    then = sum(int(split.get(k) or 0) for k in ("n_train", "n_val", "n_test"))
    counts = f" ({then:,} images then, {len(dataset.y):,} now)" if then and then != len(dataset.y) else ""
    raise DatasetError(
        f"The {record.dataset} data has changed since model {record.id} was trained on it{counts}, so its test "
        "split cannot be rebuilt: the rebuilt split could hold images the model trained on. Score it on a "
        "dataset you name (Compare, or `python -m ml evaluate`), or train it again.")

"""The default model, in one place: its data, its family and parameters (its "not sure" threshold is
measured by `ml.lab.fitting.confidence_threshold`, as for every model).

Start-up and `python -m ml init` train `DEFAULT_FAMILY` with `DEFAULT_PARAMS` on `load_handwriting()`
(dataset SPEC `handwriting`, convention canon28): ~35 s to build the data and ~20 s to fit on one
core. While that runs, a server can serve `INTERIM`: the same recipe on the sources without their
distorted copies (SPEC `handwriting:quick`, ~10 s + ~4 s), which reads held-back writers about a
point worse. (The old embedded-digits SVC trains in a second but reads about half of real scans.)
"""
from __future__ import annotations

from sklearn.pipeline import Pipeline

from ml import config
from ml.datasets.handwriting import load_handwriting
from ml.datasets.splits import Dataset
from ml.models.families import DEFAULT_FAMILY, DEFAULT_PARAMS, build_model
from ml.recognition.conventions import CANON_28

SPEC = "handwriting"
SPEC_ENV = config.DEFAULT_DATA  # another dataset SPEC for the default model, e.g. handwriting:quick on a slow machine
CONVENTION = CANON_28
# The quick stand-in while the default trains: (dataset SPEC, family, params).
INTERIM = ("handwriting:quick", DEFAULT_FAMILY, DEFAULT_PARAMS)

__all__ = ["DEFAULT_FAMILY", "DEFAULT_PARAMS", "INTERIM", "SPEC", "build_default", "fit_default", "load_handwriting"]


def spec() -> str:
    """The dataset SPEC the default model trains on: `handwriting` unless DIGITLAB_DEFAULT_DATA says otherwise."""
    return config.get(SPEC_ENV) or SPEC


def build_default(seed: int = 0) -> Pipeline:
    """A fresh, unfitted default pipeline."""
    return build_model(DEFAULT_FAMILY, {**DEFAULT_PARAMS, "seed": seed})


def fit_default(dataset: Dataset | None = None, seed: int = 0) -> Pipeline:
    """The default model fitted on all of `dataset` (default: load_handwriting(seed)); for the bench and tests."""
    dataset = dataset or load_handwriting(seed)
    return build_default(seed).fit(dataset.X, dataset.y)

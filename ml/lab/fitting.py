"""Fitting with progress: families that grow step by step (trees, boosting rounds, epochs) report
each step, and a step report may raise to stop the fit (a cancelled job stops within a step,
not after the whole fit). Families that fit in one call (SVC, k-NN, logistic regression) report
nothing in between; their fit is one stage.

The fitted model is the same as a plain `fit`: forests and boosting grow with `warm_start`
(tree seeds are drawn in the same order), XGBoost and the MLP are watched, not changed.

`fit_and_score` is the whole experiment without side effects (no database, no audit, no files):
split, augment, fit, score. Training composes it with the lifecycle; a tuning objective calls it alone.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from ml.datasets.augment import Augmentation, augment
from ml.datasets.splits import Dataset, split
from ml.errors import RequestError
from ml.evaluation.confidence import not_sure_threshold
from ml.evaluation.metrics import classification_metrics
from ml.models.families import FAMILIES, build_model
from ml.recognition.conventions import ImageConvention
from ml.runtime import threads

log = logging.getLogger(__name__)

StepReport = Callable[[int, int, str], None]  # (done, total, unit) e.g. (40, 300, "trees")
Progress = Callable[..., None]  # (stage, fraction, detail="", *, done=None, total=None)
VALIDATION_KEYS = ("accuracy", "macro_f1", "log_loss", "n_test")


def quiet(stage: str, fraction: float, detail: str = "", **_: Any) -> None:
    log.debug("%s %.0f%% %s", stage, fraction * 100, detail)


@dataclass(frozen=True)
class FitResult:
    """A fitted pipeline and what it scored; nothing is saved yet (see ml.lab.lifecycle.register)."""
    pipeline: Pipeline
    family: str
    params: dict[str, Any]          # the family's defaults for the convention, overridden by the request
    convention: ImageConvention     # the dataset's, with the deskew choice
    metrics: dict[str, Any]         # on the test split; metrics["validation"] when a share was held out
    split: dict[str, Any]           # seed, sizes and counts: enough to rebuild the test split
    fit_seconds: float


def fit_and_score(dataset: Dataset, family: str, params: dict | None = None, *, seed: int = 0,
                  test_size: float = 0.2, val_size: float = 0.0, augmentation: Augmentation | None = None,
                  deskew: bool | None = None, progress: Progress = quiet) -> FitResult:
    """Fit on the seeded train split, score on its test split (and validation share, scored apart).

    Parameters not given take the family's defaults for the dataset's image convention; `deskew`
    None follows the convention. The test split does not depend on the validation share, and
    augmentation only ever touches the training images.
    """
    if family not in FAMILIES:
        raise RequestError(f"Unknown model family {family!r}; choose one of {', '.join(FAMILIES)}.")
    convention = dataset.convention
    if deskew is not None and deskew != convention.deskew:
        convention = replace(convention, deskew=bool(deskew))
    merged = {**FAMILIES[family].defaults_for(convention.name), **(params or {})}
    progress("splitting", 0.05)
    parts = split(dataset.X, dataset.y, seed=seed, test_size=test_size, val_size=val_size)
    train, test, val = parts["train"], parts["test"], parts.get("val")
    pipeline = build_model(family, merged, deskew=convention.deskew)
    X_train, y_train = dataset.X[train], dataset.y[train]
    if augmentation is not None and augmentation.copies > 0:
        progress("augmenting", 0.08)
        X_train, y_train = augment(X_train, y_train, dataset.convention, augmentation)
    progress("fitting", 0.1)
    started = time.perf_counter()
    fit(pipeline, X_train, y_train, lambda done, total, unit: progress(
        "fitting", 0.1 + 0.7 * done / total, f"{done:,} of {total:,} {unit}", done=done, total=total))
    fit_seconds = time.perf_counter() - started
    progress("evaluating", 0.8)
    metrics = classification_metrics(dataset.y[test], pipeline.predict_proba(dataset.X[test]), pipeline.classes_)
    if val is not None and len(val):
        scored = classification_metrics(dataset.y[val], pipeline.predict_proba(dataset.X[val]), pipeline.classes_)
        metrics["validation"] = {k: scored[k] for k in VALIDATION_KEYS}
    threshold = confidence_threshold(pipeline, dataset.X[val] if val is not None and len(val) else None,
                                     dataset.y[val] if val is not None and len(val) else None)
    if threshold is not None:
        metrics["confidence_threshold"] = threshold
    split_info = {"seed": seed, "test_size": test_size, "val_size": val_size, "n_train": int(len(train)),
                  "n_val": int(len(val)) if val is not None else 0, "n_test": int(len(test)),
                  "augmentation": augmentation.to_dict() if augmentation else None, "n_fit": int(len(y_train))}
    return FitResult(pipeline, family, merged, convention, metrics, split_info, fit_seconds)


TARGET_ACCURACY = 0.9  # below the threshold a model is right less often than this


def confidence_threshold(pipeline: Pipeline, X_val=None, y_val=None,
                         target_accuracy: float = TARGET_ACCURACY) -> float | None:
    """The "not sure" threshold of a fitted model: the confidence below which it is right less than
    `target_accuracy` of the time, measured on data it never trained on — the validation share when
    there is one, else the held-back share its calibration step kept (hog_svc). None when neither
    exists: predictions then use the predictor's fixed fallback."""
    if X_val is not None and y_val is not None and len(y_val) >= 20:
        classes = np.asarray(pipeline.classes_, dtype=int)
        proba = np.zeros((len(X_val), 10))
        proba[:, classes] = pipeline.predict_proba(X_val)
        return float(not_sure_threshold(np.asarray(y_val), proba, target_accuracy, method="logistic"))
    kept = getattr(pipeline.steps[-1][1], "confidence_threshold_", None)
    return float(kept) if kept is not None else None


_STEPS = 20  # forests and histogram boosting grow in ~20 chunks: finer costs refits, coarser feels stuck


def fit(pipeline: Pipeline, X, y, on_step: StepReport | None = None) -> Pipeline:
    """Fit the pipeline; the final estimator reports its steps to `on_step` where it has any."""
    with threads.limited():  # OpenMP fits on a shared machine: see ml.runtime.threads
        return _fit(pipeline, X, y, on_step)


def _fit(pipeline: Pipeline, X, y, on_step: StepReport | None) -> Pipeline:
    estimator = pipeline.steps[-1][1]
    if on_step is None or not _reports_steps(estimator):
        return pipeline.fit(X, y)
    Xt = Pipeline(pipeline.steps[:-1]).fit_transform(X, y) if len(pipeline.steps) > 1 else X
    if isinstance(estimator, RandomForestClassifier):
        _grow(estimator, "n_estimators", Xt, y, on_step, "trees")
    elif isinstance(estimator, HistGradientBoostingClassifier):
        _grow(estimator, "max_iter", Xt, y, on_step, "boosting rounds")
    elif isinstance(estimator, MLPClassifier):
        _watch_epochs(estimator, Xt, y, on_step)
    else:
        _watch_rounds(estimator, Xt, y, on_step)
    return pipeline


def _reports_steps(estimator) -> bool:
    if isinstance(estimator, (RandomForestClassifier, HistGradientBoostingClassifier, MLPClassifier)):
        return True
    return type(estimator).__name__ == "XGBClassifier"  # not imported here: xgboost is slow to import


def _grow(estimator, count: str, X, y, on_step: StepReport, unit: str) -> None:
    total = int(estimator.get_params()[count])
    chunk = max(1, -(-total // _STEPS))
    estimator.set_params(warm_start=True)
    try:
        for target in range(chunk, total + chunk, chunk):
            goal = min(target, total)
            estimator.set_params(**{count: goal})
            estimator.fit(X, y)
            done = int(estimator.n_iter_) if count == "max_iter" else goal
            on_step(done, total, unit)
            if done < goal:  # boosting stopped early on its own validation score
                break
    finally:
        estimator.set_params(warm_start=False, **{count: total})


def _watch_epochs(estimator: MLPClassifier, X, y, on_step: StepReport) -> None:
    # scikit-learn's MLP has no callback; its epoch loop calls this method once per epoch.
    original = estimator._update_no_improvement_count
    total = int(estimator.max_iter)

    def after_epoch(*args, **kwargs):
        original(*args, **kwargs)
        on_step(int(estimator.n_iter_), total, "epochs")
    estimator._update_no_improvement_count = after_epoch
    try:
        estimator.fit(X, y)
    finally:
        del estimator._update_no_improvement_count  # the artifact must not pickle the hook


def _watch_rounds(estimator, X, y, on_step: StepReport) -> None:
    from xgboost.callback import TrainingCallback
    total = int(estimator.get_params()["n_estimators"])

    class Report(TrainingCallback):
        def after_iteration(self, model, epoch, evals_log) -> bool:
            estimator.growing_booster_ = model  # the half-grown booster, for a pruner to score (see tuning)
            on_step(epoch + 1, total, "boosting rounds")
            return False
    estimator.set_params(callbacks=[Report()])
    try:
        estimator.fit(X, y)
    finally:
        estimator.set_params(callbacks=None)
        estimator.__dict__.pop("growing_booster_", None)  # the artifact must not pickle it

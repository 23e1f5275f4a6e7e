"""The tuning objective: `objective(trial) -> float` for any family, in the optuna-examples spirit.

Trials are fitted on the training share and scored on the validation share (or k-fold CV of everything
but the test split); the test split is never predicted here: it stays for the final word on a promoted
model. The objective composes the same pieces as `fitting.fit_and_score` (seeded split, `build_model`,
`fitting.fit` with its step reports) rather than calling it, because fit_and_score also scores the
test split and keeps the half-grown model to itself, and pruning needs to score that model per step.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import optuna
from sklearn import metrics as skm
from sklearn.pipeline import Pipeline

from ml.datasets.splits import Dataset, split
from ml.lab.fitting import fit
from ml.models.families import FAMILIES, build_model
from ml.tuning.space import Dim, suggest

STEPPED = ("random_forest", "hist_gb", "mlp", "xgboost")  # their half-grown model is scored as it grows
SCORED_STEPS = 20  # a trial is scored ~20 times as it grows (XGBoost reports every round)


class Stopped(Exception):
    """The study was asked to stop (the job's cancel); the running trial is recorded as failed."""


def score(objective: str, y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """The objective on one scoring share: accuracy and macro-F1 (higher is better), log-loss (lower)."""
    if objective == "log_loss":
        return float(skm.log_loss(y_true, np.clip(proba, 1e-15, 1.0), labels=list(classes)))
    y_pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    if objective == "macro_f1":
        return float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0))
    return float(skm.accuracy_score(y_true, y_pred))


def half_grown_proba(pipeline: Pipeline, X_score: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Probabilities of a model still being fitted: XGBoost's booster is only reachable from its
    round callback (`fitting._watch_rounds` leaves it on the estimator); the others predict as usual."""
    booster = getattr(pipeline.steps[-1][1], "growing_booster_", None)
    if booster is None:
        return pipeline.predict_proba(X_score)
    Xt = Pipeline(pipeline.steps[:-1]).transform(X_score) if len(pipeline.steps) > 1 else X_score
    proba = np.asarray(booster.inplace_predict(Xt))
    return proba if proba.ndim == 2 and proba.shape[1] == len(classes) else pipeline.predict_proba(X_score)


def scoring_folds(dataset: Dataset, *, seed: int, test_size: float, val_size: float,
                  cv_folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit indices, score indices) pairs; none of them touches the seeded test split."""
    if cv_folds >= 2:
        from sklearn.model_selection import StratifiedKFold
        pool = split(dataset.X, dataset.y, seed=seed, test_size=test_size)["train"]
        folds = StratifiedKFold(cv_folds, shuffle=True, random_state=seed).split(pool, dataset.y[pool])
        return [(pool[a], pool[b]) for a, b in folds]
    parts = split(dataset.X, dataset.y, seed=seed, test_size=test_size, val_size=val_size)
    return [(parts["train"], parts["val"])]


def make_objective(dataset: Dataset, family: str, dims: list[Dim], *, objective: str = "accuracy", seed: int = 0,
                   test_size: float = 0.2, val_size: float = 0.2, cv_folds: int = 0,
                   check: Callable[[], None] = lambda: None) -> Callable[[optuna.Trial], float]:
    """`objective(trial) -> float` for a family: suggest, fit, score on the validation share (or CV folds).

    Step-wise families report the validation score after each step (`trial.report`) and stop when the
    pruner says so; with CV, the mean so far is reported after each fold. `check` raises to stop.
    """
    folds = scoring_folds(dataset, seed=seed, test_size=test_size, val_size=val_size, cv_folds=cv_folds)
    defaults = FAMILIES[family].defaults_for(dataset.convention.name)
    X, y = dataset.X, dataset.y

    def fit_scored(trial: optuna.Trial, params: dict, fit_idx: np.ndarray, score_idx: np.ndarray,
                   stepwise: bool) -> float:
        pipeline = build_model(family, params, deskew=dataset.convention.deskew)
        steps = 0

        classes = np.unique(y[fit_idx])

        def on_step(done: int, total: int, unit: str) -> None:
            nonlocal steps
            check()
            if not stepwise or (done % max(1, total // SCORED_STEPS) and done < total):
                return
            steps += 1
            value = score(objective, y[score_idx], half_grown_proba(pipeline, X[score_idx], classes), classes)
            trial.report(value, steps)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after {done:,} of {total:,} {unit}")
        fit(pipeline, X[fit_idx], y[fit_idx], on_step)
        check()
        return score(objective, y[score_idx], pipeline.predict_proba(X[score_idx]), pipeline.classes_)

    def run(trial: optuna.Trial) -> float:
        params = {**defaults, **suggest(trial, dims)}
        if "seed" in params:
            params["seed"] = seed
        scores: list[float] = []
        for k, (fit_idx, score_idx) in enumerate(folds):
            scores.append(fit_scored(trial, params, fit_idx, score_idx, len(folds) == 1 and family in STEPPED))
            if len(folds) > 1:
                trial.report(float(np.mean(scores)), k)
                if k + 1 < len(folds) and trial.should_prune():
                    raise optuna.TrialPruned(f"pruned after fold {k + 1} of {len(folds)}")
        return float(np.mean(scores))
    return run

"""Fitting with progress: families that grow step by step (trees, boosting rounds, epochs) report
each step, and a step report may raise to stop the fit (a cancelled job stops within a step,
not after the whole fit). Families that fit in one call (SVC, k-NN, logistic regression) report
nothing in between; their fit is one stage.

The fitted model is the same as a plain `fit`: forests and boosting grow with `warm_start`
(tree seeds are drawn in the same order), XGBoost and the MLP are watched, not changed.
"""
from __future__ import annotations

from typing import Callable

from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

StepReport = Callable[[int, int, str], None]  # (done, total, unit) e.g. (40, 300, "trees")

_STEPS = 20  # forests and histogram boosting grow in ~20 chunks: finer costs refits, coarser feels stuck


def fit(pipeline: Pipeline, X, y, on_step: StepReport | None = None) -> Pipeline:
    """Fit the pipeline; the final estimator reports its steps to `on_step` where it has any."""
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
            on_step(epoch + 1, total, "boosting rounds")
            return False
    estimator.set_params(callbacks=[Report()])
    try:
        estimator.fit(X, y)
    finally:
        estimator.set_params(callbacks=None)

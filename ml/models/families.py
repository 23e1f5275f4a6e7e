"""Model families: each a Pipeline (scaling inside) so preprocessing travels with the artifact."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from ml.bounds import Bounded
from ml.models.calibration import HoldoutTemperature
from ml.models.deskew import Deskew
from ml.models.gate import DigitGate
from ml.models.hog import HOGFeatures
from ml.models.scaling import GlobalScaler
from ml.runtime.threads import fit_threads


@dataclass(frozen=True)
class Param(Bounded):
    """One tunable parameter: the form widget and the tuning search space come from this."""
    name: str
    kind: str                      # "int", "float", "choice"
    default: Any
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()
    help: str = ""
    # a better default for data of another image convention (by convention name), e.g. SVC's kernel
    # width: distances between 784-pixel MNIST images are ~12x those between 64-pixel digits.
    by_convention: tuple[tuple[str, Any], ...] = ()

    def default_for(self, convention: str | None) -> Any:
        return dict(self.by_convention).get(convention, self.default)


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    make: Callable[[dict], Pipeline]
    params: tuple[Param, ...] = field(default_factory=tuple)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def defaults_for(self, convention: str | None) -> dict[str, Any]:
        """Defaults tuned for data of that image convention (name), else the embedded digits' ones."""
        return {p.name: p.default_for(convention) for p in self.params}

    @property
    def help(self) -> dict[str, str]:
        return {p.name: p.help for p in self.params}


def _xgboost(p: dict) -> Pipeline:
    from xgboost import XGBClassifier  # imported on use: xgboost is slow to import
    return Pipeline([("model", XGBClassifier(
        n_estimators=p["n_estimators"], max_depth=p["max_depth"], learning_rate=p["learning_rate"],
        subsample=p["subsample"], tree_method="hist", n_jobs=fit_threads(), random_state=p["seed"], verbosity=0))])


def _hog_svc(p: dict) -> Pipeline:
    # One-vs-one margins, temperature fitted on a held-back 10 %: one SVC fit instead of
    # CalibratedClassifierCV's six, confidences that rank right above wrong, and the held-back
    # share gives the "not sure" threshold (model[-1].confidence_threshold_). See ml.models.calibration.
    pipeline = Pipeline([
        ("hog", HOGFeatures()),
        ("model", HoldoutTemperature(SVC(C=p["C"], gamma=p["gamma"], kernel="rbf", decision_function_shape="ovo",
                                         random_state=p["seed"]), holdout=0.1, random_state=p["seed"]))])
    if p.get("reject_non_digits", "off") == "on":  # the gate reads pixels: it wraps the whole pipeline
        return Pipeline([("model", DigitGate(pipeline, random_state=p["seed"]))])
    return pipeline


SEED = Param("seed", "int", 0, 0, 2**31 - 1, help="Random seed: the same seed gives the same model.")

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("svc", "SVC (RBF kernel)", lambda p: Pipeline([
        ("scale", GlobalScaler()),
        # SVC's own probability=True is deprecated in scikit-learn 1.9: calibrate explicitly. Temperature
        # scaling fits one parameter, so predict_proba stays cheaper than a sigmoid per class.
        ("model", CalibratedClassifierCV(SVC(C=p["C"], gamma=p["gamma"], kernel="rbf", random_state=p["seed"]),
                                         method="temperature", ensemble=False))]), (
        Param("C", "float", 10.0, 0.01, 1000.0, True, help="Penalty for misclassified training images: higher fits tighter."),
        Param("gamma", "float", 0.1, 0.001, 10.0, True, by_convention=(("mnist28", 0.03),),
              help="Kernel width on 0..1 pixels: higher means more local decision boundaries."),
        SEED)),
    Family("hog_svc", "HOG features + SVC (RBF), one-fit calibration", _hog_svc, (
        Param("C", "float", 10.0, 0.01, 1000.0, True, help="Penalty for misclassified training images: higher fits tighter."),
        Param("gamma", "float", 0.05, 0.001, 10.0, True,
              help="Kernel width on the orientation histograms: higher means more local decision boundaries."),
        Param("reject_non_digits", "choice", "off", choices=("off", "on"), by_convention=(("canon28", "on"),),
              help="Also learn what is not a digit (scribbles, letters, shapes) and answer those \"not sure\". "
                   "For the canonical form (canon28) only."),
        SEED)),
    Family("logreg", "Logistic regression", lambda p: Pipeline([
        ("scale", GlobalScaler()),
        ("model", LogisticRegression(C=p["C"], max_iter=p["max_iter"], random_state=p["seed"]))]), (
        Param("C", "float", 1.0, 0.001, 100.0, True, help="Inverse regularisation strength: higher trusts the data more."),
        Param("max_iter", "int", 1000, 100, 5000, help="Iterations of the solver before it stops."),
        SEED)),
    Family("knn", "k-nearest neighbours", lambda p: Pipeline([
        ("scale", GlobalScaler()),
        ("model", KNeighborsClassifier(n_neighbors=p["n_neighbors"], weights=p["weights"]))]), (
        Param("n_neighbors", "int", 3, 1, 30, help="How many nearest training images vote."),
        Param("weights", "choice", "distance", choices=("uniform", "distance"), help="Whether closer neighbours count more."),)),
    Family("random_forest", "Random forest", lambda p: Pipeline([
        ("model", RandomForestClassifier(n_estimators=p["n_estimators"], max_depth=p["max_depth"] or None,
                                         n_jobs=fit_threads(), random_state=p["seed"]))]), (
        Param("n_estimators", "int", 300, 10, 1000, help="Number of trees: more is steadier and slower."),
        Param("max_depth", "int", 0, 0, 50, help="Deepest a tree may grow; 0 means no limit."),
        SEED)),
    Family("hist_gb", "Histogram gradient boosting", lambda p: Pipeline([
        ("model", HistGradientBoostingClassifier(max_iter=p["max_iter"], learning_rate=p["learning_rate"],
                                                 max_leaf_nodes=p["max_leaf_nodes"], random_state=p["seed"]))]), (
        Param("max_iter", "int", 200, 10, 1000, help="Boosting rounds (trees per class)."),
        Param("learning_rate", "float", 0.1, 0.01, 1.0, True, help="How much each tree corrects the previous ones."),
        Param("max_leaf_nodes", "int", 31, 4, 255, help="Leaves per tree: more captures finer patterns."),
        SEED)),
    Family("xgboost", "XGBoost", _xgboost, (
        Param("n_estimators", "int", 300, 10, 2000, help="Boosting rounds."),
        Param("max_depth", "int", 6, 1, 15, help="Depth of each tree."),
        Param("learning_rate", "float", 0.1, 0.005, 1.0, True, help="Step size of each round."),
        Param("subsample", "float", 1.0, 0.3, 1.0, help="Share of training images each tree sees."),
        SEED)),
    Family("mlp", "Multi-layer perceptron", lambda p: Pipeline([
        ("scale", GlobalScaler()),
        ("model", MLPClassifier(hidden_layer_sizes=(p["hidden_units"],), alpha=p["alpha"], max_iter=p["max_iter"],
                                random_state=p["seed"]))]), (
        Param("hidden_units", "int", 256, 16, 2048, True, help="Neurons in the hidden layer."),
        Param("alpha", "float", 1e-4, 1e-6, 1e-1, True, help="L2 penalty on the weights."),
        Param("max_iter", "int", 300, 20, 2000, help="Training epochs at most."),
        SEED)),
)}

# The default model: SVC on the canonical form of ml.datasets.handwriting's data (see ml.lab.default_model and the
# recognition section of the bench). The parameters are its canon28 ones; on other conventions use
# FAMILIES[DEFAULT_FAMILY].defaults_for(name).
DEFAULT_FAMILY = "hog_svc"
DEFAULT_PARAMS: dict[str, Any] = FAMILIES[DEFAULT_FAMILY].defaults_for("canon28")


def build_model(family: str, params: dict | None = None, *, deskew: bool = False) -> Pipeline:
    """A fresh, unfitted pipeline; unknown families or parameters are refused with a clear reason.
    `deskew` puts the deskewing step first, so it travels with the artifact."""
    if family not in FAMILIES:
        raise ValueError(f"Unknown model family {family!r}; choose one of {', '.join(FAMILIES)}.")
    spec = FAMILIES[family]
    unknown = set(params or {}) - set(spec.defaults)
    if unknown:
        raise ValueError(f"{spec.label} has no parameter {', '.join(sorted(unknown))}; "
                         f"it takes {', '.join(spec.defaults)}.")
    merged = {**spec.defaults, **(params or {})}
    for p in spec.params:
        if p.kind in ("int", "float"):
            value = int(merged[p.name]) if p.kind == "int" else float(merged[p.name])
            if not p.within(value):
                raise ValueError(f"{p.name} must be between {p.low:g} and {p.high:g}, not {value:g}.")
            merged[p.name] = value
        elif merged[p.name] not in p.choices:
            raise ValueError(f"{p.name} must be one of {', '.join(p.choices)}.")
    pipeline = spec.make(merged)
    if deskew:
        pipeline.steps.insert(0, ("deskew", Deskew()))
    return pipeline

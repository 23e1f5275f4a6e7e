"""A tuning search space: one dimension per hyperparameter, prefilled from the family's `Param`s.

Seeds are not hyperparameters (a better seed is luck, not a setting), so they are never searched:
the study's seed is fixed and the same for every trial. A space is plain JSON (a list of dicts)
so it travels in a job request and in the studies table; `check_space` turns a bad edit into one
sentence before any work starts.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ml.bounds import Bounded
from ml.errors import RequestError

if TYPE_CHECKING:
    import optuna

NOT_SEARCHED = ("seed",)
GRID_FLOAT_POINTS = 5     # a float dimension on a grid: this many points, log-spaced when log
MAX_GRID = 500            # more grid points than this is not "a small space"


@dataclass(frozen=True)
class Dim(Bounded):
    """One searched hyperparameter: a number range (int/float, maybe log scale) or a set of choices."""
    name: str
    kind: str                   # "int", "float", "choice"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["choices"] = list(self.choices)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dim:
        return cls(str(data["name"]), str(data["kind"]), data.get("low"), data.get("high"), bool(data.get("log")),
                   tuple(data.get("choices") or ()))


def _families():
    from ml.models.families import FAMILIES  # scikit-learn: read when a space is built, not on import
    return FAMILIES


def default_space(family: str) -> list[Dim]:
    """The family's whole range for every hyperparameter (seeds left out)."""
    families = _families()
    if family not in families:
        raise RequestError(f"Unknown model family {family!r}; choose one of {', '.join(families)}.")
    return [Dim(p.name, p.kind, p.low, p.high, p.log, tuple(p.choices))
            for p in families[family].params if p.name not in NOT_SEARCHED]


def check_space(family: str, space: list[dict[str, Any]] | list[Dim]) -> list[Dim]:
    """The space with numbers cast, or RequestError with one sentence saying what to fix."""
    families = _families()
    if family not in families:
        raise RequestError(f"Unknown model family {family!r}; choose one of {', '.join(families)}.")
    specs = {p.name: p for p in families[family].params}
    dims = [d if isinstance(d, Dim) else Dim.from_dict(d) for d in space]
    if not dims:
        raise RequestError(f"The search space is empty: search at least one of {', '.join(default_space_names(family))}.")
    seen: set[str] = set()
    out = []
    for dim in dims:
        spec = specs.get(dim.name)
        if dim.name in NOT_SEARCHED:
            raise RequestError(f"{dim.name} is a seed, not a hyperparameter: the study fixes it instead of searching it.")
        if spec is None:
            raise RequestError(f"{family} has no parameter {dim.name!r}; its hyperparameters are "
                               f"{', '.join(default_space_names(family))}.")
        if dim.name in seen:
            raise RequestError(f"{dim.name} appears twice in the search space.")
        seen.add(dim.name)
        if spec.kind == "choice":
            choices = tuple(c for c in dim.choices if c in spec.choices)
            if not dim.choices:
                raise RequestError(f"{dim.name} has no choices left: keep at least one of {', '.join(spec.choices)}.")
            if len(choices) != len(dim.choices):
                raise RequestError(f"{dim.name} must choose among {', '.join(spec.choices)}.")
            out.append(Dim(dim.name, "choice", choices=choices))
            continue
        if dim.low is None or dim.high is None:
            raise RequestError(f"{dim.name} needs both a lowest and a highest value.")
        low, high = float(dim.low), float(dim.high)
        if math.isnan(low) or math.isnan(high):
            raise RequestError(f"{dim.name} needs numbers for its range.")
        if low > high:
            raise RequestError(f"The range of {dim.name} is inverted: {low:g} is above {high:g}.")
        if spec.kind == "int" and (low != int(low) or high != int(high)):
            raise RequestError(f"{dim.name} takes whole numbers; its range is {low:g} to {high:g}.")
        if spec.kind == "int" and math.ceil(low) > math.floor(high):
            raise RequestError(f"The range of {dim.name} is empty.")
        if dim.log and low <= 0:
            raise RequestError(f"A log-scale range cannot include 0 or less: {dim.name} starts at {low:g}; "
                               "start above 0 or turn log scale off.")
        if not (spec.within(low) and spec.within(high)):
            raise RequestError(f"{dim.name} must stay within {spec.low:g} to {spec.high:g}; got {low:g} to {high:g}.")
        if spec.kind == "int":
            low, high = int(low), int(high)
        out.append(Dim(dim.name, spec.kind, low, high, bool(dim.log)))
    return out


def default_space_names(family: str) -> list[str]:
    return [p.name for p in _families()[family].params if p.name not in NOT_SEARCHED]


def distributions(dims: list[Dim]) -> dict[str, optuna.distributions.BaseDistribution]:
    """Optuna's distributions for the space (what `study.add_trials` needs to rebuild past trials)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    out: dict[str, Any] = {}
    for d in dims:
        if d.kind == "choice":
            out[d.name] = CategoricalDistribution(list(d.choices))
        elif d.kind == "int":
            out[d.name] = IntDistribution(int(d.low), int(d.high), log=d.log)
        else:
            out[d.name] = FloatDistribution(float(d.low), float(d.high), log=d.log)
    return out


def suggest(trial: optuna.Trial, dims: list[Dim]) -> dict[str, Any]:
    """A trial's parameters: one suggestion per dimension."""
    params: dict[str, Any] = {}
    for d in dims:
        if d.kind == "choice":
            params[d.name] = trial.suggest_categorical(d.name, list(d.choices))
        elif d.kind == "int":
            params[d.name] = trial.suggest_int(d.name, int(d.low), int(d.high), log=d.log)
        else:
            params[d.name] = trial.suggest_float(d.name, float(d.low), float(d.high), log=d.log)
    return params


def grid(dims: list[Dim]) -> dict[str, list]:
    """The grid for a small space: every choice and whole number, a few points of a float range."""
    import numpy as np
    out: dict[str, list] = {}
    for d in dims:
        if d.kind == "choice":
            out[d.name] = list(d.choices)
        elif d.kind == "int":
            values = list(range(int(d.low), int(d.high) + 1))
            if len(values) > 50:
                raise RequestError(f"A grid needs a small space: {d.name} has {len(values)} values; narrow its "
                                   "range or use TPE or random search.")
            out[d.name] = values
        else:
            points = (np.geomspace if d.log else np.linspace)(float(d.low), float(d.high), GRID_FLOAT_POINTS)
            out[d.name] = sorted({float(p) for p in points})
    size = math.prod(len(v) for v in out.values())
    if size > MAX_GRID:
        raise RequestError(f"The grid would have {size:,} points (at most {MAX_GRID} for a grid); narrow the ranges "
                           "or use TPE or random search.")
    return out

"""The harness: figures register themselves; each is a median over repeats after a warm-up,
with a floor measured in the same run where one exists (absolute times drift on a shared machine).

Adding a figure is a few lines:

    @figure("predict path", unit="ms", target=5.0)
    def predict_path(ctx: Context) -> Measured:
        return Measured(samples=timed(ctx.repeats(200), work), floor=timed(ctx.repeats(200), bare_work))
"""
from __future__ import annotations

import json
import logging
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass
class Context:
    quick: bool
    workdir: Path
    shared: dict = field(default_factory=dict)  # state set up once and used by several figures
    smoke: bool = False  # the test suite's run: every figure once, on tiny sizes (plumbing, not figures)

    def repeats(self, full: int, quick: int | None = None) -> int:
        reduced = quick if quick is not None else max(3, full // 5)
        if self.smoke:
            return 1  # every figure once: the plumbing, not the numbers
        return reduced if self.quick else full

    def size(self, full: float, quick: float, smoke: float) -> float:
        """A workload size for the run's mode (full `make bench`, `--quick`, or the suite's `--smoke`)."""
        return smoke if self.smoke else quick if self.quick else full


@dataclass
class Measured:
    samples: list[float]
    floor: list[float] | None = None
    note: str = ""
    unit: str | None = None  # overrides the figure's unit when set
    target: float | None = None  # overrides the figure's target when set


@dataclass
class Row:
    name: str
    unit: str
    median: float
    low: float
    high: float
    target: float | None
    floor: float | None
    higher_is_better: bool
    note: str

    @property
    def failed(self) -> bool:
        """The figure raised (`failure`): no numbers, the error in `note`."""
        return math.isnan(self.median)

    @property
    def ratio(self) -> float | None:
        return self.median / self.floor if self.floor and not self.failed else None

    @property
    def status(self) -> str:
        if self.failed:
            return "failed"
        if self.target is None:
            return "info"
        ok = self.median >= self.target if self.higher_is_better else self.median <= self.target
        return "pass" if ok else "short"


@dataclass
class Figure:
    name: str
    unit: str
    target: float | None
    higher_is_better: bool
    run: Callable[[Context], Measured | dict[str, Measured]]
    group: str


FIGURES: list[Figure] = []


def figure(name: str, *, unit: str, target: float | None = None, higher_is_better: bool = False,
           group: str = "app") -> Callable:
    """Register a figure. The function may return one Measured, or a dict of sub-name -> Measured."""
    def register(fn: Callable[[Context], Measured | dict[str, Measured]]) -> Callable:
        FIGURES.append(Figure(name, unit, target, higher_is_better, fn, group))
        return fn
    return register


SMOKE = False  # set by `python -m bench --smoke`: no warm-up calls either


def timed(n: int, fn: Callable[[], object], *, warmup: int = 2, scale: float = 1000.0) -> list[float]:
    """n timings of fn after `warmup` untimed calls, in ms by default."""
    for _ in range(0 if SMOKE else warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * scale)
    return samples


def measure(fig: Figure, ctx: Context) -> list[Row]:
    """The rows of one figure (one, or one per name when it measures several), or its failure row."""
    try:
        measured = fig.run(ctx)
    except Exception as exc:  # noqa: BLE001 - any figure's error is reported in its row, not fatal to the run
        log.exception("figure %r failed", fig.name)
        return [failure(fig, exc)]
    items = measured.items() if isinstance(measured, dict) else [(fig.name, measured)]
    return [summarise(fig, name, m) for name, m in items]


def summarise(fig: Figure, name: str, measured: Measured) -> Row:
    floor = statistics.median(measured.floor) if measured.floor else None
    target = measured.target if measured.target is not None else fig.target
    return Row(name, measured.unit or fig.unit, statistics.median(measured.samples), min(measured.samples),
               max(measured.samples), target, floor, fig.higher_is_better, measured.note)


def failure(fig: Figure, exc: BaseException) -> Row:
    """The row of a figure that raised: the run goes on to the other figures (one figure timing out must
    not lose the whole run) and ends with a non-zero exit."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return Row(fig.name, fig.unit, math.nan, math.nan, math.nan, fig.target, None, fig.higher_is_better,
               f"failed: {text[:300]}")


def _number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.4g}"


def table(rows: list[Row]) -> str:
    head = ["figure", "median", "min", "max", "unit", "target", "floor", "ratio", "status"]
    body = [[r.name, _number(r.median), _number(r.low), _number(r.high), r.unit,
             "" if r.target is None else f"{'≥' if r.higher_is_better else '≤'}{r.target:g}",
             "" if r.floor is None else f"{r.floor:.4g}", "" if r.ratio is None else f"{r.ratio:.2f}x", r.status]
            for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(b) for b in body]
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    return "\n".join(out + ([""] + notes if notes else []))


def write_json(rows: list[Row], quick: bool, seconds: float, path: Path = RESULTS, *, mode: str | None = None) -> None:
    """The run's figures as bench/results.json; `python -m bench.report` turns it into docs/performance.md's table."""
    path.write_text(json.dumps({
        "quick": quick, "mode": mode or ("quick" if quick else "full"), "seconds": round(seconds, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "figures": [{"figure": r.name, **({"median": None, "min": None, "max": None} if r.failed else
                                          {"median": r.median, "min": r.low, "max": r.high}), "unit": r.unit,
                     "target": r.target, "higher_is_better": r.higher_is_better, "floor": r.floor,
                     "ratio_to_floor": r.ratio, "status": r.status, "note": r.note} for r in rows]}, indent=2))

"""The recognition section: how the default model reads digits it never trained on, per set and upload style.

Sets come from ml.datasets.generated.devsets (held-back MNIST writers, held-back fonts, the canvas pen, the embedded
test split, things that are not digits). The old default (SVC on the embedded 8x8 digits, digits8)
is scored on the same images in the same run: it is each row's floor, so the ratio column is how
many times better the default reads than it.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from bench.core import Context, Measured, figure
from ml.datasets.generated import devsets
from ml.datasets.handwriting import load_handwriting
from ml.datasets.splits import load_embedded, split
from ml.lab.default_model import fit_default
from ml.lab.fitting import confidence_threshold
from ml.models.families import FAMILIES, build_model
from ml.recognition.conventions import DIGITS_8X8, ImageConvention

TARGETS = {"embedded_test": 99.0, "canvas_pen": 97.0}


def _default(ctx: Context):
    """The active model when it is a canonical one, else the default fitted here (quick: on less data)."""
    from ml.models import artifacts
    from ml.prediction.predict import resolve_model
    active = resolve_model(None)
    conv = ImageConvention.from_dict(active.convention)
    if conv.form == "canonical":  # the whole model: its threshold is read from the fitted pipeline
        return artifacts.load(active.id).estimator, conv, f"active model {active.id}"
    started = time.perf_counter()
    data = load_handwriting(0, quick=ctx.quick)
    model = fit_default(data)
    return model, data.convention, (f"default fitted in the bench on {len(data.y):,} images in "
                                    f"{time.perf_counter() - started:.0f} s")


def _baseline():
    digits = load_embedded()
    train = split(digits.X, digits.y, seed=0)["train"]
    model = build_model("svc", FAMILIES["svc"].defaults_for("digits8")).fit(digits.X[train], digits.y[train])
    threshold = confidence_threshold(model, digits.X[train][:300], digits.y[train][:300])
    return model, threshold or 0.0  # nothing to measure it on: never "not sure"


def _scores(ctx: Context) -> dict:
    if "recognition" not in ctx.shared:
        model, conv, origin = _default(ctx)
        base, base_threshold = _baseline()
        threshold = confidence_threshold(model) or 0.0
        rows = []
        for dev in devsets.all_sets(ctx.quick):
            print(f"  … {dev.name} / {dev.style} ({len(dev.y)})", file=sys.stderr, flush=True)
            rows.append((dev, devsets.score(model, conv, dev, threshold),
                         devsets.score(base, DIGITS_8X8, dev, base_threshold)))
        ctx.shared["recognition"] = {"rows": rows, "threshold": threshold, "origin": origin}
    return ctx.shared["recognition"]


def _name(dev) -> str:
    return f"recognition: {dev.name} / {dev.style}"


@figure("recognition: accuracy", unit="%", target=95.0, higher_is_better=True, group="recognition")
def accuracy(ctx: Context) -> dict[str, Measured]:
    found = _scores(ctx)
    out: dict[str, Measured] = {}
    for dev, s, b in found["rows"]:
        if "accuracy" not in s:
            continue
        pairs = ", ".join(f"{k} ×{v}" for k, v in s["confusions"]) or "none"
        out[_name(dev)] = Measured(
            [100 * s["accuracy"]], floor=[max(100 * b["accuracy"], 0.01)], target=TARGETS.get(dev.name),
            note=(f"{s['n']} images; ECE {s['ece']:.1%}, AUROC {s['auroc']:.3f}, answered {s['coverage']:.0%} "
                  f"at threshold {found['threshold']:.2f} ({s['accuracy_answered']:.1%} right); "
                  f"confusions {pairs}; floor = old digits8 SVC"))
    mnist = [s["accuracy"] for dev, s, _ in found["rows"] if dev.name == "mnist_holdout"]
    base = [b["accuracy"] for dev, _, b in found["rows"] if dev.name == "mnist_holdout"]
    answers = np.stack([s["answers"] for dev, s, _ in found["rows"] if dev.name == "mnist_holdout"])
    base_answers = np.stack([b["answers"] for dev, _, b in found["rows"] if dev.name == "mnist_holdout"])
    out["recognition: one digit, every upload style, one answer"] = Measured(
        [100 * float((answers == answers[0]).all(axis=0).mean())],
        floor=[100 * float((base_answers == base_answers[0]).all(axis=0).mean())], target=90.0,
        note=f"share of the held-back digits read the same in all {len(answers)} styles; floor = old digits8 SVC")
    out["recognition: held-back MNIST writers, median over upload styles"] = Measured(
        [100 * statistics.median(mnist)], floor=[100 * statistics.median(base)],
        note=f"worst style {100 * min(mnist):.1f} %; model: {found['origin']}")
    return out


@figure("recognition: calibration error (ECE)", unit="%", target=3.0, group="recognition")
def calibration(ctx: Context) -> dict[str, Measured]:
    rows = _scores(ctx)["rows"]
    return {f"ECE: {dev.name} / {dev.style}": Measured([100 * s["ece"]], floor=[max(100 * b["ece"], 0.01)])
            for dev, s, b in rows if "ece" in s}


@figure("recognition: right ranked above wrong (AUROC)", unit="AUROC", target=0.9, higher_is_better=True,
        group="recognition")
def ranking(ctx: Context) -> dict[str, Measured]:
    rows = _scores(ctx)["rows"]
    return {f"AUROC: {dev.name} / {dev.style}": Measured([s["auroc"]], floor=[b["auroc"]])
            for dev, s, b in rows if "auroc" in s and np.isfinite(s["auroc"]) and np.isfinite(b["auroc"])}


@figure("recognition: not a digit answered confidently", unit="%", target=10.0, group="recognition")
def not_digit(ctx: Context) -> dict[str, Measured]:
    found = _scores(ctx)
    return {f"not a digit: {dev.name}": Measured(
        [max(100 * s["confident_share"], 0.01)], floor=[max(100 * b["confident_share"], 0.01)],
        note=f"{s['n']} scribbles and letters; {s['refused_blank']:.0%} refused as blank or a dot; "
             f"threshold {found['threshold']:.2f}")
        for dev, s, b in found["rows"] if "confident_share" in s}

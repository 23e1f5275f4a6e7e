"""The numbers section: how well whole numbers are read, per spacing, length and upload style.

Sets come from ml.reading.devset: numbers composed of the reported half of the held-back MNIST writers
(never trained on, and never tuned on: the reading is tuned on the other half) in four upload styles,
and numbers written with the canvas pen. The digit model is the one the recognition section scores (the
active canonical model, or the default fitted here). A string is "answered" when the reading is not
doubtful; right-among-answered is what a user who trusts the unflagged readings gets.
"""
from __future__ import annotations

import sys

import numpy as np

from bench.core import Context, Measured, figure, timed
from bench.recognition import _default
from ml.errors import DigitLabError
from ml.lab.fitting import confidence_threshold
from ml.reading import devset, read_image
from ml.reading.search import crop, groups, model_inputs
from ml.reading.segment import segment

TARGETS = {"separate": 97.0, "touching": 90.0}
LENGTH_BANDS = ((1, 3), (4, 6), (7, 9), (10, 12))


def _edits(a: str, b: str) -> int:
    """Levenshtein distance: digits lost, added or misread."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _read_all(model, conv, threshold, images, texts) -> list[dict]:
    out = []
    for image, text in zip(images, texts):
        try:
            r = read_image(image, model, conv, threshold)
            got, doubtful, ms = r.text, r.doubtful, r.latency_ms
        except DigitLabError:
            got, doubtful, ms = "", True, float("nan")
        digits = "".join(ch for ch in text if ch.isdigit())
        out.append({"text": text, "got": got, "right": got == text, "doubtful": doubtful, "ms": ms,
                    "length": len(digits),
                    "digit_errors": _edits(digits, "".join(ch for ch in got if ch.isdigit())), "digits": len(digits)})
    return out


def _results(ctx: Context) -> dict:
    if "numbers" in ctx.shared:
        return ctx.shared["numbers"]
    model, conv, origin = _default(ctx)
    threshold = confidence_threshold(model) or 0.0
    pool = devset._pool("report")
    per = int(ctx.size(40, 12, 2))
    runs: dict[tuple[str, str, str], list[dict]] = {}
    for spacing in devset.SPACINGS:
        for k, style in enumerate(devset.STYLES):
            print(f"  … numbers {spacing} / {style}", file=sys.stderr, flush=True)
            s = devset.numbers(per, (4,), spacing, style=style, seed=100 + k, pool=pool)
            runs[("4 digits", spacing, style)] = _read_all(model, conv, threshold, s.images, s.texts)
        s = devset.numbers(int(ctx.size(96, 24, 4)), tuple(range(1, 13)), spacing, style="ink_png", seed=200,
                           pool=pool, separators=True)
        runs[("1-12 digits", spacing, "ink_png")] = _read_all(model, conv, threshold, s.images, s.texts)
    rng = np.random.default_rng(300)
    for gap, spacing in ((0.0, "separate"), (0.3, "close"), (0.45, "touching")):
        texts = ["".join(map(str, rng.integers(0, 10, size=4))) for _ in range(int(ctx.size(40, 12, 2)))]
        images = [devset.pen_number(t, gap=gap, rng=rng, jitter=0.02, width=int(rng.integers(8, 20))) for t in texts]
        runs[("canvas 4 digits", spacing, "canvas")] = _read_all(model, conv, threshold, images, texts)
    ctx.shared["numbers"] = {"runs": runs, "model": model, "conv": conv, "threshold": threshold, "origin": origin}
    return ctx.shared["numbers"]


def _by_spacing(runs, kind: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for (k, spacing, _), rows in runs.items():
        if k == kind:
            out.setdefault(spacing, []).extend(rows)
    return out


@figure("numbers: whole strings right", unit="%", target=None, higher_is_better=True, group="numbers")
def strings_right(ctx: Context) -> dict[str, Measured]:
    found = _results(ctx)
    runs = found["runs"]
    out: dict[str, Measured] = {}
    for kind in ("4 digits", "canvas 4 digits"):
        for spacing, rows in _by_spacing(runs, kind).items():
            styles = ", ".join(f"{style} {100 * np.mean([r['right'] for r in rs]):.0f} %"
                               for (k, sp, style), rs in runs.items() if k == kind and sp == spacing)
            wrong = [f"{r['text']}→{r['got'] or '(refused)'}" for r in rows if not r["right"]][:3]
            out[f"numbers: {kind} / {spacing}"] = Measured(
                [100 * float(np.mean([r["right"] for r in rows]))],
                target=TARGETS.get(spacing) if kind == "4 digits" else None,
                note=f"{len(rows)} strings; {styles}; e.g. {', '.join(wrong) or 'none wrong'}; model: {found['origin']}")
    for spacing, rows in _by_spacing(runs, "1-12 digits").items():
        for low, high in LENGTH_BANDS:
            band = [r for r in rows if low <= r["length"] <= high]
            if band:
                out[f"numbers: {low}-{high} digits with separators / {spacing}"] = Measured(
                    [100 * float(np.mean([r["right"] for r in band]))], note=f"{len(band)} strings, ink on paper")
    return out


@figure("numbers: digits right", unit="%", target=None, higher_is_better=True, group="numbers")
def digits_right(ctx: Context) -> dict[str, Measured]:
    runs = _results(ctx)["runs"]
    out = {}
    for kind in ("4 digits", "1-12 digits", "canvas 4 digits"):
        for spacing, rows in _by_spacing(runs, kind).items():
            total = sum(r["digits"] for r in rows)
            out[f"numbers: digits of {kind} / {spacing}"] = Measured(
                [100 * (1 - sum(r["digit_errors"] for r in rows) / max(total, 1))],
                note=f"{total} digits; an error is a digit misread, lost or added (edit distance)")
    return out


@figure("numbers: right among unflagged strings", unit="%", target=99.0, higher_is_better=True, group="numbers")
def right_among_answered(ctx: Context) -> dict[str, Measured]:
    runs = _results(ctx)["runs"]
    out = {}
    for kind in ("4 digits", "1-12 digits", "canvas 4 digits"):
        for spacing, rows in _by_spacing(runs, kind).items():
            answered = [r for r in rows if not r["doubtful"]]
            share = len(answered) / max(len(rows), 1)
            right = float(np.mean([r["right"] for r in answered])) if answered else float("nan")
            out[f"numbers: unflagged {kind} / {spacing}"] = Measured(
                [100 * right], note=f"answered {share:.0%} of {len(rows)} (the rest flagged doubtful)")
    return out


@figure("numbers: read a 6-digit number vs 6 digits already cut", unit="ms", group="numbers")
def six_digits(ctx: Context) -> Measured:
    found = _results(ctx)
    model, conv, threshold = found["model"], found["conv"], found["threshold"]
    s = devset.numbers(1, (6,), "separate", seed=400, pool=devset._pool("report"))
    image = s.images[0]
    line = segment(image)
    run = [g for g in groups(line) if g.end - g.start == 1][:6]
    crops = [crop(line, g) for g in run]

    def singles():
        from ml.prediction.predictor import gated_probabilities
        from ml.recognition.canonical import canonical_input
        gated_probabilities(model, np.vstack([canonical_input(c, conv) for c in crops]))

    model_inputs(line, run, conv)  # warm caches alike
    return Measured(timed(ctx.repeats(20, 5), lambda: read_image(image, model, conv, threshold)),
                    floor=timed(ctx.repeats(20, 5), singles),
                    note=f"the reading ({s.texts[0]}) segments, scores every candidate group in one call and "
                         "searches; the floor is 6 canonical forms and one predict_proba on crops already cut")

"""Read a whole number: segment the ink, score every candidate digit with the digit model, take the best path.

The digit model (with its not-a-digit gate and its calibrated "not sure" threshold) is the only
source of digit knowledge. A number is wrong when any of its digits is, so a digit of a number must
clear more than a single digit does: its probability must reach most of the way from the model's threshold to
certainty (`string_floor`), and the model must read the same digit when the crop's canonical form is
redrawn with another pen or into a smaller box (`search.SECOND_OPINIONS`); otherwise it is "not sure".
The whole reading is doubtful when any digit is, or when a reading of another length is nearly as
likely (within `CLOSE_CALL` in log-probability): a merge or a split the search could not settle, or a
slash the digit model reads as a 1 (the segmentation tells them apart by lean alone, and some 1s lean
as far). These rules were chosen on the development half of the held-back writers (`ml.reading.devset`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ml.prediction.predictor import NOT_A_DIGIT_BELOW, gated_probabilities
from ml.reading import search
from ml.reading.errors import MAX_DIGITS, NotANumberError, TooManyDigitsError
from ml.reading.segment import Line, segment

CLOSE_CALL = 0.6     # a reading of another length this close (log-probability) to the best makes it doubtful
FLOOR_WAY = 0.75     # the least that keeps 99 % of unflagged dev strings right, separate and touching
ALTERNATIVES = 3


@dataclass(frozen=True)
class ReadDigit:
    digit: int
    confidence: float
    box: tuple[int, int, int, int]       # left, top, width, height in the image's pixels
    not_sure: bool
    likeliest: tuple[int, int]           # the two likeliest digits, best first ("5 or 3?")
    not_digit: bool
    probabilities: tuple[float, ...]
    model_input: np.ndarray              # (side, side): what the digit model saw


@dataclass(frozen=True)
class Reading:
    text: str                            # the digits with their separators ("14.50", "07/12")
    digits: tuple[ReadDigit, ...]
    confidence: float                    # the best path's share among the best paths found
    doubtful: bool
    alternatives: tuple[tuple[str, float], ...]  # the next likeliest strings with their shares
    threshold: float
    latency_ms: float
    split_doubt: bool = False            # a reading of another length is nearly as likely
    slash_doubt: bool = False            # a slash between digits reads as a 1 (the first alternative)

    @property
    def number(self) -> str:
        return self.text

    @property
    def shown(self) -> str:
        """The text with "?" for each doubtful digit ("14?0")."""
        out, k = [], 0
        for ch in self.text:
            if ch.isdigit():
                out.append("?" if self.digits[k].not_sure else ch)
                k += 1
            else:
                out.append(ch)
        return "".join(out)

    @property
    def question(self) -> str:
        """"5 or 3?" for each doubtful digit, joined ("" when none)."""
        return "; ".join(f"{d.likeliest[0]} or {d.likeliest[1]}?" for d in self.digits if d.not_sure)


def _shares(paths: list[search.Path]) -> np.ndarray:
    scores = np.array([p.score for p in paths])
    weights = np.exp(scores - scores.max())
    return weights / weights.sum()


def string_floor(threshold: float) -> float:
    """The probability each digit of a number must reach: `FLOOR_WAY` of the way from the model's threshold
    to certainty (0.975 for a threshold of 0.90)."""
    return 1.0 - (1.0 - threshold) * (1.0 - FLOOR_WAY)


def _slashes_as_ones(line: Line, best: search.Path, slashes: list[search.Group], proba: np.ndarray,
                     floor: float) -> list[search.Path]:
    """For each slash of the best reading that the digit model reads alone as a 1 at the string floor
    (`proba`: the slashes' rows), the reading with a 1 in its place, scored as the search scores a digit
    (at most as the answer)."""
    out, at = [], -1
    for g, row in zip(slashes, proba):
        at = best.text.index("/", at + 1)  # every path carries every separator, in the line's order
        if row[1] >= floor:
            # at most as likely as the answer: the lean, which the model does not see, made it a slash
            step = float(np.log(row[1])) + search.BONUS - search.shape_cost(g, line.height)
            out.append(search.Path(best.score + min(0.0, step), best.text[:at] + "1" + best.text[at + 1:], (), ()))
    return out


def _second_opinions(line, found, best, conv, estimator) -> np.ndarray:
    """Per digit of the best path: True when every variant of its canonical form reads the same digit."""
    chosen = [found[k] for k in best.groups]
    p, _ = gated_probabilities(estimator, search.second_opinion_inputs(line, chosen, conv))
    read = p.argmax(axis=1).reshape(len(search.SECOND_OPINIONS), len(chosen))
    return (read == np.array(best.digits)[None, :]).all(axis=0)


def read_image(image: Image.Image | np.ndarray, estimator, conv, threshold: float,
               length: int | None = None) -> Reading:
    """The reading of one image by a digit model (`estimator` in convention `conv`), or a sentence."""
    started = time.perf_counter()
    if length is not None and not 1 <= length <= MAX_DIGITS:
        raise NotANumberError(f"The expected length must be 1 to {MAX_DIGITS} digits.")
    line = segment(image)
    found = search.groups(line)
    slashes = search.slash_strokes(line) if length is None else []  # scored in the same model call
    X, usable = search.model_inputs(line, found + slashes, conv)
    proba = np.full((len(X), 10), 0.1)
    weight = np.ones(len(X))
    if usable.any():
        p, w = gated_probabilities(estimator, X[usable])
        proba[usable] = p
        if w is not None:
            weight[usable] = w
    n = len(found)
    paths = search.best_paths(line, found, proba[:n], usable[:n], length)
    if not paths:
        wanted = f" as {length} digits" if length else ""
        raise NotANumberError(f"No number could be read in this image{wanted}: write the digits on one line.")
    best = paths[0]
    if len(best.digits) > MAX_DIGITS:
        raise TooManyDigitsError()
    side = conv.size
    floor = string_floor(threshold)
    other = [p.score for p in paths[1:] if len(p.digits) != len(best.digits)]
    split_doubt = bool(other) and best.score - max(other) < CLOSE_CALL and length is None
    ones = _slashes_as_ones(line, best, slashes, proba[n:], floor)
    paths = [best, *sorted(ones + paths[1:], key=lambda p: -p.score)]
    shares = _shares(paths)
    agreed = _second_opinions(line, found, best, conv, estimator)
    digits = []
    for k, d, same in zip(best.groups, best.digits, agreed):
        g, row = found[k], proba[k]
        order = np.argsort(-row, kind="stable")
        box = (round(g.left * line.scale), round(g.top * line.scale),
               round(g.mask.shape[1] * line.scale), round(g.mask.shape[0] * line.scale))
        not_sure = bool(row[d] < floor or not same)
        digits.append(ReadDigit(d, float(row[d]), box, not_sure, (int(order[0]), int(order[1])),
                                not_sure and bool(weight[k] < NOT_A_DIGIT_BELOW), tuple(map(float, row)),
                                X[k].reshape(side, side)))
    if sum(d.not_digit for d in digits) * 2 > len(digits):
        raise NotANumberError("This does not look like a written number: most of its marks are not digits.")
    return Reading(best.text.strip(), tuple(digits), float(shares[0]),
                   any(d.not_sure for d in digits) or split_doubt or bool(ones),
                   tuple((p.text.strip(), float(s)) for p, s in zip(paths[1:ALTERNATIVES + 1], shares[1:])),
                   threshold, (time.perf_counter() - started) * 1000, split_doubt, bool(ones))

"""Which pieces form which digit: every run of consecutive pieces that could be one digit is scored
by the digit model through the canonical form (one `predict_proba` call for them all), and the best
readings are the best paths over those runs (a k-best dynamic programme over piece positions and
digit counts, so a reading of a known length is the best path of that length).

A path's score is the sum of log-probabilities of its digits, a bonus per digit, and priors on shape: a
group much wider than a digit is unlikely one digit, a group much shorter than the line is a fragment of
one, and two pieces that lie over each other are unlikely two.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml.errors import BlankImageError
from ml.reading.segment import LEVEL, Line, Piece, overlap, union
from ml.recognition.canonical import PEN_RADIUS, canonical, canonical_input

MAX_RUN = 4          # at most this many pieces form one digit
MAX_WIDTH = 1.5      # ... and they span at most this many line heights
MAX_GAP = 0.35       # ... with no gap between them wider than this (of H)
WIDE = 1.0           # a digit wider than this (of H) pays WIDE_COST per H beyond it
WIDE_COST = 6.0
SHORT = 0.6          # a digit shorter than this (of H) pays SHORT_COST per H below it: a fragment scaled up
SHORT_COST = 6.0     # by the canonical form reads as a confident digit, but it is part of one
CUT_COST = 1.0       # a digit boundary through a connected stroke (touching digits) must earn its place
BONUS = 0.5          # each digit read earns this much: log-probabilities alone favour fewer, wider digits
CHOICES = 3          # digits per group carried into the search
BEAM = 8             # partial readings kept per (position, digits so far)
# The canonical form redrawn with a thinner and a thicker pen and into a smaller box: a digit the model
# reads otherwise in any of them is on an edge of its knowledge, however confident the first reading.
SECOND_OPINIONS = ((2.0, 0), (3.4, 0), (PEN_RADIUS, 2))  # (pen radius, box made smaller by this many px)


@dataclass(frozen=True)
class Group:
    """A run of pieces [start, end) read as one digit."""

    start: int
    end: int
    top: int
    left: int
    mask: np.ndarray


@dataclass(frozen=True)
class Path:
    score: float
    text: str
    groups: tuple[int, ...]  # index into the scored groups, one per digit
    digits: tuple[int, ...]


def groups(line: Line) -> list[Group]:
    """Every run of consecutive non-separator pieces that could be one digit."""
    pieces, h = line.pieces, line.height
    out = []
    for start in range(len(pieces)):
        if pieces[start].sep:
            continue
        reach = pieces[start].right
        for end in range(start + 1, min(len(pieces), start + MAX_RUN) + 1):
            run = pieces[start:end]
            if run[-1].sep:
                break
            if end - start > 1 and run[-1].left - reach > MAX_GAP * h:
                break
            reach = max(reach, run[-1].right)
            top, left, mask = union(run)
            if mask.shape[1] > MAX_WIDTH * h:
                break
            out.append(Group(start, end, top, left, mask))
    return out


def slash_strokes(line: Line) -> list[Group]:
    """Each slash of the line as a group of its one piece: the stroke a leaning 1 would be."""
    return [Group(i, i + 1, p.top, p.left, p.mask) for i, p in enumerate(line.pieces) if p.sep == "/"]


def crop(line: Line, group: Group) -> np.ndarray:
    """The group's own ink with the soft edge of its strokes, as the canonical form sees a digit uploaded
    alone: the edge is taken a pixel beyond the group's box too (the canonical form crops at a fainter ink
    level than pieces are cut at), and no other piece's stroke is let in."""
    h, w = group.mask.shape
    top, left = max(0, group.top - 1), max(0, group.left - 1)
    bottom, right = min(line.ink.shape[0], group.top + h + 1), min(line.ink.shape[1], group.left + w + 1)
    mine = np.zeros((bottom - top, right - left), dtype=bool)
    mine[group.top - top:group.top - top + h, group.left - left:group.left - left + w] = group.mask
    near = mine.copy()
    near[1:] |= mine[:-1]
    near[:-1] |= mine[1:]
    near[:, 1:] |= near[:, :-1].copy()
    near[:, :-1] |= near[:, 1:].copy()
    ink = line.ink[top:bottom, left:right]
    near &= mine | (ink <= LEVEL)
    return np.where(near, ink, 0.0).astype(np.float32)


def model_inputs(line: Line, found: list[Group], conv) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, usable): each group's canonical model input; a dot-sized group is not usable."""
    X = np.zeros((len(found), conv.size ** 2))
    ok = np.ones(len(found), dtype=bool)
    for i, g in enumerate(found):
        try:
            X[i] = canonical_input(crop(line, g), conv)
        except BlankImageError:
            ok[i] = False
    return X, ok


def second_opinion_inputs(line: Line, chosen: list[Group], conv) -> np.ndarray:
    """(len(SECOND_OPINIONS) * len(chosen), side²): the chosen groups in each variant of the canonical
    form, variant by variant."""
    rows = []
    for pen, smaller in SECOND_OPINIONS:
        for g in chosen:
            form = canonical(crop(line, g), side=conv.size, box=conv.box - smaller, pen=pen)
            rows.append((form * conv.max_value).astype(np.float64).ravel())
    return np.array(rows).reshape(-1, conv.size ** 2)


def shape_cost(group: Group, h: float) -> float:
    return (WIDE_COST * max(0.0, group.mask.shape[1] / h - WIDE)
            + SHORT_COST * max(0.0, SHORT - group.mask.shape[0] / h))


def _split_cost(pieces: tuple[Piece, ...], at: int) -> float:
    """Cost of a digit boundary between pieces at-1 and at: strokes that lie over each other belong together."""
    if at <= 0 or at >= len(pieces) or pieces[at].sep or pieces[at - 1].sep:
        return 0.0
    cost = CUT_COST if pieces[at].component == pieces[at - 1].component else 0.0
    shared = overlap(pieces[at - 1], pieces[at])
    return cost + (-math.log(max(1e-3, 1.0 - 0.9 * shared)) if shared > 0.2 else 0.0)


def best_paths(line: Line, found: list[Group], proba: np.ndarray, usable: np.ndarray,
               length: int | None = None, keep: int = BEAM) -> list[Path]:
    """The best readings, best first: the k-best paths over the groups (of `length` digits when given)."""
    pieces, h = line.pieces, line.height
    starting: dict[int, list[int]] = {}
    for k, g in enumerate(found):
        if usable[k]:
            starting.setdefault(g.start, []).append(k)
    logp = np.log(np.clip(proba, 1e-6, 1.0))
    top = np.argsort(-proba, axis=1, kind="stable")[:, :CHOICES]
    states: dict[tuple[int, int], list[Path]] = {(0, 0): [Path(0.0, "", (), ())]}
    n = len(pieces)
    for i in range(n):
        for count in range(0, n + 1):
            here = states.pop((i, count), None)
            if not here:
                continue
            here = sorted(here, key=lambda p: -p.score)[:keep]
            if pieces[i].sep:
                states.setdefault((i + 1, count), []).extend(
                    Path(p.score, p.text + pieces[i].sep, p.groups, p.digits) for p in here)
                continue
            if length is not None and count >= length:
                continue
            for k in starting.get(i, []):
                g = found[k]
                cost = shape_cost(g, h) + _split_cost(pieces, g.end)
                for d in top[k]:
                    step = logp[k, d] - cost + BONUS
                    states.setdefault((g.end, count + 1), []).extend(
                        Path(p.score + step, p.text + str(int(d)), p.groups + (k,), p.digits + (int(d),))
                        for p in here)
    ends = [p for (i, count), paths in states.items() if i == n and (length is None or count == length)
            for p in paths]
    best: dict[str, Path] = {}
    for p in sorted(ends, key=lambda p: -p.score):
        best.setdefault(p.text.strip(), p)
    return list(best.values())[:keep]

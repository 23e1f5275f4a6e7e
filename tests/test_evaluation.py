"""Metrics against values worked out by hand on a tiny case (3 digits, 6 images)."""
from __future__ import annotations

import numpy as np
import pytest

from ml.evaluation.metrics import cell_examples, classification_metrics, disagreements, reliability, roc_curves

Y = np.array([0, 0, 1, 1, 2, 2])
PROBA = np.array([
    [0.8, 0.1, 0.1],  # 0 read as 0
    [0.3, 0.6, 0.1],  # 0 read as 1
    [0.2, 0.7, 0.1],  # 1 read as 1
    [0.1, 0.2, 0.7],  # 1 read as 2
    [0.1, 0.1, 0.8],  # 2 read as 2
    [0.2, 0.2, 0.6],  # 2 read as 2
])


def test_scalar_and_per_class_metrics_match_the_hand_computation():
    m = classification_metrics(Y, PROBA, np.arange(3))
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion"] == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]
    # digit 0: 1 of 1 "0" answers right, 1 of 2 zeros found; digit 1: 1 of 2, 1 of 2; digit 2: 2 of 3, 2 of 2
    per = {row["digit"]: row for row in m["per_class"]}
    assert [per[d]["precision"] for d in range(3)] == pytest.approx([1.0, 0.5, 2 / 3])
    assert [per[d]["recall"] for d in range(3)] == pytest.approx([0.5, 0.5, 1.0])
    assert [per[d]["f1"] for d in range(3)] == pytest.approx([2 / 3, 0.5, 0.8])
    assert m["macro_precision"] == pytest.approx((1 + 0.5 + 2 / 3) / 3)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0.8) / 3)
    assert m["weighted_recall"] == pytest.approx(4 / 6)  # equal supports: weighted recall is accuracy
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.3, 0.7, 0.2, 0.8, 0.6])))


def test_roc_areas_match_the_share_of_correctly_ordered_pairs():
    curves = roc_curves(Y, PROBA)
    # digit 1: its images score 0.7 and 0.2 against others' 0.1, 0.6, 0.1, 0.2 -> (4 + 2.5) / 8
    assert [curves[str(d)]["auc"] for d in range(3)] == pytest.approx([1.0, 6.5 / 8, 7 / 8])
    # micro: all 6 x 12 (positive, negative) pairs; the 12 negatives are 0.1 x7, 0.2 x3, 0.6, 0.7
    assert curves["micro"]["auc"] == pytest.approx((12 + 10 + 11.5 + 8.5 + 12 + 10.5) / 72)
    assert curves["macro"]["auc"] == pytest.approx((1.0 + 6.5 / 8 + 7 / 8) / 3, abs=0.01)


def test_reliability_cells_and_disagreements():
    bins = reliability(Y, PROBA)
    assert sum(bins["counts"]) == 6
    assert np.average(bins["accuracy"], weights=bins["counts"]) == pytest.approx(4 / 6)
    assert cell_examples(Y, PROBA, true_digit=0, predicted=1) == [1]
    assert cell_examples(Y, PROBA, true_digit=2, predicted=2) == [4, 5]
    other = PROBA.copy()
    other[1] = [0.9, 0.05, 0.05]  # a second model that reads image 1 right
    answers, where = disagreements([PROBA, other])
    assert where == [1] and answers[:, 1].tolist() == [1, 0]

"""Analytics aggregations against rows counted by hand: volume per day and source, confidence bins,
accuracy from the latest feedback by day and model, confused pairs and their images, per-user activity,
and the period's edges (a date includes its whole day)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from data import predictions
from data.queries import analytics

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 3)
# (user, source, model, digit, confidence, not sure, day, hour)
ROWS = [
    ("ana", "draw", 1, 3, 0.95, False, 1, 9),     # 1: confirmed right
    ("ana", "draw", 1, 5, 0.40, True, 1, 23),     # 2: was a 3
    ("vic", "upload", 2, 5, 0.55, True, 2, 0),    # 3: was a 3
    ("vic", "cli", 2, 7, 1.00, False, 2, 12),     # 4: was a 1
    ("bob", "upload", 2, 8, 0.70, False, 3, 23),  # 5: confirmed right
    ("bob", "draw", 1, 1, 0.85, False, 4, 0),     # 6: outside the period (the day after)
    ("ana", "batch", 1, 5, 0.10, False, 2, 8),    # 7: a relabelled test image, was a 3: not live traffic
]
FEEDBACK = {1: 3, 2: 3, 3: 3, 4: 1, 5: 8, 6: 0, 7: 3}


@pytest.fixture
def store(empty_store):
    predictions.append([
        predictions.PredictionRow(u, s, m, d, c, [0.1] * 10, [0.0] * 64, b"png-%d" % i, 1.0, needs_review=ns,
                                  filename=f"{predictions.RELABEL_PREFIX} 5" if s == "batch" else f"f{i}.png",
                                  ts=datetime(2026, 11, day, hour))
        for i, (u, s, m, d, c, ns, day, hour) in enumerate(ROWS, start=1)])
    for pid, true_digit in FEEDBACK.items():
        predictions.add_feedback(pid, "ana" if pid % 2 else "vic", true_digit, true_digit == ROWS[pid - 1][3])


def _records(frame, *columns):
    return [tuple(r) for r in frame[list(columns)].itertuples(index=False)]


def test_predictions_per_day_by_source(store):
    frame = analytics.per_day_by_source(SINCE, UNTIL)
    assert [(str(d)[:10], s, n) for d, s, n in _records(frame, "day", "source", "predictions")] == [
        ("2026-11-01", "draw", 2), ("2026-11-02", "batch", 1), ("2026-11-02", "cli", 1), ("2026-11-02", "upload", 1),
        ("2026-11-03", "upload", 1)]
    assert analytics.per_day_by_source(date(2026, 11, 4), date(2026, 11, 4))["predictions"].tolist() == [1]


def test_confidence_bins_per_digit(store):
    frame = analytics.confidence_by_digit(SINCE, UNTIL)
    assert _records(frame, "digit", "low", "predictions") == [
        (3, 0.95, 1), (5, 0.10, 1), (5, 0.40, 1), (5, 0.55, 1), (7, 0.95, 1), (8, 0.70, 1)]  # 1.00 in the top bin


def test_accuracy_from_the_latest_feedback_by_day_and_model(store):
    by_day = analytics.accuracy_by_day(SINCE, UNTIL)
    assert [(str(d)[:10], n, a) for d, n, a in _records(by_day, "day", "checked", "accuracy")] == [
        ("2026-11-01", 2, 0.5), ("2026-11-02", 2, 0.0), ("2026-11-03", 1, 1.0)]
    by_model = analytics.accuracy_by_model(SINCE, UNTIL)
    assert _records(by_model, "model_id", "checked") == [(1, 2), (2, 3)]
    assert by_model["accuracy"].tolist() == pytest.approx([1 / 2, 1 / 3])
    predictions.add_feedback(3, "bob", 5, True)  # a later answer replaces the earlier one
    assert analytics.accuracy_by_model(SINCE, UNTIL)["accuracy"].tolist() == pytest.approx([1 / 2, 2 / 3])


def test_confused_pairs_most_frequent_first_and_their_images(store):
    pairs = analytics.confused_pairs(SINCE, UNTIL)
    assert _records(pairs, "true_digit", "predicted", "times") == [(3, 5, 2), (1, 7, 1)]
    examples = analytics.pair_examples(SINCE, UNTIL, 3, 5)
    assert examples["id"].tolist() == [3, 2]  # newest first; the relabelled image (7) is not among them
    assert [bytes(b) for b in examples["image"]] == [b"png-3", b"png-2"]
    assert analytics.confused_pairs(SINCE, UNTIL, limit=1)["times"].tolist() == [2]


def test_user_activity_counts_predictions_and_feedback_given(store):
    frame = analytics.user_activity(datetime(2026, 11, 1), datetime(2026, 11, 2))  # a datetime end: exclusive
    assert _records(frame, "username", "predictions", "not_sure") == [("ana", 2, 1)]
    frame = analytics.user_activity(SINCE, UNTIL)
    assert _records(frame, "username", "predictions", "not_sure")[:3] == [("ana", 3, 1), ("vic", 2, 1), ("bob", 1, 0)]
    # feedback was given today, so it counts in a period that includes today, for its author
    today = analytics.user_activity(date.today(), date.today())
    assert sorted(_records(today, "username", "predictions", "feedback")) == [("ana", 0, 4), ("vic", 0, 3)]


def test_totals_of_a_period(store):
    assert analytics.totals(SINCE, UNTIL) == {"predictions": 6, "not_sure": 2, "checked": 6, "confirmed": 2, "users": 3}
    assert analytics.totals(date(2020, 1, 1), date(2020, 1, 2))["predictions"] == 0

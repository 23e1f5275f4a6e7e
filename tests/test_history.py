"""History's query against rows counted by hand: each filter alone, filters together, the total count,
paging newest first, and the export reading back exactly the filtered table."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from data import exports, predictions
from data.queries import history
from data.queries.history import Filters
from ml.reports.exports import export

# (user, source, model, digit, confidence, not sure, day in November) -- ids 1..8 in this order
ROWS = [
    ("ana", "draw", 1, 3, 0.95, False, 1),
    ("ana", "upload", 1, 5, 0.40, True, 2),
    ("vic", "draw", 2, 3, 0.55, True, 3),
    ("vic", "cli", 2, 7, 0.99, False, 4),
    ("ana", "batch", 2, 8, 0.70, False, 5),
    ("bob", "upload", 1, 1, 0.85, False, 6),
    ("bob", "draw", 2, 3, 0.30, True, 7),
    ("ana", "draw", 1, 9, 0.60, False, 8),
]
# prediction id -> the real digit feedback gave (right for 1 and 4, wrong for 2, 3 and 7)
FEEDBACK = {1: 3, 2: 3, 3: 8, 4: 7, 7: 5}


@pytest.fixture
def store(empty_store):
    ids = predictions.append([
        predictions.PredictionRow(u, s, m, d, c, [0.1] * 10, [0.0] * 64, b"png-%d" % i, 1.0,
                                  filename=f"f{i}.png", needs_review=ns, ts=datetime(2026, 11, day, 12))
        for i, (u, s, m, d, c, ns, day) in enumerate(ROWS, start=1)])
    assert ids == list(range(1, 9))
    for pid, true_digit in FEEDBACK.items():
        predictions.add_feedback(pid, "ana", true_digit, true_digit == ROWS[pid - 1][3])
    return ids


def _ids(filters: Filters) -> list[int]:
    return history.page(filters, limit=100)["id"].tolist()


CASES = [
    (Filters(), [8, 7, 6, 5, 4, 3, 2, 1]),
    (Filters(owner="ana"), [8, 5, 2, 1]),
    (Filters(user="bob"), [7, 6]),
    (Filters(since=date(2026, 11, 3), until=date(2026, 11, 5)), [5, 4, 3]),  # until includes that day
    (Filters(until=datetime(2026, 11, 2, 12)), [1]),  # a datetime is an exclusive end
    (Filters(sources=("draw",)), [8, 7, 3, 1]),
    (Filters(sources=("cli", "batch")), [5, 4]),
    (Filters(model_ids=(2,)), [7, 5, 4, 3]),
    (Filters(digits=(3,)), [7, 3, 1]),
    (Filters(digits=(7, 9)), [8, 4]),
    (Filters(min_confidence=0.55, max_confidence=0.85), [8, 6, 5, 3]),
    (Filters(not_sure=True), [7, 3, 2]),
    (Filters(not_sure=False), [8, 6, 5, 4, 1]),
    (Filters(feedback=True), [7, 4, 3, 2, 1]),
    (Filters(feedback=False), [8, 6, 5]),
    (Filters(corrected=True), [7, 3, 2]),
    (Filters(corrected=False), [4, 1]),
    (Filters(owner="ana", sources=("draw", "upload"), corrected=True), [2]),
    (Filters(digits=(3,), not_sure=True, model_ids=(2,), since=date(2026, 11, 4)), [7]),
]


@pytest.mark.parametrize(("filters", "expected"), CASES)
def test_each_filter_selects_the_hand_counted_rows_newest_first(store, filters, expected):
    assert _ids(filters) == expected
    assert history.count(filters) == len(expected)


def test_pages_are_cut_in_sql_and_carry_the_latest_feedback_and_image(store):
    assert _ids(Filters()) == [8, 7, 6, 5, 4, 3, 2, 1]
    assert history.page(Filters(), limit=3, offset=3)["id"].tolist() == [5, 4, 3]
    predictions.add_feedback(7, "bob", 3, True)  # bob's later answer is the row's latest feedback
    row = history.page(Filters(digits=(3,)), limit=1).iloc[0]
    assert (row["id"], row["true_digit"], bool(row["is_correct"]), bytes(row["image"])) == (7, 3, True, b"png-7")
    assert _ids(Filters(corrected=True)) == [3, 2]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json", "xlsx"])
def test_the_export_reads_back_as_the_filtered_table(store, tmp_path, fmt):
    filters = Filters(sources=("draw", "upload"), feedback=True)
    shown = history.page(filters, limit=100).drop(columns=["image"])
    made = export("history", history.export_query(filters), fmt, "ana")
    path = tmp_path / made.file_name
    path.write_bytes(made.data)
    back = {"csv": pd.read_csv, "parquet": pd.read_parquet, "json": pd.read_json, "xlsx": pd.read_excel}[fmt](path)
    assert made.rows == len(shown) == 4
    assert back.columns.tolist() == shown.columns.tolist()
    assert back["id"].tolist() == shown["id"].tolist() == [7, 3, 2, 1]
    for column in ("username", "source", "filename"):
        assert back[column].tolist() == shown[column].tolist()
    assert back["confidence"].tolist() == pytest.approx(shown["confidence"].tolist())
    assert back["true_digit"].tolist() == shown["true_digit"].tolist() == [5, 8, 3, 3]
    assert [bool(v) for v in back["is_correct"]] == [bool(v) for v in shown["is_correct"]] == [False, False, False, True]
    assert pd.to_datetime(back["ts"]).dt.tz_localize(None).tolist() == shown["ts"].tolist()


def test_values_never_become_sql(store):
    sneaky = Filters(owner="ana' OR '1'='1", sources=("draw') OR ('1'='1",))
    assert _ids(sneaky) == []
    assert exports.count(history.export_query(sneaky)) == 0

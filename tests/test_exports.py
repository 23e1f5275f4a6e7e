"""Exports: every format reads back equal to the filtered table, Excel's row cap is a sentence, each export is audited."""
from __future__ import annotations

import csv
import functools
import io
import json
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data import audit, db
from data.exports import Query
from ml.errors import RequestError
from ml.reports import exports


@pytest.fixture
def table(empty_store):
    db.execute("CREATE TABLE sample AS SELECT range AS id, range % 10 AS digit, 'user' || (range % 3) AS who, "
               "TIMESTAMP '2026-01-01' + to_seconds(range) AS ts FROM range(500)")
    return Query("SELECT id, digit, who, ts FROM sample WHERE digit = ? ORDER BY id", [7])


def _read(fmt: str, data: bytes) -> pd.DataFrame:
    buf = io.BytesIO(data)
    return {"csv": pd.read_csv, "xlsx": pd.read_excel, "json": pd.read_json, "parquet": pd.read_parquet}[fmt](buf)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "parquet"])
def test_export_reads_back_as_the_filtered_table(table, fmt):
    made = exports.export("history", table, fmt, "ana")
    expected = db.frame(table.sql, table.params)
    back = _read(fmt, made.data)
    assert made.rows == len(expected) == 50
    assert made.file_name == f"history.{fmt}"
    assert back["id"].tolist() == expected["id"].tolist()
    assert back["who"].tolist() == expected["who"].tolist()
    assert pd.to_datetime(back["ts"]).dt.tz_localize(None).tolist() == expected["ts"].tolist()
    row = audit.page(username="ana").iloc[0]
    assert row["action"] == "export" and json.loads(row["detail"])["format"] == fmt


def test_too_many_rows_for_excel_is_refused_with_a_sentence(table, monkeypatch):
    monkeypatch.setattr(exports.store, "EXCEL_MAX_ROWS", 10)
    with pytest.raises(RequestError, match="more than an Excel export holds .* choose CSV or Parquet"):
        exports.export("history", table, "xlsx", "ana")
    assert audit.page(username="ana").iloc[0]["outcome"] == "error"


def test_excel_export_memory_does_not_grow_with_the_rows(empty_store, monkeypatch):
    """Rows are read in SQL pages and streamed to the sheet: ten times the rows, not ten times the memory."""
    import tracemalloc
    db.execute("CREATE TABLE many AS SELECT range AS id, 'file-' || range || '.png' AS name, range / 7 AS score "
               "FROM range(20000)")
    monkeypatch.setattr(exports.store, "pages", functools.partial(exports.store.pages, size=500))
    peaks = {}
    for n in (2_000, 20_000):
        tracemalloc.start()
        made = exports.export("many", Query("SELECT * FROM many WHERE id < ? ORDER BY id", [n]), "xlsx", "ana")
        peaks[n] = tracemalloc.get_traced_memory()[1] - len(made.data)  # the finished file is the download
        tracemalloc.stop()
        assert made.rows == n
    assert peaks[20_000] < 2 * peaks[2_000], peaks


def test_unknown_format_is_refused(table):
    with pytest.raises(RequestError, match="Unknown export format"):
        exports.export("history", table, "docx", "ana")


# --- formula cells (tests/corpus/formula_cells.py) -------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from formula_cells import HARMLESS, HOSTILE  # noqa: E402


@pytest.fixture
def cells(empty_store):
    texts = [*HOSTILE, *HARMLESS]
    db.execute("CREATE TABLE cells (n INTEGER, score DOUBLE, name VARCHAR, details JSON)")
    for i, text in enumerate(texts):
        db.execute("INSERT INTO cells VALUES (?, ?, ?, ?)", [-i, -i / 4, text, json.dumps(text)])
    return texts, Query("SELECT n, score, name, details FROM cells ORDER BY n DESC", [])


def _expected(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def test_csv_export_neutralises_formula_cells_and_keeps_numbers(cells):
    texts, query = cells
    made = exports.export("cells", query, "csv", "ana")
    rows = list(csv.reader(io.StringIO(made.data.decode("utf-8"))))
    assert rows[0] == ["n", "score", "name", "details"]
    assert [r[2] for r in rows[1:]] == [_expected(t) for t in texts]
    assert [r[0] for r in rows[1:]] == [str(-i) for i in range(len(texts))]  # negative numbers stay numbers
    assert rows[2][1] == "-0.25"
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row[2:]), row


def test_excel_export_writes_text_as_text_and_numbers_as_numbers(cells):
    texts, query = cells
    made = exports.export("cells", query, "xlsx", "ana")
    sheet = openpyxl.load_workbook(io.BytesIO(made.data)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(texts)
    for i, (n, score, name, details) in enumerate(rows):
        assert n.data_type == "n" and n.value == -i and score.value == -i / 4
        # XML reads a carriage return back as a line feed
        assert name.data_type in ("s", "inlineStr") and (name.value or "") == _expected(texts[i]).replace("\r", "\n")
        assert details.data_type in ("s", "inlineStr")
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_a_user_name_typed_at_sign_in_and_a_file_name_cannot_plant_a_formula(empty_store):
    from data import predictions
    from data.queries import history
    for text in HOSTILE:
        audit.record(text, "sign_in", "denied", "unknown user")
        predictions.insert(predictions.PredictionRow("ana", "upload", 1, 7, 0.9, [0.1] * 10, [0.0] * 784, b"",
                                                     3.5, text))
    for name, query in (("audit", audit.export_query(audit.Filters(action="sign_in"))),
                        ("history", history.export_query(history.Filters()))):
        for fmt in ("csv", "xlsx"):
            made = exports.export(name, query, fmt, "admin")
            if fmt == "csv":
                cells = [c for row in csv.reader(io.StringIO(made.data.decode("utf-8"))) for c in row]
                assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))], name
                assert not [c for c in cells if c.startswith("-") and not _number(c)], name
            else:
                sheet = openpyxl.load_workbook(io.BytesIO(made.data)).active
                assert not [c.value for row in sheet.iter_rows() for c in row if c.data_type == "f"], name
                text = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
                assert any(v.startswith("'=HYPERLINK") for v in text), name


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_safe_text_is_the_same_rule_for_frames_and_the_command_line():
    assert [exports.safe_text(t) for t in HOSTILE] == [_expected(t) for t in HOSTILE]
    assert [exports.safe_text(t) for t in HARMLESS] == list(HARMLESS)


def test_a_model_download_is_named_after_the_model(seeded_store):
    from data import registry
    from ml.models import artifacts
    record = registry.get(registry.active_id())
    name, data = artifacts.download(record.id)
    assert name == f"model-{record.id}-{record.family}.joblib" and data


def test_backups_beside_the_database_are_not_committed():
    import subprocess
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "check-ignore", "-q", "data/backups/digitlab-20260101T000000Z/users.parquet"],
                          cwd=root, capture_output=True)
    assert done.returncode == 0  # ignored

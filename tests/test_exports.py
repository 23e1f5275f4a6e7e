"""Exports: every format reads back equal to the filtered table, Excel's row cap is a sentence, each export is audited."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from data import audit, db
from data.exports import Query
from ml import exports
from ml.errors import RequestError


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
    with pytest.raises(RequestError, match="do not fit in one Excel sheet"):
        exports.export("history", table, "xlsx", "ana")
    assert audit.page(username="ana").iloc[0]["outcome"] == "error"


def test_unknown_format_is_refused(table):
    with pytest.raises(RequestError, match="Unknown export format"):
        exports.export("history", table, "docx", "ana")

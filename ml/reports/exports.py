"""Exports of any filtered table in the formats analysts use (CSV, Excel, JSON, Parquet), audited.

The rows come from a `data.exports.Query` built by the table's own module, so the file holds
exactly what the page's filters show. CSV, JSON and Parquet are written by DuckDB's `COPY`
(1,000,000 rows in well under a second); Excel is streamed by openpyxl's write-only mode from SQL
pages (memory holds one page, not the table) and refused beyond `EXCEL_MAX_ROWS` (100,000) rows with a
sentence pointing to CSV and Parquet. CSV and Excel cells that a spreadsheet would run as formulas start with a single quote
(`data.exports.neutralised`, `safe_text`); Excel's text cells are always text, never formulas.
"""
from __future__ import annotations

import json
import logging
import math
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from data import audit
from data import exports as store
from data.exports import FORMATS, Query
from ml.errors import RequestError

log = logging.getLogger(__name__)

LABELS = {"csv": "CSV", "xlsx": "Excel", "json": "JSON", "parquet": "Parquet"}


@dataclass(frozen=True)
class Export:
    """A finished file, ready for a download button or a CLI to write out."""

    data: bytes
    file_name: str
    mime: str
    rows: int


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "export"


def safe_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: `'` before a leading =, +, -, @, tab or carriage return."""
    return "'" + value if value.startswith(store.FORMULA_START) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame for a CSV written in Python (the Tuning page's trials): every text cell through `safe_text`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: safe_text(v) if isinstance(v, str) else v)
    return out


def _excel_cell(value):
    """What Excel can hold: numbers, times (without a time zone) and booleans as they are, text through
    `safe_text` without the control characters a sheet may not hold, lists and bytes as text."""
    if value is None or isinstance(value, (bool, int, Decimal, date, clock)):
        return value.replace(tzinfo=None) if isinstance(value, (datetime, clock)) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)):
        text = str(list(value))
    else:
        text = str(value)
    return safe_text(ILLEGAL_CHARACTERS_RE.sub("", text))


def _write_excel(query: Query, sheet: str, path: Path) -> int:
    """Stream the query into a one-sheet workbook; returns the rows written."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    rows = 0
    for names, batch in store.pages(query, store.EXCEL_MAX_ROWS):
        if rows == 0:
            ws.append([_excel_cell(n) for n in names])
        for row in batch:
            ws.append([_excel_cell(v) for v in row])
        rows += len(batch)
    if rows == 0:
        ws.append([_excel_cell(name) for name, _ in store.columns(query)])
    book.save(path)
    return rows


def export(name: str, query: Query, fmt: str, username: str) -> Export:
    """The rows of `query` as a file in `fmt`; the export is written to the audit log either way."""
    if fmt not in FORMATS:
        raise RequestError(f"Unknown export format '{fmt}': choose one of {', '.join(FORMATS)}.")
    started = time.perf_counter()
    file_name = f"{_safe_name(name)}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="digitlab-export-") as tmp:
        path = Path(tmp) / file_name
        if fmt == "xlsx":
            rows = store.count(query)
            if rows > store.EXCEL_MAX_ROWS:
                audit.record(username, "export", "error", json.dumps({"table": name, "format": fmt, "rows": rows}),
                             target=name)
                raise RequestError(f"{rows:,} rows are more than an Excel export holds (at most "
                                   f"{store.EXCEL_MAX_ROWS:,}): narrow the filters, or choose CSV or Parquet, which "
                                   "write any number of rows in seconds.", audited=True)
            _write_excel(query, re.sub(r"[][:*?/\\]", "-", name)[:31] or "export", path)
        else:
            store.copy(store.neutralised(query) if fmt == "csv" else query, fmt, path)
            rows = None
        data = path.read_bytes()
    if rows is None:
        rows = store.count(query)
    seconds = time.perf_counter() - started
    facts = {"table": name, "format": fmt, "rows": rows, "bytes": len(data), "seconds": round(seconds, 3)}
    audit.record(username, "export", "ok", json.dumps(facts), target=name, details=facts)
    log.info("export %s as %s: %d rows in %.2f s", name, fmt, rows, seconds)
    return Export(data=data, file_name=file_name, mime=FORMATS[fmt], rows=rows)

"""Exports of any filtered table in the formats analysts use (CSV, Excel, JSON, Parquet), audited.

The rows come from a `data.exports.Query` built by the table's own module, so the file holds
exactly what the page's filters show. CSV, JSON and Parquet are written by DuckDB's `COPY`
(1,000,000 rows in well under a second); Excel goes through pandas and is capped at a sheet's
1,048,575 rows with a sentence saying so.
"""
from __future__ import annotations

import json
import logging
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

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


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells Excel can hold: lists and bytes become text, time zones are dropped."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object:
            out[col] = series.map(lambda v: v if v is None or isinstance(v, (str, int, float, bool))
                                  else (f"<{len(v)} bytes>" if isinstance(v, (bytes, bytearray)) else str(list(v))
                                        if hasattr(v, "__iter__") else str(v)))
        elif isinstance(series.dtype, pd.DatetimeTZDtype):
            out[col] = series.dt.tz_localize(None)
    return out


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
                raise RequestError(f"{rows:,} rows do not fit in one Excel sheet (at most {store.EXCEL_MAX_ROWS:,}): "
                                   "narrow the filters or choose CSV or Parquet.", audited=True)
            _excel_ready(store.frame(query, store.EXCEL_MAX_ROWS)).to_excel(path, index=False, sheet_name=name[:31] or "export")
        else:
            store.copy(query, fmt, path)
            rows = None
        data = path.read_bytes()
    if rows is None:
        rows = store.count(query)
    seconds = time.perf_counter() - started
    facts = {"table": name, "format": fmt, "rows": rows, "bytes": len(data), "seconds": round(seconds, 3)}
    audit.record(username, "export", "ok", json.dumps(facts), target=name, details=facts)
    log.info("export %s as %s: %d rows in %.2f s", name, fmt, rows, seconds)
    return Export(data=data, file_name=file_name, mime=FORMATS[fmt], rows=rows)

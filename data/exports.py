"""Tables written to files inside DuckDB: a filtered query is streamed by `COPY`, never loaded whole.

Every export goes through here so that History, batch results, jobs, audit and usage share one
format list and one row cap. A query is handed over as (sql, params) by the module that owns the
table (see `Query`); this module never builds WHERE clauses of its own.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from data import db

if TYPE_CHECKING:
    import pandas as pd

FORMATS: dict[str, str] = {  # format -> MIME type
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
COPY_OPTIONS = {"csv": "FORMAT csv, HEADER", "json": "FORMAT json, ARRAY true", "parquet": "FORMAT parquet"}
EXCEL_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
COUNT = "SELECT count(*) FROM ({sql}) AS q"
CAPPED = "SELECT * FROM ({sql}) AS q LIMIT ?"


class Query(NamedTuple):
    """A SELECT and its parameters, as the owning data module builds it for its page's filters."""

    sql: str
    params: list


def count(query: Query) -> int:
    return int(db.one(COUNT.format(sql=query.sql), query.params)[0])


def copy(query: Query, fmt: str, path: Path) -> Path:
    """Write the query's rows to `path` (csv, json or parquet) with DuckDB's `COPY`."""
    target = str(Path(path).resolve()).replace("'", "''")
    db.execute(f"COPY ({query.sql}) TO '{target}' ({COPY_OPTIONS[fmt]})", query.params)
    return Path(path)


def frame(query: Query, limit: int) -> pd.DataFrame:
    """At most `limit` rows as a frame, for the formats DuckDB cannot write itself (Excel)."""
    return db.frame(CAPPED.format(sql=query.sql), [*query.params, limit])

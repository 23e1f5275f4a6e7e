"""Tables written to files inside DuckDB: a filtered query is streamed by `COPY`, never loaded whole.

Every export goes through here so that History, batch results, jobs, audit and usage share one
format list and one row cap. A query is handed over as (sql, params) by the module that owns the
table (see `Query`); this module never builds WHERE clauses of its own.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) as a
formula, and anyone can put such text in the log (a user name typed at sign-in) or in History (a file
name). `neutralised` prefixes those text cells with a single quote (OWASP's CSV-injection rule) inside
the query; numeric columns keep their numbers, negative ones included.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from data import db

FORMATS: dict[str, str] = {  # format -> MIME type
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
COPY_OPTIONS = {"csv": "FORMAT csv, HEADER", "json": "FORMAT json, ARRAY true", "parquet": "FORMAT parquet"}
EXCEL_SHEET_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
# What an Excel export writes at most: openpyxl writes a few thousand rows a second, so a sheet's worth
# would hold the page for minutes; CSV and Parquet (DuckDB's COPY) write any number of rows in seconds.
EXCEL_MAX_ROWS = 100_000
COUNT = "SELECT count(*) FROM ({sql}) AS q"
COLUMNS = "DESCRIBE SELECT * FROM ({sql}) AS q"
NEUTRALISED = "SELECT {columns} FROM ({sql}) AS q"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SAFE_CELL = ("CASE WHEN left({col}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN chr(39) || {col} "
             "ELSE {col} END")
_TEXT_TYPES = ("VARCHAR", "JSON", "BLOB")
CAPPED = "SELECT * FROM ({sql}) AS q LIMIT ?"


class Query(NamedTuple):
    """A SELECT and its parameters, as the owning data module builds it for its page's filters."""

    sql: str
    params: list


def count(query: Query) -> int:
    return int(db.one(COUNT.format(sql=query.sql), query.params)[0])


def columns(query: Query) -> list[tuple[str, str]]:
    """(name, DuckDB type) of every column the query returns."""
    return [(name, kind) for name, kind, *_ in db.rows(COLUMNS.format(sql=query.sql), query.params)]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def neutralised(query: Query) -> Query:
    """The same rows with every text cell that a spreadsheet would run as a formula prefixed by `'`."""
    parts = []
    for name, kind in columns(query):
        col = "q." + _quoted(name)
        if kind in _TEXT_TYPES or kind.startswith("ENUM"):
            text = col if kind == "VARCHAR" else f"CAST({col} AS VARCHAR)"
            parts.append(f"{SAFE_CELL.format(col=text)} AS {_quoted(name)}")
        else:
            parts.append(col)
    return Query(NEUTRALISED.format(columns=", ".join(parts), sql=query.sql), query.params)


def pages(query: Query, limit: int, size: int = 10_000) -> Iterator[tuple[list[str], list[tuple]]]:
    """At most `limit` rows of the query, `size` at a time (DuckDB streams the result: memory holds one
    page, not the table), each page with the column names."""
    cur = db.cursor().execute(CAPPED.format(sql=query.sql), [*query.params, limit])
    names = [d[0] for d in cur.description]
    while batch := cur.fetchmany(size):
        yield names, batch


def copy(query: Query, fmt: str, path: Path) -> Path:
    """Write the query's rows to `path` (csv, json or parquet) with DuckDB's `COPY`."""
    target = str(Path(path).resolve()).replace("'", "''")
    db.execute(f"COPY ({query.sql}) TO '{target}' ({COPY_OPTIONS[fmt]})", query.params)
    return Path(path)

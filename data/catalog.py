"""What the database holds: its tables, their row counts and content fingerprints, its sequences.

The Health page lists rows per table; a backup records each table's fingerprint so a restore can
prove every table came back equal. Table names come from DuckDB's own catalog (never from a
person) and are quoted as identifiers.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from data import db

TABLES = """
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary ORDER BY table_name"""
SEQUENCES = """
SELECT sequence_name, coalesce(last_value, start_value - increment_by) AS value FROM duckdb_sequences()
WHERE database_name = current_database() AND NOT temporary ORDER BY sequence_name"""
# Row count and an order-independent content hash: the sum of every row's hash (a sum, not an xor, so
# two equal rows do not cancel out). DuckDB's hash is stable for one DuckDB version, which is what a
# restore made by the same installation compares against.
FINGERPRINT = 'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM "{table}" AS t'
COUNT = 'SELECT count(*) FROM "{table}"'


@dataclass(frozen=True)
class TableFingerprint:
    table: str
    rows: int
    content: str  # the sum of the row hashes, as text


def _quoted(table: str) -> str:
    return table.replace('"', '""')


def tables(con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    return [row[0] for row in _rows(TABLES, con)]


def row_counts(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, int]:
    """{table: rows} for every table of the database, in name order."""
    return {t: int(_rows(COUNT.format(table=_quoted(t)), con)[0][0]) for t in tables(con)}


def fingerprints(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, TableFingerprint]:
    """{table: (rows, content hash)} for every table: equal fingerprints mean equal contents."""
    found = {}
    for table in tables(con):
        rows, content = _rows(FINGERPRINT.format(table=_quoted(table)), con)[0]
        found[table] = TableFingerprint(table, int(rows), str(content))
    return found


def sequences(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, int]:
    """{sequence: the last value handed out} (start - 1 for one never used)."""
    return {name: int(value) for name, value in _rows(SEQUENCES, con)}


def _rows(sql: str, con: duckdb.DuckDBPyConnection | None) -> list[tuple]:
    return con.execute(sql).fetchall() if con is not None else db.rows(sql)

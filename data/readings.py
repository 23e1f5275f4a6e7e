"""Readings of whole numbers and their digits (migration 00016).

A reading's digits are prediction rows (data.predictions) linked by position with their box on the
image; the reading row holds the string, its confidence, doubt and alternatives. A correction of the
string is kept on the reading; the corrected digits become feedback on their prediction rows.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data import db

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("username", "source", "model_id", "text", "confidence", "doubtful", "alternatives", "expected_length",
           "image", "latency_ms", "filename", "width", "height")
INSERT = f"INSERT INTO readings ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) RETURNING id"
INSERT_DIGIT = """
INSERT INTO reading_digits (reading_id, position, prediction_id, box_left, box_top, box_width, box_height)
VALUES (?, ?, ?, ?, ?, ?, ?)"""
SELECT_ONE = f"SELECT id, ts, {', '.join(COLUMNS)}, corrected_text, corrected_by, corrected_at FROM readings WHERE id = ?"
DIGITS = """
SELECT d.position, d.prediction_id, p.digit, p.confidence, p.needs_review AS not_sure, p.runner_up,
       d.box_left, d.box_top, d.box_width, d.box_height
FROM reading_digits d JOIN predictions p ON p.id = d.prediction_id
WHERE d.reading_id = ? ORDER BY d.position"""
CORRECT = """
UPDATE readings SET corrected_text = ?, corrected_by = ?, corrected_at = current_timestamp WHERE id = ?
RETURNING id"""
_PAGE = """
SELECT r.id, r.ts, r.username, r.source, r.model_id, r.text, round(r.confidence, 4) AS confidence, r.doubtful,
       r.expected_length, r.filename, r.corrected_text, round(r.latency_ms, 1) AS latency_ms
FROM readings r
WHERE ($username IS NULL OR r.username = $username){only_doubtful}
ORDER BY r.ts DESC, r.id DESC LIMIT $limit OFFSET $offset"""
PAGE = _PAGE.format(only_doubtful="")
PAGE_DOUBTFUL = _PAGE.format(only_doubtful=" AND r.doubtful")
COUNT = "SELECT count(*) FROM readings WHERE ($username IS NULL OR username = $username){only_doubtful}"


@dataclass
class ReadingRow:
    username: str
    source: str
    model_id: int
    text: str
    confidence: float
    doubtful: bool
    alternatives: Sequence[tuple[str, float]]
    expected_length: int | None
    image: bytes | None
    latency_ms: float
    filename: str | None = None
    width: int | None = None     # of the image read: the boxes are in its pixels, `image` may be smaller
    height: int | None = None

    def values(self) -> list:
        return [self.username, self.source, int(self.model_id), self.text, float(self.confidence), bool(self.doubtful),
                json.dumps([[t, round(float(s), 6)] for t, s in self.alternatives]),
                None if self.expected_length is None else int(self.expected_length), self.image,
                float(self.latency_ms), self.filename, self.width, self.height]


def insert(row: ReadingRow, digits: Sequence[tuple[int, tuple[int, int, int, int]]]) -> int:
    """The reading and its digits (prediction id, box) as one write; the caller holds the transaction."""
    reading_id = int(db.one(INSERT, row.values())[0])
    cur = db.cursor()
    cur.executemany(INSERT_DIGIT, [[reading_id, k, int(pid), *map(int, box)] for k, (pid, box) in enumerate(digits)])
    return reading_id


def get(reading_id: int) -> dict | None:
    found = db.one(SELECT_ONE, [int(reading_id)])
    if found is None:
        return None
    names = ("id", "ts", *COLUMNS, "corrected_text", "corrected_by", "corrected_at")
    out = dict(zip(names, found))
    out["alternatives"] = [tuple(a) for a in json.loads(out["alternatives"])]
    return out


def digits(reading_id: int) -> pd.DataFrame:
    return db.frame(DIGITS, [int(reading_id)])


def correct(reading_id: int, username: str, text: str) -> bool:
    return db.one(CORRECT, [text, username, int(reading_id)]) is not None


def page(*, username: str | None = None, doubtful: bool = False, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    return db.frame(PAGE_DOUBTFUL if doubtful else PAGE,
                    {"username": username, "limit": int(limit), "offset": int(offset)})


def count(*, username: str | None = None, doubtful: bool = False) -> int:
    sql = COUNT.format(only_doubtful=" AND doubtful" if doubtful else "")
    return int(db.one(sql, {"username": username})[0])

"""The Analytics page's numbers: one SQL aggregation per chart, over a period, done inside DuckDB.

Each statement returns a few hundred rows at most whatever the table size (1,000,000 predictions
aggregate in tens of milliseconds), so nothing loads whole tables into pandas. Accuracy comes from
feedback: the latest answer a person gave on a prediction (see `data.queries.history.LATEST_FEEDBACK`);
relabelled test images (`predictions.RELABEL_PREFIX`) are not live traffic and are left out of it.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from data import db
from data.exports import Query
from data.predictions import RELABEL_PREFIX
from data.queries.history import LATEST_FEEDBACK, end_of, start_of

if TYPE_CHECKING:
    import pandas as pd

PERIOD = "p.ts >= $since AND p.ts < $until"
LIVE = f"{PERIOD} AND NOT (p.source = 'batch' AND coalesce(p.filename, '') LIKE '{RELABEL_PREFIX}%')"
WITH_FEEDBACK = f"FROM predictions p JOIN ({LATEST_FEEDBACK}) f ON f.prediction_id = p.id WHERE {LIVE}"

PER_DAY_BY_SOURCE = f"""
SELECT CAST(p.ts AS DATE) AS day, p.source, count(*) AS predictions
FROM predictions p WHERE {PERIOD} GROUP BY ALL ORDER BY day, p.source"""
# 20 bins of 5 points per digit; a confidence of exactly 1.0 falls in the top bin.
CONFIDENCE_BY_DIGIT = f"""
SELECT p.digit, least(floor(p.confidence * 20), 19) / 20 AS low, count(*) AS predictions
FROM predictions p WHERE {PERIOD} GROUP BY ALL ORDER BY p.digit, low"""
ACCURACY_BY_DAY = f"""
SELECT CAST(p.ts AS DATE) AS day, count(*) AS checked, avg(CASE WHEN f.is_correct THEN 1.0 ELSE 0.0 END) AS accuracy
{WITH_FEEDBACK} GROUP BY day ORDER BY day"""
ACCURACY_BY_MODEL = f"""
SELECT p.model_id, any_value(m.family) AS family, count(*) AS checked,
       avg(CASE WHEN f.is_correct THEN 1.0 ELSE 0.0 END) AS accuracy
{WITH_FEEDBACK.replace('WHERE', 'LEFT JOIN models m ON m.id = p.model_id WHERE', 1)}
GROUP BY p.model_id ORDER BY p.model_id"""
CONFUSED_PAIRS = f"""
SELECT f.true_digit, p.digit AS predicted, count(*) AS times
{WITH_FEEDBACK} AND f.true_digit <> p.digit
GROUP BY ALL ORDER BY times DESC, f.true_digit, predicted LIMIT $limit"""
PAIR_EXAMPLES = f"""
SELECT p.id, p.ts, p.username, p.source, p.model_id, p.confidence, p.filename, p.image
{WITH_FEEDBACK} AND f.true_digit = $true_digit AND p.digit = $predicted
ORDER BY p.ts DESC, p.id DESC LIMIT $limit"""
# Positional placeholders (since, until, since, until): it is also the exported table (`data.exports.Query`).
USER_ACTIVITY = """
WITH made AS (
    SELECT p.username, count(*) AS predictions, count(*) FILTER (WHERE p.needs_review) AS not_sure,
           avg(p.confidence) AS mean_confidence, max(p.ts) AS last_prediction
    FROM predictions p WHERE p.ts >= ? AND p.ts < ? GROUP BY p.username),
given AS (
    SELECT username, count(*) AS feedback FROM feedback WHERE ts >= ? AND ts < ? GROUP BY username)
SELECT coalesce(made.username, given.username) AS username, coalesce(made.predictions, 0) AS predictions,
       coalesce(made.not_sure, 0) AS not_sure, made.mean_confidence, coalesce(given.feedback, 0) AS feedback,
       made.last_prediction
FROM made FULL OUTER JOIN given ON given.username = made.username
ORDER BY predictions DESC, feedback DESC, username"""
TOTALS = f"""
SELECT count(*) AS predictions, count(*) FILTER (WHERE p.needs_review) AS not_sure,
       count(f.prediction_id) AS checked, count(*) FILTER (WHERE f.is_correct) AS confirmed,
       count(DISTINCT p.username) AS users
FROM predictions p LEFT JOIN ({LATEST_FEEDBACK}) f ON f.prediction_id = p.id WHERE {PERIOD}"""


def period_params(since: date | datetime, until: date | datetime) -> dict:
    """Named parameters of a period; `until` as in `data.queries.history.Filters` (a date includes that day)."""
    return {"since": start_of(since), "until": end_of(until)}


def per_day_by_source(since: date | datetime, until: date | datetime) -> pd.DataFrame:
    """day, source, predictions."""
    return db.frame(PER_DAY_BY_SOURCE, period_params(since, until))


def confidence_by_digit(since: date | datetime, until: date | datetime) -> pd.DataFrame:
    """digit, low (bin start, 0.00..0.95), predictions."""
    return db.frame(CONFIDENCE_BY_DIGIT, period_params(since, until))


def accuracy_by_day(since: date | datetime, until: date | datetime) -> pd.DataFrame:
    """day (of the prediction), checked, accuracy: the share of checked predictions confirmed right."""
    return db.frame(ACCURACY_BY_DAY, period_params(since, until))


def accuracy_by_model(since: date | datetime, until: date | datetime) -> pd.DataFrame:
    """model_id, family, checked, accuracy."""
    return db.frame(ACCURACY_BY_MODEL, period_params(since, until))


def confused_pairs(since: date | datetime, until: date | datetime, limit: int = 10) -> pd.DataFrame:
    """true_digit, predicted, times: the most frequent mistakes feedback revealed, most frequent first."""
    return db.frame(CONFUSED_PAIRS, {**period_params(since, until), "limit": int(limit)})


def pair_examples(since: date | datetime, until: date | datetime, true_digit: int, predicted: int,
                  limit: int = 24) -> pd.DataFrame:
    """The newest predictions of one confused pair, with their small PNGs."""
    params = {**period_params(since, until), "true_digit": int(true_digit), "predicted": int(predicted), "limit": int(limit)}
    return db.frame(PAIR_EXAMPLES, params)


def user_activity_query(since: date | datetime, until: date | datetime) -> Query:
    """The per-user table of a period as a query, for the page's export panel."""
    period = period_params(since, until)
    return Query(USER_ACTIVITY, [period["since"], period["until"]] * 2)


def user_activity(since: date | datetime, until: date | datetime) -> pd.DataFrame:
    """username, predictions, not_sure, mean_confidence, feedback (given by them), last_prediction."""
    return db.frame(*user_activity_query(since, until))


def totals(since: date | datetime, until: date | datetime) -> dict:
    """predictions, not_sure, checked, confirmed, users of the period (the headline numbers)."""
    row = db.one(TOTALS, period_params(since, until))
    return dict(zip(("predictions", "not_sure", "checked", "confirmed", "users"), (int(v or 0) for v in row)))

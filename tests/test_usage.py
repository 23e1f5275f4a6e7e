"""Usage figures against rows counted by hand: per user, day and action, with p50/p95, errors, refusals."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from data import audit, db, predictions
from data.queries import usage
from ml.errors import QuotaError
from ml.governance import quotas
from ml.governance import settings as settings_catalog

DAY1, DAY2 = date(2026, 3, 1), date(2026, 3, 2)


def _prediction(username: str, source: str, ts: datetime, latency: float, filename: str | None = None) -> None:
    predictions.insert(predictions.PredictionRow(username, source, 1, 3, 0.9, [0.1] * 10, [0.0] * 64, None, latency,
                                                 filename=filename, ts=ts))


def _audit(username: str, action: str, outcome: str, detail: str, ts: datetime) -> None:
    audit.record(username, action, outcome, detail)
    db.execute("UPDATE audit_log SET ts = ? WHERE id = (SELECT max(id) FROM audit_log)", [ts])


@pytest.fixture
def history(empty_store):
    for i, latency in enumerate([10.0, 20.0, 30.0, 40.0]):  # ana draws 4 on day 1
        _prediction("ana", "draw", datetime(2026, 3, 1, 9, i), latency)
    _prediction("ana", "upload", datetime(2026, 3, 1, 10), 5.0)
    _prediction("bob", "upload", datetime(2026, 3, 2, 8), 7.0)
    _prediction("bob", "batch", datetime(2026, 3, 2, 8, 1), 1.0)
    _prediction("bob", "batch", datetime(2026, 3, 2, 8, 1), 3.0)
    _prediction("bob", "batch", datetime(2026, 3, 2, 8, 2), 1.0, filename="relabelled test image 4")  # not traffic
    _prediction("ana", "draw", datetime(2026, 3, 3, 0, 0), 99.0)  # outside the range
    _audit("bob", "job_batch", "ok", "job 7 queued: 2 images", datetime(2026, 3, 2, 8))
    _audit("bob", "job_batch", "ok", "job 7 succeeded", datetime(2026, 3, 2, 8, 3))
    _audit("ana", "job_train", "ok", "job 8 queued: svm on digits", datetime(2026, 3, 1, 11))
    _audit("ana", "job_train", "error", "job 8: out of memory", datetime(2026, 3, 1, 11, 5))
    _audit("ana", "export", "ok", '{"table": "usage"}', datetime(2026, 3, 1, 12))
    _audit("ana", "report", "ok", '{"kind": "usage report"}', datetime(2026, 3, 1, 12, 30))  # a PDF is an export too
    _audit("ana", "predict_upload", "error", "x.gif: not an image", datetime(2026, 3, 1, 10, 1))
    _audit("ana", "predict_draw", "denied", '{"quota": "day", "images": 1}', datetime(2026, 3, 1, 13))
    _audit("ana", "sign_in", "error", "not a usage action", datetime(2026, 3, 1, 13))
    return empty_store


def test_per_user_day_and_action_match_the_rows_counted_by_hand(history):
    frame = usage.daily(DAY1, DAY2)
    got = {(f"{r.day:%Y-%m-%d}", r.username, r.action): (r.count, r.images, r.errors, r.quota_refusals)
           for r in frame.itertuples()}
    assert got == {
        ("2026-03-01", "ana", "draw"): (4, 4, 0, 1),
        ("2026-03-01", "ana", "upload"): (1, 1, 1, 0),
        ("2026-03-01", "ana", "train"): (1, 0, 1, 0),
        ("2026-03-01", "ana", "export"): (2, 0, 0, 0),  # one table file, one PDF report
        ("2026-03-02", "bob", "upload"): (1, 1, 0, 0),
        ("2026-03-02", "bob", "batch"): (1, 2, 0, 0),  # one batch job of two images
    }
    draw = frame[(frame.username == "ana") & (frame.action == "draw")].iloc[0]
    assert draw.p50_ms == pytest.approx(25.0) and draw.p95_ms == pytest.approx(38.5)  # 10,20,30,40 interpolated


def test_api_predictions_are_their_own_action_counted_in_images(empty_store):
    """The REST API's predictions are stored with source "api" and reported as such, with their refusals."""
    _prediction("vic", "api", datetime(2026, 3, 1, 9), 4.0)
    _prediction("vic", "api", datetime(2026, 3, 1, 9, 1), 6.0)
    _prediction("vic", "upload", datetime(2026, 3, 1, 9, 2), 5.0)
    _audit("vic", "predict_api", "denied", '{"quota": "minute", "images": 1}', datetime(2026, 3, 1, 9, 3))
    got = {r.action: (r.count, r.images, r.quota_refusals) for r in usage.daily(DAY1, DAY2).itertuples()}
    assert got == {"api": (2, 2, 1), "upload": (1, 1, 0)}


def test_filters_and_top_users(history):
    only_bob = usage.daily(DAY1, DAY2, "bob")
    assert set(only_bob.username) == {"bob"} and only_bob.images.sum() == 3
    assert usage.daily(DAY2, DAY2).username.unique().tolist() == ["bob"]
    top = usage.top_of(usage.daily(DAY1, DAY2))  # from the day table the page and the PDF have loaded
    assert top[["username", "count", "images", "errors", "quota_refusals"]].values.tolist() == [
        ["ana", 8, 5, 2, 1], ["bob", 2, 3, 0, 0]]  # hand counted from the rows above


def test_quota_consumption_is_reported_per_user_and_day(history):
    from ml.governance import accounts
    accounts.ensure_admin()
    settings_catalog.put("quota.daily_predictions", 4, by="admin")
    quotas.consume("ana", 3, "draw", now=datetime(2026, 3, 1, 9))
    with pytest.raises(QuotaError):
        quotas.consume("ana", 2, "draw", now=datetime(2026, 3, 1, 10))
    quotas.consume("ana", 1, "draw", now=datetime(2026, 3, 2, 9))
    accounts.create_user("ana", "Ana", "analyst", "quota-test-pw-1", by="admin", must_change_password=False)
    quotas.refill("ana", by="admin", now=datetime(2026, 3, 2, 10))
    quotas.consume("ana", 2, "draw", now=datetime(2026, 3, 2, 11))
    frame = usage.quota_used(DAY1, DAY2)
    assert [(f"{r.day:%Y-%m-%d}", r.username, r.used, r.refilled, r.counted) for r in frame.itertuples()] == [
        ("2026-03-01", "ana", 3, 0, 3), ("2026-03-02", "ana", 3, 1, 2)]
    from data import exports
    assert exports.count(usage.quota_query(DAY1, DAY2)) == 2 and exports.count(usage.quota_query(DAY1, DAY1, "bob")) == 0


def test_the_export_query_holds_the_same_rows_as_the_page(history):
    from data import exports
    assert exports.count(usage.daily_query(DAY1, DAY2)) == len(usage.daily(DAY1, DAY2)) == 6

"""Quotas and rate limits: exactly at the limit, over it (sentence, audit row, nothing stored), the
reset at midnight UTC, two sessions of one user together, the per-minute rate, the job limit."""
from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest
from images import png
from PIL import Image

from data import audit, db
from data import jobs as job_rows
from ml.datasets.generated.synthetic import font_digit
from ml.errors import PolicyError, QuotaError
from ml.governance import quotas
from ml.governance import settings as settings_catalog
from ml.prediction.predict import predict_bytes, predict_many

NOON = datetime(2026, 3, 1, 12, 0, 0)




def _stored(username: str) -> int:
    return db.one("SELECT count(*) FROM predictions WHERE username = ?", [username])[0]


def _quota_denials(username: str) -> list[str]:
    return [d for (d,) in db.rows("SELECT detail FROM audit_log WHERE username = ? AND outcome = 'denied' "
                                  "AND detail LIKE '%quota%' ORDER BY id", [username])]


@pytest.fixture
def small_quota(seeded_store):
    settings_catalog.put("quota.daily_predictions", 3, by="admin")
    settings_catalog.put("quota.per_minute", 100, by="admin")
    return seeded_store


def test_exactly_the_quota_passes_and_one_more_is_refused_with_the_reset(small_quota):
    for second in range(3):
        quotas.consume("ana", 1, "draw", now=NOON.replace(second=second))
    assert quotas.status("ana", now=NOON).left_today == 0
    with pytest.raises(QuotaError) as refused:
        quotas.consume("ana", 1, "draw", now=datetime(2026, 3, 1, 20, 48, 0))
    assert "resets at 00:00 UTC (in 3 h 12 min)" in str(refused.value)
    assert refused.value.audited and len(_quota_denials("ana")) == 1
    assert quotas.status("ana", now=NOON).used_today == 3  # the refusal took nothing


def test_over_the_quota_nothing_is_predicted_or_stored(small_quota):
    image = png(font_digit(5))
    for _ in range(3):
        predict_bytes(image, filename="5.png", username="ana")
    with pytest.raises(QuotaError, match="daily quota of 3"):
        predict_bytes(image, filename="5.png", username="ana")
    assert _stored("ana") == 3
    assert "predict_upload" in db.one("SELECT action FROM audit_log WHERE outcome = 'denied' ORDER BY id DESC "
                                      "LIMIT 1")[0]


def _refused_uploads() -> dict[str, bytes]:
    big = Image.new("1", (8000, 8000))  # 64 megapixels: over the pixel limit of one image
    return {"huge.png": png(big), "page.png": b"<!doctype html><html><body>not an image</body></html>",
            "blank.png": png(Image.new("L", (64, 64), 255))}


def test_a_refused_upload_costs_nothing_and_charge_equals_stored(small_quota):
    from ml.errors import ImageError
    for name, data in _refused_uploads().items():
        with pytest.raises(ImageError):
            predict_bytes(data, filename=name, username="ana")
    assert quotas.status("ana").used_today == 0 and _stored("ana") == 0
    image = png(font_digit(5))
    for _ in range(3):  # the whole quota is still there
        predict_bytes(image, filename="5.png", username="ana")
    assert quotas.status("ana").used_today == 3 == _stored("ana")


def test_twenty_parallel_uploads_store_and_charge_exactly_the_quota(seeded_store):
    settings_catalog.put("quota.daily_predictions", 7, by="admin")
    settings_catalog.put("quota.per_minute", 1000, by="admin")
    image, start = png(font_digit(4)), threading.Barrier(20)
    answered, refused = [], []

    def upload() -> None:
        start.wait()
        try:
            answered.append(predict_bytes(image, filename="4.png", username="ana").prediction_id)
        except QuotaError:
            refused.append(1)

    threads = [threading.Thread(target=upload) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answered) == 7 == len(set(answered)) and len(refused) == 13
    assert quotas.status("ana").used_today == 7 == _stored("ana")


def test_a_many_file_run_charges_only_what_it_stored(small_quota):
    items = [("0.png", png(font_digit(0)), None), *[(n, d, None) for n, d in _refused_uploads().items()],
             ("gone.png", None, "missing"), ("1.png", png(font_digit(1)), None)]
    found = list(predict_many(items, username="ana", source="cli"))
    assert sum(r is not None for _, r, _ in found) == 2
    assert quotas.status("ana").used_today == 2 == _stored("ana")
    assert quotas.status("ana").used_this_minute == 1  # one run, one request


def test_a_blank_canvas_costs_no_quota_and_a_drawing_counts_once(small_quota):
    import numpy as np

    from ml.datasets.generated.synthetic import pen_digit
    from ml.prediction.predict import predict_drawing
    blank = np.zeros((280, 280, 4), dtype=np.uint8)
    blank[..., 3] = 255
    assert predict_drawing(blank, username="ana") is None  # the bin, a cleared canvas
    assert quotas.status("ana").used_today == 0 and _stored("ana") == 0
    first = predict_drawing(pen_digit(3, rng=np.random.default_rng(0)), username="ana")
    predict_drawing(pen_digit(3, rng=np.random.default_rng(1)), username="ana", drawing_id=first.prediction_id)
    assert quotas.status("ana").used_today == 1 and _stored("ana") == 1  # two strokes, one drawing


def test_a_batch_counts_each_image_and_is_refused_whole(small_quota):
    items = [(f"{d}.png", png(font_digit(d)), None) for d in range(4)]  # 4 images, quota 3
    with pytest.raises(QuotaError, match="this needs 4"):
        list(predict_many(items, username="ana", source="cli"))
    assert _stored("ana") == 0
    assert [r is not None for _, r, _ in predict_many(items[:3], username="ana", source="cli")] == [True] * 3
    assert quotas.status("ana").used_today == 3


def test_the_quota_resets_at_midnight_utc(small_quota):
    for _ in range(3):
        quotas.consume("ana", 1, "upload", now=datetime(2026, 3, 1, 23, 59, 58))
    with pytest.raises(QuotaError, match=r"in 1 s\)"):
        quotas.consume("ana", 1, "upload", now=datetime(2026, 3, 1, 23, 59, 59))
    quotas.consume("ana", 3, "upload", now=datetime(2026, 3, 2, 0, 0, 0))  # a new UTC day: all 3 again
    with pytest.raises(QuotaError):
        quotas.consume("ana", 1, "upload", now=datetime(2026, 3, 2, 0, 0, 30))


def test_counters_survive_a_restart(small_quota):
    quotas.consume("ana", 2, "cli", now=NOON)
    db.close()  # the process's connection goes away, as in a restart
    assert quotas.status("ana", now=NOON).used_today == 2


def test_two_sessions_of_one_user_together_never_exceed_the_quota(seeded_store):
    settings_catalog.put("quota.daily_predictions", 25, by="admin")
    settings_catalog.put("quota.per_minute", 1000, by="admin")
    granted, refused = [], []

    def session() -> None:
        for _ in range(20):
            try:
                quotas.consume("ana", 1, "draw")
                granted.append(1)
            except QuotaError:
                refused.append(1)

    threads = [threading.Thread(target=session) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 25 and len(refused) == 15
    assert quotas.status("ana").used_today == 25


def test_the_rate_limit_is_per_minute_and_refuses_with_seconds_to_wait(seeded_store):
    settings_catalog.put("quota.per_minute", 2, by="admin")
    quotas.consume("ana", 1, "draw", now=datetime(2026, 3, 1, 14, 2, 0))
    quotas.consume("ana", 10, "upload", now=datetime(2026, 3, 1, 14, 2, 10))  # a batch is one request
    with pytest.raises(QuotaError, match=r"resets at 14:03 UTC \(in 25 s\)"):
        quotas.consume("ana", 1, "draw", now=datetime(2026, 3, 1, 14, 2, 35))
    assert quotas.status("ana", now=datetime(2026, 3, 1, 14, 2, 40)).used_today == 11  # refusal took none
    quotas.consume("ana", 1, "draw", now=datetime(2026, 3, 1, 14, 3, 0))
    assert len(_quota_denials("ana")) == 1


def test_admins_raise_a_users_limit_or_refill_today_and_both_are_audited(small_quota):
    for _ in range(3):
        quotas.consume("vic", 1, "draw")
    quotas.refill("vic", by="admin")
    quotas.consume("vic", 3, "draw")  # a full quota again
    assert quotas.set_limits("vic", daily=10, per_minute=None, by="admin").daily == 10
    quotas.consume("vic", 4, "draw")
    assert quotas.status("vic").used_today == 7 and quotas.limits("ana").daily == 3  # others keep the default
    actions = [a for (a,) in db.rows("SELECT action FROM audit_log WHERE username = 'admin' ORDER BY id")]
    assert "refill_quota" in actions and "set_quota" in actions
    (target, details), = db.rows("SELECT target, details FROM audit_log WHERE action = 'set_quota'")
    assert target == "vic" and json.loads(details)["new"] == {"daily": 10, "per_minute": None}  # old and new values
    (target, details), = db.rows("SELECT target, details FROM audit_log WHERE action = 'refill_quota'")
    assert target == "vic" and json.loads(details)["old"] == 3 and json.loads(details)["new"] == 0
    with pytest.raises(PolicyError):
        quotas.refill("vic", by="ana")


def test_training_jobs_have_a_concurrent_limit_per_user(seeded_store):
    settings_catalog.put("jobs.max_training", 1, by="admin")
    job_rows.create("train", {}, "ana", lane="train", title="first")
    with pytest.raises(QuotaError, match="1 training job queued or running"):
        with quotas.job_slot("ana", "train"):
            pass
    with quotas.job_slot("vic", "train"), quotas.job_slot("ana", "tune"):  # another user, another kind
        pass
    assert audit.page(username="ana", action="job_train")["outcome"].tolist() == ["denied"]


def test_the_system_actor_has_no_quota(small_quota):
    assert quotas.consume("system", 50, "cli") is None  # over the 3 a day of everyone else, never refused
    assert quotas.status("system").used_today == 0


def test_strokes_on_one_drawing_count_once_for_the_quota_but_each_against_the_rate_limit(seeded_store,
                                                                                         monkeypatch):
    import numpy as np

    from ml.datasets.generated.synthetic import pen_digit
    from ml.prediction.predict import predict_drawing
    settings_catalog.put("quota.per_minute", 3, by="admin")
    monkeypatch.setattr(quotas, "utc_now", lambda: datetime(2026, 3, 1, 14, 2, 10))
    first = predict_drawing(pen_digit(3, rng=np.random.default_rng(0)), username="ana")
    for seed in (1, 2):  # two more strokes: three requests this minute
        predict_drawing(pen_digit(3, rng=np.random.default_rng(seed)), username="ana", drawing_id=first.prediction_id)
    with pytest.raises(QuotaError, match=r"3 requests a minute\. It resets at 14:03 UTC"):
        predict_drawing(pen_digit(3, rng=np.random.default_rng(3)), username="ana", drawing_id=first.prediction_id)
    assert quotas.status("ana").used_today == 1 and _stored("ana") == 1  # one drawing, one image
    assert len(_quota_denials("ana")) == 1
    monkeypatch.setattr(quotas, "utc_now", lambda: datetime(2026, 3, 1, 14, 3, 0))  # the next minute
    assert predict_drawing(pen_digit(3, rng=np.random.default_rng(4)), username="ana",
                           drawing_id=first.prediction_id).prediction_id == first.prediction_id

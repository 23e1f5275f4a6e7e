"""`POST /api/v1/read` and `POST /api/v1/readings/{id}/feedback` with FastAPI's TestClient: the reading and
its stored rows, roles and keys, bad input with the Upload page's sentences, the quota."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from test_api import bearer, error_of

from data import db, readings
from ml.governance import api_keys, quotas
from ml.reading.devset import pen_number


def paper(text: str, **options) -> bytes:
    """The pen number as dark ink on white paper, a PNG."""
    out = io.BytesIO()
    Image.fromarray(255 - pen_number(text, **options)[..., 0]).save(out, format="PNG")
    return out.getvalue()


def png_of(picture: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format="PNG")
    return out.getvalue()


def raw(secret: str) -> dict[str, str]:
    return {**bearer(secret), "Content-Type": "image/png"}


def test_read_returns_the_string_each_digit_with_its_box_and_the_stored_ids(client, keys):
    response = client.post("/api/v1/read", files={"file": ("meter.png", paper("14.50"), "image/png")},
                           headers=bearer(keys["ana"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "14.50" and body["filename"] == "meter.png" and body["expected_length"] is None
    assert [d["digit"] for d in body["digits"]] == [1, 4, 5, 0]
    assert [d["prediction_id"] for d in body["digits"]] == body["prediction_ids"]
    lefts = [d["box"][0] for d in body["digits"]]
    assert lefts == sorted(lefts) and all(d["box"][2] > 0 and d["box"][3] > 0 for d in body["digits"])
    assert all(0 < d["confidence"] <= 1 and d["runner_up"] != d["digit"] for d in body["digits"])
    assert 0 < body["confidence"] <= 1 and isinstance(body["doubtful"], bool) and body["alternatives"]
    assert {"text", "share"} == set(body["alternatives"][0])
    stored = readings.get(body["reading_id"])
    assert (stored["text"], stored["username"], stored["source"], stored["filename"]) == \
        ("14.50", "ana", "api", "meter.png")
    assert readings.digits(body["reading_id"])["prediction_id"].tolist() == body["prediction_ids"]
    assert db.one("SELECT count(*) FROM predictions WHERE username = 'ana'")[0] == 4
    assert quotas.status("ana").used_today == 4  # one image per digit, as on the pages
    assert int(response.headers["X-RateLimit-Limit"]) == quotas.limits("ana").per_minute
    key_id = api_keys.listed("ana", by="ana")[0].id
    audited = db.one("SELECT username, session_id FROM audit_log WHERE action = 'read_api' AND outcome = 'ok'")
    assert audited == ("ana", f"api-key:{key_id}")


def test_a_viewer_reads_a_raw_body_with_an_expected_length_and_another_model(client, keys):
    model_id = db.one("SELECT max(id) FROM models")[0]
    response = client.post(f"/api/v1/read?length=3&model={model_id}&filename=code.png", content=paper("307"),
                           headers=raw(keys["vic"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "307" and len(body["digits"]) == 3 and body["expected_length"] == 3
    assert body["model_id"] == model_id and body["filename"] == "code.png"
    assert readings.get(body["reading_id"])["expected_length"] == 3


@pytest.mark.parametrize(("content", "headers", "status", "code", "says"), [
    (png_of(np.full((80, 300), 255, dtype=np.uint8)), {"Content-Type": "image/png"}, 422, "bad_image",
     "The image is blank: there is no number to read in it."),
    (b"hello", {"Content-Type": "image/png"}, 422, "bad_image", "not an image Digit Lab can read"),
    (b"a,b\n1,2", {"Content-Type": "text/csv"}, 415, "unsupported_media_type", "multipart/form-data"),
    (b"\0" * (5 * 1024 * 1024 + 1), {"Content-Type": "image/png"}, 413, "too_large", "the limit is 5 MB"),
])
def test_bad_images_get_the_upload_page_s_sentence_and_store_nothing(client, keys, content, headers, status, code,
                                                                     says):
    message = error_of(client.post("/api/v1/read", content=content, headers={**bearer(keys["ana"]), **headers}),
                       status, code)
    assert says in message
    assert db.one("SELECT count(*) FROM readings")[0] == 0 and db.one("SELECT count(*) FROM predictions")[0] == 0


def test_one_blob_and_too_many_digits_are_one_sentence_each(client, keys):
    blob = np.full((200, 800), 255, dtype=np.uint8)
    blob[40:160, 50:750] = 0
    message = error_of(client.post("/api/v1/read", content=png_of(blob), headers=raw(keys["ana"])), 422, "bad_image")
    assert message == "The image holds one blob of ink, not written digits: write the number with a pen on a plain " \
                      "background."
    many = error_of(client.post("/api/v1/read", content=paper("1234567890" * 2, cell=60, width=8),
                                headers=raw(keys["ana"])), 422, "bad_image")
    assert "write at most 12 digits" in many
    assert db.one("SELECT count(*) FROM readings")[0] == 0


def test_bad_parameters_and_unknown_model(client, keys):
    for query in ("length=0", "length=13", "length=x", "model=abc"):
        error_of(client.post(f"/api/v1/read?{query}", content=paper("12"), headers=raw(keys["ana"])), 422, "invalid")
    assert error_of(client.post("/api/v1/read?model=424242", content=paper("12"), headers=raw(keys["ana"])),
                    404, "not_found") == "Model 424242 does not exist."
    error_of(client.post("/api/v1/read", data={"other": "x"}, files={"image": ("a.png", paper("12"), "image/png")},
                         headers=bearer(keys["ana"])), 400, "bad_request")


def test_keys_and_roles(client, keys):
    error_of(client.post("/api/v1/read", content=paper("12"), headers={"Content-Type": "image/png"}), 401,
             "unauthorized")
    _, read_only = api_keys.create("ana", by="ana", read_only=True)
    assert "read-only" in error_of(client.post("/api/v1/read", content=paper("12"), headers=raw(read_only)),
                                   403, "forbidden")
    assert db.one("SELECT count(*) FROM readings")[0] == 0


def test_the_daily_quota_refuses_a_reading_whose_digits_do_not_fit_and_stores_nothing(client, keys):
    quotas.set_limits("ana", daily=3, per_minute=None, by="admin")
    refused = client.post("/api/v1/read", content=paper("1450"), headers=raw(keys["ana"]))
    assert "daily quota of 3 predictions is used up" in error_of(refused, 429, "quota_exhausted")
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert client.post("/api/v1/read", content=paper("307"), headers=raw(keys["ana"])).status_code == 200
    again = client.post("/api/v1/read", content=paper("1"), headers=raw(keys["ana"]))
    error_of(again, 429, "quota_exhausted")  # refused before any reading work
    assert db.one("SELECT count(*) FROM readings")[0] == 1 and quotas.status("ana").used_today == 3


def test_feedback_on_a_reading_makes_each_digit_s_crop_training_data(client, keys):
    reading = client.post("/api/v1/read", content=paper("307"), headers=raw(keys["vic"])).json()
    ids = reading["prediction_ids"]
    path = f"/api/v1/readings/{reading['reading_id']}/feedback"
    assert "feedback" in error_of(client.post(path, json={"text": "387"}, headers=bearer(keys["vic"])), 403, "forbidden")
    fixed = client.post(path, json={"text": "387"}, headers=bearer(keys["ana"]))
    assert fixed.status_code == 200, fixed.text
    assert fixed.json() == {"reading_id": reading["reading_id"], "text": "387", "trained": True, "wrong_digits": 1,
                            "message": fixed.json()["message"]}
    assert db.rows("SELECT prediction_id, username, true_digit, is_correct FROM feedback ORDER BY prediction_id") == \
        [(ids[0], "ana", 3, True), (ids[1], "ana", 8, False), (ids[2], "ana", 7, True)]
    other = client.post(path, json={"text": "3071"}, headers=bearer(keys["ana"])).json()
    assert other["trained"] is False and "no digit was used for training" in other["message"]
    assert readings.get(reading["reading_id"])["corrected_text"] == "3071"
    assert "separators" in error_of(client.post(path, json={"text": "three"}, headers=bearer(keys["ana"])),
                                    400, "bad_request")
    error_of(client.post("/api/v1/readings/424242/feedback", json={"text": "1"}, headers=bearer(keys["ana"])),
             404, "not_found")
    error_of(client.post(path, json={}, headers=bearer(keys["ana"])), 422, "invalid")


def test_the_openapi_page_lists_read(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/v1/read" in paths and "/v1/readings/{reading_id}/feedback" in paths


def test_a_batch_of_numbers_through_the_api_lists_one_row_per_reading(client, keys):
    from test_api_endpoints import finished
    files = [("files", ("meter_307.png", paper("307"), "image/png")), ("files", ("1450.png", paper("1450"), "image/png"))]
    started = client.post("/api/v1/batches", files=files, data={"numbers": "true", "labelled": "true"},
                          headers=bearer(keys["ana"]))
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    assert finished(job_id) == "succeeded"
    result = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(keys["ana"])).json()["result"]
    assert result["numbers"] is True and result["labelled"] == 2 and 0 <= result["accuracy"] <= 1
    items = client.get(f"/api/v1/batches/{job_id}/items", headers=bearer(keys["ana"])).json()
    assert items["total"] == 2 and [i["label"] for i in items["items"]] == ["307", "1450"]
    assert {"reading_id", "number", "confidence", "doubtful", "right"} <= set(items["items"][0])
    assert "expected length" in error_of(client.post("/api/v1/batches", files=files[:1],
                                                     data={"numbers": "true", "length": "x"},
                                                     headers=bearer(keys["ana"])), 400, "bad_request")

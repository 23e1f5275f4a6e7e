"""The REST API with FastAPI's TestClient: the probes, /metrics, keys, /predict and the error shape.

The app is the one the server mounts (`api.server_routes()`), without the dashboard beside it."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from data import db, registry
from ml.governance import api_keys, quotas
from ml.governance import users as user_admin

UNKNOWN_KEY = "dl_AAAAAAAA_" + "x" * 43


def png(draw_one: bool = True, size: int = 64) -> bytes:
    image = Image.new("L", (size, size), 255)
    if draw_one:
        ImageDraw.Draw(image).line([(size // 2, size // 8), (size // 2, size - size // 8)], fill=0, width=size // 10)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def error_of(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]["message"]


def audit_rows(where: str = "TRUE", params=None) -> list[tuple]:
    return db.rows(f"SELECT username, action, outcome, target, detail, session_id FROM audit_log WHERE {where} ORDER BY id",
                   params)


# probes, docs, metrics

def test_healthz_readyz_and_the_openapi_page(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text
    assert {"store", "migrations", "model"} <= set(ready.json()["checks"])
    spec = client.get("/api/openapi.json").json()
    assert "/v1/predict" in spec["paths"] and "/v1/keys" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text
    assert "https://" not in docs.text  # no CDN: the server may have no internet
    assert client.get("/api/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_readyz_says_what_is_missing_without_a_model(empty_store):
    from api import server_routes
    with TestClient(Starlette(routes=server_routes())) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["model"] == {"ok": False, "detail": "No model is active yet."}
    assert ready.json()["checks"]["store"]["ok"] and ready.json()["checks"]["migrations"]["ok"]


def test_metrics_count_requests_by_route_template_and_read_predictions_from_the_store(client, keys):
    client.post("/api/v1/predict", content=png(), headers={**bearer(keys["vic"]), "Content-Type": "image/png"})
    client.delete("/api/v1/keys/987654", headers=bearer(keys["vic"]))
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    requests = {(s.labels["route"], s.labels["status"]): s.value for s in families["digitlab_http_requests"].samples
                if s.name.endswith("_total")}
    assert requests[("/api/v1/predict", "200")] >= 1
    assert requests[("/api/v1/keys/{key_id}", "404")] >= 1  # the template, not the id
    assert "digitlab_http_request_duration_seconds" in families
    stored = {(s.labels["source"], s.labels["not_sure"]): s.value for s in families["digitlab_predictions"].samples}
    assert sum(stored.values()) == db.one("SELECT count(*) FROM predictions")[0] and stored
    assert any(source == "api" for source, _ in stored)  # the call above, under the API's own source
    assert {s.labels["limit"] for s in families["digitlab_quota_refusals"].samples} == {"day", "minute", "jobs"}
    active = families["digitlab_active_model_id"].samples[0].value
    assert active == registry.active_id()


# keys

def test_a_key_is_stored_only_as_its_hash_and_shown_once(seeded_store):
    key, secret = api_keys.create("ana", by="ana", name="pipeline", expires_days=30, read_only=True)
    assert secret.startswith(f"dl_{key.prefix}_") and len(secret) > 40
    stored = db.rows("SELECT * FROM api_keys")
    assert secret not in repr(stored) and api_keys.digest(secret) in repr(stored)
    assert api_keys.listed("ana", by="ana")[0].name == "pipeline"
    assert secret not in repr(audit_rows())


def test_missing_unknown_revoked_and_expired_keys_get_the_same_401(client, keys, monkeypatch):
    missing = error_of(client.get("/api/v1/keys"), 401, "unauthorized")
    assert "API key" in missing
    unknown = client.get("/api/v1/keys", headers=bearer(UNKNOWN_KEY))
    revoked_key, revoked = api_keys.create("ana", by="ana")
    api_keys.revoke(revoked_key.id, by="ana")
    expiring_key, expiring = api_keys.create("ana", by="ana", expires_days=1)
    later = api_keys.now() + timedelta(days=2)
    monkeypatch.setattr(api_keys, "now", lambda: later)
    answers = [unknown, client.get("/api/v1/keys", headers=bearer(revoked)),
               client.get("/api/v1/keys", headers={"X-API-Key": expiring}),
               client.get("/api/v1/keys", headers=bearer("not-even-a-key"))]
    assert {a.status_code for a in answers} == {401} and len({a.text for a in answers}) == 1
    assert answers[0].headers["WWW-Authenticate"] == "Bearer"
    refusals = audit_rows("outcome = 'denied' AND action LIKE 'api %'")
    details = " ".join(row[4] for row in refusals)
    assert f"API key {revoked_key.id}: revoked" in details and f"API key {expiring_key.id}: expired" in details
    for secret in (revoked, expiring, UNKNOWN_KEY):
        assert secret not in repr(audit_rows())


def test_a_key_acts_with_its_user_s_current_role(client, keys):
    assert client.get("/api/v1/keys", headers=bearer(keys["ana"])).status_code == 200
    user_admin.deactivate("ana", by="admin")
    error_of(client.get("/api/v1/keys", headers=bearer(keys["ana"])), 401, "unauthorized")
    user_admin.reactivate("ana", by="admin")
    assert client.get("/api/v1/keys", headers=bearer(keys["ana"])).status_code == 200


def test_users_see_their_own_keys_and_admins_everyone_s(client, keys):
    own = client.get("/api/v1/keys", headers=bearer(keys["vic"])).json()
    assert {k["user"] for k in own} == {"vic"} and own[0]["name"] == "vic's notebook" and "secret" not in own[0]
    everyone = client.get("/api/v1/keys", headers=bearer(keys["admin"])).json()
    assert {k["user"] for k in everyone} == {"admin", "ana", "vic"}
    ana_key = next(k for k in everyone if k["user"] == "ana")
    error_of(client.delete(f"/api/v1/keys/{ana_key['id']}", headers=bearer(keys["vic"])), 404, "not_found")
    assert client.delete(f"/api/v1/keys/{ana_key['id']}", headers=bearer(keys["admin"])).json()["state"] == "revoked"
    error_of(client.get("/api/v1/keys", headers=bearer(keys["ana"])), 401)


def test_a_read_only_key_may_only_read(client, seeded_store):
    _, secret = api_keys.create("ana", by="ana", read_only=True)
    assert client.get("/api/v1/keys", headers=bearer(secret)).status_code == 200
    message = error_of(client.post("/api/v1/predict", content=png(), headers={**bearer(secret), "Content-Type": "image/png"}),
                       403, "forbidden")
    assert "read-only" in message
    assert db.one("SELECT count(*) FROM predictions WHERE username = 'ana'")[0] == 0


def test_keys_for_others_need_an_admin_and_names_are_checked(seeded_store):
    from ml.errors import PolicyError, RequestError
    with pytest.raises(PolicyError):
        api_keys.create("vic", by="ana")
    with pytest.raises(RequestError):
        api_keys.create("ana", by="ana", name="x" * 200)
    with pytest.raises(RequestError):
        api_keys.create("ana", by="ana", expires_days=0)
    key, _ = api_keys.create("vic", by="admin", name="<script>alert(1)</script>'; DROP TABLE users; --")
    assert api_keys.listed("vic", by="vic")[0].name == key.name


# /predict

def test_predict_multipart_and_raw_body_store_one_row_each_with_rate_limit_headers(client, keys):
    before = db.one("SELECT count(*) FROM predictions")[0]
    as_form = client.post("/api/v1/predict", files={"file": ("one.png", png(), "image/png")}, headers=bearer(keys["vic"]))
    raw = client.post("/api/v1/predict?filename=scan.png", content=png(),
                      headers={"X-API-Key": keys["vic"], "Content-Type": "image/png"})
    for response, name in ((as_form, "one.png"), (raw, "scan.png")):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["digit"] == 1 and len(body["probabilities"]) == 10 and body["filename"] == name
        assert abs(sum(body["probabilities"]) - 1) < 1e-3 and body["runner_up"] != 1
        assert {"prediction_id", "model_id", "confidence", "not_sure", "threshold", "latency_ms"} <= set(body)
        assert int(response.headers["X-RateLimit-Limit"]) == quotas.limits("vic").per_minute
        assert 0 < int(response.headers["X-RateLimit-Reset"]) <= 60
    assert int(raw.headers["X-RateLimit-Remaining"]) == int(as_form.headers["X-RateLimit-Remaining"]) - 1
    assert db.one("SELECT count(*) FROM predictions")[0] == before + 2
    stored = db.one("SELECT username, source, filename FROM predictions WHERE id = ?", [raw.json()["prediction_id"]])
    assert stored == ("vic", "api", "scan.png")  # the API's own source, as History, Usage and /metrics list it
    key_id = api_keys.listed("vic", by="vic")[0].id
    rows = audit_rows("action = 'predict_api' AND outcome = 'ok'")
    assert rows[-1][0] == "vic" and rows[-1][5] == f"api-key:{key_id}"


def test_a_lone_predict_reads_the_store_four_times_and_commits_once(client, keys, monkeypatch):
    """Its checks read the key with its user's role, the settings, the user's own limits and today's
    counters once each; the row, its quota charge and its audit row are one transaction, one commit."""
    headers = {**bearer(keys["vic"]), "Content-Type": "image/png"}
    assert client.post("/api/v1/predict", content=png(), headers=headers).status_code == 200  # notes "last used"
    statements: list[str] = []
    real = db._Cursor.__getattr__

    def counting(self, name):
        attr = real(self, name)
        if name != "execute":
            return attr

        def execute(sql, *args, **kwargs):
            statements.append(" ".join(str(sql).split()))
            return attr(sql, *args, **kwargs)
        return execute

    monkeypatch.setattr(db._Cursor, "__getattr__", counting)
    assert client.post("/api/v1/predict", content=png(), headers=headers).status_code == 200
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 4, reads
    writes = statements[statements.index("BEGIN TRANSACTION"):]
    assert [" ".join(s.split()[:3]) for s in writes[1:]] == [
        "UPDATE quota_days SET", "INSERT INTO predictions", "INSERT INTO audit_log", "COMMIT"], writes


@pytest.mark.parametrize(("content", "headers", "status", "code", "says"), [
    (b"hello", {"Content-Type": "image/png"}, 422, "bad_image", "not an image Digit Lab can read"),
    (png(draw_one=False), {"Content-Type": "image/png"}, 422, "bad_image", "blank"),
    (png()[:60], {"Content-Type": "application/octet-stream"}, 422, "bad_image", "damaged"),
    (b"", {"Content-Type": "image/png"}, 422, "bad_image", "empty"),
    (b"a,b\n1,2", {"Content-Type": "text/csv"}, 415, "unsupported_media_type", "multipart/form-data"),
    (png(), {}, 415, "unsupported_media_type", "multipart/form-data"),
    (b"\0" * (5 * 1024 * 1024 + 1), {"Content-Type": "image/png"}, 413, "too_large", "the limit is 5 MB"),
])
def test_predict_refuses_bad_input_with_the_upload_page_s_sentence(client, keys, content, headers, status, code, says):
    message = error_of(client.post("/api/v1/predict", content=content, headers={**bearer(keys["ana"]), **headers}),
                       status, code)
    assert says in message


def test_predict_form_without_a_file_and_unknown_or_bad_model(client, keys):
    error_of(client.post("/api/v1/predict", data={"other": "x"}, files={"image": ("a.png", png(), "image/png")},
                         headers=bearer(keys["ana"])), 400, "bad_request")
    message = error_of(client.post("/api/v1/predict?model=424242", content=png(),
                                   headers={**bearer(keys["ana"]), "Content-Type": "image/png"}), 404, "not_found")
    assert message == "Model 424242 does not exist."
    error_of(client.post("/api/v1/predict?model=abc", content=png(),
                         headers={**bearer(keys["ana"]), "Content-Type": "image/png"}), 422, "invalid")


def test_predict_keeps_a_hostile_file_name_as_text_only(client, keys):
    hostile = "../../etc/<script>alert(1)</script>\u202e'; DROP TABLE predictions; --.png"
    response = client.post("/api/v1/predict", files={"file": (hostile, png(), "image/png")}, headers=bearer(keys["ana"]))
    assert response.status_code == 200, response.text
    name = response.json()["filename"]
    assert "/" not in name and "\u202e" not in name and name.endswith("--.png")
    assert db.one("SELECT filename FROM predictions WHERE id = ?", [response.json()["prediction_id"]])[0] == name


def test_daily_quota_and_rate_limit_answer_429_with_retry_after(client, keys):
    headers = {**bearer(keys["ana"]), "Content-Type": "image/png"}
    quotas.set_limits("ana", daily=1, per_minute=None, by="admin")
    assert client.post("/api/v1/predict", content=png(), headers=headers).status_code == 200
    day = client.post("/api/v1/predict", content=png(), headers=headers)
    assert "daily quota of 1 predictions is used up" in error_of(day, 429, "quota_exhausted")
    assert 0 < int(day.headers["Retry-After"]) <= 24 * 3600 and day.headers["X-RateLimit-Limit"]
    quotas.refill("ana", by="admin")
    quotas.set_limits("ana", daily=None, per_minute=1, by="admin")
    minute = client.post("/api/v1/predict", content=png(), headers=headers)
    if minute.status_code == 200:  # the refilled day's first call may fall in a new minute: the next one is refused
        minute = client.post("/api/v1/predict", content=png(), headers=headers)
    assert "Too many predictions at once" in error_of(minute, 429, "rate_limited")
    assert 0 < int(minute.headers["Retry-After"]) <= 60
    assert minute.headers["X-RateLimit-Remaining"] == "0"
    assert len(audit_rows("username = 'ana' AND outcome = 'denied' AND action = 'predict_api'")) == 2


def test_unknown_endpoint_and_method_use_the_error_shape(client, keys):
    error_of(client.get("/api/v1/nothing-here", headers=bearer(keys["ana"])), 404, "not_found")
    error_of(client.put("/api/v1/predict", headers=bearer(keys["ana"])), 405, "method_not_allowed")


def test_cli_creates_lists_and_revokes_keys_printing_the_secret_alone(seeded_store, capsys):
    import csv
    from types import SimpleNamespace

    from ml.cli import commands

    def cli(*args):
        code = commands.main(["api-key", *args])
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)
    made = cli("create", "ana", "--name", "notebook", "--expires", "7")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert made.stdout == secret + "\n" and secret.startswith("dl_") and "shown once" in made.stderr
    listed = list(csv.DictReader(cli("list", "ana").stdout.splitlines()))
    assert [(r["user"], r["name"], r["state"]) for r in listed] == [("ana", "notebook", "active")]
    assert secret not in cli("list").stdout and listed[0]["prefix"] in secret and listed[0]["expires"]
    assert cli("revoke", listed[0]["id"]).returncode == 0
    assert list(csv.DictReader(cli("list", "ana").stdout.splitlines()))[0]["state"] == "revoked"
    refused = cli("create", "nobody")
    assert refused.returncode != 0 and "not an active user" in refused.stderr
    assert db.rows("SELECT username FROM audit_log WHERE action = 'create_api_key'")[0][0].startswith("os:")


def test_concurrent_calls_with_one_key_are_all_answered_and_each_stored_once(client, keys):
    """Many clients sharing one key: each call is answered 200 and stored once (its "last used" is written
    by one of them, not by all at once: DuckDB refuses concurrent updates of one row)."""
    import threading
    quotas.set_limits("ana", daily=None, per_minute=1000, by="admin")
    start = threading.Barrier(8)
    answers: list = []

    def calls() -> None:
        start.wait()
        for _ in range(3):
            answers.append(client.post("/api/v1/predict", content=png(),
                                       headers={**bearer(keys["ana"]), "Content-Type": "image/png"}))
    threads = [threading.Thread(target=calls) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 24, [a.text for a in answers if a.status_code != 200][:1]
    ids = {a.json()["prediction_id"] for a in answers}
    assert len(ids) == 24 and db.one("SELECT count(*) FROM predictions WHERE username = 'ana'")[0] == 24


def test_calls_that_read_a_key_together_write_its_last_use_once(seeded_store, monkeypatch):
    """Two calls with one key both read its row before either wrote "last used": only one may write it
    (two concurrent updates of one row are a DuckDB write conflict, which answered 500)."""
    from data import api_keys as key_rows
    key, secret = api_keys.create("ana", by="ana")
    stale = key_rows.get(key.id)
    monkeypatch.setattr(key_rows, "by_prefix", lambda prefix: [stale])  # both calls see the row as it was
    writes = []
    real_touch = key_rows.touch
    monkeypatch.setattr(key_rows, "touch", lambda key_id, when: (writes.append(key_id), real_touch(key_id, when)))
    api_keys.authenticate(secret)
    api_keys.authenticate(secret)
    assert writes == [key.id]

"""The REST API's endpoints beyond /predict with FastAPI's TestClient: batches and jobs, feedback and
History, models, training and tuning jobs, admin; each with its role check and its refusals."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from batch_files import labelled_zip
from test_api import bearer, error_of, png

from data import db, registry
from ml.governance import api_keys, quotas
from ml.jobs import engine as jobs

ROLES = ("admin", "ana", "vic")


def finished(job_id: int) -> str:
    return jobs.runner().wait(job_id, timeout=600).status


# who may call what: (method, path, body, the roles allowed)
MATRIX = [
    ("GET", "/api/v1/models", None, {"admin", "ana"}),
    ("GET", "/api/v1/models/1", None, {"admin", "ana"}),
    ("POST", "/api/v1/models/1/activate", None, {"admin", "ana"}),
    ("POST", "/api/v1/training-jobs", {"family": "knn", "dataset": "nope:unknown"}, {"admin", "ana"}),
    ("POST", "/api/v1/studies", {"family": "knn", "dataset": "nope:unknown"}, {"admin", "ana"}),
    ("GET", "/api/v1/batches/999/items", None, {"admin", "ana"}),
    ("POST", "/api/v1/predictions/999999/feedback", {"digit": 3}, {"admin", "ana"}),
    ("GET", "/api/v1/predictions", None, {"admin", "ana", "vic"}),
    ("GET", "/api/v1/users", None, {"admin"}),
    ("POST", "/api/v1/users/nobody/deactivate", None, {"admin"}),
    ("PUT", "/api/v1/users/vic/role", {"role": "viewer"}, {"admin"}),
    ("POST", "/api/v1/users/vic/quota/refill", None, {"admin"}),
    ("GET", "/api/v1/usage", None, {"admin"}),
    ("GET", "/api/v1/audit", None, {"admin"}),
    ("GET", "/api/v1/audit/verify", None, {"admin"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_every_endpoint_checks_the_role_and_audits_refusals(client, keys, method, path, body, allowed):
    for name in ROLES:
        response = client.request(method, path, json=body, headers=bearer(keys[name]))
        if name in allowed:
            assert response.status_code not in (401, 403), (name, response.text)
        else:
            assert "may not do this" in error_of(response, 403, "forbidden"), name
            assert db.one("SELECT count(*) FROM audit_log WHERE username = ? AND outcome = 'denied' AND action LIKE 'api %'",
                          [name])[0] >= 1
    assert client.request(method, path, json=body).status_code == 401


def test_a_demoted_analyst_s_key_loses_the_lab_at_the_next_call(client, keys):
    assert client.get("/api/v1/models", headers=bearer(keys["ana"])).status_code == 200
    client.put("/api/v1/users/ana/role", json={"role": "viewer"}, headers=bearer(keys["admin"])).raise_for_status()
    error_of(client.get("/api/v1/models", headers=bearer(keys["ana"])), 403, "forbidden")
    assert client.get("/api/v1/predictions", headers=bearer(keys["ana"])).status_code == 200


def test_a_batch_runs_and_its_items_page_and_download(client, keys, tmp_path):
    labels = labelled_zip(tmp_path / "digits.zip", per_digit=2)
    files = [("files", ("digits.zip", (tmp_path / "digits.zip").read_bytes(), "application/zip")),
             ("files", ("one.png", png(), "image/png")), ("files", ("bad.png", b"not an image", "image/png"))]
    started = client.post("/api/v1/batches", files=files, data={"labelled": "true"}, headers=bearer(keys["ana"]))
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    assert started.json()["status_url"] == f"/api/v1/jobs/{job_id}"
    assert finished(job_id) == "succeeded"
    job = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(keys["ana"])).json()
    assert job["status"] == "succeeded" and job["kind"] == "batch" and job["created_by"] == "ana"
    first = client.get(f"/api/v1/batches/{job_id}/items?limit=5", headers=bearer(keys["ana"])).json()
    assert first["total"] == len(labels) + 1 and len(first["items"]) == 5
    rest = client.get(f"/api/v1/batches/{job_id}/items?limit=100&offset=5", headers=bearer(keys["ana"])).json()
    assert len(first["items"]) + len(rest["items"]) == first["total"]
    assert {"prediction_id", "digit", "confidence", "not_sure", "file"} <= set(first["items"][0])
    as_csv = client.get(f"/api/v1/batches/{job_id}/items?format=csv", headers=bearer(keys["ana"]))
    assert as_csv.headers["content-type"].startswith("text/csv") and "attachment" in as_csv.headers["content-disposition"]
    assert len(pd.read_csv(io.StringIO(as_csv.text))) == first["total"]
    as_parquet = client.get(f"/api/v1/batches/{job_id}/items?format=parquet", headers=bearer(keys["ana"]))
    assert len(pd.read_parquet(io.BytesIO(as_parquet.content))) == first["total"]
    # another analyst's batch does not exist for this one; the admin sees it
    api_keys.create("ana", by="ana")
    error_of(client.get(f"/api/v1/jobs/{job_id}", headers=bearer(keys["vic"])), 404, "not_found")
    assert client.get(f"/api/v1/jobs/{job_id}", headers=bearer(keys["admin"])).status_code == 200
    message = error_of(client.delete(f"/api/v1/jobs/{job_id}", headers=bearer(keys["ana"])), 409, "conflict")
    assert "has already ended" in message


def test_batch_refusals(client, keys):
    error_of(client.post("/api/v1/batches", content=b"x", headers={**bearer(keys["ana"]), "Content-Type": "image/png"}),
             415, "unsupported_media_type")
    assert "at least one" in error_of(client.post("/api/v1/batches", data={"labelled": "false"},
                                                  files={"other": ("a.txt", b"x", "text/plain")},
                                                  headers=bearer(keys["ana"])), 400, "bad_request")
    error_of(client.get("/api/v1/jobs/424242", headers=bearer(keys["ana"])), 404, "not_found")
    error_of(client.delete("/api/v1/jobs/424242", headers=bearer(keys["ana"])), 404, "not_found")
    error_of(client.get("/api/v1/jobs/abc", headers=bearer(keys["ana"])), 422, "invalid")
    error_of(client.get("/api/v1/batches/1/items?format=xlsx", headers=bearer(keys["ana"])), 422, "invalid")


def test_feedback_and_history(client, keys):
    made = client.post("/api/v1/predict", content=png(), headers={**bearer(keys["ana"]), "Content-Type": "image/png"})
    pid = made.json()["prediction_id"]
    given = client.post(f"/api/v1/predictions/{pid}/feedback", json={"digit": 7}, headers=bearer(keys["ana"]))
    assert given.json() == {"prediction_id": pid, "digit": 7, "correct": False}
    listed = client.get("/api/v1/predictions?feedback=true&corrected=true", headers=bearer(keys["ana"])).json()
    assert [r["id"] for r in listed["items"]] == [pid] and listed["items"][0]["true_digit"] == 7
    assert listed["total"] == 1
    assert client.delete(f"/api/v1/predictions/{pid}/feedback", headers=bearer(keys["ana"])).json()["digit"] is None
    assert "nothing to withdraw" in error_of(client.delete(f"/api/v1/predictions/{pid}/feedback",
                                                           headers=bearer(keys["ana"])), 400)
    error_of(client.post(f"/api/v1/predictions/{pid}/feedback", json={"digit": 12}, headers=bearer(keys["ana"])), 422)
    error_of(client.post(f"/api/v1/predictions/{pid}/feedback", json={"digit": "seven"}, headers=bearer(keys["ana"])), 422)
    error_of(client.post("/api/v1/predictions/424242/feedback", json={"digit": 1}, headers=bearer(keys["ana"])), 404)
    # a viewer's History is their own, whatever they ask for
    client.post("/api/v1/predict", content=png(), headers={**bearer(keys["vic"]), "Content-Type": "image/png"})
    own = client.get("/api/v1/predictions?user=ana&limit=500", headers=bearer(keys["vic"])).json()
    assert own["total"] >= 1 and {r["username"] for r in own["items"]} == {"vic"}
    paged = client.get("/api/v1/predictions?limit=1&offset=0&source=api", headers=bearer(keys["admin"])).json()
    assert len(paged["items"]) == 1 and paged["total"] >= 2
    error_of(client.get("/api/v1/predictions?limit=0", headers=bearer(keys["admin"])), 422, "invalid")


def test_models_detail_activate_and_training_and_tuning_jobs(client, keys):
    models = client.get("/api/v1/models", headers=bearer(keys["ana"])).json()
    active = next(m for m in models if m["active"])
    detail = client.get(f"/api/v1/models/{active['id']}", headers=bearer(keys["ana"])).json()
    assert len(detail["confusion_matrix"]) == 10 and 0 < detail["threshold"] <= 1 and detail["metrics"]["accuracy"] > 0.5
    error_of(client.get("/api/v1/models/424242", headers=bearer(keys["ana"])), 404, "not_found")
    error_of(client.post("/api/v1/models/424242/activate", headers=bearer(keys["ana"])), 404, "not_found")
    refused = client.post("/api/v1/training-jobs", json={"family": "no-such-family", "dataset": "digits"},
                          headers=bearer(keys["ana"]))
    assert "Unknown model family" in error_of(refused, 400, "bad_request")
    started = client.post("/api/v1/training-jobs", json={"family": "knn", "dataset": "digits"}, headers=bearer(keys["ana"]))
    assert started.status_code == 202, started.text
    assert finished(started.json()["job_id"]) == "succeeded"
    newest = client.get("/api/v1/models", headers=bearer(keys["ana"])).json()[0]
    assert newest["family"] == "knn" and newest["trained_by"] == "ana" and not newest["active"]
    activated = client.post(f"/api/v1/models/{newest['id']}/activate", headers=bearer(keys["ana"])).json()
    assert activated["active"] and registry.active_id() == newest["id"]
    study = client.post("/api/v1/studies", json={"family": "knn", "dataset": "digits", "n_trials": 1, "study": "api<study>"},
                        headers=bearer(keys["ana"]))
    assert study.status_code == 202, study.text
    assert finished(study.json()["job_id"]) == "succeeded"
    assert "between 1 and" in error_of(client.post("/api/v1/studies", json={"family": "knn", "dataset": "digits",
                                                                            "n_trials": 0}, headers=bearer(keys["ana"])), 400)


def test_admin_users_quota_usage_and_audit(client, keys):
    admin = bearer(keys["admin"])
    made = client.post("/api/v1/users", json={"username": "newbie", "name": "New <b>One</b>", "role": "viewer"},
                       headers=admin)
    assert made.status_code == 201 and made.json()["one_time_password"] and made.json()["role"] == "viewer"
    error_of(client.post("/api/v1/users", json={"username": "newbie", "role": "viewer"}, headers=admin), 400)
    error_of(client.post("/api/v1/users", json={"username": "Bad Name!", "role": "viewer"}, headers=admin), 400)
    assert client.put("/api/v1/users/newbie/role", json={"role": "analyst"}, headers=admin).json()["role"] == "analyst"
    error_of(client.put("/api/v1/users/newbie/role", json={"role": "emperor"}, headers=admin), 400)
    assert client.post("/api/v1/users/newbie/deactivate", headers=admin).json()["status"] == "deactivated"
    error_of(client.post("/api/v1/users/ghost/deactivate", headers=admin), 404, "not_found")
    error_of(client.post("/api/v1/users/admin/deactivate", headers=admin), 400)  # not your own account
    names = {u["username"] for u in client.get("/api/v1/users", headers=admin).json()}
    assert {"admin", "ana", "vic", "newbie"} <= names
    client.post("/api/v1/predict", content=png(), headers={**bearer(keys["vic"]), "Content-Type": "image/png"})
    refill = client.post("/api/v1/users/vic/quota/refill", headers=admin).json()
    assert refill["refilled"] >= 1 and refill["left_today"] == quotas.limits("vic").daily
    report = client.get("/api/v1/usage", headers=admin).json()
    assert any(row["username"] == "vic" for row in report["days"])
    error_of(client.get("/api/v1/usage?first=2026-02-01&last=2026-01-01", headers=admin), 400)
    log = client.get("/api/v1/audit?user=admin&action=create_user&text=newbie&limit=5", headers=admin).json()
    assert log["total"] == 1 and log["items"][0]["action"] == "create_user"
    hostile = client.get("/api/v1/audit", params={"text": "'; DROP TABLE audit_log; --%_"}, headers=admin)
    assert hostile.status_code == 200 and hostile.json()["total"] == 0
    verify = client.get("/api/v1/audit/verify", headers=admin).json()
    assert verify["ok"] and verify["checked"] > 0

"""The API in the real server, started the way `make run` starts it (`python -m ml serve`): one process
and one port for the dashboard, the API, the probes and /metrics; a key revoked while a client uses it."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from test_api import png

from data import db
from ml.governance import api_keys
from ml.ops.serving import free_port, stop

ROOT = Path(__file__).resolve().parent.parent


def _until(check, what: str, deadline_s: float = 120):
    """Poll `check()` until it returns something truthy (a condition, not a timing)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} never happened")


def test_dashboard_api_probes_and_metrics_share_one_server(seeded_store):
    admin_key, admin = api_keys.create("admin", by="admin", name="ops")
    ana_key, ana = api_keys.create("ana", by="ana", name="notebook")
    db.close()  # one process per database file: the server needs it
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ml", "serve", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "DIGITLAB_ADMIN_PASSWORD": ""}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        _until(lambda: "serving at" in (proc.stdout.readline() or "exited"), "the server's address line")
        base = f"http://localhost:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.get("/_stcore/health").text == "ok"  # Streamlit's own routes still answer
            assert client.get("/").status_code == 200 and "<div id=\"root\">" in client.get("/").text
            assert client.get("/healthz").json() == {"status": "ok"}
            _until(lambda: client.get("/readyz").status_code == 200, "ready")
            assert client.get("/api/docs").status_code == 200
            as_ana = {"Authorization": f"Bearer {ana}"}
            answer = client.post("/api/v1/predict", files={"file": ("one.png", png(), "image/png")}, headers=as_ana)
            assert answer.status_code == 200, answer.text
            assert answer.json()["digit"] == 1 and answer.headers["X-RateLimit-Limit"]
            families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
            served = [s for s in families["digitlab_http_requests"].samples
                      if s.labels.get("route") == "/api/v1/predict" and s.labels.get("status") == "200"]
            assert served and served[0].value == 1
            assert sum(s.value for s in families["digitlab_predictions"].samples) >= 1
            assert families["digitlab_active_model_id"].samples[0].value >= 1
            revoked = client.delete(f"/api/v1/keys/{ana_key.id}", headers={"X-API-Key": admin})
            assert revoked.json()["state"] == "revoked"
            again = client.post("/api/v1/predict", content=png(), headers={**as_ana, "Content-Type": "image/png"})
            assert again.status_code == 401 and again.json()["error"]["code"] == "unauthorized"
    finally:
        stop(proc)
    assert db.one("SELECT count(*) FROM predictions WHERE username = 'ana'")[0] == 1
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'revoke_api_key' AND username = 'admin'")[0] == 1
    assert db.one("SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND detail = ?",
                  [f"API key {ana_key.id}: revoked"])[0] == 1

"""`python -m ml predict`: CSV answers for good files, a clear message and non-zero exit for bad ones."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile

from conftest import ADMIN_PASSWORD

from data import db, users
from ml.datasets.generated.synthetic import pen_digit_on_paper as font_digit


def _save(image, path):
    image.save(path)
    return path


def _run(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os
    env = {**os.environ, **(env_extra or {})}
    db.close()  # the CLI is another process: it needs the file
    return subprocess.run([sys.executable, "-m", "ml", *args], capture_output=True, text=True, env=env, timeout=180)


def test_predict_files_and_zip_members(seeded_store, tmp_path):
    four = _save(font_digit(4), tmp_path / "four.png")
    archive = tmp_path / "batch.zip"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("hidden.png", b"x")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for d in (1, 8):
            buf = io.BytesIO()
            font_digit(d).save(buf, format="PNG")
            zf.writestr(f"digits/{d}.png", buf.getvalue())
        zf.writestr("readme.txt", "not an image")
        zf.writestr("../escape.png", b"x")           # every unsafe member is reported, the rest go on
        zf.writestr("inner.zip", inner.getvalue())
        zf.writestr("bomb.png", bytes(3 * 1024 * 1024))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    result = _run("predict", str(four), str(archive), str(broken))
    assert result.returncode == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    answers = {r["file"]: int(r["digit"]) for r in rows}
    assert answers == {str(four): 4, f"{archive}:digits/1.png": 1, f"{archive}:digits/8.png": 8}
    assert all(0 < float(r["confidence"]) <= 1 and r["not_sure"] in ("0", "1") for r in rows)
    lines = result.stderr.splitlines()
    reasons = {name: next(line for line in lines if line.startswith(f"{archive}:{name}: "))
               for name in ("../escape.png", "inner.zip", "bomb.png", "readme.txt")}
    assert "unsafe path" in reasons["../escape.png"] and "nested archives" in reasons["inner.zip"]
    assert "zip bomb" in reasons["bomb.png"] and "not an image" in reasons["readme.txt"]
    assert "broken.png" in result.stderr and "Traceback" not in result.stderr
    assert db.one("SELECT count(*) FROM predictions WHERE source = 'cli'")[0] == 3
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'predict_cli' AND outcome = 'error'")[0] == 5


def test_predict_in_the_name_of_an_unknown_user_is_refused(seeded_store, tmp_path):
    four = _save(font_digit(4), tmp_path / "four.png")
    refused = _run("predict", str(four), "--user", "mallory")
    assert refused.returncode == 1 and "not an active user" in refused.stderr and "Traceback" not in refused.stderr
    viewer = _run("predict", str(four), "--user", "vic")  # a viewer may predict
    assert viewer.returncode == 0, viewer.stderr
    assert db.rows("SELECT username FROM predictions") == [("vic",)]


def test_predict_on_a_fresh_database_trains_the_default_model_first(tmp_path):
    image = _save(font_digit(2), tmp_path / "two.png")
    env = {"DIGITLAB_DB": str(tmp_path / "fresh.duckdb"), "DIGITLAB_MODELS": str(tmp_path / "models"),
           "DIGITLAB_DEFAULT_DATA": "digits",  # a fresh database trains the default: the quickest data keeps it short
           "DIGITLAB_ADMIN_PASSWORD": ADMIN_PASSWORD}
    result = _run("predict", str(image), env_extra=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith(f"{image},2,")
    assert list((tmp_path / "models").glob("model-*.joblib"))


def test_first_start_without_admin_password_prints_a_one_time_password_once(tmp_path):
    env = {"DIGITLAB_DB": str(tmp_path / "fresh.duckdb"), "DIGITLAB_MODELS": str(tmp_path / "models"),
           "DIGITLAB_DEFAULT_DATA": "digits",  # a fresh database trains the default: the quickest data keeps it short
           "DIGITLAB_ADMIN_PASSWORD": ""}
    first = _run("init", env_extra=env)
    assert first.returncode == 0 and "one-time password" in first.stderr
    password = (tmp_path / "admin-one-time-password.txt").read_text().strip()
    assert f"one-time password: {password}" in first.stderr
    second = _run("init", env_extra=env)
    assert second.returncode == 0 and "one-time password" not in second.stderr


def test_a_data_command_on_a_fresh_database_names_the_password_file_but_never_prints_the_password(tmp_path):
    image = _save(font_digit(2), tmp_path / "two.png")
    env = {"DIGITLAB_DB": str(tmp_path / "fresh.duckdb"), "DIGITLAB_MODELS": str(tmp_path / "models"),
           "DIGITLAB_DEFAULT_DATA": "digits",  # a fresh database trains the default: the quickest data keeps it short
           "DIGITLAB_ADMIN_PASSWORD": ""}
    result = _run("predict", str(image), env_extra=env)
    assert result.returncode == 0, result.stderr
    password = (tmp_path / "admin-one-time-password.txt").read_text().strip()
    assert password not in result.stderr + result.stdout
    assert "admin-one-time-password.txt" in result.stderr


def test_a_weak_admin_password_from_the_environment_stops_init_with_a_sentence(tmp_path):
    env = {"DIGITLAB_DB": str(tmp_path / "fresh.duckdb"), "DIGITLAB_MODELS": str(tmp_path / "models"),
           "DIGITLAB_DEFAULT_DATA": "digits",  # a fresh database trains the default: the quickest data keeps it short
           "DIGITLAB_ADMIN_PASSWORD": "a"}
    result = _run("init", env_extra=env)
    assert result.returncode == 1
    assert "DIGITLAB_ADMIN_PASSWORD is not acceptable" in result.stderr and "Traceback" not in result.stderr


def test_train_and_evaluate_from_the_command_line(seeded_store, tmp_path):
    import json

    import numpy as np

    from ml.datasets.sources import write_idx
    trained = _run("train", "--family", "knn", "--dataset", "digits", "--param", "n_neighbors=5")
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout)
    assert result["accuracy"] > 0.95
    evaluated = _run("evaluate", "--model", str(result["model_id"]), "--dataset", "digits")
    metrics = json.loads(evaluated.stdout)
    assert evaluated.returncode == 0 and metrics["accuracy"] > 0.95 and len(metrics["per_class"]) == 10
    # its own dataset: the test split only (360 of 1,797 images), and it says so
    assert metrics["n_test"] == 360 and "the 360 test images of digits" in evaluated.stderr
    everything = _run("evaluate", "--model", str(result["model_id"]), "--all")
    whole = json.loads(everything.stdout)
    assert whole["n_test"] == 1797 and "including the 1,437 model" in whole["scored"]
    write_idx(tmp_path / "img", np.zeros((20, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "lab", np.full(20, 4, dtype=np.uint8))
    bad = _run("train", "--family", "knn", "--dataset", f"idx:{tmp_path / 'img'},{tmp_path / 'lab'}")
    assert bad.returncode == 1 and "only one class" in bad.stderr and "Traceback" not in bad.stderr
    assert db.one("SELECT count(*) FROM models")[0] == 2  # nothing registered for the bad dataset


def test_a_first_account_from_the_command_line_gets_an_admin_at_the_next_start(empty_store):
    import os

    from ml.ops.bootstrap import prepare_store
    db.close()
    added = subprocess.run([sys.executable, "-m", "ml", "users", "add", "ana", "--role", "analyst", "--password-stdin"],
                           input="first-pw-123\n", capture_output=True, text=True, env=dict(os.environ), timeout=180)
    assert added.returncode == 0, added.stderr
    assert "no active admin yet" in added.stderr
    said = []
    prepare_store(said.append)
    assert "This database had no active admin, so Digit Lab created user 'admin'" in said[0]
    assert users.get("admin").role == "admin"

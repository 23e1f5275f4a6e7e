"""`python -m ml predict`: CSV answers for good files, a clear message and non-zero exit for bad ones."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile

from conftest import ADMIN_PASSWORD
from data import db
from ml.synthetic import pen_digit_on_paper as font_digit


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
    with zipfile.ZipFile(archive, "w") as zf:
        for d in (1, 8):
            buf = io.BytesIO()
            font_digit(d).save(buf, format="PNG")
            zf.writestr(f"digits/{d}.png", buf.getvalue())
        zf.writestr("readme.txt", "not an image")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    result = _run("predict", str(four), str(archive), str(broken))
    assert result.returncode == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    answers = {r["file"]: int(r["digit"]) for r in rows}
    assert answers == {str(four): 4, f"{archive}:digits/1.png": 1, f"{archive}:digits/8.png": 8}
    assert all(0 < float(r["confidence"]) <= 1 for r in rows)
    assert "broken.png" in result.stderr and "readme.txt" in result.stderr and "Traceback" not in result.stderr
    assert db.one("SELECT count(*) FROM predictions WHERE source = 'cli'")[0] == 3
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'predict_cli' AND outcome = 'error'")[0] == 2


def test_predict_on_a_fresh_database_trains_the_default_model_first(tmp_path):
    image = _save(font_digit(2), tmp_path / "two.png")
    env = {"DIGITLAB_DB": str(tmp_path / "fresh.duckdb"), "DIGITLAB_MODELS": str(tmp_path / "models"),
           "DIGITLAB_ADMIN_PASSWORD": ADMIN_PASSWORD}
    result = _run("predict", str(image), env_extra=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith(f"{image},2,")
    assert list((tmp_path / "models").glob("model-*.joblib"))


def test_first_start_without_admin_password_prints_a_one_time_password_once(tmp_path):
    env = {"DIGITLAB_DB": str(tmp_path / "fresh.duckdb"), "DIGITLAB_MODELS": str(tmp_path / "models"),
           "DIGITLAB_ADMIN_PASSWORD": ""}
    first = _run("init", env_extra=env)
    assert first.returncode == 0 and "one-time password" in first.stderr
    second = _run("init", env_extra=env)
    assert second.returncode == 0 and "one-time password" not in second.stderr


def test_train_and_evaluate_from_the_command_line(seeded_store, tmp_path):
    import json
    from ml.sources import write_idx
    import numpy as np
    trained = _run("train", "--family", "knn", "--dataset", "digits", "--param", "n_neighbors=5")
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout)
    assert result["accuracy"] > 0.95
    evaluated = _run("evaluate", "--model", str(result["model_id"]), "--dataset", "digits")
    metrics = json.loads(evaluated.stdout)
    assert evaluated.returncode == 0 and metrics["accuracy"] > 0.95 and len(metrics["per_class"]) == 10
    write_idx(tmp_path / "img", np.zeros((20, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "lab", np.full(20, 4, dtype=np.uint8))
    bad = _run("train", "--family", "knn", "--dataset", f"idx:{tmp_path / 'img'},{tmp_path / 'lab'}")
    assert bad.returncode == 1 and "only one class" in bad.stderr and "Traceback" not in bad.stderr
    assert db.one("SELECT count(*) FROM models")[0] == 2  # nothing registered for the bad dataset

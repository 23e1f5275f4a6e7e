"""Faults: SIGKILL during a CLI training and a CLI predict, a kill at each step of saving a model,
a read-only database file, a full disk (a small tmpfs; where mounting is not allowed, a file-size
limit makes writes fail the same way). Each ends in one sentence, nothing half-written, and the next
process to open the store cleans up after the dead one."""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from images import pen_png

from data import audit, db, store

ROOT = Path(__file__).resolve().parent.parent




def _many_digits(path: Path, n: int) -> Path:
    pngs = [pen_png(d) for d in range(10)]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for i in range(n):
            archive.writestr(f"d/{i}_{i % 10}.png", pngs[i % 10])
    return path


def _python(code: str, **popen) -> subprocess.Popen:
    db.close()  # the child needs the database file
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            **popen)


def _cli(*args: str, env: dict | None = None, **run) -> subprocess.CompletedProcess:
    db.close()
    return subprocess.run([sys.executable, "-m", "ml", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, **run)


def _reopen() -> None:
    """Open the store as the next process would (this test process has not opened this file yet)."""
    db.close()
    store.init_db()


def test_a_training_killed_in_the_cli_is_marked_interrupted_by_the_next_opener(seeded_store):
    # The real CLI, with a hook that says when fitting has started (so the kill lands inside it).
    child = _python("""
        import sys
        from ml.jobs import engine as jobs
        from ml.cli import commands as cli
        original = jobs.JobContext.progress
        def progress(self, stage, *args, **kwargs):
            print("STAGE", stage, flush=True)
            return original(self, stage, *args, **kwargs)
        jobs.JobContext.progress = progress
        sys.exit(cli.main(["train", "--family", "random_forest", "--param", "n_estimators=1000", "--user", "ana"]))
    """)
    launched = time.monotonic()
    for line in child.stdout:
        if line.startswith("STAGE fitting"):
            break
    else:
        pytest.fail(f"the training ended before fitting: {child.stderr.read()[-1500:]}")
    time.sleep(0.5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed_after = time.monotonic() - launched
    time.sleep(1.0)  # downtime: not the job's time
    _reopen()
    row = db.one("SELECT id, status, date_diff('millisecond', started_at, finished_at) / 1000.0 FROM jobs")
    assert row[1] == "interrupted"
    assert 0 < row[2] < killed_after  # elapsed ends at its last progress, not at this later start
    interrupted = audit.page(username="ana", action="job_train")
    assert any(f"job {row[0]} interrupted" in d for d in interrupted["detail"])
    assert not list((seeded_store / "models").glob("*.part"))
    assert db.one("SELECT count(*) FROM models")[0] == 1  # only the template's default model


@pytest.mark.parametrize("killed_at, registered", [("registry.register", False), ("artifacts.publish", True)])
def test_a_save_killed_at_any_step_leaves_a_whole_model_or_none(seeded_store, killed_at, registered):
    child = _python(f"""
        import os, signal
        from ml.models import artifacts
        from ml.lab import lifecycle, training
        from data import registry
        from ml.datasets.splits import load_embedded
        module, name = {killed_at!r}.split(".")
        target = {{"registry": registry, "artifacts": artifacts}}[module]
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(target, name, die)
        from ml.ops.bootstrap import prepare
        prepare(announce=lambda m: None)
        dataset = load_embedded()
        dataset.name = "digits-copy"  # a SPEC the store has not seen: registered only with its model
        training.train_and_register(dataset, "knn", {{}}, trained_by="ana")
    """)
    child.wait(timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.read()[-2000:]
    assert len(list((seeded_store / "models").glob("*.part"))) == 1  # the kill left a written .part
    from ml.models import artifacts
    from ml.ops.bootstrap import prepare
    db.close()
    prepare(announce=lambda m: None)  # the next start: sweep completes or removes it
    assert not list((seeded_store / "models").glob("*.part"))
    models = db.rows("SELECT id FROM models ORDER BY id")
    assert len(models) == (2 if registered else 1)
    copies = db.one("SELECT count(*) FROM datasets WHERE spec = 'digits-copy'")[0]
    assert copies == (1 if registered else 0)  # never a dataset without its model
    if registered:
        assert artifacts.load(models[-1][0]).family == "knn"  # the completed file matches its sha256
    assert len(list((seeded_store / "models").glob("*.joblib"))) == len(models)


def test_a_predict_killed_mid_run_stored_every_row_it_printed(seeded_store, tmp_path):
    archive = _many_digits(tmp_path / "many.zip", 1600)
    db.close()
    child = subprocess.Popen([sys.executable, "-m", "ml", "predict", str(archive)], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    printed = 0
    for line in child.stdout:
        printed += line.startswith(str(archive))
        if printed == 600:  # the second chunk is being printed: the third is not stored yet
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    _reopen()
    stored = db.one("SELECT count(*) FROM predictions WHERE source = 'cli'")[0]
    assert stored >= printed and stored % 500 == 0  # whole chunks only, never half a row


@contextmanager
def _mounted(folder: Path, *options: str):
    """A small tmpfs or a read-only bind mount at `folder`; None where this process may not mount."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *options, str(folder)], capture_output=True)
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fsize_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _app_on(database: Path):
    """The app started on `database` (its cached bootstrap cleared, as in a fresh server)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    db.close()
    st.cache_resource.clear()
    saved = os.environ["DIGITLAB_DB"]
    os.environ["DIGITLAB_DB"] = str(database)
    try:
        return AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    finally:
        os.environ["DIGITLAB_DB"] = saved
        db.close()


def test_a_read_only_database_is_one_sentence_naming_the_file(seeded_store, tmp_path):
    source = tmp_path / "ro-source"
    source.mkdir()
    shutil.copy(seeded_store / "digitlab.duckdb", source / "digitlab.duckdb")
    target = tmp_path / "ro"
    image = tmp_path / "four.png"
    image.write_bytes(pen_png(4))
    with _mounted(target, "--bind", "-o", "ro", str(source)) as mounted:
        if not mounted:  # no mount here: a file the user cannot write (root ignores modes, so mount above)
            shutil.copytree(source, target, dirs_exist_ok=True)
            os.chmod(target / "digitlab.duckdb", 0o444)
            os.chmod(target, 0o555)
        done = _cli("predict", str(image), env={"DIGITLAB_DB": str(target / "digitlab.duckdb")})
        at = _app_on(target / "digitlab.duckdb")
    assert not at.exception and len(at.error) == 1  # the app at start: the same sentence, no error page
    assert str(target / "digitlab.duckdb") in at.error[0].value and "read-only" in at.error[0].value
    assert done.returncode == 2 and "Traceback" not in done.stderr
    sentence = done.stderr.strip()
    assert "\n" not in sentence and str(target / "digitlab.duckdb") in sentence and "read-only" in sentence
    assert done.stdout == ""


def test_a_full_disk_loses_no_printed_row_and_saves_no_half_model(seeded_store, tmp_path):
    disk = tmp_path / "disk"
    archive = _many_digits(tmp_path / "many.zip", 3000)
    with _mounted(disk, "-t", "tmpfs", "-o", "size=128m", "tmpfs") as mounted:
        shutil.copy(seeded_store / "digitlab.duckdb", disk / "digitlab.duckdb")
        shutil.copytree(seeded_store / "models", disk / "models")
        env = {"DIGITLAB_DB": str(disk / "digitlab.duckdb"), "DIGITLAB_MODELS": str(disk / "models")}
        limit = {} if mounted else {"preexec_fn": _fsize_limit(600_000)}  # the WAL may grow to ~600 KB
        if mounted:  # leave ~600 KB free: about one chunk of 500 rows
            free = shutil.disk_usage(disk).free
            (disk / "filler").write_bytes(bytes(max(0, free - 600_000)))
        done = _cli("predict", str(archive), env=env, **limit)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-1500:]
        assert "is full" in done.stderr and str(disk / "digitlab.duckdb") in done.stderr
        printed = len(done.stdout.strip().splitlines()) - 1
        assert f"The {printed:,} rows printed above were stored; the rest were not." in done.stderr
        if mounted:
            (disk / "filler").unlink()
            (disk / "filler").write_bytes(bytes(max(0, shutil.disk_usage(disk).free - 150_000)))
        for digit in (1, 7):
            (tmp_path / "set" / str(digit)).mkdir(parents=True)
            for i in range(6):
                (tmp_path / "set" / str(digit) / f"{i}.png").write_bytes(pen_png(digit))
        trained = _cli("train", "--family", "mlp", "--param", "hidden_units=2048", "--param", "max_iter=20",
                       "--dataset", "folder:set", "--user", "ana", env=env, **limit)  # a ~1 MB artifact
        assert trained.returncode == 1 and "Traceback" not in trained.stderr
        assert "full" in trained.stderr or "could not be written" in trained.stderr, trained.stderr[-1500:]
        if mounted:
            (disk / "filler").unlink()
        os.environ.update(env)
        try:
            _reopen()
            stored = db.one("SELECT count(*) FROM predictions WHERE source = 'cli'")[0]
            models = db.one("SELECT count(*) FROM models")[0]
            datasets = db.one("SELECT count(*) FROM datasets WHERE spec = 'folder:set'")[0]
            db.close()
        finally:
            os.environ["DIGITLAB_DB"] = str(seeded_store / "digitlab.duckdb")
            os.environ["DIGITLAB_MODELS"] = str(seeded_store / "models")
    assert stored == printed  # every printed row is stored, and nothing unprinted was claimed
    assert models == 1 and datasets == 0  # the failed training registered neither a model nor its dataset
    assert not list((disk / "models").glob("*.part")) if disk.exists() else True

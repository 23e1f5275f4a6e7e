"""A study on a real PostgreSQL server: two `tune-worker` processes add trials at once, none lost or
duplicated; the app imports the study into DuckDB and trains its best trial.

The server is a throw-away cluster in a temp folder on loopback, started by the fixture (PostgreSQL
from Debian's packages, installed when missing)."""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from data import studies
from ml.errors import RequestError

ROOT = Path(__file__).resolve().parent.parent


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if found is None:  # Debian's packages, as the README says
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, capture_output=True)
        found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1]
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    folder = Path(tempfile.mkdtemp(prefix="digitlab-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # initdb refuses root
    if as_postgres:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run([*as_postgres, _binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
                   check=True, capture_output=True)
    ctl = _binary("pg_ctl")
    subprocess.run([*as_postgres, ctl, "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
                    f"-p {port} -k {folder} -h 127.0.0.1", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _worker(url: str, env: dict, *args: str, study: str = "pg-knn", family: str = "knn") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ml", "tune-worker", "--storage", url, "--study", study,
                             "--family", family, *(args or ("--trials", "4"))], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_workers_share_a_postgresql_study_and_the_app_imports_it(postgres, seeded_store, tmp_path):
    from ml.tuning.importer import import_studies
    from ml.tuning.promote import promote
    from ml.tuning.requests import PromoteRequest
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIGITLAB_DB": str(tmp_path / "never.duckdb")}
    workers = [_worker(postgres, env), _worker(postgres, env)]  # both at once: one creates, both add trials
    results = []
    for process in workers:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    assert not (tmp_path / "never.duckdb").exists()  # a worker never opens the app's database
    mine = [set(r["trials_here"]) for r in results]
    assert len(mine[0]) == len(mine[1]) == 4 and not mine[0] & mine[1]  # none duplicated
    [imported] = import_studies(postgres, study="pg-knn", by="ana")
    assert imported["trials"] == 8 and imported["complete"] == 8  # none lost
    record = studies.by_name("pg-knn")
    rows = studies.trials(record.id)
    assert [r.number for r in rows] == list(range(8))
    assert len({r.worker.split("/")[0] for r in rows}) == 2  # trials from two processes
    assert record.family == "knn" and "password" not in json.dumps(record.settings)
    linked = promote(PromoteRequest(record.id, "ana").validated())
    assert studies.model_link(linked["model_id"]) == (record.id, imported["best_trial"])


def test_a_worker_against_an_unreachable_server_says_so(seeded_store):
    from ml.tuning.worker import run_worker
    with pytest.raises(RequestError, match="Could not open the Optuna storage postgresql"):
        run_worker(f"postgresql+psycopg://postgres:secret@127.0.0.1:{_free_port()}/x", "s", n_trials=1, family="knn")


def test_a_worker_names_a_missing_study_or_one_not_set_up_here(seeded_store, tmp_path, capsys):
    import optuna

    from ml.cli.commands import main
    url = f"sqlite:///{tmp_path / 'optuna.db'}"  # any Optuna RDB storage: the checks come before PostgreSQL matters
    assert main(["tune-worker", "--storage", url, "--study", "nope", "--trials", "1"]) == 1
    assert "There is no study 'nope' in that storage; give --family" in capsys.readouterr().err
    optuna.create_study(study_name="theirs", storage=url)  # made by someone else's code, without our set-up
    assert main(["tune-worker", "--storage", url, "--study", "theirs", "--trials", "1"]) == 1
    assert "Study 'theirs' was not set up by Digit Lab" in capsys.readouterr().err
    assert [t.state for t in optuna.load_study(study_name="theirs", storage=url).trials] == []  # left as it was
    assert main(["tune-worker", "--storage", url, "--study", "new", "--family", "knn", "--trials", "0"]) == 1
    assert "Ask for at least one trial; got 0." in capsys.readouterr().err


def test_a_worker_killed_mid_trial_leaves_a_failed_trial_and_the_study_goes_on(postgres, seeded_store, tmp_path):
    import time

    import optuna

    from ml.tuning.importer import import_studies
    from ml.tuning.worker import open_study
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIGITLAB_DB": str(tmp_path / "never.duckdb")}
    # A study of forests of 900-1,000 trees: a trial runs for seconds, long enough to be killed in.
    open_study(postgres, "pg-killed", family="random_forest", space=[
        {"name": "n_estimators", "kind": "int", "low": 900, "high": 1000}])
    doomed = _worker(postgres, env, "--trials", "1", "--grace", "3", study="pg-killed", family="random_forest")
    storage = optuna.storages.RDBStorage(postgres)
    deadline = time.monotonic() + 120
    # Killed once its trial runs *and* has sent a heartbeat: Optuna never marks a running trial without
    # one stale (a worker killed in that instant leaves it running; under load the instant grows).
    from sqlalchemy import text

    def beating() -> bool:
        with storage.engine.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM trial_heartbeats h JOIN trials t ON t.trial_id = h.trial_id "
                "JOIN studies s ON s.study_id = t.study_id WHERE t.state = 'RUNNING' AND s.study_name = 'pg-killed'"
            )).scalar())
    while not beating():
        assert time.monotonic() < deadline and doomed.poll() is None, doomed.stderr.read() if doomed.poll() else ""
        time.sleep(0.2)
    doomed.kill()  # mid-trial, no goodbye
    doomed.wait()
    time.sleep(4)  # longer than the grace period
    # The next worker marks the dead one's trial failed before it starts its own.
    survivor = _worker(postgres, env, "--trials", "1", "--grace", "3", study="pg-killed", family="random_forest")
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    [imported] = import_studies(postgres, study="pg-killed", by="ana")
    rows = studies.trials(studies.by_name("pg-killed").id)
    assert [r.number for r in rows] == [0, 1]
    assert rows[0].state == "FAIL" and rows[1].state in ("COMPLETE", "PRUNED")
    assert imported["failed"] == 1


def test_a_worker_that_finds_the_study_an_instant_after_another_created_it_waits_for_its_set_up(tmp_path):
    """Two workers started at once: one creates the study and writes its set-up a key at a time; the
    other, finding the study already there, waits for the set-up instead of calling it foreign."""
    import threading
    import time

    import optuna

    from ml.tuning.worker import open_study
    url = f"sqlite:///{tmp_path / 'race.db'}"
    optuna.create_study(storage=url, study_name="race")  # created, set-up not yet written

    def set_up_late() -> None:
        time.sleep(0.8)
        open_study(url, "race-template", family="knn")  # the set-up another worker would write
        template = optuna.load_study(study_name="race-template", storage=url).user_attrs
        study = optuna.load_study(study_name="race", storage=url)
        for key, value in template.items():
            study.set_user_attr(key, value)
    writer = threading.Thread(target=set_up_late)
    writer.start()
    try:
        study = open_study(url, "race", family="knn")
    finally:
        writer.join()
    assert study.user_attrs["family"] == "knn"

"""Shared fixtures: every test gets its own DuckDB file and models folder.

The default model is trained once per session into a template store that tests copy.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# One OpenMP and one BLAS thread in every process of the suite (read when numpy and scikit-learn load, so
# set before they do; servers, CLI runs and the bench smoke inherit it): the test workers already fill the
# cores, and idle OpenMP/BLAS threads spin. The app's own caps are ml.runtime.threads' (test_threads).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from data import db  # noqa: E402
from ml import composition  # noqa: E402
from ml.models import artifacts  # noqa: E402

composition.wire()

# No example has a deadline: a busy machine must not fail a test (hypothesis' default is 200 ms).
# CI also replays the same examples every run (no surprise failures on a submission); locally each run
# explores anew.
settings.register_profile("suite", deadline=None)
settings.register_profile("ci", parent=settings.get_profile("suite"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "suite")

# The suite trains the default model on the quick recipe (`handwriting:quick`: the same canonical form,
# family and sources without the distorted copies); `make bench` trains and measures the full one.
os.environ.setdefault("DIGITLAB_DEFAULT_DATA", "handwriting:quick")
# Test workers share the cores: a 2-thread OpenMP fit (XGBoost, histogram boosting) beside another
# worker's work spins instead of fitting (ml.runtime.threads).
os.environ.setdefault("DIGITLAB_FIT_THREADS", "1")
# bcrypt at its lowest cost (ml.governance.passwords.rounds): the suite hashes and checks passwords often, and cost 12
# is slow by design. test_accounts checks that the app's own cost is 12.
os.environ.setdefault("DIGITLAB_BCRYPT_ROUNDS", "4")

ADMIN_PASSWORD = "test-admin-pw-42"
ANALYST_PASSWORD = "test-analyst-pw-42"
VIEWER_PASSWORD = "test-viewer-pw-42"


def _point_at(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("DIGITLAB_DB", str(folder / "digitlab.duckdb"))
    monkeypatch.setenv("DIGITLAB_MODELS", str(folder / "models"))
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(folder))  # dataset SPECs read only under it (ml.datasets.sources)
    db.close()
    artifacts.clear_cache()


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    """A migrated, empty database (no users, no model)."""
    from data import store
    _point_at(monkeypatch, tmp_path)
    monkeypatch.delenv("DIGITLAB_ADMIN_PASSWORD", raising=False)
    store.init_db()
    yield tmp_path
    db.close()


def _build_template(folder: Path) -> Path:
    """A store with admin/analyst/viewer accounts and the trained default model, in `folder`."""
    from ml.governance import accounts
    from ml.ops.bootstrap import prepare
    saved = {k: os.environ.get(k) for k in ("DIGITLAB_DB", "DIGITLAB_MODELS", "DIGITLAB_ADMIN_PASSWORD")}
    os.environ.update(DIGITLAB_DB=str(folder / "digitlab.duckdb"), DIGITLAB_MODELS=str(folder / "models"),
                      DIGITLAB_ADMIN_PASSWORD=ADMIN_PASSWORD)
    db.close()
    try:
        prepare(announce=lambda message: None)
        accounts.create_user("ana", "Ana Analyst", "analyst", ANALYST_PASSWORD, by="admin",
                             must_change_password=False)
        accounts.create_user("vic", "Vic Viewer", "viewer", VIEWER_PASSWORD, by="admin",
                             must_change_password=False)
    finally:
        db.close()
        artifacts.clear_cache()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return folder


@pytest.fixture(scope="session")
def template_store(tmp_path_factory, worker_id) -> Path:
    """A store with admin/analyst/viewer accounts and the trained default model; tests copy it, never
    write to it. Test workers (xdist) share one: the first to need it trains it under a lock in the
    run's own temporary folder, the others wait for it; the second file handed out (test_bench, see
    SLOW_FIRST) needs none, so one worker is busy meanwhile instead of training a second copy beside it."""
    if worker_id == "master":  # no workers: this process's own
        return _build_template(tmp_path_factory.mktemp("template"))
    import fcntl
    run = tmp_path_factory.getbasetemp().parent  # the run's folder, shared by its workers (and only them)
    folder = run / "template"
    with open(run / "template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "ready").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that died half-way
            folder.mkdir()
            _build_template(folder)
            (folder / "ready").touch()
    return folder


@pytest.fixture
def seeded_store(template_store, tmp_path, monkeypatch):
    """A private copy of the template store (tests/browser.py: copy_store)."""
    from browser import copy_store
    copy_store(template_store, tmp_path)
    _point_at(monkeypatch, tmp_path)
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", ADMIN_PASSWORD)
    yield tmp_path
    db.close()
    artifacts.clear_cache()


APP_PATH = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


@pytest.fixture(scope="session", autouse=True)
def _component_scan_once():
    """Every new AppTest scans every installed distribution's metadata for Streamlit components, a large
    share of the page tests' CPU. The installed packages do not change during a run, so each worker scans
    once; a server still scans at its own start."""
    import functools

    from streamlit.components.v2 import manifest_scanner
    scan = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(scan)
    yield
    manifest_scanner.scan_component_manifests = scan


@pytest.fixture
def open_app(seeded_store):
    """open_app(username=None, page=None) -> a run AppTest, signed in as `username` when given.

    Signing in through the form is covered by test_page_signin; other page tests start from a
    signed-in session state the way streamlit-authenticator leaves it.
    """
    return open_page


def open_page(username: str | None = None, page: str | None = None):
    """The app run in AppTest on the store the environment names, signed in as `username` when given."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
    at.run()
    if page:
        at.switch_page(f"../pages/{page}.py").run()
    return at


def texts(at) -> str:
    """Everything an AppTest run shows as text, for asserting on what a user reads."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "metric"):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    return "\n".join(parts)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report on the test item (browser tests save a screenshot on failure)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _no_job_runner_left_over():
    """The job runner is one per process: a test's runner must not claim the next test's queued rows
    (with two test workers, a leftover runner made page tests order-dependent)."""
    yield
    jobs = sys.modules.get("ml.jobs.engine")
    if jobs is not None:
        jobs.reset_runner()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module (never a downloaded browser)."""
    from browser import chromium
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, request):
    """A fresh browser context; on failure its screenshot and the page text go to tests/artifacts/."""
    from browser import NO_ANIMATION
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.add_init_script(NO_ANIMATION)
    page = context.new_page()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        out = Path(__file__).resolve().parent / "artifacts"
        out.mkdir(exist_ok=True)
        page.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
        (out / f"{request.node.name}.txt").write_text(page.inner_text("body"))
    context.close()


# Files that take longest (browsers, servers, the bench) go first: with a file per test worker, a
# long file picked up last would keep one worker busy while the other has nothing left to do. The
# second needs no template store: its worker runs it while the first one trains the shared template.
# xdist sorts files by their number of tests unless told not to: `make test` passes --no-loadscope-reorder
# (without it this order is ignored).
SLOW_FIRST = ("test_browser_walk.py", "test_bench.py", "test_role_matrix.py", "test_browser.py",
              "test_browser_batch.py", "test_tuning_postgres.py", "test_recognition.py", "test_tuning.py", "test_cli.py",
              "test_faults.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))


@pytest.fixture
def client(seeded_store):
    """The REST API and the probes, as the server mounts them, in-process (FastAPI's TestClient)."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from api import server_routes
    with TestClient(Starlette(routes=server_routes()), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def keys(seeded_store):
    """An API key's secret for each role: admin, ana (analyst), vic (viewer)."""
    from ml.governance import api_keys
    return {name: api_keys.create(name, by=name, name=f"{name}'s notebook")[1] for name in ("admin", "ana", "vic")}

"""The role matrix: every page of `dashboard.navigation.PAGES` and every capability of
`ml.governance.policy.CAPABILITIES` × admin / analyst / viewer, allowed or refused.

Data-driven: a page or capability added later is covered without touching this file. Pages are
opened in AppTest (one session per role, switching pages as the menu would) and by typed URL in
real Chromium (one server, one browser context per role). Today a signed-in user who types the
address of a page outside their menu gets that page's own refusal ("Your role (viewer) may not
open Users. Ask an admin if you need it."), audited; that is what is asserted.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from browser import NO_ANIMATION, RECORD_CANVAS_TEXT, chromium, problems_on, settle, sign_in, title_of, wait_for_cookie
from conftest import ADMIN_PASSWORD, ANALYST_PASSWORD, APP_PATH, VIEWER_PASSWORD

from dashboard.navigation import PAGES
from data import audit
from ml.errors import PolicyError
from ml.governance import policy

USERS = {"admin": ("admin", ADMIN_PASSWORD), "analyst": ("ana", ANALYST_PASSWORD), "viewer": ("vic", VIEWER_PASSWORD)}
# Never granted beyond admins, whoever edits the table: a regression here hands a viewer the keys.
ADMIN_ONLY = {"users", "audit", "jobs", "health", "settings", "usage", "manage_users", "delete_model", "cancel_any_job",
              "backup"}
PAGE_KEYS = [p.key for p in PAGES]
ACTIONS = [c for c in policy.CAPABILITIES if c not in PAGE_KEYS]


def address(spec) -> str:
    """The address a person types for a page (Home answers at /home as well as at the root)."""
    return spec.url_path


def refusal(role: str, spec) -> str:
    return f"Your role ({role}) may not open {spec.title}. Ask an admin if you need it."


def test_the_table_is_whole_and_ordered():
    """Every page has its capability; roles are known; what a viewer may, an analyst may, and so an admin."""
    assert set(PAGE_KEYS) <= set(policy.CAPABILITIES)
    for capability, roles in policy.CAPABILITIES.items():
        assert set(roles) <= set(policy.ROLES), capability
        assert "admin" in roles, capability
        if "viewer" in roles:
            assert "analyst" in roles, capability
    for capability in ADMIN_ONLY & set(policy.CAPABILITIES):
        assert policy.CAPABILITIES[capability] == ("admin",), capability
    assert ADMIN_ONLY - {"backup", "jobs", "health"} <= set(policy.CAPABILITIES)
    for spec in PAGES:
        assert spec.path.is_file(), spec.path


def test_every_action_is_allowed_or_refused_and_audited_for_each_role(seeded_store):
    for capability in ACTIONS:
        for role, (username, _) in USERS.items():
            if role in policy.CAPABILITIES[capability]:
                assert policy.require(username, capability) == role, (capability, role)
            else:
                with pytest.raises(PolicyError, match=rf"Your role \({role}\) may not do this"):
                    policy.require(username, capability)
        rows = audit.page(action=capability, limit=1000)
        denied = set(rows[rows["outcome"] == "denied"]["username"])
        assert denied == {u for role, (u, _) in USERS.items() if role not in policy.CAPABILITIES[capability]}


def test_every_page_opens_or_is_refused_for_each_role_in_apptest(seeded_store):
    from streamlit.testing.v1 import AppTest
    for role, (username, _) in USERS.items():
        at = AppTest.from_file(str(APP_PATH), default_timeout=60)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.run()
        for spec in PAGES:
            at.switch_page(f"../pages/{spec.key}.py").run()
            where = f"{spec.key} as {role}"
            assert not at.exception, where
            errors = [e.value for e in at.error]
            if role in spec.roles:
                assert refusal(role, spec) not in errors, where
                title = title_of(spec.path)
                assert at.title and (title is None or at.title[0].value.startswith(title.rstrip())), where
            else:
                assert errors == [refusal(role, spec)], where
                assert not at.title, where  # nothing of the page is shown
        refused = {a.removeprefix("open_page:") for a in audit.page(username=username, limit=1000)["action"]
                   if a.startswith("open_page:")}
        assert refused == {p.key for p in PAGES if role not in p.roles}, role


def _signed_in(username: str):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    return at


def _offered(at, kind: str, key: str) -> bool:
    return any(getattr(w, "key", None) == key for w in at.get(kind))


def test_each_action_is_offered_in_the_app_only_to_the_roles_that_hold_it(seeded_store):
    """Actions in AppTest: the control that does each (on a page the role may open) is there exactly for
    the roles whose capability allows it; the ml entry points refuse the rest (the test above)."""
    from data import predictions, registry
    model = registry.active_id()
    ids = {u: predictions.insert(predictions.PredictionRow(u, "upload", model, 3, 0.9, [0.1] * 10, [0.0] * 784, None, 1.0))
           for u, _ in USERS.values()}
    checked = set()
    for role, (username, _) in USERS.items():
        at = _signed_in(username)
        at.switch_page("../pages/history.py").run()
        assert _offered(at, "toggle", "history_all") == policy.can(role, "history_all"), role
        checked.add("history_all")
        table = at.dataframe[0].value
        position = int(table.index[table["id"] == ids[username]][0])  # everyone sees their own prediction
        at.session_state["history_table"] = {"selection": {"rows": [position], "columns": []}}
        at.run()
        assert not at.exception, role
        assert _offered(at, "button", f"history_save_{ids[username]}") == policy.can(role, "feedback"), role
        checked.add("feedback")
        if policy.can(role, "models"):
            at.switch_page("../pages/models.py").run()
            assert not at.exception, role
            for key, capability in (("act_activate", "activate_model"), ("act_archive", "archive_model"),
                                    ("act_notes", "annotate_model"), ("act_delete", "delete_model")):
                assert _offered(at, "button", key) == policy.can(role, capability), (role, key)
                checked.add(capability)
        if policy.can(role, "datasets"):
            at.switch_page("../pages/datasets.py").run()
            assert _offered(at, "button", "register_dataset"), role
            checked.add("register_dataset")
    # The rest are done on pages only their holders may open (refused above for the others).
    on_their_page = {"predict": "draw", "tune": "tuning", "manage_users": "users", "cancel_any_job": "jobs",
                     "backup": "health"}
    for capability, page in on_their_page.items():
        assert policy.CAPABILITIES[page] == policy.CAPABILITIES[capability], capability
    # batch_all: tests/test_page_batch.py::test_admins_see_every_batch_analysts_only_theirs
    assert checked | set(on_their_page) | {"batch_all"} == set(ACTIONS)


# --- typed URLs in real Chromium --------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(template_store, tmp_path_factory):
    from browser import copy_store, served_app
    folder = copy_store(template_store, tmp_path_factory.mktemp("roles"))
    with served_app(folder) as url, chromium() as launched:
        yield url, launched


def _check(page, role: str, spec) -> None:
    from playwright.sync_api import expect
    main = page.get_by_test_id("stMain")
    if role in spec.roles:
        title = (title_of(spec.path) or "").rstrip()
        expect(main.get_by_role("heading", level=1).first).to_contain_text(title, timeout=30_000)
        expect(main.get_by_text("may not open")).to_have_count(0)
    else:
        expect(main.get_by_text(refusal(role, spec))).to_be_visible(timeout=30_000)
        expect(main.get_by_role("heading", level=1)).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)


@pytest.mark.browser
def test_typed_urls_open_or_refuse_each_page_in_the_browser(served, request):
    """One browser context per role, side by side: each signs in once, then every page's address is
    typed in the analyst's and the viewer's (the admin-only ones in the admin's), each load a new session
    signed in by the cookie, and checked: the page with its title where the role may open it, else exactly
    its refusal. The analyst's pages also get the walk's checks (no exception box, no "None" cell, no time
    of day on an axis): test_browser_walk gives them to the admin's and the viewer's pages, reached
    through the sidebar."""
    from playwright.sync_api import expect
    url, launched = served
    assert all("admin" in spec.roles for spec in PAGES)
    typed = {role: list(PAGES) for role in USERS}
    # The admin opens every page in test_browser_walk; typed here, only the pages no other role may open.
    typed["admin"] = [spec for spec in PAGES if "analyst" not in spec.roles]
    contexts = {role: launched.new_context(viewport={"width": 1280, "height": 900}) for role in typed}
    contexts["analyst"].add_init_script(RECORD_CANVAS_TEXT)  # the walk's checks, for the role it does not walk
    for context in contexts.values():
        context.add_init_script(NO_ANIMATION)
    pages = {role: context.new_page() for role, context in contexts.items()}
    problems: list[str] = []
    where = "sign-in"
    try:
        for role, page in pages.items():
            sign_in(page, url, *USERS[role])
        for page in pages.values():
            expect(page.get_by_role("heading", name="Welcome,")).to_be_visible(timeout=30_000)
            wait_for_cookie(page)
        for spec in PAGES:
            here = {role: page for role, page in pages.items() if spec in typed[role]}
            for page in here.values():
                page.goto(f"{url}/{address(spec)}", wait_until="commit")
            for role, page in here.items():
                where = f"{spec.key} as {role}"
                _check(page, role, spec)
                if role == "analyst":
                    settle(page)
                    problems += problems_on(page, where)
        assert not problems, "\n".join(problems)
    except BaseException as exc:
        exc.add_note(f"at {where}")
        out = Path(__file__).resolve().parent / "artifacts"
        out.mkdir(exist_ok=True)
        for role, page in pages.items():
            page.screenshot(path=str(out / f"{request.node.name}-{role}.png"), full_page=True)
        raise
    finally:
        for context in contexts.values():
            context.close()

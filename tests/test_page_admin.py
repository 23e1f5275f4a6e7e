"""Users and Audit log pages (AppTest): admins use them; other roles are refused, and that is audited."""
from dashboard.text import as_read
from data import audit, users


def test_admin_adds_a_user_who_must_change_the_password(open_app):
    at = open_app("admin", "users")
    assert not at.exception
    at.text_input(key="new_username").input("newbie")
    at.text_input(key="new_name").input("New Analyst")
    at.selectbox(key="new_role").set_value("analyst")
    at.text_input(key="new_password").input("initial-pw-123")
    next(b for b in at.button if b.label == "Add user").click()
    at.run()
    assert not at.exception
    created = users.get("newbie")
    assert created.role == "analyst" and created.must_change_password


def test_typed_url_to_an_admin_page_is_refused_and_audited(open_app):
    for page in ("users", "audit"):
        at = open_app("vic", page)
        assert not at.exception
        assert any("may not open" in e.value for e in at.error)
    refused = audit.page(username="vic")
    assert set(refused["action"]) == {"open_page:users", "open_page:audit"}
    assert set(refused["outcome"]) == {"denied"}


def test_audit_page_filters_by_user(open_app):
    audit.record("ana", "sign_in", "ok")
    at = open_app("admin", "audit")
    at.text_input(key="audit_user").input("ana").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert set(shown["username"]) == {"ana"}


def _add(at, username: str, name: str = "Bad User", password: str = "initial-pw-123"):
    at.text_input(key="new_username").input(username)
    at.text_input(key="new_name").input(name)
    at.text_input(key="new_password").input(password)
    next(b for b in at.button if b.label == "Add user").click()
    return at.run()


def test_a_bad_user_name_is_refused_with_a_sentence_and_the_form_keeps_its_values(open_app):
    at = _add(open_app("admin", "users"), "bad user!")
    assert not at.exception
    assert any("'bad user!' is not allowed" in as_read(e.value) and "lowercase letters, digits" in as_read(e.value)
               for e in at.error)
    assert users.get("bad user!") is None
    assert at.text_input(key="new_username").value == "bad user!"  # nothing to type again
    assert at.text_input(key="new_name").value == "Bad User"
    refused = audit.page(username="admin", action="create_user")
    assert any(o == "error" and "bad user!" in d for o, d in zip(refused["outcome"], refused["detail"]))
    for name in ("Ana", "ana lopez", "ana/..", ""):
        assert _add(at, name).error, name


def test_adding_a_user_says_so_and_empties_the_form(open_app):
    at = _add(open_app("admin", "users"), "ana.lopez-2_b", "Ana López")
    assert not at.exception
    assert any("Added ana.lopez-2_b (Ana López) as analyst." == as_read(s.value) for s in at.success)
    assert at.text_input(key="new_username").value == ""
    assert users.get("ana.lopez-2_b").role == "analyst"


def test_audit_actions_are_picked_from_those_logged_and_text_matches_any_case(open_app):
    audit.record("ana", "sign_in", "ok", "from 10.0.0.1")
    audit.record("ana", "predict_upload", "error", "Could not read Notes.PNG")
    at = open_app("admin", "audit")
    assert set(at.selectbox(key="audit_action").options) >= {"sign_in", "predict_upload", "create_user"}
    at.text_input(key="audit_user").input("ANA").run()
    assert set(at.dataframe[0].value["username"]) == {"ana"}
    at.text_input(key="audit_text").input("SIGN").run()
    assert set(at.dataframe[0].value["action"]) == {"sign_in"}
    at.text_input(key="audit_text").input("notes.png").run()
    assert set(at.dataframe[0].value["action"]) == {"predict_upload"}
    at.text_input(key="audit_text").input("").run()
    at.selectbox(key="audit_action").set_value("predict_upload").run()
    assert set(at.dataframe[0].value["action"]) == {"predict_upload"}
    at.text_input(key="audit_text").input("100%").run()  # LIKE's wildcards are plain characters
    assert any("No audit rows match" in i.value for i in at.info)

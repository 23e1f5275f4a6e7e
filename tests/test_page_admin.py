"""Users and Audit log pages (AppTest): admins use them; other roles are refused, and that is audited."""
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

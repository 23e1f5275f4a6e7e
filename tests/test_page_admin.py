"""Users and Audit log pages (AppTest): admins use them; other roles are refused, and that is audited."""
import json
import re

from conftest import texts

from dashboard.text import as_read
from data import audit, users
from ml.governance import accounts


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
    config = json.loads(at.dataframe[0].proto.columns)  # sized for "denied", not for the first rows' "ok"
    assert config["outcome"]["width"] >= 72


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


def _manage(at, username: str):
    at.selectbox(key="manage_user").set_value(username).run()
    return at


def test_deactivating_ends_the_users_open_session_and_is_audited_with_old_and_new(open_app):
    ana = open_app("ana", "home")
    assert "Welcome, Ana Analyst" in texts(ana)
    at = _manage(open_app("admin", "users"), "ana")
    at.button(key="manage_active").click().run()
    assert not at.exception
    assert any("ana is deactivated" in s.value for s in at.success)
    assert not users.get("ana").active
    ana.run()  # ana's next page run: signed out
    assert {t.label for t in ana.text_input} == {"Username", "Password"}
    change = audit.page(action="deactivate_user")
    assert json.loads(change["details"][0]) == {"old": {"active": True}, "new": {"active": False}}
    assert change["target"][0] == "ana" and change["role"][0] == "admin" and change["session_id"][0]
    assert audit.page(action="session_ended", username="ana")["target"].tolist() == ["ana"]
    at.button(key="manage_active").click().run()  # the same button now reactivates
    assert users.get("ana").active


def test_an_admin_cannot_demote_or_deactivate_themself_on_the_page(open_app):
    at = _manage(open_app("admin", "users"), "admin")
    at.button(key="manage_active").click().run()
    assert any("your own account" in e.value for e in at.error)
    at.selectbox(key="manage_role_admin").set_value("viewer").run()
    at.button(key="manage_change_role").click().run()
    assert any("your own account" in e.value for e in at.error)
    admin = users.get("admin")
    assert admin.active and admin.role == "admin"
    assert set(audit.page(action="change_role")["outcome"]) == {"denied"}


def test_change_role_reset_password_and_delete(open_app):
    at = _manage(open_app("admin", "users"), "vic")
    at.selectbox(key="manage_role_vic").set_value("analyst").run()
    at.button(key="manage_change_role").click().run()
    assert users.get("vic").role == "analyst"
    at.button(key="manage_reset").click().run()
    one_time = at.code[0].value
    assert accounts.verify_password(one_time, users.get("vic").password_hash) and users.get("vic").must_change_password
    at.run()
    assert not at.code  # shown once
    _manage(at, "vic").checkbox(key="manage_delete_sure_vic").check().run()
    at.button(key="manage_delete").click().run()
    assert not at.exception and any("vic is deleted" in s.value for s in at.success)
    assert users.get("vic").deleted_at is not None
    assert "vic" not in set(at.dataframe[0].value["username"])
    at.toggle(key="users_show_deleted").set_value(True).run()
    table = at.dataframe[0].value
    assert table.loc[table["username"] == "vic", "status"].tolist() == ["deleted"]


def test_adding_without_a_password_shows_a_one_time_password_once(open_app):
    at = _add(open_app("admin", "users"), "newbie", "New Viewer", password="")
    assert not at.exception
    one_time = at.code[0].value
    assert accounts.verify_password(one_time, users.get("newbie").password_hash)
    assert users.get("newbie").must_change_password


def test_audit_page_outcome_and_details_filters_row_details_and_total(open_app):
    from ml.governance import users as user_admin
    user_admin.set_role("vic", "analyst", by="admin")
    for _ in range(3):
        audit.record("ana", "sign_in", "denied", "wrong username or password")
    at = open_app("admin", "audit")
    at.selectbox(key="audit_outcome").set_value("denied").run()
    shown = at.dataframe[0].value
    assert set(shown["outcome"]) == {"denied"} and len(shown) == 3
    assert any("Rows 1–3 of 3" in c.value for c in at.caption)
    at.selectbox(key="audit_outcome").set_value(None).run()
    at.text_input(key="audit_text").input('"old"').run()  # inside the details JSON only
    shown = at.dataframe[0].value
    assert shown["action"].tolist()[0] == "change_role"  # newest first; the template's model activation has old/new too
    assert set(shown["action"]) <= {"change_role", "activate_model"}
    at.selectbox(key="audit_row").set_value(int(shown["id"][0])).run()
    assert {"old": {"role": "viewer"}, "new": {"role": "analyst"}} in [j.value if isinstance(j.value, dict)
                                                                       else json.loads(j.value) for j in at.json]


def test_audit_page_pages_in_sql(open_app):
    for i in range(130):
        audit.record("ana", "predict_draw", "ok", f"prediction {i}")
    at = open_app("admin", "audit")
    at.text_input(key="audit_user").input("ana").run()
    assert len(at.dataframe[0].value) == 100
    at.number_input(key="audit_page").set_value(2).run()
    second = at.dataframe[0].value
    assert len(second) == 30 and second["detail"].iloc[-1] == "prediction 0"
    assert any("Rows 101–130 of 130" in c.value for c in at.caption)


def test_verify_button_names_the_first_edited_row(open_app):
    from data import db
    victim = audit.record("ana", "sign_in", "ok")
    at = open_app("admin", "audit")
    at.button(key="audit_verify").click().run()
    assert any("intact" in s.value for s in at.success)
    db.execute("UPDATE audit_log SET outcome = 'denied' WHERE id = ?", [victim])
    at.button(key="audit_verify").click().run()
    assert any(f"broken at row {victim}" in e.value for e in at.error)
    assert audit.page(action="audit_verify")["outcome"].tolist() == ["error", "ok"]


def test_verify_with_a_noted_head_says_whether_newer_rows_were_removed(open_app):
    from data import db
    at = open_app("admin", "audit")
    at.button(key="audit_verify").click().run()
    head = re.search(r"newest hash ([0-9a-f]{64})", next(s.value for s in at.success if "intact" in s.value))[1]
    at.text_input(key="audit_known_head").input(head).run()
    at.button(key="audit_verify").click().run()
    assert any("no rows after it were removed" in s.value for s in at.success)
    db.execute("DELETE FROM audit_log WHERE id >= (SELECT id FROM audit_log WHERE hash = ?)", [head])
    at.button(key="audit_verify").click().run()
    assert any("rows after it were removed" in e.value for e in at.error)


def test_audit_export_holds_every_filtered_row(open_app):
    for i in range(5):
        audit.record("ana", "feedback", "ok", f"prediction {i}: correct")
    at = open_app("admin", "audit")
    at.selectbox(key="audit_action").set_value("feedback").run()
    at.button(key="audit_prepare").click().run()
    assert not at.exception
    assert any("(5 rows)" in str(b.label) for b in at.get("download_button"))

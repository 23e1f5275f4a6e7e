"""Sign-in page (AppTest): one submit signs in, wrong passwords are refused and audited, lockout shows."""
from conftest import ADMIN_PASSWORD, ANALYST_PASSWORD, texts

from data import audit


def _sign_in(at, username: str, password: str):
    fields = {t.label: t for t in at.text_input}
    fields["Username"].input(username)
    fields["Password"].input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def test_unsigned_visitor_sees_only_the_sign_in_form(open_app):
    at = open_app()
    assert not at.exception
    assert "Digit Lab" in texts(at)
    assert {t.label for t in at.text_input} == {"Username", "Password"}
    assert not at.sidebar.button  # no sign-out, no menu


def test_one_submit_signs_in_and_lands_on_home(open_app):
    at = _sign_in(open_app(), "ana", ANALYST_PASSWORD)
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert "Welcome, Ana Analyst" in texts(at)
    assert audit.page(username="ana", action="sign_in")["outcome"].tolist() == ["ok"]


def test_wrong_password_is_refused_with_a_message_and_audited(open_app):
    at = _sign_in(open_app(), "admin", "not-the-password")
    assert "Wrong username or password." in [e.value for e in at.error]
    assert at.session_state["authentication_status"] is not True
    assert audit.page(username="admin", action="sign_in")["outcome"].tolist() == ["denied"]


def test_fifth_failure_locks_even_the_right_password(open_app):
    at = open_app()
    for _ in range(5):
        at = _sign_in(at, "admin", "wrong-password")
    assert any("locked until" in e.value for e in at.error)
    at = _sign_in(at, "admin", ADMIN_PASSWORD)
    assert at.session_state["authentication_status"] is not True
    assert any("locked until" in e.value for e in at.error)


def test_sign_out_returns_to_the_form_and_is_audited(open_app):
    at = _sign_in(open_app(), "ana", ANALYST_PASSWORD)
    at.sidebar.button(key="sign_out").click()
    at.run()
    assert not at.exception
    assert {t.label for t in at.text_input} == {"Username", "Password"}
    assert audit.page(username="ana", action="sign_out")["outcome"].tolist() == ["ok"]


def test_a_deactivated_account_is_told_so_after_its_password_is_checked(open_app):
    from data import users
    users.set_active("ana", False)
    at = _sign_in(open_app(), "ana", ANALYST_PASSWORD)
    assert [e.value for e in at.error] == ["This account is deactivated: ask an admin to reactivate it."]
    assert at.session_state["authentication_status"] is not True
    at = _sign_in(at, "ana", "not-her-password")
    assert [e.value for e in at.error] == ["Wrong username or password."]

"""Account page (AppTest): a generated one-time password forces a change before anything else."""
from conftest import texts

from data import users
from ml import accounts


def test_must_change_password_shows_only_the_change_form(open_app):
    accounts.create_user("newbie", "New", "analyst", "initial-pw-123", by="admin")
    at = open_app("newbie")
    assert not at.exception
    assert "Change your password" in texts(at)
    assert not at.sidebar.get("page_link")
    at.text_input(key="pw_current").input("initial-pw-123")
    at.text_input(key="pw_new").input("brand-new-pw-456")
    at.text_input(key="pw_repeat").input("brand-new-pw-456")
    next(b for b in at.button if b.label == "Change password").click()
    at.run()
    assert not at.exception
    assert not users.get("newbie").must_change_password
    assert "Welcome, New" in texts(at)


def test_mismatched_new_passwords_are_refused(open_app):
    at = open_app("ana", "account")
    at.text_input(key="pw_current").input("whatever")
    at.text_input(key="pw_new").input("brand-new-pw-456")
    at.text_input(key="pw_repeat").input("brand-new-pw-789")
    next(b for b in at.button if b.label == "Change password").click()
    at.run()
    assert "The two new passwords differ." in [e.value for e in at.error]

"""Account page (AppTest): a generated one-time password forces a change before anything else."""
from conftest import texts

from data import users
from ml.governance import accounts


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


def test_the_account_page_shows_own_usage_today_and_quota_left(open_app):
    from ml.governance import quotas
    from ml.governance import settings as settings_catalog
    settings_catalog.put("quota.daily_predictions", 50, by="admin")
    quotas.consume("ana", 7, "upload")
    quotas.consume("vic", 3, "upload")  # someone else's use is not shown as hers
    at = open_app("ana", "account")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Predictions today"] == "7" and metrics["Quota left"] == "43 of 50"
    assert "resets at 00:00 UTC" in texts(at)

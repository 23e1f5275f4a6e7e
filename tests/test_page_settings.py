"""Settings page (AppTest): an admin edits a setting (stored, audited), sets a user's limits and
refills their day; other roles are refused."""
import json

from conftest import texts

from data import audit
from ml.governance import quotas
from ml.governance import settings as settings_catalog


def test_an_admin_changes_a_setting_and_it_is_stored_and_audited(open_app):
    at = open_app("admin", "settings")
    assert not at.exception
    at.number_input(key="setting_quota.per_minute").set_value(30)
    next(b for b in at.button if b.label == "Save quotas settings").click()
    at.run()
    assert not at.exception
    assert settings_catalog.get("quota.per_minute") == 30
    assert "Saved: quota.per_minute." in texts(at)
    row = audit.page(action="change_setting").iloc[0]
    assert row.target == "quota.per_minute" and json.loads(row.details) == {"key": "quota.per_minute", "old": 60,
                                                                            "new": 30}


def test_an_admin_raises_a_users_quota_and_refills_their_day(open_app):
    quotas.consume("vic", 5, "upload")
    at = open_app("admin", "settings")
    at.selectbox(key="quota_user").set_value("vic").run()
    assert {m.label: m.value for m in at.metric}["Used today"] == "5"
    at.number_input(key="quota_vic_quota.daily_predictions").set_value(2000)
    next(b for b in at.button if b.label == "Set vic's limits").click()
    at.run()
    assert not at.exception and quotas.limits("vic").daily == 2000
    assert {m.label: m.value for m in at.metric}["Left today"] == "1,995"  # the metrics beside it, not a reload later
    at.button(key="quota_refill").click().run()
    assert not at.exception and quotas.status("vic").used_today == 0
    assert "had used 5 today" in texts(at)
    assert {m.label: m.value for m in at.metric}["Used today"] == "0"
    at.button(key="quota_default").click().run()
    assert not at.exception and not quotas.limits("vic").overridden
    default = settings_catalog.get("quota.daily_predictions")
    assert {m.label: m.value for m in at.metric}["Left today"] == f"{default:,}"
    assert at.number_input(key="quota_vic_quota.daily_predictions").value == default  # the input too
    assert {"set_quota", "refill_quota"} <= set(audit.page(username="admin").action)


def test_analysts_may_not_open_settings(open_app):
    at = open_app("ana", "settings")
    assert "may not open Settings" in texts(at)
    assert not at.number_input


def test_sizes_are_shown_and_typed_in_megabytes(open_app):
    at = open_app("admin", "settings")
    field = at.number_input(key="setting_batch.total_bytes")
    assert field.value == 500 and field.label.endswith("(MB)")  # not 524288000
    field.set_value(250)
    next(b for b in at.button if b.label == "Save uploads settings").click()
    at.run()
    assert not at.exception
    assert settings_catalog.get("batch.total_bytes") == 250 * 1024 * 1024

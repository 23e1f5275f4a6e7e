"""The settings catalog: typed values with bounds, defaults until set, each change audited old -> new,
and the settings in force where they are used (lockout, job limit)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from data import audit, users
from ml.errors import PolicyError, RequestError
from ml.governance import accounts
from ml.governance import settings as settings_catalog


def test_a_setting_reads_its_default_until_an_admin_changes_it_and_the_change_is_audited(seeded_store):
    assert settings_catalog.get("quota.daily_predictions") == 1000
    settings_catalog.put("quota.daily_predictions", "250", by="admin")
    assert settings_catalog.get("quota.daily_predictions") == 250
    row = audit.page(action="change_setting").iloc[0]
    assert row.username == "admin" and row.target == "quota.daily_predictions"
    assert json.loads(row.details) == {"key": "quota.daily_predictions", "old": 1000, "new": 250}


@pytest.mark.parametrize("key, value, reason", [
    ("quota.per_minute", 0, "between 1 and 100,000"),
    ("quota.per_minute", 2.5, "whole number"),
    ("batch.pixels_per_image", "lots", "whole number"),
    ("session.cookie_days", 365, "between 0.01 and 90"),
])
def test_invalid_values_are_refused_with_a_sentence_and_audited(seeded_store, key, value, reason):
    with pytest.raises(RequestError, match=reason):
        settings_catalog.put(key, value, by="admin")
    assert settings_catalog.get(key) == settings_catalog.CATALOG[key].default
    assert audit.page(action="change_setting")["outcome"].tolist() == ["error"]


def test_only_admins_change_settings(seeded_store):
    with pytest.raises(PolicyError):
        settings_catalog.put("quota.per_minute", 5, by="ana")
    assert settings_catalog.get("quota.per_minute") == 60


def test_the_lockout_policy_in_force_is_the_admins_setting(seeded_store):
    settings_catalog.put("accounts.max_failures", 2, by="admin")
    now = datetime.now()
    accounts.record_sign_in("vic", False, now - timedelta(seconds=2))
    assert accounts.locked_until("vic", now) is None
    accounts.record_sign_in("vic", False, now - timedelta(seconds=1))
    assert accounts.locked_until("vic", now) is not None  # 2 failures lock now, not 5
    assert users.get("vic") is not None


def test_the_upload_limits_edited_here_are_the_ones_a_batch_obeys(seeded_store):
    from ml.governance import batch_limits
    from ml.governance import settings as settings_catalog
    assert {s.key for s in batch_limits.SETTINGS} <= set(settings_catalog.CATALOG)
    settings_catalog.put("batch.files_per_batch", 7, by="admin")
    settings_catalog.put("batch.pixels_per_image", 1_000_000, by="admin")
    limits = batch_limits.current()
    assert limits.files == 7 and limits.pixels == 1_000_000

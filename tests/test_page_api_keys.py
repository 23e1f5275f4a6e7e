"""API keys on the Account page (own keys) and the Users page (everyone's): create, shown once, list, revoke."""
from conftest import texts

from ml.governance import api_keys


def keys_table(at):
    return next(d.value for d in at.dataframe if "prefix" in d.value.columns)


def _create(at, name: str, *, read_only: bool = False):
    at.text_input(key="api_key_name").input(name)
    at.selectbox(key="api_key_expiry").select("30 days")
    if read_only:
        at.checkbox(key="api_key_read_only").check()
    next(b for b in at.button if b.label == "Create key").click()
    return at.run()


def test_a_key_is_created_shown_once_listed_and_revoked(open_app):
    at = open_app("ana", "account")
    assert not at.exception
    assert "/api/docs" in texts(at)  # the OpenAPI page is linked
    at = _create(at, "nightly <pipeline>", read_only=True)
    assert not at.exception
    secret = at.code[0].value
    [key] = api_keys.listed("ana", by="ana")
    assert api_keys.digest(secret) == key.secret_sha256 and key.read_only and key.expires_at is not None
    assert key.name == "nightly <pipeline>"
    table = keys_table(at)
    assert list(table["name"]) == ["nightly <pipeline>"] and list(table["prefix"]) == [key.prefix]
    assert "secret" not in " ".join(table.columns)
    at.run()  # any later run: the secret is gone from the page
    assert not at.code
    at.selectbox(key="api_key_revoke").select(key).run()
    next(b for b in at.button if b.label == "Revoke").click()
    at.run()
    assert not at.exception
    assert api_keys.state(api_keys.listed("ana", by="ana")[0]) == "revoked"


def test_admins_see_and_revoke_everyone_s_keys(open_app):
    key, _ = api_keys.create("vic", by="vic", name="vic's script")
    at = open_app("admin", "users")
    assert not at.exception
    table = keys_table(at)
    assert list(table["user"]) == ["vic"] and list(table["name"]) == ["vic's script"]
    at.selectbox(key="any_api_key_revoke").select(api_keys.listed("vic", by="vic")[0]).run()
    next(b for b in at.button if b.label == "Revoke").click()
    at.run()
    assert not at.exception
    assert api_keys.state(api_keys.listed("vic", by="vic")[0]) == "revoked"

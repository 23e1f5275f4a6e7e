"""API keys on the Account page (your own) and the Users page (everyone's, for admins): create one (its
secret shown once, with a copy button), list them, revoke one. The rules and audit rows live in
`ml.governance.api_keys`; the OpenAPI page that documents the API is linked here."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import failures, text
from data.users import User
from ml.governance import api_keys

_SECRET = "api_key_secret"
DOCS_URL = "/api/docs"
EXPIRY = {"Never": None, "30 days": 30, "90 days": 90, "1 year": 365}


def _frame(keys, *, with_user: bool) -> pd.DataFrame:
    rows = [{**({"user": k.username} if with_user else {}), "id": k.id, "name": k.name, "prefix": k.prefix,
             "read-only": k.read_only, "created": k.created_at, "last used": k.last_used_at, "expires": k.expires_at,
             "state": api_keys.state(k)} for k in keys]
    return text.blank_missing(pd.DataFrame(rows))


def _revoke_picker(keys, by: User, key: str) -> None:
    live = [k for k in keys if api_keys.state(k) == "active"]
    if not live:
        return
    cols = st.columns([3, 1], vertical_alignment="bottom")
    picked = cols[0].selectbox("Revoke a key", live, index=None, key=key, placeholder="Pick a key",
                               format_func=lambda k: f"{k.id}: {k.name} ({k.prefix}…)"
                               + (f" of {k.username}" if k.username != by.username else ""))
    if cols[1].button("Revoke", key=f"{key}_go", disabled=picked is None, icon=":material/key_off:"):
        with failures.boundary("revoke_api_key", by.username):
            api_keys.revoke(picked.id, by=by.username)
        st.session_state.pop(key, None)
        st.rerun()


def own_keys(user: User) -> None:
    """The Account page's section: create, show once, list, revoke."""
    st.subheader("API keys")
    st.caption(f"Programs call Digit Lab's REST API with a key, acting as you with your current role. "
               f"[Open the API documentation]({DOCS_URL}) (OpenAPI).")
    shown = st.session_state.pop(_SECRET, None)
    if shown:
        st.success(f"Key “{text.md(shown[0])}” created. Copy its secret now: it is shown only this once.")
        st.code(shown[1], language=None)
    with st.form("create_api_key", clear_on_submit=True):
        cols = st.columns([3, 2, 2], vertical_alignment="bottom")
        name = cols[0].text_input("Name", key="api_key_name", max_chars=api_keys.NAME_MAX,
                                  placeholder="What it is for, e.g. nightly pipeline")
        expiry = cols[1].selectbox("Expires", list(EXPIRY), key="api_key_expiry")
        read_only = cols[2].checkbox("Read-only", key="api_key_read_only", help="The key may only read, never predict "
                                                                                "or change anything.")
        submitted = st.form_submit_button("Create key", icon=":material/key:")
    if submitted:
        with failures.boundary("create_api_key", user.username):
            record, secret = api_keys.create(user.username, by=user.username, name=name, expires_days=EXPIRY[expiry],
                                             read_only=read_only)
        st.session_state[_SECRET] = (record.name, secret)
        st.rerun()
    keys = api_keys.listed(user.username, by=user.username)
    if keys:
        st.dataframe(_frame(keys, with_user=False), hide_index=True, key="api_keys_table")
        _revoke_picker(keys, user, "api_key_revoke")
    else:
        st.caption("You have no API keys yet.")


def everyone_s_keys(admin: User) -> None:
    """The Users page's section: every user's keys, and revoking any of them."""
    st.subheader("API keys")
    keys = api_keys.listed(None, by=admin.username)
    if not keys:
        st.caption("Nobody has an API key yet.")
        return
    st.dataframe(_frame(keys, with_user=True), hide_index=True, key="all_api_keys_table")
    _revoke_picker(keys, admin, "any_api_key_revoke")

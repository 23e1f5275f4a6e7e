"""The Users page's parts: the table, the panel that changes one account, the add form, and the
message after a change (with a one-time password shown once).

Every change goes through `ml.governance.users` (checked and audited there) inside the failure boundary, so
a refusal (your own account, the last admin) is its sentence and an audit row. After a change the page
reruns so the table shows the new state; the message waits in the session for that run only.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import failures, text
from data.users import User
from ml.governance import accounts, policy
from ml.governance import users as user_admin

_FLASH = "users_flash"
_ADDED = "_users_added"
_ADD_INPUTS = ("new_username", "new_name", "new_password")


def _done(message: str, one_time: str | None = None) -> None:
    st.session_state[_FLASH] = (message, one_time)
    st.rerun()


def flash() -> None:
    """The outcome of the last change, once; a generated password is shown here and nowhere else."""
    kept = st.session_state.pop(_FLASH, None)
    if not kept:
        return
    message, one_time = kept
    st.success(message)
    if one_time:
        st.code(one_time, language=None)
        st.caption("Shown once: copy it now and hand it over. It must be changed at first sign-in.")


def table() -> list[dict]:
    """Every account with its status and lock; deleted ones on request."""
    rows = user_admin.listed(deleted=st.toggle("Show deleted accounts", key="users_show_deleted"))
    frame = pd.DataFrame(rows)
    if not st.session_state.get("users_show_deleted") and not frame.empty:
        frame = frame.drop(columns=["deleted"])
    st.dataframe(text.blank_missing(frame), hide_index=True, key="users_table")
    return [r for r in rows if r["status"] != "deleted"]


def manage(admin: User, rows: list[dict]) -> None:
    """Change one account: role, active, password, lock, delete."""
    st.subheader("Change an account")
    names = [r["username"] for r in rows]
    picked = st.selectbox("Account", names, index=None, key="manage_user", placeholder="Pick a user")
    if picked is None:
        return
    row = next(r for r in rows if r["username"] == picked)
    lock = f", locked until {row['locked until']:%H:%M}" if row["locked until"] else ""
    st.caption(f"{text.md(picked)}: {row['role']}, {row['status']}{lock}.")
    cols = st.columns([2, 1, 1, 1, 1], vertical_alignment="bottom")
    role = cols[0].selectbox("Role", policy.ROLES, index=policy.ROLES.index(row["role"]), key=f"manage_role_{picked}")
    if cols[1].button("Change role", key="manage_change_role", disabled=role == row["role"]):
        _act("change_role", admin, lambda: user_admin.set_role(picked, role, by=admin.username),
             f"{picked} is now {role}.")
    active = row["status"] == "active"
    if cols[2].button("Deactivate" if active else "Reactivate", key="manage_active"):
        if active:
            _act("deactivate_user", admin, lambda: user_admin.deactivate(picked, by=admin.username),
                 f"{picked} is deactivated: they cannot sign in, and an open session ends at its next page run.")
        else:
                _act("reactivate_user", admin, lambda: user_admin.reactivate(picked, by=admin.username),
                 f"{picked} can sign in again.")
    if cols[3].button("Reset password", key="manage_reset"):
        with failures.boundary("reset_password", admin.username):
            one_time = user_admin.reset_password(picked, by=admin.username)
        _done(f"New one-time password for {picked}; their open sessions are ended.", one_time)
    if cols[4].button("Unlock", key="manage_unlock", disabled=not row["locked until"]):
        _act("unlock_user", admin, lambda: user_admin.unlock(picked, by=admin.username), f"{picked} is unlocked.")
    sure = st.checkbox(f"Yes, delete {picked} (they leave the list and can never sign in again; their "
                       "history and audit rows stay)", key=f"manage_delete_sure_{picked}")
    if st.button("Delete account", key="manage_delete", disabled=not sure, type="primary"):
        _act("delete_user", admin, lambda: user_admin.delete(picked, by=admin.username), f"{picked} is deleted.")


def _act(action: str, admin: User, change: Callable[[], None], message: str) -> None:
    with failures.boundary(action, admin.username):
        change()
    _done(message)


def add_form(admin: User) -> None:
    """Add an account: a chosen initial password, or none for a generated one-time password."""
    st.subheader("Add a user")
    if st.session_state.pop(_ADDED, False):  # written before the inputs are drawn: a browser keeps what a widget showed
        for key in _ADD_INPUTS:
            st.session_state[key] = ""
    with st.form("add_user"):  # not cleared on submit: a refused entry keeps what was typed
        username = st.text_input("Username", key="new_username", help=accounts.USERNAME_RULE).strip()
        name = st.text_input("Full name", key="new_name").strip()
        role = st.selectbox("Role", policy.ROLES, index=1, key="new_role")
        password = st.text_input("Initial password", type="password", key="new_password",
                                 help="Leave empty to generate a one-time password, shown once. Either way the "
                                      "user must change it at first sign-in.")
        submitted = st.form_submit_button("Add user")
    if not submitted:
        return
    with failures.boundary("create_user", admin.username):
        one_time = user_admin.create(username, name, role, by=admin.username, password=password or None)
    st.session_state[_ADDED] = True  # added: the form starts empty again
    _done(f"Added {text.md(username)} ({text.md(name)}) as {role}." + (" One-time password:" if one_time else ""),
          one_time)

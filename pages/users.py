"""Users (admin): who has access, and adding accounts."""
import pandas as pd
import streamlit as st

from dashboard import auth, failures, text
from data import users
from ml import accounts, policy

admin = auth.require("users")
st.title("Users")
if added := st.session_state.pop("users_added", None):
    st.success(added)
rows = [{"username": u.username, "name": u.name, "role": u.role, "must change password": u.must_change_password,
         "created": u.created_at} for u in users.active_users()]
st.dataframe(text.blank_missing(pd.DataFrame(rows)), hide_index=True, key="users_table")

st.subheader("Add a user")
with st.form("add_user"):  # not cleared on submit: a refused entry keeps what was typed
    username = st.text_input("Username", key="new_username", help=accounts.USERNAME_RULE).strip()
    name = st.text_input("Full name", key="new_name").strip()
    role = st.selectbox("Role", policy.ROLES, index=1, key="new_role")
    password = st.text_input("Initial password", type="password", key="new_password",
                             help="The user must change it at first sign-in.")
    submitted = st.form_submit_button("Add user")
if submitted:
    with failures.boundary("create_user", admin.username):
        accounts.create_user(username, name, role, password, by=admin.username)
    st.session_state.users_added = f"Added {text.md(username)} ({text.md(name)}) as {role}."
    for key in ("new_username", "new_name", "new_password"):  # added: the form starts empty again
        st.session_state.pop(key, None)
    st.rerun()

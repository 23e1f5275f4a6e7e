"""Users (admin): who has access, and adding accounts."""
import pandas as pd
import streamlit as st

from dashboard import auth, failures
from data import users
from ml import accounts, policy

admin = auth.require("users")
st.title("Users")
rows = [{"username": u.username, "name": u.name, "role": u.role, "must change password": u.must_change_password,
         "created": u.created_at} for u in users.active_users()]
st.dataframe(pd.DataFrame(rows), hide_index=True, key="users_table")

st.subheader("Add a user")
with st.form("add_user", clear_on_submit=True):
    username = st.text_input("Username", key="new_username").strip().lower()
    name = st.text_input("Full name", key="new_name").strip()
    role = st.selectbox("Role", policy.ROLES, index=1, key="new_role")
    password = st.text_input("Initial password", type="password", key="new_password",
                             help="The user must change it at first sign-in.")
    submitted = st.form_submit_button("Add user")
if submitted:
    with failures.boundary("create_user", admin.username):
        accounts.create_user(username, name, role, password, by=admin.username)
    st.success(f"Added {username} as {role}.")
    st.rerun()

"""Account: change your password (forced at first sign-in with a generated password)."""
import streamlit as st

from dashboard import auth
from ml import accounts

user = auth.current_user()
if user is None:
    st.stop()
st.title("Change your password")
if user.must_change_password:
    st.warning("You signed in with a one-time password: choose your own before going on.")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password", key="pw_current")
    new = st.text_input("New password", type="password", key="pw_new",
                        help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters, not only letters or only digits.")
    repeat = st.text_input("Repeat the new password", type="password", key="pw_repeat")
    submitted = st.form_submit_button("Change password")
if submitted:
    if new != repeat:
        st.error("The two new passwords differ.")
    else:
        try:
            accounts.change_password(user.username, current, new)
        except ValueError as exc:
            st.error(str(exc))
        else:
            st.success("Password changed.")
            if user.must_change_password:
                st.session_state["_go_home"] = True  # the full menu appears on the next run
                st.rerun()

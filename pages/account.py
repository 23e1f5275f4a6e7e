"""Account: change your password (forced at first sign-in with a generated password), sign out everywhere."""
import streamlit as st

from dashboard import auth, failures
from dashboard.views import keys as key_views
from ml.governance import accounts, passwords, quotas

user = auth.current_user()
if user is None:
    st.stop()
st.title("Your account")
if user.must_change_password:
    st.warning("You signed in with a one-time password: choose your own before going on.")
st.subheader("Change your password")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password", key="pw_current")
    new = st.text_input("New password", type="password", key="pw_new", help=passwords.RULES)
    repeat = st.text_input("Repeat the new password", type="password", key="pw_repeat")
    submitted = st.form_submit_button("Change password")
if submitted:
    if new != repeat:
        st.error("The two new passwords differ.")
    else:
        with failures.boundary("change_password", user.username):
            accounts.change_password(user.username, current, new)
        auth.keep_this_session()  # the change ended every other session of this user
        st.success("Password changed. Your other sessions are signed out.")
        if user.must_change_password:
            st.session_state["_go_home"] = True  # the full menu appears on the next run
            st.rerun()

if not user.must_change_password:
    st.subheader("Your usage today")
    standing = quotas.status(user.username)
    cols = st.columns(3)
    cols[0].metric("Predictions today", f"{standing.used_today:,}")
    cols[1].metric("Quota left", f"{standing.left_today:,} of {standing.limits.daily:,}")
    cols[2].metric("Rate limit", f"{standing.limits.per_minute:,} a minute")
    st.caption(f"Your quota resets {standing.resets}. A batch counts each image; an admin can refill it.")
    key_views.own_keys(user)
    st.subheader("Sessions")
    st.caption("Signed in on another computer you no longer use? End every session of your account, this one too.")
    if st.button("Sign out everywhere", key="sign_out_everywhere", icon=":material/logout:"):
        accounts.end_sessions(user.username, by=user.username, reason="sign out everywhere")
        auth.sign_out()
        st.rerun()

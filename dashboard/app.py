"""Digit Lab entry point: bootstrap, sign-in gate, and the page list for the signed-in role."""
from __future__ import annotations

import logging

import streamlit as st

from dashboard import auth
from dashboard.navigation import BY_KEY, PAGES, allowed, st_page
from dashboard.resources import bootstrap
from dashboard.text import md
from data.db import StoreError
from ml import composition
from ml.errors import DigitLabError
from ml.governance import policy

if not logging.getLogger().handlers:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="Digit Lab", page_icon=":material/draw:", layout="wide")

composition.wire()  # the job engine's table of kinds, before any page submits a job
try:
    bootstrap()
except (StoreError, DigitLabError) as exc:  # e.g. the database is busy, full or read-only; a refused admin password
    st.error(str(exc))
    st.stop()

auth.restore_from_cookie()
user = auth.current_user()

if user is None:
    # Every page's address answers with the sign-in form (no "Page not found" for a deep link), and
    # the page asked for opens once signed in.
    page = st.navigation([st.Page(auth.sign_in_page, title="Sign in", icon=":material/login:",
                                  url_path="signin", default=True)]
                         + [st.Page(auth.sign_in_then(p.key), title=p.title, url_path=p.url_path) for p in PAGES],
                         position="hidden")
elif user.must_change_password:
    page = st.navigation([st.Page(str(PAGES[-1].path), title="Change your password", icon=":material/key:",
                                  url_path="account", default=True)])
else:
    # Every page is routable so a typed URL reaches the page's own role check (refused and audited);
    # the menu lists only what the role may open.
    routes = {p.key: st_page(p) for p in PAGES}
    # The root address shows Home too, so both "/" and a typed "/home" find it (a default page is served
    # at "/" only). Not a redirect: a switch_page here would drop the sign-in cookie written this run.
    home = BY_KEY["home"]
    landing = st.Page(str(home.path), title=home.title, icon=home.icon, url_path="start", default=True)
    page = st.navigation([landing, *routes.values()], position="hidden")
    if st.session_state.pop("_go_home", False):
        st.switch_page(routes["home"])
    wanted = st.session_state.pop(auth.AFTER_SIGN_IN, None)
    if wanted in routes and wanted != "home" and policy.can(user.role, wanted):
        st.switch_page(routes[wanted])
    with st.sidebar:
        st.markdown("### :material/draw: Digit Lab")
        section = None
        for spec in allowed(user.role):
            if spec.section != section:
                section = spec.section
                st.caption(section)
            st.page_link(routes[spec.key], label=spec.title, icon=spec.icon)

if user is not None:
    with st.sidebar:
        st.divider()
        st.write(f"Signed in as **{md(user.name)}** ({md(user.username)}, {user.role})")  # a name is typed text
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            auth.sign_out()
            st.rerun()

auth.write_pending_cookie()

page.run()

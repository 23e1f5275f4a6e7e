"""Sign-in, sign-out and role guards on top of streamlit-authenticator, with users kept in DuckDB.

Known traps of streamlit-authenticator 0.4 on current Streamlit, and how this module avoids them:
- the first submit is ignored when `login()` runs in the entry script (#184/#204): `login()` runs
  inside the sign-in page given to `st.navigation`, then `st.rerun()` once signed in;
- cookie re-login after refresh (#276): the cookie is read from `st.context.cookies` in the entry
  script before the page list is built, so a reload lands on the page it was on;
- one authenticator per session, never one per page (#156);
- the cookie is written in the run after sign-in, so `st.rerun()` cannot cut it off, by a script
  that reports nothing back: stx's cookie component reruns the script once it has set a cookie,
  and that rerun carries the page the browser was on, undoing a link clicked just after sign-in.
  Being written by a script, it cannot be HttpOnly; it is SameSite=Strict, and Secure over HTTPS;
- the library's token holds only a name and an expiry: ours also signs the session's sign-in time
  (`issued_at`), which revocation, ended sessions and expiry are measured from;
- the signing key and the cookie's name belong to the store (`ml.governance.accounts.cookie_key/cookie_name`).
Lockout and auditing wrap the library's login controller, so the policy lives in `ml.governance.accounts`.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import extra_streamlit_components as stx
import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.models import cookie_model
from streamlit_authenticator.utilities import LoginError

from dashboard.navigation import BY_KEY
from data import audit, users
from data.users import User
from ml.governance import accounts, policy
from ml.governance import settings as settings_catalog

log = logging.getLogger(__name__)

COOKIE_DAYS = 1.0  # default; the admin's "session.cookie_days" setting is in force (cookie_days())
_AUTH_KEY = "_authenticator"
_COOKIE_PENDING = "_auth_cookie_pending"  # "set" or "delete"
_SIGNED_IN_AT = "_signed_in_at"  # when this session signed in: sessions ended after it end here too
_SESSION_ID = "_audit_session_id"  # written on this browser session's audit rows
_SIGN_IN_NOTICE = "_sign_in_notice"  # why this tab was signed out, shown once above the sign-in form


def cookie_days() -> float:
    """How long a sign-in cookie lasts, as the admin set it (Settings page)."""
    return float(settings_catalog.get("session.cookie_days"))


class _QuietCookieManager(stx.CookieManager):
    """stx's CookieManager renders a component when created that reports every cookie back and
    reruns the script; on the sign-in page that rerun can swallow the first submit. Cookies are
    read from `st.context.cookies` (as the library itself does) and written by a plain script."""

    def __init__(self, key: str = "init") -> None:  # noqa: ARG002 - same signature as the parent
        self.cookies = dict(st.context.cookies)

    def set(self, cookie: str, val: Any, key: str = "set", path: str = "/",  # noqa: ARG002
            expires_at: datetime | None = None, **_: Any) -> None:
        expires = expires_at or datetime.now() + timedelta(days=cookie_days())
        _write_cookie(cookie, str(val), format_datetime(expires.astimezone(UTC), usegmt=True))
        self.cookies[cookie] = val

    def delete(self, cookie: str, key: str = "delete") -> None:  # noqa: ARG002
        _write_cookie(cookie, "", "Thu, 01 Jan 1970 00:00:00 GMT")
        self.cookies.pop(cookie, None)


def _write_cookie(name: str, value: str, expires: str) -> None:
    """Set a cookie in the browser without a rerun (see the module docstring); Secure when the page
    came over HTTPS (also behind a TLS proxy, which the browser's address shows)."""
    cookie = json.dumps(f"{name}={value}; expires={expires}; path=/; SameSite=Strict")
    st.html(f"<script>document.cookie = {cookie} + (location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True)


class _StxWithQuietCookies:
    CookieManager = _QuietCookieManager


cookie_model.stx = _StxWithQuietCookies  # the library's CookieModel builds its manager from this name


def _credentials() -> dict[str, Any]:
    return {"usernames": {
        u.username: {"name": u.name, "email": u.email or f"{u.username}@digitlab.local",
                     "password": u.password_hash, "roles": [u.role]}
        for u in users.active_users()}}


class _GuardedLogin:
    """Wraps the library's controller: refuses locked usernames, records every attempt."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def login(self, username: str | None = None, password: str | None = None, *args: Any, **kwargs: Any):
        name = (username or "").lower().strip()
        token = kwargs.get("token")
        if token:  # cookie re-login: refused when the user signed out after the cookie was issued
            issued = _issued_at(token)
            if issued is None or accounts.cookie_revoked(token["username"], issued):
                st.session_state[_COOKIE_PENDING] = "delete"
                return None
            st.session_state[_SIGNED_IN_AT] = issued
            return self._inner.login(token=token)
        if not name:
            return self._inner.login(username, password, *args, **kwargs)
        if not password:
            raise LoginError("Enter your password.")
        result = accounts.sign_in(name, password, lambda: self._inner.login(username, password, *args, **kwargs))
        if not result.ok:
            if st.session_state.get("authentication_status"):  # never leave a refused attempt signed in
                self._inner.logout()
            raise LoginError(result.message)
        st.session_state[_SIGNED_IN_AT] = datetime.now()
        st.session_state[_COOKIE_PENDING] = "set"
        return True


def _issued_at(token: dict) -> datetime | None:
    """The signed sign-in time of a cookie; None for a token without one (made before it was signed in)."""
    value = token.get("issued_at")
    return datetime.fromtimestamp(value) if isinstance(value, int | float) and value > 0 else None


def _token_encoder(model):
    """The library's encoder, with the session's sign-in time signed in and the expiry measured from it."""
    def encode() -> str:
        signed_in = st.session_state.get(_SIGNED_IN_AT) or datetime.now()
        expires = signed_in + timedelta(days=cookie_days())
        return jwt.encode({"username": st.session_state["username"], "issued_at": signed_in.timestamp(),
                           "exp_date": expires.timestamp()}, model.cookie_key, algorithm="HS256")
    return encode


def _safe_cookie_reader(read):
    """The library decodes the cookie wherever it looks at it (entry script and login form) and lets
    some forgeries through as exceptions (`alg: none` raises InvalidAlgorithmError): any cookie that
    cannot be read is no cookie."""
    def get_cookie():
        try:
            return read()
        except Exception as exc:  # noqa: BLE001 - whatever the token holds, it signs nobody in
            log.info("ignored an unusable sign-in cookie: %s", type(exc).__name__)
            st.session_state[_COOKIE_PENDING] = "delete"
            return None
    return get_cookie


def authenticator() -> stauth.Authenticate:
    """This session's authenticator, with credentials read fresh from DuckDB on each call."""
    if _AUTH_KEY not in st.session_state:
        auth = stauth.Authenticate(_credentials(), accounts.cookie_name(), accounts.cookie_key(), cookie_days(),
                                   auto_hash=False, login_sleep_time=0)
        auth.authentication_controller = _GuardedLogin(auth.authentication_controller)
        model = auth.cookie_controller.cookie_model
        model._token_encode = _token_encoder(model)
        auth.cookie_controller.get_cookie = _safe_cookie_reader(auth.cookie_controller.get_cookie)
        st.session_state[_AUTH_KEY] = auth
    auth = st.session_state[_AUTH_KEY]
    auth.authentication_controller.authentication_model.credentials = _credentials()
    return auth


def restore_from_cookie() -> None:
    """Sign a returning browser in from its cookie before the page list is built. Any cookie that
    cannot be read (tampered, wrong signature, `alg: none`, expired) counts as no cookie."""
    if st.session_state.get("authentication_status"):
        return
    auth = authenticator()
    try:
        token = auth.cookie_controller.get_cookie()
        if token:
            auth.authentication_controller.login(token=token)
    except Exception as exc:  # noqa: BLE001 - a bad cookie is no cookie, whatever the library raises
        log.info("ignored an unusable sign-in cookie: %s", type(exc).__name__)
        _forget_session()
        st.session_state[_COOKIE_PENDING] = "delete"


def _forget_session() -> None:
    """Clear this session's sign-in state without a rerun (a rerun here would loop)."""
    for key in ("authentication_status", "username", "name", "email", "roles", _SIGNED_IN_AT, _SESSION_ID):
        st.session_state.pop(key, None)


def write_pending_cookie() -> None:
    """Set or delete the sign-in cookie in a run that st.rerun() does not cut short, so the
    cookie component reaches the browser."""
    pending = st.session_state.pop(_COOKIE_PENDING, None)
    if pending == "set" and st.session_state.get("authentication_status"):
        controller = authenticator().cookie_controller
        controller.cookie_model.cookie_expiry_days = cookie_days()  # the admin's setting in force now
        controller.set_cookie()
    elif pending == "delete":
        authenticator().cookie_controller.delete_cookie()


def current_user() -> User | None:
    """The signed-in, active user; a session whose user was deactivated or deleted, or whose
    sessions were ended (password change, reset, "sign out everywhere"), is signed out here. Binds the
    session id and role that this run's audit rows carry."""
    session_id = st.session_state.setdefault(_SESSION_ID, uuid.uuid4().hex[:12])
    audit.bind(username=None, role=None, session_id=session_id)
    if not st.session_state.get("authentication_status"):
        return None
    user = users.get(st.session_state.get("username") or "")
    signed_in_at = st.session_state.get(_SIGNED_IN_AT)
    name = st.session_state.get("username")
    if user is None or not user.active or (signed_in_at and accounts.session_ended(user.username, signed_in_at)):
        audit.record(name, "session_ended", "ok", "account deactivated or deleted" if user is None or not user.active
                     else "sessions ended (password change, reset or sign out everywhere)", target=name)
        return _end_session("Your session has ended. Please sign in again.")
    if signed_in_at and accounts.session_expired(signed_in_at):
        # An open tab outlives its cookie otherwise: the session-expiry setting holds for it too.
        audit.record(name, "session_expired", "ok", f"signed in at {signed_in_at:%Y-%m-%d %H:%M:%S}, "
                     f"expiry {cookie_days():g} days", target=name)
        return _end_session("Your session expired. Please sign in again.")
    audit.bind(username=user.username, role=user.role, session_id=session_id)
    return user


def _end_session(notice: str) -> None:
    """Sign this tab out at its next page run, with a word on the sign-in form about why."""
    _forget_session()
    st.session_state[_COOKIE_PENDING] = "delete"
    st.session_state[_SIGN_IN_NOTICE] = notice


def keep_this_session() -> None:
    """After this session ended all of its user's sessions (a password change), it stays signed in: a
    new sign-in time, and a cookie carrying it, written now (a reload may follow at once) and again on
    the next run (in case this one is cut short by a rerun)."""
    st.session_state[_SIGNED_IN_AT] = datetime.now() + timedelta(milliseconds=1)
    st.session_state[_COOKIE_PENDING] = "set"
    write_pending_cookie()
    st.session_state[_COOKIE_PENDING] = "set"


def sign_in_page() -> None:
    """The sign-in form; the library's login() runs here, inside the page (see module docstring)."""
    st.title("Digit Lab")
    st.caption("Handwritten-digit recognition workbench. Sign in to continue.")
    left, _ = st.columns([1, 1])
    with left:
        if notice := st.session_state.pop(_SIGN_IN_NOTICE, None):
            st.info(notice, icon=":material/schedule:")
        try:
            authenticator().login(location="main", key="sign_in", captcha=False,
                                  fields={"Form name": "Sign in", "Username": "Username",
                                          "Password": "Password", "Login": "Sign in"})
        except LoginError as exc:
            st.error(str(exc))
    if st.session_state.get("authentication_status"):
        st.rerun()


AFTER_SIGN_IN = "_after_sign_in"  # the page a signed-out visitor asked for


def sign_in_then(page_key: str):
    """The sign-in form at a page's own address; that page opens once signed in."""
    def page() -> None:
        st.session_state[AFTER_SIGN_IN] = page_key
        sign_in_page()
    page.__name__ = f"sign_in_then_{page_key}"
    return page


def sign_out() -> None:
    user = st.session_state.get("username")
    authenticator().authentication_controller.logout()
    st.session_state[_COOKIE_PENDING] = "delete"
    if user:
        accounts.record_sign_out(user)
    st.session_state.pop(_SESSION_ID, None)  # a next sign-in in this browser tab is a new session


def require(page_key: str) -> User:
    """The signed-in user if their role may open this page; otherwise a refusal (audited) and stop."""
    user = current_user()
    spec = BY_KEY[page_key]
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    if not policy.can(user.role, page_key):
        audit.record(user.username, f"open_page:{page_key}", "denied", f"role {user.role}")
        st.error(f"Your role ({user.role}) may not open {spec.title}. Ask an admin if you need it.")
        st.stop()
    return user

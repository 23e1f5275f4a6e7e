"""The Settings page's parts: one form per section of the settings catalog, and per-user quotas.

Every value goes through `ml.governance.settings.put` / `ml.governance.quotas`, which validate, store and audit it
(old and new value); this module only lays out widgets and reports what changed.
"""
from __future__ import annotations

import streamlit as st

from dashboard import failures, text
from data.users import User
from ml.governance import quotas
from ml.governance import settings as settings_catalog
from ml.governance.settings import Setting

MB = 1024 * 1024


def _input(setting: Setting, value: int | float, container, prefix: str = "setting") -> int | float:
    """A number input bounded as the catalog says (the page cannot send a value it would refuse); sizes
    in bytes are shown and typed in MB (500, not 524288000) and returned in bytes."""
    if setting.unit == "bytes":
        typed = container.number_input(f"{setting.description} (MB)", min_value=setting.low / MB,
                                       max_value=setting.high / MB, value=value / MB, step=1.0, format="%g",
                                       key=f"{prefix}_{setting.key}",
                                       help=f"`{setting.key}`, default {setting.default / MB:,g} MB")
        return int(round(typed * MB))
    label = f"{setting.description} ({setting.unit})"
    if setting.kind is int:
        return container.number_input(label, min_value=int(setting.low), max_value=int(setting.high),
                                      value=int(value), step=1, key=f"{prefix}_{setting.key}",
                                      help=f"`{setting.key}`, default {setting.default:,}")
    return container.number_input(label, min_value=float(setting.low), max_value=float(setting.high),
                                  value=float(value), step=0.5, key=f"{prefix}_{setting.key}",
                                  help=f"`{setting.key}`, default {setting.default:,}")


def settings_forms(user: User) -> None:
    """One form per section; saving writes (and audits) only the values that changed."""
    values = settings_catalog.values()
    sections: dict[str, list[Setting]] = {}
    for setting in settings_catalog.CATALOG.values():
        sections.setdefault(setting.section, []).append(setting)
    for section, members in sections.items():
        with st.form(f"settings_{section}"):
            st.subheader(section)
            cols = st.columns(2)
            chosen = {s.key: _input(s, values[s.key], cols[i % 2]) for i, s in enumerate(members)}
            saved = st.form_submit_button(f"Save {section.lower()} settings")
        if saved:
            changed = [key for key, value in chosen.items() if value != values[key]]
            with failures.boundary("change_setting", user.username):
                for key in changed:
                    settings_catalog.put(key, chosen[key], by=user.username)
            st.success(f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")


_QUOTA_FLASH = "quota_flash"
_QUOTA_INPUTS = ("quota.daily_predictions", "quota.per_minute")


def _quota_done(who: str, message: str, standing: quotas.Status | None = None) -> None:
    """Rerun with the message, so the metrics above the buttons read the new standing; limits put back
    to the defaults are written into the inputs before they are drawn (a widget keeps what it shows)."""
    st.session_state[_QUOTA_FLASH] = message
    if standing is not None:
        st.session_state[f"_quota_inputs_{who}"] = (standing.limits.daily, standing.limits.per_minute)
    st.rerun()


def quota_section(user: User, usernames: list[str]) -> None:
    """An admin picks a user: their standing today, their own limits, a refill of today's quota."""
    st.subheader("Quotas of one user")
    who = st.selectbox("User", usernames, key="quota_user")
    if who is None:
        return
    if message := st.session_state.pop(_QUOTA_FLASH, None):
        st.success(message)
    standing = quotas.status(who)
    cols = st.columns(3)
    cols[0].metric("Used today", f"{standing.used_today:,}")
    cols[1].metric("Left today", f"{standing.left_today:,}", help=f"Resets {standing.resets}.")
    cols[2].metric("Rate limit", f"{standing.limits.per_minute:,} / min")
    catalog = settings_catalog.CATALOG
    if (reset_to := st.session_state.pop(f"_quota_inputs_{who}", None)) is not None:
        for key, value in zip(_QUOTA_INPUTS, reset_to):
            st.session_state[f"quota_{who}_{key}"] = value
    with st.form("quota_limits"):
        left, right = st.columns(2)
        daily = _input(catalog["quota.daily_predictions"], standing.limits.daily, left, f"quota_{who}")
        per_minute = _input(catalog["quota.per_minute"], standing.limits.per_minute, right, f"quota_{who}")
        save = st.form_submit_button(f"Set {who}'s limits")
    buttons = st.columns(2)
    reset = buttons[0].button("Back to the defaults", key="quota_default", disabled=not standing.limits.overridden)
    refill = buttons[1].button("Refill today's quota", key="quota_refill", icon=":material/refresh:")
    with failures.boundary("set_quota", user.username):
        if save:
            quotas.set_limits(who, daily=daily, per_minute=per_minute, by=user.username)
            _quota_done(who, f"{text.md(who)} may now make {daily:,} predictions a day, {per_minute:,} requests "
                             "a minute.")
        if reset:
            quotas.set_limits(who, daily=None, per_minute=None, by=user.username)
            _quota_done(who, f"{text.md(who)} is back on the default limits.", quotas.status(who))
        if refill:
            before = quotas.refill(who, by=user.username)
            _quota_done(who, f"Refilled: {text.md(who)} had used {before:,} today and has the whole quota again.")
    overrides = quotas.overrides()
    if not overrides.empty:
        st.caption("Users with their own limits (empty: the default)")
        st.dataframe(text.blank_missing(overrides), hide_index=True, key="quota_overrides")

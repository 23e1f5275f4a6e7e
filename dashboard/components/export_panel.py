"""The one download control under every filtered table: pick a format, prepare, download.

Preparing is a button, not work done on every rerun: a million-row export should cost its second
only when asked for. The prepared file is kept in the session until the filters change, so the
download button survives the rerun that clicking it causes.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from dashboard import failures
from data.exports import Query
from ml.reports import exports

FORMAT_CHOICES = tuple(exports.LABELS)


def _fingerprint(query: Query, fmt: str) -> str:
    return hashlib.sha256(repr((query.sql, query.params, fmt)).encode()).hexdigest()


def export_panel(name: str, query: Query, username: str, *, key: str) -> None:
    """Format picker, a "Prepare" button and, once prepared, the download button of the file."""
    cols = st.columns([2, 2, 3], vertical_alignment="bottom")
    fmt = cols[0].selectbox("Export format", FORMAT_CHOICES, format_func=exports.LABELS.get, key=f"{key}_fmt")
    slot = f"{key}_export"
    print_ = _fingerprint(query, fmt)
    if cols[1].button("Prepare export", key=f"{key}_prepare", icon=":material/download:"):
        with failures.boundary("export", username, stop=False), st.spinner("Writing the file…"):
            st.session_state[slot] = (print_, exports.export(name, query, fmt, username))
    kept = st.session_state.get(slot)
    if kept and kept[0] == print_:
        made = kept[1]
        cols[2].download_button(f"Download {made.file_name} ({made.rows:,} rows)", made.data, file_name=made.file_name,
                                mime=made.mime, key=f"{key}_download", on_click="ignore")

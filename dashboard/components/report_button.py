"""One control for a PDF report: "Make the PDF" builds it (audited, inside the failure boundary), then
a download button hands it over. Building is a button, not work done on every rerun, and the file is
kept in the session under its key so the download survives the rerun its click causes."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import failures


def pdf_download(label: str, file_name: str, build: Callable[[], bytes], username: str, *, key: str) -> None:
    cols = st.columns([2, 3], vertical_alignment="bottom")
    slot = f"{key}_pdf"
    if cols[0].button(label, key=f"{key}_make", icon=":material/picture_as_pdf:"):
        with failures.boundary("report", username, stop=False), st.spinner("Drawing the report…"):
            st.session_state[slot] = (file_name, build())
    kept = st.session_state.get(slot)
    if kept and kept[0] == file_name:
        cols[1].download_button(f"Download {file_name}", kept[1], file_name=file_name, mime="application/pdf",
                                key=f"{key}_download", on_click="ignore")

"""The drawing canvas's look: the whole square is for ink.

streamlit-drawable-canvas floats its toolbar (send, undo, redo, edit, bin) over the top right of the
canvas, invisible until hovered: strokes that start under it draw nothing and a stray click can hit
the bin. It has no option to hide it, and its styles live in a shadow root, so the page's own CSS
cannot reach it: the component is registered again under its own name with its stylesheet plus one
rule that hides the toolbar (the page's Clear button starts a fresh drawing instead).
"""
from __future__ import annotations

from importlib import metadata

import streamlit as st

COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"
HIDE_TOOLBAR = ".dc-toolbar{display:none !important}"  # beats the inline display the component sets


def _stylesheet() -> str | None:
    dist = metadata.distribution("streamlit-drawable-canvas")
    found = [f for f in dist.files or () if f.name.endswith(".css") and "frontend/build" in str(f)]
    return found[0].read_text(encoding="utf-8") + "\n" + HIDE_TOOLBAR if len(found) == 1 else None


def free_square() -> None:
    """Register the canvas component with its toolbar hidden, on the runtime serving this page (each
    runtime keeps its own registry; an identical definition registered again changes nothing)."""
    css = _stylesheet()
    if css is None:  # an unexpected build of the component: leave its own look
        return
    st.components.v2.component(COMPONENT, js="index-*.js", css=css, html='<div class="canvas-root"></div>',
                               isolate_styles=True)

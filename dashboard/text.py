"""User-supplied text, numbers and tables as every page shows them.

Streamlit renders Markdown in titles, captions, alerts, progress texts and toasts, so a dataset SPEC
like `![t](http://…)` would make every reader's browser fetch that URL. Anything a person typed
(SPECs, file names, notes, user names, job titles, error sentences that quote them) goes through
`md()` before it reaches one of those. Shares have one format (98.61 %), and tables show blanks,
not "None", in empty cells.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

# The characters that start Markdown inline syntax (links, images, emphasis, code, HTML, tables) or
# Streamlit's own `:material/…:`, `:red[…]` and `$…$` directives: escaped, each shows as itself.
# Text is made one line, so of the block syntax only a leading "1." needs its dot escaped.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-!<>|~$:&])")
_LIST_NUMBER = re.compile(r"^(\d+)\.")
# GFM also links bare URLs and e-mail addresses found in the parsed text, escapes or not: an invisible
# word joiner after "http:", "www" and "@" keeps them plain text.
_AUTOLINK = re.compile(r"(?i)(https?\\?:|ftp\\?:|www(?=\.)|@)")
JOINER = "\u2060"


def md(value: object) -> str:
    """`value` as literal text inside Markdown: no link, image, emphasis, HTML or directive, one line."""
    if value is None:
        return ""
    text = _LIST_NUMBER.sub(r"\1\\.", _MARKDOWN.sub(r"\\\1", " ".join(str(value).split())))
    return _AUTOLINK.sub(lambda m: m.group(1) + JOINER, text)


def chart_text(value: object) -> str:
    """User text inside a plotly figure (legend, title), which renders some HTML (<a href>, <b>)."""
    return html.escape(str(value), quote=False)


def share(value: float | None) -> str:
    """The one format of a share (accuracy, confidence, precision): 98.61%."""
    return "" if value is None or value != value else f"{100 * float(value):.2f}%"


SHARE_FORMAT = "%.2f%%"  # for NumberColumns holding a share already multiplied by 100 (see `as_percent`)


def share_column(label: str | None = None, help: str | None = None) -> st.column_config.NumberColumn:  # noqa: A002
    """A table column of shares stored as 0..1 and multiplied by `as_percent`: shown as 98.61%."""
    return st.column_config.NumberColumn(label, format=SHARE_FORMAT, help=help)


def as_percent(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Shares (0..1) of `columns` as percentages (0..100), for `share_column`."""
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") * 100 for c in columns if c in frame})


def blank_missing(frame: pd.DataFrame, formats: dict[str, Callable[[object], str]] | None = None) -> pd.DataFrame:
    """Columns with an empty cell become text with "" there (Streamlit shows "None" otherwise), their
    other values through their `formats` entry (str by default); columns named in `formats` always
    become text, so they look the same on every page of a table. Other full columns keep their type."""
    formats = formats or {}
    out = frame.copy()
    for column in frame.columns:
        if column in formats or frame[column].isna().any():
            show = formats.get(column, plain)
            out[column] = [("" if pd.isna(v) else show(v)) for v in frame[column]]
    return out


def when(value: object, layout: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A timestamp cell as text, as a datetime column shows it (for `blank_missing`: a job or trial not
    started or not finished gets a blank, not "None")."""
    return pd.Timestamp(value).strftime(layout)


def short_when(value: object) -> str:
    """`when` for narrow tables (the Batch page's jobs): month, day, hours and minutes."""
    return when(value, "%m-%d %H:%M")


def plain(value: object) -> str:
    """A cell as text; whole floats (an int column with blanks becomes float) without a trailing ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_read(markdown: str) -> str:
    """What a reader sees of text passed through `md` (backslash escapes removed): for tests."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(JOINER, "")

"""User text shown as text (issue 9: an analyst could inject Markdown into other users' pages), and
the one format of shares. That the browser shows the escaped text literally, and fetches nothing,
is checked in test_browser_walk."""
import pandas as pd
import pytest

from dashboard.text import as_read, blank_missing, md, share

INJECTIONS = ["![t](http://example.invalid/x.png)", "[click](javascript:alert(1))", "<img src=x onerror=alert(1)>",
              "**bold** _it_ `code`", ":red[alarm] :material/home:", "$x^2$", "# heading", "1. list", "- item",
              "a | b\n|---|---|", "line one\nline two",
              "see http://example.invalid, www.example.invalid or me@example.invalid"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_markdown_syntax_is_escaped_and_reads_as_typed(text):
    shown = md(text)
    for opener in ("![", "](", "[", "<", "**", "`", ":red", "$", "|"):
        assert opener not in shown.replace("\\" + opener[0], ""), (text, shown)
    assert "\n" not in shown and as_read(shown) == " ".join(text.split())
    for autolink in ("://", "www.", "@e"):  # GFM links bare URLs and addresses: a word joiner breaks them
        assert autolink not in shown


def test_shares_have_one_format():
    assert share(0.98612) == "98.61%" and share(1) == "100.00%" and share(None) == ""


def test_tables_show_blanks_for_missing_values():
    frame = pd.DataFrame({"digit": [3, None], "file": ["a.png", None], "n": [1, 2]})
    shown = blank_missing(frame)
    assert shown["digit"].tolist() == ["3", ""] and shown["file"].tolist() == ["a.png", ""]
    assert shown["n"].tolist() == [1, 2]  # full columns keep their type

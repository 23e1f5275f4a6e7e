"""This tab's uploads and their answers, so that every upload is answered or clearly refused on the page.

A file given while the previous file's run is still going interrupts that run at its next Streamlit
call, and reading or writing `st.session_state` is such a call: an answer kept there after the
prediction was stored could be lost with its run. So the page takes its `Ledger` out of the session
before the work and notes each outcome in it with plain Python, and it lists the tab's earlier
outcomes under the current one, every outcome whose run was cut short among them.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st

from dashboard import text
from ml.errors import DigitLabError

KEY = "tab_answers"
RECENT = 10  # earlier answers listed besides any never drawn


@dataclass
class Outcome:
    file: str
    answer: str          # "7", "Not sure: 3 or 5?", "14?0", or the refusal's sentence
    confidence: str      # "" for a refusal
    reference: str       # "prediction #12", "reading #3 (predictions #12–#15)", "" for a refusal
    shown: bool = False


@dataclass
class Noted:
    """The page's answer to one file, kept so that reruns from its feedback widgets do not work again."""
    digest: object
    value: object        # a Prediction or a stored Reading
    outcome: Outcome


@dataclass
class Ledger:
    outcomes: list[Outcome] = field(default_factory=list)
    latest: dict[str, Noted] = field(default_factory=dict)

    def answer(self, mode: str, digest: object) -> Noted | None:
        """The answer already given in `mode` to the file with `digest`, if it was the last one."""
        noted = self.latest.get(mode)
        return noted if noted is not None and noted.digest == digest else None

    def prediction(self, mode: str, digest: object, filename: str, result) -> Noted:
        if result.not_digit:
            answer = "Not a digit"
        elif result.not_sure:
            answer = "Not sure: {} or {}?".format(*result.likeliest)
        else:
            answer = str(result.digit)
        return self._note(mode, digest, result,
                          Outcome(filename, answer, text.share(result.confidence), f"prediction #{result.prediction_id}"))

    def reading(self, mode: str, digest: object, filename: str, stored) -> Noted:
        ids = stored.prediction_ids
        digits = f"predictions #{ids[0]}–#{ids[-1]}" if len(ids) > 1 else (f"prediction #{ids[0]}" if ids else "")
        reference = f"reading #{stored.reading_id} ({digits})" if stored.reading_id is not None else digits
        return self._note(mode, digest, stored,
                          Outcome(filename, stored.reading.shown, text.share(stored.reading.confidence), reference))

    @contextmanager
    def refusals(self, filename: str) -> Iterator[None]:
        """Note a refusal of `filename` (its sentence) before the failure boundary shows it."""
        try:
            yield
        except DigitLabError as exc:
            self.outcomes.append(Outcome(filename, str(exc), "", ""))
            raise

    def _note(self, mode: str, digest: object, value: object, outcome: Outcome) -> Noted:
        self.outcomes.append(outcome)
        self.latest[mode] = noted = Noted(digest, value, outcome)
        return noted


def ledger() -> Ledger:
    """This tab's ledger; take it before the work whose outcome goes in it."""
    return st.session_state.setdefault(KEY, Ledger())


def show_earlier(book: Ledger, current: Noted | None) -> None:
    """The current answer was drawn in full; then the tab's earlier outcomes, newest first: the last
    few, and every one whose run was cut short."""
    if current is not None:
        current.outcome.shown = True
    earlier = [o for o in book.outcomes if current is None or o is not current.outcome]
    listed = [o for i, o in enumerate(earlier) if not o.shown or i >= len(earlier) - RECENT][::-1]
    if not listed:
        return
    st.subheader("Earlier in this tab")
    st.table([{"File": o.file, "Answer": o.answer, "Confidence": o.confidence,
               "Stored as": o.reference or "not stored (refused)"} for o in listed])
    for outcome in listed:
        outcome.shown = True
    st.caption("Every answer stays in History, where you can give feedback on it.")

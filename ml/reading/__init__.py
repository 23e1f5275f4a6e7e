"""Reading whole numbers (a meter reading, an amount, a code) with the single-digit model.

`segment` cuts the ink into pieces and marks separators; `search` scores every run of pieces that
could be a digit through the canonical form and finds the best paths; `reader` turns the best path
into a `Reading` (digits, confidences, boxes, "not sure" marks, alternatives); `devset` composes
development sets from held-back MNIST writers. One canonical form and one digit model stay the only
source of digit knowledge.
"""
from __future__ import annotations

from ml.reading.errors import MAX_DIGITS, NotANumberError, TooManyDigitsError
from ml.reading.reader import ReadDigit, Reading, read_image

__all__ = ["MAX_DIGITS", "NotANumberError", "ReadDigit", "Reading", "TooManyDigitsError", "read_image"]

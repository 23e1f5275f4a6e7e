"""The sentences a reading of a number can end with (DigitLabError subclasses, see ml.errors)."""
from __future__ import annotations

from ml.errors import ImageError

MAX_DIGITS = 12


class NotANumberError(ImageError):
    """The ink is not a written number (one blob, a page of text, scribbles)."""

    kind = "not_a_number"


class TooManyDigitsError(NotANumberError):
    """More digits than a number Digit Lab reads."""

    kind = "too_many_digits"

    def __init__(self, message: str = f"There are too many marks to read as one number: write at most "
                                      f"{MAX_DIGITS} digits in one image.", **kwargs) -> None:
        super().__init__(message, **kwargs)

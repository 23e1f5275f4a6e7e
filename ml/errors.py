"""One error tree for every failure a person can cause or fix.

Each `DigitLabError` carries a whole sentence for that person (what is wrong and what to do).
The CLI prints it and exits non-zero; the dashboard shows it and writes the audit row through one
helper (`dashboard.failures`). Anything that is not a `DigitLabError` is a bug: logged with its
traceback and shown as a short apology, never swallowed.

The subclasses also derive from the built-in type they replace (ValueError, RuntimeError,
PermissionError), so callers that caught those keep working.
"""
from __future__ import annotations


class DigitLabError(Exception):
    """A failure with a user-facing sentence; `kind` names it in audit rows. `audited` is True when
    the code that raised it already wrote the audit row (the boundary then does not write another)."""

    kind = "error"

    def __init__(self, message: str, *, audited: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.audited = audited

    def __str__(self) -> str:
        return self.message


class ImageError(DigitLabError, ValueError):
    """An image that cannot be used (not an image, truncated, too large, a bomb)."""

    kind = "image"


class BlankImageError(ImageError):
    """The image holds no ink to read: nothing is predicted or stored."""

    kind = "blank"


class TooSmallError(BlankImageError):
    """There is ink, but too little to read (a dot, a speck): nothing is predicted or stored."""

    kind = "too_small"


class DatasetError(DigitLabError, ValueError):
    """A dataset SPEC, file or archive that cannot be used."""

    kind = "dataset"


class ArtifactError(DigitLabError, RuntimeError):
    """A model artifact that is missing, changed since it was saved, or unreadable."""

    kind = "artifact"


class NoActiveModelError(ArtifactError):
    """No model is active yet."""

    kind = "no_model"


class RequestError(DigitLabError, ValueError):
    """A request (training, tuning, batch) that is invalid as submitted: refused before any work."""

    kind = "request"


class PolicyError(DigitLabError, PermissionError):
    """The user's role may not do this."""

    kind = "denied"


class QuotaError(DigitLabError):
    """The user is over a quota or rate limit."""

    kind = "quota"


class AuthError(DigitLabError):
    """A call without a usable API key (missing, unknown, revoked, expired, or its user inactive)."""

    kind = "auth"


class NotFoundError(RequestError):
    """A request naming something (a job, a model, a prediction) that does not exist."""

    kind = "not_found"


class ImageTooLargeError(ImageError):
    """An image file over the size limit, refused before it is decoded."""

    kind = "too_large"


class MediaTypeError(DigitLabError):
    """A request body that is neither an image nor a form holding one."""

    kind = "media_type"


class ConflictError(DigitLabError):
    """Valid, but the thing is not in a state that allows it (cancelling a finished job)."""

    kind = "conflict"

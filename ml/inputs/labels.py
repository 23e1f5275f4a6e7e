"""The label a file's name gives an image: the one rule for zip and folder datasets, labelled batches
and training requests.

Kept apart from ml.datasets.sources, which imports the dataset loaders (and with them scikit-learn, ~0.9 s):
a batch reads labels from the first member on, while its model is still loading in another thread.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from ml.errors import DatasetError

_FOLDER = re.compile(r"\d+")
_SUFFIX = re.compile(r"_(\d+)\.[A-Za-z]+$")


def label_in_name(name: str) -> int | None:
    """Sub-folder `0`..`9`, or a file name ending in `_<digit>.<ext>`; None when the name says nothing.
    A number above 9 in either place is a DatasetError (a mislabelled file, not an unlabelled one)."""
    parts = PurePosixPath(name).parts
    if len(parts) >= 2 and _FOLDER.fullmatch(parts[-2]):
        value = int(parts[-2])
        if value > 9:
            raise DatasetError(f"{name} is in a folder named {parts[-2]}; labels are the digits 0 to 9.")
        return value
    found = _SUFFIX.search(parts[-1]) if parts else None
    if found:
        value = int(found.group(1))
        if value > 9:
            raise DatasetError(f"{name} is labelled {value}; labels are the digits 0 to 9.")
        return value
    return None

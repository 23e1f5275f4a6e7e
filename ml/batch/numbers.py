"""Batches in number mode: each image is read as a whole number (`ml.reading`), with the batch job's
chunks, progress, cancel, resume and quota.

A chunk of items is read in this process (a reading needs the digit model, which the decoder processes
do not hold) and stored in one transaction: every digit's prediction row (charged to the quota, as a
reading on Upload is), each reading linked to its rows, and the batch items naming their readings.
Labels for accuracy come from the batch's labels CSV (`file,label`) or, when the batch is labelled,
from the file name: `1450.png`, `meter_1450.png`, `14.50.png` (the name without its extension, or its
part after the last `_`, when that is digits and separators). A reading is right when its digits are
the label's; separators are kept but not compared.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from data import audit, batches, predictions
from ml.batch.items import Item
from ml.batch.prepare import problem_of
from ml.errors import ImageError, RequestError
from ml.governance import quotas
from ml.inputs.images import load_image
from ml.prediction.predictor import Predictor
from ml.reading import MAX_DIGITS, NotANumberError, TooManyDigitsError
from ml.reading.service import digit_rows, link, read_with

CHUNK = 20   # readings per transaction: a reading is ~100x a digit's work, so progress and cancel stay lively
PICTURE = (480, 60_000)   # a batch reading's stored picture: side and bytes (History shows it with its boxes)
LABELS_BYTES = 5 * 2**20
_LABEL = re.compile(r"\d(?:[\d.,\-/ ]*\d)?")


def label_in_name(name: str) -> str | None:
    """The number a file's name gives (`1450.png`, `meter_1450.png`, `14.50.png`), or None."""
    stem = PurePosixPath(name).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    for candidate in (stem, stem.rsplit("_", 1)[-1]):
        if _LABEL.fullmatch(candidate) and sum(ch.isdigit() for ch in candidate) <= MAX_DIGITS:
            return candidate
    return None


def parse_labels(data: bytes) -> dict[str, str]:
    """A labels CSV, `file,label` per line (a header line is allowed), as file -> label; a sentence for a bad one."""
    if len(data) > LABELS_BYTES:
        raise RequestError(f"The labels file is larger than {LABELS_BYTES // 2**20} MB; split the batch.")
    try:
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        raise RequestError("The labels file is not a UTF-8 CSV of file,label lines.") from None
    labels: dict[str, str] = {}
    for number, row in enumerate(lines, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["file", "label"]:
            continue
        if len(cells) < 2 or not cells[0]:
            raise RequestError(f"Line {number} of the labels file is not file,label.")
        label = cells[1]
        if not _LABEL.fullmatch(label) or sum(ch.isdigit() for ch in label) > MAX_DIGITS:
            raise RequestError(f"Line {number} of the labels file labels {cells[0][:80]} “{label[:40]}”: a label is "
                               f"1 to {MAX_DIGITS} digits, with . , - / or spaces between them.")
        labels[cells[0]] = label
    if not labels:
        raise RequestError("The labels file holds no file,label line.")
    return labels


def label_for(name: str, labels: dict[str, str], from_names: bool) -> str | None:
    """The item's label: the CSV's for its name (the whole item name, its path inside its zip, or its base
    name), else its file name's when the batch is labelled."""
    inner = name.split(".zip/", 1)[-1] if ".zip/" in name else name
    for key in (name, inner, PurePosixPath(name).name):
        if key in labels:
            return labels[key]
    return label_in_name(name) if from_names else None


def chunks(stream: Iterator[Item], size: int | None = None) -> Iterator[list[Item]]:
    size = size or CHUNK
    chunk: list[Item] = []
    for item in stream:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _problem(exc: ImageError) -> str:
    if isinstance(exc, TooManyDigitsError):
        return "too many digits"
    if isinstance(exc, NotANumberError):
        return "not a number"
    return problem_of(exc)


def store_chunk(predictor: Predictor, batch_id: int, chunk: list[Item], *, limits, length: int | None,
                labels: dict[str, str], from_names: bool, request: bool = False) -> None:
    """Read the chunk's images and store the readings, their digits' rows and the items in one
    transaction that charges the digits to the owner's quota (the batch's first chunk: also its request)."""
    found = []   # (item, reading, image) or (item, None, (problem, reason))
    for item in chunk:
        if item.data is None or item.problem is not None:
            found.append((item, None, (item.problem or "unreadable", item.reason or "no data")))
            continue
        try:
            image = load_image(item.data, max_bytes=limits.image_bytes, max_pixels=limits.pixels)
            found.append((item, read_with(predictor, image, length), image))
        except ImageError as exc:
            found.append((item, None, (_problem(exc), str(exc))))
    rows = {item.index: digit_rows(predictor, reading, image, filename=item.name, job_id=batch_id)
            for item, reading, image in found if reading is not None}
    stored: list[int] = []
    read_ids: list[int] = []
    with quotas.charged(predictor.username, sum(map(len, rows.values())), "batch", request=request):
        ids = iter(predictions.append([r for k in rows for r in rows[k]]) if rows else [])
        records = []
        for item, reading, extra in found:
            label = label_for(item.name, labels, from_names)
            if reading is None:
                records.append((item.index, item.name, None, None, *extra, None, label))
                continue
            mine = [next(ids) for _ in rows[item.index]]
            stored += mine
            reading_id = link(predictor, reading, extra, mine, length=length, filename=item.name, thumbnail=PICTURE)
            read_ids.append(reading_id)
            records.append((item.index, item.name, None, None, None, None, reading_id, label))
        batches.add_items(batch_id, records)
    predictor.audit_stored(stored)  # after the commit: an audit row is never rolled back
    if read_ids:
        audit.record(predictor.username, "read_batch", "ok", f"batch {batch_id}: {len(read_ids)} reading(s) by model "
                     f"{predictor.model.id}", target=f"readings:{min(read_ids)}-{max(read_ids)}",
                     details={"batch": batch_id, "count": len(read_ids)})


def report(batch_id: int) -> dict:
    """Counts of the whole batch and, where labelled, whole-string and digit accuracy (overall and by the
    label's length), right among the readings not flagged doubtful, and the commonest misreadings."""
    counts = batches.summary(batch_id)
    result: dict = {"batch_id": batch_id, "numbers": True, **counts}
    errors = counts["errors"]
    message = (f"Completed with {errors:,} error{'s' * (errors != 1)}" if errors else "Completed") + \
        f": {counts['predicted']:,} of {counts['items']:,} images read"
    by_length = batches.number_scores(batch_id)
    labelled = sum(s["labelled"] for s in by_length)
    result["labelled"] = labelled
    if labelled:
        right = sum(s["right"] for s in by_length)
        digits = sum(s["digits"] for s in by_length)
        answered = sum(s["answered"] for s in by_length)
        result.update(
            accuracy=right / labelled,
            digit_accuracy=max(0.0, 1 - sum(s["digit_errors"] for s in by_length) / digits) if digits else None,
            answered=answered, answered_share=answered / labelled,
            accuracy_answered=sum(s["right_answered"] for s in by_length) / answered if answered else None,
            by_length=[{"length": s["length"], "labelled": s["labelled"], "accuracy": s["right"] / s["labelled"],
                        "digit_accuracy": max(0.0, 1 - s["digit_errors"] / s["digits"]) if s["digits"] else None}
                       for s in by_length],
            misreads=[{"label": a, "read": b, "count": n} for a, b, n in batches.number_misreads(batch_id)])
        message += f"; {right / labelled:.1%} of {labelled:,} labelled numbers right"
    result["message"] = message + "."
    return result

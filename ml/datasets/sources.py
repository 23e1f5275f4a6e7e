"""Dataset sources named by a SPEC string: `digits`, `feedback`, `idx:IMAGES,LABELS`,
`folder:PATH`, `zip:PATH`, `openml:mnist_784`. Every bad input is one clear DatasetError sentence.

Server-side files are read only under the data folder (`DIGITLAB_DATA_DIR`): a SPEC is typed by an
analyst, and `idx:/etc/passwd` or `folder:/` must not read the server. Errors name files, never
echo their bytes."""
from __future__ import annotations

import gzip
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from data import predictions
from ml.config import DEFAULT_DATA_DIR, data_dir  # noqa: F401 - re-exported
from ml.datasets.splits import Dataset, load_embedded
from ml.errors import DatasetError
from ml.inputs import archives
from ml.inputs.images import MAX_UPLOAD_BYTES, ImageError, load_image
from ml.inputs.labels import label_in_name
from ml.recognition.conventions import CANON_28, CONVENTIONS, DIGITS_8X8, MNIST_28X28, ImageConvention, title
from ml.recognition.preprocess import preprocess

log = logging.getLogger(__name__)

IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC = 2051, 2049
IMAGE_SUFFIXES = archives.IMAGE_SUFFIXES
OPENML_TIMEOUT = 30.0
# The most image bytes an IDX file may declare: MNIST's 70,000 28x28 images are 54.9 MB. Whatever
# the header claims, no more than this is ever decompressed (a 2 MB gzip once expanded to 4.5 GB).
MAX_IDX_BYTES = 56_000_000
MAX_FOLDER_FILES = archives.DATASET_LIMITS.max_members
_KIND = {IDX_IMAGES_MAGIC: "images", IDX_LABELS_MAGIC: "labels"}


def confined(raw: str) -> Path:
    """`raw` (relative to the data folder, or absolute inside it) resolved, links followed; a path
    that lands outside the data folder is refused without saying whether it exists."""
    root = data_dir()
    text = raw.strip()
    if not text:
        raise DatasetError("The SPEC names no file: write a path inside the data folder after the colon.")
    path = Path(text).expanduser()
    resolved = (path if path.is_absolute() else root / path).resolve()
    if not resolved.is_relative_to(root):
        raise DatasetError(f"{text} is outside the data folder {root}: datasets on the server are read only "
                           "from there (set by DIGITLAB_DATA_DIR); put the files in it and name them relative to it.")
    return resolved


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """The file as a stream, gunzipped on the fly when it starts like gzip."""
    if not path.is_file():
        raise DatasetError(f"{path.name} does not exist in the data folder.")
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        if not gzipped:
            yield handle
            return
        with gzip.GzipFile(fileobj=handle) as stream:
            yield stream


def _read_exactly(stream: BinaryIO, n: int, name: str) -> bytes:
    """n bytes, streamed (never more decompressed); a truncated or damaged gzip is one sentence."""
    try:
        data = stream.read(n)
    except (EOFError, OSError, zlib.error) as exc:
        log.info("%s unreadable: %r", name, exc)
        raise DatasetError(f"{name} is a damaged or truncated gzip file: download it again.") from None
    return data


def read_idx(path: Path, magic: int, *, count: int | None = None) -> np.ndarray:
    """An IDX file (raw or .gz) as an array, streamed with a hard cap: the header's counts are checked
    before any payload is read, and no more than the payload it declares is ever decompressed.
    `count` (the labels' count) makes an images file that does not match it fail before its payload."""
    path, kind = Path(path), _KIND[magic]
    name = path.name
    with _opened(path) as stream:
        head = _read_exactly(stream, 16 if magic == IDX_IMAGES_MAGIC else 8, name)
        if len(head) < 8 or int.from_bytes(head[:4], "big") != magic:
            raise DatasetError(f"{name} does not start like an IDX {kind} file (MNIST format, raw or .gz).")
        found = int.from_bytes(head[4:8], "big")
        if found == 0:
            raise DatasetError(f"{name} holds no {kind}: its header counts 0.")
        if magic == IDX_LABELS_MAGIC:
            shape, need = (found,), found
        else:
            if len(head) < 16:
                raise DatasetError(f"{name} is truncated: its header is incomplete.")
            rows, cols = int.from_bytes(head[8:12], "big"), int.from_bytes(head[12:16], "big")
            shape, need = (found, rows, cols), found * rows * cols
        if need > MAX_IDX_BYTES:
            raise DatasetError(f"{name} declares {need / 1e6:,.0f} MB of {kind}; the limit is "
                               f"{MAX_IDX_BYTES / 1e6:,.0f} MB (MNIST's 70,000 images are 55 MB).")
        if count is not None and found != count:
            raise DatasetError(f"{name} holds {found:,} images but the labels file has {count:,} labels.")
        payload = _read_exactly(stream, need, name)
    if len(payload) < need:
        raise DatasetError(f"{name} is truncated: its header declares {need:,} bytes of {kind}, "
                           f"it holds {len(payload):,}.")
    array = np.frombuffer(payload, dtype=np.uint8).reshape(shape)
    return array.astype(np.int64) if magic == IDX_LABELS_MAGIC else array


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write images (n, rows, cols) or labels (n,) as IDX, gzipped when the name ends in .gz."""
    array = np.asarray(array, dtype=np.uint8)
    if array.ndim == 3:
        head = IDX_IMAGES_MAGIC.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    else:
        head = IDX_LABELS_MAGIC.to_bytes(4, "big") + len(array).to_bytes(4, "big")
    payload = head + array.tobytes()
    Path(path).write_bytes(gzip.compress(payload) if str(path).endswith(".gz") else payload)


def _checked(name: str, source: str, X: np.ndarray, y: np.ndarray, conv: ImageConvention) -> Dataset:
    if len(y) == 0:
        raise DatasetError(f"{name} has no images.")
    if len(X) != len(y):
        raise DatasetError(f"{name} has {len(X)} images but {len(y)} labels.")
    if (y < 0).any() or (y > 9).any():
        raise DatasetError(f"{name} has labels outside 0..9.")
    if len(np.unique(y)) < 2:
        raise DatasetError(f"{name} has only one class ({int(y[0])}); a classifier needs at least two.")
    return Dataset(name, X.astype(np.float64), y.astype(np.int64), conv, source)  # checks first, then the copy


def load_idx(images: Path, labels: Path) -> Dataset:
    """MNIST-format files: already centred 28x28, 0..255, so no preprocessing is needed."""
    y = read_idx(labels, IDX_LABELS_MAGIC)
    X = read_idx(images, IDX_IMAGES_MAGIC, count=len(y))
    if X.shape[1:] != (28, 28):
        raise DatasetError(f"{Path(images).name} holds {X.shape[1]}x{X.shape[2]} images; MNIST format is 28x28.")
    return _checked(f"idx:{Path(images).name}", "idx", X.reshape(len(X), -1), y, MNIST_28X28)


def _images_to_dataset(name: str, source: str, items, conv: ImageConvention) -> Dataset:
    X, y, skipped = [], [], 0
    for member, payload in items:
        label = label_in_name(member)
        if label is None:
            skipped += 1
            continue
        try:
            X.append(preprocess(load_image(payload), conv))
            y.append(label)
        except ImageError as exc:
            raise DatasetError(f"{member}: {exc}") from None
    if skipped:
        log.info("%s: %d files without a label were skipped", name, skipped)
    if not X:
        raise DatasetError(f"{name} has no images labelled by a folder 0-9 or a name ending in _<digit>.")
    return _checked(name, source, np.array(X).reshape(len(X), -1), np.array(y, dtype=np.int64), conv)


def _zip_images(path: Path):
    """(member name, bytes) of each image in a dataset zip. Datasets are strict: a member the
    archive reader refuses (unsafe path, nested archive, bomb, damaged) refuses the whole archive,
    so a model is never trained on part of what the user meant; other files are skipped."""
    for member in archives.read_zip(path, limits=archives.DATASET_LIMITS):
        if member.ok:
            yield member.name, member.data
        elif member.problem != archives.NOT_IMAGE:
            raise DatasetError(f"{path.name}: {member.name}: {member.reason}; refusing the archive.")


def load_zip(path: Path, conv: ImageConvention = DIGITS_8X8) -> Dataset:
    path = Path(path)
    if not archives.is_zip(path):
        raise DatasetError(f"{path.name} is not a zip file.")
    return _images_to_dataset(f"zip:{path.name}", "zip", _zip_images(path), conv)


def load_folder(path: Path, conv: ImageConvention = DIGITS_8X8) -> Dataset:
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"{root.name or root} is not a folder in the data folder.")
    return _images_to_dataset(f"folder:{root.name}", "folder", _folder_images(root), conv)


def image_files(root: Path) -> Iterator[Path]:
    """Image files under `root`, sorted, without following links (a link could point anywhere on
    the server); more than MAX_FOLDER_FILES refuse the folder."""
    found = 0
    for folder, subfolders, names in os.walk(root, followlinks=False):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.suffix.lower() not in IMAGE_SUFFIXES or path.is_symlink() or not path.is_file():
                continue
            found += 1
            if found > MAX_FOLDER_FILES:
                raise DatasetError(f"{root.name} holds more than {MAX_FOLDER_FILES:,} images; the limit is "
                                   f"{MAX_FOLDER_FILES:,}.")
            yield path


def _folder_images(root: Path) -> Iterator[tuple[str, bytes]]:
    """(relative name, bytes) of each image under `root`, one at a time; a file over the upload
    limit refuses the folder, as a damaged archive member refuses a zip."""
    for path in image_files(root):
        relative = path.relative_to(root).as_posix()
        with open(path, "rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise DatasetError(f"{relative} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
                               "refusing the folder.")
        yield relative, data


def feedback_convention(spec: str) -> ImageConvention:
    """`feedback` is in the default model's convention (canon28); `feedback:NAME` in another one."""
    _, _, name = spec.partition(":")
    if not name:
        return CANON_28
    if name not in CONVENTIONS:
        raise DatasetError(f"Unknown image convention {name!r} for feedback; use one of {', '.join(CONVENTIONS)}.")
    return CONVENTIONS[name]


def load_feedback(conv: ImageConvention = CANON_28) -> Dataset:
    """What users corrected or confirmed in the app, as stored model inputs of one convention (the
    models that served them decide it)."""
    X, y = predictions.feedback_samples(conv.size ** 2, conv.name)
    if len(y) == 0:
        raise DatasetError(f"No feedback yet in {title(conv)}: mark predictions correct or pick the "
                           "real digit on Draw or Upload (feedback:digits8 holds what older 8×8 models served).")
    return _checked("feedback", "feedback", X, y, conv)


def load_openml(name: str = "mnist_784", timeout: float = OPENML_TIMEOUT) -> Dataset:
    """OpenML through scikit-learn, when the machine is online; offline it says so within `timeout`."""
    from sklearn.datasets import fetch_openml
    box: dict = {}

    def fetch() -> None:
        try:
            box["data"] = fetch_openml(name, version=1, as_frame=False, parser="liac-arff", n_retries=1, delay=0.5)
        except Exception as exc:  # noqa: BLE001 - reported below in one sentence
            box["error"] = exc
    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or "error" in box:
        raise DatasetError(f"Could not download {name} from OpenML (this machine looks offline); "
                           "use the embedded digits or IDX files instead.")
    bunch = box["data"]
    return _checked(f"openml:{name}", "openml", bunch.data, bunch.target.astype(np.int64), MNIST_28X28)


def convention_of(spec: str) -> ImageConvention:
    """The image convention a SPEC's data will have, without loading it (forms show its defaults)."""
    kind = spec.strip().partition(":")[0]
    if kind == "handwriting":
        return CANON_28
    if kind == "feedback":
        return feedback_convention(spec)
    return MNIST_28X28 if kind in ("idx", "openml") else DIGITS_8X8


def load_spec(spec: str) -> Dataset:
    """The dataset a SPEC names; its name is the SPEC, so a model's test split can be rebuilt later."""
    dataset = _load_spec(spec.strip())
    dataset.name = spec.strip()
    return dataset


def _load_spec(spec: str) -> Dataset:
    kind, _, rest = spec.partition(":")
    if spec == "digits":
        return load_embedded()
    if kind == "feedback":
        return load_feedback(feedback_convention(spec))
    if kind == "handwriting":  # the default model's data (ml.datasets.handwriting), built offline; :quick in ~10 s
        from ml.datasets.handwriting import load_handwriting
        return load_handwriting(quick=rest == "quick")
    if kind == "idx":
        images, _, labels = rest.partition(",")
        if not labels:
            raise DatasetError("Write idx:IMAGES,LABELS with both files.")
        return load_idx(confined(images), confined(labels))
    if kind == "folder":
        return load_folder(confined(rest))
    if kind == "zip":
        return load_zip(confined(rest))
    if kind == "openml":
        return load_openml(rest or "mnist_784")
    raise DatasetError(f"Unknown dataset {spec!r}: use digits, feedback, idx:IMAGES,LABELS, folder:PATH, zip:PATH "
                       "or openml:mnist_784.")

"""Dataset sources: IDX round trip, labelled folders and zips, feedback, and every bad input."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
from images import pen_png

from data import predictions
from ml.datasets.sources import DatasetError, load_folder, load_idx, load_spec, load_zip, read_idx, write_idx
from ml.recognition.conventions import DIGITS_8X8, MNIST_28X28


def _mnist(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    images, labels = _mnist(500)
    write_idx(tmp_path / f"img{suffix}", images)
    write_idx(tmp_path / f"lab{suffix}", labels)
    ds = load_idx(tmp_path / f"img{suffix}", tmp_path / f"lab{suffix}")
    assert ds.X.shape == (500, 784) and ds.convention == MNIST_28X28
    assert np.array_equal(ds.X.reshape(500, 28, 28), images) and np.array_equal(ds.y, labels)


def test_bad_idx_files_are_refused_clearly(tmp_path):
    images, labels = _mnist(50)
    write_idx(tmp_path / "img", images)
    write_idx(tmp_path / "lab", labels)
    (tmp_path / "wrong").write_bytes(b"\x00\x00\x08\x04" + (tmp_path / "img").read_bytes()[4:])
    with pytest.raises(DatasetError, match="wrong does not start like an IDX images file"):
        read_idx(tmp_path / "wrong", 2051)
    (tmp_path / "cut").write_bytes((tmp_path / "img").read_bytes()[:5000])
    with pytest.raises(DatasetError, match="truncated"):
        load_idx(tmp_path / "cut", tmp_path / "lab")
    write_idx(tmp_path / "short_labels", labels[:10])
    with pytest.raises(DatasetError, match="img holds 50 images but the labels file has 10 labels"):
        load_idx(tmp_path / "img", tmp_path / "short_labels")
    write_idx(tmp_path / "one_class", np.full(50, 3, dtype=np.uint8))
    with pytest.raises(DatasetError, match="only one class"):
        load_idx(tmp_path / "img", tmp_path / "one_class")




def test_folder_and_zip_labels_from_subfolders_or_names(tmp_path):
    for d in (1, 7):
        (tmp_path / "set" / str(d)).mkdir(parents=True)
        (tmp_path / "set" / str(d) / "a.png").write_bytes(pen_png(d))
    (tmp_path / "set" / "loose_3.png").write_bytes(pen_png(3))
    ds = load_folder(tmp_path / "set")
    assert sorted(ds.y.tolist()) == [1, 3, 7] and ds.X.shape == (3, 64) and ds.convention == DIGITS_8X8
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("0/x.png", pen_png(0))
        zf.writestr("scan_9.png", pen_png(9))
        zf.writestr("notes.txt", "ignored")
    assert sorted(load_zip(archive).y.tolist()) == [0, 9]


@pytest.mark.parametrize("members, message", [
    ({"../evil_1.png": b"x"}, "unsafe path"),
    ({"/abs/2.png": b"x"}, "unsafe path"),
    ({"inner.zip": b"PK"}, "nested archives"),
    ({"10/a.png": None}, "folder named 10"),
    ({"readme.txt": b"no images"}, "has no images labelled"),
])
def test_bad_zips_are_refused(tmp_path, members, message):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data if data is not None else pen_png(1))
    with pytest.raises(DatasetError, match=message):
        load_zip(archive)


def test_dataset_zips_obey_the_archive_readers_caps(tmp_path, monkeypatch):
    from ml.inputs import archives
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("1/a.png", pen_png(1))
        zf.writestr("2/b.png", bytes(3 * 1024 * 1024))  # 3 MB of zeros: ~1000:1
    with pytest.raises(DatasetError, match="2/b.png.*zip bomb.*refusing the archive"):
        load_zip(bomb)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(6):
            zf.writestr(f"{i % 2}/{i}.png", pen_png(i % 2))
    assert sorted(load_zip(many).y.tolist()) == [0, 0, 0, 1, 1, 1]
    monkeypatch.setattr(archives, "DATASET_LIMITS", archives.Limits(max_members=5))
    with pytest.raises(DatasetError, match="holds 6 files; the limit is 5"):
        load_zip(many)


def test_feedback_dataset_and_unknown_specs(empty_store):
    with pytest.raises(DatasetError, match="No feedback yet"):
        load_spec("feedback")
    for digit in (2, 5):
        pid = predictions.insert(predictions.PredictionRow("ana", "draw", 1, 0, 0.5, [0.1] * 10, [float(digit)] * 64, None, 1.0))
        predictions.add_feedback(pid, "ana", digit, False)
    ds = load_spec("feedback:digits8")  # 8x8 inputs: what a digits8 model served
    assert ds.y.tolist() == [2, 5] and ds.X[1, 0] == 5.0 and ds.name == "feedback:digits8"
    with pytest.raises(DatasetError, match="Unknown dataset"):
        load_spec("kaggle:mnist")


def test_augmentation_adds_copies_in_the_same_convention():
    from ml.datasets.augment import Augmentation, augment
    from ml.datasets.splits import load_embedded
    ds = load_embedded()
    X, y = augment(ds.X[:50], ds.y[:50], ds.convention, Augmentation(copies=2, elastic=1.0))
    assert X.shape == (150, 64) and (y[:50] == y[50:100]).all()
    assert X.min() >= 0 and X.max() <= 16
    assert not np.allclose(X[:50], X[50:100])  # the copies differ from the originals


def test_openml_offline_is_one_sentence_within_the_time_bound(monkeypatch):
    import time

    import sklearn.datasets

    from ml.datasets import sources

    def hangs(*args, **kwargs):
        time.sleep(30)

    def refuses(*args, **kwargs):
        raise OSError("Name or service not known")

    for fake, bound in ((hangs, 0.5), (refuses, 5.0)):
        monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake)
        started = time.monotonic()
        with pytest.raises(DatasetError, match="looks offline"):
            sources.load_openml("mnist_784", timeout=bound)
        assert time.monotonic() - started < bound + 1.0

"""Server-side paths: dataset SPECs read only under the data folder (DIGITLAB_DATA_DIR), links
included, and a refusal never says what is outside it or echoes a file's bytes."""
from __future__ import annotations

from pathlib import Path

import pytest
from images import pen_png

from ml.config import DEFAULT_DATA_DIR, data_dir
from ml.datasets.sources import confined, load_folder, load_spec
from ml.errors import DatasetError, RequestError
from ml.lab.requests import TrainRequest


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(folder))
    return folder


def test_the_default_data_folder_is_data_datasets_in_the_repository(monkeypatch):
    monkeypatch.delenv("DIGITLAB_DATA_DIR", raising=False)
    assert data_dir() == DEFAULT_DATA_DIR == Path(__file__).resolve().parent.parent / "data" / "datasets"


def test_paths_inside_are_read_relative_or_absolute(data):
    (data / "set").mkdir()
    assert confined("set") == data / "set" and confined(str(data / "set")) == data / "set"


@pytest.mark.parametrize("raw", ["/etc/passwd", "../outside", "set/../../outside", "/", "~"])
def test_paths_outside_are_refused_without_saying_whether_they_exist(data, raw):
    with pytest.raises(DatasetError, match="is outside the data folder") as caught:
        confined(raw)
    assert "does not exist" not in str(caught.value)


def test_a_link_out_of_the_data_folder_is_refused(data, tmp_path):
    secret = tmp_path / "secret.idx"
    secret.write_bytes(b"top secret contents")
    (data / "innocent.idx").symlink_to(secret)
    with pytest.raises(DatasetError, match="innocent.idx is outside the data folder") as caught:
        load_spec("idx:innocent.idx,innocent.idx")
    assert "secret contents" not in str(caught.value)


def test_a_folder_dataset_does_not_follow_a_linked_folder(data, tmp_path):
    outside = tmp_path / "outside" / "7"
    outside.mkdir(parents=True)
    (outside / "a.png").write_bytes(pen_png(7, size=40, width=4))
    for digit in (1, 4):
        (data / "set" / str(digit)).mkdir(parents=True)
        (data / "set" / str(digit) / "a.png").write_bytes(pen_png(digit, size=40, width=4))
    (data / "set" / "linked").symlink_to(tmp_path / "outside")
    (data / "set" / "1" / "link_7.png").symlink_to(outside / "a.png")
    dataset = load_folder(data / "set")
    assert sorted(dataset.y.tolist()) == [1, 4]  # neither the linked folder nor the linked file


@pytest.mark.parametrize("spec", ["idx:/etc/passwd,/etc/passwd", "folder:/", "zip:/etc/hostname", "folder:.."])
def test_training_requests_refuse_server_paths_before_any_work(data, spec):
    with pytest.raises(RequestError, match="outside the data folder") as caught:
        TrainRequest("knn", spec, "ana").validated()
    assert "root:" not in str(caught.value)

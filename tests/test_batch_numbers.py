"""Batches in number mode: real handwriting (held-back MNIST writers composed into numbers), labels from
file names and from a labels CSV, accuracy aggregated in SQL against a hand count, storage linked as a
single reading's is, the CLI, and a resume after a simulated restart that reads no image twice."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image

from data import batches, db, readings
from data import jobs as job_rows
from ml.batch import job as batch
from ml.batch import numbers, uploads
from ml.batch.request import BatchRequest
from ml.errors import RequestError
from ml.governance import quotas
from ml.governance.batch_limits import current
from ml.jobs import engine as jobs
from ml.reading import devset


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def written():
    """Eight numbers of 3 and 4 digits written by held-back MNIST writers, spaced apart, as uploads."""
    found = devset.numbers(8, (3, 4), "separate", style="ink_png", seed=11)
    return [(text, _png(image)) for text, image in zip(found.texts, found.images)]


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, written out independently of DuckDB's."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_the_file_name_convention_and_the_labels_csv():
    assert [numbers.label_in_name(n) for n in ("1450.png", "meter_1450.png", "a/b/14.50.jpg", "07-12.png", "img_7.png",
                                               "scan.png", "meter_12a.png", "1234567890123.png", "x_1 2 3.png")] == \
        ["1450", "1450", "14.50", "07-12", "7", None, None, None, "1 2 3"]
    labels = numbers.parse_labels(b"file,label\nmeters.zip/a.png,1450\nb.png, 07/12 \n\n")
    assert labels == {"meters.zip/a.png": "1450", "b.png": "07/12"}
    assert numbers.label_for("meters.zip/a.png", labels, False) == "1450"
    assert numbers.label_for("other.zip/b.png", labels, False) == "07/12"   # the base name is enough
    assert numbers.label_for("meter_99.png", labels, False) is None
    assert numbers.label_for("meter_99.png", labels, True) == "99"
    for bad, says in ((b"a.png,twelve\n", "Line 1 of the labels file"), (b"file,label\n", "holds no file,label"),
                      (b"\xff\xfe\x00", "not a UTF-8 CSV"), (b"a.png\n", "is not file,label")):
        with pytest.raises(RequestError, match=says):
            numbers.parse_labels(bad)


def test_a_labelled_number_batch_reads_each_image_and_scores_it_in_sql(seeded_store, tmp_path, written):
    blank = _png(Image.new("L", (200, 80), 255))
    with zipfile.ZipFile(tmp_path / "meters.zip", "w") as archive:
        for text, data in written[:5]:
            archive.writestr(f"meter_{text}.png", data)          # labelled by its name
        archive.writestr("blank.png", blank)
    for k, (_, data) in enumerate(written[5:]):
        (tmp_path / f"scan{k}.png").write_bytes(data)           # labelled by the CSV
    (tmp_path / "junk.png").write_bytes(b"not an image")
    labels = numbers.parse_labels("".join(f"scan{k}.png,{text}\n" for k, (text, _) in enumerate(written[5:])).encode())
    files = [tmp_path / "meters.zip", *(tmp_path / f"scan{k}.png" for k in range(3)), tmp_path / "junk.png"]
    record = batch.run_cli(files, user="ana", numbers=True, labelled=True, labels=labels)
    assert record.status == "succeeded", record.message
    result = record.result
    batch_id = result["batch_id"]
    assert (result["items"], result["predicted"], result["errors"], result["labelled"]) == (10, 8, 2, 8)
    assert result["numbers"] is True and result["answered"] <= 8

    # storage: one reading per image, linked to one prediction row per digit, as a single reading is
    stored = db.rows("SELECT i.name, i.number_label, r.id, r.text, r.source, r.username, r.doubtful "
                     "FROM batch_items i JOIN readings r ON r.id = i.reading_id WHERE i.batch_id = ? ORDER BY i.item",
                     [batch_id])
    assert len(stored) == 8 and {s[4] for s in stored} == {"batch"} and {s[5] for s in stored} == {"ana"}
    truth = {f"meters.zip/meter_{t}.png": t for t, _ in written[:5]} | \
        {f"scan{k}.png": t for k, (t, _) in enumerate(written[5:])}
    assert {s[0]: s[1] for s in stored} == truth
    digits = 0
    for name, _, reading_id, text, *_ in stored:
        linked = readings.digits(reading_id)
        assert "".join(map(str, linked["digit"])) == "".join(ch for ch in text if ch.isdigit())
        jobs_of = {r[0] for r in db.rows(f"SELECT DISTINCT job_id FROM predictions WHERE id IN "
                                         f"({', '.join(map(str, linked['prediction_id']))})")}
        assert jobs_of == {batch_id}
        row = readings.get(reading_id)
        assert row["filename"] == name and row["width"] > 0 and len(row["image"]) <= numbers.PICTURE[1]
        digits += len(linked)
    assert batches.predictions_of(batch_id) == digits
    assert quotas.status("ana").used_today == digits     # charged per stored digit row, as a reading on Upload

    # the figures, counted by hand from the stored readings
    got = {s[0]: "".join(ch for ch in s[3] if ch.isdigit()) for s in stored}
    right = sum(got[n] == t for n, t in truth.items())
    assert result["accuracy"] == pytest.approx(right / 8)
    errors = sum(_edits(t, got[n]) for n, t in truth.items())
    assert result["digit_accuracy"] == pytest.approx(max(0.0, 1 - errors / sum(map(len, truth.values()))))
    unflagged = [s for s in stored if not s[6]]
    assert result["answered"] == len(unflagged)
    if unflagged:
        assert result["accuracy_answered"] == pytest.approx(
            sum(got[s[0]] == truth[s[0]] for s in unflagged) / len(unflagged))
    assert sorted(b["length"] for b in result["by_length"]) == [3, 4]
    assert sum(m["count"] for m in result["misreads"]) <= 8 - right
    assert f"{right / 8:.1%} of 8 labelled numbers right" in record.message

    # results and errors as the page and the export read them
    frame = batches.frame(batches.number_results_query(batch_id))
    assert frame["number"].tolist() == [s[3] for s in stored] and frame["right"].sum() == right
    wrong = batches.frame(batches.number_results_query(batch_id, only_wrong=True))
    assert len(wrong) == 8 - right
    refused = batches.frame(batches.errors_query(batch_id))
    assert sorted(refused["problem"]) == ["blank", "not an image"]
    assert not any(uploads.root().iterdir())


def test_an_expected_length_holds_for_every_image(seeded_store, tmp_path, written):
    four = [(t, d) for t, d in written if len(t) == 4][:2]
    for t, data in four:
        (tmp_path / f"{t}.png").write_bytes(data)
    record = batch.run_cli([tmp_path / f"{t}.png" for t, _ in four], user="ana", numbers=True, length=4)
    assert record.status == "succeeded", record.message
    texts = [r[0] for r in db.rows("SELECT text FROM readings ORDER BY id")]
    assert len(texts) == 2 and all(sum(ch.isdigit() for ch in t) == 4 for t in texts)
    assert db.rows("SELECT DISTINCT expected_length FROM readings") == [(4,)]
    assert record.result["labelled"] == 0 and "labelled" not in record.message  # not asked to take names as labels


def test_a_number_batch_resumes_after_a_restart_without_reading_any_image_twice(seeded_store, tmp_path, written,
                                                                               monkeypatch):
    monkeypatch.setattr(numbers, "CHUNK", 3)
    with zipfile.ZipFile(tmp_path / "meters.zip", "w") as archive:
        for text, data in written:
            archive.writestr(f"{text}.png", data)
    token, files = uploads.copy_in([tmp_path / "meters.zip"], current())
    real, calls = batches.add_items, []

    def die_in_second_chunk(batch_id, rows):
        calls.append(batch_id)
        if len(calls) == 2:
            raise KeyboardInterrupt("the server process is killed")  # its transaction rolls back
        real(batch_id, rows)

    monkeypatch.setattr(batches, "add_items", die_in_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        jobs.run_inline(BatchRequest("ana", token, files, True, numbers=True))
    first = job_rows.page(kind="batch").iloc[0]
    assert db.one("SELECT count(*) FROM readings")[0] == 3
    charged = quotas.status("ana").used_today
    assert charged == db.one("SELECT count(*) FROM predictions")[0]  # the rolled-back chunk costs nothing
    assert job_rows.mark_interrupted_all() == 1
    monkeypatch.setattr(batches, "add_items", real)
    record = jobs.run_inline(BatchRequest("ana", resume_of=int(first.id)))
    assert record.status == "succeeded", record.message
    assert record.result["items"] == record.result["predicted"] == 8 and record.result["labelled"] == 8
    names = [r[0] for r in db.rows("SELECT filename FROM readings ORDER BY id")]
    assert len(names) == 8 == len(set(names))
    assert quotas.status("ana").used_today == db.one("SELECT count(*) FROM predictions")[0]


def test_the_cli_runs_a_number_batch_with_a_labels_file(seeded_store, tmp_path, written, capsys):
    from ml.cli.commands import main
    for k, (_, data) in enumerate(written[:3]):
        (tmp_path / f"s{k}.png").write_bytes(data)
    (tmp_path / "labels.csv").write_text("file,label\n" + "".join(f"s{k}.png,{t}\n" for k, (t, _) in
                                                                    enumerate(written[:3])))
    code = main(["batch", *(str(tmp_path / f"s{k}.png") for k in range(3)), "--labels", str(tmp_path / "labels.csv"),
                 "--user", "ana"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "succeeded" and out["numbers"] is True
    assert out["predicted"] == 3 and out["labelled"] == 3 and "labelled numbers right" in out["message"]
    assert main(["batch", str(tmp_path / "s0.png"), "--labels", str(tmp_path / "nope.csv"), "--user", "ana"]) == 1
    assert "Cannot read the labels file" in capsys.readouterr().err


def test_a_labels_file_needs_number_mode_and_a_length_its_range(seeded_store, tmp_path):
    (tmp_path / "a.png").write_bytes(_png(Image.new("L", (20, 20), 255)))
    token, files = uploads.copy_in([tmp_path / "a.png"], current())
    with pytest.raises(RequestError, match="labels file is for a batch of numbers"):
        BatchRequest("ana", token, files, labels={"a.png": "12"}).validated()
    with pytest.raises(RequestError, match="expected length must be 1 to 12"):
        BatchRequest("ana", token, files, numbers=True, length=13).validated()
    assert BatchRequest("ana", token, files, numbers=True, labels={"a.png": "1"}).title == \
        "Batch of 1 file (numbers, labelled)"
    uploads.remove(token)


def test_with_an_expected_length_a_batch_whose_digits_cannot_fit_is_refused_whole(seeded_store, tmp_path, written,
                                                                                   monkeypatch):
    monkeypatch.setattr(numbers, "CHUNK", 1)  # the first number alone would fit
    quotas.set_limits("ana", daily=7, per_minute=None, by="admin")
    for k, (_, data) in enumerate(written[:2]):
        (tmp_path / f"s{k}.png").write_bytes(data)
    files = [tmp_path / "s0.png", tmp_path / "s1.png"]
    record = batch.run_cli(files, user="ana", numbers=True, length=4)  # 2 numbers of 4 digits: 8 predictions
    assert record.status == "failed" and "this needs 8" in record.message
    assert db.one("SELECT count(*) FROM readings")[0] == 0 and quotas.status("ana").used_today == 0

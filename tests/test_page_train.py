"""Train page (AppTest): a form per family, a background job with progress, refused for viewers."""
from conftest import texts

from dashboard.text import as_read
from data import audit, db, registry
from ml.jobs import engine as jobs


def test_analyst_trains_a_model_in_the_background(open_app):
    jobs.reset_runner()
    at = open_app("ana", "train")
    assert not at.exception
    at.selectbox(key="train_family").set_value("knn").run()
    assert at.number_input(key="p_knn_digits8_n_neighbors").value == 3
    at.number_input(key="p_knn_digits8_n_neighbors").set_value(4)
    at.number_input(key="train_augment").set_value(1)
    at.checkbox(key="train_activate").check()
    next(b for b in at.button if b.label == "Start training").click()
    at.run()
    job_id = db.one("SELECT max(id) FROM jobs")[0]
    done = jobs.runner().wait(job_id, timeout=120)
    assert done.status == "succeeded", done.message
    new_model = done.result["model_id"]
    assert registry.get(new_model).params["n_neighbors"] == 4
    split = registry.get(new_model).split
    assert split["n_fit"] == 2 * split["n_train"]  # one augmented copy of every training image
    assert registry.active_id() == new_model
    at.run()
    assert f"Model {new_model} trained" in texts(at)
    jobs.reset_runner()


def test_a_bad_dataset_spec_is_refused_when_submitted(open_app):
    jobs.reset_runner()
    at = open_app("ana", "train")
    at.selectbox(key="train_source").set_value("other").run()
    at.text_input(key="train_spec").input("zip:nonexistent.zip").run()
    next(b for b in at.button if b.label == "Start training").click()
    at.run()
    assert not at.exception
    assert any("nonexistent.zip is not a zip file" in e.value for e in at.error)
    assert db.one("SELECT count(*) FROM jobs")[0] == 0  # refused before any job was queued
    assert any("not a zip file" in d for d in audit.page(username="ana", action="job_train")["detail"])
    assert at.selectbox(key="train_source").value == "other"  # the form stays as it was
    jobs.reset_runner()


def test_the_job_list_reads_all_its_rows_in_one_query(open_app, monkeypatch):
    from data import jobs as job_rows
    for i in range(5):
        job_id = job_rows.create("train", {"family": "knn", "dataset": "digits"}, "ana", title=f"k-NN run {i}")
        job_rows.finish(job_id, "succeeded", f"Model {i} trained.")
    at = open_app("ana", "train")
    statements: list[str] = []
    real_cursor = db.cursor

    class Counting:
        def __init__(self, cursor):
            self._cursor = cursor

        def execute(self, sql, *args, **kwargs):
            statements.append(sql)
            return self._cursor.execute(sql, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self._cursor, name)

    monkeypatch.setattr(db, "cursor", lambda: Counting(real_cursor()))
    at.run()
    assert not at.exception
    shown = texts(at)
    assert all(f"k\\-NN run {i}" in shown for i in range(5))  # shown as text: the "-" escaped
    assert len([s for s in statements if "FROM jobs" in s]) == 1


def test_mnist_format_data_gets_the_defaults_measured_for_it(open_app):
    at = open_app("ana", "train")
    assert at.number_input(key="p_svc_digits8_gamma").value == 0.1
    assert at.checkbox(key="train_deskew_digits8").value is False
    at.selectbox(key="train_source").set_value("other").run()
    at.text_input(key="train_spec").input("idx:/data/train-images.gz,/data/train-labels.gz").run()
    assert at.number_input(key="p_svc_mnist28_gamma").value == 0.03
    assert at.checkbox(key="train_deskew_mnist28").value is True
    assert any("MNIST's 28×28 form" in c.value for c in at.caption)


def test_viewers_cannot_open_train(open_app):
    at = open_app("vic", "train")
    assert any("may not open" in e.value for e in at.error)


def _start(at):
    next(b for b in at.button if b.label == "Start training").click()
    return at.run()


def test_feedback_with_too_few_digits_is_refused_with_one_sentence(open_app):
    from data import predictions
    from ml.datasets.splits import load_embedded
    jobs.reset_runner()
    digits = load_embedded()
    fives, eights = [j for j in range(200) if digits.y[j] == 5][:3], [j for j in range(200) if digits.y[j] == 8][:1]
    for i in fives + eights:  # one 8 cannot be split into training and test images
        pid = predictions.insert(predictions.PredictionRow("ana", "draw", 1, int(digits.y[i]), 0.9, [0.1] * 10,
                                                           digits.X[i].tolist(), None, 1.0))
        predictions.add_feedback(pid, "ana", int(digits.y[i]), True)
    at = open_app("ana", "train")
    at.selectbox(key="train_source").set_value("other").run()
    at.text_input(key="train_spec").input("feedback:digits8").run()  # 8x8 inputs, as a digits8 model served them
    at = _start(at)
    assert not at.exception
    shown = [as_read(e.value) for e in at.error]
    assert any("only 1 digit (5)" in e and "at least 2 examples of each of 2 digits are needed" in e for e in shown)
    assert db.one("SELECT count(*) FROM jobs")[0] == 0
    jobs.reset_runner()


def test_an_out_of_range_parameter_is_not_silent(open_app):
    jobs.reset_runner()
    at = open_app("ana", "train")
    at.selectbox(key="train_family").set_value("knn").run()
    at.number_input(key="p_knn_digits8_n_neighbors").set_value(100_000)  # the widget takes it; the check says no
    at = _start(at)
    assert not at.exception
    assert any("knn parameter n_neighbors must be between 1 and 30; got 100000." == as_read(e.value) for e in at.error)
    assert db.one("SELECT count(*) FROM jobs")[0] == 0
    jobs.reset_runner()


def test_the_form_names_the_image_convention_in_words(open_app):
    at = open_app("ana", "train")
    shown = " ".join(c.value for c in at.caption)
    assert "Images in the 8×8 block counts of the embedded digits" in shown
    assert not any(name in shown for name in ("digits8", "canon28", "mnist28"))

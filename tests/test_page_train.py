"""Train page (AppTest): a form per family, a background job with progress, refused for viewers."""
from conftest import texts
from data import db, registry
from ml import jobs


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


def test_a_bad_dataset_spec_fails_the_job_with_a_message(open_app):
    jobs.reset_runner()
    at = open_app("ana", "train")
    at.selectbox(key="train_source").set_value("other").run()
    at.text_input(key="train_spec").input("zip:/nonexistent.zip").run()
    next(b for b in at.button if b.label == "Start training").click()
    at.run()
    done = jobs.runner().wait(db.one("SELECT max(id) FROM jobs")[0], timeout=60)
    assert done.status == "failed" and "not a zip file" in done.message
    at.run()
    assert any("not a zip file" in e.value for e in at.error)
    jobs.reset_runner()


def test_mnist_format_data_gets_the_defaults_measured_for_it(open_app):
    at = open_app("ana", "train")
    assert at.number_input(key="p_svc_digits8_gamma").value == 0.1
    assert at.checkbox(key="train_deskew_digits8").value is False
    at.selectbox(key="train_source").set_value("other").run()
    at.text_input(key="train_spec").input("idx:/data/train-images.gz,/data/train-labels.gz").run()
    assert at.number_input(key="p_svc_mnist28_gamma").value == 0.03
    assert at.checkbox(key="train_deskew_mnist28").value is True
    assert any("mnist28" in c.value for c in at.caption)


def test_viewers_cannot_open_train(open_app):
    at = open_app("vic", "train")
    assert any("may not open" in e.value for e in at.error)

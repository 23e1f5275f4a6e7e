"""Data page (AppTest): balance, samples, augmentation preview, registration; bad SPECs get a message."""
from data import audit, dataset_records


def test_data_page_shows_the_embedded_digits_and_registers_them(open_app):
    at = open_app("ana", "datasets")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Images"] == "1,797" and metrics["Convention"] == "8×8, 0..16"
    at.slider(key="aug_rotation").set_value(25).run()
    assert not at.exception
    at.button(key="register_dataset").click().run()
    registered = dataset_records.all_datasets()
    assert dict(zip(registered["spec"], registered["n_samples"]))["digits"] == 1797


def test_a_bad_spec_is_a_message_not_a_crash(open_app):
    at = open_app("ana", "datasets")
    at.selectbox(key="data_source").set_value("other").run()
    at.text_input(key="data_spec").input("idx:nope,nope").run()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)
    refused = audit.page(username="ana", action="open_dataset")
    assert refused["outcome"].tolist() == ["error"] and "does not exist" in refused["detail"].iloc[0]


def test_the_default_model_s_dataset_is_registered_on_first_visit(open_app):
    at = open_app("ana", "datasets")
    assert not at.exception
    registered = at.dataframe[-1].value  # the last table: Registered datasets
    assert "handwriting:quick" in set(registered.astype(str).stack())  # the suite's default data, registered with it

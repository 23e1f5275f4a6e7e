-- Registered datasets: what a model was trained on, with enough to know it again.
CREATE SEQUENCE dataset_seq START 1;
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY DEFAULT nextval('dataset_seq'),
    spec VARCHAR NOT NULL UNIQUE,
    source VARCHAR NOT NULL,
    n_samples INTEGER NOT NULL,
    class_counts JSON NOT NULL,
    convention JSON NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    registered_by VARCHAR NOT NULL,
    registered_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

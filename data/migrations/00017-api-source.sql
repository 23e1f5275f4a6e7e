-- Predictions made through the REST API are stored with their own source, 'api'. DuckDB cannot change a
-- CHECK constraint in place, so the table is built again with the wider one, in the same column order (a
-- backup loads its rows by column), and every row is copied with its id; the id sequence is untouched.
CREATE TABLE predictions_with_api (
    id BIGINT PRIMARY KEY DEFAULT nextval('prediction_seq'),
    ts TIMESTAMP NOT NULL DEFAULT current_timestamp,
    username VARCHAR NOT NULL,
    source VARCHAR NOT NULL CHECK (source IN ('draw', 'upload', 'cli', 'batch', 'api')),
    model_id INTEGER NOT NULL,
    digit TINYINT NOT NULL,
    confidence DOUBLE NOT NULL,
    probabilities DOUBLE[10] NOT NULL,
    model_input FLOAT[] NOT NULL,
    image BLOB,
    latency_ms DOUBLE NOT NULL,
    filename VARCHAR,
    needs_review BOOLEAN NOT NULL DEFAULT FALSE,
    runner_up TINYINT,
    revisions INTEGER NOT NULL DEFAULT 0,
    job_id BIGINT
);
INSERT INTO predictions_with_api SELECT * FROM predictions ORDER BY id;
DROP TABLE predictions;
ALTER TABLE predictions_with_api RENAME TO predictions;

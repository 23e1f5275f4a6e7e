-- Predictions (and readings) made through the REST API are stored with their own source, 'api'. DuckDB cannot change a
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

-- Readings made through the REST API's POST /read likewise: `readings` is built again the same way (its
-- columns as 00016 and 00017 left them).
CREATE TABLE readings_with_api (
    id BIGINT PRIMARY KEY DEFAULT nextval('reading_seq'),
    ts TIMESTAMP NOT NULL DEFAULT current_timestamp,
    username VARCHAR NOT NULL,
    source VARCHAR NOT NULL CHECK (source IN ('draw', 'upload', 'cli', 'batch', 'api')),
    model_id INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL,
    doubtful BOOLEAN NOT NULL,
    alternatives VARCHAR NOT NULL,
    expected_length TINYINT,
    image BLOB,
    latency_ms DOUBLE NOT NULL,
    filename VARCHAR,
    corrected_text VARCHAR,
    corrected_by VARCHAR,
    corrected_at TIMESTAMP,
    width INTEGER,
    height INTEGER
);
INSERT INTO readings_with_api SELECT * FROM readings ORDER BY id;
DROP TABLE readings;
ALTER TABLE readings_with_api RENAME TO readings;

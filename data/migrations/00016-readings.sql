-- Whole numbers read from one image (ml.reading): one row per reading. Each digit of a reading is also
-- a prediction row (the model input of its crop), linked here by its place in the number with its box
-- on the image, so a corrected digit is feedback on that prediction and becomes training data by the
-- same review and provenance rules as any other feedback.
CREATE SEQUENCE reading_seq START 1;
CREATE TABLE readings (
    id BIGINT PRIMARY KEY DEFAULT nextval('reading_seq'),
    ts TIMESTAMP NOT NULL DEFAULT current_timestamp,
    username VARCHAR NOT NULL,
    source VARCHAR NOT NULL CHECK (source IN ('draw', 'upload', 'cli', 'batch')),
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
    corrected_at TIMESTAMP
);
CREATE TABLE reading_digits (
    reading_id BIGINT NOT NULL,
    position TINYINT NOT NULL,
    prediction_id BIGINT NOT NULL,
    box_left INTEGER NOT NULL,
    box_top INTEGER NOT NULL,
    box_width INTEGER NOT NULL,
    box_height INTEGER NOT NULL,
    PRIMARY KEY (reading_id, position)
);

-- Digit Lab: users, audit log, sign-in attempts, model registry, predictions, feedback.
CREATE TABLE users (
    username VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    email VARCHAR,
    role VARCHAR NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
    password_hash VARCHAR NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    ts TIMESTAMP NOT NULL DEFAULT current_timestamp,
    username VARCHAR,
    action VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
    detail VARCHAR
);

CREATE TABLE login_attempts (
    ts TIMESTAMP NOT NULL DEFAULT current_timestamp,
    username VARCHAR NOT NULL,
    success BOOLEAN NOT NULL
);

CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE model_seq START 1;
CREATE TABLE models (
    id INTEGER PRIMARY KEY DEFAULT nextval('model_seq'),
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    family VARCHAR NOT NULL,
    params JSON NOT NULL,
    dataset VARCHAR NOT NULL,
    split JSON NOT NULL,
    convention JSON NOT NULL,
    metrics JSON NOT NULL,
    artifact_path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    trained_by VARCHAR NOT NULL,
    fit_seconds DOUBLE NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'archived')),
    notes VARCHAR NOT NULL DEFAULT ''
);

CREATE SEQUENCE prediction_seq START 1;
CREATE TABLE predictions (
    id BIGINT PRIMARY KEY DEFAULT nextval('prediction_seq'),
    ts TIMESTAMP NOT NULL DEFAULT current_timestamp,
    username VARCHAR NOT NULL,
    source VARCHAR NOT NULL CHECK (source IN ('draw', 'upload', 'cli', 'batch')),
    model_id INTEGER NOT NULL,
    digit TINYINT NOT NULL,
    confidence DOUBLE NOT NULL,
    probabilities DOUBLE[10] NOT NULL,
    model_input FLOAT[] NOT NULL,
    image BLOB,
    latency_ms DOUBLE NOT NULL,
    filename VARCHAR
);

CREATE SEQUENCE feedback_seq START 1;
CREATE TABLE feedback (
    id BIGINT PRIMARY KEY DEFAULT nextval('feedback_seq'),
    ts TIMESTAMP NOT NULL DEFAULT current_timestamp,
    prediction_id BIGINT NOT NULL,
    username VARCHAR NOT NULL,
    true_digit TINYINT NOT NULL CHECK (true_digit BETWEEN 0 AND 9),
    is_correct BOOLEAN NOT NULL
);

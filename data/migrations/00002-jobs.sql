-- Background jobs (training now; tuning and batches later): their state lives here so a page
-- change, a browser refresh or a server restart never loses one silently.
CREATE SEQUENCE job_seq START 1;
CREATE TABLE jobs (
    id BIGINT PRIMARY KEY DEFAULT nextval('job_seq'),
    kind VARCHAR NOT NULL,
    params JSON NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    stage VARCHAR NOT NULL DEFAULT 'queued',
    progress DOUBLE NOT NULL DEFAULT 0,
    message VARCHAR NOT NULL DEFAULT '',
    result JSON,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
);

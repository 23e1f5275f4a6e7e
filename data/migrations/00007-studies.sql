-- Tuning studies (Optuna) and their trials. Optuna runs in memory inside the app's one process; every
-- trial is written here as it starts and again when it ends, so this table is the study's record:
-- a resumed study is rebuilt from these rows, and a restart marks a running trial failed.
CREATE SEQUENCE study_seq START 1;
CREATE TABLE studies (
    id BIGINT PRIMARY KEY DEFAULT nextval('study_seq'),
    name VARCHAR NOT NULL UNIQUE,
    family VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,
    objective VARCHAR NOT NULL,          -- accuracy, macro_f1, log_loss
    direction VARCHAR NOT NULL,          -- maximize / minimize
    space JSON NOT NULL,                 -- the search space as set up (list of dimensions)
    settings JSON NOT NULL,              -- sampler, pruner, validation share or folds, seed
    status VARCHAR NOT NULL DEFAULT 'created'
        CHECK (status IN ('created', 'running', 'finished', 'stopped', 'failed', 'interrupted')),
    planned INTEGER NOT NULL DEFAULT 0,  -- trials planned over all runs
    job_id BIGINT,                       -- the job of its latest run
    message VARCHAR NOT NULL DEFAULT '',
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE TABLE study_trials (
    study_id BIGINT NOT NULL,
    number INTEGER NOT NULL,             -- Optuna's trial number within the study
    state VARCHAR NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL')),
    params JSON NOT NULL,
    value DOUBLE,
    intermediate JSON NOT NULL DEFAULT '{}',  -- {step: value}
    last_step INTEGER,                   -- the step it was pruned at (or its last report)
    started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at TIMESTAMP,
    duration_s DOUBLE,
    worker VARCHAR,
    message VARCHAR NOT NULL DEFAULT '',
    PRIMARY KEY (study_id, number)
);
-- A model trained from a trial ("train this"): the link from a registry version back to its study.
CREATE TABLE study_models (
    model_id BIGINT PRIMARY KEY,
    study_id BIGINT NOT NULL,
    trial_number INTEGER NOT NULL,
    promoted_by VARCHAR NOT NULL,
    promoted_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

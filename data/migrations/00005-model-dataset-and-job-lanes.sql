-- A model remembers the dataset record it was trained on and that data's content hash, so a
-- rebuilt test split can be checked against it (the feedback dataset grows between trainings).
ALTER TABLE models ADD COLUMN dataset_id INTEGER;
ALTER TABLE models ADD COLUMN dataset_sha256 VARCHAR;

-- Jobs run in lanes (train, tune, batch): a long study never blocks a training job or a batch.
-- Progress is structured (stage, done of total, rate, detail) so pages, the CLI and a health view
-- read the same facts; `title` says what the job is without a second read of its parameters.
ALTER TABLE jobs ADD COLUMN lane VARCHAR DEFAULT 'train';
ALTER TABLE jobs ADD COLUMN title VARCHAR DEFAULT '';
ALTER TABLE jobs ADD COLUMN done BIGINT;
ALTER TABLE jobs ADD COLUMN total BIGINT;
ALTER TABLE jobs ADD COLUMN rate DOUBLE;
ALTER TABLE jobs ADD COLUMN detail VARCHAR DEFAULT '';
ALTER TABLE jobs ADD COLUMN worker VARCHAR;

-- Batch jobs: every image of a batch is a prediction row carrying its job id, and every item of the
-- batch (image, zip member, refused file) is a row here keyed by (batch, index). A resumed batch skips
-- the indices already here, so no image is predicted twice; a refused item keeps its reason.
-- batch_id is the job id of the batch's first run (a resumed run writes under the same batch).
ALTER TABLE predictions ADD COLUMN job_id BIGINT;
CREATE TABLE batch_items (
    batch_id BIGINT NOT NULL,
    item INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    label TINYINT,
    prediction_id BIGINT,
    problem VARCHAR,
    reason VARCHAR,
    PRIMARY KEY (batch_id, item)
);

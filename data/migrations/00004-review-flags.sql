-- "Not sure" predictions are flagged for review (History filters on it), with the runner-up digit
-- the person is asked about ("3 or 5?"). A drawing keeps one row, revised stroke by stroke until it is
-- final: `revisions` counts the strokes that changed it after the first.
ALTER TABLE predictions ADD COLUMN needs_review BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE predictions ADD COLUMN runner_up TINYINT;
ALTER TABLE predictions ADD COLUMN revisions INTEGER NOT NULL DEFAULT 0;

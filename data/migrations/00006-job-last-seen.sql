-- When a running job last reported progress: a job whose process was killed is marked
-- interrupted by the next process that opens the store, and its elapsed time ends here, not
-- at that later start (the downtime is not the job's).
ALTER TABLE jobs ADD COLUMN seen_at TIMESTAMP;

-- Users: soft delete (the row stays so audit rows keep naming someone, and the name is never reused).
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
-- Audit rows: the actor's role, the target of the action, structured details (old/new values of a
-- change), the browser session, and the hash chain. Rows written before this migration keep NULL
-- hashes: the chain starts at the first hashed row, whose prev_hash is '' (see data/audit.py).
ALTER TABLE audit_log ADD COLUMN role VARCHAR;
ALTER TABLE audit_log ADD COLUMN target VARCHAR;
ALTER TABLE audit_log ADD COLUMN details JSON;
ALTER TABLE audit_log ADD COLUMN session_id VARCHAR;
ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR;
ALTER TABLE audit_log ADD COLUMN hash VARCHAR;

-- Backups of the database ("Back up now" on the Health page, `python -m ml backup`): when, by whom,
-- where, how big, how many tables and rows, the SHA-256 of the files written, and whether it worked,
-- so the Health page can say when the last good backup was and where it is.
CREATE SEQUENCE backup_seq START 1;
CREATE TABLE backups (
    id BIGINT PRIMARY KEY DEFAULT nextval('backup_seq'),
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    bytes BIGINT NOT NULL DEFAULT 0,
    tables INTEGER NOT NULL DEFAULT 0,
    table_rows BIGINT NOT NULL DEFAULT 0,
    seconds DOUBLE,
    sha256 VARCHAR,
    ok BOOLEAN NOT NULL,
    message VARCHAR NOT NULL DEFAULT ''
);

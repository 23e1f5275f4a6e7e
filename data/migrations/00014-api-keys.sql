-- API keys (ml/api_keys.py): only the SHA-256 of each secret is kept; the prefix (the secret's first
-- characters, shown in lists) finds a key's row without scanning hashes. A key acts for its user with
-- the user's role at the moment of each call; `read_only` keys may only read.
CREATE SEQUENCE api_key_seq START 1;
CREATE TABLE api_keys (
    id BIGINT PRIMARY KEY DEFAULT nextval('api_key_seq'),
    username VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    prefix VARCHAR NOT NULL,
    secret_sha256 VARCHAR NOT NULL,
    read_only BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by VARCHAR NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    revoked_by VARCHAR
);

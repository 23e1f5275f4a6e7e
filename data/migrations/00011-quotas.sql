-- Prediction quotas: one counter per user and UTC day (kept: the Usage page reads consumption from it)
-- and one per user for the current UTC minute (overwritten when the minute changes). `refilled` is what
-- an admin gave back that day: the counter left is limit - (used - refilled), while `used` stays the truth.
CREATE TABLE quota_days (
    username VARCHAR NOT NULL,
    day DATE NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    refilled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (username, day)
);
CREATE TABLE quota_minutes (
    username VARCHAR PRIMARY KEY,
    minute TIMESTAMP NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
-- An admin's per-user limits; NULL keeps the default from the settings catalog.
CREATE TABLE quota_overrides (
    username VARCHAR PRIMARY KEY,
    daily INTEGER,
    per_minute INTEGER,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

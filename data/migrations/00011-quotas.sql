-- Prediction quotas: one row per user and UTC day. `used` counts the day's images (kept: the Usage
-- page reads consumption from it); `refilled` is what an admin gave back that day, so the quota left
-- is limit - (used - refilled). The same row holds the user's current UTC minute and the requests
-- made in it, so one conditional UPDATE checks and takes both limits at once.
CREATE TABLE quota_days (
    username VARCHAR NOT NULL,
    day DATE NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    refilled INTEGER NOT NULL DEFAULT 0,
    minute TIMESTAMP,
    minute_used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (username, day)
);
-- An admin's per-user limits; NULL keeps the default from the settings catalog.
CREATE TABLE quota_overrides (
    username VARCHAR PRIMARY KEY,
    daily INTEGER,
    per_minute INTEGER,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

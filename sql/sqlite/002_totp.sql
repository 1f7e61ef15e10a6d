-- mod_jobcenter schema, SQLite dialect. Version 2: TOTP second factor.
-- Keep the same tables and columns as sql/pgsql/002_totp.sql.
-- Applied by tools/db-init.sh to databases of version 1 (one transaction).
BEGIN;
-- One TOTP factor per account. The secret cannot be hashed (the server
-- needs it to compute codes): it is sealed with AES-256-GCM under the key of
-- JobcenterSecretKeyFile, context "totp:<account_id>" (jc_secretbox).
CREATE TABLE totp_factor (
    account_id     INTEGER PRIMARY KEY REFERENCES account(id),
    secret_sealed  TEXT NOT NULL,                   -- "v1.<nonce>.<ct+tag>"
    confirmed_at   INTEGER,                         -- NULL: set up, not yet confirmed
    last_step      INTEGER NOT NULL DEFAULT -1,     -- time step of the last accepted code
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    failed_codes   INTEGER NOT NULL DEFAULT 0,      -- consecutive wrong codes
    blocked_until  INTEGER NOT NULL DEFAULT 0       -- no code accepted before this
);

UPDATE jc_schema SET version = 2;
COMMIT;

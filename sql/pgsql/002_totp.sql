-- mod_jobcenter schema, PostgreSQL dialect. Version 2: TOTP second factor.
-- Keep the same tables and columns as sql/sqlite/002_totp.sql.
-- Applied by tools/db-init.sh to databases of version 1 (one transaction).
BEGIN;
CREATE TABLE totp_factor (
    account_id     BIGINT PRIMARY KEY REFERENCES account(id),
    secret_sealed  TEXT NOT NULL,
    confirmed_at   BIGINT,
    last_step      BIGINT NOT NULL DEFAULT -1,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    failed_codes   BIGINT NOT NULL DEFAULT 0,
    blocked_until  BIGINT NOT NULL DEFAULT 0
);

UPDATE jc_schema SET version = 2;
COMMIT;

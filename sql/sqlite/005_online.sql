-- mod_jobcenter schema, SQLite dialect. Version 5: Online-Kommunikation
-- (the account's consent to online delivery and to the use of its e-mail
-- address), current state and full history.
-- Keep the same tables and columns as sql/pgsql/005_online.sql.
-- Applied by tools/db-init.sh to databases of version 4 (one transaction).
BEGIN;
-- Current state per account (no row = never consented). active_since NULL
-- = inactive. A requested deactivation keeps the consent active until
-- deactivation_effective_at (local midnight of the Nth working day); the
-- watchdog then clears the row's consent. Re-activating before that
-- clears both deactivation columns.
CREATE TABLE online_consent (
    account_id                 INTEGER PRIMARY KEY REFERENCES account(id),
    active_since               INTEGER,
    text_version               TEXT,
    deactivation_requested_at  INTEGER,
    deactivation_effective_at  INTEGER,
    updated_at                 INTEGER NOT NULL
);
CREATE INDEX online_consent_due ON online_consent(deactivation_effective_at);

-- Every consent and deactivation step, with the version of the consent
-- text the account holder saw. Never deleted by housekeeping.
--   action: 'consent' | 'deactivation_requested' |
--           'deactivation_cancelled' | 'deactivated'
CREATE TABLE online_consent_history (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES account(id),
    at            INTEGER NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('consent',
                  'deactivation_requested', 'deactivation_cancelled',
                  'deactivated')),
    text_version  TEXT NOT NULL,
    effective_at  INTEGER
);
CREATE INDEX online_consent_history_account
    ON online_consent_history(account_id, at);

UPDATE jc_schema SET version = 5;
COMMIT;

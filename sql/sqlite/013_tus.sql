-- mod_jobcenter schema, SQLite dialect. Version 13: resumable uploads
-- (tus 1.0.0, issue 18). Keep the same tables and columns as
-- sql/pgsql/013_tus.sql. Applied by tools/db-init.sh (one transaction).
BEGIN;
-- One resumable upload: token is the random id in its URL
-- (/api/v1/uploads/tus/<token>), bound to account_id (another account's
-- request gets 404); spool_id names its partial file <store>/tmp/<spool_id>.tus
-- (server-chosen); length is the declared Upload-Length, upload_offset the
-- bytes stored (fsynced) so far. file_id is the upload_file row once the
-- last byte has arrived (in the same transaction as that row). expires_at
-- is the expiry of the draft (24 h after its creation); 0 after the
-- account was deleted (account_id NULL): the watchdog removes the row and
-- the spool file. draft_id has no foreign key: the draft may be submitted
-- or purged while an upload is unfinished (its completion then fails
-- with 404 and removes it).
CREATE TABLE tus_upload (
    id            INTEGER PRIMARY KEY,
    token         TEXT NOT NULL UNIQUE,
    account_id    INTEGER REFERENCES account(id),
    draft_id      INTEGER NOT NULL,
    spool_id      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    length        INTEGER NOT NULL CHECK (length > 0),
    upload_offset INTEGER NOT NULL DEFAULT 0,
    file_id       INTEGER,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX tus_upload_account ON tus_upload(account_id);
CREATE INDEX tus_upload_expires ON tus_upload(expires_at);
UPDATE jc_schema SET version = 13;
COMMIT;

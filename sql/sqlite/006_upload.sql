-- mod_jobcenter schema, SQLite dialect. Version 6: document uploads
-- (drafts, files, submissions). Keep the same tables and columns as
-- sql/pgsql/006_upload.sql. Applied by tools/db-init.sh (one transaction).
BEGIN;
-- account_id (drafts, submissions, files): the citizen's login account;
-- NULL once that account was deleted ("Konto löschen"): submitted
-- documents stay with the customer record, drafts are purged.
-- A submission being put together: the citizen chose an area and adds
-- files. Drafts older than 24 h are removed with their files (watchdog).
--   area: 'geldleistung' | 'vermittlung' | 'but' (Bildung und Teilhabe)
CREATE TABLE upload_draft (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER REFERENCES account(id),
    customer_id   INTEGER NOT NULL REFERENCES customer(id),
    area          TEXT NOT NULL CHECK (area IN ('geldleistung', 'vermittlung', 'but')),
    created_at    INTEGER NOT NULL
);
CREATE INDEX upload_draft_account ON upload_draft(account_id);
CREATE INDEX upload_draft_created ON upload_draft(created_at);

-- A submitted set of documents, routed to a team of the customer's
-- jobcenter. reference is printed on the receipt; only the SHA-256 (hex)
-- of the receipt's verification code is kept. A retried submit with the
-- same idempotency key finds the first submission (UNIQUE per account).
--   team:   'leistung' | 'vermittlung' | 'but' (as staff.team)
--   status: 'uebermittelt' | 'in_bearbeitung' | 'erledigt'
CREATE TABLE upload_submission (
    id               INTEGER PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,
    area             TEXT NOT NULL CHECK (area IN ('geldleistung', 'vermittlung', 'but')),
    team             TEXT NOT NULL CHECK (team IN ('leistung', 'but', 'vermittlung')),
    jobcenter_id     INTEGER NOT NULL REFERENCES jobcenter(id),
    customer_id      INTEGER NOT NULL REFERENCES customer(id),
    account_id       INTEGER REFERENCES account(id),
    message          TEXT,
    status           TEXT NOT NULL DEFAULT 'uebermittelt'
                     CHECK (status IN ('uebermittelt', 'in_bearbeitung', 'erledigt')),
    verify_hash      TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    receipt_store_id TEXT NOT NULL,              -- the receipt PDF in the upload store
    nfiles           INTEGER NOT NULL,
    submitted_at     INTEGER NOT NULL,
    status_at        INTEGER NOT NULL,
    status_by        INTEGER REFERENCES account(id),
    UNIQUE (account_id, idempotency_key)
);
CREATE INDEX upload_submission_inbox ON upload_submission(jobcenter_id, team, submitted_at);
CREATE INDEX upload_submission_account ON upload_submission(account_id, submitted_at);

-- One stored file: in a draft (draft_id) until submitted, then in its
-- submission (submission_id, draft_id NULL). store_id names the file in
-- the upload store (random, never client input); name is the cleaned
-- display name; mime the sniffed type.
CREATE TABLE upload_file (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER REFERENCES account(id),
    draft_id       INTEGER REFERENCES upload_draft(id),
    submission_id  INTEGER REFERENCES upload_submission(id),
    store_id       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    mime           TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX upload_file_draft ON upload_file(draft_id);
CREATE INDEX upload_file_submission ON upload_file(submission_id);
CREATE INDEX upload_file_account ON upload_file(account_id, created_at);

UPDATE jc_schema SET version = 6;
COMMIT;

-- mod_jobcenter schema, SQLite dialect. Version 9: several Apache nodes on
-- one database (issue 13).
-- mail_outbox: a node claims a due mail before sending it (claim_owner =
-- the node's identity, claim_until = end of the claim's lease; a claim
-- whose node died is taken over after the lease). A mail the relay
-- refused for good (SMTP 5xx) is parked (parked_at) instead of being
-- retried forever; `jobcenter-admin mail-parked` lists those.
-- job_lease: one row per background job (purge, deactivations, reminders):
-- the node that holds the unexpired lease runs the job for the cluster.
BEGIN;
ALTER TABLE mail_outbox ADD COLUMN claim_owner TEXT;
ALTER TABLE mail_outbox ADD COLUMN claim_until INTEGER;
ALTER TABLE mail_outbox ADD COLUMN parked_at INTEGER;
CREATE INDEX mail_outbox_parked ON mail_outbox(parked_at)
    WHERE parked_at IS NOT NULL;

CREATE TABLE job_lease (
    name        TEXT PRIMARY KEY,         -- job name, e.g. 'purge'
    owner       TEXT NOT NULL,            -- node identity of the holder
    expires_at  INTEGER NOT NULL               -- epoch seconds
);

-- the store reconcile looks up a file's row by its store id: the receipt's
-- without an index cost a scan of upload_submission per file
CREATE INDEX upload_submission_receipt ON upload_submission(receipt_store_id);

UPDATE jc_schema SET version = 9;
COMMIT;

-- mod_jobcenter schema, SQLite dialect. Version 11: indexes that give the
-- whole ORDER BY of a LIMITed statement (issue 19).
-- Nothing to change here: the id of account, upload_draft and
-- upload_submission is the rowid, which ends every index entry, so
-- account_unconfirmed (created_at), upload_draft_created (created_at) and
-- upload_submission_inbox (jobcenter_id, team, submitted_at) already give
-- "ORDER BY created_at, id" / "submitted_at, id". The PostgreSQL dialect
-- adds id to those indexes.
BEGIN;
UPDATE jc_schema SET version = 11;
COMMIT;

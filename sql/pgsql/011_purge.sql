-- mod_jobcenter schema, PostgreSQL dialect. Version 11: indexes that give
-- the whole ORDER BY of a LIMITed statement (issue 19).
-- jc_acct_purge takes the oldest unconfirmed accounts ORDER BY created_at,
-- id LIMIT n. From an index on created_at alone PostgreSQL reads every
-- row of the oldest created_at (and its heap tuple, for the id) and sorts
-- them (Incremental Sort): 10,000 heap pages for one batch when the
-- accounts shared a second (measured at 1,000,000 accounts). With id in
-- the index the batch is the first n index entries. The same for the
-- draft purge (jc_up_drafts_old) and the staff upload inbox (jc_up_inbox).
-- (SQLite appends the rowid, here the id, to every index entry: its
-- indexes give that order already.)
BEGIN;
DROP INDEX account_unconfirmed;
CREATE INDEX account_unconfirmed ON account(created_at, id)
    WHERE email IS NOT NULL AND email_confirmed_at IS NULL;
DROP INDEX upload_draft_created;
CREATE INDEX upload_draft_created ON upload_draft(created_at, id);
DROP INDEX upload_submission_inbox;
CREATE INDEX upload_submission_inbox
    ON upload_submission(jobcenter_id, team, submitted_at, id);
UPDATE jc_schema SET version = 11;
COMMIT;

-- mod_jobcenter schema, SQLite dialect. Version 10: data at a Jobcenter's scale
-- (issue 19). Every statement on a hot or periodic path is answered from
-- an index that matches its filter and its order
-- (tests/http/plans.test.mjs reads the plans).
-- customer.name_key: "family given", lower-case, umlauts and accents
-- folded (ä -> ae, ß -> ss, é -> e, ł -> l ...), filled by the module on
-- every write (jc_name_key in jc_staff.c; the table below is the same);
-- the staff search matches its prefix.
BEGIN;
ALTER TABLE customer ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
-- the existing rows: the fold in steps (SQLite parses at most ~100 nested
-- calls), then lower-case
UPDATE customer SET name_key = family_name || ' ' || given_name;
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'ä', 'ae'), 'Ä', 'ae'), 'æ', 'ae'), 'Æ', 'ae'), 'ö', 'oe'), 'Ö', 'oe'),
    'œ', 'oe'), 'Œ', 'oe'), 'ü', 'ue'), 'Ü', 'ue'), 'ß', 'ss'), 'ẞ', 'ss'),
    'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'å', 'a'), 'ā', 'a');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'ą', 'a'), 'ă', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'),
    'Å', 'a'), 'Ā', 'a'), 'Ą', 'a'), 'Ă', 'a'), 'ç', 'c'), 'ć', 'c'),
    'č', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Č', 'c');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'Ĉ', 'c'), 'Ċ', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd'),
    'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ę', 'e'),
    'ě', 'e'), 'ė', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'Ē', 'e'), 'Ę', 'e'), 'Ě', 'e'), 'Ė', 'e'), 'ğ', 'g'), 'ĝ', 'g'),
    'ģ', 'g'), 'Ğ', 'g'), 'Ĝ', 'g'), 'Ģ', 'g'), 'ì', 'i'), 'í', 'i'),
    'î', 'i'), 'ï', 'i'), 'ī', 'i'), 'ı', 'i'), 'į', 'i'), 'Ì', 'i');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ī', 'i'), 'İ', 'i'), 'Į', 'i'),
    'ķ', 'k'), 'Ķ', 'k'), 'ł', 'l'), 'ľ', 'l'), 'ĺ', 'l'), 'ļ', 'l'),
    'Ł', 'l'), 'Ľ', 'l'), 'Ĺ', 'l'), 'Ļ', 'l'), 'ñ', 'n'), 'ń', 'n');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'ň', 'n'), 'ņ', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ň', 'n'), 'Ņ', 'n'),
    'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ø', 'o'), 'ō', 'o'),
    'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ø', 'o');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'Ō', 'o'), 'Ő', 'o'), 'ř', 'r'), 'ŕ', 'r'), 'Ř', 'r'), 'Ŕ', 'r'),
    'ś', 's'), 'š', 's'), 'ş', 's'), 'ș', 's'), 'Ś', 's'), 'Š', 's'),
    'Ş', 's'), 'Ș', 's'), 'ť', 't'), 'ţ', 't'), 'ț', 't'), 'Ť', 't');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'Ţ', 't'), 'Ț', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ū', 'u'),
    'ů', 'u'), 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'),
    'Ū', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y');
UPDATE customer SET name_key =
    replace(replace(replace(replace(replace(replace(replace(replace(name_key,
    'Ý', 'y'), 'Ÿ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'),
    'Ż', 'z'), 'Ž', 'z');
UPDATE customer SET name_key = lower(name_key);
DROP INDEX customer_jobcenter;
CREATE INDEX customer_name ON customer(jobcenter_id, name_key, id);
CREATE INDEX customer_postcode ON customer(jobcenter_id, postcode, name_key, id);

-- staff inboxes: newest activity first, keyset pages on (updated_at, id),
-- all statuses or one
DROP INDEX conversation_inbox;
CREATE INDEX conversation_inbox ON conversation(jobcenter_id, team, status, updated_at, id);
CREATE INDEX conversation_team ON conversation(jobcenter_id, team, updated_at, id);

-- housekeeping in small batches, each found by its cut-off
CREATE INDEX session_last_seen ON session(last_seen);
CREATE INDEX email_token_expiry ON email_token(expires_at);
CREATE INDEX login_throttle_last ON login_throttle(last_failure);
CREATE INDEX account_unconfirmed ON account(created_at)
    WHERE email IS NOT NULL AND email_confirmed_at IS NULL;

-- deleting an account (the unconfirmed-account purge, Konto löschen, the
-- one-time credentials): every column that references account(id) leads
-- an index, else PostgreSQL's foreign-key check scans the referencing
-- table once per deleted account (measured: a batch of 500 accounts ran
-- for minutes at 1,000,000 messages)
CREATE INDEX freischaltcode_used_by ON freischaltcode(used_by);
CREATE INDEX freischaltcode_created_by ON freischaltcode(created_by);
CREATE INDEX webauthn_challenge_account ON webauthn_challenge(account_id);
CREATE INDEX message_staff ON message(staff_account)
    WHERE staff_account IS NOT NULL;
CREATE INDEX conversation_assigned ON conversation(assigned_to)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX customer_created_by ON customer(created_by);
CREATE INDEX staff_audit_staff ON staff_audit(staff_account, at);
CREATE INDEX bescheid_posted_by ON bescheid(posted_by);
CREATE INDEX termin_posted_by ON termin(posted_by);
CREATE INDEX upload_submission_status_by ON upload_submission(status_by)
    WHERE status_by IS NOT NULL;

UPDATE jc_schema SET version = 10;
COMMIT;

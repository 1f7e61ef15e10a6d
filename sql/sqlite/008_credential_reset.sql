-- mod_jobcenter schema, SQLite dialect. Version 8: one-time credentials
-- ("Zugangsdaten zurücksetzen", issue 5). account.username and
-- account.password_change_required exist since version 1; the one-time
-- password's expiry is new. NULL: no one-time password pending.
BEGIN;
ALTER TABLE account ADD COLUMN onetime_expires_at INTEGER;

UPDATE jc_schema SET version = 8;
COMMIT;

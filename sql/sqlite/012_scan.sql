-- mod_jobcenter schema, SQLite dialect. Version 12: virus scanning of
-- uploads (issue 18). Keep the same tables and columns as
-- sql/pgsql/012_scan.sql.
-- upload_file.scan_hold: 1 = stored while clamd was unreachable
-- (JobcenterClamdUnavailable hold) and not yet scanned: staff statements
-- leave the file (and its submission) out until the upload watchdog has
-- scanned it (0 again) or removed it (row deleted). The partial index
-- (scan_hold = 1 only) keeps the watchdog's look-up small whatever the
-- table holds.
BEGIN;
ALTER TABLE upload_file ADD COLUMN scan_hold INTEGER NOT NULL DEFAULT 0;
CREATE INDEX upload_file_held ON upload_file(scan_hold, id) WHERE scan_hold = 1;
UPDATE jc_schema SET version = 12;
COMMIT;

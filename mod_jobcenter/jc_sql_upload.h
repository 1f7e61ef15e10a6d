/* Statements: the "Sicherheit" page, the Verlauf, document uploads, resumable
 * uploads (tus), the store check, the person profile.
 * An X-macro list (no include guard): jc_sql.h and jc_sql.c include it with
 * their own JC_EXEC / JC_SELECT / JC_SELECT_AS (see jc_sql.h). Core. */

/* the "Sicherheit" page (jc_security) */
/* plan: hot */
JC_SELECT(SEC_PASSKEYS, "jc_sec_passkeys",
    "SELECT id, name, created_at, last_used_at, flagged FROM passkey "
    "WHERE account_id = %lld ORDER BY id LIMIT 100",
    (ID, NAME, CREATED_AT, LAST_USED_AT, FLAGGED))
/* plan: hot */
JC_SELECT(SEC_TOTP, "jc_sec_totp",
    "SELECT confirmed_at, last_used_at FROM totp_factor "
    "WHERE account_id = %lld AND confirmed_at IS NOT NULL",
    (CONFIRMED_AT, LAST_USED_AT))
/* plan: hot */
JC_SELECT(SEC_PASSWORD, "jc_sec_password",
    "SELECT password_hash, failed_logins, login_blocked_until "
    "FROM account WHERE id = %lld",
    (PASSWORD_HASH, FAILED_LOGINS, LOGIN_BLOCKED_UNTIL))
/* first statement of every change: serialises the changes of one
 * account (PostgreSQL row lock) */
/* plan: hot */
JC_EXEC(SEC_LOCK, "jc_sec_lock",
    "UPDATE account SET updated_at = %lld WHERE id = %lld")
/* plan: hot */
JC_SELECT(SEC_PASSKEY_GET, "jc_sec_passkey_get",
    "SELECT name, flagged FROM passkey "
    "WHERE id = %lld AND account_id = %lld",
    (NAME, FLAGGED))
/* usable factors: passkeys not flagged, a confirmed TOTP factor */
/* plan: hot */
JC_SELECT(SEC_FACTORS, "jc_sec_factors",
    "SELECT (SELECT count(*) FROM passkey WHERE account_id = %lld "
    "AND flagged = 0) AS passkeys, (SELECT count(*) FROM totp_factor "
    "WHERE account_id = %lld AND confirmed_at IS NOT NULL) AS totp",
    (PASSKEYS, TOTP))
/* plan: hot */
JC_EXEC(SEC_PASSKEY_RENAME, "jc_sec_passkey_rename",
    "UPDATE passkey SET name = %s WHERE id = %lld AND account_id = %lld")
/* plan: hot */
JC_EXEC(SEC_PASSKEY_DELETE, "jc_sec_passkey_delete",
    "DELETE FROM passkey WHERE id = %lld AND account_id = %lld")
/* plan: hot */
JC_EXEC(SEC_TOTP_DELETE, "jc_sec_totp_delete",
    "DELETE FROM totp_factor WHERE account_id = %lld")

/* the account's Verlauf (jc_event) */
/* plan: hot */
JC_EXEC(EVENT_ADD, "jc_event_add",
    "INSERT INTO event (account_id, at, kind, detail) "
    "VALUES (%lld, %lld, %s, %s)")
/* plan: hot */
JC_SELECT(EVENT_LIST, "jc_event_list",
    "SELECT at, kind, detail FROM event WHERE account_id = %lld "
    "ORDER BY at DESC, id DESC LIMIT 200",
    (AT, KIND, DETAIL))

/* document uploads (jc_upload): drafts, files, submissions */
/* the account's person profile and its jobcenter */
/* plan: hot */
JC_SELECT(UP_CUSTOMER, "jc_up_customer",
    "SELECT c.id, c.jobcenter_id, j.name, j.street, j.postcode, j.city, "
    "j.phone FROM customer c JOIN jobcenter j ON j.id = c.jobcenter_id "
    "WHERE c.account_id = %lld",
    (ID, JOBCENTER_ID, NAME, STREET, POSTCODE, CITY, PHONE))
/* plan: hot */
JC_SELECT(UP_DRAFT_INSERT, "jc_up_draft_insert",
    "INSERT INTO upload_draft (account_id, customer_id, area, created_at) "
    "VALUES (%lld, %lld, %s, %lld) RETURNING id",
    (ID))
/* plan: hot */
JC_SELECT(UP_DRAFT_GET, "jc_up_draft_get",
    "SELECT d.id, d.area, d.customer_id, d.created_at, "
    "(SELECT count(*) FROM upload_file f WHERE f.draft_id = d.id) AS files "
    "FROM upload_draft d WHERE d.id = %lld AND d.account_id = %lld",
    (ID, AREA, CUSTOMER_ID, CREATED_AT, FILES))
/* plan: periodic */
JC_EXEC(UP_DRAFT_DELETE, "jc_up_draft_delete",
    "DELETE FROM upload_draft WHERE id = %lld")
/* plan: hot */
JC_SELECT(UP_DRAFT_FILES, "jc_up_draft_files",
    "SELECT id, store_id, name, mime, size, sha256 FROM upload_file "
    "WHERE draft_id = %lld ORDER BY id",
    (ID, STORE_ID, NAME, MIME, SIZE, SHA256))
/* bytes the account stored since a time (daily limit) */
/* plan: hot */
JC_SELECT(UP_BYTES_SINCE, "jc_up_bytes_since",
    "SELECT COALESCE(SUM(size), 0) AS bytes FROM upload_file "
    "WHERE account_id = %lld AND created_at >= %lld",
    (BYTES))
/* plan: hot */
JC_SELECT(UP_FILE_INSERT, "jc_up_file_insert",
    "INSERT INTO upload_file (account_id, draft_id, store_id, name, mime, "
    "size, sha256, created_at) VALUES (%lld, %lld, %s, %s, %s, %lld, %s, "
    "%lld) RETURNING id",
    (ID))
/* plan: hot */
JC_SELECT(UP_FILE_GET_DRAFT, "jc_up_file_get_draft",
    "SELECT store_id FROM upload_file WHERE id = %lld AND draft_id = %lld "
    "AND account_id = %lld",
    (STORE_ID))
/* plan: hot */
JC_EXEC(UP_FILE_DELETE, "jc_up_file_delete",
    "DELETE FROM upload_file WHERE id = %lld")
/* plan: hot */
JC_EXEC(UP_FILE_TO_SUB, "jc_up_file_to_sub",
    "UPDATE upload_file SET submission_id = %lld, draft_id = NULL "
    "WHERE draft_id = %lld")
/* plan: hot */
JC_SELECT(UP_SUB_BY_KEY, "jc_up_sub_by_key",
    "SELECT id FROM upload_submission WHERE account_id = %lld "
    "AND idempotency_key = %s",
    (ID))
/* plan: hot */
JC_SELECT(UP_SUB_INSERT, "jc_up_sub_insert",
    "INSERT INTO upload_submission (reference, area, team, jobcenter_id, "
    "customer_id, account_id, message, verify_hash, idempotency_key, "
    "receipt_store_id, nfiles, submitted_at, status_at) VALUES (%s, %s, "
    "%s, %lld, %lld, %lld, %s, %s, %s, %s, %lld, %lld, %lld) "
    "RETURNING id",
    (ID))
/* one submission; columns as jc_up_sub_list */
/* plan: hot */
JC_SELECT(UP_SUB_GET, "jc_up_sub_get",
    "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
    "s.submitted_at, s.status_at, j.name, s.message, s.receipt_store_id, "
    "s.account_id, s.jobcenter_id, s.team, s.customer_id, s.verify_hash "
    "FROM upload_submission s JOIN jobcenter j ON j.id = s.jobcenter_id "
    "WHERE s.id = %lld",
    (ID, REFERENCE, AREA, STATUS, NFILES, SUBMITTED_AT, STATUS_AT, NAME,
     MESSAGE, RECEIPT_STORE_ID, ACCOUNT_ID, JOBCENTER_ID, TEAM, CUSTOMER_ID,
     VERIFY_HASH))
/* plan: hot */
JC_SELECT_AS(UP_SUB_BY_REF, "jc_up_sub_by_ref",
    "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
    "s.submitted_at, s.status_at, j.name, s.message, s.receipt_store_id, "
    "s.account_id, s.jobcenter_id, s.team, s.customer_id, s.verify_hash "
    "FROM upload_submission s JOIN jobcenter j ON j.id = s.jobcenter_id "
    "WHERE s.reference = %s",
    UP_SUB_GET)
/* plan: hot */
JC_SELECT(UP_SUB_LIST, "jc_up_sub_list",
    "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
    "s.submitted_at, s.status_at, j.name FROM upload_submission s "
    "JOIN jobcenter j ON j.id = s.jobcenter_id WHERE s.account_id = %lld "
    "ORDER BY s.submitted_at DESC, s.id DESC LIMIT 200",
    (ID, REFERENCE, AREA, STATUS, NFILES, SUBMITTED_AT, STATUS_AT, NAME))
/* plan: hot */
JC_SELECT_AS(UP_SUB_FILES, "jc_up_sub_files",
    "SELECT id, store_id, name, mime, size, sha256 FROM upload_file "
    "WHERE submission_id = %lld ORDER BY id",
    UP_DRAFT_FILES)
/* staff: the team's inbox of its jobcenter */
/* plan: hot */
JC_SELECT(UP_INBOX, "jc_up_inbox",
    "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
    "s.submitted_at, s.status_at, c.kundennummer, c.given_name, "
    "c.family_name, s.message FROM upload_submission s "
    "JOIN customer c ON c.id = s.customer_id "
    "WHERE s.jobcenter_id = %lld AND s.team = %s "
    "AND NOT EXISTS (SELECT 1 FROM upload_file h "
    "WHERE h.submission_id = s.id AND h.scan_hold = 1) "
    "ORDER BY s.submitted_at DESC, s.id DESC LIMIT 200",
    (ID, REFERENCE, AREA, STATUS, NFILES, SUBMITTED_AT, STATUS_AT,
     KUNDENNUMMER, GIVEN_NAME, FAMILY_NAME, MESSAGE))
/* plan: hot */
JC_SELECT(UP_STAFF_FILE, "jc_up_staff_file",
    "SELECT f.store_id, f.name, f.mime, f.size, s.jobcenter_id, s.team "
    "FROM upload_file f JOIN upload_submission s "
    "ON s.id = f.submission_id WHERE f.id = %lld AND f.scan_hold = 0",
    (STORE_ID, NAME, MIME, SIZE, JOBCENTER_ID, TEAM))
/* plan: hot */
JC_EXEC(UP_SUB_STATUS, "jc_up_sub_status",
    "UPDATE upload_submission SET status = %s, status_at = %lld, "
    "status_by = %lld WHERE id = %lld AND status <> %s")
/* plan: hot */
JC_EXEC(UP_AUDIT, "jc_up_audit",
    "INSERT INTO staff_audit (staff_account, at, action, customer_id, "
    "detail) VALUES (%lld, %lld, %s, %lld, %s)")
/* housekeeping: drafts older than a time, with their files */
/* plan: periodic */
JC_SELECT(UP_DRAFTS_OLD, "jc_up_drafts_old",
    "SELECT id FROM upload_draft WHERE created_at < %lld "
    "ORDER BY created_at, id LIMIT 100",
    (ID))
/* plan: periodic */
JC_EXEC(UP_DRAFT_FILES_DELETE, "jc_up_draft_files_delete",
    "DELETE FROM upload_file WHERE draft_id = %lld")
/* virus scan (jc_scanhold): files stored while clamd was unreachable
 * (JobcenterClamdUnavailable hold) carry scan_hold = 1 until the
 * upload watchdog has scanned them; staff statements leave them out */
/* plan: hot */
JC_EXEC(SCAN_HOLD, "jc_scan_hold",
    "UPDATE upload_file SET scan_hold = 1 WHERE id = %lld")
/* plan: periodic */
JC_SELECT(SCAN_HELD, "jc_scan_held",
    "SELECT id, store_id, name, account_id FROM upload_file "
    "WHERE scan_hold = 1 ORDER BY id LIMIT %lld",
    (ID, STORE_ID, NAME, ACCOUNT_ID))
/* plan: periodic */
JC_EXEC(SCAN_RELEASE, "jc_scan_release",
    "UPDATE upload_file SET scan_hold = 0 WHERE id = %lld "
    "AND scan_hold = 1")
/* plan: periodic */
JC_EXEC(SCAN_DROP, "jc_scan_drop",
    "DELETE FROM upload_file WHERE id = %lld AND scan_hold = 1")
/* resumable uploads (jc_tus, tus 1.0.0): one row per upload */
/* plan: hot */
JC_SELECT(TUS_INSERT, "jc_tus_insert",
    "INSERT INTO tus_upload (token, account_id, draft_id, spool_id, name, "
    "length, created_at, expires_at) VALUES (%s, %lld, %lld, %s, %s, "
    "%lld, %lld, %lld) RETURNING id",
    (ID))
/* plan: hot */
JC_SELECT(TUS_GET, "jc_tus_get",
    "SELECT id, token, account_id, draft_id, spool_id, name, length, "
    "upload_offset, file_id, expires_at FROM tus_upload "
    "WHERE token = %s AND account_id = %lld",
    (ID, TOKEN, ACCOUNT_ID, DRAFT_ID, SPOOL_ID, NAME, LENGTH, UPLOAD_OFFSET,
     FILE_ID, EXPIRES_AT))
/* unfinished uploads of the account: bytes announced, and how many
 * go into the draft */
/* plan: hot */
JC_SELECT(TUS_PENDING, "jc_tus_pending",
    "SELECT COALESCE(SUM(length), 0) AS bytes, "
    "COALESCE(SUM(CASE WHEN draft_id = %lld THEN 1 ELSE 0 END), 0) AS in_draft "
    "FROM tus_upload WHERE account_id = %lld AND file_id IS NULL "
    "AND expires_at > %lld",
    (BYTES, IN_DRAFT))
/* plan: hot */
JC_EXEC(TUS_OFFSET, "jc_tus_offset",
    "UPDATE tus_upload SET upload_offset = %lld WHERE id = %lld "
    "AND upload_offset = %lld AND file_id IS NULL")
/* plan: hot */
JC_EXEC(TUS_DONE, "jc_tus_done",
    "UPDATE tus_upload SET upload_offset = %lld, file_id = %lld "
    "WHERE id = %lld AND file_id IS NULL")
/* plan: hot */
JC_EXEC(TUS_DELETE, "jc_tus_delete",
    "DELETE FROM tus_upload WHERE id = %lld")
/* plan: hot */
JC_SELECT(TUS_FILE, "jc_tus_file",
    "SELECT id, name, mime, size, sha256 FROM upload_file WHERE id = %lld",
    (ID, NAME, MIME, SIZE, SHA256))
/* housekeeping: a batch of expired uploads (their drafts' expiry, or
 * 0 after "Konto löschen") */
/* plan: periodic */
JC_SELECT(TUS_EXPIRED, "jc_tus_expired",
    "SELECT id, spool_id FROM tus_upload WHERE expires_at <= %lld "
    "ORDER BY expires_at, id LIMIT "
    JC_PURGE_BATCH_SQL,
    (ID, SPOOL_ID))
/* plan: hot */
JC_EXEC(KONTO_TUS_UNLINK, "jc_konto_tus_unlink",
    "UPDATE tus_upload SET account_id = NULL, expires_at = 0 "
    "WHERE account_id = %lld")
/* store reconcile (jc_store_check): is a store id named by a row;
 * the rows that name store files, by id, created up to a time, in
 * pages of JC_SC_PAGE */
/* plan: periodic */
JC_SELECT(SC_REF, "jc_sc_ref",
    "SELECT (SELECT count(*) FROM upload_file WHERE store_id = %s) "
    "+ (SELECT count(*) FROM upload_submission "
    "WHERE receipt_store_id = %s) "
    "+ (SELECT count(*) FROM bescheid WHERE store_id = %s) AS refs",
    (REFS))
/* plan: periodic */
JC_SELECT(SC_ROWS_FILE, "jc_sc_rows_file",
    "SELECT id, store_id FROM upload_file WHERE id > %lld "
    "AND created_at <= %lld ORDER BY id LIMIT 500",
    (ID, STORE_ID))
/* plan: periodic */
JC_SELECT(SC_ROWS_RECEIPT, "jc_sc_rows_receipt",
    "SELECT id, receipt_store_id FROM upload_submission WHERE id > %lld "
    "AND submitted_at <= %lld ORDER BY id LIMIT 500",
    (ID, RECEIPT_STORE_ID))
/* plan: periodic */
JC_SELECT_AS(SC_ROWS_BESCHEID, "jc_sc_rows_bescheid",
    "SELECT id, store_id FROM bescheid WHERE id > %lld "
    "AND provided_at <= %lld ORDER BY id LIMIT 500",
    SC_ROWS_FILE)
/* the citizen's person profile (jc_profile) */
/* a Freischaltcode by its hash, with its customer's binding and the
 * Jobcenter's name (for the Verlauf entry) */
/* plan: hot */
JC_SELECT(PROF_CODE, "jc_prof_code",
    "SELECT f.id, f.customer_id, f.expires_at, f.used_at, f.voided_at, "
    "c.account_id, j.name FROM freischaltcode f "
    "JOIN customer c ON c.id = f.customer_id "
    "JOIN jobcenter j ON j.id = c.jobcenter_id WHERE f.code_hash = %s",
    (ID, CUSTOMER_ID, EXPIRES_AT, USED_AT, VOIDED_AT, ACCOUNT_ID, NAME))
/* only an unbound customer; 0 rows = bound meanwhile */
/* plan: hot */
JC_EXEC(PROF_BIND, "jc_prof_bind",
    "UPDATE customer SET account_id = %lld, bound_at = %lld "
    "WHERE id = %lld AND account_id IS NULL")
/* single use: 0 rows = used or voided meanwhile */
/* plan: hot */
JC_EXEC(PROF_CODE_USE, "jc_prof_code_use",
    "UPDATE freischaltcode SET used_at = %lld, used_by = %lld "
    "WHERE id = %lld AND used_at IS NULL AND voided_at IS NULL")
/* plan: hot */
JC_SELECT(PROF_GET, "jc_prof_get",
    "SELECT c.kundennummer, c.salutation, c.given_name, c.family_name, "
    "c.bound_at, j.name, j.street, j.postcode, j.city, j.phone, "
    "j.opening_hours FROM customer c "
    "JOIN jobcenter j ON j.id = c.jobcenter_id WHERE c.account_id = %lld",
    (KUNDENNUMMER, SALUTATION, GIVEN_NAME, FAMILY_NAME, BOUND_AT, NAME,
     STREET, POSTCODE, CITY, PHONE, OPENING_HOURS))

/* The statement table (see jc_sql.h). Column order in SELECTs is relied on
 * by the callers; change both together. */
#include <stddef.h>

#include "jc_sql.h"

static const jc_sql_stmt_t statements[] = {
    { "jc_schema_get", "SELECT version FROM jc_schema" },

    /* accounts */
    /* column 9: onetime_expires_at (one-time password from a letter);
     * column 7: confirmed_at of the account's TOTP factor (NULL = none
     * or not confirmed), column 8: number of its passkeys, so the login
     * needs one SELECT */
    /* plan: hot */
    { "jc_acct_by_email",
      "SELECT a.id, a.password_hash, a.email_confirmed_at, a.failed_logins, "
      "a.login_blocked_until, a.password_change_required, a.email, "
      "t.confirmed_at, (SELECT count(*) FROM passkey k "
      "WHERE k.account_id = a.id), a.onetime_expires_at FROM account a "
      "LEFT JOIN totp_factor t ON t.account_id = a.id WHERE a.email = %s" },
    /* plan: hot */
    { "jc_acct_by_username",
      "SELECT a.id, a.password_hash, a.email_confirmed_at, a.failed_logins, "
      "a.login_blocked_until, a.password_change_required, a.email, "
      "t.confirmed_at, (SELECT count(*) FROM passkey k "
      "WHERE k.account_id = a.id), a.onetime_expires_at FROM account a "
      "LEFT JOIN totp_factor t ON t.account_id = a.id "
      "WHERE a.username = %s" },
    /* plan: hot */
    { "jc_acct_insert",
      "INSERT INTO account (email, password_hash, terms_accepted_at, "
      "email_consent_at, created_at, updated_at) "
      "VALUES (%s, %s, %lld, %lld, %lld, %lld) RETURNING id" },
    /* plan: hot */
    { "jc_acct_repassword",
      "UPDATE account SET password_hash = %s, terms_accepted_at = %lld, "
      "email_consent_at = %lld, updated_at = %lld "
      "WHERE id = %lld AND email_confirmed_at IS NULL" },
    /* plan: hot */
    { "jc_acct_confirm",
      "UPDATE account SET email_confirmed_at = %lld, updated_at = %lld "
      "WHERE id = %lld AND email_confirmed_at IS NULL" },
    /* throttle reservation (jc_throttle_reserve): one more counted
     * attempt unless the account is blocked at %lld (0 rows then) */
    /* plan: hot */
    { "jc_thr_acct_take",
      "UPDATE account SET failed_logins = failed_logins + 1 "
      "WHERE id = %lld AND login_blocked_until <= %lld "
      "RETURNING failed_logins" },
    /* plan: hot */
    { "jc_thr_acct_block",
      "UPDATE account SET login_blocked_until = %lld WHERE id = %lld" },
    /* plan: hot */
    { "jc_thr_acct_get",
      "SELECT failed_logins, login_blocked_until FROM account "
      "WHERE id = %lld" },
    /* plan: hot */
    { "jc_acct_login_ok",
      "UPDATE account SET failed_logins = 0, login_blocked_until = 0 "
      "WHERE id = %lld AND failed_logins <> 0" },
    /* housekeeping: the oldest batch of accounts never confirmed, first
     * their links (foreign key), then the accounts (the same batch) */
    /* plan: periodic */
    { "jc_acct_purge_tokens",
      "DELETE FROM email_token WHERE account_id IN (SELECT id FROM account "
      "WHERE email IS NOT NULL AND email_confirmed_at IS NULL "
      "AND created_at < %lld ORDER BY created_at, id "
      "LIMIT " JC_PURGE_ACCT_BATCH_SQL ")" },
    /* plan: periodic */
    { "jc_acct_purge",
      "DELETE FROM account WHERE id IN (SELECT id FROM account "
      "WHERE email IS NOT NULL AND email_confirmed_at IS NULL "
      "AND created_at < %lld ORDER BY created_at, id "
      "LIMIT " JC_PURGE_ACCT_BATCH_SQL ")" },

    /* e-mail tokens */
    /* plan: hot */
    { "jc_token_insert",
      "INSERT INTO email_token (token_hash, account_id, email, purpose, "
      "created_at, expires_at) VALUES (%s, %lld, %s, %s, %lld, %lld)" },
    /* plan: hot */
    { "jc_token_get",
      "SELECT account_id, email, expires_at, used_at FROM email_token "
      "WHERE token_hash = %s AND purpose = %s" },
    /* plan: hot */
    { "jc_token_use",
      "UPDATE email_token SET used_at = %lld "
      "WHERE token_hash = %s AND used_at IS NULL" },
    /* plan: hot */
    { "jc_token_drop_open",
      "DELETE FROM email_token "
      "WHERE account_id = %lld AND purpose = %s AND used_at IS NULL" },
    /* plan: periodic */
    { "jc_token_purge",
      "DELETE FROM email_token WHERE token_hash IN (SELECT token_hash "
      "FROM email_token WHERE expires_at < %lld "
      "LIMIT " JC_PURGE_BATCH_SQL ")" },

    /* sessions */
    /* plan: hot */
    { "jc_sess_insert",
      "INSERT INTO session (id_hash, account_id, state, csrf_token, "
      "created_at, last_seen, expires_at, verified_at, user_agent, "
      "client_ip) "
      "VALUES (%s, %lld, %lld, %s, %lld, %lld, %lld, %lld, %s, %s)" },
    /* plan: hot */
    { "jc_sess_get",
      "SELECT s.account_id, s.state, s.csrf_token, s.last_seen, "
      "s.expires_at, a.email, a.username, a.email_confirmed_at, "
      "a.created_at, s.verified_at FROM session s "
      "JOIN account a ON a.id = s.account_id "
      "WHERE s.id_hash = %s" },
    /* the same plus column 10, the Kundennummer of the account's person
     * profile (NULL: none); only for gates with JobcenterGateHeaders On */
    /* plan: hot */
    { "jc_sess_get_kn",
      "SELECT s.account_id, s.state, s.csrf_token, s.last_seen, "
      "s.expires_at, a.email, a.username, a.email_confirmed_at, "
      "a.created_at, s.verified_at, c.kundennummer FROM session s "
      "JOIN account a ON a.id = s.account_id "
      "LEFT JOIN customer c ON c.account_id = s.account_id "
      "WHERE s.id_hash = %s" },
    /* a password or factor check (re-authentication) */
    /* plan: hot */
    { "jc_sess_verified",
      "UPDATE session SET verified_at = %lld WHERE id_hash = %s" },
    /* plan: hot */
    { "jc_sess_touch",
      "UPDATE session SET last_seen = %lld "
      "WHERE id_hash = %s AND last_seen <= %lld" },
    /* plan: hot */
    { "jc_sess_delete",
      "DELETE FROM session WHERE id_hash = %s" },
    /* housekeeping, one batch each: past the absolute lifetime, idle */
    /* plan: periodic */
    { "jc_sess_purge",
      "DELETE FROM session WHERE id_hash IN (SELECT id_hash FROM session "
      "WHERE expires_at < %lld LIMIT " JC_PURGE_BATCH_SQL ")" },
    /* plan: periodic */
    { "jc_sess_purge_idle",
      "DELETE FROM session WHERE id_hash IN (SELECT id_hash FROM session "
      "WHERE last_seen < %lld LIMIT " JC_PURGE_BATCH_SQL ")" },

    /* TOTP second factor (one row per account) */
    /* plan: hot */
    { "jc_totp_get",
      "SELECT secret_sealed, confirmed_at, last_step, failed_codes, "
      "blocked_until FROM totp_factor WHERE account_id = %lld" },
    /* a new pending secret; never replaces a confirmed factor (0 rows) */
    /* plan: hot */
    { "jc_totp_put",
      "INSERT INTO totp_factor (account_id, secret_sealed, created_at) "
      "VALUES (%lld, %s, %lld) ON CONFLICT (account_id) DO UPDATE SET "
      "secret_sealed = excluded.secret_sealed, "
      "created_at = excluded.created_at, last_step = -1, "
      "last_used_at = NULL, failed_codes = 0, blocked_until = 0 "
      "WHERE totp_factor.confirmed_at IS NULL" },
    /* only the pending secret the code was checked against */
    /* plan: hot */
    { "jc_totp_confirm",
      "UPDATE totp_factor SET confirmed_at = %lld, last_step = %lld, "
      "last_used_at = %lld, failed_codes = 0, blocked_until = 0 "
      "WHERE account_id = %lld AND secret_sealed = %s "
      "AND confirmed_at IS NULL" },
    /* replay rule: a step is accepted once; 0 rows = replay (also when a
     * parallel request used the same code first) */
    /* plan: hot */
    { "jc_totp_use",
      "UPDATE totp_factor SET last_step = %lld, last_used_at = %lld, "
      "failed_codes = 0, blocked_until = 0 "
      "WHERE account_id = %lld AND last_step < %lld "
      "AND confirmed_at IS NOT NULL" },
    /* counted in the database, so parallel guesses all count */
    /* plan: hot */
    { "jc_totp_failed",
      "UPDATE totp_factor SET failed_codes = failed_codes + 1 "
      "WHERE account_id = %lld RETURNING failed_codes" },
    /* the factor row, locked for the rest of the transaction: the code
     * check and its count are one step (columns as jc_totp_get) */
    /* plan: hot */
    { "jc_totp_lock",
      "UPDATE totp_factor SET failed_codes = failed_codes "
      "WHERE account_id = %lld RETURNING secret_sealed, confirmed_at, "
      "last_step, failed_codes, blocked_until" },
    /* plan: hot */
    { "jc_totp_block",
      "UPDATE totp_factor SET blocked_until = %lld WHERE account_id = %lld" },

    /* passkeys (WebAuthn) */
    /* plan: hot */
    { "jc_pk_handle_get",
      "SELECT user_handle FROM account WHERE id = %lld" },
    /* the first registration sets the handle; never replaced */
    /* plan: hot */
    { "jc_pk_handle_set",
      "UPDATE account SET user_handle = %s "
      "WHERE id = %lld AND user_handle IS NULL" },
    /* plan: hot */
    { "jc_pk_list",
      "SELECT cred_id FROM passkey WHERE account_id = %lld "
      "ORDER BY id LIMIT 100" },
    /* plan: hot */
    { "jc_pk_insert",
      "INSERT INTO passkey (account_id, cred_id, public_key, alg, "
      "sign_count, name, aaguid, created_at) "
      "VALUES (%lld, %s, %s, %lld, %lld, %s, %s, %lld)" },
    /* the credential with its owner (login and second factor) */
    /* plan: hot */
    { "jc_pk_by_cred",
      "SELECT k.id, k.account_id, k.public_key, k.alg, k.sign_count, "
      "k.flagged, a.user_handle, a.email, a.email_confirmed_at, k.name "
      "FROM passkey k JOIN account a ON a.id = k.account_id "
      "WHERE k.cred_id = %s" },
    /* counter rule: only forward (0 = authenticator without counter) */
    /* plan: hot */
    { "jc_pk_used",
      "UPDATE passkey SET sign_count = %lld, last_used_at = %lld "
      "WHERE id = %lld AND flagged = 0 "
      "AND (sign_count < %lld OR (sign_count = 0 AND %lld = 0))" },
    /* plan: hot */
    { "jc_pk_flag",
      "UPDATE passkey SET flagged = 1 WHERE id = %lld" },
    /* plan: hot */
    { "jc_wa_chal_insert",
      "INSERT INTO webauthn_challenge (challenge_hash, purpose, account_id, "
      "session_hash, created_at, expires_at) "
      "VALUES (%s, %s, %lld, %s, %lld, %lld)" },
    /* single use: 0 rows for an unknown, used, expired or foreign one */
    /* plan: hot */
    { "jc_wa_chal_use",
      "UPDATE webauthn_challenge SET used_at = %lld "
      "WHERE challenge_hash = %s AND purpose = %s AND used_at IS NULL "
      "AND expires_at > %lld AND COALESCE(session_hash, '') = %s "
      "RETURNING account_id" },
    /* plan: periodic */
    { "jc_wa_chal_purge",
      "DELETE FROM webauthn_challenge WHERE challenge_hash IN (SELECT "
      "challenge_hash FROM webauthn_challenge WHERE expires_at < %lld "
      "LIMIT " JC_PURGE_BATCH_SQL ")" },

    /* throttling per key (client address, "pk:", "fsc-a:", "fsc-ip:",
     * "pwr-ip:", "pwr-m:", "plz-ip:" + ...) */
    /* plan: hot */
    { "jc_thr_get",
      "SELECT failures, last_failure, blocked_until FROM login_throttle "
      "WHERE client_key = %s" },
    /* plan: hot */
    { "jc_thr_clear",
      "DELETE FROM login_throttle WHERE client_key = %s" },
    /* plan: periodic */
    { "jc_thr_purge",
      "DELETE FROM login_throttle WHERE client_key IN (SELECT client_key "
      "FROM login_throttle WHERE last_failure < %lld "
      "LIMIT " JC_PURGE_BATCH_SQL ")" },
    /* counted in the database, so parallel failures all count; failures
     * older than the cut-off (3rd argument) are forgotten */
    /* plan: hot */
    { "jc_thr_fail",
      "INSERT INTO login_throttle (client_key, failures, last_failure, "
      "blocked_until) VALUES (%s, 1, %lld, 0) "
      "ON CONFLICT (client_key) DO UPDATE SET failures = CASE "
      "WHEN login_throttle.last_failure < %lld THEN 1 "
      "ELSE login_throttle.failures + 1 END, "
      "last_failure = excluded.last_failure RETURNING failures" },
    /* plan: hot */
    { "jc_thr_block",
      "UPDATE login_throttle SET blocked_until = %lld "
      "WHERE client_key = %s" },
    /* throttle reservation (jc_throttle_reserve): one more counted
     * attempt unless the key is blocked at now (2nd argument) within its
     * window (failures before the cut-off, 3rd/4th, are forgotten); no
     * row when refused, and then nothing is written */
    /* plan: hot */
    { "jc_thr_take",
      "INSERT INTO login_throttle (client_key, failures, last_failure, "
      "blocked_until) VALUES (%s, 1, %lld, 0) "
      "ON CONFLICT (client_key) DO UPDATE SET failures = CASE "
      "WHEN login_throttle.last_failure < %lld THEN 1 "
      "ELSE login_throttle.failures + 1 END, "
      "last_failure = excluded.last_failure "
      "WHERE login_throttle.blocked_until <= excluded.last_failure "
      "OR login_throttle.last_failure < %lld RETURNING failures" },
    /* a count limit (jc_reset_limit_count): one more request unless max
     * (5th argument) are used up within the window; no row when refused */
    /* plan: hot */
    { "jc_thr_limit",
      "INSERT INTO login_throttle (client_key, failures, last_failure, "
      "blocked_until) VALUES (%s, 1, %lld, 0) "
      "ON CONFLICT (client_key) DO UPDATE SET failures = CASE "
      "WHEN login_throttle.last_failure < %lld THEN 1 "
      "ELSE login_throttle.failures + 1 END, "
      "last_failure = excluded.last_failure "
      "WHERE login_throttle.last_failure < %lld "
      "OR login_throttle.failures < %lld RETURNING failures" },
    /* the row of a key, locked for the rest of the transaction (created
     * with no failures when missing): check and count of a cheap check
     * (Freischaltcode) in one transaction */
    /* plan: hot */
    { "jc_thr_lock",
      "INSERT INTO login_throttle (client_key, failures, last_failure, "
      "blocked_until) VALUES (%s, 0, 0, 0) "
      "ON CONFLICT (client_key) DO UPDATE SET "
      "failures = login_throttle.failures "
      "RETURNING failures, last_failure, blocked_until" },

    /* mail outbox */
    /* plan: hot */
    { "jc_outbox_insert",
      "INSERT INTO mail_outbox (rcpt, subject, message, created_at, "
      "next_attempt_at) VALUES (%s, %s, %s, %lld, %lld)" },
    /* due and claimable: not sent, not parked, no live claim */
    /* plan: periodic */
    { "jc_outbox_due",
      "SELECT id, rcpt, message, attempts FROM mail_outbox "
      "WHERE sent_at IS NULL AND parked_at IS NULL "
      "AND next_attempt_at <= %lld "
      "AND (claim_until IS NULL OR claim_until <= %lld) "
      "ORDER BY id LIMIT 20" },
    /* the claim: 1 affected row = this node sends the mail. The WHERE is
     * the whole claimability test, so a concurrent claimer finds 0 rows
     * (PostgreSQL re-checks it on the row it waited for; SQLite has one
     * writer at a time). No FOR UPDATE SKIP LOCKED: SQLite has no such
     * syntax, and an autocommit UPDATE holds the row lock only for its
     * own duration. */
    /* plan: periodic */
    { "jc_outbox_claim",
      "UPDATE mail_outbox SET claim_owner = %s, claim_until = %lld "
      "WHERE id = %lld AND sent_at IS NULL AND parked_at IS NULL "
      "AND next_attempt_at <= %lld "
      "AND (claim_until IS NULL OR claim_until <= %lld)" },
    /* outcomes: only by the claim's owner (0 rows: the claim was taken
     * over after its lease) */
    /* plan: periodic */
    { "jc_outbox_sent",
      "UPDATE mail_outbox SET sent_at = %lld, attempts = attempts + 1, "
      "last_error = NULL, claim_owner = NULL, claim_until = NULL "
      "WHERE id = %lld AND claim_owner = %s" },
    /* plan: periodic */
    { "jc_outbox_failed",
      "UPDATE mail_outbox SET attempts = attempts + 1, "
      "next_attempt_at = %lld, last_error = %s, claim_owner = NULL, "
      "claim_until = NULL WHERE id = %lld AND claim_owner = %s" },
    /* plan: periodic */
    { "jc_outbox_park",
      "UPDATE mail_outbox SET attempts = attempts + 1, parked_at = %lld, "
      "last_error = %s, claim_owner = NULL, claim_until = NULL "
      "WHERE id = %lld AND claim_owner = %s" },
    /* jobcenter-admin mail-parked / mail-retry */
    { "jc_outbox_parked",
      "SELECT id, rcpt, subject, created_at, attempts, parked_at, "
      "last_error FROM mail_outbox WHERE parked_at IS NOT NULL "
      "ORDER BY id LIMIT 1000" },
    { "jc_outbox_unpark",
      "UPDATE mail_outbox SET parked_at = NULL, next_attempt_at = %lld "
      "WHERE id = %lld AND parked_at IS NOT NULL AND sent_at IS NULL" },
    /* plan: periodic */
    { "jc_outbox_purge",
      "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox "
      "WHERE sent_at IS NOT NULL AND sent_at < %lld "
      "LIMIT " JC_PURGE_BATCH_SQL ")" },

    /* metrics (jc_metrics.c, a scrape of the jobcenter-metrics handler):
     * the cluster's mail queue and parked mails with their oldest; read
     * through the indexes mail_outbox_due and mail_outbox_parked, so a
     * scrape costs the rows of the queue, not of the whole outbox */
    /* plan: periodic */
    { "jc_metrics_mail_queued",
      "SELECT count(*), min(created_at) FROM mail_outbox "
      "WHERE sent_at IS NULL AND parked_at IS NULL" },
    /* parked_at >= 0 is "parked" (times are epoch seconds) written as a
     * range the partial index answers with a condition */
    /* plan: periodic */
    { "jc_metrics_mail_parked",
      "SELECT count(*), min(created_at) FROM mail_outbox "
      "WHERE parked_at >= 0" },

    /* background job leases (mod_jobcenter_outbox.c): 1 affected row =
     * this node holds the job's lease (new, its own, or expired) */
    /* plan: periodic */
    { "jc_job_lease_take",
      "INSERT INTO job_lease (name, owner, expires_at) VALUES (%s, %s, %lld) "
      "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
      "expires_at = excluded.expires_at "
      "WHERE job_lease.owner = excluded.owner "
      "OR job_lease.expires_at <= %lld" },

    /* the "Sicherheit" page (jc_security) */
    /* plan: hot */
    { "jc_sec_passkeys",
      "SELECT id, name, created_at, last_used_at, flagged FROM passkey "
      "WHERE account_id = %lld ORDER BY id LIMIT 100" },
    /* plan: hot */
    { "jc_sec_totp",
      "SELECT confirmed_at, last_used_at FROM totp_factor "
      "WHERE account_id = %lld AND confirmed_at IS NOT NULL" },
    /* plan: hot */
    { "jc_sec_password",
      "SELECT password_hash, failed_logins, login_blocked_until "
      "FROM account WHERE id = %lld" },
    /* first statement of every change: serialises the changes of one
     * account (PostgreSQL row lock) */
    /* plan: hot */
    { "jc_sec_lock",
      "UPDATE account SET updated_at = %lld WHERE id = %lld" },
    /* plan: hot */
    { "jc_sec_passkey_get",
      "SELECT name, flagged FROM passkey "
      "WHERE id = %lld AND account_id = %lld" },
    /* usable factors: passkeys not flagged, a confirmed TOTP factor */
    /* plan: hot */
    { "jc_sec_factors",
      "SELECT (SELECT count(*) FROM passkey WHERE account_id = %lld "
      "AND flagged = 0), (SELECT count(*) FROM totp_factor "
      "WHERE account_id = %lld AND confirmed_at IS NOT NULL)" },
    /* plan: hot */
    { "jc_sec_passkey_rename",
      "UPDATE passkey SET name = %s WHERE id = %lld AND account_id = %lld" },
    /* plan: hot */
    { "jc_sec_passkey_delete",
      "DELETE FROM passkey WHERE id = %lld AND account_id = %lld" },
    /* plan: hot */
    { "jc_sec_totp_delete",
      "DELETE FROM totp_factor WHERE account_id = %lld" },

    /* the account's Verlauf (jc_event) */
    /* plan: hot */
    { "jc_event_add",
      "INSERT INTO event (account_id, at, kind, detail) "
      "VALUES (%lld, %lld, %s, %s)" },
    /* plan: hot */
    { "jc_event_list",
      "SELECT at, kind, detail FROM event WHERE account_id = %lld "
      "ORDER BY at DESC, id DESC LIMIT 200" },

    /* document uploads (jc_upload): drafts, files, submissions */
    /* the account's person profile and its jobcenter */
    /* plan: hot */
    { "jc_up_customer",
      "SELECT c.id, c.jobcenter_id, j.name, j.street, j.postcode, j.city, "
      "j.phone FROM customer c JOIN jobcenter j ON j.id = c.jobcenter_id "
      "WHERE c.account_id = %lld" },
    /* plan: hot */
    { "jc_up_draft_insert",
      "INSERT INTO upload_draft (account_id, customer_id, area, created_at) "
      "VALUES (%lld, %lld, %s, %lld) RETURNING id" },
    /* plan: hot */
    { "jc_up_draft_get",
      "SELECT d.id, d.area, d.customer_id, d.created_at, "
      "(SELECT count(*) FROM upload_file f WHERE f.draft_id = d.id) "
      "FROM upload_draft d WHERE d.id = %lld AND d.account_id = %lld" },
    /* plan: periodic */
    { "jc_up_draft_delete",
      "DELETE FROM upload_draft WHERE id = %lld" },
    /* plan: hot */
    { "jc_up_draft_files",
      "SELECT id, store_id, name, mime, size, sha256 FROM upload_file "
      "WHERE draft_id = %lld ORDER BY id" },
    /* bytes the account stored since a time (daily limit) */
    /* plan: hot */
    { "jc_up_bytes_since",
      "SELECT COALESCE(SUM(size), 0) FROM upload_file "
      "WHERE account_id = %lld AND created_at >= %lld" },
    /* plan: hot */
    { "jc_up_file_insert",
      "INSERT INTO upload_file (account_id, draft_id, store_id, name, mime, "
      "size, sha256, created_at) VALUES (%lld, %lld, %s, %s, %s, %lld, %s, "
      "%lld) RETURNING id" },
    /* plan: hot */
    { "jc_up_file_get_draft",
      "SELECT store_id FROM upload_file WHERE id = %lld AND draft_id = %lld "
      "AND account_id = %lld" },
    /* plan: hot */
    { "jc_up_file_delete",
      "DELETE FROM upload_file WHERE id = %lld" },
    /* plan: hot */
    { "jc_up_file_to_sub",
      "UPDATE upload_file SET submission_id = %lld, draft_id = NULL "
      "WHERE draft_id = %lld" },
    /* plan: hot */
    { "jc_up_sub_by_key",
      "SELECT id FROM upload_submission WHERE account_id = %lld "
      "AND idempotency_key = %s" },
    /* plan: hot */
    { "jc_up_sub_insert",
      "INSERT INTO upload_submission (reference, area, team, jobcenter_id, "
      "customer_id, account_id, message, verify_hash, idempotency_key, "
      "receipt_store_id, nfiles, submitted_at, status_at) VALUES (%s, %s, "
      "%s, %lld, %lld, %lld, %s, %s, %s, %s, %lld, %lld, %lld) "
      "RETURNING id" },
    /* one submission; columns as jc_up_sub_list */
    /* plan: hot */
    { "jc_up_sub_get",
      "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
      "s.submitted_at, s.status_at, j.name, s.message, s.receipt_store_id, "
      "s.account_id, s.jobcenter_id, s.team, s.customer_id, s.verify_hash "
      "FROM upload_submission s JOIN jobcenter j ON j.id = s.jobcenter_id "
      "WHERE s.id = %lld" },
    /* plan: hot */
    { "jc_up_sub_by_ref",
      "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
      "s.submitted_at, s.status_at, j.name, s.message, s.receipt_store_id, "
      "s.account_id, s.jobcenter_id, s.team, s.customer_id, s.verify_hash "
      "FROM upload_submission s JOIN jobcenter j ON j.id = s.jobcenter_id "
      "WHERE s.reference = %s" },
    /* plan: hot */
    { "jc_up_sub_list",
      "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
      "s.submitted_at, s.status_at, j.name FROM upload_submission s "
      "JOIN jobcenter j ON j.id = s.jobcenter_id WHERE s.account_id = %lld "
      "ORDER BY s.submitted_at DESC, s.id DESC LIMIT 200" },
    /* plan: hot */
    { "jc_up_sub_files",
      "SELECT id, store_id, name, mime, size, sha256 FROM upload_file "
      "WHERE submission_id = %lld ORDER BY id" },
    /* staff: the team's inbox of its jobcenter */
    /* plan: hot */
    { "jc_up_inbox",
      "SELECT s.id, s.reference, s.area, s.status, s.nfiles, "
      "s.submitted_at, s.status_at, c.kundennummer, c.given_name, "
      "c.family_name, s.message FROM upload_submission s "
      "JOIN customer c ON c.id = s.customer_id "
      "WHERE s.jobcenter_id = %lld AND s.team = %s "
      "AND NOT EXISTS (SELECT 1 FROM upload_file h "
      "WHERE h.submission_id = s.id AND h.scan_hold = 1) "
      "ORDER BY s.submitted_at DESC, s.id DESC LIMIT 200" },
    /* plan: hot */
    { "jc_up_staff_file",
      "SELECT f.store_id, f.name, f.mime, f.size, s.jobcenter_id, s.team "
      "FROM upload_file f JOIN upload_submission s "
      "ON s.id = f.submission_id WHERE f.id = %lld AND f.scan_hold = 0" },
    /* plan: hot */
    { "jc_up_sub_status",
      "UPDATE upload_submission SET status = %s, status_at = %lld, "
      "status_by = %lld WHERE id = %lld AND status <> %s" },
    /* plan: hot */
    { "jc_up_audit",
      "INSERT INTO staff_audit (staff_account, at, action, customer_id, "
      "detail) VALUES (%lld, %lld, %s, %lld, %s)" },
    /* housekeeping: drafts older than a time, with their files */
    /* plan: periodic */
    { "jc_up_drafts_old",
      "SELECT id FROM upload_draft WHERE created_at < %lld "
      "ORDER BY created_at, id LIMIT 100" },
    /* plan: periodic */
    { "jc_up_draft_files_delete",
      "DELETE FROM upload_file WHERE draft_id = %lld" },
    /* virus scan (jc_scanhold): files stored while clamd was unreachable
     * (JobcenterClamdUnavailable hold) carry scan_hold = 1 until the
     * upload watchdog has scanned them; staff statements leave them out */
    /* plan: hot */
    { "jc_scan_hold",
      "UPDATE upload_file SET scan_hold = 1 WHERE id = %lld" },
    /* plan: periodic */
    { "jc_scan_held",
      "SELECT id, store_id, name, account_id FROM upload_file "
      "WHERE scan_hold = 1 ORDER BY id LIMIT %lld" },
    /* plan: periodic */
    { "jc_scan_release",
      "UPDATE upload_file SET scan_hold = 0 WHERE id = %lld "
      "AND scan_hold = 1" },
    /* plan: periodic */
    { "jc_scan_drop",
      "DELETE FROM upload_file WHERE id = %lld AND scan_hold = 1" },
    /* resumable uploads (jc_tus, tus 1.0.0): one row per upload */
    /* plan: hot */
    { "jc_tus_insert",
      "INSERT INTO tus_upload (token, account_id, draft_id, spool_id, name, "
      "length, created_at, expires_at) VALUES (%s, %lld, %lld, %s, %s, "
      "%lld, %lld, %lld) RETURNING id" },
    /* plan: hot */
    { "jc_tus_get",
      "SELECT id, token, account_id, draft_id, spool_id, name, length, "
      "upload_offset, file_id, expires_at FROM tus_upload "
      "WHERE token = %s AND account_id = %lld" },
    /* unfinished uploads of the account: bytes announced, and how many
     * go into the draft */
    /* plan: hot */
    { "jc_tus_pending",
      "SELECT COALESCE(SUM(length), 0), "
      "COALESCE(SUM(CASE WHEN draft_id = %lld THEN 1 ELSE 0 END), 0) "
      "FROM tus_upload WHERE account_id = %lld AND file_id IS NULL "
      "AND expires_at > %lld" },
    /* plan: hot */
    { "jc_tus_offset",
      "UPDATE tus_upload SET upload_offset = %lld WHERE id = %lld "
      "AND upload_offset = %lld AND file_id IS NULL" },
    /* plan: hot */
    { "jc_tus_done",
      "UPDATE tus_upload SET upload_offset = %lld, file_id = %lld "
      "WHERE id = %lld AND file_id IS NULL" },
    /* plan: hot */
    { "jc_tus_delete",
      "DELETE FROM tus_upload WHERE id = %lld" },
    /* plan: hot */
    { "jc_tus_file",
      "SELECT id, name, mime, size, sha256 FROM upload_file WHERE id = %lld" },
    /* housekeeping: a batch of expired uploads (their drafts' expiry, or
     * 0 after "Konto löschen") */
    /* plan: periodic */
    { "jc_tus_expired",
      "SELECT id, spool_id FROM tus_upload WHERE expires_at <= %lld "
      "ORDER BY expires_at, id LIMIT " JC_PURGE_BATCH_SQL },
    /* plan: hot */
    { "jc_konto_tus_unlink",
      "UPDATE tus_upload SET account_id = NULL, expires_at = 0 "
      "WHERE account_id = %lld" },
    /* store reconcile (jc_store_check): is a store id named by a row;
     * the rows that name store files, by id, created up to a time, in
     * pages of JC_SC_PAGE */
    /* plan: periodic */
    { "jc_sc_ref",
      "SELECT (SELECT count(*) FROM upload_file WHERE store_id = %s) "
      "+ (SELECT count(*) FROM upload_submission "
      "WHERE receipt_store_id = %s) "
      "+ (SELECT count(*) FROM bescheid WHERE store_id = %s)" },
    /* plan: periodic */
    { "jc_sc_rows_file",
      "SELECT id, store_id FROM upload_file WHERE id > %lld "
      "AND created_at <= %lld ORDER BY id LIMIT 500" },
    /* plan: periodic */
    { "jc_sc_rows_receipt",
      "SELECT id, receipt_store_id FROM upload_submission WHERE id > %lld "
      "AND submitted_at <= %lld ORDER BY id LIMIT 500" },
    /* plan: periodic */
    { "jc_sc_rows_bescheid",
      "SELECT id, store_id FROM bescheid WHERE id > %lld "
      "AND provided_at <= %lld ORDER BY id LIMIT 500" },
    /* the citizen's person profile (jc_profile) */
    /* a Freischaltcode by its hash, with its customer's binding and the
     * Jobcenter's name (for the Verlauf entry) */
    /* plan: hot */
    { "jc_prof_code",
      "SELECT f.id, f.customer_id, f.expires_at, f.used_at, f.voided_at, "
      "c.account_id, j.name FROM freischaltcode f "
      "JOIN customer c ON c.id = f.customer_id "
      "JOIN jobcenter j ON j.id = c.jobcenter_id WHERE f.code_hash = %s" },
    /* only an unbound customer; 0 rows = bound meanwhile */
    /* plan: hot */
    { "jc_prof_bind",
      "UPDATE customer SET account_id = %lld, bound_at = %lld "
      "WHERE id = %lld AND account_id IS NULL" },
    /* single use: 0 rows = used or voided meanwhile */
    /* plan: hot */
    { "jc_prof_code_use",
      "UPDATE freischaltcode SET used_at = %lld, used_by = %lld "
      "WHERE id = %lld AND used_at IS NULL AND voided_at IS NULL" },
    /* plan: hot */
    { "jc_prof_get",
      "SELECT c.kundennummer, c.salutation, c.given_name, c.family_name, "
      "c.bound_at, j.name, j.street, j.postcode, j.city, j.phone, "
      "j.opening_hours FROM customer c "
      "JOIN jobcenter j ON j.id = c.jobcenter_id WHERE c.account_id = %lld" },
    /* jobcenters, staff, customers, Freischaltcodes (jc_staff) */
    { "jc_jc_insert",
      "INSERT INTO jobcenter (name, street, postcode, city, phone, "
      "opening_hours, created_at) VALUES (%s, %s, %s, %s, %s, %s, %lld) "
      "RETURNING id" },
    { "jc_jc_postcode_insert",
      "INSERT INTO jobcenter_postcode (postcode, jobcenter_id) "
      "VALUES (%s, %lld)" },
    { "jc_jc_by_name",
      "SELECT id FROM jobcenter WHERE name = %s" },
    /* plan: hot */
    { "jc_jc_get",
      "SELECT name, street, postcode, city, phone, opening_hours "
      "FROM jobcenter WHERE id = %lld" },
    { "jc_jc_list",
      "SELECT j.id, j.name, j.street, j.postcode, j.city, j.phone, "
      "j.opening_hours, (SELECT count(*) FROM staff s "
      "WHERE s.jobcenter_id = j.id), (SELECT count(*) FROM customer c "
      "WHERE c.jobcenter_id = j.id) FROM jobcenter j ORDER BY j.name "
      "LIMIT 10000" },
    { "jc_jc_postcodes",
      "SELECT postcode FROM jobcenter_postcode WHERE jobcenter_id = %lld "
      "ORDER BY postcode LIMIT 10000" },
    /* plan: hot */
    { "jc_acct_id_by_email",
      "SELECT id FROM account WHERE email = %s" },
    /* plan: hot */
    { "jc_staff_acct_onetime",
      "UPDATE account SET password_change_required = 1, "
      "onetime_expires_at = %lld, updated_at = %lld WHERE id = %lld" },
    /* plan: hot */
    { "jc_staff_acct_new_onetime",
      "UPDATE account SET password_hash = %s, password_change_required = 1, "
      "onetime_expires_at = %lld, failed_logins = 0, "
      "login_blocked_until = 0, updated_at = %lld WHERE id = %lld" },
    /* plan: hot */
    { "jc_staff_insert",
      "INSERT INTO staff (account_id, jobcenter_id, team, role, "
      "display_name, created_at) VALUES (%lld, %lld, %s, %s, %s, %lld)" },
    /* plan: hot */
    { "jc_staff_get",
      "SELECT s.jobcenter_id, s.team, s.role, s.display_name, "
      "s.disabled_at, j.name FROM staff s "
      "JOIN jobcenter j ON j.id = s.jobcenter_id WHERE s.account_id = %lld" },
    { "jc_staff_list",
      "SELECT s.account_id, a.email, s.display_name, s.team, s.role, "
      "j.name, s.created_at, s.disabled_at, t.confirmed_at FROM staff s "
      "JOIN account a ON a.id = s.account_id "
      "JOIN jobcenter j ON j.id = s.jobcenter_id "
      "LEFT JOIN totp_factor t ON t.account_id = s.account_id "
      "ORDER BY j.name, s.display_name, s.account_id LIMIT 100000" },
    /* plan: hot */
    { "jc_staff_disable",
      "UPDATE staff SET disabled_at = %lld "
      "WHERE account_id = %lld AND disabled_at IS NULL" },
    /* plan: hot */
    { "jc_sess_drop_account",
      "DELETE FROM session WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_cust_insert",
      "INSERT INTO customer (jobcenter_id, kundennummer, salutation, "
      "given_name, family_name, birth_date, street, postcode, city, "
      "created_by, created_at, name_key) "
      "VALUES (%lld, %s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %s) "
      "RETURNING id" },
    /* jc_cust_get, jc_cust_by_knr, jc_cust_search_*: the same columns */
    /* plan: hot */
    { "jc_cust_get",
      "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
      "family_name, birth_date, street, postcode, city, account_id, "
      "created_at FROM customer WHERE id = %lld AND jobcenter_id = %lld" },
    /* one-time credentials of the bound account (staff customer page) */
    /* plan: hot */
    { "jc_cust_onetime",
      "SELECT a.onetime_expires_at, a.password_change_required "
      "FROM customer c JOIN account a ON a.id = c.account_id "
      "WHERE c.id = %lld" },
    /* plan: hot */
    { "jc_cust_by_knr",
      "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
      "family_name, birth_date, street, postcode, city, account_id, "
      "created_at FROM customer WHERE kundennummer = %s" },
    /* staff search (jc_customer_search) in the caller's jobcenter: a
     * Kundennummer; a postcode; a name_key range [%s, %s) (a prefix).
     * Counts stop at JC_CUST_COUNT_MAX + 1. */
    /* plan: hot */
    { "jc_cust_search_knr",
      "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
      "family_name, birth_date, street, postcode, city, account_id, "
      "created_at FROM customer WHERE jobcenter_id = %lld AND kundennummer = %s" },
    /* plan: hot */
    { "jc_cust_count_plz",
      "SELECT count(*) FROM (SELECT 1 FROM customer WHERE jobcenter_id = %lld "
      "AND postcode = %s LIMIT 1001) x" },
    /* plan: hot */
    { "jc_cust_search_plz",
      "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
      "family_name, birth_date, street, postcode, city, account_id, "
      "created_at FROM customer WHERE jobcenter_id = %lld AND postcode = %s "
      "ORDER BY name_key, id LIMIT %lld OFFSET %lld" },
    /* plan: hot */
    { "jc_cust_count_name",
      "SELECT count(*) FROM (SELECT 1 FROM customer WHERE jobcenter_id = %lld "
      "AND name_key >= %s AND name_key < %s LIMIT 1001) x" },
    /* plan: hot */
    { "jc_cust_search_name",
      "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
      "family_name, birth_date, street, postcode, city, account_id, "
      "created_at FROM customer WHERE jobcenter_id = %lld AND name_key >= %s "
      "AND name_key < %s ORDER BY name_key, id LIMIT %lld OFFSET %lld" },
    /* a new code makes the customer's older unused ones invalid */
    /* plan: hot */
    { "jc_fsc_void",
      "UPDATE freischaltcode SET voided_at = %lld WHERE customer_id = %lld "
      "AND used_at IS NULL AND voided_at IS NULL" },
    /* plan: hot */
    { "jc_fsc_insert",
      "INSERT INTO freischaltcode (customer_id, code_hash, created_by, "
      "created_at, expires_at) VALUES (%lld, %s, %lld, %lld, %lld)" },
    /* plan: hot */
    { "jc_fsc_list",
      "SELECT created_at, expires_at, used_at, voided_at FROM freischaltcode "
      "WHERE customer_id = %lld ORDER BY id DESC LIMIT 50" },
    /* plan: hot */
    { "jc_audit_add",
      "INSERT INTO staff_audit (staff_account, at, action, customer_id, "
      "detail) VALUES (%lld, %lld, %s, %lld, %s)" },
    /* Online-Kommunikation (jc_online) */
    /* plan: hot */
    { "jc_online_get",
      "SELECT active_since, text_version, deactivation_requested_at, "
      "deactivation_effective_at FROM online_consent WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_online_active",
      "SELECT count(*) FROM online_consent WHERE account_id = %lld "
      "AND active_since IS NOT NULL AND (deactivation_effective_at IS NULL "
      "OR deactivation_effective_at > %lld)" },
    /* confirmed address of the account (mail target, consent rule) */
    /* plan: hot */
    { "jc_online_email",
      "SELECT email, email_confirmed_at FROM account WHERE id = %lld" },
    /* consent: a new row, or a fresh consent that cancels a pending
     * deactivation; 0 rows when already active without one (parallel) */
    /* plan: hot */
    { "jc_online_activate",
      "INSERT INTO online_consent (account_id, active_since, text_version, "
      "updated_at) VALUES (%lld, %lld, %s, %lld) "
      "ON CONFLICT (account_id) DO UPDATE SET "
      "active_since = excluded.active_since, "
      "text_version = excluded.text_version, "
      "deactivation_requested_at = NULL, deactivation_effective_at = NULL, "
      "updated_at = excluded.updated_at "
      "WHERE online_consent.active_since IS NULL "
      "OR online_consent.deactivation_requested_at IS NOT NULL" },
    /* only an active consent without a pending deactivation */
    /* plan: hot */
    { "jc_online_deact_request",
      "UPDATE online_consent SET deactivation_requested_at = %lld, "
      "deactivation_effective_at = %lld, updated_at = %lld "
      "WHERE account_id = %lld AND active_since IS NOT NULL "
      "AND deactivation_requested_at IS NULL" },
    /* plan: periodic */
    { "jc_online_due",
      "SELECT account_id, text_version, deactivation_effective_at "
      "FROM online_consent WHERE deactivation_effective_at <= %lld "
      "AND active_since IS NOT NULL ORDER BY deactivation_effective_at "
      "LIMIT 50" },
    /* the deactivation takes effect; 0 rows when re-activated meanwhile */
    /* plan: periodic */
    { "jc_online_deact_apply",
      "UPDATE online_consent SET active_since = NULL, "
      "deactivation_requested_at = NULL, deactivation_effective_at = NULL, "
      "updated_at = %lld WHERE account_id = %lld "
      "AND deactivation_effective_at <= %lld" },
    /* plan: hot */
    { "jc_online_hist_add",
      "INSERT INTO online_consent_history (account_id, at, action, "
      "text_version, effective_at) VALUES (%lld, %lld, %s, %s, %lld)" },

    /* messages, Bescheide, Termine (jc_message) */
    /* plan: hot */
    { "jc_msg_customer_of",
      "SELECT id, jobcenter_id FROM customer WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_msg_acct_mail",
      "SELECT email, email_confirmed_at FROM account WHERE id = %lld" },
    /* plan: hot */
    { "jc_msg_conv_by_key",
      "SELECT id FROM conversation "
      "WHERE account_id = %lld AND idempotency_key = %s" },
    /* plan: hot */
    { "jc_msg_conv_insert",
      "INSERT INTO conversation (jobcenter_id, customer_id, account_id, "
      "anliegen, team, subject, status, idempotency_key, created_at, "
      "updated_at) VALUES (%lld, %lld, %lld, %s, %s, %s, 'neu', %s, %lld, "
      "%lld) RETURNING id" },
    /* staff_account NULL: the citizen's message */
    /* plan: hot */
    { "jc_msg_insert",
      "INSERT INTO message (conversation_id, staff_account, body, "
      "idempotency_key, created_at) VALUES (%lld, %lld, %s, %s, %lld) "
      "RETURNING id" },
    /* plan: hot */
    { "jc_msg_move_files",
      "UPDATE upload_file SET message_id = %lld, draft_id = NULL "
      "WHERE draft_id = %lld AND account_id = %lld" },
    /* an attachment of a staff reply (stored by the upload sink) */
    /* plan: hot */
    { "jc_msg_file_add",
      "INSERT INTO upload_file (account_id, message_id, store_id, name, "
      "mime, size, sha256, created_at) VALUES (%lld, %lld, %s, %s, %s, "
      "%lld, %s, %lld) RETURNING id" },
    /* plan: hot */
    { "jc_msg_conv_get",
      "SELECT id, anliegen, team, subject, status, created_at, updated_at "
      "FROM conversation WHERE id = %lld AND account_id = %lld" },
    /* plan: hot */
    { "jc_msg_conv_list",
      "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
      "c.updated_at, (SELECT count(*) FROM message m "
      "WHERE m.conversation_id = c.id AND m.staff_account IS NOT NULL "
      "AND m.read_at IS NULL), (SELECT count(*) FROM message m "
      "WHERE m.conversation_id = c.id) FROM conversation c "
      "WHERE c.account_id = %lld ORDER BY c.updated_at DESC, c.id DESC "
      "LIMIT 200" },
    /* plan: hot */
    { "jc_msg_messages",
      "SELECT m.id, m.staff_account, m.body, m.created_at, m.read_at, "
      "s.display_name FROM message m LEFT JOIN staff s "
      "ON s.account_id = m.staff_account WHERE m.conversation_id = %lld "
      "ORDER BY m.id LIMIT 1000" },
    /* plan: hot */
    { "jc_msg_conv_files",
      "SELECT f.id, f.message_id, f.name, f.mime, f.size FROM upload_file f "
      "JOIN message m ON m.id = f.message_id "
      "WHERE m.conversation_id = %lld ORDER BY f.id LIMIT 1000" },
    /* plan: hot */
    { "jc_msg_mark_read",
      "UPDATE message SET read_at = %lld WHERE conversation_id = %lld "
      "AND staff_account IS NOT NULL AND read_at IS NULL" },
    /* plan: hot */
    { "jc_msg_by_key",
      "SELECT id FROM message "
      "WHERE conversation_id = %lld AND idempotency_key = %s" },
    /* plan: hot */
    { "jc_msg_conv_touch",
      "UPDATE conversation SET status = %s, updated_at = %lld "
      "WHERE id = %lld" },
    /* plan: hot */
    { "jc_msg_file_citizen",
      "SELECT f.store_id, f.name, f.mime, f.size FROM upload_file f "
      "JOIN message m ON m.id = f.message_id "
      "JOIN conversation c ON c.id = m.conversation_id "
      "WHERE f.id = %lld AND c.account_id = %lld" },
    /* plan: hot */
    { "jc_msg_file_staff",
      "SELECT f.store_id, f.name, f.mime, f.size, c.customer_id "
      "FROM upload_file f JOIN message m ON m.id = f.message_id "
      "JOIN conversation c ON c.id = m.conversation_id "
      "WHERE f.id = %lld AND c.jobcenter_id = %lld AND c.team = %s "
      "AND f.scan_hold = 0" },
    /* staff inboxes, newest activity first, in keyset pages: rows before
     * the cursor (updated_at, id) of the previous page's last row (first
     * page: the largest values), at most %lld */
    /* plan: hot */
    { "jc_msg_inbox_all",
      "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
      "c.updated_at, c.assigned_to, s.display_name, cu.kundennummer, "
      "cu.given_name, cu.family_name, (SELECT count(*) FROM message m "
      "WHERE m.conversation_id = c.id), (SELECT count(*) FROM upload_file f "
      "JOIN message m ON m.id = f.message_id "
      "WHERE m.conversation_id = c.id) FROM conversation c "
      "JOIN customer cu ON cu.id = c.customer_id "
      "LEFT JOIN staff s ON s.account_id = c.assigned_to "
      "WHERE c.jobcenter_id = %lld AND c.team = %s "
      "AND (c.updated_at, c.id) < (%lld, %lld) "
      "ORDER BY c.updated_at DESC, c.id DESC LIMIT %lld" },
    /* plan: hot */
    { "jc_msg_inbox_status",
      "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
      "c.updated_at, c.assigned_to, s.display_name, cu.kundennummer, "
      "cu.given_name, cu.family_name, (SELECT count(*) FROM message m "
      "WHERE m.conversation_id = c.id), (SELECT count(*) FROM upload_file f "
      "JOIN message m ON m.id = f.message_id "
      "WHERE m.conversation_id = c.id) FROM conversation c "
      "JOIN customer cu ON cu.id = c.customer_id "
      "LEFT JOIN staff s ON s.account_id = c.assigned_to "
      "WHERE c.jobcenter_id = %lld AND c.team = %s AND c.status = %s "
      "AND (c.updated_at, c.id) < (%lld, %lld) "
      "ORDER BY c.updated_at DESC, c.id DESC LIMIT %lld" },
    /* columns as the inbox, plus 14: account, 15: customer */
    /* plan: hot */
    { "jc_msg_staff_conv",
      "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
      "c.updated_at, c.assigned_to, s.display_name, cu.kundennummer, "
      "cu.given_name, cu.family_name, 0, 0, c.account_id, c.customer_id "
      "FROM conversation c JOIN customer cu ON cu.id = c.customer_id "
      "LEFT JOIN staff s ON s.account_id = c.assigned_to "
      "WHERE c.id = %lld AND c.jobcenter_id = %lld AND c.team = %s" },
    /* plan: hot */
    { "jc_msg_assign",
      "UPDATE conversation SET assigned_to = %lld, status = CASE "
      "WHEN status = 'neu' THEN 'in_bearbeitung' ELSE status END "
      "WHERE id = %lld" },
    /* plan: hot */
    { "jc_msg_status",
      "UPDATE conversation SET status = %s WHERE id = %lld" },
    /* plan: hot */
    { "jc_msg_customer_acct",
      "SELECT account_id FROM customer WHERE id = %lld AND jobcenter_id = %lld" },
    /* plan: hot */
    { "jc_bescheid_insert",
      "INSERT INTO bescheid (jobcenter_id, customer_id, title, store_id, "
      "name, size, sha256, posted_by, provided_at, delivered_on) "
      "VALUES (%lld, %lld, %s, %s, %s, %lld, %s, %lld, %lld, %s) "
      "RETURNING id" },
    /* plan: hot */
    { "jc_bescheid_list",
      "SELECT b.id, b.title, b.name, b.size, b.provided_at, b.delivered_on, "
      "b.opened_at FROM bescheid b JOIN customer c ON c.id = b.customer_id "
      "WHERE c.account_id = %lld ORDER BY b.provided_at DESC, b.id DESC "
      "LIMIT 200" },
    /* plan: hot */
    { "jc_bescheid_get",
      "SELECT b.store_id, b.name, b.size, b.opened_at FROM bescheid b "
      "JOIN customer c ON c.id = b.customer_id "
      "WHERE b.id = %lld AND c.account_id = %lld" },
    /* plan: hot */
    { "jc_bescheid_open",
      "UPDATE bescheid SET opened_at = %lld "
      "WHERE id = %lld AND opened_at IS NULL" },
    /* plan: periodic */
    { "jc_bescheid_due",
      "SELECT b.id, c.account_id FROM bescheid b "
      "JOIN customer c ON c.id = b.customer_id WHERE b.opened_at IS NULL "
      "AND b.reminder_at IS NULL AND b.provided_at <= %lld "
      "ORDER BY b.provided_at, b.id LIMIT 50" },
    /* plan: periodic */
    { "jc_bescheid_reminded",
      "UPDATE bescheid SET reminder_at = %lld "
      "WHERE id = %lld AND reminder_at IS NULL AND opened_at IS NULL" },
    /* plan: hot */
    { "jc_termin_insert",
      "INSERT INTO termin (jobcenter_id, customer_id, team, termin_date, "
      "termin_time, place, contact, posted_by, created_at) "
      "VALUES (%lld, %lld, %s, %s, %s, %s, %s, %lld, %lld) RETURNING id" },
    /* plan: hot */
    { "jc_termin_list",
      "SELECT t.id, t.termin_date, t.termin_time, t.place, t.contact, "
      "t.team, t.created_at, t.reschedule_conversation FROM termin t "
      "JOIN customer c ON c.id = t.customer_id WHERE c.account_id = %lld "
      "ORDER BY t.termin_date DESC, t.termin_time DESC, t.id DESC "
      "LIMIT 200" },
    /* plan: hot */
    { "jc_termin_get",
      "SELECT t.id, t.termin_date, t.termin_time, t.team, "
      "t.reschedule_conversation FROM termin t "
      "JOIN customer c ON c.id = t.customer_id "
      "WHERE t.id = %lld AND c.account_id = %lld" },
    /* plan: hot */
    { "jc_termin_rescheduled",
      "UPDATE termin SET reschedule_conversation = %lld "
      "WHERE id = %lld AND reschedule_conversation IS NULL" },
    /* forgotten credentials and the "Konto" page (jc_reset, jc_konto) */
    /* plan: hot */
    { "jc_rst_acct",
      "SELECT id, email_confirmed_at FROM account WHERE email = %s" },
    /* plan: hot */
    { "jc_jc_by_postcode",
      "SELECT j.name, j.street, j.postcode, j.city, j.phone, "
      "j.opening_hours FROM jobcenter_postcode c "
      "JOIN jobcenter j ON j.id = c.jobcenter_id WHERE c.postcode = %s" },
    /* a new password also clears the login throttle of the account */
    /* plan: hot */
    { "jc_konto_set_password",
      "UPDATE account SET password_hash = %s, failed_logins = 0, "
      "login_blocked_until = 0, updated_at = %lld WHERE id = %lld" },
    /* plan: hot */
    { "jc_konto_sess_drop_others",
      "DELETE FROM session WHERE account_id = %lld AND id_hash <> %s" },
    /* plan: hot */
    { "jc_konto_sess_delete",
      "DELETE FROM session WHERE id_hash = %s AND account_id = %lld" },
    /* live sessions: lifetime end after %lld 2, last use after %lld 3 */
    /* plan: hot */
    { "jc_konto_sessions",
      "SELECT id_hash, created_at, last_seen, user_agent, client_ip, state "
      "FROM session WHERE account_id = %lld AND expires_at > %lld "
      "AND last_seen > %lld ORDER BY created_at DESC, id_hash LIMIT 200" },
    /* plan: hot */
    { "jc_konto_email_pending",
      "SELECT email, expires_at FROM email_token WHERE account_id = %lld "
      "AND purpose = 'email_change' AND used_at IS NULL "
      "AND expires_at > %lld ORDER BY created_at DESC LIMIT 1" },
    /* plan: hot */
    { "jc_konto_email_set",
      "UPDATE account SET email = %s, email_confirmed_at = %lld, "
      "updated_at = %lld WHERE id = %lld" },
    /* every unused link of the account (after its address changed) */
    /* plan: hot */
    { "jc_konto_tokens_drop_open",
      "DELETE FROM email_token WHERE account_id = %lld AND used_at IS NULL" },
    /* plan: hot */
    { "jc_konto_account",
      "SELECT email, username, email_confirmed_at, terms_accepted_at, "
      "email_consent_at, created_at, updated_at, password_change_required "
      "FROM account WHERE id = %lld" },
    /* plan: hot */
    { "jc_konto_events",
      "SELECT at, kind, detail FROM event WHERE account_id = %lld "
      "ORDER BY at, id LIMIT 100000" },
    /* plan: hot */
    { "jc_konto_online_hist",
      "SELECT at, action, text_version, effective_at "
      "FROM online_consent_history WHERE account_id = %lld "
      "ORDER BY at, id LIMIT 100000" },
    /* the export's records (DSGVO Art. 15): conversations, their messages
     * and attachments (names and sizes only), Bescheide, Termine, upload
     * submissions with their files; never a hash of a secret */
    /* plan: hot */
    { "jc_konto_x_convs",
      "SELECT id, anliegen, team, subject, status, created_at, updated_at "
      "FROM conversation WHERE account_id = %lld ORDER BY id" },
    /* plan: hot */
    { "jc_konto_x_msgs",
      "SELECT m.conversation_id, m.id, m.staff_account, m.body, "
      "m.created_at FROM message m "
      "JOIN conversation c ON c.id = m.conversation_id "
      "WHERE c.account_id = %lld ORDER BY m.id" },
    /* plan: hot */
    { "jc_konto_x_msg_files",
      "SELECT f.message_id, f.name, f.mime, f.size FROM upload_file f "
      "JOIN message m ON m.id = f.message_id "
      "JOIN conversation c ON c.id = m.conversation_id "
      "WHERE c.account_id = %lld ORDER BY f.id" },
    /* plan: hot */
    { "jc_konto_x_bescheide",
      "SELECT b.title, b.name, b.size, b.provided_at, b.delivered_on, "
      "b.opened_at FROM bescheid b JOIN customer cu ON cu.id = b.customer_id "
      "WHERE cu.account_id = %lld ORDER BY b.provided_at, b.id" },
    /* plan: hot */
    { "jc_konto_x_termine",
      "SELECT t.termin_date, t.termin_time, t.place, t.contact, t.team, "
      "t.created_at, t.seen_at FROM termin t "
      "JOIN customer cu ON cu.id = t.customer_id "
      "WHERE cu.account_id = %lld ORDER BY t.termin_date, t.termin_time, t.id" },
    /* plan: hot */
    { "jc_konto_x_subs",
      "SELECT id, reference, area, submitted_at, status, status_at, message "
      "FROM upload_submission WHERE account_id = %lld ORDER BY id" },
    /* plan: hot */
    { "jc_konto_x_sub_files",
      "SELECT f.submission_id, f.name, f.mime, f.size, f.sha256 "
      "FROM upload_file f JOIN upload_submission s ON s.id = f.submission_id "
      "WHERE s.account_id = %lld ORDER BY f.id" },
    /* deleting the login account */
    /* plan: hot */
    { "jc_konto_cust_of",
      "SELECT id FROM customer WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_cust_release",
      "UPDATE customer SET account_id = NULL, bound_at = NULL "
      "WHERE id = %lld" },
    /* plan: hot */
    { "jc_konto_fsc_unlink",
      "UPDATE freischaltcode SET used_by = NULL WHERE used_by = %lld" },
    /* plan: hot */
    { "jc_konto_del_tokens",
      "DELETE FROM email_token WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_del_events",
      "DELETE FROM event WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_del_passkeys",
      "DELETE FROM passkey WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_del_challenges",
      "DELETE FROM webauthn_challenge WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_del_online_hist",
      "DELETE FROM online_consent_history WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_del_online",
      "DELETE FROM online_consent WHERE account_id = %lld" },
    /* conversations stay with the customer; the account's link goes */
    /* plan: hot */
    { "jc_konto_conv_unlink",
      "UPDATE conversation SET account_id = NULL WHERE account_id = %lld" },
    /* uploads: submitted documents stay with the customer record; a draft
     * loses its account and is made old, so the watchdog's draft purge
     * removes it with its files at its next run */
    /* plan: hot */
    { "jc_konto_sub_unlink",
      "UPDATE upload_submission SET account_id = NULL WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_file_unlink",
      "UPDATE upload_file SET account_id = NULL WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_draft_unlink",
      "UPDATE upload_draft SET account_id = NULL, created_at = 0 "
      "WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_konto_del_account",
      "DELETE FROM account WHERE id = %lld" },
    /* one-time credentials ("Zugangsdaten zurücksetzen", jc_onetime.c) */
    /* the customer's bound account with what the reset needs */
    /* plan: hot */
    { "jc_onetime_cust_account",
      "SELECT a.id, a.email, a.email_confirmed_at, "
      "(SELECT count(*) FROM staff s WHERE s.account_id = a.id) "
      "FROM customer c JOIN account a ON a.id = c.account_id "
      "WHERE c.id = %lld AND c.jobcenter_id = %lld" },
    /* the new pair replaces the old one (password hash, username): only
     * the newest letter pair matches anything */
    /* plan: hot */
    { "jc_onetime_account",
      "UPDATE account SET password_hash = %s, username = %s, "
      "password_change_required = 1, onetime_expires_at = %lld, "
      "email = NULL, email_confirmed_at = NULL, failed_logins = 0, "
      "login_blocked_until = 0, updated_at = %lld WHERE id = %lld" },
    /* plan: hot */
    { "jc_onetime_drop_totp",
      "DELETE FROM totp_factor WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_onetime_drop_passkeys",
      "DELETE FROM passkey WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_onetime_drop_challenges",
      "DELETE FROM webauthn_challenge WHERE account_id = %lld" },
    /* plan: hot */
    { "jc_onetime_drop_tokens",
      "DELETE FROM email_token WHERE account_id = %lld AND used_at IS NULL" },
    /* plan: hot */
    { "jc_onetime_state",
      "SELECT password_hash, password_change_required, email, "
      "(SELECT count(*) FROM totp_factor t WHERE t.account_id = a.id "
      "AND t.confirmed_at IS NOT NULL) + (SELECT count(*) FROM passkey k "
      "WHERE k.account_id = a.id) FROM account a WHERE a.id = %lld" },
    /* plan: hot */
    { "jc_onetime_password",
      "UPDATE account SET password_hash = %s, password_change_required = 0, "
      "onetime_expires_at = NULL, updated_at = %lld "
      "WHERE id = %lld AND password_change_required = 1" },
    /* plan: hot */
    { "jc_onetime_consent",
      "UPDATE account SET email_consent_at = %lld, updated_at = %lld "
      "WHERE id = %lld AND email IS NULL" },
    /* the confirmed address ends the letter flow: the one-time username
     * stops working */
    /* plan: hot */
    { "jc_onetime_email",
      "UPDATE account SET email = %s, email_confirmed_at = %lld, "
      "username = NULL, updated_at = %lld WHERE id = %lld "
      "AND email IS NULL AND password_change_required = 0" },

    { NULL, NULL }
};

/* See jc_sql.h. Keys: the statement's argument index (0-based). */
static const jc_sql_inval_t invalidations[] = {
    /* sessions ended or changed */
    { "jc_sess_delete",            JC_SQL_INV_SESS, 0 },
    { "jc_sess_verified",          JC_SQL_INV_SESS, 1 },
    { "jc_konto_sess_delete",      JC_SQL_INV_SESS, 0 },
    { "jc_sess_drop_account",      JC_SQL_INV_ACCT, 0 },
    { "jc_konto_sess_drop_others", JC_SQL_INV_ACCT, 0 },
    /* account fields a session check returns, the account itself */
    { "jc_acct_confirm",           JC_SQL_INV_ACCT, 2 },
    { "jc_konto_email_set",        JC_SQL_INV_ACCT, 3 },
    { "jc_onetime_account",        JC_SQL_INV_ACCT, 4 },
    { "jc_onetime_email",          JC_SQL_INV_ACCT, 3 },
    { "jc_konto_del_account",      JC_SQL_INV_ACCT, 0 },
    { "jc_acct_purge",             JC_SQL_INV_ALL,  0 },
    /* the Kundennummer (gate headers) */
    { "jc_prof_bind",              JC_SQL_INV_ACCT, 0 },
    /* staff rows are read per request, not cached; the sessions of a
     * disabled staff member are dropped with it (jc_sess_drop_account) */
    { "jc_staff_disable",          JC_SQL_INV_ACCT, 1 },
    { NULL, 0, 0 }
};

const jc_sql_inval_t *jc_sql_invalidations(void)
{
    return invalidations;
}

const jc_sql_stmt_t *jc_sql_statements(void)
{
    return statements;
}

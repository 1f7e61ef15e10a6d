/* Statements: accounts, e-mail tokens, sessions, second factors (TOTP,
 * passkeys), throttling, the mail outbox.
 * An X-macro list (no include guard): jc_sql.h and jc_sql.c include it with
 * their own JC_EXEC / JC_SELECT / JC_SELECT_AS (see jc_sql.h). Core. */

JC_SELECT(SCHEMA_GET, "jc_schema_get",
    "SELECT version FROM jc_schema",
    (VERSION))

/* accounts */
/* column 9: onetime_expires_at (one-time password from a letter);
 * column 7: confirmed_at of the account's TOTP factor (NULL = none
 * or not confirmed), column 8: number of its passkeys, so the login
 * needs one SELECT */
/* plan: hot */
JC_SELECT(ACCT_BY_EMAIL, "jc_acct_by_email",
    "SELECT a.id, a.password_hash, a.email_confirmed_at, a.failed_logins, "
    "a.login_blocked_until, a.password_change_required, a.email, "
    "t.confirmed_at, (SELECT count(*) FROM passkey k "
    "WHERE k.account_id = a.id) AS passkeys, a.onetime_expires_at FROM "
    "account a "
    "LEFT JOIN totp_factor t ON t.account_id = a.id WHERE a.email = %s",
    (ID, PASSWORD_HASH, EMAIL_CONFIRMED_AT, FAILED_LOGINS,
     LOGIN_BLOCKED_UNTIL, PASSWORD_CHANGE_REQUIRED, EMAIL, CONFIRMED_AT,
     PASSKEYS, ONETIME_EXPIRES_AT))
/* plan: hot */
JC_SELECT_AS(ACCT_BY_USERNAME, "jc_acct_by_username",
    "SELECT a.id, a.password_hash, a.email_confirmed_at, a.failed_logins, "
    "a.login_blocked_until, a.password_change_required, a.email, "
    "t.confirmed_at, (SELECT count(*) FROM passkey k "
    "WHERE k.account_id = a.id) AS passkeys, a.onetime_expires_at FROM "
    "account a "
    "LEFT JOIN totp_factor t ON t.account_id = a.id "
    "WHERE a.username = %s",
    ACCT_BY_EMAIL)
/* plan: hot */
JC_SELECT(ACCT_INSERT, "jc_acct_insert",
    "INSERT INTO account (email, password_hash, terms_accepted_at, "
    "email_consent_at, created_at, updated_at) "
    "VALUES (%s, %s, %lld, %lld, %lld, %lld) RETURNING id",
    (ID))
/* plan: hot */
JC_EXEC(ACCT_REPASSWORD, "jc_acct_repassword",
    "UPDATE account SET password_hash = %s, terms_accepted_at = %lld, "
    "email_consent_at = %lld, updated_at = %lld "
    "WHERE id = %lld AND email_confirmed_at IS NULL")
/* plan: hot */
JC_EXEC(ACCT_CONFIRM, "jc_acct_confirm",
    "UPDATE account SET email_confirmed_at = %lld, updated_at = %lld "
    "WHERE id = %lld AND email_confirmed_at IS NULL")
/* throttle reservation (jc_throttle_reserve): one more counted
 * attempt unless the account is blocked at %lld (0 rows then) */
/* plan: hot */
JC_SELECT(THR_ACCT_TAKE, "jc_thr_acct_take",
    "UPDATE account SET failed_logins = failed_logins + 1 "
    "WHERE id = %lld AND login_blocked_until <= %lld "
    "RETURNING failed_logins",
    (FAILED_LOGINS))
/* plan: hot */
JC_EXEC(THR_ACCT_BLOCK, "jc_thr_acct_block",
    "UPDATE account SET login_blocked_until = %lld WHERE id = %lld")
/* plan: hot */
JC_SELECT(THR_ACCT_GET, "jc_thr_acct_get",
    "SELECT failed_logins, login_blocked_until FROM account "
    "WHERE id = %lld",
    (FAILED_LOGINS, LOGIN_BLOCKED_UNTIL))
/* plan: hot */
JC_EXEC(ACCT_LOGIN_OK, "jc_acct_login_ok",
    "UPDATE account SET failed_logins = 0, login_blocked_until = 0 "
    "WHERE id = %lld AND failed_logins <> 0")
/* housekeeping: the oldest batch of accounts never confirmed, first
 * their links (foreign key), then the accounts (the same batch) */
/* plan: periodic */
JC_EXEC(ACCT_PURGE_TOKENS, "jc_acct_purge_tokens",
    "DELETE FROM email_token WHERE account_id IN (SELECT id FROM account "
    "WHERE email IS NOT NULL AND email_confirmed_at IS NULL "
    "AND created_at < %lld ORDER BY created_at, id "
    "LIMIT "
    JC_PURGE_ACCT_BATCH_SQL
    ")")
/* plan: periodic */
JC_EXEC(ACCT_PURGE, "jc_acct_purge",
    "DELETE FROM account WHERE id IN (SELECT id FROM account "
    "WHERE email IS NOT NULL AND email_confirmed_at IS NULL "
    "AND created_at < %lld ORDER BY created_at, id "
    "LIMIT "
    JC_PURGE_ACCT_BATCH_SQL
    ")")

/* e-mail tokens */
/* plan: hot */
JC_EXEC(TOKEN_INSERT, "jc_token_insert",
    "INSERT INTO email_token (token_hash, account_id, email, purpose, "
    "created_at, expires_at) VALUES (%s, %lld, %s, %s, %lld, %lld)")
/* plan: hot */
JC_SELECT(TOKEN_GET, "jc_token_get",
    "SELECT account_id, email, expires_at, used_at FROM email_token "
    "WHERE token_hash = %s AND purpose = %s",
    (ACCOUNT_ID, EMAIL, EXPIRES_AT, USED_AT))
/* plan: hot */
JC_EXEC(TOKEN_USE, "jc_token_use",
    "UPDATE email_token SET used_at = %lld "
    "WHERE token_hash = %s AND used_at IS NULL")
/* plan: hot */
JC_EXEC(TOKEN_DROP_OPEN, "jc_token_drop_open",
    "DELETE FROM email_token "
    "WHERE account_id = %lld AND purpose = %s AND used_at IS NULL")
/* plan: periodic */
JC_EXEC(TOKEN_PURGE, "jc_token_purge",
    "DELETE FROM email_token WHERE token_hash IN (SELECT token_hash "
    "FROM email_token WHERE expires_at < %lld "
    "LIMIT "
    JC_PURGE_BATCH_SQL
    ")")

/* sessions */
/* plan: hot */
JC_EXEC(SESS_INSERT, "jc_sess_insert",
    "INSERT INTO session (id_hash, account_id, state, csrf_token, "
    "created_at, last_seen, expires_at, verified_at, user_agent, "
    "client_ip) "
    "VALUES (%s, %lld, %lld, %s, %lld, %lld, %lld, %lld, %s, %s)")
/* plan: hot */
JC_SELECT(SESS_GET, "jc_sess_get",
    "SELECT s.account_id, s.state, s.csrf_token, s.last_seen, "
    "s.expires_at, a.email, a.username, a.email_confirmed_at, "
    "a.created_at, s.verified_at FROM session s "
    "JOIN account a ON a.id = s.account_id "
    "WHERE s.id_hash = %s",
    (ACCOUNT_ID, STATE, CSRF_TOKEN, LAST_SEEN, EXPIRES_AT, EMAIL, USERNAME,
     EMAIL_CONFIRMED_AT, CREATED_AT, VERIFIED_AT))
/* the same plus column 10, the Kundennummer of the account's person
 * profile (NULL: none); only for gates with JobcenterGateHeaders On */
/* plan: hot */
JC_SELECT(SESS_GET_KN, "jc_sess_get_kn",
    "SELECT s.account_id, s.state, s.csrf_token, s.last_seen, "
    "s.expires_at, a.email, a.username, a.email_confirmed_at, "
    "a.created_at, s.verified_at, c.kundennummer FROM session s "
    "JOIN account a ON a.id = s.account_id "
    "LEFT JOIN customer c ON c.account_id = s.account_id "
    "WHERE s.id_hash = %s",
    (ACCOUNT_ID, STATE, CSRF_TOKEN, LAST_SEEN, EXPIRES_AT, EMAIL, USERNAME,
     EMAIL_CONFIRMED_AT, CREATED_AT, VERIFIED_AT, KUNDENNUMMER))
/* a password or factor check (re-authentication) */
/* plan: hot */
JC_EXEC(SESS_VERIFIED, "jc_sess_verified",
    "UPDATE session SET verified_at = %lld WHERE id_hash = %s")
/* plan: hot */
JC_EXEC(SESS_TOUCH, "jc_sess_touch",
    "UPDATE session SET last_seen = %lld "
    "WHERE id_hash = %s AND last_seen <= %lld")
/* plan: hot */
JC_EXEC(SESS_DELETE, "jc_sess_delete",
    "DELETE FROM session WHERE id_hash = %s")
/* housekeeping, one batch each: past the absolute lifetime, idle */
/* plan: periodic */
JC_EXEC(SESS_PURGE, "jc_sess_purge",
    "DELETE FROM session WHERE id_hash IN (SELECT id_hash FROM session "
    "WHERE expires_at < %lld LIMIT "
    JC_PURGE_BATCH_SQL
    ")")
/* plan: periodic */
JC_EXEC(SESS_PURGE_IDLE, "jc_sess_purge_idle",
    "DELETE FROM session WHERE id_hash IN (SELECT id_hash FROM session "
    "WHERE last_seen < %lld LIMIT "
    JC_PURGE_BATCH_SQL
    ")")

/* TOTP second factor (one row per account) */
/* plan: hot */
JC_SELECT(TOTP_GET, "jc_totp_get",
    "SELECT secret_sealed, confirmed_at, last_step, failed_codes, "
    "blocked_until FROM totp_factor WHERE account_id = %lld",
    (SECRET_SEALED, CONFIRMED_AT, LAST_STEP, FAILED_CODES, BLOCKED_UNTIL))
/* a new pending secret; never replaces a confirmed factor (0 rows) */
/* plan: hot */
JC_EXEC(TOTP_PUT, "jc_totp_put",
    "INSERT INTO totp_factor (account_id, secret_sealed, created_at) "
    "VALUES (%lld, %s, %lld) ON CONFLICT (account_id) DO UPDATE SET "
    "secret_sealed = excluded.secret_sealed, "
    "created_at = excluded.created_at, last_step = -1, "
    "last_used_at = NULL, failed_codes = 0, blocked_until = 0 "
    "WHERE totp_factor.confirmed_at IS NULL")
/* only the pending secret the code was checked against */
/* plan: hot */
JC_EXEC(TOTP_CONFIRM, "jc_totp_confirm",
    "UPDATE totp_factor SET confirmed_at = %lld, last_step = %lld, "
    "last_used_at = %lld, failed_codes = 0, blocked_until = 0 "
    "WHERE account_id = %lld AND secret_sealed = %s "
    "AND confirmed_at IS NULL")
/* replay rule: a step is accepted once; 0 rows = replay (also when a
 * parallel request used the same code first) */
/* plan: hot */
JC_EXEC(TOTP_USE, "jc_totp_use",
    "UPDATE totp_factor SET last_step = %lld, last_used_at = %lld, "
    "failed_codes = 0, blocked_until = 0 "
    "WHERE account_id = %lld AND last_step < %lld "
    "AND confirmed_at IS NOT NULL")
/* counted in the database, so parallel guesses all count */
/* plan: hot */
JC_SELECT(TOTP_FAILED, "jc_totp_failed",
    "UPDATE totp_factor SET failed_codes = failed_codes + 1 "
    "WHERE account_id = %lld RETURNING failed_codes",
    (FAILED_CODES))
/* the factor row, locked for the rest of the transaction: the code
 * check and its count are one step (columns as jc_totp_get) */
/* plan: hot */
JC_SELECT_AS(TOTP_LOCK, "jc_totp_lock",
    "UPDATE totp_factor SET failed_codes = failed_codes "
    "WHERE account_id = %lld RETURNING secret_sealed, confirmed_at, "
    "last_step, failed_codes, blocked_until",
    TOTP_GET)
/* plan: hot */
JC_EXEC(TOTP_BLOCK, "jc_totp_block",
    "UPDATE totp_factor SET blocked_until = %lld WHERE account_id = %lld")

/* passkeys (WebAuthn) */
/* plan: hot */
JC_SELECT(PK_HANDLE_GET, "jc_pk_handle_get",
    "SELECT user_handle FROM account WHERE id = %lld",
    (USER_HANDLE))
/* the first registration sets the handle; never replaced */
/* plan: hot */
JC_EXEC(PK_HANDLE_SET, "jc_pk_handle_set",
    "UPDATE account SET user_handle = %s "
    "WHERE id = %lld AND user_handle IS NULL")
/* plan: hot */
JC_SELECT(PK_LIST, "jc_pk_list",
    "SELECT cred_id FROM passkey WHERE account_id = %lld "
    "ORDER BY id LIMIT 100",
    (CRED_ID))
/* plan: hot */
JC_EXEC(PK_INSERT, "jc_pk_insert",
    "INSERT INTO passkey (account_id, cred_id, public_key, alg, "
    "sign_count, name, aaguid, created_at) "
    "VALUES (%lld, %s, %s, %lld, %lld, %s, %s, %lld)")
/* the credential with its owner (login and second factor) */
/* plan: hot */
JC_SELECT(PK_BY_CRED, "jc_pk_by_cred",
    "SELECT k.id, k.account_id, k.public_key, k.alg, k.sign_count, "
    "k.flagged, a.user_handle, a.email, a.email_confirmed_at, k.name "
    "FROM passkey k JOIN account a ON a.id = k.account_id "
    "WHERE k.cred_id = %s",
    (ID, ACCOUNT_ID, PUBLIC_KEY, ALG, SIGN_COUNT, FLAGGED, USER_HANDLE, EMAIL,
     EMAIL_CONFIRMED_AT, NAME))
/* counter rule: only forward (0 = authenticator without counter) */
/* plan: hot */
JC_EXEC(PK_USED, "jc_pk_used",
    "UPDATE passkey SET sign_count = %lld, last_used_at = %lld "
    "WHERE id = %lld AND flagged = 0 "
    "AND (sign_count < %lld OR (sign_count = 0 AND %lld = 0))")
/* plan: hot */
JC_EXEC(PK_FLAG, "jc_pk_flag",
    "UPDATE passkey SET flagged = 1 WHERE id = %lld")
/* plan: hot */
JC_EXEC(WA_CHAL_INSERT, "jc_wa_chal_insert",
    "INSERT INTO webauthn_challenge (challenge_hash, purpose, account_id, "
    "session_hash, created_at, expires_at) "
    "VALUES (%s, %s, %lld, %s, %lld, %lld)")
/* single use: 0 rows for an unknown, used, expired or foreign one */
/* plan: hot */
JC_SELECT(WA_CHAL_USE, "jc_wa_chal_use",
    "UPDATE webauthn_challenge SET used_at = %lld "
    "WHERE challenge_hash = %s AND purpose = %s AND used_at IS NULL "
    "AND expires_at > %lld AND COALESCE(session_hash, '') = %s "
    "RETURNING account_id",
    (ACCOUNT_ID))
/* plan: periodic */
JC_EXEC(WA_CHAL_PURGE, "jc_wa_chal_purge",
    "DELETE FROM webauthn_challenge WHERE challenge_hash IN (SELECT "
    "challenge_hash FROM webauthn_challenge WHERE expires_at < %lld "
    "LIMIT "
    JC_PURGE_BATCH_SQL
    ")")

/* throttling per key (client address, "pk:", "fsc-a:", "fsc-ip:",
 * "pwr-ip:", "pwr-m:", "plz-ip:" + ...) */
/* plan: hot */
JC_SELECT(THR_GET, "jc_thr_get",
    "SELECT failures, last_failure, blocked_until FROM login_throttle "
    "WHERE client_key = %s",
    (FAILURES, LAST_FAILURE, BLOCKED_UNTIL))
/* plan: hot */
JC_EXEC(THR_CLEAR, "jc_thr_clear",
    "DELETE FROM login_throttle WHERE client_key = %s")
/* plan: periodic */
JC_EXEC(THR_PURGE, "jc_thr_purge",
    "DELETE FROM login_throttle WHERE client_key IN (SELECT client_key "
    "FROM login_throttle WHERE last_failure < %lld "
    "LIMIT "
    JC_PURGE_BATCH_SQL
    ")")
/* counted in the database, so parallel failures all count; failures
 * older than the cut-off (3rd argument) are forgotten */
/* plan: hot */
JC_SELECT(THR_FAIL, "jc_thr_fail",
    "INSERT INTO login_throttle (client_key, failures, last_failure, "
    "blocked_until) VALUES (%s, 1, %lld, 0) "
    "ON CONFLICT (client_key) DO UPDATE SET failures = CASE "
    "WHEN login_throttle.last_failure < %lld THEN 1 "
    "ELSE login_throttle.failures + 1 END, "
    "last_failure = excluded.last_failure RETURNING failures",
    (FAILURES))
/* plan: hot */
JC_EXEC(THR_BLOCK, "jc_thr_block",
    "UPDATE login_throttle SET blocked_until = %lld "
    "WHERE client_key = %s")
/* throttle reservation (jc_throttle_reserve): one more counted
 * attempt unless the key is blocked at now (2nd argument) within its
 * window (failures before the cut-off, 3rd/4th, are forgotten); no
 * row when refused, and then nothing is written */
/* plan: hot */
JC_SELECT(THR_TAKE, "jc_thr_take",
    "INSERT INTO login_throttle (client_key, failures, last_failure, "
    "blocked_until) VALUES (%s, 1, %lld, 0) "
    "ON CONFLICT (client_key) DO UPDATE SET failures = CASE "
    "WHEN login_throttle.last_failure < %lld THEN 1 "
    "ELSE login_throttle.failures + 1 END, "
    "last_failure = excluded.last_failure "
    "WHERE login_throttle.blocked_until <= excluded.last_failure "
    "OR login_throttle.last_failure < %lld RETURNING failures",
    (FAILURES))
/* a count limit (jc_forgot_limit_count): one more request unless max
 * (5th argument) are used up within the window; no row when refused */
/* plan: hot */
JC_SELECT(THR_LIMIT, "jc_thr_limit",
    "INSERT INTO login_throttle (client_key, failures, last_failure, "
    "blocked_until) VALUES (%s, 1, %lld, 0) "
    "ON CONFLICT (client_key) DO UPDATE SET failures = CASE "
    "WHEN login_throttle.last_failure < %lld THEN 1 "
    "ELSE login_throttle.failures + 1 END, "
    "last_failure = excluded.last_failure "
    "WHERE login_throttle.last_failure < %lld "
    "OR login_throttle.failures < %lld RETURNING failures",
    (FAILURES))
/* the row of a key, locked for the rest of the transaction (created
 * with no failures when missing): check and count of a cheap check
 * (Freischaltcode) in one transaction */
/* plan: hot */
JC_SELECT_AS(THR_LOCK, "jc_thr_lock",
    "INSERT INTO login_throttle (client_key, failures, last_failure, "
    "blocked_until) VALUES (%s, 0, 0, 0) "
    "ON CONFLICT (client_key) DO UPDATE SET "
    "failures = login_throttle.failures "
    "RETURNING failures, last_failure, blocked_until",
    THR_GET)

/* mail outbox */
/* plan: hot */
JC_EXEC(OUTBOX_INSERT, "jc_outbox_insert",
    "INSERT INTO mail_outbox (rcpt, subject, message, created_at, "
    "next_attempt_at) VALUES (%s, %s, %s, %lld, %lld)")
/* due and claimable: not sent, not parked, no live claim */
/* plan: periodic */
JC_SELECT(OUTBOX_DUE, "jc_outbox_due",
    "SELECT id, rcpt, message, attempts FROM mail_outbox "
    "WHERE sent_at IS NULL AND parked_at IS NULL "
    "AND next_attempt_at <= %lld "
    "AND (claim_until IS NULL OR claim_until <= %lld) "
    "ORDER BY id LIMIT 20",
    (ID, RCPT, MESSAGE, ATTEMPTS))
/* the claim: 1 affected row = this node sends the mail. The WHERE is
 * the whole claimability test, so a concurrent claimer finds 0 rows
 * (PostgreSQL re-checks it on the row it waited for; SQLite has one
 * writer at a time). No FOR UPDATE SKIP LOCKED: SQLite has no such
 * syntax, and an autocommit UPDATE holds the row lock only for its
 * own duration. */
/* plan: periodic */
JC_EXEC(OUTBOX_CLAIM, "jc_outbox_claim",
    "UPDATE mail_outbox SET claim_owner = %s, claim_until = %lld "
    "WHERE id = %lld AND sent_at IS NULL AND parked_at IS NULL "
    "AND next_attempt_at <= %lld "
    "AND (claim_until IS NULL OR claim_until <= %lld)")
/* outcomes: only by the claim's owner (0 rows: the claim was taken
 * over after its lease) */
/* plan: periodic */
JC_EXEC(OUTBOX_SENT, "jc_outbox_sent",
    "UPDATE mail_outbox SET sent_at = %lld, attempts = attempts + 1, "
    "last_error = NULL, claim_owner = NULL, claim_until = NULL "
    "WHERE id = %lld AND claim_owner = %s")
/* plan: periodic */
JC_EXEC(OUTBOX_FAILED, "jc_outbox_failed",
    "UPDATE mail_outbox SET attempts = attempts + 1, "
    "next_attempt_at = %lld, last_error = %s, claim_owner = NULL, "
    "claim_until = NULL WHERE id = %lld AND claim_owner = %s")
/* plan: periodic */
JC_EXEC(OUTBOX_PARK, "jc_outbox_park",
    "UPDATE mail_outbox SET attempts = attempts + 1, parked_at = %lld, "
    "last_error = %s, claim_owner = NULL, claim_until = NULL "
    "WHERE id = %lld AND claim_owner = %s")
/* jobcenter-admin mail-parked / mail-retry */
JC_SELECT(OUTBOX_PARKED, "jc_outbox_parked",
    "SELECT id, rcpt, subject, created_at, attempts, parked_at, "
    "last_error FROM mail_outbox WHERE parked_at IS NOT NULL "
    "ORDER BY id LIMIT 1000",
    (ID, RCPT, SUBJECT, CREATED_AT, ATTEMPTS, PARKED_AT, LAST_ERROR))
JC_EXEC(OUTBOX_UNPARK, "jc_outbox_unpark",
    "UPDATE mail_outbox SET parked_at = NULL, next_attempt_at = %lld "
    "WHERE id = %lld AND parked_at IS NOT NULL AND sent_at IS NULL")
/* plan: periodic */
JC_EXEC(OUTBOX_PURGE, "jc_outbox_purge",
    "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox "
    "WHERE sent_at IS NOT NULL AND sent_at < %lld "
    "LIMIT "
    JC_PURGE_BATCH_SQL
    ")")

/* metrics (jc_metrics.c, a scrape of the jobcenter-metrics handler):
 * the cluster's mail queue and parked mails with their oldest; read
 * through the indexes mail_outbox_due and mail_outbox_parked, so a
 * scrape costs the rows of the queue, not of the whole outbox */
/* plan: periodic */
JC_SELECT(METRICS_MAIL_QUEUED, "jc_metrics_mail_queued",
    "SELECT count(*) AS n, min(created_at) AS oldest FROM mail_outbox "
    "WHERE sent_at IS NULL AND parked_at IS NULL",
    (N, OLDEST))
/* parked_at >= 0 is "parked" (times are epoch seconds) written as a
 * range the partial index answers with a condition */
/* plan: periodic */
JC_SELECT_AS(METRICS_MAIL_PARKED, "jc_metrics_mail_parked",
    "SELECT count(*) AS n, min(created_at) AS oldest FROM mail_outbox "
    "WHERE parked_at >= 0",
    METRICS_MAIL_QUEUED)

/* background job leases (mod_jobcenter_outbox.c): 1 affected row =
 * this node holds the job's lease (new, its own, or expired) */
/* plan: periodic */
JC_EXEC(JOB_LEASE_TAKE, "jc_job_lease_take",
    "INSERT INTO job_lease (name, owner, expires_at) VALUES (%s, %s, %lld) "
    "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
    "expires_at = excluded.expires_at "
    "WHERE job_lease.owner = excluded.owner "
    "OR job_lease.expires_at <= %lld")


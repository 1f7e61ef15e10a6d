/* The statement table (see jc_sql.h). Column order in SELECTs is relied on
 * by the callers; change both together. */
#include <stddef.h>

#include "jc_sql.h"

static const jc_sql_stmt_t statements[] = {
    { "jc_schema_get", "SELECT version FROM jc_schema" },

    /* accounts */
    /* column 7: confirmed_at of the account's TOTP factor (NULL = none
     * or not confirmed), column 8: number of its passkeys, so the login
     * needs one SELECT */
    { "jc_acct_by_email",
      "SELECT a.id, a.password_hash, a.email_confirmed_at, a.failed_logins, "
      "a.login_blocked_until, a.password_change_required, a.email, "
      "t.confirmed_at, (SELECT count(*) FROM passkey k "
      "WHERE k.account_id = a.id) FROM account a "
      "LEFT JOIN totp_factor t ON t.account_id = a.id WHERE a.email = %s" },
    { "jc_acct_by_username",
      "SELECT a.id, a.password_hash, a.email_confirmed_at, a.failed_logins, "
      "a.login_blocked_until, a.password_change_required, a.email, "
      "t.confirmed_at, (SELECT count(*) FROM passkey k "
      "WHERE k.account_id = a.id) FROM account a "
      "LEFT JOIN totp_factor t ON t.account_id = a.id "
      "WHERE a.username = %s" },
    { "jc_acct_insert",
      "INSERT INTO account (email, password_hash, terms_accepted_at, "
      "email_consent_at, created_at, updated_at) "
      "VALUES (%s, %s, %lld, %lld, %lld, %lld) RETURNING id" },
    { "jc_acct_repassword",
      "UPDATE account SET password_hash = %s, terms_accepted_at = %lld, "
      "email_consent_at = %lld, updated_at = %lld "
      "WHERE id = %lld AND email_confirmed_at IS NULL" },
    { "jc_acct_confirm",
      "UPDATE account SET email_confirmed_at = %lld, updated_at = %lld "
      "WHERE id = %lld AND email_confirmed_at IS NULL" },
    { "jc_acct_login_failed",
      "UPDATE account SET failed_logins = %lld, login_blocked_until = %lld "
      "WHERE id = %lld" },
    { "jc_acct_login_ok",
      "UPDATE account SET failed_logins = 0, login_blocked_until = 0 "
      "WHERE id = %lld AND failed_logins <> 0" },
    { "jc_acct_purge_tokens",
      "DELETE FROM email_token WHERE account_id IN (SELECT id FROM account "
      "WHERE email IS NOT NULL AND email_confirmed_at IS NULL "
      "AND created_at < %lld)" },
    { "jc_acct_purge",
      "DELETE FROM account WHERE email IS NOT NULL "
      "AND email_confirmed_at IS NULL AND created_at < %lld" },

    /* e-mail tokens */
    { "jc_token_insert",
      "INSERT INTO email_token (token_hash, account_id, email, purpose, "
      "created_at, expires_at) VALUES (%s, %lld, %s, %s, %lld, %lld)" },
    { "jc_token_get",
      "SELECT account_id, email, expires_at, used_at FROM email_token "
      "WHERE token_hash = %s AND purpose = %s" },
    { "jc_token_use",
      "UPDATE email_token SET used_at = %lld "
      "WHERE token_hash = %s AND used_at IS NULL" },
    { "jc_token_drop_open",
      "DELETE FROM email_token "
      "WHERE account_id = %lld AND purpose = %s AND used_at IS NULL" },
    { "jc_token_purge",
      "DELETE FROM email_token WHERE expires_at < %lld" },

    /* sessions */
    { "jc_sess_insert",
      "INSERT INTO session (id_hash, account_id, state, csrf_token, "
      "created_at, last_seen, expires_at) "
      "VALUES (%s, %lld, %lld, %s, %lld, %lld, %lld)" },
    { "jc_sess_get",
      "SELECT s.account_id, s.state, s.csrf_token, s.last_seen, "
      "s.expires_at, a.email, a.username, a.email_confirmed_at, "
      "a.created_at FROM session s JOIN account a ON a.id = s.account_id "
      "WHERE s.id_hash = %s" },
    { "jc_sess_touch",
      "UPDATE session SET last_seen = %lld "
      "WHERE id_hash = %s AND last_seen <= %lld" },
    { "jc_sess_delete",
      "DELETE FROM session WHERE id_hash = %s" },
    { "jc_sess_purge",
      "DELETE FROM session WHERE expires_at < %lld OR last_seen < %lld" },

    /* TOTP second factor (one row per account) */
    { "jc_totp_get",
      "SELECT secret_sealed, confirmed_at, last_step, failed_codes, "
      "blocked_until FROM totp_factor WHERE account_id = %lld" },
    /* a new pending secret; never replaces a confirmed factor (0 rows) */
    { "jc_totp_put",
      "INSERT INTO totp_factor (account_id, secret_sealed, created_at) "
      "VALUES (%lld, %s, %lld) ON CONFLICT (account_id) DO UPDATE SET "
      "secret_sealed = excluded.secret_sealed, "
      "created_at = excluded.created_at, last_step = -1, "
      "last_used_at = NULL, failed_codes = 0, blocked_until = 0 "
      "WHERE totp_factor.confirmed_at IS NULL" },
    /* only the pending secret the code was checked against */
    { "jc_totp_confirm",
      "UPDATE totp_factor SET confirmed_at = %lld, last_step = %lld, "
      "last_used_at = %lld, failed_codes = 0, blocked_until = 0 "
      "WHERE account_id = %lld AND secret_sealed = %s "
      "AND confirmed_at IS NULL" },
    /* replay rule: a step is accepted once; 0 rows = replay (also when a
     * parallel request used the same code first) */
    { "jc_totp_use",
      "UPDATE totp_factor SET last_step = %lld, last_used_at = %lld, "
      "failed_codes = 0, blocked_until = 0 "
      "WHERE account_id = %lld AND last_step < %lld "
      "AND confirmed_at IS NOT NULL" },
    /* counted in the database, so parallel guesses all count */
    { "jc_totp_failed",
      "UPDATE totp_factor SET failed_codes = failed_codes + 1 "
      "WHERE account_id = %lld RETURNING failed_codes" },
    { "jc_totp_block",
      "UPDATE totp_factor SET blocked_until = %lld WHERE account_id = %lld" },

    /* passkeys (WebAuthn) */
    { "jc_pk_handle_get",
      "SELECT user_handle FROM account WHERE id = %lld" },
    /* the first registration sets the handle; never replaced */
    { "jc_pk_handle_set",
      "UPDATE account SET user_handle = %s "
      "WHERE id = %lld AND user_handle IS NULL" },
    { "jc_pk_list",
      "SELECT cred_id FROM passkey WHERE account_id = %lld "
      "ORDER BY id LIMIT 100" },
    { "jc_pk_insert",
      "INSERT INTO passkey (account_id, cred_id, public_key, alg, "
      "sign_count, name, aaguid, created_at) "
      "VALUES (%lld, %s, %s, %lld, %lld, %s, %s, %lld)" },
    /* the credential with its owner (login and second factor) */
    { "jc_pk_by_cred",
      "SELECT k.id, k.account_id, k.public_key, k.alg, k.sign_count, "
      "k.flagged, a.user_handle, a.email, a.email_confirmed_at "
      "FROM passkey k JOIN account a ON a.id = k.account_id "
      "WHERE k.cred_id = %s" },
    /* counter rule: only forward (0 = authenticator without counter) */
    { "jc_pk_used",
      "UPDATE passkey SET sign_count = %lld, last_used_at = %lld "
      "WHERE id = %lld AND flagged = 0 "
      "AND (sign_count < %lld OR (sign_count = 0 AND %lld = 0))" },
    { "jc_pk_flag",
      "UPDATE passkey SET flagged = 1 WHERE id = %lld" },
    { "jc_wa_chal_insert",
      "INSERT INTO webauthn_challenge (challenge_hash, purpose, account_id, "
      "session_hash, created_at, expires_at) "
      "VALUES (%s, %s, %lld, %s, %lld, %lld)" },
    /* single use: 0 rows for an unknown, used, expired or foreign one */
    { "jc_wa_chal_use",
      "UPDATE webauthn_challenge SET used_at = %lld "
      "WHERE challenge_hash = %s AND purpose = %s AND used_at IS NULL "
      "AND expires_at > %lld AND COALESCE(session_hash, '') = %s "
      "RETURNING account_id" },
    { "jc_wa_chal_purge",
      "DELETE FROM webauthn_challenge WHERE expires_at < %lld" },

    /* login throttling per client address */
    { "jc_thr_get",
      "SELECT failures, last_failure, blocked_until FROM login_throttle "
      "WHERE client_key = %s" },
    { "jc_thr_set",
      "INSERT INTO login_throttle (client_key, failures, last_failure, "
      "blocked_until) VALUES (%s, %lld, %lld, %lld) "
      "ON CONFLICT (client_key) DO UPDATE SET "
      "failures = excluded.failures, last_failure = excluded.last_failure, "
      "blocked_until = excluded.blocked_until" },
    { "jc_thr_clear",
      "DELETE FROM login_throttle WHERE client_key = %s" },
    { "jc_thr_purge",
      "DELETE FROM login_throttle WHERE last_failure < %lld" },

    /* mail outbox */
    { "jc_outbox_insert",
      "INSERT INTO mail_outbox (rcpt, subject, message, created_at, "
      "next_attempt_at) VALUES (%s, %s, %s, %lld, %lld)" },
    { "jc_outbox_due",
      "SELECT id, rcpt, message, attempts FROM mail_outbox "
      "WHERE sent_at IS NULL AND next_attempt_at <= %lld "
      "ORDER BY id LIMIT 20" },
    { "jc_outbox_sent",
      "UPDATE mail_outbox SET sent_at = %lld, attempts = attempts + 1, "
      "last_error = NULL WHERE id = %lld" },
    { "jc_outbox_failed",
      "UPDATE mail_outbox SET attempts = attempts + 1, "
      "next_attempt_at = %lld, last_error = %s WHERE id = %lld" },
    { "jc_outbox_purge",
      "DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < %lld" },

    /* the account's Verlauf (jc_event) */
    { "jc_event_add",
      "INSERT INTO event (account_id, at, kind, detail) "
      "VALUES (%lld, %lld, %s, %s)" },
    { "jc_event_list",
      "SELECT at, kind, detail FROM event WHERE account_id = %lld "
      "ORDER BY at DESC, id DESC LIMIT 200" },

    /* Online-Kommunikation (jc_online) */
    { "jc_online_get",
      "SELECT active_since, text_version, deactivation_requested_at, "
      "deactivation_effective_at FROM online_consent WHERE account_id = %lld" },
    { "jc_online_active",
      "SELECT count(*) FROM online_consent WHERE account_id = %lld "
      "AND active_since IS NOT NULL AND (deactivation_effective_at IS NULL "
      "OR deactivation_effective_at > %lld)" },
    /* confirmed address of the account (mail target, consent rule) */
    { "jc_online_email",
      "SELECT email, email_confirmed_at FROM account WHERE id = %lld" },
    /* consent: a new row, or a fresh consent that cancels a pending
     * deactivation; 0 rows when already active without one (parallel) */
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
    { "jc_online_deact_request",
      "UPDATE online_consent SET deactivation_requested_at = %lld, "
      "deactivation_effective_at = %lld, updated_at = %lld "
      "WHERE account_id = %lld AND active_since IS NOT NULL "
      "AND deactivation_requested_at IS NULL" },
    { "jc_online_due",
      "SELECT account_id, text_version, deactivation_effective_at "
      "FROM online_consent WHERE deactivation_effective_at <= %lld "
      "AND active_since IS NOT NULL ORDER BY deactivation_effective_at "
      "LIMIT 50" },
    /* the deactivation takes effect; 0 rows when re-activated meanwhile */
    { "jc_online_deact_apply",
      "UPDATE online_consent SET active_since = NULL, "
      "deactivation_requested_at = NULL, deactivation_effective_at = NULL, "
      "updated_at = %lld WHERE account_id = %lld "
      "AND deactivation_effective_at <= %lld" },
    { "jc_online_hist_add",
      "INSERT INTO online_consent_history (account_id, at, action, "
      "text_version, effective_at) VALUES (%lld, %lld, %s, %s, %lld)" },

    { NULL, NULL }
};

const jc_sql_stmt_t *jc_sql_statements(void)
{
    return statements;
}

/* The TOTP second factor of a password login (seed: "Zweiter Faktor
 * einrichten"): setting it up (a pending secret), confirming the set-up
 * with a first code, and checking a code after the password.
 *
 * - The secret (JC_TOTP_SECRET_LEN random bytes) is stored sealed
 *   (jc_secretbox, context "totp:<account id>"), never in clear.
 * - A code is accepted once: totp_factor.last_step holds the time step of
 *   the last accepted code and the accepting UPDATE is conditional on
 *   last_step < step, so a replay (also a parallel one) finds 0 rows.
 * - Wrong codes after the password are throttled per account with the
 *   account throttle settings (jc_throttle), counted in the row.
 * - Every success rotates the session: the old row is deleted and a new
 *   one in state authenticated is created (new cookie, new CSRF token) in
 *   the same transaction as the change of the factor.
 * - Crypto (RNG, sealing, HMAC) runs before any transaction.
 * Core: no httpd headers. */
#ifndef JC_MFA_H
#define JC_MFA_H

#include <apr_pools.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"

/* What a new pending TOTP secret is shown as. */
typedef struct {
    const char *secret;       /* base32 in groups of 4 ("ABCD EFGH …")    */
    const char *otpauth_uri;  /* otpauth://totp/… for the QR code         */
    const char *qr_svg;       /* the URI as QR code, an <svg> element      */
} jc_totp_setup_t;

/* The code as typed with spaces and tabs removed, if that leaves exactly
 * JC_TOTP_DIGITS ASCII digits; otherwise NULL. */
const char *jc_mfa_code_clean(const char *code, apr_pool_t *p);

/* b32 in groups of four characters separated by single spaces (easier to
 * type); NULL for NULL. */
const char *jc_mfa_secret_groups(const char *b32, apr_pool_t *p);

/* POST /mfa/totp/setup: create a pending secret for the session's account,
 * or replace a pending one. 409 factor_exists when the account has a
 * confirmed factor (replacing one needs a re-authentication, a later
 * step). On success res->status is 200 and out is filled. */
void jc_mfa_totp_setup(jc_db_t *db, jc_result_t *res, jc_totp_setup_t *out,
                       const jc_ctx_t *ctx, const jc_session_t *s,
                       apr_int64_t now, apr_pool_t *p);

/* POST /mfa/totp/confirm: check code against the pending secret (±1 step);
 * then, in one transaction, mark the factor confirmed (last_step = the
 * matched step), rotate the session to authenticated and queue the mail
 * "Zweiter Faktor eingerichtet". 422 code_malformed, 401 code_invalid,
 * 409 setup_missing / factor_exists. On success out holds the new
 * session. */
void jc_mfa_totp_confirm(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                         const jc_ctx_t *ctx, const jc_session_t *s,
                         const char *code, apr_int64_t now, apr_pool_t *p);

/* POST /mfa/totp/verify: only for a session in state mfa_required (else
 * 409 mfa_not_required). 422 code_malformed, 429 too_many_attempts /
 * account_locked while blocked, 401 code_invalid (counted), 401 code_used
 * for a replay (res->log says which step). On success the session is
 * rotated to authenticated and out holds it. */
void jc_mfa_totp_verify(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                        const jc_ctx_t *ctx, const jc_session_t *s,
                        const char *code, apr_int64_t now, apr_pool_t *p);

/* POST /security/reauth with a code: the same checks as verify (format,
 * throttle, replay rule: the code is used up), then session.verified_at
 * = now. The session is not rotated. */
void jc_mfa_totp_reauth(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                        const jc_session_t *s, const char *code,
                        apr_int64_t now, apr_pool_t *p);

#endif

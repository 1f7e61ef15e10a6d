/* Who may add a second factor, and when (the rule behind the set-up
 * routes of TOTP and passkeys). Core: no httpd headers.
 *
 * A factor is added either to finish a first login (session state
 * mfa_setup_required: the password is the only proof so far) or on the
 * "Sicherheit" page (state authenticated). The first must never become a
 * way around a factor the account already has: a password-only session of
 * an account that has (or meanwhile got, from another session) a usable
 * factor may not add one; it has to pass the existing one (mfa_required).
 * The second needs a recent password or factor check. */
#ifndef JC_FACTOR_H
#define JC_FACTOR_H

#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"

/* Usable factors of an account: passkeys that are not flagged, and a
 * confirmed TOTP factor. */
jc_db_rc_e jc_factor_count(jc_db_t *db, apr_int64_t *passkeys,
                           apr_int64_t *totp, apr_int64_t account,
                           apr_pool_t *p);

/* May session s add a factor now? 1 = yes. 0 = no, res set to: 403
 * state_insufficient (another state than mfa_setup_required or
 * authenticated), 403 reauth_required (authenticated, check older than
 * window), 409 factor_exists (mfa_setup_required, and the account has a
 * usable factor), or the database error. With lock = 1 (inside the write
 * transaction that adds the factor) the account row is locked first, so
 * two sessions adding factors at once are decided one after the other. */
int jc_factor_may_add(jc_db_t *db, jc_result_t *res, const jc_session_t *s,
                      apr_int64_t window, int lock, apr_int64_t now,
                      apr_pool_t *p);

/* Start the write transaction that adds a factor and decide again inside
 * it (jc_factor_may_add with lock = 1): a factor added meanwhile by
 * another session of the account ends a password-only set-up. 1 = the
 * transaction is open and the factor may be added; 0 = res is set and
 * nothing is open. */
int jc_factor_begin_add(jc_db_t *db, jc_result_t *res, const jc_session_t *s,
                        apr_int64_t reauth_window, apr_int64_t now,
                        apr_pool_t *p);

#endif

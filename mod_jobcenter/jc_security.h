/* The "Sicherheit" page: the account's sign-in factors (passkeys, the TOTP
 * factor), re-authentication with the password, renaming and deleting
 * factors.
 *
 * - Changes need a fresh check (jc_session_require_fresh with
 *   ctx->reauth_window): session.verified_at is set by a completed login
 *   and by a re-authentication (password here, a code in jc_mfa, a passkey
 *   in jc_passkey).
 * - Every change is one transaction: the account row is written first
 *   (UPDATE account SET updated_at), which serialises the changes of one
 *   account also on PostgreSQL, so two parallel deletions cannot both see
 *   "another factor is left"; then the change, its Verlauf event and the
 *   mail "Ihre Sicherheitseinstellungen wurden geändert" (outbox).
 * - The last usable factor (a confirmed TOTP factor or a passkey that is
 *   not flagged) cannot be deleted: 409 last_factor.
 * - A passkey id that is unknown or belongs to another account is 404
 *   passkey_not_found; nothing is changed.
 * Core: no httpd headers. */
#ifndef JC_SECURITY_H
#define JC_SECURITY_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"

/* GET /security: {"passkeys":[{id, name, created_at, last_used_at|null,
 * flagged}], "totp":{created_at, last_used_at|null}|null,
 * "reauth":{verified_at, window, fresh}}. *out is a new object. */
void jc_security_list(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_ctx_t *ctx, const jc_session_t *s,
                      apr_int64_t now, apr_pool_t *p);

/* POST /security/reauth with the password: throttled like the login per
 * account (failed_logins, login_blocked_until: 429 while blocked), 401
 * password_invalid when wrong; then session.verified_at = now. */
void jc_security_reauth_password(jc_db_t *db, jc_result_t *res,
                                 const jc_ctx_t *ctx, const jc_session_t *s,
                                 const char *password, size_t password_len,
                                 apr_int64_t now, apr_pool_t *p);

/* The end of every re-authentication (password, TOTP code, passkey), in
 * the caller's transaction once the proof is accepted: session.verified_at
 * = now (jc_session_verified), then the commit. The session gone: rolled
 * back, 401 not_authenticated; a database error: res set. */
void jc_security_reauth_finish(jc_db_t *db, jc_result_t *res,
                               const jc_session_t *s, apr_int64_t now,
                               apr_pool_t *p);

/* POST /security/passkey/rename {id, name}. id < 1: 422 id_invalid. */
void jc_security_passkey_rename(jc_db_t *db, jc_result_t *res,
                                const jc_ctx_t *ctx, const jc_session_t *s,
                                apr_int64_t id, const char *name,
                                apr_int64_t now, apr_pool_t *p);

/* POST /security/passkey/delete {id}. */
void jc_security_passkey_delete(jc_db_t *db, jc_result_t *res,
                                const jc_ctx_t *ctx, const jc_session_t *s,
                                apr_int64_t id, apr_int64_t now,
                                apr_pool_t *p);

/* POST /security/totp/delete: 404 factor_missing without a confirmed
 * factor. */
void jc_security_totp_delete(jc_db_t *db, jc_result_t *res,
                             const jc_ctx_t *ctx, const jc_session_t *s,
                             apr_int64_t now, apr_pool_t *p);

/* Delete the account's TOTP factor (jc_sec_totp_delete), in the caller's
 * transaction. */
jc_db_rc_e jc_security_totp_drop(jc_db_t *db, apr_int64_t account_id,
                                 apr_pool_t *p);

/* The account's passkeys (at most 100, by id) into *r (jc_sec_passkeys;
 * rows read with JC_COL_SEC_PASSKEYS_*: no key material). */
jc_db_rc_e jc_security_passkeys(jc_db_t *db, jc_db_res_t *r,
                                apr_int64_t account_id, apr_pool_t *p);

/* The account's confirmed TOTP factor's times into *row (jc_sec_totp;
 * read with JC_COL_SEC_TOTP_*); JC_DB_NOROW when it has none. */
jc_db_rc_e jc_security_totp_row(jc_db_t *db, jc_db_row_t *row,
                                apr_int64_t account_id, apr_pool_t *p);

#endif

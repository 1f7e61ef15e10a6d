/* The "Konto" page (issue 5): password and e-mail changes, the account's
 * sessions; the data export (DSGVO Art. 15) is in jc_export.h, the
 * deletion of the login account in jc_erase.h.
 *
 * - Every change, the export and the deletion need a fresh check
 *   (jc_session_require_fresh with ctx->reauth_window; 403
 *   reauth_required before anything is read or written).
 * - Changes run in one transaction that writes the account row first
 *   (jc_sec_lock), then the change, its Verlauf event and its notice mail.
 * - Sessions are named by a reference that is not their id_hash:
 *   SHA-256 of "jc-session:" + id_hash, 32 hex digits.
 * Core: no httpd headers. */
#ifndef JC_KONTO_H
#define JC_KONTO_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"
#include "jc_throttle.h"

#define JC_PURPOSE_EMAIL_CHANGE "email_change"

/* "Chrome auf Linux", "Safari auf iPhone", ...: a short German label for
 * a User-Agent (NULL or unknown: "Unbekanntes Gerät"). */
const char *jc_konto_device(const char *ua, apr_pool_t *p);

/* The public reference of a session (32 hex digits). */
const char *jc_konto_session_ref(const char *id_hash, apr_pool_t *p);

/* GET /konto: {"account":{email, username, email_confirmed_at,
 * created_at, pending_email:{email, expires_at}|null},
 * "sessions":[{id, device, user_agent, client_ip, created_at, last_seen,
 * current, state}], "reauth":{verified_at, window, fresh}}. */
void jc_konto_get(jc_db_t *db, jc_result_t *res, json_t **out,
                  const jc_ctx_t *ctx, const jc_session_t *s,
                  apr_int64_t now, apr_pool_t *p);

/* POST /konto/passwort: current password (401 password_invalid, counted
 * like a failed login; 429 while blocked), the rules (422), not equal to
 * the current one (422 password_same); ends the other sessions. */
void jc_konto_password(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const jc_session_t *s, const char *current,
                       size_t current_len, const char *pw, size_t pwlen,
                       const char *repeat, size_t repeat_len,
                       apr_int64_t now, apr_pool_t *p);

/* POST /konto/email: 202 for every valid new address (422 invalid, 422
 * email_same). A free address gets a confirmation link (purpose
 * email_change, ctx->confirm_ttl); an address of another account gets an
 * informational mail instead; the current confirmed address a notice in
 * both cases. *pending gets the normalised new address. */
void jc_konto_email_request(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            const char *email, const char **pending,
                            apr_int64_t now, apr_pool_t *p);

/* POST /konto/email/confirm (no session needed): the link's token. 200
 * and *email = the new address; 404/410 as other links; 409 email_taken
 * when another account holds the address by now. */
void jc_konto_email_confirm(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const char *token,
                            const char **email, apr_int64_t now,
                            apr_pool_t *p);

/* POST /konto/sitzungen/beenden {id}: ends one other session of the
 * account (404 session_not_found, 422 session_current). */
void jc_konto_session_end(jc_db_t *db, jc_result_t *res,
                          const jc_ctx_t *ctx, const jc_session_t *s,
                          const char *ref, apr_int64_t now, apr_pool_t *p);

/* POST /konto/sitzungen/andere-beenden: ends all other sessions; *ended
 * gets their number. */
void jc_konto_sessions_end_others(jc_db_t *db, jc_result_t *res,
                                  const jc_ctx_t *ctx, const jc_session_t *s,
                                  int *ended, apr_int64_t now,
                                  apr_pool_t *p);

/* ---- shared with the export (jc_export.c), the deletion (jc_erase.c)
 * and the security page (jc_security.c) ------------------------------- */

/* A column as JSON: the integer (a time) or the string; null when NULL. */
json_t *jc_konto_json_time(const jc_db_row_t *row, int col);
json_t *jc_konto_json_str(const jc_db_row_t *row, int col, apr_pool_t *p);

/* Queue a notice ("Guten Tag, ..." + text) to rcpt (skipped for NULL), in
 * the caller's transaction. */
jc_db_rc_e jc_konto_notice(jc_db_t *db, const jc_ctx_t *ctx,
                           const char *rcpt, const char *subject,
                           const char *text, apr_int64_t now, apr_pool_t *p);

/* The start of every password check of a signed-in account (here and the
 * re-authentication, jc_security_reauth_password), outside a transaction:
 * account id's stored hash into *phc, admission to the hash gate, then
 * this attempt counted before the hash (jc_throttle_reserve into *t), so
 * parallel guesses cannot pass the limit. 0: t->reserved and the gate
 * entered (the caller hashes, then leaves it), or !t->reserved and the
 * gate left (the limit is reached: the caller answers the 429). 1 and res
 * set: no such account (401 not_authenticated), the gate refused (503) or
 * a database error. */
int jc_konto_password_admit(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, apr_int64_t id,
                            const char **phc, jc_thr_take_t *t,
                            apr_int64_t now, apr_pool_t *p);

/* The account's current password (outside a transaction): throttled and
 * counted like the login. *phc gets the stored hash. Non-zero and res set
 * when it is missing, wrong or blocked. */
int jc_konto_check_password(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            const char *pw, size_t pwlen, const char *field,
                            const char **phc, apr_int64_t now, apr_pool_t *p);

/* The open e-mail change of account id as {email, expires_at} or null. */
jc_db_rc_e jc_konto_pending_email(jc_db_t *db, json_t **out,
                                  apr_int64_t id, apr_int64_t now,
                                  apr_pool_t *p);

/* The account's live sessions; with_refs adds id, current and state (the
 * export leaves them out). */
jc_db_rc_e jc_konto_sessions(jc_db_t *db, json_t **out,
                             const jc_ctx_t *ctx, const jc_session_t *s,
                             int with_refs, apr_int64_t now, apr_pool_t *p);

#endif

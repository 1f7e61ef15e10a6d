/* Self-service for forgotten credentials (issue 5): "Passwort vergessen"
 * (a single-use link by mail, a new password with it) and the Jobcenter
 * serving a postcode for "Benutzername / E-Mail-Adresse vergessen".
 *
 * - A request answers 202 the same way whether or not the address belongs
 *   to an account: the token is drawn and the mail composed in every case,
 *   the same throttle rows are counted, and only for a confirmed address
 *   the token row and the mail are stored (same transaction).
 * - Only the link token's SHA-256 is stored (email_token, purpose
 *   "reset"); a new request deletes the account's older unused links.
 * - Setting the new password ends every session of the account, clears
 *   the login throttle of the account, writes the Verlauf event and queues
 *   the notice mail, in one transaction. The second factor stays.
 * The Jobcenter's letters with one-time credentials (the staff's
 * "Zugangsdaten zurücksetzen") are another flow: jc_onetime.
 * Core: no httpd headers. */
#ifndef JC_FORGOT_H
#define JC_FORGOT_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_mail.h"
#include "jc_result.h"

#define JC_PURPOSE_RESET "reset"

/* POST /password/forgot: 202 for every well-formed address; 422 for a
 * malformed one; 429 when the client address or the e-mail address asked
 * too often (ctx->reset_max_client / reset_max_address per
 * ctx->reset_window; counted for unknown addresses too). */
void jc_forgot_request(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const char *email, const char *client,
                       apr_int64_t now, apr_pool_t *p);

/* POST /password/reset/check: is the link usable? 200 (and *expires_at)
 * or 404 token_invalid / 410 token_used / 410 token_expired. */
void jc_forgot_check(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                     const char *token, apr_int64_t *expires_at,
                     apr_int64_t now, apr_pool_t *p);

/* POST /password/reset: the link's token, the new password twice. 422
 * with details for the password rules; link errors as for check. */
void jc_forgot_finish(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                      const char *token, const char *pw, size_t pwlen,
                      const char *repeat, size_t repeat_len,
                      apr_int64_t now, apr_pool_t *p);

/* GET /jobcenter/suche?plz=NNNNN: the Jobcenter serving a postcode, as
 * {"jobcenter":{name, street, postcode, city, phone, opening_hours[]}};
 * 422 postcode_invalid (not 5 digits), 404 postcode_unknown, 429 after
 * ctx->lookup_max lookups of one client address per ctx->lookup_window. */
void jc_forgot_lookup(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_ctx_t *ctx, const char *postcode,
                      const char *client, apr_int64_t now, apr_pool_t *p);

/* A rate limit on a login_throttle key: the count of requests within
 * window. limit_blocked: 429 (res set, non-zero) when max are used up;
 * nothing is written (a cheap early answer). limit_count (in the caller's
 * transaction, or on its own): one more, counted and decided in one
 * conditional statement, so parallel requests cannot pass max; 429 and
 * non-zero when max are used up (the open transaction rolled back,
 * nothing written). */
int jc_forgot_limit_blocked(jc_db_t *db, jc_result_t *res, const char *key,
                            apr_int64_t max, apr_int64_t window,
                            apr_int64_t now, apr_pool_t *p);
int jc_forgot_limit_count(jc_db_t *db, jc_result_t *res, const char *key,
                          apr_int64_t max, apr_int64_t window,
                          apr_int64_t now, apr_pool_t *p);

/* A notice mail from the portal: "Guten Tag,\n\n" + text + closing.
 * NULL when rcpt or the text are not acceptable (jc_mail_compose). */
jc_mail_t *jc_forgot_notice(const jc_ctx_t *ctx, const char *rcpt,
                            const char *subject, const char *text,
                            apr_int64_t now, apr_pool_t *p);

#endif

/* Account flows of the seed's "Registrierung" steps 3-9: registration,
 * e-mail confirmation, resending the link, password login.
 * Core: no httpd headers. Every flow checks its input before doing work,
 * never hashes a password inside a transaction, and changes nothing when it
 * fails. */
#ifndef JC_ACCOUNT_H
#define JC_ACCOUNT_H

#include <apr_pools.h>

#include "jc_ctx.h"
#include "jc_db.h"
#include "jc_hashgate.h"
#include "jc_password.h"
#include "jc_result.h"
#include "jc_secretbox.h"
#include "jc_session.h"
#include "jc_throttle.h"

/* Registration input as sent by the client (NULL = field missing). */
typedef struct {
    const char *email;            /* e-mail address                        */
    const char *password;         /* password                              */
    size_t password_len;          /* its length in bytes                   */
    const char *password_repeat;  /* repeat                                */
    size_t password_repeat_len;   /* its length in bytes                   */
    int accept_terms;             /* 1 = Nutzungsbedingungen accepted      */
    int accept_email;             /* 1 = consent to use of the address     */
} jc_register_in_t;

/* Login outcome on success. */
typedef struct {
    const char *token;            /* new session cookie value              */
    const char *csrf;             /* CSRF token of the new session         */
    jc_sess_state_e state;        /* state of the new session              */
    apr_int64_t expires_at;       /* absolute end of the session           */
    apr_int64_t account_id;       /* account signed in                     */
    int has_totp;                 /* the account has a confirmed TOTP      */
    int has_passkey;              /* the account has at least one passkey  */
} jc_login_out_t;

/* Lower-case, trimmed copy of an address, or NULL if it is not valid. */
const char *jc_account_normalize_email(const char *email, apr_pool_t *p);

/* The password rules for a new password (pw and its repetition; NULL
 * counts as empty): one detail per failed rule (field "password" or
 * "password_repeat"); the number of details added. */
int jc_account_password_details(jc_result_t *res, const char *pw,
                                size_t pwlen, const char *repeat,
                                size_t repeat_len);

/* Check every registration rule; fills res (422 + details) and returns
 * non-zero when something is wrong. */
int jc_account_validate(jc_result_t *res, const jc_register_in_t *in,
                        apr_pool_t *p);

/* Validate, hash, and in one transaction: create the account + token +
 * confirmation mail, or (address known) queue the informational mail or a
 * fresh link. res->status 202 on success (same answer in every case). */
void jc_account_register(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                         const jc_register_in_t *in, apr_int64_t now,
                         apr_pool_t *p);

/* Confirm an address with the link token. */
void jc_account_confirm(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                        const char *token, apr_int64_t now, apr_pool_t *p);

/* Send a new link when the address belongs to an unconfirmed account;
 * answers 202 in every case. */
void jc_account_resend(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const char *email, apr_int64_t now, apr_pool_t *p);

/* Password login with throttling per account and per client address.
 * old_token (may be NULL) is the session cookie sent along; that session
 * is ended. user_agent (jc_session_user_agent(), may be NULL) and client
 * are recorded in the new session. On success res->status is 200 and out
 * is filled. */
void jc_account_login(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                      const jc_ctx_t *ctx, const char *login,
                      const char *password, size_t password_len,
                      const char *client, const char *user_agent,
                      const char *old_token, apr_int64_t now, apr_pool_t *p);

/* Store a new single-use link token (hash of it) for account_id and
 * purpose, valid until exp; the account's older open tokens of the same
 * purpose are dropped first (a new link voids the older ones). Inside the
 * caller's transaction. */
jc_db_rc_e jc_account_token_put(jc_db_t *db, apr_int64_t account_id,
                                const char *hash, const char *target,
                                const char *purpose, apr_int64_t now,
                                apr_int64_t exp, apr_pool_t *p);

/* A link token's row (jc_token_get). */
typedef struct {
    apr_int64_t account_id;  /* the account the link belongs to        */
    const char *email;       /* the address it confirms, or NULL       */
    apr_int64_t expires_at;  /* epoch seconds                          */
    int used;                /* 1 when it was used (used_at set)       */
} jc_link_t;

/* Drop the account's open (unused) link tokens of purpose
 * (jc_token_drop_open), in the caller's transaction. */
jc_db_rc_e jc_account_token_drop_open(jc_db_t *db, apr_int64_t account_id,
                                      const char *purpose, apr_pool_t *p);

/* The link token row of hash and purpose into *out (jc_token_get);
 * JC_DB_NOROW when there is none. */
jc_db_rc_e jc_account_token_get(jc_db_t *db, jc_link_t *out,
                                const char *hash, const char *purpose,
                                apr_pool_t *p);

/* Mark the link token hash used at now if it was not (jc_token_use), in
 * the caller's transaction; *nrows = 1 when this call used it, 0 when a
 * parallel request did first. */
jc_db_rc_e jc_account_token_use(jc_db_t *db, const char *hash,
                                apr_int64_t now, int *nrows, apr_pool_t *p);

/* Use the link token hash at now (jc_account_token_use), in the caller's
 * transaction. A parallel request used it first: rolled back, 410
 * token_used with used_msg, 1. Otherwise 0 and *rc the statement's
 * result (res untouched: the caller goes on or answers the error). */
int jc_account_token_take(jc_db_t *db, jc_result_t *res, const char *hash,
                          const char *used_msg, jc_db_rc_e *rc,
                          apr_int64_t now, apr_pool_t *p);

/* Inside the caller's transaction: the link token hash of purpose
 * (jc_token_get). 0 when it is open: *account and *target (may be NULL)
 * set. Already used or expired (now >= expires_at): rolled back, 410
 * token_used with used_msg or 410 token_expired with expired_msg, 1. A
 * database error: res set, 1. Unknown: -1 and nothing done (the caller
 * answers, or looks further). */
int jc_account_token_open(jc_db_t *db, jc_result_t *res, const char *hash,
                          const char *purpose, apr_int64_t now,
                          const char *used_msg, const char *expired_msg,
                          apr_int64_t *account, const char **target,
                          apr_pool_t *p);

/* Insert an account row (jc_acct_insert) for the normalized address
 * email with the password hash phc, in the caller's transaction; *id =
 * the new id. JC_DB_CONFLICT when the address is taken. */
jc_db_rc_e jc_account_insert(jc_db_t *db, apr_int64_t *id,
                             const char *email, const char *phc,
                             apr_int64_t now, apr_pool_t *p);

/* Mark the address of account id confirmed at now (jc_acct_confirm), in
 * the caller's transaction; *nrows (may be NULL) = 1 when it was not yet
 * confirmed. */
jc_db_rc_e jc_account_mark_confirmed(jc_db_t *db, apr_int64_t id,
                                     apr_int64_t now, int *nrows,
                                     apr_pool_t *p);

/* The id of the account with the normalized address norm into *id
 * (jc_acct_id_by_email); JC_DB_NOROW when there is none. */
jc_db_rc_e jc_account_id_by_email(jc_db_t *db, apr_int64_t *id,
                                  const char *norm, apr_pool_t *p);

/* The password hash of account id into *phc (jc_sec_password; NULL when
 * it has none); JC_DB_NOROW when there is no such account. */
jc_db_rc_e jc_account_password_hash(jc_db_t *db, apr_int64_t id,
                                    const char **phc, apr_pool_t *p);

/* The address of account id into *email (NULL: none) and the time it was
 * confirmed into *confirmed_at (0: not confirmed) (jc_online_email);
 * JC_DB_NOROW when there is no such account. */
jc_db_rc_e jc_account_email_of(jc_db_t *db, apr_int64_t id,
                               const char **email, apr_int64_t *confirmed_at,
                               apr_pool_t *p);

/* Reset the account's count of failed logins (jc_acct_login_ok), in the
 * caller's transaction. */
jc_db_rc_e jc_account_login_ok(jc_db_t *db, apr_int64_t id, apr_pool_t *p);

/* Write the account row's updated_at (jc_sec_lock): the row lock that
 * serialises changes of one account (see jc_account_change_begin), in the
 * caller's transaction. */
jc_db_rc_e jc_account_lock(jc_db_t *db, apr_int64_t id, apr_int64_t now,
                           apr_pool_t *p);

/* Start a change of account id: begin, and write the account row first
 * (UPDATE account SET updated_at) so that changes of one account run one
 * after the other (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE
 * serialises anyway). Nonzero (res set, rolled back) on a database error. */
int jc_account_change_begin(jc_db_t *db, jc_result_t *res, apr_int64_t id,
                            apr_int64_t now, apr_pool_t *p);

/* End the session s and start an authenticated one for the same account
 * (rotation after a passed second factor), inside the caller's
 * transaction; the new row records verified_at and the client of s.
 * JC_DB_NOROW when s was already gone (logged out, expired, or rotated by
 * a parallel request). */
jc_db_rc_e jc_account_rotate(jc_db_t *db, jc_login_out_t *out,
                             const jc_ctx_t *ctx, const jc_session_t *s,
                             apr_int64_t verified_at, apr_int64_t now,
                             apr_pool_t *p);

/* The same rotation into a session of state st (e.g. a one-time login
 * that must change its password before it is authenticated). */
jc_db_rc_e jc_account_rotate_to(jc_db_t *db, jc_login_out_t *out,
                                const jc_ctx_t *ctx, const jc_session_t *s,
                                jc_sess_state_e st, apr_int64_t verified_at,
                                apr_int64_t now, apr_pool_t *p);

/* Throttling of failures per client key (login_throttle row; the
 * password login uses the address, the passwordless passkey login
 * "pk:" + address) with ctx->thr_client: reserve this attempt before it
 * is evaluated (jc_throttle_reserve; in the caller's transaction when one
 * is open). Non-zero with res set (429 too_many_attempts with
 * Retry-After, or the database failure; the open transaction rolled
 * back) when refused. A failure needs nothing more; a success calls
 * jc_account_client_clear. */
int jc_account_client_reserve(jc_db_t *db, jc_result_t *res,
                              const jc_ctx_t *ctx, const char *key,
                              apr_int64_t now, apr_pool_t *p);

/* Forget the failures of key (after a success). */
jc_db_rc_e jc_account_client_clear(jc_db_t *db, const char *key,
                                   apr_pool_t *p);

#endif

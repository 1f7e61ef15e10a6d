/* One-time credentials ("Zugangsdaten zurücksetzen", issue 5): staff
 * reset a customer's login account to a one-time username and password
 * delivered in two letters; the citizen then walks the forced flow
 * (own password -> e-mail address -> confirmation link -> login with the
 * address -> new second factor). Core: no httpd headers. Every write is
 * one transaction and changes nothing when it fails; the plain one-time
 * values exist only in the caller's memory and the two letters. */
#ifndef JC_ONETIME_H
#define JC_ONETIME_H

#include <apr_pools.h>

#include "jc_account.h"
#include "jc_customer.h"
#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"
#include "jc_staff.h"

/* email_token.purpose of the address given in the forced flow. */
#define JC_ONETIME_PURPOSE "reset_email"

/* What a reset produced. username/password: the plain one-time values
 * (in p; the caller wipes nothing else, nothing of them is stored). */
typedef struct {
    const char *username;       /* "ba-" + nine digits                    */
    const char *password;       /* one-time password (password rules met) */
    apr_int64_t expires_at;     /* end of the one-time password           */
    apr_int64_t account_id;     /* the account that was reset             */
    const char *letter_user;    /* PDF: part 1, the username letter       */
    apr_size_t letter_user_len;
    const char *letter_pass;    /* PDF: part 2, the password letter       */
    apr_size_t letter_pass_len;
} jc_onetime_out_t;

/* A new one-time username: "ba-" followed by nine digits from OpenSSL's
 * RNG (uniform). NULL if the RNG fails. */
const char *jc_onetime_username_new(apr_pool_t *p);

/* Staff reset the credentials of customer `cust` (of staff->jobcenter_id,
 * already loaded): the customer's bound account gets a new username and
 * one-time password (valid valid_secs), password_change_required, no
 * e-mail address; its TOTP factor, passkeys, challenges, open e-mail
 * links and sessions are deleted; a Verlauf event, a staff_audit row
 * and (if the account had a confirmed address) the notice mail
 * "Zugangsdaten zurückgesetzt" are written — all in one transaction.
 * The letters are rendered before anything is stored; a username
 * conflict draws a new one. 409 customer_unbound (no account bound),
 * 409 staff_account (the bound account is a staff account). */
void jc_onetime_issue(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                    const jc_staff_t *staff, const jc_customer_t *cust,
                    apr_int64_t valid_secs, apr_int64_t now,
                    jc_onetime_out_t *out, apr_pool_t *p);

/* Forced flow, step 1 (session password_change_required): the new
 * password must meet the rules (422 + details), match its repeat and
 * differ from the one-time password (422 password_same). Sets it, clears
 * password_change_required and the expiry, and rotates the session into
 * the next state (email_required for a reset account). */
void jc_onetime_set_password(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                           const jc_ctx_t *ctx, const jc_session_t *s,
                           const char *pw, size_t pw_len,
                           const char *repeat, size_t repeat_len,
                           apr_int64_t now, apr_pool_t *p);

/* Forced flow, step 2 (session email_required): the address and the
 * consent; a confirmation link (purpose JC_ONETIME_PURPOSE, valid
 * ctx->confirm_ttl) to that address replaces older open ones. 422
 * email_invalid / email_consent_required, 409 email_taken. 202 on
 * success; the session stays (the citizen may correct the address). */
void jc_onetime_set_email(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                        const jc_session_t *s, const char *email,
                        int consent, apr_int64_t now, apr_pool_t *p);

/* Forced flow, step 3: the link of step 2 (POST email/confirm calls it
 * for well-formed tokens that jc_account_confirm does not know; kept out
 * of jc_account.c so that the account core does not depend on the
 * letters). Sets the address as the
 * account's confirmed one, clears the one-time username and ends the
 * account's sessions. NOROW: *found = 0 and nothing answered. */
void jc_onetime_confirm(jc_db_t *db, jc_result_t *res, int *found,
                      const char *token_hash, apr_int64_t now,
                      apr_pool_t *p);

#endif

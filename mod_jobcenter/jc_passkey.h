/* Passkeys (WebAuthn) on top of jc_webauthn: issuing challenges, the
 * registration of a passkey after a password login, the passwordless
 * login, and a passkey as second factor after the password.
 *
 * - A challenge is kept only as SHA-256 hex of its bytes in
 *   webauthn_challenge, with its purpose ("register", "login", "assert"),
 *   the account and the session it was issued to, and a lifetime of
 *   ctx->wa_challenge_ttl seconds. It is used up (used_at) by the first
 *   verify that names it, before the signature is checked, so it never
 *   serves twice, also when that verify fails.
 * - Registration and the second factor rotate the session (old row
 *   deleted, new cookie and CSRF token) in the same transaction as the
 *   change; the passwordless login creates a new session in state
 *   authenticated.
 * - Signature counters only go forward; a regression flags the passkey
 *   (passkey.flagged = 1), refuses it from then on and is logged.
 * - Crypto runs before any transaction.
 * Core: no httpd headers. */
#ifndef JC_PASSKEY_H
#define JC_PASSKEY_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"
#include "jc_webauthn.h"

/* The browser's answer to navigator.credentials.create()/get(), as the
 * base64url strings of its JSON (NULL = member missing). */
typedef struct {
    const char *id;                 /* credential id (base64url)          */
    const char *client_data;        /* response.clientDataJSON            */
    const char *attestation;        /* response.attestationObject (create) */
    const char *auth_data;          /* response.authenticatorData (get)   */
    const char *signature;          /* response.signature (get)           */
    const char *user_handle;        /* response.userHandle (get) or NULL  */
    const char *name;               /* name for a new passkey, or NULL    */
} jc_pk_in_t;

/* Most characters of a passkey's name. */
#define JC_PK_NAME_MAX 64

/* 1 if name is 1..JC_PK_NAME_MAX characters of valid UTF-8 without
 * control characters and not only spaces. */
int jc_passkey_name_ok(const char *name);

/* 422 name_invalid with the German message. */
void jc_passkey_name_invalid(jc_result_t *res);

/* German message for a verification failure (never NULL). */
const char *jc_passkey_err_message(jc_wa_err_e err);

/* POST /passkey/register/options: PublicKeyCredentialCreationOptions for
 * the session's account (gives the account its user handle on first use).
 * *out is a new JSON object (caller owns it). */
void jc_passkey_register_options(jc_db_t *db, jc_result_t *res, json_t **out,
                                 const jc_ctx_t *ctx, const jc_session_t *s,
                                 apr_int64_t now, apr_pool_t *p);

/* POST /passkey/register/verify: check the attestation against the
 * session's register challenge, store the passkey (409 when its
 * credential id is known), rotate the session to authenticated and queue
 * the mail "Passkey eingerichtet", in one transaction. */
void jc_passkey_register_verify(jc_db_t *db, jc_result_t *res,
                                jc_login_out_t *out, const jc_ctx_t *ctx,
                                const jc_session_t *s, const jc_pk_in_t *in,
                                apr_int64_t now, apr_pool_t *p);

/* POST /passkey/login/options (anonymous) and /passkey/assert/options
 * (s in state mfa_required: allowCredentials = its passkeys; s NULL for
 * the login). *out is a new JSON object. */
void jc_passkey_get_options(jc_db_t *db, jc_result_t *res, json_t **out,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            apr_int64_t now, apr_pool_t *p);

/* POST /passkey/login/verify (s NULL, passwordless: the userHandle must
 * name the passkey's owner, whose e-mail must be confirmed; old_token,
 * the cookie sent along, is ended; failures are throttled per client
 * address under the key "pk:<client>" and a blocked address gets 429;
 * the new session records client and user_agent) and
 * /passkey/assert/verify (s in state mfa_required: the passkey must be
 * the session account's; the session is rotated). Both record the login
 * in the account's Verlauf. On success out holds the new authenticated
 * session. */
void jc_passkey_get_verify(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                           const jc_ctx_t *ctx, const jc_session_t *s,
                           const jc_pk_in_t *in, const char *client,
                           const char *user_agent, const char *old_token,
                           apr_int64_t now, apr_pool_t *p);

/* POST /security/reauth/options: request options (challenge purpose
 * "reauth", bound to the session; allowCredentials = the account's
 * passkeys, 409 passkey_missing without one). */
void jc_passkey_reauth_options(jc_db_t *db, jc_result_t *res, json_t **out,
                               const jc_ctx_t *ctx, const jc_session_t *s,
                               apr_int64_t now, apr_pool_t *p);

/* POST /security/reauth with a passkey assertion: verified as the second
 * factor is (a passkey of the session's account), then
 * session.verified_at = now. */
void jc_passkey_reauth_verify(jc_db_t *db, jc_result_t *res,
                              const jc_ctx_t *ctx, const jc_session_t *s,
                              const jc_pk_in_t *in, apr_int64_t now,
                              apr_pool_t *p);

#endif

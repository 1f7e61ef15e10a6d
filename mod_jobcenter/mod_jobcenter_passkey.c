/* The passkey (WebAuthn) routes of the JSON API: registration after a
 * password login, the passwordless login, and a passkey as second factor.
 * The route table in mod_jobcenter_api.c has already checked Origin,
 * session, level and CSRF token; the flows are in the core
 * (jc_passkey.c). */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter_request.h"
#include "jc_metrics.h"
#include "jc_passkey.h"

APLOG_USE_MODULE(jobcenter);

/* Answer of the verifications: the new (or rotated) session. */
static int authenticated(jc_call_t *c, jc_result_t *res,
                         const jc_login_out_t *lo, const char *what,
                         json_t **out)
{
    jc_api_set_cookie(c, lo->token);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00130)
                  "%s: account %" APR_INT64_T_FMT " authenticated", what,
                  lo->account_id);
    *out = json_pack("{s:s, s:s, s:I}", "state",
                     jc_session_state_name(lo->state), "csrf_token", lo->csrf,
                     "expires_at", (json_int_t)lo->expires_at);
    if (!*out) {
        return jc_result_internal(res, "json_pack of the session failed");
    }
    return 200;
}

/* The browser's PublicKeyCredential JSON: {id, rawId, type, response:
 * {clientDataJSON, attestationObject | authenticatorData, signature,
 * userHandle}, name?}. */
void jc_api_read_credential(json_t *body, jc_pk_in_t *in)
{
    json_t *r = json_object_get(body, "response");

    memset(in, 0, sizeof(*in));
    in->id = json_string_value(json_object_get(body, "id"));
    in->name = json_string_value(json_object_get(body, "name"));
    if (!json_is_object(r)) {
        return;
    }
    in->client_data = json_string_value(json_object_get(r,
                                                        "clientDataJSON"));
    in->attestation = json_string_value(json_object_get(r,
                                                        "attestationObject"));
    in->auth_data = json_string_value(json_object_get(r,
                                                      "authenticatorData"));
    in->signature = json_string_value(json_object_get(r, "signature"));
    in->user_handle = json_string_value(json_object_get(r, "userHandle"));
}

/* Errors worth a line above info: a flagged (possibly cloned) passkey. */
static void log_refusal(jc_call_t *c, const jc_result_t *res)
{
    if (res->code && (!strcmp(res->code, "webauthn_sign_count")
                      || !strcmp(res->code, "passkey_blocked"))) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, c->r, JCLOG(00131)
                      "passkey refused: %s", res->log ? res->log : "-");
    }
}

static int jc_route_passkey_register_options(jc_call_t *c, jc_result_t *res,
                                             json_t **out)
{
    jc_passkey_register_options(&c->db, res, out, &c->conf->ctx, &c->sess,
                                c->now, c->r->pool);
    return res->status;
}

static int jc_route_passkey_register_verify(jc_call_t *c, jc_result_t *res,
                                            json_t **out)
{
    jc_login_out_t lo;
    jc_pk_in_t in;

    *out = NULL;
    jc_api_read_credential(c->body, &in);
    jc_passkey_register_verify(&c->db, res, &lo, &c->conf->ctx, &c->sess,
                               &in, c->now, c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    return authenticated(c, res, &lo, "passkey registered", out);
}

static int jc_route_passkey_login_options(jc_call_t *c, jc_result_t *res,
                                          json_t **out)
{
    jc_passkey_get_options(&c->db, res, out, &c->conf->ctx, NULL, c->now,
                           c->r->pool);
    return res->status;
}

static int jc_route_passkey_login_verify(jc_call_t *c, jc_result_t *res,
                                         json_t **out)
{
    jc_login_out_t lo;
    jc_pk_in_t in;

    *out = NULL;
    jc_api_read_credential(c->body, &in);
    jc_passkey_get_verify(&c->db, res, &lo, &c->conf->ctx, NULL, &in,
                          c->sess.client_ip, c->sess.user_agent,
                          jc_req_session_cookie(c->r, c->conf), c->now,
                          c->r->pool);
    if (res->status != 200) {
        log_refusal(c, res);
        return res->status;
    }
    jc_metrics_inc(JC_M_PASSKEY_LOGIN_OK);
    c->audit_account = lo.account_id;
    return authenticated(c, res, &lo, "passkey login", out);
}

static int jc_route_passkey_assert_options(jc_call_t *c, jc_result_t *res,
                                           json_t **out)
{
    jc_passkey_get_options(&c->db, res, out, &c->conf->ctx, &c->sess,
                           c->now, c->r->pool);
    return res->status;
}

static int jc_route_passkey_assert_verify(jc_call_t *c, jc_result_t *res,
                                          json_t **out)
{
    jc_login_out_t lo;
    jc_pk_in_t in;

    *out = NULL;
    jc_api_read_credential(c->body, &in);
    jc_passkey_get_verify(&c->db, res, &lo, &c->conf->ctx, &c->sess, &in,
                          NULL, NULL, NULL, c->now, c->r->pool);
    if (res->status >= 400 && res->status < 500) {
        jc_metrics_inc(JC_M_MFA_PASSKEY_FAILED);
    }
    if (res->status != 200) {
        log_refusal(c, res);
        return res->status;
    }
    return authenticated(c, res, &lo, "passkey second factor", out);
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_passkey[] = {
    /* passkeys: registration like the TOTP set-up, login anonymous,
     * assert only in mfa_required */
    { M_POST, "passkey/register/options", JC_LEVEL_MFA_SETUP, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_passkey_register_options },
    { M_POST, "passkey/register/verify", JC_LEVEL_MFA_SETUP, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_passkey_register_verify },
    { M_POST, "passkey/login/options", JC_LEVEL_PUBLIC, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_passkey_login_options },
    { M_POST, "passkey/login/verify", JC_LEVEL_PUBLIC, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_passkey_login_verify },
    { M_POST, "passkey/assert/options", JC_LEVEL_MFA_REQUIRED, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_passkey_assert_options },
    { M_POST, "passkey/assert/verify", JC_LEVEL_MFA_REQUIRED, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_passkey_assert_verify },
    { 0, NULL, 0, 0, 0, NULL }
};

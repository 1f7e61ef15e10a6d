/* The routes of the "Sicherheit" page: the factor list, re-authentication
 * (password, TOTP code or passkey), renaming and deleting passkeys,
 * deleting the TOTP factor. The route table in mod_jobcenter_api.c has
 * already checked Origin, session (level 5), and CSRF token; the flows are
 * in the core (jc_security.c, jc_mfa.c, jc_passkey.c). */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter.h"
#include "jc_mfa.h"
#include "jc_passkey.h"
#include "jc_security.h"

APLOG_USE_MODULE(jobcenter);

/* Log a change at info (who changed what). */
static int changed(jc_call_t *c, const char *what, apr_int64_t id)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00145)
                  "account %" APR_INT64_T_FMT ": %s%s%s",
                  c->sess.account_id, what, id > 0 ? " " : "",
                  id > 0 ? apr_ltoa(c->r->pool, (long)id) : "");
    return 204;
}

/* The passkey id member: a positive JSON integer, else 0. */
static apr_int64_t body_id(jc_call_t *c)
{
    json_t *v = json_object_get(c->body, "id");

    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        return 0;
    }
    return (apr_int64_t)json_integer_value(v);
}

static int jc_route_security_list(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_security_list(&c->db, res, out, &c->conf->ctx, &c->sess, c->now,
                     c->r->pool);
    return res->status;
}

static int jc_route_security_reauth_options(jc_call_t *c, jc_result_t *res,
                                            json_t **out)
{
    jc_passkey_reauth_options(&c->db, res, out, &c->conf->ctx, &c->sess,
                              c->now, c->r->pool);
    return res->status;
}

static int jc_route_security_reauth(jc_call_t *c, jc_result_t *res,
                                    json_t **out)
{
    size_t pwlen = 0;
    const char *pw = jc_api_body_str(c, "password", &pwlen);
    json_t *code = json_object_get(c->body, "code");
    json_t *cred = json_object_get(c->body, "credential");
    int n = (json_object_get(c->body, "password") != NULL) + (code != NULL)
            + (cred != NULL);

    *out = NULL;
    if (n != 1) {
        return jc_result_set(res, 422, "reauth_method",
                             "Bitte bestätigen Sie mit Ihrem Passwort, einem "
                             "Code aus Ihrer Authentifizierungs-App oder "
                             "einem Passkey.", NULL);
    }
    if (cred) {
        jc_pk_in_t in;

        if (!json_is_object(cred)) {
            return jc_result_set(res, 422, "passkey_response_invalid",
                                 "Die Antwort Ihres Geräts ist "
                                 "unvollständig oder fehlerhaft. Bitte "
                                 "versuchen Sie es erneut.", "credential");
        }
        jc_api_read_credential(cred, &in);
        jc_passkey_reauth_verify(&c->db, res, &c->conf->ctx, &c->sess, &in,
                                 c->now, c->r->pool);
    }
    else if (code) {
        jc_mfa_totp_reauth(&c->db, res, &c->conf->ctx, &c->sess,
                           json_string_value(code), c->now, c->r->pool);
    }
    else {
        jc_security_reauth_password(&c->db, res, &c->conf->ctx, &c->sess,
                                    pw, pw ? pwlen : 0, c->now, c->r->pool);
    }
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00146)
                  "account %" APR_INT64_T_FMT ": re-authenticated with %s",
                  c->sess.account_id, cred ? "a passkey"
                  : code ? "a TOTP code" : "the password");
    *out = json_pack("{s:I, s:I}", "verified_at", (json_int_t)c->now,
                     "window", (json_int_t)c->conf->ctx.reauth_window);
    if (!*out) {
        return jc_result_internal(res, "json_pack failed");
    }
    return 200;
}

static int jc_route_security_passkey_rename(jc_call_t *c, jc_result_t *res,
                                            json_t **out)
{
    apr_int64_t id = body_id(c);

    *out = NULL;
    jc_security_passkey_rename(&c->db, res, &c->conf->ctx, &c->sess, id,
                               jc_api_body_str(c, "name", NULL), c->now,
                               c->r->pool);
    return res->status != 200 ? res->status
                              : changed(c, "passkey renamed", id);
}

static int jc_route_security_passkey_delete(jc_call_t *c, jc_result_t *res,
                                            json_t **out)
{
    apr_int64_t id = body_id(c);

    *out = NULL;
    jc_security_passkey_delete(&c->db, res, &c->conf->ctx, &c->sess, id,
                               c->now, c->r->pool);
    return res->status != 200 ? res->status
                              : changed(c, "passkey deleted", id);
}

static int jc_route_security_totp_delete(jc_call_t *c, jc_result_t *res,
                                         json_t **out)
{
    *out = NULL;
    jc_security_totp_delete(&c->db, res, &c->conf->ctx, &c->sess, c->now,
                            c->r->pool);
    return res->status != 200 ? res->status
                              : changed(c, "TOTP factor deleted", 0);
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_security[] = {
    /* the "Sicherheit" page: fully signed in; changes also need a recent
     * check (JobcenterReauthWindow, checked by the core) */
    { M_GET, "security", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_security_list },
    { M_POST, "security/reauth/options", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_security_reauth_options },
    { M_POST, "security/reauth", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_security_reauth },
    { M_POST, "security/passkey/rename", JC_LEVEL_FULL, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_security_passkey_rename },
    { M_POST, "security/passkey/delete", JC_LEVEL_FULL, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_security_passkey_delete },
    { M_POST, "security/totp/delete", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_security_totp_delete },
    { 0, NULL, 0, 0, 0, NULL }
};

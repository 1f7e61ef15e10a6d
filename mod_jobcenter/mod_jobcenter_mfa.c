/* The second-factor routes of the JSON API (TOTP): set-up, confirmation of
 * the set-up, and the code check after a password login. The route table in
 * mod_jobcenter_api.c has already checked Origin, session, level and CSRF
 * token; the flows are in the core (jc_mfa.c). */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter.h"
#include "jc_metrics.h"
#include "jc_mfa.h"

APLOG_USE_MODULE(jobcenter);

/* Answer of confirm and verify: the rotated session. */
static int authenticated(jc_call_t *c, const jc_login_out_t *lo,
                         const char *what, json_t **out)
{
    jc_api_set_cookie(c, lo->token);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00120)
                  "%s: account %" APR_INT64_T_FMT " authenticated", what,
                  lo->account_id);
    *out = json_pack("{s:s, s:s, s:I}", "state",
                     jc_session_state_name(lo->state), "csrf_token", lo->csrf,
                     "expires_at", (json_int_t)lo->expires_at);
    return 200;
}

static int jc_route_totp_setup(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_totp_setup_t st;

    *out = NULL;
    jc_mfa_totp_setup(&c->db, res, &st, &c->conf->ctx, &c->sess, c->now,
                      c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00122)
                  "TOTP set-up started: account %" APR_INT64_T_FMT,
                  c->sess.account_id);
    *out = json_pack("{s:s, s:s, s:s}", "secret", st.secret,
                     "otpauth_uri", st.otpauth_uri, "qr_svg", st.qr_svg);
    if (!*out) {
        return jc_result_internal(res, "json_pack of the set-up failed");
    }
    return 200;
}

static int jc_route_totp_confirm(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_login_out_t lo;

    *out = NULL;
    jc_mfa_totp_confirm(&c->db, res, &lo, &c->conf->ctx, &c->sess,
                        jc_api_body_str(c, "code", NULL), c->now,
                        c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    return authenticated(c, &lo, "TOTP set up", out);
}

static int jc_route_totp_verify(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_login_out_t lo;

    *out = NULL;
    jc_mfa_totp_verify(&c->db, res, &lo, &c->conf->ctx, &c->sess,
                       jc_api_body_str(c, "code", NULL), c->now,
                       c->r->pool);
    if (res->status == 401 && res->code
        && !strcmp(res->code, "code_used")) {
        /* a replayed code: someone may have seen it */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00121)
                      "%s (refused)", res->log ? res->log : "replay");
    }
    if (res->status == 429) {
        jc_metrics_inc(JC_M_MFA_TOTP_THROTTLED);
    }
    else if (res->status >= 400 && res->status < 500) {
        jc_metrics_inc(JC_M_MFA_TOTP_FAILED);
    }
    if (res->status != 200) {
        return res->status;
    }
    return authenticated(c, &lo, "TOTP code accepted", out);
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_mfa[] = {
    /* second factor: set-up in mfa_setup_required or (fresh check)
     * authenticated; verify only in mfa_required */
    { M_POST, "mfa/totp/setup", JC_LEVEL_MFA_SETUP, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_totp_setup },
    { M_POST, "mfa/totp/confirm", JC_LEVEL_MFA_SETUP, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_totp_confirm },
    { M_POST, "mfa/totp/verify", JC_LEVEL_MFA_REQUIRED, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_totp_verify },
    { 0, NULL, 0, 0, 0, NULL }
};

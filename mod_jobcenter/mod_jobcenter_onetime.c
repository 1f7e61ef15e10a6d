/* One-time credentials (issue 5): the staff route "Zugangsdaten
 * zurücksetzen" answering with both letters, and the citizen's forced
 * flow (own password, e-mail address). The logic lives in jc_onetime.c;
 * the one-time values are never logged. */
#include <string.h>
#include <apr_base64.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>

#include "mod_jobcenter.h"
#include "jc_onetime.h"

APLOG_USE_MODULE(jobcenter);

/* base64 of a letter as a JSON string (NULL on failure). */
static json_t *b64(const char *data, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)len));

    apr_base64_encode(out, data, (int)len);
    return json_string(out);
}

static json_t *letter_json(int part, const char *name, const char *pdf,
                           apr_size_t len, apr_pool_t *p)
{
    return json_pack("{s:i, s:s, s:s, s:I, s:o}", "part", part,
                     "filename", name, "content_type", "application/pdf",
                     "size", (json_int_t)len, "data_base64",
                     b64(pdf, len, p));
}

/* Reset a customer's credentials: both letters come back in this one
 * answer (JSON, base64) and nowhere else; nothing of them is kept. */
static int jc_route_staff_reset(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_customer_t cust;
    jc_onetime_out_t ro;
    apr_pool_t *p = c->r->pool;

    *out = NULL;
    jc_customer_get(&c->db, res, c->staff->jobcenter_id, c->path_id, &cust,
                    p);
    if (res->status != 200) {
        return res->status;
    }
    jc_onetime_issue(&c->db, res, &c->conf->ctx, c->staff, &cust,
                   c->conf->otc_validity * 86400, c->now, &ro, p);
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00603)
                  "staff %" APR_INT64_T_FMT " reset the credentials of "
                  "customer %" APR_INT64_T_FMT " (account %" APR_INT64_T_FMT
                  ")", c->staff->account_id, cust.id, ro.account_id);
    *out = json_pack("{s:[o, o], s:I}", "letters",
                     letter_json(1, apr_psprintf(p, "Zugangsdaten-1-"
                                                 "Benutzername-%s.pdf",
                                                 cust.kundennummer),
                                 ro.letter_user, ro.letter_user_len, p),
                     letter_json(2, apr_psprintf(p, "Zugangsdaten-2-"
                                                 "Passwort-%s.pdf",
                                                 cust.kundennummer),
                                 ro.letter_pass, ro.letter_pass_len, p),
                     "expires_at", (json_int_t)ro.expires_at);
    memset((void *)ro.password, 0, strlen(ro.password));
    if (!*out) {
        return jc_result_internal(res, "json_pack failed");
    }
    return 201;
}

static int jc_route_reset_password(jc_call_t *c, jc_result_t *res,
                                   json_t **out)
{
    jc_login_out_t lo;
    size_t pwlen = 0, rplen = 0;
    const char *pw = jc_api_body_str(c, "password", &pwlen);
    const char *rp = jc_api_body_str(c, "password_repeat", &rplen);

    *out = NULL;
    jc_onetime_set_password(&c->db, res, &lo, &c->conf->ctx, &c->sess, pw,
                          pwlen, rp, rplen, c->now, c->r->pool);
    if (res->status != 200) {
        if (res->status == 401) {
            jc_api_set_cookie(c, NULL);
        }
        return res->status;
    }
    jc_api_set_cookie(c, lo.token);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00150)
                  "one-time password replaced: account %" APR_INT64_T_FMT
                  ", state %s", lo.account_id,
                  jc_session_state_name(lo.state));
    *out = json_pack("{s:s, s:s, s:I}", "state",
                     jc_session_state_name(lo.state), "csrf_token", lo.csrf,
                     "expires_at", (json_int_t)lo.expires_at);
    return 200;
}

static int jc_route_reset_email(jc_call_t *c, jc_result_t *res, json_t **out)
{
    const char *email = jc_api_body_str(c, "email", NULL);

    *out = NULL;
    jc_onetime_set_email(&c->db, res, &c->conf->ctx, &c->sess, email,
                       json_is_true(json_object_get(c->body,
                                                    "accept_email")),
                       c->now, c->r->pool);
    if (res->status >= 300) {
        return res->status;
    }
    *out = json_pack("{s:s, s:s}", "status", "email_sent", "email",
                     jc_account_normalize_email(email, c->r->pool));
    return 202;
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_onetime[] = {
    { M_POST, "staff/customers/*/zugangsdaten", JC_LEVEL_STAFF, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_staff_reset },
    /* the letter flow (issue 5): exactly password_change_required,
     * exactly email_required */
    { M_POST, "onetime/password", JC_LEVEL_PASSWORD_CHANGE, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_reset_password },
    { M_POST, "onetime/email", JC_LEVEL_EMAIL_REQUIRED, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_reset_email },
    { 0, NULL, 0, 0, 0, NULL }
};

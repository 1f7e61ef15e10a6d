/* The account routes of the API: password policy, registration and its
 * e-mail confirmation, login, logout and the session check of every
 * portal page (GET me). The logic is in jc_account.c and jc_session.c. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter_request.h"
#include "jc_json.h"
#include "jc_metrics.h"
#include "jc_onetime.h"
#include "jc_password.h"
#include "jc_token.h"

APLOG_USE_MODULE(jobcenter);

static int route_policy(jc_call_t *c, jc_result_t *res, json_t **out)
{
    (void)c;
    (void)res;
    *out = json_pack("{s:i, s:i, s:s}", "min_length", JC_PW_MIN_LEN,
                     "max_length", JC_PW_MAX_LEN, "specials",
                     JC_PW_SPECIALS);
    return 200;
}

static int route_register(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_register_in_t in;

    memset(&in, 0, sizeof(in));
    in.email = jc_api_body_str(c, "email", NULL);
    in.password = jc_api_body_str(c, "password", &in.password_len);
    in.password_repeat = jc_api_body_str(c, "password_repeat",
                                  &in.password_repeat_len);
    in.accept_terms = json_is_true(json_object_get(c->body, "accept_terms"));
    in.accept_email = json_is_true(json_object_get(c->body, "accept_email"));
    jc_account_register(&c->db, res, &c->conf->ctx, &in, c->now,
                        c->r->pool);
    *out = json_pack("{s:s}", "status", "email_sent");
    return 202;
}

static int route_confirm(jc_call_t *c, jc_result_t *res, json_t **out)
{
    const char *token = jc_api_body_str(c, "token", NULL);

    jc_account_confirm(&c->db, res, &c->conf->ctx, token, c->now,
                       c->r->pool);
    if (res->status == 404 && token && jc_token_wellformed(token)) {
        /* not a registration link: the address of the letter flow? */
        jc_result_t r2;
        int found = 0;

        jc_result_ok(&r2);
        jc_onetime_confirm(&c->db, &r2, &found,
                         jc_token_hash(token, strlen(token), c->r->pool),
                         c->now, c->r->pool);
        if (found) {
            *res = r2;
        }
    }
    *out = json_pack("{s:s}", "status", "confirmed");
    return 200;
}

static int route_resend(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_account_resend(&c->db, res, &c->conf->ctx,
                      jc_api_body_str(c, "email", NULL), c->now, c->r->pool);
    *out = json_pack("{s:s}", "status", "email_sent");
    return 202;
}

static int route_login(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_login_out_t lo;
    size_t pwlen;
    const char *pw = jc_api_body_str(c, "password", &pwlen);

    jc_account_login(&c->db, res, &lo, &c->conf->ctx,
                     jc_api_body_str(c, "login", NULL), pw, pwlen,
                     c->sess.client_ip, c->sess.user_agent,
                     jc_req_session_cookie(c->r, c->conf), c->now, c->r->pool);
    if (res->status == 429) {
        jc_metrics_inc(JC_M_LOGIN_THROTTLED);
    }
    else if (res->status >= 400 && res->status < 500) {
        jc_metrics_inc(JC_M_LOGIN_FAILED);
    }
    if (res->status != 200) {
        *out = NULL;
        return res->status;
    }
    jc_metrics_inc(JC_M_LOGIN_OK);
    c->audit_account = lo.account_id;
    jc_api_set_cookie(c, lo.token);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00110)
                  "login ok: account %" APR_INT64_T_FMT ", state %s",
                  lo.account_id, jc_session_state_name(lo.state));
    *out = json_pack("{s:s, s:s, s:I}", "state",
                     jc_session_state_name(lo.state), "csrf_token", lo.csrf,
                     "expires_at", (json_int_t)lo.expires_at);
    if (*out && lo.state == JC_SESS_MFA_REQUIRED) {
        /* which second factors the account has, for zweiter-faktor.html */
        json_t *f = json_array();

        if (lo.has_totp) {
            json_array_append_new(f, json_string("totp"));
        }
        if (lo.has_passkey) {
            json_array_append_new(f, json_string("passkey"));
        }
        json_object_set_new(*out, "factors", f);
    }
    return 200;
}

static int route_logout(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_db_rc_e rc = jc_session_delete(&c->db, c->sess.id_hash, c->r->pool);

    *out = NULL;
    if (rc == JC_DB_BUSY) {
        return jc_result_unavailable(res, c->db.last_error);
    }
    if (rc != JC_DB_OK) {
        return jc_result_internal(res, c->db.last_error);
    }
    jc_api_set_cookie(c, NULL);
    return 204;
}

/* The session check of every portal page: written directly, since a
 * jansson tree + json_dumps cost more than the rest of the request. */
static int route_me(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_session_t *s = &c->sess;
    apr_pool_t *p = c->r->pool;

    (void)res;
    *out = NULL;
    /* apr_pstrcat + apr_ltoa: a third of apr_psprintf's cost */
    c->text = apr_pstrcat(p,
        "{\"account\":{\"id\":", apr_ltoa(p, (long)s->account_id),
        ",\"email\":", jc_json_quote(s->email, p),
        ",\"username\":", jc_json_quote(s->username, p),
        ",\"email_confirmed\":", s->email_confirmed ? "true" : "false",
        ",\"created_at\":", apr_ltoa(p, (long)s->created_at),
        "},\"session\":{\"state\":\"", jc_session_state_name(s->state),
        "\",\"expires_at\":", apr_ltoa(p, (long)s->expires_at),
        ",\"idle_timeout\":", apr_ltoa(p, (long)c->conf->idle),
        "},\"csrf_token\":",
        jc_json_quote(s->csrf_token ? s->csrf_token : "", p), "}", NULL);
    return 200;
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_account[] = {
    { M_GET, "password-policy", JC_LEVEL_PUBLIC, JC_BODY_NONE, JC_CONN_NONE,
      route_policy },
    { M_POST, "register", JC_LEVEL_PUBLIC, JC_BODY_JSON, JC_CONN_HANDLER,
      route_register },
    { M_POST, "email/confirm", JC_LEVEL_PUBLIC, JC_BODY_JSON, JC_CONN_HANDLER,
      route_confirm },
    { M_POST, "email/resend", JC_LEVEL_PUBLIC, JC_BODY_JSON, JC_CONN_HANDLER,
      route_resend },
    { M_POST, "login", JC_LEVEL_PUBLIC, JC_BODY_JSON, JC_CONN_HANDLER,
      route_login },
    { M_POST, "logout", JC_LEVEL_PARTIAL, JC_BODY_NONE, JC_CONN_HANDLER,
      route_logout },
    { M_GET, "me", JC_LEVEL_PARTIAL, JC_BODY_NONE, JC_CONN_SESSION, route_me },
    { 0, NULL, 0, 0, 0, NULL }
};

/* The routes of "Passwort vergessen", the postcode lookup of
 * "Benutzername / E-Mail-Adresse vergessen" and the "Konto" page. The
 * route table in mod_jobcenter_api.c has checked Origin, session level
 * and CSRF token; the flows are in the core (jc_forgot.c, jc_konto.c). */
#include <string.h>
#include <time.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <util_script.h>

#include "mod_jobcenter.h"
#include "jc_konto.h"
#include "jc_erase.h"
#include "jc_export.h"
#include "jc_forgot.h"
#include "jc_time.h"

APLOG_USE_MODULE(jobcenter);

/* Log a change at info (who did what). */
static void changed(jc_call_t *c, apr_int64_t account, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00170)
                  "account %" APR_INT64_T_FMT ": %s", account, what);
}

static int jc_route_password_forgot(jc_call_t *c, jc_result_t *res,
                                    json_t **out)
{
    jc_forgot_request(&c->db, res, &c->conf->ctx,
                      jc_api_body_str(c, "email", NULL), c->sess.client_ip,
                      c->now, c->r->pool);
    if (res->status != 202) {
        *out = NULL;
        return res->status;
    }
    if (res->log) {
        /* only in the log, never in the answer */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00171) "%s",
                      res->log);
    }
    *out = json_pack("{s:s}", "status", "email_sent");
    return 202;
}

static int jc_route_password_reset_check(jc_call_t *c, jc_result_t *res,
                                         json_t **out)
{
    apr_int64_t exp = 0;

    jc_forgot_check(&c->db, res, &c->conf->ctx,
                    jc_api_body_str(c, "token", NULL), &exp, c->now,
                    c->r->pool);
    if (res->status != 200) {
        *out = NULL;
        return res->status;
    }
    *out = json_pack("{s:s, s:I}", "status", "valid", "expires_at",
                     (json_int_t)exp);
    return 200;
}

static int jc_route_password_reset(jc_call_t *c, jc_result_t *res,
                                   json_t **out)
{
    size_t pwlen = 0, replen = 0;
    const char *pw = jc_api_body_str(c, "password", &pwlen);
    const char *rep = jc_api_body_str(c, "password_repeat", &replen);

    *out = NULL;
    jc_forgot_finish(&c->db, res, &c->conf->ctx,
                     jc_api_body_str(c, "token", NULL), pw, pwlen, rep,
                     replen, c->now, c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00172) "%s",
                  res->log ? res->log : "password reset");
    res->log = NULL;
    *out = json_pack("{s:s}", "status", "password_changed");
    return 200;
}

static int jc_route_jobcenter_lookup(jc_call_t *c, jc_result_t *res,
                                     json_t **out)
{
    apr_table_t *args = NULL;

    ap_args_to_table(c->r, &args);
    jc_forgot_lookup(&c->db, res, out, &c->conf->ctx,
                     args ? apr_table_get(args, "plz") : NULL,
                     c->sess.client_ip, c->now, c->r->pool);
    return res->status;
}

static int jc_route_konto_get(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_konto_get(&c->db, res, out, &c->conf->ctx, &c->sess, c->now,
                 c->r->pool);
    return res->status;
}

static int jc_route_konto_password(jc_call_t *c, jc_result_t *res,
                                   json_t **out)
{
    size_t curlen = 0, pwlen = 0, replen = 0;
    const char *cur = jc_api_body_str(c, "current_password", &curlen);
    const char *pw = jc_api_body_str(c, "password", &pwlen);
    const char *rep = jc_api_body_str(c, "password_repeat", &replen);

    *out = NULL;
    jc_konto_password(&c->db, res, &c->conf->ctx, &c->sess, cur, curlen, pw,
                      pwlen, rep, replen, c->now, c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    changed(c, c->sess.account_id, "password changed");
    return 204;
}

static int jc_route_konto_email(jc_call_t *c, jc_result_t *res, json_t **out)
{
    const char *pending = NULL;

    *out = NULL;
    jc_konto_email_request(&c->db, res, &c->conf->ctx, &c->sess,
                           jc_api_body_str(c, "email", NULL), &pending,
                           c->now, c->r->pool);
    if (res->status != 202) {
        return res->status;
    }
    changed(c, c->sess.account_id, "new e-mail address requested");
    *out = json_pack("{s:s, s:s}", "status", "email_sent", "pending_email",
                     pending);
    return 202;
}

static int jc_route_konto_email_confirm(jc_call_t *c, jc_result_t *res,
                                        json_t **out)
{
    const char *email = NULL;

    *out = NULL;
    jc_konto_email_confirm(&c->db, res, &c->conf->ctx,
                           jc_api_body_str(c, "token", NULL), &email, c->now,
                           c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    *out = json_pack("{s:s, s:s}", "status", "email_changed", "email",
                     email);
    return 200;
}

static int jc_route_konto_session_end(jc_call_t *c, jc_result_t *res,
                                      json_t **out)
{
    *out = NULL;
    jc_konto_session_end(&c->db, res, &c->conf->ctx, &c->sess,
                         jc_api_body_str(c, "id", NULL), c->now, c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    changed(c, c->sess.account_id, "ended another session");
    return 204;
}

static int jc_route_konto_sessions_end(jc_call_t *c, jc_result_t *res,
                                       json_t **out)
{
    int n = 0;

    *out = NULL;
    jc_konto_sessions_end_others(&c->db, res, &c->conf->ctx, &c->sess, &n,
                                 c->now, c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    changed(c, c->sess.account_id, "ended all other sessions");
    *out = json_pack("{s:i}", "ended", n);
    return 200;
}

static int jc_route_konto_export(jc_call_t *c, jc_result_t *res, json_t **out)
{
    json_t *data = NULL;
    char *txt, day[11];

    *out = NULL;
    jc_export_account(&c->db, res, &data, &c->conf->ctx, &c->sess, c->now,
                      c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    txt = json_dumps(data, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(data);
    if (!txt) {
        return jc_result_internal(res, "json_dumps of the export failed");
    }
    c->raw = apr_pstrdup(c->r->pool, txt);
    c->raw_len = strlen(txt);
    c->raw_type = "application/json; charset=utf-8";
    free(txt);
    jc_berlin_date_iso(c->now, day);
    apr_table_setn(c->r->err_headers_out, "Content-Disposition",
                   apr_psprintf(c->r->pool, "attachment; filename=\""
                                "jobcenter-digital-meine-daten-%s.json\"",
                                day));
    changed(c, c->sess.account_id, "data export");
    return 200;
}

static int jc_route_konto_delete(jc_call_t *c, jc_result_t *res, json_t **out)
{
    size_t pwlen = 0;
    const char *pw = jc_api_body_str(c, "password", &pwlen);

    *out = NULL;
    jc_erase_account(&c->db, res, &c->conf->ctx, &c->sess, pw, pwlen,
                     json_is_true(json_object_get(c->body, "confirm")),
                     c->now, c->r->pool);
    if (res->status != 204) {
        return res->status;
    }
    changed(c, c->sess.account_id, "login account deleted");
    jc_api_set_cookie(c, NULL);
    return 204;
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_konto[] = {
    /* forgotten credentials (anonymous) and the "Konto" page (signed
     * in; changes also need a recent check, checked by the core) */
    { M_POST, "password/forgot", JC_LEVEL_PUBLIC, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_password_forgot },
    { M_POST, "password/reset/check", JC_LEVEL_PUBLIC, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_password_reset_check },
    { M_POST, "password/reset", JC_LEVEL_PUBLIC, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_password_reset },
    { M_GET, "jobcenter/suche", JC_LEVEL_PUBLIC, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_jobcenter_lookup },
    { M_GET, "konto", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_konto_get },
    { M_POST, "konto/passwort", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_konto_password },
    { M_POST, "konto/email", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_konto_email },
    { M_POST, "konto/email/confirm", JC_LEVEL_PUBLIC, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_konto_email_confirm },
    { M_POST, "konto/sitzungen/beenden", JC_LEVEL_FULL, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_konto_session_end },
    { M_POST, "konto/sitzungen/andere-beenden", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_konto_sessions_end },
    { M_GET, "konto/export", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_konto_export },
    { M_POST, "konto/loeschen", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_konto_delete },
    { 0, NULL, 0, 0, 0, NULL }
};

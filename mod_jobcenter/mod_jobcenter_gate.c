/* The Apache gate: protect any <Location> with a two-factor session.
 *
 *   AuthType jobcenter
 *   Require jobcenter-session          (authenticated, level 5)
 *   Require jobcenter-role <role>      (registered; always denies for now)
 *   JobcenterGateHeaders On|Off        (X-Jobcenter-* for proxied backends)
 *
 * check_user_id loads the session from the cookie (jc_session_load, one
 * SELECT), sets r->user and keeps the session in the request config for the
 * authz providers. Without a valid session browsers get a 303 to the login
 * page, API/XHR requests a 401 JSON answer. */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>

#include "mod_jobcenter.h"

APLOG_USE_MODULE(jobcenter);

#define JC_GATE_AUTH_TYPE "jobcenter"
#define JC_GATE_LOGIN     "/anmeldung.html"

static const char *const gate_headers[] = {
    "X-Jobcenter-User", "X-Jobcenter-Kundennummer", "X-Jobcenter-Auth-Level",
    NULL
};

void *jc_create_dir_conf(apr_pool_t *p, char *dir)
{
    jc_dir_conf_t *d = apr_pcalloc(p, sizeof(*d));

    (void)dir;
    d->gate_headers = -1;
    return d;
}

void *jc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    jc_dir_conf_t *base = basev, *add = addv;
    jc_dir_conf_t *d = apr_pcalloc(p, sizeof(*d));

    d->gate_headers = add->gate_headers != -1 ? add->gate_headers
                                              : base->gate_headers;
    return d;
}

static int is_gate(request_rec *r)
{
    const char *t = ap_auth_type(r);

    return t && !strcasecmp(t, JC_GATE_AUTH_TYPE);
}

/* A same-site path: one leading '/', not '//' or '/\', no control chars. */
int jc_gate_safe_target(const char *u)
{
    const unsigned char *s = (const unsigned char *)u;

    if (!u || u[0] != '/' || u[1] == '/' || u[1] == '\\') {
        return 0;
    }
    for (; *s; s++) {
        if (*s < 0x20 || *s == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
static const char *pct_encode(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static int wants_json(request_rec *r)
{
    const char *a = apr_table_get(r->headers_in, "Accept");

    return (a && ap_strcasestr(a, "application/json"))
           || apr_table_get(r->headers_in, "X-Requested-With")
           || !strncmp(r->uri, "/api/", 5);
}

/* Answer a request that has no (good enough) session. */
static int deny(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, JCLOG(00501)
                  "gate: %s %s: no two-factor session (%s)", r->method,
                  r->uri, why);
    if (wants_json(r)) {
        static const char body[] = "{\"error\":{\"code\":\"not_authenticated\","
            "\"message\":\"Bitte melden Sie sich an.\"}}";

        r->status = HTTP_UNAUTHORIZED;
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        ap_set_content_type(r, "application/json");
        ap_set_content_length(r, (apr_off_t)(sizeof(body) - 1));
        if (!r->header_only) {
            ap_rwrite(body, (int)(sizeof(body) - 1), r);
        }
        return DONE;
    }
    {
        const char *target = r->unparsed_uri;
        const char *loc = JC_GATE_LOGIN;

        if (jc_gate_safe_target(target)) {
            loc = apr_pstrcat(r->pool, JC_GATE_LOGIN "?ziel=",
                              pct_encode(r->pool, target), NULL);
        }
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        apr_table_setn(r->headers_out, "Location", loc);
        return HTTP_SEE_OTHER;
    }
}

/* Spoofed gate headers never reach a backend, whatever the check says. */
static int gate_header_parser(request_rec *r)
{
    int i;

    if (!is_gate(r)) {
        return DECLINED;
    }
    for (i = 0; gate_headers[i]; i++) {
        apr_table_unset(r->headers_in, gate_headers[i]);
    }
    return DECLINED;
}

static int gate_check_user_id(request_rec *r)
{
    jc_srv_conf_t *conf;
    jc_dir_conf_t *dconf;
    jc_call_t c;
    jc_session_t *sess;
    const char *token;
    ap_dbd_t *dbd;
    int expired = 0, i;
    jc_db_rc_e rc;

    if (!is_gate(r)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->server->module_config, &jobcenter_module);
    if (conf->engine != 1) {
        return DECLINED;
    }
    for (i = 0; gate_headers[i]; i++) {
        apr_table_unset(r->headers_in, gate_headers[i]);
    }
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.conf = conf;
    token = jc_api_session_cookie(&c);
    if (!token) {
        return deny(r, "no cookie");
    }
    dbd = jc_dbd_acquire(r);
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, JCLOG(00502)
                      "gate: no database connection");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    c.db.driver = dbd->driver;
    c.db.handle = dbd->handle;
    c.db.prepared = dbd->prepared;
    sess = apr_pcalloc(r->pool, sizeof(*sess));
    rc = jc_session_load(&c.db, sess, &expired, token, &conf->ctx.sess,
                         (apr_int64_t)apr_time_sec(r->request_time),
                         r->pool);
    if (rc == JC_DB_NOROW) {
        return deny(r, expired ? "session expired" : "unknown session");
    }
    if (rc != JC_DB_OK) {
        ap_log_rerror(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_WARNING
                      : APLOG_ERR, 0, r, JCLOG(00503)
                      "gate: session lookup failed: %s",
                      c.db.last_error ? c.db.last_error : jc_db_rc_name(rc));
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (jc_session_level(sess->state) < 5) {
        return deny(r, jc_session_state_name(sess->state));
    }
    r->user = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, sess->account_id);
    r->ap_auth_type = (char *)ap_auth_type(r);   /* CGI AUTH_TYPE */
    ap_set_module_config(r->request_config, &jobcenter_module, sess);
    dconf = ap_get_module_config(r->per_dir_config, &jobcenter_module);
    if (dconf && dconf->gate_headers == 1) {
        apr_table_setn(r->headers_in, "X-Jobcenter-User", r->user);
        apr_table_setn(r->headers_in, "X-Jobcenter-Auth-Level", "2fa");
        /* X-Jobcenter-Kundennummer: once accounts have one */
    }
    return OK;
}

static authz_status session_check(request_rec *r, const char *line,
                                  const void *parsed)
{
    jc_session_t *sess;

    (void)line;
    (void)parsed;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    sess = ap_get_module_config(r->request_config, &jobcenter_module);
    return sess && jc_session_level(sess->state) >= 5 ? AUTHZ_GRANTED
                                                     : AUTHZ_DENIED;
}

/* Staff roles do not exist yet: always deny, and say so. */
static authz_status role_check(request_rec *r, const char *line,
                               const void *parsed)
{
    (void)parsed;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, JCLOG(00504)
                  "gate: Require jobcenter-role %s: denied, staff roles "
                  "are not implemented yet", line ? line : "");
    return AUTHZ_DENIED;
}

/* Nothing to add to a 401 (no WWW-Authenticate scheme for a cookie); claim
 * the AuthType so that httpd does not log it as unhandled. */
static int gate_note_auth_failure(request_rec *r, const char *auth_type)
{
    (void)r;
    return strcasecmp(auth_type, JC_GATE_AUTH_TYPE) ? DECLINED : OK;
}

static const authz_provider session_provider = { session_check, NULL };
static const authz_provider role_provider = { role_check, NULL };

void jc_gate_register_hooks(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jobcenter-session",
                              AUTHZ_PROVIDER_VERSION, &session_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jobcenter-role",
                              AUTHZ_PROVIDER_VERSION, &role_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(gate_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_header_parser(gate_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(gate_check_user_id, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
}

/* The Apache gate: protect any <Location> with a two-factor session.
 *
 *   AuthType jobcenter
 *   Require jobcenter-session          (authenticated, level 5)
 *   Require jobcenter-role <role>      (staff: sachbearbeitung | admin)
 *   JobcenterGateHeaders On|Off        (X-Jobcenter-* for proxied backends:
 *                                       account id, Kundennummer, level)
 *
 * check_user_id loads the session from the cookie (jc_request_session:
 * the session cache, on a miss one SELECT), sets r->user and keeps the
 * session in the request config for the authz providers. Without a valid session browsers get a 303 to the login
 * page, API/XHR requests a 401 JSON answer.
 *
 * Roles: the jobcenter-role provider checks the staff row (enabled, role;
 * admin implies sachbearbeitung). An ordinary role denial is answered by
 * the gate's own check_authz hook, which runs before mod_authz_core's:
 * a German 403 page for browsers, 403 JSON for API/XHR clients, one info
 * line in the log (mod_authz_core would log AH01631 at [error] for every
 * refused citizen). The hook only ever denies; granting is left to
 * mod_authz_core, which evaluates all Require lines as configured.
 *
 * What reaches the backend: every request header that a backend could
 * fold into an X-Jobcenter-* name (X_Jobcenter_User, x-jobcenter_user, ...)
 * is removed before the gate sets its own, and the portal's session cookie
 * is taken out of the Cookie header once the session was accepted (it is a
 * bearer credential for the whole citizen API). The gate's own answers
 * (401, 303, 403, 503) carry a restrictive CSP, X-Frame-Options,
 * Referrer-Policy and nosniff. */
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

#include "mod_jobcenter_request.h"

APLOG_USE_MODULE(jobcenter);

#define JC_GATE_AUTH_TYPE "jobcenter"
#define JC_GATE_LOGIN     "/anmeldung.html"

/* The token the gate accepted, kept for subrequests and internal
 * redirects after the cookie left the Cookie header. */
#define JC_GATE_TOKEN_KEY "jc_gate_token"

/* Headers of the gate's own answers: nothing to load but the 403 page's
 * stylesheet, never framed, no Referer, no sniffing. */
#define JC_GATE_CSP "default-src 'none'; style-src 'self'; " \
                    "base-uri 'none'; form-action 'none'; " \
                    "frame-ancestors 'none'"

static void answer_headers(request_rec *r)
{
    apr_table_t *t = r->err_headers_out;

    apr_table_setn(t, "Cache-Control", "no-store");
    apr_table_setn(t, "Content-Security-Policy", JC_GATE_CSP);
    apr_table_setn(t, "X-Frame-Options", "DENY");
    apr_table_setn(t, "Referrer-Policy", "no-referrer");
    apr_table_setn(t, "X-Content-Type-Options", "nosniff");
}

void *jc_create_dir_conf(apr_pool_t *p, char *dir)
{
    jc_dir_conf_t *d = apr_pcalloc(p, sizeof(*d));

    (void)dir;
    d->gate_headers = -1;
    d->gate_role = 0;
    return d;
}

void *jc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    jc_dir_conf_t *base = basev, *add = addv;
    jc_dir_conf_t *d = apr_pcalloc(p, sizeof(*d));

    d->gate_headers = add->gate_headers != -1 ? add->gate_headers
                                              : base->gate_headers;
    d->gate_role = add->gate_role ? add->gate_role : base->gate_role;
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

/* Send the constant answer text (len bytes) as ctype. */
static void send_fixed(request_rec *r, const char *ctype, const char *text,
                       apr_size_t len)
{
    ap_set_content_type(r, ctype);
    ap_set_content_length(r, (apr_off_t)len);
    jc_write_body(r, text, len);
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
        answer_headers(r);
        send_fixed(r, "application/json", body, sizeof(body) - 1);
        return DONE;
    }
    {
        const char *target = r->unparsed_uri;
        const char *loc = JC_GATE_LOGIN;

        if (jc_gate_safe_target(target)) {
            loc = apr_pstrcat(r->pool, JC_GATE_LOGIN "?ziel=",
                              pct_encode(r->pool, target), NULL);
        }
        answer_headers(r);
        apr_table_setn(r->headers_out, "Location", loc);
        return HTTP_SEE_OTHER;
    }
}

/* 503 from the gate: httpd's error page with the gate's headers. */
static int unavailable(request_rec *r)
{
    answer_headers(r);
    return HTTP_SERVICE_UNAVAILABLE;
}

/* A name that is, or that a backend may fold into, an X-Jobcenter-*
 * header: "x-jobcenter-" once lower-cased with every character that is
 * not a letter or digit read as '-' (X_Jobcenter_User, x-jobcenter_user,
 * X.JOBCENTER-USER, ...; CGI, PHP, WSGI and others fold '_' and '-'). */
static int gate_lookalike(const char *name)
{
    static const char want[] = "x-jobcenter-";
    size_t i;

    for (i = 0; want[i]; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!c) {
            return 0;
        }
        c = apr_isalnum(c) ? (unsigned char)apr_tolower(c) : '-';
        if (c != (unsigned char)want[i]) {
            return 0;
        }
    }
    return 1;
}

/* Remove every X-Jobcenter-* look-alike the client sent. */
static void strip_gate_headers(request_rec *r)
{
    const apr_array_header_t *a = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_array_header_t *drop = NULL;
    int i;

    for (i = 0; i < a->nelts; i++) {
        if (e[i].key && gate_lookalike(e[i].key)) {
            if (!drop) {
                drop = apr_array_make(r->pool, 4, sizeof(const char *));
            }
            APR_ARRAY_PUSH(drop, const char *) = e[i].key;
        }
    }
    for (i = 0; drop && i < drop->nelts; i++) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(drop, i, const char *));
    }
}

static int is_session_cookie(const char *name, size_t len)
{
    int i;

    /* both names, whichever of them this host uses */
    for (i = 0; jc_req_cookie_names[i]; i++) {
        if (strlen(jc_req_cookie_names[i]) == len
            && !strncasecmp(name, jc_req_cookie_names[i], len)) {
            return 1;
        }
    }
    return 0;
}

/* A Cookie header without the session cookies: NULL when nothing is
 * left, hdr itself when nothing was removed. Pieces end at ';' and also at
 * ',' (two Cookie header lines arrive joined by ", ", and some backends
 * split there); names compare case-insensitively. Kept pieces are copied
 * as they were sent, with the separator in front of them. */
static const char *cookie_without_session(apr_pool_t *p, const char *hdr)
{
    char *out = apr_palloc(p, strlen(hdr) + 1), *o = out;
    const char *s = hdr;
    int removed = 0, kept = 0;

    for (;;) {
        /* a piece: [start, end), start at hdr or at its separator */
        const char *start = s, *n = s == hdr ? s : s + 1, *end, *ne;

        end = n + strcspn(n, ";,");
        while (n < end && (*n == ' ' || *n == '\t')) {
            n++;
        }
        ne = memchr(n, '=', (size_t)(end - n));
        ne = ne ? ne : end;
        while (ne > n && (ne[-1] == ' ' || ne[-1] == '\t')) {
            ne--;
        }
        if (ne > n && is_session_cookie(n, (size_t)(ne - n))) {
            removed = 1;
        }
        else if (n < end) {
            const char *from = o == out ? n : start;

            memcpy(o, from, (size_t)(end - from));
            o += end - from;
            kept = 1;
        }
        if (!*end) {
            break;
        }
        s = end;
    }
    *o = '\0';
    if (!removed) {
        return hdr;
    }
    return kept ? out : NULL;
}

/* Take the session cookies out of every Cookie header line; a line with
 * nothing else in it goes. */
static void strip_session_cookie(request_rec *r)
{
    const apr_array_header_t *a = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_array_header_t *keep = apr_array_make(r->pool, 1,
                                              sizeof(const char *));
    int i, changed = 0;

    for (i = 0; i < a->nelts; i++) {
        const char *v;

        if (!e[i].key || strcasecmp(e[i].key, "Cookie") || !e[i].val) {
            continue;
        }
        v = cookie_without_session(r->pool, e[i].val);
        changed |= v != e[i].val;
        if (v) {
            APR_ARRAY_PUSH(keep, const char *) = v;
        }
    }
    if (!changed) {
        return;
    }
    apr_table_unset(r->headers_in, "Cookie");
    for (i = 0; i < keep->nelts; i++) {
        apr_table_addn(r->headers_in, "Cookie",
                       APR_ARRAY_IDX(keep, i, const char *));
    }
}

/* The session token: from the Cookie header, or, once the gate took it
 * out of there, the one this request's main request (subrequest) or the
 * request before an internal redirect (same pool) accepted. */
static const char *gate_token(request_rec *r, const jc_srv_conf_t *conf)
{
    const char *token = jc_req_session_cookie(r, conf);
    const request_rec *q;

    for (q = r; !token && q; q = q->main) {
        void *v = NULL;

        apr_pool_userdata_get(&v, JC_GATE_TOKEN_KEY, q->pool);
        token = v;
    }
    return token;
}

/* Spoofed gate headers never reach a backend, whatever the check says. */
static int gate_header_parser(request_rec *r)
{
    if (!is_gate(r)) {
        return DECLINED;
    }
    strip_gate_headers(r);
    return DECLINED;
}

/* The session's answer when it is not OK: a 303/401 (deny) or a 503. */
static int session_refused(request_rec *r, jc_req_sess_e st, jc_db_rc_e rc,
                           const jc_db_t *db)
{
    if (st == JC_REQ_SESS_NO_DB) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, JCLOG(00502)
                      "gate: no database connection");
        jc_metrics_count_503(NULL, "no database connection");
        return unavailable(r);
    }
    if (st != JC_REQ_SESS_DB_FAILED) {
        return deny(r, st == JC_REQ_SESS_EXPIRED ? "session expired"
                                                 : "unknown session");
    }
    ap_log_rerror(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_WARNING
                  : APLOG_ERR, 0, r, JCLOG(00503)
                  "gate: session lookup failed: %s",
                  db->last_error ? db->last_error : jc_db_rc_name(rc));
    jc_metrics_count_503(NULL, db->last_error);
    return unavailable(r);
}

static int gate_check_user_id(request_rec *r)
{
    jc_srv_conf_t *conf;
    jc_dir_conf_t *dconf;
    jc_db_t db;
    jc_session_t *sess;
    const char *token;
    int headers;
    jc_req_sess_e st;
    jc_db_rc_e rc;

    if (!is_gate(r)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->server->module_config, &jobcenter_module);
    if (conf->engine != 1) {
        return DECLINED;
    }
    strip_gate_headers(r);
    token = gate_token(r, conf);
    if (!token) {
        return deny(r, "no cookie");
    }
    memset(&db, 0, sizeof(db));
    sess = apr_pcalloc(r->pool, sizeof(*sess));
    dconf = ap_get_module_config(r->per_dir_config, &jobcenter_module);
    headers = dconf && dconf->gate_headers == 1;
    /* through the session cache; on a miss one SELECT, the Kundennummer
     * joined in only where it is passed on */
    st = jc_req_session(r, conf, token, headers, 0, &db, sess, &rc);
    if (st != JC_REQ_SESS_OK) {
        return session_refused(r, st, rc, &db);
    }
    if (jc_session_level(sess->state) < JC_SESSION_LEVEL_FULL) {
        return deny(r, jc_session_state_name(sess->state));
    }
    r->user = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, sess->account_id);
    r->ap_auth_type = (char *)ap_auth_type(r);   /* CGI AUTH_TYPE */
    ap_set_module_config(r->request_config, &jobcenter_module, sess);
    /* the backend gets the account, never the credential */
    apr_pool_userdata_setn(token, JC_GATE_TOKEN_KEY, NULL, r->pool);
    strip_session_cookie(r);
    if (headers) {
        apr_table_setn(r->headers_in, "X-Jobcenter-User", r->user);
        apr_table_setn(r->headers_in, "X-Jobcenter-Auth-Level", "2fa");
        if (sess->kundennummer) {
            apr_table_setn(r->headers_in, "X-Jobcenter-Kundennummer",
                           sess->kundennummer);
        }
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
    return sess && jc_session_level(sess->state) >= JC_SESSION_LEVEL_FULL
           ? AUTHZ_GRANTED
                                                     : AUTHZ_DENIED;
}

/* The caller's staff row (the request layer's, loaded once per request;
 * NULL: not staff or the database failed; *rc tells). */
static const jc_staff_t *gate_staff(request_rec *r, const jc_session_t *sess,
                                    jc_db_rc_e *rc)
{
    const jc_staff_t *st;
    jc_db_t db;

    memset(&db, 0, sizeof(db));
    *rc = jc_req_staff(r, &db, sess->account_id, &st);
    if (*rc != JC_DB_OK && *rc != JC_DB_NOROW && db.driver) {
        ap_log_rerror(APLOG_MARK, *rc == JC_DB_BUSY ? APLOG_WARNING
                      : APLOG_ERR, 0, r, JCLOG(00505)
                      "gate: staff lookup failed: %s",
                      db.last_error ? db.last_error : jc_db_rc_name(*rc));
    }
    return st;
}

/* Require jobcenter-role ROLE: parsed at start-up (unknown roles are a
 * configuration error); the role is also kept in the directory's
 * configuration for the gate's check_authz hook. */
static const char *role_parse(cmd_parms *cmd, const char *line,
                              const void **parsed)
{
    int *role = apr_palloc(cmd->pool, sizeof(*role));
    const char *w = ap_getword_conf(cmd->temp_pool, &line);

    *role = jc_staff_role_parse(w);
    if (!*role || *ap_getword_conf(cmd->temp_pool, &line)) {
        return "Require jobcenter-role: takes one role, sachbearbeitung "
               "or admin";
    }
    *parsed = role;
    if (cmd->context) {
        /* the section's configuration of this module exists only once one
         * of its directives ran there: create it if need be */
        jc_dir_conf_t *d = ap_set_config_vectors(cmd->server, cmd->context,
                                                 cmd->path,
                                                 &jobcenter_module,
                                                 cmd->pool);

        if (d && *role > d->gate_role) {
            d->gate_role = *role;
        }
    }
    return NULL;
}

static authz_status role_check(request_rec *r, const char *line,
                               const void *parsed)
{
    const jc_session_t *sess;
    const jc_staff_t *st;
    jc_db_rc_e rc;

    (void)line;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    sess = ap_get_module_config(r->request_config, &jobcenter_module);
    if (!sess || jc_session_level(sess->state) < JC_SESSION_LEVEL_FULL
        || !parsed) {
        return AUTHZ_DENIED;
    }
    st = gate_staff(r, sess, &rc);
    if (rc != JC_DB_OK && rc != JC_DB_NOROW) {
        return AUTHZ_GENERAL_ERROR;
    }
    return jc_staff_allows(st, *(const int *)parsed) ? AUTHZ_GRANTED
                                                     : AUTHZ_DENIED;
}

/* 403 for a signed-in user without the role: German page or JSON. */
static int role_deny(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, JCLOG(00504)
                  "gate: %s %s: account %s refused (%s)", r->method, r->uri,
                  r->user ? r->user : "-", why);
    r->status = HTTP_FORBIDDEN;
    answer_headers(r);
    if (wants_json(r)) {
        static const char body[] = "{\"error\":{\"code\":\"staff_only\","
            "\"message\":\"Dieser Bereich ist Mitarbeiterinnen und "
            "Mitarbeitern des Jobcenters mit der passenden Rolle "
            "vorbehalten.\",\"field\":null}}";

        send_fixed(r, "application/json; charset=utf-8", body,
                   sizeof(body) - 1);
    }
    else {
        static const char page[] = "<!DOCTYPE html>\n<html lang=\"de\">\n"
            "<head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\">"
            "<title>Kein Zugriff – Jobcenter.Digital</title>"
            "<link rel=\"stylesheet\" href=\"/css/portal.css\"></head>\n"
            "<body><main class=\"page\"><h1>Kein Zugriff</h1>"
            "<p>Dieser Bereich ist Mitarbeiterinnen und Mitarbeitern des "
            "Jobcenters mit der passenden Rolle vorbehalten.</p>"
            "<p><a href=\"/start.html\">Zur Startseite</a></p>"
            "</main></body>\n</html>\n";

        send_fixed(r, "text/html; charset=utf-8", page, sizeof(page) - 1);
    }
    return DONE;
}

/* Runs before mod_authz_core's check_authz: a location that requires a
 * staff role refuses a signed-in user without it right here (no AH01631
 * [error] line); everything else goes on to mod_authz_core. */
static int gate_check_authz(request_rec *r)
{
    jc_dir_conf_t *dconf;
    const jc_session_t *sess;
    const jc_staff_t *st;
    const char *why;
    jc_db_rc_e rc;

    if (!is_gate(r) || !r->user) {
        return DECLINED;
    }
    dconf = ap_get_module_config(r->per_dir_config, &jobcenter_module);

    if (!dconf || dconf->gate_role <= 0) {
        return DECLINED;
    }
    sess = ap_get_module_config(r->request_config, &jobcenter_module);
    if (!sess) {
        return DECLINED;
    }
    st = gate_staff(r, sess, &rc);
    if (rc != JC_DB_OK && rc != JC_DB_NOROW) {
        jc_metrics_count_503(NULL, rc == JC_DB_BUSY ? NULL
                             : "no database connection");
        return unavailable(r);
    }
    why = jc_req_role_refusal(st, dconf->gate_role);
    return why ? role_deny(r, why) : DECLINED;
}

/* Nothing to add to a 401 (no WWW-Authenticate scheme for a cookie); claim
 * the AuthType so that httpd does not log it as unhandled. */
static int gate_note_auth_failure(request_rec *r, const char *auth_type)
{
    (void)r;
    return strcasecmp(auth_type, JC_GATE_AUTH_TYPE) ? DECLINED : OK;
}

static const authz_provider session_provider = { session_check, NULL };
static const authz_provider role_provider = { role_check, role_parse };

void jc_gate_register_hooks(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jobcenter-session",
                              AUTHZ_PROVIDER_VERSION, &session_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jobcenter-role",
                              AUTHZ_PROVIDER_VERSION, &role_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authz(gate_check_authz, NULL, NULL, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(gate_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_header_parser(gate_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(gate_check_user_id, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
}

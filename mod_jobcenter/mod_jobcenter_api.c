/* mod_jobcenter JSON API: the dispatcher. It looks the request up in the
 * feature glue's route tables, runs the request checks (method, Origin,
 * body type and size, session state, CSRF, staff role) through the
 * request layer (mod_jobcenter_request.c) and sends the JSON responses.
 * Each route declares the lowest session state it accepts; nothing else
 * reaches its handler. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_script.h>

#include "mod_jobcenter_request.h"
#include "jc_event.h"
#include "jc_metrics.h"
#include "jc_token.h"
#include "jc_openapi_yaml.h"   /* generated from docs/openapi.yaml */

APLOG_USE_MODULE(jobcenter);

#define JC_JSON_TYPE "application/json; charset=utf-8"

/* ---- responses --------------------------------------------------------- */

/* Send a finished JSON text (NULL = no body). */
static int send_text(request_rec *r, int status, const char *txt)
{
    r->status = status;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    if (txt) {
        apr_size_t n = strlen(txt);

        ap_set_content_type(r, JC_JSON_TYPE);
        ap_set_content_length(r, (apr_off_t)n);
        jc_write_body(r, txt, n);
    }
    return OK;
}

static int send_json(request_rec *r, int status, json_t *obj)
{
    char *txt = NULL;
    int rv;

    if (obj) {
        txt = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(obj);
    }
    rv = send_text(r, status, txt);
    free(txt);
    return rv;
}

static int send_error(request_rec *r, const jc_result_t *res)
{
    /* the answer's code, for the audit log */
    apr_table_setn(r->notes, "jobcenter-error", res->code);
    json_t *err = json_pack("{s:s, s:s, s:s?}", "code", res->code,
                            "message", res->message, "field", res->field);

    if (!err) {
        err = json_pack("{s:s, s:s, s:n}", "code", "internal_error",
                        "message", "Interner Fehler.", "field");
    }
    if (res->details) {
        json_object_set_new(err, "details", res->details);
    }
    if (res->state) {
        json_object_set_new(err, "state", json_string(res->state));
    }
    if (res->retry_after > 0) {
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_ltoa(r->pool, res->retry_after));
    }
    if (res->status == 503) {
        jc_metrics_count_503(res->code, res->log);
    }
    if (res->status >= 500) {
        ap_log_rerror(APLOG_MARK, res->status == 503 ? APLOG_WARNING
                      : APLOG_ERR, 0, r, JCLOG(00101) "%s %s: %s (%s)",
                      r->method, r->uri, res->code,
                      res->log ? res->log : "-");
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, JCLOG(00102)
                      "%s %s: %d %s%s%s", r->method, r->uri, res->status,
                      res->code, res->log ? " - " : "",
                      res->log ? res->log : "");
    }
    return send_json(r, res->status, json_pack("{s:o}", "error", err));
}

static int fail(request_rec *r, int status, const char *code,
                const char *message, const char *field)
{
    jc_result_t res;

    jc_result_ok(&res);
    jc_result_set(&res, status, code, message, field);
    return send_error(r, &res);
}

/* ---- request checks ---------------------------------------------------- */

static int origin_ok(jc_call_t *c)
{
    const char *o = apr_table_get(c->r->headers_in, "Origin");
    int i;

    if (!o) {
        return 0;
    }
    for (i = 0; i < c->conf->origins->nelts; i++) {
        if (!strcmp(o, APR_ARRAY_IDX(c->conf->origins, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

const char *jc_api_body_str(jc_call_t *c, const char *key, size_t *len)
{
    json_t *v = json_object_get(c->body, key);

    if (!json_is_string(v)) {
        if (len) {
            *len = 0;
        }
        return NULL;
    }
    if (len) {
        *len = json_string_length(v);
    }
    return json_string_value(v);
}

void jc_api_set_cookie(jc_call_t *c, const char *value)
{
    jc_req_set_cookie(c->r, c->conf, value);
}

static int finish(jc_call_t *c, jc_result_t *res, int status, json_t *out)
{
    if (res->status >= 300) {
        json_decref(out);
        return send_error(c->r, res);
    }
    if (c->sent) {
        json_decref(out);
        return OK;
    }
    if (c->text) {
        return send_text(c->r, status, c->text);
    }
    if (c->raw) {
        /* a non-JSON answer (the Freischaltcode letter as PDF) */
        json_decref(out);
        c->r->status = status;
        apr_table_setn(c->r->err_headers_out, "Cache-Control", "no-store");
        apr_table_setn(c->r->err_headers_out, "X-Content-Type-Options",
                       "nosniff");
        ap_set_content_type(c->r, c->raw_type);
        ap_set_content_length(c->r, (apr_off_t)c->raw_len);
        jc_write_body(c->r, c->raw, c->raw_len);
        return OK;
    }
    return send_json(c->r, status, out);
}

/* ---- the handler ------------------------------------------------------- */

/* jc_event_sink_fn of a route call: the accounts and kinds of the events
 * its handler recorded, for the audit log. */
static void audit_event(void *ctx, apr_int64_t account_id, const char *kind)
{
    jc_call_t *c = ctx;

    if (!c->audit_events) {
        c->audit_events = apr_array_make(c->r->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->audit_events, const char *) = kind;
    if (!c->audit_event_account) {
        c->audit_event_account = account_id;
    }
    if (!c->audit_other_account && account_id != c->sess.account_id) {
        c->audit_other_account = account_id;
    }
}

/* GET /api/v1/openapi.yaml: the API's OpenAPI document, compiled into the
 * module (build/jc_openapi_yaml.h, made from docs/openapi.yaml by the
 * Makefile), so the description always matches the module that answers
 * and needs no file or directive in any install. No session, no
 * database. */
static int send_openapi(request_rec *r)
{
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return fail(r, 405, "method_not_allowed",
                    "Diese Methode ist hier nicht erlaubt.", NULL);
    }
    ap_set_content_type(r, "application/yaml; charset=utf-8");
    ap_set_content_length(r, (apr_off_t)sizeof(jc_openapi_yaml));
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    jc_write_body(r, jc_openapi_yaml, sizeof(jc_openapi_yaml));
    return OK;
}

/* A session whose state the route does not accept: 403
 * state_insufficient, or, for a route of one step of the login
 * (mfa_required, password_change_required, email_required) that the
 * session has not to take (it has got at least as far), 409
 * <step>_not_required. The session is left as it is. */
static int state_refused(request_rec *r, const jc_route_t *rt,
                         jc_sess_state_e st)
{
    unsigned want = JC_LEVEL_STATES(rt->level);
    int lv = jc_session_level(st);
    jc_result_t res;

    jc_result_ok(&res);
    res.state = jc_session_state_name(st);
    res.log = res.state;
    if (want == JC_LEVEL_MFA_REQUIRED
        && lv >= jc_session_level(JC_SESS_MFA_REQUIRED)) {
        jc_result_set(&res, 409, "mfa_not_required",
                      "Für diese Sitzung ist keine Bestätigung mit einem "
                      "zweiten Faktor vorgesehen.", NULL);
    }
    else if (want == JC_LEVEL_PASSWORD_CHANGE
             && lv >= jc_session_level(JC_SESS_PASSWORD_CHANGE_REQUIRED)) {
        jc_result_set(&res, 409, "password_change_not_required",
                      "Ihr Passwort muss nicht geändert werden.", NULL);
    }
    else if (want == JC_LEVEL_EMAIL_REQUIRED
             && lv >= jc_session_level(JC_SESS_EMAIL_REQUIRED)) {
        jc_result_set(&res, 409, "email_not_required",
                      "Für Ihr Konto ist bereits eine E-Mail-Adresse "
                      "hinterlegt.", NULL);
    }
    else {
        jc_result_set(&res, 403, "state_insufficient",
                      "Bitte schließen Sie zuerst die Anmeldung ab.", NULL);
    }
    return send_error(r, &res);
}

/* Match a route path against the request path: a '*' segment of the
 * route matches one segment of 1..18 digits, stored in *id; a '#'
 * segment one of exactly 32 lower-case hex characters (a token the
 * handler reads from the URI). */
static int path_match(const char *pat, const char *path, apr_int64_t *id)
{
    while (*pat && *path) {
        if (*pat == '#') {
            int n = 0;

            while ((*path >= '0' && *path <= '9')
                   || (*path >= 'a' && *path <= 'f')) {
                path++;
                n++;
            }
            if (n != 32) {
                return 0;
            }
            pat++;
            continue;
        }
        if (*pat == '*') {
            const char *s = path;

            while (*path >= '0' && *path <= '9') {
                path++;
            }
            if (path == s || path - s > 18 || (*s == '0' && path - s > 1)) {
                return 0;
            }
            *id = apr_atoi64(s);
            pat++;
            continue;
        }
        if (*pat != *path) {
            return 0;
        }
        pat++;
        path++;
    }
    return *pat == '\0' && *path == '\0';
}

/* The route tables of the feature glue, in lookup order (the account
 * routes first: GET me is the hot path). */
static const jc_route_t *const route_tables[] = {
    jc_routes_account, jc_routes_mfa, jc_routes_passkey, jc_routes_upload,
    jc_routes_tus, jc_routes_profile, jc_routes_staff, jc_routes_onetime,
    jc_routes_security, jc_routes_online, jc_routes_message,
    jc_routes_konto, NULL
};

/* The Allow header of a path that has routes for the methods in `seen`
 * (bits of M_*), in a fixed order: "GET, HEAD, POST", ... */
static const char *allow_list(request_rec *r, unsigned seen)
{
    static const int order[] = { M_GET, M_POST, M_PATCH, M_DELETE,
                                 M_OPTIONS };
    const char *list = NULL;
    size_t i;

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *m;

        if (!(seen & (1u << order[i]))) {
            continue;
        }
        m = order[i] == M_GET ? "GET, HEAD"
            : ap_method_name_of(r->pool, order[i]);
        list = list ? apr_pstrcat(r->pool, list, ", ", m, NULL) : m;
    }
    return list;
}

static const jc_route_t *find_route(request_rec *r, const char *path,
                                    const char **allow, apr_int64_t *id)
{
    const jc_route_t *const *t;
    const jc_route_t *rt;
    unsigned seen = 0;

    *allow = NULL;
    for (t = route_tables; *t; t++) {
        for (rt = *t; rt->path; rt++) {
            if (!path_match(rt->path, path, id)) {
                continue;
            }
            if (rt->method == r->method_number) {
                return rt;
            }
            seen |= 1u << rt->method;
        }
    }
    *allow = allow_list(r, seen);
    return NULL;
}

/* API requests have no file behind them: skip the directory walk (and the
 * stat() calls and <Directory> merges it costs), like mod_proxy does. */
int jc_api_map_to_storage(request_rec *r)
{
    jc_srv_conf_t *conf = ap_get_module_config(r->server->module_config,
                                               &jobcenter_module);

    if (conf->engine != 1 || !r->uri
        || strncmp(r->uri, JC_API_PREFIX, sizeof(JC_API_PREFIX) - 1) != 0) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, "jobcenter-api:", r->uri, NULL);
    return OK;
}

/* What a step of the dispatch returns when the request goes on (any
 * other value is the handler's return value: the answer was sent). */
#define GO_ON DECLINED

/* The route of the request's path: GO_ON with *rtp, or the answer sent
 * (the OpenAPI document, 404, 405). */
static int dispatch_route(request_rec *r, jc_call_t *cp,
                          const jc_route_t **rtp)
{
    const char *path, *allow;

    *rtp = NULL;
    if (strncmp(r->uri, JC_API_PREFIX, sizeof(JC_API_PREFIX) - 1) != 0) {
        return fail(r, 404, "not_found", "Diese Adresse gibt es nicht.",
                    NULL);
    }
    path = r->uri + sizeof(JC_API_PREFIX) - 1;
    if (!strcmp(path, "openapi.yaml")) {
        return send_openapi(r);
    }
    *rtp = find_route(r, path, &allow, &cp->path_id);
    if (*rtp) {
        return GO_ON;
    }
    if (allow) {
        apr_table_setn(r->err_headers_out, "Allow", allow);
        return fail(r, 405, "method_not_allowed",
                    "Diese Methode ist hier nicht erlaubt.", NULL);
    }
    return fail(r, 404, "not_found", "Diese Adresse gibt es nicht.", NULL);
}

/* The checks before the session: the query, the Origin of a
 * state-changing request (CSRF, part 1), the body's type, the JSON body
 * read and parsed. GO_ON, or the answer sent. */
static int check_request(request_rec *r, jc_call_t *cp,
                         const jc_route_t *rt, int mutating)
{
    const char *bad_param;
    jc_result_t res;
    int status;

    if (!jc_req_query_nul_free(r, &bad_param)) {
        return fail(r, 422, "parameter_invalid", "Ein Parameter der Adresse "
                    "enthält ein unzulässiges Zeichen.", bad_param);
    }
    /* CSRF, part 1: state-changing requests only from our own pages */
    if (mutating && !origin_ok(cp)) {
        return fail(r, 403, "csrf_failed",
                    "Die Anfrage wurde aus Sicherheitsgründen abgelehnt "
                    "(unbekannte Herkunft).", NULL);
    }
    jc_result_ok(&res);
    if (mutating && rt->body == JC_BODY_NONE && !jc_req_no_body_or_json(r)) {
        jc_req_unsupported_type(&res);
        return send_error(r, &res);
    }
    if (rt->body == JC_BODY_JSON) {
        status = jc_req_json_body(r, cp->conf->max_body, &cp->body, &res);
        if (status == AP_FILTER_ERROR) {
            return status;
        }
        if (status != OK) {
            return send_error(r, &res);
        }
    }
    return GO_ON;
}

/* The session check, through the session cache (the database connection
 * is acquired here only when the cache cannot answer), the route's
 * states and the per-session CSRF token (part 2). GO_ON, or the answer
 * sent. */
static int check_session(request_rec *r, jc_call_t *cp,
                         const jc_route_t *rt, int mutating)
{
    const char *token = jc_req_session_cookie(r, cp->conf);
    jc_req_sess_e st = JC_REQ_SESS_UNKNOWN;
    jc_db_rc_e rc = JC_DB_NOROW;
    jc_result_t res;

    if (token) {
        st = jc_req_session(r, cp->conf, token, 0, 1, &cp->db, &cp->sess,
                            &rc);
    }
    if (st == JC_REQ_SESS_NO_DB || st == JC_REQ_SESS_DB_FAILED) {
        jc_result_ok(&res);
        if (st == JC_REQ_SESS_NO_DB) {
            jc_result_unavailable(&res, "no database connection");
        }
        else if (rc == JC_DB_BUSY) {
            jc_result_unavailable(&res, cp->db.last_error);
        }
        else {
            jc_result_internal(&res, cp->db.last_error);
        }
        return send_error(r, &res);
    }
    if (st != JC_REQ_SESS_OK) {
        if (token) {
            jc_api_set_cookie(cp, NULL);
        }
        return st == JC_REQ_SESS_EXPIRED
            ? fail(r, 401, "session_expired", "Ihre Sitzung ist "
                   "abgelaufen. Bitte melden Sie sich erneut an.", NULL)
            : fail(r, 401, "not_authenticated", "Bitte melden Sie sich "
                   "an.", NULL);
    }
    if (!(JC_LEVEL_STATES(rt->level) & (1u << cp->sess.state))) {
        return state_refused(r, rt, cp->sess.state);
    }
    if (mutating
        && !jc_token_equal(apr_table_get(r->headers_in, "X-CSRF-Token"),
                           cp->sess.csrf_token)) {
        return fail(r, 403, "csrf_failed",
                    "Die Anfrage wurde aus Sicherheitsgründen abgelehnt "
                    "(Sicherheitstoken fehlt oder ist falsch). Bitte "
                    "laden Sie die Seite neu.", NULL);
    }
    return GO_ON;
}

/* Staff routes: an enabled staff row with the route's role (the request
 * layer's check, as the gate's). GO_ON with cp->staff, or the answer
 * sent. */
static int check_role(request_rec *r, jc_call_t *cp, const jc_route_t *rt)
{
    const jc_staff_t *st;
    const char *why;
    jc_result_t res;
    jc_db_rc_e rc;

    if (!(rt->level & (JC_LEVEL_ROLE_SB | JC_LEVEL_ROLE_ADMIN))) {
        return GO_ON;
    }
    rc = jc_req_staff(r, &cp->db, cp->sess.account_id, &st);
    jc_result_ok(&res);
    if (rc != JC_DB_OK && rc != JC_DB_NOROW) {
        jc_db_fail(&res, &cp->db, rc, r->pool);
        return send_error(r, &res);
    }
    why = jc_req_role_refusal(st, (rt->level & JC_LEVEL_ROLE_ADMIN)
                                  ? JC_ROLE_ADMIN : JC_ROLE_SACHBEARBEITUNG);
    if (why) {
        jc_result_set(&res, 403, "staff_only", "Dieser Bereich ist "
                      "Mitarbeiterinnen und Mitarbeitern des Jobcenters "
                      "mit der passenden Rolle vorbehalten.", NULL);
        res.log = why;
        return send_error(r, &res);
    }
    cp->staff = st;
    return GO_ON;
}

/* The request's way to its route handler (jc_api_handler); *rtp gets the
 * route once it is known. */
static int api_dispatch(request_rec *r, jc_call_t *cp,
                        const jc_route_t **rtp)
{
    const jc_route_t *rt;
    jc_result_t res;
    json_t *out = NULL;
    int status, mutating;

    status = dispatch_route(r, cp, rtp);
    if (status != GO_ON) {
        return status;
    }
    rt = *rtp;
    mutating = rt->method != M_GET && rt->method != M_OPTIONS;
    status = check_request(r, cp, rt, mutating);
    if (status == GO_ON && rt->level != JC_LEVEL_PUBLIC) {
        status = check_session(r, cp, rt, mutating);
    }
    if (status != GO_ON) {
        return status;
    }
    if (rt->conn == JC_CONN_HANDLER && !jc_req_db(r, &cp->db, 1)) {
        jc_result_ok(&res);
        jc_result_unavailable(&res, "no database connection");
        return send_error(r, &res);
    }
    status = check_role(r, cp, rt);
    if (status != GO_ON) {
        return status;
    }
    /* the client of this request, for sessions created by it */
    cp->sess.client_ip = r->useragent_ip;
    cp->sess.user_agent = jc_session_user_agent(
        apr_table_get(r->headers_in, "User-Agent"), r->pool);
    jc_result_ok(&res);
    jc_event_sink_set(audit_event, cp);
    status = rt->fn(cp, &res, &out);
    jc_event_sink_set(NULL, NULL);
    return finish(cp, &res, status, out);
}

/* The audit log's view of a route: audited are state-changing calls
 * (but not the creation of a passkey challenge, ".../options") and every
 * call of a staff route (reading a citizen's data included). */
static int audited(const jc_route_t *rt)
{
    size_t n = strlen(rt->path);

    if (rt->level & (JC_LEVEL_ROLE_SB | JC_LEVEL_ROLE_ADMIN)) {
        return 1;
    }
    if (rt->method == M_GET) {
        return !strcmp(rt->path, "konto/export");
    }
    return !(n >= 8 && !strcmp(rt->path + n - 8, "/options"));
}

int jc_api_handler(request_rec *r)
{
    jc_srv_conf_t *conf;
    const jc_route_t *rt = NULL;
    jc_call_t c;
    int rv;

    if (!r->handler || strcmp(r->handler, "jobcenter-api") != 0) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->server->module_config, &jobcenter_module);
    if (conf->engine != 1) {
        return DECLINED;
    }
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.conf = conf;
    c.now = (apr_int64_t)apr_time_sec(r->request_time);
    rv = api_dispatch(r, &c, &rt);
    if (rt && conf->audit_fd && audited(rt)) {
        jc_audit_api(&c, rt->method == M_GET ? "GET" : "POST", rt->path,
                     rv >= 100 ? rv : r->status);
    }
    return rv;
}

/* mod_jobcenter JSON API: the route table, request checks (method, Origin,
 * session state, CSRF, body limits) and JSON responses. Each route declares
 * the lowest session state it accepts; nothing else reaches its handler. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_script.h>

#include "mod_jobcenter.h"
#include "jc_cookie.h"
#include "jc_event.h"
#include "jc_json.h"
#include "jc_metrics.h"
#include "jc_onetime.h"
#include "jc_token.h"
#include "jc_openapi_yaml.h"   /* generated from docs/openapi.yaml */

APLOG_USE_MODULE(jobcenter);

#define JC_API_PREFIX "/api/v1/"
#define JC_COOKIE_SECURE_NAME "__Host-jc_session"
#define JC_COOKIE_PLAIN_NAME "jc_session"
#define JC_JSON_TYPE "application/json; charset=utf-8"

/* The session states a route accepts, as a set of bits of
 * jc_sess_state_e (the route x state table of docs/api.md). R_ANON routes
 * load no session: anonymous callers and every state reach them. */
#define R_ST(x)  (1u << JC_SESS_##x)
#define R_ANON   0u
#define R_ANY    (R_ST(PASSWORD_OK) | R_ST(PASSWORD_CHANGE_REQUIRED) \
                  | R_ST(EMAIL_REQUIRED) | R_ST(MFA_SETUP_REQUIRED) \
                  | R_ST(MFA_REQUIRED) | R_ST(AUTHENTICATED))
#define R_PWCHG  R_ST(PASSWORD_CHANGE_REQUIRED)
#define R_EMAIL  R_ST(EMAIL_REQUIRED)
/* adding a factor: never in mfa_required (that would skip the factor the
 * account has); the core also refuses mfa_setup_required when the account
 * has a usable factor meanwhile, and a stale check when authenticated */
#define R_SETUP  (R_ST(MFA_SETUP_REQUIRED) | R_ST(AUTHENTICATED))
#define R_MFA    R_ST(MFA_REQUIRED)
#define R_AUTH   R_ST(AUTHENTICATED)
#define R_ROLE_SB    (1u << 16)   /* + enabled staff row, sachbearbeitung */
#define R_ROLE_ADMIN (1u << 17)   /* + enabled staff row, admin           */
#define R_STAFF  (R_AUTH | R_ROLE_SB)
#define R_ADMIN  (R_AUTH | R_ROLE_ADMIN)
#define R_STATES(m) ((m) & 0xffffu)

/* What a route does with a request body. */
#define B_NONE   0   /* ignored; if one is sent it must be JSON (415)     */
#define B_JSON   1   /* a JSON object is required, read and parsed here  */
#define B_STREAM 2   /* the handler streams it (uploads; checks its type) */

/* One API route. */
typedef struct {
    int method;               /* M_GET / M_POST                           */
    const char *path;         /* below /api/v1/                           */
    unsigned states;          /* R_*: accepted session states and role    */
    int body;                 /* B_*                                      */
    int needs_db;             /* 1 = the handler needs a database
                                 connection; 2 = only the session check
                                 does (acquired on a session cache miss) */
    jc_route_fn *fn;          /* handler                                  */
} jc_route_t;

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

/* ---- request helpers --------------------------------------------------- */

/* Plain-http localhost, where JobcenterCookieSecure Off may drop Secure. */
static int plain_localhost(request_rec *r)
{
    const char *h = r->hostname;

    if (strcmp(ap_http_scheme(r), "http") != 0 || !h) {
        return 0;
    }
    return !strcmp(h, "localhost") || !strcmp(h, "127.0.0.1")
           || !strcmp(h, "[::1]") || !strcmp(h, "::1");
}

static const char *cookie_name(jc_call_t *c)
{
    if (!c->conf->cookie_secure && plain_localhost(c->r)) {
        return JC_COOKIE_PLAIN_NAME;
    }
    return JC_COOKIE_SECURE_NAME;
}

static const char *session_cookie(jc_call_t *c)
{
    const char *hdr = apr_table_get(c->r->headers_in, "Cookie");

    return hdr ? jc_cookie_get(hdr, cookie_name(c), c->r->pool) : NULL;
}

const char *jc_api_session_cookie(jc_call_t *c)
{
    return session_cookie(c);
}

void jc_api_set_cookie(jc_call_t *c, const char *value)
{
    const char *name = cookie_name(c);
    int secure = strcmp(name, JC_COOKIE_SECURE_NAME) == 0;

    apr_table_add(c->r->err_headers_out, "Set-Cookie",
                  apr_pstrcat(c->r->pool, name, "=", value ? value : "",
                              "; Path=/", secure ? "; Secure" : "",
                              "; HttpOnly; SameSite=Lax",
                              value ? "" : "; Max-Age=0", NULL));
}

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

static int is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;

    if (!ct || strncasecmp(ct, want, n) != 0) {
        return 0;
    }
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static int unsupported_type(request_rec *r)
{
    return fail(r, 415, "unsupported_media_type",
                "Die Anfrage muss im JSON-Format (Content-Type: "
                "application/json) gesendet werden.", NULL);
}

/* A route that ignores its body still takes only JSON (the API speaks
 * nothing else; a text/plain POST is what a cross-site form can send):
 * no body at all, or a body declared as JSON. */
static int no_body_or_json(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *cl = apr_table_get(r->headers_in, "Content-Length");

    if (ct) {
        return is_json_type(ct);
    }
    return !apr_table_get(r->headers_in, "Transfer-Encoding")
           && (!cl || apr_atoi64(cl) == 0);
}

/* Every query parameter, URL-decoded, must be free of NUL bytes: a %00
 * would cut the value short before any check sees the rest (%00 is the
 * only spelling of a NUL in a query). *field gets the offending
 * parameter's decoded name, or stays NULL when the name holds the NUL. */
static int query_nul_free(request_rec *r, const char **field)
{
    char *args, *tok, *last = NULL;

    *field = NULL;
    if (!r->args) {
        return 1;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&", &last); tok;
         tok = apr_strtok(NULL, "&", &last)) {
        char *nul = strstr(tok, "%00"), *eq = strchr(tok, '=');

        if (!nul) {
            continue;
        }
        if (eq && nul > eq) {
            *eq = '\0';
            if (ap_unescape_urlencoded(tok) == OK) {
                *field = tok;
            }
        }
        return 0;
    }
    return 1;
}

/* A body that could not be read to its end: the status the input
 * filters' error maps to; the connection is not reused. */
static int body_failed(request_rec *r, int status)
{
    r->connection->keepalive = AP_CONN_CLOSE;
    if (status == AP_FILTER_ERROR) {
        return status;      /* a filter has answered already */
    }
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return fail(r, 413, "body_too_large", "Die Anfrage ist zu groß.",
                    NULL);
    }
    if (status == HTTP_REQUEST_TIME_OUT) {
        return fail(r, 408, "body_unreadable", "Die Anfrage kam zu langsam an "
                    "und wurde abgebrochen. Bitte versuchen Sie es "
                    "erneut.", NULL);
    }
    return fail(r, 400, "body_unreadable",
                "Die Anfrage konnte nicht gelesen werden.", NULL);
}

/* Read and parse the JSON body: type and size are checked before reading,
 * the running total while reading; memory is bounded by JobcenterMaxBody. */
static int read_body(jc_call_t *c)
{
    request_rec *r = c->r;
    apr_off_t max = c->conf->max_body, len = 0;
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *buf;
    json_error_t jerr;
    int eos = 0;

    if (!is_json_type(apr_table_get(r->headers_in, "Content-Type"))) {
        return unsupported_type(r);
    }
    if (cl && (apr_atoi64(cl) > max || apr_atoi64(cl) < 0)) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return fail(r, 413, "body_too_large",
                    "Die Anfrage ist zu groß.", NULL);
    }
    /* read like mod_dav's PUT: blocks from the input filters, a running
     * total, the filters' error mapped to its status (mod_reqtimeout's
     * APR_TIMEUP: 408) */
    buf = apr_palloc(r->pool, (apr_size_t)max + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!eos) {
        apr_bucket *b;
        apr_status_t st = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         HUGE_STRING_LEN);

        if (st != APR_SUCCESS) {
            apr_brigade_cleanup(bb);
            return body_failed(r, ap_map_http_request_error(
                                      st, HTTP_BAD_REQUEST));
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                continue;
            }
            if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ)
                != APR_SUCCESS) {
                apr_brigade_cleanup(bb);
                return body_failed(r, HTTP_BAD_REQUEST);
            }
            if ((apr_off_t)n > max - len) {
                apr_brigade_cleanup(bb);
                return body_failed(r, HTTP_REQUEST_ENTITY_TOO_LARGE);
            }
            memcpy(buf + len, data, n);
            len += (apr_off_t)n;
        }
        apr_brigade_cleanup(bb);
    }
    c->body = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
    if (!c->body || !json_is_object(c->body)) {
        if (c->body) {
            json_decref(c->body);
            c->body = NULL;
        }
        return fail(r, 400, "malformed_json",
                    "Die Anfrage enthält kein gültiges JSON-Objekt.", NULL);
    }
    return OK;
}

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
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

/* ---- routes ------------------------------------------------------------ */

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
                     session_cookie(c), c->now, c->r->pool);
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

static const jc_route_t routes[] = {
    { M_GET, "password-policy", R_ANON, B_NONE, 0, route_policy },
    { M_POST, "register", R_ANON, B_JSON, 1, route_register },
    { M_POST, "email/confirm", R_ANON, B_JSON, 1, route_confirm },
    { M_POST, "email/resend", R_ANON, B_JSON, 1, route_resend },
    { M_POST, "login", R_ANON, B_JSON, 1, route_login },
    { M_POST, "logout", R_ANY, B_NONE, 1, route_logout },
    { M_GET, "me", R_ANY, B_NONE, 2, route_me },
    /* second factor: set-up in mfa_setup_required or (fresh check)
     * authenticated; verify only in mfa_required */
    { M_POST, "mfa/totp/setup", R_SETUP, B_NONE, 1, jc_route_totp_setup },
    { M_POST, "mfa/totp/confirm", R_SETUP, B_JSON, 1,
      jc_route_totp_confirm },
    { M_POST, "mfa/totp/verify", R_MFA, B_JSON, 1, jc_route_totp_verify },
    /* passkeys: registration like the TOTP set-up, login anonymous,
     * assert only in mfa_required */
    { M_POST, "passkey/register/options", R_SETUP, B_NONE, 1,
      jc_route_passkey_register_options },
    { M_POST, "passkey/register/verify", R_SETUP, B_JSON, 1,
      jc_route_passkey_register_verify },
    { M_POST, "passkey/login/options", R_ANON, B_NONE, 1,
      jc_route_passkey_login_options },
    { M_POST, "passkey/login/verify", R_ANON, B_JSON, 1,
      jc_route_passkey_login_verify },
    { M_POST, "passkey/assert/options", R_MFA, B_NONE, 1,
      jc_route_passkey_assert_options },
    { M_POST, "passkey/assert/verify", R_MFA, B_JSON, 1,
      jc_route_passkey_assert_verify },
    /* document uploads (mod_jobcenter_upload.c): a complete session;
     * uploads/files streams its body through the JC_UPLOAD filter itself;
     * staff routes: the API checks the staff role, the core the
     * jobcenter and team */
    { M_GET, "uploads/context", R_AUTH, B_NONE, 1, jc_route_up_context },
    { M_POST, "uploads/drafts", R_AUTH, B_JSON, 1, jc_route_up_draft },
    { M_POST, "uploads/files", R_AUTH, B_STREAM, 1, jc_route_up_files },
    { M_POST, "uploads/files/delete", R_AUTH, B_JSON, 1,
      jc_route_up_file_delete },
    { M_POST, "uploads/submit", R_AUTH, B_JSON, 1, jc_route_up_submit },
    { M_GET, "uploads/receipt", R_AUTH, B_NONE, 1, jc_route_up_receipt },
    { M_GET, "uploads/submissions", R_AUTH, B_NONE, 1, jc_route_up_list },
    { M_POST, "receipts/verify", R_ANON, B_JSON, 1, jc_route_up_verify },
    /* resumable uploads, tus 1.0.0 (mod_jobcenter_tus.c): '#' is an
     * upload's 32-hex token; OPTIONS (capabilities) needs no session */
    { M_OPTIONS, "uploads/tus", R_ANON, B_NONE, 0, jc_route_tus_options },
    { M_POST, "uploads/tus", R_AUTH, B_STREAM, 1, jc_route_tus_create },
    { M_GET, "uploads/tus/#", R_AUTH, B_NONE, 1, jc_route_tus_get },
    /* PATCH: 2 = the handler takes a connection only around its own
     * statements, not for the minutes a slow body may take */
    { M_PATCH, "uploads/tus/#", R_AUTH, B_STREAM, 2, jc_route_tus_patch },
    { M_DELETE, "uploads/tus/#", R_AUTH, B_NONE, 1, jc_route_tus_delete },
    { M_GET, "staff/uploads", R_STAFF, B_NONE, 1, jc_route_up_inbox },
    { M_GET, "staff/uploads/file", R_STAFF, B_NONE, 1,
      jc_route_up_staff_file },
    { M_POST, "staff/uploads/status", R_STAFF, B_JSON, 1,
      jc_route_up_status },
    /* the person profile: a complete two-factor session */
    { M_POST, "freischaltcode", R_AUTH, B_JSON, 1, jc_route_fsc_redeem },
    { M_GET, "profile", R_AUTH, B_NONE, 1, jc_route_profile },
    { M_GET, "jobcenter", R_AUTH, B_NONE, 1, jc_route_jobcenter },
    { M_GET, "verlauf", R_AUTH, B_NONE, 1, jc_route_verlauf },
    /* staff (Sachbearbeitung): complete session + staff role; '*' is a
     * customer id */
    { M_GET, "staff/me", R_STAFF, B_NONE, 1, jc_route_staff_me },
    { M_GET, "staff/customers", R_STAFF, B_NONE, 1,
      jc_route_staff_customers },
    { M_POST, "staff/customers", R_STAFF, B_JSON, 1,
      jc_route_staff_customer_create },
    { M_GET, "staff/customers/*", R_STAFF, B_NONE, 1,
      jc_route_staff_customer },
    { M_POST, "staff/customers/*/freischaltcode", R_STAFF, B_NONE, 1,
      jc_route_staff_code_issue },
    { M_POST, "staff/customers/*/zugangsdaten", R_STAFF, B_NONE, 1,
      jc_route_staff_reset },
    /* the letter flow (issue 5): exactly password_change_required,
     * exactly email_required */
    { M_POST, "onetime/password", R_PWCHG, B_JSON, 1, jc_route_reset_password },
    { M_POST, "onetime/email", R_EMAIL, B_JSON, 1, jc_route_reset_email },
    /* the "Sicherheit" page: fully signed in; changes also need a recent
     * check (JobcenterReauthWindow, checked by the core) */
    { M_GET, "security", R_AUTH, B_NONE, 1, jc_route_security_list },
    { M_POST, "security/reauth/options", R_AUTH, B_NONE, 1,
      jc_route_security_reauth_options },
    { M_POST, "security/reauth", R_AUTH, B_JSON, 1, jc_route_security_reauth },
    { M_POST, "security/passkey/rename", R_AUTH, B_JSON, 1,
      jc_route_security_passkey_rename },
    { M_POST, "security/passkey/delete", R_AUTH, B_JSON, 1,
      jc_route_security_passkey_delete },
    { M_POST, "security/totp/delete", R_AUTH, B_NONE, 1,
      jc_route_security_totp_delete },
    /* Online-Kommunikation: fully signed in */
    { M_GET, "online-kommunikation", R_AUTH, B_NONE, 1, jc_route_online_get },
    { M_POST, "online-kommunikation/aktivieren", R_AUTH, B_NONE, 1,
      jc_route_online_activate },
    { M_POST, "online-kommunikation/deaktivieren", R_AUTH, B_NONE, 1,
      jc_route_online_deactivate },
    /* messages, Postfach, Bescheide, Termine (mod_jobcenter_message.c):
     * fully signed in; writing also needs Online-Kommunikation (core) */
    { M_GET, "messages/anliegen", R_AUTH, B_NONE, 1, jc_route_msg_anliegen },
    { M_GET, "messages", R_AUTH, B_NONE, 1, jc_route_msg_list },
    { M_POST, "messages", R_AUTH, B_JSON, 1, jc_route_msg_send },
    { M_GET, "messages/conversation", R_AUTH, B_NONE, 1, jc_route_msg_conversation },
    { M_POST, "messages/reply", R_AUTH, B_JSON, 1, jc_route_msg_reply },
    { M_GET, "messages/file", R_AUTH, B_NONE, 1, jc_route_msg_file },
    { M_GET, "bescheide", R_AUTH, B_NONE, 1, jc_route_bescheid_list },
    { M_GET, "bescheide/file", R_AUTH, B_NONE, 1, jc_route_bescheid_file },
    { M_GET, "termine", R_AUTH, B_NONE, 1, jc_route_termin_list },
    { M_POST, "termine/verschieben", R_AUTH, B_JSON, 1, jc_route_termin_reschedule },
    /* the team inboxes: staff role, own jobcenter and team (core) */
    { M_GET, "staff/messages", R_STAFF, B_NONE, 1,
      jc_route_staff_msg_inbox },
    { M_GET, "staff/messages/conversation", R_STAFF, B_NONE, 1,
      jc_route_staff_msg_conversation },
    { M_POST, "staff/messages/assign", R_STAFF, B_JSON, 1,
      jc_route_staff_msg_assign },
    { M_POST, "staff/messages/status", R_STAFF, B_JSON, 1,
      jc_route_staff_msg_status },
    { M_POST, "staff/messages/reply", R_STAFF, B_JSON, 1,
      jc_route_staff_msg_reply },
    { M_POST, "staff/messages/reply-files", R_STAFF, B_STREAM, 1,
      jc_route_staff_msg_reply_files },
    { M_GET, "staff/messages/file", R_STAFF, B_NONE, 1,
      jc_route_staff_msg_file },
    { M_POST, "staff/bescheide", R_STAFF, B_STREAM, 1,
      jc_route_staff_bescheid },
    { M_POST, "staff/termine", R_STAFF, B_JSON, 1,
      jc_route_staff_termin },
    /* forgotten credentials (anonymous) and the "Konto" page (signed
     * in; changes also need a recent check, checked by the core) */
    { M_POST, "password/forgot", R_ANON, B_JSON, 1, jc_route_password_forgot },
    { M_POST, "password/reset/check", R_ANON, B_JSON, 1,
      jc_route_password_reset_check },
    { M_POST, "password/reset", R_ANON, B_JSON, 1, jc_route_password_reset },
    { M_GET, "jobcenter/suche", R_ANON, B_NONE, 1, jc_route_jobcenter_lookup },
    { M_GET, "konto", R_AUTH, B_NONE, 1, jc_route_konto_get },
    { M_POST, "konto/passwort", R_AUTH, B_JSON, 1, jc_route_konto_password },
    { M_POST, "konto/email", R_AUTH, B_JSON, 1, jc_route_konto_email },
    { M_POST, "konto/email/confirm", R_ANON, B_JSON, 1, jc_route_konto_email_confirm },
    { M_POST, "konto/sitzungen/beenden", R_AUTH, B_JSON, 1,
      jc_route_konto_session_end },
    { M_POST, "konto/sitzungen/andere-beenden", R_AUTH, B_NONE, 1,
      jc_route_konto_sessions_end },
    { M_GET, "konto/export", R_AUTH, B_NONE, 1, jc_route_konto_export },
    { M_POST, "konto/loeschen", R_AUTH, B_JSON, 1, jc_route_konto_delete },
    { 0, NULL, 0, 0, 0, NULL }
};

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
    unsigned want = R_STATES(rt->states);
    int lv = jc_session_level(st);
    jc_result_t res;

    jc_result_ok(&res);
    res.state = jc_session_state_name(st);
    res.log = res.state;
    if (want == R_MFA && lv >= jc_session_level(JC_SESS_MFA_REQUIRED)) {
        jc_result_set(&res, 409, "mfa_not_required",
                      "Für diese Sitzung ist keine Bestätigung mit einem "
                      "zweiten Faktor vorgesehen.", NULL);
    }
    else if (want == R_PWCHG
             && lv >= jc_session_level(JC_SESS_PASSWORD_CHANGE_REQUIRED)) {
        jc_result_set(&res, 409, "password_change_not_required",
                      "Ihr Passwort muss nicht geändert werden.", NULL);
    }
    else if (want == R_EMAIL
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

static const jc_route_t *find_route(request_rec *r, const char *path,
                                    const char **allow, apr_int64_t *id)
{
    static const int order[] = { M_GET, M_POST, M_PATCH, M_DELETE,
                                 M_OPTIONS };
    const jc_route_t *rt;
    const char *list = NULL;
    unsigned seen = 0;
    size_t i;

    *allow = NULL;
    for (rt = routes; rt->path; rt++) {
        if (!path_match(rt->path, path, id)) {
            continue;
        }
        if (rt->method == r->method_number) {
            return rt;
        }
        seen |= 1u << rt->method;
    }
    /* Allow in a fixed order: "GET, HEAD, POST", ... */
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *m;

        if (!(seen & (1u << order[i]))) {
            continue;
        }
        m = order[i] == M_GET ? "GET, HEAD"
            : ap_method_name_of(r->pool, order[i]);
        list = list ? apr_pstrcat(r->pool, list, ", ", m, NULL) : m;
    }
    *allow = list;
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

/* The request's way to its route handler (jc_api_handler); *rtp gets the
 * route once it is known. */
static int api_dispatch(request_rec *r, jc_srv_conf_t *conf, jc_call_t *cp,
                        const jc_route_t **rtp)
{
    const jc_route_t *rt;
    const char *path, *allow, *bad_param;
    jc_result_t res;
    json_t *out = NULL;
    int status, mutating;

    if (strncmp(r->uri, JC_API_PREFIX, sizeof(JC_API_PREFIX) - 1) != 0) {
        return fail(r, 404, "not_found", "Diese Adresse gibt es nicht.",
                    NULL);
    }
    path = r->uri + sizeof(JC_API_PREFIX) - 1;
    if (!strcmp(path, "openapi.yaml")) {
        return send_openapi(r);
    }
    rt = find_route(r, path, &allow, &cp->path_id);
    *rtp = rt;
    if (!rt) {
        if (allow) {
            apr_table_setn(r->err_headers_out, "Allow", allow);
            return fail(r, 405, "method_not_allowed",
                        "Diese Methode ist hier nicht erlaubt.", NULL);
        }
        return fail(r, 404, "not_found", "Diese Adresse gibt es nicht.",
                    NULL);
    }
    mutating = rt->method != M_GET && rt->method != M_OPTIONS;
    if (!query_nul_free(r, &bad_param)) {
        return fail(r, 422, "parameter_invalid", "Ein Parameter der Adresse "
                    "enthält ein unzulässiges Zeichen.", bad_param);
    }

    /* CSRF, part 1: state-changing requests only from our own pages */
    if (mutating && !origin_ok(cp)) {
        return fail(r, 403, "csrf_failed",
                    "Die Anfrage wurde aus Sicherheitsgründen abgelehnt "
                    "(unbekannte Herkunft).", NULL);
    }
    if (mutating && rt->body == B_NONE && !no_body_or_json(r)) {
        return unsupported_type(r);
    }
    if (rt->body == B_JSON) {
        status = read_body(cp);
        if (status != OK || !cp->body) {
            return status;
        }
        apr_pool_cleanup_register(r->pool, cp->body, json_cleanup,
                                  apr_pool_cleanup_null);
    }
    if (rt->states != R_ANON) {
        /* the session check, through the session cache: the database
         * connection is acquired here only when the cache cannot answer */
        const char *token = session_cookie(cp);
        int expired = 0, no_db = 0;
        jc_db_rc_e rc = JC_DB_NOROW;

        if (token) {
            rc = jc_request_session(r, conf, &cp->db, &cp->sess, &expired,
                                    token, 0, 1, &no_db);
        }
        if (no_db) {
            jc_result_ok(&res);
            jc_result_unavailable(&res, "no database connection");
            return send_error(r, &res);
        }
        if (rc == JC_DB_BUSY || (rc != JC_DB_OK && rc != JC_DB_NOROW)) {
            jc_result_ok(&res);
            if (rc == JC_DB_BUSY) {
                jc_result_unavailable(&res, cp->db.last_error);
            }
            else {
                jc_result_internal(&res, cp->db.last_error);
            }
            return send_error(r, &res);
        }
        if (rc == JC_DB_NOROW) {
            if (token) {
                jc_api_set_cookie(cp, NULL);
            }
            return expired
                ? fail(r, 401, "session_expired", "Ihre Sitzung ist "
                       "abgelaufen. Bitte melden Sie sich erneut an.", NULL)
                : fail(r, 401, "not_authenticated", "Bitte melden Sie sich "
                       "an.", NULL);
        }
        if (!(R_STATES(rt->states) & (1u << cp->sess.state))) {
            return state_refused(r, rt, cp->sess.state);
        }
        /* CSRF, part 2: the per-session token */
        if (mutating
            && !jc_token_equal(apr_table_get(r->headers_in, "X-CSRF-Token"),
                               cp->sess.csrf_token)) {
            return fail(r, 403, "csrf_failed",
                        "Die Anfrage wurde aus Sicherheitsgründen abgelehnt "
                        "(Sicherheitstoken fehlt oder ist falsch). Bitte "
                        "laden Sie die Seite neu.", NULL);
        }
    }

    if (rt->needs_db == 1 && !cp->db.driver) {
        ap_dbd_t *dbd = jc_dbd_acquire_wait(r);

        if (!dbd) {
            jc_result_ok(&res);
            jc_result_unavailable(&res, "no database connection");
            return send_error(r, &res);
        }
        jc_db_bind(&cp->db, dbd);
    }

    if (rt->states & (R_ROLE_SB | R_ROLE_ADMIN)) {
        /* staff routes: an enabled staff row with the route's role */
        jc_staff_t *st = apr_pcalloc(r->pool, sizeof(*st));
        jc_db_rc_e rc = jc_staff_load(&cp->db, st, cp->sess.account_id,
                                      r->pool);

        jc_result_ok(&res);
        if (rc != JC_DB_OK && rc != JC_DB_NOROW) {
            jc_db_fail(&res, &cp->db, rc, r->pool);
            return send_error(r, &res);
        }
        if (rc == JC_DB_NOROW
            || !jc_staff_allows(st, (rt->states & R_ROLE_ADMIN)
                                    ? JC_ROLE_ADMIN
                                    : JC_ROLE_SACHBEARBEITUNG)) {
            jc_result_set(&res, 403, "staff_only", "Dieser Bereich ist "
                          "Mitarbeiterinnen und Mitarbeitern des Jobcenters "
                          "mit der passenden Rolle vorbehalten.", NULL);
            res.log = rc == JC_DB_NOROW ? "not staff"
                      : st->disabled ? "staff disabled" : "role too low";
            return send_error(r, &res);
        }
        cp->staff = st;
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

    if (rt->states & (R_ROLE_SB | R_ROLE_ADMIN)) {
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
    rv = api_dispatch(r, conf, &c, &rt);
    if (rt && conf->audit_fd && audited(rt)) {
        jc_audit_api(&c, rt->method == M_GET ? "GET" : "POST", rt->path,
                     rv >= 100 ? rv : r->status);
    }
    return rv;
}

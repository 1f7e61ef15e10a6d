/* The request layer (mod_jobcenter_request.h): database handle, session
 * cookie, session and staff role checks, JSON body and query string of a
 * request, shared by the API, the gate and the feature glue. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <util_filter.h>

#include "mod_jobcenter_request.h"
#include "jc_cookie.h"

APLOG_USE_MODULE(jobcenter);

#define JC_COOKIE_SECURE_NAME "__Host-jc_session"
#define JC_COOKIE_PLAIN_NAME "jc_session"

/* ---- database handle -------------------------------------------------- */

int jc_req_db(request_rec *r, jc_db_t *db, int wait)
{
    ap_dbd_t *dbd;

    if (db->driver) {
        return 1;
    }
    dbd = wait ? jc_dbd_acquire_wait(r) : jc_dbd_acquire_once(r);
    if (!dbd) {
        return 0;
    }
    jc_db_bind(db, dbd);
    return 1;
}

ap_dbd_t *jc_req_db_open(jc_db_t *db, apr_pool_t *p, server_rec *s,
                         int tries)
{
    ap_dbd_t *dbd = jc_dbd_open_wait(p, s, tries);

    if (dbd) {
        jc_db_bind(db, dbd);
    }
    return dbd;
}

/* ---- session cookie --------------------------------------------------- */

const char *const jc_req_cookie_names[] = {
    JC_COOKIE_SECURE_NAME, JC_COOKIE_PLAIN_NAME, NULL
};

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

const char *jc_req_cookie_name(request_rec *r, const jc_srv_conf_t *conf)
{
    if (!conf->cookie_secure && plain_localhost(r)) {
        return JC_COOKIE_PLAIN_NAME;
    }
    return JC_COOKIE_SECURE_NAME;
}

const char *jc_req_session_cookie(request_rec *r, const jc_srv_conf_t *conf)
{
    const char *hdr = apr_table_get(r->headers_in, "Cookie");

    return hdr ? jc_cookie_get(hdr, jc_req_cookie_name(r, conf), r->pool)
               : NULL;
}

void jc_req_set_cookie(request_rec *r, const jc_srv_conf_t *conf,
                       const char *value)
{
    const char *name = jc_req_cookie_name(r, conf);
    int secure = strcmp(name, JC_COOKIE_SECURE_NAME) == 0;

    apr_table_add(r->err_headers_out, "Set-Cookie",
                  apr_pstrcat(r->pool, name, "=", value ? value : "",
                              "; Path=/", secure ? "; Secure" : "",
                              "; HttpOnly; SameSite=Lax",
                              value ? "" : "; Max-Age=0", NULL));
}

/* ---- session ---------------------------------------------------------- */

/* What the core's jc_sess_db_fn gets: mod_dbd's connection on demand. */
typedef struct {
    request_rec *r;   /* the request                       */
    jc_db_t *db;      /* filled on the first call           */
    int wait;         /* jc_dbd_acquire_wait or one attempt */
    int failed;       /* no connection                      */
} db_baton_t;

static jc_db_t *request_db(void *data)
{
    db_baton_t *b = data;

    if (!jc_req_db(b->r, b->db, b->wait)) {
        b->failed = 1;
        return NULL;
    }
    return b->db;
}

jc_req_sess_e jc_req_session(request_rec *r, jc_srv_conf_t *conf,
                             const char *token, int with_kn, int wait,
                             jc_db_t *db, jc_session_t *s, jc_db_rc_e *rc)
{
    db_baton_t b;
    int expired = 0;

    b.r = r;
    b.db = db;
    b.wait = wait;
    b.failed = 0;
    *rc = jc_session_load_cached(conf->sesscache, request_db, &b, s,
                                 &expired, token, with_kn, &conf->ctx.sess,
                                 (apr_int64_t)apr_time_sec(r->request_time),
                                 r->pool);
    if (b.failed) {
        return JC_REQ_SESS_NO_DB;
    }
    if (*rc == JC_DB_NOROW) {
        return expired ? JC_REQ_SESS_EXPIRED : JC_REQ_SESS_UNKNOWN;
    }
    return *rc == JC_DB_OK ? JC_REQ_SESS_OK : JC_REQ_SESS_DB_FAILED;
}

/* ---- staff role ------------------------------------------------------- */

#define JC_REQ_STAFF_KEY "jc_req_staff"

jc_db_rc_e jc_req_staff(request_rec *r, jc_db_t *db, apr_int64_t account_id,
                        const jc_staff_t **stp)
{
    jc_staff_t *st;
    jc_db_rc_e rc;
    void *v = NULL;

    *stp = NULL;
    apr_pool_userdata_get(&v, JC_REQ_STAFF_KEY, r->pool);
    if (v) {
        st = v;
        *stp = st->account_id ? st : NULL;
        return st->account_id ? JC_DB_OK : JC_DB_NOROW;
    }
    if (!jc_req_db(r, db, 1)) {
        return JC_DB_BUSY;
    }
    st = apr_pcalloc(r->pool, sizeof(*st));
    rc = jc_staff_load(db, st, account_id, r->pool);
    if (rc != JC_DB_OK && rc != JC_DB_NOROW) {
        return rc;
    }
    if (rc == JC_DB_NOROW) {
        memset(st, 0, sizeof(*st));
    }
    apr_pool_userdata_setn(st, JC_REQ_STAFF_KEY, NULL, r->pool);
    *stp = rc == JC_DB_OK ? st : NULL;
    return rc;
}

const char *jc_req_role_refusal(const jc_staff_t *st, int role)
{
    if (!st) {
        return "not staff";
    }
    if (st->disabled) {
        return "staff disabled";
    }
    return jc_staff_allows(st, role) ? NULL : "role too low";
}

/* ---- body and query --------------------------------------------------- */

int jc_req_is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;

    if (!ct || strncasecmp(ct, want, n) != 0) {
        return 0;
    }
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

int jc_req_unsupported_type(jc_result_t *res)
{
    return jc_result_set(res, 415, "unsupported_media_type",
                         "Die Anfrage muss im JSON-Format (Content-Type: "
                         "application/json) gesendet werden.", NULL);
}

/* A route that ignores its body still takes only JSON (the API speaks
 * nothing else; a text/plain POST is what a cross-site form can send). */
int jc_req_no_body_or_json(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *cl = apr_table_get(r->headers_in, "Content-Length");

    if (ct) {
        return jc_req_is_json_type(ct);
    }
    return !apr_table_get(r->headers_in, "Transfer-Encoding")
           && (!cl || apr_atoi64(cl) == 0);
}

/* %00 is the only spelling of a NUL in a query: it would cut the value
 * short before any check sees the rest. */
int jc_req_query_nul_free(request_rec *r, const char **field)
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

const char *jc_req_query_arg(request_rec *r, const char *key)
{
    char *args, *tok, *last = NULL;
    size_t klen = strlen(key);

    if (!r->args) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&", &last); tok;
         tok = apr_strtok(NULL, "&", &last)) {
        if (!strncmp(tok, key, klen) && tok[klen] == '=') {
            char *v = tok + klen + 1;

            return ap_unescape_urlencoded(v) == OK ? v : NULL;
        }
    }
    return NULL;
}

/* A body that could not be read to its end: the status the input
 * filters' error maps to; the connection is not reused. */
static int body_failed(request_rec *r, int status, jc_result_t *res)
{
    r->connection->keepalive = AP_CONN_CLOSE;
    if (status == AP_FILTER_ERROR) {
        return status;      /* a filter has answered already */
    }
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return jc_result_set(res, 413, "body_too_large",
                             "Die Anfrage ist zu groß.", NULL);
    }
    if (status == HTTP_REQUEST_TIME_OUT) {
        return jc_result_set(res, 408, "body_unreadable", "Die Anfrage kam "
                             "zu langsam an und wurde abgebrochen. Bitte "
                             "versuchen Sie es erneut.", NULL);
    }
    return jc_result_set(res, 400, "body_unreadable",
                         "Die Anfrage konnte nicht gelesen werden.", NULL);
}

/* The body's bytes into buf (max bytes at most), read like mod_dav's PUT:
 * blocks from the input filters, a running total, the filters' error
 * mapped to its status (mod_reqtimeout's APR_TIMEUP: 408). OK with *len,
 * or what body_failed says. */
static int read_bytes(request_rec *r, char *buf, apr_off_t max,
                      apr_off_t *len, jc_result_t *res)
{
    apr_bucket_brigade *bb;
    int eos = 0;

    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!eos) {
        apr_bucket *b;
        apr_status_t st = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         HUGE_STRING_LEN);

        if (st != APR_SUCCESS) {
            apr_brigade_cleanup(bb);
            return body_failed(r, ap_map_http_request_error(
                                      st, HTTP_BAD_REQUEST), res);
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
                return body_failed(r, HTTP_BAD_REQUEST, res);
            }
            if ((apr_off_t)n > max - *len) {
                apr_brigade_cleanup(bb);
                return body_failed(r, HTTP_REQUEST_ENTITY_TOO_LARGE, res);
            }
            memcpy(buf + *len, data, n);
            *len += (apr_off_t)n;
        }
        apr_brigade_cleanup(bb);
    }
    return OK;
}

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

int jc_req_json_body(request_rec *r, apr_off_t max, json_t **body,
                     jc_result_t *res)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t len = 0;
    json_error_t jerr;
    char *buf;
    int st;

    *body = NULL;
    if (!jc_req_is_json_type(apr_table_get(r->headers_in,
                                           "Content-Type"))) {
        return jc_req_unsupported_type(res);
    }
    if (cl && (apr_atoi64(cl) > max || apr_atoi64(cl) < 0)) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return jc_result_set(res, 413, "body_too_large",
                             "Die Anfrage ist zu groß.", NULL);
    }
    buf = apr_palloc(r->pool, (apr_size_t)max + 1);
    st = read_bytes(r, buf, max, &len, res);
    if (st != OK) {
        return st;
    }
    *body = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*body || !json_is_object(*body)) {
        if (*body) {
            json_decref(*body);
            *body = NULL;
        }
        return jc_result_set(res, 400, "malformed_json", "Die Anfrage "
                             "enthält kein gültiges JSON-Objekt.", NULL);
    }
    apr_pool_cleanup_register(r->pool, *body, json_cleanup,
                              apr_pool_cleanup_null);
    return OK;
}

/* A positive id from the query or the JSON body; 0 if missing/invalid. */
apr_int64_t jc_api_arg_id(jc_call_t *c, const char *key)
{
    const char *v = NULL;
    json_t *j;
    char *end = NULL;
    apr_int64_t id;

    if (c->body) {
        j = json_object_get(c->body, key);
        if (json_is_integer(j)) {
            return json_integer_value(j) > 0 ? json_integer_value(j) : 0;
        }
        v = json_string_value(j);
    }
    if (!v) {
        v = jc_req_query_arg(c->r, key);
    }
    if (!v || !*v || strlen(v) > 18) {
        return 0;
    }
    id = apr_strtoi64(v, &end, 10);
    return (end && !*end && id > 0) ? id : 0;
}

/* mod_jobcenter resumable uploads, glue: the tus 1.0.0 routes under
 * /api/v1/uploads/tus (OPTIONS, POST creation, HEAD/GET, PATCH, DELETE)
 * and their housekeeping in the upload watchdog. The API has checked the
 * session (authenticated), Origin and X-CSRF-Token before a handler
 * runs; the logic is in jc_tus.c. A PATCH body is read like the other
 * upload bodies: blocks of 256 KiB from the input filters, handed to the
 * core as one iovec per block and dropped, a running cap (the bytes still
 * missing), and the stored offset recorded even when the client goes
 * away mid-body. */
#include <string.h>
#include <apr_strings.h>
#include <apr_date.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

#include "mod_jobcenter_request.h"
#include "jc_tus.h"
#include "jc_event.h"
#include "jc_upload_store.h"

APLOG_USE_MODULE(jobcenter);

#define TUS_BLOCK (256 * 1024)          /* bytes asked of the chain per read */
#define TUS_PREFIX "/api/v1/uploads/tus/"
#define TUS_HEAD_WAIT_MS 3000         /* HEAD waits this long for a PATCH */
#define TUS_SWEEP_AGE (JC_UPLOAD_DRAFT_TTL + 3600) /* spool files w/o row */

/* Headers every tus answer carries (also error answers). */
static void tus_headers(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Tus-Resumable", JC_TUS_VERSION);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
}

/* Tus-Resumable must name the version we speak: 412 otherwise. */
static int tus_version_ok(jc_call_t *c, jc_result_t *res)
{
    const char *v = apr_table_get(c->r->headers_in, "Tus-Resumable");

    tus_headers(c->r);
    if (v && !strcmp(v, JC_TUS_VERSION)) {
        return 1;
    }
    apr_table_setn(c->r->err_headers_out, "Tus-Version", JC_TUS_VERSION);
    jc_result_set(res, 412, "tus_version_unsupported", "Diese Version des "
                  "Upload-Protokolls (tus) wird nicht unterstützt. Bitte "
                  "laden Sie die Seite neu.", "Tus-Resumable");
    return 0;
}

/* A non-negative decimal header value, -1 if missing or invalid. */
static apr_off_t header_off(request_rec *r, const char *name)
{
    const char *v = apr_table_get(r->headers_in, name);
    char *end = NULL;
    apr_off_t n;

    if (!v || !*v || strlen(v) > 18 || strspn(v, "0123456789") != strlen(v)) {
        return -1;
    }
    n = apr_strtoi64(v, &end, 10);
    return (end && !*end && n >= 0) ? n : -1;
}

static void set_expires(request_rec *r, apr_int64_t at)
{
    char *d = apr_palloc(r->pool, APR_RFC822_DATE_LEN);

    if (apr_rfc822_date(d, apr_time_from_sec(at)) == APR_SUCCESS) {
        apr_table_setn(r->err_headers_out, "Upload-Expires", d);
    }
}

static void set_off(request_rec *r, const char *name, apr_off_t v)
{
    apr_table_setn(r->err_headers_out, name,
                   apr_off_t_toa(r->pool, v));
}

/* The account's upload named by the URI's last segment. */
static int load(jc_call_t *c, jc_result_t *res, jc_tus_t *t)
{
    const char *tok = c->r->uri + strlen(TUS_PREFIX);

    if (strncmp(c->r->uri, TUS_PREFIX, strlen(TUS_PREFIX)) != 0) {
        tok = "";
    }
    return jc_tus_get(&c->db, res, t, c->sess.account_id, tok, c->now,
                      c->r->pool);
}

/* A PATCH body may take minutes on a slow link: the PATCH route does not
 * get the request's mod_dbd connection (route flag 2; only the session
 * check takes one, on a cache miss, and then that one is used). Without
 * it, a connection of the pool is taken around the statements before and
 * after the body and given back in between. */
typedef struct {
    request_rec *r;
    ap_dbd_t *dbd;              /* the connection held, or NULL           */
} tus_dbh_t;

static apr_status_t dbh_cleanup(void *data)
{
    tus_dbh_t *h = data;

    if (h->dbd) {
        jc_dbd_release(h->r->server, h->dbd);
        h->dbd = NULL;
    }
    return APR_SUCCESS;
}

/* c->db bound to a connection: the request's (kept) or one of the pool
 * (h). 0, or 503 in res. */
static int db_take(jc_call_t *c, tus_dbh_t *h, jc_result_t *res)
{
    if (c->db.driver) {
        return 0;
    }
    h->dbd = jc_req_db_open(&c->db, c->r->pool, c->r->server, 3);
    return h->dbd ? 0 : jc_result_unavailable(res,
                                              "no database connection");
}

static void db_give(jc_call_t *c, tus_dbh_t *h)
{
    if (h->dbd) {
        jc_dbd_release(c->r->server, h->dbd);
        h->dbd = NULL;
        memset(&c->db, 0, sizeof(c->db));
    }
}

/* ---- routes ------------------------------------------------------------ */

/* OPTIONS uploads/tus: what the server supports (no session). */
static int jc_route_tus_options(jc_call_t *c, jc_result_t *res, json_t **out)
{
    request_rec *r = c->r;

    (void)res;
    *out = NULL;
    apr_table_setn(r->err_headers_out, "Tus-Resumable", JC_TUS_VERSION);
    apr_table_setn(r->err_headers_out, "Tus-Version", JC_TUS_VERSION);
    apr_table_setn(r->err_headers_out, "Tus-Extension", JC_TUS_EXTENSIONS);
    apr_table_setn(r->err_headers_out, "Tus-Checksum-Algorithm",
                   JC_TUS_CHECKSUMS);
    set_off(r, "Tus-Max-Size", c->conf->upload.max_file);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return 204;
}

/* POST uploads/tus: Upload-Length, Upload-Metadata (draft, filename). */
static int jc_route_tus_create(jc_call_t *c, jc_result_t *res, json_t **out)
{
    request_rec *r = c->r;
    apr_off_t len = header_off(r, "Upload-Length");
    apr_off_t cl = header_off(r, "Content-Length");
    apr_int64_t draft = 0;
    const char *name = NULL;
    jc_tus_t t;

    *out = NULL;
    if (!tus_version_ok(c, res)) {
        return res->status;
    }
    if ((cl > 0 || apr_table_get(r->headers_in, "Transfer-Encoding"))) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return jc_result_set(res, 400, "tus_body_not_allowed", "Die Datei "
                             "wird erst nach dem Anlegen des Uploads "
                             "gesendet (PATCH).", NULL);
    }
    if (len < 0) {
        return jc_result_set(res, 400, "tus_length_missing", "Die Größe der "
                             "Datei (Upload-Length) fehlt oder ist "
                             "ungültig.", "Upload-Length");
    }
    if (jc_tus_metadata(res, &draft, &name,
                        apr_table_get(r->headers_in, "Upload-Metadata"),
                        r->pool)) {
        return res->status;
    }
    /* the size limit before anything else (no database work) */
    if (len > c->conf->upload.max_file) {
        return jc_store_result_too_large(res, c->conf->upload.max_file,
                                         r->pool);
    }
    if (jc_upload_citizen_gate(c, res) != 200) {
        return res->status;
    }
    if (jc_tus_create(&c->db, res, &t, &c->conf->upload, c->sess.account_id,
                      draft, name, len, c->now, r->pool) != 201) {
        return res->status;
    }
    apr_table_setn(r->err_headers_out, "Location",
                   apr_pstrcat(r->pool, TUS_PREFIX, t.token, NULL));
    set_expires(r, t.expires_at);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, JCLOG(00340)
                  "tus: upload %s created (draft %" APR_INT64_T_FMT ", %"
                  APR_OFF_T_FMT " bytes)", t.token, t.draft_id, t.length);
    return 201;
}

/* HEAD uploads/tus/<id>: Upload-Offset and Upload-Length; GET: the same
 * as JSON, with the stored file once finished. */
static int jc_route_tus_get(jc_call_t *c, jc_result_t *res, json_t **out)
{
    request_rec *r = c->r;
    json_t *file = NULL;
    jc_tus_t t;

    *out = NULL;
    if (r->header_only && !tus_version_ok(c, res)) {
        return res->status;
    }
    tus_headers(r);
    if (load(c, res, &t) != 200) {
        return res->status;
    }
    /* a PATCH still running (the client's connection broke, the server
     * reads what had arrived): wait for the offset it stores */
    if (!jc_tus_wait_idle(&c->conf->upload, &t, TUS_HEAD_WAIT_MS, r->pool)) {
        return jc_result_set(res, 423, "upload_locked", "Diese Datei wird "
                             "gerade noch übertragen. Bitte versuchen Sie es "
                             "gleich erneut.", NULL);
    }
    if (load(c, res, &t) != 200) {
        return res->status;
    }
    set_off(r, "Upload-Offset", t.offset);
    set_off(r, "Upload-Length", t.length);
    set_expires(r, t.expires_at);
    if (t.file_id > 0) {
        apr_table_setn(r->err_headers_out, "Jobcenter-File-Id",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    t.file_id));
    }
    if (r->header_only) {
        return 200;
    }
    file = jc_tus_file_json(&c->db, &t, r->pool);
    *out = json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:o}", "upload",
                     t.token, "draft", (json_int_t)t.draft_id, "offset",
                     (json_int_t)t.offset, "length", (json_int_t)t.length,
                     "name", t.name, "expires_at", (json_int_t)t.expires_at,
                     "file", file ? file : json_null());
    return 200;
}

/* PATCH, before the body (Tus-Resumable checked): the headers, the
 * upload (t), the length it still lacks, then the writer (*w: the lock,
 * taken as early as possible: a HEAD after a drop waits for a PATCH only
 * once it holds the lock, docs/internals.md) and the citizen's upload
 * gate. 0, or the refusal's status (the connection is not reused). */
static int patch_open(jc_call_t *c, jc_result_t *res, tus_dbh_t *dbh,
                      jc_tus_t *t, jc_tus_w_t **w)
{
    request_rec *r = c->r;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_off_t off = header_off(r, "Upload-Offset");
    apr_off_t cl = header_off(r, "Content-Length");

    r->connection->keepalive = AP_CONN_CLOSE;
    if (!ct || strcasecmp(ct, "application/offset+octet-stream") != 0) {
        return jc_result_set(res, 415, "unsupported_media_type", "Die Daten "
                             "müssen als application/offset+octet-stream "
                             "gesendet werden.", NULL);
    }
    if (off < 0) {
        return jc_result_set(res, 400, "tus_offset_missing", "Die Stelle "
                             "der Daten (Upload-Offset) fehlt oder ist "
                             "ungültig.", "Upload-Offset");
    }
    if (db_take(c, dbh, res) || load(c, res, t) != 200) {
        return res->status;
    }
    /* more than the upload still lacks: 413 before a body byte is read */
    if (cl > 0 && off <= t->length && cl > t->length - off) {
        return jc_result_set(res, 413, "tus_length_exceeded", "Es wurden "
                             "mehr Daten gesendet, als für diese Datei "
                             "angemeldet sind.", "Upload-Length");
    }
    if (jc_tus_w_open(w, res, &c->db, &c->conf->upload, t, off,
                      apr_table_get(r->headers_in, "Upload-Checksum"),
                      c->now, r->pool)
        || jc_upload_citizen_gate(c, res) != 200) {
        if (res->status == 409) {
            set_off(r, "Upload-Offset", t->offset);
        }
        return res->status;
    }
    return 0;
}

/* One block of buckets handed to the writer (one writev where it can);
 * *eos at the end of the body, *rv a read error. The writer's status. */
static int patch_feed(apr_bucket_brigade *bb, jc_tus_w_t *w, int *eos,
                      apr_status_t *rv)
{
    struct iovec iov[JC_STORE_IOV_MAX];
    apr_bucket *b;
    int n = 0, st = 0;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb) && !st;
         b = APR_BUCKET_NEXT(b)) {
        const char *data;
        apr_size_t len;

        if (APR_BUCKET_IS_EOS(b)) {
            *eos = 1;
            break;
        }
        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        *rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        if (*rv != APR_SUCCESS) {
            break;
        }
        if (!len) {
            continue;
        }
        iov[n].iov_base = (void *)data;
        iov[n].iov_len = len;
        if (++n == JC_STORE_IOV_MAX) {
            st = jc_tus_w_feedv(w, iov, n);
            n = 0;
        }
    }
    if (!st && n > 0) {
        st = jc_tus_w_feedv(w, iov, n);
    }
    return st;
}

/* The body, read like the other uploads: blocks, each handed over and
 * dropped. The writer's status; *eos: the body was read to its end. */
static int patch_stream(request_rec *r, jc_tus_w_t *w, const jc_tus_t *t,
                        int *eos)
{
    apr_bucket_brigade *bb;
    apr_status_t rv = APR_SUCCESS;
    int st = 0;

    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!*eos && !st) {
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, TUS_BLOCK);
        if (rv != APR_SUCCESS) {
            break;
        }
        st = patch_feed(bb, w, eos, &rv);
        apr_brigade_cleanup(bb);
        if (rv != APR_SUCCESS) {
            break;
        }
    }
    if (!*eos) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, JCLOG(00341)
                      "tus: upload %s: body ended after %" APR_OFF_T_FMT
                      " bytes; the offset is kept", t->token,
                      jc_tus_w_bytes(w));
    }
    return st;
}

/* clamd flagged the completed file: a warning and a Verlauf event. */
static void patch_infected(jc_call_t *c, jc_tus_w_t *w, const jc_tus_t *t)
{
    request_rec *r = c->r;
    const char *stored = NULL, *sig = jc_tus_w_finding(w, &stored);

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, JCLOG(00346)
                  "upload refused: clamd found %s in \"%s\" (account %"
                  APR_INT64_T_FMT ", tus upload %s); file %s",
                  sig ? sig : "?", t->name, c->sess.account_id, t->token,
                  stored ? apr_pstrcat(r->pool, "quarantined as ",
                                       stored, NULL) : "removed");
    if (jc_event_add(&c->db, c->sess.account_id, c->now,
                     JC_EV_UPLOAD_INFECTED,
                     apr_psprintf(r->pool, "„%s“: %s", t->name,
                                  sig ? sig : "?"), r->pool)
        != JC_DB_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, JCLOG(00347)
                      "upload refused: cannot record the Verlauf "
                      "event");
    }
}

/* The upload is complete: its file's id in a header and the log. */
static void patch_complete(request_rec *r, const jc_tus_t *t, json_t *file)
{
    apr_int64_t id = t->file_id;

    /* APR's formatter has no %ll: APR_INT64_T_FMT */
    apr_table_setn(r->err_headers_out, "Jobcenter-File-Id",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, id));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, JCLOG(00342)
                  "tus: upload %s complete: file %" APR_INT64_T_FMT
                  " (%" APR_OFF_T_FMT " bytes) in draft %"
                  APR_INT64_T_FMT, t->token, id, t->length, t->draft_id);
    json_decref(file);
}

/* PATCH uploads/tus/<id>: Upload-Offset, Content-Type
 * application/offset+octet-stream, optional Upload-Checksum. */
static int jc_route_tus_patch(jc_call_t *c, jc_result_t *res, json_t **out)
{
    request_rec *r = c->r;
    jc_tus_w_t *w = NULL;
    json_t *file = NULL;
    int eos = 0, st, keepalive = r->connection->keepalive;
    tus_dbh_t *dbh = apr_pcalloc(r->pool, sizeof(*dbh));
    jc_tus_t t;

    *out = NULL;
    dbh->r = r;
    apr_pool_cleanup_register(r->pool, dbh, dbh_cleanup,
                              apr_pool_cleanup_null);
    if (!tus_version_ok(c, res)) {
        return res->status;
    }
    if (patch_open(c, res, dbh, &t, &w)) {
        return res->status;
    }
    r->connection->keepalive = keepalive;
    db_give(c, dbh);            /* not held while the body streams */
    st = patch_stream(r, w, &t, &eos);
    if (db_take(c, dbh, res)) {
        /* the bytes stay in the spool file past the stored offset: the
         * next PATCH cuts them off */
        return res->status;
    }
    if (c->conf->clamd_cfg.addr) {
        /* the completed file goes through clamd before it joins the draft,
         * with the answers of the other uploads (jc_upsink.c) */
        jc_tus_w_scan(w, &c->conf->clamd_cfg, c->conf->clamd_hold,
                      c->conf->clamd_qdir);
    }
    st = jc_tus_w_finish(w, &c->db, res, &t, eos && !st, &file,
                         &c->conf->upload, c->now, r->pool);
    if (st == 422 && res->code && !strcmp(res->code, "upload_infected")) {
        patch_infected(c, w, &t);
    }
    db_give(c, dbh);
    set_off(r, "Upload-Offset", t.offset);
    set_expires(r, t.expires_at);
    if (st != 204) {
        if (res->status == 460) {
            /* not in httpd's table: without it the line says 500 */
            r->status_line = "460 Checksum Mismatch";
        }
        return res->status;
    }
    if (file) {
        patch_complete(r, &t, file);
    }
    return 204;
}

/* DELETE uploads/tus/<id>: termination. */
static int jc_route_tus_delete(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_tus_t t;

    *out = NULL;
    if (!tus_version_ok(c, res) || load(c, res, &t) != 200) {
        return res->status;
    }
    return jc_tus_terminate(&c->db, res, &c->conf->upload, &t, c->r->pool);
}

/* ---- housekeeping (the upload watchdog) -------------------------------- */

void jc_tus_tick(server_rec *s, jc_db_t *db, apr_int64_t now, apr_pool_t *p)
{
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    unsigned n = 0;
    jc_db_rc_e rc = jc_tus_purge(db, &n, &conf->upload, now, p);

    if (rc != JC_DB_OK) {
        jc_log_db_failed(s, db, rc, JCLOG(00343) "tus uploads");
    }
    if (n > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00344)
                     "tus uploads: removed %u expired upload(s)", n);
    }
    n = 0;
    if (jc_tus_sweep(conf->upload.store, TUS_SWEEP_AGE, &n, p)
        == APR_SUCCESS && n > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00345)
                     "tus uploads: removed %u spool file(s) without an "
                     "upload", n);
    }
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_tus[] = {
    /* resumable uploads, tus 1.0.0 (mod_jobcenter_tus.c): '#' is an
     * upload's 32-hex token; OPTIONS (capabilities) needs no session */
    { M_OPTIONS, "uploads/tus", JC_LEVEL_PUBLIC, JC_BODY_NONE, JC_CONN_NONE,
      jc_route_tus_options },
    { M_POST, "uploads/tus", JC_LEVEL_FULL, JC_BODY_STREAM, JC_CONN_HANDLER,
      jc_route_tus_create },
    { M_GET, "uploads/tus/#", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_tus_get },
    /* PATCH: JC_CONN_SESSION, the handler takes a connection only
     * around its own statements, not for the minutes a slow body may
     * take */
    { M_PATCH, "uploads/tus/#", JC_LEVEL_FULL, JC_BODY_STREAM, JC_CONN_SESSION,
      jc_route_tus_patch },
    { M_DELETE, "uploads/tus/#", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_tus_delete },
    { 0, NULL, 0, 0, 0, NULL }
};

/* mod_jobcenter uploads, glue: the JC_UPLOAD input filter that streams a
 * request body into the upload sink (jc_upsink: sniff, SHA-256, temp
 * file, fsync, rename), the upload routes of the API, the upload store's
 * preparation at start-up and its watchdog (orphaned temp files, drafts
 * older than 24 h). The logic is in jc_upsink.c and jc_upload.c. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_watchdog.h>
#include <ap_mpm.h>
#include <unixd.h>
#include <util_filter.h>

#include "mod_jobcenter_request.h"
#include "jc_upload_store.h"
#include "jc_store_check.h"
#include "jc_multipart.h"
#include "jc_online.h"
#include "jc_upsink.h"
#include "jc_scanhold.h"
#include "jc_event.h"

APLOG_USE_MODULE(jobcenter);

#define JC_UP_FILTER    "JC_UPLOAD"
#define JC_UP_BLOCK     (256 * 1024) /* bytes asked of the chain per read */
#define JC_UP_WD_EVERY  5            /* seconds between watchdog runs     */
#define JC_UP_ORPHAN_AGE 2           /* temp files younger are not checked */
#define JC_UP_MP_SLACK  (8192 + JC_UPSINK_FIELD_BYTES) /* multipart framing */

/* ---- the input filter -------------------------------------------------- */

/* State of one upload body (f->ctx). */
typedef struct {
    jc_upsink_t *sink;          /* where the bytes go                      */
    apr_bucket_brigade *in;     /* what the next filter gave us            */
    apr_off_t max_body;         /* body limit (Content-Length and running) */
    apr_off_t body;             /* body bytes seen                         */
    int status;                 /* 0, or the HTTP status of the failure    */
    int eos;                    /* the body has ended (sink finished)      */
    apr_status_t rv;            /* the chain's read error, if any          */
} jc_upf_t;

/* One block of the body (u->in) to the sink: its buffers in one call (a
 * raw body: one writev); the body limit checked as it goes. Sets
 * u->status on trouble, u->eos at the end. */
static void filter_feed(jc_upf_t *u)
{
    struct iovec iov[JC_STORE_IOV_MAX];
    apr_bucket *b;
    apr_status_t rv;
    int n = 0;

    for (b = APR_BRIGADE_FIRST(u->in); b != APR_BRIGADE_SENTINEL(u->in);
         b = APR_BUCKET_NEXT(b)) {
        const char *data;
        apr_size_t len;

        if (APR_BUCKET_IS_EOS(b)) {
            u->eos = 1;
            break;
        }
        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        if (rv != APR_SUCCESS) {
            u->rv = rv;
            u->status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
            break;
        }
        if (len == 0) {
            continue;
        }
        u->body += (apr_off_t)len;
        if (u->body > u->max_body) {
            u->status = 413;    /* a chunked body past the limit: cut */
            break;
        }
        iov[n].iov_base = (void *)data;
        iov[n].iov_len = len;
        if (++n == JC_STORE_IOV_MAX) {
            u->status = jc_upsink_feedv(u->sink, iov, n);
            n = 0;
            if (u->status) {
                break;
            }
        }
    }
    if (!u->status && n > 0) {
        u->status = jc_upsink_feedv(u->sink, iov, n);
    }
}

/* Reads the body from the next filter in blocks, feeds every data bucket
 * to the sink and drops it: the caller gets empty brigades until the end,
 * then EOS. Nothing accumulates: each block's buckets are deleted before
 * the next read. A sink error makes every further call return
 * APR_EGENERAL (the handler reads the status from the context). */
static apr_status_t upload_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                  ap_input_mode_t mode,
                                  apr_read_type_e block, apr_off_t readbytes)
{
    jc_upf_t *u = f->ctx;
    apr_status_t rv;

    (void)block;
    (void)readbytes;
    if (mode != AP_MODE_READBYTES) {
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (u->status) {
        return APR_EGENERAL;
    }
    if (u->eos) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(
                                        f->c->bucket_alloc));
        return APR_SUCCESS;
    }
    rv = ap_get_brigade(f->next, u->in, AP_MODE_READBYTES, APR_BLOCK_READ,
                        JC_UP_BLOCK);
    if (rv != APR_SUCCESS) {
        /* client gone, timeout, or LimitRequestBody (APR_ENOSPC) */
        apr_brigade_cleanup(u->in);
        jc_upsink_abort(u->sink);
        u->rv = rv;
        u->status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        return rv;
    }
    /* hand the block to the sink, then drop the buckets */
    filter_feed(u);
    apr_brigade_cleanup(u->in);
    if (!u->status && u->eos) {
        u->status = jc_upsink_finish(u->sink);
    }
    if (u->status) {
        apr_brigade_cleanup(u->in);
        jc_upsink_abort(u->sink);
        return APR_EGENERAL;
    }
    if (u->eos) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(
                                        f->c->bucket_alloc));
    }
    return APR_SUCCESS;
}

/* ---- request helpers --------------------------------------------------- */

/* The gate of the citizen's upload routes: a person profile (403
 * profile_required) and active Online-Kommunikation (403
 * online_kommunikation_inactive, with the seed's explanation). Also the
 * resumable uploads' (mod_jobcenter_tus.c). */
int jc_upload_citizen_gate(jc_call_t *c, jc_result_t *res)
{
    jc_upload_profile_t pr;
    int active = 0;
    jc_db_rc_e rc;

    if (jc_upload_profile(&c->db, res, &pr, c->sess.account_id, c->r->pool)
        != 200) {
        return res->status;
    }
    rc = jc_online_active(&c->db, c->sess.account_id, c->now, &active,
                          c->r->pool);
    if (jc_db_fail(res, &c->db, rc, c->r->pool)) {
        return res->status;
    }
    if (!active) {
        return jc_upload_consent_result(res);
    }
    return 200;
}

/* Send a stored file (receipt or upload) with the given headers; the file
 * is streamed by the core output filters (sendfile/mmap), never read into
 * memory here. */
static int send_stored(jc_call_t *c, jc_result_t *res, const char *path,
                       const char *type, const char *disposition)
{
    request_rec *r = c->r;
    apr_file_t *fd;
    apr_finfo_t fi;
    apr_bucket_brigade *bb;
    apr_status_t rv;

    rv = apr_file_open(&fd, path, APR_READ | APR_BINARY, 0, r->pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, fd);
    }
    if (rv != APR_SUCCESS) {
        return jc_result_internal(res, apr_psprintf(r->pool, "open %s: %pm",
                                                    path, &rv));
    }
    r->status = 200;
    ap_set_content_type(r, type);
    ap_set_content_length(r, fi.size);
    apr_table_setn(r->headers_out, "Content-Disposition", disposition);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; sandbox");
    c->sent = 1;
    if (r->header_only) {
        return 200;
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_brigade_insert_file(bb, fd, 0, fi.size, r->pool);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(
                                    r->connection->bucket_alloc));
    rv = ap_pass_brigade(r->output_filters, bb);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, JCLOG(00302)
                      "sending %s aborted", path);
    }
    return 200;
}

/* Content-Disposition with an ASCII fallback name and the UTF-8 name as
 * RFC 5987 filename*. */
static const char *disposition(apr_pool_t *p, const char *kind,
                               const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(name), i, a = 0, e = 0;
    char *ascii = apr_palloc(p, n + 1), *enc = apr_palloc(p, 3 * n + 1);

    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];

        ascii[a++] = (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
                     ? (char)ch : '_';
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
            || (ch >= '0' && ch <= '9') || strchr("!#$&+-.^_`|~", ch)) {
            enc[e++] = (char)ch;
        }
        else {
            enc[e++] = '%';
            enc[e++] = hex[ch >> 4];
            enc[e++] = hex[ch & 15];
        }
    }
    ascii[a] = '\0';
    enc[e] = '\0';
    return apr_psprintf(p, "%s; filename=\"%s\"; filename*=UTF-8''%s", kind,
                        ascii, enc);
}

/* clamd flagged a file of this body (refused with 422): a warning in the
 * error log (account, file, signature, where it went) and an entry in
 * the account's Verlauf. */
static void scan_audit(jc_call_t *c, const jc_upsink_t *sink)
{
    request_rec *r = c->r;
    const char *file = NULL, *stored = NULL;
    const char *sig = jc_upsink_finding(sink, &file, &stored);
    jc_db_rc_e rc;

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, JCLOG(00330)
                  "upload refused: clamd found %s in \"%s\" (account %"
                  APR_INT64_T_FMT ", %s %s); file %s", sig ? sig : "?",
                  file ? file : "?", c->sess.account_id, r->method, r->uri,
                  stored ? apr_pstrcat(r->pool, "quarantined as ", stored,
                                       NULL) : "removed");
    if (c->sess.account_id <= 0 || !c->db.driver) {
        return;
    }
    rc = jc_event_add(&c->db, c->sess.account_id, c->now,
                      JC_EV_UPLOAD_INFECTED,
                      apr_psprintf(r->pool, "„%s“: %s", file ? file : "?",
                                   sig ? sig : "?"), r->pool);
    if (rc != JC_DB_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, JCLOG(00331)
                      "upload refused: cannot record the Verlauf event: "
                      "%s", c->db.last_error ? c->db.last_error
                      : jc_db_rc_name(rc));
    }
}

/* The sink's configuration for this request: scanned by clamd while it
 * is stored when JobcenterClamd is on (with the caller named in its
 * findings), else not. */
static const jc_upsink_cfg_t *sink_cfg(jc_call_t *c,
                                       const jc_upsink_cfg_t *scfg)
{
    request_rec *r = c->r;
    jc_upsink_cfg_t *sc = apr_pmemdup(r->pool, scfg, sizeof(*scfg));

    if (c->conf->clamd_cfg.addr) {
        sc->scan = &c->conf->clamd_cfg;
        sc->scan_hold = scfg->scan_hold && c->conf->clamd_hold;
        sc->quarantine = c->conf->clamd_qdir;
        sc->owner = apr_psprintf(r->pool, "account %" APR_INT64_T_FMT
                                 ", %s", c->sess.account_id,
                                 r->useragent_ip);
    }
    else {
        sc->scan = NULL;
        sc->scan_hold = 0;
    }
    return sc;
}

/* A body the sink did not take to its end: nothing is kept, the
 * connection is not reused, res says why (the chain's error, the body
 * limit, or the sink's refusal). Its status. */
static int body_refused(jc_call_t *c, jc_upf_t *u,
                        const jc_upsink_cfg_t *scfg, jc_result_t *res)
{
    request_rec *r = c->r;

    jc_upsink_abort(u->sink);
    r->connection->keepalive = AP_CONN_CLOSE;
    if (u->rv != APR_SUCCESS) {
        /* the chain failed: client gone, timeout, LimitRequestBody */
        jc_result_set(res, u->status == 413 ? 413 : u->status,
                      u->status == 413 ? "upload_too_large"
                                       : "body_unreadable",
                      u->status == 413 ? "Die Datei ist zu groß."
                      : "Die Datei konnte nicht vollständig empfangen "
                        "werden. Bitte versuchen Sie es erneut.",
                      "file");
        res->log = apr_psprintf(r->pool, "upload body: %pm", &u->rv);
        return res->status;
    }
    if (u->status == 413 && jc_upsink_result(u->sink)->status != 413) {
        /* cut by the body limit in the filter */
        return jc_store_result_too_large(res, scfg->max_file_limit,
                                         r->pool);
    }
    *res = *jc_upsink_result(u->sink);
    if (res->status < 400) {
        jc_result_internal(res, "upload failed without a reason");
    }
    if (res->code && !strcmp(res->code, "upload_infected")) {
        scan_audit(c, u->sink);
    }
    return res->status;
}

/* Stream the request body through the JC_UPLOAD filter into an upload
 * sink configured by scfg (max_body: the body limit, also checked against
 * Content-Length first). 200 with the committed files in *files, or the
 * error in res (nothing left in the store). Shared by the upload and the
 * message routes (Bescheide). */
int jc_upload_read_body(jc_call_t *c, jc_result_t *res,
                        const jc_upsink_cfg_t *scfg, apr_off_t max_body,
                        const apr_array_header_t **files)
{
    request_rec *r = c->r;
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    jc_upf_t *u;
    apr_bucket_brigade *bb;
    apr_status_t rv;
    int seen_eos = 0;

    if (cl) {
        char *end = NULL;
        apr_off_t n = apr_strtoi64(cl, &end, 10);

        if (!end || *end || n < 0 || n > max_body) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return jc_store_result_too_large(res, scfg->max_file_limit,
                                             r->pool);
        }
    }
    u = apr_pcalloc(r->pool, sizeof(*u));
    scfg = sink_cfg(c, scfg);
    if (jc_upsink_create(&u->sink, scfg, r->pool) != APR_SUCCESS) {
        return jc_result_internal(res, "upload sink configuration");
    }
    u->in = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    u->max_body = max_body;
    ap_add_input_filter(JC_UP_FILTER, u, r, r->connection);

    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, JC_UP_BLOCK);
        if (rv != APR_SUCCESS) {
            break;
        }
        seen_eos = !APR_BRIGADE_EMPTY(bb)
                   && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb));
        apr_brigade_cleanup(bb);
    }
    if (u->status || !seen_eos) {
        return body_refused(c, u, scfg, res);
    }
    *files = jc_upsink_files(u->sink);
    return 200;
}

int jc_upload_send_stored(jc_call_t *c, jc_result_t *res, const char *path,
                          const char *type, const char *disp)
{
    return send_stored(c, res, path, type, disp);
}

const char *jc_upload_disposition(apr_pool_t *p, const char *kind,
                                  const char *name)
{
    return disposition(p, kind, name);
}

/* ---- citizen routes ---------------------------------------------------- */

static int jc_route_up_context(jc_call_t *c, jc_result_t *res, json_t **out)
{
    *out = NULL;
    if (jc_upload_citizen_gate(c, res) != 200) {
        return res->status;
    }
    return jc_upload_context(&c->db, res, out, &c->conf->upload,
                             c->sess.account_id, c->now, c->r->pool);
}

static int jc_route_up_draft(jc_call_t *c, jc_result_t *res, json_t **out)
{
    *out = NULL;
    if (jc_upload_citizen_gate(c, res) != 200) {
        return res->status;
    }
    return jc_upload_draft_create(&c->db, res, out, &c->conf->upload,
                                  c->sess.account_id,
                                  jc_api_body_str(c, "area", NULL), c->now,
                                  c->r->pool);
}

/* POST uploads/files?draft=N[&name=...]: the body is the file (any
 * Content-Type but multipart/form-data, which may hold several files). */
static int jc_route_up_files(jc_call_t *c, jc_result_t *res, json_t **out)
{
    request_rec *r = c->r;
    const jc_upload_cfg_t *cfg = &c->conf->upload;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    const char *boundary = NULL;
    apr_int64_t draft = jc_api_arg_id(c, "draft");
    jc_upload_room_t room;
    jc_upsink_cfg_t scfg;
    const apr_array_header_t *files = NULL;
    apr_off_t max_body;

    *out = NULL;
    if (jc_upload_citizen_gate(c, res) != 200) {
        return res->status;
    }
    if (!draft) {
        return jc_result_set(res, 400, "draft_missing", "Bitte wählen Sie "
                             "zuerst den zuständigen Bereich aus.", "draft");
    }
    if (jc_upload_room(&c->db, res, &room, cfg, c->sess.account_id, draft,
                       c->now, r->pool) != 200) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return res->status;
    }
    memset(&scfg, 0, sizeof(scfg));
    scfg.store = cfg->store;
    scfg.max_file = cfg->max_file;
    scfg.max_file_limit = cfg->max_file;
    scfg.max_total = room.bytes_left;
    scfg.scan_hold = 1;         /* JobcenterClamdUnavailable hold applies */
    if (ct && !strncasecmp(ct, "multipart/", 10)) {
        if (jc_multipart_boundary(&boundary, ct, r->pool) != JC_MP_OK) {
            return jc_mp_result(res, JC_MP_ERR_CTYPE);
        }
        scfg.boundary = boundary;
        scfg.max_files = room.files_left;
        max_body = cfg->max_file * (apr_off_t)room.files_left;
        if (max_body > room.bytes_left) {
            max_body = room.bytes_left;
        }
        max_body += JC_UP_MP_SLACK * (apr_off_t)(room.files_left + 1);
    }
    else {
        scfg.max_files = 1;
        scfg.raw_name = jc_req_query_arg(r, "name");
        max_body = cfg->max_file < room.bytes_left ? cfg->max_file
                                                   : room.bytes_left;
    }
    /* the limit before a single body byte is read */
    if (cl) {
        char *end = NULL;
        apr_off_t n = apr_strtoi64(cl, &end, 10);

        if (!end || *end || n < 0 || n > max_body) {
            r->connection->keepalive = AP_CONN_CLOSE;
            if (!boundary && room.bytes_left < cfg->max_file
                && n > room.bytes_left) {
                return jc_result_set(res, 413, "upload_daily_limit",
                                     "Sie haben heute bereits so viele "
                                     "Daten hochgeladen, wie an einem Tag "
                                     "erlaubt ist. Bitte versuchen Sie es "
                                     "morgen erneut.", "file");
            }
            return jc_store_result_too_large(res, cfg->max_file, r->pool);
        }
    }
    if (jc_upload_read_body(c, res, &scfg, max_body, &files) != 200) {
        return res->status;
    }
    return jc_upload_files_add(&c->db, res, out, cfg, c->sess.account_id,
                               draft, files, c->now,
                               r->pool);
}

static int jc_route_up_file_delete(jc_call_t *c, jc_result_t *res,
                                   json_t **out)
{
    *out = NULL;
    return jc_upload_file_remove(&c->db, res, &c->conf->upload,
                                 c->sess.account_id, jc_api_arg_id(c, "draft"),
                                 jc_api_arg_id(c, "file"), c->r->pool);
}

static int jc_route_up_submit(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_upload_submit_in_t in;
    json_t *m = json_object_get(c->body, "message");

    *out = NULL;
    if (jc_upload_citizen_gate(c, res) != 200) {
        return res->status;
    }
    if (m && !json_is_string(m) && !json_is_null(m)) {
        return jc_result_set(res, 400, "message_invalid", "Die Nachricht "
                             "muss Text sein.", "message");
    }
    in.account_id = c->sess.account_id;
    in.draft_id = jc_api_arg_id(c, "draft");
    in.message = json_string_value(m);
    in.key = jc_api_body_str(c, "idempotency_key", NULL);
    if (!in.key) {
        in.key = apr_table_get(c->r->headers_in, "Idempotency-Key");
    }
    return jc_upload_submit(&c->db, res, out, &c->conf->upload, &in, c->now,
                            c->r->pool);
}

static int jc_route_up_receipt(jc_call_t *c, jc_result_t *res, json_t **out)
{
    const char *path, *ref;

    *out = NULL;
    if (jc_upload_receipt(&c->db, res, &path, &ref, &c->conf->upload,
                          c->sess.account_id, jc_api_arg_id(c, "submission"),
                          c->r->pool) != 200) {
        return res->status;
    }
    return send_stored(c, res, path, "application/pdf",
                       disposition(c->r->pool, "inline",
                                   apr_pstrcat(c->r->pool, "Bestaetigung-",
                                               ref, ".pdf", NULL)));
}

static int jc_route_up_list(jc_call_t *c, jc_result_t *res, json_t **out)
{
    return jc_upload_list(&c->db, res, out, c->sess.account_id, c->r->pool);
}

static int jc_route_up_verify(jc_call_t *c, jc_result_t *res, json_t **out)
{
    return jc_upload_verify(&c->db, res, out,
                            jc_api_body_str(c, "reference", NULL),
                            jc_api_body_str(c, "code", NULL), c->r->pool);
}

/* ---- staff routes ------------------------------------------------------ */

/* The staff routes run with R_STAFF: the API has loaded the
 * caller's enabled staff row (c->staff); the core keeps them to its
 * jobcenter and team. */
static void staff_of(jc_call_t *c, jc_upload_staff_t *st)
{
    st->account_id = c->staff->account_id;
    st->jobcenter_id = c->staff->jobcenter_id;
    st->team = c->staff->team;
}

static int jc_route_up_inbox(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_upload_staff_t st;

    staff_of(c, &st);
    return jc_upload_staff_inbox(&c->db, res, out, &st, c->r->pool);
}

static int jc_route_up_staff_file(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_upload_staff_t st;
    jc_upload_dl_t dl;

    *out = NULL;
    staff_of(c, &st);
    if (jc_upload_staff_file(&c->db, res, &dl, &c->conf->upload, &st,
                             jc_api_arg_id(c, "file"), c->r->pool) != 200) {
        return res->status;
    }
    return send_stored(c, res, dl.path, dl.mime,
                       disposition(c->r->pool, "attachment", dl.name));
}

static int jc_route_up_status(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_upload_staff_t st;

    staff_of(c, &st);
    return jc_upload_staff_set_status(&c->db, res, out, &st,
                                      jc_api_arg_id(c, "submission"),
                                      jc_api_body_str(c, "status", NULL),
                                      c->now, c->r->pool);
}

/* ---- start-up and watchdog --------------------------------------------- */

typedef struct {
    server_rec *s;              /* server whose configuration is used     */
    apr_int64_t last_reconcile; /* epoch seconds of the last reconcile    */
} jc_up_wd_t;

/* ---- store reconcile (JobcenterStoreReconcileInterval) ----------------- */

static void reconcile_report(void *baton, const jc_sc_finding_t *f)
{
    server_rec *s = baton;

    switch (f->kind) {
    case JC_SC_ORPHAN_FILE:
    case JC_SC_ORPHAN_TEMP:
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, JCLOG(00320)
                     "store reconcile: removed %s (%" APR_OFF_T_FMT
                     " bytes): %s", f->path, f->size,
                     f->kind == JC_SC_ORPHAN_FILE ? "no row names it"
                     : "a temp file nobody writes");
        break;
    case JC_SC_MISSING_FILE:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00321)
                     "store reconcile: %s row %" APR_INT64_T_FMT " names "
                     "store file %s, which is missing", f->table, f->row_id,
                     f->store_id);
        break;
    default:
        ap_log_error(APLOG_MARK, APLOG_WARNING, f->err, s, JCLOG(00322)
                     "store reconcile: cannot check %s", f->path);
        break;
    }
}

/* Once per JobcenterStoreReconcileInterval: committed files without a row
 * (and temp files nobody writes) past JobcenterStoreReconcileGrace are
 * removed, rows without their file logged (jc_store_check.h). */
static void store_reconcile(jc_up_wd_t *wd, jc_srv_conf_t *conf,
                            apr_int64_t now, jc_db_t *db, apr_pool_t *p)
{
    server_rec *s = wd->s;
    jc_sc_totals_t t;
    jc_sc_cfg_t cfg;
    jc_db_rc_e rc;

    if (conf->sc_interval <= 0 || now - wd->last_reconcile
                                  < conf->sc_interval) {
        return;
    }
    wd->last_reconcile = now;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dir = conf->upload.store;
    cfg.grace = (long)conf->sc_grace;
    cfg.repair = 1;
    cfg.report = reconcile_report;
    cfg.baton = s;
    rc = jc_store_check(db, &t, &cfg, now, p);
    if (rc != JC_DB_OK) {
        jc_log_db_failed(s, db, rc, JCLOG(00323) "store reconcile");
    }
    ap_log_error(APLOG_MARK, t.removed || t.missing || t.unchecked
                 ? APLOG_INFO : APLOG_DEBUG, 0, s, JCLOG(00324)
                 "store reconcile: %u file(s), %u in flight, %u removed "
                 "(%" APR_OFF_T_FMT " bytes), %u row(s) without their file",
                 t.files, t.busy, t.removed, t.removed_bytes, t.missing);
}

/* ---- held files (JobcenterClamdUnavailable hold) ---------------------- */

static void held_report(void *baton, const jc_scan_held_t *h)
{
    server_rec *s = baton;

    switch (h->verdict) {
    case JC_CLAMD_CLEAN:
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00332)
                     "held upload %" APR_INT64_T_FMT " (\"%s\", account %"
                     APR_INT64_T_FMT ") scanned clean: released to staff",
                     h->file_id, h->name, h->account_id);
        break;
    case JC_CLAMD_FOUND:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00333)
                     "held upload %" APR_INT64_T_FMT " removed: clamd found "
                     "%s in \"%s\" (account %" APR_INT64_T_FMT "); file %s",
                     h->file_id, h->detail, h->name, h->account_id,
                     h->stored ? h->stored : "removed");
        break;
    case JC_CLAMD_TOO_LARGE:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00334)
                     "held upload %" APR_INT64_T_FMT " stays held: clamd "
                     "refuses its size (%s)", h->file_id, h->detail);
        break;
    default:
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00335)
                     "held uploads: clamd still unavailable (%s)",
                     h->detail ? h->detail : "-");
        break;
    }
}

/* Scan the files stored while clamd was unreachable (jc_scanhold.h). */
static void scan_held(server_rec *s, jc_srv_conf_t *conf, apr_int64_t now,
                      jc_db_t *db, apr_pool_t *p)
{
    jc_scan_hold_cfg_t cfg;
    unsigned released = 0, removed = 0;
    jc_db_rc_e rc;

    if (!conf->clamd_cfg.addr) {
        return;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.clamd = &conf->clamd_cfg;
    cfg.store = conf->upload.store;
    cfg.quarantine = conf->clamd_qdir;
    cfg.batch = 20;
    cfg.report = held_report;
    cfg.baton = s;
    rc = jc_scan_held_run(db, &released, &removed, &cfg, now, p);
    if (rc != JC_DB_OK) {
        jc_log_db_failed(s, db, rc, JCLOG(00336) "held uploads");
    }
}

static apr_status_t upload_tick(int state, void *data, apr_pool_t *pool)
{
    jc_up_wd_t *wd = data;
    server_rec *s = wd->s;
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    int mpm_state = AP_MPMQ_RUNNING;
    unsigned n = 0;
    apr_pool_t *p;
    ap_dbd_t *dbd;
    jc_db_t db;
    jc_db_rc_e rc;

    ap_mpm_query(AP_MPMQ_MPM_STATE, &mpm_state);
    if (state != AP_WATCHDOG_STATE_RUNNING || mpm_state == AP_MPMQ_STOPPING) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, pool);
    /* temp files whose writer died (kill -9, crash) */
    if (jc_store_cleanup_orphans(conf->upload.store, JC_UP_ORPHAN_AGE, &n, p)
        == APR_SUCCESS && n > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00303)
                     "upload store: removed %u orphaned temp file(s)", n);
    }
    memset(&db, 0, sizeof(db));
    dbd = jc_req_db_open(&db, p, s, 1);
    if (dbd) {
        rc = jc_upload_purge_drafts(&db, &n, &conf->upload, now, p);
        if (rc != JC_DB_OK) {
            jc_log_db_failed(s, &db, rc, JCLOG(00304) "upload drafts");
        }
        else if (n > 0) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00305)
                         "upload drafts: removed %u draft(s) older than "
                         "24 h", n);
        }
        jc_tus_tick(s, &db, now, p);   /* expired resumable uploads */
        store_reconcile(wd, conf, now, &db, p);
        scan_held(s, conf, now, &db, p);
        jc_dbd_release(s, dbd);
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* post_config (as root): the store's tmp/ and files/ (and the
 * quarantine) created for the server's user. */
static apr_status_t store_prepare(server_rec *s, jc_srv_conf_t *conf,
                                  apr_pool_t *pconf)
{
    const char *dir = conf->upload.store;
    const char *sub[3] = { "", "/tmp", "/files" };
    apr_status_t rv;
    int i;

    rv = jc_store_prepare(dir, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, JCLOG(00306)
                     "JobcenterUploadStore %s: cannot create tmp/ and files/ "
                     "(the directory must exist)", dir);
        return rv;
    }
    for (i = 0; i < 3 && geteuid() == 0; i++) {
        const char *d = apr_pstrcat(pconf, dir, sub[i], NULL);

        if (chown(d, ap_unixd_config.user_id, ap_unixd_config.group_id)
            != 0) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, APR_FROM_OS_ERROR(errno),
                         s, JCLOG(00307) "JobcenterUploadStore: cannot "
                         "chown %s", d);
            return APR_EGENERAL;
        }
    }
    if (conf->clamd_qdir) {
        /* flagged files: only root and the server's user may look */
        rv = apr_dir_make(conf->clamd_qdir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                          | APR_FPROT_UEXECUTE, pconf);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, JCLOG(00337)
                         "JobcenterClamdInfected quarantine: cannot create "
                         "%s", conf->clamd_qdir);
            return rv;
        }
        if (geteuid() == 0 && chown(conf->clamd_qdir, ap_unixd_config.user_id,
                                    ap_unixd_config.group_id) != 0) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, APR_FROM_OS_ERROR(errno),
                         s, JCLOG(00338) "cannot chown %s",
                         conf->clamd_qdir);
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* post_config (as root): create the store's tmp/ and files/ for the
 * server's user, remove orphaned temp files, register the watchdog. */
apr_status_t jc_upload_post_config(server_rec *s, apr_pool_t *pconf)
{
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    const char *dir = conf->upload.store;
    jc_up_wd_t *data;
    apr_status_t rv;
    unsigned n = 0;

    rv = store_prepare(s, conf, pconf);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (conf->clamd_cfg.addr) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, JCLOG(00339)
                     "uploads are scanned by clamd at %s (at most %"
                     APR_OFF_T_FMT " bytes per file; unreachable: %s; "
                     "flagged files: %s)", conf->clamd_cfg.addr,
                     conf->clamd_cfg.max_stream,
                     conf->clamd_hold ? "hold" : "fail-closed",
                     conf->clamd_qdir ? conf->clamd_qdir : "removed");
    }
    /* nothing is being uploaded by this generation yet; a temp file still
     * locked belongs to a child of the previous one (graceful restart) */
    if (jc_store_cleanup_orphans(dir, JC_UP_ORPHAN_AGE, &n, pconf)
        == APR_SUCCESS && n) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, JCLOG(00308)
                     "upload store: removed %u orphaned temp file(s) at "
                     "start", n);
    }
    data = apr_pcalloc(pconf, sizeof(*data));
    data->s = s;
    rv = jc_watchdog_add(s, pconf, "jc-uploads",
                         apr_time_from_sec(JC_UP_WD_EVERY), upload_tick,
                         data);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, JCLOG(00309)
                     "cannot register the upload watchdog");
    }
    return rv;
}

void jc_upload_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_register_input_filter(JC_UP_FILTER, upload_filter, NULL,
                             AP_FTYPE_RESOURCE);
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_upload[] = {
    /* document uploads (mod_jobcenter_upload.c): a complete session;
     * uploads/files streams its body through the JC_UPLOAD filter itself;
     * staff routes: the API checks the staff role, the core the
     * jobcenter and team */
    { M_GET, "uploads/context", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_up_context },
    { M_POST, "uploads/drafts", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_up_draft },
    { M_POST, "uploads/files", JC_LEVEL_FULL, JC_BODY_STREAM, JC_CONN_HANDLER,
      jc_route_up_files },
    { M_POST, "uploads/files/delete", JC_LEVEL_FULL, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_up_file_delete },
    { M_POST, "uploads/submit", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_up_submit },
    { M_GET, "uploads/receipt", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_up_receipt },
    { M_GET, "uploads/submissions", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_up_list },
    { M_POST, "receipts/verify", JC_LEVEL_PUBLIC, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_up_verify },
    { M_GET, "staff/uploads", JC_LEVEL_STAFF, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_up_inbox },
    { M_GET, "staff/uploads/file", JC_LEVEL_STAFF, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_up_staff_file },
    { M_POST, "staff/uploads/status", JC_LEVEL_STAFF, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_up_status },
    { 0, NULL, 0, 0, 0, NULL }
};

/* The upload sink (see jc_upsink.h). */
#include "jc_upsink.h"
#include "jc_filename.h"
#include "jc_multipart.h"
#include "jc_scanhold.h"
#include "jc_sniff.h"
#include "jc_upload_store.h"

#include <string.h>

#include <apr_strings.h>

struct jc_upsink {
    jc_upsink_cfg_t cfg;        /* copy of the configuration              */
    apr_pool_t *pool;           /* request pool                           */
    jc_mp_t *mp;                /* multipart parser, NULL for a raw body  */
    jc_store_file_t *up;        /* the file being written, or NULL        */
    jc_clamd_t *av;             /* its INSTREAM to clamd, or NULL         */
    int av_down;                /* clamd failed for it: held (scan_hold)  */
    const char *av_sig;         /* the finding (422 upload_infected)      */
    const char *av_file;        /* the flagged file's display name        */
    const char *av_stored;      /* its path in the quarantine, or NULL    */
    jc_sniff_acc_t acc;         /* its first bytes                        */
    int sniffed;                /* its type is decided (and allowed)      */
    const char *mime;           /* its sniffed type                       */
    const char *name;           /* its display name                       */
    int in_field;               /* the current part is not a file         */
    apr_off_t field_bytes;      /* bytes of non-file parts so far         */
    const char *field_name;     /* the current kept field (cfg.fields)    */
    char *fbuf;                 /* its value so far                       */
    apr_size_t flen, fcap;
    apr_off_t total;            /* bytes of file data so far              */
    apr_array_header_t *files;  /* committed jc_upfile_t                  */
    int status;                 /* 0, or the error status                 */
    jc_result_t res;            /* the error                              */
};

/* Drop the file being written: its temp file and its scan. */
static void sk_drop(jc_upsink_t *s)
{
    if (s->up) {
        jc_store_file_abort(s->up);
        s->up = NULL;
    }
    if (s->av) {
        jc_clamd_close(s->av);
        s->av = NULL;
    }
}

static int sk_fail(jc_upsink_t *s, int status, const char *code,
                   const char *msg)
{
    if (s->status == 0) {
        s->status = jc_result_set(&s->res, status, code, msg, "file");
    }
    sk_drop(s);
    return s->status;
}

static int sk_internal(jc_upsink_t *s, const char *log)
{
    if (s->status == 0) {
        s->status = jc_result_internal(&s->res, log);
    }
    sk_drop(s);
    return s->status;
}

/* A failed store operation: 507 when the store is full, else 500. */
static int sk_io(jc_upsink_t *s, const char *what, apr_status_t rv)
{
    if (s->status == 0 && jc_store_is_full(rv)) {
        s->status = jc_store_result_full(&s->res, what, rv, s->pool);
    }
    return sk_internal(s, apr_psprintf(s->pool, "%s: %pm", what, &rv));
}

/* The limit that applies to the file being written. */
static apr_off_t sk_file_limit(const jc_upsink_t *s)
{
    apr_off_t left = s->cfg.max_total - s->total;

    return left < s->cfg.max_file ? left : s->cfg.max_file;
}

static int sk_too_large(jc_upsink_t *s)
{
    apr_off_t cfgmax = s->cfg.max_file_limit > 0 ? s->cfg.max_file_limit
                                                 : s->cfg.max_file;

    if (s->cfg.max_total - s->total < s->cfg.max_file
        && s->cfg.max_total < cfgmax) {
        /* the daily allowance, not the file size limit, was reached */
        return sk_fail(s, 413, "upload_daily_limit",
                       "Sie haben heute bereits so viele Daten "
                       "hochgeladen, wie an einem Tag erlaubt ist. Bitte "
                       "versuchen Sie es morgen erneut.");
    }
    if (s->status == 0) {
        jc_store_result_too_large(&s->res, cfgmax, s->pool);
        s->status = s->res.status;
    }
    return sk_fail(s, s->status, NULL, NULL);
}

static int sk_scan_verdict(jc_upsink_t *s);

/* clamd cannot scan the file being written (detail for the log): it is
 * held (cfg.scan_hold), or the body is refused with 503. */
static int sk_scan_down(jc_upsink_t *s, const char *detail)
{
    if (s->av) {
        jc_clamd_close(s->av);
        s->av = NULL;
    }
    if (s->cfg.scan_hold) {
        s->av_down = 1;
        return 0;
    }
    sk_fail(s, 503, "scan_unavailable", "Die Virenprüfung ist gerade "
            "nicht erreichbar. Ihre Datei wurde nicht gespeichert. Bitte "
            "versuchen Sie es in einigen Minuten erneut.");
    s->res.retry_after = 60;
    s->res.log = apr_psprintf(s->pool, "clamd: %s", detail);
    return s->status;
}

/* Pass n buffers of the file being written on to clamd. */
static int sk_scan_send(jc_upsink_t *s, const struct iovec *iov, int n)
{
    apr_status_t rv;

    if (!s->av) {
        return 0;
    }
    rv = jc_clamd_sendv(s->av, iov, n);
    if (rv == APR_SUCCESS || rv == APR_ENOSPC) {
        return 0;               /* past the limit: jc_clamd_finish says */
    }
    /* the connection broke: clamd may have said why (its size limit) */
    return sk_scan_verdict(s);
}

static int sk_open(jc_upsink_t *s, const char *name)
{
    apr_status_t rv;

    if ((unsigned)s->files->nelts >= s->cfg.max_files) {
        return sk_fail(s, 400, "upload_too_many_files",
                       apr_psprintf(s->pool, "Es können höchstens %u "
                                    "Dateien je Sendung hochgeladen "
                                    "werden.", s->cfg.max_files));
    }
    rv = jc_store_file_open(&s->up, s->cfg.store, sk_file_limit(s), s->pool);
    if (rv != APR_SUCCESS) {
        s->up = NULL;
        return sk_io(s, apr_psprintf(s->pool, "upload store %s",
                                     s->cfg.store), rv);
    }
    memset(&s->acc, 0, sizeof(s->acc));
    s->sniffed = 0;
    s->mime = NULL;
    s->name = name;
    s->av = NULL;
    s->av_down = 0;
    if (s->cfg.scan) {
        rv = jc_clamd_open(&s->av, s->cfg.scan, s->pool);
        if (rv != APR_SUCCESS) {
            s->av = NULL;
            return sk_scan_down(s, apr_psprintf(s->pool, "connect to %s: "
                                                "%pm", s->cfg.scan->addr,
                                                &rv));
        }
    }
    return 0;
}

/* Decide the type from the collected first bytes. */
static int sk_sniff(jc_upsink_t *s)
{
    jc_sniff_type_e t = jc_sniff(s->acc.buf, s->acc.len);

    if (t == JC_SNIFF_NONE) {
        if (s->status == 0) {
            s->status = jc_sniff_result(&s->res);
        }
        return sk_fail(s, s->status, NULL, NULL);
    }
    s->sniffed = 1;
    s->mime = jc_sniff_mime(t);
    return 0;
}

static int sk_write(jc_upsink_t *s, const char *buf, size_t len)
{
    apr_status_t rv;

    if (!s->sniffed && jc_sniff_add(&s->acc, buf, len) && sk_sniff(s)) {
        return s->status;
    }
    rv = jc_store_file_write(s->up, buf, len);
    if (rv == JC_STORE_ETOOLARGE) {
        s->up = NULL;           /* the store removed its temp file */
        return sk_too_large(s);
    }
    if (rv != APR_SUCCESS) {
        s->up = NULL;
        return sk_io(s, "upload write", rv);
    }
    s->total += (apr_off_t)len;
    if (s->av) {
        struct iovec v;

        v.iov_base = (void *)buf;
        v.iov_len = len;
        return sk_scan_send(s, &v, 1);
    }
    return 0;
}

/* clamd flagged the file being written: refused with 422; the temp file
 * is removed, or committed and moved into the quarantine. */
static int sk_infected(jc_upsink_t *s, const char *sig)
{
    const char *id = NULL, *sha = NULL, *note;
    apr_off_t size = jc_store_file_size(s->up);
    apr_status_t rv;

    s->av_sig = sig;
    s->av_file = s->name;
    if (s->cfg.quarantine) {
        rv = jc_store_file_commit(s->up, &id, &sha);
        s->up = NULL;
        if (rv == APR_SUCCESS) {
            note = apr_psprintf(s->pool, "name: %s\nsignature: %s\n"
                                "size: %" APR_OFF_T_FMT "\nsha256: %s\n"
                                "uploaded by: %s\nat: %" APR_TIME_T_FMT
                                "\n", s->name, sig, size, sha,
                                s->cfg.owner ? s->cfg.owner : "-",
                                apr_time_sec(apr_time_now()));
            rv = jc_scan_quarantine(s->cfg.quarantine,
                                    jc_store_path(s->cfg.store, id, s->pool),
                                    note, &s->av_stored, s->pool);
            if (rv != APR_SUCCESS) {
                /* never left in files/ without a row */
                jc_store_remove(s->cfg.store, id, s->pool);
                s->av_stored = NULL;
            }
        }
    }
    sk_fail(s, 422, "upload_infected", apr_psprintf(s->pool,
            "Die Datei „%s“ enthält Schadsoftware (%s) und wurde nicht "
            "angenommen. Bitte prüfen Sie Ihr Gerät mit einem "
            "Virenschutzprogramm und senden Sie eine saubere Datei.",
            s->name, sig));
    s->res.log = apr_psprintf(s->pool, "clamd found %s in \"%s\"", sig,
                              s->name);
    return s->status;
}

/* End the scan of the file being written and act on the verdict: 0 (clean,
 * or held), else the error status. */
static int sk_scan_verdict(jc_upsink_t *s)
{
    const char *detail = NULL;
    jc_clamd_verdict_e v = jc_clamd_finish(s->av, &detail);

    s->av = NULL;
    switch (v) {
    case JC_CLAMD_CLEAN:
        return 0;
    case JC_CLAMD_FOUND:
        return sk_infected(s, detail ? detail : "unbekannt");
    case JC_CLAMD_TOO_LARGE:
        sk_fail(s, 413, "upload_too_large_for_scan", apr_psprintf(s->pool,
                "Die Datei „%s“ ist zu groß für die Virenprüfung. Bitte "
                "senden Sie eine kleinere Datei.", s->name));
        s->res.log = apr_psprintf(s->pool, "clamd: %s (JobcenterClamd"
                                  "StreamMax larger than clamd's "
                                  "StreamMaxLength?)", detail);
        return s->status;
    default:
        return sk_scan_down(s, detail ? detail : "no verdict");
    }
}

static int sk_close(jc_upsink_t *s)
{
    jc_upfile_t *f;
    apr_status_t rv;

    if (jc_store_file_size(s->up) == 0) {
        return sk_fail(s, 400, "upload_empty", "Die Datei ist leer. Bitte "
                       "wählen Sie eine andere Datei.");
    }
    if (!s->sniffed && sk_sniff(s)) {
        return s->status;
    }
    if (s->av && sk_scan_verdict(s)) {
        return s->status;
    }
    f = apr_array_push(s->files);
    f->size = jc_store_file_size(s->up);
    f->held = s->av_down;
    rv = jc_store_file_commit(s->up, &f->store_id, &f->sha256);
    s->up = NULL;
    if (rv != APR_SUCCESS) {
        s->files->nelts--;
        return sk_io(s, "upload commit", rv);
    }
    f->name = s->name;
    f->mime = s->mime;
    return 0;
}

/* ---- multipart callbacks ----------------------------------------------- */

static int mp_begin(void *baton, const jc_mp_part_t *part)
{
    jc_upsink_t *s = baton;

    if (!part->is_file) {
        s->in_field = 1;
        s->field_name = (s->cfg.fields && part->name && *part->name)
                        ? apr_pstrdup(s->pool, part->name) : NULL;
        s->flen = 0;
        return 0;
    }
    s->in_field = 0;
    return sk_open(s, jc_filename_display(part->filename_star,
                                          part->filename, s->pool));
}

static int mp_data(void *baton, const char *data, size_t len)
{
    jc_upsink_t *s = baton;

    if (s->in_field) {
        s->field_bytes += (apr_off_t)len;
        if (s->field_bytes > JC_UPSINK_FIELD_BYTES) {
            return sk_fail(s, 413, "body_too_large",
                           "Die Anfrage ist zu groß.");
        }
        if (s->field_name && len) {
            if (s->flen + len + 1 > s->fcap) {
                apr_size_t cap = s->fcap ? s->fcap : 256;
                char *nb;

                while (cap < s->flen + len + 1) {
                    cap *= 2;
                }
                nb = apr_palloc(s->pool, cap);
                if (s->flen) {
                    memcpy(nb, s->fbuf, s->flen);
                }
                s->fbuf = nb;
                s->fcap = cap;
            }
            memcpy(s->fbuf + s->flen, data, len);
            s->flen += len;
        }
        return 0;
    }
    return sk_write(s, data, len);
}

static int mp_end(void *baton)
{
    jc_upsink_t *s = baton;

    if (s->in_field) {
        s->in_field = 0;
        if (s->field_name) {
            if (s->flen && memchr(s->fbuf, '\0', s->flen)) {
                return sk_fail(s, 400, "field_invalid", "Die Anfrage "
                               "enthält ungültige Zeichen.");
            }
            apr_table_set(s->cfg.fields, s->field_name,
                          s->flen ? apr_pstrmemdup(s->pool, s->fbuf, s->flen)
                                  : "");
            s->field_name = NULL;
        }
        return 0;
    }
    return sk_close(s);
}

/* ---- API --------------------------------------------------------------- */

apr_status_t jc_upsink_create(jc_upsink_t **out, const jc_upsink_cfg_t *cfg,
                              apr_pool_t *p)
{
    jc_upsink_t *s;

    *out = NULL;
    if (!cfg->store || cfg->max_file <= 0 || cfg->max_total <= 0
        || cfg->max_files < 1) {
        return APR_EINVAL;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->cfg = *cfg;
    if (cfg->scan && cfg->scan->max_stream > 0
        && cfg->scan->max_stream < s->cfg.max_file) {
        /* clamd takes no more: the limit (and its message) */
        s->cfg.max_file = cfg->scan->max_stream;
        s->cfg.max_file_limit = cfg->scan->max_stream;
    }
    s->pool = p;
    s->files = apr_array_make(p, 4, sizeof(jc_upfile_t));
    jc_result_ok(&s->res);
    if (cfg->boundary) {
        jc_mp_limits_t lim = { 4096, 16, cfg->max_files + 8 };
        jc_mp_callbacks_t cb = { mp_begin, mp_data, mp_end, s };

        if (jc_mp_create(&s->mp, cfg->boundary, &lim, &cb, p) != JC_MP_OK) {
            return APR_EINVAL;
        }
    }
    else if (sk_open(s, jc_filename_clean(cfg->raw_name, p))) {
        /* the store is not usable: reported by the first feed/finish */
    }
    *out = s;
    return APR_SUCCESS;
}

int jc_upsink_feed(jc_upsink_t *s, const char *buf, size_t len)
{
    jc_mp_err_e err;

    if (s->status || len == 0) {
        return s->status;
    }
    if (!s->mp) {
        return sk_write(s, buf, len);
    }
    err = jc_mp_feed(s->mp, buf, len);
    if (err != JC_MP_OK && s->status == 0) {
        /* a parser error (a callback error has set s->status) */
        sk_drop(s);
        s->status = jc_mp_result(&s->res, err);
    }
    return s->status;
}

int jc_upsink_feedv(jc_upsink_t *s, const struct iovec *iov, int n)
{
    apr_off_t len = 0;
    apr_status_t rv;
    int i;

    if (s->status || n <= 0) {
        return s->status;
    }
    if (s->mp || n > JC_STORE_IOV_MAX) {
        for (i = 0; i < n && !s->status; i++) {
            jc_upsink_feed(s, iov[i].iov_base, iov[i].iov_len);
        }
        return s->status;
    }
    /* raw body: the first bytes decide the type, then one writev */
    for (i = 0; i < n && !s->sniffed; i++) {
        if (jc_sniff_add(&s->acc, iov[i].iov_base, iov[i].iov_len)
            && sk_sniff(s)) {
            return s->status;
        }
    }
    for (i = 0; i < n; i++) {
        len += (apr_off_t)iov[i].iov_len;
    }
    rv = jc_store_file_writev(s->up, iov, n);
    if (rv == JC_STORE_ETOOLARGE) {
        s->up = NULL;
        return sk_too_large(s);
    }
    if (rv != APR_SUCCESS) {
        s->up = NULL;
        return sk_io(s, "upload write", rv);
    }
    s->total += len;
    return sk_scan_send(s, iov, n);
}

int jc_upsink_finish(jc_upsink_t *s)
{
    if (s->status) {
        return s->status;
    }
    if (!s->mp) {
        return sk_close(s);
    }
    if (jc_mp_finish(s->mp) != JC_MP_OK && s->status == 0) {
        sk_drop(s);
        s->status = jc_mp_result(&s->res, jc_mp_finish(s->mp));
        return s->status;
    }
    if (s->status == 0 && s->files->nelts == 0) {
        return sk_fail(s, 400, "upload_no_file", "Bitte wählen Sie eine "
                       "Datei aus.");
    }
    return s->status;
}

void jc_upsink_abort(jc_upsink_t *s)
{
    int i;

    if (!s) {
        return;
    }
    sk_drop(s);
    for (i = 0; i < s->files->nelts; i++) {
        jc_store_remove(s->cfg.store,
                        APR_ARRAY_IDX(s->files, i, jc_upfile_t).store_id,
                        s->pool);
    }
    s->files->nelts = 0;
}

const jc_result_t *jc_upsink_result(const jc_upsink_t *s)
{
    return &s->res;
}

const apr_array_header_t *jc_upsink_files(const jc_upsink_t *s)
{
    return s->files;
}

const char *jc_upsink_finding(const jc_upsink_t *s, const char **file,
                              const char **stored)
{
    if (file) {
        *file = s->av_file;
    }
    if (stored) {
        *stored = s->av_stored;
    }
    return s->av_sig;
}

apr_off_t jc_upsink_bytes(const jc_upsink_t *s)
{
    return s->total;
}

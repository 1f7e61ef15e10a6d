/* Resumable uploads, tus 1.0.0: the bytes of one PATCH (see jc_tus.h,
 * jc_tus_w_*). The spool file is locked, its stored prefix hashed again,
 * the new bytes hashed, sniffed and written with pwrite; a completed file
 * is scanned, linked into files/ and entered in the draft in one
 * transaction. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE              /* flock, O_NOFOLLOW */
#endif
#include "jc_tus_int.h"
#include "jc_clamd.h"
#include "jc_scanhold.h"
#include "jc_sniff.h"
#include "jc_token.h"
#include "jc_upload_store.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include <openssl/evp.h>

#define TUS_READ_BLOCK (256 * 1024)  /* prefix re-hash: bytes per pread */

struct jc_tus_w {
    int fd;                     /* the spool file, locked; -1 once closed */
    const char *path;           /* its path                               */
    const char *dir;            /* the store                              */
    apr_off_t start;            /* offset the PATCH began at              */
    apr_off_t pos;              /* offset of the next byte                */
    apr_off_t length;           /* Upload-Length                          */
    EVP_MD_CTX *sha;            /* SHA-256 of the whole file so far       */
    EVP_MD_CTX *ck;             /* the PATCH's Upload-Checksum digest     */
    const char *ck_want;        /* its expected value (base64)            */
    jc_sniff_acc_t acc;         /* the file's first bytes                 */
    const char *mime;           /* sniffed type, NULL until decided       */
    int status;                 /* 0 or the error of a feed               */
    jc_result_t res;            /* that error                             */
    const jc_clamd_cfg_t *scan; /* clamd for the completed file, or NULL  */
    int scan_hold;              /* clamd unreachable: store held (1) or
                                   503 with the upload kept (0)           */
    const char *quarantine;     /* flagged: moved here, or NULL (removed) */
    const char *found;          /* clamd's finding (422 upload_infected)  */
    const char *found_at;       /* where the flagged file went, or NULL   */
    apr_pool_t *pool;
};

static apr_status_t w_cleanup(void *data)
{
    jc_tus_w_t *w = data;

    if (w->fd >= 0) {
        close(w->fd);           /* drops the lock */
        w->fd = -1;
    }
    if (w->sha) {
        EVP_MD_CTX_free(w->sha);
        w->sha = NULL;
    }
    if (w->ck) {
        EVP_MD_CTX_free(w->ck);
        w->ck = NULL;
    }
    return APR_SUCCESS;
}

/* Decide the type once JC_SNIFF_NEED bytes (or the whole file) are
 * there: 0, or 415. */
static int w_sniff(jc_tus_w_t *w)
{
    jc_sniff_type_e ty = jc_sniff(w->acc.buf, w->acc.len);

    if (ty == JC_SNIFF_NONE) {
        return jc_sniff_result(&w->res);
    }
    w->mime = jc_sniff_mime(ty);
    return 0;
}

/* Hash (and sniff) bytes of the file. */
static int w_hash(jc_tus_w_t *w, const void *buf, size_t len)
{
    if (!w->mime && jc_sniff_add(&w->acc, buf, len) && w_sniff(w)) {
        return 415;
    }
    return EVP_DigestUpdate(w->sha, buf, len) == 1 ? 0 : 500;
}

/* Parse "sha1 <base64>" / "sha256 <base64>". */
static int w_checksum(jc_tus_w_t *w, jc_result_t *res, const char *hdr)
{
    const char *sp = strchr(hdr, ' ');
    const EVP_MD *md = NULL;
    size_t alen = sp ? (size_t)(sp - hdr) : 0;

    if (alen == 4 && !strncmp(hdr, "sha1", 4)) {
        md = EVP_sha1();
    }
    else if (alen == 6 && !strncmp(hdr, "sha256", 6)) {
        md = EVP_sha256();
    }
    if (!md) {
        return jc_result_set(res, 400, "tus_checksum_unsupported",
                             "Dieses Prüfsummenverfahren wird nicht "
                             "unterstützt (erlaubt: sha1, sha256).",
                             "Upload-Checksum");
    }
    while (*sp == ' ') {
        sp++;
    }
    /* a digest may hold NUL bytes: check the characters only */
    if (!*sp || strlen(sp) > 64 || !jc_tus_b64_chars_ok(sp, strlen(sp))) {
        return jc_result_set(res, 400, "tus_checksum_invalid",
                             "Die Prüfsumme (Upload-Checksum) ist "
                             "ungültig.", "Upload-Checksum");
    }
    w->ck = EVP_MD_CTX_new();
    if (!w->ck || EVP_DigestInit_ex(w->ck, md, NULL) != 1) {
        return jc_result_internal(res, "checksum digest");
    }
    w->ck_want = sp;
    return 0;
}

/* Under the lock: the row read again (a PATCH that ended since it was
 * read has stored its offset by now; comparing with the older one would
 * cut that PATCH's bytes off) and the client's offset checked. */
static int w_sync_offset(jc_result_t *res, jc_db_t *db, jc_tus_t *t,
                         apr_off_t client_offset, apr_int64_t now,
                         apr_pool_t *p)
{
    if (jc_tus_get(db, res, t, t->account_id, t->token, now, p) != 200) {
        return res->status;
    }
    if (t->file_id > 0 || client_offset != t->offset) {
        jc_result_set(res, 409, "tus_offset_mismatch", "Die Übertragung "
                      "wird an der falschen Stelle fortgesetzt. Sie wird "
                      "neu abgestimmt.", "Upload-Offset");
        res->log = apr_psprintf(p, "Upload-Offset %" APR_OFF_T_FMT
                                ", stored %" APR_OFF_T_FMT, client_offset,
                                t->offset);
        return 409;
    }
    return 0;
}

/* Bytes past the stored offset cut off: an interrupted PATCH with a
 * checksum, or one whose offset could not be stored. */
static int w_cut_to_offset(jc_tus_w_t *w, jc_result_t *res,
                           apr_off_t offset, apr_pool_t *p)
{
    struct stat st;

    if (fstat(w->fd, &st) != 0 || (apr_off_t)st.st_size < offset) {
        return jc_result_internal(res, apr_psprintf(p, "%s is shorter than "
                                                    "its stored offset",
                                                    w->path));
    }
    if ((apr_off_t)st.st_size > offset
        && ftruncate(w->fd, (off_t)offset) != 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        return jc_result_internal(res, apr_psprintf(p, "truncate %s: %pm",
                                                    w->path, &rv));
    }
    return 0;
}

/* The SHA-256 continues: the stored prefix (offset bytes) hashed again. */
static int w_rehash_prefix(jc_tus_w_t *w, jc_result_t *res,
                           apr_off_t offset, apr_pool_t *p)
{
    char *buf;
    apr_off_t at = 0;

    w->sha = EVP_MD_CTX_new();
    if (!w->sha || EVP_DigestInit_ex(w->sha, jc_token_sha256_md(), NULL)
        != 1) {
        return jc_result_internal(res, "sha256");
    }
    buf = apr_palloc(p, TUS_READ_BLOCK);
    while (at < offset) {
        size_t want = (size_t)(offset - at < TUS_READ_BLOCK
                               ? offset - at : TUS_READ_BLOCK);
        ssize_t n = pread(w->fd, buf, want, (off_t)at);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return jc_result_internal(res, apr_psprintf(p, "read %s",
                                                        w->path));
        }
        if (w_hash(w, buf, (size_t)n)) {
            /* a prefix that passed once cannot fail now */
            return jc_result_internal(res, "stored prefix refused");
        }
        at += n;
    }
    return 0;
}

int jc_tus_w_open(jc_tus_w_t **out, jc_result_t *res, jc_db_t *db,
                  const jc_upload_cfg_t *cfg, jc_tus_t *t,
                  apr_off_t client_offset, const char *checksum,
                  apr_int64_t now, apr_pool_t *p)
{
    jc_tus_w_t *w = apr_pcalloc(p, sizeof(*w));
    int locked = 0;

    *out = NULL;
    w->pool = p;
    w->dir = cfg->store;
    w->length = t->length;
    w->path = jc_tus_spool_path(cfg->store, t->spool_id, p);
    jc_result_ok(&w->res);
    if (t->file_id > 0) {
        /* finished (final): no lock needed to tell */
        return jc_result_set(res, 409, "tus_offset_mismatch", "Diese Datei "
                             "wurde bereits vollständig übertragen.",
                             "Upload-Offset");
    }
    w->fd = jc_tus_spool_lock(w->path, &locked);
    if (w->fd < 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        if (locked) {
            return jc_tus_locked_result(res);
        }
        if (errno == ENOENT) {
            return jc_tus_not_found(res);
        }
        return jc_result_internal(res, apr_psprintf(p, "open %s: %pm",
                                                    w->path, &rv));
    }
    apr_pool_cleanup_register(p, w, w_cleanup, apr_pool_cleanup_null);
    if (w_sync_offset(res, db, t, client_offset, now, p)) {
        return res->status;
    }
    if (checksum && w_checksum(w, res, checksum)) {
        return res->status;
    }
    if (w_cut_to_offset(w, res, t->offset, p)) {
        return res->status;
    }
    if (w_rehash_prefix(w, res, t->offset, p)) {
        return res->status;
    }
    w->start = w->pos = t->offset;
    *out = w;
    return 0;
}

static int w_fail(jc_tus_w_t *w, int status)
{
    if (!w->status) {
        w->status = status;
    }
    return w->status;
}

int jc_tus_w_feedv(jc_tus_w_t *w, const struct iovec *iov, int n)
{
    int i;

    if (w->status) {
        return w->status;
    }
    for (i = 0; i < n; i++) {
        const char *b = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        int st;

        if (!len) {
            continue;
        }
        if ((apr_off_t)len > w->length - w->pos) {
            jc_result_set(&w->res, 413, "tus_length_exceeded", "Es wurden "
                          "mehr Daten gesendet, als für diese Datei "
                          "angemeldet sind.", "Upload-Length");
            return w_fail(w, 413);
        }
        st = w_hash(w, b, len);
        if (st == 415) {
            return w_fail(w, 415);
        }
        if (st || (w->ck && EVP_DigestUpdate(w->ck, b, len) != 1)) {
            jc_result_internal(&w->res, "digest");
            return w_fail(w, 500);
        }
        while (len > 0) {
            ssize_t k = pwrite(w->fd, b, len, (off_t)w->pos);

            if (k < 0 && errno == EINTR) {
                continue;
            }
            if (k < 0) {
                apr_status_t rv = APR_FROM_OS_ERROR(errno);

                if (jc_store_is_full(rv)) {
                    jc_store_result_full(&w->res, "tus write", rv, w->pool);
                }
                else {
                    jc_result_internal(&w->res, apr_psprintf(
                                           w->pool, "write %s: %pm",
                                           w->path, &rv));
                }
                return w_fail(w, w->res.status);
            }
            b += k;
            len -= (size_t)k;
            w->pos += k;
        }
    }
    return 0;
}

const jc_result_t *jc_tus_w_result(const jc_tus_w_t *w)
{
    return &w->res;
}

apr_off_t jc_tus_w_bytes(const jc_tus_w_t *w)
{
    return w->pos - w->start;
}

/* Remove the upload: row, then spool file (a refused type). */
static void w_drop(jc_tus_w_t *w, jc_db_t *db, const jc_tus_t *t,
                   apr_pool_t *p)
{
    if (jc_tus_row_delete(db, t->id, p) == JC_DB_OK) {
        unlink(w->path);
    }
}

void jc_tus_w_scan(jc_tus_w_t *w, const jc_clamd_cfg_t *scan, int hold,
                   const char *quarantine)
{
    w->scan = scan;
    w->scan_hold = hold;
    w->quarantine = quarantine;
}

const char *jc_tus_w_finding(const jc_tus_w_t *w, const char **stored)
{
    if (stored) {
        *stored = w->found_at;
    }
    return w->found;
}

/* The completed spool file through clamd (the same answers as the upload
 * sink's, jc_upsink.c): 0 clean, 1 clean or unknown but to be held, else
 * the error status in res. A flagged file is moved to the quarantine or
 * removed with the upload; clamd unreachable without hold keeps the
 * upload (the stored offset has not moved: the client sends the last
 * PATCH again). */
static int w_scan(jc_tus_w_t *w, jc_db_t *db, jc_result_t *res,
                  jc_tus_t *t, const char *sha_hex, apr_pool_t *p)
{
    const char *detail = NULL;
    apr_status_t err = 0;
    jc_clamd_verdict_e v = jc_clamd_scan_file(w->scan, w->path, &detail,
                                              &err, p);

    switch (v) {
    case JC_CLAMD_CLEAN:
        return 0;
    case JC_CLAMD_FOUND:
        w->found = detail ? detail : "unbekannt";
        if (w->quarantine) {
            const char *note = apr_psprintf(p, "name: %s\nsignature: %s\n"
                                            "size: %" APR_OFF_T_FMT
                                            "\nsha256: %s\naccount: %"
                                            APR_INT64_T_FMT "\nvia: tus "
                                            "%s\n", t->name, w->found,
                                            w->length, sha_hex,
                                            t->account_id, t->token);

            if (jc_scan_quarantine(w->quarantine, w->path, note,
                                   &w->found_at, p) != APR_SUCCESS) {
                w->found_at = NULL;
            }
        }
        w_drop(w, db, t, p);
        return jc_result_set(res, 422, "upload_infected", apr_psprintf(p,
                             "Die Datei „%s“ enthält Schadsoftware (%s) und "
                             "wurde nicht angenommen. Bitte prüfen Sie Ihr "
                             "Gerät mit einem Virenschutzprogramm und "
                             "senden Sie eine saubere Datei.", t->name,
                             w->found), "file");
    case JC_CLAMD_TOO_LARGE:
        w_drop(w, db, t, p);
        jc_result_set(res, 413, "upload_too_large_for_scan", apr_psprintf(p,
                      "Die Datei „%s“ ist zu groß für die Virenprüfung. "
                      "Bitte senden Sie eine kleinere Datei.", t->name),
                      "file");
        res->log = apr_psprintf(p, "clamd: %s", detail ? detail : "-");
        return res->status;
    default:
        if (w->scan_hold) {
            return 1;
        }
        jc_result_set(res, 503, "scan_unavailable", "Die Virenprüfung ist "
                      "gerade nicht erreichbar. Ihre Datei wurde nicht "
                      "gespeichert. Bitte versuchen Sie es in einigen "
                      "Minuten erneut.", NULL);
        res->retry_after = 60;
        res->log = apr_psprintf(p, "clamd: %s", err ? "file unreadable"
                                : detail ? detail : "no verdict");
        return res->status;
    }
}

/* A second name for the spool file in files/ (*dest) and the directory
 * synced. The spool file stays until the row is committed, so a failure
 * leaves the upload resumable. */
static int w_link(jc_tus_w_t *w, jc_result_t *res, const char **dest,
                  const char *store_id, apr_pool_t *p)
{
    apr_status_t rv;

    *dest = jc_store_path(w->dir, store_id, p);
    if (link(w->path, *dest) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        return jc_store_is_full(rv) ? jc_store_result_full(res, "tus link",
                                                           rv, p)
               : jc_result_internal(res, apr_psprintf(p, "link %s: %pm",
                                                      *dest, &rv));
    }
    rv = jc_store_fsync_dir(apr_pstrcat(p, w->dir, "/files", NULL));
    if (rv != APR_SUCCESS) {
        unlink(*dest);
        return jc_result_internal(res, apr_psprintf(p, "fsync files/: %pm",
                                                    &rv));
    }
    return 0;
}

/* In the transaction: the draft still takes the file (live, room for a
 * file, the day's allowance). 0 to go on with *rc (JC_DB_OK or the
 * failure), else the refusal, with the transaction rolled back and the
 * linked file and the upload removed. */
static int w_tx_check(jc_tus_w_t *w, jc_db_t *db, jc_result_t *res,
                      jc_db_rc_e *rc, const jc_tus_t *t, const char *dest,
                      const jc_upload_cfg_t *cfg, apr_int64_t now,
                      apr_pool_t *p)
{
    apr_int64_t count = 0, created = 0, size = t->length;
    apr_int64_t since = now - 86400, used = 0;
    jc_up_draft_row_t d;
    int refused = 0;

    *rc = jc_upload_draft_row(db, &d, t->draft_id, t->account_id, p);
    if (*rc == JC_DB_OK) {
        created = d.created_at;
        count = d.files;
    }
    if (*rc == JC_DB_NOROW
        || (*rc == JC_DB_OK && created + JC_UPLOAD_DRAFT_TTL <= now)) {
        /* the draft was submitted or has expired: nothing to add to */
        refused = jc_result_set(res, 404, "not_found", "Dieser "
                                "Upload-Vorgang existiert nicht mehr. Bitte "
                                "beginnen Sie erneut mit „Dateien "
                                "hochladen“.", NULL);
    }
    else if (*rc == JC_DB_OK && count >= cfg->max_files) {
        refused = jc_tus_too_many(res, cfg, p);
    }
    else if (*rc == JC_DB_OK) {
        /* the day's allowance again: POST uploads/files does not know the
         * bytes unfinished uploads announced, so both together could
         * store more than JobcenterUploadMaxBytesPerDay */
        *rc = jc_upload_bytes_since(db, &used, t->account_id, since, p);
        if (*rc == JC_DB_OK) {
            if (used + size > cfg->max_day) {
                refused = jc_tus_daily_limit(res);
            }
        }
    }
    if (refused) {
        jc_db_rollback(db, p);
        unlink(dest);
        w_drop(w, db, t, p);
    }
    return refused;
}

/* In the transaction: the file's row in the draft (*fid), the tus row
 * marked done, a held file marked for the watchdog's scan. */
static jc_db_rc_e w_tx_insert(jc_tus_w_t *w, jc_db_t *db, apr_int64_t *fid,
                              const jc_tus_t *t, const char *store_id,
                              const char *hex, int held, apr_int64_t now,
                              apr_pool_t *p)
{
    apr_int64_t size = t->length;
    jc_up_file_new_t nf = { t->account_id, t->draft_id, store_id, t->name,
                            w->mime, size, hex };
    const void *args[3];
    jc_db_rc_e rc;
    int n = 0;

    rc = jc_upload_file_insert(db, fid, &nf, now, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc == JC_DB_OK) {
        args[0] = &size;
        args[1] = fid;
        args[2] = &t->id;
        rc = jc_db_exec(db, &n, JC_SQL_TUS_DONE, args, p);
        if (rc == JC_DB_OK && n != 1) {
            rc = JC_DB_ERROR;
        }
    }
    if (rc == JC_DB_OK && held) {
        /* clamd unreachable, JobcenterClamdUnavailable hold: hidden from
         * staff until the upload watchdog has scanned it */
        rc = jc_scan_hold_mark(db, *fid, p);
    }
    return rc;
}

/* All bytes are there: the file into files/ and the draft, with the tus
 * row, in one transaction. */
static int w_complete(jc_tus_w_t *w, jc_db_t *db, jc_result_t *res,
                      jc_tus_t *t, json_t **file,
                      const jc_upload_cfg_t *cfg, apr_int64_t now,
                      apr_pool_t *p)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[65];
    const char *store_id = jc_store_random_id(p), *dest = NULL;
    apr_int64_t fid = 0;
    jc_db_rc_e rc;
    int held = 0;

    if (!w->mime && w_sniff(w)) {
        *res = w->res;
        w_drop(w, db, t, p);
        return 415;
    }
    if (EVP_DigestFinal_ex(w->sha, md, &mdlen) != 1 || mdlen != 32
        || !store_id) {
        return jc_result_internal(res, "sha256 final");
    }
    jc_store_tohex(hex, md, 32);
    if (w->scan) {
        held = w_scan(w, db, res, t, hex, p);
        if (held > 1) {
            return held;
        }
    }
    if (w_link(w, res, &dest, store_id, p)) {
        return res->status;
    }
    rc = jc_db_begin(db, p);
    if (rc == JC_DB_OK
        && w_tx_check(w, db, res, &rc, t, dest, cfg, now, p)) {
        return res->status;
    }
    if (rc == JC_DB_OK) {
        rc = w_tx_insert(w, db, &fid, t, store_id, hex, held, now, p);
    }
    rc = jc_db_end(db, rc, p);
    if (rc != JC_DB_OK) {
        unlink(dest);
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    /* committed: the spool name goes; the lock (same inode) ends with
     * the request, after the row exists (jc_store_check.h) */
    unlink(w->path);
    t->offset = t->length;
    t->file_id = fid;
    *file = json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)fid,
                      "name", t->name, "type", w->mime, "size",
                      (json_int_t)t->length, "sha256", hex);
    return 204;
}

/* The PATCH's Upload-Checksum over all its bytes: 0, or the refusal with
 * the PATCH's bytes cut off again. */
static int w_verify_checksum(jc_tus_w_t *w, jc_result_t *res, int complete,
                             apr_pool_t *p)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *b64;

    if (!complete) {
        /* a checksum covers the whole PATCH: keep nothing of it */
        if (ftruncate(w->fd, (off_t)w->start) != 0) {
            /* the next PATCH cuts it back */
        }
        return jc_result_set(res, 400, "body_unreadable", "Die Datei "
                             "konnte nicht vollständig empfangen "
                             "werden. Bitte versuchen Sie es erneut.",
                             "file");
    }
    if (EVP_DigestFinal_ex(w->ck, md, &mdlen) != 1) {
        return jc_result_internal(res, "checksum final");
    }
    b64 = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)mdlen));
    apr_base64_encode_binary(b64, md, (int)mdlen);
    if (!jc_token_equal(b64, w->ck_want)) {
        if (ftruncate(w->fd, (off_t)w->start) != 0) {
            /* the next PATCH cuts it back */
        }
        return jc_result_set(res, 460, "tus_checksum_mismatch",
                             "Die Prüfsumme der gesendeten Daten "
                             "stimmt nicht. Die Daten wurden verworfen "
                             "und werden erneut gesendet.",
                             "Upload-Checksum");
    }
    return 0;
}

int jc_tus_w_finish(jc_tus_w_t *w, jc_db_t *db, jc_result_t *res,
                    jc_tus_t *t, int complete, json_t **file,
                    const jc_upload_cfg_t *cfg, apr_int64_t now,
                    apr_pool_t *p)
{
    apr_int64_t off, old = t->offset;
    const void *args[3];
    int n = 0;
    jc_db_rc_e rc;

    *file = NULL;
    if (w->status == 415) {
        *res = w->res;
        w_drop(w, db, t, p);
        return 415;
    }
    if (w->status) {
        /* past Upload-Length or a store error: nothing of this PATCH */
        *res = w->res;
        if (ftruncate(w->fd, (off_t)w->start) != 0) {
            /* the next PATCH cuts it back */
        }
        return res->status;
    }
    if (w->ck && w_verify_checksum(w, res, complete, p)) {
        return res->status;
    }
    if (w->pos == w->start && complete) {
        return 204;             /* an empty PATCH */
    }
    if (fdatasync(w->fd) != 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        return jc_result_internal(res, apr_psprintf(p, "fdatasync %s: %pm",
                                                    w->path, &rv));
    }
    if (w->pos == w->length) {
        /* every declared byte is there (also when the connection broke
         * right after the last one) */
        return w_complete(w, db, res, t, file, cfg, now, p);
    }
    off = w->pos;
    args[0] = &off;
    args[1] = &t->id;
    args[2] = &old;
    rc = jc_db_exec(db, &n, JC_SQL_TUS_OFFSET, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (n == 1) {
        t->offset = w->pos;
    }
    if (!complete) {
        return jc_result_set(res, 400, "body_unreadable", "Die Datei konnte "
                             "nicht vollständig empfangen werden. Die "
                             "Übertragung wird fortgesetzt.", "file");
    }
    return 204;
}

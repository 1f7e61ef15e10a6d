/* Resumable uploads, tus 1.0.0 (see jc_tus.h): the upload resource and
 * its row (Upload-Metadata, create, get, wait, terminate). The bytes of a
 * PATCH are jc_tus_writer.c, the housekeeping jc_tus_purge.c. Plain POSIX
 * file calls on the spool file: open, flock, unlink. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE              /* flock, O_NOFOLLOW */
#endif
#include "jc_tus_int.h"
#include "jc_filename.h"
#include "jc_upload_store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_strings.h>

int jc_tus_token_ok(const char *s)
{
    /* an upload's id is a store id (JC_TUS_TOKEN_LEN == JC_STORE_ID_LEN) */
    return jc_store_id_ok(s);
}


const char *jc_tus_spool_path(const char *dir, const char *spool_id,
                              apr_pool_t *p)
{
    return apr_pstrcat(p, dir, "/tmp/", spool_id, JC_TUS_SPOOL_SUFFIX,
                       NULL);
}

int jc_tus_not_found(jc_result_t *res)
{
    return jc_result_set(res, 404, "not_found", "Diesen Upload gibt es "
                         "nicht (mehr). Bitte wählen Sie die Datei erneut "
                         "aus.", NULL);
}

int jc_tus_too_many(jc_result_t *res, const jc_upload_cfg_t *cfg,
                    apr_pool_t *p)
{
    return jc_result_set(res, 400, "upload_too_many_files",
                         apr_psprintf(p, "Es können höchstens %d Dateien je "
                                      "Sendung hochgeladen werden.",
                                      cfg->max_files), "file");
}

int jc_tus_daily_limit(jc_result_t *res)
{
    return jc_result_set(res, 413, "upload_daily_limit", "Sie haben heute "
                         "bereits so viele Daten hochgeladen, wie an einem "
                         "Tag erlaubt ist. Bitte versuchen Sie es morgen "
                         "erneut.", "file");
}

/* ---- Upload-Metadata ---------------------------------------------------- */

/* A base64 value (standard alphabet, padding optional), NUL-terminated;
 * NULL if invalid or holding a NUL byte. */
int jc_tus_b64_chars_ok(const char *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c = v[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '+' || c == '/'
              || (c == '=' && i + 2 >= n))) {
            return 0;
        }
    }
    return 1;
}

static const char *b64_value(const char *v, size_t n, apr_pool_t *p)
{
    char *in, *out;
    int len;

    if (!jc_tus_b64_chars_ok(v, n)) {
        return NULL;
    }
    in = apr_pstrmemdup(p, v, n);
    out = apr_palloc(p, (apr_size_t)apr_base64_decode_len(in) + 1);
    len = apr_base64_decode_binary((unsigned char *)out, in);
    if (len < 0) {
        return NULL;
    }
    out[len] = '\0';
    return memchr(out, '\0', (size_t)len) ? NULL : out;
}

int jc_tus_metadata(jc_result_t *res, apr_int64_t *draft, const char **name,
                    const char *hdr, apr_pool_t *p)
{
    const char *s = hdr ? hdr : "";
    const char *fname = NULL;

    *draft = 0;
    *name = NULL;
    if (strlen(s) > 4096) {
        return jc_result_set(res, 400, "tus_metadata_invalid",
                             "Die Angaben zur Datei (Upload-Metadata) sind "
                             "zu lang.", "Upload-Metadata");
    }
    while (*s) {
        const char *k = s, *ke, *v = NULL, *ve;
        const char *val = "";

        while (*s == ' ') {
            s++;
        }
        k = s;
        while (*s && *s != ' ' && *s != ',') {
            s++;
        }
        ke = s;
        if (*s == ' ') {
            while (*s == ' ') {
                s++;
            }
            v = s;
            while (*s && *s != ',' && *s != ' ') {
                s++;
            }
            ve = s;
            while (*s == ' ') {
                s++;
            }
            val = b64_value(v, (size_t)(ve - v), p);
        }
        if (*s && *s != ',') {
            val = NULL;
        }
        if (*s == ',') {
            s++;
        }
        if (ke == k || !val) {
            return jc_result_set(res, 400, "tus_metadata_invalid",
                                 "Die Angaben zur Datei (Upload-Metadata) "
                                 "sind ungültig.", "Upload-Metadata");
        }
        if ((size_t)(ke - k) == 5 && !strncmp(k, "draft", 5)) {
            char *end = NULL;
            apr_int64_t id = apr_strtoi64(val, &end, 10);

            *draft = (*val && end && !*end && strlen(val) <= 18 && id > 0)
                     ? id : 0;
        }
        else if (((size_t)(ke - k) == 8 && !strncmp(k, "filename", 8))
                 || ((size_t)(ke - k) == 4 && !strncmp(k, "name", 4))) {
            fname = val;
        }
    }
    *name = jc_filename_clean(fname, p);
    return 0;
}

/* ---- rows --------------------------------------------------------------- */

static void row_to(jc_tus_t *t, const jc_db_row_t *row, apr_pool_t *p)
{
    apr_int64_t v = 0;

    jc_db_col_i64(row, JC_COL_TUS_GET_ID, &t->id, 0);
    t->token = jc_db_col_str(row, JC_COL_TUS_GET_TOKEN, p);
    jc_db_col_i64(row, JC_COL_TUS_GET_ACCOUNT_ID, &t->account_id, 0);
    jc_db_col_i64(row, JC_COL_TUS_GET_DRAFT_ID, &t->draft_id, 0);
    t->spool_id = jc_db_col_str(row, JC_COL_TUS_GET_SPOOL_ID, p);
    t->name = jc_db_col_str(row, JC_COL_TUS_GET_NAME, p);
    jc_db_col_i64(row, JC_COL_TUS_GET_LENGTH, &v, 0);
    t->length = (apr_off_t)v;
    jc_db_col_i64(row, JC_COL_TUS_GET_UPLOAD_OFFSET, &v, 0);
    t->offset = (apr_off_t)v;
    jc_db_col_i64(row, JC_COL_TUS_GET_FILE_ID, &t->file_id, 0);
    jc_db_col_i64(row, JC_COL_TUS_GET_EXPIRES_AT, &t->expires_at, 0);
}

int jc_tus_get(jc_db_t *db, jc_result_t *res, jc_tus_t *out,
               apr_int64_t account_id, const char *token, apr_int64_t now,
               apr_pool_t *p)
{
    const void *args[2] = { token, &account_id };
    jc_db_row_t row;
    jc_db_rc_e rc;

    memset(out, 0, sizeof(*out));
    if (!jc_tus_token_ok(token) || account_id <= 0) {
        return jc_tus_not_found(res);
    }
    rc = jc_db_select1(db, &row, JC_SQL_TUS_GET, args, p);
    if (rc == JC_DB_NOROW) {
        return jc_tus_not_found(res);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    row_to(out, &row, p);
    if (out->expires_at <= now || !jc_store_id_ok(out->spool_id)) {
        return jc_tus_not_found(res);
    }
    return 200;
}

/* Whether the draft has room for length more bytes in one more file,
 * unfinished uploads counted as if they were stored: 200, or the
 * refusal. */
static int create_check(jc_db_t *db, jc_result_t *res,
                        const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                        apr_int64_t draft_id, apr_off_t length,
                        apr_int64_t now, apr_pool_t *p)
{
    jc_upload_room_t room;
    apr_int64_t pend_bytes = 0, pend_here = 0;
    const void *args[3] = { &draft_id, &account_id, &now };
    jc_db_row_t row;
    jc_db_rc_e rc;

    if (!draft_id) {
        return jc_result_set(res, 400, "draft_missing", "Bitte wählen Sie "
                             "zuerst den zuständigen Bereich aus.", "draft");
    }
    if (length > cfg->max_file) {
        return jc_store_result_too_large(res, cfg->max_file, p);
    }
    if (length <= 0) {
        return jc_result_set(res, 400, "upload_empty", "Die Datei ist leer. "
                             "Bitte wählen Sie eine andere Datei.", "file");
    }
    if (jc_upload_room(db, res, &room, cfg, account_id, draft_id, now, p)
        != 200) {
        return res->status;
    }
    rc = jc_db_select1(db, &row, JC_SQL_TUS_PENDING, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    jc_db_col_i64(&row, JC_COL_TUS_PENDING_BYTES, &pend_bytes, 0);
    jc_db_col_i64(&row, JC_COL_TUS_PENDING_IN_DRAFT, &pend_here, 0);
    if ((apr_int64_t)room.files_left - pend_here < 1) {
        return jc_tus_too_many(res, cfg, p);
    }
    if (length > room.bytes_left - pend_bytes) {
        return jc_tus_daily_limit(res);
    }
    return 200;
}

/* The draft's expiry (the upload's) into out->expires_at, new token and
 * spool id, the empty spool file created: *path. */
static int create_spool(jc_db_t *db, jc_result_t *res, jc_tus_t *out,
                        const char **path, const jc_upload_cfg_t *cfg,
                        apr_int64_t account_id, apr_int64_t draft_id,
                        apr_pool_t *p)
{
    jc_up_draft_row_t d;
    jc_db_rc_e rc = jc_upload_draft_row(db, &d, draft_id, account_id, p);
    int fd;

    if (rc == JC_DB_NOROW) {
        return jc_tus_not_found(res);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    out->expires_at = d.created_at + JC_UPLOAD_DRAFT_TTL;
    out->token = jc_store_random_id(p);
    out->spool_id = jc_store_random_id(p);
    if (!out->token || !out->spool_id) {
        return jc_result_internal(res, "RAND_bytes failed");
    }
    *path = jc_tus_spool_path(cfg->store, out->spool_id, p);
    fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        if (jc_store_is_full(rv)) {
            return jc_store_result_full(res, "tus spool", rv, p);
        }
        return jc_result_internal(res, apr_psprintf(p, "create %s: %pm",
                                                    *path, &rv));
    }
    close(fd);
    return 200;
}

int jc_tus_create(jc_db_t *db, jc_result_t *res, jc_tus_t *out,
                  const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                  apr_int64_t draft_id, const char *name, apr_off_t length,
                  apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t len = length;
    const void *args[8];
    jc_db_row_t row;
    jc_db_rc_e rc;
    const char *path = NULL;

    memset(out, 0, sizeof(*out));
    if (create_check(db, res, cfg, account_id, draft_id, length, now, p)
        != 200) {
        return res->status;
    }
    if (create_spool(db, res, out, &path, cfg, account_id, draft_id, p)
        != 200) {
        return res->status;
    }
    args[0] = out->token;
    args[1] = &account_id;
    args[2] = &draft_id;
    args[3] = out->spool_id;
    args[4] = name;
    args[5] = &len;
    args[6] = &now;
    args[7] = &out->expires_at;
    rc = jc_db_select1(db, &row, JC_SQL_TUS_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        unlink(path);
        return res->status;
    }
    jc_db_col_i64(&row, JC_COL_TUS_INSERT_ID, &out->id, 0);
    out->account_id = account_id;
    out->draft_id = draft_id;
    out->name = name;
    out->length = length;
    return 201;
}

/* Lock the spool file for writing: the descriptor, -1 with *locked = 1
 * when another request holds it, -1 with errno on other failures. */
int jc_tus_spool_lock(const char *path, int *locked)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

    *locked = 0;
    if (fd < 0) {
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;

        close(fd);
        *locked = e == EWOULDBLOCK;
        errno = e;
        return -1;
    }
    return fd;
}

int jc_tus_wait_idle(const jc_upload_cfg_t *cfg, const jc_tus_t *t,
                     int max_ms, apr_pool_t *p)
{
    const char *path = jc_tus_spool_path(cfg->store, t->spool_id, p);
    int fd, waited = 0;

    if (t->file_id > 0) {
        return 1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return 1;
    }
    for (;;) {
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
            close(fd);          /* drops the shared lock */
            return 1;
        }
        if (errno != EWOULDBLOCK || waited >= max_ms) {
            close(fd);
            return errno != EWOULDBLOCK;
        }
        usleep(20 * 1000);
        waited += 20;
    }
}

int jc_tus_locked_result(jc_result_t *res)
{
    return jc_result_set(res, 423, "upload_locked", "Diese Datei wird "
                         "gerade noch übertragen. Bitte versuchen Sie es "
                         "gleich erneut.", NULL);
}

int jc_tus_terminate(jc_db_t *db, jc_result_t *res,
                     const jc_upload_cfg_t *cfg, const jc_tus_t *t,
                     apr_pool_t *p)
{
    const char *path = jc_tus_spool_path(cfg->store, t->spool_id, p);
    int fd, locked = 0;
    jc_db_rc_e rc;

    fd = jc_tus_spool_lock(path, &locked);
    if (locked) {
        return jc_tus_locked_result(res);
    }
    if (t->file_id > 0) {
        /* finished: out of the draft if it is still one (204 or 404) */
        jc_result_t r2;

        jc_result_ok(&r2);
        jc_upload_file_remove(db, &r2, cfg, t->account_id, t->draft_id,
                              t->file_id, p);
        if (r2.status >= 500) {
            *res = r2;
            if (fd >= 0) {
                close(fd);
            }
            return res->status;
        }
    }
    rc = jc_tus_row_delete(db, t->id, p);
    if (jc_db_fail(res, db, rc, p)) {
        if (fd >= 0) {
            close(fd);
        }
        return res->status;
    }
    /* the row first: a crash in between leaves a file jc_tus_sweep
     * removes */
    unlink(path);
    if (fd >= 0) {
        close(fd);
    }
    return 204;
}

json_t *jc_tus_file_json(jc_db_t *db, const jc_tus_t *t, apr_pool_t *p)
{
    const void *args[1] = { &t->file_id };
    jc_db_row_t row;
    apr_int64_t id = 0, size = 0;

    if (t->file_id <= 0
        || jc_db_select1(db, &row, JC_SQL_TUS_FILE, args, p) != JC_DB_OK) {
        return NULL;
    }
    jc_db_col_i64(&row, JC_COL_TUS_FILE_ID, &id, 0);
    jc_db_col_i64(&row, JC_COL_TUS_FILE_SIZE, &size, 0);
    return json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)id,
                     "name", jc_db_col_str(&row, JC_COL_TUS_FILE_NAME, p),
                     "type", jc_db_col_str(&row, JC_COL_TUS_FILE_MIME, p),
                     "size", (json_int_t)size,
                     "sha256", jc_db_col_str(&row, JC_COL_TUS_FILE_SHA256, p));
}

jc_db_rc_e jc_tus_row_delete(jc_db_t *db, apr_int64_t id, apr_pool_t *p)
{
    const void *args[1] = { &id };

    return jc_db_exec(db, NULL, JC_SQL_TUS_DELETE, args, p);
}

/* Quarantine and held files (see jc_scanhold.h). */
#include "jc_scanhold.h"
#include "jc_event.h"
#include "jc_upload_store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#define JC_SCAN_BATCH_MAX 100

apr_status_t jc_scan_quarantine(const char *qdir, const char *path,
                                const char *note, const char **dest,
                                apr_pool_t *p)
{
    const char *base = strrchr(path, '/');
    const char *to, *txt;
    apr_file_t *f;
    apr_size_t n;
    apr_status_t rv;
    int dfd;

    *dest = NULL;
    base = base ? base + 1 : path;
    to = apr_pstrcat(p, qdir, "/", base, NULL);
    txt = apr_pstrcat(p, to, ".txt", NULL);
    /* the note first: a file in the quarantine always says what it is */
    rv = apr_file_open(&f, txt, APR_WRITE | APR_CREATE | APR_TRUNCATE
                       | APR_BINARY, APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    if (rv == APR_SUCCESS) {
        n = strlen(note);
        rv = apr_file_write_full(f, note, n, NULL);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (rename(path, to) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        apr_file_remove(txt, p);
        return rv;
    }
    dfd = open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    *dest = to;
    return APR_SUCCESS;
}

jc_db_rc_e jc_scan_hold_mark(jc_db_t *db, apr_int64_t file_id,
                             apr_pool_t *p)
{
    const void *args[1] = { &file_id };
    int n = 0;
    jc_db_rc_e rc = jc_db_exec(db, &n, JC_SQL_SCAN_HOLD, args, p);

    return rc == JC_DB_OK && n != 1 ? JC_DB_ERROR : rc;
}

/* A held file clamd flagged: the row goes (with a Verlauf event for its
 * account, one transaction), then the file (quarantine or unlink). A row
 * another node removed first is left to that node. */
static jc_db_rc_e held_remove(jc_db_t *db, jc_scan_held_t *h,
                              const jc_scan_hold_cfg_t *cfg, apr_int64_t now,
                              int *done, apr_pool_t *p)
{
    const void *args[1] = { &h->file_id };
    const char *path = jc_store_path(cfg->store, h->store_id, p);
    jc_db_rc_e rc;
    int n = 0;

    *done = 0;
    rc = jc_db_begin(db, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    rc = jc_db_exec(db, &n, JC_SQL_SCAN_DROP, args, p);
    if (rc == JC_DB_OK && n == 1 && h->account_id > 0) {
        rc = jc_event_add(db, h->account_id, now, JC_EV_UPLOAD_INFECTED,
                          apr_psprintf(p, "„%s“: %s (bei der "
                                       "nachträglichen Virenprüfung "
                                       "gefunden, entfernt)", h->name,
                                       h->detail), p);
    }
    if (rc != JC_DB_OK || n != 1) {
        jc_db_rollback(db, p);
        return rc;
    }
    rc = jc_db_commit(db, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    *done = 1;
    if (path && cfg->quarantine) {
        const char *note = apr_psprintf(p, "name: %s\nsignature: %s\n"
                                        "upload_file: %" APR_INT64_T_FMT
                                        "\naccount: %" APR_INT64_T_FMT
                                        "\nat: %" APR_INT64_T_FMT "\n"
                                        "(held while clamd was unreachable,"
                                        " found by the later scan)\n",
                                        h->name, h->detail, h->file_id,
                                        h->account_id, now);

        if (jc_scan_quarantine(cfg->quarantine, path, note, &h->stored, p)
            == APR_SUCCESS) {
            return JC_DB_OK;
        }
    }
    if (path) {
        jc_store_remove(cfg->store, h->store_id, p);
    }
    return JC_DB_OK;
}

jc_db_rc_e jc_scan_held_run(jc_db_t *db, unsigned *released,
                            unsigned *removed, const jc_scan_hold_cfg_t *cfg,
                            apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t limit = cfg->batch > 0 && cfg->batch <= JC_SCAN_BATCH_MAX
                        ? cfg->batch : JC_SCAN_BATCH_MAX;
    const void *args[1] = { &limit };
    jc_db_res_t res;
    jc_db_rc_e rc;
    apr_pool_t *it;
    int i;

    *released = 0;
    *removed = 0;
    rc = jc_db_select(db, &res, JC_SQL_SCAN_HELD, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    apr_pool_create(&it, p);
    for (i = 0; i < res.nrows && rc == JC_DB_OK; i++) {
        jc_scan_held_t h;
        jc_db_row_t row;
        const char *path;
        apr_status_t err;
        int done = 0, n = 0;

        apr_pool_clear(it);
        memset(&h, 0, sizeof(h));
        jc_db_res_row(&res, i, &row, it);
        jc_db_col_i64(&row, JC_COL_SCAN_HELD_ID, &h.file_id, 0);
        h.store_id = jc_db_col_str(&row, JC_COL_SCAN_HELD_STORE_ID, it);
        h.name = jc_db_col_str(&row, JC_COL_SCAN_HELD_NAME, it);
        jc_db_col_i64(&row, JC_COL_SCAN_HELD_ACCOUNT_ID, &h.account_id, 0);
        path = h.store_id ? jc_store_path(cfg->store, h.store_id, it) : NULL;
        if (!path) {
            continue;
        }
        h.verdict = jc_clamd_scan_file(cfg->clamd, path, &h.detail, &err,
                                       it);
        if (h.verdict == JC_CLAMD_UNAVAILABLE && APR_STATUS_IS_ENOENT(err)) {
            continue;           /* removed meanwhile (draft, account) */
        }
        if (h.verdict == JC_CLAMD_CLEAN) {
            args[0] = &h.file_id;
            rc = jc_db_exec(db, &n, JC_SQL_SCAN_RELEASE, args, it);
            if (rc == JC_DB_OK && n == 1) {
                (*released)++;
            }
            else if (rc == JC_DB_OK) {
                continue;
            }
        }
        else if (h.verdict == JC_CLAMD_FOUND) {
            rc = held_remove(db, &h, cfg, now, &done, it);
            if (!done) {
                continue;
            }
            (*removed)++;
        }
        if (rc == JC_DB_OK && cfg->report) {
            cfg->report(cfg->baton, &h);
        }
        if (h.verdict == JC_CLAMD_UNAVAILABLE) {
            break;              /* the next run tries again */
        }
    }
    apr_pool_destroy(it);
    return rc;
}

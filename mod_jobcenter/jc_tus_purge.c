/* Resumable uploads, tus 1.0.0: housekeeping (see jc_tus.h). Expired
 * uploads lose their row and spool file (jc_tus_purge); spool files no
 * row names and no writer holds are swept (jc_tus_sweep). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE              /* dirfd */
#endif
#include "jc_tus_int.h"
#include "jc_sql.h"
#include "jc_upload_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>

jc_db_rc_e jc_tus_purge(jc_db_t *db, unsigned *removed,
                        const jc_upload_cfg_t *cfg, apr_int64_t now,
                        apr_pool_t *p)
{
    const void *args[2] = { &now };
    jc_db_res_t r;
    jc_db_rc_e rc;
    int i, batch;

    *removed = 0;
    for (batch = 0; batch < 20; batch++) {
        rc = jc_db_select(db, &r, JC_SQL_TUS_EXPIRED, args, p);
        if (rc != JC_DB_OK) {
            return rc;
        }
        for (i = 0; i < r.nrows; i++) {
            jc_db_row_t row;
            apr_int64_t id = 0;
            const char *spool;

            jc_db_res_row(&r, i, &row, p);
            jc_db_col_i64(&row, JC_COL_TUS_EXPIRED_ID, &id, 0);
            spool = jc_db_col_str(&row, JC_COL_TUS_EXPIRED_SPOOL_ID, p);
            rc = jc_tus_row_delete(db, id, p);
            if (rc != JC_DB_OK) {
                return rc;
            }
            (*removed)++;
            /* row first: a crash in between leaves a file for the sweep */
            if (jc_store_id_ok(spool)) {
                unlink(jc_tus_spool_path(cfg->store, spool, p));
            }
        }
        if (r.nrows < JC_PURGE_BATCH) {
            break;
        }
    }
    return JC_DB_OK;
}

apr_status_t jc_tus_sweep(const char *dir, long max_age, unsigned *removed,
                          apr_pool_t *p)
{
    const char *tdir = apr_pstrcat(p, dir, "/tmp", NULL);
    size_t sl = strlen(JC_TUS_SPOOL_SUFFIX);
    time_t now = time(NULL);
    struct dirent *e;
    DIR *d;
    int dfd;

    *removed = 0;
    d = opendir(tdir);
    if (!d) {
        return APR_FROM_OS_ERROR(errno);
    }
    dfd = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        struct stat st;

        if (strlen(e->d_name) != JC_TUS_TOKEN_LEN + sl
            || strcmp(e->d_name + JC_TUS_TOKEN_LEN, JC_TUS_SPOOL_SUFFIX)
            || !jc_store_hex_ok(e->d_name, JC_TUS_TOKEN_LEN)) {
            continue;
        }
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode)
            || !jc_store_old_enough(st.st_mtime, now, max_age)) {
            continue;
        }
        *removed += (unsigned)jc_store_unlink_unlocked(dfd, e->d_name);
    }
    closedir(d);
    return APR_SUCCESS;
}

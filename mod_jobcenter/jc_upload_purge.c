/* Housekeeping of uploads: drafts older than JC_UPLOAD_DRAFT_TTL are
 * deleted with their files (see jc_upload.h). Core: no httpd headers. */
#include "jc_upload.h"
#include "jc_upload_store.h"

/* Delete one draft's rows in a transaction, then its stored files. */
static jc_db_rc_e purge_one(jc_db_t *db, const jc_upload_cfg_t *cfg,
                            apr_int64_t id, apr_pool_t *p)
{
    const void *args[1] = { &id };
    jc_db_res_t files;
    jc_db_rc_e rc = jc_db_begin(db, p);
    int k;

    if (rc == JC_DB_OK) {
        rc = jc_upload_draft_files(db, &files, id, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_exec(db, NULL, JC_SQL_UP_DRAFT_FILES_DELETE, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_upload_draft_delete(db, id, p);
    }
    rc = jc_db_end(db, rc, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    /* rows first: a crash in between leaves unreferenced files only */
    for (k = 0; k < files.nrows; k++) {
        jc_db_row_t row;

        jc_db_res_row(&files, k, &row, p);
        jc_store_remove(cfg->store,
                        jc_db_col_str(&row, JC_COL_UP_DRAFT_FILES_STORE_ID,
                                      p), p);
    }
    return JC_DB_OK;
}

jc_db_rc_e jc_upload_purge_drafts(jc_db_t *db, unsigned *removed,
                                  const jc_upload_cfg_t *cfg,
                                  apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t before = now - JC_UPLOAD_DRAFT_TTL;
    const void *args[1] = { &before };
    jc_db_res_t r;
    jc_db_rc_e rc = jc_db_select(db, &r, JC_SQL_UP_DRAFTS_OLD, args, p);
    int i;

    *removed = 0;
    /* at most 100 drafts per run; the next run takes the rest */
    for (i = 0; rc == JC_DB_OK && i < r.nrows; i++) {
        jc_db_row_t row;
        apr_int64_t id = 0;

        jc_db_res_row(&r, i, &row, p);
        jc_db_col_i64(&row, JC_COL_UP_DRAFTS_OLD_ID, &id, 0);
        rc = purge_one(db, cfg, id, p);
        if (rc == JC_DB_OK) {
            (*removed)++;
        }
    }
    return rc;
}

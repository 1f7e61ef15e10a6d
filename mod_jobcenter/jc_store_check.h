/* Reconciling the upload store with the database: committed files in
 * files/ that no row names (left by a crash between the rename and the
 * row's commit, or by a failed clean-up) and rows whose file is missing.
 * Used by the upload watchdog (JobcenterStoreReconcileInterval) and by
 * `jobcenter-admin store-check [--repair]`.
 *
 * The rule that makes it safe while uploads run, on any node: a writer
 * holds an exclusive flock(2) on its file from the temp file's creation,
 * through the rename into files/, until the row that names it is
 * committed or given up (jc_store_file_release, else the cleanup of the
 * upload's pool, which is the request pool). A file is removed only by a
 * checker that holds that lock itself and then, still holding it, finds
 * no row: it can only have got the lock after the writer released it, so
 * either the row was committed before (and is seen) or it never will be
 * (the writer gave up or died, and its kernel or NFS lease dropped the
 * lock). The grace period is a second guard (a writer of an older build
 * that released the lock at the rename) and keeps young files out of the
 * report. Rows name files as upload_file.store_id,
 * upload_submission.receipt_store_id and bescheid.store_id.
 * Core: no httpd headers. */
#ifndef JC_STORE_CHECK_H
#define JC_STORE_CHECK_H

#include <apr_pools.h>

#include "jc_db.h"

/* What one finding is. */
typedef enum {
    JC_SC_ORPHAN_FILE,    /* files/<id> without a row, past the grace     */
    JC_SC_ORPHAN_TEMP,    /* tmp/<id>.part nobody writes, past the grace  */
    JC_SC_MISSING_FILE,   /* a row whose file is missing                  */
    JC_SC_UNCHECKED       /* a file that could not be checked (errno)     */
} jc_sc_kind_e;

typedef struct {
    jc_sc_kind_e kind;
    const char *path;     /* the file (all kinds)                         */
    const char *store_id; /* files/ name or the row's store id            */
    apr_off_t size;       /* bytes of the file (orphans)                  */
    const char *table;    /* MISSING_FILE: the row's table                */
    apr_int64_t row_id;   /* MISSING_FILE: its id                         */
    int removed;          /* orphans: removed by this pass (repair)       */
    apr_status_t err;     /* UNCHECKED: why                               */
} jc_sc_finding_t;

/* Called for every finding (may be NULL). */
typedef void jc_sc_report_fn(void *baton, const jc_sc_finding_t *f);

/* Totals of one pass. */
typedef struct {
    unsigned files;           /* committed files looked at               */
    unsigned young;           /* of those within the grace period        */
    unsigned busy;            /* without a row yet, held by a writer     */
    unsigned orphans;         /* without a row, past the grace, free     */
    apr_off_t orphan_bytes;
    unsigned temps;           /* orphaned temp files                     */
    apr_off_t temp_bytes;
    unsigned removed;         /* orphans and temps removed (repair)      */
    apr_off_t removed_bytes;
    unsigned rows;            /* rows past the grace looked at           */
    unsigned missing;         /* of those without their file             */
    unsigned unchecked;       /* files that could not be checked         */
} jc_sc_totals_t;

typedef struct {
    const char *dir;          /* JobcenterUploadStore                    */
    long grace;               /* seconds; files changed (mtime or ctime)
                               * and rows created more recently are
                               * left alone                              */
    int repair;               /* 1: remove orphan files and temp files   */
    jc_sc_report_fn *report;  /* findings (may be NULL)                  */
    void *baton;
} jc_sc_cfg_t;

/* One pass over files/, tmp/ and the rows that name store files. Rows are
 * read in pages of JC_SC_PAGE by id (one connection, no transaction held).
 * JC_DB_OK also when files could not be checked (counted, reported);
 * another outcome when the database failed (the pass stops there; what
 * was done stays done). APR errors of the directory scan end the pass
 * with JC_DB_ERROR and db->last_error set. */
#define JC_SC_PAGE 500
jc_db_rc_e jc_store_check(jc_db_t *db, jc_sc_totals_t *out,
                          const jc_sc_cfg_t *cfg, apr_int64_t now,
                          apr_pool_t *p);

#endif

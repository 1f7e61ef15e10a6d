/* Helpers shared by the files of the tus uploads (jc_tus.c, the resource;
 * jc_tus_writer.c, a PATCH's bytes; jc_tus_purge.c, housekeeping); not
 * part of the interface to the glue. Core: no httpd headers. */
#ifndef JC_TUS_INT_H
#define JC_TUS_INT_H

#include "jc_tus.h"

/* dir/tmp/<spool_id>.tus, in p. */
const char *jc_tus_spool_path(const char *dir, const char *spool_id,
                              apr_pool_t *p);

/* Lock the spool file for writing: the descriptor, -1 with *locked = 1
 * when another request holds it, -1 with errno on other failures. */
int jc_tus_spool_lock(const char *path, int *locked);

/* The refusals the resource and the writer share: 404 not_found, 400
 * upload_too_many_files, 413 upload_daily_limit, 423 upload_locked. */
int jc_tus_not_found(jc_result_t *res);
int jc_tus_too_many(jc_result_t *res, const jc_upload_cfg_t *cfg,
                    apr_pool_t *p);
int jc_tus_daily_limit(jc_result_t *res);
int jc_tus_locked_result(jc_result_t *res);

/* Delete the tus_upload row id (jc_tus_delete), in the caller's
 * transaction if any. */
jc_db_rc_e jc_tus_row_delete(jc_db_t *db, apr_int64_t id, apr_pool_t *p);

/* The n characters of v are base64 (standard alphabet, padding only at
 * the end). */
int jc_tus_b64_chars_ok(const char *v, size_t n);

#endif

/* Helpers shared by the files of the citizen's upload flow and the staff
 * inbox (jc_upload.c, jc_upload_submit.c, jc_upload_list.c,
 * jc_upload_staff.c); not part of the interface to the glue.
 * Core: no httpd headers. */
#ifndef JC_UPLOAD_INT_H
#define JC_UPLOAD_INT_H

#include "jc_upload.h"

/* 404 not_found with the German message what. */
int jc_upload_not_found(jc_result_t *res, const char *what);

/* "DD.MM.YYYY" in German time (Europe/Berlin). */
const char *jc_upload_date_de(apr_int64_t t, apr_pool_t *p);

/* German label of a staff team ("leistung" -> "Leistung allgemein");
 * team itself if unknown. */
const char *jc_upload_team_label(const char *team);

/* The account's live draft: *count = its files, *area (if area is not
 * NULL) its area key. 404 for a draft that is not the account's or has
 * expired. */
int jc_upload_draft_get(jc_db_t *db, jc_result_t *res, apr_int64_t *count,
                        const char **area, apr_int64_t account_id,
                        apr_int64_t draft_id, apr_int64_t now,
                        apr_pool_t *p);

/* The submission submission_id with its jobcenter's name into *row
 * (jc_up_sub_get; read with JC_COL_UP_SUB_GET_*); JC_DB_NOROW when there
 * is none. Defined in jc_upload_submit.c. */
jc_db_rc_e jc_upload_sub_get(jc_db_t *db, jc_db_row_t *row,
                             apr_int64_t submission_id, apr_pool_t *p);

/* One file as JSON {id, name, type, size, sha256}. */
json_t *jc_upload_file_json(apr_int64_t id, const char *name,
                            const char *mime, apr_int64_t size,
                            const char *sha);

/* The files of submission sub_id as a JSON array (*rc: the query). */
json_t *jc_upload_files_json(jc_db_t *db, jc_db_rc_e *rc,
                             apr_int64_t sub_id, apr_pool_t *p);

/* Columns 0..7 of jc_up_sub_get/list/inbox as a submission's JSON. */
json_t *jc_upload_sub_json(const jc_db_row_t *row, apr_pool_t *p);

/* A submission's fields beyond jc_upload_sub_json, added to o from its
 * row (id = column 0): JC_DB_OK or a database failure. */
typedef jc_db_rc_e (*jc_upload_sub_add_fn)(json_t *o, const jc_db_row_t *row,
                                           apr_int64_t id, jc_db_t *db,
                                           apr_pool_t *p);

/* The submissions of r (columns 0..7 as for jc_upload_sub_json) as a
 * JSON array *arr, each with add's fields: 200, or the failure in res
 * (*arr NULL). */
int jc_upload_subs_json(jc_db_t *db, jc_result_t *res, json_t **arr,
                        jc_db_res_t *r, jc_upload_sub_add_fn add,
                        apr_pool_t *p);

#endif

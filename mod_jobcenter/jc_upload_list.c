/* The citizen's Antragsübersicht and the receipt verification ("Prüfen
 * Sie Ihre Sendung"), with the submission JSON the staff inbox shares
 * (see jc_upload.h). Core: no httpd headers. */
#include "jc_upload_int.h"
#include "jc_apiurl.h"
#include "jc_fsc.h"
#include "jc_time.h"
#include "jc_token.h"

#include <string.h>

#include <apr_strings.h>

/* "HH:MM" in German time (Europe/Berlin). */
static const char *time_de(apr_int64_t t, apr_pool_t *p)
{
    char buf[6];

    jc_berlin_time_de(t, buf);
    return apr_pstrdup(p, buf);
}

json_t *jc_upload_files_json(jc_db_t *db, jc_db_rc_e *rc,
                             apr_int64_t sub_id, apr_pool_t *p)
{
    const void *args[1] = { &sub_id };
    jc_db_res_t fr;
    json_t *arr = json_array();
    int i;

    *rc = jc_db_select(db, &fr, JC_SQL_UP_SUB_FILES, args, p);
    for (i = 0; *rc == JC_DB_OK && i < fr.nrows; i++) {
        jc_db_row_t row;
        apr_int64_t id = 0, size = 0;

        jc_db_res_row(&fr, i, &row, p);
        jc_db_col_i64(&row, JC_COL_UP_DRAFT_FILES_ID, &id, 0);
        jc_db_col_i64(&row, JC_COL_UP_DRAFT_FILES_SIZE, &size, 0);
        json_array_append_new(arr, jc_upload_file_json(
            id, jc_db_col_str(&row, JC_COL_UP_DRAFT_FILES_NAME, p),
            jc_db_col_str(&row, JC_COL_UP_DRAFT_FILES_MIME, p), size,
            jc_db_col_str(&row, JC_COL_UP_DRAFT_FILES_SHA256, p)));
    }
    return arr;
}

/* jc_upload_sub_json and jc_upload_subs_json read the rows of
 * jc_up_sub_list and jc_up_inbox with jc_up_sub_get's column indexes
 * (jc_up_sub_by_ref has jc_up_sub_get's columns) */
#define SAME_SUB(l, c) (JC_COL_##l##_##c == JC_COL_UP_SUB_GET_##c)
#define SAME_SUB_ALL(l) (SAME_SUB(l, ID) && SAME_SUB(l, REFERENCE) \
    && SAME_SUB(l, AREA) && SAME_SUB(l, STATUS) && SAME_SUB(l, NFILES) \
    && SAME_SUB(l, SUBMITTED_AT) && SAME_SUB(l, STATUS_AT))
_Static_assert(SAME_SUB_ALL(UP_SUB_LIST) && SAME_SUB_ALL(UP_INBOX),
               "every submission row starts with jc_up_sub_get's columns");
#undef SAME_SUB_ALL
#undef SAME_SUB

/* Columns 0..7 of jc_up_sub_get/list as JSON. */
json_t *jc_upload_sub_json(const jc_db_row_t *row, apr_pool_t *p)
{
    apr_int64_t id = 0, nfiles = 0, at = 0, sat = 0;
    const char *st = jc_db_col_str(row, JC_COL_UP_SUB_GET_STATUS, p);
    const jc_upload_area_t *a =
        jc_upload_area(jc_db_col_str(row, JC_COL_UP_SUB_GET_AREA, p));

    jc_db_col_i64(row, JC_COL_UP_SUB_GET_ID, &id, 0);
    jc_db_col_i64(row, JC_COL_UP_SUB_GET_NFILES, &nfiles, 0);
    jc_db_col_i64(row, JC_COL_UP_SUB_GET_SUBMITTED_AT, &at, 0);
    jc_db_col_i64(row, JC_COL_UP_SUB_GET_STATUS_AT, &sat, 0);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:I, "
                     "s:s}", "id", (json_int_t)id,
                     "reference",
                     jc_db_col_str(row, JC_COL_UP_SUB_GET_REFERENCE, p),
                     "area", a ? a->key : "", "area_label",
                     a ? a->label : "", "status", st, "status_label",
                     jc_upload_status_label(st) ? jc_upload_status_label(st)
                                                : st,
                     "files", (json_int_t)nfiles,
                     "submitted_at", (json_int_t)at,
                     "date", jc_upload_date_de(at, p),
                     "status_at", (json_int_t)sat,
                     "time", time_de(at, p));
}

int jc_upload_subs_json(jc_db_t *db, jc_result_t *res, json_t **arr,
                        jc_db_res_t *r, jc_upload_sub_add_fn add,
                        apr_pool_t *p)
{
    jc_db_rc_e rc;
    int i;

    *arr = json_array();
    for (i = 0; i < r->nrows; i++) {
        jc_db_row_t row;
        json_t *o;
        apr_int64_t id = 0;

        jc_db_res_row(r, i, &row, p);
        o = jc_upload_sub_json(&row, p);
        jc_db_col_i64(&row, JC_COL_UP_SUB_GET_ID, &id, 0);
        rc = add(o, &row, id, db, p);
        json_array_append_new(*arr, o);
        if (rc != JC_DB_OK) {
            json_decref(*arr);
            *arr = NULL;
            jc_db_fail(res, db, rc, p);
            return res->status;
        }
    }
    return 200;
}

/* The Antragsübersicht's fields of a submission: jobcenter, receipt. */
static jc_db_rc_e list_add(json_t *o, const jc_db_row_t *row, apr_int64_t id,
                           jc_db_t *db, apr_pool_t *p)
{
    (void)db;
    json_object_set_new(o, "jobcenter",
                        json_string(jc_db_col_str(row,
                                                  JC_COL_UP_SUB_LIST_NAME,
                                                  p)));
    json_object_set_new(o, "receipt", json_string(apr_psprintf(p,
        "%suploads/receipt?submission=%" APR_INT64_T_FMT,
        jc_apiurl_base(), id)));
    return JC_DB_OK;
}

int jc_upload_list(jc_db_t *db, jc_result_t *res, json_t **out,
                   apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1] = { &account_id };
    jc_db_res_t r;
    json_t *arr;
    jc_db_rc_e rc = jc_db_select(db, &r, JC_SQL_UP_SUB_LIST, args, p);

    *out = NULL;
    if (jc_db_fail(res, db, rc, p)
        || jc_upload_subs_json(db, res, &arr, &r, list_add, p) != 200) {
        return res->status;
    }
    *out = json_pack("{s:o}", "submissions", arr);
    return 200;
}

int jc_upload_verify(jc_db_t *db, jc_result_t *res, json_t **out,
                     const char *reference, const char *code,
                     apr_pool_t *p)
{
    char norm[JC_FSC_LEN + 1];
    const void *args[1];
    jc_db_row_t row;
    json_t *o, *files;
    apr_int64_t id = 0;
    jc_db_rc_e rc;
    int ok;

    *out = NULL;
    if (!reference || strlen(reference) > 64 || !code) {
        return jc_result_set(res, 400, "receipt_input",
                             "Bitte geben Sie die Vorgangsnummer und den "
                             "Prüfcode vom Bestätigungs-PDF ein.", NULL);
    }
    ok = jc_fsc_normalize(code, norm);
    args[0] = reference;
    rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_BY_REF, args, p);
    if (rc != JC_DB_OK && rc != JC_DB_NOROW) {
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    /* compare even without a row, so timing tells nothing either */
    if (!jc_token_equal(ok ? jc_fsc_hash(norm, p) : "-",
                        rc == JC_DB_OK
                        ? jc_db_col_str(&row, JC_COL_UP_SUB_GET_VERIFY_HASH, p)
                        : "+")
        || rc != JC_DB_OK) {
        return jc_result_set(res, 404, "receipt_unknown",
                             "Zu dieser Vorgangsnummer und diesem Prüfcode "
                             "gibt es keine Sendung. Bitte prüfen Sie Ihre "
                             "Eingabe.", "code");
    }
    o = jc_upload_sub_json(&row, p);
    jc_db_col_i64(&row, JC_COL_UP_SUB_GET_ID, &id, 0);
    files = jc_upload_files_json(db, &rc, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        json_decref(o);
        json_decref(files);
        return res->status;
    }
    json_object_del(o, "id");
    json_object_del(o, "status_at");
    json_object_set_new(o, "jobcenter",
                        json_string(jc_db_col_str(&row,
                                                  JC_COL_UP_SUB_GET_NAME, p)));
    json_object_set_new(o, "file_list", files);
    *out = o;
    return 200;
}

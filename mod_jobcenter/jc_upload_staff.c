/* The staff side of uploads: the team's inbox of submissions, a file's
 * download and status changes (see jc_upload.h). Core: no httpd
 * headers. */
#include "jc_upload_int.h"
#include "jc_upload_store.h"

#include <string.h>

#include <apr_strings.h>

/* The inbox's fields of a submission: Kundennummer, customer, message,
 * the files. */
static jc_db_rc_e inbox_add(json_t *o, const jc_db_row_t *row,
                            apr_int64_t id, jc_db_t *db, apr_pool_t *p)
{
    jc_db_rc_e rc = JC_DB_OK;

    json_object_set_new(o, "kundennummer", json_string(
                        jc_db_col_str(row, JC_COL_UP_INBOX_KUNDENNUMMER, p)));
    json_object_set_new(o, "customer", json_string(apr_pstrcat(p,
        jc_db_col_str(row, JC_COL_UP_INBOX_GIVEN_NAME, p), " ",
        jc_db_col_str(row, JC_COL_UP_INBOX_FAMILY_NAME, p), NULL)));
    json_object_set_new(o, "message",
                        jc_db_col_str(row, JC_COL_UP_INBOX_MESSAGE, p)
                        ? json_string(jc_db_col_str(row,
                                                    JC_COL_UP_INBOX_MESSAGE,
                                                    p))
                        : json_null());
    json_object_set_new(o, "file_list",
                        jc_upload_files_json(db, &rc, id, p));
    return rc;
}

int jc_upload_staff_inbox(jc_db_t *db, jc_result_t *res, json_t **out,
                          const jc_upload_staff_t *st, apr_pool_t *p)
{
    const void *args[2] = { &st->jobcenter_id, st->team };
    jc_db_res_t r;
    json_t *arr;
    jc_db_rc_e rc = jc_db_select(db, &r, JC_SQL_UP_INBOX, args, p);

    *out = NULL;
    if (jc_db_fail(res, db, rc, p)
        || jc_upload_subs_json(db, res, &arr, &r, inbox_add, p) != 200) {
        return res->status;
    }
    *out = json_pack("{s:s, s:o}", "team", jc_upload_team_label(st->team),
                     "submissions", arr);
    return 200;
}

int jc_upload_staff_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                         const jc_upload_cfg_t *cfg,
                         const jc_upload_staff_t *st, apr_int64_t file_id,
                         apr_pool_t *p)
{
    const void *args[1] = { &file_id };
    jc_db_row_t row;
    apr_int64_t jcid = 0, size = 0;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_STAFF_FILE, args, p);

    memset(dl, 0, sizeof(*dl));
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_UP_STAFF_FILE_JOBCENTER_ID, &jcid, 0);
        if (jcid != st->jobcenter_id
            || strcmp(jc_db_col_str(&row, JC_COL_UP_STAFF_FILE_TEAM, p),
                      st->team) != 0) {
            rc = JC_DB_NOROW;
        }
    }
    if (rc == JC_DB_NOROW) {
        return jc_upload_not_found(res, "Diese Datei gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    dl->path = jc_store_path(cfg->store,
                             jc_db_col_str(&row,
                                           JC_COL_UP_STAFF_FILE_STORE_ID, p),
                             p);
    dl->name = jc_db_col_str(&row, JC_COL_UP_STAFF_FILE_NAME, p);
    dl->mime = jc_db_col_str(&row, JC_COL_UP_STAFF_FILE_MIME, p);
    jc_db_col_i64(&row, JC_COL_UP_STAFF_FILE_SIZE, &size, 0);
    dl->size = size;
    if (!dl->path) {
        return jc_result_internal(res, "bad store id");
    }
    return 200;
}

int jc_upload_staff_set_status(jc_db_t *db, jc_result_t *res,
                               json_t **out, const jc_upload_staff_t *st,
                               apr_int64_t submission_id,
                               const char *status, apr_int64_t now,
                               apr_pool_t *p)
{
    const void *args[5];
    jc_db_row_t row;
    apr_int64_t jcid = 0, cust = 0;
    const char *old, *team;
    jc_db_rc_e rc;
    int n = 0;

    *out = NULL;
    if (!jc_upload_status_label(status)) {
        return jc_result_set(res, 400, "status_invalid", "Bitte wählen Sie "
                             "einen Status: „übermittelt“, „in Bearbeitung“ "
                             "oder „erledigt“.", "status");
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    rc = jc_upload_sub_get(db, &row, submission_id, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_UP_SUB_GET_JOBCENTER_ID, &jcid, 0);
        team = jc_db_col_str(&row, JC_COL_UP_SUB_GET_TEAM, p);
        if (jcid != st->jobcenter_id || strcmp(team, st->team) != 0) {
            rc = JC_DB_NOROW;
        }
    }
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return jc_upload_not_found(res, "Diese Sendung gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    old = jc_db_col_str(&row, JC_COL_UP_SUB_GET_STATUS, p);
    jc_db_col_i64(&row, JC_COL_UP_SUB_GET_CUSTOMER_ID, &cust, 0);
    args[0] = status;
    args[1] = &now;
    args[2] = &st->account_id;
    args[3] = &submission_id;
    args[4] = status;
    rc = jc_db_exec(db, &n, JC_SQL_UP_SUB_STATUS, args, p);
    if (rc == JC_DB_OK && n > 0) {
        args[0] = &st->account_id;
        args[1] = &now;
        args[2] = "upload_status";
        args[3] = &cust;
        args[4] = apr_psprintf(p, "%s: %s -> %s",
                               jc_db_col_str(&row,
                                             JC_COL_UP_SUB_GET_REFERENCE, p),
                               old, status);
        rc = jc_db_exec(db, NULL, JC_SQL_UP_AUDIT, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *out = json_pack("{s:I, s:s, s:s, s:b}", "submission",
                     (json_int_t)submission_id, "status", status,
                     "status_label", jc_upload_status_label(status),
                     "changed", n > 0);
    return 200;
}

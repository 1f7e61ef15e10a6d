/* Bescheide (see jc_bescheid.h). */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>

#include "jc_bescheid.h"
#include "jc_apiurl.h"
#include "jc_event.h"
#include "jc_message_int.h"
#include "jc_notify.h"
#include "jc_online.h"
#include "jc_time.h"
#include "jc_upload_store.h"

apr_int64_t jc_bescheid_delivery_days(apr_int64_t provided_days, int region)
{
    apr_int64_t d = provided_days + JC_BESCHEID_DELIVERY_DAYS;

    while (!jc_online_is_workday(d, region)) {
        d++;
    }
    return d;
}

void jc_bescheid_delivery_day(apr_int64_t provided_at, int region,
                              char buf[11])
{
    char local[11];
    int y, m, d;

    jc_online_local_date(provided_at, local);
    buf[0] = '\0';
    if (sscanf(local, "%4d-%2d-%2d", &y, &m, &d) != 3) {
        return;
    }
    jc_time_civil_from_days(
        jc_bescheid_delivery_days(jc_time_days_from_civil(y, m, d), region),
        &y, &m, &d);
    apr_snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

static json_t *bescheid_json(const jc_db_row_t *row, apr_pool_t *p)
{
    apr_int64_t opened = 0, id = col_i(row, JC_COL_BESCHEID_LIST_ID);
    int has = jc_db_col_i64(row, JC_COL_BESCHEID_LIST_OPENED_AT, &opened, 0);
    json_t *b = json_pack("{s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
                          "id", (json_int_t)id,
                          "title", col(row, JC_COL_BESCHEID_LIST_TITLE, p),
                          "name", col(row, JC_COL_BESCHEID_LIST_NAME, p),
                          "size", (json_int_t)col_i(row,
                                                    JC_COL_BESCHEID_LIST_SIZE),
                          "provided_at", (json_int_t)col_i(row,
                                             JC_COL_BESCHEID_LIST_PROVIDED_AT),
                          "delivered_on",
                          col(row, JC_COL_BESCHEID_LIST_DELIVERED_ON, p),
                          "delivered_on_text",
                          jc_msg_date_de(col(row,
                                             JC_COL_BESCHEID_LIST_DELIVERED_ON,
                                             p), p),
                          "href", apr_psprintf(p, "%sbescheide/file?id=%"
                                               APR_INT64_T_FMT,
                                               jc_apiurl_base(), id));

    json_object_set_new(b, "opened_at",
                        has ? json_integer(opened) : json_null());
    return b;
}

int jc_bescheid_list(jc_db_t *db, jc_result_t *res, json_t **out,
                     apr_int64_t account_id, apr_pool_t *p)
{
    return jc_msg_account_list(db, res, out, "bescheide", JC_SQL_BESCHEID_LIST,
                               account_id, bescheid_json, p);
}

int jc_bescheid_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                     const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                     apr_int64_t bescheid_id, apr_int64_t now,
                     apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;
    int st;

    args[0] = &bescheid_id;
    args[1] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_BESCHEID_GET, args, p);
    if (rc == JC_DB_NOROW) {
        return jc_msg_not_found(res, "bescheid_unknown",
                                "Diesen Bescheid gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    dl->path = jc_store_path(cfg->upload->store,
                             col(&row, JC_COL_BESCHEID_GET_STORE_ID, p), p);
    dl->name = col(&row, JC_COL_BESCHEID_GET_NAME, p);
    dl->mime = "application/pdf";
    dl->size = col_i(&row, JC_COL_BESCHEID_GET_SIZE);
    if (!dl->path) {
        return jc_result_internal(res, "bad store id");
    }
    args[0] = &now;
    args[1] = &bescheid_id;
    rc = jc_db_exec(db, NULL, JC_SQL_BESCHEID_OPEN, args, p);
    st = jc_db_fail(res, db, rc, p) ? res->status : 200;
    return st;
}

int jc_bescheid_check(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                      apr_int64_t customer_id, const char *title,
                      apr_pool_t *p)
{
    apr_int64_t account = 0;

    if (!jc_msg_line_ok(title, JC_MSG_TITLE_MAX)) {
        return jc_result_set(res, 422, "title_invalid", "Bitte geben Sie "
                             "einen Titel für den Bescheid an (höchstens "
                             "200 Zeichen).", "title");
    }
    return jc_msg_staff_customer(db, res, st, customer_id, &account, p);
}

int jc_bescheid_post(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                     apr_int64_t customer_id, const char *title,
                     const jc_upfile_t *f, apr_int64_t now, apr_pool_t *p)
{
    const void *args[10];
    jc_db_row_t row;
    apr_int64_t account = 0, size = f->size, id = 0;
    char day[11];
    jc_db_rc_e rc;
    json_t *b;

    *out = NULL;
    if (strcmp(f->mime, "application/pdf") != 0) {
        jc_store_remove(cfg->upload->store, f->store_id, p);
        return jc_result_set(res, 415, "bescheid_pdf_only",
                             "Ein Bescheid muss eine PDF-Datei sein.",
                             "file");
    }
    jc_bescheid_delivery_day(now, cfg->holiday_region, day);
    rc = jc_db_begin(db, p);
    if (!jc_db_fail(res, db, rc, p)
        && jc_bescheid_check(db, res, st, customer_id, title, p) == 200) {
        rc = jc_msg_staff_customer(db, res, st, customer_id, &account,
                                   p) == 200 ? JC_DB_OK : JC_DB_ERROR;
        if (rc == JC_DB_OK) {
            args[0] = &st->jobcenter_id;
            args[1] = &customer_id;
            args[2] = title;
            args[3] = f->store_id;
            args[4] = f->name;
            args[5] = &size;
            args[6] = f->sha256;
            args[7] = &st->account_id;
            args[8] = &now;
            args[9] = day;
            rc = jc_db_select1(db, &row, JC_SQL_BESCHEID_INSERT, args, p);
            if (rc == JC_DB_NOROW) {
                rc = JC_DB_ERROR;
            }
            if (rc == JC_DB_OK) {
                id = col_i(&row, JC_COL_BESCHEID_INSERT_ID);
                rc = jc_msg_audit(db, st, now, "bescheid_posted",
                                  customer_id,
                                  apr_psprintf(p, "bescheid %"
                                               APR_INT64_T_FMT, id), p);
            }
            if (rc == JC_DB_OK) {
                rc = jc_event_add(db, account, now, JC_EV_BESCHEID_RECEIVED,
                                  st->jobcenter_name, p);
            }
            if (rc == JC_DB_OK) {
                rc = jc_notify_queue(db, cfg, account, 0, now, NULL, p);
            }
            if (rc == JC_DB_OK) {
                rc = jc_db_commit(db, p);
            }
            if (!jc_db_fail(res, db, rc, p)) {
                b = json_pack("{s:I, s:s, s:s, s:I, s:I, s:s, s:s}",
                              "id", (json_int_t)id, "title", title,
                              "name", f->name, "size", (json_int_t)size,
                              "provided_at", (json_int_t)now,
                              "delivered_on", day,
                              "delivered_on_text", jc_msg_date_de(day, p));
                *out = json_pack("{s:o}", "bescheid", b);
                return 201;
            }
        }
    }
    /* nothing was recorded: the stored file goes too */
    jc_db_rollback(db, p);
    jc_store_remove(cfg->upload->store, f->store_id, p);
    if (res->status < 400) {
        jc_result_internal(res, "bescheid not stored");
    }
    return res->status;
}

jc_db_rc_e jc_bescheid_remind_due(jc_db_t *db, int *sent,
                                  const jc_msg_cfg_t *cfg, apr_int64_t now,
                                  apr_pool_t *p)
{
    apr_int64_t cut = now - (apr_int64_t)cfg->remind_days * 86400;
    const void *args[2];
    jc_db_res_t rows;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i, n = 0;

    *sent = 0;
    if (cfg->remind_days <= 0) {
        return JC_DB_OK;
    }
    args[0] = &cut;
    rc = jc_db_select(db, &rows, JC_SQL_BESCHEID_DUE, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    for (i = 0; i < rows.nrows; i++) {
        apr_int64_t id, account;
        int queued = 0;

        jc_db_res_row(&rows, i, &row, p);
        id = col_i(&row, JC_COL_BESCHEID_DUE_ID);
        account = col_i(&row, JC_COL_BESCHEID_DUE_ACCOUNT_ID);
        rc = jc_db_begin(db, p);
        if (rc != JC_DB_OK) {
            return rc;
        }
        args[0] = &now;
        args[1] = &id;
        rc = jc_db_exec(db, &n, JC_SQL_BESCHEID_REMINDED, args, p);
        if (rc == JC_DB_OK && n == 1) {
            rc = jc_notify_queue(db, cfg, account, 1, now, &queued, p);
        }
        rc = jc_db_end(db, rc, p);
        if (rc != JC_DB_OK) {
            return rc;
        }
        *sent += queued;
    }
    return JC_DB_OK;
}

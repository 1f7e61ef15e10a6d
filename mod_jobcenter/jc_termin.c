/* Termine (see jc_termin.h). */
#include <stdio.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "jc_termin.h"
#include "jc_event.h"
#include "jc_message_int.h"
#include "jc_notify.h"
#include "jc_online.h"
#include "jc_time.h"

static json_t *termin_json(const jc_db_row_t *row, apr_pool_t *p)
{
    apr_int64_t conv = 0;
    const char *team = col(row, JC_COL_TERMIN_LIST_TEAM, p);
    int has = jc_db_col_i64(row, JC_COL_TERMIN_LIST_RESCHEDULE_CONVERSATION,
                            &conv, 0);
    json_t *t = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
        "id", (json_int_t)col_i(row, JC_COL_TERMIN_LIST_ID),
        "date", col(row, JC_COL_TERMIN_LIST_TERMIN_DATE, p),
        "date_text", jc_msg_date_de(col(row, JC_COL_TERMIN_LIST_TERMIN_DATE,
                                        p), p),
        "time", col(row, JC_COL_TERMIN_LIST_TERMIN_TIME, p),
        "place", col(row, JC_COL_TERMIN_LIST_PLACE, p),
        "contact", col(row, JC_COL_TERMIN_LIST_CONTACT, p), "team", team,
        "team_text", jc_staff_team_text(team),
        "created_at", (json_int_t)col_i(row, JC_COL_TERMIN_LIST_CREATED_AT));

    json_object_set_new(t, "reschedule_conversation",
                        has ? json_integer(conv) : json_null());
    return t;
}

int jc_termin_list(jc_db_t *db, jc_result_t *res, json_t **out,
                   apr_int64_t account_id, apr_pool_t *p)
{
    return jc_msg_account_list(db, res, out, "termine", JC_SQL_TERMIN_LIST,
                               account_id, termin_json, p);
}

int jc_termin_reschedule(jc_db_t *db, jc_result_t *res, json_t **out,
                         const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                         apr_int64_t termin_id, const char *text,
                         const char *key, apr_int64_t now, apr_pool_t *p)
{
    const jc_anliegen_t *a = jc_anliegen_find("terminanfrage");
    const void *args[2];
    jc_db_row_t row;
    const char *team, *subject, *body;
    jc_db_rc_e rc;

    *out = NULL;
    if (!jc_upload_key_ok(key)) {
        return jc_msg_bad_key(res);
    }
    if (text && *text) {
        jc_msg_check_text(res, text);
        if (jc_msg_validation_result(res)) {
            return res->status;
        }
    }
    args[0] = &termin_id;
    args[1] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_TERMIN_GET, args, p);
    if (rc == JC_DB_NOROW) {
        return jc_msg_not_found(res, "termin_unknown",
                                "Diesen Termin gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    /* a Termin asked about before is refused inside the send (409), after
     * the idempotency key was looked up: a retry still gets its 200 */
    team = col(&row, JC_COL_TERMIN_GET_TEAM, p);
    subject = apr_psprintf(p, "Bitte um Verschiebung des Termins am %s um "
                           "%s Uhr",
                           jc_msg_date_de(col(&row,
                                              JC_COL_TERMIN_GET_TERMIN_DATE,
                                              p), p),
                           col(&row, JC_COL_TERMIN_GET_TERMIN_TIME, p));
    body = (text && *text) ? text
           : "Ich bitte um einen neuen Termin.";
    (void)cfg;
    return jc_msg_send_keyed(db, res, out, account_id, a, team, subject,
                             body, key, 0, termin_id, now, p);
}

/* YYYY-MM-DD, a real date. */
static int date_ok(const char *s, apr_int64_t *days)
{
    int y, m, d, y2, m2, d2;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-'
        || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12
        || d < 1 || d > 31) {
        return 0;
    }
    *days = jc_time_days_from_civil(y, m, d);
    jc_time_civil_from_days(*days, &y2, &m2, &d2);
    return y == y2 && m == m2 && d == d2;
}

/* The fields of a new Termin: a detail for each bad one; 422 with all of
 * them, or 0. `now` decides what "today" is (local date). */
static int termin_validate(jc_result_t *res, const jc_termin_in_t *in,
                           apr_int64_t now)
{
    apr_int64_t days = 0, today;
    char local[11];
    int y, m, d;

    jc_online_local_date(now, local);
    today = sscanf(local, "%4d-%2d-%2d", &y, &m, &d) == 3
            ? jc_time_days_from_civil(y, m, d) : 0;
    if (!in->date || !*in->date) {
        jc_result_detail(res, "date_missing", "date",
                         "Bitte geben Sie das Datum des Termins an.");
    }
    else if (!date_ok(in->date, &days)) {
        jc_result_detail(res, "date_invalid", "date",
                         "Bitte geben Sie ein gültiges Datum an.");
    }
    else if (days < today) {
        jc_result_detail(res, "date_past", "date",
                         "Der Termin darf nicht in der Vergangenheit liegen.");
    }
    if (!in->time || strlen(in->time) != 5 || in->time[2] != ':'
        || sscanf(in->time, "%2d:%2d", &y, &m) != 2 || y < 0 || y > 23
        || m < 0 || m > 59 || !apr_isdigit(in->time[0])
        || !apr_isdigit(in->time[1]) || !apr_isdigit(in->time[3])
        || !apr_isdigit(in->time[4])) {
        jc_result_detail(res, "time_invalid", "time",
                         "Bitte geben Sie die Uhrzeit als HH:MM an.");
    }
    if (!jc_msg_line_ok(in->place, JC_MSG_FIELD_MAX)) {
        jc_result_detail(res, "place_invalid", "place",
                         "Bitte geben Sie den Ort oder die Telefonnummer an "
                         "(höchstens 200 Zeichen).");
    }
    if (!jc_msg_line_ok(in->contact, JC_MSG_FIELD_MAX)) {
        jc_result_detail(res, "contact_invalid", "contact",
                         "Bitte geben Sie die Ansprechperson an (höchstens "
                         "200 Zeichen).");
    }
    return jc_msg_validation_result(res);
}

int jc_termin_post(jc_db_t *db, jc_result_t *res, json_t **out,
                   const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                   const jc_termin_in_t *in, apr_int64_t now,
                   apr_pool_t *p)
{
    const void *args[9];
    jc_db_row_t row;
    apr_int64_t account = 0, id;
    jc_db_rc_e rc;

    *out = NULL;
    if (termin_validate(res, in, now)) {
        return res->status;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (jc_msg_staff_customer(db, res, st, in->customer_id, &account, p)
        != 200) {
        return res->status;
    }
    args[0] = &st->jobcenter_id;
    args[1] = &in->customer_id;
    args[2] = st->team;
    args[3] = in->date;
    args[4] = in->time;
    args[5] = in->place;
    args[6] = in->contact;
    args[7] = &st->account_id;
    args[8] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_TERMIN_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    id = rc == JC_DB_OK ? col_i(&row, JC_COL_TERMIN_INSERT_ID) : 0;
    if (rc == JC_DB_OK) {
        rc = jc_msg_audit(db, st, now, "termin_posted", in->customer_id,
                          apr_psprintf(p, "termin %" APR_INT64_T_FMT, id), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_notify_posted(db, cfg, account, JC_EV_TERMIN_RECEIVED,
                              st->jobcenter_name, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *out = json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:s, s:s}}", "termin",
                     "id", (json_int_t)id, "date", in->date,
                     "date_text", jc_msg_date_de(in->date, p),
                     "time", in->time,
                     "place", in->place, "contact", in->contact,
                     "team", st->team);
    return 201;
}

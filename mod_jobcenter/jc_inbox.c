/* The staff inboxes (see jc_inbox.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_inbox.h"
#include "jc_conversation.h"
#include "jc_apiurl.h"
#include "jc_event.h"
#include "jc_message_int.h"
#include "jc_notify.h"
#include "jc_upload_store.h"
#include "jc_upsink.h"

static const char *status_text(const char *s)
{
    if (!strcmp(s, "neu")) {
        return "neu";
    }
    if (!strcmp(s, "in_bearbeitung")) {
        return "in Bearbeitung";
    }
    if (!strcmp(s, "erledigt")) {
        return "erledigt";
    }
    return NULL;
}

/* inbox_json reads jc_msg_staff_conv's rows with jc_msg_inbox_all's
 * column indexes (jc_msg_inbox_status has inbox_all's columns) */
#define SAME_COL(c) (JC_COL_MSG_STAFF_CONV_##c == JC_COL_MSG_INBOX_ALL_##c)
_Static_assert(SAME_COL(STATUS) && SAME_COL(ASSIGNED_TO)
               && SAME_COL(DISPLAY_NAME) && SAME_COL(KUNDENNUMMER)
               && SAME_COL(GIVEN_NAME) && SAME_COL(FAMILY_NAME)
               && SAME_COL(MESSAGES) && SAME_COL(FILES),
               "jc_msg_staff_conv has jc_msg_inbox_all's columns first");
#undef SAME_COL

static json_t *inbox_json(const jc_db_row_t *row, apr_pool_t *p)
{
    json_t *c = jc_msg_conv_json(row, p);
    apr_int64_t assigned = 0;
    const char *st = col(row, JC_COL_MSG_INBOX_ALL_STATUS, p);

    json_object_set_new(c, "status_text", json_string(status_text(st)
                                                      ? status_text(st) : st));
    if (jc_db_col_i64(row, JC_COL_MSG_INBOX_ALL_ASSIGNED_TO, &assigned, 0)) {
        json_object_set_new(c, "assigned_to", json_integer(assigned));
        json_object_set_new(c, "assigned_name", json_string(
                            col(row, JC_COL_MSG_INBOX_ALL_DISPLAY_NAME, p)));
    }
    else {
        json_object_set_new(c, "assigned_to", json_null());
        json_object_set_new(c, "assigned_name", json_null());
    }
    json_object_set_new(c, "customer", json_pack(
        "{s:s, s:s}",
        "kundennummer", col(row, JC_COL_MSG_INBOX_ALL_KUNDENNUMMER, p),
        "name", apr_pstrcat(p, col(row, JC_COL_MSG_INBOX_ALL_GIVEN_NAME, p),
                            " ", col(row, JC_COL_MSG_INBOX_ALL_FAMILY_NAME, p),
                            NULL)));
    json_object_set_new(c, "messages", json_integer(
                            col_i(row, JC_COL_MSG_INBOX_ALL_MESSAGES)));
    json_object_set_new(c, "attachments", json_integer(
                            col_i(row, JC_COL_MSG_INBOX_ALL_FILES)));
    return c;
}

/* A decimal number 0..INT64_MAX of at most 18 digits, the whole of
 * [s, end): 1, else 0. */
static int dec_i64(const char *s, const char *end, apr_int64_t *v)
{
    apr_int64_t n = 0;

    if (end <= s || end - s > 18) {
        return 0;
    }
    for (; s < end; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
        n = n * 10 + (*s - '0');
    }
    *v = n;
    return 1;
}

int jc_inbox_list(jc_db_t *db, jc_result_t *res, json_t **out,
                  const jc_staff_t *st, const char *status,
                  const char *limit, const char *before, apr_pool_t *p)
{
    const void *args[6];
    /* first page: before every row */
    apr_int64_t at = APR_INT64_MAX, id = APR_INT64_MAX, n = JC_INBOX_PAGE_MAX;
    apr_int64_t fetch;
    int with_status = status && *status, k = 0;
    json_t *list, *next = json_null();

    *out = NULL;
    if (with_status && !status_text(status)) {
        return jc_result_set(res, 422, "status_invalid", "Bitte wählen Sie "
                             "einen Status: „neu“, „in Bearbeitung“ oder "
                             "„erledigt“.", "status");
    }
    if (limit && (!dec_i64(limit, limit + strlen(limit), &n) || n < 1
                  || n > JC_INBOX_PAGE_MAX)) {
        return jc_result_set(res, 422, "limit_invalid", "Die Seitengröße "
                             "ist ungültig (1 bis 200).", "limit");
    }
    if (before) {
        const char *dot = strchr(before, '.');

        if (!dot || !dec_i64(before, dot, &at)
            || !dec_i64(dot + 1, dot + 1 + strlen(dot + 1), &id)) {
            return jc_result_set(res, 422, "cursor_invalid", "Die "
                                 "Seitenangabe ist ungültig.", "before");
        }
    }
    /* one row more than the page: whether a next page exists */
    fetch = n + 1;
    args[k++] = &st->jobcenter_id;
    args[k++] = st->team;
    if (with_status) {
        args[k++] = status;
    }
    args[k++] = &at;
    args[k++] = &id;
    args[k++] = &fetch;
    list = jc_msg_select_list(db, res, with_status ? JC_SQL_MSG_INBOX_STATUS
                                            : JC_SQL_MSG_INBOX_ALL,
                       args, inbox_json, p);
    if (!list) {
        return res->status;
    }
    if ((apr_int64_t)json_array_size(list) > n) {
        json_t *last = json_array_get(list, (size_t)n - 1);

        apr_int64_t last_at = (apr_int64_t)json_integer_value(
                          json_object_get(last, "updated_at"));
        apr_int64_t last_id = (apr_int64_t)json_integer_value(
                          json_object_get(last, "id"));

        next = json_string(apr_psprintf(p, "%" APR_INT64_T_FMT ".%"
                                        APR_INT64_T_FMT, last_at, last_id));
        json_array_remove(list, (size_t)n);
    }
    *out = json_pack("{s:o, s:s, s:s, s:o}", "conversations", list, "team",
                     st->team, "team_text", jc_staff_team_text(st->team),
                     "next", next);
    return 200;
}

/* The conversation of the caller's team and jobcenter into *row. */
static int staff_conv(jc_db_t *db, jc_result_t *res, jc_db_row_t *row,
                      const jc_staff_t *st, apr_int64_t id, apr_pool_t *p)
{
    const void *args[3];
    jc_db_rc_e rc;

    args[0] = &id;
    args[1] = &st->jobcenter_id;
    args[2] = st->team;
    rc = jc_db_select1(db, row, JC_SQL_MSG_STAFF_CONV, args, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return jc_msg_not_found(res, "conversation_unknown", JC_MSG_NO_CONV);
    }
    return jc_db_fail(res, db, rc, p) ? res->status : 200;
}

int jc_inbox_conversation(jc_db_t *db, jc_result_t *res, json_t **out,
                          const jc_staff_t *st,
                          apr_int64_t conversation_id, apr_pool_t *p)
{
    jc_db_row_t row;
    json_t *c;
    jc_db_rc_e rc;

    *out = NULL;
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        return res->status;
    }
    c = inbox_json(&row, p);
    rc = jc_msg_add_messages(db, c, conversation_id,
                             jc_apiurl(p, "staff/messages/file"), p);
    if (rc != JC_DB_OK) {
        json_decref(c);
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    *out = json_pack("{s:o}", "conversation", c);
    return 200;
}

/* Re-read the conversation after a change into *out (200). */
static int staff_answer(jc_db_t *db, jc_result_t *res, json_t **out,
                        const jc_staff_t *st, apr_int64_t id, int status,
                        apr_pool_t *p)
{
    int s = jc_inbox_conversation(db, res, out, st, id, p);

    return s == 200 ? status : s;
}

int jc_inbox_assign(jc_db_t *db, jc_result_t *res, json_t **out,
                    const jc_staff_t *st, apr_int64_t conversation_id,
                    apr_int64_t now, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    *out = NULL;
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        return res->status;
    }
    args[0] = &st->account_id;
    args[1] = &conversation_id;
    rc = jc_db_exec(db, NULL, JC_SQL_MSG_ASSIGN, args, p);
    if (rc == JC_DB_OK) {
        rc = jc_msg_audit(db, st, now, "message_assigned",
                          col_i(&row, JC_COL_MSG_STAFF_CONV_CUSTOMER_ID),
                          apr_psprintf(p, "conversation %" APR_INT64_T_FMT,
                                       conversation_id), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    return staff_answer(db, res, out, st, conversation_id, 200, p);
}

int jc_inbox_set_status(jc_db_t *db, jc_result_t *res, json_t **out,
                        const jc_staff_t *st, apr_int64_t conversation_id,
                        const char *status, apr_int64_t now, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    *out = NULL;
    if (!status || !status_text(status)) {
        return jc_result_set(res, 422, "status_invalid", "Bitte wählen Sie "
                             "einen Status: „neu“, „in Bearbeitung“ oder "
                             "„erledigt“.", "status");
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        return res->status;
    }
    args[0] = status;
    args[1] = &conversation_id;
    rc = jc_db_exec(db, NULL, JC_SQL_MSG_STATUS, args, p);
    if (rc == JC_DB_OK) {
        rc = jc_msg_audit(db, st, now, "message_status",
                          col_i(&row, JC_COL_MSG_STAFF_CONV_CUSTOMER_ID),
                          apr_psprintf(p, "conversation %" APR_INT64_T_FMT
                                       ": %s", conversation_id, status), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    return staff_answer(db, res, out, st, conversation_id, 200, p);
}

int jc_inbox_reply_check(jc_db_t *db, jc_result_t *res,
                         const jc_staff_t *st,
                         apr_int64_t conversation_id, apr_pool_t *p)
{
    jc_db_row_t row;

    return staff_conv(db, res, &row, st, conversation_id, p);
}

/* Remove the stored files of a reply that was not recorded. */
static void drop_files(const jc_msg_cfg_t *cfg,
                       const apr_array_header_t *files, apr_pool_t *p)
{
    int i;

    for (i = 0; files && i < files->nelts; i++) {
        jc_store_remove(cfg->upload->store,
                        APR_ARRAY_IDX(files, i, const jc_upfile_t).store_id,
                        p);
    }
}

/* The stored files as attachments of staff message msg_id, one audit row
 * each (inside the caller's transaction). */
static jc_db_rc_e add_staff_files(jc_db_t *db, const jc_staff_t *st,
                                  const apr_array_header_t *files,
                                  apr_int64_t msg_id, apr_int64_t customer,
                                  apr_int64_t now, apr_pool_t *p)
{
    const void *args[8];
    jc_db_row_t row;
    jc_db_rc_e rc = JC_DB_OK;
    int i;

    for (i = 0; files && i < files->nelts && rc == JC_DB_OK; i++) {
        const jc_upfile_t *f = &APR_ARRAY_IDX(files, i, const jc_upfile_t);
        apr_int64_t size = (apr_int64_t)f->size;

        args[0] = &st->account_id;
        args[1] = &msg_id;
        args[2] = f->store_id;
        args[3] = f->name;
        args[4] = f->mime;
        args[5] = &size;
        args[6] = f->sha256;
        args[7] = &now;
        rc = jc_db_select1(db, &row, JC_SQL_MSG_FILE_ADD, args, p);
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_ERROR;
        }
        if (rc == JC_DB_OK) {
            rc = jc_msg_audit(db, st, now, "message_file_attached", customer,
                              apr_psprintf(p, "file %" APR_INT64_T_FMT,
                                           col_i(&row,
                                                 JC_COL_MSG_FILE_ADD_ID)),
                              p);
        }
    }
    return rc;
}

int jc_inbox_reply(jc_db_t *db, jc_result_t *res, json_t **out,
                   const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                   apr_int64_t conversation_id, const char *text,
                   const apr_array_header_t *files,
                   apr_int64_t now, apr_pool_t *p)
{
    jc_db_row_t row;
    apr_int64_t account, customer, mid = 0;
    const char *status = "in_bearbeitung";
    jc_db_rc_e rc;

    *out = NULL;
    jc_msg_check_text(res, text);
    if (jc_msg_validation_result(res)) {
        drop_files(cfg, files, p);
        return res->status;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        drop_files(cfg, files, p);
        return res->status;
    }
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        drop_files(cfg, files, p);
        return res->status;
    }
    account = col_i(&row, JC_COL_MSG_STAFF_CONV_ACCOUNT_ID);
    customer = col_i(&row, JC_COL_MSG_STAFF_CONV_CUSTOMER_ID);
    if (!strcmp(col(&row, JC_COL_MSG_STAFF_CONV_STATUS, p), "erledigt")) {
        status = "erledigt";
    }
    rc = jc_conversation_msg_add(db, &mid, conversation_id,
                                 &st->account_id, text, NULL, now, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc == JC_DB_OK) {
        rc = jc_conversation_touch(db, conversation_id, status, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = add_staff_files(db, st, files, mid, customer, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_msg_audit(db, st, now, "message_replied", customer,
                          apr_psprintf(p, "conversation %" APR_INT64_T_FMT,
                                       conversation_id), p);
    }
    if (rc == JC_DB_OK) {
        /* account 0: the citizen deleted their login account; the answer
         * stays in the customer's conversation, nobody is notified */
        rc = jc_notify_posted(db, cfg, account, JC_EV_MESSAGE_RECEIVED,
                              st->jobcenter_name, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        /* nothing was recorded: the stored files go too */
        drop_files(cfg, files, p);
        return res->status;
    }
    return staff_answer(db, res, out, st, conversation_id, 201, p);
}

int jc_inbox_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                  const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                  apr_int64_t file_id, apr_int64_t now, apr_pool_t *p)
{
    const void *args[3];
    jc_db_row_t row;

    jc_db_rc_e rc;

    args[0] = &file_id;
    args[1] = &st->jobcenter_id;
    args[2] = st->team;
    if (jc_msg_file_answer(db, res, dl, cfg,
                           jc_db_select1(db, &row, JC_SQL_MSG_FILE_STAFF, args,
                                         p), &row, p) != 200) {
        return res->status;
    }
    /* reading a customer's document is an action too */
    rc = jc_msg_audit(db, st, now, "message_file_downloaded",
                      col_i(&row, JC_COL_MSG_FILE_STAFF_CUSTOMER_ID),
                      apr_psprintf(p, "file %" APR_INT64_T_FMT, file_id), p);
    return jc_db_fail(res, db, rc, p) ? res->status : 200;
}

/* What the message files (jc_conversation, jc_inbox, jc_bescheid,
 * jc_termin, jc_notify) share and nobody else uses: column reads, list
 * answers, the idempotency key, text checks, the audit row, the customer
 * check of staff posts and date formatting (jc_message.c); a
 * conversation as JSON, its attachments and sending under an idempotency
 * key (jc_conversation.c, also used by jc_inbox and jc_termin).
 * Not for the glue. Core: no httpd headers. */
#ifndef JC_MESSAGE_INT_H
#define JC_MESSAGE_INT_H

#include "jc_anliegen.h"
#include "jc_message.h"
#include "jc_staff.h"

#define JC_MSG_NO_CONV "Diese Nachricht gibt es nicht."

/* Column i (a JC_COL_* index) of a row as a string, "" for NULL. */
static inline const char *col(const jc_db_row_t *row, int i, apr_pool_t *p)
{
    const char *v = jc_db_col_str(row, i, p);

    return v ? v : "";
}

/* Column i (a JC_COL_* index) of a row as a number, 0 for NULL. */
static inline apr_int64_t col_i(const jc_db_row_t *row, int i)
{
    apr_int64_t v = 0;

    jc_db_col_i64(row, i, &v, 0);
    return v;
}

/* ---- jc_message.c ------------------------------------------------------- */

/* Builds the JSON object of one result row. */
typedef json_t *(*jc_msg_row_json_fn)(const jc_db_row_t *row, apr_pool_t *p);

/* Runs the prepared SELECT label with args and returns a JSON array with
 * one object per row, made by fn. On a database failure: NULL, and res
 * holds the error (jc_db_fail). */
json_t *jc_msg_select_list(jc_db_t *db, jc_result_t *res, jc_sql_id_e label,
                           const void **args, jc_msg_row_json_fn fn,
                           apr_pool_t *p);

/* A citizen's list: jc_msg_select_list with the account id as the one
 * argument, answered as {key: [...]} in *out. */
int jc_msg_account_list(jc_db_t *db, jc_result_t *res, json_t **out,
                        const char *key, jc_sql_id_e label,
                        apr_int64_t account_id, jc_msg_row_json_fn fn,
                        apr_pool_t *p);

/* 400 idempotency_key_invalid into res; returns 400. */
int jc_msg_bad_key(jc_result_t *res);

/* 404 with code and msg into res; returns 404. */
int jc_msg_not_found(jc_result_t *res, const char *code, const char *msg);

/* Text checks of "Ihre Nachricht": adds a detail, returns 1 if bad. */
int jc_msg_check_text(jc_result_t *res, const char *text);

/* Finish a validation: 422 with every detail, or 0. */
int jc_msg_validation_result(jc_result_t *res);

/* A staff_audit row of st's action on customer_id (inside the caller's
 * transaction). */
jc_db_rc_e jc_msg_audit(jc_db_t *db, const jc_staff_t *st, apr_int64_t now,
                        const char *action, apr_int64_t customer_id,
                        const char *detail, apr_pool_t *p);

/* The customer of the caller's jobcenter, bound to an account: 200 and
 * *account; else 404 customer_unknown / 409 customer_unbound (the open
 * transaction rolled back) or the database error. */
int jc_msg_staff_customer(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                          apr_int64_t customer_id, apr_int64_t *account,
                          apr_pool_t *p);

/* Text of at most max code points, not blank, no control characters. */
int jc_msg_line_ok(const char *s, long max);

/* "YYYY-MM-DD" as "DD.MM.YYYY" ("" for anything else). */
const char *jc_msg_date_de(const char *iso, apr_pool_t *p);

/* ---- jc_conversation.c -------------------------------------------------- */

/* The JSON object of a conversation row (columns of jc_msg_conv_get and
 * the inbox statements: id, anliegen, team, subject, status, created_at,
 * updated_at). */
json_t *jc_msg_conv_json(const jc_db_row_t *row, apr_pool_t *p);

/* Messages with their attachments into obj as "messages"; file_route is
 * the download route of the attachments' "href". */
jc_db_rc_e jc_msg_add_messages(jc_db_t *db, json_t *obj, apr_int64_t conv,
                               const char *file_route, apr_pool_t *p);

/* A download of an attachment row (store id, name, mime, size) that
 * jc_db_select1 answered with rc: 200 with *dl filled, 404 file_unknown
 * for no row. */
int jc_msg_file_answer(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                       const jc_msg_cfg_t *cfg, jc_db_rc_e rc,
                       const jc_db_row_t *row, apr_pool_t *p);

/* Send under an idempotency key: an existing conversation of the key is
 * answered with 200; a conflict (parallel send) is looked up again.
 * termin_id (0 = none): the Termin this message asks to move, marked in
 * the same transaction (409 reschedule_requested when marked before). */
int jc_msg_send_keyed(jc_db_t *db, jc_result_t *res, json_t **out,
                      apr_int64_t account_id, const jc_anliegen_t *a,
                      const char *team, const char *subject,
                      const char *text, const char *key,
                      apr_int64_t draft_id, apr_int64_t termin_id,
                      apr_int64_t now, apr_pool_t *p);

#endif

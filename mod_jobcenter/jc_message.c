/* The helpers the message files share (see jc_message.h and
 * jc_message_int.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_message_int.h"
#include "jc_upload.h"

long jc_msg_chars(const char *s)
{
    return s ? jc_upload_text_chars(s) : -1;
}

/* Runs the prepared SELECT label with args and returns a JSON array with
 * one object per row, made by fn. On a database failure: NULL, and res
 * holds the error (jc_db_fail). */
json_t *jc_msg_select_list(jc_db_t *db, jc_result_t *res, jc_sql_id_e label,
                           const void **args, jc_msg_row_json_fn fn,
                           apr_pool_t *p)
{
    jc_db_res_t rows;
    jc_db_row_t row;
    json_t *list;
    jc_db_rc_e rc;
    int i;

    rc = jc_db_select(db, &rows, label, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return NULL;
    }
    list = json_array();
    for (i = 0; i < rows.nrows; i++) {
        jc_db_res_row(&rows, i, &row, p);
        json_array_append_new(list, fn(&row, p));
    }
    return list;
}

/* A citizen's list: jc_msg_select_list with the account id as the one
 * argument, answered as {key: [...]} in *out. */
int jc_msg_account_list(jc_db_t *db, jc_result_t *res, json_t **out,
                        const char *key, jc_sql_id_e label,
                        apr_int64_t account_id, jc_msg_row_json_fn fn,
                        apr_pool_t *p)
{
    const void *args[1];
    json_t *list;

    *out = NULL;
    args[0] = &account_id;
    list = jc_msg_select_list(db, res, label, args, fn, p);
    if (!list) {
        return res->status;
    }
    *out = json_pack("{s:o}", key, list);
    return 200;
}

int jc_msg_bad_key(jc_result_t *res)
{
    return jc_result_set(res, 400, "idempotency_key_invalid",
                         "Die Anfrage enthält keinen gültigen "
                         "Idempotenz-Schlüssel (8 bis 64 Zeichen A-Z, a-z, "
                         "0-9, - und _).", "idempotency_key");
}

int jc_msg_not_found(jc_result_t *res, const char *code, const char *msg)
{
    return jc_result_set(res, 404, code, msg, NULL);
}

/* Text checks of "Ihre Nachricht": adds a detail, returns 1 if bad. */
int jc_msg_check_text(jc_result_t *res, const char *text)
{
    long n = text ? jc_msg_chars(text) : 0;
    const char *t = text;

    while (t && (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t')) {
        t++;
    }
    if (!t || !*t) {
        jc_result_detail(res, "text_missing", "text",
                         "Bitte geben Sie Ihre Nachricht ein.");
        return 1;
    }
    if (n < 0) {
        jc_result_detail(res, "text_invalid", "text",
                         "Die Nachricht enthält ungültige Zeichen.");
        return 1;
    }
    if (n > JC_MSG_TEXT_MAX) {
        jc_result_detail(res, "text_too_long", "text",
                         "Ihre Nachricht darf höchstens 1000 Zeichen lang "
                         "sein.");
        return 1;
    }
    return 0;
}

/* Finish a validation: 422 with every detail, or 0. */
int jc_msg_validation_result(jc_result_t *res)
{
    json_t *first;

    if (!res->details || json_array_size(res->details) == 0) {
        return 0;
    }
    first = json_array_get(res->details, 0);
    res->status = 422;
    res->code = "validation_failed";
    res->message = "Bitte prüfen Sie Ihre Eingaben.";
    res->field = json_string_value(json_object_get(first, "field"));
    return 422;
}

jc_db_rc_e jc_msg_audit(jc_db_t *db, const jc_staff_t *st, apr_int64_t now,
                        const char *action, apr_int64_t customer_id,
                        const char *detail, apr_pool_t *p)
{
    return jc_staff_audit_add(db, st->account_id, now, action, customer_id,
                              detail, p);
}

/* The customer of the caller's jobcenter, bound to an account. */
int jc_msg_staff_customer(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                          apr_int64_t customer_id, apr_int64_t *account,
                          apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &customer_id;
    args[1] = &st->jobcenter_id;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_CUSTOMER_ACCT, args, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return jc_result_set(res, 404, "customer_unknown",
                             "Diese Kundin oder diesen Kunden gibt es "
                             "nicht.", "customer");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *account = col_i(&row, JC_COL_MSG_CUSTOMER_ACCT_ACCOUNT_ID);
    if (!*account) {
        jc_db_rollback(db, p);
        return jc_result_set(res, 409, "customer_unbound",
                             "Die Person hat noch kein Personenprofil "
                             "(Freischaltcode nicht eingelöst).", "customer");
    }
    return 200;
}

/* Text of at most max code points, not blank, no control characters. */
int jc_msg_line_ok(const char *s, long max)
{
    long n;

    if (!s || !*s || strspn(s, " ") == strlen(s) || strpbrk(s, "\r\n\t")) {
        return 0;
    }
    n = jc_msg_chars(s);
    return n > 0 && n <= max;
}

const char *jc_msg_date_de(const char *iso, apr_pool_t *p)
{
    if (!iso || strlen(iso) != 10) {
        return "";
    }
    return apr_psprintf(p, "%.2s.%.2s.%.4s", iso + 8, iso + 5, iso);
}

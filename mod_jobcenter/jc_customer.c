/* Customers (see jc_customer.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "jc_customer.h"
#include "jc_customer_search.h"
#include "jc_field.h"
#include "jc_fsc.h"
#include "jc_time.h"

#define KNR_ATTEMPTS 8      /* new Kundennummern tried on a conflict      */

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parse YYYY-MM-DD strictly; 1 and y/m/d on success. */
static int parse_date(const char *s, int *y, int *m, int *d)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };
    int i;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return 0;
    }
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && !apr_isdigit(s[i])) {
            return 0;
        }
    }
    *y = atoi(s);
    *m = atoi(s + 5);
    *d = atoi(s + 8);
    if (*m < 1 || *m > 12 || *d < 1) {
        return 0;
    }
    return *d <= mdays[*m - 1] + (*m == 2 && leap(*y));
}

int jc_customer_validate(jc_result_t *res, jc_customer_in_t *in,
                         apr_int64_t now, apr_pool_t *p)
{
    int n = 0, y, m, d;

    in->salutation = in->salutation ? jc_field_trim(in->salutation, p) : "";
    in->given_name = jc_field_trim(in->given_name, p);
    in->family_name = jc_field_trim(in->family_name, p);
    in->street = jc_field_trim(in->street, p);
    in->postcode = jc_field_trim(in->postcode, p);
    in->city = jc_field_trim(in->city, p);
    if (strcmp(in->salutation, "") && strcmp(in->salutation, "Frau")
        && strcmp(in->salutation, "Herr")) {
        jc_result_detail(res, "salutation_invalid", "salutation",
                         "Bitte wählen Sie „Frau“, „Herr“ oder keine "
                         "Anrede.");
        n++;
    }
    n += jc_field_text(res, in->given_name, "given_name", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie den Vornamen ein.",
                       "Der Vorname darf höchstens 100 Zeichen lang sein und "
                       "keine Steuerzeichen enthalten.", p);
    n += jc_field_text(res, in->family_name, "family_name", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie den Nachnamen ein.",
                       "Der Nachname darf höchstens 100 Zeichen lang sein und "
                       "keine Steuerzeichen enthalten.", p);
    if (!in->birth_date || !*in->birth_date) {
        jc_result_detail(res, "birth_date_missing", "birth_date",
                         "Bitte geben Sie das Geburtsdatum ein.");
        n++;
    }
    else if (!parse_date(in->birth_date, &y, &m, &d)) {
        jc_result_detail(res, "birth_date_invalid", "birth_date",
                         "Bitte geben Sie das Geburtsdatum als gültiges "
                         "Datum im Format JJJJ-MM-TT ein.");
        n++;
    }
    else {
        jc_berlin_tm_t tm;
        long today, born;

        jc_berlin_exp(now, &tm);
        today = (long)tm.year * 10000 + tm.mon * 100 + tm.mday;
        born = (long)y * 10000 + m * 100 + d;
        if (born >= today) {
            jc_result_detail(res, "birth_date_future", "birth_date",
                             "Das Geburtsdatum muss in der Vergangenheit "
                             "liegen.");
            n++;
        }
        else if (born < today - 1200000) {
            jc_result_detail(res, "birth_date_implausible", "birth_date",
                             "Das Geburtsdatum liegt mehr als 120 Jahre "
                             "zurück. Bitte prüfen Sie es.");
            n++;
        }
    }
    n += jc_field_text(res, in->street, "street", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie Straße und Hausnummer ein.",
                       "Die Straße darf höchstens 100 Zeichen lang sein und "
                       "keine Steuerzeichen enthalten.", p);
    if (!in->postcode || !*in->postcode) {
        jc_result_detail(res, "postcode_missing", "postcode",
                         "Bitte geben Sie die Postleitzahl ein.");
        n++;
    }
    else if (!jc_field_postcode_ok(in->postcode)) {
        jc_result_detail(res, "postcode_invalid", "postcode",
                         "Die Postleitzahl besteht aus fünf Ziffern.");
        n++;
    }
    n += jc_field_text(res, in->city, "city", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie den Ort ein.",
                       "Der Ort darf höchstens 100 Zeichen lang sein und "
                       "keine Steuerzeichen enthalten.", p);
    jc_field_finish(res, n);
    return n;
}

/* Columns of jc_cust_get / jc_cust_by_knr / jc_cust_search, in order. */
void jc_customer_from_row(const jc_db_row_t *row, jc_customer_t *c,
                          apr_pool_t *p)
{
    apr_int64_t acct = 0;

    memset(c, 0, sizeof(*c));
    jc_db_col_i64(row, JC_COL_CUST_GET_ID, &c->id, 0);
    jc_db_col_i64(row, JC_COL_CUST_GET_JOBCENTER_ID, &c->jobcenter_id, 0);
    c->kundennummer = jc_db_col_str(row, JC_COL_CUST_GET_KUNDENNUMMER, p);
    c->salutation = jc_db_col_str(row, JC_COL_CUST_GET_SALUTATION, p);
    c->given_name = jc_db_col_str(row, JC_COL_CUST_GET_GIVEN_NAME, p);
    c->family_name = jc_db_col_str(row, JC_COL_CUST_GET_FAMILY_NAME, p);
    c->birth_date = jc_db_col_str(row, JC_COL_CUST_GET_BIRTH_DATE, p);
    c->street = jc_db_col_str(row, JC_COL_CUST_GET_STREET, p);
    c->postcode = jc_db_col_str(row, JC_COL_CUST_GET_POSTCODE, p);
    c->city = jc_db_col_str(row, JC_COL_CUST_GET_CITY, p);
    c->bound = jc_db_col_i64(row, JC_COL_CUST_GET_ACCOUNT_ID, &acct, 0)
               && acct > 0;
    jc_db_col_i64(row, JC_COL_CUST_GET_CREATED_AT, &c->created_at, 0);
    if (!c->salutation) {
        c->salutation = "";
    }
}

json_t *jc_customer_json(const jc_customer_t *c)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, "
                     "s:I}",
                     "id", (json_int_t)c->id,
                     "kundennummer", c->kundennummer ? c->kundennummer : "",
                     "salutation", c->salutation ? c->salutation : "",
                     "given_name", c->given_name ? c->given_name : "",
                     "family_name", c->family_name ? c->family_name : "",
                     "birth_date", c->birth_date ? c->birth_date : "",
                     "street", c->street ? c->street : "",
                     "postcode", c->postcode ? c->postcode : "",
                     "city", c->city ? c->city : "",
                     "bound", c->bound,
                     "created_at", (json_int_t)c->created_at);
}

void jc_customer_create(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                        jc_customer_in_t *in, apr_int64_t now,
                        jc_customer_t *out, apr_pool_t *p)
{
    int attempt;

    memset(out, 0, sizeof(*out));
    if (jc_customer_validate(res, in, now, p)) {
        return;
    }
    for (attempt = 0; attempt < KNR_ATTEMPTS; attempt++) {
        char knr[11];
        apr_int64_t id = 0;
        jc_db_row_t row;
        jc_db_rc_e rc;
        const void *args[12];
        apr_int64_t staff = st->account_id, jcid = st->jobcenter_id;

        if (jc_kundennummer_new(knr) != APR_SUCCESS) {
            jc_result_internal(res, "RAND_bytes failed");
            return;
        }
        rc = jc_db_begin(db, p);
        if (jc_db_fail(res, db, rc, p)) {
            return;
        }
        args[0] = &jcid;
        args[1] = knr;
        args[2] = in->salutation;
        args[3] = in->given_name;
        args[4] = in->family_name;
        args[5] = in->birth_date;
        args[6] = in->street;
        args[7] = in->postcode;
        args[8] = in->city;
        args[9] = &staff;
        args[10] = &now;
        args[11] = jc_name_key(apr_pstrcat(p, in->family_name, " ",
                                           in->given_name, NULL), p);
        rc = jc_db_select1(db, &row, JC_SQL_CUST_INSERT, args, p);
        if (rc == JC_DB_CONFLICT) {
            /* the Kundennummer exists: draw a new one */
            jc_db_rollback(db, p);
            continue;
        }
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_ERROR;
        }
        if (jc_db_fail(res, db, rc, p)) {
            return;
        }
        jc_db_col_i64(&row, JC_COL_CUST_INSERT_ID, &id, 0);
        rc = jc_staff_audit_add(db, staff, now, "customer_created", id, knr,
                                p);
        if (rc == JC_DB_OK) {
            rc = jc_db_commit(db, p);
        }
        if (jc_db_fail(res, db, rc, p)) {
            return;
        }
        out->id = id;
        out->jobcenter_id = jcid;
        out->kundennummer = apr_pstrdup(p, knr);
        out->salutation = in->salutation;
        out->given_name = in->given_name;
        out->family_name = in->family_name;
        out->birth_date = in->birth_date;
        out->street = in->street;
        out->postcode = in->postcode;
        out->city = in->city;
        out->created_at = now;
        return;
    }
    jc_result_internal(res, "no free Kundennummer after several attempts");
}

void jc_customer_get(jc_db_t *db, jc_result_t *res, apr_int64_t jobcenter_id,
                     apr_int64_t id, jc_customer_t *out, apr_pool_t *p)
{
    jc_db_row_t row;
    const void *args[2];
    jc_db_rc_e rc;

    memset(out, 0, sizeof(*out));
    args[0] = &id;
    args[1] = &jobcenter_id;
    rc = jc_db_select1(db, &row, JC_SQL_CUST_GET, args, p);
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 404, "customer_unknown", "Diese Kundin oder "
                      "diesen Kunden gibt es in Ihrem Jobcenter nicht.",
                      NULL);
        return;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    jc_customer_from_row(&row, out, p);
}

void jc_customer_by_knr(jc_db_t *db, jc_result_t *res, const char *knr,
                        jc_customer_t *out, apr_pool_t *p)
{
    jc_db_row_t row;
    const void *args[1];
    jc_db_rc_e rc;
    char *up, *s;

    memset(out, 0, sizeof(*out));
    up = apr_pstrdup(p, knr ? knr : "");
    for (s = up; *s; s++) {
        *s = (char)apr_toupper(*s);
    }
    if (!jc_kundennummer_valid(up)) {
        jc_result_set(res, 422, "kundennummer_invalid", "Die Kundennummer "
                      "hat das Format 123A123456.", "kundennummer");
        return;
    }
    args[0] = up;
    rc = jc_db_select1(db, &row, JC_SQL_CUST_BY_KNR, args, p);
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 404, "customer_unknown", "Zu dieser Kundennummer "
                      "gibt es keine Kundin und keinen Kunden.",
                      "kundennummer");
        return;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    jc_customer_from_row(&row, out, p);
}

void jc_customer_codes(jc_db_t *db, jc_result_t *res, apr_int64_t customer_id,
                       apr_int64_t now, json_t **out, apr_pool_t *p)
{
    jc_db_res_t rs;
    jc_db_row_t row;
    const void *args[1];
    jc_db_rc_e rc;
    int i;

    *out = NULL;
    args[0] = &customer_id;
    rc = jc_db_select(db, &rs, JC_SQL_FSC_LIST, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    *out = json_array();
    for (i = 0; i < rs.nrows; i++) {
        apr_int64_t created = 0, expires = 0, used = 0, voided = 0;
        const char *state;

        if (jc_db_res_row(&rs, i, &row, p) != 0) {
            break;
        }
        jc_db_col_i64(&row, JC_COL_FSC_LIST_CREATED_AT, &created, 0);
        jc_db_col_i64(&row, JC_COL_FSC_LIST_EXPIRES_AT, &expires, 0);
        if (jc_db_col_i64(&row, JC_COL_FSC_LIST_USED_AT, &used, 0)) {
            state = "used";
        }
        else if (jc_db_col_i64(&row, JC_COL_FSC_LIST_VOIDED_AT, &voided, 0)) {
            state = "voided";
        }
        else if (expires <= now) {
            state = "expired";
        }
        else {
            state = "open";
        }
        json_array_append_new(*out, json_pack("{s:I, s:I, s:s}",
                                              "created_at", (json_int_t)created,
                                              "expires_at", (json_int_t)expires,
                                              "state", state));
    }
}

void jc_customer_onetime(jc_db_t *db, jc_result_t *res,
                         apr_int64_t customer_id, apr_int64_t now,
                         json_t **out, apr_pool_t *p)
{
    jc_db_row_t row;
    const void *args[1];
    apr_int64_t expires = 0, required = 0;
    jc_db_rc_e rc;

    *out = NULL;
    args[0] = &customer_id;
    rc = jc_db_select1(db, &row, JC_SQL_CUST_ONETIME, args, p);
    if (rc == JC_DB_NOROW) {
        /* not bound to an account: nothing can be pending */
        *out = json_pack("{s:b, s:n, s:b}", "pending", 0, "expires_at",
                         "expired", 0);
        return;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    jc_db_col_i64(&row, JC_COL_CUST_ONETIME_PASSWORD_CHANGE_REQUIRED,
                  &required, 0);
    if (!jc_db_col_i64(&row, JC_COL_CUST_ONETIME_ONETIME_EXPIRES_AT,
                       &expires, 0) || !required) {
        /* no letter pair, or its own password is already set */
        *out = json_pack("{s:b, s:n, s:b}", "pending", 0, "expires_at",
                         "expired", 0);
        return;
    }
    *out = json_pack("{s:b, s:I, s:b}", "pending", expires > now,
                     "expires_at", (json_int_t)expires,
                     "expired", expires <= now);
}

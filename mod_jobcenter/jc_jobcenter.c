/* Jobcenter records (see jc_jobcenter.h). */
#include <apr_strings.h>

#include "jc_jobcenter.h"
#include "jc_field.h"
#include "jc_utf8.h"

#define HOURS_MAX 500       /* characters of the opening hours           */

static int hours_ok(const char *s)
{
    const char *line;
    char *copy, *last = NULL;
    apr_pool_t *p = NULL;
    int ok = 1;

    if (!s || !*s || !jc_utf8_valid(s) || jc_field_chars(s) > HOURS_MAX) {
        return 0;
    }
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return 0;
    }
    copy = apr_pstrdup(p, s);
    for (line = apr_strtok(copy, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        if (!jc_utf8_label_ok(line)) {
            ok = 0;
            break;
        }
    }
    apr_pool_destroy(p);
    return ok;
}

int jc_jobcenter_validate(jc_result_t *res, const jc_jobcenter_in_t *in,
                          apr_pool_t *p)
{
    int n = 0, i;

    n += jc_field_text(res, in->name, "name", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie den Namen des Jobcenters ein.",
                       "Der Name ist zu lang oder enthält Steuerzeichen.", p);
    n += jc_field_text(res, in->street, "street", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie die Straße ein.",
                       "Die Straße ist zu lang oder enthält "
                       "Steuerzeichen.", p);
    if (!jc_field_postcode_ok(in->postcode)) {
        jc_result_detail(res, "postcode_invalid", "postcode",
                         "Die Postleitzahl besteht aus fünf Ziffern.");
        n++;
    }
    n += jc_field_text(res, in->city, "city", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie den Ort ein.",
                       "Der Ort ist zu lang oder enthält Steuerzeichen.", p);
    n += jc_field_text(res, in->phone, "phone", 40,
                       "Bitte geben Sie die Telefonnummer ein.",
                       "Die Telefonnummer ist zu lang oder enthält "
                       "Steuerzeichen.", p);
    if (!hours_ok(in->opening_hours)) {
        jc_result_detail(res, "opening_hours_invalid", "opening_hours",
                         "Bitte geben Sie die Öffnungszeiten an (höchstens "
                         "500 Zeichen, Zeilen durch Zeilenumbrüche "
                         "getrennt).");
        n++;
    }
    if (!in->postcodes || !in->postcodes[0]) {
        jc_result_detail(res, "postcodes_missing", "postcodes",
                         "Bitte geben Sie mindestens eine zuständige "
                         "Postleitzahl an.");
        n++;
    }
    else {
        for (i = 0; in->postcodes[i]; i++) {
            if (!jc_field_postcode_ok(in->postcodes[i])) {
                jc_result_detail(res, "postcodes_invalid", "postcodes",
                                 apr_psprintf(p, "Die zuständige "
                                              "Postleitzahl „%s“ besteht "
                                              "nicht aus fünf Ziffern.",
                                              in->postcodes[i]));
                n++;
                break;
            }
        }
    }
    jc_field_finish(res, n);
    return n;
}

void jc_jobcenter_add(jc_db_t *db, jc_result_t *res,
                      const jc_jobcenter_in_t *in, apr_int64_t now,
                      apr_int64_t *id, apr_pool_t *p)
{
    jc_db_row_t row;
    jc_db_rc_e rc;
    const void *args[7];
    int i;

    *id = 0;
    if (jc_jobcenter_validate(res, in, p)) {
        return;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    args[0] = in->name;
    args[1] = in->street;
    args[2] = in->postcode;
    args[3] = in->city;
    args[4] = in->phone;
    args[5] = in->opening_hours;
    args[6] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_JC_INSERT, args, p);
    if (rc == JC_DB_CONFLICT) {
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "name_taken", "Ein Jobcenter mit diesem "
                      "Namen gibt es schon.", "name");
        return;
    }
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    jc_db_col_i64(&row, JC_COL_JC_INSERT_ID, id, 0);
    for (i = 0; in->postcodes[i]; i++) {
        const void *a2[2];

        a2[0] = in->postcodes[i];
        a2[1] = id;
        rc = jc_db_exec(db, NULL, JC_SQL_JC_POSTCODE_INSERT, a2, p);
        if (rc == JC_DB_CONFLICT) {
            jc_db_rollback(db, p);
            *id = 0;
            jc_result_set(res, 409, "postcode_taken",
                          apr_psprintf(p, "Die Postleitzahl %s ist schon "
                                       "einem anderen Jobcenter "
                                       "zugeordnet.", in->postcodes[i]),
                          "postcodes");
            return;
        }
        if (jc_db_fail(res, db, rc, p)) {
            *id = 0;
            return;
        }
    }
    rc = jc_db_commit(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        *id = 0;
    }
}

jc_db_rc_e jc_jobcenter_get(jc_db_t *db, jc_jobcenter_in_t *out,
                            apr_int64_t id, apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_JC_GET, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    out->name = jc_db_col_str(&row, JC_COL_JC_GET_NAME, p);
    out->street = jc_db_col_str(&row, JC_COL_JC_GET_STREET, p);
    out->postcode = jc_db_col_str(&row, JC_COL_JC_GET_POSTCODE, p);
    out->city = jc_db_col_str(&row, JC_COL_JC_GET_CITY, p);
    out->phone = jc_db_col_str(&row, JC_COL_JC_GET_PHONE, p);
    out->opening_hours = jc_db_col_str(&row, JC_COL_JC_GET_OPENING_HOURS,
                                       p);
    out->postcodes = NULL;
    return JC_DB_OK;
}

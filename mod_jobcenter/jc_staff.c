/* Jobcenters, staff, customers, Freischaltcodes (see jc_staff.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "jc_staff.h"
#include "jc_account.h"
#include "jc_fsc.h"
#include "jc_letter.h"
#include "jc_password.h"
#include "jc_time.h"
#include "jc_utf8.h"

#define TEXT_MAX 100        /* characters of a name, street or city      */
#define HOURS_MAX 500       /* characters of the opening hours           */
#define KNR_ATTEMPTS 8      /* new Kundennummern tried on a conflict      */

int jc_staff_role_parse(const char *name)
{
    if (name && !strcmp(name, "sachbearbeitung")) {
        return JC_ROLE_SACHBEARBEITUNG;
    }
    if (name && !strcmp(name, "admin")) {
        return JC_ROLE_ADMIN;
    }
    return JC_ROLE_NONE;
}

int jc_staff_team_valid(const char *team)
{
    return team && (!strcmp(team, "leistung") || !strcmp(team, "but")
                    || !strcmp(team, "vermittlung"));
}

const char *jc_staff_team_text(const char *team)
{
    if (!team) {
        return "";
    }
    if (!strcmp(team, "leistung")) {
        return "Leistung allgemein";
    }
    if (!strcmp(team, "but")) {
        return "Leistung Bildung und Teilhabe";
    }
    if (!strcmp(team, "vermittlung")) {
        return "Vermittlung / Beratung";
    }
    return team;
}

/* ---- field checks ------------------------------------------------------ */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

/* Copy of s without leading/trailing spaces and tabs (NULL stays NULL). */
static const char *trim(const char *s, apr_pool_t *p)
{
    const char *e;

    if (!s) {
        return NULL;
    }
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    return apr_pstrmemdup(p, s, (apr_size_t)(e - s));
}

/* 0 ok, 1 missing, 2 invalid (controls, bad UTF-8, too long). */
static int text_check(const char *s, size_t max)
{
    if (!s || !*s) {
        return 1;
    }
    if (!jc_utf8_label_ok(s) || utf8_chars(s) > max) {
        return 2;
    }
    return 0;
}

static int postcode_ok(const char *s)
{
    int i;

    if (!s) {
        return 0;
    }
    for (i = 0; i < 5; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return s[5] == '\0';
}

static void finish_validation(jc_result_t *res, int n)
{
    if (n) {
        json_t *first = json_array_get(res->details, 0);

        jc_result_set(res, 422, "validation_failed",
                      "Bitte prüfen Sie Ihre Eingaben.",
                      json_string_value(json_object_get(first, "field")));
    }
}

/* A text field with the codes <field>_missing / <field>_invalid. */
static int field_text(jc_result_t *res, const char *v, const char *field,
                      size_t max, const char *missing, const char *invalid,
                      apr_pool_t *p)
{
    int rc = text_check(v, max);

    if (rc == 1) {
        jc_result_detail(res, apr_pstrcat(p, field, "_missing", NULL), field,
                         missing);
        return 1;
    }
    if (rc == 2) {
        jc_result_detail(res, apr_pstrcat(p, field, "_invalid", NULL), field,
                         invalid);
        return 1;
    }
    return 0;
}

/* ---- jobcenters -------------------------------------------------------- */

static int hours_ok(const char *s)
{
    const char *line;
    char *copy, *last = NULL;
    apr_pool_t *p = NULL;
    int ok = 1;

    if (!s || !*s || !jc_utf8_valid(s) || utf8_chars(s) > HOURS_MAX) {
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

    n += field_text(res, in->name, "name", TEXT_MAX,
                    "Bitte geben Sie den Namen des Jobcenters ein.",
                    "Der Name ist zu lang oder enthält Steuerzeichen.", p);
    n += field_text(res, in->street, "street", TEXT_MAX,
                    "Bitte geben Sie die Straße ein.",
                    "Die Straße ist zu lang oder enthält Steuerzeichen.", p);
    if (!postcode_ok(in->postcode)) {
        jc_result_detail(res, "postcode_invalid", "postcode",
                         "Die Postleitzahl besteht aus fünf Ziffern.");
        n++;
    }
    n += field_text(res, in->city, "city", TEXT_MAX,
                    "Bitte geben Sie den Ort ein.",
                    "Der Ort ist zu lang oder enthält Steuerzeichen.", p);
    n += field_text(res, in->phone, "phone", 40,
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
            if (!postcode_ok(in->postcodes[i])) {
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
    finish_validation(res, n);
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
    jc_db_col_i64(&row, 0, id, 0);
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

/* ---- staff ------------------------------------------------------------- */

int jc_staff_validate(jc_result_t *res, const jc_staff_in_t *in,
                      apr_pool_t *p)
{
    int n = 0;

    n += field_text(res, in->jobcenter, "jobcenter", TEXT_MAX,
                    "Bitte geben Sie das Jobcenter an.",
                    "Der Name des Jobcenters ist ungültig.", p);
    if (!in->email || !jc_account_normalize_email(in->email, p)) {
        jc_result_detail(res, "email_invalid", "email",
                         "Bitte geben Sie eine gültige E-Mail-Adresse ein.");
        n++;
    }
    n += field_text(res, in->display_name, "display_name", TEXT_MAX,
                    "Bitte geben Sie den angezeigten Namen ein.",
                    "Der angezeigte Name ist zu lang oder enthält "
                    "Steuerzeichen.", p);
    if (!jc_staff_team_valid(in->team)) {
        jc_result_detail(res, "team_invalid", "team",
                         "Das Team ist leistung, but oder vermittlung.");
        n++;
    }
    if (!jc_staff_role_parse(in->role)) {
        jc_result_detail(res, "role_invalid", "role",
                         "Die Rolle ist sachbearbeitung oder admin.");
        n++;
    }
    finish_validation(res, n);
    return n;
}

const char *jc_staff_gen_password(apr_pool_t *p)
{
    static const char alphabet[] = JC_PHONE_ALPHABET;
    enum { N = JC_OTP_GROUPS * JC_OTP_GROUP_LEN };
    char pw[JC_OTP_LEN + 1];
    int attempt;

    /* 32 characters: the low 5 bits of a byte pick one without bias */
    _Static_assert(sizeof(JC_PHONE_ALPHABET) - 1 == 32,
                   "the phone alphabet has 32 characters");
    /* a draw without a capital, a small letter or a digit is drawn again
     * as a whole (7 % of draws): uniform over the strings that have all
     * three; 100 draws in a row fail with probability 0.07^100 */
    for (attempt = 0; attempt < 100; attempt++) {
        unsigned char rnd[N];
        int i, o = 0, up = 0, lo = 0, dg = 0;

        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NULL;
        }
        for (i = 0; i < N; i++) {
            char c = alphabet[rnd[i] & 31];

            if (i > 0 && i % JC_OTP_GROUP_LEN == 0) {
                pw[o++] = '-';
            }
            pw[o++] = c;
            up |= c >= 'A' && c <= 'Z';
            lo |= c >= 'a' && c <= 'z';
            dg |= c >= '0' && c <= '9';
        }
        pw[o] = '\0';
        OPENSSL_cleanse(rnd, sizeof(rnd));
        if (up && lo && dg && jc_password_check(pw, JC_OTP_LEN, NULL, 0) == 0) {
            const char *r = apr_pstrdup(p, pw);

            OPENSSL_cleanse(pw, sizeof(pw));
            return r;
        }
    }
    OPENSSL_cleanse(pw, sizeof(pw));
    return NULL;
}

void jc_staff_add(jc_db_t *db, jc_result_t *res, const jc_staff_in_t *in,
                  const char *phc, apr_int64_t now,
                  apr_int64_t onetime_expires_at, apr_int64_t *account_id,
                  apr_pool_t *p)
{
    jc_db_row_t row;
    jc_db_rc_e rc;
    apr_int64_t jc_id = 0;
    const char *email;
    const void *args[6];

    *account_id = 0;
    if (jc_staff_validate(res, in, p)) {
        return;
    }
    email = jc_account_normalize_email(in->email, p);
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    args[0] = in->jobcenter;
    rc = jc_db_select1(db, &row, JC_SQL_JC_BY_NAME, args, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "jobcenter_unknown", "Dieses Jobcenter gibt "
                      "es nicht.", "jobcenter");
        return;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    jc_db_col_i64(&row, 0, &jc_id, 0);
    /* a staff account: confirmed address, terms and consent recorded as
     * given by the jobcenter at creation */
    args[0] = email;
    args[1] = phc;
    args[2] = &now;
    args[3] = &now;
    args[4] = &now;
    args[5] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_ACCT_INSERT, args, p);
    if (rc == JC_DB_CONFLICT) {
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "email_taken", "Zu dieser E-Mail-Adresse "
                      "gibt es schon ein Konto.", "email");
        return;
    }
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    jc_db_col_i64(&row, 0, account_id, 0);
    args[0] = &now;
    args[1] = &now;
    args[2] = account_id;
    rc = jc_db_exec(db, NULL, JC_SQL_ACCT_CONFIRM, args, p);
    if (rc == JC_DB_OK) {
        /* the printed password is one-time: replaced at the first login
         * (onetime/password), expired after onetime_expires_at */
        args[0] = &onetime_expires_at;
        args[1] = &now;
        args[2] = account_id;
        rc = jc_db_exec(db, NULL, JC_SQL_STAFF_ACCT_ONETIME, args, p);
    }
    if (rc == JC_DB_OK) {
        args[0] = account_id;
        args[1] = &jc_id;
        args[2] = in->team;
        args[3] = in->role;
        args[4] = trim(in->display_name, p);
        args[5] = &now;
        rc = jc_db_exec(db, NULL, JC_SQL_STAFF_INSERT, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        *account_id = 0;
    }
}

/* Begin a transaction and find the staff account of an e-mail address:
 * 1 with the transaction open and *id set; 0 with the result set (422
 * email_invalid, 404 staff_unknown or the database error) and nothing
 * open. */
static int staff_begin_by_email(jc_db_t *db, jc_result_t *res,
                                const char *email, apr_int64_t *id,
                                apr_pool_t *p)
{
    jc_db_row_t row;
    jc_db_rc_e rc;
    const char *norm = email ? jc_account_normalize_email(email, p) : NULL;
    const void *args[1];
    jc_staff_t st;

    *id = 0;
    if (!norm) {
        jc_result_set(res, 422, "email_invalid", "Bitte geben Sie eine "
                      "gültige E-Mail-Adresse ein.", "email");
        return 0;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return 0;
    }
    args[0] = norm;
    rc = jc_db_select1(db, &row, JC_SQL_ACCT_ID_BY_EMAIL, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, 0, id, 0);
        rc = jc_staff_load(db, &st, *id, p);
    }
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "staff_unknown", "Zu dieser E-Mail-Adresse "
                      "gibt es keine Mitarbeiterin und keinen Mitarbeiter.",
                      "email");
        return 0;
    }
    return !jc_db_fail(res, db, rc, p);
}

void jc_staff_disable(jc_db_t *db, jc_result_t *res, const char *email,
                      apr_int64_t now, apr_pool_t *p)
{
    jc_db_rc_e rc;
    apr_int64_t id;
    const void *args[2];

    if (!staff_begin_by_email(db, res, email, &id, p)) {
        return;
    }
    args[0] = &now;
    args[1] = &id;
    rc = jc_db_exec(db, NULL, JC_SQL_STAFF_DISABLE, args, p);
    if (rc == JC_DB_OK) {
        /* their sessions end now, not at the next request */
        rc = jc_db_exec(db, NULL, JC_SQL_SESS_DROP_ACCOUNT, args + 1, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

void jc_staff_new_onetime(jc_db_t *db, jc_result_t *res, const char *email,
                          const char *phc, apr_int64_t now,
                          apr_int64_t onetime_expires_at, apr_pool_t *p)
{
    jc_db_rc_e rc;
    apr_int64_t id;
    const void *args[4];

    if (!staff_begin_by_email(db, res, email, &id, p)) {
        return;
    }
    args[0] = phc;
    args[1] = &onetime_expires_at;
    args[2] = &now;
    args[3] = &id;
    rc = jc_db_exec(db, NULL, JC_SQL_STAFF_ACCT_NEW_ONETIME, args, p);
    if (rc == JC_DB_OK) {
        /* whoever held the old password is signed out now */
        rc = jc_db_exec(db, NULL, JC_SQL_SESS_DROP_ACCOUNT, args + 3, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

jc_db_rc_e jc_staff_load(jc_db_t *db, jc_staff_t *s, apr_int64_t account_id,
                         apr_pool_t *p)
{
    jc_db_row_t row;
    const void *args[1];
    apr_int64_t disabled = 0;
    jc_db_rc_e rc;

    memset(s, 0, sizeof(*s));
    args[0] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_STAFF_GET, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    s->account_id = account_id;
    jc_db_col_i64(&row, 0, &s->jobcenter_id, 0);
    s->team = jc_db_col_str(&row, 1, p);
    s->role = jc_staff_role_parse(jc_db_col_str(&row, 2, p));
    s->display_name = jc_db_col_str(&row, 3, p);
    s->disabled = jc_db_col_i64(&row, 4, &disabled, 0);
    s->jobcenter_name = jc_db_col_str(&row, 5, p);
    return JC_DB_OK;
}

int jc_staff_allows(const jc_staff_t *s, int need)
{
    return s && s->account_id > 0 && !s->disabled && need > 0
           && s->role >= need;
}

/* ---- customers --------------------------------------------------------- */

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

    in->salutation = in->salutation ? trim(in->salutation, p) : "";
    in->given_name = trim(in->given_name, p);
    in->family_name = trim(in->family_name, p);
    in->street = trim(in->street, p);
    in->postcode = trim(in->postcode, p);
    in->city = trim(in->city, p);
    if (strcmp(in->salutation, "") && strcmp(in->salutation, "Frau")
        && strcmp(in->salutation, "Herr")) {
        jc_result_detail(res, "salutation_invalid", "salutation",
                         "Bitte wählen Sie „Frau“, „Herr“ oder keine "
                         "Anrede.");
        n++;
    }
    n += field_text(res, in->given_name, "given_name", TEXT_MAX,
                    "Bitte geben Sie den Vornamen ein.",
                    "Der Vorname darf höchstens 100 Zeichen lang sein und "
                    "keine Steuerzeichen enthalten.", p);
    n += field_text(res, in->family_name, "family_name", TEXT_MAX,
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
    n += field_text(res, in->street, "street", TEXT_MAX,
                    "Bitte geben Sie Straße und Hausnummer ein.",
                    "Die Straße darf höchstens 100 Zeichen lang sein und "
                    "keine Steuerzeichen enthalten.", p);
    if (!in->postcode || !*in->postcode) {
        jc_result_detail(res, "postcode_missing", "postcode",
                         "Bitte geben Sie die Postleitzahl ein.");
        n++;
    }
    else if (!postcode_ok(in->postcode)) {
        jc_result_detail(res, "postcode_invalid", "postcode",
                         "Die Postleitzahl besteht aus fünf Ziffern.");
        n++;
    }
    n += field_text(res, in->city, "city", TEXT_MAX,
                    "Bitte geben Sie den Ort ein.",
                    "Der Ort darf höchstens 100 Zeichen lang sein und "
                    "keine Steuerzeichen enthalten.", p);
    finish_validation(res, n);
    return n;
}

/* Columns of jc_cust_get / jc_cust_by_knr / jc_cust_search, in order. */
static void customer_row(const jc_db_row_t *row, jc_customer_t *c,
                         apr_pool_t *p)
{
    apr_int64_t acct = 0;

    memset(c, 0, sizeof(*c));
    jc_db_col_i64(row, 0, &c->id, 0);
    jc_db_col_i64(row, 1, &c->jobcenter_id, 0);
    c->kundennummer = jc_db_col_str(row, 2, p);
    c->salutation = jc_db_col_str(row, 3, p);
    c->given_name = jc_db_col_str(row, 4, p);
    c->family_name = jc_db_col_str(row, 5, p);
    c->birth_date = jc_db_col_str(row, 6, p);
    c->street = jc_db_col_str(row, 7, p);
    c->postcode = jc_db_col_str(row, 8, p);
    c->city = jc_db_col_str(row, 9, p);
    c->bound = jc_db_col_i64(row, 10, &acct, 0) && acct > 0;
    jc_db_col_i64(row, 11, &c->created_at, 0);
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
        jc_db_col_i64(&row, 0, &id, 0);
        args[0] = &staff;
        args[1] = &now;
        args[2] = "customer_created";
        args[3] = &id;
        args[4] = knr;
        rc = jc_db_exec(db, NULL, JC_SQL_AUDIT_ADD, args, p);
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
    customer_row(&row, out, p);
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
    customer_row(&row, out, p);
}

/* Latin letters folded for name_key (sorted by code point); the SQL of
 * migration 010 folds existing rows with the same table. */
static const struct {
    unsigned cp;                /* code point                      */
    const char *to;             /* its ASCII lower-case spelling   */
} name_fold[] = {
    { 0x00c0, "a" },  /* À */
    { 0x00c1, "a" },  /* Á */
    { 0x00c2, "a" },  /* Â */
    { 0x00c3, "a" },  /* Ã */
    { 0x00c4, "ae" },  /* Ä */
    { 0x00c5, "a" },  /* Å */
    { 0x00c6, "ae" },  /* Æ */
    { 0x00c7, "c" },  /* Ç */
    { 0x00c8, "e" },  /* È */
    { 0x00c9, "e" },  /* É */
    { 0x00ca, "e" },  /* Ê */
    { 0x00cb, "e" },  /* Ë */
    { 0x00cc, "i" },  /* Ì */
    { 0x00cd, "i" },  /* Í */
    { 0x00ce, "i" },  /* Î */
    { 0x00cf, "i" },  /* Ï */
    { 0x00d1, "n" },  /* Ñ */
    { 0x00d2, "o" },  /* Ò */
    { 0x00d3, "o" },  /* Ó */
    { 0x00d4, "o" },  /* Ô */
    { 0x00d5, "o" },  /* Õ */
    { 0x00d6, "oe" },  /* Ö */
    { 0x00d8, "o" },  /* Ø */
    { 0x00d9, "u" },  /* Ù */
    { 0x00da, "u" },  /* Ú */
    { 0x00db, "u" },  /* Û */
    { 0x00dc, "ue" },  /* Ü */
    { 0x00dd, "y" },  /* Ý */
    { 0x00df, "ss" },  /* ß */
    { 0x00e0, "a" },  /* à */
    { 0x00e1, "a" },  /* á */
    { 0x00e2, "a" },  /* â */
    { 0x00e3, "a" },  /* ã */
    { 0x00e4, "ae" },  /* ä */
    { 0x00e5, "a" },  /* å */
    { 0x00e6, "ae" },  /* æ */
    { 0x00e7, "c" },  /* ç */
    { 0x00e8, "e" },  /* è */
    { 0x00e9, "e" },  /* é */
    { 0x00ea, "e" },  /* ê */
    { 0x00eb, "e" },  /* ë */
    { 0x00ec, "i" },  /* ì */
    { 0x00ed, "i" },  /* í */
    { 0x00ee, "i" },  /* î */
    { 0x00ef, "i" },  /* ï */
    { 0x00f1, "n" },  /* ñ */
    { 0x00f2, "o" },  /* ò */
    { 0x00f3, "o" },  /* ó */
    { 0x00f4, "o" },  /* ô */
    { 0x00f5, "o" },  /* õ */
    { 0x00f6, "oe" },  /* ö */
    { 0x00f8, "o" },  /* ø */
    { 0x00f9, "u" },  /* ù */
    { 0x00fa, "u" },  /* ú */
    { 0x00fb, "u" },  /* û */
    { 0x00fc, "ue" },  /* ü */
    { 0x00fd, "y" },  /* ý */
    { 0x00ff, "y" },  /* ÿ */
    { 0x0100, "a" },  /* Ā */
    { 0x0101, "a" },  /* ā */
    { 0x0102, "a" },  /* Ă */
    { 0x0103, "a" },  /* ă */
    { 0x0104, "a" },  /* Ą */
    { 0x0105, "a" },  /* ą */
    { 0x0106, "c" },  /* Ć */
    { 0x0107, "c" },  /* ć */
    { 0x0108, "c" },  /* Ĉ */
    { 0x0109, "c" },  /* ĉ */
    { 0x010a, "c" },  /* Ċ */
    { 0x010b, "c" },  /* ċ */
    { 0x010c, "c" },  /* Č */
    { 0x010d, "c" },  /* č */
    { 0x010e, "d" },  /* Ď */
    { 0x010f, "d" },  /* ď */
    { 0x0110, "d" },  /* Đ */
    { 0x0111, "d" },  /* đ */
    { 0x0112, "e" },  /* Ē */
    { 0x0113, "e" },  /* ē */
    { 0x0116, "e" },  /* Ė */
    { 0x0117, "e" },  /* ė */
    { 0x0118, "e" },  /* Ę */
    { 0x0119, "e" },  /* ę */
    { 0x011a, "e" },  /* Ě */
    { 0x011b, "e" },  /* ě */
    { 0x011c, "g" },  /* Ĝ */
    { 0x011d, "g" },  /* ĝ */
    { 0x011e, "g" },  /* Ğ */
    { 0x011f, "g" },  /* ğ */
    { 0x0122, "g" },  /* Ģ */
    { 0x0123, "g" },  /* ģ */
    { 0x012a, "i" },  /* Ī */
    { 0x012b, "i" },  /* ī */
    { 0x012e, "i" },  /* Į */
    { 0x012f, "i" },  /* į */
    { 0x0130, "i" },  /* İ */
    { 0x0131, "i" },  /* ı */
    { 0x0136, "k" },  /* Ķ */
    { 0x0137, "k" },  /* ķ */
    { 0x0139, "l" },  /* Ĺ */
    { 0x013a, "l" },  /* ĺ */
    { 0x013b, "l" },  /* Ļ */
    { 0x013c, "l" },  /* ļ */
    { 0x013d, "l" },  /* Ľ */
    { 0x013e, "l" },  /* ľ */
    { 0x0141, "l" },  /* Ł */
    { 0x0142, "l" },  /* ł */
    { 0x0143, "n" },  /* Ń */
    { 0x0144, "n" },  /* ń */
    { 0x0145, "n" },  /* Ņ */
    { 0x0146, "n" },  /* ņ */
    { 0x0147, "n" },  /* Ň */
    { 0x0148, "n" },  /* ň */
    { 0x014c, "o" },  /* Ō */
    { 0x014d, "o" },  /* ō */
    { 0x0150, "o" },  /* Ő */
    { 0x0151, "o" },  /* ő */
    { 0x0152, "oe" },  /* Œ */
    { 0x0153, "oe" },  /* œ */
    { 0x0154, "r" },  /* Ŕ */
    { 0x0155, "r" },  /* ŕ */
    { 0x0158, "r" },  /* Ř */
    { 0x0159, "r" },  /* ř */
    { 0x015a, "s" },  /* Ś */
    { 0x015b, "s" },  /* ś */
    { 0x015e, "s" },  /* Ş */
    { 0x015f, "s" },  /* ş */
    { 0x0160, "s" },  /* Š */
    { 0x0161, "s" },  /* š */
    { 0x0162, "t" },  /* Ţ */
    { 0x0163, "t" },  /* ţ */
    { 0x0164, "t" },  /* Ť */
    { 0x0165, "t" },  /* ť */
    { 0x016a, "u" },  /* Ū */
    { 0x016b, "u" },  /* ū */
    { 0x016e, "u" },  /* Ů */
    { 0x016f, "u" },  /* ů */
    { 0x0170, "u" },  /* Ű */
    { 0x0171, "u" },  /* ű */
    { 0x0172, "u" },  /* Ų */
    { 0x0173, "u" },  /* ų */
    { 0x0178, "y" },  /* Ÿ */
    { 0x0179, "z" },  /* Ź */
    { 0x017a, "z" },  /* ź */
    { 0x017b, "z" },  /* Ż */
    { 0x017c, "z" },  /* ż */
    { 0x017d, "z" },  /* Ž */
    { 0x017e, "z" },  /* ž */
    { 0x0218, "s" },  /* Ș */
    { 0x0219, "s" },  /* ș */
    { 0x021a, "t" },  /* Ț */
    { 0x021b, "t" },  /* ț */
    { 0x1e9e, "ss" },  /* ẞ */
};

static const char *fold_cp(unsigned cp)
{
    size_t lo = 0, hi = sizeof(name_fold) / sizeof(name_fold[0]);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (name_fold[mid].cp == cp) {
            return name_fold[mid].to;
        }
        if (name_fold[mid].cp < cp) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return NULL;
}

const char *jc_name_key(const char *s, apr_pool_t *p)
{
    /* a folded character is at most 2 bytes long and becomes at most 2 */
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;
    const unsigned char *u = (const unsigned char *)s;
    int space = 0;

    while (*u) {
        unsigned cp = 0;
        size_t len = 1;
        const char *to = NULL;

        if (*u == ' ' || *u == '\t' || *u == ',' || *u == '\n'
            || *u == '\r') {
            space = (o > out);
            u++;
            continue;
        }
        if ((*u & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) {
            cp = ((unsigned)(*u & 0x1F) << 6) | (u[1] & 0x3F);
            len = 2;
        }
        else if ((*u & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80
                 && (u[2] & 0xC0) == 0x80) {
            cp = ((unsigned)(*u & 0x0F) << 12)
                 | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
            len = 3;
        }
        if (space) {
            *o++ = ' ';
            space = 0;
        }
        if (len > 1 && (to = fold_cp(cp)) != NULL) {
            size_t n = strlen(to);

            memcpy(o, to, n);
            o += n;
        }
        else if (len == 1) {
            *o++ = (char)apr_tolower(*u);
        }
        else {
            memcpy(o, u, len);
            o += len;
        }
        u += len;
    }
    *o = '\0';
    return out;
}

/* A Kundennummer typed with or without spaces ("123 A 123456"), any case:
 * its canonical form, else NULL. */
static const char *knr_of(const char *q, apr_pool_t *p)
{
    char k[11];
    size_t n = 0;

    for (; *q; q++) {
        if (*q == ' ') {
            continue;
        }
        if (n == 10) {
            return NULL;
        }
        k[n++] = (char)apr_toupper(*q);
    }
    k[n] = '\0';
    return jc_kundennummer_valid(k) ? apr_pstrdup(p, k) : NULL;
}

/* Five digits: a postcode. */
static int is_postcode(const char *q)
{
    int i;

    for (i = 0; i < 5; i++) {
        if (!apr_isdigit(q[i])) {
            return 0;
        }
    }
    return q[5] == '\0';
}

void jc_customer_search(jc_db_t *db, jc_result_t *res,
                        apr_int64_t jobcenter_id, const char *q,
                        apr_int64_t page, apr_int64_t per_page, json_t **out,
                        apr_pool_t *p)
{
    jc_db_res_t rs;
    jc_db_row_t row;
    const char *tq = trim(q ? q : "", p), *knr;
    jc_sql_id_e count_label, list_label;
    const void *args[5];
    apr_int64_t total = 0, offset;
    int nargs = 2;
    jc_db_rc_e rc;
    json_t *list;
    int i;

    *out = NULL;
    if (utf8_chars(tq) > TEXT_MAX || !jc_utf8_valid(tq)) {
        jc_result_set(res, 422, "query_invalid", "Der Suchbegriff ist zu "
                      "lang oder ungültig.", "q");
        return;
    }
    if (page < 1 || page > 100000 || per_page < 1 || per_page > 100) {
        jc_result_set(res, 422, "page_invalid", "Die Seitenangabe ist "
                      "ungültig.", "page");
        return;
    }
    offset = (page - 1) * per_page;
    args[0] = &jobcenter_id;
    if ((knr = knr_of(tq, p)) != NULL) {
        /* at most one row: no count */
        count_label = JC_SQL_NONE;
        list_label = JC_SQL_CUST_SEARCH_KNR;
        args[1] = knr;
    }
    else if (is_postcode(tq)) {
        count_label = JC_SQL_CUST_COUNT_PLZ;
        list_label = JC_SQL_CUST_SEARCH_PLZ;
        args[1] = tq;
    }
    else {
        /* a prefix of name_key: [key, key + U+10FFFF) in byte order */
        const char *key = jc_name_key(tq, p);

        count_label = JC_SQL_CUST_COUNT_NAME;
        list_label = JC_SQL_CUST_SEARCH_NAME;
        args[1] = key;
        args[2] = apr_pstrcat(p, key, "\xF4\x8F\xBF\xBF", NULL);
        nargs = 3;
    }
    list = json_array();
    /* pages end at JC_CUST_COUNT_MAX rows (and a Kundennummer's at one):
     * nobody pages through more, and OFFSET costs what it skips */
    if (offset < (count_label != JC_SQL_NONE ? JC_CUST_COUNT_MAX : 1)) {
        /* (the Kundennummer's statement takes neither) */
        args[nargs] = &per_page;
        args[nargs + 1] = &offset;
        rc = jc_db_select(db, &rs, list_label, args, p);
        if (jc_db_fail(res, db, rc, p)) {
            json_decref(list);
            return;
        }
        for (i = 0; i < rs.nrows; i++) {
            jc_customer_t c;

            if (jc_db_res_row(&rs, i, &row, p) != 0) {
                break;
            }
            customer_row(&row, &c, p);
            json_array_append_new(list, jc_customer_json(&c));
        }
        /* a page that is not full and not past the end gives the total
         * itself (offset + rows; none on the first page: 0): a search
         * that fits on its page (a surname, a street's postcode) needs
         * no count (on PostgreSQL each statement with a
         * range is planned anew at every run: the count cost as much
         * again, bench/run.sh growth) */
        if (count_label == JC_SQL_NONE || ((offset == 0 || rs.nrows > 0)
                             && rs.nrows < per_page)) {
            total = offset + rs.nrows;
            count_label = JC_SQL_NONE;
        }
    }
    if (count_label != JC_SQL_NONE) {
        rc = jc_db_select1(db, &row, count_label, args, p);
        if (jc_db_fail(res, db, rc, p)) {
            json_decref(list);
            return;
        }
        jc_db_col_i64(&row, 0, &total, 0);
    }
    *out = json_pack("{s:o, s:I, s:b, s:I, s:I}", "customers", list,
                     "total", (json_int_t)(total > JC_CUST_COUNT_MAX
                                           ? JC_CUST_COUNT_MAX : total),
                     "total_more", total > JC_CUST_COUNT_MAX,
                     "page", (json_int_t)page,
                     "per_page", (json_int_t)per_page);
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
        jc_db_col_i64(&row, 0, &created, 0);
        jc_db_col_i64(&row, 1, &expires, 0);
        if (jc_db_col_i64(&row, 2, &used, 0)) {
            state = "used";
        }
        else if (jc_db_col_i64(&row, 3, &voided, 0)) {
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
    jc_db_col_i64(&row, 1, &required, 0);
    if (!jc_db_col_i64(&row, 0, &expires, 0) || !required) {
        /* no letter pair, or its own password is already set */
        *out = json_pack("{s:b, s:n, s:b}", "pending", 0, "expires_at",
                         "expired", 0);
        return;
    }
    *out = json_pack("{s:b, s:I, s:b}", "pending", expires > now,
                     "expires_at", (json_int_t)expires,
                     "expired", expires <= now);
}

/* ---- Freischaltcodes --------------------------------------------------- */

const char *jc_fsc_link(const char *base_url, const char *grouped,
                        apr_pool_t *p)
{
    return apr_pstrcat(p, base_url, "/link/freischaltcode?code=", grouped,
                       NULL);
}

/* Render the letter for a code that is not stored yet. */
static void fsc_letter(jc_db_t *db, jc_result_t *res,
                       const jc_customer_t *cust, const jc_fsc_issued_t *iss,
                       const char *base_url, apr_int64_t now,
                       const char **pdf, apr_size_t *len, apr_pool_t *p)
{
    jc_letter_head_t h;
    jc_db_row_t row;
    const void *args[1];
    apr_int64_t jcid = cust->jobcenter_id;
    const char *err = NULL, *name;
    jc_db_rc_e rc;

    *pdf = NULL;
    *len = 0;
    args[0] = &jcid;
    rc = jc_db_select1(db, &row, JC_SQL_JC_GET, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    memset(&h, 0, sizeof(h));
    h.jc_name = jc_db_col_str(&row, 0, p);
    h.jc_street = jc_db_col_str(&row, 1, p);
    h.jc_city = apr_pstrcat(p, jc_db_col_str(&row, 2, p), " ",
                            jc_db_col_str(&row, 3, p), NULL);
    h.jc_phone = jc_db_col_str(&row, 4, p);
    name = apr_pstrcat(p, cust->given_name, " ", cust->family_name, NULL);
    if (cust->salutation && *cust->salutation) {
        name = apr_pstrcat(p, cust->salutation, " ", name, NULL);
    }
    h.recipient[0] = name;
    h.recipient[1] = cust->street;
    h.recipient[2] = apr_pstrcat(p, cust->postcode, " ", cust->city, NULL);
    h.recipient[3] = NULL;
    h.kundennummer = cust->kundennummer;
    h.date = (time_t)now;
    if (jc_letter_freischaltcode(p, &h, iss->grouped, (time_t)iss->expires_at,
                                 jc_fsc_link(base_url, iss->grouped, p), pdf,
                                 len, &err) != 0) {
        *pdf = NULL;
        *len = 0;
        jc_result_internal(res, apr_pstrcat(p, "letter: ", err ? err : "-",
                                            NULL));
    }
}

void jc_fsc_issue(jc_db_t *db, jc_result_t *res, apr_int64_t staff_account,
                  const jc_customer_t *cust, apr_int64_t valid_secs,
                  const char *base_url, apr_int64_t now, jc_fsc_issued_t *out,
                  const char **pdf, apr_size_t *len, apr_pool_t *p)
{
    const void *args[5];
    apr_int64_t exp = now + valid_secs, cid = cust->id;
    const char *hash, *detail;
    int voided = 0;
    jc_db_rc_e rc;

    memset(out, 0, sizeof(*out));
    *pdf = NULL;
    *len = 0;
    if (cust->bound) {
        jc_result_set(res, 409, "customer_bound", "Diese Kundin oder dieser "
                      "Kunde hat die eServices bereits freigeschaltet.",
                      NULL);
        return;
    }
    if (jc_fsc_new(out->code) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return;
    }
    out->grouped = jc_fsc_group(out->code, p);
    out->expires_at = exp;
    /* the letter first: a code is stored only once its letter exists */
    fsc_letter(db, res, cust, out, base_url, now, pdf, len, p);
    if (res->status != 200) {
        memset(out, 0, sizeof(*out));
        return;
    }
    hash = jc_fsc_hash(out->code, p);
    rc = jc_db_begin(db, p);
    if (rc == JC_DB_OK) {
        args[0] = &now;
        args[1] = &cid;
        rc = jc_db_exec(db, &voided, JC_SQL_FSC_VOID, args, p);
    }
    if (rc == JC_DB_OK) {
        args[0] = &cid;
        args[1] = hash;
        args[2] = &staff_account;
        args[3] = &now;
        args[4] = &exp;
        /* a hash equal to a stored one (60 random bits) ends as a
         * conflict -> 500; issuing again draws a new code */
        rc = jc_db_exec(db, NULL, JC_SQL_FSC_INSERT, args, p);
    }
    if (rc == JC_DB_OK) {
        detail = voided ? apr_psprintf(p, "%d older unused code(s) voided",
                                       voided) : NULL;
        args[0] = &staff_account;
        args[1] = &now;
        args[2] = "freischaltcode_issued";
        args[3] = &cid;
        args[4] = detail;
        rc = jc_db_exec(db, NULL, JC_SQL_AUDIT_ADD, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        memset(out, 0, sizeof(*out));
        *pdf = NULL;
        *len = 0;
        return;
    }
    out->voided = voided;
}

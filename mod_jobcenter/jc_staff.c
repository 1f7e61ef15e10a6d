/* Staff accounts and roles (see jc_staff.h). */
#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "jc_staff.h"
#include "jc_account.h"
#include "jc_field.h"
#include "jc_fsc.h"
#include "jc_password.h"

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

int jc_staff_validate(jc_result_t *res, const jc_staff_in_t *in,
                      apr_pool_t *p)
{
    int n = 0;

    n += jc_field_text(res, in->jobcenter, "jobcenter", JC_FIELD_TEXT_MAX,
                       "Bitte geben Sie das Jobcenter an.",
                       "Der Name des Jobcenters ist ungültig.", p);
    if (!in->email || !jc_account_normalize_email(in->email, p)) {
        jc_result_detail(res, "email_invalid", "email",
                         "Bitte geben Sie eine gültige E-Mail-Adresse ein.");
        n++;
    }
    n += jc_field_text(res, in->display_name, "display_name",
                       JC_FIELD_TEXT_MAX,
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
    jc_field_finish(res, n);
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
    jc_db_col_i64(&row, JC_COL_JC_BY_NAME_ID, &jc_id, 0);
    /* a staff account: confirmed address, terms and consent recorded as
     * given by the jobcenter at creation */
    rc = jc_account_insert(db, account_id, email, phc, now, p);
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
    rc = jc_account_mark_confirmed(db, *account_id, now, NULL, p);
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
        args[4] = jc_field_trim(in->display_name, p);
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
    jc_db_rc_e rc;
    const char *norm = email ? jc_account_normalize_email(email, p) : NULL;
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
    rc = jc_account_id_by_email(db, id, norm, p);
    if (rc == JC_DB_OK) {
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

/* Finish a change to the staff account id in the transaction of
 * staff_begin_by_email (rc: the change's answer): end all the account's
 * sessions and commit; res gets a failure. */
static void staff_commit_signed_out(jc_db_t *db, jc_result_t *res,
                                    jc_db_rc_e rc, apr_int64_t id,
                                    apr_pool_t *p)
{
    if (rc == JC_DB_OK) {
        rc = jc_session_drop_account(db, id, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
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
    /* their sessions end now, not at the next request */
    staff_commit_signed_out(db, res, rc, id, p);
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
    /* whoever held the old password is signed out now */
    staff_commit_signed_out(db, res, rc, id, p);
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
    jc_db_col_i64(&row, JC_COL_STAFF_GET_JOBCENTER_ID, &s->jobcenter_id, 0);
    s->team = jc_db_col_str(&row, JC_COL_STAFF_GET_TEAM, p);
    s->role = jc_staff_role_parse(
        jc_db_col_str(&row, JC_COL_STAFF_GET_ROLE, p));
    s->display_name = jc_db_col_str(&row, JC_COL_STAFF_GET_DISPLAY_NAME, p);
    s->disabled = jc_db_col_i64(&row, JC_COL_STAFF_GET_DISABLED_AT,
                                &disabled, 0);
    s->jobcenter_name = jc_db_col_str(&row, JC_COL_STAFF_GET_NAME, p);
    return JC_DB_OK;
}

jc_db_rc_e jc_staff_audit_add(jc_db_t *db, apr_int64_t staff_account,
                              apr_int64_t now, const char *action,
                              apr_int64_t customer_id, const char *detail,
                              apr_pool_t *p)
{
    const void *args[5];

    args[0] = &staff_account;
    args[1] = &now;
    args[2] = action;
    args[3] = &customer_id;
    args[4] = detail;
    return jc_db_exec(db, NULL, JC_SQL_AUDIT_ADD, args, p);
}

int jc_staff_allows(const jc_staff_t *s, int need)
{
    return s && s->account_id > 0 && !s->disabled && need > 0
           && s->role >= need;
}

/* jobcenter-admin: the commands on jobcenters, staff accounts, customers
 * and Freischaltcodes (admin.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_customer.h"
#include "jc_fsc.h"
#include "jc_fsc_issue.h"
#include "jc_jobcenter.h"
#include "jc_letter.h"
#include "jc_password.h"
#include "jc_secretbox.h"
#include "jc_sql.h"
#include "jc_staff.h"
#include "jc_store_check.h"
#include "jc_time.h"

#include "admin.h"

/* ---- commands ---------------------------------------------------------- */

/* code-issue --out FILE, opened in run() before the database is opened
 * (which may switch to the SQLite file's owner). */
apr_file_t *out_file;

int open_out(const char *path, apr_pool_t *p)
{
    if (apr_file_open(&out_file, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                      | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                      APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD
                      | APR_FPROT_WREAD, p) != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: cannot write %s\n", path);
        out_file = NULL;
        return EX_FAIL;
    }
    return EX_OK;
}

int cmd_jobcenter_add(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "name", "street", "postcode", "city",
                                        "phone", "hours", "postcodes", NULL };
    jc_jobcenter_in_t in;
    jc_result_t res;
    apr_array_header_t *pcs = apr_array_make(p, 8, sizeof(const char *));
    const char *list, *hours;
    char *copy, *tok, *last = NULL, *h;
    apr_int64_t id = 0;
    int bad = 0;

    if (check_opts(a, "jobcenter-add", opts)) {
        return EX_USAGE;
    }
    memset(&in, 0, sizeof(in));
    in.name = need(a, "name", &bad);
    in.street = need(a, "street", &bad);
    in.postcode = need(a, "postcode", &bad);
    in.city = need(a, "city", &bad);
    in.phone = need(a, "phone", &bad);
    hours = need(a, "hours", &bad);
    list = need(a, "postcodes", &bad);
    if (bad) {
        return EX_USAGE;
    }
    /* "Mo-Fr 8-12;Do 14-18" or real newlines: lines of the opening hours */
    h = apr_pstrdup(p, hours);
    for (copy = h; *copy; copy++) {
        if (*copy == ';') {
            *copy = '\n';
        }
    }
    in.opening_hours = h;
    copy = apr_pstrdup(p, list);
    for (tok = apr_strtok(copy, ", ", &last); tok;
         tok = apr_strtok(NULL, ", ", &last)) {
        APR_ARRAY_PUSH(pcs, const char *) = tok;
    }
    APR_ARRAY_PUSH(pcs, const char *) = NULL;
    in.postcodes = (const char *const *)pcs->elts;
    jc_result_ok(&res);
    jc_jobcenter_add(&c->db, &res, &in, (apr_int64_t)time(NULL), &id, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("jobcenter: %" APR_INT64_T_FMT "\nname: %s\n", id, in.name);
    return EX_OK;
}

int cmd_jobcenter_list(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { NULL };
    jc_db_res_t rs;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i, j;

    if (check_opts(a, "jobcenter-list", opts)) {
        return EX_USAGE;
    }
    rc = jc_db_select(&c->db, &rs, JC_SQL_JC_LIST, NULL, p);
    if (rc != JC_DB_OK) {
        return db_error(c, rc);
    }
    for (i = 0; i < rs.nrows && jc_db_res_row(&rs, i, &row, p) == 0; i++) {
        apr_int64_t id = 0, nstaff = 0, ncust = 0;
        jc_db_res_t pr;
        jc_db_row_t prow;
        const void *args[1];
        char *hours;

        jc_db_col_i64(&row, JC_COL_JC_LIST_ID, &id, 0);
        jc_db_col_i64(&row, JC_COL_JC_LIST_STAFF_COUNT, &nstaff, 0);
        jc_db_col_i64(&row, JC_COL_JC_LIST_CUSTOMER_COUNT, &ncust, 0);
        hours = apr_pstrdup(p, jc_db_col_str(&row,
                                             JC_COL_JC_LIST_OPENING_HOURS, p));
        for (j = 0; hours[j]; j++) {
            if (hours[j] == '\n') {
                hours[j] = ';';
            }
        }
        printf("%" APR_INT64_T_FMT "\t%s\t%s, %s %s\t%s\t%s\tstaff %"
               APR_INT64_T_FMT "\tcustomers %" APR_INT64_T_FMT "\tpostcodes ",
               id, jc_db_col_str(&row, JC_COL_JC_LIST_NAME, p),
               jc_db_col_str(&row, JC_COL_JC_LIST_STREET, p),
               jc_db_col_str(&row, JC_COL_JC_LIST_POSTCODE, p),
               jc_db_col_str(&row, JC_COL_JC_LIST_CITY, p),
               jc_db_col_str(&row, JC_COL_JC_LIST_PHONE, p), hours, nstaff,
               ncust);
        args[0] = &id;
        if (jc_db_select(&c->db, &pr, JC_SQL_JC_POSTCODES, args, p)
            == JC_DB_OK) {
            for (j = 0; j < pr.nrows && jc_db_res_row(&pr, j, &prow, p) == 0;
                 j++) {
                printf("%s%s", j ? "," : "",
                       jc_db_col_str(&prow, JC_COL_JC_POSTCODES_POSTCODE, p));
            }
        }
        printf("\n");
    }
    if (rs.nrows == 0) {
        fprintf(stderr, "no jobcenters yet (jobcenter-add)\n");
    }
    return EX_OK;
}

/* --valid-days of staff-add / staff-password into *days (default kept);
 * EX_OK or EX_USAGE (message printed). */
static int onetime_days(const args_t *a, apr_int64_t *days)
{
    const char *days_s = apr_table_get(a->opt, "valid-days");

    if (days_s) {
        char *end = NULL;

        *days = apr_strtoi64(days_s, &end, 10);
        if (!*days_s || *end || *days < 1 || *days > 365) {
            return usage_error("--valid-days: a number of days from 1 to "
                               "365, not '%s'", days_s);
        }
    }
    return EX_OK;
}

/* A new one-time password and its Argon2id hash; EX_OK or EX_FAIL. */
static int onetime_password(const char **pw, const char **phc, apr_pool_t *p)
{
    jc_argon2_params_t prm = { 19456, 2, 1 };

    *phc = NULL;
    *pw = jc_staff_gen_password(p);
    if (!*pw || jc_password_hash(phc, *pw, strlen(*pw), &prm, p)
                != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: cannot create a password\n");
        return EX_FAIL;
    }
    return EX_OK;
}

/* The lines about a one-time password (build.sh and the tests read
 * "one-time password:" and "valid until:"). */
static void print_onetime(const char *pw, apr_int64_t expires)
{
    char until[32];
    jc_berlin_tm_t tm;

    /* German time, whatever the TZ of the shell that runs this tool */
    jc_berlin_exp(expires, &tm);
    apr_snprintf(until, sizeof(until), "%04d-%02d-%02d %02d:%02d", tm.year,
                 tm.mon, tm.mday, tm.hour, tm.min);
    printf("one-time password: %s\n"
           "valid until: %s\n"
           "(shown once; at the next login it must be replaced by an own "
           "password, then the second factor is set up or asked for; after "
           "that time the login is refused)\n", pw, until);
}

int cmd_staff_add(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "jobcenter", "email", "name", "team",
                                        "role", "valid-days", NULL };
    jc_staff_in_t in;
    jc_result_t res;
    const char *pw, *phc;
    apr_int64_t id = 0, days = JC_ONETIME_VALIDITY_DAYS, now;
    int bad = 0;

    if (check_opts(a, "staff-add", opts)) {
        return EX_USAGE;
    }
    in.jobcenter = need(a, "jobcenter", &bad);
    in.email = need(a, "email", &bad);
    in.display_name = need(a, "name", &bad);
    in.team = need(a, "team", &bad);
    in.role = need(a, "role", &bad);
    if (bad) {
        return EX_USAGE;
    }
    if (onetime_days(a, &days) != EX_OK) {
        return EX_USAGE;
    }
    jc_result_ok(&res);
    if (jc_staff_validate(&res, &in, p)) {
        return report(&res, p);
    }
    if (onetime_password(&pw, &phc, p) != EX_OK) {
        return EX_FAIL;
    }
    now = (apr_int64_t)time(NULL);
    jc_staff_add(&c->db, &res, &in, phc, now, now + days * 86400, &id, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("account: %" APR_INT64_T_FMT "\nlogin: %s\n", id,
           jc_account_normalize_email(in.email, p));
    print_onetime(pw, now + days * 86400);
    return EX_OK;
}

int cmd_staff_password(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "email", "valid-days", NULL };
    jc_result_t res;
    const char *email, *pw, *phc;
    apr_int64_t days = JC_ONETIME_VALIDITY_DAYS, now;
    int bad = 0;

    if (check_opts(a, "staff-password", opts)) {
        return EX_USAGE;
    }
    email = need(a, "email", &bad);
    if (bad) {
        return EX_USAGE;
    }
    if (onetime_days(a, &days) != EX_OK) {
        return EX_USAGE;
    }
    if (onetime_password(&pw, &phc, p) != EX_OK) {
        return EX_FAIL;
    }
    jc_result_ok(&res);
    now = (apr_int64_t)time(NULL);
    jc_staff_new_onetime(&c->db, &res, email, phc, now, now + days * 86400,
                         p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("login: %s\n", jc_account_normalize_email(email, p));
    print_onetime(pw, now + days * 86400);
    return EX_OK;
}

int cmd_staff_list(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { NULL };
    jc_db_res_t rs;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i;

    if (check_opts(a, "staff-list", opts)) {
        return EX_USAGE;
    }
    rc = jc_db_select(&c->db, &rs, JC_SQL_STAFF_LIST, NULL, p);
    if (rc != JC_DB_OK) {
        return db_error(c, rc);
    }
    for (i = 0; i < rs.nrows && jc_db_res_row(&rs, i, &row, p) == 0; i++) {
        apr_int64_t id = 0, dis = 0, totp = 0;
        int disabled = jc_db_col_i64(&row, JC_COL_STAFF_LIST_DISABLED_AT,
                                     &dis, 0);
        int has_totp = jc_db_col_i64(&row, JC_COL_STAFF_LIST_CONFIRMED_AT,
                                     &totp, 0);

        jc_db_col_i64(&row, JC_COL_STAFF_LIST_ACCOUNT_ID, &id, 0);
        printf("%" APR_INT64_T_FMT "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id,
               jc_db_col_str(&row, JC_COL_STAFF_LIST_EMAIL, p),
               jc_db_col_str(&row, JC_COL_STAFF_LIST_DISPLAY_NAME, p),
               jc_db_col_str(&row, JC_COL_STAFF_LIST_TEAM, p),
               jc_db_col_str(&row, JC_COL_STAFF_LIST_ROLE, p),
               jc_db_col_str(&row, JC_COL_STAFF_LIST_NAME, p),
               has_totp ? "totp" : "no-second-factor-yet",
               disabled ? "disabled" : "active");
    }
    if (rs.nrows == 0) {
        fprintf(stderr, "no staff yet (staff-add)\n");
    }
    return EX_OK;
}

int cmd_staff_disable(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "email", NULL };
    jc_result_t res;
    const char *email;
    int bad = 0;

    if (check_opts(a, "staff-disable", opts)) {
        return EX_USAGE;
    }
    email = need(a, "email", &bad);
    if (bad) {
        return EX_USAGE;
    }
    jc_result_ok(&res);
    jc_staff_disable(&c->db, &res, email, (apr_int64_t)time(NULL), p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("disabled: %s (sessions ended)\n", email);
    return EX_OK;
}

int cmd_customer_add(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "staff", "salutation", "given-name",
                                        "family-name", "birth-date", "street",
                                        "postcode", "city", NULL };
    jc_customer_in_t in;
    jc_customer_t cust;
    jc_staff_t st;
    jc_result_t res;
    const char *email;
    int bad = 0, rc;

    if (check_opts(a, "customer-add", opts)) {
        return EX_USAGE;
    }
    email = need(a, "staff", &bad);
    memset(&in, 0, sizeof(in));
    in.salutation = apr_table_get(a->opt, "salutation");
    in.given_name = need(a, "given-name", &bad);
    in.family_name = need(a, "family-name", &bad);
    in.birth_date = need(a, "birth-date", &bad);
    in.street = need(a, "street", &bad);
    in.postcode = need(a, "postcode", &bad);
    in.city = need(a, "city", &bad);
    if (bad) {
        return EX_USAGE;
    }
    rc = staff_by_email(c, email, &st, p);
    if (rc != EX_OK) {
        return rc;
    }
    jc_result_ok(&res);
    jc_customer_create(&c->db, &res, &st, &in, (apr_int64_t)time(NULL),
                       &cust, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("customer: %" APR_INT64_T_FMT "\nkundennummer: %s\n"
           "jobcenter: %s\n", cust.id, cust.kundennummer, st.jobcenter_name);
    return EX_OK;
}

/* code-issue's options: --valid-days (1..365, default 42) in *days and
 * --base-url without its trailing '/' in *base. EX_OK or EX_USAGE. */
static int code_issue_opts(const args_t *a, apr_int64_t *days,
                           const char **base, apr_pool_t *p)
{
    const char *days_s = apr_table_get(a->opt, "valid-days");
    size_t n;
    char *b;

    *days = 42;
    if (days_s) {
        char *end = NULL;

        *days = apr_strtoi64(days_s, &end, 10);
        if (!*days_s || *end || *days < 1 || *days > 365) {
            return usage_error("--valid-days: a number of days from 1 to "
                               "365, not '%s'", days_s);
        }
    }
    if (strncmp(*base, "http://", 7) && strncmp(*base, "https://", 8)) {
        return usage_error("--base-url must start with http:// or https:// "
                           "(the portal's JobcenterBaseURL), not '%s'",
                           *base);
    }
    b = apr_pstrdup(p, *base);
    n = strlen(b);
    while (n > 0 && b[n - 1] == '/') {
        b[--n] = '\0';
    }
    *base = b;
    return EX_OK;
}

int cmd_code_issue(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "staff", "kundennummer", "base-url",
                                        "out", "valid-days", NULL };
    jc_customer_t cust;
    jc_staff_t st;
    jc_result_t res;
    jc_fsc_issued_t iss;
    const char *email, *knr, *b, *out, *pdf = NULL;
    apr_size_t len = 0;
    apr_int64_t days;
    apr_file_t *f;
    char date[11];
    int bad = 0, rc;

    if (check_opts(a, "code-issue", opts)) {
        return EX_USAGE;
    }
    email = need(a, "staff", &bad);
    knr = need(a, "kundennummer", &bad);
    b = need(a, "base-url", &bad);
    out = need(a, "out", &bad);
    if (bad) {
        return EX_USAGE;
    }
    if (code_issue_opts(a, &days, &b, p) != EX_OK) {
        return EX_USAGE;
    }
    rc = staff_by_email(c, email, &st, p);
    if (rc != EX_OK) {
        return rc;
    }
    jc_result_ok(&res);
    jc_customer_by_knr(&c->db, &res, knr, &cust, p);
    if (res.status == 200 && cust.jobcenter_id != st.jobcenter_id) {
        jc_result_set(&res, 403, "other_jobcenter", "Diese Kundin oder "
                      "dieser Kunde gehört zu einem anderen Jobcenter.",
                      "kundennummer");
    }
    if (res.status != 200) {
        return report(&res, p);
    }
    /* the letter file was opened before the database (as the caller, who
     * may own the output directory), so a code is never stored whose
     * letter cannot be written */
    f = out_file;
    if (!f) {
        return EX_FAIL;
    }
    jc_fsc_issue(&c->db, &res, st.account_id, &cust, days * 86400, b,
                 (apr_int64_t)time(NULL), &iss, &pdf, &len, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    if (apr_file_write_full(f, pdf, len, NULL) != APR_SUCCESS
        || apr_file_close(f) != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: writing %s failed; the code is "
                "stored: issue a new one (it voids this one)\n", out);
        return EX_FAIL;
    }
    jc_date_de((time_t)iss.expires_at, date);
    printf("freischaltcode: %s\nkundennummer: %s\nvalid until: %s\n"
           "voided older codes: %d\nletter: %s\nlink: %s\n", iss.grouped,
           cust.kundennummer, date, iss.voided, out,
           jc_fsc_link(b, iss.grouped, p));
    return EX_OK;
}


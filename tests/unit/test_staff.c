/* Unit tests for jc_staff, jc_jobcenter, jc_customer, jc_customer_search
 * and jc_fsc_issue: the validation shared by the API and the admin
 * tool (jobcenters, staff, customers), roles and teams, generated
 * one-time passwords, and the issue/void/search flows against a real
 * SQLite database. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_customer.h"
#include "jc_customer_search.h"
#include "jc_fsc.h"
#include "jc_fsc_issue.h"
#include "jc_jobcenter.h"
#include "jc_password.h"
#include "jc_sql.h"
#include "jc_staff.h"
#include "unit_fixture.h"

/* 2026-06-15 12:00 UTC */
#define NOW ((apr_int64_t)1781524800)

static jc_customer_in_t good_customer(void)
{
    jc_customer_in_t in = { "Frau", "Erika", "Mustermann", "1985-04-12",
                            "Bahnhofstraße 1", "71332", "Waiblingen" };
    return in;
}

/* The single detail code a customer input gets, or "ok". */
static const char *customer_verdict(jc_customer_in_t in)
{
    jc_result_t res;

    const char *code;

    jc_result_ok(&res);
    if (!jc_customer_validate(&res, &in, NOW, pool))
        return "ok";
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "validation_failed");
    assert_int_equal(json_array_size(res.details), 1);
    code = apr_pstrdup(pool, json_string_value(json_object_get(
        json_array_get(res.details, 0), "code")));
    json_decref(res.details);
    return code;
}

static void customer_rules(void **state)
{
    jc_customer_in_t in;
    char long_name[120];

    (void)state;
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_string_equal(customer_verdict(good_customer()), "ok");
#define CASE(field, value, code) \
    in = good_customer(); in.field = value; \
    assert_string_equal(customer_verdict(in), code)
    CASE(salutation, NULL, "ok");
    CASE(salutation, "", "ok");
    CASE(salutation, "Herr", "ok");
    CASE(salutation, "Dr.", "salutation_invalid");
    CASE(given_name, NULL, "given_name_missing");
    CASE(given_name, " \t ", "given_name_missing");
    CASE(given_name, long_name, "given_name_invalid");
    CASE(given_name, "Er\x01ka", "given_name_invalid");
    CASE(given_name, "Er\xff", "given_name_invalid");
    CASE(family_name, "Żółć-Müller", "ok");
    CASE(family_name, "", "family_name_missing");
    CASE(birth_date, NULL, "birth_date_missing");
    CASE(birth_date, "1985-4-12", "birth_date_invalid");
    CASE(birth_date, "1985-04-31", "birth_date_invalid");
    CASE(birth_date, "1900-02-29", "birth_date_invalid");
    CASE(birth_date, "2000-02-29", "ok");
    CASE(birth_date, "2026-06-14", "ok");
    CASE(birth_date, "2026-06-15", "birth_date_future");
    CASE(birth_date, "2030-01-01", "birth_date_future");
    CASE(birth_date, "1906-06-15", "ok");
    CASE(birth_date, "1906-06-14", "birth_date_implausible");
    CASE(street, NULL, "street_missing");
    CASE(postcode, "", "postcode_missing");
    CASE(postcode, "1234", "postcode_invalid");
    CASE(postcode, "123456", "postcode_invalid");
    CASE(postcode, " 71332 ", "ok");
    CASE(city, NULL, "city_missing");
#undef CASE
    /* trimmed copies replace the input */
    in = good_customer();
    in.given_name = "  Erika ";
    assert_string_equal(customer_verdict(in), "ok");
}

static void jobcenter_and_staff_rules(void **state)
{
    const char *pcs[] = { "71332", "71334", NULL };
    const char *bad_pcs[] = { "71332", "7133", NULL };
    jc_jobcenter_in_t jc = { "Jobcenter Rems-Murr", "Alter Postplatz 10",
                             "71332", "Waiblingen", "07151 9519-0",
                             "Mo 8-12\nDo 14-18", pcs };
    jc_staff_in_t st = { "Jobcenter Rems-Murr", "SB@Example.org", "Sabine",
                         "leistung", "sachbearbeitung" };
    jc_result_t res;

    (void)state;
    jc_result_ok(&res);
    assert_int_equal(jc_jobcenter_validate(&res, &jc, pool), 0);
    jc.postcodes = bad_pcs;
    jc.opening_hours = "Mo\x01";
    jc_result_ok(&res);
    assert_int_equal(jc_jobcenter_validate(&res, &jc, pool), 2);
    assert_string_equal(res.field, "opening_hours");
    json_decref(res.details);

    jc_result_ok(&res);
    assert_int_equal(jc_staff_validate(&res, &st, pool), 0);
    st.team = "chef";
    st.role = "root";
    st.email = "no-at";
    jc_result_ok(&res);
    assert_int_equal(jc_staff_validate(&res, &st, pool), 3);
    json_decref(res.details);

    assert_int_equal(jc_staff_role_parse("sachbearbeitung"),
                     JC_ROLE_SACHBEARBEITUNG);
    assert_int_equal(jc_staff_role_parse("admin"), JC_ROLE_ADMIN);
    assert_int_equal(jc_staff_role_parse("Admin"), JC_ROLE_NONE);
    assert_int_equal(jc_staff_role_parse(NULL), JC_ROLE_NONE);
    assert_string_equal(jc_staff_team_text("but"),
                        "Leistung Bildung und Teilhabe");
}

static void roles_allow(void **state)
{
    jc_staff_t s = { 1, 1, "J", "leistung", "N", JC_ROLE_SACHBEARBEITUNG, 0 };

    (void)state;
    assert_true(jc_staff_allows(&s, JC_ROLE_SACHBEARBEITUNG));
    assert_false(jc_staff_allows(&s, JC_ROLE_ADMIN));
    s.role = JC_ROLE_ADMIN;
    assert_true(jc_staff_allows(&s, JC_ROLE_SACHBEARBEITUNG));
    assert_true(jc_staff_allows(&s, JC_ROLE_ADMIN));
    s.disabled = 1;
    assert_false(jc_staff_allows(&s, JC_ROLE_SACHBEARBEITUNG));
    assert_false(jc_staff_allows(NULL, JC_ROLE_SACHBEARBEITUNG));
}

/* One-time passwords: "xxxx-xxxx-xxxx-xxxx" of the phone alphabet, every
 * password rule met, each character of the alphabet about equally often
 * at every position (bounded: 2000 draws). */
static void generated_passwords_meet_the_rules(void **state)
{
    static int count[16][256];
    const char *alpha = JC_PHONE_ALPHABET;
    int i, j, n = 2000, distinct = 0;
    const char *prev = NULL;

    (void)state;
    memset(count, 0, sizeof(count));
    assert_int_equal(JC_OTP_LEN, 19);
    for (i = 0; i < n; i++) {
        const char *pw = jc_staff_gen_password(pool);
        int up = 0, lo = 0, dg = 0, k = 0;

        assert_non_null(pw);
        assert_int_equal(strlen(pw), JC_OTP_LEN);
        assert_int_equal(jc_password_check(pw, strlen(pw), NULL, 0), 0);
        for (j = 0; j < JC_OTP_LEN; j++) {
            if (j % 5 == 4) {
                assert_int_equal(pw[j], '-');
                continue;
            }
            assert_non_null(strchr(alpha, pw[j]));
            assert_true(pw[j] != '\0');
            up |= strchr(JC_PHONE_UPPER, pw[j]) != NULL;
            lo |= strchr(JC_PHONE_LOWER, pw[j]) != NULL;
            dg |= strchr(JC_PHONE_DIGITS, pw[j]) != NULL;
            count[k++][(unsigned char)pw[j]]++;
        }
        assert_int_equal(k, 16);
        assert_true(up && lo && dg);
        assert_true(prev == NULL || strcmp(prev, pw) != 0);
        prev = pw;
    }
    /* n/32 = 62.5 per character and position (sd ~8; the rejection of
     * draws without a class shifts it by a few): 20..115 */
    for (j = 0; j < 16; j++) {
        for (i = 0; alpha[i]; i++) {
            assert_in_range(count[j][(unsigned char)alpha[i]], 20, 115);
        }
    }
    for (i = 0; alpha[i]; i++) {
        distinct += count[0][(unsigned char)alpha[i]] > 0;
    }
    assert_int_equal(distinct, 32);
}

/* ---- against SQLite ---------------------------------------------------- */

static apr_int64_t count(jc_db_t *db, const char *sql, apr_pool_t *p)
{
    return unit_db_num(db, sql, p);
}

static void issue_voids_and_search_scopes(void **state)
{
    const char *pcs_a[] = { "71332", NULL }, *pcs_b[] = { "73430", NULL };
    jc_jobcenter_in_t a = { "Jobcenter A", "S 1", "71332", "W", "1", "Mo",
                            pcs_a };
    jc_jobcenter_in_t b = { "Jobcenter B", "S 1", "73430", "A", "1", "Mo",
                            pcs_b };
    jc_staff_in_t sa = { "Jobcenter A", "a@example.org", "A", "leistung",
                         "sachbearbeitung" };
    jc_staff_in_t sb = { "Jobcenter B", "b@example.org", "B", "but",
                         "admin" };
    apr_int64_t ida, idb, acct_a, acct_b;
    jc_staff_t staff_a, staff_b;
    jc_customer_in_t cin = good_customer();
    jc_customer_t cust, got;
    jc_fsc_issued_t i1, i2;
    const char *pdf;
    apr_size_t len;
    jc_result_t res;
    json_t *out;
    apr_pool_t *p;
    jc_db_t db;

    (void)state;
    apr_pool_create(&p, pool);
    unit_db_open(&db, ":memory:", p);
    jc_result_ok(&res);
    jc_jobcenter_add(&db, &res, &a, NOW, &ida, p);
    jc_jobcenter_add(&db, &res, &b, NOW, &idb, p);
    assert_int_equal(res.status, 200);
    jc_staff_add(&db, &res, &sa, "$argon2id$x", NOW, NOW + 86400, &acct_a, p);
    jc_staff_add(&db, &res, &sb, "$argon2id$x", NOW, NOW + 86400, &acct_b, p);
    assert_int_equal(res.status, 200);
    assert_int_equal(jc_staff_load(&db, &staff_a, acct_a, p), JC_DB_OK);
    assert_int_equal(jc_staff_load(&db, &staff_b, acct_b, p), JC_DB_OK);
    assert_int_equal(staff_b.role, JC_ROLE_ADMIN);
    {
        /* the printed password is one-time: the change is forced */
        const void *args[1] = { &acct_a };
        apr_int64_t pwchange = 0;
        jc_db_row_t row;

        assert_int_equal(jc_db_select1(&db, &row, JC_SQL_ONETIME_STATE, args,
                                       p), JC_DB_OK);
        jc_db_col_i64(&row, 1, &pwchange, 0);
        assert_int_equal(pwchange, 1);
        assert_string_equal(jc_db_col_str(&row, 2, p), "a@example.org");
        /* a new one-time password: by address, staff only */
        jc_staff_new_onetime(&db, &res, "nobody@example.org", "$argon2id$y",
                             NOW, NOW + 86400, p);
        assert_int_equal(res.status, 404);
        assert_string_equal(res.code, "staff_unknown");
        jc_result_ok(&res);
        jc_staff_new_onetime(&db, &res, "A@Example.org", "$argon2id$y", NOW,
                             NOW + 86400, p);
        assert_int_equal(res.status, 200);
        assert_int_equal(jc_db_select1(&db, &row, JC_SQL_ONETIME_STATE, args,
                                       p), JC_DB_OK);
        assert_string_equal(jc_db_col_str(&row, 0, p), "$argon2id$y");
        jc_db_col_i64(&row, 1, &pwchange, 0);
        assert_int_equal(pwchange, 1);
    }
    assert_string_equal(staff_a.jobcenter_name, "Jobcenter A");

    jc_customer_create(&db, &res, &staff_a, &cin, NOW, &cust, p);
    assert_int_equal(res.status, 200);
    assert_true(jc_kundennummer_valid(cust.kundennummer));

    /* B sees nothing of A's customer */
    jc_customer_get(&db, &res, staff_b.jobcenter_id, cust.id, &got, p);
    assert_int_equal(res.status, 404);
    jc_result_ok(&res);
    jc_customer_search(&db, &res, staff_b.jobcenter_id, "", 1, 50, &out, p);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 0);
    json_decref(out);
    jc_customer_search(&db, &res, staff_a.jobcenter_id, "muster", 1, 50,
                       &out, p);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 1);
    json_decref(out);
    jc_customer_search(&db, &res, staff_a.jobcenter_id, "mus_er", 1, 50,
                       &out, p);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 0);
    json_decref(out);

    /* a Kundennummer issued before the phone alphabet (letter S) is still
     * found, with or without spaces, in any case, and by the admin tool */
    {
        const char *old_q[] = { "123S456789", "123 s 456789", "123s456789",
                                " 123 S 456 789 " };
        jc_customer_t byk;
        size_t qi;

        unit_db_execf(&db, p, "UPDATE customer SET kundennummer = "
                      "'123S456789' WHERE id = %" APR_INT64_T_FMT, cust.id);
        for (qi = 0; qi < sizeof(old_q) / sizeof(old_q[0]); qi++) {
            jc_customer_search(&db, &res, staff_a.jobcenter_id, old_q[qi], 1,
                               50, &out, p);
            assert_int_equal(res.status, 200);
            assert_int_equal(json_integer_value(json_object_get(out,
                                                                "total")), 1);
            json_decref(out);
        }
        jc_customer_by_knr(&db, &res, "123s456789", &byk, p);
        assert_int_equal(res.status, 200);
        assert_int_equal(byk.id, cust.id);
        unit_db_execf(&db, p, "UPDATE customer SET kundennummer = '%s' "
                      "WHERE id = %" APR_INT64_T_FMT, cust.kundennummer,
                      cust.id);
    }

    /* two codes: the first is voided, only hashes are stored */
    jc_fsc_issue(&db, &res, acct_a, &cust, 42 * 86400, "https://x.example",
                 NOW, &i1, &pdf, &len, p);
    assert_int_equal(res.status, 200);
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    assert_int_equal(i1.expires_at, NOW + 42 * 86400);
    jc_fsc_issue(&db, &res, acct_a, &cust, 42 * 86400, "https://x.example",
                 NOW + 1, &i2, &pdf, &len, p);
    assert_int_equal(res.status, 200);
    assert_int_equal(i2.voided, 1);
    assert_int_equal(count(&db, apr_psprintf(p, "SELECT count(*) FROM "
        "freischaltcode WHERE voided_at IS NULL AND code_hash = '%s'",
        jc_fsc_hash(i2.code, p)), p), 1);
    assert_int_equal(count(&db, apr_psprintf(p, "SELECT count(*) FROM "
        "freischaltcode WHERE voided_at = %" APR_INT64_T_FMT " AND "
        "code_hash = '%s'", NOW + 1, jc_fsc_hash(i1.code, p)), p), 1);
    assert_int_equal(count(&db, "SELECT count(*) FROM staff_audit WHERE "
                     "action = 'freischaltcode_issued'", p), 2);

    /* disabling ends the sessions and the role */
    unit_db_execf(&db, p, "INSERT INTO session (id_hash, account_id, "
                  "state, csrf_token, created_at, last_seen, expires_at) "
                  "VALUES ('h', %" APR_INT64_T_FMT ", 6, 'c', 1, 1, "
                  "9999999999)", acct_a);
    jc_staff_disable(&db, &res, "A@example.org", NOW, p);
    assert_int_equal(res.status, 200);
    assert_int_equal(count(&db, "SELECT count(*) FROM session", p), 0);
    assert_int_equal(jc_staff_load(&db, &staff_a, acct_a, p), JC_DB_OK);
    assert_true(staff_a.disabled);
    assert_false(jc_staff_allows(&staff_a, JC_ROLE_SACHBEARBEITUNG));
    jc_staff_disable(&db, &res, "nobody@example.org", NOW, p);
    assert_int_equal(res.status, 404);
    jc_db_native_release(&db);
    apr_dbd_close(db.driver, db.handle);
    apr_pool_destroy(p);
}

/* The search key: lower-case, German umlauts and other Latin accents
 * folded, runs of spaces and commas one space (as migration 010 folds). */
static void name_keys(void **state)
{
    apr_pool_t *p;

    (void)state;
    apr_pool_create(&p, NULL);
    assert_string_equal(jc_name_key("Żółć-Müller Łucja", p),
                        "zolc-mueller lucja");
    assert_string_equal(jc_name_key("  GROSSMÜLLER-Çelik ,  Zoë ", p),
                        "grossmueller-celik zoe");
    assert_string_equal(jc_name_key("Suchtest-Cramer, Anna", p),
                        "suchtest-cramer anna");
    assert_string_equal(jc_name_key("Straße", p), "strasse");
    assert_string_equal(jc_name_key("Иванов", p), "Иванов");
    assert_string_equal(jc_name_key("", p), "");
    apr_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(customer_rules),
        cmocka_unit_test(name_keys),
        cmocka_unit_test(jobcenter_and_staff_rules),
        cmocka_unit_test(roles_allow),
        cmocka_unit_test(generated_passwords_meet_the_rules),
        cmocka_unit_test(issue_voids_and_search_scopes),
    };
    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

/* The person profile core (jc_profile) against a real SQLite database
 * through apr_dbd: redeeming a Freischaltcode (binding rules, every error,
 * nothing changed on error, throttling per account and address), the
 * Verlauf, and the session lookup with the Kundennummer for the gate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_dbd.h>

#include "unit_fixture.h"

#include "jc_event.h"
#include "jc_fsc.h"
#include "jc_profile.h"
#include "jc_session.h"
#include "jc_sql.h"

#define NOW 100000

typedef unit_fx_t fx_t;   /* pool, dir, db, ctx */

static void exec_sql(fx_t *f, const char *sql)
{
    unit_db_exec(&f->db, sql);
}

static apr_int64_t count(fx_t *f, const char *sql)
{
    return unit_db_num(&f->db, sql, f->pool);
}

/* accounts 1 (staff), 2, 3 (citizens); jobcenter 1; customers 1..3 */
static void fixtures(fx_t *f)
{
    int i;

    for (i = 1; i <= 3; i++) {
        exec_sql(f, apr_psprintf(f->pool, "INSERT INTO account (id, email, "
                 "password_hash, email_confirmed_at, created_at, updated_at) "
                 "VALUES (%d, 'a%d@example.org', 'x', 1, 1, 1)", i, i));
    }
    exec_sql(f, "INSERT INTO jobcenter (id, name, street, postcode, city, "
             "phone, opening_hours, created_at) VALUES (1, 'Jobcenter "
             "Rems-Murr', 'Alter Postplatz 20', '71332', 'Waiblingen', "
             "'07151 9519-0', 'Mo 8-12', 1)");
    exec_sql(f, "INSERT INTO staff (account_id, jobcenter_id, team, role, "
             "display_name, created_at) VALUES (1, 1, 'leistung', "
             "'sachbearbeitung', 'Frau A', 1)");
    for (i = 1; i <= 3; i++) {
        exec_sql(f, apr_psprintf(f->pool, "INSERT INTO customer (id, "
                 "jobcenter_id, kundennummer, given_name, family_name, "
                 "birth_date, street, postcode, city, created_by, created_at) "
                 "VALUES (%d, 1, '12%dA123456', 'Erika', 'Muster%d', "
                 "'1980-01-01', 'Weg 1', '71332', 'Waiblingen', 1, 1)",
                 i, i, i));
    }
}

/* A code for customer cid: its hash stored as the staff side does. */
static void code(fx_t *f, int id, int cid, const char *c, apr_int64_t exp,
                 int voided)
{
    exec_sql(f, apr_psprintf(f->pool, "INSERT INTO freischaltcode (id, "
             "customer_id, code_hash, created_by, created_at, expires_at, "
             "voided_at) VALUES (%d, %d, '%s', 1, 1, %" APR_INT64_T_FMT
             ", %s)", id, cid, jc_fsc_hash(c, f->pool), exp,
             voided ? "5" : "NULL"));
}

static int setup(void **state)
{
    fx_t *f = unit_fx_new();

    f->ctx.sess.idle = 1800;
    f->ctx.sess.max_life = 43200;
    f->ctx.sess.touch = 60;
    f->ctx.thr_account.free_failures = 2;
    f->ctx.thr_account.max_failures = 5;
    f->ctx.thr_account.max_delay = 900;
    f->ctx.thr_account.lock_secs = 3600;
    f->ctx.thr_client.free_failures = 3;
    f->ctx.thr_client.max_delay = 900;
    f->ctx.thr_client.lock_secs = 900;
    fixtures(f);
    *state = f;
    return 0;
}

static void redeem(fx_t *f, jc_result_t *res, jc_profile_t *prof,
                   apr_int64_t account, const char *client, const char *c,
                   apr_int64_t now)
{
    jc_profile_redeem(&f->db, res, prof, &f->ctx, account, client, c, now,
                      f->pool);
}

static void test_redeem(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_profile_t prof;
    apr_array_header_t *ev;
    const jc_profile_event_t *e;
    int found = 0;

    code(f, 1, 1, "Z8TMYQE6H578", NOW + 100, 0);
    assert_int_equal(jc_profile_get(&f->db, &prof, &found, 2, f->pool),
                     JC_DB_OK);
    assert_int_equal(found, 0);
    redeem(f, &res, &prof, 2, "10.0.0.1", " z8tm-yqe6 h578 ", NOW);
    assert_int_equal(res.status, 201);
    assert_string_equal(prof.kundennummer, "121A123456");
    assert_string_equal(jc_profile_name(&prof, f->pool), "Erika Muster1");
    assert_string_equal(prof.jc_name, "Jobcenter Rems-Murr");
    assert_string_equal(prof.jc_phone, "07151 9519-0");
    assert_int_equal(prof.bound_at, NOW);
    assert_int_equal(count(f, "SELECT account_id FROM customer WHERE id = 1"),
                     2);
    assert_int_equal(count(f, "SELECT used_by FROM freischaltcode "
                              "WHERE id = 1"), 2);
    assert_int_equal(count(f, "SELECT used_at FROM freischaltcode "
                              "WHERE id = 1"), NOW);

    exec_sql(f, "INSERT INTO event (account_id, at, kind) "
                "VALUES (2, 5, 'login')");
    assert_int_equal(jc_profile_events(&f->db, &ev, 2, f->pool), JC_DB_OK);
    assert_int_equal(ev->nelts, 2);
    e = &APR_ARRAY_IDX(ev, 0, jc_profile_event_t);
    assert_int_equal(e->at, NOW);
    assert_string_equal(e->kind, JC_EV_CODE_REDEEMED);
    assert_string_equal(e->text, "Freischaltcode eingelöst");
    assert_string_equal(e->detail, "Jobcenter Rems-Murr");
    e = &APR_ARRAY_IDX(ev, 1, jc_profile_event_t);
    assert_int_equal(e->at, 5);
    assert_null(e->detail);
}

/* every error: status, code, and nothing changed */
static void test_errors(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_profile_t prof;

    code(f, 1, 1, "Z8TMYQE6H578", NOW + 100, 0);
    code(f, 2, 2, "HET22X8AUXAS", NOW - 1, 0);          /* expired */
    code(f, 3, 2, "ABCDEFGH2345", NOW + 100, 1);        /* voided */
    code(f, 4, 3, "QRSTUVWX6789", NOW + 100, 0);

    redeem(f, &res, &prof, 2, "10.0.0.1", "HET2-2X8A-UXA", NOW);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "fsc_malformed");
    assert_string_equal(res.message, "Der Freischaltcode besteht aus Zahlen "
                        "und Großbuchstaben, zum Beispiel: HET2-2X8A-UXAS.");
    redeem(f, &res, &prof, 2, "10.0.0.1", NULL, NOW);
    assert_string_equal(res.code, "fsc_missing");
    redeem(f, &res, &prof, 2, "10.0.0.1", "HET2-2X8A-UXAS", NOW);
    assert_int_equal(res.status, 410);
    assert_string_equal(res.code, "fsc_expired");
    redeem(f, &res, &prof, 2, "10.0.0.1", "ABCD-EFGH-2345", NOW);
    assert_int_equal(res.status, 410);
    assert_string_equal(res.code, "fsc_voided");
    redeem(f, &res, &prof, 2, "10.0.0.1", "2222-2222-2222", NOW);
    assert_int_equal(res.status, 404);
    assert_string_equal(res.code, "fsc_invalid");
    assert_int_equal(count(f, "SELECT count(*) FROM customer "
                              "WHERE account_id IS NOT NULL"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM freischaltcode "
                              "WHERE used_at IS NOT NULL"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM event"), 0);
    /* only the unknown code was counted */
    assert_int_equal(count(f, "SELECT failures FROM login_throttle "
                              "WHERE client_key = 'fsc-a:2'"), 1);
    assert_int_equal(count(f, "SELECT failures FROM login_throttle "
                              "WHERE client_key = 'fsc-ip:10.0.0.1'"), 1);

    /* account 2 takes customer 1; a second profile is refused */
    redeem(f, &res, &prof, 2, "10.0.0.1", "Z8TMYQE6H578", NOW);
    assert_int_equal(res.status, 201);
    redeem(f, &res, &prof, 2, "10.0.0.1", "QRSTUVWX6789", NOW);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "profile_exists");
    assert_string_equal(res.message, "Das Anlegen von mehreren "
                        "Personenprofilen der Agentur für Arbeit / Jobcenter "
                        "im selben Konto ist nicht möglich.");
    assert_int_equal(count(f, "SELECT count(*) FROM customer "
                              "WHERE id = 3 AND account_id IS NULL"), 1);
    /* a new code of customer 1 for account 3: bound elsewhere */
    code(f, 5, 1, "MNPQRSTU2345", NOW + 100, 0);
    redeem(f, &res, &prof, 3, "10.0.0.2", "MNPQRSTU2345", NOW);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "customer_bound");
    /* ... and for account 2 itself */
    redeem(f, &res, &prof, 2, "10.0.0.1", "MNPQRSTU2345", NOW);
    assert_string_equal(res.code, "profile_linked");
    assert_int_equal(count(f, "SELECT count(*) FROM freischaltcode "
                              "WHERE id = 5 AND used_at IS NULL"), 1);
    /* the used code again: like an unknown one */
    redeem(f, &res, &prof, 3, "10.0.0.2", "Z8TMYQE6H578", NOW);
    assert_int_equal(res.status, 404);
}

static void test_throttle(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_profile_t prof;
    int i;

    code(f, 1, 1, "Z8TMYQE6H578", NOW + 1000, 0);
    /* 2 free failures per account, then 1 s, 2 s, ... */
    for (i = 0; i < 3; i++) {
        redeem(f, &res, &prof, 2, "10.0.0.1", "2222-2222-2222", NOW);
        assert_int_equal(res.status, 404);
    }
    redeem(f, &res, &prof, 2, "10.0.0.1", "Z8TMYQE6H578", NOW);
    assert_int_equal(res.status, 429);
    assert_string_equal(res.code, "too_many_attempts");
    assert_int_equal(res.retry_after, 1);
    assert_int_equal(count(f, "SELECT count(*) FROM customer "
                              "WHERE account_id IS NOT NULL"), 0);
    /* the address: 3 free failures; account 3 from the same address */
    redeem(f, &res, &prof, 3, "10.0.0.1", "2222-2222-2223", NOW + 10);
    assert_int_equal(res.status, 404);
    redeem(f, &res, &prof, 3, "10.0.0.1", "Z8TMYQE6H578", NOW + 10);
    assert_int_equal(res.status, 429);
    /* another address is free */
    redeem(f, &res, &prof, 3, "10.0.0.9", "Z8TMYQE6H578", NOW + 10);
    assert_int_equal(res.status, 201);
    /* a failure after the window starts the count again */
    redeem(f, &res, &prof, 2, "10.0.0.1", "2222-2222-2224", NOW + 2000);
    assert_int_equal(count(f, "SELECT failures FROM login_throttle "
                              "WHERE client_key = 'fsc-ip:10.0.0.1'"), 1);
}

static void test_session_kn(void **state)
{
    fx_t *f = *state;
    jc_session_t s;
    const char *token, *csrf;
    apr_int64_t exp;
    int expired = 0;

    assert_int_equal(jc_session_create(&f->db, &token, &csrf, &exp, 2,
                                       JC_SESS_AUTHENTICATED, NULL, &f->ctx.sess,
                                       NOW, f->pool), JC_DB_OK);
    assert_int_equal(jc_session_load_kn(&f->db, &s, &expired, token,
                                        &f->ctx.sess, NOW, f->pool),
                     JC_DB_OK);
    assert_null(s.kundennummer);
    exec_sql(f, "UPDATE customer SET account_id = 2 WHERE id = 2");
    assert_int_equal(jc_session_load_kn(&f->db, &s, &expired, token,
                                        &f->ctx.sess, NOW, f->pool),
                     JC_DB_OK);
    assert_string_equal(s.kundennummer, "122A123456");
    assert_int_equal(s.account_id, 2);
    /* the plain lookup does not read it */
    assert_int_equal(jc_session_load(&f->db, &s, &expired, token,
                                     &f->ctx.sess, NOW, f->pool), JC_DB_OK);
    assert_null(s.kundennummer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redeem, setup, unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_session_kn, setup,
                                        unit_fx_teardown),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

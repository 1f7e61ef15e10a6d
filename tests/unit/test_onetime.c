/* Unit tests for jc_onetime (issue 5): the one-time username, the staff
 * reset against a real SQLite database (what is revoked, what is written,
 * refusals that change nothing, a newer pair replacing the older), and
 * the forced flow's core steps (own password, address, confirmation). */

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

#include "jc_account.h"
#include "jc_customer.h"
#include "jc_jobcenter.h"
#include "jc_password.h"
#include "jc_onetime.h"
#include "jc_sql.h"
#include "jc_staff.h"
#include "jc_token.h"
#include "unit_fixture.h"

/* 2026-06-15 12:00 UTC */
#define NOW ((apr_int64_t)1781524800)

static void username_shape(void **state)
{
    int seen[9][10];
    apr_hash_t *all = apr_hash_make(pool);
    int i, d;

    (void)state;
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < 2000; i++) {
        const char *u = jc_onetime_username_new(pool);

        assert_non_null(u);
        assert_int_equal(strlen(u), 12);
        assert_memory_equal(u, "ba-", 3);
        for (d = 0; d < 9; d++) {
            assert_true(u[3 + d] >= '0' && u[3 + d] <= '9');
            seen[d][u[3 + d] - '0']++;
        }
        apr_hash_set(all, u, APR_HASH_KEY_STRING, u);
    }
    /* every digit at every position; practically no repeats */
    for (d = 0; d < 9; d++) {
        for (i = 0; i < 10; i++) {
            assert_true(seen[d][i] > 100);
        }
    }
    assert_true(apr_hash_count(all) >= 1995);
}

static const char *str1(jc_db_t *db, const char *q, apr_pool_t *p)
{
    return unit_db_str(db, q, p);
}

static apr_int64_t num(jc_db_t *db, const char *q, apr_pool_t *p)
{
    return unit_db_num(db, q, p);
}


static void ctx_init(jc_ctx_t *ctx, apr_pool_t *p)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->base_url = "https://portal.example";
    ctx->mail_from = "Jobcenter.Digital <noreply@example.org>";
    ctx->confirm_ttl = 86400;
    ctx->argon2.m_kib = 19456;
    ctx->argon2.t_cost = 2;
    ctx->argon2.lanes = 1;
    ctx->sess.idle = 1800;
    ctx->sess.max_life = 43200;
    ctx->sess.touch = 60;
    ctx->dummy_hash = jc_password_dummy_hash(&ctx->argon2, p);
}

/* Load the session of a cookie token. */
static jc_session_t load(jc_db_t *db, const jc_ctx_t *ctx, const char *token,
                         apr_int64_t now, apr_pool_t *p)
{
    jc_session_t s;
    int expired = 0;

    assert_int_equal(jc_session_load(db, &s, &expired, token, &ctx->sess,
                                     now, p), JC_DB_OK);
    return s;
}

static void reset_and_flow(void **state)
{
    const char *pcs[] = { "71332", NULL }, *pcs_b[] = { "73430", NULL };
    jc_jobcenter_in_t a = { "Jobcenter A", "S 1", "71332", "W", "1", "Mo",
                            pcs };
    jc_jobcenter_in_t b = { "Jobcenter B", "S 1", "73430", "A", "1", "Mo",
                            pcs_b };
    jc_staff_in_t sa = { "Jobcenter A", "a@example.org", "A", "leistung",
                         "sachbearbeitung" };
    jc_staff_in_t sb = { "Jobcenter B", "b@example.org", "B", "leistung",
                         "sachbearbeitung" };
    jc_customer_in_t cin = { "Frau", "Erika", "Mustermann", "1985-04-12",
                             "Bahnhofstraße 1", "71332", "Waiblingen" };
    jc_customer_in_t cin2 = cin;
    apr_int64_t ida, idb, acct_a, acct_b, citizen;
    jc_staff_t staff_a, staff_b;
    jc_customer_t cust, unbound, got;
    jc_onetime_out_t r1, r2;
    jc_login_out_t lo;
    jc_session_t s;
    jc_result_t res;
    jc_ctx_t ctx;
    const char *pw = "Neues-Passwort-123", *tok, *hash;
    apr_pool_t *p;
    jc_db_t db;
    int found = 0;

    (void)state;
    apr_pool_create(&p, pool);
    ctx_init(&ctx, p);
    unit_db_open(&db, ":memory:", p);
    jc_result_ok(&res);
    jc_jobcenter_add(&db, &res, &a, NOW, &ida, p);
    jc_jobcenter_add(&db, &res, &b, NOW, &idb, p);
    jc_staff_add(&db, &res, &sa, "$argon2id$x", NOW, NOW + 86400, &acct_a, p);
    jc_staff_add(&db, &res, &sb, "$argon2id$x", NOW, NOW + 86400, &acct_b, p);
    assert_int_equal(res.status, 200);
    assert_int_equal(jc_staff_load(&db, &staff_a, acct_a, p), JC_DB_OK);
    assert_int_equal(jc_staff_load(&db, &staff_b, acct_b, p), JC_DB_OK);
    jc_customer_create(&db, &res, &staff_a, &cin, NOW, &cust, p);
    cin2.family_name = "Musterfrau";
    jc_customer_create(&db, &res, &staff_a, &cin2, NOW, &unbound, p);
    assert_int_equal(res.status, 200);

    /* a citizen with a confirmed address, factors, sessions, a link */
    unit_db_execf(&db, p, "INSERT INTO account (email, password_hash, "
        "email_confirmed_at, created_at, updated_at) VALUES "
        "('erika@example.org', 'old', 1, 1, 1)");
    citizen = num(&db, "SELECT id FROM account WHERE email = "
                  "'erika@example.org'", p);
    unit_db_execf(&db, p, "UPDATE customer SET account_id = %"
        APR_INT64_T_FMT " WHERE id = %" APR_INT64_T_FMT, citizen, cust.id);
    unit_db_execf(&db, p, "INSERT INTO totp_factor (account_id, "
        "secret_sealed, confirmed_at, created_at) VALUES (%" APR_INT64_T_FMT
        ", 'v1.x', 1, 1)", citizen);
    unit_db_execf(&db, p, "INSERT INTO passkey (account_id, cred_id, "
        "public_key, alg, created_at) VALUES (%" APR_INT64_T_FMT
        ", 'cred', 'k', -7, 1)", citizen);
    unit_db_execf(&db, p, "INSERT INTO session (id_hash, account_id, state, "
        "csrf_token, created_at, last_seen, expires_at) VALUES ('s1', %"
        APR_INT64_T_FMT ", 6, 'c', 1, 1, 9999999999)", citizen);
    unit_db_execf(&db, p, "INSERT INTO email_token (token_hash, "
        "account_id, email, purpose, created_at, expires_at) VALUES ('t1', %"
        APR_INT64_T_FMT ", 'x@example.org', 'reset_email', 1, 9999999999)",
        citizen);

    /* refusals change nothing */
    jc_onetime_issue(&db, &res, &ctx, &staff_a, &unbound, 30 * 86400, NOW,
                   &r1, p);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "customer_unbound");
    jc_customer_get(&db, &res, staff_b.jobcenter_id, cust.id, &got, p);
    assert_int_equal(res.status, 404);
    /* staff B passing A's customer row: the scoped SELECT finds nothing */
    jc_onetime_issue(&db, &res, &ctx, &staff_b, &cust, 30 * 86400, NOW, &r1,
                   p);
    assert_int_equal(res.status, 409);
    assert_int_equal(num(&db, "SELECT count(*) FROM session", p), 1);

    /* the reset */
    jc_onetime_issue(&db, &res, &ctx, &staff_a, &cust, 30 * 86400, NOW, &r1,
                   p);
    assert_int_equal(res.status, 200);
    assert_int_equal(r1.account_id, citizen);
    assert_int_equal(r1.expires_at, NOW + 30 * 86400);
    assert_int_equal(jc_password_check(r1.password, strlen(r1.password),
                                       NULL, 0), 0);
    assert_memory_equal(r1.letter_user, "%PDF-", 5);
    assert_memory_equal(r1.letter_pass, "%PDF-", 5);
    assert_string_equal(str1(&db, apr_psprintf(p, "SELECT username FROM "
        "account WHERE id = %" APR_INT64_T_FMT, citizen), p), r1.username);
    assert_null(str1(&db, "SELECT email FROM account WHERE username IS NOT "
                     "NULL", p));
    assert_int_equal(jc_password_verify(str1(&db, "SELECT password_hash "
        "FROM account WHERE username IS NOT NULL", p), r1.password,
        strlen(r1.password)), APR_SUCCESS);
    assert_int_equal(num(&db, "SELECT password_change_required FROM account "
                         "WHERE username IS NOT NULL", p), 1);
    assert_int_equal(num(&db, "SELECT count(*) FROM totp_factor", p), 0);
    assert_int_equal(num(&db, "SELECT count(*) FROM passkey", p), 0);
    assert_int_equal(num(&db, "SELECT count(*) FROM session", p), 0);
    assert_int_equal(num(&db, "SELECT count(*) FROM email_token", p), 0);
    assert_int_equal(num(&db, "SELECT count(*) FROM staff_audit WHERE "
                         "action = 'credentials_reset'", p), 1);
    assert_int_equal(num(&db, "SELECT count(*) FROM event WHERE kind = "
                         "'credentials_reset'", p), 1);
    assert_int_equal(num(&db, "SELECT count(*) FROM mail_outbox WHERE "
                         "rcpt = 'erika@example.org'", p), 1);

    /* a newer pair replaces it; no address left, so no second notice */
    jc_onetime_issue(&db, &res, &ctx, &staff_a, &cust, 30 * 86400, NOW + 5,
                   &r2, p);
    assert_int_equal(res.status, 200);
    assert_string_not_equal(r1.username, r2.username);
    assert_int_equal(num(&db, apr_psprintf(p, "SELECT count(*) FROM account "
        "WHERE username = '%s'", r1.username), p), 0);
    assert_int_not_equal(jc_password_verify(str1(&db, "SELECT password_hash "
        "FROM account WHERE username IS NOT NULL", p), r1.password,
        strlen(r1.password)), APR_SUCCESS);
    assert_int_equal(num(&db, "SELECT count(*) FROM mail_outbox", p), 1);

    /* step 1: the one-time password is refused as the new one */
    assert_int_equal(jc_session_create(&db, &tok, &(const char *){ NULL },
                                       &(apr_int64_t){ 0 }, citizen,
                                       JC_SESS_PASSWORD_CHANGE_REQUIRED,
                                       NULL, &ctx.sess, NOW, p), JC_DB_OK);
    s = load(&db, &ctx, tok, NOW, p);
    jc_onetime_set_password(&db, &res, &lo, &ctx, &s, r2.password,
                          strlen(r2.password), r2.password,
                          strlen(r2.password), NOW, p);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "password_same");
    jc_result_ok(&res);
    jc_onetime_set_password(&db, &res, &lo, &ctx, &s, "kurz", 4, "kurz", 4,
                          NOW, p);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "validation_failed");
    json_decref(res.details);
    jc_result_ok(&res);
    jc_onetime_set_password(&db, &res, &lo, &ctx, &s, pw, strlen(pw), pw,
                          strlen(pw), NOW, p);
    assert_int_equal(res.status, 200);
    assert_int_equal(lo.state, JC_SESS_EMAIL_REQUIRED);
    assert_int_equal(num(&db, "SELECT password_change_required FROM account "
                         "WHERE username IS NOT NULL", p), 0);
    assert_null(str1(&db, "SELECT onetime_expires_at FROM account WHERE "
                     "username IS NOT NULL", p));
    /* the old session row is gone (rotation) */
    assert_int_equal(num(&db, apr_psprintf(p, "SELECT count(*) FROM session "
        "WHERE id_hash = '%s'", s.id_hash), p), 0);

    /* step 2: wrong state, then the address */
    jc_onetime_set_email(&db, &res, &ctx, &s, "neu@example.org", 1, NOW, p);
    assert_int_equal(res.status, 409);
    s = load(&db, &ctx, lo.token, NOW, p);
    jc_result_ok(&res);
    jc_onetime_set_email(&db, &res, &ctx, &s, "a@example.org", 1, NOW, p);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "email_taken");
    jc_result_ok(&res);
    jc_onetime_set_email(&db, &res, &ctx, &s, "neu@example.org", 0, NOW, p);
    assert_int_equal(res.status, 422);
    json_decref(res.details);
    jc_result_ok(&res);
    jc_onetime_set_email(&db, &res, &ctx, &s, " Neu@Example.org ", 1, NOW, p);
    assert_int_equal(res.status, 202);
    assert_string_equal(str1(&db, "SELECT email FROM email_token WHERE "
                             "purpose = 'reset_email'", p),
                        "neu@example.org");
    assert_null(str1(&db, "SELECT email FROM account WHERE username IS NOT "
                     "NULL", p));

    /* step 3: an unknown token is not ours; an expired one is refused */
    jc_onetime_confirm(&db, &res, &found, jc_token_hash("nope", 4, p), NOW, p);
    assert_int_equal(found, 0);
    hash = str1(&db, "SELECT token_hash FROM email_token WHERE purpose = "
                "'reset_email'", p);
    jc_onetime_confirm(&db, &res, &found, hash, NOW + 86400, p);
    assert_int_equal(found, 1);
    assert_int_equal(res.status, 410);
    assert_string_equal(res.code, "token_expired");
    jc_onetime_confirm(&db, &res, &found, hash, NOW + 60, p);
    assert_int_equal(res.status, 200);
    assert_string_equal(str1(&db, apr_psprintf(p, "SELECT email FROM account "
        "WHERE id = %" APR_INT64_T_FMT, citizen), p), "neu@example.org");
    assert_null(str1(&db, apr_psprintf(p, "SELECT username FROM account "
        "WHERE id = %" APR_INT64_T_FMT, citizen), p));
    assert_int_equal(num(&db, "SELECT count(*) FROM session", p), 0);
    jc_onetime_confirm(&db, &res, &found, hash, NOW + 61, p);
    assert_int_equal(res.status, 410);
    assert_string_equal(res.code, "token_used");

    /* a staff account bound to a customer is not reset here */
    unit_db_execf(&db, p, "UPDATE customer SET account_id = %"
        APR_INT64_T_FMT " WHERE id = %" APR_INT64_T_FMT, acct_a, unbound.id);
    jc_onetime_issue(&db, &res, &ctx, &staff_a, &unbound, 30 * 86400, NOW,
                   &r1, p);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "staff_account");
    jc_db_native_release(&db);
    apr_dbd_close(db.driver, db.handle);
    apr_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(username_shape),
        cmocka_unit_test(reset_and_flow),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

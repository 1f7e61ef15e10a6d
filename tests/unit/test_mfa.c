/* The TOTP second-factor flows (jc_mfa) against a real SQLite database
 * through apr_dbd, with the statements the module prepares: set-up (sealed
 * secret, replacing a pending one, never a confirmed one), confirmation
 * (session rotation, mail in the outbox, nothing written on a wrong code),
 * the login state after the password (one SELECT with the factor), the code
 * check with replay protection, throttling and lock, a secret copied to
 * another account, and the small helpers (code clean-up, key groups). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_dbd.h>

#include "unit_fixture.h"

#include "jc_account.h"
#include "jc_mfa.h"
#include "jc_secretbox.h"
#include "jc_sql.h"
#include "jc_token.h"
#include "jc_totp.h"

#define PW "Geheim-Passwort1"
#define T0 1800000000   /* a time step boundary: 60000000 * 30 */

typedef unit_fx_t fx_t;   /* pool, dir, db, ctx */

static int setup(void **state)
{
    static const unsigned char key[JC_SECRETBOX_KEY_LEN] = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
    };
    fx_t *f = unit_fx_new();
    jc_secretbox_t *box = NULL;

    assert_int_equal(jc_secretbox_make(&box, key, sizeof(key), f->pool),
                     APR_SUCCESS);
    unit_ctx_flows(&f->ctx, f->pool);
    f->ctx.secretbox = box;
    f->ctx.totp_issuer = "Jobcenter.Digital";
    *state = f;
    return 0;
}

static apr_int64_t count(fx_t *f, const char *sql)
{
    return unit_db_num(&f->db, sql, f->pool);
}

static const char *text(fx_t *f, const char *sql)
{
    return unit_db_str(&f->db, sql, f->pool);
}

static void exec_sql(fx_t *f, const char *sql)
{
    unit_db_exec(&f->db, sql);
}

/* A confirmed account that can log in. */
static void account(fx_t *f, const char *email)
{
    jc_register_in_t in;
    jc_result_t res;

    memset(&in, 0, sizeof(in));
    in.email = email;
    in.password = PW;
    in.password_len = strlen(PW);
    in.password_repeat = PW;
    in.password_repeat_len = strlen(PW);
    in.accept_terms = 1;
    in.accept_email = 1;
    jc_account_register(&f->db, &res, &f->ctx, &in, 1000, f->pool);
    assert_int_equal(res.status, 202);
    exec_sql(f, apr_psprintf(f->pool, "UPDATE account SET "
                             "email_confirmed_at = 1000 WHERE email = '%s'",
                             email));
}

/* Log in with the password at now; *s gets the loaded session. */
static void login(fx_t *f, jc_session_t *s, const char *email,
                  jc_sess_state_e want, apr_int64_t now)
{
    jc_result_t res;
    jc_login_out_t out;
    int expired;

    jc_account_login(&f->db, &res, &out, &f->ctx, email, PW, strlen(PW),
                     "127.0.0.1", NULL, NULL, now, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(out.state, want);
    assert_int_equal(jc_session_load(&f->db, s, &expired, out.token,
                                     &f->ctx.sess, now, f->pool), JC_DB_OK);
    assert_int_equal(s->state, want);
}

/* The code of the displayed key at now. */
static const char *code_at(fx_t *f, const char *grouped, apr_int64_t now)
{
    char code[JC_TOTP_CODE_SIZE];
    unsigned char *key;
    size_t keylen;

    assert_int_equal(jc_totp_base32_decode(&key, &keylen, grouped, f->pool),
                     APR_SUCCESS);
    assert_int_equal(keylen, JC_TOTP_SECRET_LEN);
    assert_int_equal(jc_totp_code(code, key, keylen, now, JC_TOTP_SHA1, 6),
                     APR_SUCCESS);
    return apr_pstrdup(f->pool, code);
}

/* A code of the key that is none of the three accepted at now. */
static const char *wrong_code(fx_t *f, const char *grouped, apr_int64_t now)
{
    static const char *const pick[] = { "000000", "111111", "222222",
                                        "333333" };
    const char *c0 = code_at(f, grouped, now - 30);
    const char *c1 = code_at(f, grouped, now);
    const char *c2 = code_at(f, grouped, now + 30);
    int i;

    for (i = 0; i < 4; i++) {
        if (strcmp(pick[i], c0) && strcmp(pick[i], c1)
            && strcmp(pick[i], c2)) {
            return pick[i];
        }
    }
    fail_msg("no wrong code found");
    return NULL;
}

/* Set up and confirm TOTP for email at T0; returns the displayed key. */
static const char *enrol(fx_t *f, const char *email)
{
    jc_result_t res;
    jc_login_out_t out;
    jc_totp_setup_t st;
    jc_session_t s;

    login(f, &s, email, JC_SESS_MFA_SETUP_REQUIRED, T0);
    jc_mfa_totp_setup(&f->db, &res, &st, &f->ctx, &s, T0, f->pool);
    assert_int_equal(res.status, 200);
    jc_mfa_totp_confirm(&f->db, &res, &out, &f->ctx, &s,
                        code_at(f, st.secret, T0), T0, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(out.state, JC_SESS_AUTHENTICATED);
    return st.secret;
}

static void test_helpers(void **state)
{
    fx_t *f = *state;

    assert_string_equal(jc_mfa_code_clean("123456", f->pool), "123456");
    assert_string_equal(jc_mfa_code_clean(" 123 456\t", f->pool), "123456");
    assert_string_equal(jc_mfa_code_clean("000000", f->pool), "000000");
    assert_null(jc_mfa_code_clean(NULL, f->pool));
    assert_null(jc_mfa_code_clean("", f->pool));
    assert_null(jc_mfa_code_clean("12345", f->pool));
    assert_null(jc_mfa_code_clean("1234567", f->pool));
    assert_null(jc_mfa_code_clean("12a456", f->pool));
    assert_null(jc_mfa_code_clean("123-456", f->pool));
    assert_null(jc_mfa_code_clean("１２３４５６", f->pool));
    assert_string_equal(jc_mfa_secret_groups("ABCDEFGHIJ", f->pool),
                        "ABCD EFGH IJ");
    assert_string_equal(jc_mfa_secret_groups("ABCD", f->pool), "ABCD");
    assert_string_equal(jc_mfa_secret_groups("", f->pool), "");
    assert_null(jc_mfa_secret_groups(NULL, f->pool));
}

static void test_setup(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_totp_setup_t st, st2;
    jc_session_t s;
    unsigned char *plain;
    size_t len;
    const char *sealed, *sealed2;
    apr_int64_t id;

    account(f, "max@example.org");
    login(f, &s, "max@example.org", JC_SESS_MFA_SETUP_REQUIRED, T0);
    id = s.account_id;
    jc_mfa_totp_setup(&f->db, &res, &st, &f->ctx, &s, T0, f->pool);
    assert_int_equal(res.status, 200);
    /* 32 base32 characters in 8 groups of 4 */
    assert_int_equal(strlen(st.secret), 39);
    assert_int_equal(st.secret[4], ' ');
    assert_non_null(strstr(st.otpauth_uri, "otpauth://totp/"
                           "Jobcenter.Digital:max%40example.org?secret="));
    assert_non_null(strstr(st.otpauth_uri, "&issuer=Jobcenter.Digital"));
    assert_int_equal(strncmp(st.qr_svg, "<svg ", 5), 0);
    /* stored sealed and pending; opens only with the account's context */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM totp_factor WHERE "
                              "confirmed_at IS NULL AND last_step = -1"), 1);
    sealed = text(f, "SELECT secret_sealed FROM totp_factor");
    assert_int_equal(strncmp(sealed, "v1.", 3), 0);
    assert_int_equal(jc_secretbox_open(&plain, &len, f->ctx.secretbox,
                                       sealed,
                                       apr_psprintf(f->pool, "totp:%"
                                                    APR_INT64_T_FMT, id),
                                       f->pool), APR_SUCCESS);
    assert_int_equal(len, JC_TOTP_SECRET_LEN);
    assert_int_equal(jc_secretbox_open(&plain, &len, f->ctx.secretbox,
                                       sealed, "totp:999", f->pool),
                     APR_EGENERAL);
    /* a second set-up replaces the pending secret */
    jc_mfa_totp_setup(&f->db, &res, &st2, &f->ctx, &s, T0 + 5, f->pool);
    assert_int_equal(res.status, 200);
    assert_string_not_equal(st.secret, st2.secret);
    sealed2 = text(f, "SELECT secret_sealed FROM totp_factor");
    assert_string_not_equal(sealed, sealed2);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM totp_factor"), 1);
    assert_int_equal(count(f, "SELECT created_at FROM totp_factor"), T0 + 5);
}

static void test_confirm(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_totp_setup_t st, st2;
    jc_session_t s, s2;
    int expired;

    account(f, "anna@example.org");
    login(f, &s, "anna@example.org", JC_SESS_MFA_SETUP_REQUIRED, T0);
    /* nothing to confirm yet */
    jc_mfa_totp_confirm(&f->db, &res, &out, &f->ctx, &s, "123456", T0,
                        f->pool);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "setup_missing");
    jc_mfa_totp_setup(&f->db, &res, &st, &f->ctx, &s, T0, f->pool);
    assert_int_equal(res.status, 200);

    jc_mfa_totp_confirm(&f->db, &res, &out, &f->ctx, &s, "12 34", T0,
                        f->pool);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "code_malformed");
    assert_string_equal(res.field, "code");
    jc_mfa_totp_confirm(&f->db, &res, &out, &f->ctx, &s,
                        wrong_code(f, st.secret, T0), T0, f->pool);
    assert_int_equal(res.status, 401);
    assert_string_equal(res.code, "code_invalid");
    assert_string_equal(res.message, "Der Code ist falsch oder abgelaufen.");
    /* a code two steps away is outside the window */
    jc_mfa_totp_confirm(&f->db, &res, &out, &f->ctx, &s,
                        code_at(f, st.secret, T0 + 60), T0, f->pool);
    assert_int_equal(res.status, 401);
    /* nothing was written by the failures */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM totp_factor WHERE "
                              "confirmed_at IS NULL"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE "
                              "subject = 'Zweiter Faktor eingerichtet'"), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 1);

    /* the previous step's code is accepted (±1), with spaces */
    jc_mfa_totp_confirm(&f->db, &res, &out, &f->ctx, &s,
                        apr_pstrcat(f->pool, " ",
                                    code_at(f, st.secret, T0 - 30), NULL),
                        T0, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(out.state, JC_SESS_AUTHENTICATED);
    assert_true(jc_token_wellformed(out.token));
    assert_true(jc_token_wellformed(out.csrf));
    assert_string_not_equal(out.csrf, s.csrf_token);
    assert_int_equal(count(f, "SELECT confirmed_at FROM totp_factor"), T0);
    assert_int_equal(count(f, "SELECT last_step FROM totp_factor"),
                     T0 / 30 - 1);
    /* rotation: the old session is gone, the new one is authenticated */
    assert_int_equal(count(f, apr_psprintf(f->pool, "SELECT COUNT(*) FROM "
                           "session WHERE id_hash = '%s'", s.id_hash)), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 1);
    assert_int_equal(jc_session_load(&f->db, &s2, &expired, out.token,
                                     &f->ctx.sess, T0, f->pool), JC_DB_OK);
    assert_int_equal(s2.state, JC_SESS_AUTHENTICATED);
    assert_string_equal(s2.csrf_token, out.csrf);
    /* the security mail is queued */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE "
                              "rcpt = 'anna@example.org' AND subject = "
                              "'Zweiter Faktor eingerichtet'"), 1);

    /* a confirmed factor is never replaced, whatever the session */
    jc_mfa_totp_setup(&f->db, &res, &st2, &f->ctx, &s2, T0, f->pool);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "factor_exists");
    jc_mfa_totp_confirm(&f->db, &res, &out, &f->ctx, &s2,
                        code_at(f, st.secret, T0), T0, f->pool);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "factor_exists");
    assert_int_equal(count(f, "SELECT COUNT(*) FROM totp_factor WHERE "
                              "confirmed_at IS NOT NULL"), 1);
}

static void test_verify_and_replay(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_session_t s, s2;
    const char *key;
    int expired;

    account(f, "lena@example.org");
    key = enrol(f, "lena@example.org");
    /* the password now leads to mfa_required */
    login(f, &s, "lena@example.org", JC_SESS_MFA_REQUIRED, T0 + 10);
    /* the code used for the set-up is spent (same step) */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, T0), T0 + 10, f->pool);
    assert_int_equal(res.status, 401);
    assert_string_equal(res.code, "code_used");
    assert_non_null(strstr(res.log, "replayed"));
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s, "12345", T0 + 10,
                       f->pool);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "code_malformed");

    /* next step: accepted, session rotated to authenticated */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, T0 + 30), T0 + 31, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(out.state, JC_SESS_AUTHENTICATED);
    assert_int_equal(count(f, "SELECT last_step FROM totp_factor"),
                     T0 / 30 + 1);
    assert_int_equal(count(f, "SELECT last_used_at FROM totp_factor"),
                     T0 + 31);
    assert_int_equal(count(f, apr_psprintf(f->pool, "SELECT COUNT(*) FROM "
                           "session WHERE id_hash = '%s'", s.id_hash)), 0);
    assert_int_equal(jc_session_load(&f->db, &s2, &expired, out.token,
                                     &f->ctx.sess, T0 + 31, f->pool),
                     JC_DB_OK);
    assert_int_equal(s2.state, JC_SESS_AUTHENTICATED);
    /* an authenticated session has nothing to verify */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s2,
                       code_at(f, key, T0 + 60), T0 + 60, f->pool);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "mfa_not_required");

    /* the same code in a fresh login (same step): replay */
    login(f, &s, "lena@example.org", JC_SESS_MFA_REQUIRED, T0 + 40);
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, T0 + 30), T0 + 40, f->pool);
    assert_int_equal(res.status, 401);
    assert_string_equal(res.code, "code_used");
    /* an older code within the window is a replay too (step < last) */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, T0), T0 + 40, f->pool);
    assert_int_equal(res.status, 401);
    assert_string_equal(res.code, "code_used");
    /* replays are not counted as wrong codes, the session stays */
    assert_int_equal(count(f, "SELECT failed_codes FROM totp_factor"), 0);
    assert_int_equal(count(f, apr_psprintf(f->pool, "SELECT state FROM "
                           "session WHERE id_hash = '%s'", s.id_hash)),
                     JC_SESS_MFA_REQUIRED);
    /* the session of a logout in between cannot be upgraded */
    exec_sql(f, apr_psprintf(f->pool, "DELETE FROM session WHERE "
                             "id_hash = '%s'", s.id_hash));
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, T0 + 60), T0 + 61, f->pool);
    assert_int_equal(res.status, 401);
    assert_string_equal(res.code, "not_authenticated");
    assert_int_equal(count(f, "SELECT last_step FROM totp_factor"),
                     T0 / 30 + 1);
}

static void test_verify_throttle(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_session_t s;
    const char *key, *bad;
    apr_int64_t now = T0 + 100;
    int i;

    account(f, "tom@example.org");
    key = enrol(f, "tom@example.org");
    login(f, &s, "tom@example.org", JC_SESS_MFA_REQUIRED, now);
    bad = wrong_code(f, key, now);
    /* free_failures 2: two wrong codes cost nothing */
    for (i = 0; i < 2; i++) {
        jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s, bad, now,
                           f->pool);
        assert_int_equal(res.status, 401);
        assert_string_equal(res.code, "code_invalid");
    }
    assert_int_equal(count(f, "SELECT blocked_until FROM totp_factor"), now);
    /* the third blocks for 1 s: even the right code is refused then */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s, bad, now, f->pool);
    assert_int_equal(res.status, 401);
    assert_int_equal(count(f, "SELECT failed_codes FROM totp_factor"), 3);
    assert_int_equal(count(f, "SELECT blocked_until FROM totp_factor"),
                     now + 1);
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, now), now, f->pool);
    assert_int_equal(res.status, 429);
    assert_string_equal(res.code, "too_many_attempts");
    assert_int_equal(res.retry_after, 1);
    /* 4th: 2 s; 5th = max_failures: locked for lock_secs */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s, bad, now + 1,
                       f->pool);
    assert_int_equal(res.status, 401);
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s, bad, now + 3,
                       f->pool);
    assert_int_equal(res.status, 401);
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, now + 4), now + 4, f->pool);
    assert_int_equal(res.status, 429);
    assert_string_equal(res.code, "account_locked");
    assert_int_equal(res.retry_after, 3600 - 1);
    /* after the lock the right code works and resets the count */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, now + 3603), now + 3603, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(count(f, "SELECT failed_codes FROM totp_factor"), 0);
    assert_int_equal(count(f, "SELECT blocked_until FROM totp_factor"), 0);
}

static void test_sealed_secret_is_bound_to_account(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_session_t s;
    const char *key;

    account(f, "eva@example.org");
    account(f, "mallory@example.org");
    key = enrol(f, "eva@example.org");
    (void)enrol(f, "mallory@example.org");
    /* Eva's sealed secret copied into Mallory's row does not open */
    exec_sql(f, "UPDATE totp_factor SET secret_sealed = (SELECT "
                "t.secret_sealed FROM totp_factor t JOIN account a ON "
                "a.id = t.account_id WHERE a.email = 'eva@example.org') "
                "WHERE account_id = (SELECT id FROM account WHERE "
                "email = 'mallory@example.org')");
    login(f, &s, "mallory@example.org", JC_SESS_MFA_REQUIRED, T0 + 300);
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, key, T0 + 300), T0 + 300, f->pool);
    assert_int_equal(res.status, 500);
    assert_non_null(strstr(res.log, "does not open"));
}

static void test_setup_pending_then_login(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_totp_setup_t st;
    jc_session_t s;

    /* an unconfirmed set-up is no factor: the next login asks for set-up
     * again, and verify refuses */
    account(f, "paul@example.org");
    login(f, &s, "paul@example.org", JC_SESS_MFA_SETUP_REQUIRED, T0);
    jc_mfa_totp_setup(&f->db, &res, &st, &f->ctx, &s, T0, f->pool);
    assert_int_equal(res.status, 200);
    login(f, &s, "paul@example.org", JC_SESS_MFA_SETUP_REQUIRED, T0 + 1);
    s.state = JC_SESS_MFA_REQUIRED;   /* as if forged: still refused */
    jc_mfa_totp_verify(&f->db, &res, &out, &f->ctx, &s,
                       code_at(f, st.secret, T0 + 1), T0 + 1, f->pool);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "factor_missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_helpers, setup, unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_setup, setup, unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_confirm, setup, unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_and_replay, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_throttle, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_sealed_secret_is_bound_to_account,
                                        setup, unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_setup_pending_then_login, setup,
                                        unit_fx_teardown),
    };

    return cmocka_run_group_tests(tests, unit_curl_group_setup,
                                  unit_curl_group_teardown);
}

/* The one set-password path (jc_setpw): the hash step (rules, "not the
 * old one", Argon2id) and the store step (hash, sessions, reset links,
 * event, notice) against a real SQLite database. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <apr_strings.h>

#include "unit_fixture.h"

#include "jc_event.h"
#include "jc_forgot.h"
#include "jc_setpw.h"
#include "jc_token.h"

#define PW  "Geheim-Passwort1"
#define PW2 "Anderes-Passwort2"

typedef unit_fx_t fx_t;

static int setup(void **state)
{
    fx_t *f = unit_fx_new();

    unit_ctx_flows(&f->ctx, f->pool);
    *state = f;
    return 0;
}

static apr_int64_t count(fx_t *f, const char *sql)
{
    return unit_db_num(&f->db, sql, f->pool);
}

/* A registered account (id returned) with two sessions (*keep: the id
 * hash of the first) and an open "Passwort vergessen" link. */
static apr_int64_t account(fx_t *f, const char **keep)
{
    jc_register_in_t in;
    jc_result_t res;
    const char *tok, *csrf;
    apr_int64_t id, exp;
    int i;

    memset(&in, 0, sizeof(in));
    in.email = "erika@example.org";
    in.password = in.password_repeat = PW;
    in.password_len = in.password_repeat_len = strlen(PW);
    in.accept_terms = in.accept_email = 1;
    jc_account_register(&f->db, &res, &f->ctx, &in, 1000, f->pool);
    assert_int_equal(res.status, 202);
    id = count(f, "SELECT id FROM account");
    for (i = 0; i < 2; i++) {
        assert_int_equal(jc_session_create(&f->db, &tok, &csrf, &exp, id,
                                           JC_SESS_AUTHENTICATED, NULL,
                                           &f->ctx.sess, 1000, f->pool),
                         JC_DB_OK);
        if (i == 0) {
            *keep = jc_token_hash(tok, strlen(tok), f->pool);
        }
    }
    assert_int_equal(jc_account_token_put(&f->db, id, "h", in.email,
                                          JC_PURPOSE_RESET, 1000, 5000,
                                          f->pool), JC_DB_OK);
    return id;
}

static void test_hash_step(void **state)
{
    fx_t *f = *state;
    jc_setpw_t sp;
    jc_result_t res;
    const char *old;

    /* the rules, with their details */
    memset(&sp, 0, sizeof(sp));
    sp.pw = "kurz";
    sp.pwlen = 4;
    sp.repeat = "kurz";
    sp.repeat_len = 4;
    jc_result_ok(&res);
    assert_int_not_equal(jc_setpw_hash(&res, &f->ctx, &sp, f->pool), 0);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "validation_failed");
    assert_null(sp.phc);
    json_decref(res.details);

    /* a hash */
    sp.pw = sp.repeat = PW;
    sp.pwlen = sp.repeat_len = strlen(PW);
    jc_result_ok(&res);
    assert_int_equal(jc_setpw_hash(&res, &f->ctx, &sp, f->pool), 0);
    assert_non_null(sp.phc);
    assert_int_equal(jc_password_verify(sp.phc, PW, strlen(PW)),
                     APR_SUCCESS);
    old = sp.phc;

    /* not the old one: the flow's message */
    sp.same_phc = old;
    sp.same_msg = "Nicht das alte.";
    jc_result_ok(&res);
    assert_int_not_equal(jc_setpw_hash(&res, &f->ctx, &sp, f->pool), 0);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "password_same");
    assert_string_equal(res.message, "Nicht das alte.");
    assert_string_equal(res.field, "password");

    /* a generated password skips the rules */
    memset(&sp, 0, sizeof(sp));
    sp.pw = "x";
    sp.pwlen = 1;
    sp.skip_rules = 1;
    jc_result_ok(&res);
    assert_int_equal(jc_setpw_hash(&res, &f->ctx, &sp, f->pool), 0);
    assert_non_null(sp.phc);
}

static void test_store_end_others(void **state)
{
    fx_t *f = *state;
    jc_setpw_t sp;
    jc_result_t res;
    const char *keep, *phc;
    apr_int64_t id = account(f, &keep);

    memset(&sp, 0, sizeof(sp));
    sp.pw = sp.repeat = PW2;
    sp.pwlen = sp.repeat_len = strlen(PW2);
    jc_result_ok(&res);
    assert_int_equal(jc_setpw_hash(&res, &f->ctx, &sp, f->pool), 0);
    sp.account = id;
    sp.sessions = JC_SETPW_SESSIONS_END_OTHERS;
    sp.keep_session = keep;
    sp.drop_reset_links = 1;
    sp.event = JC_EV_PASSWORD_CHANGED;
    sp.notify = 1;
    sp.notice = jc_forgot_notice(&f->ctx, "erika@example.org", "Betreff",
                                 "Text.", 2000, f->pool);
    assert_int_equal(jc_db_begin(&f->db, f->pool), JC_DB_OK);
    assert_int_equal(jc_setpw_store(&f->db, &sp, 2000, f->pool), JC_DB_OK);
    assert_int_equal(jc_db_commit(&f->db, f->pool), JC_DB_OK);

    phc = unit_db_str(&f->db, "SELECT password_hash FROM account",
                      f->pool);
    assert_int_equal(jc_password_verify(phc, PW2, strlen(PW2)),
                     APR_SUCCESS);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 1);
    assert_int_equal(count(f, apr_psprintf(f->pool, "SELECT COUNT(*) FROM "
                                           "session WHERE id_hash = '%s'",
                                           keep)), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM email_token "
                              "WHERE purpose = 'reset'"), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM event "
                              "WHERE kind = 'password_changed'"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox "
                              "WHERE subject = 'Betreff'"), 1);
}

static void test_store_written_end_all(void **state)
{
    fx_t *f = *state;
    jc_setpw_t sp;
    const char *keep, *before;
    apr_int64_t id = account(f, &keep);

    /* the flow's own statement wrote the hash: the row stays as it is */
    before = unit_db_str(&f->db, "SELECT password_hash FROM account",
                         f->pool);
    memset(&sp, 0, sizeof(sp));
    sp.account = id;
    sp.written = 1;
    sp.sessions = JC_SETPW_SESSIONS_END_ALL;
    sp.event = JC_EV_PASSWORD_RESET;
    assert_int_equal(jc_db_begin(&f->db, f->pool), JC_DB_OK);
    assert_int_equal(jc_setpw_store(&f->db, &sp, 2000, f->pool), JC_DB_OK);
    assert_int_equal(jc_db_commit(&f->db, f->pool), JC_DB_OK);
    assert_string_equal(unit_db_str(&f->db, "SELECT password_hash FROM "
                                    "account", f->pool), before);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 0);
    /* links stay unless asked for; no mail unless asked for */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM email_token "
                              "WHERE purpose = 'reset'"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox "
                              "WHERE subject = 'Betreff'"), 0);
}

static void test_store_notice_missing(void **state)
{
    fx_t *f = *state;
    jc_setpw_t sp;
    const char *keep;
    apr_int64_t id = account(f, &keep);

    /* a notice that could not be composed fails the change */
    memset(&sp, 0, sizeof(sp));
    sp.account = id;
    sp.written = 1;
    sp.notify = 1;
    assert_int_equal(jc_db_begin(&f->db, f->pool), JC_DB_OK);
    assert_int_equal(jc_setpw_store(&f->db, &sp, 2000, f->pool),
                     JC_DB_ERROR);
    jc_db_rollback(&f->db, f->pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hash_step, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_store_end_others, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_store_written_end_all, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_store_notice_missing, setup,
                                        unit_fx_teardown),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

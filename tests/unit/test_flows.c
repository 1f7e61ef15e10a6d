/* Core flows against a real SQLite database through apr_dbd (the same
 * driver and statements the module uses through mod_dbd): registration,
 * confirmation, login with throttling, sessions with idle/lifetime expiry,
 * the outbox. Also the small parsers: cookies, throttle arithmetic. */
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
#include <apr_file_io.h>
#include <apr_dbd.h>

#include "unit_fixture.h"

#include "jc_account.h"
#include "jc_cookie.h"
#include "jc_json.h"
#include "jc_outbox.h"
#include "jc_purge.h"
#include "jc_sql.h"
#include "jc_throttle.h"
#include "jc_token.h"

#define PW "Geheim-Passwort1"

typedef unit_fx_t fx_t;   /* pool, dir, db, ctx */

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

static void exec_sql(fx_t *f, const char *sql)
{
    unit_db_exec(&f->db, sql);
}

static void reg(fx_t *f, jc_result_t *res, const char *email, const char *pw,
                int terms)
{
    jc_register_in_t in;

    memset(&in, 0, sizeof(in));
    in.email = email;
    in.password = pw;
    in.password_len = strlen(pw);
    in.password_repeat = pw;
    in.password_repeat_len = strlen(pw);
    in.accept_terms = terms;
    in.accept_email = 1;
    jc_account_register(&f->db, res, &f->ctx, &in, 1000, f->pool);
}

static void test_register_and_confirm(void **state)
{
    fx_t *f = *state;
    jc_result_t res;

    reg(f, &res, "  Max@Example.ORG ", PW, 1);
    assert_int_equal(res.status, 202);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM account "
                              "WHERE email = 'max@example.org' "
                              "AND email_confirmed_at IS NULL"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM email_token"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox "
                              "WHERE rcpt = 'max@example.org'"), 1);

    /* bad input changes nothing */
    reg(f, &res, "other@example.org", PW, 0);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "validation_failed");
    assert_int_equal(json_array_size(res.details), 1);
    json_decref(res.details);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM account"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox"), 1);

    /* unknown token */
    jc_account_confirm(&f->db, &res, &f->ctx,
                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1001,
                       f->pool);
    assert_int_equal(res.status, 404);
    assert_string_equal(res.code, "token_invalid");
}

static void test_confirm_token_states(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    const char *tok = "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy";
    const char *hash = jc_token_hash(tok, strlen(tok), f->pool);

    reg(f, &res, "anna@example.org", PW, 1);
    assert_int_equal(res.status, 202);
    /* plant a token we know (the mailed one is only in the mail) */
    exec_sql(f, apr_psprintf(f->pool, "INSERT INTO email_token VALUES ('%s', "
                             "1, 'anna@example.org', 'confirm', 1000, 2000, "
                             "NULL)", hash));
    jc_account_confirm(&f->db, &res, &f->ctx, tok, 2000, f->pool);
    assert_int_equal(res.status, 410);
    assert_string_equal(res.code, "token_expired");
    assert_int_equal(count(f, "SELECT COUNT(*) FROM account "
                              "WHERE email_confirmed_at IS NULL"), 1);
    jc_account_confirm(&f->db, &res, &f->ctx, tok, 1999, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(count(f, "SELECT email_confirmed_at FROM account"),
                     1999);
    jc_account_confirm(&f->db, &res, &f->ctx, tok, 1999, f->pool);
    assert_int_equal(res.status, 410);
    assert_string_equal(res.code, "token_used");
}

static void test_login_flow(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_session_t s;
    int expired, i;

    reg(f, &res, "lena@example.org", PW, 1);
    assert_int_equal(res.status, 202);
    jc_account_login(&f->db, &res, &out, &f->ctx, "lena@example.org", PW,
                     strlen(PW), "127.0.0.1", NULL, NULL, 1100, f->pool);
    assert_int_equal(res.status, 403);
    assert_string_equal(res.code, "email_unconfirmed");
    exec_sql(f, "UPDATE account SET email_confirmed_at = 1000");

    jc_account_login(&f->db, &res, &out, &f->ctx, "LENA@example.org", PW,
                     strlen(PW), "127.0.0.1", NULL, NULL, 1100, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(out.state, JC_SESS_MFA_SETUP_REQUIRED);
    assert_true(jc_token_wellformed(out.token));
    assert_int_equal(strlen(out.token), 43);
    /* only the hash is stored */
    assert_int_equal(count(f, apr_psprintf(f->pool, "SELECT COUNT(*) FROM "
                           "session WHERE id_hash = '%s'", out.token)), 0);

    assert_int_equal(jc_session_load(&f->db, &s, &expired, out.token,
                                     &f->ctx.sess, 1200, f->pool), JC_DB_OK);
    assert_string_equal(s.email, "lena@example.org");
    assert_string_equal(s.csrf_token, out.csrf);
    /* touched at 1200 (older than 60 s); at 1230 no write is needed */
    assert_int_equal(count(f, "SELECT last_seen FROM session"), 1200);
    assert_int_equal(jc_session_load(&f->db, &s, &expired, out.token,
                                     &f->ctx.sess, 1230, f->pool), JC_DB_OK);
    assert_int_equal(count(f, "SELECT last_seen FROM session"), 1200);
    /* idle expiry deletes the row */
    assert_int_equal(jc_session_load(&f->db, &s, &expired, out.token,
                                     &f->ctx.sess, 1200 + 1800, f->pool),
                     JC_DB_NOROW);
    assert_int_equal(expired, 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 0);

    /* wrong passwords: 2 free, then delays; the right one is refused
     * while blocked */
    for (i = 0; i < 3; i++) {
        jc_account_login(&f->db, &res, &out, &f->ctx, "lena@example.org",
                         "Falsch-Passwort1", 16, "10.0.0.1", NULL, NULL, 1300,
                         f->pool);
        assert_int_equal(res.status, 401);
        assert_string_equal(res.code, "invalid_credentials");
    }
    jc_account_login(&f->db, &res, &out, &f->ctx, "lena@example.org", PW,
                     strlen(PW), "10.0.0.1", NULL, NULL, 1300, f->pool);
    assert_int_equal(res.status, 429);
    assert_string_equal(res.code, "too_many_attempts");
    assert_true(res.retry_after >= 1);
    jc_account_login(&f->db, &res, &out, &f->ctx, "lena@example.org", PW,
                     strlen(PW), "10.0.0.1", NULL, NULL, 1302, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(count(f, "SELECT failed_logins FROM account"), 0);

    /* by username (accounts from one-time credential letters) */
    exec_sql(f, "UPDATE account SET username = 'ba-514466234'");
    jc_account_login(&f->db, &res, &out, &f->ctx, "ba-514466234", PW,
                     strlen(PW), "10.0.0.1", NULL, NULL, 1303, f->pool);
    assert_int_equal(res.status, 200);
    jc_account_login(&f->db, &res, &out, &f->ctx, "ba-514466235", PW,
                     strlen(PW), "10.0.0.1", NULL, NULL, 1303, f->pool);
    assert_int_equal(res.status, 401);

    /* unknown user: same answer */
    jc_account_login(&f->db, &res, &out, &f->ctx, "nobody@example.org", PW,
                     strlen(PW), "10.0.0.2", NULL, NULL, 1400, f->pool);
    assert_int_equal(res.status, 401);
    assert_string_equal(res.code, "invalid_credentials");
}

static void test_lifetime(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_session_t s;
    int expired, t;

    reg(f, &res, "tom@example.org", PW, 1);
    exec_sql(f, "UPDATE account SET email_confirmed_at = 1000");
    f->ctx.sess.idle = 100;
    f->ctx.sess.max_life = 300;
    f->ctx.sess.touch = 10;
    jc_account_login(&f->db, &res, &out, &f->ctx, "tom@example.org", PW,
                     strlen(PW), "127.0.0.1", NULL, NULL, 1000, f->pool);
    assert_int_equal(res.status, 200);
    for (t = 1050; t < 1300; t += 50) {
        assert_int_equal(jc_session_load(&f->db, &s, &expired, out.token,
                                         &f->ctx.sess, t, f->pool),
                         JC_DB_OK);
    }
    assert_int_equal(jc_session_load(&f->db, &s, &expired, out.token,
                                     &f->ctx.sess, 1300, f->pool),
                     JC_DB_NOROW);
    assert_int_equal(expired, 1);
}

static void test_outbox_spool_and_backoff(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_outbox_cfg_t cfg;
    int sent, failed;

    memset(&cfg, 0, sizeof(cfg));
    cfg.transport = JC_MAIL_SPOOL;
    cfg.spool_dir = apr_pstrcat(f->pool, f->dir, "/missing", NULL);
    cfg.retry_base = 30;
    cfg.retry_max = 3600;
    reg(f, &res, "eva@example.org", PW, 1);
    /* spool directory missing: kept, retried later */
    assert_int_equal(jc_outbox_deliver_due(&f->db, &sent, &failed, &cfg, "n1",
                                           1000, NULL, NULL, f->pool),
                     JC_DB_OK);
    assert_int_equal(failed, 1);
    assert_int_equal(count(f, "SELECT next_attempt_at FROM mail_outbox"),
                     1030);
    assert_int_equal(jc_outbox_deliver_due(&f->db, &sent, &failed, &cfg, "n1",
                                           1010, NULL, NULL, f->pool),
                     JC_DB_OK);
    assert_int_equal(sent + failed, 0);
    cfg.spool_dir = f->dir;
    assert_int_equal(jc_outbox_deliver_due(&f->db, &sent, &failed, &cfg, "n1",
                                           1030, NULL, NULL, f->pool),
                     JC_DB_OK);
    assert_int_equal(sent, 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox "
                              "WHERE sent_at = 1030 AND attempts = 2"), 1);
    assert_int_equal(access(apr_pstrcat(f->pool, f->dir,
                                        "/mail-0000000001.eml", NULL), R_OK),
                     0);
    assert_int_equal(jc_outbox_backoff(&cfg, 1), 30);
    assert_int_equal(jc_outbox_backoff(&cfg, 3), 120);
    assert_int_equal(jc_outbox_backoff(&cfg, 40), 3600);
}

/* Claims: one node per mail; a claim is taken over only after its lease;
 * outcomes only by the owner; a permanent refusal parks the mail; an
 * outcome the database did not take is kept and recorded later. */
static void test_outbox_claims(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_outbox_cfg_t cfg;
    jc_outbox_item_t *items;
    jc_outbox_unrec_t u;
    int n, claimed, recorded;

    memset(&cfg, 0, sizeof(cfg));
    cfg.transport = JC_MAIL_SPOOL;
    cfg.spool_dir = f->dir;
    cfg.retry_base = 30;
    cfg.retry_max = 3600;
    cfg.lease = 100;
    reg(f, &res, "claim@example.org", PW, 1);
    assert_int_equal(jc_outbox_fetch_due(&f->db, &items, &n, 1000, f->pool),
                     JC_DB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jc_outbox_claim(&f->db, &claimed, &items[0], "a", &cfg,
                                     1000, f->pool), JC_DB_OK);
    assert_int_equal(claimed, 1);
    /* node b: neither a candidate nor claimable while a's lease runs */
    assert_int_equal(jc_outbox_claim(&f->db, &claimed, &items[0], "b", &cfg,
                                     1050, f->pool), JC_DB_OK);
    assert_int_equal(claimed, 0);
    assert_int_equal(jc_outbox_fetch_due(&f->db, &items, &n, 1099, f->pool),
                     JC_DB_OK);
    assert_int_equal(n, 0);
    /* a died: b takes the mail over after the lease */
    assert_int_equal(jc_outbox_fetch_due(&f->db, &items, &n, 1100, f->pool),
                     JC_DB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jc_outbox_claim(&f->db, &claimed, &items[0], "b", &cfg,
                                     1100, f->pool), JC_DB_OK);
    assert_int_equal(claimed, 1);
    /* a's late outcome changes nothing */
    assert_int_equal(jc_outbox_record(&f->db, &recorded, &items[0],
                                      JC_OUTBOX_SENT, NULL, "a", &cfg, 1101,
                                      f->pool), JC_DB_OK);
    assert_int_equal(recorded, 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE "
                              "sent_at IS NULL AND claim_owner = 'b'"), 1);
    /* b parks it (refused for good): never due again */
    assert_int_equal(jc_outbox_record(&f->db, &recorded, &items[0],
                                      JC_OUTBOX_PARK, "SMTP 550", "b", &cfg,
                                      1102, f->pool), JC_DB_OK);
    assert_int_equal(recorded, 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE "
                              "parked_at = 1102 AND claim_owner IS NULL "
                              "AND attempts = 1 AND last_error = "
                              "'SMTP 550'"), 1);
    assert_int_equal(jc_outbox_fetch_due(&f->db, &items, &n, 99999,
                                         f->pool), JC_DB_OK);
    assert_int_equal(n, 0);

    /* an outcome kept in memory is recorded by the flush, with its time */
    exec_sql(f, "UPDATE mail_outbox SET parked_at = NULL");
    assert_int_equal(jc_outbox_fetch_due(&f->db, &items, &n, 2000, f->pool),
                     JC_DB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jc_outbox_claim(&f->db, &claimed, &items[0], "c", &cfg,
                                     2000, f->pool), JC_DB_OK);
    assert_int_equal(claimed, 1);
    memset(&u, 0, sizeof(u));
    assert_int_equal(jc_outbox_unrec_add(&u, &items[0], JC_OUTBOX_SENT,
                                         NULL, 2001), 0);
    assert_int_equal(jc_outbox_unrec_has(&u, items[0].id), 1);
    /* not before the next second */
    assert_int_equal(jc_outbox_unrec_flush(&f->db, &u, "c", &cfg, 2001,
                                           f->pool), JC_DB_OK);
    assert_int_equal(u.n, 1);
    assert_int_equal(jc_outbox_unrec_flush(&f->db, &u, "c", &cfg, 2002,
                                           f->pool), JC_DB_OK);
    assert_int_equal(u.n, 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE "
                              "sent_at = 2001 AND claim_owner IS NULL"), 1);
}

static void test_purge(void **state)
{
    fx_t *f = *state;
    jc_result_t res;
    jc_login_out_t out;
    jc_purge_cfg_t cfg = { 1800, 3600, 604800, 86400 };
    const char *label;
    int rows;

    reg(f, &res, "old@example.org", PW, 1);          /* at 1000 */
    reg(f, &res, "kept@example.org", PW, 1);
    exec_sql(f, "UPDATE account SET email_confirmed_at = 1000 "
                "WHERE email = 'kept@example.org'");
    jc_account_login(&f->db, &res, &out, &f->ctx, "kept@example.org", PW,
                     strlen(PW), "127.0.0.1", NULL, NULL, 1000, f->pool);
    assert_int_equal(res.status, 200);
    /* nothing is old enough yet */
    assert_int_equal(jc_purge_run(&f->db, &rows, &label, NULL, &cfg, 2000,
                                  f->pool), JC_DB_OK);
    assert_int_equal(rows, 0);
    /* a day later: the unconfirmed account, its link and the idle session
     * are gone; the confirmed account stays */
    assert_int_equal(jc_purge_run(&f->db, &rows, &label, NULL, &cfg,
                                  1000 + 86401, f->pool), JC_DB_OK);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM account"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM account "
                              "WHERE email = 'kept@example.org'"), 1);
    /* the kept account's link stays until it has been expired for the
     * purge period (so a reused link still says "already used") */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM email_token"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 0);
    assert_true(rows >= 3);
    assert_int_equal(jc_purge_run(&f->db, &rows, &label, NULL, &cfg,
                                  1000 + 2 * 86400 + 1, f->pool), JC_DB_OK);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM email_token"), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM account"), 1);
}

/* A backlog larger than one batch goes in batches of JC_PURGE_BATCH: all
 * of it within one run, the live rows stay. */
static void test_purge_batches(void **state)
{
    fx_t *f = *state;
    jc_purge_cfg_t cfg = { 1800, 3600, 604800, 86400 };
    apr_interval_time_t longest = -1;
    const char *label;
    int rows;

    exec_sql(f, "INSERT INTO account (id, email, password_hash, "
                "email_confirmed_at, created_at, updated_at) "
                "VALUES (77, 'b@example.org', 'x', 1, 1, 1)");
    exec_sql(f, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                "FROM n WHERE i < 1234) INSERT INTO session (id_hash, "
                "account_id, state, csrf_token, created_at, last_seen, "
                "expires_at) SELECT 'h' || i, 77, 0, 'c', 1, 5000, "
                "CASE WHEN i <= 1101 THEN 10 ELSE 9000 END FROM n");
    assert_int_equal(jc_purge_run(&f->db, &rows, &label, &longest, &cfg,
                                  5000, f->pool), JC_DB_OK);
    assert_int_equal(rows, 1101);
    assert_true(longest >= 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 133);
    /* idle: last_seen 5000 is older than 1800 s at 7000 */
    assert_int_equal(jc_purge_run(&f->db, &rows, &label, NULL, &cfg,
                                  7000, f->pool), JC_DB_OK);
    assert_int_equal(rows, 133);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM session"), 0);
}

/* Unconfirmed accounts go JC_PURGE_ACCT_BATCH at a time (their links
 * first): a backlog of several such batches all within one run, the
 * confirmed account stays. */
static void test_purge_account_batches(void **state)
{
    fx_t *f = *state;
    jc_purge_cfg_t cfg = { 1800, 3600, 604800, 86400 };
    const char *label;
    int rows, due = 2 * JC_PURGE_ACCT_BATCH + 3;
    char sql[512];

    exec_sql(f, "INSERT INTO account (id, email, password_hash, "
                "email_confirmed_at, created_at, updated_at) "
                "VALUES (77, 'b@example.org', 'x', 1, 1, 1)");
    snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
             "SELECT i + 1 FROM n WHERE i < %d) INSERT INTO account (id, "
             "email, password_hash, created_at, updated_at) SELECT 100 + i, "
             "'u' || i || '@example.org', 'x', 10, 10 FROM n", due);
    exec_sql(f, sql);
    exec_sql(f, "INSERT INTO email_token (token_hash, account_id, email, "
                "purpose, created_at, expires_at) SELECT 't' || id, id, "
                "email, 'confirm', 10, 100000 FROM account WHERE id > 100");
    assert_int_equal(jc_purge_run(&f->db, &rows, &label, NULL, &cfg,
                                  10 + 86401, f->pool), JC_DB_OK);
    assert_int_equal(rows, 2 * due);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM account"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM email_token"), 0);
}

static void test_cookie(void **state)
{
    apr_pool_t *p;

    (void)state;
    apr_pool_create(&p, NULL);
    assert_string_equal(jc_cookie_get("a=1; jc_session=xyz; b=2",
                                      "jc_session", p), "xyz");
    assert_string_equal(jc_cookie_get("jc_session=\"q\"", "jc_session", p),
                        "q");
    assert_null(jc_cookie_get("xjc_session=1", "jc_session", p));
    assert_null(jc_cookie_get("jc_session=", "jc_session", p));
    assert_null(jc_cookie_get("jc_sessionx=1", "jc_session", p));
    assert_null(jc_cookie_get("", "jc_session", p));
    assert_null(jc_cookie_get(";;;", "jc_session", p));
    assert_string_equal(jc_cookie_get("__Host-jc_session=a;jc_session=b",
                                      "__Host-jc_session", p), "a");
    apr_pool_destroy(p);
}

static void test_json_quote(void **state)
{
    apr_pool_t *p;

    (void)state;
    apr_pool_create(&p, NULL);
    assert_string_equal(jc_json_quote(NULL, p), "null");
    assert_string_equal(jc_json_quote("", p), "\"\"");
    assert_string_equal(jc_json_quote("a\"b\\c", p), "\"a\\\"b\\\\c\"");
    assert_string_equal(jc_json_quote("x\n\x01y", p), "\"x\\u000a\\u0001y\"");
    assert_string_equal(jc_json_quote("M\xc3\xbcller", p),
                        "\"M\xc3\xbcller\"");
    apr_pool_destroy(p);
}

static void test_throttle(void **state)
{
    jc_throttle_cfg_t c = { 5, 100, 900, 3600 };

    (void)state;
    assert_int_equal(jc_throttle_delay(&c, 5), 0);
    assert_int_equal(jc_throttle_delay(&c, 6), 1);
    assert_int_equal(jc_throttle_delay(&c, 7), 2);
    assert_int_equal(jc_throttle_delay(&c, 15), 512);
    assert_int_equal(jc_throttle_delay(&c, 16), 900);
    assert_int_equal(jc_throttle_delay(&c, 99), 900);
    assert_int_equal(jc_throttle_delay(&c, 100), 3600);
    c.max_failures = 0;
    assert_int_equal(jc_throttle_delay(&c, 1000), 900);
}

static void test_states(void **state)
{
    (void)state;
    assert_int_equal(jc_session_after_password(1, 1, 1),
                     JC_SESS_PASSWORD_CHANGE_REQUIRED);
    assert_int_equal(jc_session_after_password(0, 0, 0),
                     JC_SESS_EMAIL_REQUIRED);
    assert_int_equal(jc_session_after_password(0, 1, 0),
                     JC_SESS_MFA_SETUP_REQUIRED);
    assert_int_equal(jc_session_after_password(0, 1, 1),
                     JC_SESS_MFA_REQUIRED);
    assert_true(jc_session_level(JC_SESS_AUTHENTICATED)
                > jc_session_level(JC_SESS_MFA_REQUIRED));
    assert_int_equal(jc_session_level(JC_SESS_MFA_REQUIRED),
                     jc_session_level(JC_SESS_MFA_SETUP_REQUIRED));
    assert_int_equal(jc_session_level((jc_sess_state_e)77), 0);
    assert_string_equal(jc_session_state_name(JC_SESS_MFA_SETUP_REQUIRED),
                        "mfa_setup_required");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_and_confirm, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_confirm_token_states, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_login_flow, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_lifetime, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_spool_and_backoff, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_claims, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_purge, setup, unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_purge_batches, setup,
                                        unit_fx_teardown),
        cmocka_unit_test_setup_teardown(test_purge_account_batches, setup,
                                        unit_fx_teardown),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_json_quote),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_states),
    };

    return cmocka_run_group_tests(tests, unit_curl_group_setup,
                                  unit_curl_group_teardown);
}

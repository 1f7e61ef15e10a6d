/* The session cache (jc_sesscache.c) and its invalidation (jc_sql.c's
 * table, jc_db's write hook) against a real SQLite database: hits read no
 * row, the TTL ends an entry, a committed write of this node ends it at
 * once (in a transaction only after the COMMIT), a fill that raced a
 * write is not stored, a cached copy never outlives the row's lifetime or
 * skips the touch, and the table lists every write that changes what a
 * session check returns. */
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

#include "jc_sesscache.h"
#include "jc_session.h"
#include "jc_sql.h"

#define NOW 1800000000

typedef struct {
    apr_pool_t *pool;     /* per-test pool                          */
    char dir[64];         /* temp directory                          */
    jc_db_t db;           /* open connection                         */
    jc_sess_cfg_t cfg;    /* session timing                          */
    void *shm;            /* "shared" memory of the counters (malloc) */
    jc_sessgen_t *gen;    /* the counters                            */
    jc_sesscache_t *sc;   /* a cache, TTL 60 s unless a test makes one */
    int db_calls;         /* get_db calls (= cache misses)           */
    int bump_in_get;      /* get_db bumps this slot (race) if > 0    */
    apr_int64_t acct;     /* account of the sessions                 */
} fx_t;

static jc_db_t *get_db(void *baton)
{
    fx_t *f = baton;

    f->db_calls++;
    if (f->bump_in_get > 0) {
        /* another thread's committed write while this fill runs */
        jc_sessgen_bump(f->gen, (unsigned)f->bump_in_get);
    }
    return &f->db;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    jc_db_write_hook_t hook;

    unit_tmp_db_open(&f->db, f->dir, &f->pool);
    f->cfg.idle = 1800;
    f->cfg.max_life = 43200;
    f->cfg.touch = 60;
    f->shm = malloc(jc_sessgen_size());
    f->gen = jc_sessgen_init(f->shm);
    jc_sessgen_hook(&hook, f->gen);
    jc_db_set_write_hook(&hook);
    assert_int_equal(jc_sesscache_create(&f->sc, f->gen,
                                         apr_time_from_sec(60), 1024,
                                         f->pool), APR_SUCCESS);
    unit_db_exec(&f->db, "INSERT INTO account (id, email, password_hash, "
                 "email_confirmed_at, created_at, updated_at) VALUES "
                 "(7, 'a@example.org', 'x', 5, 3, 3), "
                 "(8, 'b@example.org', 'x', 5, 3, 3)");
    f->acct = 7;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    int rv;

    jc_db_set_write_hook(NULL);
    rv = unit_tmp_db_close(&f->db, f->pool, f->dir);
    free(f->shm);
    free(f);
    return rv;
}

/* A new authenticated session of account acct at time `at`. */
static const char *new_session(fx_t *f, apr_int64_t acct, apr_int64_t at)
{
    const char *token, *csrf;
    apr_int64_t exp;
    jc_sess_meta_t meta = { at, "UA", "127.0.0.1" };
    jc_sess_cfg_t cfg = f->cfg;

    assert_int_equal(jc_session_create(&f->db, &token, &csrf, &exp, acct,
                                       JC_SESS_AUTHENTICATED, &meta, &cfg,
                                       at, f->pool), JC_DB_OK);
    return token;
}

/* A check through the cache; returns the outcome, *miss: the database was
 * asked. */
static jc_db_rc_e check(fx_t *f, jc_sesscache_t *sc, const char *token,
                        int with_kn, apr_int64_t now, jc_session_t *s,
                        int *miss)
{
    int expired = 0, before = f->db_calls;
    jc_db_rc_e rc = jc_session_load_cached(sc, get_db, f, s, &expired,
                                           token, with_kn, &f->cfg, now,
                                           f->pool);

    *miss = f->db_calls > before;
    return rc;
}

static void test_hit_reads_no_row(void **state)
{
    fx_t *f = *state;
    const char *t = new_session(f, 7, NOW);
    jc_session_t s;
    int miss;

    assert_int_equal(check(f, f->sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_int_equal(check(f, f->sc, t, 0, NOW + 1, &s, &miss), JC_DB_OK);
    assert_false(miss);
    /* the copy is what the database gave */
    assert_int_equal(s.account_id, 7);
    assert_int_equal(s.state, JC_SESS_AUTHENTICATED);
    assert_string_equal(s.email, "a@example.org");
    assert_null(s.username);
    assert_int_equal(s.email_confirmed, 5);
    assert_int_equal(s.created_at, 3);
    assert_int_equal(s.verified_at, NOW);
    assert_non_null(s.csrf_token);
    assert_int_equal(strlen(s.csrf_token), 43);
    assert_int_equal(strlen(s.id_hash), 64);
    /* a second hit: the database is never asked while the entry holds */
    f->db_calls = 0;
    assert_int_equal(check(f, f->sc, t, 0, NOW + 2, &s, &miss), JC_DB_OK);
    assert_int_equal(f->db_calls, 0);
    /* bad and unknown tokens: no row, never cached */
    assert_int_equal(check(f, f->sc, "kurz", 0, NOW, &s, &miss),
                     JC_DB_NOROW);
    assert_false(miss);
    assert_int_equal(check(f, f->sc, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                           "AAAAAA", 0, NOW, &s, &miss), JC_DB_NOROW);
    assert_true(miss);
    assert_int_equal(check(f, f->sc, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                           "AAAAAA", 0, NOW, &s, &miss), JC_DB_NOROW);
    assert_true(miss);
}

static void test_ttl(void **state)
{
    fx_t *f = *state;
    jc_sesscache_t *sc;
    const char *t = new_session(f, 7, NOW);
    jc_session_t s;
    int miss;

    assert_int_equal(jc_sesscache_create(&sc, f->gen,
                                         apr_time_from_msec(200), 64,
                                         f->pool), APR_SUCCESS);
    assert_int_equal(check(f, sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_int_equal(check(f, sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_false(miss);
    /* another node deletes the row: the entry answers until the TTL */
    unit_db_exec(&f->db, "DELETE FROM session");
    apr_sleep(apr_time_from_msec(250));
    assert_int_equal(check(f, sc, t, 0, NOW, &s, &miss), JC_DB_NOROW);
    assert_true(miss);
}

static void test_own_writes_end_entries(void **state)
{
    fx_t *f = *state;
    const char *a = new_session(f, 7, NOW), *b = new_session(f, 7, NOW);
    const char *c = new_session(f, 8, NOW);
    jc_session_t s, sa, sc8;
    int miss;
    const void *args[2];

    assert_int_equal(check(f, f->sc, a, 0, NOW, &sa, &miss), JC_DB_OK);
    assert_int_equal(check(f, f->sc, b, 0, NOW, &s, &miss), JC_DB_OK);
    assert_int_equal(check(f, f->sc, c, 0, NOW, &sc8, &miss), JC_DB_OK);
    /* logout of a: a is gone at once, b and c stay cached */
    assert_int_equal(jc_session_delete(&f->db, sa.id_hash, f->pool),
                     JC_DB_OK);
    assert_int_equal(check(f, f->sc, a, 0, NOW, &s, &miss), JC_DB_NOROW);
    assert_true(miss);
    assert_int_equal(check(f, f->sc, b, 0, NOW, &s, &miss), JC_DB_OK);
    assert_false(miss);
    /* re-authentication (verified_at) is seen at once */
    assert_int_equal(jc_session_verified(&f->db, s.id_hash, NOW + 5,
                                         f->pool), JC_DB_OK);
    assert_int_equal(check(f, f->sc, b, 0, NOW + 6, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_int_equal(s.verified_at, NOW + 5);
    /* "end all other sessions" / password change of account 7 in a
     * transaction: seen only after the COMMIT, then at once */
    assert_int_equal(jc_db_begin(&f->db, f->pool), JC_DB_OK);
    args[0] = &f->acct;
    args[1] = sa.id_hash;
    assert_int_equal(jc_db_exec(&f->db, NULL, JC_SQL_KONTO_SESS_DROP_OTHERS,
                                args, f->pool), JC_DB_OK);
    assert_int_equal(check(f, f->sc, b, 0, NOW + 6, &s, &miss), JC_DB_OK);
    assert_false(miss);     /* not committed: the old row is still true */
    assert_int_equal(jc_db_commit(&f->db, f->pool), JC_DB_OK);
    assert_int_equal(check(f, f->sc, b, 0, NOW + 6, &s, &miss), JC_DB_NOROW);
    assert_true(miss);
    /* account 8 was not touched */
    assert_int_equal(check(f, f->sc, c, 0, NOW + 6, &s, &miss), JC_DB_OK);
    assert_false(miss);
    /* a rolled-back write bumps nothing */
    assert_int_equal(jc_db_begin(&f->db, f->pool), JC_DB_OK);
    args[0] = &sc8.account_id;
    assert_int_equal(jc_db_exec(&f->db, NULL, JC_SQL_SESS_DROP_ACCOUNT, args,
                                f->pool), JC_DB_OK);
    jc_db_rollback(&f->db, f->pool);
    assert_int_equal(check(f, f->sc, c, 0, NOW + 6, &s, &miss), JC_DB_OK);
    assert_false(miss);
    /* account fields: a confirmed e-mail change is seen at once */
    {
        apr_int64_t conf = NOW + 7, upd = NOW + 7;
        const void *eargs[4] = { "neu@example.org", &conf, &upd,
                                 &sc8.account_id };

        assert_int_equal(jc_db_exec(&f->db, NULL, JC_SQL_KONTO_EMAIL_SET,
                                    eargs, f->pool), JC_DB_OK);
    }
    assert_int_equal(check(f, f->sc, c, 0, NOW + 8, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_string_equal(s.email, "neu@example.org");
}

static void test_racing_fill_not_stored(void **state)
{
    fx_t *f = *state;
    const char *t = new_session(f, 7, NOW);
    jc_session_t s;
    int miss;

    /* a write anywhere on the node while the SELECT runs: the fill is
     * used for this request but not stored */
    f->bump_in_get = 1 + 4096 + 4095;
    assert_int_equal(check(f, f->sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_true(miss);
    f->bump_in_get = 0;
    assert_int_equal(check(f, f->sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_int_equal(check(f, f->sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_false(miss);
    {
        jc_sesscache_stats_t st;

        jc_sesscache_stats(f->sc, &st);
        assert_int_equal(st.skipped, 1);
        assert_int_equal(st.hits, 1);
        assert_int_equal(st.misses, 2);
    }
}

static void test_expiry_and_touch(void **state)
{
    fx_t *f = *state;
    const char *t = new_session(f, 7, NOW);
    jc_session_t s;
    int miss, expired = 0;

    assert_int_equal(check(f, f->sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    /* the touch is due after 60 s: a miss that writes last_seen */
    assert_int_equal(check(f, f->sc, t, 0, NOW + 59, &s, &miss), JC_DB_OK);
    assert_false(miss);
    assert_int_equal(check(f, f->sc, t, 0, NOW + 60, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_int_equal(unit_db_num(&f->db, "SELECT last_seen FROM session",
                                 f->pool), NOW + 60);
    assert_int_equal(check(f, f->sc, t, 0, NOW + 61, &s, &miss), JC_DB_OK);
    assert_false(miss);
    assert_int_equal(s.last_seen, NOW + 60);
    /* the row's lifetime ends: never answered from the cache, the row
     * is deleted as without a cache */
    unit_db_exec(&f->db, "UPDATE session SET expires_at = 1800000070");
    assert_int_equal(check(f, f->sc, t, 0, NOW + 62, &s, &miss), JC_DB_OK);
    assert_false(miss);     /* the copy still says NOW + 43200 (TTL) */
    {
        /* a fresh cache reads expires_at = NOW + 70 */
        jc_sesscache_t *sc2;

        assert_int_equal(jc_sesscache_create(&sc2, f->gen,
                                             apr_time_from_sec(60), 64,
                                             f->pool), APR_SUCCESS);
        assert_int_equal(check(f, sc2, t, 0, NOW + 69, &s, &miss), JC_DB_OK);
        assert_true(miss);
        assert_int_equal(check(f, sc2, t, 0, NOW + 69, &s, &miss), JC_DB_OK);
        assert_false(miss);
        assert_int_equal(jc_session_load_cached(sc2, get_db, f, &s, &expired,
                                                t, 0, &f->cfg, NOW + 70,
                                                f->pool), JC_DB_NOROW);
        assert_int_equal(expired, 1);
        assert_int_equal(unit_db_num(&f->db, "SELECT count(*) FROM session",
                                     f->pool), 0);
    }
}

static void test_kundennummer(void **state)
{
    fx_t *f = *state;
    const char *t = new_session(f, 7, NOW);
    jc_session_t s;
    int miss;

    unit_db_exec(&f->db, "INSERT INTO jobcenter (id, name, street, postcode, "
                 "city, phone, opening_hours, created_at) VALUES (1, 'J', "
                 "'S', '71332', 'W', 'P', 'H', 1)");
    unit_db_exec(&f->db, "INSERT INTO customer (id, jobcenter_id, "
                 "kundennummer, salutation, given_name, family_name, "
                 "birth_date, street, postcode, city, created_by, "
                 "created_at, name_key) VALUES (1, 1, '123A123456', 'Frau', "
                 "'E', 'M', '1980-01-01', 'S', '71332', 'W', 8, 1, 'm e')");
    assert_int_equal(check(f, f->sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_null(s.kundennummer);
    /* an entry without the Kundennummer does not answer a gate that
     * passes it on */
    assert_int_equal(check(f, f->sc, t, 1, NOW, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_null(s.kundennummer);
    assert_int_equal(check(f, f->sc, t, 1, NOW, &s, &miss), JC_DB_OK);
    assert_false(miss);
    /* binding the profile (jc_prof_bind) is seen at once */
    {
        apr_int64_t acct = 7, at = NOW, cust = 1;
        const void *args[3] = { &acct, &at, &cust };

        assert_int_equal(jc_db_exec(&f->db, NULL, JC_SQL_PROF_BIND, args,
                                    f->pool), JC_DB_OK);
    }
    assert_int_equal(check(f, f->sc, t, 1, NOW, &s, &miss), JC_DB_OK);
    assert_true(miss);
    assert_string_equal(s.kundennummer, "123A123456");
    assert_int_equal(check(f, f->sc, t, 0, NOW, &s, &miss), JC_DB_OK);
    assert_false(miss);
    assert_null(s.kundennummer);
}

static void test_bounded(void **state)
{
    fx_t *f = *state;
    jc_sesscache_t *sc;
    const char *tok[400];
    jc_session_t s;
    int i, miss, hits = 0;

    assert_int_equal(jc_sesscache_create(&sc, f->gen, apr_time_from_sec(60),
                                         64, f->pool), APR_SUCCESS);
    for (i = 0; i < 400; i++) {
        tok[i] = new_session(f, 7 + (i & 1), NOW);
        assert_int_equal(check(f, sc, tok[i], 0, NOW, &s, &miss), JC_DB_OK);
        assert_true(miss);
    }
    /* at most 64 of 400 can still be there (newest first: the oldest
     * fill of a set makes room); every answer is right */
    for (i = 399; i >= 0; i--) {
        assert_int_equal(check(f, sc, tok[i], 0, NOW, &s, &miss), JC_DB_OK);
        assert_int_equal(s.account_id, 7 + (i & 1));
        hits += !miss;
    }
    assert_true(hits <= 64);
    assert_true(hits > 0);
}

/* The statement's i-th placeholder: 's' (%s) or 'l' (%lld), 0 if none. */
static char placeholder(const char *sql, int i)
{
    const char *p;

    for (p = sql; (p = strchr(p, '%')) != NULL; p++) {
        char k = p[1] == 's' ? 's' : !strncmp(p + 1, "lld", 3) ? 'l' : 0;

        if (k && i-- == 0) {
            return k;
        }
    }
    return 0;
}

/* Writes to session, account or customer.account_id that need no entry,
 * and why. */
static const jc_sql_id_e exempt[] = {
    JC_SQL_SESS_INSERT,          /* a new token: nothing cached for it   */
    JC_SQL_SESS_TOUCH,           /* a hit whose touch is due is a miss   */
    JC_SQL_SESS_PURGE,           /* expired rows: a hit checks expiry    */
    JC_SQL_SESS_PURGE_IDLE,      /* idle rows: the copy's last_seen is
                                  * never newer than the row's           */
    JC_SQL_ACCT_INSERT,          /* a new account has no session         */
    JC_SQL_ACCT_REPASSWORD,      /* not cached (password hash, consent)  */
    JC_SQL_THR_ACCT_TAKE,        /* throttle counters: not cached        */
    JC_SQL_THR_ACCT_BLOCK,
    JC_SQL_ACCT_LOGIN_OK,
    JC_SQL_ACCT_PURGE_TOKENS,    /* email_token rows                     */
    JC_SQL_PK_HANDLE_SET,        /* user_handle: not cached              */
    JC_SQL_SEC_LOCK,             /* updated_at only (a row lock)         */
    JC_SQL_STAFF_ACCT_ONETIME,   /* password fields: not cached; the
                                  * flows drop the sessions with
                                  * jc_sess_drop_account                 */
    JC_SQL_STAFF_ACCT_NEW_ONETIME,
    JC_SQL_KONTO_SET_PASSWORD,   /* ... with jc_konto_sess_drop_others   */
    JC_SQL_ONETIME_PASSWORD,     /* ... the session is rotated           */
    JC_SQL_ONETIME_CONSENT,      /* email_consent_at: not cached         */
    JC_SQL_KONTO_CUST_RELEASE,   /* runs in the account deletion, with
                                  * jc_sess_drop_account                 */
    JC_SQL_NONE
};

static void test_invalidation_table(void **state)
{
    const jc_sql_inval_t *iv;
    int id;

    (void)state;
    for (id = 0; id < JC_SQL__COUNT; id++) {
        const jc_sql_stmt_t *st = jc_sql_stmt(id);
        const char *sql = st->sql;

        if (!(iv = jc_sql_inval(id))) {
            continue;
        }
        /* writes through jc_db_exec (no RETURNING, which runs as select) */
        assert_true(!strncmp(sql, "UPDATE ", 7) || !strncmp(sql, "DELETE ", 7));
        assert_null(strstr(sql, "RETURNING"));
        if (iv->kind == JC_SQL_INV_ACCT
            && placeholder(sql, iv->arg) != 'l') {
            fail_msg("%s: argument %d is not the %%lld account id",
                     st->label, iv->arg);
        }
        if (iv->kind == JC_SQL_INV_SESS
            && (placeholder(sql, iv->arg) != 's'
                || !strstr(sql, "id_hash = %s"))) {
            fail_msg("%s: argument %d is not the %%s id hash", st->label,
                     iv->arg);
        }
    }
    /* every write that can change a session check is listed or exempt */
    for (id = 0; id < JC_SQL__COUNT; id++) {
        const jc_sql_stmt_t *st = jc_sql_stmt(id);
        const char *sql = st->sql;
        int listed, i;

        if (!(!strncmp(sql, "UPDATE session ", 15)
              || !strncmp(sql, "DELETE FROM session ", 20)
              || !strncmp(sql, "INSERT INTO session ", 20)
              || !strncmp(sql, "UPDATE account ", 15)
              || !strncmp(sql, "DELETE FROM account ", 20)
              || !strncmp(sql, "INSERT INTO account ", 20)
              || (!strncmp(sql, "UPDATE customer SET", 19)
                  && strstr(sql, "account_id ="))
              || !strncmp(sql, "UPDATE staff SET disabled_at", 28))) {
            continue;
        }
        listed = jc_sql_inval(id) != NULL;
        for (i = 0; exempt[i] != JC_SQL_NONE && !listed; i++) {
            listed = exempt[i] == (jc_sql_id_e)id;
        }
        if (!listed) {
            fail_msg("%s writes what a session check may return: list it "
                     "in jc_sql.c's invalidations or exempt it here with "
                     "a reason", st->label);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_reads_no_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_writes_end_entries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_racing_fill_not_stored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_expiry_and_touch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kundennummer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
        cmocka_unit_test(test_invalidation_table),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

/* Shared set-up of the unit tests that run the core against a real SQLite
 * database: open it (a file in a fresh temporary directory, or
 * ":memory:"), load every migration (unit_schema.h), prepare every
 * statement of jc_sql.c as the module does; tear it down; read single
 * values back; the flow configuration the account tests use.
 * Header-only (the unit Makefile builds one binary per test_*.c); include
 * it after <cmocka.h>. */
#ifndef UNIT_FIXTURE_H
#define UNIT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_dbd.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_password.h"
#include "jc_sql.h"
#include "unit_schema.h"

/* Open file (a path or ":memory:") as SQLite into db (cleared first),
 * apply all migrations and prepare every labelled statement. */
static inline void unit_db_open(jc_db_t *db, const char *file, apr_pool_t *p)
{
    const char *err = NULL;
    const jc_sql_stmt_t *st;

    memset(db, 0, sizeof(*db));
    assert_int_equal(apr_dbd_get_driver(p, "sqlite3", &db->driver),
                     APR_SUCCESS);
    assert_int_equal(apr_dbd_open_ex(db->driver, p, file, &db->handle,
                                     &err), APR_SUCCESS);
    assert_int_equal(unit_load_schema(db->driver, db->handle, p),
                     APR_SUCCESS);
    db->prepared = apr_hash_make(p);
    for (st = jc_sql_statements(); st->label; st++) {
        apr_dbd_prepared_t *ps = NULL;
        int rv = apr_dbd_prepare(db->driver, p, db->handle, st->sql,
                                 st->label, &ps);

        if (rv != 0) {
            fail_msg("prepare %s: %s", st->label,
                     apr_dbd_error(db->driver, db->handle, rv));
        }
        apr_hash_set(db->prepared, st->label, APR_HASH_KEY_STRING, ps);
    }
}

/* A new temporary directory (its name into dir, 64 bytes) holding the
 * database file t.sqlite, opened as by unit_db_open. */
static inline void unit_tmp_db_open(jc_db_t *db, char *dir, apr_pool_t *p)
{
    strcpy(dir, "/tmp/jc-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    unit_db_open(db, apr_pstrcat(p, dir, "/t.sqlite", NULL), p);
}

/* Close db, destroy pool, remove dir: 0, or -1 when the removal failed. */
static inline int unit_tmp_db_close(jc_db_t *db, apr_pool_t *pool,
                                    const char *dir)
{
    char cmd[96];

    jc_db_native_release(db);
    apr_dbd_close(db->driver, db->handle);
    apr_pool_destroy(pool);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run sql (no result rows); fails the test with the driver's message. */
static inline void unit_db_exec(jc_db_t *db, const char *sql)
{
    int n;

    if (apr_dbd_query(db->driver, db->handle, &n, sql) != 0) {
        fail_msg("%s: %s", sql, apr_dbd_error(db->driver, db->handle, 1));
    }
}

/* The first column of the first row of sql (a copy in p), NULL for SQL
 * NULL. */
static inline const char *unit_db_str(jc_db_t *db, const char *sql,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v;

    assert_int_equal(apr_dbd_select(db->driver, p, db->handle, &res, sql, 1),
                     0);
    assert_int_equal(apr_dbd_get_row(db->driver, p, res, &row, 1), 0);
    v = apr_dbd_get_entry(db->driver, row, 0);
    return v ? apr_pstrdup(p, v) : NULL;
}

/* The same as a number; -1 for SQL NULL. */
static inline apr_int64_t unit_db_num(jc_db_t *db, const char *sql,
                                      apr_pool_t *p)
{
    const char *v = unit_db_str(db, sql, p);

    return v ? apr_atoi64(v) : -1;
}

/* The flow configuration of the account tests (registration, login,
 * sessions, throttling; test_flows, test_mfa): a local base URL, cheap
 * but real Argon2id, and the dummy hash the login compares against. */
static inline void unit_ctx_flows(jc_ctx_t *ctx, apr_pool_t *p)
{
    ctx->base_url = "http://127.0.0.1:1";
    ctx->mail_from = "Jobcenter.Digital <noreply@example.org>";
    ctx->confirm_ttl = 86400;
    ctx->argon2.m_kib = 19456;
    ctx->argon2.t_cost = 2;
    ctx->argon2.lanes = 1;
    ctx->sess.idle = 1800;
    ctx->sess.max_life = 43200;
    ctx->sess.touch = 60;
    ctx->thr_account.free_failures = 2;
    ctx->thr_account.max_failures = 5;
    ctx->thr_account.max_delay = 900;
    ctx->thr_account.lock_secs = 3600;
    ctx->thr_client.free_failures = 20;
    ctx->thr_client.max_delay = 900;
    ctx->thr_client.lock_secs = 900;
    ctx->dummy_hash = jc_password_dummy_hash(&ctx->argon2, p);
    assert_non_null(ctx->dummy_hash);
}

#endif

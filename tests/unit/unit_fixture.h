/* Shared set-up of the unit tests; every test_*.c includes it after
 * <cmocka.h>. Header-only (the unit Makefile builds one binary per
 * test_*.c from that one file), so each binary has its own copy of:
 *
 *   - the group pool `pool`: unit_group_setup initialises APR, makes the
 *     pool and apr_dbd, unit_group_teardown undoes it (pass both to
 *     cmocka_run_group_tests, or call them from a test's own group
 *     set-up when it needs more, e.g. a fake server); the same with
 *     libcurl initialised: unit_curl_group_setup/teardown;
 *   - temporary directories (unit_tmpdir, unit_rm_tmpdir) and an upload
 *     store below build/unit (unit_store_make, unit_store_count,
 *     unit_store_empty, unit_store_remove);
 *   - a real SQLite database: open it (a file in a fresh temporary
 *     directory, or ":memory:"), load every migration (unit_schema.h),
 *     prepare every statement of jc_sql.c as the module does; tear it
 *     down; run SQL and read single values back;
 *   - the account tests' per-test fixture (unit_fx_t: unit_fx_new,
 *     unit_fx_teardown) and their flow configuration (unit_ctx_flows).
 *
 * Functions a binary does not call are not emitted (static inline), so
 * the ThreadSanitizer builds that link only a few core files can include
 * it too. */
#ifndef UNIT_FIXTURE_H
#define UNIT_FIXTURE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <curl/curl.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_password.h"
#include "jc_sql.h"
#include "jc_upload_store.h"
#include "unit_schema.h"

/* ---- the group pool ----------------------------------------------------- */

/* The binary's pool, from unit_group_setup to unit_group_teardown. */
static apr_pool_t *pool;

/* cmocka group set-up: APR initialised, pool made, apr_dbd ready. */
static inline int unit_group_setup(void **state)
{
    (void)state;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&pool, NULL) != APR_SUCCESS
        || apr_dbd_init(pool) != APR_SUCCESS) {
        return -1;
    }
    return 0;
}

/* cmocka group tear-down: pool destroyed, APR terminated. */
static inline int unit_group_teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}

/* The same with libcurl's global state (the mail and account tests that
 * send mail through it). */
static inline int unit_curl_group_setup(void **state)
{
    if (unit_group_setup(state) != 0
        || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return -1;
    }
    return 0;
}

static inline int unit_curl_group_teardown(void **state)
{
    curl_global_cleanup();
    return unit_group_teardown(state);
}

/* ---- temporary directories and an upload store -------------------------- */

/* A fresh empty directory from template tmpl (ending in XXXXXX), its name
 * in pool. */
static inline char *unit_tmpdir(const char *tmpl)
{
    char *t = apr_pstrdup(pool, tmpl);

    assert_non_null(mkdtemp(t));
    return t;
}

/* Remove dir and the files in it (not subdirectories). */
static inline void unit_rm_tmpdir(const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;

    assert_int_equal(apr_dir_open(&d, dir, pool), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (strcmp(fi.name, ".") && strcmp(fi.name, "..")) {
            apr_file_remove(apr_pstrcat(pool, dir, "/", fi.name, NULL),
                            pool);
        }
    }
    apr_dir_close(d);
    assert_int_equal(apr_dir_remove(dir, pool), APR_SUCCESS);
}

/* A new upload store (jc_store_prepare: tmp/ and files/) in a fresh
 * directory build/unit/<name>-XXXXXX, its name in pool; NULL when that
 * failed (for a group set-up to return -1). */
static inline char *unit_store_make(const char *name)
{
    char *dir;

    mkdir(JC_TOP "/build/unit", 0700);
    dir = apr_pstrcat(pool, JC_TOP "/build/unit/", name, "-XXXXXX", NULL);
    if (mkdtemp(dir) == NULL || jc_store_prepare(dir, pool) != APR_SUCCESS) {
        return NULL;
    }
    return dir;
}

/* Number of entries (without . and ..) in dir/sub; fails the test when
 * there is no such directory. */
static inline int unit_store_count(const char *dir, const char *sub)
{
    DIR *d = opendir(apr_pstrcat(pool, dir, "/", sub, NULL));
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

/* Remove the files and empty directories in dir/sub (the directory
 * stays), so one failed test leaves nothing for the next: 0, or -1 when
 * there is no such directory. */
static inline int unit_store_empty(const char *dir, const char *sub)
{
    DIR *d = opendir(apr_pstrcat(pool, dir, "/", sub, NULL));
    struct dirent *e;

    if (!d) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            if (unlinkat(dirfd(d), e->d_name, 0) != 0) {
                unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
            }
        }
    }
    closedir(d);
    return 0;
}

/* Remove the store dir of unit_store_make: the files in tmp/, files/ and
 * quarantine/ (where a test made it), those directories, dir itself. */
static inline void unit_store_remove(const char *dir)
{
    static const char *const subs[] = { "tmp", "files", "quarantine" };
    size_t i;

    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        (void)unit_store_empty(dir, subs[i]);
        rmdir(apr_pstrcat(pool, dir, "/", subs[i], NULL));
    }
    rmdir(dir);
}

/* ---- a real SQLite database --------------------------------------------- */

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

/* The database of a test of its own: a new pool (*p, no parent), a new
 * temporary directory (its name into dir, 64 bytes) holding the database
 * file t.sqlite, opened as by unit_db_open. unit_tmp_db_close undoes it. */
static inline void unit_tmp_db_open(jc_db_t *db, char *dir, apr_pool_t **p)
{
    assert_int_equal(apr_pool_create(p, NULL), APR_SUCCESS);
    strcpy(dir, "/tmp/jc-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    unit_db_open(db, apr_pstrcat(*p, dir, "/t.sqlite", NULL), *p);
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

/* The per-test fixture of the account tests (test_flows, test_mfa,
 * test_profile): a database of the test's own and the flow configuration
 * (empty until the test's set-up fills it, e.g. with unit_ctx_flows). */
typedef struct {
    apr_pool_t *pool;   /* per-test pool        */
    char dir[64];       /* temp directory       */
    jc_db_t db;         /* open connection      */
    jc_ctx_t ctx;       /* flow configuration   */
} unit_fx_t;

/* A new unit_fx_t (calloc) with its database open (unit_tmp_db_open). */
static inline unit_fx_t *unit_fx_new(void)
{
    unit_fx_t *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    unit_tmp_db_open(&f->db, f->dir, &f->pool);
    return f;
}

/* cmocka tear-down of the unit_fx_t in *state: database closed, directory
 * removed (-1 when that failed), memory freed. */
static inline int unit_fx_teardown(void **state)
{
    unit_fx_t *f = *state;
    int rv = unit_tmp_db_close(&f->db, f->pool, f->dir);

    free(f);
    return rv;
}

/* Run sql (no result rows); fails the test with the driver's message. */
static inline void unit_db_exec(jc_db_t *db, const char *sql)
{
    int n;

    if (apr_dbd_query(db->driver, db->handle, &n, sql) != 0) {
        fail_msg("%s: %s", sql, apr_dbd_error(db->driver, db->handle, 1));
    }
}

/* Run the SQL of printf-style fmt (formatted in p; no result rows). */
static inline void unit_db_execf(jc_db_t *db, apr_pool_t *p, const char *fmt,
                                 ...)
{
    va_list ap;
    const char *sql;

    va_start(ap, fmt);
    sql = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    unit_db_exec(db, sql);
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

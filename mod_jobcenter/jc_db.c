/* apr_dbd helpers for the core (see jc_db.h).
 *
 * Pitfalls handled here (measured, see TOOLCHAIN-NOTES):
 * - pgsql returns "" for NULL from apr_dbd_get_entry; apr_dbd_datum_get
 *   returns APR_ENOENT for NULL on both drivers, so columns are read with it.
 * - apr_dbd_transaction_start registers a cleanup that COMMITs: the mode is
 *   set to ROLLBACK right after start and to COMMIT only just before end.
 * - SQLite "database is locked" (5) / "locked" (6) becomes JC_DB_BUSY; no
 *   busy_timeout is ever set (it sleeps inside the driver's mutex). The
 *   driver retries a busy step for about 1.6 s itself (sleeping outside its
 *   mutex); on top of that a busy BEGIN IMMEDIATE, or a busy statement
 *   outside a transaction, is tried again here after a short jittered
 *   sleep until JC_DB_BUSY_BUDGET has passed (db_retry).
 * - A full disk (SQLITE_FULL, PostgreSQL "No space left on device") is
 *   JC_DB_BUSY too (503 + Retry-After) with the cause named in last_error.
 *   The error text of a failed COMMIT is taken before the ROLLBACK that
 *   follows it (that one's "cannot rollback - no transaction is active"
 *   would replace it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_general.h>
#include <apr_tables.h>
#include <sqlite3.h>

#include "jc_db.h"
#include "jc_db_pg.h"
#include "jc_metrics.h"
#include "jc_sql.h"

/* Write hook slots a transaction remembers; more bump slot 0 (all). */
#define JC_DB_TX_PEND 8

/* An open transaction; allocated in the pool given to jc_db_begin so its
 * cleanup can roll back even after the jc_db_t is gone. */
struct jc_db_tx_t {
    const apr_dbd_driver_t *driver;  /* driver of the connection   */
    apr_dbd_t *handle;               /* connection                 */
    sqlite3 *nat;                    /* its SQLite handle or NULL  */
    apr_pool_t *pool;                /* pool holding the cleanup   */
    int open;                        /* 1 until commit/rollback    */
    unsigned pend[JC_DB_TX_PEND];    /* write hook slots to bump
                                      * after COMMIT                */
    int npend;                       /* used entries of pend, or -1:
                                      * more than fit (bump slot 0) */
};

/* Outcome of a statement on a connection whose prepared statements the
 * server no longer knows (pgsql reconnect). Internal only. */
#define JC_DB_STALE 100

/* SQLite result codes the driver passes through */
#define JC_SQLITE_BUSY   5
#define JC_SQLITE_LOCKED 6
#define JC_SQLITE_FULL   13

/* How long a busy SQLite start is tried again (on top of the driver's own
 * ~1.6 s per attempt, so a held lock is answered after about 3.3 s). */
#define JC_DB_BUSY_BUDGET apr_time_from_msec(3000)

static int db_is_sqlite(const jc_db_t *db)
{
    return strcmp(apr_dbd_name(db->driver), "sqlite3") == 0;
}

/* ---- SQLite without apr_dbd_sqlite3 ------------------------------------
 * apr_dbd_sqlite3 wraps every sqlite3_prepare/step of every connection in
 * apr_dbd_mutex_lock(), one mutex per process (apr_dbd.c, "deprecated, but
 * required for existing providers"); it is released only while the driver
 * sleeps on SQLITE_BUSY. A statement that computes for a second (a staff
 * search over a large table) so held every other thread of the child, on
 * every connection, for that second. Here statements run on the
 * connection's own sqlite3 handle: SQLite (threadsafe=1, serialized) locks
 * per connection only, and mod_dbd hands a connection to one request at a
 * time. Values are read as the driver reads them (text of the column, NULL
 * as NULL, integers through apr_atoi64), arguments bound as it binds them
 * (%s as text, %lld as int64, a NULL pointer as NULL), and a busy step is
 * tried again for as long as the driver did (15 x 100 ms) before
 * SQLITE_BUSY. The pauses start at NAT_RETRY_FIRST and double (jittered)
 * up to NAT_RETRY_SLEEP: the write lock is mostly held for a commit's
 * fdatasync (about a millisecond), and the driver's flat 100 ms made 16
 * concurrent 1 MiB uploads of one child sleep ~0.4 s each in BEGIN
 * IMMEDIATE (issue 18: 585 sleeps of 100 ms for 160 uploads). */
#define NAT_RETRY_BUDGET apr_time_from_msec(1500)
#define NAT_RETRY_FIRST  ((apr_interval_time_t)500)
#define NAT_RETRY_SLEEP  apr_time_from_msec(100)
#define NAT_CACHE_KEY "jc_db_native_stmts"

typedef struct {
    sqlite3_stmt *st;
    int nargs;
    char *types;         /* per placeholder: 's' text, 'l' int64 */
} nat_stmt_t;

/* A connection's statements by id, kept in the connection's pool (the
 * pool of db->prepared) and remembered in db->cache for the request. */
struct jc_db_cache_t {
    apr_dbd_t *handle;                      /* the connection          */
    sqlite3 *conn;                          /* its native handle (SQLite)
                                             * or NULL                 */
    nat_stmt_t *nat[JC_SQL__COUNT];         /* SQLite, prepared by jc_db */
    apr_dbd_prepared_t *pg[JC_SQL__COUNT];  /* PostgreSQL named: mod_dbd's
                                             * (db->prepared) by id    */
};
typedef struct jc_db_cache_t nat_cache_t;

/* Finalize the cached statements before mod_dbd closes the connection:
 * registered after its close cleanup on the same pool, so it runs first
 * (sqlite3_close refuses a handle with unfinalized statements). */
static apr_status_t nat_cache_cleanup(void *data)
{
    nat_cache_t *c = data;
    int id;

    for (id = 0; id < JC_SQL__COUNT; id++) {
        if (c->nat[id]) {
            sqlite3_finalize(c->nat[id]->st);
            c->nat[id] = NULL;
        }
    }
    return APR_SUCCESS;
}

void jc_db_native_release(jc_db_t *db)
{
    nat_cache_t *c = NULL;
    apr_pool_t *cp;

    db->cache = NULL;
    if (!db->prepared) {
        return;
    }
    cp = apr_hash_pool_get(db->prepared);
    apr_pool_userdata_get((void **)&c, NAT_CACHE_KEY, cp);
    if (c) {
        if (c->conn) {
            apr_pool_cleanup_run(cp, c, nat_cache_cleanup);
        }
        apr_pool_userdata_setn(NULL, NAT_CACHE_KEY, NULL, cp);
    }
}

/* The connection's sqlite3 handle, or NULL on PostgreSQL. */
static sqlite3 *db_native(const jc_db_t *db)
{
    if (!db->driver || !db->handle || !db_is_sqlite(db)) {
        return NULL;
    }
    return apr_dbd_native_handle(db->driver, db->handle);
}

const char *jc_db_sqlite_file(jc_db_t *db)
{
    sqlite3 *nat = db_native(db);

    return nat ? sqlite3_db_filename(nat, "main") : NULL;
}

/* apr_dbd's SQL ("%s", "%lld", "%%") as SQLite SQL with '?'. */
static const char *nat_sql(const char *sql, char **types, int *n,
                           apr_pool_t *p)
{
    size_t len = strlen(sql);
    char *out = apr_palloc(p, len + 1), *o = out;
    char *t = apr_palloc(p, len / 2 + 1);
    int k = 0;

    while (*sql) {
        if (sql[0] == '%' && sql[1] == '%') {
            *o++ = '%';
            sql += 2;
        }
        else if (sql[0] == '%' && sql[1] == 's') {
            *o++ = '?';
            t[k++] = 's';
            sql += 2;
        }
        else if (strncmp(sql, "%lld", 4) == 0) {
            *o++ = '?';
            t[k++] = 'l';
            sql += 4;
        }
        else {
            *o++ = *sql++;
        }
    }
    *o = '\0';
    t[k] = '\0';
    *types = t;
    *n = k;
    return out;
}

static void nat_error(jc_db_t *db, sqlite3 *conn, int rv, const char *what)
{
    snprintf(db->errbuf, sizeof(db->errbuf), "(%d) %s%s%s", rv,
             what ? what : "", what ? ": " : "", sqlite3_errmsg(conn));
    db->last_error = db->errbuf;
}

/* The label of a statement id (for errors and logs). */
static const char *stmt_label(jc_sql_id_e id)
{
    const jc_sql_stmt_t *st = jc_sql_stmt(id);

    return st ? st->label : "no such statement";
}

/* The connection's statement cache: db->cache when it is this
 * connection's, else the one kept in the connection's own pool (mod_dbd:
 * ap_dbd_t.pool, the pool of db->prepared), made on first use. NULL
 * without db->prepared. */
static nat_cache_t *db_cache(jc_db_t *db)
{
    nat_cache_t *c = db->cache;
    apr_pool_t *cp;

    if (c && c->handle == db->handle) {
        return c;
    }
    if (!db->prepared) {
        return NULL;
    }
    cp = apr_hash_pool_get(db->prepared);
    c = NULL;
    apr_pool_userdata_get((void **)&c, NAT_CACHE_KEY, cp);
    if (!c || c->handle != db->handle) {
        c = apr_pcalloc(cp, sizeof(*c));
        c->handle = db->handle;
        c->conn = db_native(db);
        apr_pool_userdata_setn(c, NAT_CACHE_KEY, NULL, cp);
        if (c->conn) {
            apr_pool_cleanup_register(cp, c, nat_cache_cleanup,
                                      apr_pool_cleanup_null);
        }
    }
    db->cache = c;
    return c;
}

/* The statement id prepared on conn (cached per connection), or NULL
 * with last_error set. */
static nat_stmt_t *nat_stmt(jc_db_t *db, sqlite3 *conn, jc_sql_id_e id)
{
    nat_cache_t *c;
    nat_stmt_t *ns;
    apr_pool_t *cp;
    const char *sql;
    int rv;

    if ((unsigned)id >= JC_SQL__COUNT || !(c = db_cache(db))
        || c->conn != conn) {
        db->last_error = stmt_label(id);
        return NULL;
    }
    if (c->nat[id]) {
        return c->nat[id];
    }
    cp = apr_hash_pool_get(db->prepared);
    ns = apr_pcalloc(cp, sizeof(*ns));
    sql = nat_sql(jc_sql_statements()[id].sql, &ns->types, &ns->nargs, cp);
    rv = sqlite3_prepare_v2(conn, sql, -1, &ns->st, NULL);
    if (rv != SQLITE_OK) {
        nat_error(db, conn, rv, stmt_label(id));
        sqlite3_finalize(ns->st);
        return NULL;
    }
    c->nat[id] = ns;
    return ns;
}

static int nat_bind(sqlite3_stmt *st, const nat_stmt_t *ns,
                    const void **args)
{
    int i, rv = SQLITE_OK;

    for (i = 0; i < ns->nargs && rv == SQLITE_OK; i++) {
        if (!args[i]) {
            rv = sqlite3_bind_null(st, i + 1);
        }
        else if (ns->types[i] == 'l') {
            rv = sqlite3_bind_int64(st, i + 1,
                                    *(const apr_int64_t *)args[i]);
        }
        else {
            rv = sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
        }
    }
    return rv;
}

/* Step st to the end; the rows into *rows and *nrows when rows != NULL, the
 * changed rows into *changes. Returns 0 or an SQLite result code (the
 * message stays on the connection for sqlite3_errmsg). */
static int nat_step(sqlite3 *conn, sqlite3_stmt *st,
                    struct jc_db_nrow_t ***rows, int *nrows, int *changes,
                    apr_pool_t *p)
{
    apr_array_header_t *acc = NULL;
    apr_interval_time_t slept = 0, pause = NAT_RETRY_FIRST;
    int rv, i;

    for (;;) {
        if (rows) {
            acc = apr_array_make(p, 4, sizeof(struct jc_db_nrow_t *));
        }
        while ((rv = sqlite3_step(st)) == SQLITE_ROW) {
            struct jc_db_nrow_t *r;
            int n = sqlite3_column_count(st);

            if (!rows) {
                continue;
            }
            r = apr_palloc(p, sizeof(*r));
            r->ncols = n;
            r->v = apr_palloc(p, sizeof(*r->v) * (n > 0 ? n : 1));
            for (i = 0; i < n; i++) {
                if (sqlite3_column_type(st, i) == SQLITE_NULL) {
                    r->v[i] = NULL;
                }
                else if (sqlite3_column_type(st, i) == SQLITE_BLOB) {
                    const void *b = sqlite3_column_blob(st, i);
                    int len = sqlite3_column_bytes(st, i);
                    char *c = apr_palloc(p, (apr_size_t)len + 1);

                    if (len > 0) {
                        memcpy(c, b, (size_t)len);
                    }
                    c[len] = '\0';
                    r->v[i] = c;
                }
                else {
                    const unsigned char *t = sqlite3_column_text(st, i);
                    int len = sqlite3_column_bytes(st, i);

                    r->v[i] = apr_pstrmemdup(p, t ? (const char *)t : "",
                                             (apr_size_t)len);
                }
            }
            APR_ARRAY_PUSH(acc, struct jc_db_nrow_t *) = r;
        }
        if (rv != SQLITE_BUSY || slept >= NAT_RETRY_BUDGET) {
            break;
        }
        /* another connection holds the lock: start over after a pause
         * (nothing is held by this thread meanwhile), 1-2 x pause */
        sqlite3_reset(st);
        {
            apr_interval_time_t d = pause + pause * (apr_time_now() & 0xff)
                                                / 255;

            apr_sleep(d);
            slept += d;
            pause = pause * 2 < NAT_RETRY_SLEEP ? pause * 2 : NAT_RETRY_SLEEP;
        }
    }
    if (rv == SQLITE_DONE) {
        if (changes) {
            *changes = sqlite3_changes(conn);
        }
        if (rows) {
            *rows = (struct jc_db_nrow_t **)acc->elts;
            *nrows = acc->nelts;
        }
        rv = 0;
    }
    return rv;
}

/* Run the statement natively. Returns 0 or an SQLite code. */
static int nat_run(jc_db_t *db, sqlite3 *conn, jc_sql_id_e id,
                   const void **args, struct jc_db_nrow_t ***rows,
                   int *nrows, int *changes, apr_pool_t *p)
{
    nat_stmt_t *ns = nat_stmt(db, conn, id);
    int rv;

    if (!ns) {
        return -1;
    }
    rv = nat_bind(ns->st, ns, args);
    if (rv == SQLITE_OK) {
        rv = nat_step(conn, ns->st, rows, nrows, changes, p);
    }
    /* the statement gives up its read snapshot and bound pointers now;
     * the error message stays on the connection */
    sqlite3_reset(ns->st);
    sqlite3_clear_bindings(ns->st);
    return rv;
}

/* A plain statement (BEGIN IMMEDIATE, COMMIT, ROLLBACK) on conn. */
static int nat_exec(sqlite3 *conn, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rv = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);

    if (rv == SQLITE_OK) {
        rv = nat_step(conn, st, NULL, NULL, NULL, NULL);
    }
    sqlite3_finalize(st);
    return rv;
}

/* The outcome class of a failure with driver text msg. */
static jc_db_rc_e db_class(jc_db_t *db, int rv, const char *msg)
{
    if (db_is_sqlite(db)) {
        if (rv == JC_SQLITE_BUSY || rv == JC_SQLITE_LOCKED) {
            return JC_DB_BUSY;
        }
        /* a select that failed comes back as SQLITE_ERROR (1) with the
         * text of the real cause */
        if (rv == JC_SQLITE_FULL
            || (msg && strstr(msg, "database or disk is full"))) {
            snprintf(db->errbuf, sizeof(db->errbuf), "SQLITE_FULL (%d) %s: "
                     "the file system of the database is full", rv,
                     msg ? msg : "database or disk is full");
            return JC_DB_BUSY;
        }
    }
    if (msg && (strstr(msg, "No space left on device")
                || strstr(msg, "could not extend file"))) {
        snprintf(db->errbuf, sizeof(db->errbuf), "disk full (ENOSPC): "
                 "(%d) %s", rv, msg);
        return JC_DB_BUSY;
    }
    if (msg && (strstr(msg, "UNIQUE constraint failed")
                || strstr(msg, "duplicate key value"))) {
        return JC_DB_CONFLICT;
    }
    if (msg && strstr(msg, "prepared statement")
        && strstr(msg, "does not exist")) {
        return (jc_db_rc_e)JC_DB_STALE;
    }
    if (msg && (strstr(msg, "database is locked")
                || strstr(msg, "could not serialize")
                || strstr(msg, "deadlock detected")
                /* a lost PostgreSQL connection: mod_dbd reconnects on the
                 * next acquire, so this request gets a 503 */
                || strstr(msg, "server closed the connection")
                || strstr(msg, "terminating connection")
                || strstr(msg, "no connection to the server")
                || strstr(msg, "could not receive data")
                || strstr(msg, "could not send data")
                || strstr(msg, "connection to server"))) {
        return JC_DB_BUSY;
    }
    return JC_DB_ERROR;
}

/* Record a failure (rv != 0): last_error, and in an open transaction the
 * class of its first failure (what jc_db_commit returns). */
static jc_db_rc_e db_classify(jc_db_t *db, int rv)
{
    const char *msg;
    jc_db_rc_e rc;

    if (rv == 0) {
        return JC_DB_OK;
    }
    msg = apr_dbd_error(db->driver, db->handle, rv);
    snprintf(db->errbuf, sizeof(db->errbuf), "(%d) %s", rv,
             msg ? msg : "unknown database error");
    db->last_error = db->errbuf;
    rc = db_class(db, rv, msg);
    if (db->tx) {
        if (!db->tx_failed) {
            db->tx_rc = (int)rc == JC_DB_STALE ? JC_DB_BUSY : rc;
        }
        db->tx_failed = 1;
    }
    return rc;
}

/* See jc_db_pg.h. */
jc_db_rc_e jc_db_classify(jc_db_t *db, int rv)
{
    return db_classify(db, rv);
}

/* 1 if rv is SQLite's "busy"/"locked" and the budget since start is not
 * used up yet; then sleeps before the next attempt n (1-based): 10-20 ms,
 * doubling to at most 80-160 ms, jittered so that waiting children do not
 * retry in step. Only outside the driver (no mutex is held here). */
static int db_retry(jc_db_t *db, int rv, apr_time_t start, int n)
{
    apr_interval_time_t base;
    unsigned char r = 0;

    const char *msg;

    if (rv == 0 || !db_is_sqlite(db)
        || apr_time_now() - start >= JC_DB_BUSY_BUDGET) {
        return 0;
    }
    /* a select still busy after the driver's retries comes back as
     * SQLITE_ERROR (1) with the text of the busy step */
    msg = apr_dbd_error(db->driver, db->handle, rv);
    if (rv != JC_SQLITE_BUSY && rv != JC_SQLITE_LOCKED
        && !(msg && strstr(msg, "database is locked"))) {
        return 0;
    }
    base = apr_time_from_msec(10) << (n < 4 ? n - 1 : 3);
    if (apr_generate_random_bytes(&r, 1) != APR_SUCCESS) {
        r = (unsigned char)(apr_time_now() & 0xff);
    }
    apr_sleep(base + base * r / 255);
    jc_metrics_inc(JC_M_DB_BUSY_RETRIES);
    return 1;
}

/* mod_dbd's prepared statement id (PostgreSQL named), looked up by label
 * in db->prepared once per connection, then by id. */
static apr_dbd_prepared_t *db_stmt(jc_db_t *db, jc_sql_id_e id)
{
    apr_dbd_prepared_t *st = NULL;
    nat_cache_t *c = (unsigned)id < JC_SQL__COUNT ? db_cache(db) : NULL;

    if (c) {
        st = c->pg[id];
        if (!st) {
            st = apr_hash_get(db->prepared, jc_sql_statements()[id].label,
                              APR_HASH_KEY_STRING);
            c->pg[id] = st;
        }
    }
    if (!st) {
        db->last_error = stmt_label(id); /* not prepared */
        if (db->tx) {
            db->tx_failed = 1;
        }
    }
    return st;
}

/* A failure of a native statement: classified as the driver's would be
 * (rv -1: the statement itself is missing or did not prepare). */
static jc_db_rc_e nat_fail(jc_db_t *db, int rv)
{
    if (rv == -1) {
        if (db->tx) {
            db->tx_failed = 1;
            if (!db->tx_rc) {
                db->tx_rc = JC_DB_ERROR;
            }
        }
        return JC_DB_ERROR;
    }
    return db_classify(db, rv);
}

/* The apr_dbd path of jc_db_select (*res: its result) and jc_db_exec (res
 * NULL, *n: rows changed) after the statement failed with rv (busy
 * retries done): when the connection had lost its statements, prepare
 * them again and run it once more, outside a transaction only
 * (PostgreSQL aborted the transaction with the failed statement). */
static jc_db_rc_e dbd_failed(jc_db_t *db, jc_sql_id_e id, int rv,
                             const void **args, apr_dbd_results_t **res,
                             int *n, apr_pool_t *p)
{
    apr_dbd_prepared_t *st;
    jc_db_rc_e rc = db_classify(db, rv);

    if ((int)rc != JC_DB_STALE) {
        return rc;
    }
    if (jc_db_reprepare(db) != JC_DB_OK || db->tx) {
        return JC_DB_BUSY;
    }
    st = db_stmt(db, id);
    if (res) {
        *res = NULL;
    }
    if (!st) {
        return JC_DB_ERROR;
    }
    rv = res ? apr_dbd_pbselect(db->driver, p, db->handle, res, st, 1, args)
             : apr_dbd_pbquery(db->driver, p, db->handle, n, st, args);
    rc = rv == 0 ? JC_DB_OK : db_classify(db, rv);
    return (int)rc == JC_DB_STALE ? JC_DB_BUSY : rc;
}

jc_db_rc_e jc_db_select(jc_db_t *db, jc_db_res_t *res, jc_sql_id_e id,
                        const void **args, apr_pool_t *p)
{
    apr_dbd_prepared_t *st;
    sqlite3 *nat = db_native(db);
    apr_time_t start;
    int rv, n = 0;

    res->driver = db->driver;
    res->res = NULL;
    res->nat = NULL;
    res->nrows = 0;
    if (nat) {
        start = apr_time_now();
        do {
            rv = nat_run(db, nat, id, args, &res->nat, &res->nrows, NULL,
                         p);
        } while (rv > 0 && !db->tx && db_retry(db, rv, start, ++n));
        return rv == 0 ? JC_DB_OK : nat_fail(db, rv);
    }
    if (jc_db_pgu_on(db)) {
        rv = jc_db_pgu_run(db, id, args, &res->nat, &res->nrows, NULL,
                           p);
        return rv == 0 ? JC_DB_OK : nat_fail(db, rv);
    }
    st = db_stmt(db, id);
    if (!st) {
        return JC_DB_ERROR;
    }
    /* random = 1: fetch everything now, so a pgsql connection is never left
     * with an unread result. */
    start = apr_time_now();
    do {
        res->res = NULL;
        rv = apr_dbd_pbselect(db->driver, p, db->handle, &res->res, st, 1,
                              args);
    } while (rv != 0 && !db->tx && db_retry(db, rv, start, ++n));
    if (rv != 0) {
        jc_db_rc_e rc = dbd_failed(db, id, rv, args, &res->res, NULL, p);

        if (rc != JC_DB_OK) {
            return rc;
        }
    }
    res->nrows = apr_dbd_num_tuples(db->driver, res->res);
    return JC_DB_OK;
}

int jc_db_res_row(jc_db_res_t *res, int i, jc_db_row_t *row, apr_pool_t *p)
{
    row->driver = res->driver;
    row->row = NULL;
    row->nat = NULL;
    if (res->nat) {
        if (i < 0 || i >= res->nrows) {
            return -1;
        }
        row->nat = res->nat[i];
        return 0;
    }
    /* apr_dbd rows are 1-based with random access */
    return apr_dbd_get_row(res->driver, p, res->res, &row->row, i + 1);
}

jc_db_rc_e jc_db_select1(jc_db_t *db, jc_db_row_t *row, jc_sql_id_e id,
                         const void **args, apr_pool_t *p)
{
    jc_db_res_t res;
    jc_db_rc_e rc = jc_db_select(db, &res, id, args, p);

    row->driver = db->driver;
    row->row = NULL;
    row->nat = NULL;
    if (rc != JC_DB_OK) {
        return rc;
    }
    if (res.nrows < 1 || jc_db_res_row(&res, 0, row, p) != 0) {
        return JC_DB_NOROW;
    }
    return JC_DB_OK;
}

/* The process's write hook (jc_db_set_write_hook): set in child init
 * before requests run, read-only afterwards. */
static jc_db_write_hook_t write_hook;

static jc_db_rc_e db_exec(jc_db_t *db, int *nrows, jc_sql_id_e id,
                          const void **args, apr_pool_t *p);

void jc_db_set_write_hook(const jc_db_write_hook_t *hook)
{
    if (hook) {
        write_hook = *hook;
    }
    else {
        memset(&write_hook, 0, sizeof(write_hook));
    }
}

/* After a successful write: a statement of the invalidation table bumps
 * its slot now, or, in a transaction, after the COMMIT (before it, other
 * connections still read the old rows, and a cache filled from them must
 * see a later bump). */
static void db_note_write(jc_db_t *db, jc_sql_id_e id, const void **args,
                          int nrows)
{
    const jc_sql_inval_t *iv = jc_sql_inval(id);
    struct jc_db_tx_t *tx = db->tx;
    unsigned slot;

    if (!iv || (iv->kind == JC_SQL_INV_ALL && nrows <= 0)) {
        return;
    }
    slot = write_hook.slot(write_hook.ctx, iv->kind,
                           iv->kind == JC_SQL_INV_ALL ? NULL
                                                      : args[iv->arg]);
    if (!tx) {
        write_hook.bump(write_hook.ctx, slot);
    }
    else if (tx->npend >= 0 && tx->npend < JC_DB_TX_PEND) {
        tx->pend[tx->npend++] = slot;
    }
    else {
        tx->npend = -1;
    }
}

jc_db_rc_e jc_db_exec(jc_db_t *db, int *nrows, jc_sql_id_e id,
                      const void **args, apr_pool_t *p)
{
    int n = 0;
    jc_db_rc_e rc = db_exec(db, &n, id, args, p);

    if (nrows) {
        *nrows = rc == JC_DB_OK ? n : 0;
    }
    if (rc == JC_DB_OK && write_hook.bump) {
        db_note_write(db, id, args, n);
    }
    return rc;
}

static jc_db_rc_e db_exec(jc_db_t *db, int *nrows, jc_sql_id_e id,
                          const void **args, apr_pool_t *p)
{
    apr_dbd_prepared_t *st;
    sqlite3 *nat = db_native(db);
    apr_time_t start;
    int n = 0, rv, attempt = 0;

    if (nrows) {
        *nrows = 0;
    }
    if (nat) {
        start = apr_time_now();
        do {
            rv = nat_run(db, nat, id, args, NULL, NULL, &n, p);
        } while (rv > 0 && !db->tx && db_retry(db, rv, start, ++attempt));
        if (rv != 0) {
            return nat_fail(db, rv);
        }
        if (nrows) {
            *nrows = n;
        }
        return JC_DB_OK;
    }
    if (jc_db_pgu_on(db)) {
        rv = jc_db_pgu_run(db, id, args, NULL, NULL, &n, p);
        if (rv != 0) {
            return nat_fail(db, rv);
        }
        if (nrows) {
            *nrows = n;
        }
        return JC_DB_OK;
    }
    st = db_stmt(db, id);
    if (!st) {
        return JC_DB_ERROR;
    }
    /* outside a transaction a busy statement wrote nothing: try again */
    start = apr_time_now();
    do {
        rv = apr_dbd_pbquery(db->driver, p, db->handle, &n, st, args);
    } while (rv != 0 && !db->tx && db_retry(db, rv, start, ++attempt));
    if (rv != 0) {
        jc_db_rc_e rc = dbd_failed(db, id, rv, args, NULL, &n, p);

        if (rc != JC_DB_OK) {
            return rc;
        }
    }
    if (nrows) {
        *nrows = n;
    }
    return JC_DB_OK;
}

const char *jc_db_col_str(const jc_db_row_t *row, int col, apr_pool_t *p)
{
    const char *v = NULL;

    (void)p;
    if (row->nat) {
        return col >= 0 && col < row->nat->ncols ? row->nat->v[col] : NULL;
    }
    if (apr_dbd_datum_get(row->driver, row->row, col, APR_DBD_TYPE_STRING,
                          &v) != APR_SUCCESS) {
        return NULL;
    }
    return v;
}

int jc_db_col_i64(const jc_db_row_t *row, int col, apr_int64_t *v,
                  apr_int64_t dflt)
{
    apr_int64_t x = 0;

    if (row->nat) {
        if (col < 0 || col >= row->nat->ncols || !row->nat->v[col]) {
            *v = dflt;
            return 0;
        }
        *v = apr_atoi64(row->nat->v[col]);
        return 1;
    }
    if (apr_dbd_datum_get(row->driver, row->row, col, APR_DBD_TYPE_LONGLONG,
                          &x) != APR_SUCCESS) {
        *v = dflt;
        return 0;
    }
    *v = x;
    return 1;
}

static apr_status_t db_tx_cleanup(void *data)
{
    struct jc_db_tx_t *tx = data;
    int n;

    if (tx->open) {
        tx->open = 0;
        if (tx->nat) {
            nat_exec(tx->nat, "ROLLBACK");
        }
        else {
            apr_dbd_query(tx->driver, tx->handle, &n, "ROLLBACK");
        }
    }
    return APR_SUCCESS;
}

jc_db_rc_e jc_db_begin(jc_db_t *db, apr_pool_t *p)
{
    struct jc_db_tx_t *tx;
    sqlite3 *nat = db_native(db);
    apr_time_t start = apr_time_now();
    int rv, n, attempt = 0;

    db->tx = NULL;
    db->tx_failed = 0;
    db->tx_rc = 0;
    /* SQLite: the write lock is taken here; while another connection
     * holds it, try again (bounded) instead of failing the request */
    do {
        rv = nat ? nat_exec(nat, "BEGIN IMMEDIATE")
                 : apr_dbd_query(db->driver, db->handle, &n, "BEGIN");
    } while (rv != 0 && db_retry(db, rv, start, ++attempt));
    if (rv != 0) {
        jc_db_rc_e rc = db_classify(db, rv);

        return rc == JC_DB_OK || (int)rc == JC_DB_STALE ? JC_DB_ERROR : rc;
    }
    tx = apr_pcalloc(p, sizeof(*tx));
    tx->driver = db->driver;
    tx->handle = db->handle;
    tx->nat = nat;
    tx->pool = p;
    tx->open = 1;
    apr_pool_cleanup_register(p, tx, db_tx_cleanup, apr_pool_cleanup_null);
    db->tx = tx;
    return JC_DB_OK;
}

/* End the open transaction with sql ("COMMIT" / "ROLLBACK"). A failed
 * COMMIT is classified (its driver text kept in last_error) before the
 * ROLLBACK that ends the transaction on SQLite. */
static jc_db_rc_e db_end(jc_db_t *db, const char *sql)
{
    struct jc_db_tx_t *tx = db->tx;
    jc_db_rc_e rc = JC_DB_OK;
    int rv, n;

    db->tx = NULL;
    tx->open = 0;
    apr_pool_cleanup_kill(tx->pool, tx, db_tx_cleanup);
    rv = tx->nat ? nat_exec(tx->nat, sql)
                 : apr_dbd_query(db->driver, db->handle, &n, sql);
    if (sql[0] == 'C' && write_hook.bump && tx->npend != 0) {
        /* committed (or, after a failed COMMIT, rolled back: a bump then
         * costs a cache miss, nothing else) */
        int i;

        if (tx->npend < 0) {
            write_hook.bump(write_hook.ctx, 0);
        }
        for (i = 0; i < tx->npend; i++) {
            write_hook.bump(write_hook.ctx, tx->pend[i]);
        }
    }
    if (rv != 0 && sql[0] == 'C') {
        rc = db_classify(db, rv);
        /* a failed COMMIT leaves the transaction open on SQLite */
        if (tx->nat) {
            nat_exec(tx->nat, "ROLLBACK");
        }
        else {
            apr_dbd_query(db->driver, db->handle, &n, "ROLLBACK");
        }
    }
    return rc;
}

jc_db_rc_e jc_db_commit(jc_db_t *db, apr_pool_t *p)
{
    jc_db_rc_e rc;

    if (!db->tx) {
        return JC_DB_ERROR;
    }
    if (db->tx_failed) {
        /* the class of the first failure: a busy or full database stays
         * a 503 even when the caller went on to commit */
        rc = db->tx_rc == JC_DB_BUSY ? JC_DB_BUSY : JC_DB_ERROR;
        jc_db_rollback(db, p);
        return rc;
    }
    rc = db_end(db, "COMMIT");
    return (int)rc == JC_DB_STALE || rc == JC_DB_NOROW ? JC_DB_ERROR : rc;
}

void jc_db_rollback(jc_db_t *db, apr_pool_t *p)
{
    (void)p;
    if (db->tx) {
        db_end(db, "ROLLBACK");
    }
}

jc_db_rc_e jc_db_reprepare(jc_db_t *db)
{
    const jc_sql_stmt_t *st;
    nat_cache_t *c;
    apr_pool_t *cp;

    if (jc_db_pgu_on(db)) {
        return JC_DB_OK;    /* nothing is prepared in unnamed mode */
    }
    if (!db->prepared) {
        return JC_DB_ERROR;
    }
    /* the connection's own pool (mod_dbd: ap_dbd_t.pool), which lives as
     * long as the statements must */
    cp = apr_hash_pool_get(db->prepared);
    for (st = jc_sql_statements(); st->label; st++) {
        apr_dbd_prepared_t *ps = NULL;
        int rv = apr_dbd_prepare(db->driver, cp, db->handle, st->sql,
                                 st->label, &ps);

        if (rv != 0) {
            db_classify(db, rv);
            return JC_DB_ERROR;
        }
        apr_hash_set(db->prepared, st->label, APR_HASH_KEY_STRING, ps);
    }
    /* the ids' handles are looked up again from db->prepared */
    c = db_cache(db);
    if (c) {
        memset(c->pg, 0, sizeof(c->pg));
    }
    return JC_DB_OK;
}

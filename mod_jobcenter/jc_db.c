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
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_general.h>

#include "jc_db.h"
#include "jc_sql.h"

/* An open transaction; allocated in the pool given to jc_db_begin so its
 * cleanup can roll back even after the jc_db_t is gone. */
struct jc_db_tx_t {
    const apr_dbd_driver_t *driver;  /* driver of the connection   */
    apr_dbd_t *handle;               /* connection                 */
    apr_pool_t *pool;                /* pool holding the cleanup   */
    int open;                        /* 1 until commit/rollback    */
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
    return 1;
}

static apr_dbd_prepared_t *db_stmt(jc_db_t *db, const char *label)
{
    apr_dbd_prepared_t *st = NULL;

    if (db->prepared) {
        st = apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING);
    }
    if (!st) {
        db->last_error = label; /* the statement that was not prepared */
        if (db->tx) {
            db->tx_failed = 1;
        }
    }
    return st;
}

jc_db_rc_e jc_db_select(jc_db_t *db, jc_db_res_t *res, const char *label,
                        const void **args, apr_pool_t *p)
{
    apr_dbd_prepared_t *st = db_stmt(db, label);
    apr_time_t start;
    int rv, n = 0;

    res->driver = db->driver;
    res->res = NULL;
    res->nrows = 0;
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
        jc_db_rc_e rc = db_classify(db, rv);

        if ((int)rc != JC_DB_STALE) {
            return rc;
        }
        /* prepare again; retry only outside a transaction (PostgreSQL
         * aborted the transaction with the failed statement) */
        if (jc_db_reprepare(db) != JC_DB_OK || db->tx) {
            return JC_DB_BUSY;
        }
        st = db_stmt(db, label);
        res->res = NULL;
        rv = st ? apr_dbd_pbselect(db->driver, p, db->handle, &res->res, st,
                                   1, args) : -1;
        if (rv != 0) {
            rc = st ? db_classify(db, rv) : JC_DB_ERROR;
            return (int)rc == JC_DB_STALE ? JC_DB_BUSY : rc;
        }
    }
    res->nrows = apr_dbd_num_tuples(db->driver, res->res);
    return JC_DB_OK;
}

int jc_db_res_row(jc_db_res_t *res, int i, jc_db_row_t *row, apr_pool_t *p)
{
    row->driver = res->driver;
    row->row = NULL;
    /* apr_dbd rows are 1-based with random access */
    return apr_dbd_get_row(res->driver, p, res->res, &row->row, i + 1);
}

jc_db_rc_e jc_db_select1(jc_db_t *db, jc_db_row_t *row, const char *label,
                         const void **args, apr_pool_t *p)
{
    jc_db_res_t res;
    jc_db_rc_e rc = jc_db_select(db, &res, label, args, p);

    row->driver = db->driver;
    row->row = NULL;
    if (rc != JC_DB_OK) {
        return rc;
    }
    if (res.nrows < 1 || jc_db_res_row(&res, 0, row, p) != 0) {
        return JC_DB_NOROW;
    }
    return JC_DB_OK;
}

jc_db_rc_e jc_db_exec(jc_db_t *db, int *nrows, const char *label,
                      const void **args, apr_pool_t *p)
{
    apr_dbd_prepared_t *st = db_stmt(db, label);
    apr_time_t start;
    int n = 0, rv, attempt = 0;

    if (nrows) {
        *nrows = 0;
    }
    if (!st) {
        return JC_DB_ERROR;
    }
    /* outside a transaction a busy statement wrote nothing: try again */
    start = apr_time_now();
    do {
        rv = apr_dbd_pbquery(db->driver, p, db->handle, &n, st, args);
    } while (rv != 0 && !db->tx && db_retry(db, rv, start, ++attempt));
    if (rv != 0) {
        jc_db_rc_e rc = db_classify(db, rv);

        if ((int)rc != JC_DB_STALE) {
            return rc;
        }
        if (jc_db_reprepare(db) != JC_DB_OK || db->tx) {
            return JC_DB_BUSY;
        }
        st = db_stmt(db, label);
        rv = st ? apr_dbd_pbquery(db->driver, p, db->handle, &n, st, args)
                : -1;
        if (rv != 0) {
            rc = st ? db_classify(db, rv) : JC_DB_ERROR;
            return (int)rc == JC_DB_STALE ? JC_DB_BUSY : rc;
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
        apr_dbd_query(tx->driver, tx->handle, &n, "ROLLBACK");
    }
    return APR_SUCCESS;
}

jc_db_rc_e jc_db_begin(jc_db_t *db, apr_pool_t *p)
{
    struct jc_db_tx_t *tx;
    apr_time_t start = apr_time_now();
    int rv, n, attempt = 0;

    db->tx = NULL;
    db->tx_failed = 0;
    db->tx_rc = 0;
    /* SQLite: the write lock is taken here; while another connection
     * holds it, try again (bounded) instead of failing the request */
    do {
        rv = apr_dbd_query(db->driver, db->handle, &n,
                           db_is_sqlite(db) ? "BEGIN IMMEDIATE" : "BEGIN");
    } while (rv != 0 && db_retry(db, rv, start, ++attempt));
    if (rv != 0) {
        jc_db_rc_e rc = db_classify(db, rv);

        return rc == JC_DB_OK || (int)rc == JC_DB_STALE ? JC_DB_ERROR : rc;
    }
    tx = apr_pcalloc(p, sizeof(*tx));
    tx->driver = db->driver;
    tx->handle = db->handle;
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
    rv = apr_dbd_query(db->driver, db->handle, &n, sql);
    if (rv != 0 && sql[0] == 'C') {
        rc = db_classify(db, rv);
        /* a failed COMMIT leaves the transaction open on SQLite */
        apr_dbd_query(db->driver, db->handle, &n, "ROLLBACK");
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
    apr_pool_t *cp;

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
    return JC_DB_OK;
}

int jc_db_fail(jc_result_t *res, jc_db_t *db, jc_db_rc_e rc, apr_pool_t *p)
{
    if (rc == JC_DB_OK) {
        return 0;
    }
    jc_db_rollback(db, p);
    if (rc == JC_DB_BUSY) {
        jc_result_unavailable(res, db->last_error);
    }
    else {
        jc_result_internal(res, apr_psprintf(p, "database %s: %s",
                                             jc_db_rc_name(rc),
                                             db->last_error ? db->last_error
                                                            : "-"));
    }
    return 1;
}

const char *jc_db_rc_name(jc_db_rc_e rc)
{
    switch (rc) {
    case JC_DB_OK:       return "ok";
    case JC_DB_NOROW:    return "no row";
    case JC_DB_BUSY:     return "busy";
    case JC_DB_CONFLICT: return "conflict";
    default:             return "error";
    }
}

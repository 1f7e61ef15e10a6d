/* Thin layer over apr_dbd for the core: prepared statements by id
 * (jc_sql_id_e, jc_sql.h), single-row and multi-row selects, writes, and
 * transactions that roll back unless explicitly committed. Core: only
 * APR/apr-util (and libsqlite3), no httpd headers.
 *
 * SQLite: statements do not go through apr_dbd_sqlite3, which holds
 * apr-util's one process-wide mutex (apr_dbd_mutex_lock) around every
 * prepare and step of every connection, so one slow statement stalled
 * every other request of the child. jc_db runs them itself on the
 * connection's sqlite3 handle (apr_dbd_native_handle), with statements
 * prepared once per connection and cached in its pool. PostgreSQL goes
 * through apr_dbd_pgsql, which takes no such lock, with the statements
 * mod_dbd prepared by name on the connection; or, in unnamed mode
 * (JobcenterPgStatements unnamed, jc_db_set_pg_mode), through libpq's
 * PQexecParams on the same connection, one unnamed statement per
 * execution, so that nothing outlives a transaction on the server
 * (PgBouncer's transaction pooling).
 *
 * Arguments follow apr_dbd's "pvb" convention: for %s a const char*
 * (NULL = SQL NULL), for %lld a pointer to apr_int64_t. */
#ifndef JC_DB_H
#define JC_DB_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_dbd.h>

#include "jc_result.h"
#include "jc_sql.h"

/* A borrowed connection. The glue fills it from mod_dbd's ap_dbd_t; the
 * connection is owned by mod_dbd and never closed here. */
typedef struct {
    const apr_dbd_driver_t *driver;  /* apr_dbd driver (sqlite3 / pgsql)    */
    apr_dbd_t *handle;               /* open connection                     */
    apr_hash_t *prepared;            /* label -> apr_dbd_prepared_t*        */
    struct jc_db_tx_t *tx;           /* open transaction or NULL            */
    struct jc_db_cache_t *cache;     /* the connection's statements by id
                                      * (jc_db's, set on first use; zero
                                      * the jc_db_t before binding it)   */
    const char *last_error;          /* driver text of the last failure     */
    int tx_failed;                   /* a statement failed in the open tx   */
    int tx_rc;                       /* class (jc_db_rc_e) of that failure  */
    char errbuf[256];                /* storage for last_error              */
} jc_db_t;

/* Outcome classes of a statement. */
typedef enum {
    JC_DB_OK = 0,     /* success                                          */
    JC_DB_NOROW,      /* select1 found no row                             */
    JC_DB_BUSY,       /* database locked/busy/full: answer 503 + Retry-After */
    JC_DB_CONFLICT,   /* unique constraint violated                       */
    JC_DB_ERROR       /* anything else (missing statement, connection)    */
} jc_db_rc_e;

/* A result row; columns are read with jc_db_col_*. On SQLite (and on
 * PostgreSQL in unnamed mode) the row is jc_db's own (nat), on PostgreSQL
 * with named statements an apr_dbd row. */
typedef struct {
    const apr_dbd_driver_t *driver;  /* driver the row came from      */
    apr_dbd_row_t *row;              /* apr_dbd row (named pgsql)     */
    const struct jc_db_nrow_t *nat;  /* own row (SQLite, unnamed) or NULL */
} jc_db_row_t;

/* A fully fetched result (random access). */
typedef struct {
    const apr_dbd_driver_t *driver;  /* driver the rows came from     */
    apr_dbd_results_t *res;          /* apr_dbd results (named pgsql) */
    struct jc_db_nrow_t **nat;       /* own rows (SQLite, unnamed)    */
    int nrows;                       /* number of rows                */
} jc_db_res_t;

/* Run a SELECT expected to return at most one row. */
jc_db_rc_e jc_db_select1(jc_db_t *db, jc_db_row_t *row, jc_sql_id_e id,
                         const void **args, apr_pool_t *p);

/* Run a SELECT and fetch all rows (keep results small: use LIMIT). */
jc_db_rc_e jc_db_select(jc_db_t *db, jc_db_res_t *res, jc_sql_id_e id,
                        const void **args, apr_pool_t *p);

/* Row i (0-based) of a result, into row. Returns 0 on success. */
int jc_db_res_row(jc_db_res_t *res, int i, jc_db_row_t *row, apr_pool_t *p);

/* Run an INSERT/UPDATE/DELETE; *nrows (may be NULL) = affected rows. */
jc_db_rc_e jc_db_exec(jc_db_t *db, int *nrows, jc_sql_id_e id,
                      const void **args, apr_pool_t *p);

/* Column readers; col is a column index of the statement's list
 * (JC_COL_<ID>_<COL>, jc_sql.h). NULL columns: str -> NULL, i64
 * -> returns 0 and sets *v = dflt. Return 1 when a value was present. */
const char *jc_db_col_str(const jc_db_row_t *row, int col, apr_pool_t *p);
int jc_db_col_i64(const jc_db_row_t *row, int col, apr_int64_t *v,
                  apr_int64_t dflt);

/* Start a transaction whose default outcome is ROLLBACK: a pool cleanup on
 * p rolls back a transaction nobody committed. Plain BEGIN/COMMIT
 * statements are used instead of apr_dbd_transaction_*: that API commits
 * from its pool cleanup, and its pgsql driver dereferences NULL when BEGIN
 * fails on a lost connection. SQLite takes the write lock at BEGIN
 * (BEGIN IMMEDIATE), so a busy database fails before any work; a busy
 * start is tried again with jittered sleeps for about 3 s (on top of the
 * driver's own 1.6 s per attempt) before JC_DB_BUSY. Statements outside a
 * transaction are retried the same way; inside one they are not (the
 * write lock is held from BEGIN). */
jc_db_rc_e jc_db_begin(jc_db_t *db, apr_pool_t *p);

/* Commit the open transaction. On any earlier failure in it the driver
 * rolls back; the result tells which happened. */
jc_db_rc_e jc_db_commit(jc_db_t *db, apr_pool_t *p);

/* Roll back the open transaction (no-op without one). */
void jc_db_rollback(jc_db_t *db, apr_pool_t *p);

/* End the open transaction by the outcome of its work: commit when rc is
 * JC_DB_OK, roll back when it is not or when the commit fails. Returns the
 * outcome (rc, or the commit's failure). */
jc_db_rc_e jc_db_end(jc_db_t *db, jc_db_rc_e rc, apr_pool_t *p);

/* Prepare every statement of jc_sql.c again on this connection (after a
 * PostgreSQL reconnect the server has forgotten them). Nothing to do (and
 * JC_DB_OK) for PostgreSQL in unnamed mode. */
jc_db_rc_e jc_db_reprepare(jc_db_t *db);

/* How statements run on PostgreSQL (JobcenterPgStatements). */
typedef enum {
    JC_DB_PG_PREPARED = 0,  /* named: mod_dbd prepares every statement of
                             * jc_sql.c on each connection (PQprepare),
                             * jc_db runs them by name (PQexecPrepared) */
    JC_DB_PG_UNNAMED        /* nothing prepared: each execution is one
                             * PQexecParams of the unnamed statement (the
                             * server parses and plans it every time);
                             * works behind PgBouncer in transaction mode */
} jc_db_pg_mode_e;

/* Set the process's mode before any statement runs (post_config in the
 * parent, the admin tool at its start; read unlocked by every thread
 * afterwards). UNNAMED translates the statement table once into p, which
 * must live as long as the mode is in use. APR_EINVAL if a statement has
 * a placeholder other than %s and %lld. SQLite is not affected. */
apr_status_t jc_db_set_pg_mode(jc_db_pg_mode_e mode, apr_pool_t *p);
jc_db_pg_mode_e jc_db_pg_mode(void);

/* PostgreSQL: a pooled connection the server closed while it was idle
 * (restart, failover, pg_terminate_backend) is reconnected and its
 * statements prepared again before use, so the request does not fail on
 * it. One non-blocking peek at the socket when nothing is wrong. Returns
 * 0 (usable as it was; always on SQLite), 1 (reconnected), -1 (the server
 * cannot be reached: last_error says why; answer 503). Call right after
 * the connection was taken from the pool, outside any transaction. */
int jc_db_revive(jc_db_t *db);

/* Turn a failed outcome into the API answer (busy -> 503, anything else
 * -> 500 with the driver text for the log) after rolling back the open
 * transaction. Returns 0 for JC_DB_OK (nothing done), 1 otherwise. */
int jc_db_fail(jc_result_t *res, jc_db_t *db, jc_db_rc_e rc, apr_pool_t *p);

/* Writes that change what a session check returns (jc_sql.h,
 * jc_sql_inval): after such a statement succeeded -- outside a
 * transaction at once, inside one after its COMMIT -- jc_db calls
 * bump(ctx, slot(ctx, kind, key)) with the statement's argument as key.
 * One hook per process (the session cache's generation counters, see
 * jc_sesscache.h), set before any request runs; NULL removes it. */
typedef struct {
    unsigned (*slot)(void *ctx, int kind, const void *key);  /* -> slot  */
    void (*bump)(void *ctx, unsigned slot);                   /* slot++   */
    void *ctx;                                                /* for both */
} jc_db_write_hook_t;

void jc_db_set_write_hook(const jc_db_write_hook_t *hook);

/* Name of an outcome, for logs. */
const char *jc_db_rc_name(jc_db_rc_e rc);

/* SQLite: the path of the connection's main database file (valid while
 * the connection is open: copy it to keep it); NULL on PostgreSQL, ""
 * for an in-memory database. */
const char *jc_db_sqlite_file(jc_db_t *db);

/* Finalize the SQLite statements jc_db prepared on db's connection (they
 * live with the pool of db->prepared): call before apr_dbd_close() when
 * the connection is closed by hand (the admin tool, unit tests); mod_dbd's
 * connections are released by their pool's cleanups. No-op on PostgreSQL
 * and when nothing was prepared. */
void jc_db_native_release(jc_db_t *db);

/* PostgreSQL's connection limit for ordinary roles: max_connections minus
 * superuser_reserved_connections (and reserved_connections, PostgreSQL
 * 16+), read with one constant, unnamed statement on db's connection.
 * JC_DB_ERROR on SQLite (no such limit) and on any failure. */
jc_db_rc_e jc_db_pg_conn_limit(jc_db_t *db, apr_pool_t *p, int *max_conn,
                               int *reserved);

/* The connection budget of the whole portal: dbd_max connections per
 * child x children per node x nodes, saturated at INT_MAX. */
apr_int64_t jc_db_conn_budget(int dbd_max, int children, int nodes);

#endif

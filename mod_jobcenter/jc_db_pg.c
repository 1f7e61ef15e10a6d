/* PostgreSQL specifics of jc_db (libpq on apr_dbd_pgsql's connection,
 * apr_dbd_native_handle): connections that died while they sat in
 * mod_dbd's pool (jc_db_revive), and the unnamed statement path
 * (jc_db_set_pg_mode, below).
 *
 * Dead connections: when the server ends a backend (a restart, a
 * failover, an admin's pg_terminate_backend), it sends a FATAL message and
 * closes the socket.
 * libpq notices that only when the connection is next used: PQstatus()
 * stays CONNECTION_OK until a statement fails, and mod_dbd's check on
 * acquire (apr_dbd_check_conn -> PQstatus) therefore passes a dead
 * connection to the request, which then answers 503. A pooled connection
 * is idle (no statement in flight, no LISTEN), so anything readable on its
 * socket - the FATAL message or end-of-file - means the server is done
 * with it; one non-blocking peek tells, and the connection is reset
 * (PQreset: same conninfo) and its statements prepared again (named mode)
 * before the request sees it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <libpq-fe.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "jc_db.h"
#include "jc_db_pg.h"
#include "jc_sql.h"

/* 1 if the idle connection's socket has data or end-of-file waiting. */
static int pg_closed_by_server(PGconn *conn)
{
    char b;
    ssize_t n;
    int fd = PQsocket(conn);

    if (fd < 0) {
        return 1;
    }
    do {
        n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    return 1;
}

int jc_db_revive(jc_db_t *db)
{
    PGconn *conn;

    if (!db->driver || !db->handle
        || strcmp(apr_dbd_name(db->driver), "pgsql") != 0) {
        return 0;
    }
    conn = apr_dbd_native_handle(db->driver, db->handle);
    if (!conn || (PQstatus(conn) == CONNECTION_OK
                  && (PQtransactionStatus(conn) != PQTRANS_IDLE
                      || !pg_closed_by_server(conn)))) {
        return 0;
    }
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(db->errbuf, sizeof(db->errbuf), "reconnect failed: %s",
                 PQerrorMessage(conn));
        db->last_error = db->errbuf;
        return -1;
    }
    return jc_db_reprepare(db) == JC_DB_OK ? 1 : -1;
}

/* ---- unnamed statements -------------------------------------------------
 * apr_dbd_pgsql prepares every statement under its label (PQprepare) and
 * runs it by name (PQexecPrepared): a named prepared statement lives in
 * one server session. Behind PgBouncer in transaction pooling each
 * transaction - each statement outside BEGIN/COMMIT - may run on another
 * server connection, where that name is unknown ("does not exist") or
 * already taken ("already exists"). In JC_DB_PG_UNNAMED mode a statement
 * is sent with PQexecParams instead: Parse of the unnamed statement, Bind,
 * Describe, Execute and Sync in one round trip, nothing left behind on the
 * server. The SQL is the statement table's, translated once per process
 * (%s -> $n of type varchar, %lld -> $n of type bigint: the parameter
 * types apr_dbd_pgsql declares in its PREPARE, so the server resolves
 * operators and casts as it does for the named statements); parameters
 * go as text (an int64 printed in decimal, as apr_dbd_pgsql does), results
 * come as text and are read like the SQLite rows (jc_db_pg.h). The cost:
 * the server parses and plans every statement on every execution (see
 * docs/internals.md, "PostgreSQL without named statements"). */
#define PGU_INT8OID    20    /* bigint             */
#define PGU_VARCHAROID 1043  /* character varying  */

typedef struct {
    const char *sql;     /* with $1..$n                         */
    int nargs;
    Oid *types;          /* per parameter: bigint or varchar    */
    char *kinds;         /* per parameter: 'l' int64, 's' text  */
} pgu_stmt_t;

/* Set once before any request (post_config in the parent, the admin
 * tool's start); read-only afterwards, so the threads share it unlocked. */
static jc_db_pg_mode_e pg_mode = JC_DB_PG_PREPARED;
static pgu_stmt_t **pgu_stmts;   /* by statement id, JC_SQL__COUNT */

/* The statement table's SQL with $n placeholders; NULL for a placeholder
 * other than %s, %lld, %% (apr_dbd would read it, this path could not). */
static pgu_stmt_t *pgu_translate(const char *sql, apr_pool_t *p)
{
    size_t len = strlen(sql);
    /* "$nnn" is at most one byte longer than "%s" per parameter */
    char *out = apr_palloc(p, len * 2 + 1), *o = out;
    apr_array_header_t *types = apr_array_make(p, 8, sizeof(Oid));
    apr_array_header_t *kinds = apr_array_make(p, 8, sizeof(char));
    pgu_stmt_t *st = apr_pcalloc(p, sizeof(*st));

    while (*sql) {
        if (sql[0] != '%') {
            *o++ = *sql++;
            continue;
        }
        if (sql[1] == '%') {
            *o++ = '%';
            sql += 2;
            continue;
        }
        if (sql[1] == 's') {
            APR_ARRAY_PUSH(types, Oid) = PGU_VARCHAROID;
            APR_ARRAY_PUSH(kinds, char) = 's';
            sql += 2;
        }
        else if (strncmp(sql, "%lld", 4) == 0) {
            APR_ARRAY_PUSH(types, Oid) = PGU_INT8OID;
            APR_ARRAY_PUSH(kinds, char) = 'l';
            sql += 4;
        }
        else {
            return NULL;
        }
        o += sprintf(o, "$%d", types->nelts);
    }
    *o = '\0';
    st->sql = out;
    st->nargs = types->nelts;
    st->types = (Oid *)types->elts;
    st->kinds = kinds->elts;
    return st;
}

apr_status_t jc_db_set_pg_mode(jc_db_pg_mode_e mode, apr_pool_t *p)
{
    const jc_sql_stmt_t *st = jc_sql_statements();
    pgu_stmt_t **all;
    int id;

    if (mode != JC_DB_PG_UNNAMED) {
        pg_mode = JC_DB_PG_PREPARED;
        pgu_stmts = NULL;
        return APR_SUCCESS;
    }
    all = apr_palloc(p, sizeof(*all) * JC_SQL__COUNT);
    for (id = 0; id < JC_SQL__COUNT; id++) {
        all[id] = pgu_translate(st[id].sql, p);
        if (!all[id]) {
            return APR_EINVAL;
        }
    }
    pgu_stmts = all;
    pg_mode = JC_DB_PG_UNNAMED;
    return APR_SUCCESS;
}

jc_db_pg_mode_e jc_db_pg_mode(void)
{
    return pg_mode;
}

int jc_db_pgu_on(const jc_db_t *db)
{
    return pg_mode == JC_DB_PG_UNNAMED && db->driver && db->handle
           && strcmp(apr_dbd_name(db->driver), "pgsql") == 0;
}

static apr_status_t pgu_clear(void *res)
{
    PQclear(res);
    return APR_SUCCESS;
}

int jc_db_pgu_run(jc_db_t *db, jc_sql_id_e id, const void **args,
                  struct jc_db_nrow_t ***rows, int *nrows, int *changes,
                  apr_pool_t *p)
{
    const pgu_stmt_t *st = pgu_stmts && (unsigned)id < JC_SQL__COUNT
                           ? pgu_stmts[id] : NULL;
    PGconn *conn = apr_dbd_native_handle(db->driver, db->handle);
    const char **vals = NULL;
    PGresult *res;
    int i, r, status;

    if (!st) {
        db->last_error = "no such statement";
        return -1;
    }
    if (st->nargs > 0) {
        vals = apr_palloc(p, sizeof(*vals) * (apr_size_t)st->nargs);
    }
    for (i = 0; i < st->nargs; i++) {
        if (!args || !args[i]) {
            vals[i] = NULL;     /* SQL NULL */
        }
        else if (st->kinds[i] == 'l') {
            vals[i] = apr_psprintf(p, "%" APR_INT64_T_FMT,
                                   *(const apr_int64_t *)args[i]);
        }
        else {
            vals[i] = args[i];
        }
    }
    res = PQexecParams(conn, st->sql, st->nargs, st->types, vals, NULL,
                       NULL, 0);
    status = res ? (int)PQresultStatus(res) : (int)PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        PQclear(res);
        return status;
    }
    if (changes) {
        *changes = atoi(PQcmdTuples(res));
    }
    if (!rows) {
        PQclear(res);
        return 0;
    }
    apr_pool_cleanup_register(p, res, pgu_clear, apr_pool_cleanup_null);
    *nrows = PQntuples(res);
    *rows = apr_palloc(p, sizeof(**rows) * (apr_size_t)(*nrows > 0 ? *nrows
                                                                     : 1));
    for (r = 0; r < *nrows; r++) {
        struct jc_db_nrow_t *row = apr_palloc(p, sizeof(*row));
        int n = PQnfields(res);

        row->ncols = n;
        row->v = apr_palloc(p, sizeof(*row->v) * (apr_size_t)(n > 0 ? n : 1));
        for (i = 0; i < n; i++) {
            row->v[i] = PQgetisnull(res, r, i) ? NULL
                                               : PQgetvalue(res, r, i);
        }
        (*rows)[r] = row;
    }
    return 0;
}

jc_db_rc_e jc_db_pg_conn_limit(jc_db_t *db, apr_pool_t *p, int *max_conn,
                               int *reserved)
{
    /* one statement, no arguments; current_setting(name, true) is NULL
     * for a setting the server does not have */
    static const char sql[] =
        "SELECT current_setting('max_connections'), "
        "current_setting('superuser_reserved_connections'), "
        "coalesce(current_setting('reserved_connections', true), '0')";
    apr_dbd_prepared_t *st = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v[3];
    int rv, i;

    *max_conn = *reserved = 0;
    if (!db->driver || !db->handle
        || strcmp(apr_dbd_name(db->driver), "pgsql") != 0) {
        return JC_DB_ERROR;
    }
    /* no label: apr_dbd_pgsql keeps the text and runs it unnamed
     * (PQexecParams), nothing is left prepared on the server */
    rv = apr_dbd_prepare(db->driver, p, db->handle, sql, NULL, &st);
    if (rv == 0) {
        rv = apr_dbd_pvselect(db->driver, p, db->handle, &res, st, 1, NULL);
    }
    if (rv != 0) {
        return jc_db_classify(db, rv);
    }
    if (apr_dbd_get_row(db->driver, p, res, &row, 1) != 0) {
        return JC_DB_ERROR;
    }
    for (i = 0; i < 3; i++) {
        v[i] = apr_dbd_get_entry(db->driver, row, i);
        if (!v[i] || !*v[i]) {
            return JC_DB_ERROR;
        }
    }
    *max_conn = atoi(v[0]);
    *reserved = atoi(v[1]) + atoi(v[2]);
    return *max_conn > 0 ? JC_DB_OK : JC_DB_ERROR;
}

apr_int64_t jc_db_conn_budget(int dbd_max, int children, int nodes)
{
    apr_int64_t n = (apr_int64_t)(dbd_max > 0 ? dbd_max : 0)
                    * (children > 0 ? children : 0)
                    * (nodes > 0 ? nodes : 0);

    return n > INT_MAX ? INT_MAX : n;
}

/* Internal to jc_db.c and jc_db_pg.c (not for callers of jc_db.h): the
 * rows jc_db reads itself (SQLite natively, PostgreSQL in unnamed mode)
 * and the unnamed PostgreSQL statement path. */
#ifndef JC_DB_PG_H
#define JC_DB_PG_H

#include "jc_db.h"

/* One result row read without apr_dbd: the text of every column, NULL =
 * SQL NULL (SQLite: copies in the request pool; PostgreSQL: pointers into
 * the PGresult, which the same pool clears). */
struct jc_db_nrow_t {
    int ncols;
    const char **v;
};

/* 1 if db's statements run unnamed: a pgsql connection while the process
 * is in JC_DB_PG_UNNAMED mode (jc_db_set_pg_mode). */
int jc_db_pgu_on(const jc_db_t *db);

/* Run the statement id of jc_sql.c unnamed on db's connection (one
 * PQexecParams: Parse/Bind/Describe/Execute/Sync of the unnamed statement
 * in one round trip). Rows into *rows / *nrows when rows != NULL (their
 * PGresult is cleared with p), affected rows into *changes. Returns 0,
 * -1 for an id that is not in the table, or the
 * PGresult status of a failure (> 0, apr_dbd_pgsql's convention; the
 * message stays on the connection, where apr_dbd_error reads it). */
int jc_db_pgu_run(jc_db_t *db, jc_sql_id_e id, const void **args,
                  struct jc_db_nrow_t ***rows, int *nrows, int *changes,
                  apr_pool_t *p);

/* The outcome class of a driver failure rv (last_error set), jc_db.c's. */
jc_db_rc_e jc_db_classify(jc_db_t *db, int rv);

#endif

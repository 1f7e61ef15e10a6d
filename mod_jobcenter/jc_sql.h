/* The module's SQL statements: one table, prepared by the glue at config
 * time with ap_dbd_prepare() under stable labels (no '-' in labels: pgsql).
 * Every statement runs unchanged on SQLite and PostgreSQL. Core. */
#ifndef JC_SQL_H
#define JC_SQL_H

/* Schema version this build expects in jc_schema.version. */
#define JC_SCHEMA_VERSION 10

/* Rows per housekeeping batch: every purge statement deletes at most this
 * many rows (one short write transaction each); jc_purge_run repeats a
 * statement while it fills its batch. Both spellings must agree. */
#define JC_PURGE_BATCH     100
#define JC_PURGE_BATCH_SQL "100"

/* Marking for tests/http/plans.test.mjs: a comment line "plan: hot" (runs
 * on a request path that every citizen or staff member takes) or "plan:
 * periodic" (housekeeping, watchdog) directly above a statement's entry.
 * The test asks SQLite and PostgreSQL for the plan of every statement on a
 * filled database and fails when a marked one scans a large table or sorts
 * one. */
typedef struct {
    const char *label;  /* stable label, "jc_*"                      */
    const char *sql;    /* apr_dbd placeholders: %s, %lld only        */
} jc_sql_stmt_t;

/* NULL-terminated table of all statements. */
const jc_sql_stmt_t *jc_sql_statements(void);

/* Writes that end or change a cached session (jc_sesscache.h): what a
 * session check returns comes from session (state, CSRF token, times,
 * verified_at), account (e-mail, username, confirmation, creation) and
 * customer (the Kundennummer bound to the account). A statement listed
 * here bumps, once committed, the generation of ... */
#define JC_SQL_INV_ALL  0  /* ... every session of the node (only when it
                            * changed rows); key unused                 */
#define JC_SQL_INV_ACCT 1  /* ... the account's sessions; argument arg is
                            * the account id (apr_int64_t *)            */
#define JC_SQL_INV_SESS 2  /* ... one session; argument arg is its id
                            * hash (const char *)                       */

typedef struct {
    const char *label;  /* a write of the statement table (jc_db_exec) */
    int kind;           /* JC_SQL_INV_*                                */
    int arg;            /* index of the key among its arguments        */
} jc_sql_inval_t;

/* NULL-terminated table of those writes (tests/unit/test_sesscache.c
 * checks that every write to session, account and customer.account_id
 * is listed or has a stated reason not to be). */
const jc_sql_inval_t *jc_sql_invalidations(void);

#endif

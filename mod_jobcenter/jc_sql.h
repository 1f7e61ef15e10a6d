/* The module's SQL statements: one table, prepared by the glue at config
 * time with ap_dbd_prepare() under stable labels (no '-' in labels: pgsql).
 * Every statement runs unchanged on SQLite and PostgreSQL. Core. */
#ifndef JC_SQL_H
#define JC_SQL_H

/* Schema version this build expects in jc_schema.version. */
#define JC_SCHEMA_VERSION 13

/* Rows per housekeeping batch: every purge statement deletes at most this
 * many rows (one short write transaction each); jc_purge_run repeats a
 * statement while it fills its batch. Both spellings must agree. The
 * rows due are scattered over the table (one page write each, on SQLite
 * one per index too): 100 rows took up to 17 ms at 1,000,000 sessions,
 * the target is < 10 ms per write-lock hold (bench/run.sh growth). */
#define JC_PURGE_BATCH     25
#define JC_PURGE_BATCH_SQL "25"
/* Accounts per batch of the unconfirmed-account purge: PostgreSQL checks
 * every column that references account(id) (23, one index probe each,
 * ~15 us) for every deleted account, so 100 accounts took 50-90 ms and
 * 10 a median of 6.7 ms on a loaded machine. */
#define JC_PURGE_ACCT_BATCH     5
#define JC_PURGE_ACCT_BATCH_SQL "5"

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

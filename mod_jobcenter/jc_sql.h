/* The module's SQL statements: one table indexed by statement id,
 * prepared by the glue at config time with ap_dbd_prepare() under stable
 * labels (no '-' in labels: pgsql). Every statement runs unchanged on
 * SQLite and PostgreSQL. Core. */
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

/* The statements live in X-macro lists, one per domain (jc_sql_login.h,
 * jc_sql_upload.h, jc_sql_staff.h, jc_sql_konto.h; jc_sql_lists.h
 * includes them in id order), each entry one of
 *
 *   JC_EXEC(ID, "jc_label", "sql")             no result rows
 *   JC_SELECT(ID, "jc_label", "sql", (COL, ...))  rows with these columns
 *   JC_SELECT_AS(ID, "jc_label", "sql", OTHER)  rows with OTHER's columns
 *
 * From them come the statement ids (jc_sql_id_e: JC_SQL_<ID>, ID is the
 * label without "jc_", upper case), the table indexed by id (jc_sql.c)
 * and per SELECT the column indexes JC_COL_<ID>_<COL> with the count
 * JC_COL_<ID>__N. Column names are the SQL names of the result columns
 * (alias or column name, compared case-insensitively); expression columns
 * carry an alias. INSERT/UPDATE/DELETE ... RETURNING run as selects and
 * are JC_SELECTs. tests/http/sql-columns.test.mjs prepares every
 * statement on SQLite and PostgreSQL (tools/jc-sql-check) and checks the
 * count and names of the columns.
 *
 * Marking for tests/http/plans.test.mjs: a comment line "plan: hot" (runs
 * on a request path that every citizen or staff member takes) or "plan:
 * periodic" (housekeeping, watchdog) directly above a statement's entry.
 * The test asks SQLite and PostgreSQL for the plan of every statement on a
 * filled database and fails when a marked one scans a large table or sorts
 * one. tests/lib/sqlstmts.mjs reads the lists. */

/* Statement ids. */
#define JC_EXEC(id, label, sql)              JC_SQL_##id,
#define JC_SELECT(id, label, sql, cols)      JC_SQL_##id,
#define JC_SELECT_AS(id, label, sql, as)     JC_SQL_##id,
typedef enum {
#include "jc_sql_lists.h"
    JC_SQL__COUNT,                    /* number of statements */
    JC_SQL_NONE = JC_SQL__COUNT       /* "no statement" where one is
                                       * optional                   */
} jc_sql_id_e;
#undef JC_EXEC
#undef JC_SELECT
#undef JC_SELECT_AS

/* Column indexes: JC_COL_<ID>_<COL> (0-based) and JC_COL_<ID>__N for
 * every JC_SELECT. Each list restarts at 0 (JC_COL_<ID>__ = -1). */
#define JC_SQL_UNPAREN_(...) __VA_ARGS__
#define JC_SQL_CAT_(a, b) JC_SQL_CAT2_(a, b)
#define JC_SQL_CAT2_(a, b) a##b
#define JC_SQL_NARG_(...) JC_SQL_NARG2_(__VA_ARGS__, 20, 19, 18, 17, 16, \
    15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define JC_SQL_NARG2_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, \
    a13, a14, a15, a16, a17, a18, a19, a20, n, ...) n
#define JC_SQL_MAP_(m, id, ...) \
    JC_SQL_CAT_(JC_SQL_MAP_, JC_SQL_NARG_(__VA_ARGS__))(m, id, __VA_ARGS__)
#define JC_SQL_MAP_1(m, id, a) m(id, a)
#define JC_SQL_MAP_2(m, id, a, ...) m(id, a) JC_SQL_MAP_1(m, id, __VA_ARGS__)
#define JC_SQL_MAP_3(m, id, a, ...) m(id, a) JC_SQL_MAP_2(m, id, __VA_ARGS__)
#define JC_SQL_MAP_4(m, id, a, ...) m(id, a) JC_SQL_MAP_3(m, id, __VA_ARGS__)
#define JC_SQL_MAP_5(m, id, a, ...) m(id, a) JC_SQL_MAP_4(m, id, __VA_ARGS__)
#define JC_SQL_MAP_6(m, id, a, ...) m(id, a) JC_SQL_MAP_5(m, id, __VA_ARGS__)
#define JC_SQL_MAP_7(m, id, a, ...) m(id, a) JC_SQL_MAP_6(m, id, __VA_ARGS__)
#define JC_SQL_MAP_8(m, id, a, ...) m(id, a) JC_SQL_MAP_7(m, id, __VA_ARGS__)
#define JC_SQL_MAP_9(m, id, a, ...) m(id, a) JC_SQL_MAP_8(m, id, __VA_ARGS__)
#define JC_SQL_MAP_10(m, id, a, ...) m(id, a) JC_SQL_MAP_9(m, id, __VA_ARGS__)
#define JC_SQL_MAP_11(m, id, a, ...) m(id, a) JC_SQL_MAP_10(m, id, __VA_ARGS__)
#define JC_SQL_MAP_12(m, id, a, ...) m(id, a) JC_SQL_MAP_11(m, id, __VA_ARGS__)
#define JC_SQL_MAP_13(m, id, a, ...) m(id, a) JC_SQL_MAP_12(m, id, __VA_ARGS__)
#define JC_SQL_MAP_14(m, id, a, ...) m(id, a) JC_SQL_MAP_13(m, id, __VA_ARGS__)
#define JC_SQL_MAP_15(m, id, a, ...) m(id, a) JC_SQL_MAP_14(m, id, __VA_ARGS__)
#define JC_SQL_MAP_16(m, id, a, ...) m(id, a) JC_SQL_MAP_15(m, id, __VA_ARGS__)
#define JC_SQL_MAP_17(m, id, a, ...) m(id, a) JC_SQL_MAP_16(m, id, __VA_ARGS__)
#define JC_SQL_MAP_18(m, id, a, ...) m(id, a) JC_SQL_MAP_17(m, id, __VA_ARGS__)
#define JC_SQL_MAP_19(m, id, a, ...) m(id, a) JC_SQL_MAP_18(m, id, __VA_ARGS__)
#define JC_SQL_MAP_20(m, id, a, ...) m(id, a) JC_SQL_MAP_19(m, id, __VA_ARGS__)
#define JC_SQL_COL_(id, col) JC_COL_##id##_##col,
#define JC_SQL_COLS_(id, ...) \
    JC_COL_##id##__ = -1, JC_SQL_MAP_(JC_SQL_COL_, id, __VA_ARGS__) \
    JC_COL_##id##__N,
#define JC_EXEC(id, label, sql)
#define JC_SELECT(id, label, sql, cols) \
    JC_SQL_COLS_(id, JC_SQL_UNPAREN_ cols)
#define JC_SELECT_AS(id, label, sql, as)
enum {
#include "jc_sql_lists.h"
    JC_COL__END
};
#undef JC_EXEC
#undef JC_SELECT
#undef JC_SELECT_AS

typedef struct {
    const char *label;  /* stable label, "jc_*": ap_dbd_prepare / mod_dbd,
                         * the PostgreSQL statement name, logs        */
    const char *sql;    /* apr_dbd placeholders: %s, %lld only        */
    const char *cols;   /* names of the result columns, "A, B, C"
                         * (upper case, compare case-insensitively);
                         * NULL: no result rows (JC_EXEC)             */
    int ncols;          /* number of result columns (0: JC_EXEC)      */
} jc_sql_stmt_t;

/* The table of all statements, indexed by jc_sql_id_e, with an entry of
 * NULLs at JC_SQL__COUNT. */
const jc_sql_stmt_t *jc_sql_statements(void);

/* One statement; NULL for an id out of range. */
const jc_sql_stmt_t *jc_sql_stmt(jc_sql_id_e id);

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
    int listed;         /* 1: the statement is such a write            */
    int kind;           /* JC_SQL_INV_*                                */
    int arg;            /* index of the key among its arguments        */
} jc_sql_inval_t;

/* What a write (jc_db_exec) invalidates: NULL when the statement is not
 * listed (one array read; tests/unit/test_sesscache.c checks that every
 * write to session, account and customer.account_id is listed or has a
 * stated reason not to be). */
const jc_sql_inval_t *jc_sql_inval(jc_sql_id_e id);

#endif

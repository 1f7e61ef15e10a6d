/* The statement table (see jc_sql.h), built from the X-macro lists:
 * indexed by statement id. Column names and counts are declared next to
 * each SELECT's SQL. */
#include <stddef.h>

#include "jc_sql.h"

#define JC_SQL_STR_(...) #__VA_ARGS__

/* the column names of every JC_SELECT, "A, B, C" */
#define JC_EXEC(id, label, sql)
#define JC_SELECT(id, label, sql, cols) \
    static const char cols_##id[] = JC_SQL_STR_ cols;
#define JC_SELECT_AS(id, label, sql, as)
#include "jc_sql_lists.h"
#undef JC_EXEC
#undef JC_SELECT
#undef JC_SELECT_AS

#define JC_EXEC(id, label, sql) \
    [JC_SQL_##id] = { label, sql, NULL, 0 },
#define JC_SELECT(id, label, sql, cols) \
    [JC_SQL_##id] = { label, sql, cols_##id, JC_COL_##id##__N },
#define JC_SELECT_AS(id, label, sql, as) \
    [JC_SQL_##id] = { label, sql, cols_##as, JC_COL_##as##__N },
static const jc_sql_stmt_t statements[JC_SQL__COUNT + 1] = {
#include "jc_sql_lists.h"
    [JC_SQL__COUNT] = { NULL, NULL, NULL, 0 }
};
#undef JC_EXEC
#undef JC_SELECT
#undef JC_SELECT_AS

/* See jc_sql.h. Keys: the statement's argument index (0-based). */
static const jc_sql_inval_t invalidations[JC_SQL__COUNT] = {
    /* sessions ended or changed */
    [JC_SQL_SESS_DELETE] =           { 1, JC_SQL_INV_SESS, 0 },
    [JC_SQL_SESS_VERIFIED] =         { 1, JC_SQL_INV_SESS, 1 },
    [JC_SQL_KONTO_SESS_DELETE] =     { 1, JC_SQL_INV_SESS, 0 },
    [JC_SQL_SESS_DROP_ACCOUNT] =     { 1, JC_SQL_INV_ACCT, 0 },
    [JC_SQL_KONTO_SESS_DROP_OTHERS] = { 1, JC_SQL_INV_ACCT, 0 },
    /* account fields a session check returns, the account itself */
    [JC_SQL_ACCT_CONFIRM] =          { 1, JC_SQL_INV_ACCT, 2 },
    [JC_SQL_KONTO_EMAIL_SET] =       { 1, JC_SQL_INV_ACCT, 3 },
    [JC_SQL_ONETIME_ACCOUNT] =       { 1, JC_SQL_INV_ACCT, 4 },
    [JC_SQL_ONETIME_EMAIL] =         { 1, JC_SQL_INV_ACCT, 3 },
    [JC_SQL_KONTO_DEL_ACCOUNT] =     { 1, JC_SQL_INV_ACCT, 0 },
    [JC_SQL_ACCT_PURGE] =            { 1, JC_SQL_INV_ALL, 0 },
    /* the Kundennummer (gate headers) */
    [JC_SQL_PROF_BIND] =             { 1, JC_SQL_INV_ACCT, 0 },
    /* staff rows are read per request, not cached; the sessions of a
     * disabled staff member are dropped with it (jc_sess_drop_account) */
    [JC_SQL_STAFF_DISABLE] =         { 1, JC_SQL_INV_ACCT, 1 },
};

const jc_sql_inval_t *jc_sql_inval(jc_sql_id_e id)
{
    if ((unsigned)id >= JC_SQL__COUNT || !invalidations[id].listed) {
        return NULL;
    }
    return &invalidations[id];
}

const jc_sql_stmt_t *jc_sql_statements(void)
{
    return statements;
}

const jc_sql_stmt_t *jc_sql_stmt(jc_sql_id_e id)
{
    return (unsigned)id < JC_SQL__COUNT ? &statements[id] : NULL;
}

/* The module's SQL statements: one table, prepared by the glue at config
 * time with ap_dbd_prepare() under stable labels (no '-' in labels: pgsql).
 * Every statement runs unchanged on SQLite and PostgreSQL. Core. */
#ifndef JC_SQL_H
#define JC_SQL_H

/* Schema version this build expects in jc_schema.version. */
#define JC_SCHEMA_VERSION 9

typedef struct {
    const char *label;  /* stable label, "jc_*"                      */
    const char *sql;    /* apr_dbd placeholders: %s, %lld only        */
} jc_sql_stmt_t;

/* NULL-terminated table of all statements. */
const jc_sql_stmt_t *jc_sql_statements(void);

#endif

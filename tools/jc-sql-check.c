/* jc-sql-check: prepares every statement of the statement table
 * (mod_jobcenter/jc_sql.h) on a database and checks its result columns
 * against the list declared next to its SQL: the count, and the names in
 * order (case-insensitive). A JC_EXEC must return no columns. Also checks
 * that each label is "jc_" + the id in lower case.
 *
 *   jc-sql-check sqlite3 FILE        (opened read-only)
 *   jc-sql-check pgsql CONNINFO      (unnamed statements, nothing kept)
 *
 * Prints one line per problem and "N statements checked"; exit status 0
 * when all match, 1 on a mismatch or a statement that does not prepare,
 * 2 on bad usage or no connection. Run by tests/http/sql-columns.test.mjs
 * on both databases. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>
#include <libpq-fe.h>

#include "jc_sql.h"

/* the ids as written in the lists */
#define JC_EXEC(id, label, sql)          #id,
#define JC_SELECT(id, label, sql, cols)  #id,
#define JC_SELECT_AS(id, label, sql, as) #id,
static const char *const ids[JC_SQL__COUNT] = {
#include "jc_sql_lists.h"
};
#undef JC_EXEC
#undef JC_SELECT
#undef JC_SELECT_AS

/* The statement's SQL for the driver: %s/%lld as '?' (SQLite) or $n
 * (PostgreSQL, with the types jc_db gives them: 'l' int8, 's' varchar in
 * types[]), %% as %. */
static char *translate(const char *sql, int pg, char *types, int *n)
{
    char *out = malloc(strlen(sql) * 2 + 1), *o = out;

    *n = 0;
    while (*sql) {
        if (sql[0] == '%' && sql[1] == '%') {
            *o++ = '%';
            sql += 2;
            continue;
        }
        if (sql[0] == '%' && (sql[1] == 's' || !strncmp(sql, "%lld", 4))) {
            types[*n] = sql[1] == 's' ? 's' : 'l';
            sql += sql[1] == 's' ? 2 : 4;
            (*n)++;
            o += pg ? sprintf(o, "$%d", *n) : sprintf(o, "?");
            continue;
        }
        *o++ = *sql++;
    }
    *o = '\0';
    return out;
}

/* Compare the declared list "A, B, C" with the actual names; 0 = same. */
static int check_cols(const jc_sql_stmt_t *st, int n, const char **names)
{
    const char *d = st->cols ? st->cols : "";
    int i, bad = 0;

    if (n != st->ncols) {
        printf("%s: %d result columns, %d declared (%s)\n", st->label, n,
               st->ncols, d);
        bad = 1;
    }
    for (i = 0; i < n && !bad; i++) {
        size_t len = strcspn(d, ",");

        while (len > 0 && isspace((unsigned char)d[len - 1])) {
            len--;
        }
        if (strlen(names[i]) != len || strncasecmp(names[i], d, len)) {
            printf("%s: column %d is \"%s\", declared \"%.*s\"\n",
                   st->label, i, names[i], (int)len, d);
            bad = 1;
        }
        d += strcspn(d, ",");
        d += strspn(d, ", ");
    }
    return bad;
}

static int check_label(int id, const jc_sql_stmt_t *st)
{
    const char *a = ids[id], *b = st->label;

    if (strncmp(b, "jc_", 3) == 0) {
        for (b += 3; *a && tolower((unsigned char)*a) == *b; a++, b++) {
        }
    }
    if (*a || *b) {
        printf("%s: label does not match its id %s\n", st->label, ids[id]);
        return 1;
    }
    return 0;
}

/* One database connection of either kind, and what the last describe()
 * left to free. */
typedef struct {
    sqlite3 *lite;          /* SQLite, or NULL          */
    PGconn *pg;             /* PostgreSQL, or NULL      */
    sqlite3_stmt *ps;       /* SQLite: the statement    */
    PGresult *res;          /* PostgreSQL: its description */
} conn_t;

/* Prepare st and put its result column names into names (valid until the
 * next call); the column count, or -1 (printed) when it does not prepare. */
static int describe(conn_t *c, const jc_sql_stmt_t *st, const char **names)
{
    char types[64], *sql;
    Oid oids[64];
    int n, i;

    sqlite3_finalize(c->ps);
    c->ps = NULL;
    PQclear(c->res);
    c->res = NULL;
    sql = translate(st->sql, c->pg != NULL, types, &n);
    if (c->lite) {
        if (sqlite3_prepare_v2(c->lite, sql, -1, &c->ps, NULL) != SQLITE_OK) {
            printf("%s: does not prepare: %s\n", st->label,
                   sqlite3_errmsg(c->lite));
            n = -1;
        }
        else {
            n = sqlite3_column_count(c->ps);
            for (i = 0; i < n && i < 64; i++) {
                names[i] = sqlite3_column_name(c->ps, i);
            }
        }
        free(sql);
        return n;
    }
    for (i = 0; i < n; i++) {
        oids[i] = types[i] == 'l' ? 20 : 1043;  /* int8, varchar */
    }
    c->res = PQprepare(c->pg, "", sql, n, oids);
    free(sql);
    if (PQresultStatus(c->res) != PGRES_COMMAND_OK) {
        printf("%s: does not prepare: %s", st->label, PQerrorMessage(c->pg));
        return -1;
    }
    PQclear(c->res);
    c->res = PQdescribePrepared(c->pg, "");
    n = PQnfields(c->res);
    for (i = 0; i < n && i < 64; i++) {
        names[i] = PQfname(c->res, i);
    }
    return n;
}

/* 0 connected, 2 not (printed). */
static int open_conn(conn_t *c, const char *kind, const char *target)
{
    memset(c, 0, sizeof(*c));
    if (!strcmp(kind, "pgsql")) {
        c->pg = PQconnectdb(target);
        if (PQstatus(c->pg) == CONNECTION_OK) {
            return 0;
        }
        fprintf(stderr, "jc-sql-check: %s", PQerrorMessage(c->pg));
        return 2;
    }
    if (sqlite3_open_v2(target, &c->lite, SQLITE_OPEN_READONLY, NULL)
        == SQLITE_OK) {
        return 0;
    }
    fprintf(stderr, "jc-sql-check: %s: %s\n", target,
            sqlite3_errmsg(c->lite));
    return 2;
}

static void close_conn(conn_t *c)
{
    sqlite3_finalize(c->ps);
    PQclear(c->res);
    if (c->lite) {
        sqlite3_close(c->lite);
    }
    if (c->pg) {
        PQfinish(c->pg);
    }
}

int main(int argc, char **argv)
{
    const char *names[64];
    conn_t c;
    int id, n, rc;

    if (argc != 3 || (strcmp(argv[1], "sqlite3") && strcmp(argv[1], "pgsql"))) {
        fprintf(stderr, "usage: jc-sql-check sqlite3 FILE | pgsql CONNINFO\n");
        return 2;
    }
    rc = open_conn(&c, argv[1], argv[2]);
    for (id = 0; id < JC_SQL__COUNT && rc != 2; id++) {
        const jc_sql_stmt_t *st = jc_sql_stmt(id);

        rc |= check_label(id, st);
        n = describe(&c, st, names);
        rc |= n < 0 ? 1 : check_cols(st, n, names);
    }
    close_conn(&c);
    if (rc != 2) {
        printf("%d statements checked on %s: %s\n", JC_SQL__COUNT, argv[1],
               rc ? "MISMATCH" : "ok");
    }
    return rc;
}

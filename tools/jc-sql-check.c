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
#include "jc_sql_login.h"
#include "jc_sql_upload.h"
#include "jc_sql_staff.h"
#include "jc_sql_konto.h"
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

static int check_sqlite(const char *file)
{
    sqlite3 *db = NULL;
    int id, bad = 0;

    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "jc-sql-check: %s: %s\n", file, sqlite3_errmsg(db));
        return 2;
    }
    for (id = 0; id < JC_SQL__COUNT; id++) {
        const jc_sql_stmt_t *st = jc_sql_stmt(id);
        char types[64];
        const char *names[64];
        sqlite3_stmt *ps = NULL;
        int n, i;
        char *sql = translate(st->sql, 0, types, &n);

        bad |= check_label(id, st);
        if (sqlite3_prepare_v2(db, sql, -1, &ps, NULL) != SQLITE_OK) {
            printf("%s: does not prepare: %s\n", st->label,
                   sqlite3_errmsg(db));
            bad = 1;
        }
        else {
            n = sqlite3_column_count(ps);
            for (i = 0; i < n && i < 64; i++) {
                names[i] = sqlite3_column_name(ps, i);
            }
            bad |= check_cols(st, n, names);
        }
        sqlite3_finalize(ps);
        free(sql);
    }
    sqlite3_close(db);
    return bad;
}

static int check_pgsql(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    int id, bad = 0;

    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "jc-sql-check: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 2;
    }
    for (id = 0; id < JC_SQL__COUNT; id++) {
        const jc_sql_stmt_t *st = jc_sql_stmt(id);
        char types[64];
        const char *names[64];
        Oid oids[64];
        PGresult *res;
        int n, i;
        char *sql = translate(st->sql, 1, types, &n);

        bad |= check_label(id, st);
        for (i = 0; i < n; i++) {
            oids[i] = types[i] == 'l' ? 20 : 1043;  /* int8, varchar */
        }
        res = PQprepare(conn, "", sql, n, oids);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            printf("%s: does not prepare: %s", st->label,
                   PQerrorMessage(conn));
            bad = 1;
        }
        else {
            PQclear(res);
            res = PQdescribePrepared(conn, "");
            n = PQnfields(res);
            for (i = 0; i < n && i < 64; i++) {
                names[i] = PQfname(res, i);
            }
            bad |= check_cols(st, n, names);
        }
        PQclear(res);
        free(sql);
    }
    PQfinish(conn);
    return bad;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc != 3 || (strcmp(argv[1], "sqlite3") && strcmp(argv[1], "pgsql"))) {
        fprintf(stderr, "usage: jc-sql-check sqlite3 FILE | pgsql CONNINFO\n");
        return 2;
    }
    rc = !strcmp(argv[1], "pgsql") ? check_pgsql(argv[2])
                                   : check_sqlite(argv[2]);
    if (rc != 2) {
        printf("%d statements checked on %s: %s\n", JC_SQL__COUNT, argv[1],
               rc ? "MISMATCH" : "ok");
    }
    return rc;
}

/* jobcenter-admin: command-line tool for operators of mod_jobcenter, in
 * the manner of httpd's htpasswd/htdbm. It works on the module's database
 * through apr_dbd (the same drivers, the same SQL table jc_sql.c and the
 * same validation in the core as the API).
 *
 *   jobcenter-admin [--sqlite FILE | --pgsql 'host=… dbname=… user=…']
 *                   [--sql-dir DIR] COMMAND [--option value]...
 *
 * Run `jobcenter-admin help` for the commands. Exit codes: 0 success,
 * 1 refused (invalid input, conflict, unknown name), 2 usage error,
 * 3 database or system failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_fsc.h"
#include "jc_letter.h"
#include "jc_password.h"
#include "jc_secretbox.h"
#include "jc_sql.h"
#include "jc_staff.h"
#include "jc_store_check.h"
#include "jc_time.h"

/* Where the migrations are: --sql-dir, else $JC_SQL_DIR, else the
 * checkout's sql/ (compiled in by the Makefile), else the installed copy. */
#define JC_SQL_DIR_INSTALLED "/usr/share/jobcenter/sql"
#ifndef JC_SQL_DIR
#define JC_SQL_DIR JC_SQL_DIR_INSTALLED
#endif

#define EX_OK      0
#define EX_REFUSED 1
#define EX_USAGE   2
#define EX_FAIL    3

static const char usage_text[] =
"usage: jobcenter-admin [--sqlite FILE | --pgsql PARAMS] [--sql-dir DIR]\n"
"                       COMMAND [--option value]...\n"
"\n"
"Database (every command but the first three needs one):\n"
"  --sqlite FILE      the module's SQLite database file\n"
"  --pgsql PARAMS     apr_dbd PostgreSQL parameters, e.g.\n"
"                     'host=/run/postgresql port=5432 dbname=jc user=jc'\n"
"  --pg-statements prepared|unnamed\n"
"                     PostgreSQL: statements prepared by name (default)\n"
"                     or sent unnamed (behind PgBouncer in transaction\n"
"                     pooling; JobcenterPgStatements)\n"
"  --sql-dir DIR      migrations (DIR/sqlite, DIR/pgsql); default\n"
"                     " JC_SQL_DIR "\n"
"                     or " JC_SQL_DIR_INSTALLED "\n"
"\n"
"Commands:\n"
"  hash-password [m t p]   read a password from stdin, print its Argon2id\n"
"                          PHC string\n"
"  check-password          read a password from stdin, print the failed\n"
"                          criteria\n"
"  gen-key PATH            create a key file for JobcenterSecretKeyFile\n"
"  db-init                 create the schema (or bring it up to date)\n"
"  db-upgrade              apply the migrations the database lacks\n"
"  jobcenter-add --name N --street S --postcode NNNNN --city C --phone T\n"
"                --hours TEXT --postcodes NNNNN[,NNNNN...]\n"
"                          (--hours: lines separated by '\\n' or ';')\n"
"  jobcenter-list\n"
"  staff-add --jobcenter NAME --email ADDR --name DISPLAY-NAME\n"
"            --team leistung|but|vermittlung --role sachbearbeitung|admin\n"
"            [--valid-days N]  (default 30)\n"
"                          create a confirmed account; prints a one-time\n"
"                          password, valid N days, that must be replaced\n"
"                          by an own password at the first login (then\n"
"                          the second factor is set up)\n"
"  staff-password --email ADDR [--valid-days N]  (default 30)\n"
"                          a new one-time password for a staff member\n"
"                          (forgotten, or expired before the first login);\n"
"                          ends their sessions; the second factor stays\n"
"  staff-list\n"
"  staff-disable --email ADDR   disable and end all sessions\n"
"  customer-add --staff ADDR --given-name G --family-name F\n"
"               --birth-date YYYY-MM-DD --street S --postcode NNNNN\n"
"               --city C [--salutation Frau|Herr]\n"
"                          a customer of that staff member's jobcenter;\n"
"                          prints the Kundennummer\n"
"  code-issue --staff ADDR --kundennummer K --base-url URL --out FILE.pdf\n"
"             [--valid-days N]  (default 42)\n"
"                          issue a Freischaltcode (older unused codes of\n"
"                          the customer become invalid), print it and\n"
"                          write the letter\n"
"  store-check --store DIR [--grace SECONDS] [--repair]\n"
"                          compare the upload store (JobcenterUploadStore)\n"
"                          with the database: committed files no row\n"
"                          names and temp files nobody writes, older than\n"
"                          the grace period (default 3600 s), and rows\n"
"                          whose file is missing; --repair removes those\n"
"                          files (rows are only reported). Exit 0: all\n"
"                          consistent (or repaired), 1: findings remain.\n"
"                          Run it as the server's user or as root\n"
"  mail-parked             mails the relay refused for good (SMTP 5xx):\n"
"                          id, recipient, subject, queued, attempts,\n"
"                          parked, the relay's answer (tab-separated)\n"
"  mail-retry --id N       queue a parked mail again (after fixing the\n"
"                          address or the relay)\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "jobcenter-admin: ");
    fprintf(stderr, fmt, arg ? arg : "");
    fprintf(stderr, "\nRun `jobcenter-admin help` for usage.\n");
    return EX_USAGE;
}

/* ---- options ----------------------------------------------------------- */

typedef struct {
    apr_table_t *opt;        /* --key value                          */
    apr_array_header_t *pos; /* positional arguments (command first) */
} args_t;

/* Every "--key value" pair goes to opt; anything else is positional. */
static int parse_args(args_t *a, int argc, char **argv, apr_pool_t *p)
{
    int i;

    a->opt = apr_table_make(p, 16);
    a->pos = apr_array_make(p, 4, sizeof(const char *));
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repair")) {
            /* the one option without a value (store-check) */
            if (apr_table_get(a->opt, "repair")) {
                return usage_error("option %s given twice", argv[i]);
            }
            apr_table_setn(a->opt, "repair", "1");
            continue;
        }
        if (!strncmp(argv[i], "--", 2) && argv[i][2]) {
            if (i + 1 >= argc) {
                return usage_error("option %s needs a value", argv[i]);
            }
            if (apr_table_get(a->opt, argv[i] + 2)) {
                return usage_error("option %s given twice", argv[i]);
            }
            apr_table_setn(a->opt, argv[i] + 2, argv[i + 1]);
            i++;
        }
        else {
            APR_ARRAY_PUSH(a->pos, const char *) = argv[i];
        }
    }
    return EX_OK;
}

/* Refuse options a command does not know (allowed: NULL-terminated). */
static int check_opts(const args_t *a, const char *cmd,
                      const char *const *allowed)
{
    const apr_array_header_t *arr = apr_table_elts(a->opt);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    static const char *const global[] = { "sqlite", "pgsql", "sql-dir",
                                          "pg-statements", NULL };
    int i, j, ok;

    for (i = 0; i < arr->nelts; i++) {
        ok = 0;
        for (j = 0; global[j] && !ok; j++) {
            ok = !strcmp(e[i].key, global[j]);
        }
        for (j = 0; allowed[j] && !ok; j++) {
            ok = !strcmp(e[i].key, allowed[j]);
        }
        if (!ok) {
            fprintf(stderr, "jobcenter-admin: %s does not take --%s\n", cmd,
                    e[i].key);
            return EX_USAGE;
        }
    }
    return EX_OK;
}

/* Required option: NULL (and a message) when missing. */
static const char *need(const args_t *a, const char *key, int *bad)
{
    const char *v = apr_table_get(a->opt, key);

    if (!v) {
        fprintf(stderr, "jobcenter-admin: --%s is required\n", key);
        *bad = 1;
    }
    return v;
}

/* ---- database ---------------------------------------------------------- */

typedef struct {
    jc_db_t db;
    const char *dialect;     /* "sqlite" | "pgsql" */
    const char *sql_dir;
} conn_t;

/* As root on an existing SQLite file owned by someone else (the web
 * server): become that user, so that the -wal/-shm files the server needs
 * never end up owned by root. */
static int drop_to_owner(const char *file)
{
    struct stat sb;

    if (geteuid() != 0 || stat(file, &sb) != 0 || sb.st_uid == 0) {
        return 0;
    }
    if (setgid(sb.st_gid) != 0 || setuid(sb.st_uid) != 0) {
        fprintf(stderr, "jobcenter-admin: cannot switch to the owner of %s: "
                "%s\n", file, strerror(errno));
        return -1;
    }
    return 0;
}

/* Open the database named by --sqlite / --pgsql. create: a missing SQLite
 * file may be created (db-init). */
static int db_open(conn_t *c, const args_t *a, int create, apr_pool_t *p)
{
    const char *sqlite = apr_table_get(a->opt, "sqlite");
    const char *pgsql = apr_table_get(a->opt, "pgsql");
    const char *name, *params, *err = NULL;
    apr_status_t rv;

    memset(c, 0, sizeof(*c));
    if ((sqlite && pgsql) || (!sqlite && !pgsql)) {
        return usage_error("give the database with exactly one of --sqlite "
                           "FILE or --pgsql PARAMS%s", "");
    }
    c->sql_dir = apr_table_get(a->opt, "sql-dir");
    if (!c->sql_dir) {
        c->sql_dir = getenv("JC_SQL_DIR");
    }
    if (!c->sql_dir) {
        struct stat sb;

        c->sql_dir = stat(JC_SQL_DIR, &sb) == 0 ? JC_SQL_DIR
                                                : JC_SQL_DIR_INSTALLED;
    }
    if (sqlite) {
        struct stat sb;

        if (!create && (stat(sqlite, &sb) != 0 || sb.st_size == 0)) {
            fprintf(stderr, "jobcenter-admin: %s: no such database (create "
                    "it with db-init)\n", sqlite);
            return EX_REFUSED;
        }
        if (drop_to_owner(sqlite) != 0) {
            return EX_FAIL;
        }
        name = "sqlite3";
        params = sqlite;
        c->dialect = "sqlite";
    }
    else {
        name = "pgsql";
        params = pgsql;
        c->dialect = "pgsql";
    }
    rv = apr_dbd_init(p);
    if (rv == APR_SUCCESS) {
        rv = apr_dbd_get_driver(p, name, &c->db.driver);
    }
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: the apr_dbd %s driver is not "
                "available (Debian: libaprutil1-dbd-%s)\n", name,
                sqlite ? "sqlite3" : "pgsql");
        return EX_FAIL;
    }
    if (pgsql) {
        const char *m = apr_table_get(a->opt, "pg-statements");

        if (m && strcmp(m, "prepared") && strcmp(m, "unnamed")) {
            return usage_error("--pg-statements: prepared or unnamed, not "
                               "%s", m);
        }
        if (m && !strcmp(m, "unnamed")
            && jc_db_set_pg_mode(JC_DB_PG_UNNAMED, p) != APR_SUCCESS) {
            fprintf(stderr, "jobcenter-admin: a statement cannot run "
                    "unnamed\n");
            return EX_FAIL;
        }
    }
    rv = apr_dbd_open_ex(c->db.driver, p, params, &c->db.handle, &err);
    if (rv != APR_SUCCESS || !c->db.handle) {
        fprintf(stderr, "jobcenter-admin: cannot open the database: %s\n",
                err ? err : "unknown error");
        return EX_FAIL;
    }
    return EX_OK;
}

/* Schema version, 0 when the database has no schema yet, -1 on error. */
static long schema_version(conn_t *c, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v;
    int rv;

    if (!strcmp(c->dialect, "sqlite")) {
        rv = apr_dbd_select(c->db.driver, p, c->db.handle, &res,
                            "SELECT count(*) FROM sqlite_master WHERE "
                            "type = 'table' AND name = 'jc_schema'", 1);
    }
    else {
        rv = apr_dbd_select(c->db.driver, p, c->db.handle, &res,
                            "SELECT count(*) FROM pg_tables WHERE "
                            "schemaname = current_schema() AND "
                            "tablename = 'jc_schema'", 1);
    }
    if (rv != 0 || apr_dbd_get_row(c->db.driver, p, res, &row, 1) != 0) {
        fprintf(stderr, "jobcenter-admin: cannot read the schema: %s\n",
                apr_dbd_error(c->db.driver, c->db.handle, rv));
        return -1;
    }
    v = apr_dbd_get_entry(c->db.driver, row, 0);
    if (!v || atol(v) == 0) {
        return 0;
    }
    res = NULL;
    row = NULL;
    rv = apr_dbd_select(c->db.driver, p, c->db.handle, &res,
                        "SELECT version FROM jc_schema", 1);
    if (rv != 0 || apr_dbd_get_row(c->db.driver, p, res, &row, 1) != 0
        || !(v = apr_dbd_get_entry(c->db.driver, row, 0))) {
        fprintf(stderr, "jobcenter-admin: not a mod_jobcenter database "
                "(jc_schema unreadable)\n");
        return -1;
    }
    return atol(v);
}

/* Prepare the statement table; the schema must be the one this build
 * expects. */
static int db_ready(conn_t *c, apr_pool_t *p)
{
    long v = schema_version(c, p);

    if (v < 0) {
        return EX_FAIL;
    }
    if (v != JC_SCHEMA_VERSION) {
        fprintf(stderr, "jobcenter-admin: the database schema is at "
                "version %ld, this tool needs %d: run db-upgrade\n", v,
                JC_SCHEMA_VERSION);
        return EX_REFUSED;
    }
    c->db.prepared = apr_hash_make(p);
    if (jc_db_reprepare(&c->db) != JC_DB_OK) {
        fprintf(stderr, "jobcenter-admin: cannot prepare statements: %s\n",
                c->db.last_error ? c->db.last_error : "-");
        return EX_FAIL;
    }
    return EX_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* db-init / db-upgrade: apply every sql/<dialect>/NNN_*.sql above the
 * database's version, in order, each file in its own transaction (each
 * holds BEGIN/COMMIT and sets jc_schema.version). */
static int cmd_migrate(conn_t *c, apr_pool_t *p)
{
    const char *dir = apr_pstrcat(p, c->sql_dir, "/", c->dialect, NULL);
    apr_array_header_t *files = apr_array_make(p, 8, sizeof(const char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    long from, to;
    int i, n;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: no migrations in %s (use "
                "--sql-dir)\n", dir);
        return EX_FAIL;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        size_t len = strlen(fi.name);

        if (fi.filetype == APR_REG && len > 8 && apr_isdigit(fi.name[0])
            && apr_isdigit(fi.name[1]) && apr_isdigit(fi.name[2])
            && fi.name[3] == '_' && !strcmp(fi.name + len - 4, ".sql")) {
            APR_ARRAY_PUSH(files, const char *) = apr_pstrdup(p, fi.name);
        }
    }
    apr_dir_close(d);
    if (files->nelts == 0) {
        fprintf(stderr, "jobcenter-admin: no migrations in %s\n", dir);
        return EX_FAIL;
    }
    qsort(files->elts, (size_t)files->nelts, sizeof(const char *), cmp_str);
    from = schema_version(c, p);
    if (from < 0) {
        return EX_FAIL;
    }
    if (from == 0 && !strcmp(c->dialect, "sqlite")) {
        /* WAL is a property of the file: set once, here */
        apr_dbd_results_t *res = NULL;

        apr_dbd_select(c->db.driver, p, c->db.handle, &res,
                       "PRAGMA journal_mode=WAL", 1);
    }
    to = from;
    for (i = 0, n = 0; i < files->nelts; i++) {
        const char *name = APR_ARRAY_IDX(files, i, const char *);
        long num = atol(name);
        char *sql;
        const char *msg;
        apr_file_t *f;
        apr_finfo_t ffi;
        apr_size_t len;
        int rv, rows = 0;

        if (num <= from) {
            continue;
        }
        if (apr_file_open(&f, apr_pstrcat(p, dir, "/", name, NULL),
                          APR_FOPEN_READ, 0, p) != APR_SUCCESS
            || apr_file_info_get(&ffi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
            fprintf(stderr, "jobcenter-admin: cannot read %s/%s\n", dir,
                    name);
            return EX_FAIL;
        }
        len = (apr_size_t)ffi.size;
        sql = apr_palloc(p, len + 1);
        if (apr_file_read_full(f, sql, len, &len) != APR_SUCCESS) {
            fprintf(stderr, "jobcenter-admin: cannot read %s\n", name);
            return EX_FAIL;
        }
        /* the sqlite3 driver's multi-statement loop reports an error for
         * trailing whitespace after the last statement */
        while (len > 0 && apr_isspace(sql[len - 1])) {
            len--;
        }
        sql[len] = '\0';
        apr_file_close(f);
        rv = apr_dbd_query(c->db.driver, c->db.handle, &rows, sql);
        msg = rv ? apr_pstrdup(p, apr_dbd_error(c->db.driver, c->db.handle,
                                                rv)) : NULL;
        /* a file that stopped half-way leaves its transaction open: end
         * it (a no-op after the file's own COMMIT); the version the
         * database then holds must be the file's */
        apr_dbd_query(c->db.driver, c->db.handle, &rows, "ROLLBACK");
        if (rv != 0 || schema_version(c, p) != num) {
            fprintf(stderr, "jobcenter-admin: %s failed: %s; the database "
                    "stays at version %ld\n", name,
                    msg ? msg : "version not set", to);
            return EX_FAIL;
        }
        to = num;
        n++;
    }
    if (from == 0) {
        printf("schema created (version %ld)\n", to);
    }
    else if (n) {
        printf("schema upgraded from version %ld to %ld\n", from, to);
    }
    else {
        printf("schema is at version %ld, nothing to do\n", from);
    }
    return EX_OK;
}

/* ---- results ----------------------------------------------------------- */

/* English texts for the tool's output; the API answers with the core's
 * German messages for the same codes. */
static const struct {
    const char *code;
    const char *text;
} english[] = {
    { "validation_failed", "invalid input" },
    { "name_missing", "the name is missing" },
    { "name_invalid", "the name is too long or holds control characters" },
    { "street_missing", "the street is missing" },
    { "street_invalid", "the street is too long or holds control characters" },
    { "postcode_missing", "the postcode is missing" },
    { "postcode_invalid", "a postcode is five digits" },
    { "city_missing", "the city is missing" },
    { "city_invalid", "the city is too long or holds control characters" },
    { "phone_missing", "the phone number is missing" },
    { "phone_invalid", "the phone number is too long or holds control "
      "characters" },
    { "opening_hours_invalid", "opening hours: 1 to 500 characters, lines "
      "separated by ';' or newlines" },
    { "postcodes_missing", "give at least one postcode served" },
    { "postcodes_invalid", "every postcode served is five digits" },
    { "jobcenter_missing", "the jobcenter is missing" },
    { "jobcenter_invalid", "the jobcenter name is invalid" },
    { "email_invalid", "not a valid e-mail address" },
    { "display_name_missing", "the display name is missing" },
    { "display_name_invalid", "the display name is too long or holds "
      "control characters" },
    { "team_invalid", "the team is leistung, but or vermittlung" },
    { "role_invalid", "the role is sachbearbeitung or admin" },
    { "salutation_invalid", "the salutation is Frau, Herr or empty" },
    { "given_name_missing", "the given name is missing" },
    { "given_name_invalid", "the given name is longer than 100 characters "
      "or holds control characters" },
    { "family_name_missing", "the family name is missing" },
    { "family_name_invalid", "the family name is longer than 100 "
      "characters or holds control characters" },
    { "birth_date_missing", "the birth date is missing" },
    { "birth_date_invalid", "the birth date is not a valid YYYY-MM-DD "
      "date" },
    { "birth_date_future", "the birth date must lie in the past" },
    { "birth_date_implausible", "the birth date lies more than 120 years "
      "back" },
    { "name_taken", "a jobcenter with this name exists" },
    { "postcode_taken", "a postcode is already served by another "
      "jobcenter" },
    { "jobcenter_unknown", "no jobcenter with this name (jobcenter-list)" },
    { "email_taken", "an account with this e-mail address exists" },
    { "staff_unknown", "no staff member with this e-mail address" },
    { "kundennummer_invalid", "a Kundennummer looks like 123A123456" },
    { "customer_unknown", "no customer with this Kundennummer" },
    { "other_jobcenter", "the customer belongs to another jobcenter than "
      "the staff member" },
    { "customer_bound", "the customer has already redeemed a code" },
    { NULL, NULL }
};

static const char *english_text(const char *code, const char *dflt)
{
    int i;

    for (i = 0; code && english[i].code; i++) {
        if (!strcmp(english[i].code, code)) {
            return english[i].text;
        }
    }
    return dflt ? dflt : "";
}

/* Option names are the API's field names with '-' for '_'. */
static const char *field_option(const char *field, apr_pool_t *p)
{
    char *s = apr_pstrdup(p, field ? field : ""), *q;

    for (q = s; *q; q++) {
        if (*q == '_') {
            *q = '-';
        }
    }
    return s;
}

/* Print a refused/failed core result; the exit code for it. */
static int report(const jc_result_t *res, apr_pool_t *p)
{
    size_t i;

    if (res->status < 300) {
        return EX_OK;
    }
    if (res->details) {
        fprintf(stderr, "jobcenter-admin: %s:\n",
                english_text(res->code, res->message));
    }
    else {
        fprintf(stderr, "jobcenter-admin: %s%s%s%s\n",
                res->field ? "--" : "",
                res->field ? field_option(res->field, p) : "",
                res->field ? ": " : "",
                english_text(res->code, res->message));
    }
    for (i = 0; res->details && i < json_array_size(res->details); i++) {
        json_t *d = json_array_get(res->details, i);
        const char *code = json_string_value(json_object_get(d, "code"));

        fprintf(stderr, "  --%s: %s\n",
                field_option(json_string_value(json_object_get(d, "field")),
                             p),
                english_text(code, json_string_value(json_object_get(
                                 d, "message"))));
    }
    if (res->log) {
        fprintf(stderr, "  (%s)\n", res->log);
    }
    return res->status >= 500 ? EX_FAIL : EX_REFUSED;
}

static int db_error(conn_t *c, jc_db_rc_e rc)
{
    fprintf(stderr, "jobcenter-admin: database %s: %s\n", jc_db_rc_name(rc),
            c->db.last_error ? c->db.last_error : "-");
    return EX_FAIL;
}

/* Look up an enabled staff member by address. */
static int staff_by_email(conn_t *c, const char *email, jc_staff_t *st,
                          apr_pool_t *p)
{
    jc_db_row_t row;
    const void *args[1];
    apr_int64_t id = 0;
    jc_db_rc_e rc;

    args[0] = email;
    rc = jc_db_select1(&c->db, &row, JC_SQL_ACCT_ID_BY_EMAIL, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, 0, &id, 0);
        rc = jc_staff_load(&c->db, st, id, p);
    }
    if (rc == JC_DB_NOROW) {
        fprintf(stderr, "jobcenter-admin: no staff member with the address "
                "%s\n", email);
        return EX_REFUSED;
    }
    if (rc != JC_DB_OK) {
        return db_error(c, rc);
    }
    if (st->disabled) {
        fprintf(stderr, "jobcenter-admin: %s is disabled\n", email);
        return EX_REFUSED;
    }
    return EX_OK;
}

/* ---- commands ---------------------------------------------------------- */

/* code-issue --out FILE, opened in run() before the database is opened
 * (which may switch to the SQLite file's owner). */
static apr_file_t *out_file;

static int open_out(const char *path, apr_pool_t *p)
{
    if (apr_file_open(&out_file, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                      | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                      APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD
                      | APR_FPROT_WREAD, p) != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: cannot write %s\n", path);
        out_file = NULL;
        return EX_FAIL;
    }
    return EX_OK;
}

static int cmd_jobcenter_add(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "name", "street", "postcode", "city",
                                        "phone", "hours", "postcodes", NULL };
    jc_jobcenter_in_t in;
    jc_result_t res;
    apr_array_header_t *pcs = apr_array_make(p, 8, sizeof(const char *));
    const char *list, *hours;
    char *copy, *tok, *last = NULL, *h;
    apr_int64_t id = 0;
    int bad = 0;

    if (check_opts(a, "jobcenter-add", opts)) {
        return EX_USAGE;
    }
    memset(&in, 0, sizeof(in));
    in.name = need(a, "name", &bad);
    in.street = need(a, "street", &bad);
    in.postcode = need(a, "postcode", &bad);
    in.city = need(a, "city", &bad);
    in.phone = need(a, "phone", &bad);
    hours = need(a, "hours", &bad);
    list = need(a, "postcodes", &bad);
    if (bad) {
        return EX_USAGE;
    }
    /* "Mo-Fr 8-12;Do 14-18" or real newlines: lines of the opening hours */
    h = apr_pstrdup(p, hours);
    for (copy = h; *copy; copy++) {
        if (*copy == ';') {
            *copy = '\n';
        }
    }
    in.opening_hours = h;
    copy = apr_pstrdup(p, list);
    for (tok = apr_strtok(copy, ", ", &last); tok;
         tok = apr_strtok(NULL, ", ", &last)) {
        APR_ARRAY_PUSH(pcs, const char *) = tok;
    }
    APR_ARRAY_PUSH(pcs, const char *) = NULL;
    in.postcodes = (const char *const *)pcs->elts;
    jc_result_ok(&res);
    jc_jobcenter_add(&c->db, &res, &in, (apr_int64_t)time(NULL), &id, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("jobcenter: %" APR_INT64_T_FMT "\nname: %s\n", id, in.name);
    return EX_OK;
}

static int cmd_jobcenter_list(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { NULL };
    jc_db_res_t rs;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i, j;

    if (check_opts(a, "jobcenter-list", opts)) {
        return EX_USAGE;
    }
    rc = jc_db_select(&c->db, &rs, JC_SQL_JC_LIST, NULL, p);
    if (rc != JC_DB_OK) {
        return db_error(c, rc);
    }
    for (i = 0; i < rs.nrows && jc_db_res_row(&rs, i, &row, p) == 0; i++) {
        apr_int64_t id = 0, nstaff = 0, ncust = 0;
        jc_db_res_t pr;
        jc_db_row_t prow;
        const void *args[1];
        char *hours;

        jc_db_col_i64(&row, 0, &id, 0);
        jc_db_col_i64(&row, 7, &nstaff, 0);
        jc_db_col_i64(&row, 8, &ncust, 0);
        hours = apr_pstrdup(p, jc_db_col_str(&row, 6, p));
        for (j = 0; hours[j]; j++) {
            if (hours[j] == '\n') {
                hours[j] = ';';
            }
        }
        printf("%" APR_INT64_T_FMT "\t%s\t%s, %s %s\t%s\t%s\tstaff %"
               APR_INT64_T_FMT "\tcustomers %" APR_INT64_T_FMT "\tpostcodes ",
               id, jc_db_col_str(&row, 1, p), jc_db_col_str(&row, 2, p),
               jc_db_col_str(&row, 3, p), jc_db_col_str(&row, 4, p),
               jc_db_col_str(&row, 5, p), hours, nstaff, ncust);
        args[0] = &id;
        if (jc_db_select(&c->db, &pr, JC_SQL_JC_POSTCODES, args, p)
            == JC_DB_OK) {
            for (j = 0; j < pr.nrows && jc_db_res_row(&pr, j, &prow, p) == 0;
                 j++) {
                printf("%s%s", j ? "," : "", jc_db_col_str(&prow, 0, p));
            }
        }
        printf("\n");
    }
    if (rs.nrows == 0) {
        fprintf(stderr, "no jobcenters yet (jobcenter-add)\n");
    }
    return EX_OK;
}

/* --valid-days of staff-add / staff-password into *days (default kept);
 * EX_OK or EX_USAGE (message printed). */
static int onetime_days(const args_t *a, apr_int64_t *days)
{
    const char *days_s = apr_table_get(a->opt, "valid-days");

    if (days_s) {
        char *end = NULL;

        *days = apr_strtoi64(days_s, &end, 10);
        if (!*days_s || *end || *days < 1 || *days > 365) {
            return usage_error("--valid-days: a number of days from 1 to "
                               "365, not '%s'", days_s);
        }
    }
    return EX_OK;
}

/* A new one-time password and its Argon2id hash; EX_OK or EX_FAIL. */
static int onetime_password(const char **pw, const char **phc, apr_pool_t *p)
{
    jc_argon2_params_t prm = { 19456, 2, 1 };

    *phc = NULL;
    *pw = jc_staff_gen_password(p);
    if (!*pw || jc_password_hash(phc, *pw, strlen(*pw), &prm, p)
                != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: cannot create a password\n");
        return EX_FAIL;
    }
    return EX_OK;
}

/* The lines about a one-time password (build.sh and the tests read
 * "one-time password:" and "valid until:"). */
static void print_onetime(const char *pw, apr_int64_t expires)
{
    char until[32];
    jc_berlin_tm_t tm;

    /* German time, whatever the TZ of the shell that runs this tool */
    jc_berlin_exp(expires, &tm);
    apr_snprintf(until, sizeof(until), "%04d-%02d-%02d %02d:%02d", tm.year,
                 tm.mon, tm.mday, tm.hour, tm.min);
    printf("one-time password: %s\n"
           "valid until: %s\n"
           "(shown once; at the next login it must be replaced by an own "
           "password, then the second factor is set up or asked for; after "
           "that time the login is refused)\n", pw, until);
}

static int cmd_staff_add(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "jobcenter", "email", "name", "team",
                                        "role", "valid-days", NULL };
    jc_staff_in_t in;
    jc_result_t res;
    const char *pw, *phc;
    apr_int64_t id = 0, days = JC_ONETIME_VALIDITY_DAYS, now;
    int bad = 0;

    if (check_opts(a, "staff-add", opts)) {
        return EX_USAGE;
    }
    in.jobcenter = need(a, "jobcenter", &bad);
    in.email = need(a, "email", &bad);
    in.display_name = need(a, "name", &bad);
    in.team = need(a, "team", &bad);
    in.role = need(a, "role", &bad);
    if (bad) {
        return EX_USAGE;
    }
    if (onetime_days(a, &days) != EX_OK) {
        return EX_USAGE;
    }
    jc_result_ok(&res);
    if (jc_staff_validate(&res, &in, p)) {
        return report(&res, p);
    }
    if (onetime_password(&pw, &phc, p) != EX_OK) {
        return EX_FAIL;
    }
    now = (apr_int64_t)time(NULL);
    jc_staff_add(&c->db, &res, &in, phc, now, now + days * 86400, &id, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("account: %" APR_INT64_T_FMT "\nlogin: %s\n", id,
           jc_account_normalize_email(in.email, p));
    print_onetime(pw, now + days * 86400);
    return EX_OK;
}

static int cmd_staff_password(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "email", "valid-days", NULL };
    jc_result_t res;
    const char *email, *pw, *phc;
    apr_int64_t days = JC_ONETIME_VALIDITY_DAYS, now;
    int bad = 0;

    if (check_opts(a, "staff-password", opts)) {
        return EX_USAGE;
    }
    email = need(a, "email", &bad);
    if (bad) {
        return EX_USAGE;
    }
    if (onetime_days(a, &days) != EX_OK) {
        return EX_USAGE;
    }
    if (onetime_password(&pw, &phc, p) != EX_OK) {
        return EX_FAIL;
    }
    jc_result_ok(&res);
    now = (apr_int64_t)time(NULL);
    jc_staff_new_onetime(&c->db, &res, email, phc, now, now + days * 86400,
                         p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("login: %s\n", jc_account_normalize_email(email, p));
    print_onetime(pw, now + days * 86400);
    return EX_OK;
}

static int cmd_staff_list(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { NULL };
    jc_db_res_t rs;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i;

    if (check_opts(a, "staff-list", opts)) {
        return EX_USAGE;
    }
    rc = jc_db_select(&c->db, &rs, JC_SQL_STAFF_LIST, NULL, p);
    if (rc != JC_DB_OK) {
        return db_error(c, rc);
    }
    for (i = 0; i < rs.nrows && jc_db_res_row(&rs, i, &row, p) == 0; i++) {
        apr_int64_t id = 0, dis = 0, totp = 0;
        int disabled = jc_db_col_i64(&row, 7, &dis, 0);
        int has_totp = jc_db_col_i64(&row, 8, &totp, 0);

        jc_db_col_i64(&row, 0, &id, 0);
        printf("%" APR_INT64_T_FMT "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id,
               jc_db_col_str(&row, 1, p), jc_db_col_str(&row, 2, p),
               jc_db_col_str(&row, 3, p), jc_db_col_str(&row, 4, p),
               jc_db_col_str(&row, 5, p),
               has_totp ? "totp" : "no-second-factor-yet",
               disabled ? "disabled" : "active");
    }
    if (rs.nrows == 0) {
        fprintf(stderr, "no staff yet (staff-add)\n");
    }
    return EX_OK;
}

static int cmd_staff_disable(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "email", NULL };
    jc_result_t res;
    const char *email;
    int bad = 0;

    if (check_opts(a, "staff-disable", opts)) {
        return EX_USAGE;
    }
    email = need(a, "email", &bad);
    if (bad) {
        return EX_USAGE;
    }
    jc_result_ok(&res);
    jc_staff_disable(&c->db, &res, email, (apr_int64_t)time(NULL), p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("disabled: %s (sessions ended)\n", email);
    return EX_OK;
}

static int cmd_customer_add(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "staff", "salutation", "given-name",
                                        "family-name", "birth-date", "street",
                                        "postcode", "city", NULL };
    jc_customer_in_t in;
    jc_customer_t cust;
    jc_staff_t st;
    jc_result_t res;
    const char *email;
    int bad = 0, rc;

    if (check_opts(a, "customer-add", opts)) {
        return EX_USAGE;
    }
    email = need(a, "staff", &bad);
    memset(&in, 0, sizeof(in));
    in.salutation = apr_table_get(a->opt, "salutation");
    in.given_name = need(a, "given-name", &bad);
    in.family_name = need(a, "family-name", &bad);
    in.birth_date = need(a, "birth-date", &bad);
    in.street = need(a, "street", &bad);
    in.postcode = need(a, "postcode", &bad);
    in.city = need(a, "city", &bad);
    if (bad) {
        return EX_USAGE;
    }
    rc = staff_by_email(c, email, &st, p);
    if (rc != EX_OK) {
        return rc;
    }
    jc_result_ok(&res);
    jc_customer_create(&c->db, &res, &st, &in, (apr_int64_t)time(NULL),
                       &cust, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    printf("customer: %" APR_INT64_T_FMT "\nkundennummer: %s\n"
           "jobcenter: %s\n", cust.id, cust.kundennummer, st.jobcenter_name);
    return EX_OK;
}

static int cmd_code_issue(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "staff", "kundennummer", "base-url",
                                        "out", "valid-days", NULL };
    jc_customer_t cust;
    jc_staff_t st;
    jc_result_t res;
    jc_fsc_issued_t iss;
    const char *email, *knr, *base, *out, *days_s, *pdf = NULL;
    apr_size_t len = 0;
    apr_int64_t days = 42;
    apr_file_t *f;
    size_t n;
    char *b, date[11];
    int bad = 0, rc;

    if (check_opts(a, "code-issue", opts)) {
        return EX_USAGE;
    }
    email = need(a, "staff", &bad);
    knr = need(a, "kundennummer", &bad);
    base = need(a, "base-url", &bad);
    out = need(a, "out", &bad);
    if (bad) {
        return EX_USAGE;
    }
    days_s = apr_table_get(a->opt, "valid-days");
    if (days_s) {
        char *end = NULL;

        days = apr_strtoi64(days_s, &end, 10);
        if (!*days_s || *end || days < 1 || days > 365) {
            return usage_error("--valid-days: a number of days from 1 to "
                               "365, not '%s'", days_s);
        }
    }
    if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) {
        return usage_error("--base-url must start with http:// or https:// "
                           "(the portal's JobcenterBaseURL), not '%s'", base);
    }
    b = apr_pstrdup(p, base);
    n = strlen(b);
    while (n > 0 && b[n - 1] == '/') {
        b[--n] = '\0';
    }
    rc = staff_by_email(c, email, &st, p);
    if (rc != EX_OK) {
        return rc;
    }
    jc_result_ok(&res);
    jc_customer_by_knr(&c->db, &res, knr, &cust, p);
    if (res.status == 200 && cust.jobcenter_id != st.jobcenter_id) {
        jc_result_set(&res, 403, "other_jobcenter", "Diese Kundin oder "
                      "dieser Kunde gehört zu einem anderen Jobcenter.",
                      "kundennummer");
    }
    if (res.status != 200) {
        return report(&res, p);
    }
    /* the letter file was opened before the database (as the caller, who
     * may own the output directory), so a code is never stored whose
     * letter cannot be written */
    f = out_file;
    if (!f) {
        return EX_FAIL;
    }
    jc_fsc_issue(&c->db, &res, st.account_id, &cust, days * 86400, b,
                 (apr_int64_t)time(NULL), &iss, &pdf, &len, p);
    if (res.status != 200) {
        return report(&res, p);
    }
    if (apr_file_write_full(f, pdf, len, NULL) != APR_SUCCESS
        || apr_file_close(f) != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: writing %s failed; the code is "
                "stored: issue a new one (it voids this one)\n", out);
        return EX_FAIL;
    }
    jc_date_de((time_t)iss.expires_at, date);
    printf("freischaltcode: %s\nkundennummer: %s\nvalid until: %s\n"
           "voided older codes: %d\nletter: %s\nlink: %s\n", iss.grouped,
           cust.kundennummer, date, iss.voided, out,
           jc_fsc_link(b, iss.grouped, p));
    return EX_OK;
}

/* ---- commands without a database ---------------------------------------- */

/* gen-key PATH: exit 0 when created, 1 when PATH exists, 2 otherwise. */
static int gen_key(const char *path, apr_pool_t *p)
{
    char err[120];
    apr_status_t rv = jc_secretbox_key_create(path, p);

    if (rv == APR_SUCCESS) {
        return 0;
    }
    if (rv == APR_EEXIST) {
        fprintf(stderr, "%s exists; not overwritten\n", path);
        return 1;
    }
    fprintf(stderr, "cannot create %s: %s\n", path,
            apr_strerror(rv, err, sizeof(err)));
    return 2;
}

static int read_line(char *buf, size_t n)
{
    size_t len;

    if (!fgets(buf, (int)n, stdin)) {
        return -1;
    }
    len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        buf[--len] = '\0';
    }
    return (int)len;
}

static int password_cmd(int argc, char **argv, apr_pool_t *p)
{
    jc_argon2_params_t prm = { 19456, 2, 1 };
    char pw[256];
    int len, rc = 0;

    len = read_line(pw, sizeof(pw));
    if (len < 0) {
        fprintf(stderr, "no password on stdin\n");
        rc = 2;
    }
    else if (!strcmp(argv[1], "hash-password")) {
        const char *phc;

        if (argc == 5) {
            prm.m_kib = (unsigned int)strtoul(argv[2], NULL, 10);
            prm.t_cost = (unsigned int)strtoul(argv[3], NULL, 10);
            prm.lanes = (unsigned int)strtoul(argv[4], NULL, 10);
        }
        if (jc_password_hash(&phc, pw, (size_t)len, &prm, p)
            != APR_SUCCESS) {
            fprintf(stderr, "hashing failed\n");
            rc = 1;
        }
        else {
            printf("%s\n", phc);
        }
    }
    else {
        int bad = jc_password_check(pw, (size_t)len, NULL, 0);
        const jc_pw_rule_t *r;

        for (r = jc_password_rules(); r->code; r++) {
            if (bad & r->bit) {
                printf("%s: %s\n", r->code, r->message);
            }
        }
        rc = bad ? 1 : 0;
    }
    memset(pw, 0, sizeof(pw));
    return rc;
}

/* ---- store-check -------------------------------------------------------- */

static void store_report(void *baton, const jc_sc_finding_t *f)
{
    char err[128];

    (void)baton;
    switch (f->kind) {
    case JC_SC_ORPHAN_FILE:
    case JC_SC_ORPHAN_TEMP:
        printf("%s\t%s\t%" APR_OFF_T_FMT "%s\n",
               f->kind == JC_SC_ORPHAN_FILE ? "orphan-file" : "orphan-temp",
               f->path, f->size, f->removed ? "\tremoved" : "");
        break;
    case JC_SC_MISSING_FILE:
        printf("missing-file\t%s\t%" APR_INT64_T_FMT "\t%s\n", f->table,
               f->row_id, f->store_id);
        break;
    default:
        printf("unchecked\t%s\t%s\n", f->path,
               apr_strerror(f->err, err, sizeof(err)));
        break;
    }
}

static int cmd_store_check(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "store", "grace", "repair", NULL };
    const char *grace = apr_table_get(a->opt, "grace");
    jc_sc_totals_t t;
    jc_sc_cfg_t cfg;
    jc_db_rc_e rc;
    char *end = NULL;
    long g = 3600;
    int bad = 0;

    if (check_opts(a, "store-check", opts)) {
        return EX_USAGE;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.dir = need(a, "store", &bad);
    if (bad) {
        return EX_USAGE;
    }
    if (grace) {
        errno = 0;
        g = strtol(grace, &end, 10);
        if (errno || end == grace || *end || g < 0 || g > 31536000) {
            return usage_error("--grace: seconds, 0 to 31536000, not '%s'",
                               grace);
        }
    }
    cfg.grace = g;
    cfg.repair = apr_table_get(a->opt, "repair") != NULL;
    cfg.report = store_report;
    rc = jc_store_check(&c->db, &t, &cfg, (apr_int64_t)time(NULL), p);
    if (rc != JC_DB_OK) {
        fprintf(stderr, "jobcenter-admin: store-check: %s\n",
                c->db.last_error ? c->db.last_error : jc_db_rc_name(rc));
        return EX_FAIL;
    }
    printf("files: %u (%u within the grace period, %u being written)\n"
           "orphan files: %u (%" APR_OFF_T_FMT " bytes)\n"
           "orphan temp files: %u (%" APR_OFF_T_FMT " bytes)\n"
           "removed: %u (%" APR_OFF_T_FMT " bytes)\n"
           "rows: %u, without their file: %u\n"
           "unchecked: %u\n",
           t.files, t.young, t.busy, t.orphans, t.orphan_bytes, t.temps,
           t.temp_bytes, t.removed, t.removed_bytes, t.rows, t.missing,
           t.unchecked);
    return (t.orphans + t.temps > t.removed || t.missing || t.unchecked)
           ? EX_REFUSED : EX_OK;
}

/* ---- mail outbox ------------------------------------------------------- */

/* UTC "YYYY-MM-DD HH:MM:SS" of an epoch second. */
static const char *utc_time(apr_int64_t t, apr_pool_t *p)
{
    char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;

    if (!gmtime_r(&tt, &tm)
        || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm)) {
        return "-";
    }
    return apr_pstrdup(p, buf);
}

/* One line of text for a tab-separated column: controls become spaces. */
static const char *one_line(const char *v, apr_pool_t *p)
{
    char *s, *q;

    if (!v || !*v) {
        return "-";
    }
    s = apr_pstrdup(p, v);
    for (q = s; *q; q++) {
        if ((unsigned char)*q < 0x20 || *q == 0x7f) {
            *q = ' ';
        }
    }
    return s;
}

static int cmd_mail_parked(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { NULL };
    jc_db_res_t rs;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i;

    if (check_opts(a, "mail-parked", opts)) {
        return EX_USAGE;
    }
    rc = jc_db_select(&c->db, &rs, JC_SQL_OUTBOX_PARKED, NULL, p);
    if (rc != JC_DB_OK) {
        return db_error(c, rc);
    }
    for (i = 0; i < rs.nrows && jc_db_res_row(&rs, i, &row, p) == 0; i++) {
        apr_int64_t id = 0, created = 0, attempts = 0, parked = 0;

        jc_db_col_i64(&row, 0, &id, 0);
        jc_db_col_i64(&row, 3, &created, 0);
        jc_db_col_i64(&row, 4, &attempts, 0);
        jc_db_col_i64(&row, 5, &parked, 0);
        printf("%" APR_INT64_T_FMT "\t%s\t%s\t%s\t%" APR_INT64_T_FMT
               "\t%s\t%s\n", id, one_line(jc_db_col_str(&row, 1, p), p),
               one_line(jc_db_col_str(&row, 2, p), p), utc_time(created, p),
               attempts, utc_time(parked, p),
               one_line(jc_db_col_str(&row, 6, p), p));
    }
    if (rs.nrows == 0) {
        fprintf(stderr, "no parked mails\n");
    }
    return EX_OK;
}

static int cmd_mail_retry(conn_t *c, const args_t *a, apr_pool_t *p)
{
    static const char *const opts[] = { "id", NULL };
    apr_int64_t id, now = (apr_int64_t)time(NULL);
    const void *args[2];
    const char *v;
    char *end = NULL;
    jc_db_rc_e rc;
    int bad = 0, n = 0;

    if (check_opts(a, "mail-retry", opts)) {
        return EX_USAGE;
    }
    v = need(a, "id", &bad);
    if (bad) {
        return EX_USAGE;
    }
    errno = 0;
    id = (apr_int64_t)strtoll(v, &end, 10);
    if (errno || !end || *end || id <= 0) {
        return usage_error("--id: a mail id from mail-parked, not '%s'", v);
    }
    args[0] = &now;
    args[1] = &id;
    rc = jc_db_exec(&c->db, &n, JC_SQL_OUTBOX_UNPARK, args, p);
    if (rc != JC_DB_OK) {
        return db_error(c, rc);
    }
    if (n != 1) {
        fprintf(stderr, "jobcenter-admin: no parked mail with id %s "
                "(mail-parked lists them)\n", v);
        return EX_REFUSED;
    }
    printf("mail %s queued again\n", v);
    return EX_OK;
}

/* ---- main -------------------------------------------------------------- */

typedef int db_cmd_fn(conn_t *c, const args_t *a, apr_pool_t *p);

static const struct {
    const char *name;
    db_cmd_fn *fn;
} db_cmds[] = {
    { "jobcenter-add", cmd_jobcenter_add },
    { "jobcenter-list", cmd_jobcenter_list },
    { "staff-add", cmd_staff_add },
    { "staff-list", cmd_staff_list },
    { "staff-password", cmd_staff_password },
    { "staff-disable", cmd_staff_disable },
    { "customer-add", cmd_customer_add },
    { "code-issue", cmd_code_issue },
    { "store-check", cmd_store_check },
    { "mail-parked", cmd_mail_parked },
    { "mail-retry", cmd_mail_retry },
    { NULL, NULL }
};

static int run(int argc, char **argv, apr_pool_t *p)
{
    args_t a;
    conn_t c;
    const char *cmd;
    int rc, i;

    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")
        || !strcmp(argv[1], "-h")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? EX_USAGE : EX_OK;
    }
    /* the original commands keep their positional syntax */
    if (!strcmp(argv[1], "gen-key")) {
        if (argc != 3) {
            return usage_error("usage: jobcenter-admin gen-key PATH%s", "");
        }
        return gen_key(argv[2], p);
    }
    if (!strcmp(argv[1], "hash-password")
        || !strcmp(argv[1], "check-password")) {
        return password_cmd(argc, argv, p);
    }
    rc = parse_args(&a, argc, argv, p);
    if (rc != EX_OK) {
        return rc;
    }
    if (a.pos->nelts != 1) {
        return a.pos->nelts == 0
            ? usage_error("no command given%s", "")
            : usage_error("unexpected argument '%s' (options are --name "
                          "value)", APR_ARRAY_IDX(a.pos, 1, const char *));
    }
    cmd = APR_ARRAY_IDX(a.pos, 0, const char *);
    if (!strcmp(cmd, "db-init") || !strcmp(cmd, "db-upgrade")) {
        static const char *const none[] = { NULL };

        if (check_opts(&a, cmd, none)) {
            return EX_USAGE;
        }
        rc = db_open(&c, &a, !strcmp(cmd, "db-init"), p);
        return rc != EX_OK ? rc : cmd_migrate(&c, p);
    }
    for (i = 0; db_cmds[i].name; i++) {
        if (!strcmp(cmd, db_cmds[i].name)) {
            if (!strcmp(cmd, "code-issue") && apr_table_get(a.opt, "out")
                && open_out(apr_table_get(a.opt, "out"), p) != EX_OK) {
                return EX_FAIL;
            }
            rc = db_open(&c, &a, 0, p);
            if (rc == EX_OK) {
                rc = db_ready(&c, p);
            }
            if (rc == EX_OK) {
                rc = db_cmds[i].fn(&c, &a, p);
            }
            if (rc != EX_OK && out_file) {
                /* no code was stored: no (empty) letter file either */
                apr_file_close(out_file);
                apr_file_remove(apr_table_get(a.opt, "out"), p);
            }
            return rc;
        }
    }
    return usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    int rc;

    apr_initialize();
    apr_pool_create(&p, NULL);
    rc = run(argc, argv, p);
    fflush(stdout);
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}

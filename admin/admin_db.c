/* jobcenter-admin: connecting to the database, db-init / db-upgrade (the
 * migrations of sql/) and reporting results (admin.h). */
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
#include "jc_customer.h"
#include "jc_fsc.h"
#include "jc_fsc_issue.h"
#include "jc_jobcenter.h"
#include "jc_letter.h"
#include "jc_password.h"
#include "jc_secretbox.h"
#include "jc_sql.h"
#include "jc_staff.h"
#include "jc_store_check.h"
#include "jc_time.h"

#include "admin.h"

/* ---- database ---------------------------------------------------------- */

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
int db_open(conn_t *c, const args_t *a, int create, apr_pool_t *p)
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
int db_ready(conn_t *c, apr_pool_t *p)
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

/* The migration files of dir (NNN_*.sql), sorted; NULL (and a message)
 * when there are none. */
static apr_array_header_t *list_migrations(const char *dir, apr_pool_t *p)
{
    apr_array_header_t *files = apr_array_make(p, 8, sizeof(const char *));
    apr_dir_t *d;
    apr_finfo_t fi;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: no migrations in %s (use "
                "--sql-dir)\n", dir);
        return NULL;
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
        return NULL;
    }
    qsort(files->elts, (size_t)files->nelts, sizeof(const char *), cmp_str);
    return files;
}

/* Apply one migration file (number num) to a database at version `at`:
 * EX_OK once the database holds the file's version. */
static int apply_migration(conn_t *c, const char *dir, const char *name,
                           long num, long at, apr_pool_t *p)
{
    char *sql;
    const char *msg;
    apr_file_t *f;
    apr_finfo_t ffi;
    apr_size_t len;
    int rv, rows = 0;

    if (apr_file_open(&f, apr_pstrcat(p, dir, "/", name, NULL),
                      APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_info_get(&ffi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        fprintf(stderr, "jobcenter-admin: cannot read %s/%s\n", dir, name);
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
                msg ? msg : "version not set", at);
        return EX_FAIL;
    }
    return EX_OK;
}

/* db-init / db-upgrade: apply every sql/<dialect>/NNN_*.sql above the
 * database's version, in order, each file in its own transaction (each
 * holds BEGIN/COMMIT and sets jc_schema.version). */
int cmd_migrate(conn_t *c, apr_pool_t *p)
{
    const char *dir = apr_pstrcat(p, c->sql_dir, "/", c->dialect, NULL);
    apr_array_header_t *files = list_migrations(dir, p);
    long from, to;
    int i, n;

    if (!files) {
        return EX_FAIL;
    }
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

        if (num <= from) {
            continue;
        }
        if (apply_migration(c, dir, name, num, to, p) != EX_OK) {
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
int report(const jc_result_t *res, apr_pool_t *p)
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

int db_error(conn_t *c, jc_db_rc_e rc)
{
    fprintf(stderr, "jobcenter-admin: database %s: %s\n", jc_db_rc_name(rc),
            c->db.last_error ? c->db.last_error : "-");
    return EX_FAIL;
}

/* Look up an enabled staff member by address. */
int staff_by_email(conn_t *c, const char *email, jc_staff_t *st,
                   apr_pool_t *p)
{
    apr_int64_t id = 0;
    jc_db_rc_e rc;

    rc = jc_account_id_by_email(&c->db, &id, email, p);
    if (rc == JC_DB_OK) {
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


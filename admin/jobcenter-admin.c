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
#include "jc_customer.h"
#include "jc_customer.h"
#include "jc_fsc.h"
#include "jc_fsc_issue.h"
#include "jc_jobcenter.h"
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

int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "jobcenter-admin: ");
    fprintf(stderr, fmt, arg ? arg : "");
    fprintf(stderr, "\nRun `jobcenter-admin help` for usage.\n");
    return EX_USAGE;
}

/* ---- options ----------------------------------------------------------- */

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
int check_opts(const args_t *a, const char *cmd,
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
const char *need(const args_t *a, const char *key, int *bad)
{
    const char *v = apr_table_get(a->opt, key);

    if (!v) {
        fprintf(stderr, "jobcenter-admin: --%s is required\n", key);
        *bad = 1;
    }
    return v;
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

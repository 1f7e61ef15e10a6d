/* jobcenter-admin's shared parts: the exit codes, the parsed command
 * line, the database connection, and the functions the command groups
 * (the files of admin/) call on each other.
 *
 *   jobcenter-admin.c  usage, options, main and the command table
 *   admin_db.c         connecting, db-init / db-upgrade, result reports
 *   admin_accounts.c   jobcenter-*, staff-*, customer-add, code-issue
 *   admin_ops.c        gen-key, password, store-check, mail-parked/-retry
 */
#ifndef JC_ADMIN_H
#define JC_ADMIN_H

#include <stdio.h>
#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_tables.h>

#include "jc_db.h"
#include "jc_result.h"
#include "jc_staff.h"

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

typedef struct {
    apr_table_t *opt;        /* --key value                          */
    apr_array_header_t *pos; /* positional arguments (command first) */
} args_t;

typedef struct {
    jc_db_t db;
    const char *dialect;     /* "sqlite" | "pgsql" */
    const char *sql_dir;
} conn_t;

/* jobcenter-admin.c: a usage error (message with one %s) on stderr;
 * options a command does not know (allowed: NULL-terminated) refused; a
 * required option (NULL and a message when missing, *bad set). */
int usage_error(const char *fmt, const char *arg);
int check_opts(const args_t *a, const char *cmd,
               const char *const *allowed);
const char *need(const args_t *a, const char *key, int *bad);

/* admin_db.c: open the database named by --sqlite / --pgsql (create: a
 * missing SQLite file may be created), check its schema and prepare the
 * statements, apply the migrations; a core result or a database error
 * reported on stderr (the exit code); a staff account by e-mail. */
int db_open(conn_t *c, const args_t *a, int create, apr_pool_t *p);
int db_ready(conn_t *c, apr_pool_t *p);
int cmd_migrate(conn_t *c, apr_pool_t *p);
int report(const jc_result_t *res, apr_pool_t *p);
int db_error(conn_t *c, jc_db_rc_e rc);
int staff_by_email(conn_t *c, const char *email, jc_staff_t *st,
                   apr_pool_t *p);

/* admin_accounts.c: the letter file (opened before the database, as the
 * caller) and the commands on jobcenters, staff, customers and codes. */
extern apr_file_t *out_file;
int open_out(const char *path, apr_pool_t *p);
int cmd_jobcenter_add(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_jobcenter_list(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_staff_add(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_staff_password(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_staff_list(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_staff_disable(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_customer_add(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_code_issue(conn_t *c, const args_t *a, apr_pool_t *p);

/* admin_ops.c: the commands without a database (gen-key, password) and
 * the operations ones (store-check, mail outbox). */
int gen_key(const char *path, apr_pool_t *p);
int password_cmd(int argc, char **argv, apr_pool_t *p);
int cmd_store_check(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_mail_parked(conn_t *c, const args_t *a, apr_pool_t *p);
int cmd_mail_retry(conn_t *c, const args_t *a, apr_pool_t *p);

#endif

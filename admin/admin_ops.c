/* jobcenter-admin: the commands without a database (gen-key, password)
 * and the operators' ones (store-check, mail-parked, mail-retry)
 * (admin.h). */
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

/* ---- commands without a database ---------------------------------------- */

/* gen-key PATH: exit 0 when created, 1 when PATH exists, 2 otherwise. */
int gen_key(const char *path, apr_pool_t *p)
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

int password_cmd(int argc, char **argv, apr_pool_t *p)
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

int cmd_store_check(conn_t *c, const args_t *a, apr_pool_t *p)
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

int cmd_mail_parked(conn_t *c, const args_t *a, apr_pool_t *p)
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

        jc_db_col_i64(&row, JC_COL_OUTBOX_PARKED_ID, &id, 0);
        jc_db_col_i64(&row, JC_COL_OUTBOX_PARKED_CREATED_AT, &created, 0);
        jc_db_col_i64(&row, JC_COL_OUTBOX_PARKED_ATTEMPTS, &attempts, 0);
        jc_db_col_i64(&row, JC_COL_OUTBOX_PARKED_PARKED_AT, &parked, 0);
        printf("%" APR_INT64_T_FMT "\t%s\t%s\t%s\t%" APR_INT64_T_FMT
               "\t%s\t%s\n", id,
               one_line(jc_db_col_str(&row, JC_COL_OUTBOX_PARKED_RCPT, p), p),
               one_line(jc_db_col_str(&row, JC_COL_OUTBOX_PARKED_SUBJECT, p),
                        p),
               utc_time(created, p), attempts, utc_time(parked, p),
               one_line(jc_db_col_str(&row, JC_COL_OUTBOX_PARKED_LAST_ERROR,
                                      p), p));
    }
    if (rs.nrows == 0) {
        fprintf(stderr, "no parked mails\n");
    }
    return EX_OK;
}

int cmd_mail_retry(conn_t *c, const args_t *a, apr_pool_t *p)
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


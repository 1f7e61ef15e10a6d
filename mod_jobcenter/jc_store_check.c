/* Reconciling the upload store with the database (see jc_store_check.h).
 * Plain POSIX directory and lock calls, like jc_upload_store.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE              /* flock, dirfd, O_NOFOLLOW */
#endif
#include "jc_store_check.h"
#include "jc_upload_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>

/* A temp file is created and then locked by its writer: younger ones are
 * never looked at, whatever the grace period (as jc_store_cleanup_orphans). */
#define JC_SC_TEMP_MIN 2

static void sc_report(const jc_sc_cfg_t *cfg, jc_sc_finding_t *f)
{
    if (cfg->report) {
        cfg->report(cfg->baton, f);
    }
}

/* 1 if a row names the store id, 0 if none, -1 on a database failure. */
static int sc_referenced(jc_db_t *db, jc_db_rc_e *rc, const char *id,
                         apr_pool_t *p)
{
    const void *args[3] = { id, id, id };
    jc_db_row_t row;
    apr_int64_t n = 0;

    *rc = jc_db_select1(db, &row, JC_SQL_SC_REF, args, p);
    if (*rc != JC_DB_OK) {
        if (*rc == JC_DB_NOROW) {
            *rc = JC_DB_ERROR;
        }
        return -1;
    }
    jc_db_col_i64(&row, JC_COL_SC_REF_REFS, &n, 0);
    return n > 0;
}

static void sc_dir_error(jc_db_t *db, const char *what, int err)
{
    apr_snprintf(db->errbuf, sizeof(db->errbuf), "%s: %s", what,
                 strerror(err));
    db->last_error = db->errbuf;
}

/* Whether a file's last change (the later of mtime and ctime: a rename
 * changes ctime on the file systems the store supports) is at least age
 * seconds back; age 0 takes every file (jc_store_old_enough). */
static int sc_old(const struct stat *st, apr_int64_t now, long age)
{
    time_t t = st->st_mtime > st->st_ctime ? st->st_mtime : st->st_ctime;

    return jc_store_old_enough(t, now, age);
}

/* Open name below dfd for an exclusive lock. Read-write first: NFS
 * emulates flock with byte-range locks, and those need a descriptor open
 * for writing for LOCK_EX; read-only where the checker may not write
 * (a report without --repair run as another user). -1 with errno. */
static int sc_open(int dfd, const char *name, int repair)
{
    int fd = openat(dfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

    if (fd < 0 && !repair && (errno == EACCES || errno == EROFS)) {
        fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    }
    return fd;
}

/* One committed file past the grace period: checked under its lock,
 * reported (and removed with repair) when no row names it. *rc: a
 * database failure. */
static void sc_file(jc_db_t *db, jc_db_rc_e *rc, jc_sc_totals_t *t,
                    const jc_sc_cfg_t *cfg, int dfd, const char *fdir,
                    const char *name, apr_pool_t *it, apr_pool_t *p)
{
    jc_sc_finding_t f;
    struct stat fst;
    int fd, ref;

    /* most files have their row: one indexed look-up, no open */
    ref = sc_referenced(db, rc, name, it);
    if (ref != 0) {
        return;
    }
    memset(&f, 0, sizeof(f));
    f.store_id = apr_pstrdup(p, name);
    f.path = apr_pstrcat(p, fdir, "/", name, NULL);
    fd = sc_open(dfd, name, cfg->repair);
    if (fd < 0) {
        if (errno == ENOENT) {
            return;       /* removed meanwhile */
        }
        f.kind = JC_SC_UNCHECKED;
        f.err = APR_FROM_OS_ERROR(errno);
        t->unchecked++;
        sc_report(cfg, &f);
        return;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            t->busy++;      /* its writer is still at work */
        }
        else {
            f.kind = JC_SC_UNCHECKED;
            f.err = APR_FROM_OS_ERROR(errno);
            t->unchecked++;
            sc_report(cfg, &f);
        }
        close(fd);
        return;
    }
    /* ours now: the writer is done (committed its row, gave up or
     * died). Ask again: the row may have come since the first look. */
    ref = sc_referenced(db, rc, name, it);
    if (ref != 0 || fstat(fd, &fst) != 0 || fst.st_nlink == 0) {
        close(fd);          /* a row, a database failure, or gone */
        return;
    }
    f.kind = JC_SC_ORPHAN_FILE;
    f.size = (apr_off_t)fst.st_size;
    if (cfg->repair) {
        /* still holding the lock */
        if (unlinkat(dfd, name, 0) == 0) {
            f.removed = 1;
        }
        else if (errno == ENOENT) {
            close(fd);      /* another checker was first */
            return;
        }
        else {
            f.kind = JC_SC_UNCHECKED;
            f.err = APR_FROM_OS_ERROR(errno);
        }
    }
    close(fd);
    if (f.kind == JC_SC_UNCHECKED) {
        t->unchecked++;
    }
    else {
        t->orphans++;
        t->orphan_bytes += f.size;
        if (f.removed) {
            t->removed++;
            t->removed_bytes += f.size;
        }
    }
    sc_report(cfg, &f);
}

/* files/: every committed file past the grace period that no row names
 * and no writer holds. */
static jc_db_rc_e sc_files(jc_db_t *db, jc_sc_totals_t *t,
                           const jc_sc_cfg_t *cfg, apr_int64_t now,
                           apr_pool_t *p)
{
    const char *fdir = apr_pstrcat(p, cfg->dir, "/files", NULL);
    jc_db_rc_e rc = JC_DB_OK;
    struct dirent *e;
    apr_pool_t *it;
    DIR *d;
    int dfd;

    d = opendir(fdir);
    if (d == NULL) {
        sc_dir_error(db, fdir, errno);
        return JC_DB_ERROR;
    }
    dfd = dirfd(d);
    apr_pool_create(&it, p);
    apr_pool_tag(it, "jc_store_check_files");
    while (rc == JC_DB_OK && (e = readdir(d)) != NULL) {
        struct stat st;

        apr_pool_clear(it);
        /* only names the store gives (32 hex): NFS ".nfs…" files of
         * open, unlinked files and anything an operator put there stay */
        if (!jc_store_id_ok(e->d_name)) {
            continue;
        }
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode)) {
            continue;           /* removed meanwhile, or not ours */
        }
        t->files++;
        if (!sc_old(&st, now, cfg->grace)) {
            t->young++;
            continue;
        }
        sc_file(db, &rc, t, cfg, dfd, fdir, e->d_name, it, p);
    }
    closedir(d);
    apr_pool_destroy(it);
    return rc;
}

/* tmp/: temp files no writer holds, older than the grace period. */
static jc_db_rc_e sc_temps(jc_db_t *db, jc_sc_totals_t *t,
                           const jc_sc_cfg_t *cfg, apr_int64_t now,
                           apr_pool_t *p)
{
    const char *tdir = apr_pstrcat(p, cfg->dir, "/tmp", NULL);
    long min = cfg->grace > JC_SC_TEMP_MIN ? cfg->grace : JC_SC_TEMP_MIN;
    struct dirent *e;
    DIR *d;
    int dfd;

    d = opendir(tdir);
    if (d == NULL) {
        sc_dir_error(db, tdir, errno);
        return JC_DB_ERROR;
    }
    dfd = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        jc_sc_finding_t f;
        struct stat st;
        char id[JC_STORE_ID_LEN + 1];
        int fd;

        if (strlen(e->d_name) != JC_STORE_ID_LEN + 5
            || strcmp(e->d_name + JC_STORE_ID_LEN, ".part") != 0) {
            continue;
        }
        memcpy(id, e->d_name, JC_STORE_ID_LEN);
        id[JC_STORE_ID_LEN] = '\0';
        if (!jc_store_id_ok(id)
            || fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode) || !sc_old(&st, now, min)) {
            continue;
        }
        fd = sc_open(dfd, e->d_name, cfg->repair);
        if (fd < 0) {
            continue;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &st) != 0
            || st.st_nlink == 0) {
            close(fd);          /* being written, or gone */
            continue;
        }
        memset(&f, 0, sizeof(f));
        f.kind = JC_SC_ORPHAN_TEMP;
        f.path = apr_pstrcat(p, tdir, "/", e->d_name, NULL);
        f.store_id = apr_pstrdup(p, id);
        f.size = (apr_off_t)st.st_size;
        if (cfg->repair) {
            if (unlinkat(dfd, e->d_name, 0) != 0) {
                close(fd);
                continue;
            }
            f.removed = 1;
            t->removed++;
            t->removed_bytes += f.size;
        }
        close(fd);
        t->temps++;
        t->temp_bytes += f.size;
        sc_report(cfg, &f);
    }
    closedir(d);
    return JC_DB_OK;
}

/* The rows of one table (label: id and store id by id, created before a
 * time), page by page: each whose file is missing is reported. */
/* sc_rows reads jc_sc_rows_receipt's rows (and jc_sc_rows_bescheid's,
 * which has jc_sc_rows_file's columns) with jc_sc_rows_file's indexes */
_Static_assert(JC_COL_SC_ROWS_RECEIPT_ID == JC_COL_SC_ROWS_FILE_ID
               && JC_COL_SC_ROWS_RECEIPT_RECEIPT_STORE_ID
                  == JC_COL_SC_ROWS_FILE_STORE_ID,
               "jc_sc_rows_*: the row id, then the store id");

static jc_db_rc_e sc_rows(jc_db_t *db, jc_sc_totals_t *t,
                          const jc_sc_cfg_t *cfg, jc_sql_id_e label,
                          const char *table, apr_int64_t before,
                          apr_pool_t *p)
{
    apr_int64_t last = 0;
    jc_db_rc_e rc = JC_DB_OK;
    apr_pool_t *it;

    apr_pool_create(&it, p);
    apr_pool_tag(it, "jc_store_check_rows");
    for (;;) {
        const void *args[2] = { &last, &before };
        jc_db_res_t res;
        int i;

        apr_pool_clear(it);
        rc = jc_db_select(db, &res, label, args, it);
        if (rc != JC_DB_OK || res.nrows == 0) {
            break;
        }
        for (i = 0; i < res.nrows && rc == JC_DB_OK; i++) {
            jc_db_row_t row;
            jc_sc_finding_t f;
            const char *id, *path;
            struct stat st;
            apr_int64_t rid = 0;

            if (jc_db_res_row(&res, i, &row, it) != 0) {
                rc = JC_DB_ERROR;
                break;
            }
            jc_db_col_i64(&row, JC_COL_SC_ROWS_FILE_ID, &rid, 0);
            last = rid;
            id = jc_db_col_str(&row, JC_COL_SC_ROWS_FILE_STORE_ID, it);
            t->rows++;
            path = jc_store_path(cfg->dir, id, it);
            if (path && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                continue;
            }
            /* missing (or an id the store never gives): is the row still
             * there? A removal deletes the row before the file. */
            if (id && *id && sc_referenced(db, &rc, id, it) != 1) {
                continue;
            }
            memset(&f, 0, sizeof(f));
            f.kind = JC_SC_MISSING_FILE;
            f.store_id = apr_pstrdup(p, id ? id : "");
            f.path = path ? apr_pstrdup(p, path) : NULL;
            f.table = table;
            f.row_id = rid;
            t->missing++;
            sc_report(cfg, &f);
        }
        if (res.nrows < JC_SC_PAGE) {
            break;
        }
    }
    apr_pool_destroy(it);
    return rc;
}

jc_db_rc_e jc_store_check(jc_db_t *db, jc_sc_totals_t *out,
                          const jc_sc_cfg_t *cfg, apr_int64_t now,
                          apr_pool_t *p)
{
    static const struct {
        jc_sql_id_e label;
        const char *table;
    } tables[] = {
        { JC_SQL_SC_ROWS_FILE, "upload_file" },
        { JC_SQL_SC_ROWS_RECEIPT, "upload_submission" },
        { JC_SQL_SC_ROWS_BESCHEID, "bescheid" },
    };
    apr_int64_t before = now - (apr_int64_t)cfg->grace;
    jc_db_rc_e rc;
    size_t i;

    memset(out, 0, sizeof(*out));
    rc = sc_files(db, out, cfg, now, p);
    if (rc == JC_DB_OK) {
        rc = sc_temps(db, out, cfg, now, p);
    }
    for (i = 0; rc == JC_DB_OK && i < sizeof(tables) / sizeof(tables[0]);
         i++) {
        rc = sc_rows(db, out, cfg, tables[i].label, tables[i].table, before,
                     p);
    }
    return rc;
}

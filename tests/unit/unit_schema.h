/* Shared by the unit tests that need a real SQLite database: load every
 * migration sql/sqlite/NNN_*.sql in order (as tools/db-init.sh does), so a
 * new migration needs no change in the tests. Header-only (the unit
 * Makefile builds one binary per test_*.c). */
#ifndef UNIT_SCHEMA_H
#define UNIT_SCHEMA_H

#include <stdlib.h>
#include <string.h>

#include <apr_dbd.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>

static inline int unit_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static inline apr_status_t unit_load_file(const apr_dbd_driver_t *drv,
                                          apr_dbd_t *h, const char *path,
                                          apr_pool_t *p)
{
    apr_file_t *fd;
    apr_finfo_t fi;
    apr_size_t n;
    char *sql;
    int rows;

    if (apr_file_open(&fd, path, APR_READ, 0, p) != APR_SUCCESS)
        return APR_EGENERAL;
    apr_file_info_get(&fi, APR_FINFO_SIZE, fd);
    n = (apr_size_t)fi.size;
    sql = apr_pcalloc(p, n + 1);
    apr_file_read_full(fd, sql, n, &n);
    apr_file_close(fd);
    /* the driver's multi-statement loop trips over trailing whitespace */
    while (n > 0 && (sql[n - 1] == '\n' || sql[n - 1] == ' '))
        sql[--n] = '\0';
    return apr_dbd_query(drv, h, &rows, sql) == 0 ? APR_SUCCESS
                                                 : APR_EGENERAL;
}

/* Apply all migrations of sql/sqlite in numeric (= name) order. */
static inline apr_status_t unit_load_schema(const apr_dbd_driver_t *drv,
                                            apr_dbd_t *h, apr_pool_t *p)
{
    const char *dir = JC_TOP "/sql/sqlite";
    apr_array_header_t *names = apr_array_make(p, 8, sizeof(char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    int i;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS)
        return APR_EGENERAL;
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        size_t l = strlen(fi.name);
        if (fi.name[0] >= '0' && fi.name[0] <= '9' && l > 4
            && strcmp(fi.name + l - 4, ".sql") == 0)
            *(char **)apr_array_push(names) = apr_pstrdup(p, fi.name);
    }
    apr_dir_close(d);
    if (names->nelts == 0)
        return APR_EGENERAL;
    qsort(names->elts, (size_t)names->nelts, sizeof(char *), unit_cmp_names);
    for (i = 0; i < names->nelts; i++) {
        const char *f = apr_pstrcat(p, dir, "/",
                                    ((char **)names->elts)[i], NULL);
        if (unit_load_file(drv, h, f, p) != APR_SUCCESS)
            return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

#endif

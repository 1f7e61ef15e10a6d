/* Unit tests for jc_tus (resumable uploads): Upload-Metadata parsing
 * (draft and filename, base64 values, malformed headers), the token check,
 * and the sweep of spool files without an upload (age, lock, other names
 * left alone). The protocol itself runs against Apache in
 * tests/http/tus.test.mjs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "jc_tus.h"
#include "unit_fixture.h"

static int meta(const char *hdr, apr_int64_t *draft, const char **name)
{
    jc_result_t res;

    jc_result_ok(&res);
    return jc_tus_metadata(&res, draft, name, hdr, pool);
}

static void test_metadata(void **state)
{
    apr_int64_t d = -1;
    const char *n = NULL;

    (void)state;
    /* draft 42, filename "Kontoauszug März.pdf" (UTF-8) */
    assert_int_equal(meta("filename S29udG9hdXN6dWcgTcOkcnoucGRm,draft NDI=",
                          &d, &n), 0);
    assert_true(d == 42);
    assert_string_equal(n, "Kontoauszug März.pdf");
    /* spaces after commas, a key without value, unknown keys, name */
    assert_int_equal(meta("draft NDI=, filetype aW1hZ2UvcG5n, empty, "
                          "name YS5wbmc=", &d, &n), 0);
    assert_true(d == 42);
    assert_string_equal(n, "a.png");
    /* no header: no draft, the default name; a path is cut */
    assert_int_equal(meta(NULL, &d, &n), 0);
    assert_true(d == 0);
    assert_string_equal(n, "Dokument");
    assert_int_equal(meta("filename Li4vLi4vZXRjL3Bhc3N3ZA==", &d, &n), 0);
    assert_string_equal(n, "passwd");
    /* draft not a positive number: 0 (the route then says draft_missing) */
    assert_int_equal(meta("draft LTE=", &d, &n), 0);        /* "-1" */
    assert_true(d == 0);
    assert_int_equal(meta("draft MXg=", &d, &n), 0);        /* "1x" */
    assert_true(d == 0);
    /* malformed: bad base64, a NUL byte inside, an empty key, garbage */
    assert_int_equal(meta("filename @@@", &d, &n), 400);
    assert_int_equal(meta("filename YQBi", &d, &n), 400);   /* "a\0b" */
    assert_int_equal(meta(",draft NDI=", &d, &n), 400);
    assert_int_equal(meta("draft NDI= x", &d, &n), 400);
}

static void test_token(void **state)
{
    (void)state;
    assert_true(jc_tus_token_ok("0123456789abcdef0123456789abcdef"));
    assert_false(jc_tus_token_ok("0123456789ABCDEF0123456789abcdef"));
    assert_false(jc_tus_token_ok("0123456789abcdef0123456789abcde"));
    assert_false(jc_tus_token_ok("0123456789abcdef0123456789abcdef0"));
    assert_false(jc_tus_token_ok("../3456789abcdef0123456789abcdef"));
    assert_false(jc_tus_token_ok(NULL));
}

static void make_file(const char *path, int age)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct timeval tv[2];

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= age;
    tv[1] = tv[0];
    assert_int_equal(utimes(path, tv), 0);
}

static void test_sweep(void **state)
{
    char tmpl[] = "/tmp/jc-tus-unit-XXXXXX";
    const char *dir = mkdtemp(tmpl), *tdir;
    const char *old, *young, *held, *part, *other;
    unsigned n = 99;
    int fd;

    (void)state;
    assert_non_null(dir);
    tdir = apr_pstrcat(pool, dir, "/tmp", NULL);
    assert_int_equal(mkdir(tdir, 0700), 0);
    old = apr_pstrcat(pool, tdir, "/0123456789abcdef0123456789abcdef.tus", NULL);
    young = apr_pstrcat(pool, tdir, "/1123456789abcdef0123456789abcdef.tus", NULL);
    held = apr_pstrcat(pool, tdir, "/2123456789abcdef0123456789abcdef.tus", NULL);
    part = apr_pstrcat(pool, tdir, "/3123456789abcdef0123456789abcdef.part", NULL);
    other = apr_pstrcat(pool, tdir, "/notes.tus", NULL);
    make_file(old, 7200);
    make_file(young, -2);       /* stamped ahead of time(): multigrain */
    make_file(held, 7200);
    make_file(part, 7200);
    make_file(other, 7200);
    fd = open(held, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    assert_int_equal(jc_tus_sweep(dir, 3600, &n, pool), APR_SUCCESS);
    assert_int_equal(n, 1);
    assert_int_equal(access(old, F_OK), -1);        /* old, unlocked: gone */
    assert_int_equal(access(young, F_OK), 0);       /* changed recently     */
    assert_int_equal(access(held, F_OK), 0);        /* a PATCH holds it     */
    assert_int_equal(access(part, F_OK), 0);        /* not a spool file     */
    assert_int_equal(access(other, F_OK), 0);
    close(fd);
    assert_int_equal(jc_tus_sweep(dir, 3600, &n, pool), APR_SUCCESS);
    assert_int_equal(n, 1);                         /* now the held one     */
    assert_int_equal(jc_tus_sweep(dir, 0, &n, pool), APR_SUCCESS);
    assert_int_equal(n, 1);                         /* age 0: any age       */
    assert_int_equal(access(young, F_OK), -1);
    unlink(part);
    unlink(other);
    rmdir(tdir);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_sweep),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

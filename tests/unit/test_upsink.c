/* Unit tests for jc_upsink on a real upload store (mkdtemp below
 * build/unit): raw bodies of each type fed whole and byte by byte (same
 * digest), a disguised executable (415), an empty body, the per-file limit
 * and the daily allowance (413 with their codes), multipart bodies with
 * fields and several files, a bad later part that removes the committed
 * earlier ones on abort, the file count, field bytes, and the sanitised
 * names. Nothing may stay in tmp/ after any of them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_token.h"
#include "jc_upload_store.h"
#include "jc_upsink.h"
#include "unit_fixture.h"

static apr_pool_t *pool;
static char *dir;

static int count(const char *sub)
{
    return unit_store_count(dir, sub);
}

static int group_setup(void **state)
{
    if (unit_group_setup(state) != 0
        || (dir = unit_store_make("sink")) == NULL) {
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    unit_store_remove(dir);
    return unit_group_teardown(state);
}

static int setup(void **state)
{
    (void)state;
    return unit_store_empty(dir, "tmp") | unit_store_empty(dir, "files");
}

static jc_upsink_cfg_t cfg(const char *boundary, apr_off_t max_file,
                           apr_off_t max_total, unsigned max_files)
{
    jc_upsink_cfg_t c;

    memset(&c, 0, sizeof(c));
    c.store = dir;
    c.max_file = max_file;
    c.max_file_limit = max_file;
    c.max_total = max_total;
    c.max_files = max_files;
    c.boundary = boundary;
    c.raw_name = "C:\\Users\\x\\Kontoauszug.pdf";
    return c;
}

/* A buffer of n bytes starting with head, the rest a pattern. */
static char *file_of(const char *head, size_t hlen, size_t n, apr_pool_t *p)
{
    char *b = apr_palloc(p, n);
    size_t i;

    for (i = 0; i < n; i++) {
        b[i] = (char)(i * 31 + 7);
    }
    memcpy(b, head, hlen < n ? hlen : n);
    return b;
}

static void test_raw_types(void **state)
{
    static const struct {
        const char *head;
        size_t len;
        const char *mime;
    } t[] = {
        { "%PDF-1.7\n", 9, "application/pdf" },
        { "\xff\xd8\xff\xe0", 4, "image/jpeg" },
        { "\x89PNG\r\n\x1a\n", 8, "image/png" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        apr_pool_t *p;
        jc_upsink_t *s1, *s2;
        jc_upsink_cfg_t c = cfg(NULL, 100000, 100000, 1);
        char *b;
        size_t k;
        const jc_upfile_t *f1, *f2;

        apr_pool_create(&p, pool);
        b = file_of(t[i].head, t[i].len, 5000, p);
        assert_int_equal(jc_upsink_create(&s1, &c, p), APR_SUCCESS);
        assert_int_equal(jc_upsink_feed(s1, b, 5000), 0);
        assert_int_equal(jc_upsink_finish(s1), 0);
        assert_int_equal(jc_upsink_create(&s2, &c, p), APR_SUCCESS);
        for (k = 0; k < 5000; k++) {
            assert_int_equal(jc_upsink_feed(s2, b + k, 1), 0);
        }
        assert_int_equal(jc_upsink_finish(s2), 0);
        f1 = &APR_ARRAY_IDX(jc_upsink_files(s1), 0, jc_upfile_t);
        f2 = &APR_ARRAY_IDX(jc_upsink_files(s2), 0, jc_upfile_t);
        assert_string_equal(f1->mime, t[i].mime);
        assert_string_equal(f1->sha256, jc_token_hash(b, 5000, p));
        assert_string_equal(f1->sha256, f2->sha256);
        assert_string_equal(f1->name, "Kontoauszug.pdf");
        assert_int_equal(f1->size, 5000);
        assert_string_not_equal(f1->store_id, f2->store_id);
        apr_pool_destroy(p);
    }
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("files"), 6);
}

static void test_raw_refused(void **state)
{
    apr_pool_t *p;
    jc_upsink_t *s;
    jc_upsink_cfg_t c = cfg(NULL, 1000, 100000, 1);
    char *b;

    (void)state;
    apr_pool_create(&p, pool);
    /* an ELF executable called "Kontoauszug.pdf" */
    b = file_of("\x7f" "ELF\x02\x01\x01", 7, 800, p);
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, b, 10), 0);   /* not decided yet */
    assert_int_equal(jc_upsink_feed(s, b + 10, 790), 415);
    assert_string_equal(jc_upsink_result(s)->code, "upload_type_not_allowed");
    assert_int_equal(jc_upsink_finish(s), 415);
    assert_int_equal(count("tmp"), 0);
    /* a PDF one byte over the limit */
    b = file_of("%PDF-", 5, 1001, p);
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, b, 1000), 0);
    assert_int_equal(jc_upsink_feed(s, b + 1000, 1), 413);
    assert_string_equal(jc_upsink_result(s)->code, "upload_too_large");
    assert_int_equal(count("tmp"), 0);
    /* the daily allowance is smaller than the file limit */
    c = cfg(NULL, 1000, 600, 1);
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, b, 601), 413);
    assert_string_equal(jc_upsink_result(s)->code, "upload_daily_limit");
    /* empty, and too short to be anything */
    c = cfg(NULL, 1000, 1000, 1);
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_finish(s), 400);
    assert_string_equal(jc_upsink_result(s)->code, "upload_empty");
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PD", 3), 0);
    assert_int_equal(jc_upsink_finish(s), 415);
    apr_pool_destroy(p);
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("files"), 0);
}

#define CRLF "\r\n"
#define PART(name, fn) "--XyZ" CRLF "Content-Disposition: form-data; " \
    "name=\"" name "\"" fn CRLF CRLF

static void test_multipart(void **state)
{
    apr_pool_t *p;
    jc_upsink_t *s;
    jc_upsink_cfg_t c = cfg("XyZ", 1000, 100000, 3);
    const char *body =
        "preamble" CRLF
        PART("note", "") "hallo" CRLF
        PART("file", "; filename=\"../../a.pdf\"") "%PDF-1.4 abc" CRLF
        PART("file", "; filename=\"b.png\"; filename*=UTF-8''M%C3%A4rz.png")
        "\x89PNG\r\n\x1a\n0123456789" CRLF
        "--XyZ--" CRLF;
    size_t n = strlen(body) + 0, k;
    const apr_array_header_t *fs;

    (void)state;
    /* the PNG signature holds a NUL-free \x1a; strlen is fine */
    apr_pool_create(&p, pool);
    for (k = 1; k <= n; k += 7) {
        size_t off;

        assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
        for (off = 0; off < n; off += k) {
            assert_int_equal(jc_upsink_feed(s, body + off,
                                            off + k > n ? n - off : k), 0);
        }
        assert_int_equal(jc_upsink_finish(s), 0);
        fs = jc_upsink_files(s);
        assert_int_equal(fs->nelts, 2);
        assert_string_equal(APR_ARRAY_IDX(fs, 0, jc_upfile_t).name, "a.pdf");
        assert_string_equal(APR_ARRAY_IDX(fs, 0, jc_upfile_t).mime,
                            "application/pdf");
        assert_string_equal(APR_ARRAY_IDX(fs, 0, jc_upfile_t).sha256,
                            jc_token_hash("%PDF-1.4 abc", 12, p));
        assert_string_equal(APR_ARRAY_IDX(fs, 1, jc_upfile_t).name,
                            "M\xc3\xa4rz.png");
        assert_string_equal(APR_ARRAY_IDX(fs, 1, jc_upfile_t).mime,
                            "image/png");
        jc_upsink_abort(s);     /* the caller could not record them */
    }
    assert_int_equal(count("files"), 0);
    assert_int_equal(count("tmp"), 0);
    apr_pool_destroy(p);
}

/* cfg.fields: named non-file parts are kept (split anywhere), unnamed
 * ones and file data are not; a NUL byte in a kept value is refused. */
static void test_multipart_fields(void **state)
{
    apr_pool_t *p;
    jc_upsink_t *s;
    jc_upsink_cfg_t c = cfg("XyZ", 1000, 100000, 3);
    const char *body =
        PART("text", "") "Gr\xc3\xbc\xc3\x9f" "e" CRLF "zweite Zeile" CRLF
        PART("leer", "") CRLF
        PART("file", "; filename=\"a.pdf\"") "%PDF-1.4 abc" CRLF
        "--XyZ--" CRLF;
    const char *nul_head = PART("text", "") "a";
    const char *nul_tail = "b" CRLF PART("file", "; filename=\"a.pdf\"")
                           "%PDF-1.4 abc" CRLF "--XyZ--" CRLF;
    size_t n = strlen(body), k;

    (void)state;
    apr_pool_create(&p, pool);
    for (k = 1; k <= n; k += 5) {
        size_t off;

        c.fields = apr_table_make(p, 2);
        assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
        for (off = 0; off < n; off += k) {
            assert_int_equal(jc_upsink_feed(s, body + off,
                                            off + k > n ? n - off : k), 0);
        }
        assert_int_equal(jc_upsink_finish(s), 0);
        assert_string_equal(apr_table_get(c.fields, "text"),
                            "Gr\xc3\xbc\xc3\x9f" "e" CRLF "zweite Zeile");
        assert_string_equal(apr_table_get(c.fields, "leer"), "");
        assert_null(apr_table_get(c.fields, "file"));
        assert_int_equal(jc_upsink_files(s)->nelts, 1);
        jc_upsink_abort(s);
    }
    /* without cfg.fields nothing is kept (and nothing breaks) */
    c.fields = NULL;
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, body, n), 0);
    assert_int_equal(jc_upsink_finish(s), 0);
    jc_upsink_abort(s);
    /* a NUL byte inside a kept value */
    c.fields = apr_table_make(p, 2);
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, nul_head, strlen(nul_head)), 0);
    jc_upsink_feed(s, "\0", 1);
    assert_int_equal(jc_upsink_feed(s, nul_tail, strlen(nul_tail)), 400);
    assert_string_equal(jc_upsink_result(s)->code, "field_invalid");
    jc_upsink_abort(s);
    assert_int_equal(count("files"), 0);
    assert_int_equal(count("tmp"), 0);
    apr_pool_destroy(p);
}

static void test_multipart_refused(void **state)
{
    apr_pool_t *p;
    jc_upsink_t *s;
    jc_upsink_cfg_t c = cfg("XyZ", 1000, 100000, 1);
    const char *bad_second =
        PART("file", "; filename=\"a.pdf\"") "%PDF-1.4 abc" CRLF
        PART("file", "; filename=\"b.pdf\"") "MZ\x90 not a pdf at all.." CRLF
        "--XyZ--" CRLF;
    const char *nofile = PART("note", "") "x" CRLF "--XyZ--" CRLF;
    const char *cut = PART("file", "; filename=\"a.pdf\"") "%PDF-1.4 abc";
    char *fields;

    (void)state;
    apr_pool_create(&p, pool);
    /* the second file is over max_files = 1 */
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, bad_second, strlen(bad_second)), 400);
    assert_string_equal(jc_upsink_result(s)->code, "upload_too_many_files");
    jc_upsink_abort(s);
    assert_int_equal(count("files"), 0);
    /* two allowed: the second is refused by its type, the first removed */
    c.max_files = 2;
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, bad_second, strlen(bad_second)), 415);
    assert_int_equal(count("files"), 1);
    jc_upsink_abort(s);
    assert_int_equal(count("files"), 0);
    /* no file part at all */
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, nofile, strlen(nofile)), 0);
    assert_int_equal(jc_upsink_finish(s), 400);
    assert_string_equal(jc_upsink_result(s)->code, "upload_no_file");
    /* the body ends inside a file: truncated, the temp file removed */
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, cut, strlen(cut)), 0);
    assert_int_equal(count("tmp"), 1);
    assert_int_equal(jc_upsink_finish(s), 400);
    assert_string_equal(jc_upsink_result(s)->code, "multipart_truncated");
    assert_int_equal(count("tmp"), 0);
    /* field values are capped */
    fields = apr_pstrcat(p, PART("note", ""), NULL);
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, fields, strlen(fields)), 0);
    {
        char *blob = apr_palloc(p, JC_UPSINK_FIELD_BYTES + 1);

        memset(blob, 'a', JC_UPSINK_FIELD_BYTES + 1);
        assert_int_equal(jc_upsink_feed(s, blob, JC_UPSINK_FIELD_BYTES + 1),
                         413);
    }
    /* not a boundary the parser accepts */
    c.boundary = "";
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_EINVAL);
    apr_pool_destroy(p);
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("files"), 0);
}

/* The request pool goes away mid-file (client gone): no temp file left. */
static void test_pool_gone(void **state)
{
    apr_pool_t *p;
    jc_upsink_t *s;
    jc_upsink_cfg_t c = cfg(NULL, 100000, 100000, 1);

    (void)state;
    apr_pool_create(&p, pool);
    assert_int_equal(jc_upsink_create(&s, &c, p), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PDF-1.4 half a file", 20), 0);
    assert_int_equal(count("tmp"), 1);
    apr_pool_destroy(p);
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("files"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_raw_types, setup),
        cmocka_unit_test_setup(test_raw_refused, setup),
        cmocka_unit_test_setup(test_multipart, setup),
        cmocka_unit_test_setup(test_multipart_fields, setup),
        cmocka_unit_test_setup(test_multipart_refused, setup),
        cmocka_unit_test_setup(test_pool_gone, setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

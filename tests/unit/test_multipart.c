/* Unit tests for jc_multipart (streaming multipart/form-data parser) and
 * jc_filename (display names). Every reference body is parsed whole, split
 * in two at every byte, split in three at every pair of positions (short
 * bodies), and fed one byte at a time; each chunk is copied into a buffer
 * of exactly its size so ASan sees any read past it. The recorder checks
 * that part data points into the chunk being fed or is a prefix of the
 * delimiter (no other copies). Fixture tests/fixtures/multipart/curl-f.*
 * was captured from curl 7.88.1 (see the README there). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_filename.h"
#include "jc_multipart.h"
#include "unit_fixture.h"

#define FIXTURES JC_TOP "/tests/fixtures/multipart/"

/* ---- recorder ---- */

typedef struct {
    char log[262144];         /* events as text                        */
    size_t len;
    const char *chunk;        /* buffer being fed                      */
    size_t chunk_len;
    const char *delim;        /* "\r\n--" + boundary                   */
    int stop_at_begin;        /* return 1 from this part_begin (1-based) */
    unsigned begins;
} rec_t;

static void rec_put(rec_t *r, const char *s, size_t n)
{
    assert_true(r->len + n < sizeof(r->log));
    memcpy(r->log + r->len, s, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static void rec_str(rec_t *r, const char *s)
{
    s = s ? s : "-";
    rec_put(r, s, strlen(s));
}

static int rec_begin(void *baton, const jc_mp_part_t *part)
{
    rec_t *r = baton;
    char idx[16];

    r->begins++;
    snprintf(idx, sizeof(idx), "%u", part->index);
    rec_put(r, "<", 1);
    rec_str(r, idx);
    rec_put(r, "|", 1);
    rec_str(r, part->name);
    rec_put(r, "|", 1);
    rec_str(r, part->filename);
    rec_put(r, "|", 1);
    rec_str(r, part->filename_star);
    rec_put(r, "|", 1);
    rec_str(r, part->content_type);
    rec_put(r, part->is_file ? "|F>" : "|->", 3);
    return r->stop_at_begin && (int)r->begins == r->stop_at_begin;
}

static int rec_data(void *baton, const char *data, size_t len)
{
    rec_t *r = baton;

    assert_true(len > 0);
    if (!(data >= r->chunk && data + len <= r->chunk + r->chunk_len)) {
        /* not in the fed chunk: must be the held delimiter prefix */
        assert_true(len < strlen(r->delim));
        assert_memory_equal(data, r->delim, len);
    }
    rec_put(r, data, len);
    return 0;
}

static int rec_end(void *baton)
{
    rec_put(baton, "</>", 3);
    return 0;
}

static const jc_mp_limits_t lim_default = {1024, 8, 16};

/* Parse body fed in pieces cut at cuts[0..ncuts) (ascending), or byte by
 * byte if ncuts < 0. Returns the final error; r holds the events. */
static jc_mp_err_e run(rec_t *r, const char *boundary, const char *body,
                       size_t len, const jc_mp_limits_t *lim,
                       const size_t *cuts, int ncuts)
{
    jc_mp_callbacks_t cb = {rec_begin, rec_data, rec_end, r};
    apr_pool_t *p;
    jc_mp_t *mp;
    jc_mp_err_e e, fe;
    size_t pos = 0;
    int i = 0;

    apr_pool_create(&p, pool);
    r->len = 0;
    r->log[0] = '\0';
    r->begins = 0;
    r->delim = apr_pstrcat(p, "\r\n--", boundary, NULL);
    assert_int_equal(jc_mp_create(&mp, boundary, lim ? lim : &lim_default,
                                  &cb, p), JC_MP_OK);
    e = JC_MP_OK;
    for (i = 0; i <= (ncuts < 0 ? (int)len - 1 : ncuts); i++) {
        size_t end = ncuts < 0 ? pos + 1 : (i < ncuts ? cuts[i] : len);
        char *chunk;

        if (end > len) {
            end = len;
        }
        if (end < pos) {
            end = pos;
        }
        chunk = malloc(end - pos ? end - pos : 1);
        memcpy(chunk, body + pos, end - pos);
        r->chunk = chunk;
        r->chunk_len = end - pos;
        e = jc_mp_feed(mp, chunk, end - pos);
        free(chunk);
        r->chunk = NULL;
        pos = end;
    }
    fe = jc_mp_finish(mp);
    if (e != JC_MP_OK) {
        assert_int_equal(fe, e);   /* errors are sticky */
    }
    apr_pool_destroy(p);
    return fe;
}

/* Every way of cutting body must give err and (when given) log. */
static void check_all(const char *boundary, const char *body, size_t len,
                      const jc_mp_limits_t *lim, jc_mp_err_e err,
                      const char *log, size_t loglen)
{
    static rec_t r;
    size_t cuts[2];

    memset(&r, 0, sizeof(r));
    assert_int_equal(run(&r, boundary, body, len, lim, NULL, 0), err);
    if (log) {
        assert_int_equal(r.len, loglen);
        assert_memory_equal(r.log, log, loglen);
    }
    assert_int_equal(run(&r, boundary, body, len, lim, NULL, -1), err);
    if (log) {
        assert_int_equal(r.len, loglen);
        assert_memory_equal(r.log, log, loglen);
    }
    for (cuts[0] = 0; cuts[0] <= len; cuts[0]++) {
        assert_int_equal(run(&r, boundary, body, len, lim, cuts, 1), err);
        if (log) {
            assert_int_equal(r.len, loglen);
            assert_memory_equal(r.log, log, loglen);
        }
        if (len > 400) {
            continue;
        }
        for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++) {
            assert_int_equal(run(&r, boundary, body, len, lim, cuts, 2),
                             err);
            if (log) {
                assert_int_equal(r.len, loglen);
                assert_memory_equal(r.log, log, loglen);
            }
        }
    }
}

#define CHECK(b, body, lim, err, log) \
    check_all(b, body, sizeof(body) - 1, lim, err, log, \
              (log) ? strlen(log) : 0)

static void *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = apr_palloc(pool, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- boundary ---- */

static void test_boundary(void **state)
{
    const char *b;
    char ctype[200];

    (void)state;
    assert_int_equal(jc_multipart_boundary(&b, "multipart/form-data; "
                                           "boundary=abc", pool), JC_MP_OK);
    assert_string_equal(b, "abc");
    assert_int_equal(jc_multipart_boundary(&b, "Multipart/Form-Data;"
                                           "charset=utf-8;BOUNDARY=\"a b:c\"",
                                           pool), JC_MP_OK);
    assert_string_equal(b, "a b:c");
    assert_int_equal(jc_multipart_boundary(&b, "multipart/form-data ; "
                                           "boundary = \"q\\=x\" ;",
                                           pool), JC_MP_OK);
    assert_string_equal(b, "q=x");
    /* 70 characters pass, 71 do not */
    snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%.70s",
             "----------------------------------------------------------"
             "--------------------xyz");
    assert_int_equal(jc_multipart_boundary(&b, ctype, pool), JC_MP_OK);
    assert_int_equal(strlen(b), 70);
    snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%.71s",
             "----------------------------------------------------------"
             "--------------------xyz");
    assert_int_equal(jc_multipart_boundary(&b, ctype, pool),
                     JC_MP_ERR_CTYPE);
    assert_null(b);
    {
        static const char *bad[] = {
            NULL, "", "text/plain; boundary=abc", "multipart/mixed; "
            "boundary=abc", "multipart/form-data", "multipart/form-data;",
            "multipart/form-data; boundary=", "multipart/form-data; "
            "boundary=\"\"", "multipart/form-data; boundary=\"abc \"",
            "multipart/form-data; boundary=a;b", "multipart/form-data; "
            "boundary=ab{c}", "multipart/form-data; boundary=\"abc",
            "multipart/form-dataX; boundary=abc", "multipart/form-data; "
            "boundary=abc; boundary=abd", "multipart/form-data; boundary",
            "multipart/form-data; boundary=\"a\r\nb\"",
        };
        size_t i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            assert_int_equal(jc_multipart_boundary(&b, bad[i], pool),
                             JC_MP_ERR_CTYPE);
        }
    }
}

/* ---- bodies ---- */

static void test_curl_fixture(void **state)
{
    size_t blen, plen, ctlen;
    const char *body = slurp(FIXTURES "curl-f.body", &blen);
    const char *pdf = slurp(FIXTURES "curl-f.pdf", &plen);
    char *ctype = slurp(FIXTURES "curl-f.ctype", &ctlen);
    const char *b, *log;

    (void)state;
    ctype[strcspn(ctype, "\n")] = '\0';
    assert_int_equal(jc_multipart_boundary(&b, ctype, pool), JC_MP_OK);
    log = apr_pstrcat(pool,
                      "<0|anliegen|-|-|-|->Weiterbewilligung</>"
                      "<1|datei|Kontoauszug M\xc3\xa4rz.pdf|-|"
                      "application/pdf|F>",
                      apr_pstrmemdup(pool, pdf, plen), "</>"
                      "<2|leer|leer.txt|-|text/plain|F></>", NULL);
    check_all(b, body, blen, NULL, JC_MP_OK, log, strlen(log));
}

static void test_preamble_epilogue(void **state)
{
    (void)state;
    CHECK("xyz",
          "This is the preamble.\r\n--xy\r\n--xyZ is not it either\r\n"
          "--xyz\r\n"
          "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
          "1\r\n--xyz\r\n"
          "content-disposition: FORM-DATA; NAME=b\r\n"
          "X-Other: ignored\r\n\r\n"
          "22\r\n--xyz--\r\nThis is the epilogue\r\n--xyz\r\nmore junk",
          NULL, JC_MP_OK, "<0|a|-|-|-|->1</><1|b|-|-|-|->22</>");
    /* closing delimiter at the very end, without CRLF; padding */
    CHECK("xyz",
          "--xyz \t\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "v\r\n--xyz--",
          NULL, JC_MP_OK, "<0|a|-|-|-|->v</>");
}

static void test_near_miss(void **state)
{
    (void)state;
    CHECK("boundary",
          "--boundary\r\n"
          "Content-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n"
          "Content-Type: application/octet-stream\r\n\r\n"
          "A\r\n--bounda\r\nB\r\n--boundarC\r\r\n--boundar\r\n-\r\n--\r\n"
          "--Boundary\r\n\r\n\n--boundary\r"
          "\r\n--boundary\r\n"
          "Content-Disposition: form-data; name=\"g\"\r\n\r\n"
          "\r\n\r\n--boundary--\r\n",
          NULL, JC_MP_OK,
          "<0|f|x.bin|-|application/octet-stream|F>"
          "A\r\n--bounda\r\nB\r\n--boundarC\r\r\n--boundar\r\n-\r\n--\r\n"
          "--Boundary\r\n\r\n\n--boundary\r</>"
          "<1|g|-|-|-|->\r\n</>");
}

static void test_empty_and_zero_byte(void **state)
{
    (void)state;
    CHECK("b",
          "--b\r\nContent-Disposition: form-data; name=\"leer\"\r\n\r\n"
          "\r\n--b\r\nContent-Disposition: form-data; name=\"datei\"; "
          "filename=\"null.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
          "\r\n--b--",
          NULL, JC_MP_OK,
          "<0|leer|-|-|-|-></><1|datei|null.pdf|-|application/pdf|F></>");
}

static void test_truncated(void **state)
{
    (void)state;
    CHECK("b", "", NULL, JC_MP_ERR_TRUNCATED, "");
    CHECK("b", "just a preamble\r\n", NULL, JC_MP_ERR_TRUNCATED, "");
    CHECK("b", "--b", NULL, JC_MP_ERR_TRUNCATED, "");
    CHECK("b", "--b\r\nContent-Disposition: form-data; name=a\r\n",
          NULL, JC_MP_ERR_TRUNCATED, "");
    CHECK("b", "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "data", NULL, JC_MP_ERR_TRUNCATED, "<0|a|-|-|-|->data");
    CHECK("b", "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "data\r\n--b", NULL, JC_MP_ERR_TRUNCATED, "<0|a|-|-|-|->data</>");
    CHECK("b", "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "data\r\n--b-", NULL, JC_MP_ERR_TRUNCATED, "<0|a|-|-|-|->data</>");
    /* LF-only line ends are not accepted (documented) */
    CHECK("b", "--b\nContent-Disposition: form-data; name=a\n\ndata\n--b--\n",
          NULL, JC_MP_ERR_SYNTAX, "");
}

static void test_syntax_errors(void **state)
{
    static const char *bad[] = {
        /* no Content-Disposition / no headers at all */
        "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
        "--b\r\n\r\nx\r\n--b--",
        /* not form-data, no name, duplicate name or header */
        "--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=a\r\n"
        "Content-Disposition: form-data; name=b\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=a\r\n"
        "Content-Type: a/b\r\nContent-Type: a/c\r\n\r\nx\r\n--b--",
        /* unterminated quote, junk after the value */
        "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"a\"x\r\n\r\n--b--",
        /* bare LF, bare CR, obs-fold, no colon, control character */
        "--b\r\nContent-Disposition: form-data; name=a\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data;\r name=a\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n--b--",
        "--b\r\nContent-Disposition form-data; name=a\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=a\x01\r\n\r\n--b--",
        /* garbage after a full boundary */
        "--bX\r\nContent-Disposition: form-data; name=a\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
        "x\r\n--bb\r\n--b--",
        "--b-x",
        "--b\rx",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        check_all("b", bad[i], strlen(bad[i]), NULL, JC_MP_ERR_SYNTAX,
                  NULL, 0);
    }
}

static void test_header_limits(void **state)
{
    /* header block of this part: 42 + 2 = 44 bytes */
    static const char body[] =
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--";
    static const char two[] =
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n"
        "X-A: 1\r\n\r\nx\r\n--b--";
    jc_mp_limits_t lim = {44, 8, 4};

    (void)state;
    CHECK("b", body, &lim, JC_MP_OK, "<0|a|-|-|-|->x</>");
    lim.max_header_bytes = 43;
    CHECK("b", body, &lim, JC_MP_ERR_HEADER_SIZE, "");
    lim.max_header_bytes = 1024;
    lim.max_headers = 2;
    CHECK("b", two, &lim, JC_MP_OK, "<0|a|-|-|-|->x</>");
    lim.max_headers = 1;
    CHECK("b", two, &lim, JC_MP_ERR_HEADER_COUNT, "");
}

static void test_part_limit(void **state)
{
    static const char body[] =
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
        "--b\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
        "--b\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--b--";
    jc_mp_limits_t lim = {1024, 8, 3};

    (void)state;
    CHECK("b", body, &lim, JC_MP_OK,
          "<0|a|-|-|-|->1</><1|b|-|-|-|->2</><2|c|-|-|-|->3</>");
    lim.max_parts = 2;
    CHECK("b", body, &lim, JC_MP_ERR_PARTS,
          "<0|a|-|-|-|->1</><1|b|-|-|-|->2</>");
}

static void test_names(void **state)
{
    (void)state;
    /* escaped quotes and backslashes; a Windows path keeps its
     * backslashes (only \" and \\ are escapes in Content-Disposition) */
    CHECK("b",
          "--b\r\nContent-Disposition: form-data; name=\"a\\\"b\\\\c\"; "
          "filename=\"C:\\x\\y.pdf\"\r\n\r\n1\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"f\"; "
          "filename=\"../../etc/passwd\"\r\n\r\n2\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"g\"; "
          "filename=\"a;b=c.pdf\"; filename*=UTF-8''Kontoauszug%20M%C3%A4rz"
          ".pdf\r\n\r\n3\r\n"
          "--b\r\nContent-Disposition: form-data; name=h; "
          "filename*=iso-8859-1'de'M%E4rz.pdf\r\n\r\n4\r\n"
          "--b\r\nContent-Disposition: form-data; name=i; "
          "filename*=UTF-8''%C3%28.pdf; filename=\"ok.pdf\"\r\n\r\n5\r\n"
          "--b\r\nContent-Disposition: form-data; name=j; "
          "filename*=UTF-8''a%00b\r\n\r\n6\r\n"
          "--b\r\nContent-Disposition: form-data; name=k; "
          "filename*=KOI8-R''x\r\n\r\n7\r\n"
          "--b\r\nContent-Disposition: form-data; name=l; "
          "filename*=UTF-8''%4\r\n\r\n8\r\n"
          "--b\r\nContent-Disposition: form-data; name=\"\xc3\xa4\"; "
          "filename=\"\"\r\n\r\n9\r\n--b--",
          NULL, JC_MP_OK,
          "<0|a\"b\\c|C:\\x\\y.pdf|-|-|F>1</>"
          "<1|f|../../etc/passwd|-|-|F>2</>"
          "<2|g|a;b=c.pdf|Kontoauszug M\xc3\xa4rz.pdf|-|F>3</>"
          "<3|h|-|M\xc3\xa4rz.pdf|-|F>4</>"
          "<4|i|ok.pdf|-|-|F>5</>"
          "<5|j|-|-|-|F>6</>"
          "<6|k|-|-|-|F>7</>"
          "<7|l|-|-|-|F>8</>"
          "<8|\xc3\xa4||-|-|F>9</>");
}

static void test_callback_stops(void **state)
{
    static const char body[] =
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
        "--b\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n--b--";
    static rec_t r;
    jc_result_t res;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.stop_at_begin = 2;
    assert_int_equal(run(&r, "b", body, sizeof(body) - 1, NULL, NULL, 0),
                     JC_MP_ERR_CALLBACK);
    assert_string_equal(r.log, "<0|a|-|-|-|->1</><1|b|-|-|-|->");
    jc_result_ok(&res);
    assert_int_equal(jc_mp_result(&res, JC_MP_ERR_CALLBACK), 500);
}

static void test_results(void **state)
{
    jc_result_t res;

    (void)state;
    jc_result_ok(&res);
    assert_int_equal(jc_mp_result(&res, JC_MP_ERR_SYNTAX), 400);
    assert_string_equal(res.code, "multipart_invalid");
    assert_string_equal(res.message, "Die Anfrage ist kein gültiges "
                        "Formular (multipart/form-data).");
    assert_int_equal(jc_mp_result(&res, JC_MP_ERR_CTYPE), 415);
    assert_int_equal(jc_mp_result(&res, JC_MP_ERR_TRUNCATED), 400);
    assert_string_equal(res.code, "multipart_truncated");
    assert_int_equal(jc_mp_result(&res, JC_MP_ERR_PARTS), 413);
    assert_int_equal(jc_mp_result(&res, JC_MP_ERR_HEADER_SIZE), 400);
    assert_int_equal(jc_mp_result(&res, JC_MP_ERR_HEADER_COUNT), 400);
    assert_non_null(res.message);
    assert_int_equal(jc_mp_result(&res, JC_MP_OK), 200);
    assert_null(res.code);
    assert_int_equal(jc_mp_create(&(jc_mp_t *){NULL}, "bad{", NULL, NULL,
                                  pool), JC_MP_ERR_CTYPE);
}

/* A large part fed in chunks: data arrives without being accumulated. */
static void test_large_part(void **state)
{
    size_t n = 3 * 65536 + 17, hl, i;
    static const char head[] =
        "--XyZ\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n";
    static const char tail[] = "\r\n--XyZ--\r\n";
    char *body = malloc(sizeof(head) + n + sizeof(tail));
    static rec_t r;
    size_t cuts[64];

    (void)state;
    hl = sizeof(head) - 1;
    memcpy(body, head, hl);
    for (i = 0; i < n; i++) {     /* plenty of CR, LF, '-' and near misses */
        static const char pat[] = "\r\n--Xy\r\n-\r\r\n--X\r";

        body[hl + i] = (i % 97 < sizeof(pat) - 1) ? pat[i % 97]
                                                 : (char)(i * 7);
    }
    memcpy(body + hl + n, tail, sizeof(tail) - 1);
    for (i = 0; i < 64; i++) {
        cuts[i] = (i + 1) * 3079;
    }
    memset(&r, 0, sizeof(r));
    assert_int_equal(run(&r, "XyZ", body, hl + n + sizeof(tail) - 1, NULL,
                         cuts, 64), JC_MP_OK);
    assert_int_equal(r.len, strlen("<0|f|a|-|-|F>") + n + 3);
    assert_memory_equal(r.log + strlen("<0|f|a|-|-|F>"), body + hl, n);
    free(body);
}

/* ---- display names ---- */

static void test_filename_clean(void **state)
{
    char longname[700];
    const char *c;
    size_t i;

    (void)state;
    assert_string_equal(jc_filename_clean("Kontoauszug.pdf", pool),
                        "Kontoauszug.pdf");
    assert_string_equal(jc_filename_clean("../../etc/passwd", pool),
                        "passwd");
    assert_string_equal(jc_filename_clean("C:\\x\\y.pdf", pool), "y.pdf");
    assert_string_equal(jc_filename_clean("a/b\\c/d.png", pool), "d.png");
    assert_string_equal(jc_filename_clean("../", pool), "Dokument");
    assert_string_equal(jc_filename_clean("..", pool), "Dokument");
    assert_string_equal(jc_filename_clean(".", pool), "Dokument");
    assert_string_equal(jc_filename_clean("", pool), "Dokument");
    assert_string_equal(jc_filename_clean(NULL, pool), "Dokument");
    assert_string_equal(jc_filename_clean("  \t ", pool), "Dokument");
    assert_string_equal(jc_filename_clean("  Antrag 1.pdf  ", pool),
                        "Antrag 1.pdf");
    /* controls, DEL, C1, bidi override (U+202E), isolate (U+2066), BOM */
    assert_string_equal(jc_filename_clean("a\x01\tb\x7f\xc2\x85"
                                          "c\xe2\x80\xae" "fdp.exe"
                                          "\xe2\x81\xa6\xef\xbb\xbf", pool),
                        "abcfdp.exe");
    /* invalid UTF-8: stray continuation, overlong, surrogate, truncated */
    assert_string_equal(jc_filename_clean("M\xe4rz\x80\xc0\xaf\xed\xa0\x80"
                                          ".pdf\xe2\x82", pool), "Mrz.pdf");
    assert_string_equal(jc_filename_clean("M\xc3\xa4rz \xf0\x9f\x93\x84"
                                          ".pdf", pool),
                        "M\xc3\xa4rz \xf0\x9f\x93\x84.pdf");
    /* 255 bytes at most, cut at a character boundary */
    for (i = 0; i + 2 < sizeof(longname); i += 2) {
        longname[i] = '\xc3';
        longname[i + 1] = '\xa4';
    }
    longname[i] = '\0';
    c = jc_filename_clean(longname, pool);
    assert_int_equal(strlen(c), 254);
    assert_memory_equal(c, longname, 254);
    memset(longname, 'a', 300);
    longname[300] = '\0';
    assert_int_equal(strlen(jc_filename_clean(longname, pool)), 255);
    assert_string_equal(jc_filename_display("Kontoauszug M\xc3\xa4rz.pdf",
                                            "Kontoauszug Mrz.pdf", pool),
                        "Kontoauszug M\xc3\xa4rz.pdf");
    assert_string_equal(jc_filename_display(NULL, "x/y.pdf", pool), "y.pdf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_curl_fixture),
        cmocka_unit_test(test_preamble_epilogue),
        cmocka_unit_test(test_near_miss),
        cmocka_unit_test(test_empty_and_zero_byte),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_part_limit),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_results),
        cmocka_unit_test(test_large_part),
        cmocka_unit_test(test_filename_clean),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

/* Unit tests for jc_letter: every function yields a complete PDF
 * (%PDF- ... %%EOF), German text maps to CP1252 exactly, characters the
 * base-14 fonts cannot draw are replaced, long inputs wrap and flow onto
 * more pages, and absurd inputs are refused. What the PDFs say is read
 * back by independent readers in letters-reader.sh (pdftotext, zbarimg). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_letter.h"
#include "unit_fixture.h"

#define URL   "https://jobcenter.example/freischalten.html?code=Z8TMYQE6H578"
#define CODE  "Z8TM-YQE6-H578"
#define HASH  "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
#define T0    ((time_t)1774996200)   /* 2026-03-31 22:30 UTC */

static int group_setup(void **state)
{
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    return unit_group_setup(state);
}

static jc_letter_head_t head(void)
{
    jc_letter_head_t h = {
        .jc_name = "Jobcenter Rems-Murr", .jc_street = "Postfach 1234",
        .jc_city = "71332 Waiblingen", .jc_phone = "07151 9519-0",
        .recipient = { "Herrn Jürgen Groß-Öztürk", "Königstraße 7",
                       "70173 Stuttgart", NULL },
        .kundennummer = "123A123456", .date = T0,
    };
    return h;
}

/* a complete PDF: header, %%EOF at the end, and N pages (0: more than
 * one, -1: any number) */
static void assert_pdf(const char *pdf, apr_size_t len, int pages)
{
    char tail[16], *cnt, *doc;

    assert_non_null(pdf);
    assert_true(len > 500);
    assert_memory_equal(pdf, "%PDF-", 5);
    memcpy(tail, pdf + len - 7, 7);
    tail[7] = '\0';
    assert_non_null(strstr(tail, "%%EOF"));
    doc = apr_pstrmemdup(pool, pdf, len);
    /* the fonts are the base-14 ones in WinAnsiEncoding (CP1252) */
    assert_true(memmem(pdf, len, "/WinAnsiEncoding", 16) != NULL);
    cnt = memmem(doc, len, "/Count ", 7);
    assert_non_null(cnt);
    if (pages > 0) {
        assert_int_equal(atoi(cnt + 7), pages);
    }
    else if (pages == 0) {
        assert_true(atoi(cnt + 7) > 1);
    }
}

static char *repeat(const char *unit, size_t times)
{
    size_t n = strlen(unit), i;
    char *s = apr_palloc(pool, n * times + 1);

    for (i = 0; i < times; i++) {
        memcpy(s + i * n, unit, n);
    }
    s[n * times] = '\0';
    return s;
}

/* ---- text ------------------------------------------------------------- */

static void test_cp1252_german(void **state)
{
    (void)state;
    assert_string_equal(jc_letter_cp1252("äöüÄÖÜß", pool),
                        "\xe4\xf6\xfc\xc4\xd6\xdc\xdf");
    assert_string_equal(jc_letter_cp1252("„Bürger“ – 5 € … ‚a‘", pool),
                        "\x84" "B\xfcrger\x93 \x96 5 \x80 \x85 \x82" "a\x91");
    assert_string_equal(jc_letter_cp1252("Straße 1\n\tB", pool),
                        "Stra\xdf" "e 1\n B");
}

static void test_cp1252_replaced(void **state)
{
    (void)state;
    /* Latin Extended-A loses its accents; Œ/Š stay (they are CP1252) */
    assert_string_equal(jc_letter_cp1252("Łódź Ğğ Ĳ ŉ Œ Š", pool),
                        "L\xf3" "dz Gg IJ 'n \x8c \x8a");
    /* an emoji, also with skin tone or as a ZWJ family, is one '?' */
    assert_string_equal(jc_letter_cp1252("a 👍 b 👍🏽 c 👨‍👩‍👧 d ❤️ e", pool),
                        "a ? b ? c ? d ? e");
    /* CJK, invalid UTF-8, controls, zero-width, combining marks */
    assert_string_equal(jc_letter_cp1252("漢字|\xff\xc3|x\x01\x7fy|z\xe2\x80\x8bw"
                                         "|e\xcc\x81", pool),
                        "??|??|xy|zw|e");
    assert_string_equal(jc_letter_cp1252("a\xe2\x80\x91" "b\xe2\x80\xaf" "c →",
                                         pool), "a-b c ->");
    assert_string_equal(jc_letter_cp1252(NULL, pool), "");
}

static void test_date_de(void **state)
{
    char buf[11];

    (void)state;
    jc_date_de(T0, buf);        /* 00:30 on 1 April in Berlin */
    assert_string_equal(buf, "01.04.2026");
    jc_date_de((time_t)0, buf);
    assert_string_equal(buf, "01.01.1970");
}

/* ---- letters ---------------------------------------------------------- */

static void test_freischaltcode(void **state)
{
    jc_letter_head_t h = head();
    const char *pdf = NULL, *err = NULL;
    apr_size_t len = 0;

    (void)state;
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0 + 86400 * 14,
                                              URL, &pdf, &len, &err), 0);
    assert_null(err);
    assert_pdf(pdf, len, 1);
    /* without the optional fields */
    h.jc_street = h.jc_city = h.jc_phone = h.kundennummer = NULL;
    h.recipient[1] = NULL;
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0, URL, &pdf,
                                              &len, &err), 0);
    assert_pdf(pdf, len, 1);
}

static void test_credential(void **state)
{
    jc_letter_head_t h = head();
    const char *pdf = NULL, *err = NULL;
    apr_size_t len = 0;

    (void)state;
    assert_int_equal(jc_letter_credential(pool, &h, 1, "ba-514466234", T0,
                                          &pdf, &len, &err), 0);
    assert_pdf(pdf, len, 1);
    h.login_url = "https://jobcenter.example/anmeldung.html";
    assert_int_equal(jc_letter_credential(pool, &h, 2, "kRAu-3mf7T3W", T0,
                                          &pdf, &len, &err), 0);
    assert_pdf(pdf, len, 1);
    /* a password with umlauts and an emoji is drawn, not refused */
    assert_int_equal(jc_letter_credential(pool, &h, 2, "Käse-Öl-ß😀", T0,
                                          &pdf, &len, &err), 0);
    assert_pdf(pdf, len, 1);
    assert_int_equal(jc_letter_credential(pool, &h, 3, "x", T0, &pdf, &len,
                                          &err), -1);
    assert_non_null(strstr(err, "part"));
    assert_int_equal(jc_letter_credential(pool, &h, 1, "", T0, &pdf, &len,
                                          &err), -1);
    assert_int_equal(jc_letter_credential(pool, &h, 1, "a\nb", T0, &pdf,
                                          &len, &err), -1);
}

static void test_letter_long_inputs(void **state)
{
    jc_letter_head_t h = head();
    const char *pdf = NULL, *err = NULL;
    apr_size_t len = 0;
    char *big = repeat("ä", JC_LETTER_STR_MAX / 2);      /* 4096 bytes */
    char *words = repeat("Wort ", JC_LETTER_STR_MAX / 5);
    char *url = apr_pstrcat(pool, "https://jobcenter.example/",
                            repeat("a", JC_LETTER_URL_MAX - 26), NULL);

    (void)state;
    /* address lines, name and phone of 4 KiB are clipped to their fields */
    h.jc_name = words;
    h.recipient[0] = big;
    h.recipient[1] = words;
    h.jc_phone = big;
    h.kundennummer = big;
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0, url, &pdf,
                                              &len, &err), 0);
    assert_pdf(pdf, len, 0);   /* the printed 512-byte URL pushes a page */
    /* a 4 KiB value wraps by characters and flows onto more pages */
    assert_int_equal(jc_letter_credential(pool, &h, 1, big, T0, &pdf, &len,
                                          &err), 0);
    assert_pdf(pdf, len, 0);
    assert_int_equal(jc_letter_credential(pool, &h, 2,
                                          repeat("x", JC_LETTER_STR_MAX), T0,
                                          &pdf, &len, &err), 0);
    assert_pdf(pdf, len, 0);
}

static void test_letter_limits(void **state)
{
    jc_letter_head_t h = head();
    const char *pdf = "unchanged", *err = NULL;
    apr_size_t len = 0;
    char *over = repeat("a", JC_LETTER_STR_MAX + 1);

    (void)state;
    assert_int_equal(jc_letter_credential(pool, &h, 1, over, T0, &pdf, &len,
                                          &err), -1);
    assert_non_null(strstr(err, "longer than 4096"));
    assert_string_equal(pdf, "unchanged");
    h.recipient[2] = over;
    assert_int_equal(jc_letter_credential(pool, &h, 1, "u", T0, &pdf, &len,
                                          &err), -1);
    h = head();
    h.recipient[0] = NULL;
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0, URL, &pdf,
                                              &len, &err), -1);
    assert_string_equal(err, "letter: recipient missing");
    h = head();
    h.jc_name = NULL;
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0, URL, &pdf,
                                              &len, &err), -1);
    assert_int_equal(jc_letter_freischaltcode(pool, NULL, CODE, T0, URL, &pdf,
                                              &len, &err), -1);
    h = head();
    /* code and QR payload: printable ASCII with length limits */
    assert_int_equal(jc_letter_freischaltcode(pool, &h, "ÄBC", T0, URL, &pdf,
                                              &len, &err), -1);
    assert_int_equal(jc_letter_freischaltcode(pool, &h,
                                              repeat("A", JC_LETTER_CODE_MAX + 1),
                                              T0, URL, &pdf, &len, &err), -1);
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0,
                                              "https://x.example/für", &pdf,
                                              &len, &err), -1);
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0,
                                              repeat("a", JC_LETTER_URL_MAX + 1),
                                              &pdf, &len, &err), -1);
    assert_int_equal(jc_letter_freischaltcode(pool, &h, CODE, T0, "", &pdf,
                                              &len, &err), -1);
    h.login_url = "https://x.example/\n";
    assert_int_equal(jc_letter_credential(pool, &h, 1, "u", T0, &pdf, &len,
                                          &err), -1);
    assert_string_equal(pdf, "unchanged");
}

/* ---- receipt ---------------------------------------------------------- */

static jc_receipt_file_t *files(int n)
{
    jc_receipt_file_t *f = apr_pcalloc(pool, sizeof(*f) * (size_t)n);
    int i;

    for (i = 0; i < n; i++) {
        f[i].name = apr_psprintf(pool, "Lohnabrechnung_März_%03d.pdf", i);
        f[i].size = (apr_uint64_t)i * 123457u;
        f[i].sha256_hex = HASH;
    }
    return f;
}

static jc_receipt_t receipt(int n)
{
    jc_receipt_t r = {
        .jc_name = "Jobcenter Rems-Murr", .at = T0,
        .reference = "EV-2026-000123", .area = "Bildung und Teilhabe",
        .files = files(n), .nfiles = n, .message = "Grüße – Ihr Müller 😀",
        .verify_code = "K7QX-2MPD",
        .verify_url = "https://jobcenter.example/pruefen?code=K7QX-2MPD",
    };
    return r;
}

static void test_receipt(void **state)
{
    jc_receipt_t r = receipt(2);
    jc_receipt_file_t big[1] = { { "Kontoauszug.PDF", UINT64_MAX,
        "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789" } };
    const char *pdf = NULL, *err = NULL;
    apr_size_t len = 0;

    (void)state;
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), 0);
    assert_null(err);
    assert_pdf(pdf, len, 1);
    r.message = NULL;
    r.files = big;           /* largest size, upper-case hex */
    r.nfiles = 1;
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), 0);
    assert_pdf(pdf, len, 1);
}

static void test_receipt_long(void **state)
{
    jc_receipt_t r = receipt(JC_LETTER_FILES_MAX);
    const char *pdf = NULL, *err = NULL;
    apr_size_t len = 0;

    (void)state;
    /* 1000 emoji (4000 bytes) and 1000 words in the message */
    r.message = repeat("😀", JC_LETTER_MSG_MAX);
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), 0);
    assert_pdf(pdf, len, 0);
    r.message = repeat("Wort\n", JC_LETTER_MSG_MAX / 5);
    /* file names of 4 KiB without a space wrap by characters */
    r.nfiles = 3;
    r.files = files(3);
    ((jc_receipt_file_t *)r.files)[1].name = repeat("ß", JC_LETTER_STR_MAX / 2);
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), 0);
    assert_pdf(pdf, len, 0);
}

static void test_receipt_limits(void **state)
{
    jc_receipt_t r = receipt(JC_LETTER_FILES_MAX + 1);
    jc_receipt_file_t *f;
    const char *pdf = "unchanged", *err = NULL;
    apr_size_t len = 0;

    (void)state;
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    assert_non_null(strstr(err, "501 files"));
    r.nfiles = 0;
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    r.nfiles = -1;
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    r = receipt(2);
    r.message = apr_pstrcat(pool, repeat("a", JC_LETTER_MSG_MAX), "b", NULL);
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    assert_non_null(strstr(err, "message"));
    r = receipt(2);
    f = (jc_receipt_file_t *)r.files;
    f[1].sha256_hex = "abc";
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    assert_non_null(strstr(err, "file 2"));
    f[1].sha256_hex = HASH "0";
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    f[1].sha256_hex = apr_pstrcat(pool, "g", HASH + 1, NULL);  /* not hex */
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    f[1].sha256_hex = HASH;
    f[0].name = repeat("x", JC_LETTER_STR_MAX + 1);
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    r = receipt(2);
    r.verify_url = NULL;
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    r = receipt(2);
    r.reference = "";
    assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), -1);
    assert_int_equal(jc_receipt_pdf(pool, NULL, &pdf, &len, &err), -1);
    assert_string_equal(pdf, "unchanged");
}

/* Random bytes (invalid UTF-8, controls, stray CP1252 bytes) in every
 * text field still give a complete PDF; ASan watches the conversion. */
static void test_random_bytes(void **state)
{
    int round, i;

    (void)state;
    srand(4711);
    for (round = 0; round < 60; round++) {
        char *s[4];
        jc_letter_head_t h = head();
        jc_receipt_t r = receipt(2);
        jc_receipt_file_t *f = (jc_receipt_file_t *)r.files;
        const char *pdf = NULL, *err = NULL;
        apr_size_t len = 0;

        for (i = 0; i < 4; i++) {
            size_t n = (size_t)(rand() % 400), k;

            s[i] = apr_palloc(pool, n + 1);
            for (k = 0; k < n; k++) {
                s[i][k] = (char)(1 + rand() % 255);   /* no NUL inside */
            }
            s[i][n] = '\0';
        }
        h.recipient[0] = apr_pstrcat(pool, "x", s[0], NULL);
        h.jc_name = apr_pstrcat(pool, "J", s[1], NULL);
        assert_int_equal(jc_letter_credential(pool, &h, 1 + round % 2,
                                              apr_pstrcat(pool, "v", s[2],
                                                          NULL),
                                              T0, &pdf, &len, &err),
                         strpbrk(s[2], "\x01\x02\x03\x04\x05\x06\x07\x08\t\n"
                                 "\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14"
                                 "\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                 "\x1e\x1f\x7f") ? -1 : 0);
        if (err == NULL) {
            assert_pdf(pdf, len, -1);
        }
        f[0].name = apr_pstrcat(pool, "n", s[3], NULL);
        r.message = s[2];
        r.area = s[0][0] ? s[0] : "Geldleistung";
        assert_int_equal(jc_receipt_pdf(pool, &r, &pdf, &len, &err), 0);
        assert_pdf(pdf, len, -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cp1252_german),
        cmocka_unit_test(test_cp1252_replaced),
        cmocka_unit_test(test_date_de),
        cmocka_unit_test(test_freischaltcode),
        cmocka_unit_test(test_credential),
        cmocka_unit_test(test_letter_long_inputs),
        cmocka_unit_test(test_letter_limits),
        cmocka_unit_test(test_receipt),
        cmocka_unit_test(test_receipt_long),
        cmocka_unit_test(test_receipt_limits),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, group_setup, unit_group_teardown);
}

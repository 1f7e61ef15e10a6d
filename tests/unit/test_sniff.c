/* Unit tests for jc_sniff: each allowed type, truncated signatures and
 * disguised files (the name or Content-Type never matter: the function
 * only sees bytes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "jc_sniff.h"

#define SNIFF(lit) jc_sniff(lit, sizeof(lit) - 1)

/* A real 2x1 24-bit BMP (BITMAPINFOHEADER), 62 bytes. */
static const unsigned char bmp40[] = {
    'B', 'M', 62, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,
    40, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0,
    8, 0, 0, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 255, 255, 255, 255, 0, 0
};

static void test_allowed(void **state)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n',
                                        0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
                                        'D', 'R', 0, 0};
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10,
                                         'J', 'F', 'I', 'F', 0};
    static const unsigned char exif[] = {0xff, 0xd8, 0xff, 0xe1};
    unsigned char bmp[sizeof(bmp40)];
    static const unsigned dibs[] = {12, 40, 52, 56, 108, 124};
    size_t i;

    (void)state;
    assert_int_equal(SNIFF("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), JC_SNIFF_PDF);
    assert_int_equal(SNIFF("%PDF-"), JC_SNIFF_PDF);
    assert_int_equal(jc_sniff(png, sizeof(png)), JC_SNIFF_PNG);
    assert_int_equal(jc_sniff(png, 8), JC_SNIFF_PNG);
    assert_int_equal(jc_sniff(jpeg, sizeof(jpeg)), JC_SNIFF_JPEG);
    assert_int_equal(jc_sniff(exif, sizeof(exif)), JC_SNIFF_JPEG);
    assert_int_equal(jc_sniff(bmp40, sizeof(bmp40)), JC_SNIFF_BMP);
    assert_int_equal(jc_sniff(bmp40, JC_SNIFF_NEED), JC_SNIFF_BMP);
    for (i = 0; i < sizeof(dibs) / sizeof(dibs[0]); i++) {
        memcpy(bmp, bmp40, sizeof(bmp));
        bmp[14] = (unsigned char)dibs[i];
        bmp[10] = (unsigned char)(14 + dibs[i]);
        bmp[2] = 0;             /* file size 0 is allowed (BI_RGB) */
        assert_int_equal(jc_sniff(bmp, sizeof(bmp)), JC_SNIFF_BMP);
    }
    assert_string_equal(jc_sniff_mime(JC_SNIFF_PDF), "application/pdf");
    assert_string_equal(jc_sniff_mime(JC_SNIFF_JPEG), "image/jpeg");
    assert_string_equal(jc_sniff_mime(JC_SNIFF_PNG), "image/png");
    assert_string_equal(jc_sniff_mime(JC_SNIFF_BMP), "image/bmp");
    assert_string_equal(jc_sniff_ext(JC_SNIFF_PDF), "pdf");
    assert_string_equal(jc_sniff_ext(JC_SNIFF_JPEG), "jpg");
    assert_string_equal(jc_sniff_ext(JC_SNIFF_PNG), "png");
    assert_string_equal(jc_sniff_ext(JC_SNIFF_BMP), "bmp");
    assert_null(jc_sniff_mime(JC_SNIFF_NONE));
    assert_null(jc_sniff_ext(JC_SNIFF_NONE));
    assert_int_equal(jc_sniff_need(), JC_SNIFF_NEED);
}

static void test_truncated(void **state)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n',
                                        0x1a, '\n'};
    size_t i;

    (void)state;
    assert_int_equal(SNIFF("%PDF"), JC_SNIFF_NONE);
    assert_int_equal(SNIFF("%PD"), JC_SNIFF_NONE);
    assert_int_equal(SNIFF("\xff\xd8"), JC_SNIFF_NONE);
    for (i = 0; i < sizeof(png); i++) {
        assert_int_equal(jc_sniff(png, i), JC_SNIFF_NONE);
    }
    for (i = 0; i < JC_SNIFF_NEED; i++) {
        assert_int_equal(jc_sniff(bmp40, i), JC_SNIFF_NONE);
    }
    assert_int_equal(jc_sniff("", 0), JC_SNIFF_NONE);
    assert_int_equal(jc_sniff(NULL, 0), JC_SNIFF_NONE);
}

static void test_disguised(void **state)
{
    static const unsigned char png_bad[] = {0x89, 'P', 'N', 'G', '\n',
                                            '\n', 0x1a, '\n'};
    unsigned char bmp[sizeof(bmp40)];

    (void)state;
    /* an ELF binary, a Windows PE, a ZIP (also DOCX/ODT), a GIF,
     * whatever a client calls it */
    assert_int_equal(SNIFF("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0"),
                     JC_SNIFF_NONE);
    assert_int_equal(SNIFF("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0"),
                     JC_SNIFF_NONE);
    assert_int_equal(SNIFF("PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0"),
                     JC_SNIFF_NONE);
    assert_int_equal(SNIFF("GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff"),
                     JC_SNIFF_NONE);
    /* HTML and SVG, also after white space or a BOM */
    assert_int_equal(SNIFF("  \r\n\t<!DOCTYPE html><html>"), JC_SNIFF_NONE);
    assert_int_equal(SNIFF("<html><body>%PDF-1.4"), JC_SNIFF_NONE);
    assert_int_equal(SNIFF("\xef\xbb\xbf<svg xmlns=\"http://www.w3.org/2000"
                           "/svg\">"), JC_SNIFF_NONE);
    /* a signature not at the start */
    assert_int_equal(SNIFF(" %PDF-1.4"), JC_SNIFF_NONE);
    assert_int_equal(SNIFF("\n\xff\xd8\xff\xe0"), JC_SNIFF_NONE);
    assert_int_equal(SNIFF("%pdf-1.4"), JC_SNIFF_NONE);
    assert_int_equal(jc_sniff(png_bad, sizeof(png_bad)), JC_SNIFF_NONE);
    /* "BM" text, and BMP headers with an impossible DIB size, pixel
     * offset or file size */
    assert_int_equal(SNIFF("BM is a text file, not a bitmap"), JC_SNIFF_NONE);
    memcpy(bmp, bmp40, sizeof(bmp));
    bmp[14] = 41;
    assert_int_equal(jc_sniff(bmp, sizeof(bmp)), JC_SNIFF_NONE);
    memcpy(bmp, bmp40, sizeof(bmp));
    bmp[15] = 1;                /* DIB size 296 */
    assert_int_equal(jc_sniff(bmp, sizeof(bmp)), JC_SNIFF_NONE);
    memcpy(bmp, bmp40, sizeof(bmp));
    bmp[10] = 53;               /* pixels inside the headers */
    assert_int_equal(jc_sniff(bmp, sizeof(bmp)), JC_SNIFF_NONE);
    memcpy(bmp, bmp40, sizeof(bmp));
    bmp[2] = 20;                /* file smaller than the pixel offset */
    assert_int_equal(jc_sniff(bmp, sizeof(bmp)), JC_SNIFF_NONE);
}

static void test_accumulate(void **state)
{
    jc_sniff_acc_t acc;
    size_t i;

    (void)state;
    memset(&acc, 0, sizeof(acc));
    for (i = 0; i + 1 < JC_SNIFF_NEED; i++) {
        assert_int_equal(jc_sniff_add(&acc, bmp40 + i, 1), 0);
    }
    assert_int_equal(jc_sniff_add(&acc, bmp40 + i, sizeof(bmp40) - i), 1);
    assert_int_equal(acc.len, JC_SNIFF_NEED);
    assert_int_equal(jc_sniff(acc.buf, acc.len), JC_SNIFF_BMP);
    assert_int_equal(jc_sniff_add(&acc, "xx", 2), 1);
    assert_memory_equal(acc.buf, bmp40, JC_SNIFF_NEED);
    /* a short file: decide with what is there */
    memset(&acc, 0, sizeof(acc));
    assert_int_equal(jc_sniff_add(&acc, "%PD", 3), 0);
    assert_int_equal(jc_sniff_add(&acc, "F-1", 3), 0);
    assert_int_equal(jc_sniff(acc.buf, acc.len), JC_SNIFF_PDF);
    assert_int_equal(jc_sniff_add(&acc, NULL, 0), 0);
}

static void test_result(void **state)
{
    jc_result_t res;

    (void)state;
    jc_result_ok(&res);
    assert_int_equal(jc_sniff_result(&res), 415);
    assert_string_equal(res.code, "upload_type_not_allowed");
    assert_non_null(strstr(res.message, "PDF, JPEG, PNG oder BMP"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_disguised),
        cmocka_unit_test(test_accumulate),
        cmocka_unit_test(test_result),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

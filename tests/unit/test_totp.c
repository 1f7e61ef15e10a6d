/* Unit tests for the second-factor core: jc_totp (RFC 4226 Appendix D and
 * RFC 6238 Appendix B vectors, the +-1 step window, replays, base32 with
 * the RFC 4648 vectors, the otpauth:// URI), jc_secretbox (AES-256-GCM
 * round trips, wrong context, changed and truncated texts, key files) and
 * jc_qr (SVG structure, checked against libqrencode's own matrix). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <qrencode.h>

#include "jc_qr.h"
#include "jc_secretbox.h"
#include "jc_totp.h"
#include "unit_fixture.h"

#define TMPDIR "/tmp/jc_totp_test_XXXXXX" /* unit_tmpdir */

/* RFC 6238 Appendix B seeds: the ASCII digits repeated to the hash size. */
static const unsigned char seed20[] = "12345678901234567890";
static const unsigned char seed32[] = "12345678901234567890123456789012";
static const unsigned char seed64[] =
    "1234567890123456789012345678901234567890123456789012345678901234";

/* ---- HOTP / TOTP -------------------------------------------------------- */

static void test_hotp_rfc4226(void **state)
{
    /* RFC 4226 Appendix D, secret "12345678901234567890", 6 digits. */
    static const char *const expect[10] = {
        "755224", "287082", "359152", "969429", "338314",
        "254676", "287922", "162583", "399871", "520489"
    };
    char code[JC_TOTP_CODE_SIZE];
    apr_uint64_t c;

    (void)state;
    for (c = 0; c < 10; c++) {
        assert_int_equal(jc_totp_hotp(code, seed20, 20, c, JC_TOTP_SHA1, 6),
                         APR_SUCCESS);
        assert_string_equal(code, expect[c]);
    }
}

/* One row of RFC 6238 Appendix B. */
typedef struct {
    apr_int64_t t;       /* Unix time in seconds */
    const char *code;    /* 8-digit TOTP          */
} totp_vec_t;

/* Check the six Appendix B rows of one hash. */
static void check_rfc6238(const totp_vec_t *v, const unsigned char *seed,
                          size_t seedlen, jc_totp_alg_e alg)
{
    char code[JC_TOTP_CODE_SIZE];
    apr_int64_t step;
    int i;

    for (i = 0; i < 6; i++) {
        assert_int_equal(jc_totp_code(code, seed, seedlen, v[i].t, alg, 8),
                         APR_SUCCESS);
        assert_string_equal(code, v[i].code);
        /* and the vector verifies at its own time */
        assert_int_equal(jc_totp_verify(&step, v[i].code, seed, seedlen,
                                        v[i].t, alg, 8, -1), APR_SUCCESS);
        assert_int_equal(step, v[i].t / 30);
    }
}

static void test_totp_rfc6238_sha1(void **state)
{
    static const totp_vec_t v[6] = {
        { 59, "94287082" },          { 1111111109, "07081804" },
        { 1111111111, "14050471" },  { 1234567890, "89005924" },
        { 2000000000, "69279037" },  { 20000000000LL, "65353130" }
    };

    (void)state;
    check_rfc6238(v, seed20, 20, JC_TOTP_SHA1);
}

static void test_totp_rfc6238_sha256(void **state)
{
    static const totp_vec_t v[6] = {
        { 59, "46119246" },          { 1111111109, "68084774" },
        { 1111111111, "67062674" },  { 1234567890, "91819424" },
        { 2000000000, "90698825" },  { 20000000000LL, "77737706" }
    };

    (void)state;
    check_rfc6238(v, seed32, 32, JC_TOTP_SHA256);
}

static void test_totp_rfc6238_sha512(void **state)
{
    static const totp_vec_t v[6] = {
        { 59, "90693936" },          { 1111111109, "25091201" },
        { 1111111111, "99943326" },  { 1234567890, "93441116" },
        { 2000000000, "38618901" },  { 20000000000LL, "47863826" }
    };

    (void)state;
    check_rfc6238(v, seed64, 64, JC_TOTP_SHA512);
}

static void test_totp_digits_and_args(void **state)
{
    char code[JC_TOTP_CODE_SIZE];

    (void)state;
    /* 6 and 7 digits are the low digits of the 8-digit value */
    assert_int_equal(jc_totp_code(code, seed20, 20, 59, JC_TOTP_SHA1, 6),
                     APR_SUCCESS);
    assert_string_equal(code, "287082");
    assert_int_equal(jc_totp_code(code, seed20, 20, 59, JC_TOTP_SHA1, 7),
                     APR_SUCCESS);
    assert_string_equal(code, "4287082");
    /* leading zeros are kept */
    assert_int_equal(jc_totp_code(code, seed20, 20, 1111111109,
                                  JC_TOTP_SHA1, 8), APR_SUCCESS);
    assert_string_equal(code, "07081804");

    assert_int_equal(jc_totp_hotp(code, seed20, 20, 0, JC_TOTP_SHA1, 5),
                     APR_EINVAL);
    assert_string_equal(code, "");
    assert_int_equal(jc_totp_hotp(code, seed20, 20, 0, JC_TOTP_SHA1, 9),
                     APR_EINVAL);
    assert_int_equal(jc_totp_hotp(code, seed20, 15, 0, JC_TOTP_SHA1, 6),
                     APR_EINVAL);
    assert_int_equal(jc_totp_hotp(code, seed64, 65, 0, JC_TOTP_SHA1, 6),
                     APR_EINVAL);
    assert_int_equal(jc_totp_hotp(code, NULL, 20, 0, JC_TOTP_SHA1, 6),
                     APR_EINVAL);
    assert_int_equal(jc_totp_hotp(code, seed20, 20, 0, (jc_totp_alg_e)7, 6),
                     APR_EINVAL);
    assert_int_equal(jc_totp_hotp(NULL, seed20, 20, 0, JC_TOTP_SHA1, 6),
                     APR_EINVAL);
    assert_int_equal(jc_totp_code(code, seed20, 20, -1, JC_TOTP_SHA1, 6),
                     APR_EINVAL);

    assert_string_equal(jc_totp_alg_name(JC_TOTP_SHA1), "SHA1");
    assert_string_equal(jc_totp_alg_name(JC_TOTP_SHA256), "SHA256");
    assert_string_equal(jc_totp_alg_name(JC_TOTP_SHA512), "SHA512");
    assert_null(jc_totp_alg_name((jc_totp_alg_e)7));
}

static void test_totp_step(void **state)
{
    (void)state;
    assert_int_equal(jc_totp_step(0), 0);
    assert_int_equal(jc_totp_step(29), 0);
    assert_int_equal(jc_totp_step(30), 1);
    assert_int_equal(jc_totp_step(59), 1);
    assert_int_equal(jc_totp_step(1111111109), 37037036);
    assert_int_equal(jc_totp_step(20000000000LL), 666666666);
    assert_int_equal(jc_totp_step(-1), -1);
}

/* The 6-digit SHA-1 code of seed20 at step s. */
static const char *code_at_step(apr_int64_t s)
{
    char *code = apr_palloc(pool, JC_TOTP_CODE_SIZE);

    assert_int_equal(jc_totp_hotp(code, seed20, 20, (apr_uint64_t)s,
                                  JC_TOTP_SHA1, 6), APR_SUCCESS);
    return code;
}

static void test_verify_window(void **state)
{
    const apr_int64_t now = 1700000015;  /* middle of a step */
    const apr_int64_t s = now / 30;
    apr_int64_t step, d;

    (void)state;
    for (d = -1; d <= 1; d++) {
        assert_int_equal(jc_totp_verify(&step, code_at_step(s + d), seed20,
                                        20, now, JC_TOTP_SHA1, 6, -1),
                         APR_SUCCESS);
        assert_int_equal(step, s + d);
    }
    /* two steps away is outside the window */
    for (d = -3; d <= 3; d += 1) {
        if (d >= -1 && d <= 1) {
            continue;
        }
        step = 12345;
        assert_int_equal(jc_totp_verify(&step, code_at_step(s + d), seed20,
                                        20, now, JC_TOTP_SHA1, 6, -1),
                         APR_EMISMATCH);
        assert_int_equal(step, -1);
    }
    /* the window edges are step edges: at the first second of step s the
     * code of s - 1 still works, the one of s - 2 does not */
    assert_int_equal(jc_totp_verify(&step, code_at_step(s - 1), seed20, 20,
                                    s * 30, JC_TOTP_SHA1, 6, -1),
                     APR_SUCCESS);
    assert_int_equal(jc_totp_verify(&step, code_at_step(s - 2), seed20, 20,
                                    s * 30, JC_TOTP_SHA1, 6, -1),
                     APR_EMISMATCH);
    /* another secret's code does not match */
    assert_int_equal(jc_totp_verify(&step, code_at_step(s), seed64 + 1, 20,
                                    now, JC_TOTP_SHA1, 6, -1),
                     APR_EMISMATCH);
    /* another hash does not match */
    assert_int_equal(jc_totp_verify(&step, code_at_step(s), seed20, 20,
                                    now, JC_TOTP_SHA256, 6, -1),
                     APR_EMISMATCH);
}

static void test_verify_near_epoch(void **state)
{
    apr_int64_t step;

    (void)state;
    /* step 0 has no predecessor: only 0 and 1 are tried */
    assert_int_equal(jc_totp_verify(&step, code_at_step(0), seed20, 20, 10,
                                    JC_TOTP_SHA1, 6, -1), APR_SUCCESS);
    assert_int_equal(step, 0);
    assert_int_equal(jc_totp_verify(&step, code_at_step(1), seed20, 20, 10,
                                    JC_TOTP_SHA1, 6, -1), APR_SUCCESS);
    assert_int_equal(step, 1);
}

static void test_verify_replay(void **state)
{
    const apr_int64_t now = 1700000015;
    const apr_int64_t s = now / 30;
    const char *c = code_at_step(s);
    apr_int64_t step, last = -1;

    (void)state;
    /* first use: accepted, the caller stores the step */
    assert_int_equal(jc_totp_verify(&step, c, seed20, 20, now, JC_TOTP_SHA1,
                                    6, last), APR_SUCCESS);
    assert_int_equal(step, s);
    last = step;
    /* the same code again, also 20 s later: a replay */
    assert_int_equal(jc_totp_verify(&step, c, seed20, 20, now, JC_TOTP_SHA1,
                                    6, last), APR_EEXIST);
    assert_int_equal(step, s);
    assert_int_equal(jc_totp_verify(&step, c, seed20, 20, now + 20,
                                    JC_TOTP_SHA1, 6, last), APR_EEXIST);
    /* an older code within the window is refused too */
    assert_int_equal(jc_totp_verify(&step, code_at_step(s - 1), seed20, 20,
                                    now, JC_TOTP_SHA1, 6, last), APR_EEXIST);
    assert_int_equal(step, s - 1);
    /* the next step's code is fresh */
    assert_int_equal(jc_totp_verify(&step, code_at_step(s + 1), seed20, 20,
                                    now, JC_TOTP_SHA1, 6, last), APR_SUCCESS);
    assert_int_equal(step, s + 1);
    last = step;
    /* after using the code of s + 1 early, the code of s is a replay */
    assert_int_equal(jc_totp_verify(&step, c, seed20, 20, now, JC_TOTP_SHA1,
                                    6, last), APR_EEXIST);
    /* a wrong code is a mismatch, not a replay */
    assert_int_equal(jc_totp_verify(&step, code_at_step(s - 5), seed20, 20,
                                    now, JC_TOTP_SHA1, 6, last),
                     APR_EMISMATCH);

    assert_false(jc_totp_replayed(10, -1));
    assert_false(jc_totp_replayed(10, 9));
    assert_true(jc_totp_replayed(10, 10));
    assert_true(jc_totp_replayed(10, 11));
    assert_false(jc_totp_replayed(0, -1));
}

static void test_verify_latest_wins(void **state)
{
    /* Steps 56188870 and 56188871 share the 6-digit code 617002 (found by
     * searching with Python's hmac). The later step wins, so a user who
     * used 617002 at step 56188870 can use it again when the app shows it
     * for step 56188871, and not a third time. */
    const apr_int64_t s = 56188870;
    apr_int64_t step;

    (void)state;
    assert_string_equal(code_at_step(s), "617002");
    assert_string_equal(code_at_step(s + 1), "617002");
    assert_int_equal(jc_totp_verify(&step, "617002", seed20, 20, s * 30 + 15,
                                    JC_TOTP_SHA1, 6, -1), APR_SUCCESS);
    assert_int_equal(step, s + 1);
    assert_int_equal(jc_totp_verify(&step, "617002", seed20, 20,
                                    (s + 1) * 30, JC_TOTP_SHA1, 6, s),
                     APR_SUCCESS);
    assert_int_equal(step, s + 1);
    assert_int_equal(jc_totp_verify(&step, "617002", seed20, 20,
                                    (s + 1) * 30, JC_TOTP_SHA1, 6, s + 1),
                     APR_EEXIST);
}

static void test_verify_malformed(void **state)
{
    static const char *const bad[] = {
        "", "28708", "2870822", "28708a", " 287082", "287082 ", "287 082",
        "+87082", "-87082", "２87082", "287082\n"
    };
    apr_int64_t step;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        step = 7;
        assert_int_equal(jc_totp_verify(&step, bad[i], seed20, 20, 59,
                                        JC_TOTP_SHA1, 6, -1), APR_EINVAL);
        assert_int_equal(step, -1);
    }
    assert_int_equal(jc_totp_verify(&step, NULL, seed20, 20, 59,
                                    JC_TOTP_SHA1, 6, -1), APR_EINVAL);
    assert_int_equal(jc_totp_verify(&step, "287082", seed20, 20, -1,
                                    JC_TOTP_SHA1, 6, -1), APR_EINVAL);
    assert_int_equal(jc_totp_verify(&step, "287082", seed20, 10, 59,
                                    JC_TOTP_SHA1, 6, -1), APR_EINVAL);
    assert_int_equal(jc_totp_verify(NULL, "287082", seed20, 20, 59,
                                    JC_TOTP_SHA1, 6, -1), APR_EINVAL);
    /* the 8-digit value with digits = 6 is malformed, not a match */
    assert_int_equal(jc_totp_verify(&step, "94287082", seed20, 20, 59,
                                    JC_TOTP_SHA1, 6, -1), APR_EINVAL);
    /* control: the right 6-digit code */
    assert_int_equal(jc_totp_verify(&step, "287082", seed20, 20, 59,
                                    JC_TOTP_SHA1, 6, -1), APR_SUCCESS);
    assert_int_equal(step, 1);
}

static void test_secret_new(void **state)
{
    unsigned char a[JC_TOTP_SECRET_LEN], b[JC_TOTP_SECRET_LEN];
    unsigned char big[JC_TOTP_KEY_MAX + 1];

    (void)state;
    assert_int_equal(JC_TOTP_SECRET_LEN * 8, 160);
    assert_int_equal(jc_totp_secret_new(a, sizeof(a)), APR_SUCCESS);
    assert_int_equal(jc_totp_secret_new(b, sizeof(b)), APR_SUCCESS);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(jc_totp_secret_new(big, JC_TOTP_KEY_MAX), APR_SUCCESS);
    assert_int_equal(jc_totp_secret_new(a, 19), APR_EINVAL);
    assert_int_equal(jc_totp_secret_new(big, JC_TOTP_KEY_MAX + 1),
                     APR_EINVAL);
    assert_int_equal(jc_totp_secret_new(NULL, 20), APR_EINVAL);
}

/* ---- base32 ------------------------------------------------------------- */

static void test_base32_rfc4648(void **state)
{
    /* RFC 4648 §10, without the padding */
    static const char *const plain[] = {
        "", "f", "fo", "foo", "foob", "fooba", "foobar"
    };
    static const char *const enc[] = {
        "", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"
    };
    unsigned char *out;
    size_t outlen, i;

    (void)state;
    for (i = 0; i < 7; i++) {
        assert_string_equal(
            jc_totp_base32_encode((const unsigned char *)plain[i],
                                  strlen(plain[i]), pool), enc[i]);
        assert_int_equal(jc_totp_base32_decode(&out, &outlen, enc[i], pool),
                         APR_SUCCESS);
        assert_int_equal(outlen, strlen(plain[i]));
        assert_memory_equal(out, plain[i], outlen);
        assert_int_equal(out[outlen], '\0');
    }
    /* the padded forms of RFC 4648 decode too */
    assert_int_equal(jc_totp_base32_decode(&out, &outlen, "MY======", pool),
                     APR_SUCCESS);
    assert_int_equal(outlen, 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(jc_totp_base32_decode(&out, &outlen, "MZXW6YQ=", pool),
                     APR_SUCCESS);
    assert_string_equal((char *)out, "foob");
    /* lower case and spaces, as people type it */
    assert_int_equal(jc_totp_base32_decode(&out, &outlen, " mzxw 6ytb oi ",
                                           pool), APR_SUCCESS);
    assert_string_equal((char *)out, "foobar");
    /* the RFC 6238 seed, as apps show it */
    assert_string_equal(jc_totp_base32_encode(seed20, 20, pool),
                        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void test_base32_roundtrip(void **state)
{
    unsigned char buf[JC_TOTP_KEY_MAX];
    unsigned char *out;
    size_t len, outlen;
    const char *e;

    (void)state;
    for (len = 0; len <= sizeof(buf); len++) {
        if (len >= JC_TOTP_SECRET_LEN) {
            assert_int_equal(jc_totp_secret_new(buf, len), APR_SUCCESS);
        }
        else {
            memset(buf, (int)(0xa5 ^ len), len);
        }
        e = jc_totp_base32_encode(buf, len, pool);
        assert_non_null(e);
        assert_int_equal(strlen(e), (len * 8 + 4) / 5);
        assert_int_equal(jc_totp_base32_decode(&out, &outlen, e, pool),
                         APR_SUCCESS);
        assert_int_equal(outlen, len);
        assert_memory_equal(out, buf, len);
    }
    /* all 0xff bytes use every bit */
    memset(buf, 0xff, 5);
    assert_string_equal(jc_totp_base32_encode(buf, 5, pool), "77777777");
    assert_null(jc_totp_base32_encode(NULL, 1, pool));
}

static void test_base32_invalid(void **state)
{
    static const char *const bad[] = {
        "MZXW6YQ1",   /* 1 is not base32              */
        "MZXW6YQ0",   /* nor is 0                      */
        "MZXW6YQ8",   /* nor 8                         */
        "MZ-XQ",      /* nor '-'                       */
        "MZ\tXQ",     /* only spaces are skipped       */
        "MZXQ\n",
        "M",          /* 1, 3, 6 characters: no input  */
        "MZX",
        "MZXW6Y",
        "MZXW6YTBO",
        "MZ=XQ",      /* padding only at the end       */
        "MY=A",
        "MZ",         /* non-zero unused bits          */
        "MZXR",
        "M\xc3\xbc"   /* non-ASCII                     */
    };
    unsigned char *out = (unsigned char *)"x";
    size_t outlen = 99, i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(jc_totp_base32_decode(&out, &outlen, bad[i], pool),
                         APR_EINVAL);
        assert_null(out);
        assert_int_equal(outlen, 0);
    }
    assert_int_equal(jc_totp_base32_decode(&out, &outlen, NULL, pool),
                     APR_EINVAL);
    assert_int_equal(jc_totp_base32_decode(NULL, &outlen, "MY", pool),
                     APR_EINVAL);
}

/* ---- otpauth:// URI ----------------------------------------------------- */

/* 1 if s is printable ASCII without spaces. */
static int uri_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

static void test_uri(void **state)
{
    const char *uri = NULL;

    (void)state;
    /* issuer with a space and an umlaut (UTF-8 "ö" = C3 B6) */
    assert_int_equal(jc_totp_uri(&uri, "Jobcenter K\xc3\xb6ln",
                                 "max.mustermann@example.org", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_SUCCESS);
    assert_string_equal(uri,
        "otpauth://totp/Jobcenter%20K%C3%B6ln:max.mustermann%40example.org"
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=Jobcenter%20K%C3%B6ln&algorithm=SHA1&digits=6&period=30");
    assert_true(uri_ascii(uri));

    /* a ':' or '&' in a name cannot split the label or the query */
    assert_int_equal(jc_totp_uri(&uri, "A:B&C=D?E", "x/y#z+1 %", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_SUCCESS);
    assert_string_equal(uri,
        "otpauth://totp/A%3AB%26C%3DD%3FE:x%2Fy%23z%2B1%20%25"
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=A%3AB%26C%3DD%3FE&algorithm=SHA1&digits=6&period=30");
    /* unreserved characters stay */
    assert_int_equal(jc_totp_uri(&uri, "a-b.c_d~e", "K123456", seed32, 32,
                                 JC_TOTP_SHA256, 8, pool), APR_SUCCESS);
    assert_string_equal(uri,
        "otpauth://totp/a-b.c_d~e:K123456"
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"
        "&issuer=a-b.c_d~e&algorithm=SHA256&digits=8&period=30");

    /* refused: empty, controls, broken UTF-8, bad secret or digits */
    uri = "unchanged";
    assert_int_equal(jc_totp_uri(&uri, "", "a", seed20, 20, JC_TOTP_SHA1, 6,
                                 pool), APR_EINVAL);
    assert_null(uri);
    assert_int_equal(jc_totp_uri(&uri, "J", NULL, seed20, 20, JC_TOTP_SHA1,
                                 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "J\n", "a", seed20, 20, JC_TOTP_SHA1,
                                 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "J", "a\x7f", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "K\xf6ln", "a", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "K\xc3", "a", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "\xc0\xaf", "a", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "\xed\xa0\x80", "a", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "J", "a", seed20, 10, JC_TOTP_SHA1,
                                 6, pool), APR_EINVAL);
    assert_int_equal(jc_totp_uri(&uri, "J", "a", seed20, 20, JC_TOTP_SHA1,
                                 9, pool), APR_EINVAL);
    /* 4-byte UTF-8 is fine */
    assert_int_equal(jc_totp_uri(&uri, "J\xf0\x9f\x94\x91", "a", seed20, 20,
                                 JC_TOTP_SHA1, 6, pool), APR_SUCCESS);
    assert_non_null(strstr(uri, "/J%F0%9F%94%91:a?"));
}

/* ---- secretbox ---------------------------------------------------------- */

/* A box with a fixed key 00 01 02 ... 1f. */
static jc_secretbox_t *fixed_box(unsigned char first)
{
    unsigned char key[JC_SECRETBOX_KEY_LEN];
    jc_secretbox_t *box = NULL;
    int i;

    for (i = 0; i < JC_SECRETBOX_KEY_LEN; i++) {
        key[i] = (unsigned char)(first + i);
    }
    assert_int_equal(jc_secretbox_make(&box, key, sizeof(key), pool),
                     APR_SUCCESS);
    return box;
}

static void test_secretbox_roundtrip(void **state)
{
    jc_secretbox_t *box = fixed_box(0);
    const char *s1 = NULL, *s2 = NULL;
    unsigned char *plain;
    size_t len;

    (void)state;
    assert_int_equal(jc_secretbox_seal(&s1, box, seed20, 20, "totp:42",
                                       pool), APR_SUCCESS);
    assert_non_null(s1);
    /* "v1." + 16 (nonce) + "." + 48 (20 + 16 bytes) */
    assert_int_equal(strlen(s1), 68);
    assert_memory_equal(s1, "v1.", 3);
    assert_int_equal(s1[19], '.');
    assert_true(strspn(s1 + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                               "qrstuvwxyz0123456789-_.") == 65);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s1, "totp:42",
                                       pool), APR_SUCCESS);
    assert_int_equal(len, 20);
    assert_memory_equal(plain, seed20, 20);
    assert_int_equal(plain[20], '\0');

    /* a fresh nonce every time */
    assert_int_equal(jc_secretbox_seal(&s2, box, seed20, 20, "totp:42",
                                       pool), APR_SUCCESS);
    assert_string_not_equal(s1, s2);
    assert_string_not_equal(s1 + 20, s2 + 20);

    /* empty and larger plaintexts */
    assert_int_equal(jc_secretbox_seal(&s2, box, (const unsigned char *)"",
                                       0, "c", pool), APR_SUCCESS);
    assert_int_equal(strlen(s2), 3 + 16 + 1 + 22);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s2, "c", pool),
                     APR_SUCCESS);
    assert_int_equal(len, 0);
    assert_int_equal(jc_secretbox_seal(&s2, box, seed64, 64, "c", pool),
                     APR_SUCCESS);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s2, "c", pool),
                     APR_SUCCESS);
    assert_int_equal(len, 64);
    assert_memory_equal(plain, seed64, 64);
}

static void test_secretbox_wrong_context_or_key(void **state)
{
    jc_secretbox_t *box = fixed_box(0), *other = fixed_box(1);
    const char *s = NULL;
    unsigned char *plain = (unsigned char *)"x";
    size_t len = 5;

    (void)state;
    assert_int_equal(jc_secretbox_seal(&s, box, seed20, 20, "totp:42", pool),
                     APR_SUCCESS);
    /* moved to another account */
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s, "totp:43",
                                       pool), APR_EGENERAL);
    assert_null(plain);
    assert_int_equal(len, 0);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s, "totp:4",
                                       pool), APR_EGENERAL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s, "totp:420",
                                       pool), APR_EGENERAL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s, "", pool),
                     APR_EGENERAL);
    /* another key */
    assert_int_equal(jc_secretbox_open(&plain, &len, other, s, "totp:42",
                                       pool), APR_EGENERAL);
    /* control */
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s, "totp:42",
                                       pool), APR_SUCCESS);
}

static void test_secretbox_tampered(void **state)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    jc_secretbox_t *box = fixed_box(0);
    const char *s = NULL;
    char *t;
    unsigned char *plain;
    size_t len, i, n;

    (void)state;
    assert_int_equal(jc_secretbox_seal(&s, box, seed20, 20, "totp:42", pool),
                     APR_SUCCESS);
    n = strlen(s);
    /* every character replaced by every other base64url character */
    for (i = 0; i < n; i++) {
        const char *c;

        if (s[i] == '.' || i < 3) {
            continue;
        }
        for (c = b64; *c; c++) {
            if (*c == s[i]) {
                continue;
            }
            t = apr_pstrdup(pool, s);
            t[i] = *c;
            assert_int_equal(jc_secretbox_open(&plain, &len, box, t,
                                               "totp:42", pool),
                             APR_EGENERAL);
        }
    }
    /* every truncation, and one character more */
    for (i = 0; i < n; i++) {
        t = apr_pstrndup(pool, s, i);
        assert_int_equal(jc_secretbox_open(&plain, &len, box, t, "totp:42",
                                           pool), APR_EGENERAL);
    }
    t = apr_pstrcat(pool, s, "A", NULL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, t, "totp:42",
                                       pool), APR_EGENERAL);
    /* other versions and shapes */
    t = apr_pstrdup(pool, s);
    t[1] = '2';
    assert_int_equal(jc_secretbox_open(&plain, &len, box, t, "totp:42",
                                       pool), APR_EGENERAL);
    t = apr_pstrdup(pool, s);
    t[19] = '_';
    assert_int_equal(jc_secretbox_open(&plain, &len, box, t, "totp:42",
                                       pool), APR_EGENERAL);
    t = apr_pstrcat(pool, s, ".", NULL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, t, "totp:42",
                                       pool), APR_EGENERAL);
    t = apr_pstrcat(pool, s, "==", NULL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, t, "totp:42",
                                       pool), APR_EGENERAL);
    /* ciphertext shorter than a tag */
    t = apr_pstrcat(pool, apr_pstrndup(pool, s, 20), "AAAA", NULL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, t, "totp:42",
                                       pool), APR_EGENERAL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, "", "totp:42",
                                       pool), APR_EGENERAL);
    /* control: the original still opens */
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s, "totp:42",
                                       pool), APR_SUCCESS);
}

static void test_secretbox_args(void **state)
{
    jc_secretbox_t *box = fixed_box(0);
    unsigned char big[JC_SECRETBOX_MAX_PLAIN + 1];
    const char *s = "unchanged";
    unsigned char *plain;
    size_t len;

    (void)state;
    memset(big, 'a', sizeof(big));
    assert_int_equal(jc_secretbox_seal(&s, box, big, sizeof(big), "c",
                                       pool), APR_EINVAL);
    assert_null(s);
    assert_int_equal(jc_secretbox_seal(&s, box, big, JC_SECRETBOX_MAX_PLAIN,
                                       "c", pool), APR_SUCCESS);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, s, "c", pool),
                     APR_SUCCESS);
    assert_int_equal(len, JC_SECRETBOX_MAX_PLAIN);
    assert_int_equal(jc_secretbox_seal(&s, box, seed20, 20, "", pool),
                     APR_EINVAL);
    assert_int_equal(jc_secretbox_seal(&s, box, seed20, 20, NULL, pool),
                     APR_EINVAL);
    assert_int_equal(jc_secretbox_seal(&s, NULL, seed20, 20, "c", pool),
                     APR_EINVAL);
    assert_int_equal(jc_secretbox_seal(&s, box, NULL, 1, "c", pool),
                     APR_EINVAL);
    assert_int_equal(jc_secretbox_open(&plain, &len, box, NULL, "c", pool),
                     APR_EINVAL);
    assert_int_equal(jc_secretbox_make(&box, seed20, 20, pool), APR_EINVAL);
    assert_null(box);
}

/* Write n bytes to dir/name with exactly the permissions perms. */
static const char *write_file(const char *dir, const char *name,
                              const void *data, size_t n,
                              apr_fileperms_t perms)
{
    const char *path = apr_pstrcat(pool, dir, "/", name, NULL);
    apr_file_t *f;

    assert_int_equal(apr_file_open(&f, path, APR_FOPEN_CREATE
                                   | APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE
                                   | APR_FOPEN_BINARY, perms, pool),
                     APR_SUCCESS);
    assert_int_equal(apr_file_write_full(f, data, n, NULL), APR_SUCCESS);
    assert_int_equal(apr_file_close(f), APR_SUCCESS);
    assert_int_equal(apr_file_perms_set(path, perms), APR_SUCCESS);
    return path;
}

/* 1 if a and b hold the same key: what one seals, the other opens. */
static int same_key(const jc_secretbox_t *a, const jc_secretbox_t *b)
{
    const char *s;
    unsigned char *plain;
    size_t len;

    assert_int_equal(jc_secretbox_seal(&s, a, seed20, 20, "k", pool),
                     APR_SUCCESS);
    return jc_secretbox_open(&plain, &len, b, s, "k", pool) == APR_SUCCESS
           && len == 20 && memcmp(plain, seed20, 20) == 0;
}

#define PERM_0600 (APR_FPROT_UREAD | APR_FPROT_UWRITE)

static void test_secretbox_key_files(void **state)
{
    static const char hex[] =
        "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
    unsigned char raw[JC_SECRETBOX_KEY_LEN];
    char *dir = unit_tmpdir(TMPDIR);
    jc_secretbox_t *want = fixed_box(0), *box, *other = fixed_box(1);
    const char *path;
    int i;

    (void)state;
    for (i = 0; i < JC_SECRETBOX_KEY_LEN; i++) {
        raw[i] = (unsigned char)i;
    }
    /* raw bytes */
    path = write_file(dir, "raw", raw, sizeof(raw), PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_SUCCESS);
    assert_true(same_key(want, box));
    assert_false(same_key(other, box));
    /* hex (mixed case), bare, with LF and with CRLF */
    path = write_file(dir, "hex", hex, 64, PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_SUCCESS);
    assert_true(same_key(want, box));
    path = write_file(dir, "hexlf", apr_pstrcat(pool, hex, "\n", NULL), 65,
                      PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_SUCCESS);
    assert_true(same_key(box, want));
    path = write_file(dir, "hexcrlf", apr_pstrcat(pool, hex, "\r\n", NULL),
                      66, PERM_0600 | APR_FPROT_GREAD);   /* 0640 is fine */
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_SUCCESS);
    assert_true(same_key(box, want));

    /* wrong shapes */
    path = write_file(dir, "short", raw, 31, PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EINVAL);
    assert_null(box);
    path = write_file(dir, "long", hex, 33, PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EINVAL);
    path = write_file(dir, "hex63", hex, 63, PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EINVAL);
    path = write_file(dir, "hex2lf", apr_pstrcat(pool, hex, "\n\n", NULL),
                      66, PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EINVAL);
    path = write_file(dir, "nothex", apr_pstrcat(pool, "g", hex + 1, NULL),
                      64, PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EINVAL);
    path = write_file(dir, "hex128", hex, 32, PERM_0600);   /* 128 bits */
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EINVAL);
    path = write_file(dir, "empty", "", 0, PERM_0600);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EINVAL);
    {
        char big[200];

        memset(big, 'a', sizeof(big));
        path = write_file(dir, "big", big, sizeof(big), PERM_0600);
        assert_int_equal(jc_secretbox_key_load(&box, path, pool),
                         APR_EINVAL);
    }

    /* permissions: writable by others or group, readable by others */
    path = write_file(dir, "ww", hex, 64, PERM_0600 | APR_FPROT_WWRITE);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EACCES);
    assert_null(box);
    path = write_file(dir, "gw", hex, 64, PERM_0600 | APR_FPROT_GWRITE);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EACCES);
    path = write_file(dir, "wr", hex, 64, PERM_0600 | APR_FPROT_WREAD);
    assert_int_equal(jc_secretbox_key_load(&box, path, pool), APR_EACCES);
    /* not a regular file, missing file */
    assert_int_equal(jc_secretbox_key_load(&box, dir, pool), APR_EACCES);
    assert_true(APR_STATUS_IS_ENOENT(jc_secretbox_key_load(
        &box, apr_pstrcat(pool, dir, "/missing", NULL), pool)));
    assert_int_equal(jc_secretbox_key_load(&box, "", pool), APR_EINVAL);

    unit_rm_tmpdir(dir);
}

static void test_secretbox_key_create(void **state)
{
    char *dir = unit_tmpdir(TMPDIR);
    const char *path = apr_pstrcat(pool, dir, "/jc.key", NULL);
    const char *path2 = apr_pstrcat(pool, dir, "/jc2.key", NULL);
    jc_secretbox_t *a, *b, *c;
    apr_finfo_t fi;
    apr_file_t *f;
    char buf[100];
    apr_size_t n = 0;
    int i;

    (void)state;
    assert_int_equal(jc_secretbox_key_create(path, pool), APR_SUCCESS);
    assert_int_equal(apr_stat(&fi, path, APR_FINFO_PROT | APR_FINFO_SIZE,
                              pool), APR_SUCCESS);
    assert_int_equal(fi.protection, PERM_0600);
    assert_int_equal(fi.size, 65);
    assert_int_equal(apr_file_open(&f, path, APR_FOPEN_READ, 0, pool),
                     APR_SUCCESS);
    assert_int_equal(apr_file_read_full(f, buf, sizeof(buf), &n), APR_EOF);
    apr_file_close(f);
    assert_int_equal(n, 65);
    assert_int_equal(buf[64], '\n');
    for (i = 0; i < 64; i++) {
        assert_non_null(strchr("0123456789abcdef", buf[i]));
    }
    assert_int_equal(jc_secretbox_key_load(&a, path, pool), APR_SUCCESS);
    assert_int_equal(jc_secretbox_key_load(&b, path, pool), APR_SUCCESS);
    assert_true(same_key(a, b));
    /* never overwritten */
    assert_true(APR_STATUS_IS_EEXIST(jc_secretbox_key_create(path, pool)));
    assert_int_equal(jc_secretbox_key_load(&b, path, pool), APR_SUCCESS);
    assert_true(same_key(a, b));
    /* a second key is a different key */
    assert_int_equal(jc_secretbox_key_create(path2, pool), APR_SUCCESS);
    assert_int_equal(jc_secretbox_key_load(&c, path2, pool), APR_SUCCESS);
    assert_false(same_key(a, c));
    /* no such directory */
    assert_true(APR_STATUS_IS_ENOENT(jc_secretbox_key_create(
        apr_pstrcat(pool, dir, "/no/jc.key", NULL), pool)));
    assert_int_equal(jc_secretbox_key_create(NULL, pool), APR_EINVAL);

    unit_rm_tmpdir(dir);
}

/* ---- QR / SVG ----------------------------------------------------------- */

/* A module grid parsed back from an SVG of jc_qr_svg(). */
typedef struct {
    int n;               /* side in modules, quiet zone included */
    unsigned char *dark; /* n * n, row 0 at the top              */
} grid_t;

/* Parse svg: check its attributes and turn its one path into a grid. */
static grid_t parse_svg(const char *svg, int scale, const char *label_xml)
{
    grid_t g;
    const char *d, *end;
    char *head;
    int n = 0, n2 = 0, w = 0, h = 0, used = 0;

    assert_int_equal(sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                            "%n", &w, &h, &n, &n2, &used), 4);
    assert_true(used > 0);
    assert_int_equal(n, n2);
    assert_int_equal(w, n * scale);
    assert_int_equal(h, n * scale);
    head = apr_psprintf(pool, " shape-rendering=\"crispEdges\" role=\"img\" "
                        "aria-label=\"%s\"><rect width=\"%d\" height=\"%d\" "
                        "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                        label_xml, n, n);
    assert_memory_equal(svg + used, head, strlen(head));
    /* exactly one path, and the document ends right after it */
    assert_null(strstr(strstr(svg, "<path") + 1, "<path"));
    d = svg + used + strlen(head);
    end = strchr(d, '"');
    assert_non_null(end);
    assert_string_equal(end, "\"/></svg>");

    g.n = n;
    g.dark = apr_pcalloc(pool, (size_t)n * (size_t)n);
    while (d < end) {
        int x, y, r1, r2, k = 0, i;

        assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &r1, &r2,
                                &k), 4);
        assert_true(k > 0);
        assert_int_equal(r1, r2);
        assert_true(r1 >= 1);
        assert_true(x >= 0 && y >= 0 && y < n && x + r1 <= n);
        for (i = 0; i < r1; i++) {
            /* runs never overlap */
            assert_int_equal(g.dark[y * n + x + i], 0);
            g.dark[y * n + x + i] = 1;
        }
        d += k;
    }
    assert_true(d == end);
    return g;
}

/* 1 if a finder pattern (7x7: dark ring, light ring, dark 3x3 centre)
 * has its top-left corner at module (x, y) of g. */
static int finder_at(const grid_t *g, int x, int y)
{
    int i, j;

    for (j = 0; j < 7; j++) {
        for (i = 0; i < 7; i++) {
            int ring = (i == 0 || i == 6 || j == 0 || j == 6);
            int centre = (i >= 2 && i <= 4 && j >= 2 && j <= 4);

            if (g->dark[(y + j) * g->n + x + i] != (ring || centre)) {
                return 0;
            }
        }
    }
    return 1;
}

static void test_qr_svg_structure(void **state)
{
    const char *text = "otpauth://totp/Jobcenter%20K%C3%B6ln:max%40example."
        "org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Jobcenter%20K%C3"
        "%B6ln&algorithm=SHA1&digits=6&period=30";
    const char *svg = NULL;
    QRcode *ref;
    grid_t g;
    int x, y, w, q = 4;   /* JC_QR_QUIET, as the QR spec demands */

    (void)state;
    assert_int_equal(jc_qr_svg(&svg, text, "QR-Code f\xc3\xbcr die App",
                               4, pool), APR_SUCCESS);
    g = parse_svg(svg, 4, "QR-Code f\xc3\xbcr die App");

    /* libqrencode's own matrix, same settings */
    ref = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(ref);
    w = ref->width;
    assert_int_equal(g.n, w + 2 * q);
    assert_int_equal((w - 17) % 4, 0);   /* a real QR size: 17 + 4v */
    for (y = 0; y < g.n; y++) {
        for (x = 0; x < g.n; x++) {
            int in = x >= q && x < q + w && y >= q && y < q + w;
            int want = in ? (ref->data[(y - q) * w + (x - q)] & 1) : 0;

            /* the quiet zone is empty; inside, module for module */
            assert_int_equal(g.dark[y * g.n + x], want);
        }
    }
    QRcode_free(ref);

    /* orientation: finder patterns top-left, top-right and bottom-left,
     * none bottom-right (a y flip or x mirror would move one there) */
    assert_true(finder_at(&g, q, q));
    assert_true(finder_at(&g, q + w - 7, q));
    assert_true(finder_at(&g, q, q + w - 7));
    assert_false(finder_at(&g, q + w - 7, q + w - 7));
    /* timing pattern in row 6 between the top finders */
    for (x = 8; x < w - 8; x++) {
        assert_int_equal(g.dark[(q + 6) * g.n + q + x], x % 2 == 0);
    }
}

static void test_qr_encode_matrix(void **state)
{
    jc_qr_t *qr = NULL;
    const char *svg;
    grid_t g;
    int x, y;

    (void)state;
    assert_int_equal(jc_qr_encode(&qr, "HELLO WORLD", pool), APR_SUCCESS);
    assert_int_equal(qr->version, 1);
    assert_int_equal(qr->width, 21);
    assert_int_equal(jc_qr_svg(&svg, "HELLO WORLD", "x", 1, pool),
                     APR_SUCCESS);
    g = parse_svg(svg, 1, "x");
    assert_int_equal(g.n, 29);
    for (y = 0; y < 21; y++) {
        for (x = 0; x < 21; x++) {
            assert_int_equal(qr->dark[y * 21 + x],
                             g.dark[(y + 4) * 29 + x + 4]);
        }
    }
    /* the otpauth URI of a 20-byte secret fits a small symbol */
    assert_int_equal(jc_qr_encode(&qr, "otpauth://totp/Jobcenter:K123456?"
                                  "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"
                                  "issuer=Jobcenter&algorithm=SHA1&digits=6"
                                  "&period=30", pool), APR_SUCCESS);
    assert_true(qr->version <= 8);
}

static void test_qr_svg_escaping_and_args(void **state)
{
    const char *svg = "unchanged";
    char *big;

    (void)state;
    assert_int_equal(jc_qr_svg(&svg, "x", "A&B <\"c\"> 'd'", 2, pool),
                     APR_SUCCESS);
    parse_svg(svg, 2, "A&amp;B &lt;&quot;c&quot;&gt; &#39;d&#39;");
    assert_null(strstr(svg, "<\"c"));

    /* payload must be printable ASCII */
    assert_int_equal(jc_qr_svg(&svg, "f\xc3\xbcr", "x", 4, pool),
                     APR_EINVAL);
    assert_null(svg);
    assert_int_equal(jc_qr_svg(&svg, "a\nb", "x", 4, pool), APR_EINVAL);
    assert_int_equal(jc_qr_svg(&svg, "", "x", 4, pool), APR_EINVAL);
    assert_int_equal(jc_qr_svg(&svg, NULL, "x", 4, pool), APR_EINVAL);
    /* label: non-empty UTF-8 without controls */
    assert_int_equal(jc_qr_svg(&svg, "x", "", 4, pool), APR_EINVAL);
    assert_int_equal(jc_qr_svg(&svg, "x", NULL, 4, pool), APR_EINVAL);
    assert_int_equal(jc_qr_svg(&svg, "x", "a\x01", 4, pool), APR_EINVAL);
    assert_int_equal(jc_qr_svg(&svg, "x", "\xfc", 4, pool), APR_EINVAL);
    /* scale */
    assert_int_equal(jc_qr_svg(&svg, "x", "x", 0, pool), APR_EINVAL);
    assert_int_equal(jc_qr_svg(&svg, "x", "x", JC_QR_SCALE_MAX + 1, pool),
                     APR_EINVAL);
    assert_int_equal(jc_qr_svg(&svg, "x", "x", JC_QR_SCALE_MAX, pool),
                     APR_SUCCESS);
    /* too long for version 40: libqrencode says so, or, beyond the
     * longest possible text, the length check before it */
    big = apr_palloc(pool, JC_QR_TEXT_MAX + 2);
    memset(big, 'a', 4000);
    big[4000] = '\0';
    assert_int_equal(jc_qr_svg(&svg, big, "x", 4, pool), APR_ENOSPC);
    memset(big, '1', JC_QR_TEXT_MAX + 1);
    big[JC_QR_TEXT_MAX + 1] = '\0';
    assert_int_equal(jc_qr_svg(&svg, big, "x", 4, pool), APR_ENOSPC);
    /* digits only: the longest text fits, in the largest symbol */
    big[JC_QR_TEXT_MAX] = '\0';
    assert_int_equal(jc_qr_svg(&svg, big, "x", 1, pool), APR_SUCCESS);
    assert_int_equal(parse_svg(svg, 1, "x").n, 177 + 8);
    /* 2300 8-bit bytes need version 40 too */
    memset(big, 'a', 2300);
    big[2300] = '\0';
    assert_int_equal(jc_qr_svg(&svg, big, "x", 1, pool), APR_SUCCESS);
    assert_int_equal(parse_svg(svg, 1, "x").n, 177 + 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotp_rfc4226),
        cmocka_unit_test(test_totp_rfc6238_sha1),
        cmocka_unit_test(test_totp_rfc6238_sha256),
        cmocka_unit_test(test_totp_rfc6238_sha512),
        cmocka_unit_test(test_totp_digits_and_args),
        cmocka_unit_test(test_totp_step),
        cmocka_unit_test(test_verify_window),
        cmocka_unit_test(test_verify_near_epoch),
        cmocka_unit_test(test_verify_replay),
        cmocka_unit_test(test_verify_latest_wins),
        cmocka_unit_test(test_verify_malformed),
        cmocka_unit_test(test_secret_new),
        cmocka_unit_test(test_base32_rfc4648),
        cmocka_unit_test(test_base32_roundtrip),
        cmocka_unit_test(test_base32_invalid),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_secretbox_roundtrip),
        cmocka_unit_test(test_secretbox_wrong_context_or_key),
        cmocka_unit_test(test_secretbox_tampered),
        cmocka_unit_test(test_secretbox_args),
        cmocka_unit_test(test_secretbox_key_files),
        cmocka_unit_test(test_secretbox_key_create),
        cmocka_unit_test(test_qr_svg_structure),
        cmocka_unit_test(test_qr_encode_matrix),
        cmocka_unit_test(test_qr_svg_escaping_and_args),
    };

    return cmocka_run_group_tests_name("jc_totp", tests, unit_group_setup,
                                       unit_group_teardown);
}

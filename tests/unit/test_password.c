/* Unit tests for jc_password: policy criteria one by one, length boundaries,
 * invalid characters, repeat handling, Argon2id hashing and verification. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <argon2.h>

#include "jc_password.h"
#include "unit_fixture.h"

#define ALL_CLASSES (JC_PW_ERR_LENGTH | JC_PW_ERR_UPPER | JC_PW_ERR_LOWER \
                     | JC_PW_ERR_DIGIT | JC_PW_ERR_SPECIAL)

static const jc_argon2_params_t params_min = { 19456, 2, 1 };

/* A password that meets every criterion. */
static const char good[] = "Abcdefgh123!";

/* jc_password_check on a NUL-terminated string, without repeat. */
static int check(const char *pw)
{
    return jc_password_check(pw, strlen(pw), NULL, 0);
}

/* A password of exactly n bytes meeting every other criterion. */
static char *pw_of_len(size_t n)
{
    char *s = apr_palloc(pool, n + 1);
    size_t i;

    assert_true(n >= 4);
    s[0] = 'A';
    s[1] = 'b';
    s[2] = '1';
    s[3] = '!';
    for (i = 4; i < n; i++) {
        s[i] = (char)('a' + (i % 26));
    }
    s[n] = '\0';
    return s;
}

static void test_rules_table(void **state)
{
    static const struct {
        int bit;
        const char *code;
        const char *message;
    } want[] = {
        { JC_PW_ERR_LENGTH, "password_length", "12 bis 128 Zeichen lang" },
        { JC_PW_ERR_UPPER, "password_upper",
          "mindestens ein Gro\xc3\x9f" "buchstabe (A - Z)" },
        { JC_PW_ERR_LOWER, "password_lower",
          "mindestens ein Kleinbuchstabe (a - z)" },
        { JC_PW_ERR_DIGIT, "password_digit",
          "mindestens eine Ziffer (0 - 9)" },
        { JC_PW_ERR_SPECIAL, "password_special",
          "mindestens eines der folgenden Sonderzeichen: "
          "@ # $ % & * - _ ! + = ; , . ? / \" ( )" },
        { JC_PW_ERR_INVALID, "password_invalid_chars",
          "keine unerlaubten Zeichen" },
        { JC_PW_ERR_REPEAT, "password_repeat",
          "richtige Passwortwiederholung" },
    };
    const jc_pw_rule_t *r = jc_password_rules();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(r[i].bit, want[i].bit);
        assert_string_equal(r[i].code, want[i].code);
        assert_string_equal(r[i].message, want[i].message);
    }
    assert_null(r[i].code);
}

static void test_all_ok(void **state)
{
    (void)state;
    assert_int_equal(check(good), 0);
    assert_int_equal(jc_password_check(good, strlen(good),
                                       good, strlen(good)), 0);
    assert_int_equal(check("Zz9\"()/?.,;=+!_-*&%$#@"), 0);
}

static void test_length_boundaries(void **state)
{
    (void)state;
    assert_int_equal(check(pw_of_len(11)), JC_PW_ERR_LENGTH);
    assert_int_equal(check(pw_of_len(12)), 0);
    assert_int_equal(check(pw_of_len(128)), 0);
    assert_int_equal(check(pw_of_len(129)), JC_PW_ERR_LENGTH);
    assert_int_equal(check(pw_of_len(4)), JC_PW_ERR_LENGTH);
}

static void test_empty(void **state)
{
    (void)state;
    assert_int_equal(check(""), ALL_CLASSES);
    assert_int_equal(jc_password_check(NULL, 0, NULL, 0), ALL_CLASSES);
}

static void test_missing_upper(void **state)
{
    (void)state;
    assert_int_equal(check("abcdefgh123!"), JC_PW_ERR_UPPER);
}

static void test_missing_lower(void **state)
{
    (void)state;
    assert_int_equal(check("ABCDEFGH123!"), JC_PW_ERR_LOWER);
}

static void test_missing_digit(void **state)
{
    (void)state;
    assert_int_equal(check("Abcdefghijk!"), JC_PW_ERR_DIGIT);
}

static void test_missing_special(void **state)
{
    (void)state;
    assert_int_equal(check("Abcdefgh1234"), JC_PW_ERR_SPECIAL);
}

static void test_each_special(void **state)
{
    const char *s;

    (void)state;
    for (s = JC_PW_SPECIALS; *s; s++) {
        char *pw = apr_psprintf(pool, "Abcdefgh123%c", *s);
        assert_int_equal(check(pw), 0);
    }
}

static void test_invalid_chars(void **state)
{
    static const char *const bad[] = {
        "Abcdefgh 123!",           /* space      */
        "Abcdefgh\xc3\xa4" "123!", /* a-umlaut   */
        "Abcdefgh<123!",
        "Abcdefgh>123!",
        "Abcdefgh\t123!",          /* tab        */
        "Abcdefgh~123!",
        "Abcdefgh'123!",
        "Abcdefgh\x7f" "123!",     /* DEL        */
        "Abcdefgh\xe2\x82\xac" "12!", /* euro sign */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(check(bad[i]), JC_PW_ERR_INVALID);
    }
}

static void test_invalid_only_char(void **state)
{
    /* An invalid character does not count as a special character. */
    (void)state;
    assert_int_equal(check("Abcdefgh1234 "),
                     JC_PW_ERR_SPECIAL | JC_PW_ERR_INVALID);
}

static void test_length_counts_chars(void **state)
{
    /* "Abcdefg1!" + U+00E4 U+00E4: 11 characters, 13 bytes: too short, as
     * the portal's checklist counts it; 12 characters in 13 bytes is long
     * enough (only the invalid characters fail). */
    (void)state;
    assert_int_equal(check("Abcdefg1!\xc3\xa4\xc3\xa4"),
                     JC_PW_ERR_LENGTH | JC_PW_ERR_INVALID);
    assert_int_equal(check("Abcdefg1!x\xc3\xa4\xc3\xa4"), JC_PW_ERR_INVALID);
}

static void test_embedded_nul(void **state)
{
    static const char pw[] = "Abcdef\0gh123!";

    (void)state;
    assert_int_equal(jc_password_check(pw, sizeof(pw) - 1, NULL, 0),
                     JC_PW_ERR_INVALID);
}

static void test_not_nul_terminated(void **state)
{
    /* Only the first len bytes count. */
    (void)state;
    assert_int_equal(jc_password_check("Abcdefgh123!<<<", 12, NULL, 0), 0);
    assert_int_equal(jc_password_check("Abcdefgh123!<<<", 13, NULL, 0),
                     JC_PW_ERR_INVALID);
}

static void test_repeat_mismatch(void **state)
{
    (void)state;
    /* same length, one byte differs */
    assert_int_equal(jc_password_check(good, strlen(good),
                                       "Abcdefgh123?", 12), JC_PW_ERR_REPEAT);
    /* prefix */
    assert_int_equal(jc_password_check(good, strlen(good), good, 11),
                     JC_PW_ERR_REPEAT);
    /* longer */
    assert_int_equal(jc_password_check(good, strlen(good),
                                       "Abcdefgh123!x", 13), JC_PW_ERR_REPEAT);
    /* empty repeat */
    assert_int_equal(jc_password_check(good, strlen(good), "", 0),
                     JC_PW_ERR_REPEAT);
    /* case matters */
    assert_int_equal(jc_password_check(good, strlen(good),
                                       "abcdefgh123!", 12), JC_PW_ERR_REPEAT);
}

static void test_repeat_null(void **state)
{
    (void)state;
    assert_int_equal(jc_password_check(good, strlen(good), NULL, 5), 0);
    assert_int_equal(jc_password_check("abc", 3, NULL, 0),
                     JC_PW_ERR_LENGTH | JC_PW_ERR_UPPER | JC_PW_ERR_DIGIT
                     | JC_PW_ERR_SPECIAL);
}

static void test_all_failures_combined(void **state)
{
    (void)state;
    assert_int_equal(jc_password_check(" ", 1, "x", 1),
                     ALL_CLASSES | JC_PW_ERR_INVALID | JC_PW_ERR_REPEAT);
}

static void test_hash_roundtrip(void **state)
{
    const char *phc = NULL;

    (void)state;
    assert_int_equal(jc_password_hash(&phc, good, strlen(good), &params_min,
                                      pool), APR_SUCCESS);
    assert_non_null(phc);
    assert_int_equal(strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$",
                             strlen("$argon2id$v=19$m=19456,t=2,p=1$")), 0);
    assert_int_equal(jc_password_verify(phc, good, strlen(good)),
                     APR_SUCCESS);
    assert_int_equal(jc_password_verify(phc, "Abcdefgh123?", 12),
                     APR_EMISMATCH);
    assert_int_equal(jc_password_verify(phc, good, strlen(good) - 1),
                     APR_EMISMATCH);
    assert_int_equal(jc_password_verify(phc, "", 0), APR_EMISMATCH);
}

static void test_hash_salts_differ(void **state)
{
    const char *a = NULL, *b = NULL;

    (void)state;
    assert_int_equal(jc_password_hash(&a, good, strlen(good), &params_min,
                                      pool), APR_SUCCESS);
    assert_int_equal(jc_password_hash(&b, good, strlen(good), &params_min,
                                      pool), APR_SUCCESS);
    assert_string_not_equal(a, b);
    assert_int_equal(jc_password_verify(a, good, strlen(good)), APR_SUCCESS);
    assert_int_equal(jc_password_verify(b, good, strlen(good)), APR_SUCCESS);
}

static void test_hash_other_params(void **state)
{
    static const jc_argon2_params_t higher = { 20480, 3, 2 };
    const char *phc = NULL;
    char old[256];

    (void)state;
    /* higher parameters, read back from the PHC string */
    assert_int_equal(jc_password_hash(&phc, good, strlen(good), &higher,
                                      pool), APR_SUCCESS);
    assert_int_equal(strncmp(phc, "$argon2id$v=19$m=20480,t=3,p=2$",
                             strlen("$argon2id$v=19$m=20480,t=3,p=2$")), 0);
    assert_int_equal(jc_password_verify(phc, good, strlen(good)),
                     APR_SUCCESS);
    assert_int_equal(jc_password_verify(phc, "x", 1), APR_EMISMATCH);

    /* an older, weaker hash made directly with libargon2 */
    assert_int_equal(argon2id_hash_encoded(1, 4096, 1, good, strlen(good),
                                           "0123456789abcdef", 16, 32,
                                           old, sizeof(old)), ARGON2_OK);
    assert_int_equal(jc_password_verify(old, good, strlen(good)),
                     APR_SUCCESS);
    assert_int_equal(jc_password_verify(old, "x", 1), APR_EMISMATCH);
}

static void test_verify_known_vector(void **state)
{
    /* From the reference implementation's test suite (argon2id, v=19,
     * m=65536, t=2, p=1, password "password", salt "somesalt"). */
    static const char phc[] =
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ"
        "$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

    (void)state;
    assert_int_equal(jc_password_verify(phc, "password", 8), APR_SUCCESS);
    assert_int_equal(jc_password_verify(phc, "Password", 8), APR_EMISMATCH);
}

static void test_verify_malformed(void **state)
{
    const char *phc = NULL;
    char *cut;

    (void)state;
    assert_int_equal(jc_password_hash(&phc, good, strlen(good), &params_min,
                                      pool), APR_SUCCESS);

    assert_int_equal(jc_password_verify(NULL, good, strlen(good)),
                     APR_EINVAL);
    assert_int_equal(jc_password_verify("", good, strlen(good)), APR_EINVAL);
    assert_int_equal(jc_password_verify("garbage", good, strlen(good)),
                     APR_EINVAL);
    /* wrong variant */
    assert_int_equal(jc_password_verify(
        "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ"
        "$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", good, strlen(good)),
        APR_EINVAL);
    /* truncated: no hash part */
    cut = apr_pstrndup(pool, phc, (size_t)(strrchr(phc, '$') - phc));
    assert_int_equal(jc_password_verify(cut, good, strlen(good)),
                     APR_EINVAL);
    /* bad base64 in the salt */
    assert_int_equal(jc_password_verify(
        "$argon2id$v=19$m=19456,t=2,p=1$!!!!$"
        "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", good, strlen(good)),
        APR_EINVAL);
    /* non-numeric parameter */
    assert_int_equal(jc_password_verify(
        "$argon2id$v=19$m=abc,t=2,p=1$c29tZXNhbHQ"
        "$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", good, strlen(good)),
        APR_EINVAL);
}

static void test_dummy_hash(void **state)
{
    const char *d = jc_password_dummy_hash(&params_min, pool);
    const char *d2 = jc_password_dummy_hash(&params_min, pool);

    (void)state;
    assert_non_null(d);
    assert_non_null(d2);
    assert_string_not_equal(d, d2);
    assert_int_equal(strncmp(d, "$argon2id$v=19$m=19456,t=2,p=1$",
                             strlen("$argon2id$v=19$m=19456,t=2,p=1$")), 0);
    assert_int_equal(jc_password_verify(d, good, strlen(good)),
                     APR_EMISMATCH);
    assert_int_equal(jc_password_verify(d, "", 0), APR_EMISMATCH);
}

static void test_hash_bad_params(void **state)
{
    static const jc_argon2_params_t low_m = { 19455, 2, 1 };
    static const jc_argon2_params_t low_t = { 19456, 1, 1 };
    static const jc_argon2_params_t no_lanes = { 19456, 2, 0 };
    const char *phc = "unchanged";

    (void)state;
    assert_int_equal(jc_password_hash(&phc, good, 12, &low_m, pool),
                     APR_EINVAL);
    assert_int_equal(jc_password_hash(&phc, good, 12, &low_t, pool),
                     APR_EINVAL);
    assert_int_equal(jc_password_hash(&phc, good, 12, &no_lanes, pool),
                     APR_EINVAL);
    assert_int_equal(jc_password_hash(&phc, good, 12, NULL, pool),
                     APR_EINVAL);
    assert_int_equal(jc_password_hash(NULL, good, 12, &params_min, pool),
                     APR_EINVAL);
    assert_int_equal(jc_password_hash(&phc, NULL, 3, &params_min, pool),
                     APR_EINVAL);
    assert_null(jc_password_dummy_hash(&low_m, pool));
}

/* Base64 (standard, no padding) of a PHC field, decoded for the test. */
static size_t b64_field(unsigned char *out, size_t max, const char *s,
                        size_t n)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0, bits = 0;
    size_t i, len = 0;

    for (i = 0; i < n; i++) {
        const char *q = strchr(a, s[i]);

        assert_non_null(q);
        acc = (acc << 6) | (unsigned)(q - a);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            assert_true(len < max);
            out[len++] = (unsigned char)(acc >> bits);
        }
    }
    return len;
}

/* Our PHC string is the one libargon2's argon2id_hash_encoded makes from
 * the same salt, byte for byte, and libargon2 verifies it. */
static void test_hash_byte_compatible(void **state)
{
    static const jc_argon2_params_t p2 = { 19456, 2, 2 };
    const jc_argon2_params_t *ps[] = { &params_min, &p2 };
    unsigned char salt[64];
    char lib[256];
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        const char *phc = NULL, *s, *e;
        size_t n;

        assert_int_equal(jc_password_hash(&phc, good, strlen(good), ps[i],
                                          pool), APR_SUCCESS);
        s = strrchr(phc, '$');
        e = s - 1;
        while (*e != '$') {
            e--;
        }
        n = b64_field(salt, sizeof(salt), e + 1, (size_t)(s - e - 1));
        assert_int_equal(n, 16);
        assert_int_equal(argon2id_hash_encoded(ps[i]->t_cost, ps[i]->m_kib,
                                               ps[i]->lanes, good,
                                               strlen(good), salt, n, 32,
                                               lib, sizeof(lib)),
                         ARGON2_OK);
        assert_string_equal(phc, lib);
        assert_int_equal(argon2id_verify(phc, good, strlen(good)),
                         ARGON2_OK);
    }
}

/* The decoder accepts and refuses what libargon2's does (cheap params). */
static void test_verify_agrees_with_libargon2(void **state)
{
    static const char *const strs[] = {
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$",
        "$argon2id$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA=",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHR$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAB",
        "$argon2id$v=19$m=064,t=01,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=01$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=019$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=0$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=+64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1$$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA ",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ",
        "argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=4294967296,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1,x=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAA",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA$",
        "$argon2id$v=19$m=-64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2d$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        NULL
    };
    char ok[128];
    size_t i;

    (void)state;
    /* one that matches, made by libargon2 with the cheap parameters */
    assert_int_equal(argon2id_hash_encoded(1, 64, 1, "pw", 2, "somesalt", 8,
                                           16, ok, sizeof(ok)), ARGON2_OK);
    assert_int_equal(jc_password_verify(ok, "pw", 2), APR_SUCCESS);
    assert_int_equal(jc_password_verify(ok, "pX", 2), APR_EMISMATCH);
    for (i = 0; strs[i]; i++) {
        int lib = argon2id_verify(strs[i], "pw", 2);
        apr_status_t want = lib == ARGON2_OK ? APR_SUCCESS
                            : lib == ARGON2_VERIFY_MISMATCH ? APR_EMISMATCH
                            : APR_EINVAL;

        print_message("%s: libargon2 %d\n", strs[i], lib);
        assert_int_equal(jc_password_verify(strs[i], "pw", 2), want);
    }
}

/* A bound area is reused hash after hash and stays mapped; a hash that
 * needs more than the area gets its own mapping; without an area nothing
 * is kept. */
static void test_area_reuse(void **state)
{
    static const jc_argon2_params_t bigger = { 20480, 2, 1 };
    jc_pw_area_t area;
    const char *phc = NULL, *phc2 = NULL;
    void *mem;

    (void)state;
    jc_password_area_init(&area, (size_t)params_min.m_kib * 1024);
    assert_null(area.mem);
    assert_null(jc_password_bind_area(&area));
    assert_int_equal(jc_password_hash(&phc, good, strlen(good), &params_min,
                                      pool), APR_SUCCESS);
    mem = area.mem;
    assert_non_null(mem);
    assert_int_equal(area.busy, 0);
    assert_int_equal(jc_password_verify(phc, good, strlen(good)),
                     APR_SUCCESS);
    assert_ptr_equal(area.mem, mem);
    /* wiped after use */
    assert_int_equal(((unsigned char *)mem)[0], 0);
    assert_int_equal(((unsigned char *)mem)[area.size - 1], 0);
    /* larger than the area: a private mapping, the area untouched */
    assert_int_equal(jc_password_hash(&phc2, good, strlen(good), &bigger,
                                      pool), APR_SUCCESS);
    assert_ptr_equal(area.mem, mem);
    assert_int_equal(area.busy, 0);
    assert_ptr_equal(jc_password_bind_area(NULL), &area);
    assert_int_equal(jc_password_verify(phc2, good, strlen(good)),
                     APR_SUCCESS);
    jc_password_area_release(&area);
    assert_null(area.mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_table),
        cmocka_unit_test(test_all_ok),
        cmocka_unit_test(test_length_boundaries),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_missing_upper),
        cmocka_unit_test(test_missing_lower),
        cmocka_unit_test(test_missing_digit),
        cmocka_unit_test(test_missing_special),
        cmocka_unit_test(test_each_special),
        cmocka_unit_test(test_invalid_chars),
        cmocka_unit_test(test_invalid_only_char),
        cmocka_unit_test(test_length_counts_chars),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_repeat_mismatch),
        cmocka_unit_test(test_repeat_null),
        cmocka_unit_test(test_all_failures_combined),
        cmocka_unit_test(test_hash_roundtrip),
        cmocka_unit_test(test_hash_salts_differ),
        cmocka_unit_test(test_hash_other_params),
        cmocka_unit_test(test_verify_known_vector),
        cmocka_unit_test(test_verify_malformed),
        cmocka_unit_test(test_dummy_hash),
        cmocka_unit_test(test_hash_bad_params),
        cmocka_unit_test(test_hash_byte_compatible),
        cmocka_unit_test(test_verify_agrees_with_libargon2),
        cmocka_unit_test(test_area_reuse),
    };

    return cmocka_run_group_tests_name("jc_password", tests, unit_group_setup,
                                       unit_group_teardown);
}

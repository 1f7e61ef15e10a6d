/* Unit tests for jc_token: random base64url tokens, SHA-256 hex digests,
 * constant-time equality and the well-formedness check. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_token.h"
#include "unit_fixture.h"

/* 1 if every character of s is in the base64url alphabet. */
static int all_b64url(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
              || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) {
            return 0;
        }
    }
    return 1;
}

static void test_new_length_32(void **state)
{
    const char *t = NULL;

    (void)state;
    assert_int_equal(jc_token_new(&t, 32, pool), APR_SUCCESS);
    assert_non_null(t);
    assert_int_equal(strlen(t), 43);
    assert_true(all_b64url(t));
    assert_null(strchr(t, '='));
    assert_true(jc_token_wellformed(t));
}

static void test_new_other_lengths(void **state)
{
    const char *t = NULL;

    (void)state;
    assert_int_equal(jc_token_new(&t, 16, pool), APR_SUCCESS);
    assert_int_equal(strlen(t), 22);
    assert_true(all_b64url(t));
    assert_int_equal(jc_token_new(&t, 17, pool), APR_SUCCESS);
    assert_int_equal(strlen(t), 23);
    assert_int_equal(jc_token_new(&t, 18, pool), APR_SUCCESS);
    assert_int_equal(strlen(t), 24);
    assert_int_equal(jc_token_new(&t, 64, pool), APR_SUCCESS);
    assert_int_equal(strlen(t), 86);
    assert_true(all_b64url(t));
    assert_true(jc_token_wellformed(t));
}

static void test_new_bad_sizes(void **state)
{
    const char *t = "unchanged";

    (void)state;
    assert_int_equal(jc_token_new(&t, 15, pool), APR_EINVAL);
    assert_null(t);
    t = "unchanged";
    assert_int_equal(jc_token_new(&t, 65, pool), APR_EINVAL);
    assert_null(t);
    assert_int_equal(jc_token_new(&t, 0, pool), APR_EINVAL);
    assert_int_equal(jc_token_new(NULL, 32, pool), APR_EINVAL);
}

static void test_new_tokens_differ(void **state)
{
    const char *a = NULL, *b = NULL;

    (void)state;
    assert_int_equal(jc_token_new(&a, 32, pool), APR_SUCCESS);
    assert_int_equal(jc_token_new(&b, 32, pool), APR_SUCCESS);
    assert_string_not_equal(a, b);
    assert_false(jc_token_equal(a, b));
}

static void test_new_charset_coverage(void **state)
{
    /* Over many tokens every base64url character should show up, which
     * also catches a broken encoder that only emits part of the alphabet. */
    int seen[256] = { 0 };
    int i, count = 0;
    const char *t;
    const char *s;

    (void)state;
    for (i = 0; i < 200; i++) {
        assert_int_equal(jc_token_new(&t, 32, pool), APR_SUCCESS);
        assert_true(all_b64url(t));
        for (s = t; *s; s++) {
            seen[(unsigned char)*s] = 1;
        }
    }
    for (i = 0; i < 256; i++) {
        count += seen[i];
    }
    assert_int_equal(count, 64);
}

static void test_hash_known(void **state)
{
    (void)state;
    assert_string_equal(jc_token_hash("abc", 3, pool),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(jc_token_hash("", 0, pool),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* len, not the NUL, decides */
    assert_string_equal(jc_token_hash("abcdef", 3, pool),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_hash_format(void **state)
{
    const char *t = NULL, *h;
    size_t i;

    (void)state;
    assert_int_equal(jc_token_new(&t, 32, pool), APR_SUCCESS);
    h = jc_token_hash(t, strlen(t), pool);
    assert_non_null(h);
    assert_int_equal(strlen(h), 64);
    for (i = 0; i < 64; i++) {
        assert_true((h[i] >= '0' && h[i] <= '9')
                    || (h[i] >= 'a' && h[i] <= 'f'));
    }
    assert_string_equal(h, jc_token_hash(t, strlen(t), pool));
    assert_null(jc_token_hash(NULL, 1, pool));
}

static void test_equal(void **state)
{
    char *copy;

    (void)state;
    copy = apr_pstrdup(pool, "sOmEtOkEn_-0123456789");
    assert_true(jc_token_equal("sOmEtOkEn_-0123456789", copy));
    assert_true(jc_token_equal("", ""));
    /* same length, different content (first, middle, last byte) */
    assert_false(jc_token_equal("xOmEtOkEn_-0123456789", copy));
    assert_false(jc_token_equal("sOmEtOkEn_+0123456789", copy));
    assert_false(jc_token_equal("sOmEtOkEn_-0123456788", copy));
    /* case matters */
    assert_false(jc_token_equal("SOMETOKEN_-0123456789", copy));
}

static void test_equal_lengths_differ(void **state)
{
    (void)state;
    assert_false(jc_token_equal("abc", "abcd"));
    assert_false(jc_token_equal("abcd", "abc"));
    assert_false(jc_token_equal("", "a"));
    assert_false(jc_token_equal("a", ""));
}

static void test_equal_null(void **state)
{
    (void)state;
    assert_false(jc_token_equal(NULL, NULL));
    assert_false(jc_token_equal(NULL, "abc"));
    assert_false(jc_token_equal("abc", NULL));
    assert_false(jc_token_equal(NULL, ""));
}

static void test_wellformed(void **state)
{
    char buf[200];

    (void)state;
    assert_true(jc_token_wellformed("abcdefghijklmnop"));        /* 16 */
    assert_false(jc_token_wellformed("abcdefghijklmno"));        /* 15 */
    assert_true(jc_token_wellformed("ABC-_xyz0123456789"));
    memset(buf, 'a', 128);
    buf[128] = '\0';
    assert_true(jc_token_wellformed(buf));
    buf[128] = 'a';
    buf[129] = '\0';
    assert_false(jc_token_wellformed(buf));

    assert_false(jc_token_wellformed(NULL));
    assert_false(jc_token_wellformed(""));
    assert_false(jc_token_wellformed("abcdefghijklmnop="));
    assert_false(jc_token_wellformed("abcdefghijklmno+p"));
    assert_false(jc_token_wellformed("abcdefghijklmno/p"));
    assert_false(jc_token_wellformed("abcdefghijklmno p"));
    assert_false(jc_token_wellformed("abcdefghijklmno.p"));
    assert_false(jc_token_wellformed("abcdefghijklmno\xc3\xa4"));
    assert_false(jc_token_wellformed("abcdefghijklmnop\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_length_32),
        cmocka_unit_test(test_new_other_lengths),
        cmocka_unit_test(test_new_bad_sizes),
        cmocka_unit_test(test_new_tokens_differ),
        cmocka_unit_test(test_new_charset_coverage),
        cmocka_unit_test(test_hash_known),
        cmocka_unit_test(test_hash_format),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_equal_lengths_differ),
        cmocka_unit_test(test_equal_null),
        cmocka_unit_test(test_wellformed),
    };

    return cmocka_run_group_tests_name("jc_token", tests, unit_group_setup,
                                       unit_group_teardown);
}

/* Unit tests for jc_fsc: Freischaltcode generation, normalisation of user
 * input, grouping, hashing, and Kundennummern. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "jc_fsc.h"
#include "unit_fixture.h"

static void new_codes_use_the_alphabet_only(void **state)
{
    char c[JC_FSC_LEN + 1], n[JC_FSC_LEN + 1];
    int seen[256] = { 0 }, i, j, distinct = 0;

    (void)state;
    for (i = 0; i < 2000; i++) {
        assert_int_equal(jc_fsc_new(c), APR_SUCCESS);
        assert_int_equal(strlen(c), JC_FSC_LEN);
        for (j = 0; j < JC_FSC_LEN; j++) {
            assert_non_null(strchr(jc_fsc_alphabet, c[j]));
            seen[(unsigned char)c[j]]++;
        }
        assert_int_equal(jc_fsc_normalize(c, n), 1);
        assert_string_equal(c, n);
    }
    for (i = 0; i < 256; i++)
        distinct += seen[i] > 0;
    assert_int_equal(distinct, 32);           /* every symbol occurs */
    assert_int_equal(seen['0'] + seen['O'] + seen['1'] + seen['I'], 0);
}

static void input_is_normalised(void **state)
{
    char n[JC_FSC_LEN + 1];

    (void)state;
    assert_int_equal(jc_fsc_normalize("het2-2x8a-uxas", n), 1);
    assert_string_equal(n, "HET22X8AUXAS");
    assert_int_equal(jc_fsc_normalize(" HET2 2X8A\tUXAS ", n), 1);
    assert_string_equal(n, "HET22X8AUXAS");
    /* U+2013 en dash and U+00A0 no-break space (pasted from a PDF) */
    assert_int_equal(jc_fsc_normalize("HET2\xE2\x80\x93" "2X8A\xC2\xA0UXAS", n), 1);
    assert_string_equal(n, "HET22X8AUXAS");
}

static void malformed_input_is_refused(void **state)
{
    char n[JC_FSC_LEN + 1];
    char longer[200];

    (void)state;
    assert_int_equal(jc_fsc_normalize("", n), 0);
    assert_int_equal(jc_fsc_normalize(NULL, n), 0);
    assert_int_equal(jc_fsc_normalize("HET2-2X8A-UXA", n), 0);     /* 11 */
    assert_int_equal(jc_fsc_normalize("HET2-2X8A-UXASS", n), 0);   /* 13 */
    assert_int_equal(jc_fsc_normalize("HET2-2X8A-UXA0", n), 0);    /* look-alike 0 */
    assert_int_equal(jc_fsc_normalize("HET2-2X8A-UXAI", n), 0);    /* look-alike I */
    assert_int_equal(jc_fsc_normalize("HET2_2X8A_UXAS", n), 0);
    assert_int_equal(jc_fsc_normalize("HET2-2X8A-UXÄS", n), 0);
    memset(longer, '-', sizeof(longer) - 13);
    memcpy(longer + sizeof(longer) - 13, "HET22X8AUXAS", 13);
    assert_int_equal(jc_fsc_normalize(longer, n), 0);              /* > 100 bytes */
}

static void grouping_and_hash(void **state)
{
    const char *h1, *h2;

    (void)state;
    assert_string_equal(jc_fsc_group("Z8TMYQE6H578", pool), "Z8TM-YQE6-H578");
    h1 = jc_fsc_hash("Z8TMYQE6H578", pool);
    h2 = jc_fsc_hash("Z8TMYQE6H579", pool);
    assert_int_equal(strlen(h1), 64);
    assert_string_not_equal(h1, h2);
    /* SHA-256("Z8TMYQE6H578"), computed with `printf %s Z8TMYQE6H578 | sha256sum` */
    assert_string_equal(h1, "114dac7026b5682f2ccb581c844ec33d2b2ada7e77584f9a67b92db6fb31bd24");
}

/* The phone alphabet: 32 distinct characters, none of the look-alikes. */
static void phone_alphabet(void **state)
{
    const char *a = JC_PHONE_ALPHABET, *bad = "0OoDQ1IliLj5Ss2Zz8BGbgqckpsuvwxyz";
    int seen[256] = { 0 }, i;

    (void)state;
    assert_int_equal(strlen(a), 32);
    for (i = 0; a[i]; i++) {
        assert_int_equal(seen[(unsigned char)a[i]]++, 0);
        if (a[i] != 'L')      /* capital L stays: only l (small) is like 1 */
            assert_null(strchr(bad, a[i]));
    }
    assert_int_equal(strlen(JC_PHONE_UPPER), 18);
    assert_int_equal(strlen(JC_PHONE_LOWER), 9);
    assert_int_equal(strlen(JC_PHONE_DIGITS), 5);
}

static void kundennummer_format(void **state)
{
    char k[11];
    int i, j, letters[26] = { 0 }, digits[10] = { 0 }, distinct = 0;
    const int n = 3600;

    (void)state;
    for (i = 0; i < n; i++) {
        assert_int_equal(jc_kundennummer_new(k), APR_SUCCESS);
        assert_int_equal(strlen(k), 10);
        assert_int_equal(jc_kundennummer_valid(k), 1);
        /* the letter: only from the phone alphabet's capitals */
        assert_non_null(strchr(JC_PHONE_UPPER, k[3]));
        letters[k[3] - 'A']++;
        for (j = 0; j < 10; j++) {
            if (j != 3) {
                assert_true(k[j] >= '0' && k[j] <= '9');
                digits[k[j] - '0']++;
            }
        }
    }
    /* distribution sanity: every one of the 18 letters, each near n/18 =
     * 200 (sd ~14; 100..300 is beyond 7 sd), every digit near 9n/10 */
    for (i = 0; i < 26; i++) {
        if (strchr(JC_PHONE_UPPER, 'A' + i)) {
            assert_in_range(letters[i], 100, 300);
            distinct++;
        }
        else {
            assert_int_equal(letters[i], 0);
        }
    }
    assert_int_equal(distinct, 18);
    for (i = 0; i < 10; i++)
        assert_in_range(digits[i], 9 * n / 10 - 400, 9 * n / 10 + 400);
    /* numbers issued before (any capital letter) stay valid */
    assert_int_equal(jc_kundennummer_valid("123S123456"), 1);
    assert_int_equal(jc_kundennummer_valid("000O000001"), 1);
    assert_int_equal(jc_kundennummer_valid("999I999999"), 1);
    assert_int_equal(jc_kundennummer_valid("123A123456"), 1);
    assert_int_equal(jc_kundennummer_valid("123a123456"), 0);
    assert_int_equal(jc_kundennummer_valid("1234123456"), 0);
    assert_int_equal(jc_kundennummer_valid("123A12345"), 0);
    assert_int_equal(jc_kundennummer_valid("123A1234567"), 0);
    assert_int_equal(jc_kundennummer_valid(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_codes_use_the_alphabet_only),
        cmocka_unit_test(phone_alphabet),
        cmocka_unit_test(input_is_normalised),
        cmocka_unit_test(malformed_input_is_refused),
        cmocka_unit_test(grouping_and_hash),
        cmocka_unit_test(kundennummer_format),
    };
    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

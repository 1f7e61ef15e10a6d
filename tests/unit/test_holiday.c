/* jc_holiday: Easter Sunday by the Gregorian computus, every public holiday
 * of a year nationwide and in several Länder (counted over the whole year,
 * so a wrong extra day fails too), Buß- und Bettag, region codes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jc_holiday.h"

static void expect_easter(int y, int em, int ed)
{
    int m, d;

    jc_holiday_easter(y, &m, &d);
    if (m != em || d != ed) {
        fail_msg("Easter %d: got %02d-%02d, want %02d-%02d", y, m, d, em, ed);
    }
}

static void test_easter(void **state)
{
    (void)state;
    expect_easter(1961, 4, 2);
    expect_easter(2000, 4, 23);
    expect_easter(2008, 3, 23);
    expect_easter(2011, 4, 24);     /* latest possible: 25.04. is 2038 */
    expect_easter(2019, 4, 21);
    expect_easter(2024, 3, 31);
    expect_easter(2025, 4, 20);
    expect_easter(2026, 4, 5);
    expect_easter(2027, 3, 28);
    expect_easter(2028, 4, 16);
    expect_easter(2029, 4, 1);
    expect_easter(2030, 4, 21);
    expect_easter(2038, 4, 25);     /* the latest date */
    expect_easter(2100, 3, 28);
    expect_easter(2285, 3, 22);     /* the earliest date */
}

static int days_in_month(int y, int m)
{
    static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                               31 };

    return n[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0)
                                  || y % 400 == 0));
}

/* Every holiday of year y in the region, as "MM-DD Name" lines, compared
 * with the expected list (in calendar order). */
static void expect_year(int y, int region, const char *const *want,
                        size_t n)
{
    size_t found = 0;
    char got[64];
    int m, d;

    for (m = 1; m <= 12; m++) {
        for (d = 1; d <= days_in_month(y, m); d++) {
            const char *name = jc_holiday_name(y, m, d, region);

            assert_int_equal(jc_holiday_is(y, m, d, region), name != NULL);
            if (name == NULL) {
                continue;
            }
            snprintf(got, sizeof(got), "%02d-%02d %s", m, d, name);
            if (found >= n) {
                fail_msg("%s %d: unexpected %s",
                         jc_holiday_region_code(region), y, got);
            }
            if (strcmp(got, want[found]) != 0) {
                fail_msg("%s %d: got %s, want %s",
                         jc_holiday_region_code(region), y, got,
                         want[found]);
            }
            found++;
        }
    }
    if (found != n) {
        fail_msg("%s %d: %zu holidays, want %zu (missing %s)",
                 jc_holiday_region_code(region), y, found, n, want[found]);
    }
}

#define EXPECT_YEAR(y, r, list) \
    expect_year((y), (r), (list), sizeof(list) / sizeof((list)[0]))

static void test_year_2026(void **state)
{
    static const char *const de[] = {
        "01-01 Neujahr", "04-03 Karfreitag", "04-06 Ostermontag",
        "05-01 Tag der Arbeit", "05-14 Christi Himmelfahrt",
        "05-25 Pfingstmontag", "10-03 Tag der Deutschen Einheit",
        "12-25 1. Weihnachtstag", "12-26 2. Weihnachtstag",
    };
    static const char *const bw[] = {
        "01-01 Neujahr", "01-06 Heilige Drei Könige", "04-03 Karfreitag",
        "04-06 Ostermontag", "05-01 Tag der Arbeit",
        "05-14 Christi Himmelfahrt", "05-25 Pfingstmontag",
        "06-04 Fronleichnam", "10-03 Tag der Deutschen Einheit",
        "11-01 Allerheiligen", "12-25 1. Weihnachtstag",
        "12-26 2. Weihnachtstag",
    };
    static const char *const be[] = {
        "01-01 Neujahr", "03-08 Internationaler Frauentag",
        "04-03 Karfreitag", "04-06 Ostermontag", "05-01 Tag der Arbeit",
        "05-14 Christi Himmelfahrt", "05-25 Pfingstmontag",
        "10-03 Tag der Deutschen Einheit", "12-25 1. Weihnachtstag",
        "12-26 2. Weihnachtstag",
    };
    static const char *const sn[] = {
        "01-01 Neujahr", "04-03 Karfreitag", "04-06 Ostermontag",
        "05-01 Tag der Arbeit", "05-14 Christi Himmelfahrt",
        "05-25 Pfingstmontag", "10-03 Tag der Deutschen Einheit",
        "10-31 Reformationstag", "11-18 Buß- und Bettag",
        "12-25 1. Weihnachtstag", "12-26 2. Weihnachtstag",
    };
    static const char *const th[] = {
        "01-01 Neujahr", "04-03 Karfreitag", "04-06 Ostermontag",
        "05-01 Tag der Arbeit", "05-14 Christi Himmelfahrt",
        "05-25 Pfingstmontag", "09-20 Weltkindertag",
        "10-03 Tag der Deutschen Einheit", "10-31 Reformationstag",
        "12-25 1. Weihnachtstag", "12-26 2. Weihnachtstag",
    };
    static const char *const sl[] = {
        "01-01 Neujahr", "04-03 Karfreitag", "04-06 Ostermontag",
        "05-01 Tag der Arbeit", "05-14 Christi Himmelfahrt",
        "05-25 Pfingstmontag", "06-04 Fronleichnam",
        "08-15 Mariä Himmelfahrt", "10-03 Tag der Deutschen Einheit",
        "11-01 Allerheiligen", "12-25 1. Weihnachtstag",
        "12-26 2. Weihnachtstag",
    };
    static const char *const mv[] = {
        "01-01 Neujahr", "03-08 Internationaler Frauentag",
        "04-03 Karfreitag", "04-06 Ostermontag", "05-01 Tag der Arbeit",
        "05-14 Christi Himmelfahrt", "05-25 Pfingstmontag",
        "10-03 Tag der Deutschen Einheit", "10-31 Reformationstag",
        "12-25 1. Weihnachtstag", "12-26 2. Weihnachtstag",
    };
    static const char *const st[] = {
        "01-01 Neujahr", "01-06 Heilige Drei Könige", "04-03 Karfreitag",
        "04-06 Ostermontag", "05-01 Tag der Arbeit",
        "05-14 Christi Himmelfahrt", "05-25 Pfingstmontag",
        "10-03 Tag der Deutschen Einheit", "10-31 Reformationstag",
        "12-25 1. Weihnachtstag", "12-26 2. Weihnachtstag",
    };
    static const char *const he[] = {
        "01-01 Neujahr", "04-03 Karfreitag", "04-06 Ostermontag",
        "05-01 Tag der Arbeit", "05-14 Christi Himmelfahrt",
        "05-25 Pfingstmontag", "06-04 Fronleichnam",
        "10-03 Tag der Deutschen Einheit", "12-25 1. Weihnachtstag",
        "12-26 2. Weihnachtstag",
    };

    (void)state;
    EXPECT_YEAR(2026, JC_HOL_DE, de);
    EXPECT_YEAR(2026, JC_HOL_BW, bw);
    EXPECT_YEAR(2026, JC_HOL_BY, bw);     /* the same list as BW */
    EXPECT_YEAR(2026, JC_HOL_BE, be);
    EXPECT_YEAR(2026, JC_HOL_SN, sn);
    EXPECT_YEAR(2026, JC_HOL_TH, th);
    EXPECT_YEAR(2026, JC_HOL_SL, sl);
    EXPECT_YEAR(2026, JC_HOL_MV, mv);
    EXPECT_YEAR(2026, JC_HOL_ST, st);
    EXPECT_YEAR(2026, JC_HOL_HE, he);
}

static void test_year_2024_leap(void **state)
{
    /* a leap year with an early Easter (31.03.): the movable feasts are
     * counted by day of the year, so 29 February must not shift them */
    static const char *const nw[] = {
        "01-01 Neujahr", "03-29 Karfreitag", "04-01 Ostermontag",
        "05-01 Tag der Arbeit", "05-09 Christi Himmelfahrt",
        "05-20 Pfingstmontag", "05-30 Fronleichnam",
        "10-03 Tag der Deutschen Einheit", "11-01 Allerheiligen",
        "12-25 1. Weihnachtstag", "12-26 2. Weihnachtstag",
    };
    static const char *const hh[] = {
        "01-01 Neujahr", "03-29 Karfreitag", "04-01 Ostermontag",
        "05-01 Tag der Arbeit", "05-09 Christi Himmelfahrt",
        "05-20 Pfingstmontag", "10-03 Tag der Deutschen Einheit",
        "10-31 Reformationstag", "12-25 1. Weihnachtstag",
        "12-26 2. Weihnachtstag",
    };

    (void)state;
    EXPECT_YEAR(2024, JC_HOL_NW, nw);
    EXPECT_YEAR(2024, JC_HOL_RP, nw);     /* RP has the same holidays */
    EXPECT_YEAR(2024, JC_HOL_HH, hh);
    EXPECT_YEAR(2024, JC_HOL_HB, hh);
    EXPECT_YEAR(2024, JC_HOL_NI, hh);
    EXPECT_YEAR(2024, JC_HOL_SH, hh);
    EXPECT_YEAR(2024, JC_HOL_BB, hh);
}

static void test_buss_und_bettag(void **state)
{
    (void)state;
    /* the Wednesday before 23 November, Saxony only */
    assert_string_equal(jc_holiday_name(2026, 11, 18, JC_HOL_SN),
                        "Buß- und Bettag");
    assert_true(jc_holiday_is(2027, 11, 17, JC_HOL_SN));
    assert_true(jc_holiday_is(2024, 11, 20, JC_HOL_SN));
    assert_true(jc_holiday_is(2025, 11, 19, JC_HOL_SN));
    /* 23.11.2033 is a Wednesday: the one before is 16.11. */
    assert_true(jc_holiday_is(2033, 11, 16, JC_HOL_SN));
    assert_false(jc_holiday_is(2033, 11, 23, JC_HOL_SN));
    /* 22.11.2028 is a Wednesday: that one */
    assert_true(jc_holiday_is(2028, 11, 22, JC_HOL_SN));
    assert_false(jc_holiday_is(2028, 11, 15, JC_HOL_SN));
    assert_false(jc_holiday_is(2026, 11, 18, JC_HOL_DE));
    assert_false(jc_holiday_is(2026, 11, 18, JC_HOL_BY));
    assert_false(jc_holiday_is(2026, 11, 11, JC_HOL_SN));
    assert_false(jc_holiday_is(2026, 11, 25, JC_HOL_SN));
}

static void test_not_holidays(void **state)
{
    int r;

    (void)state;
    for (r = 0; r < JC_HOL_REGIONS; r++) {
        /* Heiligabend, Silvester, Rosenmontag, Easter Sunday, Whit Sunday
         * (Sundays anyway), Gründonnerstag, an ordinary day */
        assert_false(jc_holiday_is(2026, 12, 24, r));
        assert_false(jc_holiday_is(2026, 12, 31, r));
        assert_false(jc_holiday_is(2026, 2, 16, r));
        assert_false(jc_holiday_is(2026, 4, 5, r));
        assert_false(jc_holiday_is(2026, 5, 24, r));
        assert_false(jc_holiday_is(2026, 4, 2, r));
        assert_false(jc_holiday_is(2026, 7, 14, r));
        /* the nationwide ones everywhere */
        assert_true(jc_holiday_is(2026, 10, 3, r));
        assert_true(jc_holiday_is(2027, 3, 26, r));     /* Karfreitag */
    }
    /* regional days elsewhere */
    assert_false(jc_holiday_is(2026, 11, 1, JC_HOL_BE));
    assert_false(jc_holiday_is(2026, 10, 31, JC_HOL_BW));
    assert_false(jc_holiday_is(2026, 1, 6, JC_HOL_DE));
    assert_false(jc_holiday_is(2026, 8, 15, JC_HOL_BY));    /* partial */
    assert_false(jc_holiday_is(2026, 8, 8, JC_HOL_BY));     /* Augsburg */
    assert_false(jc_holiday_is(2026, 6, 4, JC_HOL_SN));     /* partial */
    assert_false(jc_holiday_is(2026, 3, 8, JC_HOL_BB));
    /* invalid dates and regions */
    assert_false(jc_holiday_is(2026, 0, 1, JC_HOL_DE));
    assert_false(jc_holiday_is(2026, 13, 1, JC_HOL_DE));
    assert_false(jc_holiday_is(2026, 1, 0, JC_HOL_DE));
    assert_true(jc_holiday_is(2026, 1, 1, -1));       /* as DE */
    assert_false(jc_holiday_is(2026, 1, 6, 99));      /* as DE */
}

static void test_region_parse(void **state)
{
    static const char *const all[] = {
        "DE", "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW",
        "RP", "SL", "SN", "ST", "SH", "TH"
    };
    int i;

    (void)state;
    assert_int_equal(JC_HOL_REGIONS, 17);
    for (i = 0; i < JC_HOL_REGIONS; i++) {
        assert_int_equal(jc_holiday_region_parse(all[i]), i);
        assert_string_equal(jc_holiday_region_code(i), all[i]);
    }
    assert_int_equal(jc_holiday_region_parse("bw"), JC_HOL_BW);
    assert_int_equal(jc_holiday_region_parse("De"), JC_HOL_DE);
    assert_int_equal(jc_holiday_region_parse("sN"), JC_HOL_SN);
    assert_int_equal(jc_holiday_region_parse(NULL), -1);
    assert_int_equal(jc_holiday_region_parse(""), -1);
    assert_int_equal(jc_holiday_region_parse("DE-BW"), -1);
    assert_int_equal(jc_holiday_region_parse("BWX"), -1);
    assert_int_equal(jc_holiday_region_parse("B"), -1);
    assert_int_equal(jc_holiday_region_parse("Bayern"), -1);
    assert_int_equal(jc_holiday_region_parse("AT"), -1);
    assert_int_equal(jc_holiday_region_parse(" BW"), -1);
    assert_string_equal(jc_holiday_region_code(-1), "");
    assert_string_equal(jc_holiday_region_code(17), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_easter),
        cmocka_unit_test(test_year_2026),
        cmocka_unit_test(test_year_2024_leap),
        cmocka_unit_test(test_buss_und_bettag),
        cmocka_unit_test(test_not_holidays),
        cmocka_unit_test(test_region_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

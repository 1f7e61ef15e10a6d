/* jc_time: German time (Europe/Berlin) from epoch seconds by the EU rule,
 * whatever the process time zone is: each check runs with TZ=UTC,
 * TZ=America/New_York and TZ=Asia/Tokyo, and is compared with the C
 * library's own Europe/Berlin conversion over several years. */
#define _DEFAULT_SOURCE 1   /* tm_gmtoff */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_pools.h>

#include "jc_time.h"
#include "jc_letter.h"
#include "jc_online.h"
#include "jc_holiday.h"
#include "unit_fixture.h"

static const char *const zones[] = {
    "UTC", "America/New_York", "Asia/Tokyo", "Europe/Berlin"
};

static apr_int64_t utc(int y, int mo, int d, int h, int mi)
{
    return jc_time_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void test_switches(void **state)
{
    (void)state;
    /* 2026: 29.03. and 25.10.; 2027: 28.03. and 31.10.; 2024: 31.03. */
    assert_int_equal(jc_berlin_dst_start(2026), utc(2026, 3, 29, 1, 0));
    assert_int_equal(jc_berlin_dst_end(2026), utc(2026, 10, 25, 1, 0));
    assert_int_equal(jc_berlin_dst_start(2027), utc(2027, 3, 28, 1, 0));
    assert_int_equal(jc_berlin_dst_end(2027), utc(2027, 10, 31, 1, 0));
    assert_int_equal(jc_berlin_dst_start(2024), utc(2024, 3, 31, 1, 0));
    assert_int_equal(jc_berlin_offset(utc(2026, 3, 29, 0, 59)), 3600);
    assert_int_equal(jc_berlin_offset(utc(2026, 3, 29, 1, 0)), 7200);
    assert_int_equal(jc_berlin_offset(utc(2026, 10, 25, 0, 59)), 7200);
    assert_int_equal(jc_berlin_offset(utc(2026, 10, 25, 1, 0)), 3600);
}

static void test_formats_any_tz(void **state)
{
    char d[11], t[6], iso[11];
    apr_pool_t *p;
    size_t i;

    (void)state;
    apr_pool_create(&p, NULL);
    for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        set_tz(zones[i]);
        /* the upload: 22:43Z in winter is 23:43 in Berlin */
        jc_berlin_date_de(utc(2026, 12, 6, 22, 43), d);
        jc_berlin_time_de(utc(2026, 12, 6, 22, 43), t);
        assert_string_equal(d, "06.12.2026");
        assert_string_equal(t, "23:43");
        /* 23:10Z is the next day in Berlin */
        jc_berlin_date_iso(utc(2026, 12, 6, 23, 10), iso);
        assert_string_equal(iso, "2026-12-07");
        jc_date_de((time_t)utc(2026, 12, 6, 23, 10), d);
        assert_string_equal(d, "07.12.2026");
        /* summer: +2 */
        assert_string_equal(jc_berlin_datetime_de(utc(2026, 7, 1, 22, 5), p),
                            "02.07.2026 um 00:05 Uhr");
        assert_int_equal(jc_berlin_mktime(2026, 12, 2, 0, 0, 0),
                         utc(2026, 12, 1, 23, 0));
        assert_int_equal(jc_berlin_mktime(2026, 4, 1, 0, 0, 0),
                         utc(2026, 3, 31, 22, 0));
        /* the missing hour counts as CET, the repeated one as CEST */
        assert_int_equal(jc_berlin_mktime(2026, 3, 29, 2, 30, 0),
                         utc(2026, 3, 29, 1, 30));
        assert_int_equal(jc_berlin_mktime(2026, 10, 25, 2, 30, 0),
                         utc(2026, 10, 25, 0, 30));
        assert_int_equal(jc_online_effective_at(utc(2026, 11, 29, 23, 30), 3,
                                                JC_HOL_DE),
                         utc(2026, 12, 2, 23, 0));
    }
    apr_pool_destroy(p);
}

/* every 37 minutes from 2020 to 2031 against glibc's tzdata */
static void test_against_tzdata(void **state)
{
    apr_int64_t t;

    (void)state;
    set_tz("Europe/Berlin");
    for (t = utc(2020, 1, 1, 0, 0); t < utc(2031, 1, 1, 0, 0); t += 37 * 60) {
        time_t tt = (time_t)t;
        struct tm lt;
        jc_berlin_tm_t bt;

        assert_non_null(localtime_r(&tt, &lt));
        jc_berlin_exp(t, &bt);
        if (bt.year != lt.tm_year + 1900 || bt.mon != lt.tm_mon + 1
            || bt.mday != lt.tm_mday || bt.hour != lt.tm_hour
            || bt.min != lt.tm_min || bt.wday != lt.tm_wday
            || bt.offset != lt.tm_gmtoff) {
            fail_msg("mismatch at %lld", (long long)t);
        }
        if (lt.tm_min == 0 || lt.tm_min == 30) {
            struct tm back = lt;
            time_t m = mktime(&back);

            if (jc_berlin_mktime(bt.year, bt.mon, bt.mday, bt.hour, bt.min,
                                 bt.sec) != (apr_int64_t)m
                && lt.tm_isdst == 1) {
                fail_msg("mktime mismatch at %lld", (long long)t);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switches),
        cmocka_unit_test(test_formats_any_tz),
        cmocka_unit_test(test_against_tzdata),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

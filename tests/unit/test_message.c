/* jc_message, the parts without a database: the Anliegen table (routing,
 * groups, the seed's wording), counting characters as the portal does,
 * the day a Bescheid counts as delivered (§ 37 (2a) SGB X: the fourth day,
 * moved to Monday from a Saturday or Sunday) across weekends, month and
 * year ends and a leap day, in local time with TZ=Europe/Berlin, and the
 * notification mails (no social data). */
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
#include <apr_strings.h>

#include "jc_message.h"
#include "jc_online.h"

static apr_pool_t *pool;

static apr_int64_t D(int y, int m, int d)
{
    return jc_online_days_from_civil(y, m, d);
}

static void expect_delivery(int y, int m, int d, int ey, int em, int ed)
{
    int y2, m2, d2;

    jc_online_civil_from_days(jc_msg_delivery_days(D(y, m, d)), &y2, &m2,
                              &d2);
    if (y2 != ey || m2 != em || d2 != ed) {
        fail_msg("%04d-%02d-%02d: got %04d-%02d-%02d, want %04d-%02d-%02d",
                 y, m, d, y2, m2, d2, ey, em, ed);
    }
}

static void test_delivery_days(void **state)
{
    (void)state;
    /* Mon 2026-11-23 + 4 = Fri 27 */
    expect_delivery(2026, 11, 23, 2026, 11, 27);
    /* Tue 24 + 4 = Sat 28 -> Mon 30 */
    expect_delivery(2026, 11, 24, 2026, 11, 30);
    /* Wed 25 + 4 = Sun 29 -> Mon 30 */
    expect_delivery(2026, 11, 25, 2026, 11, 30);
    /* Thu 26 + 4 = Mon 30 */
    expect_delivery(2026, 11, 26, 2026, 11, 30);
    /* Fri 27 + 4 = Tue 1 Dec (month end) */
    expect_delivery(2026, 11, 27, 2026, 12, 1);
    /* Sat 28 + 4 = Wed 2 Dec; Sun 29 + 4 = Thu 3 Dec */
    expect_delivery(2026, 11, 28, 2026, 12, 2);
    expect_delivery(2026, 11, 29, 2026, 12, 3);
    /* year end: Mon 2026-12-28 + 4 = Fri 2027-01-01 (a holiday, which the
     * rule does not skip); Tue 29 + 4 = Sat 2 Jan -> Mon 4 Jan */
    expect_delivery(2026, 12, 28, 2027, 1, 1);
    expect_delivery(2026, 12, 29, 2027, 1, 4);
    /* leap year: Fri 2028-02-25 + 4 = Tue 29 Feb; Sat 26 + 4 = Wed 1 Mar */
    expect_delivery(2028, 2, 25, 2028, 2, 29);
    expect_delivery(2028, 2, 26, 2028, 3, 1);
    /* not a leap year: Wed 2027-02-24 + 4 = Sun 28 -> Mon 1 Mar */
    expect_delivery(2027, 2, 24, 2027, 3, 1);
    /* 30-day month: Thu 2026-04-26 is a Sunday: + 4 = Thu 30 */
    expect_delivery(2026, 4, 26, 2026, 4, 30);
}

/* epoch seconds of a local (TZ) time */
static apr_int64_t local_time(int y, int m, int d, int hh, int mm)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_isdst = -1;
    return (apr_int64_t)mktime(&tm);
}

static void test_delivery_local(void **state)
{
    char buf[11];

    (void)state;
    /* provided Friday 23:30 Berlin (22:30 UTC): the day is Friday */
    jc_msg_delivery_day(local_time(2026, 11, 27, 23, 30), buf);
    assert_string_equal(buf, "2026-12-01");
    /* provided Saturday 00:10 Berlin (Friday 23:10 UTC): Saturday counts */
    jc_msg_delivery_day(local_time(2026, 11, 28, 0, 10), buf);
    assert_string_equal(buf, "2026-12-02");
    /* across the end of summer time: Wed 2026-10-21 + 4 = Sun 25 -> Mon 26 */
    jc_msg_delivery_day(local_time(2026, 10, 21, 12, 0), buf);
    assert_string_equal(buf, "2026-10-26");
}

static void test_anliegen(void **state)
{
    size_t n, i, leistung = 0, but = 0, verm = 0;
    const jc_anliegen_t *t = jc_msg_anliegen_all(&n);
    json_t *j, *groups;

    (void)state;
    assert_int_equal(n, 14);
    for (i = 0; i < n; i++) {
        assert_ptr_equal(jc_msg_anliegen(t[i].key), &t[i]);
        leistung += !strcmp(t[i].team, "leistung");
        but += !strcmp(t[i].team, "but");
        verm += !strcmp(t[i].team, "vermittlung");
        assert_true(jc_staff_team_valid(t[i].team));
    }
    assert_int_equal(leistung, 7);
    assert_int_equal(but, 1);
    assert_int_equal(verm, 6);
    assert_string_equal(jc_msg_anliegen("bildung_teilhabe")->label,
                        "Informationen du Fragen zu Leistungen für Bildung "
                        "und Teilhabe");
    assert_null(jc_msg_anliegen("unbekannt"));
    assert_null(jc_msg_anliegen(NULL));
    j = jc_msg_anliegen_json();
    groups = json_object_get(j, "groups");
    assert_int_equal(json_array_size(groups), 2);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(groups, 0), "label")), "Nachrichten an die Leistung");
    assert_int_equal(json_array_size(json_object_get(
        json_array_get(groups, 0), "anliegen")), 8);
    assert_int_equal(json_array_size(json_object_get(
        json_array_get(groups, 1), "anliegen")), 6);
    json_decref(j);
}

static void test_chars(void **state)
{
    (void)state;
    assert_int_equal(jc_msg_chars("abc"), 3);
    assert_int_equal(jc_msg_chars("äöüß"), 4);
    assert_int_equal(jc_msg_chars("😀"), 1);
    /* woman + ZWJ + laptop: three code points, as [...s].length */
    assert_int_equal(jc_msg_chars("👩\u200d💻"), 3);
    assert_int_equal(jc_msg_chars("a\nb"), 3);
    assert_int_equal(jc_msg_chars("a\x01"), -1);
    assert_int_equal(jc_msg_chars("\xc3"), -1);
}

static void test_mails(void **state)
{
    jc_mail_t *m;

    (void)state;
    m = jc_msg_mail_new_content("Jobcenter.Digital <noreply@example.org>",
                                "erika@example.org",
                                "https://portal.example/start.html",
                                1795000000, pool);
    assert_non_null(m);
    assert_string_equal(m->subject, "Neue Inhalte in Ihrem Profil");
    m = jc_msg_mail_reminder("Jobcenter.Digital <noreply@example.org>",
                             "erika@example.org",
                             "https://portal.example/start.html", 1795000000,
                             pool);
    assert_non_null(m);
    assert_null(jc_msg_mail_new_content("x <a@b.c>", "bad\r\naddress",
                                        "https://x", 0, pool));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_days),
        cmocka_unit_test(test_delivery_local),
        cmocka_unit_test(test_anliegen),
        cmocka_unit_test(test_chars),
        cmocka_unit_test(test_mails),
    };
    int rc;

    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    apr_initialize();
    apr_pool_create(&pool, NULL);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}

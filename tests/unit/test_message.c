/* The message files' parts without a database (jc_anliegen, jc_message,
 * jc_bescheid, jc_notify): the Anliegen table (routing, groups, the
 * seed's wording), counting characters as the portal does,
 * the day a Bescheid counts as delivered (§ 37 (2a) SGB X: the fourth day,
 * moved to the next working day from a Saturday, Sunday or public holiday)
 * across weekends, holidays (nationwide and regional), month and year ends
 * and a leap day, in local time with TZ=Europe/Berlin, and the
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

#include "jc_anliegen.h"
#include "jc_bescheid.h"
#include "jc_holiday.h"
#include "jc_message.h"
#include "jc_notify.h"
#include "jc_online.h"
#include "unit_fixture.h"

static apr_int64_t D(int y, int m, int d)
{
    return jc_time_days_from_civil(y, m, d);
}

static void expect_delivery_in(int region, int y, int m, int d, int ey,
                               int em, int ed)
{
    int y2, m2, d2;

    jc_time_civil_from_days(jc_bescheid_delivery_days(D(y, m, d), region),
                            &y2, &m2, &d2);
    if (y2 != ey || m2 != em || d2 != ed) {
        fail_msg("%s %04d-%02d-%02d: got %04d-%02d-%02d, want "
                 "%04d-%02d-%02d", jc_holiday_region_code(region), y, m, d,
                 y2, m2, d2, ey, em, ed);
    }
}

/* nationwide holidays only (JobcenterHolidayRegion DE) */
static void expect_delivery(int y, int m, int d, int ey, int em, int ed)
{
    expect_delivery_in(JC_HOL_DE, y, m, d, ey, em, ed);
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
    /* year end: Mon 2026-12-28 + 4 = Fri 2027-01-01 (Neujahr) -> Mon 4
     * Jan; Tue 29 + 4 = Sat 2 Jan -> Mon 4 Jan */
    expect_delivery(2026, 12, 28, 2027, 1, 4);
    expect_delivery(2026, 12, 29, 2027, 1, 4);
    /* leap year: Fri 2028-02-25 + 4 = Tue 29 Feb; Sat 26 + 4 = Wed 1 Mar */
    expect_delivery(2028, 2, 25, 2028, 2, 29);
    expect_delivery(2028, 2, 26, 2028, 3, 1);
    /* not a leap year: Wed 2027-02-24 + 4 = Sun 28 -> Mon 1 Mar */
    expect_delivery(2027, 2, 24, 2027, 3, 1);
    /* 30-day month: Thu 2026-04-26 is a Sunday: + 4 = Thu 30 */
    expect_delivery(2026, 4, 26, 2026, 4, 30);
}

static void test_delivery_holidays(void **state)
{
    (void)state;
    /* Easter 2026 (Sunday 5 April): Mon 30.03. + 4 = Karfreitag 03.04. ->
     * Tue 07.04.; Wed 01.04. + 4 = Easter Sunday -> Tue 07.04.; Maundy
     * Thursday 02.04. + 4 = Ostermontag 06.04. -> Tue 07.04.; Good Friday
     * itself + 4 = Tue 07.04. (a working day) */
    expect_delivery(2026, 3, 30, 2026, 4, 7);
    expect_delivery(2026, 4, 1, 2026, 4, 7);
    expect_delivery(2026, 4, 2, 2026, 4, 7);
    expect_delivery(2026, 4, 3, 2026, 4, 7);
    /* Thu 26.03.2026 + 4 = Mon 30.03. (the week before: unchanged) */
    expect_delivery(2026, 3, 26, 2026, 3, 30);
    /* Christmas 2026: Mon 21.12. + 4 = Fri 25.12. -> Mon 28.12.; Tue 22.12.
     * + 4 = Sat 26.12. -> Mon 28.12.; Sun 20.12. + 4 = Thu 24.12. (a
     * working day) */
    expect_delivery(2026, 12, 21, 2026, 12, 28);
    expect_delivery(2026, 12, 22, 2026, 12, 28);
    expect_delivery(2026, 12, 20, 2026, 12, 24);
    /* Tag der Deutschen Einheit on a Friday: Mon 29.09.2025 + 4 = Fri
     * 03.10. -> Mon 06.10.2025 */
    expect_delivery(2025, 9, 29, 2025, 10, 6);
    /* Christi Himmelfahrt Thu 14.05.2026: Sun 10.05. + 4 -> Fri 15.05.;
     * Pfingstmontag 25.05.2026: Thu 21.05. + 4 -> Tue 26.05. */
    expect_delivery(2026, 5, 10, 2026, 5, 15);
    expect_delivery(2026, 5, 21, 2026, 5, 26);
    /* regional: Allerheiligen Wed 01.11.2028: Sat 28.10. + 4 -> Thu 02.11.
     * in BW, Wed 01.11. in BE and nationwide */
    expect_delivery_in(JC_HOL_BW, 2028, 10, 28, 2028, 11, 2);
    expect_delivery_in(JC_HOL_BE, 2028, 10, 28, 2028, 11, 1);
    expect_delivery(2028, 10, 28, 2028, 11, 1);
    /* Reformationstag Tue 31.10.2028: Fri 27.10. + 4 -> Wed 01.11. in NI,
     * Tue 31.10. in BW */
    expect_delivery_in(JC_HOL_NI, 2028, 10, 27, 2028, 11, 1);
    expect_delivery_in(JC_HOL_BW, 2028, 10, 27, 2028, 10, 31);
    /* Heilige Drei Könige Wed 06.01.2027: Sat 02.01. + 4 -> Thu 07.01. in
     * BW, Wed 06.01. nationwide */
    expect_delivery_in(JC_HOL_BW, 2027, 1, 2, 2027, 1, 7);
    expect_delivery(2027, 1, 2, 2027, 1, 6);
    /* Buß- und Bettag Wed 18.11.2026 in SN: Sat 14.11. + 4 -> Thu 19.11. */
    expect_delivery_in(JC_HOL_SN, 2026, 11, 14, 2026, 11, 19);
    expect_delivery(2026, 11, 14, 2026, 11, 18);
    /* Fronleichnam Thu 27.05.2027 (Easter 28.03.): Sun 23.05. + 4 -> Fri
     * 28.05. in NW, Thu 27.05. in BE */
    expect_delivery_in(JC_HOL_NW, 2027, 5, 23, 2027, 5, 28);
    expect_delivery_in(JC_HOL_BE, 2027, 5, 23, 2027, 5, 27);
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
    jc_bescheid_delivery_day(local_time(2026, 11, 27, 23, 30), JC_HOL_DE, buf);
    assert_string_equal(buf, "2026-12-01");
    /* provided Saturday 00:10 Berlin (Friday 23:10 UTC): Saturday counts */
    jc_bescheid_delivery_day(local_time(2026, 11, 28, 0, 10), JC_HOL_DE, buf);
    assert_string_equal(buf, "2026-12-02");
    /* across the end of summer time: Wed 2026-10-21 + 4 = Sun 25 -> Mon 26 */
    jc_bescheid_delivery_day(local_time(2026, 10, 21, 12, 0), JC_HOL_DE, buf);
    assert_string_equal(buf, "2026-10-26");
    /* Maundy Thursday 23:30 CEST (21:30 UTC): Thursday -> Tue 07.04. */
    jc_bescheid_delivery_day(local_time(2026, 4, 2, 23, 30), JC_HOL_DE, buf);
    assert_string_equal(buf, "2026-04-07");
    /* Fri 30.10.2026 12:00: + 4 = Tue 03.11. (Allerheiligen was Sunday) */
    jc_bescheid_delivery_day(local_time(2026, 10, 30, 12, 0), JC_HOL_BW, buf);
    assert_string_equal(buf, "2026-11-03");
}

static void test_anliegen(void **state)
{
    size_t n, i, leistung = 0, but = 0, verm = 0;
    const jc_anliegen_t *t = jc_anliegen_all(&n);
    json_t *j, *groups;

    (void)state;
    assert_int_equal(n, 14);
    for (i = 0; i < n; i++) {
        assert_ptr_equal(jc_anliegen_find(t[i].key), &t[i]);
        leistung += !strcmp(t[i].team, "leistung");
        but += !strcmp(t[i].team, "but");
        verm += !strcmp(t[i].team, "vermittlung");
        assert_true(jc_staff_team_valid(t[i].team));
    }
    assert_int_equal(leistung, 7);
    assert_int_equal(but, 1);
    assert_int_equal(verm, 6);
    assert_string_equal(jc_anliegen_find("bildung_teilhabe")->label,
                        "Informationen und Fragen zu Leistungen für Bildung "
                        "und Teilhabe");
    assert_null(jc_anliegen_find("unbekannt"));
    assert_null(jc_anliegen_find(NULL));
    j = jc_anliegen_json();
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
    m = jc_notify_mail_new_content("Jobcenter.Digital <noreply@example.org>",
                                   "erika@example.org",
                                   "https://portal.example/start.html",
                                   1795000000, pool);
    assert_non_null(m);
    assert_string_equal(m->subject, "Neue Inhalte in Ihrem Profil");
    m = jc_notify_mail_reminder("Jobcenter.Digital <noreply@example.org>",
                                "erika@example.org",
                                "https://portal.example/start.html",
                                1795000000, pool);
    assert_non_null(m);
    assert_null(jc_notify_mail_new_content("x <a@b.c>", "bad\r\naddress",
                                           "https://x", 0, pool));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_days),
        cmocka_unit_test(test_delivery_holidays),
        cmocka_unit_test(test_delivery_local),
        cmocka_unit_test(test_anliegen),
        cmocka_unit_test(test_chars),
        cmocka_unit_test(test_mails),
    };

    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

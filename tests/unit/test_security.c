/* Unit tests for the pieces of the "Sicherheit" work that need no
 * database: the User-Agent a session records (cut at a character
 * boundary, invalid bytes and controls replaced), the fresh-check rule,
 * the passkey name rule, Europe/Berlin times in mails (both switches of
 * summer time) and the mail "Ihre Sicherheitseinstellungen wurden
 * geändert". The database flows are covered by tests/http/security. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_mail.h"
#include "jc_passkey.h"
#include "jc_session.h"
#include "jc_utf8.h"
#include "unit_fixture.h"

static void test_user_agent(void **state)
{
    char buf[1024];
    const char *ua;

    (void)state;
    assert_null(jc_session_user_agent(NULL, pool));
    assert_null(jc_session_user_agent("", pool));
    assert_string_equal(jc_session_user_agent("Mozilla/5.0 (X11)", pool),
                        "Mozilla/5.0 (X11)");
    /* 199 ASCII + a two-byte character at position 200 + more: the cut
     * keeps the whole character and stops there */
    memset(buf, 'a', 199);
    strcpy(buf + 199, "\xc3\xa4\xc3\xb6\xc3\xb6");
    ua = jc_session_user_agent(buf, pool);
    assert_int_equal(strlen(ua), 201);
    assert_int_equal(jc_utf8_chars(ua), 200);
    assert_memory_equal(ua + 199, "\xc3\xa4", 3);
    /* a four-byte character at 200 */
    strcpy(buf + 199, "\xf0\x9f\x92\xbbxyz");
    ua = jc_session_user_agent(buf, pool);
    assert_int_equal(strlen(ua), 203);
    assert_true(jc_utf8_valid(ua));
    /* invalid bytes and controls become '?', one per byte */
    assert_string_equal(jc_session_user_agent("a\xff" "b\x01" "c\xc3", pool),
                        "a?b?c?");
    assert_string_equal(jc_session_user_agent("x\xc2\x85y\x7fz", pool),
                        "x?y?z");
    /* overlong and surrogate forms are invalid */
    ua = jc_session_user_agent("\xc0\xaf\xed\xa0\x80", pool);
    assert_true(jc_utf8_valid(ua));
    assert_null(strchr(ua, '\xc0'));
    /* long ASCII: exactly 200 */
    memset(buf, 'b', 600);
    buf[600] = '\0';
    assert_int_equal(strlen(jc_session_user_agent(buf, pool)), 200);
}

static void test_fresh(void **state)
{
    jc_session_t s;
    jc_result_t res;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.state = JC_SESS_AUTHENTICATED;
    assert_false(jc_session_fresh(&s, 300, 1000));     /* never checked */
    s.verified_at = 700;
    assert_true(jc_session_fresh(&s, 300, 1000));      /* exactly 300 s */
    assert_false(jc_session_fresh(&s, 300, 1001));
    s.verified_at = 2000;
    assert_false(jc_session_fresh(&s, 300, 1000));     /* from the future */

    jc_result_ok(&res);
    s.verified_at = 100;
    assert_int_equal(jc_session_require_fresh(&res, &s, 300, 1000, pool), 1);
    assert_int_equal(res.status, 403);
    assert_string_equal(res.code, "reauth_required");
    assert_non_null(strstr(res.message, "Passwort"));
    /* the enrolment right after the password is no change of this kind */
    jc_result_ok(&res);
    s.state = JC_SESS_MFA_SETUP_REQUIRED;
    assert_int_equal(jc_session_require_fresh(&res, &s, 300, 1000, pool), 0);
    assert_int_equal(res.status, 200);
}

static void test_passkey_name(void **state)
{
    char buf[300];
    int i;

    (void)state;
    assert_true(jc_passkey_name_ok("Laptop"));
    assert_true(jc_passkey_name_ok(" Büro-PC \xf0\x9f\x92\xbb"));
    assert_false(jc_passkey_name_ok(NULL));
    assert_false(jc_passkey_name_ok(""));
    assert_false(jc_passkey_name_ok("   "));
    assert_false(jc_passkey_name_ok("a\tb"));
    assert_false(jc_passkey_name_ok("a\nb"));
    assert_false(jc_passkey_name_ok("a\x7f"));
    assert_false(jc_passkey_name_ok("a\xc2\x85"));       /* C1 NEL */
    assert_false(jc_passkey_name_ok("a\xff"));
    /* 64 two-byte characters (128 bytes) pass, 65 do not */
    for (i = 0; i < 64; i++) {
        memcpy(buf + 2 * i, "\xc3\xa4", 2);
    }
    buf[128] = '\0';
    assert_true(jc_passkey_name_ok(buf));
    memcpy(buf + 128, "\xc3\xa4", 3);
    assert_false(jc_passkey_name_ok(buf));
    memset(buf, 'x', 65);
    buf[65] = '\0';
    assert_false(jc_passkey_name_ok(buf));
    buf[64] = '\0';
    assert_true(jc_passkey_name_ok(buf));
}

static void test_berlin_time(void **state)
{
    (void)state;
    /* 2026-01-15 12:00 UTC: CET */
    assert_string_equal(jc_mail_berlin_time(1768478400, pool),
                        "15.01.2026 um 13:00 Uhr");
    /* 2026-07-01 12:00 UTC: CEST */
    assert_string_equal(jc_mail_berlin_time(1782907200, pool),
                        "01.07.2026 um 14:00 Uhr");
    /* summer time starts 2026-03-29 01:00 UTC (02:00 CET -> 03:00 CEST) */
    assert_string_equal(jc_mail_berlin_time(1774745999, pool),
                        "29.03.2026 um 01:59 Uhr");
    assert_string_equal(jc_mail_berlin_time(1774746000, pool),
                        "29.03.2026 um 03:00 Uhr");
    /* and ends 2026-10-25 01:00 UTC (03:00 CEST -> 02:00 CET) */
    assert_string_equal(jc_mail_berlin_time(1792889999, pool),
                        "25.10.2026 um 02:59 Uhr");
    assert_string_equal(jc_mail_berlin_time(1792890000, pool),
                        "25.10.2026 um 02:00 Uhr");
    /* New Year in Berlin, still the old year in UTC */
    assert_string_equal(jc_mail_berlin_time(1798759800, pool),
                        "01.01.2027 um 00:30 Uhr");
}

static void test_security_mail(void **state)
{
    jc_mail_t *m;

    (void)state;
    m = jc_mail_security_changed("Jobcenter.Digital <noreply@localhost>",
                                 "max@example.org",
                                 "Der Passkey „Laptop“ wurde entfernt.",
                                 1768478400, "https://x.example/anmeldung",
                                 apr_time_from_sec(1768478400), pool);
    assert_non_null(m);
    assert_string_equal(m->subject,
                        "Ihre Sicherheitseinstellungen wurden geändert");
    assert_string_equal(m->rcpt, "max@example.org");
    /* what changed may not carry header or line breaks */
    assert_null(jc_mail_security_changed("a <b@c.de>", "max@example.org",
                                         "x\r\nBcc: y@z.de", 1, "https://x/",
                                         0, pool));
    assert_null(jc_mail_security_changed("a <b@c.de>", "max@example.org",
                                         NULL, 1, "https://x/", 0, pool));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_agent),
        cmocka_unit_test(test_fresh),
        cmocka_unit_test(test_passkey_name),
        cmocka_unit_test(test_berlin_time),
        cmocka_unit_test(test_security_mail),
    };

    return cmocka_run_group_tests_name("jc_security", tests, unit_group_setup,
                                       unit_group_teardown);
}

/* Unit tests for the pure parts of jc_konto and jc_forgot: the short
 * device label of a User-Agent, the public session reference, the
 * password rules with their details, and the notice mail. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_konto.h"
#include "jc_forgot.h"
#include "jc_setpw.h"
#include "jc_token.h"
#include "unit_fixture.h"

static void test_device(void **state)
{
    static const struct {
        const char *ua;
        const char *want;
    } cases[] = {
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
          "Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome auf Linux" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
          "Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
          "Chrome auf Linux" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0",
          "Edge auf Windows" },
        { "Mozilla/5.0 (Windows NT 10.0; rv:121.0) Gecko/20100101 "
          "Firefox/121.0", "Firefox auf Windows" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 "
          "Safari/604.1", "Safari auf iPhone" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
          "Safari auf macOS" },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
          "Chrome auf Android" },
        { "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like "
          "Gecko) SamsungBrowser/23.0 Chrome/115.0 Mobile Safari/537.36",
          "Samsung Internet auf Android" },
        { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0 Safari/537.36 OPR/105.0",
          "Opera auf ChromeOS" },
        { "curl/7.88.1", "Programm (curl)" },
        { "node", "Unbekanntes Gerät" },
        { "", "Unbekanntes Gerät" },
        { "Mozilla/5.0 (Windows NT 10.0)", "Browser auf Windows" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_string_equal(jc_konto_device(cases[i].ua, pool),
                            cases[i].want);
    }
    assert_string_equal(jc_konto_device(NULL, pool), "Unbekanntes Gerät");
}

static void test_session_ref(void **state)
{
    const char *h = jc_token_hash("abc", 3, pool);
    const char *r1 = jc_konto_session_ref(h, pool);
    const char *r2 = jc_konto_session_ref(h, pool);
    const char *r3 = jc_konto_session_ref(jc_token_hash("abd", 3, pool),
                                          pool);

    (void)state;
    assert_int_equal(strlen(r1), 32);
    assert_int_equal(strspn(r1, "0123456789abcdef"), 32);
    assert_string_equal(r1, r2);
    assert_string_not_equal(r1, r3);
    /* not a prefix of the id hash it stands for */
    assert_int_not_equal(strncmp(r1, h, 32), 0);
}

static void test_password_rules(void **state)
{
    jc_result_t res;
    const char *good = "Gutes-Passwort1";

    (void)state;
    jc_result_ok(&res);
    assert_int_equal(jc_setpw_rules(&res, good, strlen(good), good,
                                    strlen(good)), 0);
    assert_int_equal(res.status, 200);

    jc_result_ok(&res);
    assert_true(jc_setpw_rules(&res, "abc", 3, "abd", 3) > 0);
    assert_int_equal(res.status, 422);
    assert_string_equal(res.code, "validation_failed");
    assert_string_equal(res.field, "password");
    assert_true(json_array_size(res.details) >= 4);
    json_decref(res.details);

    /* only the repeat differs: the field is password_repeat */
    jc_result_ok(&res);
    assert_int_equal(jc_setpw_rules(&res, good, strlen(good),
                                    "x", 1), 1);
    assert_string_equal(res.field, "password_repeat");
    json_decref(res.details);

    /* missing values count as empty */
    jc_result_ok(&res);
    assert_true(jc_setpw_rules(&res, NULL, 0, NULL, 0) > 0);
    json_decref(res.details);
}

static void test_notice(void **state)
{
    jc_ctx_t ctx;
    jc_mail_t *m;

    (void)state;
    memset(&ctx, 0, sizeof(ctx));
    ctx.mail_from = "Jobcenter.Digital <noreply@example.org>";
    m = jc_forgot_notice(&ctx, "erika@example.org", "Ihr Passwort wurde "
                        "geändert", "Text.", 1700000000, pool);
    assert_non_null(m);
    assert_string_equal(m->rcpt, "erika@example.org");
    assert_non_null(strstr(m->data, "Subject: =?UTF-8?B?"));
    assert_null(jc_forgot_notice(&ctx, "kein-at", "Betreff", "Text.",
                                1700000000, pool));
    assert_null(jc_forgot_notice(&ctx, "erika@example.org", "Be\r\ntreff",
                                "Text.", 1700000000, pool));
    assert_null(jc_forgot_notice(&ctx, NULL, "Betreff", "Text.", 1, pool));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device),
        cmocka_unit_test(test_session_ref),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_notice),
    };

    return cmocka_run_group_tests_name("jc_konto", tests, unit_group_setup,
                                       unit_group_teardown);
}

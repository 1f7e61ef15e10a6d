/* jc_online: working-day arithmetic (pure, and on German dates across DST
 * changes, whatever TZ is) and the consent state machine against a
 * real SQLite database (history rows with the text version, Verlauf
 * events, notice mails in the outbox, the watchdog's due deactivations). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_dbd.h>

#include "unit_fixture.h"

#include "jc_holiday.h"
#include "jc_online.h"
#include "jc_sql.h"

#define DE JC_HOL_DE

/* ---- working days ------------------------------------------------------ */

static apr_int64_t D(int y, int m, int d)
{
    return jc_time_days_from_civil(y, m, d);
}

static void test_civil_roundtrip(void **state)
{
    apr_int64_t z;
    int y, m, d;

    (void)state;
    assert_int_equal(D(1970, 1, 1), 0);
    assert_int_equal(D(2000, 3, 1), 11017);
    assert_int_equal(D(1969, 12, 31), -1);
    for (z = -800000; z <= 800000; z += 37) {
        jc_time_civil_from_days(z, &y, &m, &d);
        assert_int_equal(D(y, m, d), z);
    }
    jc_time_civil_from_days(D(2028, 2, 29), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20280229);
}

static void test_weekend(void **state)
{
    (void)state;
    assert_false(jc_online_is_weekend(D(2026, 11, 27)));   /* Fri */
    assert_true(jc_online_is_weekend(D(2026, 11, 28)));    /* Sat */
    assert_true(jc_online_is_weekend(D(2026, 11, 29)));    /* Sun */
    assert_false(jc_online_is_weekend(D(2026, 11, 30)));   /* Mon */
    assert_true(jc_online_is_weekend(D(1969, 12, 28)));    /* Sun, < 0 */
    assert_false(jc_online_is_weekend(D(1969, 12, 29)));   /* Mon, < 0 */
}

static void test_add_workdays(void **state)
{
    (void)state;
    /* Fri -> Wed, Sat -> Wed, Sun -> Wed */
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 27), 3, DE),
                     D(2026, 12, 2));
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 28), 3, DE),
                     D(2026, 12, 2));
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 29), 3, DE),
                     D(2026, 12, 2));
    /* Mon -> Thu, Wed -> Mon, Thu -> Tue */
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 30), 3, DE),
                     D(2026, 12, 3));
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 2), 3, DE),
                     D(2026, 12, 7));
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 3), 3, DE),
                     D(2026, 12, 8));
    /* one day: Fri -> Mon, Sat -> Mon */
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 27), 1, DE),
                     D(2026, 11, 30));
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 28), 1, DE),
                     D(2026, 11, 30));
    /* ten days = two weeks from a weekday */
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 25), 10, DE),
                     D(2026, 12, 9));
    /* across the year (Thu 2026-12-31; Fri 1 January is Neujahr) and a
     * leap day (Mon 2028-02-28) */
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 31), 3, DE),
                     D(2027, 1, 6));
    assert_int_equal(jc_online_add_workdays(D(2028, 2, 28), 2, DE),
                     D(2028, 3, 1));
    /* Christmas: Wed 2026-12-23 + 1 = Thu 24.12. (Heiligabend is a working
     * day), + 2 = Mon 28.12. (Fri 25.12. is a holiday, then the weekend) */
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 23), 1, DE),
                     D(2026, 12, 24));
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 23), 2, DE),
                     D(2026, 12, 28));
}

static void test_workdays_holidays(void **state)
{
    (void)state;
    assert_true(jc_online_is_workday(D(2026, 4, 2), DE));     /* Thu */
    assert_false(jc_online_is_workday(D(2026, 4, 3), DE));    /* Karfreitag */
    assert_false(jc_online_is_workday(D(2026, 4, 4), DE));    /* Sat */
    assert_false(jc_online_is_workday(D(2026, 4, 6), DE));    /* Ostermontag */
    assert_true(jc_online_is_workday(D(2026, 4, 7), DE));     /* Tue */
    /* Easter 2026: Maundy Thursday 02.04. + 3 = Thu 09.04. (Good Friday,
     * the weekend and Easter Monday are skipped); from Good Friday itself
     * (a request on a holiday counts from the next working day) = Thu */
    assert_int_equal(jc_online_add_workdays(D(2026, 4, 2), 3, DE),
                     D(2026, 4, 9));
    assert_int_equal(jc_online_add_workdays(D(2026, 4, 3), 3, DE),
                     D(2026, 4, 9));
    assert_int_equal(jc_online_add_workdays(D(2026, 4, 2), 1, DE),
                     D(2026, 4, 7));
    /* Whitsun 2027 (Pfingstmontag 17.05.), Fronleichnam Thu 27.05.2027:
     * Fri 14.05. + 3 = Thu 20.05.; Wed 26.05. + 1 = Fri 28.05. in BW, Thu
     * 27.05. nationwide */
    assert_int_equal(jc_online_add_workdays(D(2027, 5, 14), 3, DE),
                     D(2027, 5, 20));
    assert_int_equal(jc_online_add_workdays(D(2027, 5, 26), 1, JC_HOL_BW),
                     D(2027, 5, 28));
    assert_int_equal(jc_online_add_workdays(D(2027, 5, 26), 1, DE),
                     D(2027, 5, 27));
    /* Tag der Deutschen Einheit on a Friday (2025-10-03): Thu 02.10. + 1 =
     * Mon 06.10. */
    assert_int_equal(jc_online_add_workdays(D(2025, 10, 2), 1, DE),
                     D(2025, 10, 6));
    /* Allerheiligen on a Monday (2027-11-01; Reformationstag is the Sunday
     * before): Fri 29.10.2027 + 3 = Wed 03.11. nationwide, Thu 04.11. in
     * BW. Reformationstag on a Tuesday (2028-10-31): Mon 30.10. + 1 = Wed
     * 01.11. in NI, Tue 31.10. in BY and BE; Tue 31.10. + 1 in BY = Thu
     * 02.11. (Allerheiligen) */
    assert_int_equal(jc_online_add_workdays(D(2027, 10, 29), 3, DE),
                     D(2027, 11, 3));
    assert_int_equal(jc_online_add_workdays(D(2027, 10, 29), 3, JC_HOL_BW),
                     D(2027, 11, 4));
    assert_int_equal(jc_online_add_workdays(D(2028, 10, 30), 1, JC_HOL_NI),
                     D(2028, 11, 1));
    assert_int_equal(jc_online_add_workdays(D(2028, 10, 30), 1, JC_HOL_BY),
                     D(2028, 10, 31));
    assert_int_equal(jc_online_add_workdays(D(2028, 10, 31), 1, JC_HOL_BY),
                     D(2028, 11, 2));
    assert_int_equal(jc_online_add_workdays(D(2028, 10, 30), 1, JC_HOL_BE),
                     D(2028, 10, 31));
    /* Buß- und Bettag in Saxony only: Tue 17.11.2026 + 1 = Thu 19.11. in
     * SN, Wed 18.11. elsewhere */
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 17), 1, JC_HOL_SN),
                     D(2026, 11, 19));
    assert_int_equal(jc_online_add_workdays(D(2026, 11, 17), 1, JC_HOL_TH),
                     D(2026, 11, 18));
    /* Christmas to New Year from Wed 23.12.2026: the working days are 24.,
     * 28.-31.12., then (Neujahr on Friday) Mon 04.01., Tue 05.01., Wed
     * 06.01. (in BW Heilige Drei Könige, so Thu 07.01. there) */
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 23), 5, DE),
                     D(2026, 12, 31));
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 23), 7, DE),
                     D(2027, 1, 5));
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 23), 8, DE),
                     D(2027, 1, 6));
    assert_int_equal(jc_online_add_workdays(D(2026, 12, 23), 8, JC_HOL_BW),
                     D(2027, 1, 7));
}

static apr_int64_t utc(int y, int mo, int d, int h, int mi)
{
    return D(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static void test_effective_berlin(void **state)
{
    char buf[11];

    (void)state;
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    /* Fri 2026-11-27 12:00 CET -> Wed 2026-12-02 00:00 CET */
    assert_int_equal(jc_online_effective_at(utc(2026, 11, 27, 11, 0), 3, DE),
                     utc(2026, 12, 1, 23, 0));
    /* DST starts Sun 2026-03-29: Fri 27.03. -> Wed 01.04. 00:00 CEST */
    assert_int_equal(jc_online_effective_at(utc(2026, 3, 27, 9, 0), 3, DE),
                     utc(2026, 3, 31, 22, 0));
    /* Sat 28.03. 23:30 CET (22:30Z) -> Wed 01.04. 00:00 CEST */
    assert_int_equal(jc_online_effective_at(utc(2026, 3, 28, 22, 30), 3, DE),
                     utc(2026, 3, 31, 22, 0));
    /* DST ends Sun 2026-10-25: Fri 23.10. -> Wed 28.10. 00:00 CET */
    assert_int_equal(jc_online_effective_at(utc(2026, 10, 23, 10, 0), 3, DE),
                     utc(2026, 10, 27, 23, 0));
    /* Sun 25.10. 02:30 CET, the repeated hour -> Wed 28.10. */
    assert_int_equal(jc_online_effective_at(utc(2026, 10, 25, 1, 30), 3, DE),
                     utc(2026, 10, 27, 23, 0));
    /* local date, not UTC date: Mon 2026-11-30 00:30 CET is still Sunday
     * in UTC; counted from Monday -> Thu 03.12. (UTC would give Wed) */
    assert_int_equal(jc_online_effective_at(utc(2026, 11, 29, 23, 30), 3, DE),
                     utc(2026, 12, 2, 23, 0));
    /* Fri 23:59 CET is still Friday -> Wed */
    assert_int_equal(jc_online_effective_at(utc(2026, 11, 27, 22, 59), 3, DE),
                     utc(2026, 12, 1, 23, 0));
    /* over Easter 2026 in Berlin: Maundy Thursday 02.04. 18:00 CEST ->
     * Thu 09.04. 00:00 CEST; a request at 23:30 CEST on Wed 01.04. -> Wed
     * 08.04. (02.04., 07.04., 08.04.) */
    assert_int_equal(jc_online_effective_at(utc(2026, 4, 2, 16, 0), 3, DE),
                     utc(2026, 4, 8, 22, 0));
    assert_int_equal(jc_online_effective_at(utc(2026, 4, 1, 21, 30), 3, DE),
                     utc(2026, 4, 7, 22, 0));
    /* Fri 30.10.2026 12:00 CET: Allerheiligen is a Sunday in 2026; in BW
     * and DE alike -> Wed 04.11.; Reformationstag (Sat) changes nothing */
    assert_int_equal(jc_online_effective_at(utc(2026, 10, 30, 11, 0), 3,
                                            JC_HOL_BW),
                     utc(2026, 11, 3, 23, 0));
    jc_online_local_date(utc(2026, 12, 1, 23, 0), buf);
    assert_string_equal(buf, "2026-12-02");
    jc_online_local_date(utc(2026, 3, 31, 22, 0), buf);
    assert_string_equal(buf, "2026-04-01");

    /* the server's TZ does not matter: with TZ=UTC (or New York) the
     * same instants give the same German answers (27.03. 23:30Z is
     * Saturday 00:30 in Berlin -> Wed 01.04. 00:00 CEST, where UTC
     * would say Wed 01.04. 00:00Z; Sun 29.11. 23:30Z is Monday in
     * Berlin -> Thu 03.12.) */
    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(jc_online_effective_at(utc(2026, 3, 27, 23, 30), 3, DE),
                     utc(2026, 3, 31, 22, 0));
    assert_int_equal(jc_online_effective_at(utc(2026, 11, 29, 23, 30), 3, DE),
                     utc(2026, 12, 2, 23, 0));
    jc_online_local_date(utc(2026, 12, 1, 23, 0), buf);
    assert_string_equal(buf, "2026-12-02");
    setenv("TZ", "America/New_York", 1);
    tzset();
    assert_int_equal(jc_online_effective_at(utc(2026, 11, 27, 22, 59), 3, DE),
                     utc(2026, 12, 1, 23, 0));
    jc_online_local_date(utc(2026, 3, 31, 22, 0), buf);
    assert_string_equal(buf, "2026-04-01");
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
}

/* ---- state machine ----------------------------------------------------- */

typedef struct {
    apr_pool_t *pool;   /* per-test pool        */
    char dir[64];       /* temp directory        */
    jc_db_t db;         /* open connection       */
    jc_online_cfg_t cfg;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));

    unit_tmp_db_open(&f->db, f->dir, &f->pool);
    f->cfg.base_url = "http://127.0.0.1:1";
    f->cfg.mail_from = "Jobcenter.Digital <noreply@example.org>";
    f->cfg.deact_days = 3;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    int rv = unit_tmp_db_close(&f->db, f->pool, f->dir);

    free(f);
    return rv;
}

static apr_int64_t count(fx_t *f, const char *sql)
{
    return unit_db_num(&f->db, sql, f->pool);
}

static void exec_sql(fx_t *f, const char *sql)
{
    unit_db_exec(&f->db, sql);
}

static int is_active(fx_t *f, apr_int64_t id, apr_int64_t now)
{
    int a = -1;

    assert_int_equal(jc_online_active(&f->db, id, now, &a, f->pool),
                     JC_DB_OK);
    return a;
}

static void test_transitions(void **state)
{
    fx_t *f = *state;
    jc_session_t s;
    jc_result_t res;
    jc_online_state_t st;
    /* Fri 2026-11-27 11:00 CET */
    apr_int64_t t0 = utc(2026, 11, 27, 10, 0), eff;
    int applied = -1;

    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    exec_sql(f, "INSERT INTO account (id, email, password_hash, created_at, "
                "updated_at) VALUES (7, 'a@example.org', 'x', 1, 1)");
    memset(&s, 0, sizeof(s));
    s.account_id = 7;
    s.email = "a@example.org";

    /* unknown account state: inactive */
    assert_int_equal(is_active(f, 7, t0), 0);
    assert_int_equal(jc_online_get(&f->db, &st, 7, t0, f->pool), JC_DB_OK);
    assert_false(st.active);

    /* no confirmed address: 409, nothing written */
    jc_result_ok(&res);
    jc_online_activate(&f->db, &res, &st, &f->cfg, &s, t0, f->pool);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "email_unconfirmed");
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM mail_outbox"), 0);
    /* deactivating without consent: 409 */
    jc_result_ok(&res);
    jc_online_deactivate(&f->db, &res, &st, &f->cfg, &s, t0, f->pool);
    assert_int_equal(res.status, 409);
    assert_string_equal(res.code, "not_active");

    exec_sql(f, "UPDATE account SET email_confirmed_at = 5 WHERE id = 7");
    jc_result_ok(&res);
    jc_online_activate(&f->db, &res, &st, &f->cfg, &s, t0, f->pool);
    assert_int_equal(res.status, 200);
    assert_true(st.active);
    assert_int_equal(is_active(f, 7, t0), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history "
                              "WHERE account_id = 7 AND action = 'consent' "
                              "AND text_version = '" JC_ONLINE_TEXT_VERSION
                              "'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM event WHERE kind = "
                              "'online_activated'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM mail_outbox WHERE "
                              "rcpt = 'a@example.org'"), 1);

    /* again: no change, no second history row or mail */
    jc_result_ok(&res);
    jc_online_activate(&f->db, &res, &st, &f->cfg, &s, t0 + 10, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(st.active_since, t0);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM mail_outbox"), 1);

    /* deactivate on Friday: effective Wed 2026-12-02 00:00 CET */
    jc_result_ok(&res);
    jc_online_deactivate(&f->db, &res, &st, &f->cfg, &s, t0 + 60, f->pool);
    assert_int_equal(res.status, 200);
    eff = utc(2026, 12, 1, 23, 0);
    assert_int_equal(st.deact_effective, eff);
    assert_int_equal(st.deact_requested, t0 + 60);
    assert_true(st.active);
    assert_int_equal(is_active(f, 7, eff - 1), 1);
    assert_int_equal(is_active(f, 7, eff), 0);  /* due, not yet applied */
    assert_int_equal(count(f, "SELECT effective_at FROM "
                              "online_consent_history WHERE action = "
                              "'deactivation_requested'"), eff);
    assert_int_equal(count(f, "SELECT count(*) FROM mail_outbox"), 2);
    /* a second request keeps the first date */
    jc_result_ok(&res);
    jc_online_deactivate(&f->db, &res, &st, &f->cfg, &s, t0 + 86400 * 3,
                         f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(st.deact_effective, eff);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history"),
                     2);

    /* re-activating cancels it */
    jc_result_ok(&res);
    jc_online_activate(&f->db, &res, &st, &f->cfg, &s, t0 + 120, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(st.deact_effective, 0);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent WHERE "
                              "deactivation_effective_at IS NULL AND "
                              "active_since IS NOT NULL"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history "
                              "WHERE action = 'deactivation_cancelled'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history "
                              "WHERE action = 'consent'"), 2);
    assert_int_equal(is_active(f, 7, eff + 86400), 1);
    /* the watchdog finds nothing */
    assert_int_equal(jc_online_apply_due(&f->db, &applied, f->cfg.mail_from,
                                         eff + 86400, f->pool), JC_DB_OK);
    assert_int_equal(applied, 0);

    /* deactivate again (Friday, same date) and let it become due */
    jc_result_ok(&res);
    jc_online_deactivate(&f->db, &res, &st, &f->cfg, &s, t0 + 180, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(st.deact_effective, eff);
    assert_int_equal(jc_online_apply_due(&f->db, &applied, f->cfg.mail_from,
                                         eff - 1, f->pool), JC_DB_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(jc_online_apply_due(&f->db, &applied, f->cfg.mail_from,
                                         eff + 5, f->pool), JC_DB_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(is_active(f, 7, eff + 5), 0);
    assert_int_equal(jc_online_get(&f->db, &st, 7, eff + 5, f->pool),
                     JC_DB_OK);
    assert_false(st.active);
    assert_int_equal(st.active_since, 0);
    assert_int_equal(st.deact_effective, 0);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history "
                              "WHERE action = 'deactivated' AND "
                              "text_version = '" JC_ONLINE_TEXT_VERSION
                              "'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM event WHERE kind = "
                              "'online_deactivated'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM mail_outbox"), 5);
    /* applied once only */
    assert_int_equal(jc_online_apply_due(&f->db, &applied, f->cfg.mail_from,
                                         eff + 10, f->pool), JC_DB_OK);
    assert_int_equal(applied, 0);

    /* inactive again: deactivate refused, activate works anew */
    jc_result_ok(&res);
    jc_online_deactivate(&f->db, &res, &st, &f->cfg, &s, eff + 20, f->pool);
    assert_int_equal(res.status, 409);
    jc_result_ok(&res);
    jc_online_activate(&f->db, &res, &st, &f->cfg, &s, eff + 30, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(is_active(f, 7, eff + 30), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history "
                              "WHERE action = 'consent'"), 3);
}

/* Another account's consent does not count; a transaction that fails at
 * its last step (the notice mail cannot be composed: a From with CR/LF)
 * leaves nothing. */
static void test_isolation_and_rollback(void **state)
{
    fx_t *f = *state;
    jc_session_t s;
    jc_result_t res;
    jc_online_state_t st;

    exec_sql(f, "INSERT INTO account (id, email, password_hash, "
                "email_confirmed_at, created_at, updated_at) VALUES "
                "(1, 'b@example.org', 'x', 1, 1, 1), "
                "(2, 'c@example.org', 'x', 1, 1, 1)");
    memset(&s, 0, sizeof(s));
    s.account_id = 1;
    jc_result_ok(&res);
    jc_online_activate(&f->db, &res, &st, &f->cfg, &s, 1000, f->pool);
    assert_int_equal(res.status, 200);
    assert_int_equal(is_active(f, 1, 1000), 1);
    assert_int_equal(is_active(f, 2, 1000), 0);

    f->cfg.mail_from = "Jobcenter\r\nBcc: x@example.org <a@example.org>";
    s.account_id = 2;
    jc_result_ok(&res);
    jc_online_activate(&f->db, &res, &st, &f->cfg, &s, 1000, f->pool);
    assert_int_equal(res.status, 500);
    assert_int_equal(is_active(f, 2, 1000), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent_history "
                              "WHERE account_id = 2"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM event WHERE "
                              "account_id = 2"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM online_consent WHERE "
                              "account_id = 2"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM mail_outbox"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_roundtrip),
        cmocka_unit_test(test_weekend),
        cmocka_unit_test(test_add_workdays),
        cmocka_unit_test(test_workdays_holidays),
        cmocka_unit_test(test_effective_berlin),
        cmocka_unit_test_setup_teardown(test_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_isolation_and_rollback, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}

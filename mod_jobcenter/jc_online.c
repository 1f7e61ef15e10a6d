/* Online-Kommunikation: consent state, history, working days (see
 * jc_online.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_online.h"
#include "jc_account.h"
#include "jc_time.h"
#include "jc_holiday.h"
#include "jc_event.h"
#include "jc_mail.h"
#include "jc_outbox.h"

/* history actions (online_consent_history.action) */
#define H_CONSENT    "consent"
#define H_REQUESTED  "deactivation_requested"
#define H_CANCELLED  "deactivation_cancelled"
#define H_APPLIED    "deactivated"

/* ---- working days ------------------------------------------------------ */

int jc_online_is_weekend(apr_int64_t days)
{
    /* 1970-01-01 was a Thursday: (days + 3) mod 7 = 0 for Monday */
    apr_int64_t wd = ((days + 3) % 7 + 7) % 7;

    return wd >= 5;
}

int jc_online_is_workday(apr_int64_t days, int region)
{
    int y, m, d;

    if (jc_online_is_weekend(days)) {
        return 0;
    }
    jc_time_civil_from_days(days, &y, &m, &d);
    return !jc_holiday_is(y, m, d, region);
}

apr_int64_t jc_online_add_workdays(apr_int64_t days, int n, int region)
{
    int i;

    for (i = 0; i < n; i++) {
        days++;
        while (!jc_online_is_workday(days, region)) {
            days++;
        }
    }
    return days;
}

apr_int64_t jc_online_effective_at(apr_int64_t now, int n, int region)
{
    jc_berlin_tm_t tm;
    int y, m, d;

    /* calendar arithmetic on the German date, then back to midnight in
     * Berlin (CET or CEST as that day has it) */
    jc_berlin_exp(now, &tm);
    jc_time_civil_from_days(
        jc_online_add_workdays(
            jc_time_days_from_civil(tm.year, tm.mon, tm.mday), n, region),
        &y, &m, &d);
    return jc_berlin_mktime(y, m, d, 0, 0, 0);
}

void jc_online_local_date(apr_int64_t t, char buf[11])
{
    jc_berlin_date_iso(t, buf);
}

/* "DD.MM.YYYY" for mails */
static const char *german_date(apr_int64_t t, apr_pool_t *p)
{
    char iso[11];

    jc_online_local_date(t, iso);
    if (!iso[0]) {
        return "";
    }
    return apr_psprintf(p, "%.2s.%.2s.%.4s", iso + 8, iso + 5, iso);
}

/* ---- state ------------------------------------------------------------- */

jc_db_rc_e jc_online_active(jc_db_t *db, apr_int64_t account_id,
                            apr_int64_t now, int *active, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    apr_int64_t n = 0;
    jc_db_rc_e rc;

    *active = 0;
    args[0] = &account_id;
    args[1] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_ONLINE_ACTIVE, args, p);
    if (rc == JC_DB_NOROW) {
        return JC_DB_OK;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    jc_db_col_i64(&row, JC_COL_ONLINE_ACTIVE_N, &n, 0);
    *active = n > 0;
    return JC_DB_OK;
}

jc_db_rc_e jc_online_get(jc_db_t *db, jc_online_state_t *st,
                         apr_int64_t account_id, apr_int64_t now,
                         apr_pool_t *p)
{
    jc_db_row_t row;
    jc_db_rc_e rc;

    memset(st, 0, sizeof(*st));
    rc = jc_online_row(db, &row, account_id, p);
    if (rc == JC_DB_NOROW) {
        return JC_DB_OK;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    jc_db_col_i64(&row, JC_COL_ONLINE_GET_ACTIVE_SINCE, &st->active_since, 0);
    st->text_version = jc_db_col_str(&row, JC_COL_ONLINE_GET_TEXT_VERSION, p);
    jc_db_col_i64(&row, JC_COL_ONLINE_GET_DEACTIVATION_REQUESTED_AT,
                  &st->deact_requested, 0);
    jc_db_col_i64(&row, JC_COL_ONLINE_GET_DEACTIVATION_EFFECTIVE_AT,
                  &st->deact_effective, 0);
    if (!st->active_since) {
        /* no consent: any leftover columns mean nothing */
        st->text_version = NULL;
        st->deact_requested = st->deact_effective = 0;
    }
    st->active = st->active_since != 0
                 && (st->deact_effective == 0 || st->deact_effective > now);
    return JC_DB_OK;
}

static jc_db_rc_e hist_add(jc_db_t *db, apr_int64_t account_id,
                           apr_int64_t at, const char *action,
                           const char *version, apr_int64_t effective,
                           apr_pool_t *p)
{
    const void *args[5];

    args[0] = &account_id;
    args[1] = &at;
    args[2] = action;
    args[3] = version;
    args[4] = effective ? &effective : NULL;
    return jc_db_exec(db, NULL, JC_SQL_ONLINE_HIST_ADD, args, p);
}

/* Queue a notice mail (no social data: only what changed and when). */
static jc_db_rc_e notice(jc_db_t *db, const char *from, const char *rcpt,
                         const char *subject, const char *body,
                         apr_int64_t now, apr_pool_t *p)
{
    jc_mail_t *m;

    if (!rcpt) {
        return JC_DB_OK;
    }
    m = jc_mail_compose(from, rcpt, subject,
                        apr_pstrcat(p, "Guten Tag,\n\n", body,
                                    "\n\nWenn Sie diese Änderung nicht selbst "
                                    "vorgenommen haben, melden Sie sich bitte "
                                    "bei Ihrem Jobcenter.\n\nIhr Jobcenter."
                                    "Digital\n\nDiese Nachricht wurde "
                                    "automatisch erstellt.\n", NULL),
                        apr_time_from_sec(now), p);
    return jc_outbox_enqueue_composed(
        db, m, apr_pstrcat(p, "the mail \"", subject, "\"", NULL), now, p);
}

/* The account's confirmed address, or NULL (none / not confirmed). */
static jc_db_rc_e confirmed_email(jc_db_t *db, const char **email,
                                  apr_int64_t account_id, apr_pool_t *p)
{
    const char *address = NULL;
    apr_int64_t confirmed = 0;
    jc_db_rc_e rc;

    *email = NULL;
    rc = jc_account_email_of(db, account_id, &address, &confirmed, p);
    if (rc == JC_DB_NOROW) {
        return JC_DB_OK;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    if (confirmed > 0) {
        *email = address;
    }
    return JC_DB_OK;
}

/* The notice of an activation to the confirmed address. */
static jc_db_rc_e activated_notice(jc_db_t *db, const jc_online_cfg_t *cfg,
                                   const char *email, apr_int64_t now,
                                   apr_pool_t *p)
{
    return notice(db, cfg->mail_from, email,
                  "Online-Kommunikation aktiviert",
                  apr_pstrcat(p, "Sie haben am ", german_date(now, p),
                              " die Online-Kommunikation aktiviert. "
                              "Schriftstücke (Bescheide, Nachweise, "
                              "Schreiben), Anträge und Postfachnachrichten "
                              "im Leistungspostfach werden Ihnen "
                              "ausschließlich online bereitgestellt. Wir "
                              "benachrichtigen Sie an diese "
                              "E-Mail-Adresse, wenn neue Inhalte für Sie "
                              "in Ihrem Profil bereitgestellt wurden.\n\n"
                              "Sie können die Online-Kommunikation "
                              "jederzeit deaktivieren:\n",
                              cfg->base_url,
                              "/online-kommunikation.html", NULL),
                  now, p);
}

void jc_online_activate(jc_db_t *db, jc_result_t *res, jc_online_state_t *st,
                        const jc_online_cfg_t *cfg, const jc_session_t *s,
                        apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    const char *email = NULL;
    const void *args[4];
    int n = 0, cancelled;
    jc_db_rc_e rc;

    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    rc = confirmed_email(db, &email, id, p);
    if (rc == JC_DB_OK) {
        rc = jc_online_get(db, st, id, now, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (!email) {
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "email_unconfirmed",
                      "Für die Online-Kommunikation benötigen Sie eine "
                      "bestätigte E-Mail-Adresse. Bitte bestätigen Sie Ihre "
                      "E-Mail-Adresse über den Link in unserer E-Mail "
                      "(neuen Link anfordern: /email-gesendet.html).",
                      NULL);
        return;
    }
    if (st->active_since && !st->deact_requested) {
        jc_db_rollback(db, p);   /* already active: nothing to do */
        return;
    }
    cancelled = st->deact_requested != 0;
    args[0] = &id;
    args[1] = &now;
    args[2] = JC_ONLINE_TEXT_VERSION;
    args[3] = &now;
    rc = jc_db_exec(db, &n, JC_SQL_ONLINE_ACTIVATE, args, p);
    if (rc == JC_DB_OK && n != 1) {
        rc = jc_db_commit(db, p);   /* a parallel request did it */
        if (!jc_db_fail(res, db, rc, p)) {
            rc = jc_online_get(db, st, id, now, p);
            jc_db_fail(res, db, rc, p);
        }
        return;
    }
    if (rc == JC_DB_OK && cancelled) {
        rc = hist_add(db, id, now, H_CANCELLED, st->text_version
                      ? st->text_version : JC_ONLINE_TEXT_VERSION, 0, p);
    }
    if (rc == JC_DB_OK) {
        rc = hist_add(db, id, now, H_CONSENT, JC_ONLINE_TEXT_VERSION, 0, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_ONLINE_ACTIVATED,
                          cancelled ? "Deaktivierung zurückgenommen" : NULL,
                          p);
    }
    if (rc == JC_DB_OK) {
        rc = activated_notice(db, cfg, email, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    memset(st, 0, sizeof(*st));
    st->active = 1;
    st->active_since = now;
    st->text_version = JC_ONLINE_TEXT_VERSION;
}

void jc_online_deactivate(jc_db_t *db, jc_result_t *res,
                          jc_online_state_t *st, const jc_online_cfg_t *cfg,
                          const jc_session_t *s, apr_int64_t now,
                          apr_pool_t *p)
{
    apr_int64_t id = s->account_id, eff;
    const char *email = NULL, *when;
    const void *args[4];
    int n = 0;
    jc_db_rc_e rc;

    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    rc = jc_online_get(db, st, id, now, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (!st->active) {
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "not_active",
                      "Die Online-Kommunikation ist nicht aktiviert.", NULL);
        return;
    }
    if (st->deact_requested) {
        jc_db_rollback(db, p);   /* already requested: keep its date */
        return;
    }
    rc = confirmed_email(db, &email, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    eff = jc_online_effective_at(now, cfg->deact_days, cfg->holiday_region);
    args[0] = &now;
    args[1] = &eff;
    args[2] = &now;
    args[3] = &id;
    rc = jc_db_exec(db, &n, JC_SQL_ONLINE_DEACT_REQUEST, args, p);
    if (rc == JC_DB_OK && n != 1) {
        /* changed by a parallel request: answer with what is there now */
        jc_db_rollback(db, p);
        rc = jc_online_get(db, st, id, now, p);
        jc_db_fail(res, db, rc, p);
        return;
    }
    when = german_date(eff, p);
    if (rc == JC_DB_OK) {
        rc = hist_add(db, id, now, H_REQUESTED, st->text_version
                      ? st->text_version : JC_ONLINE_TEXT_VERSION, eff, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_ONLINE_DEACT_REQUESTED,
                          apr_pstrcat(p, "wirksam ab ", when, NULL), p);
    }
    if (rc == JC_DB_OK) {
        rc = notice(db, cfg->mail_from, email,
                    "Deaktivierung der Online-Kommunikation",
                    apr_pstrcat(p, "Sie haben die Deaktivierung der "
                                "Online-Kommunikation beantragt. Sie wird "
                                "am ", when, " wirksam; danach erhalten "
                                "Sie Schriftstücke wieder per Post.\n\n"
                                "Bereits für die Online-Bekanntgabe "
                                "ausgefertigte Bescheide werden unter "
                                "Umständen noch online zugestellt. Prüfen "
                                "Sie daher in den nächsten Tagen auch Ihre "
                                "Bescheidablage.\n\nBis dahin können Sie "
                                "die Deaktivierung zurücknehmen:\n",
                                cfg->base_url,
                                "/online-kommunikation.html", NULL),
                    now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    st->deact_requested = now;
    st->deact_effective = eff;
}

/* Apply one due deactivation in its own transaction. */
static jc_db_rc_e apply_one(jc_db_t *db, int *done, apr_int64_t id,
                            const char *version, apr_int64_t eff,
                            const char *mail_from, apr_int64_t now,
                            apr_pool_t *p)
{
    const char *email = NULL;
    const void *args[3];
    int n = 0;
    jc_db_rc_e rc;

    *done = 0;
    rc = jc_db_begin(db, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    args[0] = &now;
    args[1] = &id;
    args[2] = &now;
    rc = jc_db_exec(db, &n, JC_SQL_ONLINE_DEACT_APPLY, args, p);
    if (rc == JC_DB_OK && n != 1) {
        jc_db_rollback(db, p);   /* re-activated meanwhile */
        return JC_DB_OK;
    }
    if (rc == JC_DB_OK) {
        rc = hist_add(db, id, now, H_APPLIED,
                      version ? version : JC_ONLINE_TEXT_VERSION, eff, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_ONLINE_DEACTIVATED, NULL, p);
    }
    if (rc == JC_DB_OK) {
        rc = confirmed_email(db, &email, id, p);
    }
    if (rc == JC_DB_OK) {
        rc = notice(db, mail_from, email,
                    "Online-Kommunikation deaktiviert",
                    apr_pstrcat(p, "Die Online-Kommunikation ist seit dem ",
                                german_date(eff, p), " deaktiviert. "
                                "Schriftstücke erhalten Sie wieder per "
                                "Post.", NULL),
                    now, p);
    }
    rc = jc_db_end(db, rc, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    *done = 1;
    return JC_DB_OK;
}

jc_db_rc_e jc_online_apply_due(jc_db_t *db, int *applied,
                               const char *mail_from, apr_int64_t now,
                               apr_pool_t *p)
{
    const void *args[1];
    jc_db_res_t res;
    jc_db_rc_e rc;
    int i;

    *applied = 0;
    args[0] = &now;
    rc = jc_db_select(db, &res, JC_SQL_ONLINE_DUE, args, p);
    if (rc != JC_DB_OK) {
        return rc == JC_DB_NOROW ? JC_DB_OK : rc;
    }
    for (i = 0; i < res.nrows; i++) {
        jc_db_row_t row;
        apr_int64_t id = 0, eff = 0;
        const char *version;
        int done = 0;

        if (jc_db_res_row(&res, i, &row, p) != 0) {
            break;
        }
        jc_db_col_i64(&row, JC_COL_ONLINE_DUE_ACCOUNT_ID, &id, 0);
        version = jc_db_col_str(&row, JC_COL_ONLINE_DUE_TEXT_VERSION, p);
        jc_db_col_i64(&row, JC_COL_ONLINE_DUE_DEACTIVATION_EFFECTIVE_AT,
                      &eff, 0);
        rc = apply_one(db, &done, id, version, eff, mail_from, now, p);
        if (rc != JC_DB_OK) {
            return rc;
        }
        *applied += done;
    }
    return JC_DB_OK;
}

jc_db_rc_e jc_online_row(jc_db_t *db, jc_db_row_t *row,
                         apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1];

    args[0] = &account_id;
    return jc_db_select1(db, row, JC_SQL_ONLINE_GET, args, p);
}

/* Online-Kommunikation (seed "Online-Kommunikation zustimmen", steps 3-8):
 * the account holder's consent to online delivery and to the use of the
 * confirmed e-mail address for notices. State per account plus a history
 * of every consent and deactivation with the version of the consent text.
 *
 * States (see docs/internals.md):
 *   inactive --aktivieren--> active --deaktivieren--> pending
 *   pending  --aktivieren--> active   (the deactivation is cancelled)
 *   pending  --watchdog at effective_at--> inactive
 * A pending deactivation still counts as active until its effective time.
 * Core: no httpd headers. */
#ifndef JC_ONLINE_H
#define JC_ONLINE_H

#include <apr_pools.h>

#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"
#include "jc_time.h"

/* Version of the consent text (htdocs/online-kommunikation.html); stored
 * with every consent. Change it whenever the text changes. */
#define JC_ONLINE_TEXT_VERSION "2026-11-27"

/* Default of JobcenterOnlineDeactivationDays. */
#define JC_ONLINE_DEACT_DAYS_DEFAULT 3
#define JC_ONLINE_DEACT_DAYS_MAX 30

/* 1 = Online-Kommunikation active for the account now (consent given and no deactivation in effect) */
jc_db_rc_e jc_online_active(jc_db_t *db, apr_int64_t account_id, apr_int64_t now, int *active, apr_pool_t *p);

/* The account's current state. */
typedef struct {
    int active;                    /* consent in effect now                */
    apr_int64_t active_since;      /* time of the consent, 0 = none        */
    const char *text_version;      /* consent text version or NULL         */
    apr_int64_t deact_requested;   /* pending deactivation: request time   */
    apr_int64_t deact_effective;   /* ... and when it takes effect, 0=none */
} jc_online_state_t;

/* Load the state (an account without a row is inactive). */
jc_db_rc_e jc_online_get(jc_db_t *db, jc_online_state_t *st,
                         apr_int64_t account_id, apr_int64_t now,
                         apr_pool_t *p);

/* What activation/deactivation need besides the session. */
typedef struct {
    const char *base_url;          /* links in mails, no trailing '/'     */
    const char *mail_from;         /* From header of mails                */
    int deact_days;                /* working days until a deactivation   */
    int holiday_region;            /* jc_holiday_region_e: which public
                                      holidays are no working days        */
} jc_online_cfg_t;

/* Give consent (text version JC_ONLINE_TEXT_VERSION). Needs a confirmed
 * e-mail address (else 409 email_unconfirmed). Cancels a pending
 * deactivation. Already active without a pending deactivation: nothing
 * changes (200). One transaction: state, history row, Verlauf event and a
 * notice mail to the confirmed address. st gets the new state. */
void jc_online_activate(jc_db_t *db, jc_result_t *res, jc_online_state_t *st,
                        const jc_online_cfg_t *cfg, const jc_session_t *s,
                        apr_int64_t now, apr_pool_t *p);

/* Request deactivation: effective at German midnight of the cfg->deact_days
 * th working day after today (jc_online_effective_at). 409 not_active when
 * inactive; a second request while one is pending changes nothing (200).
 * One transaction like jc_online_activate. */
void jc_online_deactivate(jc_db_t *db, jc_result_t *res,
                          jc_online_state_t *st, const jc_online_cfg_t *cfg,
                          const jc_session_t *s, apr_int64_t now,
                          apr_pool_t *p);

/* Watchdog: apply up to 50 due deactivations (effective_at <= now), each in
 * its own transaction with history row, Verlauf event and notice mail.
 * *applied counts them. mail_from as in jc_online_cfg_t. */
jc_db_rc_e jc_online_apply_due(jc_db_t *db, int *applied,
                               const char *mail_from, apr_int64_t now,
                               apr_pool_t *p);

/* ---- working days (no database) ---------------------------------------- */

/* Day numbers: jc_time_days_from_civil / jc_time_civil_from_days
 * (jc_time.h). */

/* 1 = Saturday or Sunday. */
int jc_online_is_weekend(apr_int64_t days);

/* 1 = a working day: Monday to Friday and not a public holiday of the
 * region (jc_holiday_region_e, see jc_holiday.h). */
int jc_online_is_workday(apr_int64_t days, int region);

/* The date n working days after the given day (a start on a weekend or
 * holiday counts from the next working day: Sat + 1 = Mon; Maundy
 * Thursday + 1 = the Tuesday after Easter). */
apr_int64_t jc_online_add_workdays(apr_int64_t days, int n, int region);

/* When a deactivation requested at `now` takes effect: 00:00 German time
 * (Europe/Berlin, whatever the server's TZ) of the n-th working day
 * (jc_online_add_workdays in the region) after now's German date. */
apr_int64_t jc_online_effective_at(apr_int64_t now, int n, int region);

/* "YYYY-MM-DD" of t in German time (Europe/Berlin) into buf[11]. */
void jc_online_local_date(apr_int64_t t, char buf[11]);

/* The account's Online-Kommunikation row into *row (jc_online_get; read
 * with JC_COL_ONLINE_GET_*, NULLs kept); JC_DB_NOROW when it has none. */
jc_db_rc_e jc_online_row(jc_db_t *db, jc_db_row_t *row,
                         apr_int64_t account_id, apr_pool_t *p);

#endif

/* Bescheide: staff post a customer's Bescheid (a PDF the upload sink
 * stored), the citizen lists and downloads them (the first download is
 * "opened"), the day each counts as delivered, and the watchdog's
 * reminder of Bescheide left unopened. Core: no httpd headers. */
#ifndef JC_BESCHEID_H
#define JC_BESCHEID_H

#include "jc_message.h"
#include "jc_staff.h"
#include "jc_upsink.h"

#define JC_BESCHEID_DELIVERY_DAYS 4  /* § 37 (2a) SGB X: the fourth day  */

/* The day a Bescheid provided at `provided_at` counts as delivered, as
 * "YYYY-MM-DD" in buf[11]: the fourth day after the local (server TZ)
 * date of provision (§ 37 (2a) SGB X); when that day is a Saturday, Sunday
 * or a public holiday of the region (jc_holiday_region_e), the next
 * working day (§ 26 (3) SGB X, as the courts apply it to the delivery
 * fiction). */
void jc_bescheid_delivery_day(apr_int64_t provided_at, int region,
                              char buf[11]);

/* The same from a local date (days since 1970-01-01): the result's days. */
apr_int64_t jc_bescheid_delivery_days(apr_int64_t provided_days, int region);

/* GET bescheide: the customer's Bescheide, newest first. */
int jc_bescheid_list(jc_db_t *db, jc_result_t *res, json_t **out,
                     apr_int64_t account_id, apr_pool_t *p);

/* A Bescheid's PDF (404 for another customer's); the first download
 * records opened_at. */
int jc_bescheid_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                     const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                     apr_int64_t bescheid_id, apr_int64_t now,
                     apr_pool_t *p);

/* Room for a Bescheid upload: the customer must be of the caller's
 * jobcenter (404 customer_unknown) and bound to an account (409
 * customer_unbound), the title 1..200 characters (422 title_invalid). */
int jc_bescheid_check(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                      apr_int64_t customer_id, const char *title,
                      apr_pool_t *p);

/* Record a Bescheid whose PDF the upload sink stored (f): one transaction
 * with the row, audit, Verlauf event and notification mail. A file that is
 * not a PDF is refused (415 bescheid_pdf_only). On any failure the stored
 * file is removed. 201 {"bescheid":{…}}. */
int jc_bescheid_post(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                     apr_int64_t customer_id, const char *title,
                     const jc_upfile_t *f, apr_int64_t now, apr_pool_t *p);

/* Watchdog: for up to 50 Bescheide provided remind_days or more ago, not
 * opened and not reminded, queue the reminder (when Online-Kommunikation
 * is active) and set reminder_at, each in its own transaction, so every
 * Bescheid is reminded at most once. *sent counts queued mails. */
jc_db_rc_e jc_bescheid_remind_due(jc_db_t *db, int *sent,
                                  const jc_msg_cfg_t *cfg, apr_int64_t now,
                                  apr_pool_t *p);

#endif

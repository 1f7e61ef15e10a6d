/* Staff accounts of a jobcenter: roles and teams, creating a staff
 * member with a one-time password, a new one-time password, disabling,
 * and the staff row the role checks and staff routes use. Shared by the
 * API (mod_jobcenter_staff.c) and the admin tool
 * (admin/jobcenter-admin.c), so both validate input the same way.
 * What staff work on has its own files: jc_jobcenter (the jobcenter
 * records), jc_customer and jc_customer_search (customers),
 * jc_fsc_issue (Freischaltcode letters), jc_onetime (the credential
 * letters of "Zugangsdaten zurücksetzen"), jc_inbox (the team inboxes).
 * Core: no httpd headers. Every write runs in one transaction and
 * changes nothing when it fails. */
#ifndef JC_STAFF_H
#define JC_STAFF_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_db.h"
#include "jc_result.h"

/* Staff roles: admin implies sachbearbeitung. */
#define JC_ROLE_NONE            0
#define JC_ROLE_SACHBEARBEITUNG 1
#define JC_ROLE_ADMIN           2

/* "sachbearbeitung" -> 1, "admin" -> 2, anything else 0. */
int jc_staff_role_parse(const char *name);

/* 1 if team is one of leistung, but, vermittlung. */
int jc_staff_team_valid(const char *team);

/* German name of a team ("Leistung allgemein", ...), or the key itself. */
const char *jc_staff_team_text(const char *team);

/* ---- staff ------------------------------------------------------------- */

typedef struct {
    const char *jobcenter;      /* jobcenter name                          */
    const char *email;          /* login address                           */
    const char *display_name;   /* "Erika Beispiel"                        */
    const char *team;           /* leistung | but | vermittlung            */
    const char *role;           /* sachbearbeitung | admin                 */
} jc_staff_in_t;

int jc_staff_validate(jc_result_t *res, const jc_staff_in_t *in,
                      apr_pool_t *p);

/* A one-time password (staff-add, staff-password, the credential letter
 * staff print for a customer, jc_onetime): JC_OTP_GROUPS groups of
 * JC_OTP_GROUP_LEN characters of the phone alphabet (JC_PHONE_ALPHABET in
 * jc_fsc.h, 32 characters) joined by '-', e.g. "kR7a-3mfT-Wn9E-hXt4":
 * read out on the phone and typed on a phone keyboard without symbols
 * beyond '-'. Uniform over the 16-character strings with at least one
 * capital, one small letter and one digit (79.9 bits, docs/internals.md
 * "Alphabets"); with the '-' it satisfies every password rule. From
 * OpenSSL's RNG, allocated in p; NULL if the RNG fails. */
#define JC_OTP_GROUPS    4
#define JC_OTP_GROUP_LEN 4
#define JC_OTP_LEN (JC_OTP_GROUPS * (JC_OTP_GROUP_LEN + 1) - 1)
const char *jc_staff_gen_password(apr_pool_t *p);

/* Default validity in days of a one-time password: the credential
 * letters staff print for a customer (JobcenterOnetimeCredentialsValidity)
 * and `jobcenter-admin staff-add`. */
#define JC_ONETIME_VALIDITY_DAYS 30

/* Validate, then in one transaction: a confirmed account with phc (the
 * hash of a one-time password) as its password hash, password_change_
 * required = 1 and onetime_expires_at = onetime_expires_at (the forced
 * change at the first login, as in the letter flow), and the staff row.
 * 404 jobcenter_unknown, 409 email_taken. */
void jc_staff_add(jc_db_t *db, jc_result_t *res, const jc_staff_in_t *in,
                  const char *phc, apr_int64_t now,
                  apr_int64_t onetime_expires_at, apr_int64_t *account_id,
                  apr_pool_t *p);

/* A new one-time password for a staff member (by e-mail; a forgotten
 * password, or one that expired before the first login): in one
 * transaction the account gets phc as its password hash,
 * password_change_required = 1, onetime_expires_at, the login throttle
 * cleared, and all its sessions end. The second factor stays: after the
 * forced change the login goes on to mfa_required (or mfa_setup_required
 * when none was set up). 422 email_invalid, 404 staff_unknown. */
void jc_staff_new_onetime(jc_db_t *db, jc_result_t *res, const char *email,
                          const char *phc, apr_int64_t now,
                          apr_int64_t onetime_expires_at, apr_pool_t *p);

/* Disable a staff member by e-mail and end all their sessions (one
 * transaction). 404 staff_unknown; disabling twice is not an error. */
void jc_staff_disable(jc_db_t *db, jc_result_t *res, const char *email,
                      apr_int64_t now, apr_pool_t *p);

/* A staff row as the role checks and staff routes need it. */
typedef struct {
    apr_int64_t account_id;
    apr_int64_t jobcenter_id;
    const char *jobcenter_name;
    const char *team;
    const char *display_name;
    int role;                   /* JC_ROLE_*                               */
    int disabled;               /* 1 if disabled_at is set                 */
} jc_staff_t;

/* Load the staff row of an account (JC_DB_NOROW: not staff). */
jc_db_rc_e jc_staff_load(jc_db_t *db, jc_staff_t *s, apr_int64_t account_id,
                         apr_pool_t *p);

/* Add a staff audit row (jc_audit_add) in the caller's transaction:
 * staff_account did action (a word such as "customer_created") at now,
 * about customer_id, with detail (may be NULL). */
jc_db_rc_e jc_staff_audit_add(jc_db_t *db, apr_int64_t staff_account,
                              apr_int64_t now, const char *action,
                              apr_int64_t customer_id, const char *detail,
                              apr_pool_t *p);

/* 1 if s is an enabled staff member holding at least role `need`. */
int jc_staff_allows(const jc_staff_t *s, int need);

#endif

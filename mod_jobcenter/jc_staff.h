/* Running a Jobcenter: jobcenters, staff accounts, customers and issuing
 * Freischaltcodes. Shared by the API (mod_jobcenter_staff.c) and the admin
 * tool (admin/jobcenter-admin.c), so both validate input the same way.
 * Core: no httpd headers. Every write runs in one transaction and changes
 * nothing when it fails. */
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

/* ---- jobcenters -------------------------------------------------------- */

typedef struct {
    const char *name;           /* "Jobcenter Rems-Murr"                   */
    const char *street;         /* street and number or "Postfach 1234"    */
    const char *postcode;       /* 5 digits                                */
    const char *city;           /* "Waiblingen"                            */
    const char *phone;          /* "07151 9519-0"                          */
    const char *opening_hours;  /* free text, lines separated by \n        */
    const char *const *postcodes; /* served postcodes, NULL-terminated     */
} jc_jobcenter_in_t;

/* Check every field (422 validation_failed + details). Non-zero if bad. */
int jc_jobcenter_validate(jc_result_t *res, const jc_jobcenter_in_t *in,
                          apr_pool_t *p);

/* Validate and create a jobcenter with its postcodes. 409 name_taken /
 * postcode_taken when the name or a postcode is already used. */
void jc_jobcenter_add(jc_db_t *db, jc_result_t *res,
                      const jc_jobcenter_in_t *in, apr_int64_t now,
                      apr_int64_t *id, apr_pool_t *p);

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

/* A one-time password (staff-add, staff-password, a staff reset's
 * letter): JC_OTP_GROUPS groups of JC_OTP_GROUP_LEN characters of the
 * phone alphabet (JC_PHONE_ALPHABET in jc_fsc.h, 32 characters) joined by
 * '-', e.g. "kR7a-3mfT-Wn9E-hXt4": read out on the phone and typed on a
 * phone keyboard without symbols beyond '-'. Uniform over the 16-character
 * strings with at least one capital, one small letter and one digit
 * (79.9 bits, docs/internals.md "Alphabets"); with the '-' it satisfies
 * every password rule. From OpenSSL's RNG, allocated in p; NULL if the
 * RNG fails. */
#define JC_OTP_GROUPS    4
#define JC_OTP_GROUP_LEN 4
#define JC_OTP_LEN (JC_OTP_GROUPS * (JC_OTP_GROUP_LEN + 1) - 1)
const char *jc_staff_gen_password(apr_pool_t *p);

/* Default validity in days of a one-time password: a staff reset's letters
 * (JobcenterOnetimeCredentialsValidity) and `jobcenter-admin staff-add`. */
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

/* 1 if s is an enabled staff member holding at least role `need`. */
int jc_staff_allows(const jc_staff_t *s, int need);

/* ---- customers --------------------------------------------------------- */

typedef struct {
    const char *salutation;     /* "Frau", "Herr" or ""                    */
    const char *given_name;
    const char *family_name;
    const char *birth_date;     /* YYYY-MM-DD                              */
    const char *street;
    const char *postcode;       /* 5 digits                                */
    const char *city;
} jc_customer_in_t;

/* Check every field against the rules of docs/api.md (422 + details with
 * German messages); `now` decides what "in the past" is. Text fields are
 * trimmed in place (the struct's pointers are replaced by copies in p). */
int jc_customer_validate(jc_result_t *res, jc_customer_in_t *in,
                         apr_int64_t now, apr_pool_t *p);

typedef struct {
    apr_int64_t id;
    apr_int64_t jobcenter_id;
    const char *kundennummer;
    const char *salutation;
    const char *given_name;
    const char *family_name;
    const char *birth_date;
    const char *street;
    const char *postcode;
    const char *city;
    int bound;                  /* bound to a login account               */
    apr_int64_t created_at;
} jc_customer_t;

/* Validate and create a customer of staff->jobcenter_id with a new unique
 * Kundennummer (a new one is drawn on a conflict), with a staff_audit row. */
void jc_customer_create(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                        jc_customer_in_t *in, apr_int64_t now,
                        jc_customer_t *out, apr_pool_t *p);

/* The customer `id` of jobcenter `jobcenter_id` (404 customer_unknown for
 * an unknown id and for another jobcenter's customer alike). */
void jc_customer_get(jc_db_t *db, jc_result_t *res, apr_int64_t jobcenter_id,
                     apr_int64_t id, jc_customer_t *out, apr_pool_t *p);

/* The customer with this Kundennummer in any jobcenter (admin tool). */
void jc_customer_by_knr(jc_db_t *db, jc_result_t *res, const char *knr,
                        jc_customer_t *out, apr_pool_t *p);

/* JSON object of a customer (API answers). */
json_t *jc_customer_json(const jc_customer_t *c);

/* Counts of a customer search stop here ("total_more": more than this);
 * its pages end here. The SQL of jc_cust_count_* counts one more. */
#define JC_CUST_COUNT_MAX 1000

/* The search key of a name: lower-case, umlauts and accents folded to
 * ASCII (ä -> ae, ß -> ss, é -> e, ł -> l), runs of spaces and commas one
 * space, trimmed; other characters kept. Stored as customer.name_key of
 * "family given". */
const char *jc_name_key(const char *s, apr_pool_t *p);

/* Search the customers of one jobcenter, each answered from an index: a
 * Kundennummer (any case, spaces ignored) exactly; five digits a
 * postcode; other text a prefix of name_key ("family given"); q empty =
 * all. Ordered by name_key, id. page >= 1, per_page 1..100. *out =
 * {"customers": [...], "total": N (at most JC_CUST_COUNT_MAX),
 * "total_more": more than that, "page": P, "per_page": N}. */
void jc_customer_search(jc_db_t *db, jc_result_t *res,
                        apr_int64_t jobcenter_id, const char *q,
                        apr_int64_t page, apr_int64_t per_page, json_t **out,
                        apr_pool_t *p);

/* Array of the customer's codes (newest first) with their state. */
void jc_customer_codes(jc_db_t *db, jc_result_t *res, apr_int64_t customer_id,
                       apr_int64_t now, json_t **out, apr_pool_t *p);

/* The one-time credentials ("Zugangsdaten zurücksetzen") of the customer's
 * bound account: {"pending": the letter pair still works (own password not
 * yet set, not expired), "expires_at": epoch seconds or null, "expired":
 * the pair ran out unused}. No pair, or no bound account: pending false,
 * expires_at null. */
void jc_customer_onetime(jc_db_t *db, jc_result_t *res,
                         apr_int64_t customer_id, apr_int64_t now,
                         json_t **out, apr_pool_t *p);

/* ---- Freischaltcodes --------------------------------------------------- */

/* What issuing a code produced: the plain code exists only here. */
typedef struct {
    char code[13];              /* 12 characters, ungrouped                */
    const char *grouped;        /* "Z8TM-YQE6-H578"                        */
    apr_int64_t expires_at;
    int voided;                 /* older unused codes made invalid         */
} jc_fsc_issued_t;

/* Issue a code for cust: draw it, render its letter (jc_letter: the
 * jobcenter's address in the head, the customer in the address window, a
 * QR code of jc_fsc_link(base_url, code)), then in one transaction void
 * the customer's unused codes, store the new code's hash valid for
 * valid_secs and write a staff_audit row. The plain code exists only in
 * out->code / the letter; nothing is stored when anything fails.
 * 409 customer_bound when the customer already redeemed a code. */
void jc_fsc_issue(jc_db_t *db, jc_result_t *res, apr_int64_t staff_account,
                  const jc_customer_t *cust, apr_int64_t valid_secs,
                  const char *base_url, apr_int64_t now, jc_fsc_issued_t *out,
                  const char **pdf, apr_size_t *len, apr_pool_t *p);

/* The redeem link printed and encoded in the letter. */
const char *jc_fsc_link(const char *base_url, const char *grouped,
                        apr_pool_t *p);

#endif

/* The citizen's person profile (issue 4, citizen side): redeeming a
 * Freischaltcode binds a Jobcenter customer to the login account; the
 * profile, the assigned Jobcenter and the account's Verlauf are read from
 * that binding. Core: no httpd headers.
 *
 * Binding rules (docs/internals.md): an account holds at most one person
 * profile and a customer is bound to at most one account (customer.account_id
 * is UNIQUE); a code is single use, expires, and is void once a newer code
 * was issued for its customer. */
#ifndef JC_PROFILE_H
#define JC_PROFILE_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_result.h"

/* Throttle keys in table login_throttle (next to the login's bare client
 * addresses): failed redemptions per account and per client address. */
#define JC_PROFILE_THR_ACCOUNT "fsc-a:"
#define JC_PROFILE_THR_CLIENT  "fsc-ip:"

/* A person profile with its Jobcenter (one SELECT, jc_prof_get). */
typedef struct {
    const char *kundennummer;   /* "123A123456"                          */
    const char *salutation;     /* "Frau", "Herr" or ""                   */
    const char *given_name;     /* Vorname                                */
    const char *family_name;    /* Nachname                               */
    apr_int64_t bound_at;       /* when the code was redeemed             */
    const char *jc_name;        /* "Jobcenter Rems-Murr"                  */
    const char *jc_street;      /* street and number                      */
    const char *jc_postcode;    /* "71332"                                */
    const char *jc_city;        /* "Waiblingen"                           */
    const char *jc_phone;       /* "07151 9519-0"                         */
    const char *jc_hours;       /* opening hours, lines separated by \n   */
} jc_profile_t;

/* One entry of the Verlauf. */
typedef struct {
    apr_int64_t at;             /* epoch seconds                          */
    const char *kind;           /* stable key (JC_EV_*)                   */
    const char *text;           /* German text (jc_event_text)            */
    const char *detail;         /* optional plain text or NULL            */
} jc_profile_event_t;

/* A Jobcenter's opening hours text (lines separated by \n or \r\n; NULL
 * counts as empty) as a new JSON array of its non-empty lines; used by the
 * profile's Jobcenter and the postcode lookup (jc_forgot_lookup). */
json_t *jc_profile_hours_json(const char *text, apr_pool_t *p);

/* The profile bound to account_id. *found = 0 when the account has none
 * (the return value is then JC_DB_OK). */
jc_db_rc_e jc_profile_get(jc_db_t *db, jc_profile_t *prof, int *found,
                          apr_int64_t account_id, apr_pool_t *p);

/* Redeem a Freischaltcode for account_id (a complete two-factor session;
 * the caller checked that). Throttled per account and per client address
 * (ctx->thr_account / ctx->thr_client numbers; only unknown or used codes
 * count). On success res->status is 201 and prof holds the new profile;
 * in one transaction the customer is bound, the code marked used and the
 * event JC_EV_CODE_REDEEMED written. Every error changes nothing (except
 * the failure count of an unknown code). */
void jc_profile_redeem(jc_db_t *db, jc_result_t *res, jc_profile_t *prof,
                       const jc_ctx_t *ctx, apr_int64_t account_id,
                       const char *client, const char *code,
                       apr_int64_t now, apr_pool_t *p);

/* The account's Verlauf, newest first (at most 200 entries): an array of
 * jc_profile_event_t. */
jc_db_rc_e jc_profile_events(jc_db_t *db, apr_array_header_t **out,
                             apr_int64_t account_id, apr_pool_t *p);

/* Display name: "Erika Mustermann" (given and family name). */
const char *jc_profile_name(const jc_profile_t *prof, apr_pool_t *p);

/* The account's person profile with its Jobcenter into *row
 * (jc_prof_get; read with JC_COL_PROF_GET_*, NULLs kept); JC_DB_NOROW
 * when it has none. */
jc_db_rc_e jc_profile_row(jc_db_t *db, jc_db_row_t *row,
                          apr_int64_t account_id, apr_pool_t *p);

#endif

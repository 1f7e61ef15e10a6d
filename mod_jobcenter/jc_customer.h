/* Customers of a jobcenter as staff keep them: the profile's fields and
 * their checks (shared by the API and jobcenter-admin), creating one with
 * a new Kundennummer, reading one, and what the customer page shows about
 * the customer's Freischaltcodes and one-time credentials. Searching is
 * jc_customer_search. Core: no httpd headers. */
#ifndef JC_CUSTOMER_H
#define JC_CUSTOMER_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_db.h"
#include "jc_result.h"
#include "jc_staff.h"

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

/* A customer from a row of jc_cust_get / jc_cust_by_knr / the
 * jc_cust_search_* statements (their columns, in order). */
void jc_customer_from_row(const jc_db_row_t *row, jc_customer_t *c,
                          apr_pool_t *p);

/* Array of the customer's codes (newest first) with their state. */
void jc_customer_codes(jc_db_t *db, jc_result_t *res, apr_int64_t customer_id,
                       apr_int64_t now, json_t **out, apr_pool_t *p);

/* The one-time credentials (the credential letters of jc_onetime) of the
 * customer's bound account: {"pending": the letter pair still works (own
 * password not yet set, not expired), "expires_at": epoch seconds or
 * null, "expired": the pair ran out unused}. No pair, or no bound
 * account: pending false, expires_at null. */
void jc_customer_onetime(jc_db_t *db, jc_result_t *res,
                         apr_int64_t customer_id, apr_int64_t now,
                         json_t **out, apr_pool_t *p);

#endif

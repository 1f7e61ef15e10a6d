/* Issuing a Freischaltcode to a customer: staff (the API's
 * staff/customers/{id}/freischaltcode) or `jobcenter-admin code-issue`
 * draw the code, get its letter (PDF) and store only its hash. The codes
 * themselves (alphabet, hash, grouping) are jc_fsc.
 * Core: no httpd headers. */
#ifndef JC_FSC_ISSUE_H
#define JC_FSC_ISSUE_H

#include <apr_pools.h>

#include "jc_customer.h"
#include "jc_db.h"
#include "jc_result.h"

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

/* Void the customer's unused, unvoided Freischaltcodes at now
 * (jc_fsc_void), in the caller's transaction; *nrows (may be NULL) = the
 * codes voided. */
jc_db_rc_e jc_fsc_void_open(jc_db_t *db, apr_int64_t customer_id,
                            apr_int64_t now, int *nrows, apr_pool_t *p);

#endif

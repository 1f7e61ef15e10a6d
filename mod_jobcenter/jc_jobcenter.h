/* Jobcenter records: the address and opening hours printed on letters and
 * shown to citizens, and the postcodes each jobcenter serves. Created by
 * `jobcenter-admin jobcenter-add`. Core: no httpd headers. Every write
 * runs in one transaction and changes nothing when it fails. */
#ifndef JC_JOBCENTER_H
#define JC_JOBCENTER_H

#include <apr_pools.h>

#include "jc_db.h"
#include "jc_result.h"

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

/* The jobcenter id's record into *out (jc_jc_get; out->postcodes NULL);
 * JC_DB_NOROW when there is none. */
jc_db_rc_e jc_jobcenter_get(jc_db_t *db, jc_jobcenter_in_t *out,
                            apr_int64_t id, apr_pool_t *p);

#endif

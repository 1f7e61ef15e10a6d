/* Termine: staff post an appointment for a customer, the citizen lists
 * them and may ask once to move one (a message with the Anliegen
 * "Terminanfrage" to the team that posted it). Core: no httpd headers. */
#ifndef JC_TERMIN_H
#define JC_TERMIN_H

#include "jc_message.h"
#include "jc_staff.h"

typedef struct {
    apr_int64_t customer_id;
    const char *date;               /* YYYY-MM-DD, today or later          */
    const char *time;               /* HH:MM                               */
    const char *place;              /* place or phone                      */
    const char *contact;            /* contact person                      */
} jc_termin_in_t;

/* GET termine: the customer's Termine (upcoming first, then past). */
int jc_termin_list(jc_db_t *db, jc_result_t *res, json_t **out,
                   apr_int64_t account_id, apr_pool_t *p);

/* POST termine/verschieben {termin, text, key}: a message with the Anliegen
 * "Terminanfrage" routed to the team that posted the Termin; the Termin
 * remembers the conversation in the same transaction. 201
 * {"conversation":…}, 200 for a retry with the same key; 409
 * reschedule_requested when asked before (also in parallel). */
int jc_termin_reschedule(jc_db_t *db, jc_result_t *res, json_t **out,
                         const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                         apr_int64_t termin_id, const char *text,
                         const char *key, apr_int64_t now, apr_pool_t *p);

/* POST staff/termine: validate (422 + details), one transaction with the
 * row, audit, Verlauf event and notification mail. 201 {"termin":{…}}. */
int jc_termin_post(jc_db_t *db, jc_result_t *res, json_t **out,
                   const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                   const jc_termin_in_t *in, apr_int64_t now,
                   apr_pool_t *p);

#endif

/* Deleting the login account by its owner (the "Konto" page, DSGVO
 * Art. 17, issue 5): the account's rows in every domain are deleted or
 * unlinked in one transaction; the customer record of the Jobcenter
 * stays. Core: no httpd headers. */
#ifndef JC_ERASE_H
#define JC_ERASE_H

#include <apr_pools.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"

/* POST /konto/loeschen: password (as for /konto/passwort) and confirm = 1
 * (422 confirm_required). Staff accounts: 409 staff_account. In one
 * transaction: the person profile is released (customer.account_id NULL,
 * unused Freischaltcodes of that customer voided), sessions, factors,
 * tokens, challenges, events, the Online-Kommunikation rows and the
 * account are deleted, a final mail is queued. */
void jc_erase_account(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                      const jc_session_t *s, const char *pw, size_t pwlen,
                      int confirm, apr_int64_t now, apr_pool_t *p);

#endif

/* The data export of the "Konto" page (DSGVO Art. 15, issue 5): every
 * record the portal keeps of the account, from every domain (account,
 * factors, sessions, Verlauf, person profile, Online-Kommunikation,
 * conversations, Bescheide, Termine, uploads), never hashes, secrets,
 * tokens or session ids. Read only. Core: no httpd headers. */
#ifndef JC_EXPORT_H
#define JC_EXPORT_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_result.h"
#include "jc_session.h"

/* GET /konto/export: the account's data as a new JSON object (fresh
 * check first: 403 reauth_required; 401 when the account is gone). */
void jc_export_account(jc_db_t *db, jc_result_t *res, json_t **out,
                       const jc_ctx_t *ctx, const jc_session_t *s,
                       apr_int64_t now, apr_pool_t *p);

#endif

/* The staff's customer search in their jobcenter (by Kundennummer,
 * postcode or the start of the name) and the search key of a name, with
 * umlauts and accents folded, that customer.name_key stores.
 * Core: no httpd headers. */
#ifndef JC_CUSTOMER_SEARCH_H
#define JC_CUSTOMER_SEARCH_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_db.h"
#include "jc_result.h"

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

#endif

/* Links from core answers to API resources (a file download, a receipt):
 * the core names the resource below the API ("messages/file"), the glue
 * says once at start-up where the API lives (jc_apiurl_set_base with its
 * own prefix, "/api/v1/"), so the core never knows the API's path.
 * Core: no httpd headers. */
#ifndef JC_APIURL_H
#define JC_APIURL_H

#include <apr_pools.h>

/* The API's path prefix, ending in '/' (post_config, before the fork;
 * the string must live as long as the process). Unset: "". */
void jc_apiurl_set_base(const char *base);

/* The prefix as set. */
const char *jc_apiurl_base(void);

/* base + rel, in p. */
const char *jc_apiurl(apr_pool_t *p, const char *rel);

#endif

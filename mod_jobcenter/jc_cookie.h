/* Cookie header parsing. Core: no httpd headers. */
#ifndef JC_COOKIE_H
#define JC_COOKIE_H

#include <apr_pools.h>

/* Value of the first cookie called name in a Cookie header (RFC 6265
 * "name=value; name2=value2"), copied into p; NULL when absent, empty or
 * longer than 256 bytes. Names compare case-sensitively. */
const char *jc_cookie_get(const char *header, const char *name,
                          apr_pool_t *p);

#endif

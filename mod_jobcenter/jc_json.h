/* Small JSON output helpers for hot paths where building a jansson tree and
 * dumping it costs more than the request itself (GET /api/v1/me: ~42k of
 * ~115k instructions, measured with callgrind). Request bodies are always
 * parsed with jansson. Core: no httpd headers. */
#ifndef JC_JSON_H
#define JC_JSON_H

#include <apr_pools.h>

/* s as a JSON string literal with quotes (RFC 8259: '"', '\\' and control
 * characters escaped, other bytes passed through), or "null" for NULL.
 * s must be valid UTF-8 (it comes from our own database). */
const char *jc_json_quote(const char *s, apr_pool_t *p);

#endif

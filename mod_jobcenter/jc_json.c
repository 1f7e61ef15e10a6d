/* JSON output helpers (see jc_json.h). */
#include <string.h>

#include "jc_json.h"

const char *jc_json_quote(const char *s, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u;
    size_t n = 2;
    char *out, *o;

    if (!s) {
        return "null";
    }
    for (u = (const unsigned char *)s; *u; u++) {
        n += (*u < 0x20) ? 6 : (*u == '"' || *u == '\\') ? 2 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    *o++ = '"';
    for (u = (const unsigned char *)s; *u; u++) {
        if (*u == '"' || *u == '\\') {
            *o++ = '\\';
            *o++ = (char)*u;
        }
        else if (*u < 0x20) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[*u >> 4];
            *o++ = hex[*u & 0x0f];
        }
        else {
            *o++ = (char)*u;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

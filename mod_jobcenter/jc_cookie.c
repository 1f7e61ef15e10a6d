/* Cookie header parsing (see jc_cookie.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_cookie.h"

#define JC_COOKIE_MAX_VALUE 256

const char *jc_cookie_get(const char *header, const char *name,
                          apr_pool_t *p)
{
    size_t nlen = strlen(name);
    const char *c = header;

    if (!header || nlen == 0) {
        return NULL;
    }
    while (*c) {
        const char *end, *val;
        size_t vlen;

        while (*c == ' ' || *c == '\t' || *c == ';') {
            c++;
        }
        end = strchr(c, ';');
        if (!end) {
            end = c + strlen(c);
        }
        if ((size_t)(end - c) > nlen && strncmp(c, name, nlen) == 0
            && c[nlen] == '=') {
            val = c + nlen + 1;
            vlen = (size_t)(end - val);
            while (vlen > 0 && (val[vlen - 1] == ' '
                                || val[vlen - 1] == '\t')) {
                vlen--;
            }
            if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
                val++;
                vlen -= 2;
            }
            if (vlen == 0 || vlen > JC_COOKIE_MAX_VALUE) {
                return NULL;
            }
            return apr_pstrmemdup(p, val, vlen);
        }
        c = end;
    }
    return NULL;
}

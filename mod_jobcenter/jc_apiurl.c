/* Links from core answers to API resources (jc_apiurl.h). */
#include <apr_strings.h>

#include "jc_apiurl.h"

/* Set once by the glue before the children start; read-only after. */
static const char *api_base = "";

void jc_apiurl_set_base(const char *base)
{
    api_base = base ? base : "";
}

const char *jc_apiurl_base(void)
{
    return api_base;
}

const char *jc_apiurl(apr_pool_t *p, const char *rel)
{
    return apr_pstrcat(p, api_base, rel, NULL);
}

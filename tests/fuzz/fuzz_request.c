/* libFuzzer target for the parsers that see raw request input before any
 * authentication: the Cookie header (jc_cookie_get), token shape checks,
 * the password policy, e-mail normalisation and the registration
 * validation on a JSON body parsed the way the API handler parses it
 * (jansson, JSON_REJECT_DUPLICATES, size-capped by the caller).
 *
 * The first byte picks the path:
 *   0  Cookie header     1  password + repeat (split at the first NUL)
 *   2  e-mail address    3  JSON registration body -> jc_account_validate
 * Build and run: make -C tests/fuzz run */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>

#include "jc_account.h"
#include "jc_cookie.h"
#include "jc_password.h"
#include "jc_token.h"

#include "fuzz_init.h"

static const char *fz_str(json_t *o, const char *k, size_t *len)
{
    json_t *v = json_object_get(o, k);

    *len = json_is_string(v) ? json_string_length(v) : 0;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *s;
    size_t n;

    if (size < 1 || size > 20000) {
        return 0;
    }
    apr_pool_create(&p, fz_root);
    n = size - 1;
    s = apr_pstrmemdup(p, (const char *)data + 1, n);
    switch (data[0] & 3) {
    case 0: {
        const char *v = jc_cookie_get(s, "jc_session", p);

        if (v) {
            (void)jc_token_wellformed(v);
        }
        (void)jc_cookie_get(s, "__Host-jc_session", p);
        break;
    }
    case 1: {
        const char *nul = memchr(data + 1, 0, n);
        size_t a = nul ? (size_t)(nul - (const char *)data - 1) : n;

        (void)jc_password_check((const char *)data + 1, a,
                                nul ? nul + 1 : NULL,
                                nul ? n - a - 1 : 0);
        break;
    }
    case 2:
        (void)jc_account_normalize_email(s, p);
        break;
    default: {
        json_error_t err;
        json_t *body = json_loadb((const char *)data + 1, n,
                                  JSON_REJECT_DUPLICATES, &err);
        jc_register_in_t in;
        jc_result_t res;

        if (body && json_is_object(body)) {
            memset(&in, 0, sizeof(in));
            in.email = fz_str(body, "email", &n);
            in.password = fz_str(body, "password", &in.password_len);
            in.password_repeat = fz_str(body, "password_repeat",
                                        &in.password_repeat_len);
            in.accept_terms = json_is_true(json_object_get(body,
                                                           "accept_terms"));
            in.accept_email = json_is_true(json_object_get(body,
                                                           "accept_email"));
            jc_result_ok(&res);
            (void)jc_account_validate(&res, &in, p);
            json_decref(res.details);
        }
        json_decref(body);
        break;
    }
    }
    apr_pool_destroy(p);
    return 0;
}

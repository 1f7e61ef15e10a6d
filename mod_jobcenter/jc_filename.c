/* Client file names for display (see jc_filename.h). */
#include "jc_filename.h"
#include "jc_utf8.h"

#include <string.h>

#include <apr_strings.h>

/* 1 if the code point u is dropped from display names. */
static int fn_drop(unsigned long u)
{
    return u < 0x20 || (u >= 0x7f && u <= 0x9f)
           || u == 0x061c || u == 0x200e || u == 0x200f
           || (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069)
           || u == 0x2028 || u == 0x2029 || u == 0xfeff;
}

static unsigned long fn_decode(const unsigned char *s, size_t k)
{
    switch (k) {
    case 1:
        return s[0];
    case 2:
        return (unsigned long)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
    case 3:
        return (unsigned long)(s[0] & 0x0f) << 12
               | (unsigned long)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
    default:
        return (unsigned long)(s[0] & 0x07) << 18
               | (unsigned long)(s[1] & 0x3f) << 12
               | (unsigned long)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
    }
}

const char *jc_filename_clean(const char *name, apr_pool_t *p)
{
    const unsigned char *s;
    size_t n, i = 0, olen = 0;
    char *out;

    if (name == NULL) {
        return JC_FILENAME_DEFAULT;
    }
    s = (const unsigned char *)name;
    n = strlen(name);
    for (i = n; i > 0; i--) {
        if (s[i - 1] == '/' || s[i - 1] == '\\') {
            break;
        }
    }
    s += i;
    n -= i;
    out = apr_palloc(p, (n < JC_FILENAME_MAX ? n : JC_FILENAME_MAX) + 1);
    for (i = 0; i < n;) {
        size_t k = jc_utf8_seq(s + i, n - i);

        if (k == 0) {           /* invalid byte: dropped */
            i++;
            continue;
        }
        if (!fn_drop(fn_decode(s + i, k))) {
            if (olen + k > JC_FILENAME_MAX) {
                break;
            }
            if (!(olen == 0 && s[i] == ' ')) {   /* leading spaces */
                memcpy(out + olen, s + i, k);
                olen += k;
            }
        }
        i += k;
    }
    while (olen > 0 && out[olen - 1] == ' ') {
        olen--;
    }
    out[olen] = '\0';
    if (olen == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        return JC_FILENAME_DEFAULT;
    }
    return out;
}

const char *jc_filename_display(const char *filename_star,
                                const char *filename, apr_pool_t *p)
{
    return jc_filename_clean(filename_star ? filename_star : filename, p);
}

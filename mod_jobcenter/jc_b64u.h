/* base64url without padding (RFC 4648 section 5), and the value of a hex
 * digit. Core: no httpd headers. */
#ifndef JC_B64U_H
#define JC_B64U_H

#include <apr_pools.h>
#include <apr_errno.h>

/* Encode len bytes; the string is allocated in p. */
const char *jc_b64u_encode(const unsigned char *data, size_t len,
                           apr_pool_t *p);

/* Strictly decode the NUL-terminated s (no padding, no whitespace, unused
 * bits zero) into *out (in p, at most max_len bytes). APR_EINVAL on any
 * malformed input or when longer than max_len. */
apr_status_t jc_b64u_decode(const unsigned char **out, size_t *out_len,
                            const char *s, size_t max_len, apr_pool_t *p);

/* Strictly decode s (n characters) into out (cap bytes, no allocation).
 * 1 on success with *out_len set, else 0. */
int jc_b64u_decode_into(unsigned char *out, size_t cap, size_t *out_len,
                        const char *s, size_t n);

/* Value of the hex digit c (either case), -1 if c is none. */
int jc_hex_value(unsigned char c);

#endif

/* base64url without padding (RFC 4648 section 5), strict: one encoding per
 * byte string. The one codec of the core (tokens, WebAuthn, secret box).
 * Core: no httpd headers. */
#include <string.h>
#include <apr_strings.h>

#include "jc_b64u.h"

static const char jc_b64u_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *jc_b64u_encode(const unsigned char *data, size_t len,
                           apr_pool_t *p)
{
    char *out, *o;
    size_t i = 0;

    if (data == NULL && len > 0) {
        return NULL;
    }
    out = o = apr_palloc(p, (len / 3) * 4 + 4 + 1);
    for (; i + 3 <= len; i += 3) {
        unsigned long v = ((unsigned long)data[i] << 16)
                          | ((unsigned long)data[i + 1] << 8) | data[i + 2];
        *o++ = jc_b64u_chars[(v >> 18) & 0x3f];
        *o++ = jc_b64u_chars[(v >> 12) & 0x3f];
        *o++ = jc_b64u_chars[(v >> 6) & 0x3f];
        *o++ = jc_b64u_chars[v & 0x3f];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)data[i] << 16;
        *o++ = jc_b64u_chars[(v >> 18) & 0x3f];
        *o++ = jc_b64u_chars[(v >> 12) & 0x3f];
    }
    else if (len - i == 2) {
        unsigned long v = ((unsigned long)data[i] << 16)
                          | ((unsigned long)data[i + 1] << 8);
        *o++ = jc_b64u_chars[(v >> 18) & 0x3f];
        *o++ = jc_b64u_chars[(v >> 12) & 0x3f];
        *o++ = jc_b64u_chars[(v >> 6) & 0x3f];
    }
    *o = '\0';
    return out;
}

/* Value of one base64url character, or -1. */
static int jc_b64u_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    return c == '_' ? 63 : -1;
}

/* Bytes that n base64url characters decode to; (size_t)-1 if n is not a
 * possible length (n % 4 == 1). */
static size_t jc_b64u_declen(size_t n)
{
    if (n % 4 == 1) {
        return (size_t)-1;
    }
    return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

int jc_b64u_decode_into(unsigned char *out, size_t cap, size_t *out_len,
                        const char *s, size_t n)
{
    size_t need = jc_b64u_declen(n), i, o = 0;
    unsigned long acc = 0;
    int bits = 0, v;

    if (need == (size_t)-1 || need > cap) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        v = jc_b64u_value((unsigned char)s[i]);
        if (v < 0) {
            return 0;
        }
        acc = ((acc << 6) | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Left-over bits must be zero, so that each byte string has exactly
     * one encoding. */
    if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0) {
        return 0;
    }
    *out_len = o;
    return 1;
}

apr_status_t jc_b64u_decode(const unsigned char **out, size_t *out_len,
                            const char *s, size_t max_len, apr_pool_t *p)
{
    unsigned char *buf;
    size_t n, need;

    if (out == NULL || out_len == NULL || s == NULL || p == NULL) {
        return APR_EINVAL;
    }
    *out = NULL;
    *out_len = 0;
    n = strlen(s);
    need = jc_b64u_declen(n);
    if (need == (size_t)-1 || need > max_len) {
        return APR_EINVAL;
    }
    buf = apr_palloc(p, need + 1);
    if (!jc_b64u_decode_into(buf, need, out_len, s, n)) {
        *out_len = 0;
        return APR_EINVAL;
    }
    *out = buf;
    return APR_SUCCESS;
}

int jc_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

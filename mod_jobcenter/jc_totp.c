/* HOTP (RFC 4226) and TOTP (RFC 6238) on OpenSSL's HMAC, secrets from
 * RAND_bytes, RFC 4648 base32 and the otpauth:// key URI.
 * Core: no httpd headers. */

#include "jc_totp.h"
#include "jc_utf8.h"

#include <string.h>

#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static const char jc_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* 10^digits for the allowed digit counts. */
static const apr_uint32_t jc_totp_pow10[JC_TOTP_DIGITS_MAX + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};

const char *jc_totp_alg_name(jc_totp_alg_e alg)
{
    switch (alg) {
    case JC_TOTP_SHA1:
        return "SHA1";
    case JC_TOTP_SHA256:
        return "SHA256";
    case JC_TOTP_SHA512:
        return "SHA512";
    }
    return NULL;
}

/* The OpenSSL digest of alg, NULL if unknown. */
static const EVP_MD *jc_totp_md(jc_totp_alg_e alg)
{
    switch (alg) {
    case JC_TOTP_SHA1:
        return EVP_sha1();
    case JC_TOTP_SHA256:
        return EVP_sha256();
    case JC_TOTP_SHA512:
        return EVP_sha512();
    }
    return NULL;
}

/* 1 if key, keylen, alg and digits are acceptable. */
static int jc_totp_args_ok(const unsigned char *key, size_t keylen,
                           jc_totp_alg_e alg, int digits)
{
    return key != NULL && keylen >= JC_TOTP_KEY_MIN
           && keylen <= JC_TOTP_KEY_MAX && jc_totp_md(alg) != NULL
           && digits >= JC_TOTP_DIGITS_MIN && digits <= JC_TOTP_DIGITS_MAX;
}

/* RFC 4226 §5.3 without argument checks: HMAC over the big-endian
 * counter, dynamic truncation, modulo 10^digits, zero-padded. */
static apr_status_t jc_totp_hotp_raw(char *code, const unsigned char *key,
                                     size_t keylen, apr_uint64_t counter,
                                     jc_totp_alg_e alg, int digits)
{
    unsigned char msg[8];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    apr_uint32_t bin, val;
    unsigned int off;
    int i;

    for (i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (HMAC(jc_totp_md(alg), key, (int)keylen, msg, sizeof(msg), mac,
             &maclen) == NULL || maclen < 20) {
        OPENSSL_cleanse(mac, sizeof(mac));
        code[0] = '\0';
        return APR_EGENERAL;
    }
    off = mac[maclen - 1] & 0x0f;
    bin = ((apr_uint32_t)(mac[off] & 0x7f) << 24)
          | ((apr_uint32_t)mac[off + 1] << 16)
          | ((apr_uint32_t)mac[off + 2] << 8)
          | (apr_uint32_t)mac[off + 3];
    val = bin % jc_totp_pow10[digits];
    for (i = digits - 1; i >= 0; i--) {
        code[i] = (char)('0' + val % 10);
        val /= 10;
    }
    code[digits] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    return APR_SUCCESS;
}

apr_status_t jc_totp_hotp(char *code, const unsigned char *key,
                          size_t keylen, apr_uint64_t counter,
                          jc_totp_alg_e alg, int digits)
{
    if (code == NULL) {
        return APR_EINVAL;
    }
    code[0] = '\0';
    if (!jc_totp_args_ok(key, keylen, alg, digits)) {
        return APR_EINVAL;
    }
    return jc_totp_hotp_raw(code, key, keylen, counter, alg, digits);
}

apr_int64_t jc_totp_step(apr_int64_t now)
{
    if (now < 0) {
        return -1;
    }
    return now / JC_TOTP_PERIOD;
}

apr_status_t jc_totp_code(char *code, const unsigned char *key,
                          size_t keylen, apr_int64_t now,
                          jc_totp_alg_e alg, int digits)
{
    if (code == NULL) {
        return APR_EINVAL;
    }
    code[0] = '\0';
    if (now < 0) {
        return APR_EINVAL;
    }
    return jc_totp_hotp(code, key, keylen, (apr_uint64_t)jc_totp_step(now),
                        alg, digits);
}

int jc_totp_replayed(apr_int64_t step, apr_int64_t last_step)
{
    return step <= last_step;
}

apr_status_t jc_totp_verify(apr_int64_t *step, const char *code,
                            const unsigned char *key, size_t keylen,
                            apr_int64_t now, jc_totp_alg_e alg, int digits,
                            apr_int64_t last_step)
{
    char expect[JC_TOTP_CODE_SIZE];
    apr_int64_t base, s, found = -1;
    size_t n;

    if (step == NULL) {
        return APR_EINVAL;
    }
    *step = -1;
    if (code == NULL || now < 0 || !jc_totp_args_ok(key, keylen, alg, digits)) {
        return APR_EINVAL;
    }
    /* The format is no secret: check it before any work. */
    for (n = 0; code[n] != '\0'; n++) {
        if (n >= (size_t)digits || code[n] < '0' || code[n] > '9') {
            return APR_EINVAL;
        }
    }
    if (n != (size_t)digits) {
        return APR_EINVAL;
    }

    base = jc_totp_step(now);
    for (s = base - JC_TOTP_WINDOW; s <= base + JC_TOTP_WINDOW; s++) {
        int eq;

        if (s < 0) {
            continue;
        }
        if (jc_totp_hotp_raw(expect, key, keylen, (apr_uint64_t)s, alg,
                             digits) != APR_SUCCESS) {
            OPENSSL_cleanse(expect, sizeof(expect));
            return APR_EGENERAL;
        }
        /* No early exit: every step costs the same. Later steps win. */
        eq = CRYPTO_memcmp(expect, code, (size_t)digits) == 0;
        found = eq ? s : found;
    }
    OPENSSL_cleanse(expect, sizeof(expect));

    if (found < 0) {
        return APR_EMISMATCH;
    }
    *step = found;
    return jc_totp_replayed(found, last_step) ? APR_EEXIST : APR_SUCCESS;
}

apr_status_t jc_totp_secret_new(unsigned char *secret, size_t len)
{
    if (secret == NULL || len < JC_TOTP_SECRET_LEN || len > JC_TOTP_KEY_MAX) {
        return APR_EINVAL;
    }
    if (RAND_bytes(secret, (int)len) != 1) {
        OPENSSL_cleanse(secret, len);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

const char *jc_totp_base32_encode(const unsigned char *in, size_t len,
                                  apr_pool_t *p)
{
    char *out, *o;
    size_t i;
    apr_uint32_t acc = 0;
    int bits = 0;

    if (p == NULL || (in == NULL && len > 0)) {
        return NULL;
    }
    o = out = apr_palloc(p, (len * 8 + 4) / 5 + 1);
    for (i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            *o++ = jc_b32[(acc >> bits) & 0x1f];
        }
    }
    if (bits > 0) {
        *o++ = jc_b32[(acc << (5 - bits)) & 0x1f];
    }
    *o = '\0';
    return out;
}

/* Value 0..31 of base32 character c (either case), -1 if none. */
static int jc_totp_b32_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }
    if (c >= '2' && c <= '7') {
        return c - '2' + 26;
    }
    return -1;
}

apr_status_t jc_totp_base32_decode(unsigned char **out, size_t *outlen,
                                   const char *in, apr_pool_t *p)
{
    const unsigned char *u = (const unsigned char *)in;
    unsigned char *buf;
    size_t n = 0, chars = 0, i;
    apr_uint32_t acc = 0;
    int bits = 0, padding = 0;

    if (out == NULL || outlen == NULL) {
        return APR_EINVAL;
    }
    *out = NULL;
    *outlen = 0;
    if (in == NULL || p == NULL) {
        return APR_EINVAL;
    }
    /* First pass: validate and count the data characters. */
    for (i = 0; u[i] != '\0'; i++) {
        if (u[i] == ' ') {
            continue;
        }
        if (u[i] == '=') {
            padding = 1;
            continue;
        }
        if (padding || jc_totp_b32_val(u[i]) < 0) {
            return APR_EINVAL;
        }
        chars++;
    }
    /* A last group of 1, 3 or 6 characters cannot come from an encoder. */
    switch (chars % 8) {
    case 1: case 3: case 6:
        return APR_EINVAL;
    default:
        break;
    }

    buf = apr_palloc(p, chars * 5 / 8 + 1);
    for (i = 0; u[i] != '\0'; i++) {
        int v = jc_totp_b32_val(u[i]);

        if (v < 0) {
            continue;   /* a space or the padding */
        }
        acc = ((acc << 5) | (apr_uint32_t)v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    /* The unused bits of the last character must be zero (canonical). */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        OPENSSL_cleanse(buf, n);
        return APR_EINVAL;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return APR_SUCCESS;
}

/* Percent-encode every byte of s except the RFC 3986 unreserved ones. */
static const char *jc_totp_pct(const char *s, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *u; u++) {
        if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z')
            || (*u >= '0' && *u <= '9') || *u == '-' || *u == '.'
            || *u == '_' || *u == '~') {
            *o++ = (char)*u;
        }
        else {
            *o++ = '%';
            *o++ = hex[*u >> 4];
            *o++ = hex[*u & 0x0f];
        }
    }
    *o = '\0';
    return out;
}

apr_status_t jc_totp_uri(const char **uri, const char *issuer,
                         const char *account, const unsigned char *secret,
                         size_t secret_len, jc_totp_alg_e alg, int digits,
                         apr_pool_t *p)
{
    const char *iss, *b32;

    if (uri == NULL) {
        return APR_EINVAL;
    }
    *uri = NULL;
    if (p == NULL || !jc_utf8_label_ok(issuer) || !jc_utf8_label_ok(account)
        || !jc_totp_args_ok(secret, secret_len, alg, digits)) {
        return APR_EINVAL;
    }
    iss = jc_totp_pct(issuer, p);
    b32 = jc_totp_base32_encode(secret, secret_len, p);
    *uri = apr_psprintf(p, "otpauth://totp/%s:%s?secret=%s&issuer=%s"
                        "&algorithm=%s&digits=%d&period=%d",
                        iss, jc_totp_pct(account, p), b32, iss,
                        jc_totp_alg_name(alg), digits, JC_TOTP_PERIOD);
    return APR_SUCCESS;
}

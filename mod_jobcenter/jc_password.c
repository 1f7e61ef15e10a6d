/* Password policy (the seed's "Passwort" checklist) and Argon2id hashing
 * through libargon2, salts from OpenSSL's RNG. Core: no httpd headers. */

#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "jc_password.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <apr_strings.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define JC_PW_SALT_LEN  16  /* bytes of salt per hash        */
#define JC_PW_HASH_LEN  32  /* bytes of Argon2id output      */
#define JC_PW_DUMMY_LEN 32  /* random bytes of a dummy password */

static const jc_pw_rule_t jc_pw_rules[] = {
    { JC_PW_ERR_LENGTH,  "password_length",
      "12 bis 128 Zeichen lang" },
    { JC_PW_ERR_UPPER,   "password_upper",
      "mindestens ein Großbuchstabe (A - Z)" },
    { JC_PW_ERR_LOWER,   "password_lower",
      "mindestens ein Kleinbuchstabe (a - z)" },
    { JC_PW_ERR_DIGIT,   "password_digit",
      "mindestens eine Ziffer (0 - 9)" },
    { JC_PW_ERR_SPECIAL, "password_special",
      "mindestens eines der folgenden Sonderzeichen: "
      "@ # $ % & * - _ ! + = ; , . ? / \" ( )" },
    { JC_PW_ERR_INVALID, "password_invalid_chars",
      "keine unerlaubten Zeichen" },
    { JC_PW_ERR_REPEAT,  "password_repeat",
      "richtige Passwortwiederholung" },
    { 0, NULL, NULL }
};

const jc_pw_rule_t *jc_password_rules(void)
{
    return jc_pw_rules;
}

/* 1 if c is one of JC_PW_SPECIALS (NUL is not). */
static int jc_password_is_special(unsigned char c)
{
    return c != '\0' && strchr(JC_PW_SPECIALS, c) != NULL;
}

int jc_password_check(const char *pw, size_t len,
                      const char *repeat, size_t repeat_len)
{
    int upper = 0, lower = 0, digit = 0, special = 0, invalid = 0;
    int err = 0;
    size_t i, chars = 0;

    if (pw == NULL) {
        len = 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pw[i];

        /* the length criterion counts characters (UTF-8 lead bytes), as the
         * portal's checklist does; any non-ASCII byte is invalid anyway */
        if ((c & 0xC0) != 0x80) {
            chars++;
        }
        if (c >= 'A' && c <= 'Z') {
            upper = 1;
        }
        else if (c >= 'a' && c <= 'z') {
            lower = 1;
        }
        else if (c >= '0' && c <= '9') {
            digit = 1;
        }
        else if (jc_password_is_special(c)) {
            special = 1;
        }
        else {
            invalid = 1;
        }
    }

    if (chars < JC_PW_MIN_LEN || chars > JC_PW_MAX_LEN) {
        err |= JC_PW_ERR_LENGTH;
    }
    if (!upper) {
        err |= JC_PW_ERR_UPPER;
    }
    if (!lower) {
        err |= JC_PW_ERR_LOWER;
    }
    if (!digit) {
        err |= JC_PW_ERR_DIGIT;
    }
    if (!special) {
        err |= JC_PW_ERR_SPECIAL;
    }
    if (invalid) {
        err |= JC_PW_ERR_INVALID;
    }
    if (repeat != NULL) {
        if (repeat_len != len
            || (len > 0 && CRYPTO_memcmp(pw, repeat, len) != 0)) {
            err |= JC_PW_ERR_REPEAT;
        }
    }
    return err;
}

/* APR_SUCCESS if params are within the accepted range. */
static apr_status_t jc_password_params_ok(const jc_argon2_params_t *params)
{
    if (params == NULL
        || params->m_kib < JC_ARGON2_MIN_M_KIB
        || params->t_cost < JC_ARGON2_MIN_T_COST
        || params->lanes < JC_ARGON2_MIN_LANES
        || params->lanes > ARGON2_MAX_LANES) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ---- Argon2 work areas ---------------------------------------------------
 * libargon2's own allocation (malloc of m KiB per hash) leaves the 19 MiB
 * areas in glibc's per-thread arenas: a child with 25 threads grew to about
 * 600 MB. Every hash here goes through argon2_ctx with allocator callbacks:
 * the area bound to the calling thread (jc_password_bind_area; one per
 * admission slot) when it is free and large enough, otherwise a private
 * mapping that is unmapped right after the hash. libargon2 wipes the area
 * before it hands it back (FLAG_clear_internal_memory). */

static _Thread_local jc_pw_area_t *jc_pw_bound;

jc_pw_area_t *jc_password_bind_area(jc_pw_area_t *area)
{
    jc_pw_area_t *old = jc_pw_bound;

    jc_pw_bound = area;
    return old;
}

size_t jc_password_area_bytes(const jc_argon2_params_t *params)
{
    size_t blocks = params->m_kib, lanes = params->lanes ? params->lanes : 1;

    if (blocks < 2 * ARGON2_SYNC_POINTS * lanes) {
        blocks = 2 * ARGON2_SYNC_POINTS * lanes;
    }
    blocks = blocks / (lanes * ARGON2_SYNC_POINTS) * lanes
             * ARGON2_SYNC_POINTS;
    return blocks * 1024; /* ARGON2_BLOCK_SIZE */
}

void jc_password_area_init(jc_pw_area_t *area, size_t size)
{
    area->mem = NULL;
    area->size = size;
    area->busy = 0;
}

void jc_password_area_release(jc_pw_area_t *area)
{
    if (area->mem != NULL && !area->busy) {
        munmap(area->mem, area->size);
        area->mem = NULL;
    }
}

static void *jc_pw_map(size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return m == MAP_FAILED ? NULL : m;
}

static int jc_pw_alloc(uint8_t **memory, size_t bytes)
{
    jc_pw_area_t *a = jc_pw_bound;

    *memory = NULL;
    if (bytes == 0) {
        return ARGON2_MEMORY_ALLOCATION_ERROR;
    }
    if (a != NULL && !a->busy && bytes <= a->size) {
        if (a->mem == NULL) {
            a->mem = jc_pw_map(a->size);
        }
        if (a->mem != NULL) {
            a->busy = 1;
            *memory = a->mem;
            return ARGON2_OK;
        }
    }
    *memory = jc_pw_map(bytes);
    return *memory ? ARGON2_OK : ARGON2_MEMORY_ALLOCATION_ERROR;
}

static void jc_pw_free(uint8_t *memory, size_t bytes)
{
    jc_pw_area_t *a = jc_pw_bound;

    if (memory == NULL) {
        return;
    }
    if (a != NULL && a->busy && (void *)memory == a->mem) {
        a->busy = 0; /* already wiped by libargon2; kept mapped */
        return;
    }
    munmap(memory, bytes);
}

/* An Argon2id context with our allocator; the caller fills the rest. */
static void jc_pw_ctx(argon2_context *c, const char *pw, size_t len)
{
    memset(c, 0, sizeof(*c));
    c->pwd = (uint8_t *)(uintptr_t)pw;
    c->pwdlen = (uint32_t)len;
    c->version = ARGON2_VERSION_13;
    c->allocate_cbk = jc_pw_alloc;
    c->free_cbk = jc_pw_free;
    c->flags = ARGON2_DEFAULT_FLAGS;
}

/* ---- PHC strings, byte for byte as libargon2's encode_string /
 * decode_string (which the library does not export): standard base64
 * without padding, "$argon2id$v=19$m=M,t=T,p=P$salt$hash". */

static const char jc_pw_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *jc_pw_b64_put(char *d, const unsigned char *s, size_t n)
{
    unsigned acc = 0, bits = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc = (acc << 8) | s[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            *d++ = jc_pw_b64[(acc >> bits) & 0x3F];
        }
    }
    if (bits > 0) {
        *d++ = jc_pw_b64[(acc << (6 - bits)) & 0x3F];
    }
    *d = '\0';
    return d;
}

static unsigned jc_pw_b64_val(char c)
{
    const char *q = c ? strchr(jc_pw_b64, c) : NULL;

    return q ? (unsigned)(q - jc_pw_b64) : 0xFF;
}

/* Decode base64 up to the first non-alphabet character into dst (at most
 * *n bytes); *n = bytes written. NULL if too long or the trailing bits are
 * not zero (libargon2's from_base64). */
static const char *jc_pw_b64_get(unsigned char *dst, size_t *n,
                                 const char *src)
{
    unsigned acc = 0, bits = 0, d;
    size_t len = 0;

    while ((d = jc_pw_b64_val(*src)) != 0xFF) {
        src++;
        acc = (acc << 6) + d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len >= *n) {
                return NULL;
            }
            dst[len++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    if (bits > 4 || (acc & ((1U << bits) - 1)) != 0) {
        return NULL;
    }
    *n = len;
    return src;
}

/* Skip the literal lit at s; NULL if s does not start with it. */
static const char *jc_pw_lit(const char *s, const char *lit)
{
    size_t n = strlen(lit);

    return s && strncmp(s, lit, n) == 0 ? s + n : NULL;
}

/* A decimal uint32 (no sign, no leading zero), as libargon2 reads one. */
static const char *jc_pw_u32(const char *s, uint32_t *v)
{
    unsigned long long acc = 0;
    const char *o = s;

    if (s == NULL || (s[0] == '0' && s[1] >= '0' && s[1] <= '9')) {
        return NULL;
    }
    while (*s >= '0' && *s <= '9') {
        acc = acc * 10 + (unsigned long long)(*s - '0');
        if (acc > UINT32_MAX) {
            return NULL;
        }
        s++;
    }
    if (s == o) {
        return NULL;
    }
    *v = (uint32_t)acc;
    return s;
}

/* Parse an argon2id PHC string into c (salt and out point into buf, which
 * has room for 2 * strlen(phc) bytes). ARGON2_OK or ARGON2_DECODING_FAIL. */
static int jc_pw_decode(argon2_context *c, unsigned char *buf,
                        const char *phc)
{
    size_t max = strlen(phc), n;
    const char *s;

    s = jc_pw_lit(phc, "$argon2id");
    c->version = ARGON2_VERSION_10;
    if (s && strncmp(s, "$v=", 3) == 0) {
        s = jc_pw_u32(s + 3, &c->version);
    }
    s = jc_pw_u32(jc_pw_lit(s, "$m="), &c->m_cost);
    s = jc_pw_u32(jc_pw_lit(s, ",t="), &c->t_cost);
    s = jc_pw_u32(jc_pw_lit(s, ",p="), &c->lanes);
    c->threads = c->lanes;
    s = jc_pw_lit(s, "$");
    if (s == NULL) {
        return ARGON2_DECODING_FAIL;
    }
    n = max;
    s = jc_pw_b64_get(buf, &n, s);
    c->salt = buf;
    c->saltlen = (uint32_t)n;
    s = jc_pw_lit(s, "$");
    if (s == NULL) {
        return ARGON2_DECODING_FAIL;
    }
    n = max;
    s = jc_pw_b64_get(buf + max, &n, s);
    c->out = buf + max;
    c->outlen = (uint32_t)n;
    if (s == NULL || *s != '\0') {
        return ARGON2_DECODING_FAIL;
    }
    return ARGON2_OK;
}

apr_status_t jc_password_hash(const char **phc, const char *pw, size_t len,
                              const jc_argon2_params_t *params, apr_pool_t *p)
{
    unsigned char salt[JC_PW_SALT_LEN], out[JC_PW_HASH_LEN];
    argon2_context c;
    size_t enclen;
    char *enc, *d;
    int rc;

    if (phc == NULL || p == NULL || (pw == NULL && len > 0)
        || len > ARGON2_MAX_PWD_LENGTH
        || jc_password_params_ok(params) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *phc = NULL;

    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        return APR_EGENERAL;
    }
    jc_pw_ctx(&c, pw, len);
    c.out = out;
    c.outlen = sizeof(out);
    c.salt = salt;
    c.saltlen = sizeof(salt);
    c.t_cost = params->t_cost;
    c.m_cost = params->m_kib;
    c.lanes = params->lanes;
    c.threads = params->lanes;
    rc = argon2_ctx(&c, Argon2_id);
    if (rc != ARGON2_OK) {
        OPENSSL_cleanse(out, sizeof(out));
        return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? APR_ENOMEM
                                                    : APR_EGENERAL;
    }
    enclen = argon2_encodedlen(params->t_cost, params->m_kib, params->lanes,
                               JC_PW_SALT_LEN, JC_PW_HASH_LEN, Argon2_id);
    enc = apr_pcalloc(p, enclen + 1);
    d = enc + apr_snprintf(enc, enclen + 1, "$argon2id$v=%u$m=%u,t=%u,p=%u$",
                           (unsigned)ARGON2_VERSION_13, params->m_kib,
                           params->t_cost, params->lanes);
    d = jc_pw_b64_put(d, salt, sizeof(salt));
    *d++ = '$';
    jc_pw_b64_put(d, out, sizeof(out));
    OPENSSL_cleanse(out, sizeof(out));
    *phc = enc;
    return APR_SUCCESS;
}

/* Spend about the time of a verification with the minimum parameters,
 * used when the PHC string cannot be decoded. */
static void jc_password_burn(const char *pw, size_t len)
{
    static const unsigned char salt[JC_PW_SALT_LEN] = { 0 };
    unsigned char out[JC_PW_HASH_LEN];
    argon2_context c;

    jc_pw_ctx(&c, pw, pw ? len : 0);
    c.out = out;
    c.outlen = sizeof(out);
    c.salt = (uint8_t *)(uintptr_t)salt;
    c.saltlen = sizeof(salt);
    c.t_cost = JC_ARGON2_MIN_T_COST;
    c.m_cost = JC_ARGON2_MIN_M_KIB;
    c.lanes = JC_ARGON2_MIN_LANES;
    c.threads = JC_ARGON2_MIN_LANES;
    (void)argon2_ctx(&c, Argon2_id);
    OPENSSL_cleanse(out, sizeof(out));
}

apr_status_t jc_password_verify(const char *phc, const char *pw, size_t len)
{
    unsigned char *buf = NULL, *want = NULL;
    argon2_context c;
    int rc;

    if (pw == NULL && len > 0) {
        len = 0;
    }
    if (phc == NULL || len > ARGON2_MAX_PWD_LENGTH) {
        jc_password_burn(pw, len > ARGON2_MAX_PWD_LENGTH ? 0 : len);
        return APR_EINVAL;
    }
    /* as argon2id_verify: decode, then hash into a fresh buffer and
     * compare in constant time (argon2_verify_ctx) */
    jc_pw_ctx(&c, pw, len);
    buf = malloc(2 * strlen(phc) + 1);
    rc = buf ? jc_pw_decode(&c, buf, phc) : ARGON2_MEMORY_ALLOCATION_ERROR;
    if (rc == ARGON2_OK) {
        want = c.out;
        c.out = malloc(c.outlen ? c.outlen : 1);
        rc = c.out ? argon2_verify_ctx(&c, (const char *)want, Argon2_id)
                   : ARGON2_MEMORY_ALLOCATION_ERROR;
        if (c.out) {
            OPENSSL_cleanse(c.out, c.outlen);
            free(c.out);
        }
    }
    free(buf);
    switch (rc) {
    case ARGON2_OK:
        return APR_SUCCESS;
    case ARGON2_VERIFY_MISMATCH:
        return APR_EMISMATCH;
    case ARGON2_MEMORY_ALLOCATION_ERROR:
        return APR_ENOMEM;
    default:
        /* Decoding or parameter errors: the stored string is unusable. */
        jc_password_burn(pw, len);
        return APR_EINVAL;
    }
}

const char *jc_password_dummy_hash(const jc_argon2_params_t *params,
                                   apr_pool_t *p)
{
    unsigned char pw[JC_PW_DUMMY_LEN];
    const char *phc = NULL;
    apr_status_t rv;

    if (RAND_bytes(pw, sizeof(pw)) != 1) {
        return NULL;
    }
    rv = jc_password_hash(&phc, (const char *)pw, sizeof(pw), params, p);
    OPENSSL_cleanse(pw, sizeof(pw));
    return rv == APR_SUCCESS ? phc : NULL;
}

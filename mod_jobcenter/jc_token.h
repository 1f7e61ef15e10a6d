/* Random tokens, SHA-256 hashing and constant-time comparison.
 * Core: no httpd headers. */
#ifndef JC_TOKEN_H
#define JC_TOKEN_H

#include <apr_pools.h>
#include <apr_errno.h>

#include <openssl/evp.h>

/* nbytes random bytes from OpenSSL's RAND_bytes, encoded base64url without
 * padding, into *out (allocated in p). nbytes must be 16..64.
 * 32 bytes -> 43 characters. APR_EINVAL (and *out = NULL) for other sizes,
 * APR_EGENERAL if the RNG fails. */
apr_status_t jc_token_new(const char **out, size_t nbytes, apr_pool_t *p);

/* Lower-case hex SHA-256 of s (len bytes): 64 characters, in p.
 * NULL if s is NULL with len > 0 or the digest fails. */
const char *jc_token_hash(const char *s, size_t len, apr_pool_t *p);

/* OpenSSL's SHA-256, fetched once per process (EVP_sha256() would fetch it
 * again for every digest). For streaming digests (the upload store). */
const EVP_MD *jc_token_sha256_md(void);

/* 1 if a and b are equal (constant time in the length of the longer), else 0.
 * NULL never equals anything. */
int jc_token_equal(const char *a, const char *b);

/* 1 if s is a plausible token: 16..128 chars of [A-Za-z0-9_-]. */
int jc_token_wellformed(const char *s);

#endif

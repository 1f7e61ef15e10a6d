/* Small secrets encrypted at rest (TOTP secrets cannot be hashed):
 * AES-256-GCM with a 32-byte key from a key file, a fresh 12-byte nonce per
 * encryption and a caller-given context (e.g. "totp:42") as additional
 * authenticated data, so a ciphertext copied to another account's row does
 * not decrypt. Sealed text format (ASCII, fits a TEXT column):
 *
 *   v1.<base64url nonce>.<base64url ciphertext || 16-byte tag>
 *
 * base64url without padding; a 20-byte secret seals to 68 characters.
 * Core: no httpd headers. */
#ifndef JC_SECRETBOX_H
#define JC_SECRETBOX_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_errno.h>

#define JC_SECRETBOX_KEY_LEN   32    /* AES-256 key bytes                */
#define JC_SECRETBOX_NONCE_LEN 12    /* GCM nonce bytes, random per seal */
#define JC_SECRETBOX_TAG_LEN   16    /* GCM tag bytes                    */
#define JC_SECRETBOX_MAX_PLAIN 4096  /* largest plaintext sealed/opened  */
#define JC_SECRETBOX_VERSION   "v1"  /* prefix of the sealed format      */

/* A loaded key. Opaque; the key bytes are wiped when the pool it was made
 * in is cleared or destroyed. */
typedef struct jc_secretbox_t jc_secretbox_t;

/* A box for the key (exactly JC_SECRETBOX_KEY_LEN bytes), copied into p.
 * APR_EINVAL for another length. */
apr_status_t jc_secretbox_make(jc_secretbox_t **box, const unsigned char *key,
                               size_t keylen, apr_pool_t *p);

/* Read the key file at path. Its content is either exactly 32 raw bytes or
 * 64 hex digits (either case), optionally followed by one "\n" or "\r\n".
 * 32 bytes that are all hex digits are refused (that is a 128-bit key
 * written as hex, not 32 random bytes).
 *
 * The file must be a regular file that neither group nor others may write
 * and others may not read (mode & 0026 == 0; 0600 or 0640 are fine): a
 * writable key could be swapped, a world-readable one leaks every secret.
 * APR_EACCES for such a file (checked on the opened file), APR_EINVAL for
 * content of another shape, or the APR error of opening or reading it. */
apr_status_t jc_secretbox_key_load(jc_secretbox_t **box, const char *path,
                                   apr_pool_t *p);

/* Create a new key file at path: 32 bytes from RAND_bytes as 64 lower-case
 * hex digits and "\n", mode 0600, synced to disk. Never overwrites: if
 * path exists, APR_EEXIST. APR_EGENERAL if the RNG fails; other APR errors
 * from creating or writing the file (a partial file is removed). */
apr_status_t jc_secretbox_key_create(const char *path, apr_pool_t *p);

/* Encrypt plain (len bytes, 0..JC_SECRETBOX_MAX_PLAIN) under box with
 * context (non-empty, NUL-terminated) as AAD; *sealed (in p) gets the
 * "v1.<nonce>.<ciphertext+tag>" text. APR_EINVAL (and *sealed = NULL) for
 * bad arguments, APR_EGENERAL if the RNG or the cipher fails. */
apr_status_t jc_secretbox_seal(const char **sealed, const jc_secretbox_t *box,
                               const unsigned char *plain, size_t len,
                               const char *context, apr_pool_t *p);

/* Decrypt a jc_secretbox_seal() text with the same context. On success
 * *plain (in p, NUL-terminated for convenience, not counted) and *len get
 * the plaintext. APR_EGENERAL for everything that does not open: a wrong
 * key or context, a changed, truncated or malformed text, an unknown
 * version (the caller cannot tell which). APR_EINVAL only for NULL
 * arguments. On failure *plain = NULL and *len = 0. */
apr_status_t jc_secretbox_open(unsigned char **plain, size_t *len,
                               const jc_secretbox_t *box, const char *sealed,
                               const char *context, apr_pool_t *p);

#endif

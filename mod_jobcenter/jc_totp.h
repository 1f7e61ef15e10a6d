/* One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1,
 * -SHA256 or -SHA512, secret generation, RFC 4648 base32 and the
 * otpauth:// key URI that authenticator apps read from a QR code.
 * Core: no httpd headers. */
#ifndef JC_TOTP_H
#define JC_TOTP_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_errno.h>

#define JC_TOTP_SECRET_LEN  20  /* bytes of a new secret (160 bits)       */
#define JC_TOTP_KEY_MIN     16  /* shortest key accepted (RFC 4226 R6)    */
#define JC_TOTP_KEY_MAX     64  /* longest key accepted (SHA-512 seed)    */
#define JC_TOTP_PERIOD      30  /* seconds per time step                  */
#define JC_TOTP_DIGITS      6   /* digits of a code (what apps default to) */
#define JC_TOTP_DIGITS_MIN  6   /* fewest digits accepted                 */
#define JC_TOTP_DIGITS_MAX  8   /* most digits accepted                   */
#define JC_TOTP_WINDOW      1   /* steps accepted before and after now    */
/* Size of a buffer for a code: JC_TOTP_DIGITS_MAX digits and a NUL. */
#define JC_TOTP_CODE_SIZE   (JC_TOTP_DIGITS_MAX + 1)

/* HMAC hash of the one-time password. */
typedef enum {
    JC_TOTP_SHA1 = 0,  /* HMAC-SHA1: the default every app understands */
    JC_TOTP_SHA256,    /* HMAC-SHA256 (RFC 6238)                        */
    JC_TOTP_SHA512     /* HMAC-SHA512 (RFC 6238)                        */
} jc_totp_alg_e;

/* The URI name of alg ("SHA1", "SHA256", "SHA512"), NULL if unknown. */
const char *jc_totp_alg_name(jc_totp_alg_e alg);

/* HOTP value (RFC 4226 §5.3) of key (keylen bytes, JC_TOTP_KEY_MIN..
 * JC_TOTP_KEY_MAX) for counter, as a zero-padded decimal string of digits
 * (6..8) characters in code (JC_TOTP_CODE_SIZE bytes). APR_EINVAL for bad
 * arguments (code is then ""), APR_EGENERAL if the HMAC fails. */
apr_status_t jc_totp_hotp(char *code, const unsigned char *key,
                          size_t keylen, apr_uint64_t counter,
                          jc_totp_alg_e alg, int digits);

/* The time step of now (UTC epoch seconds): floor(now / JC_TOTP_PERIOD),
 * -1 for a negative now. */
apr_int64_t jc_totp_step(apr_int64_t now);

/* TOTP value (RFC 6238) at now (UTC epoch seconds, >= 0): the HOTP value
 * for jc_totp_step(now). Arguments and results as jc_totp_hotp(). */
apr_status_t jc_totp_code(char *code, const unsigned char *key,
                          size_t keylen, apr_int64_t now,
                          jc_totp_alg_e alg, int digits);

/* Check a code the user typed against the steps jc_totp_step(now) - 1,
 * jc_totp_step(now) and jc_totp_step(now) + 1 (JC_TOTP_WINDOW). code must
 * be exactly digits ASCII digits (the caller strips spaces). All steps are
 * computed and compared in constant time; if several match, the latest
 * wins.
 *
 * last_step is the step of the last code accepted for this secret (kept by
 * the caller, -1 if none): a code is used once, so a match at a step
 * <= last_step is a replay.
 *
 * APR_SUCCESS: *step = the matched step; store it as the new last_step.
 * APR_EEXIST:  right code, but a replay; *step = the matched step.
 * APR_EMISMATCH: no step matches; *step = -1.
 * APR_EINVAL: malformed code or bad arguments; *step = -1.
 * APR_EGENERAL: the HMAC failed; *step = -1. */
apr_status_t jc_totp_verify(apr_int64_t *step, const char *code,
                            const unsigned char *key, size_t keylen,
                            apr_int64_t now, jc_totp_alg_e alg, int digits,
                            apr_int64_t last_step);

/* 1 if a code matched at step must be refused because last_step (the step
 * of the last accepted code, -1 if none) is the same or later. */
int jc_totp_replayed(apr_int64_t step, apr_int64_t last_step);

/* Fill secret (len bytes, JC_TOTP_SECRET_LEN..JC_TOTP_KEY_MAX) from
 * OpenSSL's RAND_bytes. APR_EINVAL for other lengths, APR_EGENERAL if the
 * RNG fails (secret is then zeroed). */
apr_status_t jc_totp_secret_new(unsigned char *secret, size_t len);

/* RFC 4648 base32 of in (len bytes): upper case, no '=' padding, in p.
 * 20 bytes -> 32 characters. NULL if in is NULL with len > 0. */
const char *jc_totp_base32_encode(const unsigned char *in, size_t len,
                                  apr_pool_t *p);

/* Decode RFC 4648 base32 text into *out (NUL-terminated for convenience,
 * not counted in *outlen), allocated in p. Letters in either case; spaces
 * are ignored anywhere; '=' padding is accepted only at the end. Anything
 * else (other characters, a length no encoder produces, non-zero unused
 * bits) is APR_EINVAL with *out = NULL and *outlen = 0. */
apr_status_t jc_totp_base32_decode(unsigned char **out, size_t *outlen,
                                   const char *in, apr_pool_t *p);

/* The key URI an authenticator app reads (Google Authenticator's
 * "Key Uri Format"), in p:
 *   otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>
 *   &algorithm=SHA1&digits=6&period=30
 * issuer and account must be non-empty UTF-8 without control characters;
 * every byte except A-Z a-z 0-9 - . _ ~ is percent-encoded (so ':' in a
 * name cannot split the label, a space becomes %20, "ü" %C3%BC) and the
 * URI stays ASCII. APR_EINVAL (and *uri = NULL) for bad arguments. */
apr_status_t jc_totp_uri(const char **uri, const char *issuer,
                         const char *account, const unsigned char *secret,
                         size_t secret_len, jc_totp_alg_e alg, int digits,
                         apr_pool_t *p);

#endif

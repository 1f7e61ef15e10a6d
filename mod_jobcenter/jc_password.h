/* Password policy (seed "Passwort" criteria) and Argon2id hashing.
 * Core: no httpd headers. */
#ifndef JC_PASSWORD_H
#define JC_PASSWORD_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_errno.h>

#define JC_PW_MIN_LEN 12
#define JC_PW_MAX_LEN 128
/* The seed's special characters: @ # $ % & * - _ ! + = ; , . ? / " ( ) */
#define JC_PW_SPECIALS "@#$%&*-_!+=;,.?/\"()"

/* Failed criteria, OR-ed together by jc_password_check(). 0 = acceptable. */
typedef enum {
    JC_PW_ERR_LENGTH   = 1 << 0, /* not 12..128 characters                  */
    JC_PW_ERR_UPPER    = 1 << 1, /* no A-Z                                  */
    JC_PW_ERR_LOWER    = 1 << 2, /* no a-z                                  */
    JC_PW_ERR_DIGIT    = 1 << 3, /* no 0-9                                  */
    JC_PW_ERR_SPECIAL  = 1 << 4, /* none of JC_PW_SPECIALS                   */
    JC_PW_ERR_INVALID  = 1 << 5, /* a character outside A-Z a-z 0-9 specials */
    JC_PW_ERR_REPEAT   = 1 << 6  /* repeat differs (only if repeat != NULL)  */
} jc_pw_err_e;

/* One entry per criterion, in the order the seed lists them. */
typedef struct {
    int bit;             /* JC_PW_ERR_* */
    const char *code;    /* API code, e.g. "password_upper" */
    const char *message; /* German text of the seed's checklist */
} jc_pw_rule_t;

/* NULL-terminated (code == NULL) table of all criteria. */
const jc_pw_rule_t *jc_password_rules(void);

/* Check pw (len bytes, not NUL-terminated necessarily) against every criterion.
 * repeat may be NULL (then JC_PW_ERR_REPEAT is never set). The length
 * criterion counts UTF-8 characters (as the portal's checklist does); any
 * byte outside the allowed ASCII set sets JC_PW_ERR_INVALID. */
int jc_password_check(const char *pw, size_t len,
                      const char *repeat, size_t repeat_len);

/* Lowest accepted Argon2id parameters (OWASP minimum): jc_password_hash()
 * and jc_password_dummy_hash() refuse anything below. Verification accepts
 * whatever parameters the stored PHC string names. */
#define JC_ARGON2_MIN_M_KIB  19456
#define JC_ARGON2_MIN_T_COST 2
#define JC_ARGON2_MIN_LANES  1

/* Argon2id parameters (memory in KiB). */
typedef struct {
    unsigned int m_kib;   /* memory cost, KiB (>= 19456) */
    unsigned int t_cost;  /* iterations (>= 2)           */
    unsigned int lanes;   /* parallelism (>= 1)          */
} jc_argon2_params_t;

/* Hash with a fresh 16-byte salt from OpenSSL's RNG; *phc receives the PHC
 * string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") allocated in p.
 * APR_EINVAL for params below JC_ARGON2_MIN_*, APR_ENOMEM if libargon2
 * could not allocate, APR_EGENERAL for RNG or other libargon2 errors. */
apr_status_t jc_password_hash(const char **phc, const char *pw, size_t len,
                              const jc_argon2_params_t *params, apr_pool_t *p);

/* APR_SUCCESS on match, APR_EMISMATCH on mismatch, APR_EINVAL on a malformed
 * PHC string. Runs the full hash in every case (no early exit): a malformed
 * string costs one hash with the JC_ARGON2_MIN_* parameters. Parameters are
 * taken from the PHC string, so older/stronger hashes verify too.
 * APR_ENOMEM if libargon2 could not allocate the memory the string asks for. */
apr_status_t jc_password_verify(const char *phc, const char *pw, size_t len);

/* A valid PHC string (of a random password) with the given parameters, for
 * spending the same time on unknown users. Allocated in p. NULL on failure
 * (e.g. params below JC_ARGON2_MIN_*). Compute it once and reuse it. */
const char *jc_password_dummy_hash(const jc_argon2_params_t *params,
                                   apr_pool_t *p);

/* Argon2 work memory. Every hash and verification runs libargon2 with
 * allocator callbacks: it uses the area bound to the calling thread when
 * that is free and at least as large as the hash needs, otherwise a private
 * mapping unmapped right after the hash, so nothing stays in malloc's
 * per-thread arenas. One area serves one hash at a time (an admission slot
 * of jc_hashgate); it is mapped on first use and stays mapped (libargon2
 * wipes it after every hash). */
typedef struct {
    void *mem;    /* mapping, NULL until first used */
    size_t size;  /* bytes                          */
    int busy;     /* a hash is using it             */
} jc_pw_area_t;

/* Bytes of work memory libargon2 asks for with params (m_kib rounded
 * down to a multiple of 4 * lanes blocks of 1 KiB, at least 8 per lane). */
size_t jc_password_area_bytes(const jc_argon2_params_t *params);

/* An unmapped area of size bytes (jc_password_area_bytes of the cost). */
void jc_password_area_init(jc_pw_area_t *area, size_t size);
/* Unmap the area unless a hash is using it. */
void jc_password_area_release(jc_pw_area_t *area);
/* Bind area (NULL: none) to the calling thread; returns the previous one. */
jc_pw_area_t *jc_password_bind_area(jc_pw_area_t *area);

#endif

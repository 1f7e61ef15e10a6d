/* COSE_Key (RFC 9052/9053) credential public keys for WebAuthn: ES256
 * (EC2 P-256), RS256 (RSA PKCS#1 v1.5, >= 2048 bits) and EdDSA (OKP
 * Ed25519) as OpenSSL 3 EVP_PKEYs, and signature checks with them.
 * Core: no httpd headers. */
#ifndef JC_COSE_H
#define JC_COSE_H

#include <stddef.h>

#include <apr_pools.h>
#include <cbor.h>
#include <openssl/evp.h>

#define JC_COSE_ALG_ES256  (-7)     /* ECDSA P-256 SHA-256, DER signature */
#define JC_COSE_ALG_EDDSA  (-8)     /* Ed25519, 64-byte raw signature     */
#define JC_COSE_ALG_RS256  (-257)   /* RSASSA-PKCS1-v1_5 SHA-256          */

#define JC_COSE_RSA_MIN_BITS 2048   /* shortest RSA modulus accepted      */
#define JC_COSE_RSA_MAX_BITS 8192   /* longest RSA modulus accepted       */

/* Outcome of jc_cose_key_load(). */
typedef enum {
    JC_COSE_OK = 0,          /* key loaded                                */
    JC_COSE_ERR_MALFORMED,   /* not a map, parameter missing or of the
                              * wrong type or size, point not on curve    */
    JC_COSE_ERR_ALG,         /* kty/alg/crv not one of the three above    */
    JC_COSE_ERR_KEY_SIZE,    /* RSA modulus outside 2048..8192 bits       */
    JC_COSE_ERR_INTERNAL     /* OpenSSL failure                           */
} jc_cose_rc_e;

/* Load the public key of a decoded COSE_Key map into *pkey (freed when p
 * is cleared) and its "alg" into *alg. Unknown extra labels are ignored;
 * "alg" is required (WebAuthn always sends it). */
jc_cose_rc_e jc_cose_key_load(EVP_PKEY **pkey, int *alg,
                              const cbor_item_t *map, apr_pool_t *p);

/* 1 if a signature of COSE algorithm alg can come from pkey: ES256 needs
 * an EC P-256 key, RS256 an RSA key of 2048..8192 bits, EdDSA Ed25519. */
int jc_cose_alg_fits(EVP_PKEY *pkey, int alg);

/* 1 if sig (sig_len bytes) is a valid signature of COSE algorithm alg by
 * pkey over msg (msg_len bytes), else 0 (also when alg does not fit the
 * key). Leaves the OpenSSL error queue empty. */
int jc_cose_verify(EVP_PKEY *pkey, int alg, const unsigned char *msg,
                   size_t msg_len, const unsigned char *sig, size_t sig_len);

#endif

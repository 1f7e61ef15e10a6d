/* COSE_Key public keys (ES256, RS256, EdDSA) to OpenSSL 3 EVP_PKEYs via
 * EVP_PKEY_fromdata / raw Ed25519 keys, and signature verification.
 * Core: no httpd headers. */

#include "jc_cose.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "jc_cbor_util.h"

#define JC_COSE_KTY_OKP   1    /* octet key pair (Ed25519)              */
#define JC_COSE_KTY_EC2   2    /* elliptic curve with x and y           */
#define JC_COSE_KTY_RSA   3    /* RSA                                   */
#define JC_COSE_CRV_P256  1    /* NIST P-256 (EC2)                      */
#define JC_COSE_CRV_ED25519 6  /* Ed25519 (OKP)                         */

#define JC_COSE_LBL_KTY   1    /* common label: key type                */
#define JC_COSE_LBL_ALG   3    /* common label: algorithm               */
#define JC_COSE_LBL_CRV (-1)   /* EC2/OKP: curve                        */
#define JC_COSE_LBL_X   (-2)   /* EC2/OKP: x coordinate / public key    */
#define JC_COSE_LBL_Y   (-3)   /* EC2: y coordinate                     */
#define JC_COSE_LBL_N   (-1)   /* RSA: modulus                          */
#define JC_COSE_LBL_E   (-2)   /* RSA: public exponent                  */

#define JC_COSE_P256_LEN   32  /* bytes of one P-256 coordinate         */
#define JC_COSE_ED25519_LEN 32 /* bytes of an Ed25519 public key        */
#define JC_COSE_ED25519_SIG 64 /* bytes of an Ed25519 signature         */
#define JC_COSE_ES256_SIG_MAX 72 /* longest DER ECDSA P-256 signature   */
#define JC_COSE_RSA_E_MAX  8   /* most bytes of an RSA public exponent  */

static apr_status_t jc_cose_pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

/* Integer parameter `label` of map into *v; 0 if missing or no int. */
static int jc_cose_int_param(int64_t *v, const cbor_item_t *map,
                             int64_t label)
{
    return jc_cbor_int(v, jc_cbor_map_int(map, label));
}

/* Byte string parameter `label` of map; 0 if missing or no byte string. */
static int jc_cose_bytes_param(const unsigned char **d, size_t *n,
                               const cbor_item_t *map, int64_t label)
{
    return jc_cbor_bytes(d, n, jc_cbor_map_int(map, label));
}

/* Build a key of type `name` (EC or RSA) from params. */
static EVP_PKEY *jc_cose_fromdata(const char *name, OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
    if (ctx == NULL) {
        return NULL;
    }
    if (EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* 1 if OpenSSL's public key check passes (EC: on curve, not infinity). */
static int jc_cose_public_check(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok;

    if (ctx == NULL) {
        return 0;
    }
    ok = EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static jc_cose_rc_e jc_cose_load_ec2(EVP_PKEY **pkey, const cbor_item_t *map)
{
    unsigned char point[1 + 2 * JC_COSE_P256_LEN];
    const unsigned char *x, *y;
    size_t xl, yl;
    int64_t crv;
    OSSL_PARAM params[3];

    if (!jc_cose_int_param(&crv, map, JC_COSE_LBL_CRV)) {
        return JC_COSE_ERR_MALFORMED;
    }
    if (crv != JC_COSE_CRV_P256) {
        return JC_COSE_ERR_ALG;
    }
    /* y as a sign bit (point compression) is not used by WebAuthn. */
    if (!jc_cose_bytes_param(&x, &xl, map, JC_COSE_LBL_X)
        || !jc_cose_bytes_param(&y, &yl, map, JC_COSE_LBL_Y)
        || xl != JC_COSE_P256_LEN || yl != JC_COSE_P256_LEN) {
        return JC_COSE_ERR_MALFORMED;
    }
    point[0] = 0x04;                        /* uncompressed SEC1 point  */
    memcpy(point + 1, x, JC_COSE_P256_LEN);
    memcpy(point + 1 + JC_COSE_P256_LEN, y, JC_COSE_P256_LEN);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)"prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();
    *pkey = jc_cose_fromdata("EC", params);
    if (*pkey == NULL) {
        return JC_COSE_ERR_MALFORMED;       /* e.g. not on the curve    */
    }
    if (!jc_cose_public_check(*pkey)) {
        EVP_PKEY_free(*pkey);
        *pkey = NULL;
        return JC_COSE_ERR_MALFORMED;
    }
    return JC_COSE_OK;
}

static jc_cose_rc_e jc_cose_load_rsa(EVP_PKEY **pkey, const cbor_item_t *map)
{
    const unsigned char *n, *e;
    size_t nl, el;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    jc_cose_rc_e rc = JC_COSE_ERR_INTERNAL;
    int bits;

    if (!jc_cose_bytes_param(&n, &nl, map, JC_COSE_LBL_N)
        || !jc_cose_bytes_param(&e, &el, map, JC_COSE_LBL_E)
        || nl == 0 || el == 0 || el > JC_COSE_RSA_E_MAX) {
        return JC_COSE_ERR_MALFORMED;
    }
    /* Cheap size check before any big-number work. */
    if (nl > JC_COSE_RSA_MAX_BITS / 8 + 1) {
        return JC_COSE_ERR_KEY_SIZE;
    }
    bn_n = BN_bin2bn(n, (int)nl, NULL);
    bn_e = BN_bin2bn(e, (int)el, NULL);
    if (bn_n == NULL || bn_e == NULL) {
        goto out;
    }
    bits = BN_num_bits(bn_n);
    if (bits < JC_COSE_RSA_MIN_BITS || bits > JC_COSE_RSA_MAX_BITS) {
        rc = JC_COSE_ERR_KEY_SIZE;
        goto out;
    }
    /* An even modulus or an exponent of 1 or an even one is no RSA key
     * (e = 1 would make every message its own signature). */
    if (!BN_is_odd(bn_n) || !BN_is_odd(bn_e) || BN_is_one(bn_e)) {
        rc = JC_COSE_ERR_MALFORMED;
        goto out;
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
        goto out;
    }
    *pkey = jc_cose_fromdata("RSA", params);
    rc = *pkey != NULL ? JC_COSE_OK : JC_COSE_ERR_MALFORMED;
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return rc;
}

static jc_cose_rc_e jc_cose_load_okp(EVP_PKEY **pkey, const cbor_item_t *map)
{
    const unsigned char *x;
    size_t xl;
    int64_t crv;

    if (!jc_cose_int_param(&crv, map, JC_COSE_LBL_CRV)) {
        return JC_COSE_ERR_MALFORMED;
    }
    if (crv != JC_COSE_CRV_ED25519) {
        return JC_COSE_ERR_ALG;
    }
    if (!jc_cose_bytes_param(&x, &xl, map, JC_COSE_LBL_X)
        || xl != JC_COSE_ED25519_LEN) {
        return JC_COSE_ERR_MALFORMED;
    }
    *pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, xl);
    return *pkey != NULL ? JC_COSE_OK : JC_COSE_ERR_MALFORMED;
}

jc_cose_rc_e jc_cose_key_load(EVP_PKEY **pkey, int *alg,
                              const cbor_item_t *map, apr_pool_t *p)
{
    int64_t kty, a;
    jc_cose_rc_e rc;

    *pkey = NULL;
    *alg = 0;
    if (map == NULL || !cbor_isa_map(map)) {
        return JC_COSE_ERR_MALFORMED;
    }
    if (!jc_cose_int_param(&kty, map, JC_COSE_LBL_KTY)
        || !jc_cose_int_param(&a, map, JC_COSE_LBL_ALG)) {
        return JC_COSE_ERR_MALFORMED;
    }
    if (kty == JC_COSE_KTY_EC2 && a == JC_COSE_ALG_ES256) {
        rc = jc_cose_load_ec2(pkey, map);
    }
    else if (kty == JC_COSE_KTY_RSA && a == JC_COSE_ALG_RS256) {
        rc = jc_cose_load_rsa(pkey, map);
    }
    else if (kty == JC_COSE_KTY_OKP && a == JC_COSE_ALG_EDDSA) {
        rc = jc_cose_load_okp(pkey, map);
    }
    else {
        rc = JC_COSE_ERR_ALG;
    }
    ERR_clear_error();
    if (rc != JC_COSE_OK) {
        EVP_PKEY_free(*pkey);
        *pkey = NULL;
        return rc;
    }
    apr_pool_cleanup_register(p, *pkey, jc_cose_pkey_cleanup,
                              apr_pool_cleanup_null);
    *alg = (int)a;
    return JC_COSE_OK;
}

int jc_cose_alg_fits(EVP_PKEY *pkey, int alg)
{
    char group[32];
    size_t glen = 0;
    int bits, ok = 0;

    if (pkey == NULL) {
        return 0;
    }
    switch (alg) {
    case JC_COSE_ALG_ES256:
        ok = EVP_PKEY_is_a(pkey, "EC")
             && EVP_PKEY_get_group_name(pkey, group, sizeof(group),
                                        &glen) == 1
             && (strcmp(group, "prime256v1") == 0
                 || strcmp(group, "P-256") == 0);
        break;
    case JC_COSE_ALG_RS256:
        bits = EVP_PKEY_get_bits(pkey);
        ok = EVP_PKEY_is_a(pkey, "RSA") && bits >= JC_COSE_RSA_MIN_BITS
             && bits <= JC_COSE_RSA_MAX_BITS;
        break;
    case JC_COSE_ALG_EDDSA:
        ok = EVP_PKEY_is_a(pkey, "ED25519");
        break;
    default:
        break;
    }
    ERR_clear_error();
    return ok;
}

int jc_cose_verify(EVP_PKEY *pkey, int alg, const unsigned char *msg,
                   size_t msg_len, const unsigned char *sig, size_t sig_len)
{
    EVP_MD_CTX *md;
    EVP_PKEY_CTX *pctx = NULL;
    int ok = 0;

    if (msg == NULL || sig == NULL || sig_len == 0
        || !jc_cose_alg_fits(pkey, alg)) {
        return 0;
    }
    switch (alg) {
    case JC_COSE_ALG_ES256:
        if (sig_len > JC_COSE_ES256_SIG_MAX) {
            return 0;
        }
        break;
    case JC_COSE_ALG_EDDSA:
        if (sig_len != JC_COSE_ED25519_SIG) {
            return 0;
        }
        break;
    default:
        if (sig_len != (size_t)EVP_PKEY_get_size(pkey)) {
            return 0;
        }
        break;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return 0;
    }
    /* Ed25519 is one-shot without a separate digest. ECDSA: OpenSSL takes
     * DER and refuses encodings that do not re-encode identically. */
    if (EVP_DigestVerifyInit(md, &pctx,
                             alg == JC_COSE_ALG_EDDSA ? NULL : EVP_sha256(),
                             NULL, pkey) == 1
        && (alg != JC_COSE_ALG_RS256
            || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1)) {
        ok = EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    }
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

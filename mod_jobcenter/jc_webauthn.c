/* WebAuthn Level 3 relying-party checks: clientDataJSON (jansson),
 * attestationObject and authenticatorData (libcbor via jc_cbor_util),
 * credential keys and signatures (jc_cose, OpenSSL 3), attestation formats
 * "none" and "packed" (self and x5c), the authentication ceremony and the
 * sign counter rule. Core: no httpd headers. */

#include "jc_webauthn.h"
#include "jc_b64u.h"

#include <string.h>

#include <apr_strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "jc_cbor_util.h"
#include "jc_cose.h"

#define JC_WA_AD_MIN_LEN   37    /* rpIdHash 32 + flags 1 + signCount 4  */
#define JC_WA_AD_ACD_MIN   18    /* aaguid 16 + credentialIdLength 2     */
#define JC_WA_MAX_X5C      8     /* most certificates in a packed x5c    */
#define JC_WA_MAX_ORIGINS  64    /* most entries of jc_wa_expect_t.origins */
#define JC_WA_OU_ATTESTATION "Authenticator Attestation"
#define JC_WA_OID_AAGUID   "1.3.6.1.4.1.45724.1.1.4" /* id-fido-gen-ce-aaguid */

/* Name and log text of one jc_wa_err_e, indexed by the code. */
typedef struct {
    const char *code;   /* stable snake_case name                         */
    const char *log;    /* short English text for the error log           */
} jc_wa_errtext_t;

static const jc_wa_errtext_t jc_wa_errtexts[JC_WA_ERR_COUNT_] = {
    { "webauthn_ok", "verified" },
    { "webauthn_internal", "internal error (allocation or crypto library)" },
    { "webauthn_args", "invalid arguments from the caller" },
    { "webauthn_too_large", "input larger than allowed" },
    { "webauthn_client_data",
      "clientDataJSON is not a valid JSON object with the required members" },
    { "webauthn_type", "clientDataJSON type is not the expected ceremony" },
    { "webauthn_challenge", "challenge does not match the issued challenge" },
    { "webauthn_origin", "origin is not an allowed origin" },
    { "webauthn_cross_origin", "crossOrigin is true" },
    { "webauthn_top_origin", "topOrigin present (cross-origin iframe)" },
    { "webauthn_cbor", "CBOR malformed or truncated" },
    { "webauthn_cbor_trailing", "trailing bytes after CBOR data" },
    { "webauthn_cbor_duplicate", "duplicate CBOR map key" },
    { "webauthn_cbor_unsupported",
      "CBOR indefinite length, tag or map key type not allowed" },
    { "webauthn_cbor_limit", "CBOR nesting or container size over limit" },
    { "webauthn_att_object",
      "attestationObject lacks fmt, attStmt or authData, or has others" },
    { "webauthn_auth_data",
      "authenticatorData truncated, with trailing bytes or wrong flags" },
    { "webauthn_rp_id_hash", "rpIdHash does not match the RP ID" },
    { "webauthn_up", "user present flag not set" },
    { "webauthn_uv", "user verified flag not set but required" },
    { "webauthn_flags", "backup state flag set without backup eligibility" },
    { "webauthn_no_credential", "no attested credential data" },
    { "webauthn_cred_id", "credential id empty or longer than 1023 bytes" },
    { "webauthn_cose_key", "credential public key malformed" },
    { "webauthn_alg", "public key algorithm not supported or not allowed" },
    { "webauthn_key_size", "RSA key outside 2048..8192 bits" },
    { "webauthn_fmt", "attestation format not supported" },
    { "webauthn_att_stmt", "attestation statement malformed" },
    { "webauthn_att_alg", "attestation alg does not fit the key" },
    { "webauthn_att_sig", "attestation signature invalid" },
    { "webauthn_att_cert",
      "attestation certificate unreadable or not as spec 8.2.1 requires" },
    { "webauthn_att_aaguid",
      "attestation certificate AAGUID differs from authenticatorData" },
    { "webauthn_signature", "assertion signature invalid" },
    { "webauthn_sign_count",
      "signature counter did not increase (cloned authenticator?)" },
    { "webauthn_user_handle", "userHandle missing or too long" },
    { "webauthn_stored_key", "stored public key unreadable or alg differs" }
};

/* Parsed authenticatorData (pointers into the caller's buffer). */
typedef struct {
    const unsigned char *rp_id_hash;  /* 32 bytes                          */
    unsigned int flags;               /* JC_WA_FLAG_* bits                 */
    unsigned long sign_count;         /* big-endian uint32 counter         */
    const unsigned char *aaguid;      /* 16 bytes, NULL without AT         */
    const unsigned char *cred_id;     /* credential id, NULL without AT    */
    size_t cred_id_len;               /* its length                        */
    const unsigned char *cose_key;    /* encoded COSE_Key, NULL without AT */
    size_t cose_key_len;              /* its length                        */
    cbor_item_t *cose_map;            /* decoded COSE_Key (pool-owned)     */
} jc_wa_authdata_t;


const char *jc_webauthn_err_code(jc_wa_err_e err)
{
    if ((int)err < 0 || err >= JC_WA_ERR_COUNT_) {
        return "webauthn_unknown";
    }
    return jc_wa_errtexts[err].code;
}

const char *jc_webauthn_err_log(jc_wa_err_e err)
{
    if ((int)err < 0 || err >= JC_WA_ERR_COUNT_) {
        return "unknown WebAuthn error";
    }
    return jc_wa_errtexts[err].log;
}

/* ---------------------------------------------------------------------
 * base64url and challenges
 */

const char *jc_webauthn_b64u_encode(const unsigned char *data, size_t len,
                                    apr_pool_t *p)
{
    return jc_b64u_encode(data, len, p);
}

apr_status_t jc_webauthn_b64u_decode(const unsigned char **out,
                                     size_t *out_len, const char *s,
                                     size_t max_len, apr_pool_t *p)
{
    return jc_b64u_decode(out, out_len, s, max_len, p);
}

apr_status_t jc_webauthn_challenge_new(const unsigned char **raw,
                                       const char **b64u, apr_pool_t *p)
{
    unsigned char *buf;

    if (raw == NULL || b64u == NULL || p == NULL) {
        return APR_EINVAL;
    }
    *raw = NULL;
    *b64u = NULL;
    buf = apr_palloc(p, JC_WA_CHALLENGE_LEN);
    if (RAND_bytes(buf, JC_WA_CHALLENGE_LEN) != 1) {
        ERR_clear_error();
        return APR_EGENERAL;
    }
    *raw = buf;
    *b64u = jc_webauthn_b64u_encode(buf, JC_WA_CHALLENGE_LEN, p);
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------------
 * shared helpers
 */

/* 1 if exp has what both ceremonies need. */
static int jc_wa_expect_ok(const jc_wa_expect_t *exp)
{
    return exp != NULL && exp->rp_id != NULL && exp->rp_id[0] != '\0'
           && exp->origins != NULL && exp->challenge != NULL
           && exp->challenge_len >= JC_WA_CHALLENGE_MIN
           && exp->challenge_len <= JC_WA_CHALLENGE_MAX;
}

static jc_wa_err_e jc_wa_cbor_err(jc_cbor_rc_e rc)
{
    switch (rc) {
    case JC_CBOR_OK:
        return JC_WA_OK;
    case JC_CBOR_ERR_TRAILING:
        return JC_WA_ERR_CBOR_TRAILING;
    case JC_CBOR_ERR_DUPLICATE:
        return JC_WA_ERR_CBOR_DUPLICATE;
    case JC_CBOR_ERR_UNSUPPORTED:
        return JC_WA_ERR_CBOR_UNSUPPORTED;
    case JC_CBOR_ERR_LIMIT:
        return JC_WA_ERR_CBOR_LIMIT;
    case JC_CBOR_ERR_NOMEM:
        return JC_WA_ERR_INTERNAL;
    default:
        return JC_WA_ERR_CBOR;
    }
}

static jc_wa_err_e jc_wa_cose_err(jc_cose_rc_e rc)
{
    switch (rc) {
    case JC_COSE_OK:
        return JC_WA_OK;
    case JC_COSE_ERR_ALG:
        return JC_WA_ERR_ALG;
    case JC_COSE_ERR_KEY_SIZE:
        return JC_WA_ERR_KEY_SIZE;
    case JC_COSE_ERR_INTERNAL:
        return JC_WA_ERR_INTERNAL;
    default:
        return JC_WA_ERR_COSE_KEY;
    }
}

static int jc_wa_sha256(unsigned char *md, const void *data, size_t len)
{
    unsigned int n = 0;

    return EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) == 1
           && n == JC_WA_HASH_LEN;
}

/* authData || clientDataHash, the message of every WebAuthn signature. */
static unsigned char *jc_wa_signed_msg(size_t *len, const unsigned char *ad,
                                       size_t ad_len,
                                       const unsigned char *cd_hash,
                                       apr_pool_t *p)
{
    unsigned char *m = apr_palloc(p, ad_len + JC_WA_HASH_LEN);

    memcpy(m, ad, ad_len);
    memcpy(m + ad_len, cd_hash, JC_WA_HASH_LEN);
    *len = ad_len + JC_WA_HASH_LEN;
    return m;
}

/* ---------------------------------------------------------------------
 * clientDataJSON
 */

/* 1 if the JSON string value v (n bytes) is one of the allowed origins. */
static int jc_wa_origin_allowed(const char *const *origins, const char *v,
                                size_t n)
{
    int i;

    for (i = 0; i < JC_WA_MAX_ORIGINS && origins[i] != NULL; i++) {
        if (strlen(origins[i]) == n && memcmp(origins[i], v, n) == 0) {
            return 1;
        }
    }
    return 0;
}

jc_wa_err_e jc_webauthn_client_data_check(unsigned char *hash,
                                          const jc_wa_expect_t *exp,
                                          const char *type,
                                          const unsigned char *data,
                                          size_t len)
{
    unsigned char chal[JC_WA_CHALLENGE_MAX];
    size_t chal_len = 0;
    json_error_t jerr;
    json_t *root, *v;
    jc_wa_err_e rc = JC_WA_ERR_CLIENT_DATA;

    if (hash == NULL || !jc_wa_expect_ok(exp) || type == NULL
        || (data == NULL && len > 0)) {
        return JC_WA_ERR_ARGS;
    }
    if (len > JC_WA_MAX_CLIENT_DATA) {
        return JC_WA_ERR_TOO_LARGE;
    }
    if (len == 0) {
        return JC_WA_ERR_CLIENT_DATA;
    }
    /* Parsed, never compared as text: key order, escaped slashes and
     * unknown members (extraData) do not matter; duplicates do. */
    root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        goto out;
    }
    v = json_object_get(root, "type");
    if (!json_is_string(v)) {
        goto out;
    }
    if (json_string_length(v) != strlen(type)
        || memcmp(json_string_value(v), type, strlen(type)) != 0) {
        rc = JC_WA_ERR_TYPE;
        goto out;
    }
    v = json_object_get(root, "challenge");
    if (!json_is_string(v)) {
        goto out;
    }
    if (!jc_b64u_decode_into(chal, sizeof(chal), &chal_len, json_string_value(v),
                        json_string_length(v))
        || chal_len != exp->challenge_len
        || CRYPTO_memcmp(chal, exp->challenge, chal_len) != 0) {
        rc = JC_WA_ERR_CHALLENGE;
        goto out;
    }
    v = json_object_get(root, "origin");
    if (!json_is_string(v)) {
        goto out;
    }
    if (!jc_wa_origin_allowed(exp->origins, json_string_value(v),
                              json_string_length(v))) {
        rc = JC_WA_ERR_ORIGIN;
        goto out;
    }
    /* Only top-level, same-origin use of the portal is supported. */
    if (json_object_get(root, "topOrigin") != NULL) {
        rc = JC_WA_ERR_TOP_ORIGIN;
        goto out;
    }
    v = json_object_get(root, "crossOrigin");
    if (v != NULL && !json_is_boolean(v)) {
        goto out;
    }
    if (json_is_true(v)) {
        rc = JC_WA_ERR_CROSS_ORIGIN;
        goto out;
    }
    rc = jc_wa_sha256(hash, data, len) ? JC_WA_OK : JC_WA_ERR_INTERNAL;
out:
    json_decref(root);
    OPENSSL_cleanse(chal, sizeof(chal));
    return rc;
}

/* ---------------------------------------------------------------------
 * authenticatorData
 */

/* Parse authenticatorData (spec 6.1): fixed part, attested credential
 * data if AT (credential id <= 1023 bytes, COSE_Key decoded; its encoded
 * length tells where the extensions start), extensions if ED (one CBOR
 * map), and nothing after that. */
static jc_wa_err_e jc_wa_authdata_parse(jc_wa_authdata_t *ad,
                                        const unsigned char *b, size_t len,
                                        apr_pool_t *p)
{
    size_t pos = JC_WA_AD_MIN_LEN, used = 0;
    jc_cbor_rc_e crc;

    memset(ad, 0, sizeof(*ad));
    if (len > JC_WA_MAX_AUTH_DATA) {
        return JC_WA_ERR_TOO_LARGE;
    }
    if (b == NULL || len < JC_WA_AD_MIN_LEN) {
        return JC_WA_ERR_AUTH_DATA;
    }
    ad->rp_id_hash = b;
    ad->flags = b[32];
    ad->sign_count = ((unsigned long)b[33] << 24) | ((unsigned long)b[34] << 16)
                     | ((unsigned long)b[35] << 8) | b[36];
    if (ad->flags & JC_WA_FLAG_AT) {
        if (len - pos < JC_WA_AD_ACD_MIN) {
            return JC_WA_ERR_AUTH_DATA;
        }
        ad->aaguid = b + pos;
        ad->cred_id_len = ((size_t)b[pos + 16] << 8) | b[pos + 17];
        pos += JC_WA_AD_ACD_MIN;
        if (ad->cred_id_len == 0 || ad->cred_id_len > JC_WA_MAX_CRED_ID) {
            return JC_WA_ERR_CRED_ID;
        }
        if (ad->cred_id_len > len - pos) {
            return JC_WA_ERR_AUTH_DATA;
        }
        ad->cred_id = b + pos;
        pos += ad->cred_id_len;
        crc = jc_cbor_decode(&ad->cose_map, &used, b + pos, len - pos, 0, p);
        if (crc != JC_CBOR_OK) {
            return jc_wa_cbor_err(crc);
        }
        ad->cose_key = b + pos;
        ad->cose_key_len = used;
        pos += used;
    }
    if (ad->flags & JC_WA_FLAG_ED) {
        /* Only checked to be one well-formed map: no extension is
         * processed, but its end must be exactly the end of authData. */
        if (pos == len || (b[pos] >> 5) != 5) {
            return JC_WA_ERR_AUTH_DATA;
        }
        crc = jc_cbor_check(&used, b + pos, len - pos);
        if (crc != JC_CBOR_OK) {
            return jc_wa_cbor_err(crc);
        }
        pos += used;
    }
    return pos == len ? JC_WA_OK : JC_WA_ERR_AUTH_DATA;
}

/* Checks common to both ceremonies: rpIdHash, UP, UV, BE/BS. */
static jc_wa_err_e jc_wa_authdata_check(const jc_wa_authdata_t *ad,
                                        const jc_wa_expect_t *exp)
{
    unsigned char h[JC_WA_HASH_LEN];

    if (!jc_wa_sha256(h, exp->rp_id, strlen(exp->rp_id))) {
        return JC_WA_ERR_INTERNAL;
    }
    if (CRYPTO_memcmp(h, ad->rp_id_hash, JC_WA_HASH_LEN) != 0) {
        return JC_WA_ERR_RP_ID_HASH;
    }
    if (!(ad->flags & JC_WA_FLAG_UP)) {
        return JC_WA_ERR_UP;
    }
    if (exp->require_uv && !(ad->flags & JC_WA_FLAG_UV)) {
        return JC_WA_ERR_UV;
    }
    if ((ad->flags & JC_WA_FLAG_BS) && !(ad->flags & JC_WA_FLAG_BE)) {
        return JC_WA_ERR_FLAGS;
    }
    return JC_WA_OK;
}

/* ---------------------------------------------------------------------
 * attestation statements
 */

/* 1 if name has exactly one entry of nid and it is non-empty; with want
 * != NULL it must also equal want. */
static int jc_wa_name_entry(X509_NAME *name, int nid, const char *want)
{
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    const ASN1_STRING *s;

    if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0) {
        return 0;
    }
    s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    if (s == NULL || ASN1_STRING_length(s) <= 0) {
        return 0;
    }
    return want == NULL
           || ((size_t)ASN1_STRING_length(s) == strlen(want)
               && memcmp(ASN1_STRING_get0_data(s), want, strlen(want)) == 0);
}

/* The offline-checkable requirements of spec 8.2.1 on the attestation
 * certificate, and its AAGUID extension against authData's. */
static jc_wa_err_e jc_wa_cert_check(X509 *cert, const unsigned char *aaguid)
{
    X509_NAME *subj = X509_get_subject_name(cert);
    BASIC_CONSTRAINTS *bc;
    ASN1_OBJECT *oid;
    X509_EXTENSION *ext;
    const ASN1_OCTET_STRING *val;
    ASN1_OCTET_STRING *inner = NULL;
    const unsigned char *q;
    jc_wa_err_e rc = JC_WA_ERR_ATT_CERT;
    int crit = -1, idx;

    if (X509_get_version(cert) != X509_VERSION_3 || subj == NULL
        || !jc_wa_name_entry(subj, NID_countryName, NULL)
        || !jc_wa_name_entry(subj, NID_organizationName, NULL)
        || !jc_wa_name_entry(subj, NID_commonName, NULL)
        || !jc_wa_name_entry(subj, NID_organizationalUnitName,
                             JC_WA_OU_ATTESTATION)) {
        return JC_WA_ERR_ATT_CERT;
    }
    /* Basic constraints: absent means not a CA; present must say so. */
    bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
    if (bc == NULL && crit != -1) {
        return JC_WA_ERR_ATT_CERT;          /* unreadable or repeated */
    }
    if (bc != NULL) {
        int ca = bc->ca;

        BASIC_CONSTRAINTS_free(bc);
        if (ca) {
            return JC_WA_ERR_ATT_CERT;
        }
    }
    oid = OBJ_txt2obj(JC_WA_OID_AAGUID, 1);
    if (oid == NULL) {
        return JC_WA_ERR_INTERNAL;
    }
    idx = X509_get_ext_by_OBJ(cert, oid, -1);
    if (idx < 0) {
        rc = JC_WA_OK;                      /* optional extension      */
        goto out;
    }
    ext = X509_get_ext(cert, idx);
    if (X509_get_ext_by_OBJ(cert, oid, idx) >= 0 || ext == NULL
        || X509_EXTENSION_get_critical(ext)) {
        goto out;
    }
    /* extnValue holds the DER of an OCTET STRING of 16 bytes. */
    val = X509_EXTENSION_get_data(ext);
    q = ASN1_STRING_get0_data(val);
    inner = d2i_ASN1_OCTET_STRING(NULL, &q, ASN1_STRING_length(val));
    if (inner == NULL
        || q != ASN1_STRING_get0_data(val) + ASN1_STRING_length(val)
        || ASN1_STRING_length(inner) != JC_WA_AAGUID_LEN) {
        goto out;
    }
    rc = memcmp(ASN1_STRING_get0_data(inner), aaguid, JC_WA_AAGUID_LEN) == 0
         ? JC_WA_OK : JC_WA_ERR_ATT_AAGUID;
out:
    ASN1_OCTET_STRING_free(inner);
    ASN1_OBJECT_free(oid);
    return rc;
}

/* Packed attestation with x5c (spec 8.2 verification, "basic"): the
 * signature by the leaf certificate's key and the certificate checks. */
static jc_wa_err_e jc_wa_packed_x5c(const cbor_item_t *x5c, int alg,
                                    const unsigned char *msg, size_t msg_len,
                                    const unsigned char *sig, size_t sig_len,
                                    const unsigned char *aaguid)
{
    cbor_item_t **certs;
    const unsigned char *der, *q;
    size_t n, i, der_len;
    X509 *leaf;
    EVP_PKEY *pk;
    jc_wa_err_e rc;

    if (!cbor_isa_array(x5c)) {
        return JC_WA_ERR_ATT_STMT;
    }
    n = cbor_array_size(x5c);
    certs = cbor_array_handle(x5c);
    if (n == 0 || n > JC_WA_MAX_X5C) {
        return JC_WA_ERR_ATT_STMT;
    }
    for (i = 0; i < n; i++) {
        if (!jc_cbor_bytes(&der, &der_len, certs[i]) || der_len == 0) {
            return JC_WA_ERR_ATT_STMT;
        }
    }
    (void)jc_cbor_bytes(&der, &der_len, certs[0]);
    q = der;
    leaf = d2i_X509(NULL, &q, (long)der_len);
    if (leaf == NULL || q != der + der_len) {
        X509_free(leaf);
        ERR_clear_error();
        return JC_WA_ERR_ATT_CERT;
    }
    pk = X509_get0_pubkey(leaf);
    if (pk == NULL) {
        rc = JC_WA_ERR_ATT_CERT;
    }
    else if (!jc_cose_alg_fits(pk, alg)) {
        rc = JC_WA_ERR_ATT_ALG;
    }
    else if (!jc_cose_verify(pk, alg, msg, msg_len, sig, sig_len)) {
        rc = JC_WA_ERR_ATT_SIG;
    }
    else {
        rc = jc_wa_cert_check(leaf, aaguid);
    }
    X509_free(leaf);
    ERR_clear_error();
    return rc;
}

/* The "packed" format (spec 8.2): self attestation or x5c ("basic"). */
static jc_wa_err_e jc_wa_packed(jc_wa_att_type_e *type,
                                const cbor_item_t *stmt,
                                const jc_wa_authdata_t *ad,
                                const unsigned char *ad_bytes, size_t ad_len,
                                const unsigned char *cd_hash,
                                EVP_PKEY *cred_key, int cred_alg,
                                apr_pool_t *p)
{
    cbor_item_t *x5c = jc_cbor_map_text(stmt, "x5c");
    const unsigned char *sig, *msg;
    size_t sig_len, msg_len, want = x5c != NULL ? 3 : 2;
    int64_t alg;

    /* alg and sig, and x5c for basic attestation; nothing else
     * (ecdaaKeyId is gone from Level 3). */
    if (cbor_map_size(stmt) != want
        || !jc_cbor_int(&alg, jc_cbor_map_text(stmt, "alg"))
        || !jc_cbor_bytes(&sig, &sig_len, jc_cbor_map_text(stmt, "sig"))
        || sig_len == 0 || sig_len > JC_WA_MAX_SIGNATURE) {
        return JC_WA_ERR_ATT_STMT;
    }
    if (alg != JC_WA_ALG_ES256 && alg != JC_WA_ALG_RS256
        && alg != JC_WA_ALG_EDDSA) {
        return JC_WA_ERR_ATT_ALG;
    }
    msg = jc_wa_signed_msg(&msg_len, ad_bytes, ad_len, cd_hash, p);
    if (x5c != NULL) {
        *type = JC_WA_ATT_BASIC;
        return jc_wa_packed_x5c(x5c, (int)alg, msg, msg_len, sig, sig_len,
                                ad->aaguid);
    }
    *type = JC_WA_ATT_SELF;
    if (alg != cred_alg) {
        return JC_WA_ERR_ATT_ALG;
    }
    if (!jc_cose_verify(cred_key, cred_alg, msg, msg_len, sig, sig_len)) {
        return JC_WA_ERR_ATT_SIG;
    }
    return JC_WA_OK;
}

/* 1 if alg is in the 0-terminated list algs (NULL allows all). */
static int jc_wa_alg_allowed(const int *algs, int alg)
{
    int i;

    if (algs == NULL) {
        return 1;
    }
    for (i = 0; i < 16 && algs[i] != 0; i++) {
        if (algs[i] == alg) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * ceremonies
 */

/* The verified credential (cred->fmt is set by the caller) from the
 * authenticator data. */
static void cred_fill(jc_wa_credential_t *cred, const jc_wa_authdata_t *ad,
                      int alg, jc_wa_att_type_e type, apr_pool_t *p)
{
    cred->cred_id = apr_pmemdup(p, ad->cred_id, ad->cred_id_len);
    cred->cred_id_len = ad->cred_id_len;
    cred->cred_id_b64u = jc_webauthn_b64u_encode(ad->cred_id,
                                                 ad->cred_id_len, p);
    cred->public_key_b64u = jc_webauthn_b64u_encode(ad->cose_key,
                                                    ad->cose_key_len, p);
    cred->alg = alg;
    cred->sign_count = ad->sign_count;
    memcpy(cred->aaguid, ad->aaguid, JC_WA_AAGUID_LEN);
    cred->flags = ad->flags;
    cred->att_type = type;
}

jc_wa_err_e jc_webauthn_attestation_check(jc_wa_credential_t *cred,
                                          const jc_wa_expect_t *exp,
                                          const unsigned char *cd_hash,
                                          const unsigned char *att_obj,
                                          size_t att_obj_len, apr_pool_t *p)
{
    cbor_item_t *top, *fmt, *stmt, *adi;
    const unsigned char *ad_bytes;
    size_t ad_len;
    jc_wa_authdata_t ad;
    jc_wa_att_type_e type = JC_WA_ATT_NONE;
    EVP_PKEY *key;
    jc_wa_err_e rc;
    int alg;

    if (cred == NULL) {
        return JC_WA_ERR_ARGS;
    }
    memset(cred, 0, sizeof(*cred));
    if (!jc_wa_expect_ok(exp) || cd_hash == NULL || att_obj == NULL
        || p == NULL) {
        return JC_WA_ERR_ARGS;
    }
    if (att_obj_len > JC_WA_MAX_ATT_OBJECT) {
        return JC_WA_ERR_TOO_LARGE;
    }
    rc = jc_wa_cbor_err(jc_cbor_decode(&top, NULL, att_obj, att_obj_len, 1,
                                       p));
    if (rc != JC_WA_OK) {
        return rc;
    }
    /* libcbor's accessors assert on the item type: check it first. */
    if (!cbor_isa_map(top)) {
        return JC_WA_ERR_ATT_OBJECT;
    }
    fmt = jc_cbor_map_text(top, "fmt");
    stmt = jc_cbor_map_text(top, "attStmt");
    adi = jc_cbor_map_text(top, "authData");
    if (cbor_map_size(top) != 3 || fmt == NULL || !cbor_isa_string(fmt)
        || stmt == NULL || !cbor_isa_map(stmt)
        || !jc_cbor_bytes(&ad_bytes, &ad_len, adi)) {
        return JC_WA_ERR_ATT_OBJECT;
    }
    rc = jc_wa_authdata_parse(&ad, ad_bytes, ad_len, p);
    if (rc == JC_WA_OK) {
        rc = jc_wa_authdata_check(&ad, exp);
    }
    if (rc != JC_WA_OK) {
        return rc;
    }
    if (!(ad.flags & JC_WA_FLAG_AT)) {
        return JC_WA_ERR_NO_CREDENTIAL;
    }
    rc = jc_wa_cose_err(jc_cose_key_load(&key, &alg, ad.cose_map, p));
    if (rc != JC_WA_OK) {
        return rc;
    }
    if (!jc_wa_alg_allowed(exp->algs, alg)) {
        return JC_WA_ERR_ALG;
    }
    if (jc_cbor_text_is(fmt, "none")) {
        if (cbor_map_size(stmt) != 0) {
            return JC_WA_ERR_ATT_STMT;
        }
        cred->fmt = "none";
    }
    else if (jc_cbor_text_is(fmt, "packed")) {
        rc = jc_wa_packed(&type, stmt, &ad, ad_bytes, ad_len, cd_hash, key,
                          alg, p);
        if (rc != JC_WA_OK) {
            return rc;
        }
        cred->fmt = "packed";
    }
    else {
        return JC_WA_ERR_FMT;
    }
    cred_fill(cred, &ad, alg, type, p);
    return JC_WA_OK;
}

jc_wa_err_e jc_webauthn_register_verify(jc_wa_credential_t *cred,
                                        const jc_wa_expect_t *exp,
                                        const unsigned char *client_data,
                                        size_t client_data_len,
                                        const unsigned char *att_obj,
                                        size_t att_obj_len, apr_pool_t *p)
{
    unsigned char hash[JC_WA_HASH_LEN];
    jc_wa_err_e rc;

    if (cred == NULL) {
        return JC_WA_ERR_ARGS;
    }
    memset(cred, 0, sizeof(*cred));
    rc = jc_webauthn_client_data_check(hash, exp, "webauthn.create",
                                       client_data, client_data_len);
    if (rc != JC_WA_OK) {
        return rc;
    }
    return jc_webauthn_attestation_check(cred, exp, hash, att_obj,
                                         att_obj_len, p);
}

/* Load the stored credential key and check it has the stored alg. */
static jc_wa_err_e jc_wa_stored_key(EVP_PKEY **key,
                                    const jc_wa_credential_t *stored,
                                    apr_pool_t *p)
{
    const unsigned char *cose;
    size_t cose_len;
    cbor_item_t *map;
    int alg;

    *key = NULL;
    if (jc_webauthn_b64u_decode(&cose, &cose_len, stored->public_key_b64u,
                                JC_CBOR_MAX_INPUT, p) != APR_SUCCESS
        || jc_cbor_decode(&map, NULL, cose, cose_len, 1, p) != JC_CBOR_OK
        || jc_cose_key_load(key, &alg, map, p) != JC_COSE_OK
        || alg != stored->alg) {
        *key = NULL;
        return JC_WA_ERR_STORED_KEY;
    }
    return JC_WA_OK;
}

jc_wa_err_e jc_webauthn_assert_verify(jc_wa_assertion_t *out,
                                      const jc_wa_expect_t *exp,
                                      const jc_wa_credential_t *stored,
                                      const jc_wa_assert_in_t *in,
                                      apr_pool_t *p)
{
    unsigned char hash[JC_WA_HASH_LEN];
    const unsigned char *msg;
    size_t msg_len;
    jc_wa_authdata_t ad;
    EVP_PKEY *key;
    jc_wa_err_e rc;

    if (out == NULL) {
        return JC_WA_ERR_ARGS;
    }
    memset(out, 0, sizeof(*out));
    if (!jc_wa_expect_ok(exp) || stored == NULL || in == NULL || p == NULL
        || stored->public_key_b64u == NULL || in->auth_data == NULL
        || in->sig == NULL
        || (in->user_handle == NULL && in->user_handle_len > 0)) {
        return JC_WA_ERR_ARGS;
    }
    if (in->auth_data_len > JC_WA_MAX_AUTH_DATA
        || in->sig_len > JC_WA_MAX_SIGNATURE) {
        return JC_WA_ERR_TOO_LARGE;
    }
    if (in->user_handle_len > JC_WA_MAX_USER_HANDLE
        || (exp->require_user_handle && in->user_handle_len == 0)) {
        return JC_WA_ERR_USER_HANDLE;
    }
    rc = jc_webauthn_client_data_check(hash, exp, "webauthn.get",
                                       in->client_data, in->client_data_len);
    if (rc != JC_WA_OK) {
        return rc;
    }
    rc = jc_wa_stored_key(&key, stored, p);
    if (rc != JC_WA_OK) {
        return rc;
    }
    rc = jc_wa_authdata_parse(&ad, in->auth_data, in->auth_data_len, p);
    if (rc == JC_WA_OK && (ad.flags & JC_WA_FLAG_AT)) {
        rc = JC_WA_ERR_AUTH_DATA;   /* get() never attests a credential */
    }
    if (rc == JC_WA_OK) {
        rc = jc_wa_authdata_check(&ad, exp);
    }
    if (rc != JC_WA_OK) {
        return rc;
    }
    msg = jc_wa_signed_msg(&msg_len, in->auth_data, in->auth_data_len, hash,
                           p);
    if (!jc_cose_verify(key, stored->alg, msg, msg_len, in->sig,
                        in->sig_len)) {
        return JC_WA_ERR_SIGNATURE;
    }
    out->sign_count = ad.sign_count;
    out->flags = ad.flags;
    if (in->user_handle_len > 0) {
        out->user_handle = apr_pmemdup(p, in->user_handle,
                                       in->user_handle_len);
        out->user_handle_len = in->user_handle_len;
    }
    /* Spec 7.2 step 22: a counter in use must grow. */
    if ((stored->sign_count != 0 || ad.sign_count != 0)
        && ad.sign_count <= stored->sign_count) {
        return JC_WA_ERR_SIGN_COUNT;
    }
    return JC_WA_OK;
}

/* WebAuthn Level 3 relying-party verification (server side): the
 * registration ceremony (spec 7.1, attestation formats "none" and "packed"),
 * the authentication ceremony (7.2), challenges and base64url helpers.
 *
 * The caller (API glue) keeps the issued challenge server-side, decodes
 * the base64url fields of the browser's JSON, looks credentials up and
 * stores them; this file only checks bytes. Every failure is a stable
 * jc_wa_err_e with a short English log text (jc_webauthn_err_log()).
 * Core: no httpd headers. */
#ifndef JC_WEBAUTHN_H
#define JC_WEBAUTHN_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_errno.h>

#define JC_WA_CHALLENGE_LEN       32     /* bytes of a new challenge      */
#define JC_WA_CHALLENGE_MIN       16     /* shortest challenge accepted   */
#define JC_WA_CHALLENGE_MAX       64     /* longest challenge accepted    */
#define JC_WA_MAX_CLIENT_DATA     8192   /* cap on clientDataJSON bytes   */
#define JC_WA_MAX_ATT_OBJECT      65536  /* cap on attestationObject      */
#define JC_WA_MAX_AUTH_DATA       65536  /* cap on authenticatorData      */
#define JC_WA_MAX_SIGNATURE       1024   /* cap on an assertion signature */
#define JC_WA_MAX_USER_HANDLE     64     /* user.id is at most 64 bytes   */
#define JC_WA_MAX_CRED_ID         1023   /* longest credential id (7.1)   */
#define JC_WA_AAGUID_LEN          16     /* bytes of an AAGUID            */
#define JC_WA_HASH_LEN            32     /* SHA-256 output bytes          */

/* authenticatorData flag bits (spec 6.1). */
#define JC_WA_FLAG_UP  0x01   /* user present                            */
#define JC_WA_FLAG_UV  0x04   /* user verified                           */
#define JC_WA_FLAG_BE  0x08   /* backup eligible                         */
#define JC_WA_FLAG_BS  0x10   /* backup state (backed up)                */
#define JC_WA_FLAG_AT  0x40   /* attested credential data included       */
#define JC_WA_FLAG_ED  0x80   /* extension data included                 */

/* COSE algorithms (values as in the COSE registry). */
#define JC_WA_ALG_ES256  (-7)
#define JC_WA_ALG_EDDSA  (-8)
#define JC_WA_ALG_RS256  (-257)

/* Why a verification failed. The numbers are stable (logged, mapped to
 * German messages by the API layer); add new codes at the end only. */
typedef enum {
    JC_WA_OK = 0,                /* verified                              */
    JC_WA_ERR_INTERNAL = 1,      /* allocation or crypto library failure  */
    JC_WA_ERR_ARGS = 2,          /* caller passed missing/invalid input   */
    JC_WA_ERR_TOO_LARGE = 3,     /* an input is over its size cap         */
    JC_WA_ERR_CLIENT_DATA = 4,   /* clientDataJSON not a JSON object,
                                  * duplicate keys, member missing or of
                                  * the wrong type                        */
    JC_WA_ERR_TYPE = 5,          /* clientData type is not the ceremony's */
    JC_WA_ERR_CHALLENGE = 6,     /* challenge differs from the issued one */
    JC_WA_ERR_ORIGIN = 7,        /* origin not in the allowed list        */
    JC_WA_ERR_CROSS_ORIGIN = 8,  /* crossOrigin is true                   */
    JC_WA_ERR_TOP_ORIGIN = 9,    /* topOrigin present (cross-origin frame) */
    JC_WA_ERR_CBOR = 10,         /* CBOR malformed or truncated           */
    JC_WA_ERR_CBOR_TRAILING = 11, /* bytes after the CBOR item            */
    JC_WA_ERR_CBOR_DUPLICATE = 12, /* a map key appears twice             */
    JC_WA_ERR_CBOR_UNSUPPORTED = 13, /* indefinite length, tag, odd key   */
    JC_WA_ERR_CBOR_LIMIT = 14,   /* nesting or container size over limit  */
    JC_WA_ERR_ATT_OBJECT = 15,   /* fmt/attStmt/authData missing, extra
                                  * or of the wrong type                  */
    JC_WA_ERR_AUTH_DATA = 16,    /* authenticatorData truncated, trailing
                                  * bytes, or AT/ED flags not matching    */
    JC_WA_ERR_RP_ID_HASH = 17,   /* rpIdHash is not SHA-256 of the RP ID  */
    JC_WA_ERR_UP = 18,           /* user-present flag not set             */
    JC_WA_ERR_UV = 19,           /* user-verified flag required, not set  */
    JC_WA_ERR_FLAGS = 20,        /* backup state set without eligibility  */
    JC_WA_ERR_NO_CREDENTIAL = 21, /* registration without attested
                                   * credential data                      */
    JC_WA_ERR_CRED_ID = 22,      /* credential id empty or > 1023 bytes   */
    JC_WA_ERR_COSE_KEY = 23,     /* credential public key malformed       */
    JC_WA_ERR_ALG = 24,          /* key algorithm not supported/allowed   */
    JC_WA_ERR_KEY_SIZE = 25,     /* RSA key shorter than 2048 bits        */
    JC_WA_ERR_FMT = 26,          /* attestation format not supported      */
    JC_WA_ERR_ATT_STMT = 27,     /* attStmt malformed for its format      */
    JC_WA_ERR_ATT_ALG = 28,      /* attStmt alg does not fit the key      */
    JC_WA_ERR_ATT_SIG = 29,      /* attestation signature invalid         */
    JC_WA_ERR_ATT_CERT = 30,     /* attestation certificate unreadable or
                                  * not as required by spec 8.2.1         */
    JC_WA_ERR_ATT_AAGUID = 31,   /* certificate AAGUID != authData AAGUID */
    JC_WA_ERR_SIGNATURE = 32,    /* assertion signature invalid           */
    JC_WA_ERR_SIGN_COUNT = 33,   /* signature counter did not increase:
                                  * possibly a cloned authenticator       */
    JC_WA_ERR_USER_HANDLE = 34,  /* userHandle required but missing, or
                                  * longer than 64 bytes                  */
    JC_WA_ERR_STORED_KEY = 35,   /* stored public key unreadable or its
                                  * alg differs from the stored alg       */
    JC_WA_ERR_COUNT_ = 36        /* number of codes (not an error)        */
} jc_wa_err_e;

/* How the attestation was made (spec 6.5.4). */
typedef enum {
    JC_WA_ATT_NONE = 0,          /* fmt "none": no attestation            */
    JC_WA_ATT_SELF = 1,          /* "packed" signed by the credential key */
    JC_WA_ATT_BASIC = 2          /* "packed" with x5c; no trust chain is
                                  * checked, so the caller must not treat
                                  * it as proof of the authenticator model */
} jc_wa_att_type_e;

/* What the relying party expects; the same for both ceremonies. */
typedef struct {
    const char *rp_id;               /* RP ID, e.g. "portal.example.de"   */
    const char *const *origins;      /* allowed origins, NULL-terminated,
                                      * e.g. "https://portal.example.de"  */
    const unsigned char *challenge;  /* the challenge bytes issued        */
    size_t challenge_len;            /* their number (16..64)             */
    int require_uv;                  /* 1: the UV flag must be set        */
    int require_user_handle;         /* authentication only: 1 when no
                                      * user was named (passwordless)     */
    const int *algs;                 /* registration only: allowed COSE
                                      * algs, 0-terminated; NULL = all of
                                      * ES256, EdDSA, RS256               */
} jc_wa_expect_t;

/* A credential: what a registration yields and what the caller keeps in
 * the database (cred_id_b64u, public_key_b64u, alg, sign_count) to pass
 * back for authentication. */
typedef struct {
    const unsigned char *cred_id;   /* credential id bytes (in the pool)  */
    size_t cred_id_len;             /* 1..1023                            */
    const char *cred_id_b64u;       /* the same, base64url, no padding    */
    const char *public_key_b64u;    /* COSE_Key bytes as sent by the
                                     * authenticator, base64url: store it */
    int alg;                        /* COSE alg of the key (-7, -8, -257) */
    unsigned long sign_count;       /* signature counter (32 bits)        */
    unsigned char aaguid[JC_WA_AAGUID_LEN]; /* authenticator model (may be
                                             * all zero)                  */
    unsigned int flags;             /* authData flags (JC_WA_FLAG_*)      */
    const char *fmt;                /* attestation format: "none" or
                                     * "packed"                           */
    jc_wa_att_type_e att_type;      /* none, self or basic                */
} jc_wa_credential_t;

/* A verified assertion. */
typedef struct {
    unsigned long sign_count;          /* the new counter: store it        */
    unsigned int flags;                /* authData flags (JC_WA_FLAG_*)    */
    const unsigned char *user_handle;  /* userHandle bytes or NULL         */
    size_t user_handle_len;            /* their number (0 if none)         */
} jc_wa_assertion_t;

/* The authenticator's response to navigator.credentials.get(), decoded
 * from base64url by the caller. */
typedef struct {
    const unsigned char *client_data;  /* clientDataJSON bytes             */
    size_t client_data_len;            /* their number                     */
    const unsigned char *auth_data;    /* authenticatorData bytes          */
    size_t auth_data_len;              /* their number                     */
    const unsigned char *sig;          /* signature bytes                  */
    size_t sig_len;                    /* their number                     */
    const unsigned char *user_handle;  /* userHandle bytes, or NULL        */
    size_t user_handle_len;            /* their number                     */
} jc_wa_assert_in_t;

/* A fresh challenge: JC_WA_CHALLENGE_LEN bytes from RAND_bytes in *raw
 * and their base64url form (43 characters) in *b64u, both in p.
 * APR_EGENERAL if the RNG fails. */
apr_status_t jc_webauthn_challenge_new(const unsigned char **raw,
                                       const char **b64u, apr_pool_t *p);

/* Encode len bytes as base64url without padding (NUL-terminated, in p). */
const char *jc_webauthn_b64u_encode(const unsigned char *data, size_t len,
                                    apr_pool_t *p);

/* Decode base64url without padding (strictly: only A-Z a-z 0-9 - _, no
 * '=', unused bits zero) into *out / *out_len (in p; *out is never NULL
 * on success). APR_EINVAL if s is not such a string or would decode to
 * more than max_len bytes. */
apr_status_t jc_webauthn_b64u_decode(const unsigned char **out,
                                     size_t *out_len, const char *s,
                                     size_t max_len, apr_pool_t *p);

/* Spec 7.1 steps 5-11 / 7.2 steps 8-14 on clientDataJSON: parse it as
 * JSON (cap, duplicate keys refused), then type (`type` is
 * "webauthn.create" or "webauthn.get"), challenge, origin, crossOrigin
 * and topOrigin. On success hash receives SHA-256(clientDataJSON). */
jc_wa_err_e jc_webauthn_client_data_check(unsigned char *hash,
                                          const jc_wa_expect_t *exp,
                                          const char *type,
                                          const unsigned char *data,
                                          size_t len);

/* Spec 7.1 steps 12-25 on an attestationObject, given the hash of an
 * already checked clientDataJSON: CBOR, authenticatorData (rpIdHash, UP,
 * UV if required, BE/BS, attested credential data, extensions), the
 * credential key and the attestation statement. Fills *cred (in p). */
jc_wa_err_e jc_webauthn_attestation_check(jc_wa_credential_t *cred,
                                          const jc_wa_expect_t *exp,
                                          const unsigned char *cd_hash,
                                          const unsigned char *att_obj,
                                          size_t att_obj_len, apr_pool_t *p);

/* The whole registration ceremony: jc_webauthn_client_data_check() with
 * "webauthn.create", then jc_webauthn_attestation_check(). The caller
 * must still refuse a cred_id that is already registered (any user), and
 * store cred->cred_id (from authData), not the response's id/rawId. */
jc_wa_err_e jc_webauthn_register_verify(jc_wa_credential_t *cred,
                                        const jc_wa_expect_t *exp,
                                        const unsigned char *client_data,
                                        size_t client_data_len,
                                        const unsigned char *att_obj,
                                        size_t att_obj_len, apr_pool_t *p);

/* The authentication ceremony (7.2) against a stored credential (only its
 * public_key_b64u, alg and sign_count are read): clientDataJSON with
 * "webauthn.get", authenticatorData (rpIdHash, UP, UV if required, BE/BS,
 * no attested data, extensions), the signature over
 * authData || SHA-256(clientDataJSON), then the counter: if the stored or
 * the new counter is non-zero, the new one must be greater, else
 * JC_WA_ERR_SIGN_COUNT with *out filled (the signature was valid: flag
 * the credential). *out->user_handle is the response's userHandle for a
 * passwordless login; the caller must check it names the credential's
 * owner. */
jc_wa_err_e jc_webauthn_assert_verify(jc_wa_assertion_t *out,
                                      const jc_wa_expect_t *exp,
                                      const jc_wa_credential_t *stored,
                                      const jc_wa_assert_in_t *in,
                                      apr_pool_t *p);

/* Stable snake_case name of a code, e.g. "webauthn_challenge". */
const char *jc_webauthn_err_code(jc_wa_err_e err);

/* Short English text for the error log, e.g. "challenge does not match". */
const char *jc_webauthn_err_log(jc_wa_err_e err);

#endif

/* libFuzzer target for the WebAuthn core (jc_webauthn, jc_cose,
 * jc_cbor_util). The first input byte picks what the rest is fed to:
 *
 *   0  clientDataJSON: jc_webauthn_client_data_check() for both types
 *   1  attestationObject: jc_webauthn_attestation_check() (CBOR, authData,
 *      COSE key, none/packed statements, x5c certificates)
 *   2  authenticatorData of an assertion: jc_webauthn_assert_verify()
 *      against the W3C none.ES256 credential (parsing, flags, extensions)
 *   3  a COSE_Key: jc_cbor_decode() + jc_cose_key_load(), then the same
 *      bytes as a stored public key
 *
 * Seeds: tests/fuzz/corpus/fuzz_webauthn/ (from the unit fixtures).
 * Build and run: make -C tests/fuzz run */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "jc_cbor_util.h"
#include "jc_cose.h"
#include "jc_webauthn.h"

/* The W3C none.ES256 vector: its registration challenge, RP and key. */
static const unsigned char fz_challenge[32] = {
    0x00, 0xc3, 0x0f, 0xb7, 0x85, 0x31, 0xc4, 0x64, 0xd2, 0xb6, 0x77, 0x1d,
    0xab, 0x8d, 0x7b, 0x60, 0x3c, 0x01, 0x16, 0x2f, 0x2f, 0xa4, 0x86, 0xbe,
    0xa7, 0x0f, 0x28, 0x3a, 0xe5, 0x56, 0xe1, 0x30
};
static const char fz_cose_key[] =
    "pQECAyYgASFYIK_voW-XypstI-uGzLZAmNINuQhWBi6yScM6m2cvJt9hIlggkwpWuHov"
    "ymYzSwNFir-HlxfBLMaO1zKQry4mZHlrkiA";
static const char fz_client_data[] =
    "{\"type\":\"webauthn.get\",\"challenge\":"
    "\"AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA\","
    "\"origin\":\"https://example.org\",\"crossOrigin\":false}";
static const unsigned char fz_sig[8] = { 0x30, 0x06, 0x02, 0x01, 0x01,
                                         0x02, 0x01, 0x01 };

static apr_pool_t *fz_root;

static void fz_expect(jc_wa_expect_t *exp, const char *const *origins)
{
    memset(exp, 0, sizeof(*exp));
    exp->rp_id = "example.org";
    exp->origins = origins;
    exp->challenge = fz_challenge;
    exp->challenge_len = sizeof(fz_challenge);
    exp->require_uv = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const origins[] = { "https://example.org", NULL };
    unsigned char hash[32];
    jc_wa_expect_t exp;
    jc_wa_credential_t cred;
    jc_wa_assertion_t out;
    jc_wa_assert_in_t in;
    apr_pool_t *p;

    if (fz_root == NULL
        && (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&fz_root, NULL) != APR_SUCCESS)) {
        return 0;
    }
    /* libFuzzer passes an exact-size buffer: over-reads are seen. */
    if (size < 1) {
        return 0;
    }
    if (apr_pool_create(&p, fz_root) != APR_SUCCESS) {
        return 0;
    }
    fz_expect(&exp, origins);
    memset(hash, 0x5a, sizeof(hash));
    switch (data[0] & 3) {
    case 0:
        (void)jc_webauthn_client_data_check(hash, &exp, "webauthn.create",
                                            data + 1, size - 1);
        (void)jc_webauthn_client_data_check(hash, &exp, "webauthn.get",
                                            data + 1, size - 1);
        break;
    case 1:
        (void)jc_webauthn_attestation_check(&cred, &exp, hash, data + 1,
                                            size - 1, p);
        break;
    case 2:
        memset(&cred, 0, sizeof(cred));
        cred.public_key_b64u = fz_cose_key;
        cred.alg = JC_WA_ALG_ES256;
        memset(&in, 0, sizeof(in));
        in.client_data = (const unsigned char *)fz_client_data;
        in.client_data_len = strlen(fz_client_data);
        in.auth_data = data + 1;
        in.auth_data_len = size - 1;
        in.sig = fz_sig;
        in.sig_len = sizeof(fz_sig);
        exp.challenge = fz_challenge;
        (void)jc_webauthn_assert_verify(&out, &exp, &cred, &in, p);
        break;
    default: {
        cbor_item_t *item;
        EVP_PKEY *pkey;
        int alg;

        if (jc_cbor_decode(&item, NULL, data + 1, size - 1, 1, p)
            == JC_CBOR_OK
            && jc_cose_key_load(&pkey, &alg, item, p) == JC_COSE_OK) {
            (void)jc_cose_verify(pkey, alg, data, size, data, size);
        }
        memset(&cred, 0, sizeof(cred));
        cred.public_key_b64u = jc_webauthn_b64u_encode(data + 1, size - 1, p);
        cred.alg = JC_WA_ALG_ES256;
        memset(&in, 0, sizeof(in));
        in.client_data = (const unsigned char *)fz_client_data;
        in.client_data_len = strlen(fz_client_data);
        in.auth_data = data;
        in.auth_data_len = size;
        in.sig = fz_sig;
        in.sig_len = sizeof(fz_sig);
        (void)jc_webauthn_assert_verify(&out, &exp, &cred, &in, p);
        break;
    }
    }
    apr_pool_destroy(p);
    return 0;
}

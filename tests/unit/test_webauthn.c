/* Unit tests for jc_webauthn (with jc_cose and jc_cbor_util): the W3C
 * WebAuthn Level 3 test vectors and generated fixtures under
 * tests/fixtures/webauthn/ (one registration and optionally one
 * authentication per file, with the expected outcome), plus direct tests
 * of clientDataJSON, CBOR limits, base64url and the error table. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_file_io.h>

#include <openssl/evp.h>

#include "jc_b64u.h"
#include "jc_cbor_util.h"
#include "jc_webauthn.h"
#include "unit_fixture.h"

#ifndef JC_TOP
#error "JC_TOP (repository root) must be defined"
#endif
#define FIXTURE_DIR JC_TOP "/tests/fixtures/webauthn/"

/* Every fixture file; test_fixture_list_complete() keeps this in sync. */
static const char *const fixtures[] = {
    "w3c-none-es256.txt",
    "w3c-packed-self-es256.txt",
    "w3c-none-es256-crossorigin.txt",
    "w3c-none-es256-toporigin.txt",
    "w3c-none-es256-long-credential-id.txt",
    "w3c-packed-es256.txt",
    "w3c-packed-rs256.txt",
    "w3c-packed-eddsa.txt",
    "gen-none-es256.txt",
    "gen-packed-self-es256.txt",
    "gen-packed-self-rs256.txt",
    "gen-packed-self-eddsa.txt",
    "gen-packed-x5c-es256.txt",
    "gen-extensions.txt",
    "gen-backup-flags.txt",
    "gen-escaped-json.txt",
    "gen-credid-1024.txt",
    "gen-credid-1023.txt",
    "gen-uv-missing.txt",
    "gen-up-missing.txt",
    "gen-bs-without-be.txt",
    "gen-no-attested-data.txt",
    "gen-wrong-rpid.txt",
    "gen-wrong-type.txt",
    "gen-wrong-origin.txt",
    "gen-wrong-challenge.txt",
    "gen-cross-origin.txt",
    "gen-cross-origin-string.txt",
    "gen-top-origin.txt",
    "gen-json-duplicate-key.txt",
    "gen-rsa-1024.txt",
    "gen-rsa-e1.txt",
    "gen-p384-es256.txt",
    "gen-cose-not-on-curve.txt",
    "gen-cose-duplicate-label.txt",
    "gen-self-alg-mismatch.txt",
    "gen-self-bad-sig.txt",
    "gen-none-with-stmt.txt",
    "gen-fmt-tpm.txt",
    "gen-x5c-ca-true.txt",
    "gen-x5c-wrong-ou.txt",
    "gen-x5c-v1.txt",
    "gen-x5c-aaguid-mismatch.txt",
    "gen-x5c-bad-sig.txt",
    "gen-ed-without-extensions.txt",
    "gen-extensions-without-ed.txt",
    "gen-authdata-trailing.txt",
    "gen-authdata-indefinite.txt",
    "gen-attobj-duplicate-key.txt",
    "gen-attobj-extra-key.txt",
    "gen-attobj-trailing.txt",
    "gen-attobj-truncated.txt",
    "gen-attobj-huge-map.txt",
    "gen-counter-equal.txt",
    "gen-counter-lower.txt",
    "gen-counter-zero-after-nonzero.txt",
    "gen-auth-flipped-sig.txt",
    "gen-auth-other-key.txt",
    "gen-auth-wrong-rpid.txt",
    "gen-auth-uv-missing.txt",
    "gen-auth-with-at.txt",
    "gen-auth-type-create.txt",
    "gen-auth-no-user-handle.txt"
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

/* A byte buffer decoded from a fixture's hex value. */
typedef struct {
    unsigned char *data;   /* bytes (NULL if the key is absent)   */
    size_t len;            /* their number                        */
} bytes_t;

/* One fixture file: "key = value" lines, '#' comments. */
typedef struct {
    const char *file;      /* file name                           */
    apr_table_t *kv;       /* its keys and values                 */
} fixture_t;

static bytes_t unhex(const char *s, apr_pool_t *p)
{
    bytes_t b = { NULL, 0 };
    size_t n, i;

    if (s == NULL) {
        return b;
    }
    n = strlen(s);
    assert_int_equal(n % 2, 0);
    b.data = apr_palloc(p, n / 2 + 1);
    for (i = 0; i < n / 2; i++) {
        int hi = jc_hex_value((unsigned char)s[2 * i]);
        int lo = jc_hex_value((unsigned char)s[2 * i + 1]);

        assert_true(hi >= 0 && lo >= 0);
        b.data[i] = (unsigned char)(hi << 4 | lo);
    }
    b.len = n / 2;
    return b;
}

static void fixture_load(fixture_t *fx, const char *file, apr_pool_t *p)
{
    char path[512], *line, *last = NULL, *buf;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;

    fx->file = file;
    fx->kv = apr_table_make(p, 32);
    snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, file);
    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS) {
        fail_msg("cannot open fixture %s", path);
    }
    assert_int_equal(apr_file_info_get(&fi, APR_FINFO_SIZE, f), APR_SUCCESS);
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    assert_int_equal(apr_file_read_full(f, buf, n, &n), APR_SUCCESS);
    buf[n] = '\0';
    apr_file_close(f);
    for (line = apr_strtok(buf, "\n", &last); line != NULL;
         line = apr_strtok(NULL, "\n", &last)) {
        char *eq;

        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        eq = strstr(line, " = ");
        assert_non_null(eq);
        *eq = '\0';
        apr_table_set(fx->kv, line, eq + 3);
    }
}

static const char *fx_str(const fixture_t *fx, const char *key)
{
    return apr_table_get(fx->kv, key);
}

static bytes_t fx_hex(const fixture_t *fx, const char *key, apr_pool_t *p)
{
    return unhex(fx_str(fx, key), p);
}

static long fx_long(const fixture_t *fx, const char *key, long dflt)
{
    const char *v = fx_str(fx, key);

    return v ? strtol(v, NULL, 10) : dflt;
}

/* Expectations of a fixture; origins must outlive the call. */
static void fx_expect(jc_wa_expect_t *exp, const char **origins,
                      const fixture_t *fx, const bytes_t *challenge)
{
    memset(exp, 0, sizeof(*exp));
    origins[0] = fx_str(fx, "origin");
    origins[1] = NULL;
    exp->rp_id = fx_str(fx, "rp_id");
    exp->origins = origins;
    exp->challenge = challenge->data;
    exp->challenge_len = challenge->len;
    exp->require_uv = (int)fx_long(fx, "require_uv", 1);
    exp->require_user_handle = (int)fx_long(fx, "require_user_handle", 0);
}

static void sha256(unsigned char *md, const unsigned char *d, size_t n)
{
    unsigned int l = 0;

    assert_int_equal(EVP_Digest(d, n, md, &l, EVP_sha256(), NULL), 1);
    assert_int_equal(l, 32);
}

/* Register the fixture's credential; on an expected registration failure
 * (e.g. crossOrigin) get the key via the attestation check alone. */
static jc_wa_err_e fx_register(jc_wa_credential_t *cred,
                               const fixture_t *fx, int require_uv,
                               int key_only, apr_pool_t *p)
{
    const char *origins[2];
    jc_wa_expect_t exp;
    bytes_t ch = fx_hex(fx, "reg_challenge", p);
    bytes_t cd = fx_hex(fx, "reg_client_data", p);
    bytes_t ao = fx_hex(fx, "attestation_object", p);
    unsigned char hash[32];

    fx_expect(&exp, origins, fx, &ch);
    exp.require_uv = require_uv;
    if (key_only) {
        sha256(hash, cd.data, cd.len);
        return jc_webauthn_attestation_check(cred, &exp, hash, ao.data,
                                             ao.len, p);
    }
    return jc_webauthn_register_verify(cred, &exp, cd.data, cd.len, ao.data,
                                       ao.len, p);
}

static jc_wa_err_e fx_assert(jc_wa_assertion_t *out, const fixture_t *fx,
                             const jc_wa_credential_t *stored,
                             int require_uv, apr_pool_t *p)
{
    const char *origins[2];
    jc_wa_expect_t exp;
    jc_wa_assert_in_t in;
    bytes_t ch = fx_hex(fx, "auth_challenge", p);
    bytes_t cd = fx_hex(fx, "auth_client_data", p);
    bytes_t ad = fx_hex(fx, "authenticator_data", p);
    bytes_t sig = fx_hex(fx, "signature", p);
    bytes_t uh = fx_hex(fx, "user_handle", p);

    fx_expect(&exp, origins, fx, &ch);
    exp.require_uv = require_uv;
    memset(&in, 0, sizeof(in));
    in.client_data = cd.data;
    in.client_data_len = cd.len;
    in.auth_data = ad.data;
    in.auth_data_len = ad.len;
    in.sig = sig.data;
    in.sig_len = sig.len;
    in.user_handle = uh.data;
    in.user_handle_len = uh.len;
    return jc_webauthn_assert_verify(out, &exp, stored, &in, p);
}

static const char *att_type_name(jc_wa_att_type_e t)
{
    return t == JC_WA_ATT_NONE ? "none" : t == JC_WA_ATT_SELF ? "self"
                                                              : "basic";
}

/* One fixture: registration, then (if present) authentication, each with
 * the expected error code; with UV not required, the same again with UV
 * required must fail with webauthn_uv where the flags lack UV. */
static void test_fixture(void **state)
{
    const char *file = *state;
    apr_pool_t *p;
    fixture_t fx;
    jc_wa_credential_t cred, stored;
    jc_wa_assertion_t out;
    jc_wa_err_e rc;
    int require_uv;

    assert_int_equal(apr_pool_create(&p, pool), APR_SUCCESS);
    fixture_load(&fx, file, p);
    require_uv = (int)fx_long(&fx, "require_uv", 1);

    rc = fx_register(&cred, &fx, require_uv, 0, p);
    assert_string_equal(jc_webauthn_err_code(rc), fx_str(&fx, "reg_expect"));
    if (rc == JC_WA_OK) {
        bytes_t id = fx_hex(&fx, "credential_id", p);
        bytes_t aaguid = fx_hex(&fx, "aaguid", p);
        const unsigned char *raw;
        size_t raw_len;

        assert_string_equal(cred.fmt, fx_str(&fx, "reg_fmt"));
        assert_string_equal(att_type_name(cred.att_type),
                            fx_str(&fx, "reg_att_type"));
        assert_int_equal(cred.alg, fx_long(&fx, "reg_alg", 0));
        assert_int_equal(cred.sign_count, fx_long(&fx, "reg_sign_count", 0));
        if (id.data != NULL) {
            assert_int_equal(cred.cred_id_len, id.len);
            assert_memory_equal(cred.cred_id, id.data, id.len);
        }
        else {
            assert_int_equal(cred.cred_id_len,
                             fx_long(&fx, "reg_cred_id_len", -1));
        }
        assert_int_equal(aaguid.len, JC_WA_AAGUID_LEN);
        assert_memory_equal(cred.aaguid, aaguid.data, JC_WA_AAGUID_LEN);
        assert_int_equal(jc_webauthn_b64u_decode(&raw, &raw_len,
                                                 cred.cred_id_b64u, 2048, p),
                         APR_SUCCESS);
        assert_int_equal(raw_len, cred.cred_id_len);
        assert_memory_equal(raw, cred.cred_id, raw_len);
        assert_non_null(cred.public_key_b64u);
        if (!require_uv && !(cred.flags & JC_WA_FLAG_UV)) {
            jc_wa_credential_t c2;

            assert_int_equal(fx_register(&c2, &fx, 1, 0, p), JC_WA_ERR_UV);
        }
    }
    if (fx_str(&fx, "auth_challenge") == NULL) {
        apr_pool_destroy(p);
        return;
    }
    if (rc == JC_WA_OK) {
        stored = cred;
    }
    else {
        assert_int_equal(fx_register(&stored, &fx, require_uv, 1, p),
                         JC_WA_OK);
    }
    stored.sign_count = (unsigned long)fx_long(&fx, "auth_stored_count",
                                               (long)stored.sign_count);
    rc = fx_assert(&out, &fx, &stored, require_uv, p);
    assert_string_equal(jc_webauthn_err_code(rc), fx_str(&fx, "auth_expect"));
    if (rc == JC_WA_OK || rc == JC_WA_ERR_SIGN_COUNT) {
        bytes_t uh = fx_hex(&fx, "user_handle", p);
        bytes_t ad = fx_hex(&fx, "authenticator_data", p);

        assert_int_equal(out.sign_count, fx_long(&fx, "auth_sign_count", 0));
        assert_int_equal(out.flags, ad.data[32]);
        if (uh.data != NULL) {
            assert_int_equal(out.user_handle_len, uh.len);
            assert_memory_equal(out.user_handle, uh.data, uh.len);
        }
        else {
            assert_null(out.user_handle);
        }
        if (rc == JC_WA_OK && !require_uv && !(ad.data[32] & JC_WA_FLAG_UV)) {
            assert_int_equal(fx_assert(&out, &fx, &stored, 1, p),
                             JC_WA_ERR_UV);
        }
    }
    apr_pool_destroy(p);
}

/* Every *.txt in the fixture directory is in fixtures[] and vice versa. */
static void test_fixture_list_complete(void **state)
{
    apr_dir_t *dir;
    apr_finfo_t fi;
    size_t seen = 0, i;
    int found;

    (void)state;
    assert_int_equal(apr_dir_open(&dir, FIXTURE_DIR, pool), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, dir) == APR_SUCCESS) {
        size_t n = strlen(fi.name);

        if (n < 5 || strcmp(fi.name + n - 4, ".txt") != 0) {
            continue;
        }
        found = 0;
        for (i = 0; i < N_FIXTURES; i++) {
            found |= strcmp(fixtures[i], fi.name) == 0;
        }
        if (!found) {
            fail_msg("fixture %s is not listed in test_webauthn.c", fi.name);
        }
        seen++;
    }
    apr_dir_close(dir);
    assert_int_equal(seen, N_FIXTURES);
}

/* ---------------------------------------------------------------------
 * Direct tests on top of the W3C none.ES256 / packed vectors
 */

/* Load a W3C fixture into *fx (pool p). */
static void w3c(fixture_t *fx, const char *name, apr_pool_t *p)
{
    fixture_load(fx, name, p);
}

static void test_wrong_rp_id(void **state)
{
    const char *origins[2];
    jc_wa_expect_t exp;
    jc_wa_credential_t cred;
    jc_wa_assertion_t out;
    jc_wa_assert_in_t in;
    fixture_t fx;
    bytes_t ch, cd, ao, ad, sig;

    (void)state;
    w3c(&fx, "w3c-packed-self-es256.txt", pool);
    ch = fx_hex(&fx, "reg_challenge", pool);
    cd = fx_hex(&fx, "reg_client_data", pool);
    ao = fx_hex(&fx, "attestation_object", pool);
    fx_expect(&exp, origins, &fx, &ch);
    exp.rp_id = "example.com";
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 ao.data, ao.len, pool),
                     JC_WA_ERR_RP_ID_HASH);
    exp.rp_id = "example.org";
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 ao.data, ao.len, pool),
                     JC_WA_OK);
    ch = fx_hex(&fx, "auth_challenge", pool);
    cd = fx_hex(&fx, "auth_client_data", pool);
    ad = fx_hex(&fx, "authenticator_data", pool);
    sig = fx_hex(&fx, "signature", pool);
    fx_expect(&exp, origins, &fx, &ch);
    memset(&in, 0, sizeof(in));
    in.client_data = cd.data;
    in.client_data_len = cd.len;
    in.auth_data = ad.data;
    in.auth_data_len = ad.len;
    in.sig = sig.data;
    in.sig_len = sig.len;
    exp.rp_id = "sub.example.org";
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_ERR_RP_ID_HASH);
    exp.rp_id = "example.org";
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_OK);
}

/* Flipping any single byte of an assertion signature, of the signed
 * authenticatorData, or of the packed attestation signature fails. */
static void test_flipped_bytes(void **state)
{
    static const char *const files[] = {
        "w3c-packed-self-es256.txt", "w3c-packed-rs256.txt",
        "w3c-packed-eddsa.txt", "w3c-none-es256.txt"
    };
    size_t f, i;

    (void)state;
    for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        apr_pool_t *p;
        fixture_t fx;
        jc_wa_credential_t cred;
        jc_wa_assertion_t out;
        jc_wa_assert_in_t in;
        jc_wa_expect_t exp;
        const char *origins[2];
        bytes_t ch, cd, ad, sig;

        assert_int_equal(apr_pool_create(&p, pool), APR_SUCCESS);
        w3c(&fx, files[f], p);
        assert_int_equal(fx_register(&cred, &fx, 0, 0, p), JC_WA_OK);
        ch = fx_hex(&fx, "auth_challenge", p);
        cd = fx_hex(&fx, "auth_client_data", p);
        ad = fx_hex(&fx, "authenticator_data", p);
        sig = fx_hex(&fx, "signature", p);
        fx_expect(&exp, origins, &fx, &ch);
        exp.require_uv = 0;
        memset(&in, 0, sizeof(in));
        in.client_data = cd.data;
        in.client_data_len = cd.len;
        in.auth_data = ad.data;
        in.auth_data_len = ad.len;
        in.sig = sig.data;
        in.sig_len = sig.len;
        assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, p),
                         JC_WA_OK);
        for (i = 0; i < sig.len; i++) {
            sig.data[i] ^= 0x01;
            assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in,
                                                       p),
                             JC_WA_ERR_SIGNATURE);
            sig.data[i] ^= 0x01;
        }
        /* signCount bytes and the RFU flag bit are covered by the
         * signature too. */
        for (i = 33; i < 37; i++) {
            ad.data[i] ^= 0x80;
            assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in,
                                                       p),
                             JC_WA_ERR_SIGNATURE);
            ad.data[i] ^= 0x80;
        }
        ad.data[32] ^= 0x02;
        assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, p),
                         JC_WA_ERR_SIGNATURE);
        ad.data[32] ^= 0x02;
        /* one trailing byte after authenticatorData */
        in.auth_data = apr_pmemdup(p, ad.data, ad.len + 1);
        in.auth_data_len = ad.len + 1;
        assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, p),
                         JC_WA_ERR_AUTH_DATA);
        /* truncated authenticatorData */
        in.auth_data_len = 36;
        assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, p),
                         JC_WA_ERR_AUTH_DATA);
        apr_pool_destroy(p);
    }
}

/* One flipped byte in the packed self attestation signature: the DER
 * signature sits right before "authData" in the W3C vector. */
static void test_flipped_attestation_sig(void **state)
{
    static const unsigned char marker[] = {
        0x68, 'a', 'u', 't', 'h', 'D', 'a', 't', 'a'
    };
    fixture_t fx;
    jc_wa_credential_t cred;
    bytes_t ao;
    size_t i;

    (void)state;
    w3c(&fx, "w3c-packed-self-es256.txt", pool);
    ao = fx_hex(&fx, "attestation_object", pool);
    for (i = 0; i + sizeof(marker) <= ao.len; i++) {
        if (memcmp(ao.data + i, marker, sizeof(marker)) == 0) {
            break;
        }
    }
    assert_true(i + sizeof(marker) <= ao.len);
    ao.data[i - 1] ^= 0x01;      /* last byte of the signature */
    {
        const char *origins[2];
        jc_wa_expect_t exp;
        bytes_t ch = fx_hex(&fx, "reg_challenge", pool);
        bytes_t cd = fx_hex(&fx, "reg_client_data", pool);

        fx_expect(&exp, origins, &fx, &ch);
        assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data,
                                                     cd.len, ao.data, ao.len,
                                                     pool),
                         JC_WA_ERR_ATT_SIG);
    }
}

/* Every strict prefix of every W3C attestationObject is refused as
 * malformed CBOR, one trailing byte as trailing. */
static void test_truncated_and_trailing(void **state)
{
    size_t f, n;

    (void)state;
    for (f = 0; f < 8; f++) {
        apr_pool_t *p;
        fixture_t fx;
        jc_wa_credential_t cred;
        jc_wa_expect_t exp;
        const char *origins[2];
        unsigned char hash[32];
        bytes_t ch, cd, ao;
        unsigned char *copy;

        assert_int_equal(apr_pool_create(&p, pool), APR_SUCCESS);
        w3c(&fx, fixtures[f], p);
        ch = fx_hex(&fx, "reg_challenge", p);
        cd = fx_hex(&fx, "reg_client_data", p);
        ao = fx_hex(&fx, "attestation_object", p);
        fx_expect(&exp, origins, &fx, &ch);
        exp.require_uv = 0;
        sha256(hash, cd.data, cd.len);
        for (n = 0; n < ao.len; n++) {
            /* exact-size copies so ASan sees any over-read */
            copy = malloc(n ? n : 1);
            assert_non_null(copy);
            memcpy(copy, ao.data, n);
            assert_int_equal(jc_webauthn_attestation_check(&cred, &exp, hash,
                                                           copy, n, p),
                             JC_WA_ERR_CBOR);
            free(copy);
        }
        copy = apr_palloc(p, ao.len + 1);
        memcpy(copy, ao.data, ao.len);
        copy[ao.len] = 0x00;
        assert_int_equal(jc_webauthn_attestation_check(&cred, &exp, hash,
                                                       copy, ao.len + 1, p),
                         JC_WA_ERR_CBOR_TRAILING);
        assert_int_equal(jc_webauthn_attestation_check(&cred, &exp, hash,
                                                       copy, ao.len, p),
                         JC_WA_OK);
        apr_pool_destroy(p);
    }
}

/* Huge declared lengths fail at once, before libcbor allocates. */
static void test_huge_declared_lengths(void **state)
{
    static const unsigned char map[] = { 0xba, 0x08, 0x00, 0x00, 0x00 };
    static const unsigned char arr[] = { 0x9b, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff };
    static const unsigned char bstr[] = { 0x5a, 0xff, 0xff, 0xff, 0xff,
                                          0x00 };
    static const unsigned char map64[] = { 0xbb, 0x00, 0x00, 0x00, 0x01,
                                           0x00, 0x00, 0x00, 0x00 };
    const char *origins[] = { "https://example.org", NULL };
    unsigned char chal[32] = { 0 }, hash[32] = { 0 };
    jc_wa_expect_t exp;
    jc_wa_credential_t cred;
    cbor_item_t *item;
    size_t n;
    clock_t t0;
    int i;

    (void)state;
    memset(&exp, 0, sizeof(exp));
    exp.rp_id = "example.org";
    exp.origins = origins;
    exp.challenge = chal;
    exp.challenge_len = sizeof(chal);
    t0 = clock();
    for (i = 0; i < 1000; i++) {
        assert_int_equal(jc_webauthn_attestation_check(&cred, &exp, hash, map,
                                                       sizeof(map), pool),
                         JC_WA_ERR_CBOR);
    }
    /* 1000 rejections in well under a second (unchecked: 2.5 s, 1 GB). */
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    assert_int_equal(jc_cbor_check(&n, arr, sizeof(arr)),
                     JC_CBOR_ERR_MALFORMED);
    assert_int_equal(jc_cbor_check(&n, bstr, sizeof(bstr)),
                     JC_CBOR_ERR_MALFORMED);
    assert_int_equal(jc_cbor_check(&n, map64, sizeof(map64)),
                     JC_CBOR_ERR_MALFORMED);
    assert_int_equal(jc_cbor_decode(&item, NULL, map, sizeof(map), 1, pool),
                     JC_CBOR_ERR_MALFORMED);
    assert_null(item);
}

static void test_cbor_check(void **state)
{
    /* {1: 0, 0x18 0x01 (1 again, not shortest form): 0} */
    static const unsigned char dup_int[] = { 0xa2, 0x01, 0x00, 0x18, 0x01,
                                             0x00 };
    static const unsigned char dup_text[] = { 0xa2, 0x61, 'a', 0x00, 0x61,
                                              'a', 0x01 };
    static const unsigned char neg_pos[] = { 0xa2, 0x20, 0x00, 0x00, 0x00 };
    static const unsigned char tag[] = { 0xc0, 0x00 };
    static const unsigned char indef_bytes[] = { 0x5f, 0x41, 0x00, 0xff };
    static const unsigned char indef_map[] = { 0xbf, 0xff };
    static const unsigned char key_array[] = { 0xa1, 0x80, 0x00 };
    static const unsigned char key_bytes[] = { 0xa1, 0x40, 0x00 };
    static const unsigned char simple_bad[] = { 0xf8, 0x10 };
    static const unsigned char brk[] = { 0xff };
    static const unsigned char reserved[] = { 0x1c };
    static const unsigned char floats[] = { 0x83, 0xf9, 0x3c, 0x00, 0xf5,
                                            0xf6 };
    static const unsigned char two[] = { 0x01, 0x02 };
    unsigned char deep[20], wide[2 + 2 * 65], *big;
    cbor_item_t *item;
    size_t n, used;
    int i;

    (void)state;
    assert_int_equal(jc_cbor_check(&n, dup_int, sizeof(dup_int)),
                     JC_CBOR_ERR_DUPLICATE);
    assert_int_equal(jc_cbor_check(&n, dup_text, sizeof(dup_text)),
                     JC_CBOR_ERR_DUPLICATE);
    assert_int_equal(jc_cbor_check(&n, neg_pos, sizeof(neg_pos)), JC_CBOR_OK);
    assert_int_equal(n, sizeof(neg_pos));
    assert_int_equal(jc_cbor_check(&n, tag, sizeof(tag)),
                     JC_CBOR_ERR_UNSUPPORTED);
    assert_int_equal(jc_cbor_check(&n, indef_bytes, sizeof(indef_bytes)),
                     JC_CBOR_ERR_UNSUPPORTED);
    assert_int_equal(jc_cbor_check(&n, indef_map, sizeof(indef_map)),
                     JC_CBOR_ERR_UNSUPPORTED);
    assert_int_equal(jc_cbor_check(&n, key_array, sizeof(key_array)),
                     JC_CBOR_ERR_UNSUPPORTED);
    assert_int_equal(jc_cbor_check(&n, key_bytes, sizeof(key_bytes)),
                     JC_CBOR_ERR_UNSUPPORTED);
    assert_int_equal(jc_cbor_check(&n, simple_bad, sizeof(simple_bad)),
                     JC_CBOR_ERR_MALFORMED);
    assert_int_equal(jc_cbor_check(&n, brk, sizeof(brk)),
                     JC_CBOR_ERR_MALFORMED);
    assert_int_equal(jc_cbor_check(&n, reserved, sizeof(reserved)),
                     JC_CBOR_ERR_MALFORMED);
    assert_int_equal(jc_cbor_check(&n, floats, sizeof(floats)), JC_CBOR_OK);
    assert_int_equal(jc_cbor_check(&n, brk, 0), JC_CBOR_ERR_MALFORMED);

    /* 17 nested arrays: one too deep; 16 are fine. */
    for (i = 0; i < 17; i++) {
        deep[i] = 0x81;
    }
    deep[17] = 0x00;
    assert_int_equal(jc_cbor_check(&n, deep, 18), JC_CBOR_ERR_LIMIT);
    assert_int_equal(jc_cbor_check(&n, deep + 1, 17), JC_CBOR_OK);
    /* 65 pairs: over the map limit. */
    wide[0] = 0xb8;
    wide[1] = 65;
    for (i = 0; i < 65; i++) {
        wide[2 + 2 * i] = (unsigned char)(i < 24 ? i : 0x20 + i - 24);
        wide[3 + 2 * i] = 0x00;
    }
    assert_int_equal(jc_cbor_check(&n, wide, sizeof(wide)),
                     JC_CBOR_ERR_LIMIT);
    /* over the input cap */
    big = calloc(1, JC_CBOR_MAX_INPUT + 1);
    assert_non_null(big);
    assert_int_equal(jc_cbor_check(&n, big, JC_CBOR_MAX_INPUT + 1),
                     JC_CBOR_ERR_LIMIT);
    free(big);

    assert_int_equal(jc_cbor_decode(&item, NULL, two, 2, 1, pool),
                     JC_CBOR_ERR_TRAILING);
    assert_int_equal(jc_cbor_decode(&item, &used, two, 2, 0, pool),
                     JC_CBOR_OK);
    assert_int_equal(used, 1);
    assert_true(cbor_isa_uint(item));
    assert_int_equal(jc_cbor_decode(&item, &used, neg_pos, sizeof(neg_pos), 1,
                                    pool), JC_CBOR_OK);
    {
        int64_t v = 0;

        assert_true(jc_cbor_int(&v, jc_cbor_map_int(item, -1)));
        assert_int_equal(v, 0);
        assert_null(jc_cbor_map_int(item, 5));
        assert_null(jc_cbor_map_text(item, "a"));
    }
}

static void test_client_data(void **state)
{
    const char *origins[] = { "https://other.example", "https://example.org",
                              NULL };
    unsigned char chal[32], hash[32], md[32];
    char *cd, *huge;
    const char *c64;
    jc_wa_expect_t exp;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(chal); i++) {
        chal[i] = (unsigned char)(i * 7 + 1);
    }
    c64 = jc_webauthn_b64u_encode(chal, sizeof(chal), pool);
    memset(&exp, 0, sizeof(exp));
    exp.rp_id = "example.org";
    exp.origins = origins;
    exp.challenge = chal;
    exp.challenge_len = sizeof(chal);

#define CD_CHECK(json, type) \
    jc_webauthn_client_data_check(hash, &exp, type, \
                                  (const unsigned char *)(json), strlen(json))

    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https:\\/\\/example.org\"}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_OK);
    sha256(md, (const unsigned char *)cd, strlen(cd));
    assert_memory_equal(hash, md, 32);
    assert_int_equal(CD_CHECK(cd, "webauthn.create"), JC_WA_ERR_TYPE);
    /* origin not listed, and a prefix of a listed one */
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https://example.org.evil\"}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_ORIGIN);
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https://example.or\"}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_ORIGIN);
    /* challenge padded, shortened, of another value, missing */
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s=\","
                      "\"origin\":\"https://example.org\"}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_CHALLENGE);
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":"
                      "\"%.40s\",\"origin\":\"https://example.org\"}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_CHALLENGE);
    assert_int_equal(CD_CHECK("{\"type\":\"webauthn.get\",\"challenge\":"
                              "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                              "\"origin\":\"https://example.org\"}",
                              "webauthn.get"), JC_WA_ERR_CHALLENGE);
    assert_int_equal(CD_CHECK("{\"type\":\"webauthn.get\","
                              "\"origin\":\"https://example.org\"}",
                              "webauthn.get"), JC_WA_ERR_CLIENT_DATA);
    /* crossOrigin false / null / true, topOrigin (even with false) */
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https://example.org\","
                      "\"crossOrigin\":false,\"extraData\":[1]}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_OK);
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https://example.org\","
                      "\"crossOrigin\":null}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_CLIENT_DATA);
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https://example.org\","
                      "\"crossOrigin\":true}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_CROSS_ORIGIN);
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https://example.org\","
                      "\"topOrigin\":\"https://example.org\"}", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_TOP_ORIGIN);
    /* not JSON, not an object, duplicate key, bad UTF-8, trailing data */
    assert_int_equal(CD_CHECK("[]", "webauthn.get"), JC_WA_ERR_CLIENT_DATA);
    assert_int_equal(CD_CHECK("{\"type\":", "webauthn.get"),
                     JC_WA_ERR_CLIENT_DATA);
    assert_int_equal(CD_CHECK("{\"type\":\"webauthn.get\","
                              "\"type\":\"webauthn.get\"}", "webauthn.get"),
                     JC_WA_ERR_CLIENT_DATA);
    assert_int_equal(CD_CHECK("{\"type\":\"webauthn.get\xff\"}",
                              "webauthn.get"), JC_WA_ERR_CLIENT_DATA);
    assert_int_equal(CD_CHECK("{\"type\":\"webauthn.get\\u0000\"}",
                              "webauthn.get"), JC_WA_ERR_CLIENT_DATA);
    assert_int_equal(CD_CHECK("{\"type\":1}", "webauthn.get"),
                     JC_WA_ERR_CLIENT_DATA);
    cd = apr_psprintf(pool, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                      "\"origin\":\"https://example.org\"} x", c64);
    assert_int_equal(CD_CHECK(cd, "webauthn.get"), JC_WA_ERR_CLIENT_DATA);
    assert_int_equal(CD_CHECK("", "webauthn.get"), JC_WA_ERR_CLIENT_DATA);
    /* size cap */
    huge = apr_palloc(pool, JC_WA_MAX_CLIENT_DATA + 2);
    memset(huge, ' ', JC_WA_MAX_CLIENT_DATA + 1);
    huge[JC_WA_MAX_CLIENT_DATA + 1] = '\0';
    assert_int_equal(CD_CHECK(huge, "webauthn.get"), JC_WA_ERR_TOO_LARGE);
    /* caller errors */
    exp.challenge_len = 8;
    assert_int_equal(CD_CHECK("{}", "webauthn.get"), JC_WA_ERR_ARGS);
    exp.challenge_len = sizeof(chal);
    exp.rp_id = NULL;
    assert_int_equal(CD_CHECK("{}", "webauthn.get"), JC_WA_ERR_ARGS);
    exp.rp_id = "example.org";
    assert_int_equal(CD_CHECK("{}", NULL), JC_WA_ERR_ARGS);
#undef CD_CHECK
}

/* Stored credential problems and other assertion inputs. */
static void test_assertion_inputs(void **state)
{
    const char *origins[2];
    fixture_t fx, other;
    jc_wa_credential_t cred, cred2, bad;
    jc_wa_assertion_t out;
    jc_wa_assert_in_t in;
    jc_wa_expect_t exp;
    bytes_t ch, cd, ad, sig;
    unsigned char uh[65];

    (void)state;
    w3c(&fx, "w3c-packed-es256.txt", pool);
    w3c(&other, "w3c-packed-self-es256.txt", pool);
    assert_int_equal(fx_register(&cred, &fx, 0, 0, pool), JC_WA_OK);
    assert_int_equal(fx_register(&cred2, &other, 0, 0, pool), JC_WA_OK);
    ch = fx_hex(&fx, "auth_challenge", pool);
    cd = fx_hex(&fx, "auth_client_data", pool);
    ad = fx_hex(&fx, "authenticator_data", pool);
    sig = fx_hex(&fx, "signature", pool);
    fx_expect(&exp, origins, &fx, &ch);
    exp.require_uv = 1;
    memset(&in, 0, sizeof(in));
    in.client_data = cd.data;
    in.client_data_len = cd.len;
    in.auth_data = ad.data;
    in.auth_data_len = ad.len;
    in.sig = sig.data;
    in.sig_len = sig.len;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_OK);
    /* the key of another credential */
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred2, &in, pool),
                     JC_WA_ERR_SIGNATURE);
    /* stored alg differs from the key's, stored key unreadable */
    bad = cred;
    bad.alg = JC_WA_ALG_RS256;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &bad, &in, pool),
                     JC_WA_ERR_STORED_KEY);
    bad = cred;
    bad.public_key_b64u = "pQECAyYgASFYIA";
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &bad, &in, pool),
                     JC_WA_ERR_STORED_KEY);
    bad.public_key_b64u = "not base64url!";
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &bad, &in, pool),
                     JC_WA_ERR_STORED_KEY);
    /* the registration challenge is not this one */
    exp.challenge = fx_hex(&fx, "reg_challenge", pool).data;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_ERR_CHALLENGE);
    exp.challenge = ch.data;
    /* userHandle: returned when given, too long refused */
    memset(uh, 'u', sizeof(uh));
    in.user_handle = uh;
    in.user_handle_len = 64;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_OK);
    assert_int_equal(out.user_handle_len, 64);
    assert_memory_equal(out.user_handle, uh, 64);
    in.user_handle_len = 65;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_ERR_USER_HANDLE);
    in.user_handle = NULL;
    in.user_handle_len = 0;
    exp.require_user_handle = 1;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_ERR_USER_HANDLE);
    exp.require_user_handle = 0;
    /* size caps and missing input */
    in.sig_len = JC_WA_MAX_SIGNATURE + 1;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_ERR_TOO_LARGE);
    in.sig_len = sig.len;
    in.auth_data = NULL;
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, &cred, &in, pool),
                     JC_WA_ERR_ARGS);
    assert_int_equal(jc_webauthn_assert_verify(&out, &exp, NULL, &in, pool),
                     JC_WA_ERR_ARGS);
    assert_int_equal(jc_webauthn_assert_verify(NULL, &exp, &cred, &in, pool),
                     JC_WA_ERR_ARGS);
}

/* Registration options: allowed algorithms, caller errors, size cap. */
static void test_registration_inputs(void **state)
{
    static const int only_eddsa[] = { JC_WA_ALG_EDDSA, 0 };
    static const int es_rs[] = { JC_WA_ALG_RS256, JC_WA_ALG_ES256, 0 };
    const char *origins[2];
    fixture_t fx;
    jc_wa_credential_t cred;
    jc_wa_expect_t exp;
    bytes_t ch, cd, ao;
    unsigned char *big;

    (void)state;
    w3c(&fx, "w3c-packed-es256.txt", pool);
    ch = fx_hex(&fx, "reg_challenge", pool);
    cd = fx_hex(&fx, "reg_client_data", pool);
    ao = fx_hex(&fx, "attestation_object", pool);
    fx_expect(&exp, origins, &fx, &ch);
    exp.algs = only_eddsa;
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 ao.data, ao.len, pool),
                     JC_WA_ERR_ALG);
    exp.algs = es_rs;
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 ao.data, ao.len, pool),
                     JC_WA_OK);
    /* a get() clientDataJSON for a registration */
    cd = fx_hex(&fx, "auth_client_data", pool);
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 ao.data, ao.len, pool),
                     JC_WA_ERR_TYPE);
    cd = fx_hex(&fx, "reg_client_data", pool);
    big = apr_pcalloc(pool, JC_WA_MAX_ATT_OBJECT + 1);
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 big,
                                                 JC_WA_MAX_ATT_OBJECT + 1,
                                                 pool),
                     JC_WA_ERR_TOO_LARGE);
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 NULL, 0, pool),
                     JC_WA_ERR_ARGS);
    assert_int_equal(jc_webauthn_register_verify(NULL, &exp, cd.data, cd.len,
                                                 ao.data, ao.len, pool),
                     JC_WA_ERR_ARGS);
    exp.origins = NULL;
    assert_int_equal(jc_webauthn_register_verify(&cred, &exp, cd.data, cd.len,
                                                 ao.data, ao.len, pool),
                     JC_WA_ERR_ARGS);
}

/* An attestationObject {fmt, attStmt, authData} from encoded parts. */
static bytes_t build_att(const char *fmt, const unsigned char *stmt,
                         size_t stmt_len, const bytes_t *ad, apr_pool_t *p)
{
    static const unsigned char k_fmt[] = { 0x63, 'f', 'm', 't' };
    static const unsigned char k_stmt[] = { 0x67, 'a', 't', 't', 'S', 't',
                                            'm', 't' };
    static const unsigned char k_ad[] = { 0x68, 'a', 'u', 't', 'h', 'D', 'a',
                                          't', 'a' };
    bytes_t b;
    size_t fl = strlen(fmt), n = 0;

    assert_true(fl < 24 && ad->len < 256);
    b.data = apr_palloc(p, 64 + stmt_len + ad->len);
    b.data[n++] = 0xa3;
    memcpy(b.data + n, k_fmt, sizeof(k_fmt));
    n += sizeof(k_fmt);
    b.data[n++] = (unsigned char)(0x60 | fl);
    memcpy(b.data + n, fmt, fl);
    n += fl;
    memcpy(b.data + n, k_stmt, sizeof(k_stmt));
    n += sizeof(k_stmt);
    memcpy(b.data + n, stmt, stmt_len);
    n += stmt_len;
    memcpy(b.data + n, k_ad, sizeof(k_ad));
    n += sizeof(k_ad);
    b.data[n++] = 0x58;
    b.data[n++] = (unsigned char)ad->len;
    memcpy(b.data + n, ad->data, ad->len);
    n += ad->len;
    b.len = n;
    return b;
}

/* Attestation statements of the wrong shape, on the W3C packed.ES256
 * authData (its last 164 bytes of the attestationObject). */
static void test_att_stmt_shapes(void **state)
{
    /* {"alg": "x", "sig": h'00'} */
    static const unsigned char alg_text[] = {
        0xa2, 0x63, 'a', 'l', 'g', 0x61, 'x', 0x63, 's', 'i', 'g', 0x41, 0 };
    /* {"alg": -7} */
    static const unsigned char no_sig[] = { 0xa1, 0x63, 'a', 'l', 'g', 0x26 };
    /* {"alg": -7, "sig": h''} */
    static const unsigned char empty_sig[] = {
        0xa2, 0x63, 'a', 'l', 'g', 0x26, 0x63, 's', 'i', 'g', 0x40 };
    /* {"alg": -35, "sig": h'00'} */
    static const unsigned char es384[] = {
        0xa2, 0x63, 'a', 'l', 'g', 0x38, 0x22, 0x63, 's', 'i', 'g', 0x41, 0 };
    /* {"alg": -7, "sig": h'00', "x5c": 1} */
    static const unsigned char x5c_int[] = {
        0xa3, 0x63, 'a', 'l', 'g', 0x26, 0x63, 's', 'i', 'g', 0x41, 0,
        0x63, 'x', '5', 'c', 0x01 };
    /* {"alg": -7, "sig": h'00', "x5c": []} */
    static const unsigned char x5c_empty[] = {
        0xa3, 0x63, 'a', 'l', 'g', 0x26, 0x63, 's', 'i', 'g', 0x41, 0,
        0x63, 'x', '5', 'c', 0x80 };
    /* {"alg": -7, "sig": h'00', "x5c": [h'3000']} */
    static const unsigned char x5c_junk[] = {
        0xa3, 0x63, 'a', 'l', 'g', 0x26, 0x63, 's', 'i', 'g', 0x41, 0,
        0x63, 'x', '5', 'c', 0x81, 0x42, 0x30, 0x00 };
    /* {"alg": -7, "sig": h'00', "ecdaaKeyId": h'00'} */
    static const unsigned char ecdaa[] = {
        0xa3, 0x63, 'a', 'l', 'g', 0x26, 0x63, 's', 'i', 'g', 0x41, 0,
        0x6a, 'e', 'c', 'd', 'a', 'a', 'K', 'e', 'y', 'I', 'd', 0x41, 0 };
    static const unsigned char empty_map[] = { 0xa0 };
    static const unsigned char array[] = { 0x80 };
    static const unsigned char not_map[] = { 0xf4 };
    static const unsigned char top_array[] = { 0x83, 0x01, 0x02, 0x03 };
    const char *origins[2];
    unsigned char hash[32], *stmt;
    fixture_t fx;
    jc_wa_credential_t cred;
    jc_wa_expect_t exp;
    bytes_t ch, ao, ad, att;
    const unsigned char *x5c;
    size_t i, cert_len;

#define ATT(fmt, st) \
    (att = build_att(fmt, st, sizeof(st), &ad, pool), \
     jc_webauthn_attestation_check(&cred, &exp, hash, att.data, att.len, pool))

    (void)state;
    w3c(&fx, "w3c-packed-es256.txt", pool);
    ch = fx_hex(&fx, "reg_challenge", pool);
    ao = fx_hex(&fx, "attestation_object", pool);
    fx_expect(&exp, origins, &fx, &ch);
    memset(hash, 0, sizeof(hash));
    ad.data = ao.data + ao.len - 164;
    ad.len = 164;
    assert_int_equal(ATT("packed", alg_text), JC_WA_ERR_ATT_STMT);
    assert_int_equal(ATT("packed", no_sig), JC_WA_ERR_ATT_STMT);
    assert_int_equal(ATT("packed", empty_sig), JC_WA_ERR_ATT_STMT);
    assert_int_equal(ATT("packed", es384), JC_WA_ERR_ATT_ALG);
    assert_int_equal(ATT("packed", x5c_int), JC_WA_ERR_ATT_STMT);
    assert_int_equal(ATT("packed", x5c_empty), JC_WA_ERR_ATT_STMT);
    assert_int_equal(ATT("packed", x5c_junk), JC_WA_ERR_ATT_CERT);
    assert_int_equal(ATT("packed", ecdaa), JC_WA_ERR_ATT_STMT);
    assert_int_equal(ATT("packed", empty_map), JC_WA_ERR_ATT_STMT);
    assert_int_equal(ATT("packed", array), JC_WA_ERR_ATT_OBJECT);
    assert_int_equal(ATT("none", empty_map), JC_WA_OK);
    assert_int_equal(cred.att_type, JC_WA_ATT_NONE);
    assert_int_equal(ATT("fido-u2f", empty_map), JC_WA_ERR_FMT);
    assert_int_equal(ATT("apple", empty_map), JC_WA_ERR_FMT);
    assert_int_equal(ATT("tpm", empty_map), JC_WA_ERR_FMT);
    assert_string_equal(jc_webauthn_err_log(JC_WA_ERR_FMT),
                        "attestation format not supported");
    /* the W3C leaf certificate with a wrong signature */
    for (i = 0; i + 6 <= ao.len; i++) {
        if (memcmp(ao.data + i, "\x63x5c\x81\x59", 6) == 0) {
            break;
        }
    }
    assert_true(i + 6 <= ao.len);
    x5c = ao.data + i + 6;
    cert_len = (size_t)x5c[0] << 8 | x5c[1];
    stmt = apr_palloc(pool, 32 + cert_len);
    memcpy(stmt, x5c_junk, 16);                 /* map, alg, sig, "x5c" */
    memcpy(stmt + 16, "\x81\x59", 2);
    memcpy(stmt + 18, x5c, 2 + cert_len);
    att = build_att("packed", stmt, 20 + cert_len, &ad, pool);
    assert_int_equal(jc_webauthn_attestation_check(&cred, &exp, hash,
                                                   att.data, att.len, pool),
                     JC_WA_ERR_ATT_SIG);
    /* not a map at the top */
    assert_int_equal(jc_webauthn_attestation_check(&cred, &exp, hash, not_map,
                                                   sizeof(not_map), pool),
                     JC_WA_ERR_ATT_OBJECT);
    assert_int_equal(jc_webauthn_attestation_check(&cred, &exp, hash,
                                                   top_array,
                                                   sizeof(top_array), pool),
                     JC_WA_ERR_ATT_OBJECT);
#undef ATT
}

static void test_challenge_new(void **state)
{
    const unsigned char *raw, *raw2, *dec;
    const char *b64, *b642;
    size_t n;

    (void)state;
    assert_int_equal(jc_webauthn_challenge_new(&raw, &b64, pool),
                     APR_SUCCESS);
    assert_int_equal(strlen(b64), 43);
    assert_int_equal(jc_webauthn_b64u_decode(&dec, &n, b64, 64, pool),
                     APR_SUCCESS);
    assert_int_equal(n, JC_WA_CHALLENGE_LEN);
    assert_memory_equal(dec, raw, n);
    assert_int_equal(jc_webauthn_challenge_new(&raw2, &b642, pool),
                     APR_SUCCESS);
    assert_memory_not_equal(raw, raw2, JC_WA_CHALLENGE_LEN);
    assert_string_not_equal(b64, b642);
    assert_int_equal(jc_webauthn_challenge_new(NULL, &b64, pool), APR_EINVAL);
}

static void test_b64u(void **state)
{
    unsigned char in[40];
    const unsigned char *out;
    const char *s;
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(in); i++) {
        in[i] = (unsigned char)(0xf0 ^ (i * 37));
    }
    for (i = 0; i <= sizeof(in); i++) {
        s = jc_webauthn_b64u_encode(in, i, pool);
        assert_int_equal(strlen(s), (i * 4 + 2) / 3);
        assert_null(strpbrk(s, "+/="));
        assert_int_equal(jc_webauthn_b64u_decode(&out, &n, s, 64, pool),
                         APR_SUCCESS);
        assert_int_equal(n, i);
        assert_non_null(out);
        if (i > 0) {
            assert_memory_equal(out, in, i);
        }
    }
    assert_string_equal(jc_webauthn_b64u_encode((const unsigned char *)"\xfb"
                                                "\xff", 2, pool), "-_8");
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "-_8", 2, pool),
                     APR_SUCCESS);
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "-_8", 1, pool),
                     APR_EINVAL);                    /* over max_len   */
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "AA==", 8, pool),
                     APR_EINVAL);                    /* padding        */
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "A+/A", 8, pool),
                     APR_EINVAL);                    /* base64, not url */
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "AAAAA", 8, pool),
                     APR_EINVAL);                    /* impossible len */
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "AB", 8, pool),
                     APR_EINVAL);                    /* unused bits set */
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "AAB", 8, pool),
                     APR_EINVAL);
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "AA A", 8, pool),
                     APR_EINVAL);
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, "", 8, pool),
                     APR_SUCCESS);
    assert_int_equal(n, 0);
    assert_int_equal(jc_webauthn_b64u_decode(&out, &n, NULL, 8, pool),
                     APR_EINVAL);
}

static void test_error_table(void **state)
{
    int i, j;

    (void)state;
    for (i = 0; i < JC_WA_ERR_COUNT_; i++) {
        const char *c = jc_webauthn_err_code((jc_wa_err_e)i);

        assert_non_null(c);
        assert_non_null(jc_webauthn_err_log((jc_wa_err_e)i));
        assert_true(strncmp(c, "webauthn_", 9) == 0);
        for (j = 0; j < i; j++) {
            assert_string_not_equal(c, jc_webauthn_err_code((jc_wa_err_e)j));
        }
    }
    assert_string_equal(jc_webauthn_err_code(JC_WA_ERR_FMT), "webauthn_fmt");
    assert_string_equal(jc_webauthn_err_log(JC_WA_ERR_FMT),
                        "attestation format not supported");
    assert_string_equal(jc_webauthn_err_code(JC_WA_ERR_COUNT_),
                        "webauthn_unknown");
    assert_string_equal(jc_webauthn_err_code((jc_wa_err_e)-1),
                        "webauthn_unknown");
}

int main(void)
{
    static const struct CMUnitTest direct[] = {
        cmocka_unit_test(test_fixture_list_complete),
        cmocka_unit_test(test_wrong_rp_id),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_flipped_attestation_sig),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_huge_declared_lengths),
        cmocka_unit_test(test_cbor_check),
        cmocka_unit_test(test_client_data),
        cmocka_unit_test(test_assertion_inputs),
        cmocka_unit_test(test_registration_inputs),
        cmocka_unit_test(test_att_stmt_shapes),
        cmocka_unit_test(test_challenge_new),
        cmocka_unit_test(test_b64u),
        cmocka_unit_test(test_error_table),
    };
    struct CMUnitTest tests[N_FIXTURES
                            + sizeof(direct) / sizeof(direct[0])];
    size_t i, n = 0;

    for (i = 0; i < N_FIXTURES; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_fixture, NULL);

        t.name = fixtures[i];
        t.initial_state = (void *)fixtures[i];
        tests[n++] = t;
    }
    for (i = 0; i < sizeof(direct) / sizeof(direct[0]); i++) {
        tests[n++] = direct[i];
    }
    return _cmocka_run_group_tests("webauthn", tests, n, unit_group_setup,
                                   unit_group_teardown);
}

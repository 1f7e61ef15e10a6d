/* Password policy (the seed's "Passwort" checklist) and Argon2id hashing
 * through libargon2, salts from OpenSSL's RNG. Core: no httpd headers. */

#include "jc_password.h"

#include <stdint.h>
#include <string.h>

#include <apr_strings.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define JC_PW_SALT_LEN  16  /* bytes of salt per hash        */
#define JC_PW_HASH_LEN  32  /* bytes of Argon2id output      */
#define JC_PW_DUMMY_LEN 32  /* random bytes of a dummy password */

static const jc_pw_rule_t jc_pw_rules[] = {
    { JC_PW_ERR_LENGTH,  "password_length",
      "12 bis 128 Zeichen lang" },
    { JC_PW_ERR_UPPER,   "password_upper",
      "mindestens ein Großbuchstabe (A - Z)" },
    { JC_PW_ERR_LOWER,   "password_lower",
      "mindestens ein Kleinbuchstabe (a - z)" },
    { JC_PW_ERR_DIGIT,   "password_digit",
      "mindestens eine Ziffer (0 - 9)" },
    { JC_PW_ERR_SPECIAL, "password_special",
      "mindestens eines der folgenden Sonderzeichen: "
      "@ # $ % & * - _ ! + = ; , . ? / \" ( )" },
    { JC_PW_ERR_INVALID, "password_invalid_chars",
      "keine unerlaubten Zeichen" },
    { JC_PW_ERR_REPEAT,  "password_repeat",
      "richtige Passwortwiederholung" },
    { 0, NULL, NULL }
};

const jc_pw_rule_t *jc_password_rules(void)
{
    return jc_pw_rules;
}

/* 1 if c is one of JC_PW_SPECIALS (NUL is not). */
static int jc_password_is_special(unsigned char c)
{
    return c != '\0' && strchr(JC_PW_SPECIALS, c) != NULL;
}

int jc_password_check(const char *pw, size_t len,
                      const char *repeat, size_t repeat_len)
{
    int upper = 0, lower = 0, digit = 0, special = 0, invalid = 0;
    int err = 0;
    size_t i, chars = 0;

    if (pw == NULL) {
        len = 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pw[i];

        /* the length criterion counts characters (UTF-8 lead bytes), as the
         * portal's checklist does; any non-ASCII byte is invalid anyway */
        if ((c & 0xC0) != 0x80) {
            chars++;
        }
        if (c >= 'A' && c <= 'Z') {
            upper = 1;
        }
        else if (c >= 'a' && c <= 'z') {
            lower = 1;
        }
        else if (c >= '0' && c <= '9') {
            digit = 1;
        }
        else if (jc_password_is_special(c)) {
            special = 1;
        }
        else {
            invalid = 1;
        }
    }

    if (chars < JC_PW_MIN_LEN || chars > JC_PW_MAX_LEN) {
        err |= JC_PW_ERR_LENGTH;
    }
    if (!upper) {
        err |= JC_PW_ERR_UPPER;
    }
    if (!lower) {
        err |= JC_PW_ERR_LOWER;
    }
    if (!digit) {
        err |= JC_PW_ERR_DIGIT;
    }
    if (!special) {
        err |= JC_PW_ERR_SPECIAL;
    }
    if (invalid) {
        err |= JC_PW_ERR_INVALID;
    }
    if (repeat != NULL) {
        if (repeat_len != len
            || (len > 0 && CRYPTO_memcmp(pw, repeat, len) != 0)) {
            err |= JC_PW_ERR_REPEAT;
        }
    }
    return err;
}

/* APR_SUCCESS if params are within the accepted range. */
static apr_status_t jc_password_params_ok(const jc_argon2_params_t *params)
{
    if (params == NULL
        || params->m_kib < JC_ARGON2_MIN_M_KIB
        || params->t_cost < JC_ARGON2_MIN_T_COST
        || params->lanes < JC_ARGON2_MIN_LANES
        || params->lanes > ARGON2_MAX_LANES) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t jc_password_hash(const char **phc, const char *pw, size_t len,
                              const jc_argon2_params_t *params, apr_pool_t *p)
{
    unsigned char salt[JC_PW_SALT_LEN];
    size_t enclen;
    char *enc;
    int rc;

    if (phc == NULL || p == NULL || (pw == NULL && len > 0)
        || len > ARGON2_MAX_PWD_LENGTH
        || jc_password_params_ok(params) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *phc = NULL;

    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        return APR_EGENERAL;
    }
    enclen = argon2_encodedlen(params->t_cost, params->m_kib, params->lanes,
                               JC_PW_SALT_LEN, JC_PW_HASH_LEN, Argon2_id);
    enc = apr_pcalloc(p, enclen + 1);
    rc = argon2id_hash_encoded(params->t_cost, params->m_kib, params->lanes,
                               pw, len, salt, sizeof(salt), JC_PW_HASH_LEN,
                               enc, enclen + 1);
    if (rc != ARGON2_OK) {
        return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? APR_ENOMEM
                                                    : APR_EGENERAL;
    }
    *phc = enc;
    return APR_SUCCESS;
}

/* Spend about the time of a verification with the minimum parameters,
 * used when the PHC string cannot be decoded. */
static void jc_password_burn(const char *pw, size_t len)
{
    static const unsigned char salt[JC_PW_SALT_LEN] = { 0 };
    unsigned char out[JC_PW_HASH_LEN];

    (void)argon2id_hash_raw(JC_ARGON2_MIN_T_COST, JC_ARGON2_MIN_M_KIB,
                            JC_ARGON2_MIN_LANES, pw, pw ? len : 0,
                            salt, sizeof(salt), out, sizeof(out));
    OPENSSL_cleanse(out, sizeof(out));
}

apr_status_t jc_password_verify(const char *phc, const char *pw, size_t len)
{
    int rc;

    if (pw == NULL && len > 0) {
        len = 0;
    }
    if (phc == NULL || len > ARGON2_MAX_PWD_LENGTH) {
        jc_password_burn(pw, len > ARGON2_MAX_PWD_LENGTH ? 0 : len);
        return APR_EINVAL;
    }
    rc = argon2id_verify(phc, pw, len);
    switch (rc) {
    case ARGON2_OK:
        return APR_SUCCESS;
    case ARGON2_VERIFY_MISMATCH:
        return APR_EMISMATCH;
    case ARGON2_MEMORY_ALLOCATION_ERROR:
        return APR_ENOMEM;
    default:
        /* Decoding or parameter errors: the stored string is unusable. */
        jc_password_burn(pw, len);
        return APR_EINVAL;
    }
}

const char *jc_password_dummy_hash(const jc_argon2_params_t *params,
                                   apr_pool_t *p)
{
    unsigned char pw[JC_PW_DUMMY_LEN];
    const char *phc = NULL;
    apr_status_t rv;

    if (RAND_bytes(pw, sizeof(pw)) != 1) {
        return NULL;
    }
    rv = jc_password_hash(&phc, (const char *)pw, sizeof(pw), params, p);
    OPENSSL_cleanse(pw, sizeof(pw));
    return rv == APR_SUCCESS ? phc : NULL;
}

/* Freischaltcodes and Kundennummern (see jc_fsc.h). */
#include <string.h>

#include <apr_strings.h>

#include <openssl/rand.h>

#include "jc_fsc.h"
#include "jc_token.h"

/* 32 characters: digits 2-9 and A-Z without I and O. */
const char jc_fsc_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

apr_status_t jc_fsc_new(char out[JC_FSC_LEN + 1])
{
    unsigned char rnd[JC_FSC_LEN];
    int i;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return APR_EGENERAL;
    /* 256 is a multiple of 32: taking the low 5 bits is unbiased */
    for (i = 0; i < JC_FSC_LEN; i++)
        out[i] = jc_fsc_alphabet[rnd[i] & 31];
    out[JC_FSC_LEN] = '\0';
    return APR_SUCCESS;
}

static int in_alphabet(char c)
{
    return c != '\0' && strchr(jc_fsc_alphabet, c) != NULL;
}

int jc_fsc_normalize(const char *in, char out[JC_FSC_LEN + 1])
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = 0, i;

    if (!in || strlen(in) > 100)
        return 0;
    for (i = 0; s[i]; i++) {
        unsigned char c = s[i];
        if (c == ' ' || c == '\t' || c == '-')
            continue;
        if (c == 0xC2 && s[i + 1] == 0xA0) {            /* no-break space */
            i++;
            continue;
        }
        if (c == 0xE2 && s[i + 1] == 0x80 && s[i + 2] >= 0x90
            && s[i + 2] <= 0x95) {                      /* U+2010..U+2015 */
            i += 2;
            continue;
        }
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (!in_alphabet((char)c) || n == JC_FSC_LEN)
            return 0;
        out[n++] = (char)c;
    }
    if (n != JC_FSC_LEN)
        return 0;
    out[n] = '\0';
    return 1;
}

const char *jc_fsc_group(const char *code, apr_pool_t *p)
{
    char *g = apr_palloc(p, JC_FSC_LEN + 3);

    memcpy(g, code, 4);
    g[4] = '-';
    memcpy(g + 5, code + 4, 4);
    g[9] = '-';
    memcpy(g + 10, code + 8, 4);
    g[14] = '\0';
    return g;
}

const char *jc_fsc_hash(const char *code, apr_pool_t *p)
{
    return jc_token_hash(code, strlen(code), p);
}

apr_status_t jc_kundennummer_new(char out[11])
{
    unsigned char rnd[10];
    int i;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return APR_EGENERAL;
    static const char letters[] = JC_PHONE_UPPER;
    const unsigned nl = sizeof(letters) - 1;

    /* rejection sampling keeps the digits and the letter unbiased: accept
     * b below the largest multiple of the set's size (250, 252) */
    for (i = 0; i < 10; i++) {
        unsigned char b = rnd[i];
        unsigned n = i == 3 ? nl : 10;
        int tries = 0;
        for (;;) {
            if (b < 256 - 256 % n)
                break;
            if (++tries > 64 || RAND_bytes(&b, 1) != 1)
                return APR_EGENERAL;
        }
        out[i] = i == 3 ? letters[b % n] : (char)('0' + b % 10);
    }
    out[10] = '\0';
    return APR_SUCCESS;
}

int jc_kundennummer_valid(const char *s)
{
    int i;

    if (!s || strlen(s) != 10)
        return 0;
    for (i = 0; i < 10; i++) {
        if (i == 3 ? !(s[i] >= 'A' && s[i] <= 'Z') : !(s[i] >= '0' && s[i] <= '9'))
            return 0;
    }
    return 1;
}

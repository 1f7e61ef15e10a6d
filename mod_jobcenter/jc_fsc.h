/* Freischaltcodes and Kundennummern: generation, input normalisation,
 * display grouping. Core: no httpd headers.
 *
 * A Freischaltcode is 12 characters from a 32-character alphabet of digits
 * and capital letters without the look-alikes 0/O and 1/I (60 bits),
 * random from OpenSSL's RNG. Only its SHA-256 (jc_token_hash of the
 * normalised 12 characters) is stored. */
#ifndef JC_FSC_H
#define JC_FSC_H

#include <apr_pools.h>
#include <apr_errno.h>

#define JC_FSC_LEN 12

/* Characters people read out on the phone and type without mixing them
 * up (Kundennummer letter, one-time passwords): no 0/O/o/D/Q, 1/I/l/i/j,
 * 5/S/s, 2/Z/z, 8/B, 6/G/b, 9/g/q, and a letter whose two cases look
 * alike (C K P U V W X Y) in capitals only. 18 + 9 + 5 = 32 characters,
 * so 5 random bits pick one without bias. */
#define JC_PHONE_UPPER  "ACEFHJKLMNPRTUVWXY"
#define JC_PHONE_LOWER  "adefhmnrt"
#define JC_PHONE_DIGITS "34679"
#define JC_PHONE_ALPHABET JC_PHONE_UPPER JC_PHONE_LOWER JC_PHONE_DIGITS

/* The alphabet codes are drawn from (32 characters). */
extern const char jc_fsc_alphabet[];

/* A new code: 12 characters into out[13] (NUL-terminated).
 * APR_EGENERAL if the RNG fails. */
apr_status_t jc_fsc_new(char out[JC_FSC_LEN + 1]);

/* Normalise user input: letters upper-cased, spaces, tabs and hyphens
 * (also U+2010..U+2015 dashes and U+00A0) dropped. Returns 1 and fills
 * out[13] when the rest is exactly 12 characters of the alphabet, else 0.
 * Input longer than 100 bytes is refused without scanning further. */
int jc_fsc_normalize(const char *in, char out[JC_FSC_LEN + 1]);

/* "Z8TMYQE6H578" -> "Z8TM-YQE6-H578" (allocated in p). */
const char *jc_fsc_group(const char *code, apr_pool_t *p);

/* SHA-256 hex of a normalised code (what the table stores), in p. */
const char *jc_fsc_hash(const char *code, apr_pool_t *p);

/* A new Kundennummer in the seed's format: three digits, one capital
 * letter, six digits ("123A123456"), into out[11]. The letter is one of
 * JC_PHONE_UPPER (no I, O, S, Z, B, G, D, Q: read out and typed without
 * mistaking it for a digit); 10^9 * 18 numbers. Uniqueness is the
 * caller's (the UNIQUE column; retry on conflict). */
apr_status_t jc_kundennummer_new(char out[11]);

/* 1 if s has the Kundennummer format (letter upper-case), else 0. Any
 * letter A-Z: numbers issued before the phone alphabet stay valid. */
int jc_kundennummer_valid(const char *s);

#endif

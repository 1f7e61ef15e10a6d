/* Defensive CBOR decoding on top of libcbor 0.8 for WebAuthn data
 * (attestationObject, COSE keys, authenticator extensions).
 *
 * libcbor trusts declared lengths (the 5 bytes BA 08 00 00 00 made it
 * allocate about 1 GB) and accepts duplicate map keys. So every input is
 * first walked by jc_cbor_check(), which looks at the encoding only and
 * allocates nothing: declared lengths must fit the remaining bytes, nesting
 * and container sizes are bounded, map keys must be integers or definite
 * text strings without duplicates, and the CTAP2 rules apply (no
 * indefinite lengths, no tags). Only then does libcbor decode it.
 * Core: no httpd headers. */
#ifndef JC_CBOR_UTIL_H
#define JC_CBOR_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>
#include <cbor.h>

#define JC_CBOR_MAX_INPUT  65536  /* largest input jc_cbor_check() takes   */
#define JC_CBOR_MAX_DEPTH  16     /* deepest nesting of arrays and maps    */
#define JC_CBOR_MAX_ARRAY  256    /* most elements of one array            */
#define JC_CBOR_MAX_PAIRS  64     /* most key/value pairs of one map       */

/* Outcome of a check or decode. */
typedef enum {
    JC_CBOR_OK = 0,        /* well-formed and within the limits            */
    JC_CBOR_ERR_MALFORMED, /* truncated, bad head, length beyond the input */
    JC_CBOR_ERR_TRAILING,  /* bytes left after the (single) item           */
    JC_CBOR_ERR_DUPLICATE, /* the same key twice in one map                */
    JC_CBOR_ERR_UNSUPPORTED, /* indefinite length, tag, or a map key that
                              * is not an integer or a text string         */
    JC_CBOR_ERR_LIMIT,     /* input, depth or container size over a limit  */
    JC_CBOR_ERR_NOMEM      /* libcbor could not allocate                   */
} jc_cbor_rc_e;

/* Walk the first data item of buf (len bytes) without decoding it and
 * store its encoded length in *item_len. Bytes after the item are not
 * looked at; compare *item_len with len to refuse them. */
jc_cbor_rc_e jc_cbor_check(size_t *item_len, const unsigned char *buf,
                           size_t len);

/* jc_cbor_check() followed by libcbor's cbor_load(). With whole != 0 the
 * item must span all of buf (else JC_CBOR_ERR_TRAILING); otherwise the
 * item may be followed by other bytes and *used (may be NULL) tells where
 * it ends. The item is released (cbor_decref) when p is cleared. */
jc_cbor_rc_e jc_cbor_decode(cbor_item_t **item, size_t *used,
                            const unsigned char *buf, size_t len,
                            int whole, apr_pool_t *p);

/* The value for text key `key` in a definite map, or NULL. */
cbor_item_t *jc_cbor_map_text(const cbor_item_t *map, const char *key);

/* The value for integer key `key` in a definite map, or NULL. */
cbor_item_t *jc_cbor_map_int(const cbor_item_t *map, int64_t key);

/* The value of an unsigned or negative integer item as int64_t in *v.
 * 0 if it is no integer or does not fit, else 1. */
int jc_cbor_int(int64_t *v, const cbor_item_t *item);

/* 1 if item is a text string of exactly the bytes of s, else 0. */
int jc_cbor_text_is(const cbor_item_t *item, const char *s);

/* The bytes of a definite byte string in *data and *len. 0 if item is not
 * one, else 1. An empty string gives *len 0 and a non-NULL *data. */
int jc_cbor_bytes(const unsigned char **data, size_t *len,
                  const cbor_item_t *item);

#endif

/* Defensive CBOR decoding for WebAuthn: a walk over the encoding that
 * checks declared lengths, limits, map keys and duplicates before libcbor
 * (0.8) is allowed to allocate anything. Core: no httpd headers. */

#include "jc_cbor_util.h"

#include <string.h>

/* A map key seen by the walk, kept to find duplicates. */
typedef struct {
    int major;                  /* 0 unsigned int, 1 negative int, 3 text */
    uint64_t val;               /* integer argument or text length        */
    const unsigned char *text;  /* text bytes (major 3), else NULL        */
} jc_cbor_key_t;

/* Read position in the input of jc_cbor_check(). */
typedef struct {
    const unsigned char *buf;   /* input                                  */
    size_t len;                 /* input length                           */
    size_t pos;                 /* next byte to read                      */
} jc_cbor_rd_t;

static const unsigned char jc_cbor_empty[1] = { 0 };

/* Read an item head: major type, additional info and its argument. For
 * additional info 28..31 the argument is 0 and no bytes follow. */
static jc_cbor_rc_e jc_cbor_head(jc_cbor_rd_t *rd, int *major, int *ai,
                                 uint64_t *val)
{
    unsigned char ib;
    size_t n, i;

    if (rd->pos >= rd->len) {
        return JC_CBOR_ERR_MALFORMED;
    }
    ib = rd->buf[rd->pos++];
    *major = ib >> 5;
    *ai = ib & 0x1f;
    *val = 0;
    if (*ai < 24) {
        *val = (uint64_t)*ai;
        return JC_CBOR_OK;
    }
    if (*ai > 27) {
        return JC_CBOR_OK;
    }
    n = (size_t)1 << (*ai - 24);
    if (rd->len - rd->pos < n) {
        return JC_CBOR_ERR_MALFORMED;
    }
    for (i = 0; i < n; i++) {
        *val = (*val << 8) | rd->buf[rd->pos++];
    }
    return JC_CBOR_OK;
}

static jc_cbor_rc_e jc_cbor_walk(jc_cbor_rd_t *rd, int depth);

/* Walk one map key and describe it in *key. */
static jc_cbor_rc_e jc_cbor_walk_key(jc_cbor_rd_t *rd, int depth,
                                     jc_cbor_key_t *key)
{
    jc_cbor_rd_t again;
    jc_cbor_rc_e rc;
    int major = -1, ai = 0;
    uint64_t val = 0;

    again = *rd;
    rc = jc_cbor_walk(rd, depth);
    if (rc != JC_CBOR_OK) {
        return rc;
    }
    /* Well-formed and definite: read its head once more to classify. */
    rc = jc_cbor_head(&again, &major, &ai, &val);
    if (rc != JC_CBOR_OK) {
        return rc;
    }
    if (major != 0 && major != 1 && major != 3) {
        return JC_CBOR_ERR_UNSUPPORTED;
    }
    key->major = major;
    key->val = val;
    key->text = major == 3 ? again.buf + again.pos : NULL;
    return JC_CBOR_OK;
}

static int jc_cbor_key_eq(const jc_cbor_key_t *a, const jc_cbor_key_t *b)
{
    if (a->major != b->major || a->val != b->val) {
        return 0;
    }
    return a->major != 3 || a->val == 0
           || memcmp(a->text, b->text, (size_t)a->val) == 0;
}

/* Walk one data item at rd->pos; depth counts the enclosing containers. */
static jc_cbor_rc_e jc_cbor_walk(jc_cbor_rd_t *rd, int depth)
{
    jc_cbor_key_t keys[JC_CBOR_MAX_PAIRS];
    jc_cbor_rc_e rc;
    int major, ai;
    uint64_t val, i, j;
    size_t left;

    rc = jc_cbor_head(rd, &major, &ai, &val);
    if (rc != JC_CBOR_OK) {
        return rc;
    }
    if (ai >= 28 && ai <= 30) {
        return JC_CBOR_ERR_MALFORMED;       /* reserved                  */
    }
    if (ai == 31) {
        /* Indefinite strings and containers are valid CBOR but not
         * CTAP2 canonical; a break or 31 on ints and tags is garbage. */
        return (major >= 2 && major <= 5) ? JC_CBOR_ERR_UNSUPPORTED
                                          : JC_CBOR_ERR_MALFORMED;
    }
    left = rd->len - rd->pos;
    switch (major) {
    case 0:
    case 1:
        return JC_CBOR_OK;
    case 2:
    case 3:
        if (val > left) {
            return JC_CBOR_ERR_MALFORMED;
        }
        rd->pos += (size_t)val;
        return JC_CBOR_OK;
    case 4:
        /* Every element takes at least one byte. */
        if (val > left) {
            return JC_CBOR_ERR_MALFORMED;
        }
        if (depth >= JC_CBOR_MAX_DEPTH || val > JC_CBOR_MAX_ARRAY) {
            return JC_CBOR_ERR_LIMIT;
        }
        for (i = 0; i < val; i++) {
            rc = jc_cbor_walk(rd, depth + 1);
            if (rc != JC_CBOR_OK) {
                return rc;
            }
        }
        return JC_CBOR_OK;
    case 5:
        /* Every pair takes at least two bytes. */
        if (val > left / 2) {
            return JC_CBOR_ERR_MALFORMED;
        }
        if (depth >= JC_CBOR_MAX_DEPTH || val > JC_CBOR_MAX_PAIRS) {
            return JC_CBOR_ERR_LIMIT;
        }
        for (i = 0; i < val; i++) {
            rc = jc_cbor_walk_key(rd, depth + 1, &keys[i]);
            if (rc != JC_CBOR_OK) {
                return rc;
            }
            for (j = 0; j < i; j++) {
                if (jc_cbor_key_eq(&keys[i], &keys[j])) {
                    return JC_CBOR_ERR_DUPLICATE;
                }
            }
            rc = jc_cbor_walk(rd, depth + 1);
            if (rc != JC_CBOR_OK) {
                return rc;
            }
        }
        return JC_CBOR_OK;
    case 6:
        return JC_CBOR_ERR_UNSUPPORTED;     /* tags: not in CTAP2        */
    default:
        /* Simple values and floats; a two-byte simple value below 32 is
         * not well-formed (RFC 8949 3.3). */
        if (ai == 24 && val < 32) {
            return JC_CBOR_ERR_MALFORMED;
        }
        return JC_CBOR_OK;
    }
}

jc_cbor_rc_e jc_cbor_check(size_t *item_len, const unsigned char *buf,
                           size_t len)
{
    jc_cbor_rd_t rd;
    jc_cbor_rc_e rc;

    *item_len = 0;
    if (buf == NULL || len == 0) {
        return JC_CBOR_ERR_MALFORMED;
    }
    if (len > JC_CBOR_MAX_INPUT) {
        return JC_CBOR_ERR_LIMIT;
    }
    rd.buf = buf;
    rd.len = len;
    rd.pos = 0;
    rc = jc_cbor_walk(&rd, 0);
    if (rc == JC_CBOR_OK) {
        *item_len = rd.pos;
    }
    return rc;
}

static apr_status_t jc_cbor_cleanup(void *data)
{
    cbor_item_t *item = data;

    cbor_decref(&item);
    return APR_SUCCESS;
}

jc_cbor_rc_e jc_cbor_decode(cbor_item_t **item, size_t *used,
                            const unsigned char *buf, size_t len,
                            int whole, apr_pool_t *p)
{
    struct cbor_load_result res;
    cbor_item_t *it;
    jc_cbor_rc_e rc;
    size_t n;

    *item = NULL;
    if (used != NULL) {
        *used = 0;
    }
    rc = jc_cbor_check(&n, buf, len);
    if (rc != JC_CBOR_OK) {
        return rc;
    }
    if (whole && n != len) {
        return JC_CBOR_ERR_TRAILING;
    }
    memset(&res, 0, sizeof(res));
    it = cbor_load(buf, n, &res);
    if (it == NULL || res.error.code != CBOR_ERR_NONE || res.read != n) {
        if (it != NULL) {
            cbor_decref(&it);
        }
        return res.error.code == CBOR_ERR_MEMERROR ? JC_CBOR_ERR_NOMEM
                                                   : JC_CBOR_ERR_MALFORMED;
    }
    apr_pool_cleanup_register(p, it, jc_cbor_cleanup,
                              apr_pool_cleanup_null);
    *item = it;
    if (used != NULL) {
        *used = n;
    }
    return JC_CBOR_OK;
}

cbor_item_t *jc_cbor_map_text(const cbor_item_t *map, const char *key)
{
    struct cbor_pair *pairs;
    size_t i, n;

    if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map)) {
        return NULL;
    }
    pairs = cbor_map_handle(map);
    n = cbor_map_size(map);
    for (i = 0; i < n; i++) {
        if (jc_cbor_text_is(pairs[i].key, key)) {
            return pairs[i].value;
        }
    }
    return NULL;
}

cbor_item_t *jc_cbor_map_int(const cbor_item_t *map, int64_t key)
{
    struct cbor_pair *pairs;
    size_t i, n;
    int64_t v;

    if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map)) {
        return NULL;
    }
    pairs = cbor_map_handle(map);
    n = cbor_map_size(map);
    for (i = 0; i < n; i++) {
        if (jc_cbor_int(&v, pairs[i].key) && v == key) {
            return pairs[i].value;
        }
    }
    return NULL;
}

int jc_cbor_int(int64_t *v, const cbor_item_t *item)
{
    uint64_t u;

    if (item == NULL) {
        return 0;
    }
    if (cbor_isa_uint(item)) {
        u = cbor_get_int(item);
        if (u > (uint64_t)INT64_MAX) {
            return 0;
        }
        *v = (int64_t)u;
        return 1;
    }
    if (cbor_isa_negint(item)) {
        /* COSE -1 is encoded as 0x20: value = -1 - argument. */
        u = cbor_get_int(item);
        if (u > (uint64_t)INT64_MAX) {
            return 0;
        }
        *v = -1 - (int64_t)u;
        return 1;
    }
    return 0;
}

int jc_cbor_text_is(const cbor_item_t *item, const char *s)
{
    size_t n = strlen(s);

    if (item == NULL || !cbor_isa_string(item)
        || !cbor_string_is_definite(item)
        || cbor_string_length(item) != n) {
        return 0;
    }
    /* The handle is not NUL-terminated (and may be NULL when empty). */
    return n == 0 || memcmp(cbor_string_handle(item), s, n) == 0;
}

int jc_cbor_bytes(const unsigned char **data, size_t *len,
                  const cbor_item_t *item)
{
    if (item == NULL || !cbor_isa_bytestring(item)
        || !cbor_bytestring_is_definite(item)) {
        return 0;
    }
    *len = cbor_bytestring_length(item);
    *data = *len ? cbor_bytestring_handle(item) : jc_cbor_empty;
    return *data != NULL;
}

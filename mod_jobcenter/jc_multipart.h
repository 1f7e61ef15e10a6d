/* Streaming push parser for multipart/form-data (RFC 7578 on RFC 2046).
 * Feed the body in chunks of any size; the parser calls back at the start
 * of each part (with its parsed headers), with the part's data (pointers
 * into the fed buffer, never a copy), and at the end of each part.
 *
 * Memory: one header buffer of limits.max_header_bytes, a subpool for the
 * current part's header strings (cleared at the next part), and an integer
 * for a delimiter split across chunks (its bytes are the known delimiter
 * prefix, so nothing of the data is held back in a buffer). Constant
 * regardless of the body size.
 *
 * Line ends are exactly CRLF, as RFC 2046 requires and curl and browsers
 * send. An LF-only body is refused: its first boundary line ends in a
 * bare LF (JC_MP_ERR_SYNTAX), and an LF-only delimiter inside data is
 * just data (so such a body would end in JC_MP_ERR_TRUNCATED).
 * Core: no httpd headers. */
#ifndef JC_MULTIPART_H
#define JC_MULTIPART_H

#include <stddef.h>

#include <apr_pools.h>

#include "jc_result.h"

#define JC_MP_BOUNDARY_MAX 70   /* RFC 2046 5.1.1 */

typedef enum {
    JC_MP_OK = 0,
    JC_MP_ERR_CTYPE,        /* not multipart/form-data or bad boundary   */
    JC_MP_ERR_SYNTAX,       /* malformed body or part headers            */
    JC_MP_ERR_HEADER_SIZE,  /* a part's header block exceeds the limit   */
    JC_MP_ERR_HEADER_COUNT, /* a part has more header lines than allowed */
    JC_MP_ERR_PARTS,        /* more parts than allowed                   */
    JC_MP_ERR_TRUNCATED,    /* finish without the closing delimiter      */
    JC_MP_ERR_CALLBACK      /* a callback returned non-zero              */
} jc_mp_err_e;

/* The headers of one part. Strings live until the next part begins (or
 * the parser's pool goes); NULL when absent. */
typedef struct {
    unsigned index;              /* 0 for the first part                 */
    const char *name;            /* Content-Disposition name=            */
    const char *filename;        /* filename= as sent (quotes removed)   */
    const char *filename_star;   /* filename*= decoded to UTF-8 (RFC
                                    5987: UTF-8 or ISO-8859-1), NULL if
                                    absent or not decodable              */
    const char *content_type;    /* Content-Type value, trimmed; the
                                    client's claim, never trusted        */
    int is_file;                 /* 1 if filename or filename* was sent  */
} jc_mp_part_t;

/* Callbacks; any may be NULL. A non-zero return stops the parser with
 * JC_MP_ERR_CALLBACK (the caller keeps its own reason). */
typedef struct {
    int (*part_begin)(void *baton, const jc_mp_part_t *part);
    /* len > 0; data points into the buffer given to jc_mp_feed or into a
     * constant copy of the delimiter, valid only during the call */
    int (*part_data)(void *baton, const char *data, size_t len);
    int (*part_end)(void *baton);
    void *baton;                 /* passed to every callback             */
} jc_mp_callbacks_t;

typedef struct {
    size_t max_header_bytes;     /* per part, including the CRLFs; >= 4  */
    unsigned max_headers;        /* header lines per part; >= 1          */
    unsigned max_parts;          /* parts per body; >= 1                 */
} jc_mp_limits_t;

typedef struct jc_mp jc_mp_t;

/* The boundary parameter of a Content-Type value "multipart/form-data;
 * boundary=..." (token or quoted string, 1..70 characters of RFC 2046's
 * bchars, not ending in a space) into *out (in p). JC_MP_ERR_CTYPE for
 * another media type, a missing, duplicate or invalid boundary. */
jc_mp_err_e jc_multipart_boundary(const char **out, const char *ctype,
                                  apr_pool_t *p);

/* A parser for boundary (as returned by jc_multipart_boundary) in p.
 * JC_MP_ERR_CTYPE for an invalid boundary; limits of 0 are raised to the
 * minimum. cb is copied. */
jc_mp_err_e jc_mp_create(jc_mp_t **out, const char *boundary,
                         const jc_mp_limits_t *limits,
                         const jc_mp_callbacks_t *cb, apr_pool_t *p);

/* Parse len more bytes of the body. After an error every further call
 * returns the same error. */
jc_mp_err_e jc_mp_feed(jc_mp_t *mp, const char *buf, size_t len);

/* The body has ended: JC_MP_OK if the closing delimiter was seen (the
 * epilogue after it is ignored), JC_MP_ERR_TRUNCATED if not, or the
 * earlier error. */
jc_mp_err_e jc_mp_finish(jc_mp_t *mp);

/* Number of parts begun so far. */
unsigned jc_mp_parts(const jc_mp_t *mp);

/* Stable code ("multipart_invalid", ...), German message and HTTP status
 * for an error; jc_mp_result sets all of them into res and returns the
 * status. JC_MP_ERR_CALLBACK maps to a 500 (the callback should have
 * set its own result). */
const char *jc_mp_err_code(jc_mp_err_e err);
const char *jc_mp_err_message(jc_mp_err_e err);
int jc_mp_err_status(jc_mp_err_e err);
int jc_mp_result(jc_result_t *res, jc_mp_err_e err);

#endif

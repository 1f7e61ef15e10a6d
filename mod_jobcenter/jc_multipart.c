/* Streaming multipart/form-data parser (see jc_multipart.h).
 *
 * The delimiter is "\r\n--" + boundary. The body is scanned with memchr
 * for '\r'; at each candidate the delimiter is compared as far as the
 * chunk goes. A candidate cut off by the end of the chunk is remembered
 * as the number of delimiter bytes matched (mp->match): those bytes are
 * the delimiter's own prefix, so if the match fails in the next chunk
 * they are handed to part_data from the constant delimiter string. As
 * '\r' occurs in the delimiter only at position 0, a failed candidate
 * never hides the start of another one (no KMP table needed). The body
 * starts as if preceded by CRLF (mp->match = 2 at creation), so a body
 * that opens with "--boundary" has an empty preamble. */
#include "jc_b64u.h"
#include "jc_multipart.h"
#include "jc_utf8.h"

#include <string.h>

#include <apr_strings.h>

typedef enum {
    ST_PREAMBLE,    /* before the first delimiter: discarded             */
    ST_AFTER_DELIM, /* "--boundary" seen: "--", padding or CRLF follows  */
    ST_DASH2,       /* one '-' after the boundary: the second must come  */
    ST_PADDING,     /* transport padding (SP/HT) before the CRLF         */
    ST_LF,          /* CR after the boundary line: LF must follow        */
    ST_HEADERS,     /* collecting a part's header block                  */
    ST_BODY,        /* part data, scanning for the delimiter             */
    ST_EPILOGUE,    /* after the closing delimiter: discarded            */
    ST_ERROR        /* sticky: mp->err says why                          */
} jc_mp_state_e;

struct jc_mp {
    char *delim;              /* "\r\n--" + boundary                     */
    size_t dlen;              /* its length (5..74)                      */
    size_t match;             /* delimiter bytes matched at chunk end    */
    jc_mp_state_e state;      /* where the parser is                     */
    jc_mp_err_e err;          /* JC_MP_OK or the sticky error            */
    char *hdr;                /* header block buffer (max_header_bytes)  */
    size_t hlen;              /* bytes in hdr                            */
    unsigned hlines;          /* header lines completed in hdr           */
    unsigned parts;           /* parts begun                             */
    jc_mp_limits_t lim;       /* limits, raised to the minimums          */
    jc_mp_callbacks_t cb;     /* callbacks (copied)                      */
    apr_pool_t *ppool;        /* current part's strings; cleared per part */
};

/* ---- Content-Type and header value helpers ---- */

static int mp_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int mp_bchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || (c && strchr("'()+_,-./:=? ", c));
}

static const char *mp_ows(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return s;
}

/* A parameter value at *sp: quoted string or a run of characters up to
 * ';' or white space. Quoted: "\\" before '"' or '\\' escapes it; for
 * Content-Type (any_escape) a backslash escapes any character (RFC 7230
 * quoted-pair), for Content-Disposition only those two, so that a path
 * like C:\x\y.pdf sent unescaped by old browsers keeps its backslashes.
 * NULL on an unterminated quote or an empty unquoted value. */
static char *mp_param_value(const char **sp, int any_escape, apr_pool_t *p)
{
    const char *s = *sp;
    char *out, *o;

    if (*s == '"') {
        out = o = apr_palloc(p, strlen(s));
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1]
                && (any_escape || s[1] == '"' || s[1] == '\\')) {
                s++;
            }
            *o++ = *s;
        }
        if (*s != '"') {
            return NULL;
        }
        *o = '\0';
        *sp = s + 1;
        return out;
    }
    while (*s && *s != ';' && *s != ' ' && *s != '\t' && *s != '"') {
        s++;
    }
    if (s == *sp) {
        return NULL;
    }
    out = apr_pstrmemdup(p, *sp, (size_t)(s - *sp));
    *sp = s;
    return out;
}

/* One "; name=value" parameter at *sp. 1 = got one, 0 = end of value,
 * -1 = syntax error. A trailing ';' is tolerated. */
static int mp_param(const char **sp, char **name, char **value,
                    int any_escape, apr_pool_t *p)
{
    const char *s = mp_ows(*sp), *n;

    if (*s == '\0') {
        return 0;
    }
    if (*s != ';') {
        return -1;
    }
    s = mp_ows(s + 1);
    if (*s == '\0') {
        *sp = s;
        return 0;
    }
    for (n = s; mp_tchar((unsigned char)*s); s++) {
    }
    if (s == n) {
        return -1;
    }
    *name = apr_pstrmemdup(p, n, (size_t)(s - n));
    s = mp_ows(s);
    if (*s != '=') {
        return -1;
    }
    s = mp_ows(s + 1);
    *value = mp_param_value(&s, any_escape, p);
    if (*value == NULL) {
        return -1;
    }
    *sp = s;
    return 1;
}

static int mp_boundary_ok(const char *b)
{
    size_t n = strlen(b), i;

    if (n < 1 || n > JC_MP_BOUNDARY_MAX || b[n - 1] == ' ') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!mp_bchar((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

jc_mp_err_e jc_multipart_boundary(const char **out, const char *ctype,
                                  apr_pool_t *p)
{
    static const char mt[] = "multipart/form-data";
    const char *s, *boundary = NULL;
    char *name, *value;
    int r;

    *out = NULL;
    if (ctype == NULL) {
        return JC_MP_ERR_CTYPE;
    }
    s = mp_ows(ctype);
    if (strncasecmp(s, mt, sizeof(mt) - 1) != 0) {
        return JC_MP_ERR_CTYPE;
    }
    s += sizeof(mt) - 1;
    if (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t') {
        return JC_MP_ERR_CTYPE;
    }
    while ((r = mp_param(&s, &name, &value, 1, p)) == 1) {
        if (strcasecmp(name, "boundary") == 0) {
            if (boundary) {
                return JC_MP_ERR_CTYPE;
            }
            boundary = value;
        }
    }
    if (r < 0 || boundary == NULL || !mp_boundary_ok(boundary)) {
        return JC_MP_ERR_CTYPE;
    }
    *out = boundary;
    return JC_MP_OK;
}

/* ---- filename* (RFC 5987 ext-value) ---- */

/* charset'language'pct-encoded -> UTF-8, or NULL (other charsets,
 * malformed escapes, NUL, invalid UTF-8). */
static const char *mp_ext_value(const char *v, apr_pool_t *p)
{
    const char *q1 = strchr(v, '\''), *q2, *s;
    size_t clen;
    int latin1;
    unsigned char *raw, *o;
    char *utf, *u;

    if (q1 == NULL || (q2 = strchr(q1 + 1, '\'')) == NULL) {
        return NULL;
    }
    clen = (size_t)(q1 - v);
    if (clen == 5 && strncasecmp(v, "UTF-8", 5) == 0) {
        latin1 = 0;
    }
    else if (clen == 10 && strncasecmp(v, "ISO-8859-1", 10) == 0) {
        latin1 = 1;
    }
    else {
        return NULL;
    }
    raw = o = apr_palloc(p, strlen(q2) + 1);
    for (s = q2 + 1; *s; s++) {
        if (*s == '%') {
            int hi = jc_hex_value((unsigned char)s[1]);
            int lo = hi < 0 ? -1 : jc_hex_value((unsigned char)s[2]);

            if (lo < 0 || (hi | lo) == 0) {
                return NULL;
            }
            *o++ = (unsigned char)(hi << 4 | lo);
            s += 2;
        }
        else {
            *o++ = (unsigned char)*s;
        }
    }
    *o = '\0';
    if (!latin1) {
        return jc_utf8_valid((const char *)raw) ? (const char *)raw : NULL;
    }
    utf = u = apr_palloc(p, 2 * (size_t)(o - raw) + 1);
    for (o = raw; *o; o++) {
        if (*o < 0x80) {
            *u++ = (char)*o;
        }
        else {
            *u++ = (char)(0xc0 | (*o >> 6));
            *u++ = (char)(0x80 | (*o & 0x3f));
        }
    }
    *u = '\0';
    return utf;
}

/* ---- part headers ---- */

static jc_mp_err_e mp_disposition(jc_mp_part_t *part, const char *v,
                                  apr_pool_t *p)
{
    static const char fd[] = "form-data";
    const char *s = v;
    char *name, *value;
    int r, seen_fn = 0, seen_fs = 0;

    if (strncasecmp(s, fd, sizeof(fd) - 1) != 0) {
        return JC_MP_ERR_SYNTAX;
    }
    s += sizeof(fd) - 1;
    if (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t') {
        return JC_MP_ERR_SYNTAX;
    }
    while ((r = mp_param(&s, &name, &value, 0, p)) == 1) {
        if (strcasecmp(name, "name") == 0) {
            if (part->name) {
                return JC_MP_ERR_SYNTAX;
            }
            part->name = value;
        }
        else if (strcasecmp(name, "filename") == 0) {
            if (seen_fn++) {
                return JC_MP_ERR_SYNTAX;
            }
            part->filename = value;
        }
        else if (strcasecmp(name, "filename*") == 0) {
            if (seen_fs++) {
                return JC_MP_ERR_SYNTAX;
            }
            part->filename_star = mp_ext_value(value, p);
        }
    }
    if (r < 0 || part->name == NULL) {
        return JC_MP_ERR_SYNTAX;
    }
    part->is_file = seen_fn || seen_fs;
    return JC_MP_OK;
}

/* Parse mp->hdr (complete block, ending in an empty line) into part. */
static jc_mp_err_e mp_headers(jc_mp_t *mp, jc_mp_part_t *part)
{
    const char *s = mp->hdr, *end = mp->hdr + mp->hlen - 2;
    int seen_cd = 0;

    while (s < end) {
        const char *eol = memchr(s, '\r', (size_t)(end - s));
        const char *n = s, *colon, *vb, *ve, *c;
        char *value;

        /* every line ends in CRLF (checked while collecting), so the
         * first CR is the line end unless a bare CR sits inside */
        if (eol == NULL || eol[1] != '\n') {
            return JC_MP_ERR_SYNTAX;
        }
        while (n < eol && mp_tchar((unsigned char)*n)) {
            n++;
        }
        if (n == s || n == eol || *n != ':') {
            return JC_MP_ERR_SYNTAX;   /* also obs-fold (leading SP/HT) */
        }
        colon = n;
        for (c = colon + 1; c < eol; c++) {
            if ((unsigned char)*c < 0x20 && *c != '\t') {
                return JC_MP_ERR_SYNTAX;
            }
            if (*c == 0x7f) {
                return JC_MP_ERR_SYNTAX;
            }
        }
        vb = colon + 1;
        while (vb < eol && (*vb == ' ' || *vb == '\t')) {
            vb++;
        }
        ve = eol;
        while (ve > vb && (ve[-1] == ' ' || ve[-1] == '\t')) {
            ve--;
        }
        value = apr_pstrmemdup(mp->ppool, vb, (size_t)(ve - vb));
        if ((size_t)(colon - s) == 19
            && strncasecmp(s, "Content-Disposition", 19) == 0) {
            jc_mp_err_e e;

            if (seen_cd++) {
                return JC_MP_ERR_SYNTAX;
            }
            e = mp_disposition(part, value, mp->ppool);
            if (e != JC_MP_OK) {
                return e;
            }
        }
        else if ((size_t)(colon - s) == 12
                 && strncasecmp(s, "Content-Type", 12) == 0) {
            if (part->content_type) {
                return JC_MP_ERR_SYNTAX;
            }
            part->content_type = value;
        }
        s = eol + 2;
    }
    return seen_cd ? JC_MP_OK : JC_MP_ERR_SYNTAX;
}

/* ---- the machine ---- */

static jc_mp_err_e mp_fail(jc_mp_t *mp, jc_mp_err_e err)
{
    mp->state = ST_ERROR;
    mp->err = err;
    return err;
}

jc_mp_err_e jc_mp_create(jc_mp_t **out, const char *boundary,
                         const jc_mp_limits_t *limits,
                         const jc_mp_callbacks_t *cb, apr_pool_t *p)
{
    jc_mp_t *mp;

    *out = NULL;
    if (boundary == NULL || !mp_boundary_ok(boundary)) {
        return JC_MP_ERR_CTYPE;
    }
    mp = apr_pcalloc(p, sizeof(*mp));
    mp->delim = apr_pstrcat(p, "\r\n--", boundary, NULL);
    mp->dlen = strlen(mp->delim);
    mp->match = 2;              /* the body starts as if after a CRLF */
    mp->state = ST_PREAMBLE;
    if (limits) {
        mp->lim = *limits;
    }
    if (mp->lim.max_header_bytes < 4) {
        mp->lim.max_header_bytes = 4;
    }
    if (mp->lim.max_headers < 1) {
        mp->lim.max_headers = 1;
    }
    if (mp->lim.max_parts < 1) {
        mp->lim.max_parts = 1;
    }
    if (cb) {
        mp->cb = *cb;
    }
    mp->hdr = apr_palloc(p, mp->lim.max_header_bytes);
    if (apr_pool_create(&mp->ppool, p) != APR_SUCCESS) {
        return JC_MP_ERR_CALLBACK;
    }
    *out = mp;
    return JC_MP_OK;
}

static int mp_emit(jc_mp_t *mp, const char *data, size_t len)
{
    if (len == 0 || mp->state != ST_BODY || mp->cb.part_data == NULL) {
        return 0;
    }
    return mp->cb.part_data(mp->cb.baton, data, len);
}

/* The full delimiter was matched. */
static jc_mp_err_e mp_delim(jc_mp_t *mp)
{
    if (mp->state == ST_BODY && mp->cb.part_end
        && mp->cb.part_end(mp->cb.baton) != 0) {
        return mp_fail(mp, JC_MP_ERR_CALLBACK);
    }
    mp->state = ST_AFTER_DELIM;
    return JC_MP_OK;
}

/* Preamble or body: returns the bytes consumed (up to and including a
 * delimiter, or all of them). */
static size_t mp_scan(jc_mp_t *mp, const char *buf, size_t len)
{
    size_t i = 0, start = 0;

    if (mp->match > 0) {
        size_t k = mp->match;

        while (i < len && k < mp->dlen && buf[i] == mp->delim[k]) {
            i++;
            k++;
        }
        if (k == mp->dlen) {
            mp->match = 0;
            mp_delim(mp);
            return i;
        }
        if (i == len) {
            mp->match = k;
            return len;
        }
        /* not a delimiter: the held prefix was data */
        if (mp_emit(mp, mp->delim, mp->match) != 0) {
            mp_fail(mp, JC_MP_ERR_CALLBACK);
            return len;
        }
        mp->match = 0;
    }
    while (i < len) {
        const char *cr = memchr(buf + i, '\r', len - i);
        size_t j, m, k = 0;

        if (cr == NULL) {
            break;
        }
        j = (size_t)(cr - buf);
        m = j;
        while (m < len && k < mp->dlen && buf[m] == mp->delim[k]) {
            m++;
            k++;
        }
        if (k == mp->dlen || m == len) {
            if (mp_emit(mp, buf + start, j - start) != 0) {
                mp_fail(mp, JC_MP_ERR_CALLBACK);
                return len;
            }
            if (k == mp->dlen) {
                mp_delim(mp);
                return m;
            }
            mp->match = k;
            return len;
        }
        i = j + 1;
    }
    if (mp_emit(mp, buf + start, len - start) != 0) {
        mp_fail(mp, JC_MP_ERR_CALLBACK);
    }
    return len;
}

/* Start collecting the headers of a new part. */
static jc_mp_err_e mp_part_start(jc_mp_t *mp)
{
    if (mp->parts >= mp->lim.max_parts) {
        return mp_fail(mp, JC_MP_ERR_PARTS);
    }
    mp->parts++;
    mp->hlen = 0;
    mp->hlines = 0;
    mp->state = ST_HEADERS;
    return JC_MP_OK;
}

/* Collect header bytes; returns the bytes consumed. */
static size_t mp_collect(jc_mp_t *mp, const char *buf, size_t len)
{
    size_t i = 0;

    while (i < len) {
        char c = buf[i++];

        if (mp->hlen >= mp->lim.max_header_bytes) {
            mp_fail(mp, JC_MP_ERR_HEADER_SIZE);
            return len;
        }
        mp->hdr[mp->hlen++] = c;
        if (c != '\n') {
            continue;
        }
        if (mp->hlen < 2 || mp->hdr[mp->hlen - 2] != '\r') {
            mp_fail(mp, JC_MP_ERR_SYNTAX);   /* bare LF */
            return len;
        }
        if (mp->hlen == 2
            || (mp->hlen >= 4 && mp->hdr[mp->hlen - 3] == '\n')) {
            jc_mp_part_t part;
            jc_mp_err_e e;

            apr_pool_clear(mp->ppool);
            memset(&part, 0, sizeof(part));
            part.index = mp->parts - 1;
            e = mp_headers(mp, &part);
            if (e != JC_MP_OK) {
                mp_fail(mp, e);
                return len;
            }
            if (mp->cb.part_begin
                && mp->cb.part_begin(mp->cb.baton, &part) != 0) {
                mp_fail(mp, JC_MP_ERR_CALLBACK);
                return len;
            }
            mp->state = ST_BODY;
            mp->match = 0;
            return i;
        }
        if (++mp->hlines > mp->lim.max_headers) {
            mp_fail(mp, JC_MP_ERR_HEADER_COUNT);
            return len;
        }
    }
    return len;
}

jc_mp_err_e jc_mp_feed(jc_mp_t *mp, const char *buf, size_t len)
{
    size_t i = 0;

    while (i < len && mp->state != ST_ERROR) {
        char c;

        switch (mp->state) {
        case ST_PREAMBLE:
        case ST_BODY:
            i += mp_scan(mp, buf + i, len - i);
            break;
        case ST_HEADERS:
            i += mp_collect(mp, buf + i, len - i);
            break;
        case ST_AFTER_DELIM:
        case ST_PADDING:
            c = buf[i++];
            if (c == '-' && mp->state == ST_AFTER_DELIM) {
                mp->state = ST_DASH2;
            }
            else if (c == ' ' || c == '\t') {
                mp->state = ST_PADDING;
            }
            else if (c == '\r') {
                mp->state = ST_LF;
            }
            else {
                mp_fail(mp, JC_MP_ERR_SYNTAX);
            }
            break;
        case ST_DASH2:
            if (buf[i++] != '-') {
                mp_fail(mp, JC_MP_ERR_SYNTAX);
            }
            else {
                mp->state = ST_EPILOGUE;
            }
            break;
        case ST_LF:
            if (buf[i++] != '\n') {
                mp_fail(mp, JC_MP_ERR_SYNTAX);
            }
            else {
                mp_part_start(mp);
            }
            break;
        case ST_EPILOGUE:
            i = len;
            break;
        case ST_ERROR:
            break;
        }
    }
    return mp->err;
}

jc_mp_err_e jc_mp_finish(jc_mp_t *mp)
{
    if (mp->state == ST_ERROR) {
        return mp->err;
    }
    if (mp->state != ST_EPILOGUE) {
        return mp_fail(mp, JC_MP_ERR_TRUNCATED);
    }
    return JC_MP_OK;
}

unsigned jc_mp_parts(const jc_mp_t *mp)
{
    return mp->parts;
}

/* ---- errors ---- */

const char *jc_mp_err_code(jc_mp_err_e err)
{
    switch (err) {
    case JC_MP_OK:               return NULL;
    case JC_MP_ERR_CTYPE:        return "multipart_invalid";
    case JC_MP_ERR_SYNTAX:       return "multipart_invalid";
    case JC_MP_ERR_HEADER_SIZE:  return "multipart_header_too_large";
    case JC_MP_ERR_HEADER_COUNT: return "multipart_too_many_headers";
    case JC_MP_ERR_PARTS:        return "multipart_too_many_parts";
    case JC_MP_ERR_TRUNCATED:    return "multipart_truncated";
    case JC_MP_ERR_CALLBACK:     return "internal_error";
    }
    return "multipart_invalid";
}

const char *jc_mp_err_message(jc_mp_err_e err)
{
    switch (err) {
    case JC_MP_OK:
        return NULL;
    case JC_MP_ERR_CTYPE:
    case JC_MP_ERR_SYNTAX:
        return "Die Anfrage ist kein gültiges Formular "
               "(multipart/form-data).";
    case JC_MP_ERR_HEADER_SIZE:
        return "Die Angaben zu einem Teil des Formulars sind zu lang.";
    case JC_MP_ERR_HEADER_COUNT:
        return "Ein Teil des Formulars enthält zu viele Angaben.";
    case JC_MP_ERR_PARTS:
        return "Das Formular enthält zu viele Teile.";
    case JC_MP_ERR_TRUNCATED:
        return "Das Formular wurde nicht vollständig übertragen. Bitte "
               "senden Sie es erneut.";
    case JC_MP_ERR_CALLBACK:
        return "Es ist ein technischer Fehler aufgetreten. Bitte "
               "versuchen Sie es später erneut.";
    }
    return "Die Anfrage ist kein gültiges Formular (multipart/form-data).";
}

int jc_mp_err_status(jc_mp_err_e err)
{
    switch (err) {
    case JC_MP_OK:             return 200;
    case JC_MP_ERR_CTYPE:      return 415;
    case JC_MP_ERR_PARTS:      return 413;
    case JC_MP_ERR_CALLBACK:   return 500;
    default:                   return 400;
    }
}

int jc_mp_result(jc_result_t *res, jc_mp_err_e err)
{
    if (err == JC_MP_OK) {
        jc_result_ok(res);
        return 200;
    }
    if (err == JC_MP_ERR_CALLBACK) {
        return jc_result_internal(res, "multipart callback failed");
    }
    return jc_result_set(res, jc_mp_err_status(err), jc_mp_err_code(err),
                         jc_mp_err_message(err), NULL);
}

/* QR codes with libqrencode: the module matrix and a compact SVG rendering
 * (one path of horizontal runs). Core: no httpd headers. */

#include "jc_qr.h"
#include "jc_utf8.h"

#include <errno.h>
#include <string.h>

#include <apr_strings.h>

#include <qrencode.h>

/* Length of text if it is non-empty printable ASCII, else 0. Stops
 * counting past JC_QR_TEXT_MAX. */
static size_t jc_qr_text_len(const char *text)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t n = 0;

    if (text == NULL) {
        return 0;
    }
    for (; u[n] != '\0' && n <= JC_QR_TEXT_MAX; n++) {
        if (u[n] < 0x20 || u[n] > 0x7e) {
            return 0;
        }
    }
    return n;
}

/* s with & < > " ' replaced by entities, in p. */
static const char *jc_qr_xml_escape(const char *s, apr_pool_t *p)
{
    size_t n = 0;
    const char *c;
    char *out, *o;

    for (c = s; *c; c++) {
        n += (*c == '&' || *c == '"' || *c == '\'') ? 6
             : (*c == '<' || *c == '>') ? 4 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        const char *e = NULL;

        switch (*c) {
        case '&':  e = "&amp;";  break;
        case '<':  e = "&lt;";   break;
        case '>':  e = "&gt;";   break;
        case '"':  e = "&quot;"; break;
        case '\'': e = "&#39;";  break;
        default:   *o++ = *c;    break;
        }
        if (e != NULL) {
            size_t k = strlen(e);

            memcpy(o, e, k);
            o += k;
        }
    }
    *o = '\0';
    return out;
}

apr_status_t jc_qr_encode(jc_qr_t **qr, const char *text, apr_pool_t *p)
{
    QRcode *code;
    jc_qr_t *q;
    unsigned char *dark;
    size_t i, n, cells;

    if (qr == NULL) {
        return APR_EINVAL;
    }
    *qr = NULL;
    if (p == NULL || (n = jc_qr_text_len(text)) == 0) {
        return APR_EINVAL;
    }
    if (n > JC_QR_TEXT_MAX) {
        return APR_ENOSPC;   /* do not make libqrencode try */
    }
    errno = 0;
    /* QR_MODE_8 hint and case-sensitive: digits and upper-case runs still
     * get the denser numeric/alphanumeric segments, the rest is 8-bit. */
    code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (code == NULL) {
        return errno == ERANGE ? APR_ENOSPC
               : errno == ENOMEM ? APR_ENOMEM : APR_EINVAL;
    }
    cells = (size_t)code->width * (size_t)code->width;
    dark = apr_palloc(p, cells);
    for (i = 0; i < cells; i++) {
        dark[i] = code->data[i] & 1;
    }
    q = apr_palloc(p, sizeof(*q));
    q->width = code->width;
    q->version = code->version;
    q->dark = dark;
    QRcode_free(code);
    *qr = q;
    return APR_SUCCESS;
}

apr_status_t jc_qr_svg(const char **svg, const char *text, const char *label,
                       int scale, apr_pool_t *p)
{
    jc_qr_t *qr;
    apr_status_t rv;
    char *d, *o;
    int x, y, n, w;
    size_t room;

    if (svg == NULL) {
        return APR_EINVAL;
    }
    *svg = NULL;
    if (p == NULL || scale < 1 || scale > JC_QR_SCALE_MAX
        || !jc_utf8_label_ok(label)) {
        return APR_EINVAL;
    }
    rv = jc_qr_encode(&qr, text, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    w = qr->width;
    n = w + 2 * JC_QR_QUIET;

    /* A row holds at most (w + 1) / 2 runs; one run is at most
     * "M180 180h177v1h-177z" (20 characters) plus snprintf's NUL. */
    room = (size_t)w * ((size_t)w / 2 + 1) * 24 + 1;
    o = d = apr_palloc(p, room);
    for (y = 0; y < w; y++) {
        const unsigned char *row = qr->dark + (size_t)y * (size_t)w;

        for (x = 0; x < w; x++) {
            int run;

            if (!row[x]) {
                continue;
            }
            for (run = 1; x + run < w && row[x + run]; run++) {
                ;
            }
            o += apr_snprintf(o, room - (size_t)(o - d), "M%d %dh%dv1h-%dz",
                              x + JC_QR_QUIET, y + JC_QR_QUIET, run, run);
            x += run;   /* row[x + run] is light (or the end) */
        }
    }
    *o = '\0';

    *svg = apr_psprintf(p,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
        "height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\" "
        "role=\"img\" aria-label=\"%s\">"
        "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
        "<path fill=\"#000\" d=\"%s\"/></svg>",
        n * scale, n * scale, n, n, jc_qr_xml_escape(label, p), n, n, d);
    return APR_SUCCESS;
}

/* QR codes through libqrencode (error correction level M), as a module
 * matrix and as a compact SVG for the portal (e.g. the otpauth:// URI of a
 * new TOTP secret). Core: no httpd headers. */
#ifndef JC_QR_H
#define JC_QR_H

#include <apr_pools.h>
#include <apr_errno.h>

#define JC_QR_QUIET     4     /* modules of quiet zone on every side       */
#define JC_QR_SCALE_MAX 64    /* largest pixels per module for jc_qr_svg() */
#define JC_QR_TEXT_MAX  5596  /* longest text a level M symbol holds (digits
                                 only; 2331 bytes of 8-bit data)           */

/* An encoded QR symbol, without quiet zone. */
typedef struct {
    int width;                 /* modules per side (21 for version 1, ...)   */
    int version;               /* QR version 1..40 that libqrencode chose     */
    const unsigned char *dark; /* width * width bytes, row by row, row 0 at
                                  the top, column 0 at the left; 1 = dark,
                                  0 = light. A PDF (y up) must flip rows.    */
} jc_qr_t;

/* Encode text (printable ASCII 0x20..0x7e only, non-empty: authenticator
 * apps read other bytes differently) at level M, smallest version that
 * fits. *qr and its matrix are allocated in p. APR_EINVAL (and *qr = NULL)
 * for bad arguments, APR_ENOSPC if text does not fit a version 40 symbol
 * (longer than JC_QR_TEXT_MAX is refused without asking libqrencode),
 * APR_ENOMEM if libqrencode could not allocate. */
apr_status_t jc_qr_encode(jc_qr_t **qr, const char *text, apr_pool_t *p);

/* Render text as SVG into *svg (in p):
 *
 *   <svg xmlns=".." width="S" height="S" viewBox="0 0 N N"
 *    shape-rendering="crispEdges" role="img" aria-label="label">
 *   <rect width="N" height="N" fill="#fff"/>
 *   <path fill="#000" d="M4 4h7v1h-7z..."/></svg>
 *
 * N = width + 2 * JC_QR_QUIET user units (one per module; the white rect
 * gives the quiet zone on dark pages), S = N * scale pixels, scale
 * 1..JC_QR_SCALE_MAX. One path holds every dark module, one subpath per
 * horizontal run; y grows downwards, row 0 of the matrix is at the top.
 * label (non-empty UTF-8 without control characters) is XML-escaped.
 * Errors as jc_qr_encode(); APR_EINVAL also for a bad scale or label. */
apr_status_t jc_qr_svg(const char **svg, const char *text, const char *label,
                       int scale, apr_pool_t *p);

#endif

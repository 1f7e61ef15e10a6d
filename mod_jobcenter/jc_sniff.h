/* File type from the first bytes of an upload. Only PDF, JPEG, PNG and
 * BMP are allowed; the client's file name and Content-Type never decide.
 * Core: no httpd headers. */
#ifndef JC_SNIFF_H
#define JC_SNIFF_H

#include <stddef.h>

#include "jc_result.h"

typedef enum {
    JC_SNIFF_NONE = 0,   /* not an allowed type (ZIP, ELF, PE, HTML, ...) */
    JC_SNIFF_PDF,
    JC_SNIFF_JPEG,
    JC_SNIFF_PNG,
    JC_SNIFF_BMP
} jc_sniff_type_e;

/* Bytes jc_sniff needs to decide (18: BMP file header + DIB size). */
#define JC_SNIFF_NEED 18
size_t jc_sniff_need(void);

/* The type of a file that starts with buf. Pass min(jc_sniff_need(),
 * file size) bytes: with fewer, a signature cut short is JC_SNIFF_NONE.
 * PDF: "%PDF-"; JPEG: FF D8 FF; PNG: the 8-byte signature; BMP: "BM",
 * DIB header size 12, 40, 52, 56, 108 or 124, pixel offset at least
 * 14 + DIB size, file size field 0 or at least the pixel offset. */
jc_sniff_type_e jc_sniff(const void *buf, size_t len);

/* "application/pdf", "image/jpeg", "image/png", "image/bmp"; NULL for
 * JC_SNIFF_NONE. */
const char *jc_sniff_mime(jc_sniff_type_e type);

/* "pdf", "jpg", "png", "bmp"; NULL for JC_SNIFF_NONE. */
const char *jc_sniff_ext(jc_sniff_type_e type);

/* 415 "upload_type_not_allowed" with the German message; returns 415. */
int jc_sniff_result(jc_result_t *res);

/* Collects the first JC_SNIFF_NEED bytes of a stream across chunks. */
typedef struct {
    unsigned char buf[JC_SNIFF_NEED]; /* first bytes of the file          */
    size_t len;                       /* bytes in buf                     */
} jc_sniff_acc_t;

/* Copy up to what is still missing from data; returns 1 once
 * JC_SNIFF_NEED bytes are there (then call jc_sniff(acc->buf, acc->len);
 * at the end of a shorter file call it with what is there). */
int jc_sniff_add(jc_sniff_acc_t *acc, const void *data, size_t len);

#endif

/* File type sniffing (see jc_sniff.h). */
#include "jc_sniff.h"

#include <string.h>

size_t jc_sniff_need(void)
{
    return JC_SNIFF_NEED;
}

static unsigned long sn_le32(const unsigned char *b)
{
    return (unsigned long)b[0] | (unsigned long)b[1] << 8
           | (unsigned long)b[2] << 16 | (unsigned long)b[3] << 24;
}

static int sn_bmp(const unsigned char *b, size_t len)
{
    unsigned long fsize, off, dib;

    if (len < JC_SNIFF_NEED || b[0] != 'B' || b[1] != 'M') {
        return 0;
    }
    fsize = sn_le32(b + 2);
    off = sn_le32(b + 10);
    dib = sn_le32(b + 14);
    if (dib != 12 && dib != 40 && dib != 52 && dib != 56 && dib != 108
        && dib != 124) {
        return 0;
    }
    if (off < 14 + dib || (fsize != 0 && fsize < off)) {
        return 0;
    }
    return 1;
}

jc_sniff_type_e jc_sniff(const void *buf, size_t len)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G',
                                         '\r', '\n', 0x1a, '\n'};
    const unsigned char *b = buf;

    if (b == NULL) {
        return JC_SNIFF_NONE;
    }
    if (len >= 5 && memcmp(b, "%PDF-", 5) == 0) {
        return JC_SNIFF_PDF;
    }
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) {
        return JC_SNIFF_JPEG;
    }
    if (len >= 8 && memcmp(b, png, 8) == 0) {
        return JC_SNIFF_PNG;
    }
    if (sn_bmp(b, len)) {
        return JC_SNIFF_BMP;
    }
    return JC_SNIFF_NONE;
}

const char *jc_sniff_mime(jc_sniff_type_e type)
{
    switch (type) {
    case JC_SNIFF_PDF:  return "application/pdf";
    case JC_SNIFF_JPEG: return "image/jpeg";
    case JC_SNIFF_PNG:  return "image/png";
    case JC_SNIFF_BMP:  return "image/bmp";
    default:            return NULL;
    }
}

const char *jc_sniff_ext(jc_sniff_type_e type)
{
    switch (type) {
    case JC_SNIFF_PDF:  return "pdf";
    case JC_SNIFF_JPEG: return "jpg";
    case JC_SNIFF_PNG:  return "png";
    case JC_SNIFF_BMP:  return "bmp";
    default:            return NULL;
    }
}

int jc_sniff_result(jc_result_t *res)
{
    return jc_result_set(res, 415, "upload_type_not_allowed",
                         "Dieser Dateityp ist nicht erlaubt. Bitte laden "
                         "Sie eine Datei im Format PDF, JPEG, PNG oder BMP "
                         "hoch.", "file");
}

int jc_sniff_add(jc_sniff_acc_t *acc, const void *data, size_t len)
{
    size_t take = JC_SNIFF_NEED - acc->len;

    if (take > len) {
        take = len;
    }
    if (take > 0) {
        memcpy(acc->buf + acc->len, data, take);
        acc->len += take;
    }
    return acc->len == JC_SNIFF_NEED;
}

/* UTF-8 -> CP1252 (WinAnsiEncoding) as drawn in the PDFs (see
 * jc_letter.h, jc_letter_cp1252). Core: no httpd headers. */

#include "jc_letter.h"
#include "jc_utf8.h"

#include <string.h>

/* CP1252 0x80..0x9F and the code points they hold (0: unused) */
static const unsigned short jc_cp1252_hi[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178
};

/* Latin Extended-A (U+0100..U+017F) without accents; '*' = two letters */
static const char jc_latin_ext_a[129] =
    "AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg" "GgGgHhHhIiIiIiIi"
    "Ii**JjKkkLlLlLlL" "lLlNnNnNn*NnOoOo" "OoOoRrRrRrSsSsSs"
    "SsTtTtTtUuUuUuUu" "UuUuWwYyYZzZzZzs";

/* Decode one code point at s (n bytes left); *cp = -1 for invalid bytes.
 * Returns the number of bytes consumed (>= 1). */
static size_t jc_utf8_next(const unsigned char *s, size_t n, long *cp)
{
    size_t k = jc_utf8_seq(s, n);

    if (k == 0) {
        *cp = -1;
        return 1;
    }
    switch (k) {
    case 1: *cp = s[0]; break;
    case 2: *cp = ((long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f); break;
    case 3: *cp = ((long)(s[0] & 0x0f) << 12) | ((long)(s[1] & 0x3f) << 6)
                  | (s[2] & 0x3f); break;
    default: *cp = ((long)(s[0] & 0x07) << 18) | ((long)(s[1] & 0x3f) << 12)
                   | ((long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f); break;
    }
    return k;
}

/* Characters that vanish: zero-width, variation selectors, emoji skin
 * tones and tags, combining marks, soft hyphen. */
static int jc_cp_invisible(long c)
{
    return (c >= 0x200B && c <= 0x200F) || c == 0x2060 || c == 0xFEFF
        || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0x1F3FB && c <= 0x1F3FF)
        || (c >= 0xE0000 && c <= 0xE007F) || (c >= 0x0300 && c <= 0x036F)
        || c == 0x20E3 || c == 0x00AD || (c >= 0x80 && c <= 0x9F);
}

/* A character outside ASCII and Latin-1 at o: its CP1252 byte, a
 * transliteration (one or two bytes) or '?'. Returns the new end. */
static char *jc_cp_other(char *o, long c)
{
    char ch = 0;
    int k;

    for (k = 0; k < 32; k++) {
        if (jc_cp1252_hi[k] != 0 && jc_cp1252_hi[k] == c) {
            ch = (char)(0x80 + k);
            break;
        }
    }
    if (ch == 0 && c >= 0x100 && c <= 0x17F) {
        ch = jc_latin_ext_a[c - 0x100];
        if (ch == '*') {                          /* Ĳ ĳ ŉ */
            const char *two = c == 0x132 ? "IJ"
                              : c == 0x133 ? "ij" : "'n";

            *o++ = two[0];
            ch = two[1];
        }
    }
    else if (ch == 0 && c >= 0x218 && c <= 0x21B) {
        ch = "SsTt"[c - 0x218];                   /* Ș ș Ț ț */
    }
    else if (ch == 0) {
        switch (c) {
        case 0x2010: case 0x2011: case 0x2012: case 0x2015:
        case 0x2212: case 0x2043:
            ch = '-'; break;
        case 0x2002: case 0x2003: case 0x2004: case 0x2005:
        case 0x2006: case 0x2007: case 0x2008: case 0x2009:
        case 0x200A: case 0x202F: case 0x205F: case 0x3000:
            ch = ' '; break;
        case 0x201B: case 0x2032:
            ch = '\''; break;
        case 0x201F: case 0x2033:
            ch = '"'; break;
        case 0x2192:
            *o++ = '-'; ch = '>'; break;
        case 0x2190:
            *o++ = '<'; ch = '-'; break;
        default:
            ch = '?'; break;
        }
    }
    *o++ = ch;
    return o;
}

const char *jc_letter_cp1252(const char *utf8, apr_pool_t *p)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n, i = 0;
    char *out, *o;
    int after_zwj = 0;

    if (utf8 == NULL) {
        return "";
    }
    n = strlen(utf8);
    /* every output needs at most as many bytes as its input */
    o = out = apr_palloc(p, n + 1);
    while (i < n) {
        long c;

        i += jc_utf8_next(s + i, n - i, &c);
        if (c == 0x200D) {          /* zero width joiner: the next character
                                       belongs to the same emoji */
            after_zwj = 1;
            continue;
        }
        if (after_zwj) {
            after_zwj = 0;
            if (o > out && o[-1] == '?') {
                continue;
            }
        }
        if (c == '\n' || c == 0x2028 || c == 0x2029) {
            *o++ = '\n';
        }
        else if (c == '\t') {
            *o++ = ' ';
        }
        else if ((c >= 0 && c < 0x20) || c == 0x7f || jc_cp_invisible(c)) {
            ;   /* dropped */
        }
        else if (c >= 0x20 && c < 0x80) {
            *o++ = (char)c;
        }
        else if (c >= 0xA0 && c <= 0xFF) {
            *o++ = (char)c;
        }
        else {
            o = jc_cp_other(o, c);
        }
    }
    *o = '\0';
    return out;
}

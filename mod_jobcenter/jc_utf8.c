/* UTF-8 validation (see jc_utf8.h). */
#include <string.h>

#include "jc_utf8.h"

size_t jc_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F)) {
            return 0;
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80
            || (s[3] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

int jc_utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;

    while (i < n) {
        size_t k = jc_utf8_seq(u + i, n - i);

        if (k == 0) {
            return 0;
        }
        i += k;
    }
    return 1;
}

int jc_utf8_label_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n, i = 0;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    n = strlen(s);
    while (i < n) {
        size_t k = jc_utf8_seq(u + i, n - i);

        if (k == 0) {
            return 0;
        }
        if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f)) {
            return 0;
        }
        /* C1 controls are U+0080..U+009F: C2 80 .. C2 9F */
        if (k == 2 && u[i] == 0xC2 && u[i + 1] <= 0x9F) {
            return 0;
        }
        i += k;
    }
    return 1;
}

size_t jc_utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

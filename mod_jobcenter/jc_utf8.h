/* UTF-8 validation shared by the core (mail headers, QR labels, otpauth
 * labels). Core: no httpd headers. */
#ifndef JC_UTF8_H
#define JC_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (n bytes available):
 * 1..4, or 0 if the bytes there are not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
size_t jc_utf8_seq(const unsigned char *s, size_t n);

/* 1 if the NUL-terminated s is entirely valid UTF-8. */
int jc_utf8_valid(const char *s);

/* 1 if s is non-empty, valid UTF-8 and free of C0 controls, DEL and C1
 * controls (U+0080..U+009F): text that fits a label or an XML attribute. */
int jc_utf8_label_ok(const char *s);

/* Number of characters (code points) of the valid UTF-8 string s. */
size_t jc_utf8_chars(const char *s);

#endif

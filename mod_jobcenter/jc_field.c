/* Checks of the staff and admin forms' fields (see jc_field.h). */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "jc_field.h"
#include "jc_utf8.h"

size_t jc_field_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

/* Copy of s without leading/trailing spaces and tabs (NULL stays NULL). */
const char *jc_field_trim(const char *s, apr_pool_t *p)
{
    const char *e;

    if (!s) {
        return NULL;
    }
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    return apr_pstrmemdup(p, s, (apr_size_t)(e - s));
}

/* 0 ok, 1 missing, 2 invalid (controls, bad UTF-8, too long). */
static int text_check(const char *s, size_t max)
{
    if (!s || !*s) {
        return 1;
    }
    if (!jc_utf8_label_ok(s) || jc_field_chars(s) > max) {
        return 2;
    }
    return 0;
}

int jc_field_postcode_ok(const char *s)
{
    int i;

    if (!s) {
        return 0;
    }
    for (i = 0; i < 5; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
    }
    return s[5] == '\0';
}

int jc_field_finish(jc_result_t *res, int n)
{
    if (n) {
        json_t *first = json_array_get(res->details, 0);

        jc_result_set(res, 422, "validation_failed",
                      "Bitte prüfen Sie Ihre Eingaben.",
                      json_string_value(json_object_get(first, "field")));
    }
    return n;
}

/* A text field with the codes <field>_missing / <field>_invalid. */
int jc_field_text(jc_result_t *res, const char *v, const char *field,
                  size_t max, const char *missing, const char *invalid,
                  apr_pool_t *p)
{
    int rc = text_check(v, max);

    if (rc == 1) {
        jc_result_detail(res, apr_pstrcat(p, field, "_missing", NULL), field,
                         missing);
        return 1;
    }
    if (rc == 2) {
        jc_result_detail(res, apr_pstrcat(p, field, "_invalid", NULL), field,
                         invalid);
        return 1;
    }
    return 0;
}

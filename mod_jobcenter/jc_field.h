/* Checks of the fields of the staff and admin forms (a jobcenter, a staff
 * member, a customer, a search), shared by jc_jobcenter, jc_staff,
 * jc_customer and jc_customer_search so that the API and jobcenter-admin
 * validate alike. Failed checks become details of a jc_result_t (code,
 * field, German message); jc_field_finish turns them into the 422.
 * Core: no httpd headers. */
#ifndef JC_FIELD_H
#define JC_FIELD_H

#include <stddef.h>
#include <apr_pools.h>

#include "jc_result.h"

#define JC_FIELD_TEXT_MAX 100  /* characters of a name, street or city  */

/* Characters (UTF-8 sequences) of s. */
size_t jc_field_chars(const char *s);

/* Copy of s without leading/trailing spaces and tabs (NULL stays NULL). */
const char *jc_field_trim(const char *s, apr_pool_t *p);

/* 1 if s is five digits (a German postcode); NULL is not. */
int jc_field_postcode_ok(const char *s);

/* n failed fields: the 422 validation_failed "Bitte prüfen Sie Ihre
 * Eingaben." with the first detail's field; nothing when n is 0.
 * Returns n. */
int jc_field_finish(jc_result_t *res, int n);

/* A text field of at most max characters without control characters:
 * the detail <field>_missing with the message `missing` when empty,
 * <field>_invalid with `invalid` when bad; returns 1 then, else 0. */
int jc_field_text(jc_result_t *res, const char *v, const char *field,
                  size_t max, const char *missing, const char *invalid,
                  apr_pool_t *p);

#endif

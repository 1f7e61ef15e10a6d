/* The outcome of a core operation, carrying what the API answers: an HTTP
 * status, a stable error code, a German message and the offending field.
 * Core: no httpd headers (statuses are plain ints). */
#ifndef JC_RESULT_H
#define JC_RESULT_H

#include <apr_pools.h>
#include <jansson.h>

typedef struct {
    int status;           /* HTTP status to answer with (200 = success)    */
    const char *code;     /* stable error code, NULL on success            */
    const char *message;  /* German message for the user, NULL on success  */
    const char *field;    /* request field concerned, or NULL              */
    json_t *details;      /* array of {code, field, message} or NULL       */
    long retry_after;     /* seconds for Retry-After, 0 = none             */
    const char *log;      /* internal detail for the error log, or NULL    */
    const char *state;    /* error.state: the session's current state
                           * (state_insufficient), or NULL               */
} jc_result_t;

/* Reset to success (status 200). */
void jc_result_ok(jc_result_t *res);

/* Set an error; returns the status for convenient `return`. */
int jc_result_set(jc_result_t *res, int status, const char *code,
                  const char *message, const char *field);

/* Append one {code, field, message} entry to res->details. */
void jc_result_detail(jc_result_t *res, const char *code, const char *field,
                      const char *message);

/* 503 for a busy/unreachable database (Retry-After 2). */
int jc_result_unavailable(jc_result_t *res, const char *log);

/* 500 for an unexpected internal failure (log says what). */
int jc_result_internal(jc_result_t *res, const char *log);

#endif

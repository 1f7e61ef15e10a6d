/* The audit log (issue 17, docs/logs.md "Audit log"): one JSON object per
 * line for every state-changing API call and every staff access -- who
 * (actor), did what (action, the API route), to which account or object
 * (target), with what result, from where (client address, request id), on
 * which node, when (UTC). The glue writes each line with one write() to a
 * file opened O_APPEND (or a pipe) by the parent (JobcenterAuditLog).
 *
 * Core: jansson + APR, no httpd headers. */
#ifndef JC_AUDIT_H
#define JC_AUDIT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* One audit record. Strings may be NULL (written as null / left out). */
typedef struct {
    apr_time_t ts;              /* when (request start)                   */
    const char *node;           /* this node's host name                  */
    const char *actor_type;     /* "account", "staff", "anonymous"        */
    apr_int64_t actor_id;       /* account id (0: none -> null)           */
    const char *action;         /* "POST login", route pattern      */
    const char *target_type;    /* "account", "customer", "conversation",
                                   "file", "submission", "draft",
                                   "bescheid", "login" or NULL            */
    apr_int64_t target_id;      /* its id (0: none -> null)               */
    const char *target_name;    /* "login": the name given (truncated)    */
    apr_int64_t target_account; /* the account the call's changes touched
                                   when the target is another object (0:
                                   none)                                  */
    const char *result;         /* "ok", "denied", "failed", "error"      */
    int status;                 /* HTTP status                            */
    const char *error;          /* the answer's error code or NULL        */
    const apr_array_header_t *events; /* const char * kinds recorded (the
                                   account's Verlauf) or NULL             */
    const char *request_id;     /* request id                             */
    const char *client_ip;      /* client address                         */
} jc_audit_rec_t;

/* The result word of an HTTP status: < 400 "ok", 401/403/429 "denied",
 * other 4xx "failed", 5xx "error". */
const char *jc_audit_result(int status);

/* The record as one line of JSON ending in '\n' (ASCII only: non-ASCII
 * characters are \u-escaped), allocated from p; *len gets its length. */
const char *jc_audit_line(const jc_audit_rec_t *rec, apr_size_t *len,
                          apr_pool_t *p);

/* ISO-8601 UTC with milliseconds: "2026-12-07T06:44:08.123Z". */
const char *jc_audit_time(apr_time_t t, apr_pool_t *p);

#endif

/* Metrics an admin can scrape (issue 17, docs/operations.md "Metrics"):
 *
 * - per-node counters: one table of 64-bit counters in memory the glue
 *   shares between the children of a node (anonymous apr_shm made by the
 *   parent before the fork, kept across graceful restarts), incremented
 *   where the event happens with C11 atomics (lock-free on every 64-bit
 *   target, checked at compile time: no mutex, no lost increments between
 *   processes, a reader sees each counter torn-free);
 * - cluster-wide gauges read from the database when scraped (mail queue,
 *   parked mails and the age of their oldest), with indexed statements
 *   ("plan: periodic" in jc_sql.c);
 * - the Prometheus text exposition format 0.0.4 of both, and the lines of
 *   mod_status's server-status section.
 *
 * Core: APR only, no httpd headers. Until jc_metrics_attach is called (the
 * admin tool, unit tests) every increment is a no-op. */
#ifndef JC_METRICS_H
#define JC_METRICS_H

#include <apr_pools.h>

#include "jc_db.h"

/* The node's counters. Keep in step with the table in jc_metrics.c. */
typedef enum {
    JC_M_LOGIN_OK,          /* password step accepted                   */
    JC_M_LOGIN_FAILED,      /* refused: wrong login/password, unconfirmed */
    JC_M_LOGIN_THROTTLED,   /* refused by the throttle (429)            */
    JC_M_PASSKEY_LOGIN_OK,  /* passkey login accepted                   */
    JC_M_MFA_TOTP_FAILED,   /* TOTP code refused (wrong, used, malformed) */
    JC_M_MFA_TOTP_THROTTLED, /* TOTP check refused by the throttle       */
    JC_M_MFA_PASSKEY_FAILED, /* passkey second factor refused            */
    JC_M_REGISTRATIONS,     /* new accounts created                     */
    JC_M_MAIL_QUEUED,       /* mails put into the outbox                */
    JC_M_MAIL_SENT,         /* mails delivered to the SMTP server/spool */
    JC_M_MAIL_RETRY,        /* delivery attempts that failed (retried)  */
    JC_M_MAIL_PARKED,       /* mails parked after a permanent refusal   */
    JC_M_UPLOAD_FILES,      /* files accepted into an upload draft      */
    JC_M_UPLOAD_BYTES,      /* their bytes                              */
    JC_M_503_DB_BUSY,       /* 503: database busy / locked              */
    JC_M_503_DB_DOWN,       /* 503: no database connection / lost       */
    JC_M_503_DISK_FULL,     /* 503: the database's disk is full         */
    JC_M_503_OVERLOAD,      /* 503: password hashing admission refused  */
    JC_M_DB_BUSY_RETRIES,   /* SQLite busy statements tried again       */
    JC_M_COUNT
} jc_metric_e;

/* Bytes of shared memory the counters need. */
apr_size_t jc_metrics_size(void);

/* Use mem (jc_metrics_size() bytes) for this process's counters. fresh:
 * zero them and stamp the start time `since` (epoch seconds); 0: keep
 * them (a graceful restart reuses the segment). mem NULL: counting off. */
void jc_metrics_attach(void *mem, int fresh, apr_int64_t since);

/* Add n to / increment a counter (no-op when not attached). */
void jc_metrics_add(jc_metric_e m, apr_uint64_t n);
#define jc_metrics_inc(m) jc_metrics_add((m), 1)

/* Current value (0 when not attached). */
apr_uint64_t jc_metrics_get(jc_metric_e m);

/* 1 when attached. */
int jc_metrics_on(void);

/* The 503 counter of an answer's error code and log text (jc_result_t's
 * code and log): "service_busy" is the hashing admission; a log naming no
 * connection or a lost one is db down; a full disk; else busy. */
jc_metric_e jc_metrics_503_cause(const char *code, const char *log);

/* The cluster-wide figures, read from the database. */
typedef struct {
    int ok;                      /* 1: the queries below succeeded       */
    apr_int64_t mail_queued;     /* mails neither sent nor parked        */
    apr_int64_t mail_queued_age; /* seconds since the oldest was queued  */
    apr_int64_t mail_parked;     /* parked mails                         */
    apr_int64_t mail_parked_age; /* seconds since the oldest was queued  */
} jc_metrics_cluster_t;

/* Fill *cl from db at time now (cl->ok = 0 when a query failed; db NULL:
 * nothing read). */
void jc_metrics_cluster(jc_metrics_cluster_t *cl, jc_db_t *db,
                        apr_int64_t now, apr_pool_t *p);

/* The Prometheus text (format 0.0.4) of the node's counters and, when
 * cl is not NULL, the cluster figures (cl->ok = 0: jobcenter_database_up
 * 0 and no cluster gauges). */
const char *jc_metrics_prometheus(const jc_metrics_cluster_t *cl,
                                  apr_pool_t *p);

/* mod_status's section: "Key: value" lines (?auto) or an HTML table of
 * the node's counters. */
const char *jc_metrics_status(int html, apr_pool_t *p);

#endif

/* Transactional mail outbox: a mail row is written in the same transaction
 * as the change that causes it, and delivered later (mod_watchdog) with
 * retries and exponential backoff. Nothing is dropped: a mail that keeps
 * failing for a temporary reason is retried at the maximum interval until
 * it goes out; one the relay refuses for good (5xx) is parked for an
 * admin. With several nodes on one database a node claims a mail (owner +
 * lease) before sending it, so each mail goes out once; only a crash
 * between sending and recording can repeat it (after the lease).
 * Core: no httpd headers. */
#ifndef JC_OUTBOX_H
#define JC_OUTBOX_H

#include <apr_pools.h>

#include "jc_db.h"
#include "jc_mail.h"

typedef enum {
    JC_MAIL_SPOOL = 0,  /* one .eml file per mail in a directory */
    JC_MAIL_SMTP = 1    /* SMTP relay via libcurl                */
} jc_mail_transport_e;

/* Default lease of a claim, seconds: a node that claimed a mail and died
 * before recording it gives it up after this long. Well above the SMTP
 * transfer timeout (30 s), so a slow send is never taken over. */
#define JC_OUTBOX_LEASE_DEF 120

/* At most this many outcomes are kept in memory while the database cannot
 * record them (jc_outbox_unrec_t); with the list full nothing is sent. */
#define JC_OUTBOX_UNREC_MAX 32

/* Delivery settings. */
typedef struct {
    jc_mail_transport_e transport; /* where mails go                     */
    const char *spool_dir;         /* JC_MAIL_SPOOL: target directory    */
    jc_smtp_t smtp;                /* JC_MAIL_SMTP: relay settings       */
    apr_int64_t retry_base;        /* first retry after this many secs   */
    apr_int64_t retry_max;         /* longest interval between retries   */
    apr_int64_t lease;             /* claim lease, secs; <= 0: default   */
} jc_outbox_cfg_t;

/* Outcome of one delivery attempt. */
typedef enum {
    JC_OUTBOX_SENT = 0,   /* accepted by the relay / written to the spool */
    JC_OUTBOX_RETRY = 1,  /* failed for now: next attempt after a backoff */
    JC_OUTBOX_PARK = 2    /* refused for good (SMTP 5xx, invalid address):
                           * parked for an admin, never retried alone    */
} jc_outbox_outcome_e;

/* Called for every delivery attempt (for logging by the glue). */
typedef void jc_outbox_log_fn(void *baton, apr_int64_t id,
                              jc_outbox_outcome_e outcome, int attempts,
                              const char *detail);

/* Queue a composed mail (call inside the caller's transaction). */
jc_db_rc_e jc_outbox_enqueue(jc_db_t *db, const jc_mail_t *m,
                             apr_int64_t now, apr_pool_t *p);

/* The same for the result of a jc_mail_* composer: a NULL m (composing
 * failed) is JC_DB_ERROR with db->last_error "could not compose <what>",
 * e.g. what = "the mail \"Passkey eingerichtet\"". */
jc_db_rc_e jc_outbox_enqueue_composed(jc_db_t *db, const jc_mail_t *m,
                                      const char *what, apr_int64_t now,
                                      apr_pool_t *p);

/* One due mail, copied out of the database. */
typedef struct {
    apr_int64_t id;         /* mail_outbox.id                       */
    const char *rcpt;       /* envelope recipient                   */
    const char *data;       /* the RFC 5322 message                 */
    int attempts;           /* attempts before this one             */
} jc_outbox_item_t;

/* Up to 20 due mails without a live claim, oldest first, copied into p
 * (the connection can be released before delivery: a slow relay never
 * holds a connection). They are candidates only: claim each one. */
jc_db_rc_e jc_outbox_fetch_due(jc_db_t *db, jc_outbox_item_t **items,
                               int *n, apr_int64_t now, apr_pool_t *p);

/* Claim one candidate for the node `owner` until now + the lease, with
 * one conditional UPDATE: *claimed = 1 when this node got it (send it,
 * then record), 0 when another node holds it or it is no longer due. */
jc_db_rc_e jc_outbox_claim(jc_db_t *db, int *claimed,
                           const jc_outbox_item_t *it, const char *owner,
                           const jc_outbox_cfg_t *cfg, apr_int64_t now,
                           apr_pool_t *p);

/* Deliver one mail with the configured transport (no database). *err gets
 * the reason unless the outcome is JC_OUTBOX_SENT. */
jc_outbox_outcome_e jc_outbox_send(const jc_outbox_cfg_t *cfg,
                                   const jc_outbox_item_t *it,
                                   const char **err, apr_pool_t *p);

/* Record the outcome of one attempt by the claim's owner: sent; failed
 * with the next attempt after the backoff; or parked. Ends the claim.
 * *recorded (may be NULL) = 0 when the claim was no longer this node's
 * (taken over after its lease: nothing changed). */
jc_db_rc_e jc_outbox_record(jc_db_t *db, int *recorded,
                            const jc_outbox_item_t *it,
                            jc_outbox_outcome_e outcome, const char *err,
                            const char *owner, const jc_outbox_cfg_t *cfg,
                            apr_int64_t now, apr_pool_t *p);

/* Fetch, claim, send and record up to 20 due mails on one connection
 * (tests and tools; the watchdog uses the steps with short-lived
 * connections). *sent / *failed count the outcomes (parked ones count as
 * failed). Returns the first database problem, JC_DB_OK otherwise. */
jc_db_rc_e jc_outbox_deliver_due(jc_db_t *db, int *sent, int *failed,
                                 const jc_outbox_cfg_t *cfg,
                                 const char *owner, apr_int64_t now,
                                 jc_outbox_log_fn *log, void *baton,
                                 apr_pool_t *p);

/* Seconds until the next attempt after `attempts` failed ones. */
apr_int64_t jc_outbox_backoff(const jc_outbox_cfg_t *cfg, int attempts);

/* Outcomes the database could not record (full, unavailable), kept per
 * process: a mail that went out is never sent again by this process while
 * its record is pending (issue 14: a mail sent while the database could
 * not record it went out on every tick). The owner keeps its claim in the
 * database meanwhile, so no other node takes the mail before the lease
 * ends. */
typedef struct {
    apr_int64_t id;                 /* mail_outbox.id                     */
    int attempts;                   /* attempts before this one           */
    jc_outbox_outcome_e outcome;    /* what happened                      */
    apr_int64_t at;                 /* when it happened                   */
    char err[160];                  /* failure text ("" when sent)        */
} jc_outbox_unrec_entry_t;

typedef struct {
    jc_outbox_unrec_entry_t e[JC_OUTBOX_UNREC_MAX]; /* pending records   */
    int n;                          /* entries in use                     */
    apr_int64_t next_try;           /* no flush before (epoch seconds)    */
    apr_int64_t delay;              /* current flush backoff, seconds     */
} jc_outbox_unrec_t;

/* Remember an outcome that could not be recorded. 0, or -1 when full. */
int jc_outbox_unrec_add(jc_outbox_unrec_t *u, const jc_outbox_item_t *it,
                        jc_outbox_outcome_e outcome, const char *err,
                        apr_int64_t now);

/* 1 when mail id has an outcome waiting to be recorded. */
int jc_outbox_unrec_has(const jc_outbox_unrec_t *u, apr_int64_t id);

/* Try to record the pending outcomes (not before u->next_try; backoff
 * 1, 2, 4, 8 s after a failure). Recorded ones (or ones whose claim
 * was taken over) leave the list. Returns the first failure. */
jc_db_rc_e jc_outbox_unrec_flush(jc_db_t *db, jc_outbox_unrec_t *u,
                                 const char *owner,
                                 const jc_outbox_cfg_t *cfg,
                                 apr_int64_t now, apr_pool_t *p);

#endif

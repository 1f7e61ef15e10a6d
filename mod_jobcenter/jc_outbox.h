/* Transactional mail outbox: a mail row is written in the same transaction
 * as the change that causes it, and delivered later (mod_watchdog) with
 * retries and exponential backoff. Nothing is dropped: a mail that keeps
 * failing is retried at the maximum interval until it goes out.
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

/* Delivery settings. */
typedef struct {
    jc_mail_transport_e transport; /* where mails go                     */
    const char *spool_dir;         /* JC_MAIL_SPOOL: target directory    */
    jc_smtp_t smtp;                /* JC_MAIL_SMTP: relay settings       */
    apr_int64_t retry_base;        /* first retry after this many secs   */
    apr_int64_t retry_max;         /* longest interval between retries   */
} jc_outbox_cfg_t;

/* Called for every delivery attempt (for logging by the glue). */
typedef void jc_outbox_log_fn(void *baton, apr_int64_t id, int ok,
                              int attempts, const char *detail);

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

/* Up to 20 due mails, oldest first, copied into p (the connection can be
 * released before delivery: a slow relay never holds a connection). */
jc_db_rc_e jc_outbox_fetch_due(jc_db_t *db, jc_outbox_item_t **items,
                               int *n, apr_int64_t now, apr_pool_t *p);

/* Deliver one mail with the configured transport (no database). *err gets
 * the reason on failure. */
apr_status_t jc_outbox_send(const jc_outbox_cfg_t *cfg,
                            const jc_outbox_item_t *it, const char **err,
                            apr_pool_t *p);

/* Record the outcome of one attempt: sent, or failed with the next
 * attempt after the backoff. */
jc_db_rc_e jc_outbox_record(jc_db_t *db, const jc_outbox_item_t *it,
                            int ok, const char *err,
                            const jc_outbox_cfg_t *cfg, apr_int64_t now,
                            apr_pool_t *p);

/* Fetch, send and record up to 20 due mails on one connection (tests and
 * tools; the watchdog uses the three steps with short-lived connections). *sent / *failed count the outcomes.
 * Returns the first database problem, JC_DB_OK otherwise. */
jc_db_rc_e jc_outbox_deliver_due(jc_db_t *db, int *sent, int *failed,
                                 const jc_outbox_cfg_t *cfg,
                                 apr_int64_t now, jc_outbox_log_fn *log,
                                 void *baton, apr_pool_t *p);

/* Seconds until the next attempt after `attempts` failed ones. */
apr_int64_t jc_outbox_backoff(const jc_outbox_cfg_t *cfg, int attempts);

#endif

/* Housekeeping: deletes what has expired (sessions, confirmation links,
 * throttle rows, delivered mails) and accounts whose address was never
 * confirmed. Run by the watchdog. Core: no httpd headers. */
#ifndef JC_PURGE_H
#define JC_PURGE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "jc_db.h"

typedef struct {
    apr_int64_t idle;           /* session idle timeout, seconds          */
    apr_int64_t throttle_keep;  /* keep throttle rows this long, seconds  */
    apr_int64_t sent_keep;      /* keep delivered mails this long         */
    apr_int64_t unconfirmed;    /* delete unconfirmed accounts after      */
} jc_purge_cfg_t;

/* Batches of one statement per run at most (JC_PURGE_BATCH rows each,
 * JC_PURGE_ACCT_BATCH accounts): a backlog is worked off over several
 * runs. */
#define JC_PURGE_MAX_BATCHES 500

/* Run every purge statement in batches of at most JC_PURGE_BATCH rows
 * (unconfirmed accounts: JC_PURGE_ACCT_BATCH), each its own short
 * statement, until a batch comes back short; *rows = total rows deleted,
 * *longest (may be NULL) = the longest batch. Stops at the
 * first failure and returns it (*failed_label names the statement). */
jc_db_rc_e jc_purge_run(jc_db_t *db, int *rows, const char **failed_label,
                        apr_interval_time_t *longest,
                        const jc_purge_cfg_t *cfg, apr_int64_t now,
                        apr_pool_t *p);

#endif

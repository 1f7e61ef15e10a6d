/* Login throttling arithmetic (NIST SP 800-63B 5.2.2): growing delays
 * after a number of free failures, and a lock after a hard maximum of
 * consecutive failures per account. Core: no httpd headers. */
#ifndef JC_THROTTLE_H
#define JC_THROTTLE_H

#include <apr.h>

#include "jc_db.h"

typedef struct {
    int free_failures;       /* failures before delays start          */
    int max_failures;        /* consecutive failures before a lock    */
    apr_int64_t max_delay;   /* cap of one delay, seconds             */
    apr_int64_t lock_secs;   /* lock duration after max_failures      */
} jc_throttle_cfg_t;

/* Seconds to block after the n-th consecutive failure: 0 up to
 * free_failures, then 1, 2, 4, ... capped at max_delay; lock_secs once n
 * reaches max_failures (when max_failures > 0). */
apr_int64_t jc_throttle_delay(const jc_throttle_cfg_t *cfg, apr_int64_t n);

/* Where a throttle counts. */
typedef enum {
    JC_THR_ACCOUNT,   /* account.failed_logins/login_blocked_until; the key
                       * is an apr_int64_t* account id                    */
    JC_THR_KEY        /* a login_throttle row; the key is a const char*   */
} jc_thr_row_e;

/* Outcome of jc_throttle_reserve. */
typedef struct {
    int reserved;       /* 1: this attempt is counted and may be evaluated */
    apr_int64_t n;      /* failures counted (this attempt included when
                         * reserved)                                       */
    apr_int64_t wait;   /* refused: seconds until the block ends (>= 1)    */
    int locked;         /* refused: n reached cfg->max_failures            */
} jc_thr_take_t;

/* A login_throttle row by client key (jc_thr_get). */
typedef struct {
    apr_int64_t failures;       /* failures counted (0 when NULL)          */
    apr_int64_t last_failure;   /* epoch seconds of the last one (0: NULL) */
    int has_last;               /* 1 when last_failure is set              */
    apr_int64_t blocked_until;  /* epoch seconds (0 when NULL)             */
} jc_thr_key_t;

/* The login_throttle row of key into *out (jc_thr_get); JC_DB_NOROW
 * when there is none. */
jc_db_rc_e jc_throttle_key_get(jc_db_t *db, jc_thr_key_t *out,
                               const char *key, apr_pool_t *p);

/* Delete the login_throttle row of key (jc_thr_clear), in the caller's
 * transaction. */
jc_db_rc_e jc_throttle_key_clear(jc_db_t *db, const char *key,
                                 apr_pool_t *p);

/* Block key until the epoch second until (jc_thr_block), in the caller's
 * transaction. */
jc_db_rc_e jc_throttle_key_block(jc_db_t *db, const char *key,
                                 apr_int64_t until, apr_pool_t *p);

/* Reserve one attempt before an expensive check (Argon2, a signature):
 * the attempt is counted as a failure and the block that failure earns
 * (jc_throttle_delay) is set, in one write transaction, unless the row is
 * blocked at now; then out->reserved is 0, out->wait/locked say why and
 * nothing is written. A success resets the count afterwards (the callers'
 * jc_acct_login_ok / jc_thr_clear); a failure leaves the reservation as
 * its count, so nothing is written after the check. Because the
 * conditional increment is the first statement of a write transaction
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: the row lock of the UPDATE / the
 * upsert, held to the commit, and the WHERE re-checked on the committed
 * row), no more attempts are evaluated than the numbers allow however
 * many run in parallel, on one node or several.
 *
 * Runs in the caller's transaction when one is open (the caller commits
 * or rolls back), otherwise in its own. window: JC_THR_KEY rows forget
 * failures older than this many seconds (0: never). JC_DB_NOROW: no
 * account with that id. */
jc_db_rc_e jc_throttle_reserve(jc_db_t *db, jc_thr_take_t *out,
                               jc_thr_row_e kind, const void *key,
                               const jc_throttle_cfg_t *cfg,
                               apr_int64_t window, apr_int64_t now,
                               apr_pool_t *p);

#endif

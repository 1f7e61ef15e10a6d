/* Housekeeping: deletes what has expired (sessions, confirmation links,
 * throttle rows, delivered mails) and accounts whose address was never
 * confirmed. Run by the watchdog. Core: no httpd headers. */
#ifndef JC_PURGE_H
#define JC_PURGE_H

#include <apr_pools.h>

#include "jc_db.h"

typedef struct {
    apr_int64_t idle;           /* session idle timeout, seconds          */
    apr_int64_t throttle_keep;  /* keep throttle rows this long, seconds  */
    apr_int64_t sent_keep;      /* keep delivered mails this long         */
    apr_int64_t unconfirmed;    /* delete unconfirmed accounts after      */
} jc_purge_cfg_t;

/* Run every purge statement; *rows = total rows deleted. Stops at the
 * first failure and returns it (*failed_label names the statement). */
jc_db_rc_e jc_purge_run(jc_db_t *db, int *rows, const char **failed_label,
                        const jc_purge_cfg_t *cfg, apr_int64_t now,
                        apr_pool_t *p);

#endif

/* Login throttling arithmetic (NIST SP 800-63B 5.2.2): growing delays
 * after a number of free failures, and a lock after a hard maximum of
 * consecutive failures per account. Core: no httpd headers. */
#ifndef JC_THROTTLE_H
#define JC_THROTTLE_H

#include <apr.h>

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

#endif

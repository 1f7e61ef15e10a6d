/* Login throttling arithmetic (see jc_throttle.h). */
#include "jc_throttle.h"

apr_int64_t jc_throttle_delay(const jc_throttle_cfg_t *cfg, apr_int64_t n)
{
    apr_int64_t d, over;

    if (cfg->max_failures > 0 && n >= cfg->max_failures) {
        return cfg->lock_secs;
    }
    if (n <= cfg->free_failures) {
        return 0;
    }
    over = n - cfg->free_failures - 1;
    if (over > 30) {
        return cfg->max_delay;
    }
    d = (apr_int64_t)1 << over;
    return d > cfg->max_delay ? cfg->max_delay : d;
}

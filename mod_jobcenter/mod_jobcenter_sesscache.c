/* Glue of the session cache (jc_sesscache.h, docs/internals.md "Session
 * cache"): the node's generation counters live in anonymous shared memory
 * made from pconf in post_config, so every child forked from this parent
 * (this generation of the server) shares them; each child installs the
 * jc_db write hook that bumps them and makes one cache per host with
 * JobcenterSessionCacheTTL > 0 in its own pool. The API and the gate check
 * sessions through the request layer's jc_req_session, which asks mod_dbd
 * for a connection only when the cache cannot answer. */
#include <apr_shm.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter.h"

APLOG_USE_MODULE(jobcenter);

/* This server generation's counters (NULL: no host caches). Set in the
 * parent before the fork; a restart makes new ones (the old segment goes
 * with the old pconf; children of the old generation keep their mapping
 * until they exit, bounded by the TTL like another node). */
static jc_sessgen_t *sessgen;

apr_status_t jc_sesscache_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_shm_t *shm = NULL;
    server_rec *vs;
    apr_status_t rv;
    int want = 0;

    sessgen = NULL;
    for (vs = s; vs; vs = vs->next) {
        jc_srv_conf_t *conf = ap_get_module_config(vs->module_config,
                                                   &jobcenter_module);

        want |= conf->engine == 1 && conf->sc_ttl > 0;
    }
    if (!want) {
        return APR_SUCCESS;
    }
    rv = apr_shm_create(&shm, jc_sessgen_size(), NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, JCLOG(00910)
                     "session cache: cannot create %" APR_SIZE_T_FMT
                     " bytes of shared memory (set "
                     "JobcenterSessionCacheTTL 0 to run without the cache)",
                     jc_sessgen_size());
        return rv;
    }
    sessgen = jc_sessgen_init(apr_shm_baseaddr_get(shm));
    return APR_SUCCESS;
}

void jc_sesscache_child_init(apr_pool_t *pchild, server_rec *s)
{
    jc_db_write_hook_t hook;
    server_rec *vs;

    if (!sessgen) {
        return;
    }
    jc_sessgen_hook(&hook, sessgen);
    jc_db_set_write_hook(&hook);
    for (vs = s; vs; vs = vs->next) {
        jc_srv_conf_t *conf = ap_get_module_config(vs->module_config,
                                                   &jobcenter_module);
        apr_status_t rv;

        if (conf->engine != 1 || conf->sc_ttl <= 0 || conf->sesscache) {
            continue;
        }
        rv = jc_sesscache_create(&conf->sesscache, sessgen, conf->sc_ttl,
                                 conf->sc_size, pchild);
        if (rv != APR_SUCCESS) {
            /* no cache: every check reads the database, as without one */
            conf->sesscache = NULL;
            ap_log_error(APLOG_MARK, APLOG_WARNING, rv, vs, JCLOG(00911)
                         "session cache: cannot create (%d entries); "
                         "sessions are checked in the database",
                         conf->sc_size);
        }
    }
}

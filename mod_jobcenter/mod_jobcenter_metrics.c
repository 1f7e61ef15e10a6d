/* Glue of the metrics (jc_metrics.h, docs/operations.md "Metrics"): the
 * node's counters in anonymous shared memory made once per Apache parent
 * (kept in the process pool, so a graceful restart keeps counting), the
 * "jobcenter-metrics" handler that an admin maps to a protected Location
 * (Prometheus text, node counters + cluster figures from the database),
 * and a section in mod_status's server-status page (node counters). */
#include <string.h>
#include <apr_shm.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_optional_hooks.h>
#include <mod_status.h>

#include "mod_jobcenter_request.h"
#include "jc_metrics.h"

APLOG_USE_MODULE(jobcenter);

#define JC_METRICS_KEY "jobcenter-metrics-shm"
#define JC_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

apr_status_t jc_metrics_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;
    void *data = NULL;

    (void)pconf;
    apr_pool_userdata_get(&data, JC_METRICS_KEY, pp);
    if (data) {
        /* a restart: the children of every generation share one table */
        jc_metrics_attach(apr_shm_baseaddr_get(data), 0, 0);
        return APR_SUCCESS;
    }
    rv = apr_shm_create(&shm, jc_metrics_size(), NULL, pp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, JCLOG(00950)
                     "metrics: cannot create %" APR_SIZE_T_FMT " bytes of "
                     "shared memory", jc_metrics_size());
        return rv;
    }
    apr_pool_userdata_set(shm, JC_METRICS_KEY, apr_pool_cleanup_null, pp);
    jc_metrics_attach(apr_shm_baseaddr_get(shm), 1,
                      (apr_int64_t)apr_time_sec(apr_time_now()));
    return APR_SUCCESS;
}

void jc_metrics_count_503(const char *code, const char *log)
{
    jc_metrics_inc(jc_metrics_503_cause(code, log));
}

/* SetHandler jobcenter-metrics: GET/HEAD only, no session; access is the
 * admin's <Location> (Require ip ..., docs/operations.md). The cluster
 * figures take one connection attempt: none (or a failed query) gives
 * jobcenter_database_up 0 and the node counters alone. */
static int metrics_handler(request_rec *r)
{
    jc_srv_conf_t *conf;
    jc_metrics_cluster_t cl;
    const char *txt;
    int have_db = 0;

    if (!r->handler || strcmp(r->handler, "jobcenter-metrics") != 0) {
        return DECLINED;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    conf = ap_get_module_config(r->server->module_config, &jobcenter_module);
    memset(&cl, 0, sizeof(cl));
    jc_db_t db = { 0 };

    if (conf->engine == 1 && jc_dbd_acquire) {
        have_db = jc_req_db(r, &db, 0);
    }
    if (have_db) {
        jc_metrics_cluster(&cl, &db, (apr_int64_t)apr_time_sec(
                               r->request_time), r->pool);
        if (!cl.ok) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, JCLOG(00951)
                          "metrics: cluster figures not read: %s",
                          db.last_error ? db.last_error : "-");
        }
    }
    txt = jc_metrics_prometheus(&cl, r->pool);
    ap_set_content_type(r, JC_METRICS_TYPE);
    ap_set_content_length(r, (apr_off_t)strlen(txt));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!r->header_only) {
        ap_rputs(txt, r);
    }
    return OK;
}

/* mod_status: the node's counters (no database work in server-status). */
static int metrics_status(request_rec *r, int flags)
{
    if (!jc_metrics_on()) {
        return OK;
    }
    ap_rputs(jc_metrics_status(!(flags & AP_STATUS_SHORT), r->pool), r);
    return OK;
}

void jc_metrics_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, metrics_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

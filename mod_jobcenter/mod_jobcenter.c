/* mod_jobcenter: module record and hooks. The module turns an Apache host
 * into the Jobcenter.Digital portal: JSON API under /api/v1/ (handler
 * "jobcenter-api"), mail outbox on mod_watchdog, storage via mod_dbd.
 * Glue only: the logic lives in the jc_* core. */
#include <stdlib.h>
#include <unistd.h>
#include <apr_optional.h>
#include <apr_general.h>
#include <apr_time.h>
#include <curl/curl.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <ap_mpm.h>
#include <http_core.h>
#include <http_request.h>

#include "mod_jobcenter.h"
#include "jc_sql.h"
#include "jc_upload_store.h"

ap_dbd_t *(*jc_dbd_acquire)(request_rec *);
ap_dbd_t *(*jc_dbd_open)(apr_pool_t *, server_rec *);
void (*jc_dbd_close)(server_rec *, ap_dbd_t *);

/* Sleep before attempt n + 1: 50 ms doubling up to 800 ms, +0-100 %. */
static void dbd_backoff(int n)
{
    apr_interval_time_t base = apr_time_from_msec(50) << (n < 4 ? n : 4);
    unsigned char j = 0;

    if (apr_generate_random_bytes(&j, 1) != APR_SUCCESS) {
        j = (unsigned char)(apr_time_now() & 0xff);
    }
    apr_sleep(base + base * j / 255);
}

ap_dbd_t *jc_dbd_acquire_wait(request_rec *r)
{
    ap_dbd_t *dbd = jc_dbd_acquire(r);
    int n;

    /* a failed acquire leaves nothing cached in the request: the next
     * call opens a new connection */
    for (n = 0; !dbd && n < 2; n++) {
        dbd_backoff(n);
        dbd = jc_dbd_acquire(r);
    }
    return dbd;
}

ap_dbd_t *jc_dbd_open_wait(apr_pool_t *p, server_rec *s, int tries)
{
    ap_dbd_t *dbd = jc_dbd_open(p, s);
    int n;

    for (n = 1; !dbd && n < tries; n++) {
        dbd_backoff(n - 1);
        dbd = jc_dbd_open(p, s);
    }
    return dbd;
}

static int jc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    server_rec *vs;
    const char *err;

    (void)plog;
    (void)ptemp;
    /* the first (pre-config) pass only checks the syntax */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    jc_dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    jc_dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    jc_dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    for (vs = s; vs; vs = vs->next) {
        jc_srv_conf_t *conf = ap_get_module_config(vs->module_config,
                                                   &jobcenter_module);

        err = jc_conf_finish(conf, vs, pconf);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, vs, JCLOG(00001) "%s",
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (vs == s) {
            /* process-wide; only the main server may set it */
            jc_store_set_direct_io(conf->up_direct);
        }
        if (!conf->engine) {
            continue;
        }
        /* read as root here, before the children drop privileges */
        err = jc_conf_load_key(conf, pconf);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, vs, JCLOG(00006) "%s",
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!jc_dbd_acquire || !jc_dbd_open || !jc_dbd_close) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, vs, JCLOG(00002)
                         "mod_dbd is not loaded; mod_jobcenter needs it");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (jc_outbox_register(vs, pconf) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (jc_upload_post_config(vs, pconf) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    /* the session cache's generation counters, shared by the children */
    if (jc_sesscache_post_config(pconf, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* One admission gate for password hashing per child (jc_hashgate), shared
 * by every host with JobcenterEngine On; sized by the main server's
 * JobcenterHashConcurrency / JobcenterHashQueue, its areas by the largest
 * JobcenterArgon2 memory. */
static void jc_hashgate_init(apr_pool_t *p, server_rec *s)
{
    jc_srv_conf_t *main = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    jc_hashgate_t *gate = NULL;
    server_rec *vs;
    size_t area = 0;
    long cpus;
    int slots, queue;
    apr_status_t rv;

    for (vs = s; vs; vs = vs->next) {
        jc_srv_conf_t *conf = ap_get_module_config(vs->module_config,
                                                   &jobcenter_module);
        size_t b;

        if (conf->engine == 1) {
            b = jc_password_area_bytes(&conf->ctx.argon2);
            area = b > area ? b : area;
        }
    }
    if (area == 0) {
        return;
    }
    slots = main->hash_slots;
    if (slots <= 0) {
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        slots = cpus > 0 ? (cpus > 256 ? 256 : (int)cpus) : 1;
    }
    queue = main->hash_queue >= 0 ? main->hash_queue : 2 * slots;
    rv = jc_hashgate_create(&gate, slots, queue,
                            apr_time_from_msec(main->hash_wait_ms), area, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, JCLOG(00701)
                     "cannot create the password hashing gate");
        exit(APEXIT_CHILDFATAL);
    }
    for (vs = s; vs; vs = vs->next) {
        jc_srv_conf_t *conf = ap_get_module_config(vs->module_config,
                                                   &jobcenter_module);

        conf->ctx.hashgate = gate;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00702)
                 "password hashing: %d at once, %d queued for up to %"
                 APR_INT64_T_FMT " ms, %" APR_SIZE_T_FMT " KiB per slot",
                 slots, queue, main->hash_wait_ms, area / 1024);
}

/* Runs after mod_dbd's child_init: refuse to serve a database whose schema
 * version differs from the one this build was written for. A child that
 * exits with APEXIT_CHILDFATAL makes the parent shut the server down.
 * mod_dbd opens no connection at child init (DBDMin 0); the first one is
 * opened here and waits out a busy database (a WAL recovery by another
 * process, a held write lock) for a few seconds before it only warns. */
static void jc_child_init(apr_pool_t *p, server_rec *s)
{
    server_rec *vs;

    jc_hashgate_init(p, s);
    jc_sesscache_child_init(p, s);

    for (vs = s; vs; vs = vs->next) {
        jc_srv_conf_t *conf = ap_get_module_config(vs->module_config,
                                                   &jobcenter_module);
        ap_dbd_t *dbd;
        jc_db_t db = { 0 };
        jc_db_row_t row;
        apr_int64_t version = -1;
        jc_db_rc_e rc;
        apr_pool_t *tmp;

        if (conf->engine != 1 || !jc_dbd_open) {
            continue;
        }
        apr_pool_create(&tmp, p);
        /* 7 attempts: about 1.5-3 s of sleeps between them */
        dbd = jc_dbd_open_wait(tmp, vs, 7);
        if (!dbd) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs, JCLOG(00003)
                         "database not reachable at start; requests get 503 "
                         "until it is (is the schema from sql/ applied?)");
            apr_pool_destroy(tmp);
            continue;
        }
        db.driver = dbd->driver;
        db.handle = dbd->handle;
        db.prepared = dbd->prepared;
        rc = jc_db_select1(&db, &row, "jc_schema_get", NULL, tmp);
        if (rc == JC_DB_OK) {
            jc_db_col_i64(&row, 0, &version, -1);
        }
        jc_dbd_close(vs, dbd);
        apr_pool_destroy(tmp);
        if (rc == JC_DB_OK && version != JC_SCHEMA_VERSION) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, vs, JCLOG(00004)
                         "database schema version is %" APR_INT64_T_FMT
                         ", this module needs version %d: apply the "
                         "migrations in sql/ (refusing to start)",
                         version, JC_SCHEMA_VERSION);
            exit(APEXIT_CHILDFATAL);
        }
        if (rc != JC_DB_OK) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs, JCLOG(00005)
                         "cannot read the schema version: %s",
                         db.last_error ? db.last_error : jc_db_rc_name(rc));
        }
    }
}

static void jc_register_hooks(apr_pool_t *p)
{
    static const char *const after_dbd[] = { "mod_dbd.c", NULL };

    ap_hook_post_config(jc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(jc_child_init, after_dbd, NULL, APR_HOOK_LAST);
    ap_hook_map_to_storage(jc_api_map_to_storage, NULL, NULL,
                           APR_HOOK_FIRST);
    ap_hook_handler(jc_api_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(jc_link_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* before mod_log_config's (MIDDLE) writes the request line */
    ap_hook_log_transaction(jc_link_log_scrub, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
    jc_gate_register_hooks(p);
    jc_upload_register_hooks(p);
}

__attribute__((visibility("default")))
AP_DECLARE_MODULE(jobcenter) = {
    STANDARD20_MODULE_STUFF,
    jc_create_dir_conf,   /* per-directory config creator */
    jc_merge_dir_conf,    /* dir config merger            */
    jc_create_srv_conf,   /* server config creator        */
    jc_merge_srv_conf,    /* server config merger         */
    jc_cmds,              /* command table                */
    jc_register_hooks,    /* hook registration            */
    AP_MODULE_FLAG_NONE   /* flags                        */
};

/* mod_jobcenter: module record and hooks. The module turns an Apache host
 * into the Jobcenter.Digital portal: JSON API under /api/v1/ (handler
 * "jobcenter-api"), mail outbox on mod_watchdog, storage via mod_dbd.
 * Glue only: the logic lives in the jc_* core. */
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#include <apr_atomic.h>
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

#include "mod_jobcenter_request.h"
#include "jc_apiurl.h"
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

/* A connection just taken from mod_dbd's pool, made usable: a PostgreSQL
 * connection the server closed while it sat in the pool is reopened
 * (jc_db_revive). NULL if the server cannot be reached; an ap_dbd_open
 * connection (own = 1) is then given back. */
static ap_dbd_t *dbd_ready(ap_dbd_t *dbd, server_rec *s, int own)
{
    jc_db_t db;
    int rv;

    if (!dbd) {
        return NULL;
    }
    memset(&db, 0, sizeof(db));
    jc_db_bind(&db, dbd);
    rv = jc_db_revive(&db);
    if (rv == 1) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00008)
                     "database connection was closed by the server while "
                     "idle; reconnected");
    }
    else if (rv < 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00009)
                     "database connection was closed by the server and "
                     "cannot be reopened: %s", db.last_error);
        if (own) {
            jc_dbd_close(s, dbd);
        }
        return NULL;
    }
    return dbd;
}

ap_dbd_t *jc_dbd_acquire_once(request_rec *r)
{
    return dbd_ready(jc_dbd_acquire(r), r->server, 0);
}

ap_dbd_t *jc_dbd_acquire_wait(request_rec *r)
{
    ap_dbd_t *dbd = dbd_ready(jc_dbd_acquire(r), r->server, 0);
    int n;

    /* a failed acquire leaves nothing cached in the request: the next
     * call opens a new connection; one that could not be reopened stays
     * cached and is reset again by the next call */
    for (n = 0; !dbd && n < 2; n++) {
        dbd_backoff(n);
        dbd = dbd_ready(jc_dbd_acquire(r), r->server, 0);
    }
    return dbd;
}

/* Connections opened by jc_dbd_open_wait and not yet given back with
 * jc_dbd_release (the watchdog threads' and child_init's), and whether
 * the child is exiting. mod_dbd keeps its pool of connections in a
 * subpool of the child's pool, which APR destroys before the child pool's
 * cleanups run - mod_watchdog joins its threads only then, so a thread
 * still holding a connection made apr_reslist abort the exiting child
 * ("reslist_cleanup: Assertion rl->ntotal == 0"). child_exit_wait (a
 * pre-cleanup: it runs before the subpools go) stops new opens and waits
 * for the held ones. Incremented before the flag is read, so either the
 * opener sees the flag or the waiter sees the count. */
static apr_uint32_t dbd_held;
static apr_uint32_t child_exiting;

ap_dbd_t *jc_dbd_open_wait(apr_pool_t *p, server_rec *s, int tries)
{
    ap_dbd_t *dbd = NULL;
    int n;

    apr_atomic_inc32(&dbd_held);
    if (apr_atomic_read32(&child_exiting)) {
        apr_atomic_dec32(&dbd_held);
        return NULL;
    }
    dbd = dbd_ready(jc_dbd_open(p, s), s, 1);
    for (n = 1; !dbd && n < tries && !apr_atomic_read32(&child_exiting);
         n++) {
        dbd_backoff(n - 1);
        dbd = dbd_ready(jc_dbd_open(p, s), s, 1);
    }
    if (!dbd) {
        apr_atomic_dec32(&dbd_held);
    }
    return dbd;
}

void jc_dbd_release(server_rec *s, ap_dbd_t *dbd)
{
    jc_dbd_close(s, dbd);
    apr_atomic_dec32(&dbd_held);
}

void jc_log_db_failed(server_rec *s, const jc_db_t *db, jc_db_rc_e rc,
                      const char *what)
{
    ap_log_error(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_DEBUG : APLOG_WARNING,
                 0, s, "%s: %s", what,
                 db->last_error ? db->last_error : jc_db_rc_name(rc));
}

void jc_write_body(request_rec *r, const char *buf, apr_size_t len)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_bucket_brigade *bb;

    if (r->header_only) {
        return;
    }
    /* one pass down the filter chain: the body (transient: a filter that
     * keeps it sets it aside, i.e. copies it) and a flush */
    bb = apr_brigade_create(r->pool, ba);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(buf, len, ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba));
    /* a failed write marks the connection aborted (core output filter) */
    (void)ap_pass_brigade(r->output_filters, bb);
    apr_brigade_cleanup(bb);
}

/* Pre-cleanup of the child's pool: see dbd_held. At most 10 s. */
static apr_status_t child_exit_wait(void *data)
{
    server_rec *s = data;
    int i;

    apr_atomic_set32(&child_exiting, 1);
    for (i = 0; apr_atomic_read32(&dbd_held) > 0 && i < 2000; i++) {
        apr_sleep(apr_time_from_msec(5));
    }
    if (apr_atomic_read32(&dbd_held) > 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00010)
                     "child exit: %u database connection(s) still held by "
                     "background work after 10 s", apr_atomic_read32(&dbd_held));
    }
    return APR_SUCCESS;
}

/* DBDMax as mod_dbd applies it, read from the configuration tree (mod_dbd
 * keeps its settings to itself): in one scope the last one counts; of the
 * main server and its <VirtualHost>s the largest. 0: none set. */
static int jc_dbd_max_cfg;

#define JC_DBD_MAX_DEFAULT 10   /* mod_dbd's DEFAULT_NMAX with threads */

static int dbd_max_in(const ap_directive_t *d)
{
    int last = 0, nested = 0, v;

    for (; d; d = d->next) {
        if (d->directive && !strcasecmp(d->directive, "DBDMax")
            && d->args) {
            last = atoi(d->args);
        }
        if (d->first_child) {
            v = dbd_max_in(d->first_child);
            nested = v > nested ? v : nested;
        }
    }
    return last > nested ? last : nested;
}

void jc_conn_budget_check(server_rec *s, jc_db_t *db, apr_pool_t *p)
{
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    int max_conn, reserved, children = 0, limit = 0;
    int dbd_max = jc_dbd_max_cfg > 0 ? jc_dbd_max_cfg : JC_DBD_MAX_DEFAULT;
    int nodes = (int)conf->cluster_nodes;
    apr_int64_t need, have;

    if (jc_db_pg_conn_limit(db, p, &max_conn, &reserved) != JC_DB_OK) {
        if (db->last_error) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00853)
                         "connection budget not checked: %s",
                         db->last_error);
        }
        return;     /* SQLite, or the settings are not readable */
    }
    /* children at full load: MaxRequestWorkers / ThreadsPerChild (event,
     * worker); ServerLimit only bounds it (and the old generation's
     * children during a graceful restart) */
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &children);
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit);
    if (children <= 0) {
        children = limit > 0 ? limit : 1;
    }
    need = jc_db_conn_budget(dbd_max, children, nodes);
    have = (apr_int64_t)max_conn - reserved;
    if (need > have) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00851)
                     "connection budget: up to %" APR_INT64_T_FMT
                     " PostgreSQL connections (DBDMax %d x %d children "
                     "x JobcenterClusterNodes %d; ServerLimit %d) but the "
                     "server takes %" APR_INT64_T_FMT " (max_connections "
                     "%d - %d reserved): under load requests will get 503 "
                     "when it refuses a connection. Lower DBDMax or "
                     "MaxRequestWorkers, raise max_connections, or put a "
                     "pooler in between (docs/operations.md)%s", need,
                     dbd_max, children, nodes, limit, have, max_conn,
                     reserved, jc_db_pg_mode() == JC_DB_PG_UNNAMED
                     ? ". JobcenterPgStatements unnamed: behind PgBouncer "
                       "in transaction mode PostgreSQL sees only its "
                       "default_pool_size, compare this budget with "
                       "PgBouncer's max_client_conn instead" : "");
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00852)
                 "connection budget: up to %" APR_INT64_T_FMT " PostgreSQL "
                 "connections (DBDMax %d x %d children x "
                 "JobcenterClusterNodes %d), the server takes %"
                 APR_INT64_T_FMT, need, dbd_max, children, nodes, have);
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
    jc_dbd_max_cfg = dbd_max_in(ap_conftree);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* the core's links to API resources (receipts, file downloads) */
    jc_apiurl_set_base(JC_API_PREFIX);
    /* before any child runs a statement: the children inherit it */
    if (jc_db_set_pg_mode(jc_conf_pg_statements(), pconf) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, JCLOG(00854)
                     "JobcenterPgStatements unnamed: a statement of "
                     "jc_sql.c has a placeholder other than %%s and "
                     "%%lld");
        return HTTP_INTERNAL_SERVER_ERROR;
    }

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
    /* the audit log's files, inherited by the children */
    if (jc_audit_post_config(pconf, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* the metrics' counters, shared by the children */
    if (jc_metrics_post_config(pconf, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
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
    apr_pool_pre_cleanup_register(p, s, child_exit_wait);
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
        dbd = jc_req_db_open(&db, tmp, vs, 7);
        if (!dbd) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs, JCLOG(00003)
                         "database not reachable at start; requests get 503 "
                         "until it is (is the schema from sql/ applied?)");
            apr_pool_destroy(tmp);
            continue;
        }
        rc = jc_db_select1(&db, &row, JC_SQL_SCHEMA_GET, NULL, tmp);
        if (rc == JC_DB_OK) {
            jc_db_col_i64(&row, JC_COL_SCHEMA_GET_VERSION, &version, -1);
        }
        jc_dbd_release(vs, dbd);
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
    jc_metrics_register_hooks(p);
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

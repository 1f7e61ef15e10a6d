/* mod_jobcenter background work on mod_watchdog: delivers the mail outbox
 * (retries with backoff are in the core), applies due deactivations of the
 * Online-Kommunikation on every tick and, about once a minute, purges
 * expired sessions, confirmation links, throttle rows, delivered mails and
 * unconfirmed accounts past JobcenterUnconfirmedPurge. A singleton watchdog:
 * one child process at a time runs it. */
#include <apr_optional.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <mod_watchdog.h>
#include <ap_mpm.h>
#include <string.h>

#include "mod_jobcenter.h"
#include "jc_online.h"
#include "jc_purge.h"

APLOG_USE_MODULE(jobcenter);

#define JC_PURGE_EVERY 60       /* longest time between purge runs       */
#define JC_KEEP_SENT 604800     /* delivered mails are kept a week       */

typedef struct {
    server_rec *s;              /* server whose configuration is used    */
    apr_int64_t last_purge;     /* epoch seconds of the last purge       */
} jc_wd_t;

static void outbox_log(void *baton, apr_int64_t id, int ok, int attempts,
                       const char *detail)
{
    server_rec *s = baton;

    if (ok) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00201)
                     "mail %" APR_INT64_T_FMT " delivered (attempt %d)", id,
                     attempts);
    }
    else {
        /* the relay being down is an operational condition, not a bug:
         * warn, and keep the mail for the next attempt */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00202)
                     "mail %" APR_INT64_T_FMT " not delivered (attempt %d), "
                     "will retry: %s", id, attempts, detail ? detail : "-");
    }
}

static void purge(jc_db_t *db, jc_srv_conf_t *conf, apr_int64_t now,
                  server_rec *s, apr_pool_t *p)
{
    jc_purge_cfg_t cfg;
    const char *label;
    jc_db_rc_e rc;
    int rows;

    cfg.idle = conf->idle;
    cfg.throttle_keep = conf->thr_cli_window > conf->thr_acct_lock
                        ? conf->thr_cli_window : conf->thr_acct_lock;
    cfg.sent_keep = JC_KEEP_SENT;
    cfg.unconfirmed = conf->purge_after;
    rc = jc_purge_run(db, &rows, &label, &cfg, now, p);
    if (rc != JC_DB_OK) {
        ap_log_error(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_DEBUG
                     : APLOG_WARNING, 0, s, JCLOG(00203) "purge %s: %s",
                     label, db->last_error ? db->last_error : "-");
    }
    else if (rows > 0) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00204)
                     "purge: %d rows", rows);
    }
}

/* Apply the deactivations of the Online-Kommunikation that are due (one
 * indexed SELECT when there are none). Runs before the outbox is fetched,
 * so their notice mails go out in the same tick. */
static void online_due(jc_db_t *db, jc_srv_conf_t *conf, apr_int64_t now,
                       server_rec *s, apr_pool_t *p)
{
    int applied = 0;
    jc_db_rc_e rc = jc_online_apply_due(db, &applied, conf->mail_from, now,
                                        p);

    if (rc != JC_DB_OK) {
        ap_log_error(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_DEBUG
                     : APLOG_WARNING, 0, s, JCLOG(00210)
                     "online deactivations: %s",
                     db->last_error ? db->last_error : jc_db_rc_name(rc));
    }
    if (applied > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00211)
                     "online deactivations applied: %d", applied);
    }
}

/* Seconds between purges: half the shortest retention it enforces, within
 * [mail interval, 60]. */
static apr_int64_t purge_every(const jc_srv_conf_t *conf)
{
    apr_int64_t e = conf->purge_after / 2;

    if (e > JC_PURGE_EVERY) {
        e = JC_PURGE_EVERY;
    }
    return e < conf->mail_interval ? conf->mail_interval : e;
}

/* Borrow a connection for one short step; NULL when there is none. */
static ap_dbd_t *db_open(jc_db_t *db, server_rec *s, apr_pool_t *p)
{
    ap_dbd_t *dbd = jc_dbd_open(p, s);

    memset(db, 0, sizeof(*db));
    if (dbd) {
        db->driver = dbd->driver;
        db->handle = dbd->handle;
        db->prepared = dbd->prepared;
    }
    return dbd;
}

/* 1 once the child is shutting down (graceful stop or restart). */
static int stopping(void)
{
    int st = AP_MPMQ_RUNNING;

    ap_mpm_query(AP_MPMQ_MPM_STATE, &st);
    return st == AP_MPMQ_STOPPING;
}

static apr_status_t outbox_tick(int state, void *data, apr_pool_t *pool)
{
    jc_wd_t *wd = data;
    server_rec *s = wd->s;
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    jc_outbox_item_t *items = NULL;
    apr_pool_t *p;
    ap_dbd_t *dbd;
    jc_db_t db;
    jc_db_rc_e rc;
    int i, n = 0;

    /* in STARTING mod_dbd's child_init has not run yet; in STOPPING its
     * connection pool may already be going away */
    if (state != AP_WATCHDOG_STATE_RUNNING || stopping()) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, pool);
    /* A connection is held only for each database step, never while a
     * mail is sent: a slow relay must not pin a connection, and a child
     * that stops meanwhile must find every connection returned. */
    dbd = db_open(&db, s, p);
    if (!dbd) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00205)
                     "outbox: no database connection, next time");
        apr_pool_destroy(p);
        return APR_SUCCESS;
    }
    online_due(&db, conf, now, s, p);
    rc = jc_outbox_fetch_due(&db, &items, &n, now, p);
    if (rc == JC_DB_OK && now - wd->last_purge >= purge_every(conf)) {
        wd->last_purge = now;
        purge(&db, conf, now, s, p);
    }
    jc_dbd_close(s, dbd);
    if (rc != JC_DB_OK) {
        ap_log_error(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_DEBUG
                     : APLOG_WARNING, 0, s, JCLOG(00206) "outbox: %s",
                     db.last_error ? db.last_error : jc_db_rc_name(rc));
    }
    for (i = 0; i < n && !stopping(); i++) {
        const char *err;
        apr_status_t rv = jc_outbox_send(&conf->outbox, &items[i], &err, p);

        outbox_log(s, items[i].id, rv == APR_SUCCESS, items[i].attempts + 1,
                   err);
        dbd = db_open(&db, s, p);
        if (!dbd) {
            /* not recorded: a sent mail goes out again next time
             * (at-least-once), a failed one is simply retried */
            break;
        }
        rc = jc_outbox_record(&db, &items[i], rv == APR_SUCCESS, err,
                              &conf->outbox,
                              (apr_int64_t)apr_time_sec(apr_time_now()), p);
        jc_dbd_close(s, dbd);
        if (rc != JC_DB_OK) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00209)
                         "outbox: cannot record mail %" APR_INT64_T_FMT
                         ": %s", items[i].id,
                         db.last_error ? db.last_error : jc_db_rc_name(rc));
            break;
        }
        if (rv != APR_SUCCESS) {
            break; /* the relay is failing: the rest waits for next time */
        }
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

apr_status_t jc_outbox_register(server_rec *s, apr_pool_t *pconf)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_reg;
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    ap_watchdog_t *wd;
    jc_wd_t *data;
    apr_status_t rv;

    wd_get = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_reg = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get || !wd_reg) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, JCLOG(00207)
                     "mod_watchdog is not available");
        return APR_EGENERAL;
    }
    rv = wd_get(&wd, "jc-outbox", 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        data = apr_pcalloc(pconf, sizeof(*data));
        data->s = s;
        rv = wd_reg(wd, apr_time_from_sec(conf->mail_interval), data,
                    outbox_tick);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, JCLOG(00208)
                     "cannot register the outbox watchdog");
    }
    return rv;
}

/* mod_jobcenter background work on mod_watchdog. Every tick runs the due
 * background jobs of the job table (deactivations of the
 * Online-Kommunikation, Bescheid reminders, the purge of expired sessions,
 * links, throttle rows, delivered mails and unconfirmed accounts), then
 * delivers the mail outbox (retries with backoff are in the core).
 *
 * Several Apache nodes may share one database: each job runs on the node
 * that holds its lease in job_lease (one conditional upsert), and each
 * mail is claimed by one node before it is sent (jc_outbox_claim). Per
 * node a singleton watchdog: one child process at a time runs it; the
 * node identity is host:pid:random, made in that child. */
#include <apr_optional.h>
#include <apr_network_io.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <mod_watchdog.h>
#include <ap_mpm.h>
#include <string.h>
#include <unistd.h>

#include "mod_jobcenter_request.h"
#include "jc_bescheid.h"
#include "jc_online.h"
#include "jc_purge.h"

APLOG_USE_MODULE(jobcenter);

#define JC_PURGE_EVERY 60       /* longest time between purge runs       */
#define JC_KEEP_SENT 604800     /* delivered mails are kept a week       */
#define JC_TICK_BUDGET 5        /* seconds of back-to-back outbox batches
                                 * per tick while there is a backlog      */
#define JC_JOB_GRACE 30         /* a job's lease outlives its period by
                                 * this long: the holder renews it each
                                 * run; another node takes it over only
                                 * after the holder missed a run by this */

/* One background job: runs at most once per `every` seconds in the whole
 * cluster, on the node holding its lease. */
typedef struct {
    const char *name;           /* job_lease.name                        */
    apr_int64_t (*every)(const jc_srv_conf_t *conf); /* period, seconds  */
    void (*run)(jc_db_t *db, jc_srv_conf_t *conf, apr_int64_t now,
                server_rec *s, apr_pool_t *p);       /* the work         */
} jc_job_t;

static void outbox_log(void *baton, apr_int64_t id,
                       jc_outbox_outcome_e outcome, int attempts,
                       const char *detail)
{
    server_rec *s = baton;

    if (outcome == JC_OUTBOX_SENT) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00201)
                     "mail %" APR_INT64_T_FMT " delivered (attempt %d)", id,
                     attempts);
    }
    else if (outcome == JC_OUTBOX_PARK) {
        /* refused for good: an admin looks at it (mail-parked) */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00230)
                     "mail %" APR_INT64_T_FMT " refused by the relay "
                     "(attempt %d), parked (jobcenter-admin mail-parked): "
                     "%s", id, attempts, detail ? detail : "-");
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
    apr_interval_time_t longest = 0;
    jc_db_rc_e rc;
    int rows;

    cfg.idle = conf->idle;
    cfg.throttle_keep = conf->thr_cli_window > conf->thr_acct_lock
                        ? conf->thr_cli_window : conf->thr_acct_lock;
    /* the request limits of jc_forgot use the same table */
    if (conf->reset_window > cfg.throttle_keep) {
        cfg.throttle_keep = conf->reset_window;
    }
    if (conf->lookup_window > cfg.throttle_keep) {
        cfg.throttle_keep = conf->lookup_window;
    }
    cfg.sent_keep = JC_KEEP_SENT;
    cfg.unconfirmed = conf->purge_after;
    rc = jc_purge_run(db, &rows, &label, &longest, &cfg, now, p);
    if (rc != JC_DB_OK) {
        ap_log_error(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_DEBUG
                     : APLOG_WARNING, 0, s, JCLOG(00203) "purge %s: %s",
                     label, db->last_error ? db->last_error : "-");
    }
    else if (rows > 0) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00204)
                     "purge: %d rows, longest batch %" APR_TIME_T_FMT " us",
                     rows, longest);
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
        jc_log_db_failed(s, db, rc, JCLOG(00210) "online deactivations");
    }
    if (applied > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00211)
                     "online deactivations applied: %d", applied);
    }
}

/* Queue the reminders for Bescheide unopened for JobcenterBescheidReminderDays
 * (one indexed SELECT when there are none), before the outbox is fetched. */
static void bescheid_reminders(jc_db_t *db, jc_srv_conf_t *conf,
                               apr_int64_t now, server_rec *s, apr_pool_t *p)
{
    jc_msg_cfg_t cfg;
    int sent = 0;
    jc_db_rc_e rc;

    jc_msg_cfg_from_conf(conf, &cfg);
    rc = jc_bescheid_remind_due(db, &sent, &cfg, now, p);
    if (rc != JC_DB_OK) {
        jc_log_db_failed(s, db, rc, JCLOG(00220) "bescheid reminders");
    }
    if (sent > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, JCLOG(00221)
                     "bescheid reminders queued: %d", sent);
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

/* Jobs that run on every tick of the watchdog. */
static apr_int64_t every_tick(const jc_srv_conf_t *conf)
{
    return conf->mail_interval;
}

/* The background jobs, in the order they run within a tick. Add a job
 * with one line here. The deactivations and reminders come before the
 * outbox is fetched, so their notice mails go out in the same tick; their
 * rows are also changed by conditional UPDATEs (exactly once even if two
 * nodes ran them at once). */
static const jc_job_t jobs[] = {
    { "online_deactivations", every_tick, online_due },
    { "bescheid_reminders", every_tick, bescheid_reminders },
    { "purge", purge_every, purge },
};

#define JC_NJOBS (sizeof(jobs) / sizeof(jobs[0]))

/* Borrow a connection for one short step; NULL when there is none. */
static ap_dbd_t *db_open(jc_db_t *db, server_rec *s, apr_pool_t *p)
{
    memset(db, 0, sizeof(*db));
    return jc_req_db_open(db, p, s, 1);
}

/* 1 once the child is shutting down (graceful stop or restart). */
static int stopping(void)
{
    int st = AP_MPMQ_RUNNING;

    ap_mpm_query(AP_MPMQ_MPM_STATE, &st);
    return st == AP_MPMQ_STOPPING;
}

/* Watchdog state; a copy per child process (allocated before the fork). */
typedef struct {
    server_rec *s;              /* server whose configuration is used    */
    pid_t pid;                  /* process that made `node` (0: none)    */
    char node[128];             /* node identity: host:pid:random (not
                                 * in a pool: the watchdog's pool is
                                 * cleared between ticks)                */
    apr_int64_t next_run[JC_NJOBS]; /* per job: no attempt before        */
    apr_int64_t held[JC_NJOBS]; /* per job: our lease in the database
                                 * runs until then (0: not ours)         */
    jc_outbox_unrec_t unrec;    /* outcomes the database did not take    */
    int unrec_warned;           /* the pending records were logged       */
    int budget_checked;         /* the connection budget was checked     */
} jc_wd_t;

/* The node identity of this process, made once per child: host name, pid
 * and 8 random bytes (a restarted child on the same host with a reused
 * pid is still another node). */
static const char *node_identity(jc_wd_t *wd, apr_pool_t *pool)
{
    char host[APRMAXHOSTLEN + 1];
    unsigned char rnd[8];
    char hex[sizeof(rnd) * 2 + 1];
    pid_t pid = getpid();
    int i;

    if (wd->node[0] && wd->pid == pid) {
        return wd->node;
    }
    if (apr_gethostname(host, sizeof(host), pool) != APR_SUCCESS) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    host[64] = '\0';
    if (apr_generate_random_bytes(rnd, sizeof(rnd)) != APR_SUCCESS) {
        memset(rnd, 0, sizeof(rnd));
        apr_cpystrn(hex, "0", sizeof(hex));
    }
    for (i = 0; i < (int)sizeof(rnd); i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    }
    /* a fresh child: no inherited per-process state */
    memset(wd->next_run, 0, sizeof(wd->next_run));
    memset(wd->held, 0, sizeof(wd->held));
    memset(&wd->unrec, 0, sizeof(wd->unrec));
    wd->unrec_warned = 0;
    wd->budget_checked = 0;
    wd->pid = pid;
    apr_snprintf(wd->node, sizeof(wd->node), "%s:%ld:%s", host, (long)pid,
                 hex);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, wd->s, JCLOG(00235)
                 "background jobs and mail delivery run as node %s",
                 wd->node);
    return wd->node;
}

/* Take (or renew) the lease of job j for this node: one conditional
 * upsert, 1 affected row = ours. */
static int job_lease(jc_db_t *db, const jc_job_t *j, const char *node,
                     apr_int64_t every, apr_int64_t now, server_rec *s,
                     apr_pool_t *p)
{
    apr_int64_t until = now + every + JC_JOB_GRACE;
    const void *args[4];
    jc_db_rc_e rc;
    int n = 0;

    args[0] = j->name;
    args[1] = node;
    args[2] = &until;
    args[3] = &now;
    rc = jc_db_exec(db, &n, JC_SQL_JOB_LEASE_TAKE, args, p);
    if (rc != JC_DB_OK) {
        ap_log_error(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_DEBUG
                     : APLOG_WARNING, 0, s, JCLOG(00234)
                     "job %s: cannot take its lease: %s", j->name,
                     db->last_error ? db->last_error : jc_db_rc_name(rc));
        return 0;
    }
    return n == 1;
}

/* Run the due jobs whose lease this node holds or gets. The holder
 * renews its lease only when less than half the grace is left beyond the
 * next period (a write every ~15 s per job, not every tick); it runs a
 * job only while the lease it wrote has not run out. */
static void run_jobs(jc_wd_t *wd, jc_db_t *db, jc_srv_conf_t *conf,
                     apr_int64_t now, apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < JC_NJOBS; i++) {
        const jc_job_t *j = &jobs[i];
        apr_int64_t every = j->every(conf);

        if (now < wd->next_run[i] || stopping()) {
            continue;
        }
        if (wd->held[i] < now + every + JC_JOB_GRACE / 2) {
            wd->held[i] = job_lease(db, j, wd->node, every, now, wd->s, p)
                          ? now + every + JC_JOB_GRACE : 0;
        }
        if (wd->held[i]) {
            wd->next_run[i] = now + every;
            j->run(db, conf, now, wd->s, p);
        }
        else {
            /* another node holds it: look again a period later (at least
             * 10 s, to keep the lease writes of idle nodes rare) */
            wd->next_run[i] = now + (every > 10 ? every : 10);
        }
    }
}

/* Record what the database could not take before (issue 14); 0 when the
 * outbox may go on sending. */
static int flush_unrecorded(jc_wd_t *wd, jc_db_t *db, jc_srv_conf_t *conf,
                            apr_int64_t now, apr_pool_t *p)
{
    int before = wd->unrec.n;
    jc_db_rc_e rc;

    if (before == 0) {
        return 0;
    }
    rc = jc_outbox_unrec_flush(db, &wd->unrec, wd->node, &conf->outbox,
                               now, p);
    if (rc == JC_DB_OK && wd->unrec.n == 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, wd->s, JCLOG(00233)
                     "outbox: %d delivery outcomes recorded late", before);
        wd->unrec_warned = 0;
    }
    /* with the list full nothing more is sent before it drains */
    return wd->unrec.n >= JC_OUTBOX_UNREC_MAX;
}

/* Keep an outcome the database did not take: this process never sends
 * the mail again, and records it as soon as the database works. */
static void keep_unrecorded(jc_wd_t *wd, const jc_outbox_item_t *it,
                            jc_outbox_outcome_e oc, const char *err,
                            const char *why, apr_int64_t now)
{
    jc_outbox_unrec_add(&wd->unrec, it, oc, err, now);
    ap_log_error(APLOG_MARK, wd->unrec_warned ? APLOG_DEBUG : APLOG_WARNING,
                 0, wd->s, JCLOG(00209)
                 "outbox: cannot record mail %" APR_INT64_T_FMT " (%s): %s; "
                 "kept in memory, not sent again by this process",
                 it->id, oc == JC_OUTBOX_SENT ? "delivered" : "not delivered",
                 why);
    wd->unrec_warned = 1;
}

/* One mail of a batch: claim it, send it, record the outcome; each
 * database step on a connection of its own. 1 when the batch goes on,
 * 0 when it stops (database or relay trouble). */
static int deliver_one(jc_wd_t *wd, jc_srv_conf_t *conf,
                       jc_outbox_item_t *it, apr_pool_t *p)
{
    server_rec *s = wd->s;
    jc_outbox_outcome_e oc;
    const char *err;
    int claimed = 0, recorded = 0;
    apr_int64_t now;
    ap_dbd_t *dbd;
    jc_db_rc_e rc;
    jc_db_t db;

    if (jc_outbox_unrec_has(&wd->unrec, it->id)) {
        return 1;   /* went out already; its record is pending */
    }
    dbd = db_open(&db, s, p);
    if (!dbd) {
        return 0;
    }
    rc = jc_outbox_claim(&db, &claimed, it, wd->node, &conf->outbox,
                         (apr_int64_t)apr_time_sec(apr_time_now()), p);
    jc_dbd_release(s, dbd);
    if (rc != JC_DB_OK) {
        ap_log_error(APLOG_MARK, rc == JC_DB_BUSY ? APLOG_DEBUG
                     : APLOG_WARNING, 0, s, JCLOG(00206)
                     "outbox: cannot claim mail %" APR_INT64_T_FMT
                     ": %s", it->id,
                     db.last_error ? db.last_error : jc_db_rc_name(rc));
        return 0;
    }
    if (!claimed) {
        return 1;   /* another node sends it */
    }
    oc = jc_outbox_send(&conf->outbox, it, &err, p);
    outbox_log(s, it->id, oc, it->attempts + 1, err);
    now = (apr_int64_t)apr_time_sec(apr_time_now());
    dbd = db_open(&db, s, p);
    if (!dbd) {
        keep_unrecorded(wd, it, oc, err, "no database connection", now);
        return 0;
    }
    rc = jc_outbox_record(&db, &recorded, it, oc, err, wd->node,
                          &conf->outbox, now, p);
    jc_dbd_release(s, dbd);
    if (rc != JC_DB_OK) {
        keep_unrecorded(wd, it, oc, err,
                        db.last_error ? db.last_error
                                      : jc_db_rc_name(rc), now);
        return 0;
    }
    if (!recorded) {
        /* a send that outlived the lease: another node has claimed
         * the mail meanwhile and may have sent it too */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, JCLOG(00231)
                     "outbox: the claim of mail %" APR_INT64_T_FMT
                     " was taken over after its lease; it may have "
                     "gone out twice", it->id);
    }
    return oc != JC_OUTBOX_RETRY; /* the relay is failing: the rest waits */
}

/* One batch of the outbox: record what is pending, fetch up to 20
 * candidates, then claim, send and record them one by one. Returns 1 when
 * another batch may follow at once (a full batch, no trouble). */
static int deliver_batch(jc_wd_t *wd, jc_srv_conf_t *conf, apr_pool_t *p)
{
    server_rec *s = wd->s;
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    jc_outbox_item_t *items = NULL;
    jc_db_rc_e rc = JC_DB_OK;
    ap_dbd_t *dbd;
    jc_db_t db;
    int k, n = 0, start;

    /* A connection is held only for each database step, never while a
     * mail is sent: a slow relay must not pin a connection, and a child
     * that stops meanwhile must find every connection returned. */
    dbd = db_open(&db, s, p);
    if (!dbd) {
        return 0;
    }
    if (!flush_unrecorded(wd, &db, conf, now, p)) {
        rc = jc_outbox_fetch_due(&db, &items, &n, now, p);
    }
    jc_dbd_release(s, dbd);
    if (rc != JC_DB_OK) {
        jc_log_db_failed(s, &db, rc, JCLOG(00206) "outbox");
        return 0;
    }
    /* nodes that fetched the same candidates start at different ones,
     * so they rarely reach for the same mail */
    start = n > 0 ? (int)((apr_uint64_t)apr_time_now() % (apr_uint64_t)n)
                  : 0;
    for (k = 0; k < n; k++) {
        if (stopping()
            || !deliver_one(wd, conf, &items[(start + k) % n], p)) {
            return 0;
        }
    }
    return n >= 20;
}

static apr_status_t outbox_tick(int state, void *data, apr_pool_t *pool)
{
    jc_wd_t *wd = data;
    server_rec *s = wd->s;
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    apr_time_t until;
    apr_pool_t *p;
    ap_dbd_t *dbd;
    jc_db_t db;

    /* in STARTING mod_dbd's child_init has not run yet; in STOPPING its
     * connection pool may already be going away */
    if (state != AP_WATCHDOG_STATE_RUNNING || stopping()) {
        return APR_SUCCESS;
    }
    node_identity(wd, pool);
    apr_pool_create(&p, pool);
    dbd = db_open(&db, s, p);
    if (!dbd) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, JCLOG(00205)
                     "outbox: no database connection, next time");
        apr_pool_destroy(p);
        return APR_SUCCESS;
    }
    if (!wd->budget_checked) {
        /* once per node (the child that runs the singleton), on the
         * first connection: never on a request's path */
        wd->budget_checked = 1;
        jc_conn_budget_check(s, &db, p);
    }
    run_jobs(wd, &db, conf, (apr_int64_t)apr_time_sec(apr_time_now()), p);
    jc_dbd_release(s, dbd);
    /* batches while there is a backlog, within a time budget per tick */
    until = apr_time_now() + apr_time_from_sec(JC_TICK_BUDGET);
    while (deliver_batch(wd, conf, p) && apr_time_now() < until
           && !stopping()) {
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

apr_status_t jc_watchdog_add(server_rec *s, apr_pool_t *pconf,
                             const char *name, apr_interval_time_t every,
                             jc_watchdog_tick_fn *tick, void *data)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_reg;
    ap_watchdog_t *wd;
    apr_status_t rv;

    wd_get = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_reg = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get || !wd_reg) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, JCLOG(00207)
                     "mod_watchdog is not available");
        return APR_EGENERAL;
    }
    rv = wd_get(&wd, name, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_reg(wd, every, data, tick);
    }
    return rv;
}

apr_status_t jc_outbox_register(server_rec *s, apr_pool_t *pconf)
{
    jc_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                               &jobcenter_module);
    jc_wd_t *data = apr_pcalloc(pconf, sizeof(*data));
    apr_status_t rv;

    data->s = s;
    rv = jc_watchdog_add(s, pconf, "jc-outbox",
                         apr_time_from_sec(conf->mail_interval),
                         outbox_tick, data);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, JCLOG(00208)
                     "cannot register the outbox watchdog");
    }
    return rv;
}

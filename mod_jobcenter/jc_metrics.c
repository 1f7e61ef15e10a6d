/* Metrics (see jc_metrics.h). */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "jc_metrics.h"

/* The counters are shared between processes: a lock-based fallback of
 * <stdatomic.h> would lock a mutex private to each process. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
               "jc_metrics needs lock-free 64-bit atomics");

/* The shared segment. */
typedef struct {
    _Atomic unsigned long long since;           /* counting since (epoch) */
    _Atomic unsigned long long c[JC_M_COUNT];   /* the counters           */
} jc_metrics_shm_t;

/* This process's view (set before the fork, read-only afterwards). */
static jc_metrics_shm_t *shm;

/* One family of the exposition: name, type, help; each of its series
 * names its counter and its labels. */
typedef struct {
    const char *name;     /* metric name (without _total for counters) */
    const char *help;     /* # HELP text                               */
    const char *labels;   /* this series' labels ("" = none)           */
    jc_metric_e m;        /* the counter                               */
    const char *status;   /* key of mod_status's ?auto form            */
} jc_metric_def_t;

/* A family continues while `name` is the same as the previous row's. */
static const jc_metric_def_t defs[] = {
    { "jobcenter_logins_total", "Password logins by outcome (password "
      "step; the second factor is counted separately).",
      "result=\"ok\"", JC_M_LOGIN_OK, "LoginsOk" },
    { "jobcenter_logins_total", NULL, "result=\"failed\"",
      JC_M_LOGIN_FAILED, "LoginsFailed" },
    { "jobcenter_logins_total", NULL, "result=\"throttled\"",
      JC_M_LOGIN_THROTTLED, "LoginsThrottled" },
    { "jobcenter_passkey_logins_total", "Passkey logins accepted.", "",
      JC_M_PASSKEY_LOGIN_OK, "PasskeyLogins" },
    { "jobcenter_second_factor_failures_total", "Second-factor checks "
      "refused, by factor and reason.",
      "factor=\"totp\",reason=\"invalid\"", JC_M_MFA_TOTP_FAILED,
      "TotpFailures" },
    { "jobcenter_second_factor_failures_total", NULL,
      "factor=\"totp\",reason=\"throttled\"", JC_M_MFA_TOTP_THROTTLED,
      "TotpThrottled" },
    { "jobcenter_second_factor_failures_total", NULL,
      "factor=\"passkey\",reason=\"invalid\"", JC_M_MFA_PASSKEY_FAILED,
      "PasskeyFailures" },
    { "jobcenter_registrations_total", "New accounts registered.", "",
      JC_M_REGISTRATIONS, "Registrations" },
    { "jobcenter_mails_queued_total", "Mails put into the outbox.", "",
      JC_M_MAIL_QUEUED, "MailsQueued" },
    { "jobcenter_mails_sent_total", "Mails delivered by this node.", "",
      JC_M_MAIL_SENT, "MailsSent" },
    { "jobcenter_mail_retries_total", "Mail delivery attempts that "
      "failed and are tried again later.", "", JC_M_MAIL_RETRY,
      "MailRetries" },
    { "jobcenter_mails_parked_total", "Mails parked by this node after a "
      "permanent refusal (jobcenter-admin mail-parked).", "",
      JC_M_MAIL_PARKED, "MailsParked" },
    { "jobcenter_uploads_total", "Files accepted into a citizen's upload "
      "draft.", "", JC_M_UPLOAD_FILES, "UploadFiles" },
    { "jobcenter_upload_bytes_total", "Bytes of those files.", "",
      JC_M_UPLOAD_BYTES, "UploadBytes" },
    { "jobcenter_unavailable_total", "Answers 503 by cause.",
      "cause=\"db_busy\"", JC_M_503_DB_BUSY, "Unavailable503DbBusy" },
    { "jobcenter_unavailable_total", NULL, "cause=\"db_down\"",
      JC_M_503_DB_DOWN, "Unavailable503DbDown" },
    { "jobcenter_unavailable_total", NULL, "cause=\"disk_full\"",
      JC_M_503_DISK_FULL, "Unavailable503DiskFull" },
    { "jobcenter_unavailable_total", NULL, "cause=\"overload\"",
      JC_M_503_OVERLOAD, "Unavailable503Overload" },
    { "jobcenter_db_busy_retries_total", "SQLite statements tried again "
      "after \"database is locked\".", "", JC_M_DB_BUSY_RETRIES,
      "DbBusyRetries" },
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

apr_size_t jc_metrics_size(void)
{
    return sizeof(jc_metrics_shm_t);
}

void jc_metrics_attach(void *mem, int fresh, apr_int64_t since)
{
    int i;

    shm = mem;
    if (shm && fresh) {
        for (i = 0; i < JC_M_COUNT; i++) {
            atomic_init(&shm->c[i], 0);
        }
        atomic_init(&shm->since, (unsigned long long)since);
    }
}

int jc_metrics_on(void)
{
    return shm != NULL;
}

void jc_metrics_add(jc_metric_e m, apr_uint64_t n)
{
    if (shm && (int)m >= 0 && m < JC_M_COUNT) {
        atomic_fetch_add_explicit(&shm->c[m], (unsigned long long)n,
                                  memory_order_relaxed);
    }
}

apr_uint64_t jc_metrics_get(jc_metric_e m)
{
    if (!shm || (int)m < 0 || m >= JC_M_COUNT) {
        return 0;
    }
    return (apr_uint64_t)atomic_load_explicit(&shm->c[m],
                                              memory_order_relaxed);
}

jc_metric_e jc_metrics_503_cause(const char *code, const char *log)
{
    if (code && !strcmp(code, "service_busy")) {
        return JC_M_503_OVERLOAD;
    }
    if (!log) {
        return JC_M_503_DB_BUSY;
    }
    if (strstr(log, "disk full") || strstr(log, "SQLITE_FULL")) {
        return JC_M_503_DISK_FULL;
    }
    if (strstr(log, "no database connection")
        || strstr(log, "server closed the connection")
        || strstr(log, "terminating connection")
        || strstr(log, "no connection to the server")
        || strstr(log, "could not receive data")
        || strstr(log, "could not send data")
        || strstr(log, "connection to server")) {
        return JC_M_503_DB_DOWN;
    }
    return JC_M_503_DB_BUSY;
}

/* count(*) and min(created_at) of one statement (both with the columns
 * of jc_metrics_mail_queued); 0 = failed. */
static int count_oldest(jc_db_t *db, jc_sql_id_e stmt, apr_int64_t now,
                        apr_int64_t *n, apr_int64_t *age, apr_pool_t *p)
{
    jc_db_row_t row;
    apr_int64_t oldest = 0;

    if (jc_db_select1(db, &row, stmt, NULL, p) != JC_DB_OK) {
        return 0;
    }
    jc_db_col_i64(&row, JC_COL_METRICS_MAIL_QUEUED_N, n, 0);
    *age = jc_db_col_i64(&row, JC_COL_METRICS_MAIL_QUEUED_OLDEST, &oldest,
                         0) && oldest > 0 && oldest < now ? now - oldest : 0;
    return 1;
}

void jc_metrics_cluster(jc_metrics_cluster_t *cl, jc_db_t *db,
                        apr_int64_t now, apr_pool_t *p)
{
    memset(cl, 0, sizeof(*cl));
    if (!db || !db->driver) {
        return;
    }
    cl->ok = count_oldest(db, JC_SQL_METRICS_MAIL_QUEUED, now,
                          &cl->mail_queued, &cl->mail_queued_age, p)
             && count_oldest(db, JC_SQL_METRICS_MAIL_PARKED, now,
                             &cl->mail_parked, &cl->mail_parked_age, p);
}

/* "# HELP" + "# TYPE" of a family. */
static void family(apr_array_header_t *out, const char *name,
                   const char *type, const char *help, apr_pool_t *p)
{
    APR_ARRAY_PUSH(out, const char *) = apr_pstrcat(p, "# HELP ", name,
                                                    " ", help, "\n# TYPE ",
                                                    name, " ", type, "\n",
                                                    NULL);
}

static void sample(apr_array_header_t *out, const char *name,
                   const char *labels, apr_uint64_t v, apr_pool_t *p)
{
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p, "%s%s%s%s %"
        APR_UINT64_T_FMT "\n", name, *labels ? "{" : "", labels,
        *labels ? "}" : "", v);
}

static void gauge(apr_array_header_t *out, const char *name,
                  const char *help, apr_int64_t v, apr_pool_t *p)
{
    family(out, name, "gauge", help, p);
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p, "%s %"
        APR_INT64_T_FMT "\n", name, v);
}

const char *jc_metrics_prometheus(const jc_metrics_cluster_t *cl,
                                  apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));
    size_t i;

    for (i = 0; i < NDEFS; i++) {
        if (i == 0 || strcmp(defs[i].name, defs[i - 1].name) != 0) {
            family(out, defs[i].name, "counter", defs[i].help, p);
        }
        sample(out, defs[i].name, defs[i].labels, jc_metrics_get(defs[i].m),
               p);
    }
    gauge(out, "jobcenter_node_counters_since_seconds", "Start of this "
          "node's counters (Unix time; counters reset at a full restart).",
          shm ? (apr_int64_t)atomic_load(&shm->since) : 0, p);
    if (cl) {
        gauge(out, "jobcenter_database_up", "1 if this scrape could read "
              "the cluster figures from the database.", cl->ok ? 1 : 0, p);
    }
    if (cl && cl->ok) {
        gauge(out, "jobcenter_mail_queue", "Mails in the outbox, neither "
              "sent nor parked (all nodes).", cl->mail_queued, p);
        gauge(out, "jobcenter_mail_queue_oldest_age_seconds", "Age of the "
              "oldest mail in the outbox (0: none).", cl->mail_queued_age,
              p);
        gauge(out, "jobcenter_mail_parked", "Parked mails (all nodes; "
              "jobcenter-admin mail-parked lists them).", cl->mail_parked,
              p);
        gauge(out, "jobcenter_mail_parked_oldest_age_seconds", "Age of "
              "the oldest parked mail since it was queued (0: none).",
              cl->mail_parked_age, p);
    }
    return apr_array_pstrcat(p, out, '\0');
}

const char *jc_metrics_status(int html, apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 32, sizeof(const char *));
    size_t i;

    if (html) {
        APR_ARRAY_PUSH(out, const char *) = "<hr />\n<h2>mod_jobcenter"
            "</h2>\n<table border=\"0\">\n";
    }
    for (i = 0; i < NDEFS; i++) {
        apr_uint64_t v = jc_metrics_get(defs[i].m);

        APR_ARRAY_PUSH(out, const char *) = html
            ? apr_psprintf(p, "<tr><th align=\"left\">%s</th><td>%"
                           APR_UINT64_T_FMT "</td></tr>\n", defs[i].status,
                           v)
            : apr_psprintf(p, "Jobcenter%s: %" APR_UINT64_T_FMT "\n",
                           defs[i].status, v);
    }
    if (html) {
        APR_ARRAY_PUSH(out, const char *) = "</table>\n";
    }
    return apr_array_pstrcat(p, out, '\0');
}

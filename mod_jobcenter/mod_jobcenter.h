/* Glue shared by the mod_jobcenter*.c files: the server configuration and
 * the few functions the glue files call on each other. */
#ifndef MOD_JOBCENTER_H
#define MOD_JOBCENTER_H

#include <apr_dbd.h>
#include <httpd.h>
#include <http_config.h>
#include <mod_dbd.h>

#include "jc_account.h"
#include "jc_outbox.h"
#include "jc_upload.h"
#include "jc_clamd.h"
#include "jc_staff.h"
#include "jc_message.h"
#include "jc_upsink.h"
#include "jc_passkey.h"
#include "jc_sesscache.h"

/* The JSON API's path prefix (the handler's, and the core's links to API
 * resources: jc_apiurl_set_base). */
#define JC_API_PREFIX "/api/v1/"

/* Log tags: the module's own numbers, never httpd's AH ones. */
#define JCLOG(n) "JC" #n ": "

/* Per-server configuration. -1 / NULL = unset (merge takes the base). */
typedef struct {
    int engine;                  /* JobcenterEngine: 1 on, 0 off          */
    const char *base_url;        /* JobcenterBaseURL                      */
    apr_array_header_t *origins; /* JobcenterOrigin: const char* list     */
    const char *mail_from;       /* JobcenterMailFrom                     */
    int mail_transport;          /* JobcenterMailTransport: jc_mail_...   */
    const char *mail_spool;      /* JobcenterMailSpool                    */
    const char *smtp_url;        /* JobcenterSMTPURL                      */
    int smtp_starttls;           /* JobcenterSMTPStartTLS: 0/1/2          */
    const char *smtp_user;       /* JobcenterSMTPAuth user                */
    const char *smtp_password;   /* JobcenterSMTPAuth password            */
    int smtp_insecure;           /* JobcenterSMTPInsecureTLS: 1/0         */
    apr_int64_t mail_interval;   /* JobcenterMailInterval, seconds        */
    apr_int64_t retry_base;      /* JobcenterMailRetry base, seconds      */
    apr_int64_t retry_max;       /* JobcenterMailRetry max, seconds       */
    apr_int64_t idle;            /* JobcenterSessionIdle, seconds         */
    apr_int64_t lifetime;        /* JobcenterSessionLifetime, seconds     */
    apr_interval_time_t sc_ttl;  /* JobcenterSessionCacheTTL, us (0: off) */
    int sc_size;                 /* JobcenterSessionCacheSize, entries    */
    jc_sesscache_t *sesscache;   /* this host's cache in this child (made
                                    in child_init; NULL: none), never
                                    merged                                */
    int cookie_secure;           /* JobcenterCookieSecure: 1/0            */
    apr_int64_t confirm_ttl;     /* JobcenterConfirmTTL, seconds          */
    apr_int64_t purge_after;     /* JobcenterUnconfirmedPurge, seconds    */
    int argon2_m;                /* JobcenterArgon2 memory, KiB           */
    int argon2_t;                /* JobcenterArgon2 iterations            */
    int argon2_p;                /* JobcenterArgon2 lanes                 */
    int hash_slots;              /* JobcenterHashConcurrency (0 = CPUs)   */
    int hash_queue;              /* JobcenterHashQueue places (-1: auto)  */
    apr_int64_t hash_wait_ms;    /* JobcenterHashQueue max wait, ms       */
    int thr_acct_free;           /* JobcenterThrottleAccount free         */
    int thr_acct_max;            /* JobcenterThrottleAccount max          */
    apr_int64_t thr_acct_delay;  /* JobcenterThrottleAccount max delay    */
    apr_int64_t thr_acct_lock;   /* JobcenterThrottleAccount lock secs    */
    int thr_cli_free;            /* JobcenterThrottleClient free          */
    apr_int64_t thr_cli_delay;   /* JobcenterThrottleClient max delay     */
    apr_int64_t thr_cli_window;  /* JobcenterThrottleClient window        */
    apr_off_t max_body;          /* JobcenterMaxBody, bytes               */
    const char *secret_key_file; /* JobcenterSecretKeyFile, absolute path */
    const char *totp_issuer;     /* JobcenterTOTPIssuer                   */
    const char *service_phone;   /* JobcenterServicePhone (or NULL)       */
    const char *hearing_url;     /* JobcenterHearingImpairedURL (or NULL) */
    const char *info_url;        /* JobcenterInfoURL (or NULL)            */
    const char *wa_rp_id;        /* JobcenterWebAuthnRPID                 */
    apr_int64_t wa_challenge_ttl; /* JobcenterWebAuthnChallengeTTL, secs  */
    apr_int64_t fsc_validity;    /* JobcenterFreischaltcodeValidity, days */
    apr_int64_t otc_validity;    /* JobcenterOnetimeCredentialsValidity,
                                    days                                  */
    apr_int64_t reauth_window;   /* JobcenterReauthWindow, seconds        */
    apr_int64_t online_days;     /* JobcenterOnlineDeactivationDays       */
    apr_int64_t msg_remind_days; /* JobcenterBescheidReminderDays         */
    apr_int64_t cluster_nodes;   /* JobcenterClusterNodes (budget check)  */
    int holiday_region;          /* JobcenterHolidayRegion (jc_holiday.h) */
    const char *up_store;        /* JobcenterUploadStore, absolute path   */
    apr_off_t up_max_file;       /* JobcenterUploadMaxFileSize, bytes     */
    int up_max_files;            /* JobcenterUploadMaxFiles               */
    int up_direct;               /* JobcenterUploadDirectIO (main server)  */
    apr_off_t up_max_day;        /* JobcenterUploadMaxBytesPerDay, bytes  */
    apr_int64_t sc_interval;     /* JobcenterStoreReconcileInterval, s    */
    apr_int64_t sc_grace;        /* JobcenterStoreReconcileGrace, s       */
    jc_upload_cfg_t upload;      /* upload view, filled in post_config    */
    const char *clamd;           /* JobcenterClamd: socket path, host:port
                                    or "off"                              */
    apr_int64_t clamd_timeout;   /* JobcenterClamdTimeout, seconds        */
    apr_off_t clamd_max;         /* JobcenterClamdStreamMax, bytes        */
    int clamd_hold;              /* JobcenterClamdUnavailable: 1 hold,
                                    0 fail-closed                         */
    int clamd_quarantine;        /* JobcenterClamdInfected: 1 quarantine,
                                    0 remove                              */
    jc_clamd_cfg_t clamd_cfg;    /* scan view, filled in post_config
                                    (addr NULL: scanning off)             */
    const char *clamd_qdir;      /* <store>/quarantine, or NULL (remove)  */
    apr_int64_t reset_ttl;       /* JobcenterPasswordResetTTL, seconds    */
    apr_int64_t reset_max_addr;  /* JobcenterPasswordResetLimit address   */
    apr_int64_t reset_max_cli;   /* JobcenterPasswordResetLimit client    */
    apr_int64_t reset_window;    /* JobcenterPasswordResetLimit window    */
    apr_int64_t lookup_max;      /* JobcenterPostcodeLookupLimit count    */
    apr_int64_t lookup_window;   /* JobcenterPostcodeLookupLimit window   */
    const char *audit_log;       /* JobcenterAuditLog: path, "|program"
                                    or "" (Off); NULL unset               */
    apr_file_t *audit_fd;        /* its open file (post_config; NULL:
                                    none), never merged                   */
    jc_ctx_t ctx;                /* core view, filled in post_config      */
    jc_outbox_cfg_t outbox;      /* delivery view, filled in post_config  */
} jc_srv_conf_t;

/* Per-directory configuration (the gate). -1 = unset. */
typedef struct {
    int gate_headers;            /* JobcenterGateHeaders: 1 on, 0 off     */
    int gate_role;               /* Require jobcenter-role: JC_ROLE_*     */
} jc_dir_conf_t;

extern module AP_MODULE_DECLARE_DATA jobcenter_module;

/* mod_jobcenter_config.c */
extern const command_rec jc_cmds[];
void *jc_create_srv_conf(apr_pool_t *p, server_rec *s);
void *jc_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
/* Fill conf->ctx and conf->outbox from the directives (post_config). */
const char *jc_conf_finish(jc_srv_conf_t *conf, server_rec *s,
                           apr_pool_t *p);
/* Load JobcenterSecretKeyFile into conf->ctx.secretbox (post_config, as
 * root, before the children drop privileges). NULL or the reason. */
const char *jc_conf_load_key(jc_srv_conf_t *conf, apr_pool_t *p);
/* JobcenterPgStatements as configured (main server; prepared when unset),
 * read from the configuration tree: valid from the directive handlers on. */
jc_db_pg_mode_e jc_conf_pg_statements(void);

/* mod_jobcenter.c: write a response body the module produced in memory
 * and flush it, in one pass down the output filters. Without the flush the core output filter sets small
 * in-memory responses aside (below its 4 KB minimum write) and the event
 * MPM writes them in write completion, handing the keep-alive connection
 * to its listener thread and back: two more thread wake-ups per request,
 * which doubled the latency of a sequential /me (issue 20). */
void jc_write_body(request_rec *r, const char *buf, apr_size_t len);

/* mod_jobcenter.c: mod_dbd's functions, retrieved at post_config. */
extern ap_dbd_t *(*jc_dbd_acquire)(request_rec *);
extern ap_dbd_t *(*jc_dbd_open)(apr_pool_t *, server_rec *);
extern void (*jc_dbd_close)(server_rec *, ap_dbd_t *);
/* ap_dbd_acquire / ap_dbd_open tried again after a jittered sleep while
 * they return NULL: a new SQLite connection fails its prepare while
 * another process recovers the WAL index (SQLITE_BUSY_RECOVERY), and
 * mod_dbd then has no connection for this request. At most `tries`
 * attempts (acquire: 3, about 0.5 s). Every connection handed out has
 * been checked by jc_db_revive (a PostgreSQL connection the server closed
 * while pooled is reopened first). */
ap_dbd_t *jc_dbd_acquire_wait(request_rec *r);
/* One attempt of jc_dbd_acquire_wait (checked the same way). */
ap_dbd_t *jc_dbd_acquire_once(request_rec *r);
ap_dbd_t *jc_dbd_open_wait(apr_pool_t *p, server_rec *s, int tries);
/* Give back a connection of jc_dbd_open_wait (never ap_dbd_close it
 * directly: the exiting child waits for every one of them). Once the
 * child is exiting, jc_dbd_open_wait returns NULL. */
void jc_dbd_release(server_rec *s, ap_dbd_t *dbd);

/* Log that housekeeping's database work failed with rc: at level debug
 * when the database was busy (it runs again next tick), warning
 * otherwise. what: the log tag and the work, JCLOG(nnnnn) "outbox"; the
 * line reads "what: <the database's message or rc's name>". */
void jc_log_db_failed(server_rec *s, const jc_db_t *db, jc_db_rc_e rc,
                      const char *what);

/* PostgreSQL: compare DBDMax x children x JobcenterClusterNodes with the
 * server's connection limit and warn (JC00851) when the portal can open
 * more connections than the server takes; JC00852 tells the figures at
 * level info otherwise. No-op on SQLite. */
void jc_conn_budget_check(server_rec *s, jc_db_t *db, apr_pool_t *p);

/* mod_jobcenter_sesscache.c: the session cache's glue. post_config:
 * the node's generation counters in shared memory (before the fork);
 * child_init: the write hook and one cache per host with the cache on. */
apr_status_t jc_sesscache_post_config(apr_pool_t *pconf, server_rec *s);
void jc_sesscache_child_init(apr_pool_t *pchild, server_rec *s);

/* mod_jobcenter_metrics.c: the node's counters in shared memory (post
 * config, before the fork), the "jobcenter-metrics" handler and the
 * mod_status section; a 503 answer counted by its cause. */
apr_status_t jc_metrics_post_config(apr_pool_t *pconf, server_rec *s);
void jc_metrics_register_hooks(apr_pool_t *p);
void jc_metrics_count_503(const char *code, const char *log);

/* mod_jobcenter_audit.c: the audit log (docs/logs.md). The directive,
 * the files opened in post_config by the parent (children inherit them),
 * and one line per audited API call (written by jc_api_handler). */
const char *jc_audit_set_log(cmd_parms *cmd, void *d, const char *arg);
apr_status_t jc_audit_post_config(apr_pool_t *pconf, server_rec *s);

/* mod_jobcenter_api.c: the handler and what route handlers share (the
 * request layer they use is mod_jobcenter_request.h). */
int jc_api_handler(request_rec *r);
int jc_api_map_to_storage(request_rec *r);

/* Everything a route handler gets. */
typedef struct {
    request_rec *r;           /* the request                              */
    jc_srv_conf_t *conf;      /* server configuration                     */
    jc_db_t db;               /* borrowed connection (driver NULL = none) */
    jc_session_t sess;        /* loaded session (account_id 0 = none)     */
    json_t *body;             /* parsed JSON object or NULL               */
    apr_int64_t now;          /* request time, epoch seconds              */
    const char *text;         /* a route's ready JSON text (hot paths)    */
    int sent;                 /* the route wrote the response itself
                                 (a stored file: receipt, download)       */
    apr_int64_t path_id;      /* the number in a route path's '*' segment */
    const jc_staff_t *staff;  /* staff routes: the caller's staff row     */
    const char *raw;          /* a route's non-JSON answer (e.g. a PDF)   */
    apr_size_t raw_len;       /* its length                               */
    const char *raw_type;     /* its Content-Type                         */
    apr_int64_t audit_account; /* the account a login signed in (audit
                                  log's actor when there was no session) */
    apr_array_header_t *audit_events; /* kinds of the events the handler
                                  recorded (const char *; NULL: none)    */
    apr_int64_t audit_event_account; /* the first event's account        */
    apr_int64_t audit_other_account; /* the first one not the caller's   */
} jc_call_t;

/* mod_jobcenter_audit.c: one audit line for a finished API call (method,
 * route pattern with '*' for a path id, HTTP status). */
void jc_audit_api(jc_call_t *c, const char *method, const char *route,
                  int status);

/* A route handler: fills res (errors) or *out (the JSON answer) and
 * returns the success status. */
typedef int jc_route_fn(jc_call_t *c, jc_result_t *res, json_t **out);

/* Route levels: the session states a route accepts, as a set of bits of
 * jc_sess_state_e (the route x state table of docs/api.md), and the
 * staff role it requires on top. JC_LEVEL_PUBLIC routes load no session:
 * anonymous callers and every state reach them. */
#define JC_LEVEL_STATE(x) (1u << JC_SESS_##x)
enum jc_route_level {
    JC_LEVEL_PUBLIC = 0,
    /* exactly one step of the login */
    JC_LEVEL_PASSWORD_CHANGE = JC_LEVEL_STATE(PASSWORD_CHANGE_REQUIRED),
    JC_LEVEL_EMAIL_REQUIRED = JC_LEVEL_STATE(EMAIL_REQUIRED),
    JC_LEVEL_MFA_REQUIRED = JC_LEVEL_STATE(MFA_REQUIRED),
    /* a complete two-factor session */
    JC_LEVEL_FULL = JC_LEVEL_STATE(AUTHENTICATED),
    /* adding a factor: never in mfa_required (that would skip the factor
     * the account has); the core also refuses mfa_setup_required when the
     * account has a usable factor meanwhile, and a stale check when
     * authenticated */
    JC_LEVEL_MFA_SETUP = JC_LEVEL_STATE(MFA_SETUP_REQUIRED) | JC_LEVEL_FULL,
    /* any session, however far its login got */
    JC_LEVEL_PARTIAL = JC_LEVEL_STATE(PASSWORD_OK)
                       | JC_LEVEL_PASSWORD_CHANGE | JC_LEVEL_EMAIL_REQUIRED
                       | JC_LEVEL_MFA_SETUP | JC_LEVEL_MFA_REQUIRED,
    JC_LEVEL_ROLE_SB = 1u << 16,     /* + enabled staff row, sachbearbeitung */
    JC_LEVEL_ROLE_ADMIN = 1u << 17,  /* + enabled staff row, admin           */
    JC_LEVEL_STAFF = JC_LEVEL_FULL | JC_LEVEL_ROLE_SB,
    JC_LEVEL_ADMIN = JC_LEVEL_FULL | JC_LEVEL_ROLE_ADMIN
};
/* The session states of a level (without the role bits). */
#define JC_LEVEL_STATES(m) ((m) & 0xffffu)
/* jc_session_level() of a complete two-factor session (the gate's). */
#define JC_SESSION_LEVEL_FULL 5

/* What a route does with a request body. */
enum jc_route_body {
    JC_BODY_NONE = 0,   /* ignored; if one is sent it must be JSON (415)  */
    JC_BODY_JSON,       /* a JSON object is required, read and parsed     */
    JC_BODY_STREAM      /* the handler streams it (uploads; checks type)  */
};

/* Whether a route needs the request's database connection. */
enum jc_route_conn {
    JC_CONN_NONE = 0,   /* no database at all                             */
    JC_CONN_HANDLER,    /* the handler uses it (acquired before it runs)  */
    JC_CONN_SESSION     /* only the session check does (acquired on a
                           session cache miss); the handler takes its own
                           around its statements if any                   */
};

/* One API route. Each feature's glue exports its table (ending with a
 * zeroed row); mod_jobcenter_api.c looks a request up in all of them. */
typedef struct {
    int method;               /* M_GET / M_POST / M_PATCH / ...           */
    const char *path;         /* below /api/v1/; '*' a number segment,
                                 '#' a 32-hex token segment               */
    unsigned level;           /* enum jc_route_level                      */
    int body;                 /* enum jc_route_body                       */
    int conn;                 /* enum jc_route_conn                       */
    jc_route_fn *fn;          /* handler                                  */
} jc_route_t;

/* The route tables, one per feature glue file. */
extern const jc_route_t jc_routes_account[];  /* mod_jobcenter_account.c */
extern const jc_route_t jc_routes_mfa[];      /* mod_jobcenter_mfa.c     */
extern const jc_route_t jc_routes_passkey[];  /* mod_jobcenter_passkey.c */
extern const jc_route_t jc_routes_upload[];   /* mod_jobcenter_upload.c  */
extern const jc_route_t jc_routes_tus[];      /* mod_jobcenter_tus.c     */
extern const jc_route_t jc_routes_profile[];  /* mod_jobcenter_profile.c */
extern const jc_route_t jc_routes_staff[];    /* mod_jobcenter_staff.c   */
extern const jc_route_t jc_routes_onetime[];  /* mod_jobcenter_onetime.c */
extern const jc_route_t jc_routes_security[]; /* mod_jobcenter_security.c */
extern const jc_route_t jc_routes_online[];   /* mod_jobcenter_online.c  */
extern const jc_route_t jc_routes_message[];  /* mod_jobcenter_message.c */
extern const jc_route_t jc_routes_konto[];    /* mod_jobcenter_konto.c   */

/* String member of the JSON body, NULL if missing or not a string; *len
 * (may be NULL) gets its length in bytes. */
const char *jc_api_body_str(jc_call_t *c, const char *key, size_t *len);

/* A positive id from the JSON body or the query; 0 if missing/invalid. */
apr_int64_t jc_api_arg_id(jc_call_t *c, const char *key);

/* Set the session cookie (value NULL: clear it with Max-Age=0). */
void jc_api_set_cookie(jc_call_t *c, const char *value);

/* mod_jobcenter_profile.c: the QR link handler ("jobcenter-link") and its
 * access-log scrubbing. */
int jc_link_handler(request_rec *r);
int jc_link_log_scrub(request_rec *r);

/* mod_jobcenter_passkey.c, shared with the "Sicherheit" routes: the
 * browser's PublicKeyCredential JSON object (body or a member of it) as
 * jc_pk_in_t; strings stay owned by obj. */
void jc_api_read_credential(json_t *obj, jc_pk_in_t *in);

/* mod_jobcenter_upload.c, shared with the message routes: the body of a
 * request streamed into the upload store (see there), sending a stored
 * file (attachment disposition, nosniff, no-store, sandbox CSP). */
int jc_upload_read_body(jc_call_t *c, jc_result_t *res,
                        const jc_upsink_cfg_t *scfg, apr_off_t max_body,
                        const apr_array_header_t **files);
/* The citizen's upload gate: a person profile and active
 * Online-Kommunikation (200, or the refusal in res). */
int jc_upload_citizen_gate(jc_call_t *c, jc_result_t *res);
int jc_upload_send_stored(jc_call_t *c, jc_result_t *res, const char *path,
                          const char *type, const char *disp);
const char *jc_upload_disposition(apr_pool_t *p, const char *kind,
                                  const char *name);

/* mod_jobcenter_message.c: messages, Postfach, Bescheide, Termine and the
 * staff inboxes (issue 7). */
/* The core view of the message settings (watchdog and routes). */
void jc_msg_cfg_from_conf(const jc_srv_conf_t *conf, jc_msg_cfg_t *cfg);

/* mod_jobcenter_gate.c: AuthType jobcenter, Require jobcenter-session. */
void *jc_create_dir_conf(apr_pool_t *p, char *dir);
void *jc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void jc_gate_register_hooks(apr_pool_t *p);
/* 1 if u is a same-site path ('/', not '//' or '/\\'). */
int jc_gate_safe_target(const char *u);

/* mod_jobcenter_upload.c: the upload input filter, the upload routes,
 * start-up preparation of the store and its watchdog. */
void jc_upload_register_hooks(apr_pool_t *p);
apr_status_t jc_upload_post_config(server_rec *s, apr_pool_t *pconf);

/* mod_jobcenter_tus.c: resumable uploads (tus 1.0.0) and their
 * housekeeping (called by the upload watchdog). */
void jc_tus_tick(server_rec *s, jc_db_t *db, apr_int64_t now,
                 apr_pool_t *p);

/* mod_jobcenter_outbox.c: register the watchdog callback. */
apr_status_t jc_outbox_register(server_rec *s, apr_pool_t *pconf);

/* A watchdog callback (mod_watchdog's ap_watchdog_callback_fn_t). */
typedef apr_status_t jc_watchdog_tick_fn(int state, void *data,
                                         apr_pool_t *pool);

/* Run tick(data) every `every` in the parent's watchdog thread `name`
 * (mod_watchdog, in post_config). APR_EGENERAL, logged as JC00207, when
 * mod_watchdog is not loaded; else the watchdog's status (the caller
 * logs a failure). Serves the outbox and the upload store. */
apr_status_t jc_watchdog_add(server_rec *s, apr_pool_t *pconf,
                             const char *name, apr_interval_time_t every,
                             jc_watchdog_tick_fn *tick, void *data);

#endif

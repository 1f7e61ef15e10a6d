/* mod_jobcenter directives: one table, defaults, merge, and the core views
 * (jc_ctx_t, jc_outbox_cfg_t) derived from them. Every directive is
 * documented in docs/configuration.md and shown in conf/jobcenter.conf. */
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_optional.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter.h"
#include "jc_message.h"
#include "jc_holiday.h"
#include "jc_online.h"
#include "jc_mail.h"
#include "jc_sql.h"
#include "jc_utf8.h"

/* Directive names (kept in one place; tests grep the docs for each). */
#define JC_D_ENGINE        "JobcenterEngine"
#define JC_D_BASE_URL      "JobcenterBaseURL"
#define JC_D_ORIGIN        "JobcenterOrigin"
#define JC_D_MAIL_FROM     "JobcenterMailFrom"
#define JC_D_MAIL_TRANS    "JobcenterMailTransport"
#define JC_D_MAIL_SPOOL    "JobcenterMailSpool"
#define JC_D_SMTP_URL      "JobcenterSMTPURL"
#define JC_D_SMTP_TLS      "JobcenterSMTPStartTLS"
#define JC_D_SMTP_AUTH     "JobcenterSMTPAuth"
#define JC_D_SMTP_INSEC    "JobcenterSMTPInsecureTLS"
#define JC_D_MAIL_INTERVAL "JobcenterMailInterval"
#define JC_D_MAIL_RETRY    "JobcenterMailRetry"
#define JC_D_IDLE          "JobcenterSessionIdle"
#define JC_D_LIFETIME      "JobcenterSessionLifetime"
#define JC_D_SC_TTL        "JobcenterSessionCacheTTL"
#define JC_D_SC_SIZE       "JobcenterSessionCacheSize"
#define JC_D_COOKIE_SECURE "JobcenterCookieSecure"
#define JC_D_CONFIRM_TTL   "JobcenterConfirmTTL"
#define JC_D_PURGE         "JobcenterUnconfirmedPurge"
#define JC_D_ARGON2        "JobcenterArgon2"
#define JC_D_HASH_CONC     "JobcenterHashConcurrency"
#define JC_D_HASH_QUEUE    "JobcenterHashQueue"
#define JC_D_THR_ACCOUNT   "JobcenterThrottleAccount"
#define JC_D_THR_CLIENT    "JobcenterThrottleClient"
#define JC_D_MAX_BODY      "JobcenterMaxBody"
#define JC_D_SECRET_KEY    "JobcenterSecretKeyFile"
#define JC_D_TOTP_ISSUER   "JobcenterTOTPIssuer"
#define JC_D_SERVICE_PHONE "JobcenterServicePhone"
#define JC_D_HEARING_URL   "JobcenterHearingImpairedURL"
#define JC_D_INFO_URL      "JobcenterInfoURL"
#define JC_D_WA_RPID       "JobcenterWebAuthnRPID"
#define JC_D_WA_TTL        "JobcenterWebAuthnChallengeTTL"
#define JC_D_REAUTH        "JobcenterReauthWindow"
#define JC_D_GATE_HEADERS  "JobcenterGateHeaders"
#define JC_D_FSC_VALIDITY  "JobcenterFreischaltcodeValidity"
#define JC_D_OTC_VALIDITY  "JobcenterOnetimeCredentialsValidity"
#define JC_D_ONLINE_DAYS   "JobcenterOnlineDeactivationDays"
#define JC_D_REMIND_DAYS   "JobcenterBescheidReminderDays"
#define JC_D_NODES         "JobcenterClusterNodes"
#define JC_D_HOLIDAYS      "JobcenterHolidayRegion"
#define JC_D_UP_STORE      "JobcenterUploadStore"
#define JC_D_UP_MAX_FILE   "JobcenterUploadMaxFileSize"
#define JC_D_UP_MAX_FILES  "JobcenterUploadMaxFiles"
#define JC_D_UP_MAX_DAY    "JobcenterUploadMaxBytesPerDay"
#define JC_D_UP_DIRECT     "JobcenterUploadDirectIO"
#define JC_D_PG_STMTS      "JobcenterPgStatements"
#define JC_D_SC_INTERVAL   "JobcenterStoreReconcileInterval"
#define JC_D_SC_GRACE      "JobcenterStoreReconcileGrace"
#define JC_D_CLAMD         "JobcenterClamd"
#define JC_D_CLAMD_TIMEOUT "JobcenterClamdTimeout"
#define JC_D_CLAMD_MAX     "JobcenterClamdStreamMax"
#define JC_D_CLAMD_UNAVAIL "JobcenterClamdUnavailable"
#define JC_D_CLAMD_INFECTED "JobcenterClamdInfected"
#define JC_D_RESET_TTL     "JobcenterPasswordResetTTL"
#define JC_D_RESET_LIMIT   "JobcenterPasswordResetLimit"
#define JC_D_LOOKUP_LIMIT  "JobcenterPostcodeLookupLimit"
#define JC_D_AUDIT_LOG     "JobcenterAuditLog"

/* Defaults (also in docs/configuration.md and conf/jobcenter.conf). */
#define JC_DEF_MAIL_FROM   "Jobcenter.Digital <noreply@localhost>"
#define JC_DEF_SPOOL       "/var/spool/jobcenter/mail"
#define JC_DEF_SMTP_URL    "smtp://127.0.0.1:25"
#define JC_DEF_TOTP_ISSUER "Jobcenter.Digital"
#define JC_DEF_UP_STORE    "/var/lib/jobcenter/uploads"
#define JC_DEF_UP_MAX_FILE 20971520     /* 20 MiB                        */
#define JC_DEF_UP_MAX_FILES 20
#define JC_DEF_UP_MAX_DAY  209715200    /* 200 MiB                       */
#define JC_UP_BYTES_MAX    1099511627776LL /* 1 TiB: sanity bound        */
#define JC_TOTP_ISSUER_MAX 64    /* bytes; apps show it in a short line */
#define JC_WA_RP_NAME      "Jobcenter.Digital"

void *jc_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    jc_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->engine = -1;
    c->mail_transport = -1;
    c->smtp_starttls = -1;
    c->smtp_insecure = -1;
    c->mail_interval = -1;
    c->retry_base = -1;
    c->retry_max = -1;
    c->idle = -1;
    c->lifetime = -1;
    c->sc_ttl = -1;
    c->sc_size = -1;
    c->cookie_secure = -1;
    c->confirm_ttl = -1;
    c->wa_challenge_ttl = -1;
    c->fsc_validity = -1;
    c->otc_validity = -1;
    c->reauth_window = -1;
    c->online_days = -1;
    c->msg_remind_days = -1;
    c->cluster_nodes = -1;
    c->holiday_region = -1;
    c->reset_ttl = -1;
    c->reset_max_addr = -1;
    c->reset_max_cli = -1;
    c->reset_window = -1;
    c->lookup_max = -1;
    c->lookup_window = -1;
    c->purge_after = -1;
    c->argon2_m = -1;
    c->argon2_t = -1;
    c->argon2_p = -1;
    c->hash_slots = -1;
    c->hash_queue = -1;
    c->hash_wait_ms = -1;
    c->thr_acct_free = -1;
    c->thr_acct_max = -1;
    c->thr_acct_delay = -1;
    c->thr_acct_lock = -1;
    c->thr_cli_free = -1;
    c->thr_cli_delay = -1;
    c->thr_cli_window = -1;
    c->max_body = -1;
    c->up_max_file = -1;
    c->up_max_files = -1;
    c->up_direct = -1;
    c->up_max_day = -1;
    c->sc_interval = -1;
    c->sc_grace = -1;
    c->clamd_timeout = -1;
    c->clamd_max = -1;
    c->clamd_hold = -1;
    c->clamd_quarantine = -1;
    return c;
}

#define MERGE_NUM(f) c->f = (add->f != -1) ? add->f : base->f
#define MERGE_PTR(f) c->f = add->f ? add->f : base->f

void *jc_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    jc_srv_conf_t *base = basev, *add = addv;
    jc_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    MERGE_NUM(engine);
    MERGE_PTR(base_url);
    MERGE_PTR(origins);
    MERGE_PTR(mail_from);
    MERGE_NUM(mail_transport);
    MERGE_PTR(mail_spool);
    MERGE_PTR(smtp_url);
    MERGE_NUM(smtp_starttls);
    MERGE_PTR(smtp_user);
    MERGE_PTR(smtp_password);
    MERGE_NUM(smtp_insecure);
    MERGE_NUM(mail_interval);
    MERGE_NUM(retry_base);
    MERGE_NUM(retry_max);
    MERGE_NUM(idle);
    MERGE_NUM(lifetime);
    MERGE_NUM(sc_ttl);
    MERGE_NUM(sc_size);
    MERGE_NUM(cookie_secure);
    MERGE_NUM(confirm_ttl);
    MERGE_NUM(wa_challenge_ttl);
    MERGE_NUM(fsc_validity);
    MERGE_NUM(otc_validity);
    MERGE_NUM(reauth_window);
    MERGE_NUM(online_days);
    MERGE_NUM(msg_remind_days);
    MERGE_NUM(cluster_nodes);
    MERGE_NUM(holiday_region);
    MERGE_NUM(reset_ttl);
    MERGE_NUM(reset_max_addr);
    MERGE_NUM(reset_max_cli);
    MERGE_NUM(reset_window);
    MERGE_NUM(lookup_max);
    MERGE_NUM(lookup_window);
    MERGE_NUM(purge_after);
    MERGE_NUM(argon2_m);
    MERGE_NUM(argon2_t);
    MERGE_NUM(argon2_p);
    MERGE_NUM(hash_slots);
    MERGE_NUM(hash_queue);
    MERGE_NUM(hash_wait_ms);
    MERGE_NUM(thr_acct_free);
    MERGE_NUM(thr_acct_max);
    MERGE_NUM(thr_acct_delay);
    MERGE_NUM(thr_acct_lock);
    MERGE_NUM(thr_cli_free);
    MERGE_NUM(thr_cli_delay);
    MERGE_NUM(thr_cli_window);
    MERGE_NUM(max_body);
    MERGE_PTR(secret_key_file);
    MERGE_PTR(totp_issuer);
    MERGE_PTR(service_phone);
    MERGE_PTR(hearing_url);
    MERGE_PTR(info_url);
    MERGE_PTR(wa_rp_id);
    MERGE_PTR(up_store);
    MERGE_PTR(audit_log);
    MERGE_NUM(up_max_file);
    MERGE_NUM(up_max_files);
    MERGE_NUM(up_direct);
    MERGE_NUM(up_max_day);
    MERGE_NUM(sc_interval);
    MERGE_NUM(sc_grace);
    MERGE_PTR(clamd);
    MERGE_NUM(clamd_timeout);
    MERGE_NUM(clamd_max);
    MERGE_NUM(clamd_hold);
    MERGE_NUM(clamd_quarantine);
    return c;
}

/* Resolve unset (-1) to the default. */
#define DEF(f, v) if (conf->f == -1) conf->f = (v)

static jc_srv_conf_t *srv_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config,
                                &jobcenter_module);
}

/* Parse a non-negative integer within [min, max]. */
static const char *parse_num(cmd_parms *cmd, const char *arg,
                             apr_int64_t min, apr_int64_t max,
                             apr_int64_t *out)
{
    char *end = NULL;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (!*arg || !end || *end || v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number between %"
                            APR_INT64_T_FMT " and %" APR_INT64_T_FMT,
                            cmd->cmd->name, arg, min, max);
    }
    *out = v;
    return NULL;
}

/* JobcenterPgStatements of the main server (the last one outside any
 * <VirtualHost>) in the parsed configuration tree: set_engine must know
 * it when it meets JobcenterEngine On, wherever the two stand in the
 * file. */
static int pg_stmts_in(const ap_directive_t *d, int mode)
{
    for (; d; d = d->next) {
        if (d->directive && d->args
            && !strcasecmp(d->directive, JC_D_PG_STMTS)) {
            /* the raw argument text: quotes are still on it */
            mode = !strcasecmp(d->args, "unnamed")
                   || !strcasecmp(d->args, "\"unnamed\"")
                   || !strcasecmp(d->args, "'unnamed'") ? JC_DB_PG_UNNAMED
                                                        : JC_DB_PG_PREPARED;
        }
        if (d->first_child && d->directive
            && strcasecmp(d->directive, "<VirtualHost")) {
            mode = pg_stmts_in(d->first_child, mode);
        }
    }
    return mode;
}

jc_db_pg_mode_e jc_conf_pg_statements(void)
{
    return (jc_db_pg_mode_e)pg_stmts_in(ap_conftree, JC_DB_PG_PREPARED);
}

static const char *set_pg_stmts(cmd_parms *cmd, void *d, const char *arg)
{
    /* process-wide (jc_db_set_pg_mode): main server only */
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)d;
    if (err) {
        return err;
    }
    if (strcasecmp(arg, "prepared") && strcasecmp(arg, "unnamed")) {
        return JC_D_PG_STMTS ": prepared or unnamed";
    }
    return NULL;
}

/* The last DBDriver argument in d's tree (not descending into
 * <VirtualHost> when skip_vhosts), or dflt. */
static const char *dbd_driver_in(const ap_directive_t *d, int skip_vhosts,
                                 const char *dflt)
{
    for (; d; d = d->next) {
        if (d->directive && d->args && !strcasecmp(d->directive, "DBDriver")) {
            dflt = d->args;
        }
        if (d->first_child && d->directive
            && !(skip_vhosts && !strcasecmp(d->directive, "<VirtualHost"))) {
            dflt = dbd_driver_in(d->first_child, skip_vhosts, dflt);
        }
    }
    return dflt;
}

/* 1 when the DBDriver for the server of this directive is sqlite3: the
 * main server's, or the one of the <VirtualHost> it stands in. */
static int dbd_is_sqlite(const cmd_parms *cmd)
{
    const ap_directive_t *v = cmd->directive;
    const char *drv = dbd_driver_in(ap_conftree, 1, NULL);

    while (v && !(v->directive && !strcasecmp(v->directive, "<VirtualHost"))) {
        v = v->parent;
    }
    if (v) {
        drv = dbd_driver_in(v->first_child, 0, drv);
    }
    return drv && (!strcmp(drv, "sqlite3") || !strcmp(drv, "\"sqlite3\""));
}

static const char *set_engine(cmd_parms *cmd, void *d, int on)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare;
    const jc_sql_stmt_t *st;

    (void)d;
    srv_conf(cmd)->engine = on;
    if (!on) {
        return NULL;
    }
    /* prepared at config time with stable labels, like mod_authn_dbd */
    prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    if (!prepare) {
        return JC_D_ENGINE ": mod_dbd is not loaded (LoadModule dbd_module "
               "must come before LoadModule jobcenter_module)";
    }
    /* unnamed: mod_dbd prepares nothing (a named statement outlives the
     * transaction on a server connection that PgBouncer's transaction
     * pooling hands to others); jc_db runs every statement unnamed */
    if (jc_conf_pg_statements() == JC_DB_PG_UNNAMED) {
        return NULL;
    }
    /* SQLite: jc_db prepares each statement itself on the native handle
     * (with its busy retries); apr_dbd_sqlite3 would prepare all of them
     * again on every new connection, and one "database is locked" while
     * another child sets up the WAL index failed the connection
     * (AH00632, tests/http/sqlite-start.test.mjs) */
    if (dbd_is_sqlite(cmd)) {
        return NULL;
    }
    for (st = jc_sql_statements(); st->label; st++) {
        prepare(cmd->server, st->sql, st->label);
    }
    return NULL;
}

static const char *set_str(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    const char *name = cmd->cmd->name;

    (void)d;
    if (!strcasecmp(name, JC_D_BASE_URL)) {
        size_t n = strlen(arg);

        if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8)) {
            return JC_D_BASE_URL ": must start with http:// or https://";
        }
        while (n > 0 && arg[n - 1] == '/') {
            n--;
        }
        c->base_url = apr_pstrmemdup(cmd->pool, arg, n);
    }
    else if (!strcasecmp(name, JC_D_MAIL_FROM)) {
        if (strpbrk(arg, "\r\n") || !strchr(arg, '@')) {
            return JC_D_MAIL_FROM ": needs an address like "
                   "\"Jobcenter.Digital <noreply@example.org>\"";
        }
        c->mail_from = arg;
    }
    else if (!strcasecmp(name, JC_D_MAIL_SPOOL)) {
        c->mail_spool = ap_server_root_relative(cmd->pool, arg);
    }
    else if (!strcasecmp(name, JC_D_SECRET_KEY)) {
        c->secret_key_file = ap_server_root_relative(cmd->pool, arg);
        if (!c->secret_key_file) {
            return JC_D_SECRET_KEY ": invalid path";
        }
    }
    else if (!strcasecmp(name, JC_D_SERVICE_PHONE)) {
        if (!jc_utf8_label_ok(arg) || strlen(arg) > 100) {
            return JC_D_SERVICE_PHONE ": 1 to 100 bytes of UTF-8 text "
                   "without control characters, e.g. "
                   "\"0800 4 5555 01 (gebührenfrei)\"";
        }
        c->service_phone = arg;
    }
    else if (!strcasecmp(name, JC_D_HEARING_URL)
             || !strcasecmp(name, JC_D_INFO_URL)) {
        const char *q;

        if (strncmp(arg, "https://", 8) && strncmp(arg, "http://", 7)) {
            return apr_pstrcat(cmd->pool, name, ": must start with "
                               "http:// or https://", NULL);
        }
        for (q = arg; *q; q++) {
            if (*q <= ' ' || *q >= 0x7f) {
                return apr_pstrcat(cmd->pool, name, ": printable ASCII "
                                   "without spaces", NULL);
            }
        }
        if (strlen(arg) > 400) {
            return apr_pstrcat(cmd->pool, name, ": at most 400 bytes",
                               NULL);
        }
        if (!strcasecmp(name, JC_D_INFO_URL)) {
            c->info_url = arg;
        }
        else {
            c->hearing_url = arg;
        }
    }
    else if (!strcasecmp(name, JC_D_TOTP_ISSUER)) {
        if (!jc_utf8_label_ok(arg) || strlen(arg) > JC_TOTP_ISSUER_MAX) {
            return JC_D_TOTP_ISSUER ": 1 to 64 bytes of UTF-8 text without "
                   "control characters";
        }
        c->totp_issuer = arg;
    }
    else if (!strcasecmp(name, JC_D_WA_RPID)) {
        const char *q;

        for (q = arg; *q; q++) {
            if (!apr_isalnum(*q) && *q != '-' && *q != '.') {
                return JC_D_WA_RPID ": a host name such as "
                       "portal.jobcenter.example (no scheme, port or path)";
            }
        }
        if (!*arg || strlen(arg) > 253) {
            return JC_D_WA_RPID ": a host name of 1 to 253 characters";
        }
        c->wa_rp_id = apr_pstrdup(cmd->pool, arg);
        ap_str_tolower((char *)c->wa_rp_id);
    }
    else if (!strcasecmp(name, JC_D_SMTP_URL)) {
        if (strncmp(arg, "smtp://", 7) && strncmp(arg, "smtps://", 8)) {
            return JC_D_SMTP_URL ": must start with smtp:// or smtps://";
        }
        c->smtp_url = arg;
    }
    else if (!strcasecmp(name, JC_D_MAIL_TRANS)) {
        if (!strcasecmp(arg, "spool")) {
            c->mail_transport = JC_MAIL_SPOOL;
        }
        else if (!strcasecmp(arg, "smtp")) {
            c->mail_transport = JC_MAIL_SMTP;
        }
        else {
            return JC_D_MAIL_TRANS ": spool or smtp";
        }
    }
    else if (!strcasecmp(name, JC_D_SMTP_TLS)) {
        if (!strcasecmp(arg, "off")) {
            c->smtp_starttls = 0;
        }
        else if (!strcasecmp(arg, "try")) {
            c->smtp_starttls = 1;
        }
        else if (!strcasecmp(arg, "require")) {
            c->smtp_starttls = 2;
        }
        else {
            return JC_D_SMTP_TLS ": off, try or require";
        }
    }
    else if (!strcasecmp(name, JC_D_MAX_BODY)) {
        apr_int64_t v;
        const char *err = parse_num(cmd, arg, 1024, 1048576, &v);

        if (err) {
            return err;
        }
        c->max_body = (apr_off_t)v;
    }
    else {
        /* plain seconds */
        apr_int64_t v, *slot;
        apr_int64_t min = 1, max = 315360000;
        const char *err;

        if (!strcasecmp(name, JC_D_MAIL_INTERVAL)) {
            slot = &c->mail_interval;
            max = 3600;
        }
        else if (!strcasecmp(name, JC_D_IDLE)) {
            slot = &c->idle;
        }
        else if (!strcasecmp(name, JC_D_LIFETIME)) {
            slot = &c->lifetime;
        }
        else if (!strcasecmp(name, JC_D_CONFIRM_TTL)) {
            slot = &c->confirm_ttl;
        }
        else if (!strcasecmp(name, JC_D_PURGE)) {
            slot = &c->purge_after;
        }
        else if (!strcasecmp(name, JC_D_WA_TTL)) {
            slot = &c->wa_challenge_ttl;
            max = 3600;
        }
        else if (!strcasecmp(name, JC_D_FSC_VALIDITY)) {
            /* days, not seconds: a code lives for weeks */
            slot = &c->fsc_validity;
            max = 365;
        }
        else if (!strcasecmp(name, JC_D_OTC_VALIDITY)) {
            /* days, like the Freischaltcode's */
            slot = &c->otc_validity;
            max = 365;
        }
        else if (!strcasecmp(name, JC_D_REAUTH)) {
            slot = &c->reauth_window;
            min = 30;
            max = 86400;
        }
        else if (!strcasecmp(name, JC_D_RESET_TTL)) {
            /* a mail link that opens the account: minutes, not days */
            slot = &c->reset_ttl;
            min = 300;
            max = 86400;
        }
        else if (!strcasecmp(name, JC_D_ONLINE_DAYS)) {
            /* working days, not seconds */
            slot = &c->online_days;
            max = JC_ONLINE_DEACT_DAYS_MAX;
        }
        else if (!strcasecmp(name, JC_D_REMIND_DAYS)) {
            /* days; 0 = no reminders */
            slot = &c->msg_remind_days;
            max = JC_MSG_REMIND_MAX;
        }
        else if (!strcasecmp(name, JC_D_NODES)) {
            /* Apache nodes on one database (connection budget) */
            slot = &c->cluster_nodes;
            min = 1;
            max = 10000;
        }
        else {
            return apr_pstrcat(cmd->pool, name, ": unknown", NULL);
        }
        err = parse_num(cmd, arg, min, max, &v);
        if (err) {
            return err;
        }
        *slot = v;
    }
    return NULL;
}

/* JobcenterSessionCacheTTL DURATION (seconds, or with ms/s/mi/h as
 * httpd's timeouts) and JobcenterSessionCacheSize ENTRIES. */
static const char *set_sesscache(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    apr_interval_time_t t;
    apr_int64_t v;
    const char *err;

    (void)d;
    if (!strcasecmp(cmd->cmd->name, JC_D_SC_SIZE)) {
        err = parse_num(cmd, arg, JC_SESSCACHE_MIN_ENTRIES,
                        JC_SESSCACHE_MAX_ENTRIES, &v);
        if (err) {
            return err;
        }
        c->sc_size = (int)v;
        return NULL;
    }
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS
        || t < 0 || t > apr_time_from_sec(60)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration between "
                            "0 and 60 s (e.g. 1, 500ms, 0 = no cache)",
                            cmd->cmd->name, arg);
    }
    c->sc_ttl = t;
    return NULL;
}

/* JobcenterHashConcurrency N | auto. */
static const char *set_hash_conc(cmd_parms *cmd, void *d, const char *arg)
{
    apr_int64_t v;
    const char *err;

    (void)d;
    if (!strcasecmp(arg, "auto")) {
        srv_conf(cmd)->hash_slots = 0;
        return NULL;
    }
    err = parse_num(cmd, arg, 1, 256, &v);
    if (err) {
        return err;
    }
    srv_conf(cmd)->hash_slots = (int)v;
    return NULL;
}

/* JobcenterHashQueue PLACES [MAX_WAIT_MS]. */
static const char *set_hash_queue(cmd_parms *cmd, void *d, const char *n,
                                  const char *ms)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    apr_int64_t v;
    const char *err;

    (void)d;
    if (!strcasecmp(n, "auto")) {
        v = -1;
    }
    else if ((err = parse_num(cmd, n, 0, 4096, &v)) != NULL) {
        return err;
    }
    c->hash_queue = (int)v;
    if (ms) {
        err = parse_num(cmd, ms, 1, 60000, &v);
        if (err) {
            return err;
        }
        c->hash_wait_ms = v;
    }
    return NULL;
}

/* JobcenterHolidayRegion: DE or a Land code (jc_holiday_region_parse). */
static const char *set_holidays(cmd_parms *cmd, void *d, const char *arg)
{
    int region = jc_holiday_region_parse(arg);

    (void)d;
    if (region < 0) {
        return apr_psprintf(cmd->pool, JC_D_HOLIDAYS ": unknown region "
                            "'%s'; use DE (nationwide public holidays only) "
                            "or the code of a Land: BW BY BE BB HB HH HE MV "
                            "NI NW RP SL SN ST SH TH", arg);
    }
    srv_conf(cmd)->holiday_region = region;
    return NULL;
}

/* The upload directives. */
static const char *set_upload(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    const char *name = cmd->cmd->name, *err;
    apr_int64_t v;

    (void)d;
    if (!strcasecmp(name, JC_D_UP_STORE)) {
        c->up_store = ap_server_root_relative(cmd->pool, arg);
        if (!c->up_store) {
            return JC_D_UP_STORE ": invalid path";
        }
        return NULL;
    }
    if (!strcasecmp(name, JC_D_SC_INTERVAL)
        || !strcasecmp(name, JC_D_SC_GRACE)) {
        /* seconds, up to a year (0: interval off, grace none) */
        err = parse_num(cmd, arg, 0, 31536000, &v);
        if (!err && !strcasecmp(name, JC_D_SC_INTERVAL)) {
            c->sc_interval = v;
        }
        else if (!err) {
            c->sc_grace = v;
        }
        return err;
    }
    if (!strcasecmp(name, JC_D_UP_MAX_FILES)) {
        err = parse_num(cmd, arg, 1, 500, &v);
        if (!err) {
            c->up_max_files = (int)v;
        }
        return err;
    }
    err = parse_num(cmd, arg, 1024, JC_UP_BYTES_MAX, &v);
    if (err) {
        return err;
    }
    if (!strcasecmp(name, JC_D_UP_MAX_FILE)) {
        c->up_max_file = (apr_off_t)v;
    }
    else {
        c->up_max_day = (apr_off_t)v;
    }
    return NULL;
}

/* The virus scan directives (JobcenterClamd*). */
static const char *set_clamd(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    const char *name = cmd->cmd->name, *err;
    apr_int64_t v;

    (void)d;
    if (!strcasecmp(name, JC_D_CLAMD)) {
        const char *colon = strrchr(arg, ':');

        if (!strcasecmp(arg, "off")) {
            c->clamd = "off";
            return NULL;
        }
        if (arg[0] != '/' && (!colon || colon == arg || !colon[1]
                              || strspn(colon + 1, "0123456789")
                                 != strlen(colon + 1))) {
            return JC_D_CLAMD ": clamd's unix socket (an absolute path, "
                   "e.g. /run/clamav/clamd.ctl), host:port (e.g. "
                   "127.0.0.1:3310) or off";
        }
        c->clamd = arg;
        return NULL;
    }
    if (!strcasecmp(name, JC_D_CLAMD_TIMEOUT)) {
        err = parse_num(cmd, arg, 1, 3600, &v);
        if (!err) {
            c->clamd_timeout = v;
        }
        return err;
    }
    if (!strcasecmp(name, JC_D_CLAMD_MAX)) {
        /* clamd's StreamMaxLength is at most 4 GiB */
        err = parse_num(cmd, arg, 1024, 4294967295LL, &v);
        if (!err) {
            c->clamd_max = (apr_off_t)v;
        }
        return err;
    }
    if (!strcasecmp(name, JC_D_CLAMD_UNAVAIL)) {
        if (!strcasecmp(arg, "fail-closed")) {
            c->clamd_hold = 0;
        }
        else if (!strcasecmp(arg, "hold")) {
            c->clamd_hold = 1;
        }
        else {
            return JC_D_CLAMD_UNAVAIL ": fail-closed or hold";
        }
        return NULL;
    }
    if (!strcasecmp(arg, "remove")) {
        c->clamd_quarantine = 0;
    }
    else if (!strcasecmp(arg, "quarantine")) {
        c->clamd_quarantine = 1;
    }
    else {
        return JC_D_CLAMD_INFECTED ": remove or quarantine";
    }
    return NULL;
}

static const char *set_origin(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    size_t n = strlen(arg);

    (void)d;
    if ((strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8))
        || arg[n - 1] == '/' || strchr(arg + 8, '/')) {
        return JC_D_ORIGIN ": an origin is scheme://host[:port], e.g. "
               "https://jobcenter.example.org";
    }
    if (!c->origins) {
        c->origins = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->origins, const char *) = arg;
    return NULL;
}

static const char *set_gate_headers(cmd_parms *cmd, void *d, int on)
{
    (void)cmd;
    ((jc_dir_conf_t *)d)->gate_headers = on ? 1 : 0;
    return NULL;
}

static const char *set_flag(cmd_parms *cmd, void *d, int on)
{
    jc_srv_conf_t *c = srv_conf(cmd);

    (void)d;
    if (!strcasecmp(cmd->cmd->name, JC_D_UP_DIRECT)) {
        /* process-wide (one setting for every store): main server only */
        const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

        if (err) {
            return err;
        }
        c->up_direct = on;
    }
    else if (!strcasecmp(cmd->cmd->name, JC_D_COOKIE_SECURE)) {
        c->cookie_secure = on;
    }
    else {
        c->smtp_insecure = on;
    }
    return NULL;
}

static const char *set_smtp_auth(cmd_parms *cmd, void *d, const char *user,
                                 const char *pw)
{
    jc_srv_conf_t *c = srv_conf(cmd);

    (void)d;
    c->smtp_user = user;
    c->smtp_password = pw;
    return NULL;
}

static const char *set_list(cmd_parms *cmd, void *d, int argc,
                            char *const argv[])
{
    jc_srv_conf_t *c = srv_conf(cmd);
    const char *name = cmd->cmd->name, *err = NULL;
    apr_int64_t v[4];
    int i, want;

    (void)d;
    want = !strcasecmp(name, JC_D_MAIL_RETRY)
           || !strcasecmp(name, JC_D_LOOKUP_LIMIT) ? 2
         : !strcasecmp(name, JC_D_THR_ACCOUNT) ? 4 : 3;
    if (argc != want) {
        return apr_psprintf(cmd->pool, "%s takes %d numbers", name, want);
    }
    for (i = 0; i < argc && !err; i++) {
        err = parse_num(cmd, argv[i], 0, 315360000, &v[i]);
    }
    if (err) {
        return err;
    }
    if (!strcasecmp(name, JC_D_MAIL_RETRY)) {
        if (v[0] < 1 || v[1] < v[0]) {
            return JC_D_MAIL_RETRY ": base >= 1 and max >= base";
        }
        c->retry_base = v[0];
        c->retry_max = v[1];
    }
    else if (!strcasecmp(name, JC_D_ARGON2)) {
        if (v[0] < 19456 || v[1] < 2 || v[2] < 1 || v[0] > 4194304
            || v[1] > 100 || v[2] > 64) {
            return JC_D_ARGON2 ": memory KiB >= 19456, iterations >= 2, "
                   "lanes >= 1 (OWASP minimum m=19 MiB, t=2, p=1)";
        }
        c->argon2_m = (int)v[0];
        c->argon2_t = (int)v[1];
        c->argon2_p = (int)v[2];
    }
    else if (!strcasecmp(name, JC_D_THR_ACCOUNT)) {
        if (v[1] < 1 || v[1] > 100 || v[0] >= v[1] || v[2] < 1) {
            return JC_D_THR_ACCOUNT ": free < max <= 100 (NIST SP 800-63B), "
                   "max-delay >= 1";
        }
        c->thr_acct_free = (int)v[0];
        c->thr_acct_max = (int)v[1];
        c->thr_acct_delay = v[2];
        c->thr_acct_lock = v[3];
    }
    else if (!strcasecmp(name, JC_D_RESET_LIMIT)) {
        if (v[0] < 1 || v[1] < 1 || v[2] < 60 || v[0] > 1000
            || v[1] > 100000 || v[2] > 604800) {
            return JC_D_RESET_LIMIT ": per-address 1..1000, per-client "
                   "1..100000, window 60..604800 seconds";
        }
        c->reset_max_addr = v[0];
        c->reset_max_cli = v[1];
        c->reset_window = v[2];
    }
    else if (!strcasecmp(name, JC_D_LOOKUP_LIMIT)) {
        if (v[0] < 1 || v[0] > 100000 || v[1] < 60 || v[1] > 604800) {
            return JC_D_LOOKUP_LIMIT ": count 1..100000, window 60..604800 "
                   "seconds";
        }
        c->lookup_max = v[0];
        c->lookup_window = v[1];
    }
    else {
        if (v[1] < 1 || v[2] < 1) {
            return JC_D_THR_CLIENT ": max-delay and window >= 1";
        }
        c->thr_cli_free = (int)v[0];
        c->thr_cli_delay = v[1];
        c->thr_cli_window = v[2];
    }
    return NULL;
}

const command_rec jc_cmds[] = {
    AP_INIT_FLAG(JC_D_ENGINE, set_engine, NULL, RSRC_CONF,
                 "On to enable mod_jobcenter in this server (default Off)"),
    AP_INIT_TAKE1(JC_D_BASE_URL, set_str, NULL, RSRC_CONF,
                  "Public URL of the portal, used in mail links"),
    AP_INIT_ITERATE(JC_D_ORIGIN, set_origin, NULL, RSRC_CONF,
                    "Origins allowed to send state-changing requests"),
    AP_INIT_TAKE1(JC_D_MAIL_FROM, set_str, NULL, RSRC_CONF,
                  "From header of outgoing mail"),
    AP_INIT_TAKE1(JC_D_MAIL_TRANS, set_str, NULL, RSRC_CONF,
                  "spool (default) or smtp"),
    AP_INIT_TAKE1(JC_D_MAIL_SPOOL, set_str, NULL, RSRC_CONF,
                  "Directory for .eml files (spool transport)"),
    AP_INIT_TAKE1(JC_D_SMTP_URL, set_str, NULL, RSRC_CONF,
                  "SMTP relay, smtp://host:port or smtps://host:port"),
    AP_INIT_TAKE1(JC_D_SMTP_TLS, set_str, NULL, RSRC_CONF,
                  "STARTTLS: off, try or require (default try)"),
    AP_INIT_TAKE2(JC_D_SMTP_AUTH, set_smtp_auth, NULL, RSRC_CONF,
                  "SMTP AUTH user and password"),
    AP_INIT_FLAG(JC_D_SMTP_INSEC, set_flag, NULL, RSRC_CONF,
                 "On: do not verify the relay's certificate (tests only)"),
    AP_INIT_TAKE1(JC_D_MAIL_INTERVAL, set_str, NULL, RSRC_CONF,
                  "Seconds between outbox runs (default 2)"),
    AP_INIT_TAKE_ARGV(JC_D_MAIL_RETRY, set_list, NULL, RSRC_CONF,
                      "First and longest retry interval, seconds "
                      "(default 30 3600)"),
    AP_INIT_TAKE1(JC_D_IDLE, set_str, NULL, RSRC_CONF,
                  "Session idle timeout, seconds (default 1800)"),
    AP_INIT_TAKE1(JC_D_LIFETIME, set_str, NULL, RSRC_CONF,
                  "Absolute session lifetime, seconds (default 43200)"),
    AP_INIT_TAKE1(JC_D_SC_TTL, set_sesscache, NULL, RSRC_CONF,
                  "Longest use of a cached session check, seconds or "
                  "e.g. 500ms (default 1, 0 = no cache)"),
    AP_INIT_TAKE1(JC_D_SC_SIZE, set_sesscache, NULL, RSRC_CONF,
                  "Sessions cached per child and host (default 1024)"),
    AP_INIT_FLAG(JC_D_COOKIE_SECURE, set_flag, NULL, RSRC_CONF,
                 "Off: plain-http localhost gets a cookie without Secure"),
    AP_INIT_TAKE1(JC_D_CONFIRM_TTL, set_str, NULL, RSRC_CONF,
                  "Lifetime of e-mail confirmation links, seconds "
                  "(default 86400)"),
    AP_INIT_TAKE1(JC_D_PURGE, set_str, NULL, RSRC_CONF,
                  "Unconfirmed accounts are deleted after this many "
                  "seconds (default 604800)"),
    AP_INIT_TAKE_ARGV(JC_D_ARGON2, set_list, NULL, RSRC_CONF,
                      "Argon2id memory KiB, iterations, lanes "
                      "(default 19456 2 1)"),
    AP_INIT_TAKE1(JC_D_HASH_CONC, set_hash_conc, NULL, RSRC_CONF,
                  "Password hashes running at once per child, or auto "
                  "(default auto: the number of online CPUs)"),
    AP_INIT_TAKE12(JC_D_HASH_QUEUE, set_hash_queue, NULL, RSRC_CONF,
                   "Requests that may wait for a hashing slot per child, "
                   "or auto, and their longest wait in ms (default auto: "
                   "2 x JobcenterHashConcurrency, 1000)"),
    AP_INIT_TAKE_ARGV(JC_D_THR_ACCOUNT, set_list, NULL, RSRC_CONF,
                      "Per account: free failures, max failures, max delay, "
                      "lock seconds (default 5 100 900 3600)"),
    AP_INIT_TAKE_ARGV(JC_D_THR_CLIENT, set_list, NULL, RSRC_CONF,
                      "Per client address: free failures, max delay, window "
                      "seconds (default 20 900 900)"),
    AP_INIT_TAKE1(JC_D_MAX_BODY, set_str, NULL, RSRC_CONF,
                  "Largest JSON request body, bytes (default 16384)"),
    AP_INIT_TAKE1(JC_D_SECRET_KEY, set_str, NULL, RSRC_CONF,
                  "Key file (32 bytes) for secrets at rest such as TOTP "
                  "secrets; required with JobcenterEngine On"),
    AP_INIT_TAKE1(JC_D_SERVICE_PHONE, set_str, NULL, RSRC_CONF,
                  "Service phone number in mails and credential letters "
                  "(unset: no phone line)"),
    AP_INIT_TAKE1(JC_D_HEARING_URL, set_str, NULL, RSRC_CONF,
                  "Page about the service for people with hearing "
                  "impairments, in mails and letters (unset: no hint)"),
    AP_INIT_TAKE1(JC_D_INFO_URL, set_str, NULL, RSRC_CONF,
                  "Information page named in the credential letters "
                  "(unset: no link)"),
    AP_INIT_TAKE1(JC_D_TOTP_ISSUER, set_str, NULL, RSRC_CONF,
                  "Issuer name shown by authenticator apps "
                  "(default Jobcenter.Digital)"),
    AP_INIT_TAKE1(JC_D_WA_RPID, set_str, NULL, RSRC_CONF,
                  "WebAuthn relying party ID for passkeys (default: the "
                  "host of JobcenterBaseURL)"),
    AP_INIT_TAKE1(JC_D_WA_TTL, set_str, NULL, RSRC_CONF,
                  "Lifetime of a passkey challenge, seconds (default 300)"),
    AP_INIT_TAKE1(JC_D_FSC_VALIDITY, set_str, NULL, RSRC_CONF,
                  "Days a new Freischaltcode stays valid (default 42)"),
    AP_INIT_TAKE1(JC_D_OTC_VALIDITY, set_str, NULL, RSRC_CONF,
                  "Days new one-time credentials (the two letters of "
                  "'Zugangsdaten zurücksetzen') stay valid (default 30)"),
    AP_INIT_TAKE1(JC_D_REAUTH, set_str, NULL, RSRC_CONF,
                  "How long a password or factor check allows changes to "
                  "the factors, seconds (default 300)"),
    AP_INIT_TAKE1(JC_D_ONLINE_DAYS, set_str, NULL, RSRC_CONF,
                  "Working days (Mon-Fri) until a requested deactivation of "
                  "the Online-Kommunikation takes effect (default 3)"),
    AP_INIT_TAKE1(JC_D_REMIND_DAYS, set_str, NULL, RSRC_CONF,
                  "Days after which an unopened Bescheid is reminded by "
                  "mail, once (default 7, 0 = never)"),
    AP_INIT_TAKE1(JC_D_NODES, set_str, NULL, RSRC_CONF,
                  "Apache nodes sharing this database, for the PostgreSQL "
                  "connection budget checked at start (default 1)"),
    AP_INIT_TAKE1(JC_D_HOLIDAYS, set_holidays, NULL, RSRC_CONF,
                  "Public holidays that are no working days for the "
                  "deactivation and the Bescheid delivery day: DE "
                  "(nationwide only, default) or a Land code such as BW"),
    AP_INIT_TAKE1(JC_D_UP_STORE, set_upload, NULL, RSRC_CONF,
                  "upload store directory, outside the web root (default "
                  JC_DEF_UP_STORE ")"),
    AP_INIT_TAKE1(JC_D_UP_MAX_FILE, set_upload, NULL, RSRC_CONF,
                  "largest uploaded file in bytes (default 20971520)"),
    AP_INIT_TAKE1(JC_D_UP_MAX_FILES, set_upload, NULL, RSRC_CONF,
                  "files per submission (default 20)"),
    AP_INIT_TAKE1(JC_D_PG_STMTS, set_pg_stmts, NULL, RSRC_CONF,
                  "prepared (default): PostgreSQL statements prepared by "
                  "name on each connection; unnamed: every statement sent "
                  "unnamed (PgBouncer transaction pooling). Main server "
                  "only"),
    AP_INIT_FLAG(JC_D_UP_DIRECT, set_flag, NULL, RSRC_CONF,
                 "On (default): large uploads are written with O_DIRECT "
                 "(no page-cache copy); Off: normal writes. Main server "
                 "only"),
    AP_INIT_TAKE1(JC_D_UP_MAX_DAY, set_upload, NULL, RSRC_CONF,
                  "bytes an account may upload in 24 hours (default "
                  "209715200)"),
    AP_INIT_TAKE1(JC_D_SC_INTERVAL, set_upload, NULL, RSRC_CONF,
                  "seconds between reconciles of the upload store with "
                  "the database (default 3600, 0 = never)"),
    AP_INIT_TAKE1(JC_D_SC_GRACE, set_upload, NULL, RSRC_CONF,
                  "seconds a stored file without a row (or a row without "
                  "its file) is left alone by the reconcile (default "
                  "3600)"),
    AP_INIT_TAKE1(JC_D_CLAMD, set_clamd, NULL, RSRC_CONF,
                  "clamd for virus scanning of uploads: its unix socket "
                  "(absolute path), host:port, or off (default off)"),
    AP_INIT_TAKE1(JC_D_CLAMD_TIMEOUT, set_clamd, NULL, RSRC_CONF,
                  "seconds to wait for clamd: connect, each send, the "
                  "verdict (default 30)"),
    AP_INIT_TAKE1(JC_D_CLAMD_MAX, set_clamd, NULL, RSRC_CONF,
                  "clamd's StreamMaxLength in bytes: larger files are "
                  "refused while scanning is on (default 26214400)"),
    AP_INIT_TAKE1(JC_D_CLAMD_UNAVAIL, set_clamd, NULL, RSRC_CONF,
                  "clamd unreachable: fail-closed (503, nothing stored; "
                  "default) or hold (stored, hidden from staff until "
                  "scanned)"),
    AP_INIT_TAKE1(JC_D_CLAMD_INFECTED, set_clamd, NULL, RSRC_CONF,
                  "a file clamd flags: remove (default) or quarantine "
                  "(moved into <store>/quarantine)"),
    AP_INIT_TAKE1(JC_D_RESET_TTL, set_str, NULL, RSRC_CONF,
                  "Lifetime of a \"Passwort vergessen\" link, seconds "
                  "(default 3600)"),
    AP_INIT_TAKE_ARGV(JC_D_RESET_LIMIT, set_list, NULL, RSRC_CONF,
                      "\"Passwort vergessen\" requests per e-mail address, "
                      "per client address, window seconds "
                      "(default 3 10 3600)"),
    AP_INIT_TAKE_ARGV(JC_D_LOOKUP_LIMIT, set_list, NULL, RSRC_CONF,
                      "Postcode lookups per client address, window seconds "
                      "(default 30 3600)"),
    AP_INIT_TAKE1(JC_D_AUDIT_LOG, jc_audit_set_log, NULL, RSRC_CONF,
                  "audit log: a file (appended), \"|program\" (a piped "
                  "log) or Off (default)"),
    AP_INIT_FLAG(JC_D_GATE_HEADERS, set_gate_headers, NULL, OR_AUTHCFG,
                  "On: requests passing the gate (AuthType jobcenter) get "
                  "X-Jobcenter-User and X-Jobcenter-Auth-Level (default Off)"),
    { NULL }
};

const char *jc_conf_finish(jc_srv_conf_t *conf, server_rec *s,
                           apr_pool_t *p)
{
    jc_ctx_t *ctx = &conf->ctx;
    jc_outbox_cfg_t *ob = &conf->outbox;
    apr_uri_t uri;

    DEF(engine, 0);
    DEF(mail_transport, JC_MAIL_SPOOL);
    DEF(smtp_starttls, 1);
    DEF(smtp_insecure, 0);
    DEF(mail_interval, 2);
    DEF(retry_base, 30);
    DEF(retry_max, 3600);
    DEF(idle, 1800);
    DEF(lifetime, 43200);
    DEF(sc_ttl, apr_time_from_sec(1));
    DEF(sc_size, 1024);
    DEF(cookie_secure, 1);
    DEF(confirm_ttl, 86400);
    DEF(purge_after, 604800);
    DEF(argon2_m, 19456);
    DEF(argon2_t, 2);
    DEF(argon2_p, 1);
    DEF(hash_slots, 0);
    DEF(hash_wait_ms, 1000);
    DEF(thr_acct_free, 5);
    DEF(thr_acct_max, 100);
    DEF(thr_acct_delay, 900);
    DEF(thr_acct_lock, 3600);
    DEF(thr_cli_free, 20);
    DEF(thr_cli_delay, 900);
    DEF(thr_cli_window, 900);
    DEF(max_body, 16384);
    DEF(wa_challenge_ttl, 300);
    DEF(fsc_validity, 42);
    DEF(otc_validity, JC_ONETIME_VALIDITY_DAYS);
    DEF(reauth_window, 300);
    DEF(online_days, JC_ONLINE_DEACT_DAYS_DEFAULT);
    DEF(msg_remind_days, JC_MSG_REMIND_DEFAULT);
    DEF(cluster_nodes, 1);
    DEF(holiday_region, JC_HOL_DE);
    DEF(up_max_file, JC_DEF_UP_MAX_FILE);
    DEF(up_max_files, JC_DEF_UP_MAX_FILES);
    DEF(up_direct, 1);
    DEF(up_max_day, JC_DEF_UP_MAX_DAY);
    DEF(sc_interval, 3600);
    DEF(sc_grace, 3600);
    DEF(clamd_timeout, 30);
    DEF(clamd_max, 26214400);
    DEF(clamd_hold, 0);
    DEF(clamd_quarantine, 0);
    if (!conf->clamd) {
        conf->clamd = "off";
    }
    if (strcasecmp(conf->clamd, "off") != 0
        && conf->up_max_file > conf->clamd_max) {
        return apr_psprintf(p, JC_D_UP_MAX_FILE " (%" APR_OFF_T_FMT ") is "
                            "larger than " JC_D_CLAMD_MAX " (%" APR_OFF_T_FMT
                            "): clamd would refuse such files. Raise "
                            "StreamMaxLength in clamd.conf and "
                            JC_D_CLAMD_MAX ", or lower " JC_D_UP_MAX_FILE,
                            conf->up_max_file, conf->clamd_max);
    }
    if (!conf->up_store) {
        conf->up_store = JC_DEF_UP_STORE;
    }
    DEF(reset_ttl, 3600);
    DEF(reset_max_addr, 3);
    DEF(reset_max_cli, 10);
    DEF(reset_window, 3600);
    DEF(lookup_max, 30);
    DEF(lookup_window, 3600);
    if (!conf->mail_from) {
        conf->mail_from = JC_DEF_MAIL_FROM;
    }
    if (!conf->mail_spool) {
        conf->mail_spool = JC_DEF_SPOOL;
    }
    if (!conf->smtp_url) {
        conf->smtp_url = JC_DEF_SMTP_URL;
    }
    if (!conf->totp_issuer) {
        conf->totp_issuer = JC_DEF_TOTP_ISSUER;
    }
    if (!conf->base_url) {
        conf->base_url = apr_psprintf(p, "http://%s", s->server_hostname
                                      ? s->server_hostname : "localhost");
    }
    if (!conf->origins) {
        /* the base URL's origin */
        if (apr_uri_parse(p, conf->base_url, &uri) != APR_SUCCESS
            || !uri.hostinfo) {
            return JC_D_BASE_URL ": cannot parse";
        }
        conf->origins = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(conf->origins, const char *) =
            apr_pstrcat(p, uri.scheme, "://", uri.hostinfo, NULL);
    }
    if (!conf->wa_rp_id) {
        if (apr_uri_parse(p, conf->base_url, &uri) != APR_SUCCESS
            || !uri.hostname) {
            return JC_D_BASE_URL ": cannot parse";
        }
        conf->wa_rp_id = apr_pstrdup(p, uri.hostname);
        ap_str_tolower((char *)conf->wa_rp_id);
    }
    if (conf->lifetime < conf->idle) {
        return JC_D_LIFETIME " must not be shorter than " JC_D_IDLE;
    }

    ctx->base_url = conf->base_url;
    ctx->mail_from = conf->mail_from;
    ctx->confirm_ttl = conf->confirm_ttl;
    ctx->argon2.m_kib = (unsigned int)conf->argon2_m;
    ctx->argon2.t_cost = (unsigned int)conf->argon2_t;
    ctx->argon2.lanes = (unsigned int)conf->argon2_p;
    ctx->sess.idle = conf->idle;
    ctx->sess.max_life = conf->lifetime;
    /* write last_seen at most every idle/10 (<= 60 s): the idle timeout is
     * enforced without a database write on every request */
    ctx->sess.touch = conf->idle / 10 < 60 ? conf->idle / 10 : 60;
    if (ctx->sess.touch < 1) {
        ctx->sess.touch = 1;
    }
    ctx->thr_account.free_failures = conf->thr_acct_free;
    ctx->thr_account.max_failures = conf->thr_acct_max;
    ctx->thr_account.max_delay = conf->thr_acct_delay;
    ctx->thr_account.lock_secs = conf->thr_acct_lock;
    ctx->thr_client.free_failures = conf->thr_cli_free;
    ctx->thr_client.max_failures = 0;
    ctx->thr_client.max_delay = conf->thr_cli_delay;
    ctx->thr_client.lock_secs = conf->thr_cli_window;
    ctx->totp_issuer = conf->totp_issuer;
    ctx->service_phone = conf->service_phone;
    ctx->hearing_url = conf->hearing_url;
    ctx->info_url = conf->info_url;
    /* the mails' closing (composed in the children, after fork) */
    jc_mail_set_service(conf->service_phone, conf->hearing_url);
    ctx->wa_rp_id = conf->wa_rp_id;
    ctx->wa_rp_name = JC_WA_RP_NAME;
    ctx->wa_challenge_ttl = conf->wa_challenge_ttl;
    ctx->reauth_window = conf->reauth_window;
    ctx->reset_ttl = conf->reset_ttl;
    ctx->reset_max_address = conf->reset_max_addr;
    ctx->reset_max_client = conf->reset_max_cli;
    ctx->reset_window = conf->reset_window;
    ctx->lookup_max = conf->lookup_max;
    ctx->lookup_window = conf->lookup_window;
    {
        const char **o = apr_pcalloc(p, sizeof(*o)
                                        * (size_t)(conf->origins->nelts + 1));
        int i;

        for (i = 0; i < conf->origins->nelts; i++) {
            o[i] = APR_ARRAY_IDX(conf->origins, i, const char *);
        }
        ctx->wa_origins = o;
    }
    ctx->dummy_hash = jc_password_dummy_hash(&ctx->argon2, p);
    if (!ctx->dummy_hash) {
        return "cannot compute the Argon2id reference hash";
    }

    conf->upload.store = conf->up_store;
    conf->upload.max_file = conf->up_max_file;
    conf->upload.max_files = conf->up_max_files;
    conf->upload.max_day = conf->up_max_day;
    memset(&conf->clamd_cfg, 0, sizeof(conf->clamd_cfg));
    conf->clamd_qdir = NULL;
    if (strcasecmp(conf->clamd, "off") != 0) {
        conf->clamd_cfg.addr = conf->clamd;
        conf->clamd_cfg.timeout = apr_time_from_sec(conf->clamd_timeout);
        conf->clamd_cfg.max_stream = conf->clamd_max;
        if (conf->clamd_quarantine) {
            conf->clamd_qdir = apr_pstrcat(p, conf->up_store, "/quarantine",
                                           NULL);
        }
    }
    conf->upload.verify_url = apr_pstrcat(p, conf->base_url,
                                          "/belegpruefung.html", NULL);

    ob->transport = (jc_mail_transport_e)conf->mail_transport;
    ob->spool_dir = conf->mail_spool;
    ob->smtp.url = conf->smtp_url;
    ob->smtp.starttls = conf->smtp_starttls;
    ob->smtp.user = conf->smtp_user;
    ob->smtp.password = conf->smtp_password;
    ob->smtp.from_addr = jc_mail_addr_only(conf->mail_from, p);
    ob->smtp.timeout_sec = 30;
    /* a claimed mail is taken over after this: well above the transfer
     * timeout, so a slow send is never sent a second time by another node */
    ob->lease = 4 * ob->smtp.timeout_sec;
    ob->smtp.insecure_tls = conf->smtp_insecure;
    ob->retry_base = conf->retry_base;
    ob->retry_max = conf->retry_max;
    return NULL;
}

const char *jc_conf_load_key(jc_srv_conf_t *conf, apr_pool_t *p)
{
    jc_secretbox_t *box = NULL;
    const char *path = conf->secret_key_file;
    char buf[120];
    apr_status_t rv;

    if (!path) {
        return JC_D_SECRET_KEY " is not set: it is required with "
               JC_D_ENGINE " On (create one with `jobcenter-admin gen-key "
               "PATH`, mode 0600, owned by root)";
    }
    rv = jc_secretbox_key_load(&box, path, p);
    if (rv == APR_SUCCESS) {
        conf->ctx.secretbox = box;
        return NULL;
    }
    if (rv == APR_EACCES) {
        return apr_psprintf(p, JC_D_SECRET_KEY " %s: not readable or too "
                            "open: it must be a regular file that group and "
                            "others cannot write and others cannot read "
                            "(chown root, chmod 600)", path);
    }
    if (rv == APR_EINVAL) {
        return apr_psprintf(p, JC_D_SECRET_KEY " %s: must hold exactly 32 "
                            "random bytes or 64 hex digits (create one with "
                            "`jobcenter-admin gen-key PATH`)", path);
    }
    return apr_psprintf(p, JC_D_SECRET_KEY " %s: cannot read it: %s", path,
                        apr_strerror(rv, buf, sizeof(buf)));
}

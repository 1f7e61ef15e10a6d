/* mod_jobcenter directives: the generic setters of the directive table
 * (mod_jobcenter_directives.c), the setters of directives with their own
 * parsing, create / merge / defaults derived from the table, and the core
 * views (jc_ctx_t, jc_outbox_cfg_t) filled from them. Every directive is
 * documented in docs/configuration.md and shown in conf/jobcenter.conf
 * (tools/check-directives.sh). */
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_optional.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter.h"
#include "mod_jobcenter_config.h"
#include "jc_holiday.h"
#include "jc_mail.h"
#include "jc_sql.h"
#include "jc_utf8.h"

/* Directive names the code refers to outside the table. */
#define JC_D_ENGINE        "JobcenterEngine"
#define JC_D_BASE_URL      "JobcenterBaseURL"
#define JC_D_IDLE          "JobcenterSessionIdle"
#define JC_D_LIFETIME      "JobcenterSessionLifetime"
#define JC_D_SECRET_KEY    "JobcenterSecretKeyFile"
#define JC_D_PG_STMTS      "JobcenterPgStatements"
#define JC_D_HOLIDAYS      "JobcenterHolidayRegion"
#define JC_D_UP_MAX_FILE   "JobcenterUploadMaxFileSize"
#define JC_D_CLAMD         "JobcenterClamd"
#define JC_D_CLAMD_MAX     "JobcenterClamdStreamMax"

#define JC_TOTP_ISSUER_MAX 64    /* bytes; apps show it in a short line */
#define JC_WA_RP_NAME      "Jobcenter.Digital"

/* ---- fields by descriptor ---- */

static void *field_at(void *conf, const jc_field_t *f)
{
    return (char *)conf + f->off;
}

static apr_int64_t num_get(void *conf, const jc_field_t *f)
{
    void *at = field_at(conf, f);

    return f->size == sizeof(int) ? *(int *)at : *(apr_int64_t *)at;
}

static void num_set(void *conf, const jc_field_t *f, apr_int64_t v)
{
    void *at = field_at(conf, f);

    if (f->size == sizeof(int)) {
        *(int *)at = (int)v;
    }
    else {
        *(apr_int64_t *)at = v;
    }
}

static const void *ptr_get(void *conf, const jc_field_t *f)
{
    return *(const void **)field_at(conf, f);
}

static void ptr_set(void *conf, const jc_field_t *f, const void *v)
{
    *(const void **)field_at(conf, f) = v;
}

/* The server configuration's descriptors, field by field (the gate's
 * per-directory ones are the gate's). */
#define EACH_SRV_FIELD(cmd, f)                                            \
    for (cmd = jc_cmds; cmd->name; cmd++)                                 \
        if (!(jc_dir_of(cmd)->flags & JC_DIR_PERDIR))                     \
            for (f = jc_dir_of(cmd)->f;                                   \
                 f < jc_dir_of(cmd)->f + JC_DIR_FIELDS && f->size; f++)

void *jc_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    jc_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));
    const command_rec *cmd;
    const jc_field_t *f;

    (void)s;
    EACH_SRV_FIELD(cmd, f) {
        if (!f->ptr) {
            num_set(c, f, -1);
        }
    }
    return c;
}

/* Every directive's fields: the virtual host's where set, else the base's
 * (the fields of one directive are set together). Runtime state (cache,
 * views, open files) is filled after the merge, per server. */
void *jc_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    jc_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));
    const command_rec *cmd;
    const jc_field_t *f;

    EACH_SRV_FIELD(cmd, f) {
        if (f->ptr) {
            const void *v = ptr_get(addv, f);

            ptr_set(c, f, v ? v : ptr_get(basev, f));
        }
        else {
            apr_int64_t v = num_get(addv, f);

            num_set(c, f, v != -1 ? v : num_get(basev, f));
        }
    }
    return c;
}

/* Unset fields get the table's defaults. */
static void conf_defaults(jc_srv_conf_t *conf)
{
    const command_rec *cmd;
    const jc_field_t *f;

    EACH_SRV_FIELD(cmd, f) {
        if (f->ptr) {
            if (!ptr_get(conf, f) && f->sdef) {
                ptr_set(conf, f, f->sdef);
            }
        }
        else if (num_get(conf, f) == -1) {
            num_set(conf, f, f->def);
        }
    }
}

/* ---- generic setters ---- */

static jc_srv_conf_t *srv_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config,
                                &jobcenter_module);
}

/* The configuration a descriptor's fields live in (NULL: the context
 * check's message in *err). */
static void *dir_conf_of(cmd_parms *cmd, void *d, const char **err)
{
    const jc_dir_t *dd = jc_dir_of(cmd->cmd);

    *err = NULL;
    if (dd->flags & JC_DIR_PERDIR) {
        return d;
    }
    /* process-wide (one setting for every server): main server only */
    if ((dd->flags & JC_DIR_GLOBAL)
        && (*err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) != NULL) {
        return NULL;
    }
    return srv_conf(cmd);
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

const char *jc_set_flag(cmd_parms *cmd, void *d, int on)
{
    const char *err;
    void *c = dir_conf_of(cmd, d, &err);

    if (c) {
        num_set(c, &jc_dir_of(cmd->cmd)->f[0], on ? 1 : 0);
    }
    return err;
}

const char *jc_set_num(cmd_parms *cmd, void *d, const char *arg)
{
    const jc_dir_t *dd = jc_dir_of(cmd->cmd);
    const char *err;
    void *c = dir_conf_of(cmd, d, &err);
    apr_int64_t v;

    if (c && !(err = parse_num(cmd, arg, dd->min, dd->max, &v))) {
        num_set(c, &dd->f[0], v);
    }
    return err;
}

/* Integers (each 0 .. ten years first), then each one's range and the
 * order of the first two: one message for all of these. */
const char *jc_set_nums(cmd_parms *cmd, void *d, int argc,
                        char *const argv[])
{
    const jc_dir_t *dd = jc_dir_of(cmd->cmd);
    const char *err;
    void *c = dir_conf_of(cmd, d, &err);
    apr_int64_t v[JC_DIR_FIELDS] = { 0 };
    int i, bad = 0;

    if (!c) {
        return err;
    }
    if (argc != dd->nargs) {
        return apr_psprintf(cmd->pool, "%s takes %d numbers",
                            cmd->cmd->name, dd->nargs);
    }
    for (i = 0; i < argc; i++) {
        if ((err = parse_num(cmd, argv[i], 0, 315360000, &v[i])) != NULL) {
            return err;
        }
        bad |= v[i] < dd->lo[i] || v[i] > dd->hi[i];
    }
    bad |= (dd->order == JC_ORD_LE && v[0] > v[1])
           || (dd->order == JC_ORD_LT && v[0] >= v[1]);
    if (bad) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", dd->msg, NULL);
    }
    for (i = 0; i < argc; i++) {
        num_set(c, &dd->f[i], v[i]);
    }
    return NULL;
}

/* One of the words; the message lists them ("a, b or c"). */
const char *jc_set_enum(cmd_parms *cmd, void *d, const char *arg)
{
    const jc_dir_t *dd = jc_dir_of(cmd->cmd);
    const char *err, *msg;
    void *c = dir_conf_of(cmd, d, &err);
    int i, n;

    if (!c) {
        return err;
    }
    for (n = 0; n < 4 && dd->words[n]; n++) {
        if (!strcasecmp(arg, dd->words[n])) {
            num_set(c, &dd->f[0], n);
            return NULL;
        }
    }
    msg = apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", dd->words[0], NULL);
    for (i = 1; i < n; i++) {
        msg = apr_pstrcat(cmd->pool, msg, i == n - 1 ? " or " : ", ",
                          dd->words[i], NULL);
    }
    return msg;
}

const char *jc_set_path(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err, *path;
    void *c = dir_conf_of(cmd, d, &err);

    if (!c) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path",
                           NULL);
    }
    ptr_set(c, &jc_dir_of(cmd->cmd)->f[0], path);
    return NULL;
}

/* ---- directives with their own parsing ---- */

/* JobcenterPgStatements of the main server (the last one outside any
 * <VirtualHost>) in the parsed configuration tree: jc_set_engine must know
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

const char *jc_set_pg_stmts(cmd_parms *cmd, void *d, const char *arg)
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

const char *jc_set_engine(cmd_parms *cmd, void *d, int on)
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

const char *jc_set_base_url(cmd_parms *cmd, void *d, const char *arg)
{
    size_t n = strlen(arg);

    (void)d;
    if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8)) {
        return JC_D_BASE_URL ": must start with http:// or https://";
    }
    while (n > 0 && arg[n - 1] == '/') {
        n--;
    }
    srv_conf(cmd)->base_url = apr_pstrmemdup(cmd->pool, arg, n);
    return NULL;
}

const char *jc_set_origin(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    size_t n = strlen(arg);

    (void)d;
    if ((strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8))
        || arg[n - 1] == '/' || strchr(arg + 8, '/')) {
        return "JobcenterOrigin: an origin is scheme://host[:port], e.g. "
               "https://jobcenter.example.org";
    }
    if (!c->origins) {
        c->origins = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->origins, const char *) = arg;
    return NULL;
}

const char *jc_set_mail_from(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    if (strpbrk(arg, "\r\n") || !strchr(arg, '@')) {
        return "JobcenterMailFrom: needs an address like "
               "\"Jobcenter.Digital <noreply@example.org>\"";
    }
    srv_conf(cmd)->mail_from = arg;
    return NULL;
}

const char *jc_set_service_phone(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    if (!jc_utf8_label_ok(arg) || strlen(arg) > 100) {
        return "JobcenterServicePhone: 1 to 100 bytes of UTF-8 text "
               "without control characters, e.g. "
               "\"0800 4 5555 01 (gebührenfrei)\"";
    }
    srv_conf(cmd)->service_phone = arg;
    return NULL;
}

/* JobcenterHearingImpairedURL, JobcenterInfoURL: the table's field. */
const char *jc_set_page_url(cmd_parms *cmd, void *d, const char *arg)
{
    const char *name = cmd->cmd->name, *q;

    (void)d;
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
        return apr_pstrcat(cmd->pool, name, ": at most 400 bytes", NULL);
    }
    ptr_set(srv_conf(cmd), &jc_dir_of(cmd->cmd)->f[0], arg);
    return NULL;
}

const char *jc_set_totp_issuer(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    if (!jc_utf8_label_ok(arg) || strlen(arg) > JC_TOTP_ISSUER_MAX) {
        return "JobcenterTOTPIssuer: 1 to 64 bytes of UTF-8 text without "
               "control characters";
    }
    srv_conf(cmd)->totp_issuer = arg;
    return NULL;
}

const char *jc_set_rp_id(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = srv_conf(cmd);
    const char *q;

    (void)d;
    for (q = arg; *q; q++) {
        if (!apr_isalnum(*q) && *q != '-' && *q != '.') {
            return "JobcenterWebAuthnRPID: a host name such as "
                   "portal.jobcenter.example (no scheme, port or path)";
        }
    }
    if (!*arg || strlen(arg) > 253) {
        return "JobcenterWebAuthnRPID: a host name of 1 to 253 characters";
    }
    c->wa_rp_id = apr_pstrdup(cmd->pool, arg);
    ap_str_tolower((char *)c->wa_rp_id);
    return NULL;
}

const char *jc_set_smtp_url(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    if (strncmp(arg, "smtp://", 7) && strncmp(arg, "smtps://", 8)) {
        return "JobcenterSMTPURL: must start with smtp:// or smtps://";
    }
    srv_conf(cmd)->smtp_url = arg;
    return NULL;
}

const char *jc_set_smtp_auth(cmd_parms *cmd, void *d, const char *user,
                             const char *pw)
{
    jc_srv_conf_t *c = srv_conf(cmd);

    (void)d;
    c->smtp_user = user;
    c->smtp_password = pw;
    return NULL;
}

/* JobcenterSessionCacheTTL DURATION: seconds, or with ms/s/mi/h as
 * httpd's timeouts. */
const char *jc_set_sc_ttl(cmd_parms *cmd, void *d, const char *arg)
{
    apr_interval_time_t t;

    (void)d;
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS
        || t < 0 || t > apr_time_from_sec(60)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration between "
                            "0 and 60 s (e.g. 1, 500ms, 0 = no cache)",
                            cmd->cmd->name, arg);
    }
    srv_conf(cmd)->sc_ttl = t;
    return NULL;
}

/* JobcenterHashConcurrency N | auto. */
const char *jc_set_hash_conc(cmd_parms *cmd, void *d, const char *arg)
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
const char *jc_set_hash_queue(cmd_parms *cmd, void *d, const char *n,
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
const char *jc_set_holidays(cmd_parms *cmd, void *d, const char *arg)
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

/* JobcenterClamd off | SOCKET | HOST:PORT. */
const char *jc_set_clamd(cmd_parms *cmd, void *d, const char *arg)
{
    const char *colon = strrchr(arg, ':');

    (void)d;
    if (!strcasecmp(arg, "off")) {
        srv_conf(cmd)->clamd = "off";
        return NULL;
    }
    if (arg[0] != '/' && (!colon || colon == arg || !colon[1]
                          || strspn(colon + 1, "0123456789")
                             != strlen(colon + 1))) {
        return JC_D_CLAMD ": clamd's unix socket (an absolute path, "
               "e.g. /run/clamav/clamd.ctl), host:port (e.g. "
               "127.0.0.1:3310) or off";
    }
    srv_conf(cmd)->clamd = arg;
    return NULL;
}

/* The directives checked against each other, and the values derived
 * from JobcenterBaseURL where they are unset (origins, WebAuthn RP ID).
 * NULL or the error. */
static const char *conf_check(jc_srv_conf_t *conf, server_rec *s,
                              apr_pool_t *p)
{
    apr_uri_t uri;

    if (strcasecmp(conf->clamd, "off") != 0
        && conf->up_max_file > conf->clamd_max) {
        return apr_psprintf(p, JC_D_UP_MAX_FILE " (%" APR_OFF_T_FMT ") is "
                            "larger than " JC_D_CLAMD_MAX " (%" APR_OFF_T_FMT
                            "): clamd would refuse such files. Raise "
                            "StreamMaxLength in clamd.conf and "
                            JC_D_CLAMD_MAX ", or lower " JC_D_UP_MAX_FILE,
                            conf->up_max_file, conf->clamd_max);
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
    return NULL;
}

/* The core's view (conf->ctx). NULL or the error. */
static const char *conf_fill_ctx(jc_srv_conf_t *conf, apr_pool_t *p)
{
    jc_ctx_t *ctx = &conf->ctx;

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
    return NULL;
}

/* The upload and scan views (conf->upload, conf->clamd_cfg). */
static void conf_fill_upload(jc_srv_conf_t *conf, apr_pool_t *p)
{
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
}

/* The mail delivery view (conf->outbox). */
static void conf_fill_outbox(jc_srv_conf_t *conf, apr_pool_t *p)
{
    jc_outbox_cfg_t *ob = &conf->outbox;

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
}

const char *jc_conf_finish(jc_srv_conf_t *conf, server_rec *s,
                           apr_pool_t *p)
{
    const char *err;

    conf_defaults(conf);
    err = conf_check(conf, s, p);
    if (!err) {
        err = conf_fill_ctx(conf, p);
    }
    if (err) {
        return err;
    }
    conf_fill_upload(conf, p);
    conf_fill_outbox(conf, p);
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

/* Glue of the audit log (jc_audit.h, docs/logs.md "Audit log"):
 * JobcenterAuditLog, the file or piped program opened by the parent in
 * post_config (the children inherit the descriptor; one file per path,
 * shared by the hosts naming it), and the line of an API call. A line is
 * written with one write() on a descriptor opened O_APPEND, so lines of
 * concurrent children never interleave (a pipe: lines up to PIPE_BUF,
 * 4096 bytes, are atomic; a line is far below that). */
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_file_io.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_core.h>

#include "mod_jobcenter.h"
#include "jc_audit.h"

APLOG_USE_MODULE(jobcenter);

/* This node's name in every line (post_config). */
static const char *audit_node;

const char *jc_audit_set_log(cmd_parms *cmd, void *d, const char *arg)
{
    jc_srv_conf_t *c = ap_get_module_config(cmd->server->module_config,
                                            &jobcenter_module);

    (void)d;
    if (!strcasecmp(arg, "Off")) {
        c->audit_log = "";
        return NULL;
    }
    if (arg[0] == '|') {
        c->audit_log = apr_pstrdup(cmd->pool, arg);
        return NULL;
    }
    c->audit_log = ap_server_root_relative(cmd->pool, arg);
    if (!c->audit_log) {
        return "JobcenterAuditLog: invalid path";
    }
    return NULL;
}

/* Open a path or "|program" once per configuration generation. */
static apr_status_t audit_open(apr_file_t **fd, const char *what,
                               apr_pool_t *pconf)
{
    piped_log *pl;

    if (what[0] == '|') {
        pl = ap_open_piped_log(pconf, what + 1);
        if (!pl) {
            return APR_EGENERAL;
        }
        *fd = ap_piped_log_write_fd(pl);
        return APR_SUCCESS;
    }
    /* no APR_BUFFERED: every apr_file_write is one write() */
    return apr_file_open(fd, what, APR_FOPEN_WRITE | APR_FOPEN_APPEND
                         | APR_FOPEN_CREATE, APR_FPROT_UREAD
                         | APR_FPROT_UWRITE | APR_FPROT_GREAD, pconf);
}

apr_status_t jc_audit_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_hash_t *open = apr_hash_make(pconf);
    char host[256];
    server_rec *vs;

    if (apr_gethostname(host, sizeof(host), pconf) == APR_SUCCESS) {
        audit_node = apr_pstrdup(pconf, host);
    }
    else {
        audit_node = s->server_hostname;
    }
    for (vs = s; vs; vs = vs->next) {
        jc_srv_conf_t *conf = ap_get_module_config(vs->module_config,
                                                   &jobcenter_module);
        apr_file_t *fd;
        apr_status_t rv;

        conf->audit_fd = NULL;
        if (conf->engine != 1 || !conf->audit_log || !*conf->audit_log) {
            continue;
        }
        fd = apr_hash_get(open, conf->audit_log, APR_HASH_KEY_STRING);
        if (!fd) {
            rv = audit_open(&fd, conf->audit_log, pconf);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, rv, vs, JCLOG(00960)
                             "JobcenterAuditLog: cannot open %s",
                             conf->audit_log);
                return rv;
            }
            apr_hash_set(open, conf->audit_log, APR_HASH_KEY_STRING, fd);
        }
        conf->audit_fd = fd;
    }
    return APR_SUCCESS;
}

/* The object of a route: the customer of a path id, else the id the
 * handler reads from the body or query ("customer", "conversation",
 * "submission", "file", "draft", "id"). */
static const char *route_target(jc_call_t *c, const char *route,
                                apr_int64_t *id)
{
    static const char *const keys[] = { "customer", "conversation",
                                        "submission", "file", "draft",
                                        NULL };
    int i;

    *id = 0;
    if (strstr(route, "customers/*")) {
        *id = c->path_id;
        return "customer";
    }
    for (i = 0; keys[i]; i++) {
        *id = jc_api_arg_id(c, keys[i]);
        if (*id > 0) {
            return keys[i];
        }
    }
    *id = jc_api_arg_id(c, "id");
    if (*id <= 0) {
        return NULL;
    }
    if (strstr(route, "bescheide")) {
        return "bescheid";
    }
    if (strstr(route, "/file")) {
        return "file";
    }
    if (strstr(route, "messages")) {
        return "conversation";
    }
    if (strstr(route, "passkey")) {
        return "passkey";
    }
    return "object";
}

/* The request id: mod_unique_id's, else the error log's (%L), else a new
 * one that becomes the error log's too. */
static const char *request_id(request_rec *r)
{
    const char *id = apr_table_get(r->subprocess_env, "UNIQUE_ID");
    unsigned char b[12];
    char *s;
    int i;

    if (id) {
        return id;
    }
    if (r->log_id) {
        return r->log_id;
    }
    if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS) {
        return NULL;
    }
    s = apr_palloc(r->pool, 2 * sizeof(b) + 1);
    for (i = 0; i < (int)sizeof(b); i++) {
        apr_snprintf(s + 2 * i, 3, "%02x", b[i]);
    }
    r->log_id = s;
    return s;
}

void jc_audit_api(jc_call_t *c, const char *method, const char *route,
                  int status)
{
    request_rec *r = c->r;
    jc_audit_rec_t a;
    const char *line;
    apr_size_t len, n;
    apr_status_t rv;

    memset(&a, 0, sizeof(a));
    a.ts = r->request_time;
    a.node = audit_node;
    a.action = apr_pstrcat(r->pool, method, " ", route, NULL);
    a.status = status;
    a.result = jc_audit_result(status);
    a.error = status >= 400 ? apr_table_get(r->notes, "jobcenter-error")
                            : NULL;
    a.events = c->audit_events;
    a.request_id = request_id(r);
    a.client_ip = r->useragent_ip;
    /* who: the session's account; without one the account a login
     * signed in, else the account the call's events name (a confirmed
     * address, a password reset) */
    if (c->sess.account_id > 0) {
        /* "staff": the role check of a staff route passed */
        a.actor_type = c->staff ? "staff" : "account";
        a.actor_id = c->sess.account_id;
    }
    else if (c->audit_account > 0 || c->audit_event_account > 0) {
        a.actor_type = "account";
        a.actor_id = c->audit_account > 0 ? c->audit_account
                                          : c->audit_event_account;
    }
    else {
        a.actor_type = "anonymous";
    }
    /* to what: the route's object, else the account the events name,
     * else the caller's own account; a login names the name given */
    a.target_type = route_target(c, route, &a.target_id);
    if (a.target_type) {
        a.target_account = c->audit_other_account;
    }
    else if (c->audit_other_account > 0 || c->audit_event_account > 0) {
        a.target_type = "account";
        a.target_id = c->audit_other_account > 0 ? c->audit_other_account
                                                 : c->audit_event_account;
    }
    else if (!strcmp(route, "login") && a.actor_id <= 0) {
        a.target_type = "login";
        a.target_name = jc_api_body_str(c, "login", NULL);
        if (!a.target_name) {
            a.target_type = NULL;
        }
    }
    else if (a.actor_id > 0) {
        a.target_type = "account";
        a.target_id = a.actor_id;
    }
    line = jc_audit_line(&a, &len, r->pool);
    if (!line) {
        return;
    }
    n = len;
    rv = apr_file_write(c->conf->audit_fd, line, &n);
    if (rv != APR_SUCCESS || n != len) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, JCLOG(00961)
                      "audit log: line not written (%" APR_SIZE_T_FMT
                      " of %" APR_SIZE_T_FMT " bytes): %s", n, len, line);
    }
}

/* The audit log's line format (see jc_audit.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <jansson.h>

#include "jc_audit.h"

/* the longest login name written (bytes; cut at a character boundary) */
#define JC_AUDIT_NAME_MAX 128

const char *jc_audit_result(int status)
{
    if (status < 400) {
        return "ok";
    }
    if (status == 401 || status == 403 || status == 429) {
        return "denied";
    }
    return status < 500 ? "failed" : "error";
}

const char *jc_audit_time(apr_time_t t, apr_pool_t *p)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                        x.tm_year + 1900, x.tm_mon + 1, x.tm_mday,
                        x.tm_hour, x.tm_min, x.tm_sec, x.tm_usec / 1000);
}

/* id or null */
static json_t *id_or_null(apr_int64_t id)
{
    return id > 0 ? json_integer((json_int_t)id) : json_null();
}

static json_t *str_or_null(const char *s)
{
    json_t *v = s ? json_string(s) : NULL;

    return v ? v : json_null();
}

/* a name cut to JC_AUDIT_NAME_MAX bytes at a UTF-8 boundary */
static json_t *name_json(const char *s, apr_pool_t *p)
{
    size_t n;

    if (!s) {
        return json_null();
    }
    n = strlen(s);
    if (n > JC_AUDIT_NAME_MAX) {
        n = JC_AUDIT_NAME_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    return str_or_null(apr_pstrndup(p, s, n));
}

const char *jc_audit_line(const jc_audit_rec_t *rec, apr_size_t *len,
                          apr_pool_t *p)
{
    json_t *o = json_object(), *target, *ev;
    char *txt;
    const char *line;
    int i;

    json_object_set_new(o, "ts", json_string(jc_audit_time(rec->ts, p)));
    json_object_set_new(o, "node", str_or_null(rec->node));
    json_object_set_new(o, "actor", json_pack("{s:s, s:o}", "type",
                        rec->actor_type ? rec->actor_type : "anonymous",
                        "id", id_or_null(rec->actor_id)));
    json_object_set_new(o, "action", str_or_null(rec->action));
    if (rec->target_type) {
        target = json_pack("{s:s}", "type", rec->target_type);
        if (rec->target_name) {
            json_object_set_new(target, "name",
                                name_json(rec->target_name, p));
        }
        else {
            json_object_set_new(target, "id", id_or_null(rec->target_id));
        }
        if (rec->target_account > 0) {
            json_object_set_new(target, "account",
                                json_integer(rec->target_account));
        }
    }
    else {
        target = json_null();
    }
    json_object_set_new(o, "target", target);
    json_object_set_new(o, "result", json_string(rec->result ? rec->result
                                                 : "ok"));
    json_object_set_new(o, "status", json_integer(rec->status));
    if (rec->error) {
        json_object_set_new(o, "error", str_or_null(rec->error));
    }
    if (rec->events && rec->events->nelts > 0) {
        ev = json_array();
        for (i = 0; i < rec->events->nelts; i++) {
            json_array_append_new(ev, str_or_null(
                APR_ARRAY_IDX(rec->events, i, const char *)));
        }
        json_object_set_new(o, "events", ev);
    }
    json_object_set_new(o, "request_id", str_or_null(rec->request_id));
    json_object_set_new(o, "client_ip", str_or_null(rec->client_ip));
    txt = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII
                        | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!txt) {
        *len = 0;
        return NULL;
    }
    line = apr_pstrcat(p, txt, "\n", NULL);
    free(txt);
    *len = strlen(line);
    return line;
}

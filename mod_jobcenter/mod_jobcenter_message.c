/* The message routes of the JSON API: writing to the Jobcenter, the
 * Postfach, Bescheide and Termine (citizen), the team inboxes, replies,
 * Bescheid and Termin posting (staff), and the watchdog's reminder step.
 * The route table in mod_jobcenter_api.c has checked Origin, session,
 * CSRF and (staff routes) the staff role; the flows are in jc_message.c.
 * Files are streamed in through the upload pipeline (JC_UPLOAD filter,
 * jc_upsink) and out with send_stored of mod_jobcenter_upload.c. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter_request.h"
#include "jc_anliegen.h"
#include "jc_bescheid.h"
#include "jc_conversation.h"
#include "jc_inbox.h"
#include "jc_termin.h"
#include "jc_multipart.h"
#include "jc_upload_store.h"

APLOG_USE_MODULE(jobcenter);

static void msg_cfg(jc_call_t *c, jc_msg_cfg_t *cfg)
{
    jc_msg_cfg_from_conf(c->conf, cfg);
}

void jc_msg_cfg_from_conf(const jc_srv_conf_t *conf, jc_msg_cfg_t *cfg)
{
    cfg->base_url = conf->base_url;
    cfg->mail_from = conf->mail_from;
    cfg->upload = &conf->upload;
    cfg->remind_days = (int)conf->msg_remind_days;
    cfg->holiday_region = conf->holiday_region;
}

/* Integer member of the JSON body (number or digit string), 0 if none. */
static apr_int64_t body_id(jc_call_t *c, const char *key)
{
    json_t *j = c->body ? json_object_get(c->body, key) : NULL;
    const char *v;
    char *end = NULL;
    apr_int64_t id;

    if (json_is_integer(j)) {
        return json_integer_value(j) > 0 ? json_integer_value(j) : 0;
    }
    v = json_string_value(j);
    if (!v || !*v || strlen(v) > 18) {
        return 0;
    }
    id = apr_strtoi64(v, &end, 10);
    return (end && !*end && id > 0) ? id : 0;
}

static int citizen(jc_call_t *c, jc_result_t *res, int need_online)
{
    apr_int64_t cust, jcid;

    return jc_msg_gate(&c->db, res, c->sess.account_id, need_online, c->now,
                       &cust, &jcid, c->r->pool);
}

static int send_file(jc_call_t *c, jc_result_t *res,
                     const jc_upload_dl_t *dl)
{
    return jc_upload_send_stored(c, res, dl->path, dl->mime,
                                 jc_upload_disposition(c->r->pool,
                                                       "attachment",
                                                       dl->name));
}

/* ---- citizen ------------------------------------------------------------- */

static int jc_route_msg_anliegen(jc_call_t *c, jc_result_t *res, json_t **out)
{
    (void)c;
    *out = jc_anliegen_json();
    return *out ? 200 : jc_result_internal(res, "anliegen json");
}

static int jc_route_msg_list(jc_call_t *c, jc_result_t *res, json_t **out)
{
    *out = NULL;
    if (citizen(c, res, 0) != 200) {
        return res->status;
    }
    return jc_msg_list(&c->db, res, out, c->sess.account_id, c->r->pool);
}

static int jc_route_msg_send(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_msg_send_in_t in;
    jc_msg_cfg_t cfg;
    json_t *ack;

    *out = NULL;
    if (citizen(c, res, 1) != 200) {
        return res->status;
    }
    msg_cfg(c, &cfg);
    memset(&in, 0, sizeof(in));
    in.account_id = c->sess.account_id;
    in.anliegen = jc_api_body_str(c, "anliegen", NULL);
    in.subject = jc_api_body_str(c, "subject", NULL);
    in.text = jc_api_body_str(c, "text", NULL);
    ack = json_object_get(c->body, "ack");
    in.ack = json_is_true(ack);
    in.key = jc_api_body_str(c, "idempotency_key", NULL);
    in.draft_id = body_id(c, "draft");
    return jc_msg_send(&c->db, res, out, &cfg, &in, c->now, c->r->pool);
}

static int jc_route_msg_conversation(jc_call_t *c, jc_result_t *res,
                                     json_t **out)
{
    *out = NULL;
    if (citizen(c, res, 0) != 200) {
        return res->status;
    }
    return jc_msg_conversation(&c->db, res, out, c->sess.account_id,
                               jc_api_arg_id(c, "id"), c->now, c->r->pool);
}

static int jc_route_msg_reply(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_msg_cfg_t cfg;

    *out = NULL;
    if (citizen(c, res, 1) != 200) {
        return res->status;
    }
    msg_cfg(c, &cfg);
    return jc_msg_reply(&c->db, res, out, &cfg, c->sess.account_id,
                        body_id(c, "conversation"),
                        jc_api_body_str(c, "text", NULL),
                        jc_api_body_str(c, "idempotency_key", NULL),
                        body_id(c, "draft"), c->now, c->r->pool);
}

static int jc_route_msg_file(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_upload_dl_t dl;
    jc_msg_cfg_t cfg;

    *out = NULL;
    if (citizen(c, res, 0) != 200) {
        return res->status;
    }
    msg_cfg(c, &cfg);
    if (jc_msg_file(&c->db, res, &dl, &cfg, c->sess.account_id,
                    jc_api_arg_id(c, "id"), c->r->pool) != 200) {
        return res->status;
    }
    return send_file(c, res, &dl);
}

static int jc_route_bescheid_list(jc_call_t *c, jc_result_t *res, json_t **out)
{
    *out = NULL;
    if (citizen(c, res, 0) != 200) {
        return res->status;
    }
    return jc_bescheid_list(&c->db, res, out, c->sess.account_id,
                            c->r->pool);
}

static int jc_route_bescheid_file(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_upload_dl_t dl;
    jc_msg_cfg_t cfg;

    *out = NULL;
    if (citizen(c, res, 0) != 200) {
        return res->status;
    }
    msg_cfg(c, &cfg);
    if (jc_bescheid_file(&c->db, res, &dl, &cfg, c->sess.account_id,
                         jc_api_arg_id(c, "id"), c->now, c->r->pool)
        != 200) {
        return res->status;
    }
    return send_file(c, res, &dl);
}

static int jc_route_termin_list(jc_call_t *c, jc_result_t *res, json_t **out)
{
    *out = NULL;
    if (citizen(c, res, 0) != 200) {
        return res->status;
    }
    return jc_termin_list(&c->db, res, out, c->sess.account_id, c->r->pool);
}

static int jc_route_termin_reschedule(jc_call_t *c, jc_result_t *res,
                                      json_t **out)
{
    jc_msg_cfg_t cfg;

    *out = NULL;
    if (citizen(c, res, 1) != 200) {
        return res->status;
    }
    msg_cfg(c, &cfg);
    return jc_termin_reschedule(&c->db, res, out, &cfg, c->sess.account_id,
                                body_id(c, "termin"),
                                jc_api_body_str(c, "text", NULL),
                                jc_api_body_str(c, "idempotency_key", NULL),
                                c->now, c->r->pool);
}

/* ---- staff --------------------------------------------------------------- */

static int jc_route_staff_msg_inbox(jc_call_t *c, jc_result_t *res,
                                    json_t **out)
{
    const char *status = jc_req_query_arg(c->r, "status");

    return jc_inbox_list(&c->db, res, out, c->staff, status ? status : "",
                         jc_req_query_arg(c->r, "limit"),
                         jc_req_query_arg(c->r, "before"), c->r->pool);
}

static int jc_route_staff_msg_conversation(jc_call_t *c, jc_result_t *res,
                                           json_t **out)
{
    return jc_inbox_conversation(&c->db, res, out, c->staff,
                                 jc_api_arg_id(c, "id"), c->r->pool);
}

static int jc_route_staff_msg_assign(jc_call_t *c, jc_result_t *res,
                                     json_t **out)
{
    return jc_inbox_assign(&c->db, res, out, c->staff,
                           body_id(c, "conversation"), c->now, c->r->pool);
}

static int jc_route_staff_msg_status(jc_call_t *c, jc_result_t *res,
                                     json_t **out)
{
    return jc_inbox_set_status(&c->db, res, out, c->staff,
                               body_id(c, "conversation"),
                               jc_api_body_str(c, "status", NULL), c->now,
                               c->r->pool);
}

static int jc_route_staff_msg_reply(jc_call_t *c, jc_result_t *res,
                                    json_t **out)
{
    jc_msg_cfg_t cfg;

    msg_cfg(c, &cfg);
    return jc_inbox_reply(&c->db, res, out, &cfg, c->staff,
                          body_id(c, "conversation"),
                          jc_api_body_str(c, "text", NULL), NULL, c->now,
                          c->r->pool);
}

/* POST staff/messages/reply-files?conversation=N: multipart/form-data with
 * the field "text" and 1..JobcenterUploadMaxFiles file parts, streamed
 * through the upload pipeline (filter, sniffing, limits, store) as a
 * Bescheid; the core records message and files in one transaction. */
static int jc_route_staff_msg_reply_files(jc_call_t *c, jc_result_t *res,
                                          json_t **out)
{
    request_rec *r = c->r;
    const jc_upload_cfg_t *ucfg = &c->conf->upload;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_int64_t conv = jc_api_arg_id(c, "conversation");
    const apr_array_header_t *files = NULL;
    const char *boundary = NULL;
    jc_upsink_cfg_t scfg;
    jc_msg_cfg_t cfg;
    int st;

    *out = NULL;
    msg_cfg(c, &cfg);
    if (jc_inbox_reply_check(&c->db, res, c->staff, conv, r->pool)
        != 200) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return res->status;
    }
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0
        || jc_multipart_boundary(&boundary, ct, r->pool) != JC_MP_OK) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return jc_mp_result(res, JC_MP_ERR_CTYPE);
    }
    memset(&scfg, 0, sizeof(scfg));
    scfg.store = ucfg->store;
    scfg.max_file = ucfg->max_file;
    scfg.max_file_limit = ucfg->max_file;
    scfg.max_files = (unsigned)ucfg->max_files;
    scfg.max_total = ucfg->max_file * ucfg->max_files;
    scfg.boundary = boundary;
    scfg.fields = apr_table_make(r->pool, 2);
    st = jc_upload_read_body(c, res, &scfg,
                             scfg.max_total + 8192 * (ucfg->max_files + 2)
                             + JC_UPSINK_FIELD_BYTES, &files);
    if (st != 200) {
        return st;
    }
    return jc_inbox_reply(&c->db, res, out, &cfg, c->staff, conv,
                          apr_table_get(scfg.fields, "text"), files,
                          c->now, r->pool);
}

static int jc_route_staff_msg_file(jc_call_t *c, jc_result_t *res,
                                   json_t **out)
{
    jc_upload_dl_t dl;
    jc_msg_cfg_t cfg;

    *out = NULL;
    msg_cfg(c, &cfg);
    if (jc_inbox_file(&c->db, res, &dl, &cfg, c->staff,
                      jc_api_arg_id(c, "id"), c->now, c->r->pool) != 200) {
        return res->status;
    }
    return send_file(c, res, &dl);
}

/* POST staff/bescheide?customer=N&title=…[&name=…]: the body is the PDF
 * (raw, or one file in multipart/form-data), streamed through the upload
 * pipeline (same filter, sniffing, limit and store as citizen uploads). */
static int jc_route_staff_bescheid(jc_call_t *c, jc_result_t *res,
                                   json_t **out)
{
    request_rec *r = c->r;
    const jc_upload_cfg_t *ucfg = &c->conf->upload;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *title = jc_req_query_arg(r, "title");
    apr_int64_t customer = jc_api_arg_id(c, "customer");
    const apr_array_header_t *files = NULL;
    jc_upsink_cfg_t scfg;
    jc_msg_cfg_t cfg;
    apr_off_t max_body = ucfg->max_file;
    int st;

    *out = NULL;
    msg_cfg(c, &cfg);
    if (jc_bescheid_check(&c->db, res, c->staff, customer, title, r->pool)
        != 200) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return res->status;
    }
    memset(&scfg, 0, sizeof(scfg));
    scfg.store = ucfg->store;
    scfg.max_file = ucfg->max_file;
    scfg.max_file_limit = ucfg->max_file;
    scfg.max_total = ucfg->max_file;
    scfg.max_files = 1;
    if (ct && !strncasecmp(ct, "multipart/", 10)) {
        const char *boundary = NULL;

        if (jc_multipart_boundary(&boundary, ct, r->pool) != JC_MP_OK) {
            return jc_mp_result(res, JC_MP_ERR_CTYPE);
        }
        scfg.boundary = boundary;
        max_body += 8192 + JC_UPSINK_FIELD_BYTES;
    }
    else {
        scfg.raw_name = jc_req_query_arg(r, "name");
        if (!scfg.raw_name) {
            scfg.raw_name = apr_pstrcat(r->pool, title, ".pdf", NULL);
        }
    }
    st = jc_upload_read_body(c, res, &scfg, max_body, &files);
    if (st != 200) {
        return st;
    }
    return jc_bescheid_post(&c->db, res, out, &cfg, c->staff, customer,
                            title,
                            &APR_ARRAY_IDX(files, 0, const jc_upfile_t),
                            c->now, r->pool);
}

static int jc_route_staff_termin(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_termin_in_t in;
    jc_msg_cfg_t cfg;

    msg_cfg(c, &cfg);
    in.customer_id = body_id(c, "customer");
    in.date = jc_api_body_str(c, "date", NULL);
    in.time = jc_api_body_str(c, "time", NULL);
    in.place = jc_api_body_str(c, "place", NULL);
    in.contact = jc_api_body_str(c, "contact", NULL);
    return jc_termin_post(&c->db, res, out, &cfg, c->staff, &in, c->now,
                          c->r->pool);
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_message[] = {
    /* messages, Postfach, Bescheide, Termine (mod_jobcenter_message.c):
     * fully signed in; writing also needs Online-Kommunikation (core) */
    { M_GET, "messages/anliegen", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_msg_anliegen },
    { M_GET, "messages", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_msg_list },
    { M_POST, "messages", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_msg_send },
    { M_GET, "messages/conversation", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_msg_conversation },
    { M_POST, "messages/reply", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_msg_reply },
    { M_GET, "messages/file", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_msg_file },
    { M_GET, "bescheide", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_bescheid_list },
    { M_GET, "bescheide/file", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_bescheid_file },
    { M_GET, "termine", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_termin_list },
    { M_POST, "termine/verschieben", JC_LEVEL_FULL, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_termin_reschedule },
    /* the team inboxes: staff role, own jobcenter and team (core) */
    { M_GET, "staff/messages", JC_LEVEL_STAFF, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_staff_msg_inbox },
    { M_GET, "staff/messages/conversation", JC_LEVEL_STAFF, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_staff_msg_conversation },
    { M_POST, "staff/messages/assign", JC_LEVEL_STAFF, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_staff_msg_assign },
    { M_POST, "staff/messages/status", JC_LEVEL_STAFF, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_staff_msg_status },
    { M_POST, "staff/messages/reply", JC_LEVEL_STAFF, JC_BODY_JSON,
      JC_CONN_HANDLER,
      jc_route_staff_msg_reply },
    { M_POST, "staff/messages/reply-files", JC_LEVEL_STAFF, JC_BODY_STREAM,
      JC_CONN_HANDLER,
      jc_route_staff_msg_reply_files },
    { M_GET, "staff/messages/file", JC_LEVEL_STAFF, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_staff_msg_file },
    { M_POST, "staff/bescheide", JC_LEVEL_STAFF, JC_BODY_STREAM,
      JC_CONN_HANDLER,
      jc_route_staff_bescheid },
    { M_POST, "staff/termine", JC_LEVEL_STAFF, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_staff_termin },
    { 0, NULL, 0, 0, 0, NULL }
};

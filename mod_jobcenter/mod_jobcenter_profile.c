/* The citizen's person profile: the routes freischaltcode (redeem),
 * profile, jobcenter and verlauf of the JSON API, and the handler
 * "jobcenter-link" behind /link/freischaltcode (the QR link of the letter).
 * The route table in mod_jobcenter_api.c has already checked Origin,
 * session (complete two-factor login), CSRF token and body; the flows are
 * in the core (jc_profile.c). */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_jobcenter.h"
#include "jc_fsc.h"
#include "jc_profile.h"

APLOG_USE_MODULE(jobcenter);

#define JC_LINK_PATH   "/link/freischaltcode"
#define JC_LINK_TARGET "/eservices-freischalten.html"

static json_t *profile_json(const jc_profile_t *prof, apr_pool_t *p)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s}}",
                     "kundennummer", prof->kundennummer,
                     "name", jc_profile_name(prof, p),
                     "salutation", prof->salutation,
                     "given_name", prof->given_name,
                     "family_name", prof->family_name,
                     "bound_at", (json_int_t)prof->bound_at,
                     "jobcenter", "name", prof->jc_name);
}

/* Read the account's profile; 0 = answered (res set) on a database error. */
static int load_profile(jc_call_t *c, jc_result_t *res, jc_profile_t *prof,
                        int *found)
{
    jc_db_rc_e rc = jc_profile_get(&c->db, prof, found, c->sess.account_id,
                                   c->r->pool);

    return !jc_db_fail(res, &c->db, rc, c->r->pool);
}

static int jc_route_fsc_redeem(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_profile_t prof;

    *out = NULL;
    /* the code itself is never logged */
    jc_profile_redeem(&c->db, res, &prof, &c->conf->ctx, c->sess.account_id,
                      c->r->useragent_ip, jc_api_body_str(c, "code", NULL),
                      c->now, c->r->pool);
    if (res->status != 201) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00140)
                  "Freischaltcode redeemed: account %" APR_INT64_T_FMT
                  " bound to Kundennummer %s", c->sess.account_id,
                  prof.kundennummer);
    *out = json_pack("{s:o}", "profile", profile_json(&prof, c->r->pool));
    if (!*out) {
        return jc_result_internal(res, "json_pack of the profile failed");
    }
    return 201;
}

static int jc_route_profile(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_profile_t prof;
    int found = 0;

    *out = NULL;
    if (!load_profile(c, res, &prof, &found)) {
        return res->status;
    }
    *out = json_pack("{s:o}", "profile", found
                     ? profile_json(&prof, c->r->pool) : json_null());
    if (!*out) {
        return jc_result_internal(res, "json_pack of the profile failed");
    }
    return 200;
}

static int jc_route_jobcenter(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_profile_t prof;
    json_t *hours;
    int found = 0;

    *out = NULL;
    if (!load_profile(c, res, &prof, &found)) {
        return res->status;
    }
    if (!found) {
        *out = json_pack("{s:n}", "jobcenter");
        return 200;
    }
    hours = jc_profile_hours_json(prof.jc_hours, c->r->pool);
    *out = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:o}}", "jobcenter",
                     "name", prof.jc_name, "street", prof.jc_street,
                     "postcode", prof.jc_postcode, "city", prof.jc_city,
                     "phone", prof.jc_phone, "opening_hours", hours);
    if (!*out) {
        return jc_result_internal(res, "json_pack of the jobcenter failed");
    }
    return 200;
}

static int jc_route_verlauf(jc_call_t *c, jc_result_t *res, json_t **out)
{
    apr_array_header_t *events;
    json_t *list;
    jc_db_rc_e rc;
    int i;

    *out = NULL;
    rc = jc_profile_events(&c->db, &events, c->sess.account_id, c->r->pool);
    if (jc_db_fail(res, &c->db, rc, c->r->pool)) {
        return res->status;
    }
    list = json_array();
    for (i = 0; i < events->nelts; i++) {
        const jc_profile_event_t *e =
            &APR_ARRAY_IDX(events, i, jc_profile_event_t);

        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s?}",
                              "at", (json_int_t)e->at, "kind", e->kind,
                              "text", e->text, "detail", e->detail));
    }
    *out = json_pack("{s:o}", "events", list);
    if (!*out) {
        return jc_result_internal(res, "json_pack of the Verlauf failed");
    }
    return 200;
}

/* ---- /link/freischaltcode ---------------------------------------------- */

/* The value of the query parameter `code`, decoded, or NULL. */
static const char *query_code(request_rec *r)
{
    char *args, *pair, *last;

    if (!r->args) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (pair = apr_strtok(args, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        if (strncmp(pair, "code=", 5) == 0) {
            char *v = pair + 5;

            return ap_unescape_urlencoded(v) == OK ? v : "";
        }
    }
    return NULL;
}

/* The QR link of the letter: answers 303 to the fixed page
 * /eservices-freischalten.html, with the checked code (12 characters of
 * the code alphabet, grouped) in the fragment. A fragment never goes back
 * to a server, so the code appears in no later request line, log or
 * Referer; nothing from the request but the code reaches the Location, so
 * the link cannot redirect anywhere else. */
int jc_link_handler(request_rec *r)
{
    jc_srv_conf_t *conf;
    const char *code, *loc = JC_LINK_TARGET;
    char norm[JC_FSC_LEN + 1];

    if (!r->handler || strcmp(r->handler, "jobcenter-link") != 0) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->server->module_config, &jobcenter_module);
    if (conf->engine != 1) {
        return DECLINED;
    }
    if (strcmp(r->uri, JC_LINK_PATH) != 0) {
        return HTTP_NOT_FOUND;
    }
    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    code = query_code(r);
    if (code && jc_fsc_normalize(code, norm)) {
        loc = apr_pstrcat(r->pool, JC_LINK_TARGET "#code=",
                          jc_fsc_group(norm, r->pool), NULL);
    }
    else if (code) {
        loc = JC_LINK_TARGET "#code-ungueltig";
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, JCLOG(00141)
                      "link: malformed Freischaltcode in the QR link");
    }
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");

    apr_table_setn(r->headers_out, "Location", loc);
    return HTTP_SEE_OTHER;
}

/* Runs before mod_log_config writes the access log: the query of
 * /link/freischaltcode (the code) is replaced in the request line, so no
 * log line carries a Freischaltcode. */
int jc_link_log_scrub(request_rec *r)
{
    request_rec *x;

    for (x = r; x; x = x->prev) {
        if (!x->uri || !x->args
            || strncmp(x->uri, JC_LINK_PATH, sizeof(JC_LINK_PATH) - 1)) {
            continue;
        }
        x->args = apr_pstrdup(x->pool, "code=entfernt");
        x->parsed_uri.query = x->args;
        x->unparsed_uri = apr_pstrcat(x->pool, x->uri, "?", x->args, NULL);
        x->the_request = apr_pstrcat(x->pool, x->method, " ",
                                     x->unparsed_uri, " ", x->protocol,
                                     NULL);
    }
    return DECLINED;
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_profile[] = {
    /* the person profile: a complete two-factor session */
    { M_POST, "freischaltcode", JC_LEVEL_FULL, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_fsc_redeem },
    { M_GET, "profile", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_profile },
    { M_GET, "jobcenter", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_jobcenter },
    { M_GET, "verlauf", JC_LEVEL_FULL, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_verlauf },
    { 0, NULL, 0, 0, 0, NULL }
};

/* The staff routes (Sachbearbeitung): customers of the caller's own
 * jobcenter, creating customers, issuing a Freischaltcode with its letter.
 * The API handler has already checked the complete session and the staff
 * role (c->staff); the logic lives in jc_staff.c. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <util_script.h>

#include "mod_jobcenter.h"
#include "jc_customer.h"
#include "jc_customer_search.h"
#include "jc_fsc_issue.h"

APLOG_USE_MODULE(jobcenter);

static const char *role_name(int role)
{
    return role == JC_ROLE_ADMIN ? "admin" : "sachbearbeitung";
}

static int jc_route_staff_me(jc_call_t *c, jc_result_t *res, json_t **out)
{
    const jc_staff_t *st = c->staff;

    (void)res;
    /* csrf_token too: the staff pages may be the first page opened */
    *out = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:s}, s:s}",
                     "display_name", st->display_name ? st->display_name : "",
                     "role", role_name(st->role),
                     "team", st->team ? st->team : "",
                     "team_text", jc_staff_team_text(st->team),
                     "jobcenter", "id", (json_int_t)st->jobcenter_id,
                     "name", st->jobcenter_name ? st->jobcenter_name : "",
                     "csrf_token", c->sess.csrf_token ? c->sess.csrf_token
                                                      : "");
    return 200;
}

/* A positive integer query parameter, dflt when absent, -1 when bad. */
static apr_int64_t int_arg(apr_table_t *t, const char *name,
                           apr_int64_t dflt)
{
    const char *v = t ? apr_table_get(t, name) : NULL;
    char *end = NULL;
    apr_int64_t n;

    if (!v || !*v) {
        return dflt;
    }
    n = apr_strtoi64(v, &end, 10);
    if (!end || *end || n < 1 || strlen(v) > 9) {
        return -1;
    }
    return n;
}

static int jc_route_staff_customers(jc_call_t *c, jc_result_t *res,
                                    json_t **out)
{
    apr_table_t *args = NULL;

    ap_args_to_table(c->r, &args);
    jc_customer_search(&c->db, res, c->staff->jobcenter_id,
                       args ? apr_table_get(args, "q") : NULL,
                       int_arg(args, "page", 1),
                       int_arg(args, "per_page", 50), out, c->r->pool);
    return 200;
}

static int jc_route_staff_customer_create(jc_call_t *c, jc_result_t *res,
                                          json_t **out)
{
    jc_customer_in_t in;
    jc_customer_t cust;

    memset(&in, 0, sizeof(in));
    in.salutation = jc_api_body_str(c, "salutation", NULL);
    in.given_name = jc_api_body_str(c, "given_name", NULL);
    in.family_name = jc_api_body_str(c, "family_name", NULL);
    in.birth_date = jc_api_body_str(c, "birth_date", NULL);
    in.street = jc_api_body_str(c, "street", NULL);
    in.postcode = jc_api_body_str(c, "postcode", NULL);
    in.city = jc_api_body_str(c, "city", NULL);
    jc_customer_create(&c->db, res, c->staff, &in, c->now, &cust,
                       c->r->pool);
    *out = NULL;
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00601)
                  "staff %" APR_INT64_T_FMT " created customer %"
                  APR_INT64_T_FMT, c->staff->account_id, cust.id);
    *out = json_pack("{s:o}", "customer", jc_customer_json(&cust));
    return 201;
}

static int jc_route_staff_customer(jc_call_t *c, jc_result_t *res,
                                   json_t **out)
{
    jc_customer_t cust;
    json_t *codes = NULL, *onetime = NULL;

    *out = NULL;
    jc_customer_get(&c->db, res, c->staff->jobcenter_id, c->path_id, &cust,
                    c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    jc_customer_codes(&c->db, res, cust.id, c->now, &codes, c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    jc_customer_onetime(&c->db, res, cust.id, c->now, &onetime, c->r->pool);
    if (res->status != 200) {
        json_decref(codes);
        return res->status;
    }
    *out = json_pack("{s:o, s:o, s:o}", "customer", jc_customer_json(&cust),
                     "codes", codes, "onetime", onetime);
    return 200;
}

/* Issue a code and answer with its letter (application/pdf): the plain
 * code exists only in this answer (see docs/internals.md). */
static int jc_route_staff_code_issue(jc_call_t *c, jc_result_t *res,
                                     json_t **out)
{
    jc_customer_t cust;
    jc_fsc_issued_t iss;
    const char *pdf = NULL;
    apr_size_t len = 0;
    apr_pool_t *p = c->r->pool;

    *out = NULL;
    jc_customer_get(&c->db, res, c->staff->jobcenter_id, c->path_id, &cust,
                    p);
    if (res->status != 200) {
        return res->status;
    }
    jc_fsc_issue(&c->db, res, c->staff->account_id, &cust,
                 c->conf->fsc_validity * 86400, c->conf->base_url, c->now,
                 &iss, &pdf, &len, p);
    memset(iss.code, 0, sizeof(iss.code));
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00602)
                  "staff %" APR_INT64_T_FMT " issued a Freischaltcode for "
                  "customer %" APR_INT64_T_FMT " (%d older voided)",
                  c->staff->account_id, cust.id, iss.voided);
    c->raw = pdf;
    c->raw_len = len;
    c->raw_type = "application/pdf";
    apr_table_setn(c->r->err_headers_out, "Content-Disposition",
                   apr_psprintf(p, "attachment; filename=\"Freischaltcode-"
                                "%s.pdf\"", cust.kundennummer));
    apr_table_setn(c->r->err_headers_out, "X-Freischaltcode-Expires",
                   apr_psprintf(p, "%" APR_INT64_T_FMT, iss.expires_at));
    return 201;
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_staff[] = {
    /* staff (Sachbearbeitung): complete session + staff role; '*' is a
     * customer id */
    { M_GET, "staff/me", JC_LEVEL_STAFF, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_staff_me },
    { M_GET, "staff/customers", JC_LEVEL_STAFF, JC_BODY_NONE, JC_CONN_HANDLER,
      jc_route_staff_customers },
    { M_POST, "staff/customers", JC_LEVEL_STAFF, JC_BODY_JSON, JC_CONN_HANDLER,
      jc_route_staff_customer_create },
    { M_GET, "staff/customers/*", JC_LEVEL_STAFF, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_staff_customer },
    { M_POST, "staff/customers/*/freischaltcode", JC_LEVEL_STAFF, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_staff_code_issue },
    { 0, NULL, 0, 0, 0, NULL }
};

/* The Online-Kommunikation routes of the JSON API: status, consent
 * ("aktivieren") and deactivation request ("deaktivieren"). The route table
 * in mod_jobcenter_api.c has already checked Origin, the full two-factor
 * session and the CSRF token; the flows are in the core (jc_online.c). */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_jobcenter.h"
#include "jc_online.h"

APLOG_USE_MODULE(jobcenter);

static void online_cfg(jc_call_t *c, jc_online_cfg_t *cfg)
{
    cfg->base_url = c->conf->base_url;
    cfg->mail_from = c->conf->mail_from;
    cfg->deact_days = (int)c->conf->online_days;
    cfg->holiday_region = c->conf->holiday_region;
}

/* The status answer shared by the three routes. */
static int answer(jc_call_t *c, jc_result_t *res,
                  const jc_online_state_t *st, json_t **out)
{
    char date[11] = "";
    int pending = st->active && st->deact_effective > 0;

    if (pending) {
        jc_online_local_date(st->deact_effective, date);
    }
    *out = json_pack("{s:b, s:s, s:b, s:i, s:s, s:b}",
                     "active", st->active,
                     "status", !st->active ? "inaktiv" : pending
                               ? "deaktivierung_beantragt" : "aktiv",
                     "email_confirmed", c->sess.email_confirmed > 0,
                     "deactivation_days", (int)c->conf->online_days,
                     "text_version", JC_ONLINE_TEXT_VERSION,
                     "pending_deactivation", pending);
    if (!*out) {
        return jc_result_internal(res, "json_pack of the online state");
    }
    if (st->active) {
        json_object_set_new(*out, "active_since",
                            json_integer((json_int_t)st->active_since));
        json_object_set_new(*out, "consent_text_version",
                            json_string(st->text_version
                                        ? st->text_version : ""));
    }
    if (pending) {
        json_object_set_new(*out, "deactivation_requested_at",
                            json_integer((json_int_t)st->deact_requested));
        json_object_set_new(*out, "deactivation_effective_at",
                            json_integer((json_int_t)st->deact_effective));
        json_object_set_new(*out, "deactivation_effective_date",
                            json_string(date));
    }
    return 200;
}

static int jc_route_online_get(jc_call_t *c, jc_result_t *res, json_t **out)
{
    jc_online_state_t st;
    jc_db_rc_e rc;

    *out = NULL;
    rc = jc_online_get(&c->db, &st, c->sess.account_id, c->now, c->r->pool);
    if (jc_db_fail(res, &c->db, rc, c->r->pool)) {
        return res->status;
    }
    return answer(c, res, &st, out);
}

static int jc_route_online_activate(jc_call_t *c, jc_result_t *res,
                                    json_t **out)
{
    jc_online_state_t st;
    jc_online_cfg_t cfg;

    *out = NULL;
    online_cfg(c, &cfg);
    jc_online_activate(&c->db, res, &st, &cfg, &c->sess, c->now, c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00160)
                  "Online-Kommunikation active: account %" APR_INT64_T_FMT,
                  c->sess.account_id);
    return answer(c, res, &st, out);
}

static int jc_route_online_deactivate(jc_call_t *c, jc_result_t *res,
                                      json_t **out)
{
    jc_online_state_t st;
    jc_online_cfg_t cfg;

    *out = NULL;
    online_cfg(c, &cfg);
    jc_online_deactivate(&c->db, res, &st, &cfg, &c->sess, c->now,
                         c->r->pool);
    if (res->status != 200) {
        return res->status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, JCLOG(00161)
                  "Online-Kommunikation deactivation requested: account %"
                  APR_INT64_T_FMT ", effective %" APR_INT64_T_FMT,
                  c->sess.account_id, st.deact_effective);
    return answer(c, res, &st, out);
}

/* ---- routes (looked up by mod_jobcenter_api.c) ------------------------ */

const jc_route_t jc_routes_online[] = {
    /* Online-Kommunikation: fully signed in */
    { M_GET, "online-kommunikation", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_online_get },
    { M_POST, "online-kommunikation/aktivieren", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_online_activate },
    { M_POST, "online-kommunikation/deaktivieren", JC_LEVEL_FULL, JC_BODY_NONE,
      JC_CONN_HANDLER,
      jc_route_online_deactivate },
    { 0, NULL, 0, 0, 0, NULL }
};

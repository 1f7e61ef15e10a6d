/* The request layer of the glue: what the API (mod_jobcenter_api.c), the
 * gate (mod_jobcenter_gate.c) and the feature glue share about one
 * request - its database connection, the session cookie, the session
 * check, the staff role check, the JSON body and the query string. One
 * implementation each; the callers only choose their answers (the API's
 * JSON errors, the gate's 303/401/403/503).
 *
 *   request -> gate / API -> request layer -> core (jc_*) -> jc_db -> row
 *
 * Glue only (httpd types); the core never sees any of it. */
#ifndef MOD_JOBCENTER_REQUEST_H
#define MOD_JOBCENTER_REQUEST_H

#include "mod_jobcenter.h"   /* apr_dbd.h before mod_dbd.h */

/* ---- database handle -------------------------------------------------- */

/* Point a core jc_db_t at mod_dbd's connection (driver, handle and the
 * statements mod_dbd prepared on it); the connection stays mod_dbd's. */
static inline void jc_db_bind(jc_db_t *db, const ap_dbd_t *dbd)
{
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->prepared = dbd->prepared;
}

/* The request's connection in *db: nothing to do when db is bound
 * already, else mod_dbd's connection of this request (wait:
 * jc_dbd_acquire_wait, else one attempt). 1 when db is bound, 0 when
 * there is no connection (db stays unbound). */
int jc_req_db(request_rec *r, jc_db_t *db, int wait);

/* A connection of its own for work outside a request (watchdogs,
 * start-up, a long upload body): jc_dbd_open_wait with `tries` attempts,
 * bound into *db. The ap_dbd_t to give back with jc_dbd_release, or
 * NULL (db untouched). */
ap_dbd_t *jc_req_db_open(jc_db_t *db, apr_pool_t *p, server_rec *s,
                         int tries);

/* ---- session cookie --------------------------------------------------- */

/* Every name the session cookie has (NULL-terminated): "__Host-" with
 * Secure, and the plain one of JobcenterCookieSecure Off on localhost. */
extern const char *const jc_req_cookie_names[];

/* The name this request's session cookie has. */
const char *jc_req_cookie_name(request_rec *r,
                               const jc_srv_conf_t *conf);

/* The session cookie sent with the request, or NULL. */
const char *jc_req_session_cookie(request_rec *r,
                                  const jc_srv_conf_t *conf);

/* Set the session cookie (value NULL: clear it with Max-Age=0). */
void jc_req_set_cookie(request_rec *r, const jc_srv_conf_t *conf,
                       const char *value);

/* ---- session ---------------------------------------------------------- */

/* The outcome of a session check. */
typedef enum {
    JC_REQ_SESS_OK = 0,      /* *s is the session                        */
    JC_REQ_SESS_UNKNOWN,     /* no such (live) session                   */
    JC_REQ_SESS_EXPIRED,     /* the session has expired                  */
    JC_REQ_SESS_NO_DB,       /* the cache missed and no connection       */
    JC_REQ_SESS_DB_FAILED    /* the lookup failed (*rc: BUSY or other)   */
} jc_req_sess_e;

/* The session of a token (the cookie): jc_session_load(_kn) through this
 * host's session cache; *db (driver NULL: none yet) is bound only when
 * the cache cannot answer (wait: as jc_req_db). with_kn: the
 * Kundennummer joined in. *rc gets the database's answer. */
jc_req_sess_e jc_req_session(request_rec *r, jc_srv_conf_t *conf,
                             const char *token, int with_kn, int wait,
                             jc_db_t *db, jc_session_t *s, jc_db_rc_e *rc);

/* ---- staff role ------------------------------------------------------- */

/* The caller's staff row, loaded once per request (kept in the request
 * pool's user data). Binds *db first when it is not (jc_req_db, wait);
 * no connection: JC_DB_BUSY with db->driver NULL. JC_DB_OK with *st,
 * JC_DB_NOROW (not staff, *st NULL), or the database's error. */
jc_db_rc_e jc_req_staff(request_rec *r, jc_db_t *db, apr_int64_t account_id,
                        const jc_staff_t **st);

/* Why a staff row does not carry `role` (JC_ROLE_*): "not staff", "staff
 * disabled", "role too low"; NULL when it does. */
const char *jc_req_role_refusal(const jc_staff_t *st, int role);

/* ---- body and query --------------------------------------------------- */

/* "application/json", optionally with parameters. */
int jc_req_is_json_type(const char *ct);

/* No body at all, or a body declared as JSON (what a route that ignores
 * its body still accepts). */
int jc_req_no_body_or_json(request_rec *r);

/* res: 415 unsupported_media_type (the API speaks only JSON). */
int jc_req_unsupported_type(jc_result_t *res);

/* Read and parse a JSON object body of at most max bytes: type and size
 * are checked before reading, the running total while reading. OK with
 * *body set (freed with the request pool); AP_FILTER_ERROR when an input
 * filter has answered already; else the HTTP status with res filled. A
 * body not read to its end closes the connection. */
int jc_req_json_body(request_rec *r, apr_off_t max, json_t **body,
                     jc_result_t *res);

/* Every query parameter, URL-decoded, is free of NUL bytes (1); 0 with
 * *field the offending parameter's name (NULL when the name holds it). */
int jc_req_query_nul_free(request_rec *r, const char **field);

/* A query parameter, URL-decoded, or NULL. */
const char *jc_req_query_arg(request_rec *r, const char *key);

#endif

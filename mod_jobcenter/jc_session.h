/* Sessions: the state machine of DESIGN.md, kept server-side in the
 * session row; the cookie holds a 256-bit random token, the row only its
 * SHA-256. Core: no httpd headers. */
#ifndef JC_SESSION_H
#define JC_SESSION_H

#include <apr_pools.h>
#include <apr_time.h>

#include "jc_db.h"
#include "jc_result.h"

/* Session states. Values are stored in session.state; never renumber. */
typedef enum {
    JC_SESS_ANONYMOUS = 0,                /* no session                    */
    JC_SESS_PASSWORD_OK = 1,              /* password checked (transient)  */
    JC_SESS_PASSWORD_CHANGE_REQUIRED = 2, /* one-time password used        */
    JC_SESS_EMAIL_REQUIRED = 3,           /* account has no e-mail yet     */
    JC_SESS_MFA_SETUP_REQUIRED = 4,       /* no second factor enrolled     */
    JC_SESS_MFA_REQUIRED = 5,             /* second factor must be passed  */
    JC_SESS_AUTHENTICATED = 6             /* fully signed in               */
} jc_sess_state_e;

/* Session timing, from the configuration. */
typedef struct {
    apr_int64_t idle;      /* idle timeout, seconds                      */
    apr_int64_t max_life;  /* absolute lifetime, seconds                 */
    apr_int64_t touch;     /* last_seen is written at most this often    */
} jc_sess_cfg_t;

/* A loaded session with the account fields every route needs. */
typedef struct {
    const char *id_hash;          /* SHA-256 hex of the cookie token      */
    apr_int64_t account_id;       /* account.id                           */
    jc_sess_state_e state;        /* current state                        */
    const char *csrf_token;       /* per-session CSRF token               */
    apr_int64_t last_seen;        /* epoch seconds                        */
    apr_int64_t expires_at;       /* absolute end, epoch seconds          */
    const char *email;            /* account e-mail or NULL               */
    const char *username;         /* account username or NULL             */
    apr_int64_t email_confirmed;  /* confirmation time or 0               */
    apr_int64_t created_at;       /* account creation time                */
    const char *kundennummer;     /* person profile's Kundennummer or NULL;
                                   * only read by jc_session_load_kn      */
    apr_int64_t verified_at;      /* last password/factor check, 0 = none */
    const char *client_ip;        /* address of the current request (set
                                   * by the glue; recorded in sessions
                                   * created from this one) or NULL       */
    const char *user_agent;       /* User-Agent of the current request,
                                   * cut (jc_session_user_agent), or NULL */
} jc_session_t;

/* What a new session row records besides account and state. */
typedef struct {
    apr_int64_t verified_at;      /* last password/factor check, 0 = none */
    const char *user_agent;       /* jc_session_user_agent() or NULL      */
    const char *client_ip;        /* client address or NULL               */
} jc_sess_meta_t;

/* Most characters of a User-Agent a session records. */
#define JC_SESS_UA_MAX 200

/* The User-Agent header as a session records it: cut to JC_SESS_UA_MAX
 * characters at a character boundary, invalid UTF-8 bytes and control
 * characters replaced by '?'. NULL for NULL or an empty header. */
const char *jc_session_user_agent(const char *ua, apr_pool_t *p);

/* 1 if the session's last password or factor check is at most window
 * seconds old. */
int jc_session_fresh(const jc_session_t *s, apr_int64_t window,
                     apr_int64_t now);

/* Changes to factors by a fully signed-in session need a fresh check:
 * for a session in state authenticated whose check is older than window,
 * res becomes 403 reauth_required and 1 is returned. Other states (the
 * first factor in mfa_setup_required right after the password) pass. */
int jc_session_require_fresh(jc_result_t *res, const jc_session_t *s,
                             apr_int64_t window, apr_int64_t now,
                             apr_pool_t *p);

/* Record a password or factor check now (session.verified_at). */
jc_db_rc_e jc_session_verified(jc_db_t *db, const char *id_hash,
                               apr_int64_t now, apr_pool_t *p);

/* Progress level of a state: routes accept states whose level is >= their
 * declared minimum. MFA_SETUP_REQUIRED and MFA_REQUIRED share a level. */
int jc_session_level(jc_sess_state_e st);

/* API name of a state ("mfa_setup_required", ...). */
const char *jc_session_state_name(jc_sess_state_e st);

/* The state that follows a successful password check. */
jc_sess_state_e jc_session_after_password(int password_change_required,
                                          int has_email, int has_factor);

/* Create a session row in the open transaction (if any). *token receives
 * the cookie value, *csrf the CSRF token. meta (may be NULL: nothing
 * recorded) gives verified_at, User-Agent and client address. */
jc_db_rc_e jc_session_create(jc_db_t *db, const char **token,
                             const char **csrf, apr_int64_t *expires_at,
                             apr_int64_t account_id, jc_sess_state_e st,
                             const jc_sess_meta_t *meta,
                             const jc_sess_cfg_t *cfg, apr_int64_t now,
                             apr_pool_t *p);

/* Load the session for a cookie token. Returns JC_DB_NOROW for an unknown,
 * idle-expired or lifetime-expired session (expired rows are deleted and
 * *expired set to 1). Writes last_seen only when it is older than
 * cfg->touch seconds, so most requests cost one SELECT. */
jc_db_rc_e jc_session_load(jc_db_t *db, jc_session_t *s, int *expired,
                           const char *token, const jc_sess_cfg_t *cfg,
                           apr_int64_t now, apr_pool_t *p);

/* jc_session_load, and with it (in the same SELECT, jc_sess_get_kn) the
 * Kundennummer of the account's person profile into s->kundennummer
 * (NULL when it has none). For gates that pass it on to a backend. */
jc_db_rc_e jc_session_load_kn(jc_db_t *db, jc_session_t *s, int *expired,
                              const char *token, const jc_sess_cfg_t *cfg,
                              apr_int64_t now, apr_pool_t *p);

/* jc_session_load (with_kn: jc_session_load_kn) for the id hash of a
 * well-formed token (jc_token_hash); s->id_hash becomes id_hash. */
jc_db_rc_e jc_session_load_by_hash(jc_db_t *db, jc_session_t *s,
                                   int *expired, const char *id_hash,
                                   int with_kn, const jc_sess_cfg_t *cfg,
                                   apr_int64_t now, apr_pool_t *p);

/* Delete a session by its id hash. */
jc_db_rc_e jc_session_delete(jc_db_t *db, const char *id_hash,
                             apr_pool_t *p);

/* jc_session_delete; *nrows (may be NULL) = sessions deleted (0 when a
 * parallel request deleted it first). */
jc_db_rc_e jc_session_delete_n(jc_db_t *db, const char *id_hash,
                               int *nrows, apr_pool_t *p);

/* Delete every session of an account (jc_sess_drop_account), in the
 * caller's transaction. */
jc_db_rc_e jc_session_drop_account(jc_db_t *db, apr_int64_t account_id,
                                   apr_pool_t *p);

/* Delete every session of an account but the one with keep_id_hash
 * (jc_konto_sess_drop_others), in the caller's transaction; *nrows (may
 * be NULL) = sessions deleted. */
jc_db_rc_e jc_session_drop_others(jc_db_t *db, apr_int64_t account_id,
                                  const char *keep_id_hash, int *nrows,
                                  apr_pool_t *p);

#endif

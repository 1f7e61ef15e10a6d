/* Session rows and the state machine (see jc_session.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_session.h"
#include "jc_token.h"
#include "jc_utf8.h"

/* jc_sess_get_kn is read with jc_sess_get's column indexes */
#define SAME_COL(c) (JC_COL_SESS_GET_KN_##c == JC_COL_SESS_GET_##c)
_Static_assert(SAME_COL(ACCOUNT_ID) && SAME_COL(STATE) && SAME_COL(CSRF_TOKEN)
               && SAME_COL(LAST_SEEN) && SAME_COL(EXPIRES_AT)
               && SAME_COL(EMAIL) && SAME_COL(USERNAME)
               && SAME_COL(EMAIL_CONFIRMED_AT) && SAME_COL(CREATED_AT)
               && SAME_COL(VERIFIED_AT),
               "jc_sess_get_kn starts with the columns of jc_sess_get");
#undef SAME_COL

int jc_session_level(jc_sess_state_e st)
{
    switch (st) {
    case JC_SESS_PASSWORD_OK:              return 1;
    case JC_SESS_PASSWORD_CHANGE_REQUIRED: return 2;
    case JC_SESS_EMAIL_REQUIRED:           return 3;
    case JC_SESS_MFA_SETUP_REQUIRED:       return 4;
    case JC_SESS_MFA_REQUIRED:             return 4;
    case JC_SESS_AUTHENTICATED:            return 5;
    default:                               return 0;
    }
}

const char *jc_session_state_name(jc_sess_state_e st)
{
    switch (st) {
    case JC_SESS_PASSWORD_OK:              return "password_ok";
    case JC_SESS_PASSWORD_CHANGE_REQUIRED: return "password_change_required";
    case JC_SESS_EMAIL_REQUIRED:           return "email_required";
    case JC_SESS_MFA_SETUP_REQUIRED:       return "mfa_setup_required";
    case JC_SESS_MFA_REQUIRED:             return "mfa_required";
    case JC_SESS_AUTHENTICATED:            return "authenticated";
    default:                               return "anonymous";
    }
}

jc_sess_state_e jc_session_after_password(int password_change_required,
                                          int has_email, int has_factor)
{
    if (password_change_required) {
        return JC_SESS_PASSWORD_CHANGE_REQUIRED;
    }
    if (!has_email) {
        return JC_SESS_EMAIL_REQUIRED;
    }
    return has_factor ? JC_SESS_MFA_REQUIRED : JC_SESS_MFA_SETUP_REQUIRED;
}

jc_db_rc_e jc_session_create(jc_db_t *db, const char **token,
                             const char **csrf, apr_int64_t *expires_at,
                             apr_int64_t account_id, jc_sess_state_e st,
                             const jc_sess_meta_t *meta,
                             const jc_sess_cfg_t *cfg, apr_int64_t now,
                             apr_pool_t *p)
{
    apr_int64_t state = st, exp = now + cfg->max_life;
    apr_int64_t verified = meta ? meta->verified_at : 0;
    const char *hash;
    const void *args[10];

    if (jc_token_new(token, 32, p) != APR_SUCCESS
        || jc_token_new(csrf, 32, p) != APR_SUCCESS) {
        db->last_error = "RAND_bytes failed";
        return JC_DB_ERROR;
    }
    hash = jc_token_hash(*token, strlen(*token), p);
    args[0] = hash;
    args[1] = &account_id;
    args[2] = &state;
    args[3] = *csrf;
    args[4] = &now;
    args[5] = &now;
    args[6] = &exp;
    args[7] = &verified;
    args[8] = meta ? meta->user_agent : NULL;
    args[9] = meta ? meta->client_ip : NULL;
    *expires_at = exp;
    return jc_db_exec(db, NULL, JC_SQL_SESS_INSERT, args, p);
}

jc_db_rc_e jc_session_load_by_hash(jc_db_t *db, jc_session_t *s,
                                   int *expired, const char *id_hash,
                                   int with_kn, const jc_sess_cfg_t *cfg,
                                   apr_int64_t now, apr_pool_t *p)
{
    jc_db_row_t row;
    jc_db_rc_e rc;
    apr_int64_t st;
    const void *args[3];
    apr_int64_t cut;

    memset(s, 0, sizeof(*s));
    *expired = 0;
    if (!id_hash) {
        return JC_DB_ERROR;
    }
    s->id_hash = id_hash;
    args[0] = s->id_hash;
    rc = jc_db_select1(db, &row, with_kn ? JC_SQL_SESS_GET_KN : JC_SQL_SESS_GET,
                       args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    /* jc_sess_get_kn: the columns of jc_sess_get, then the Kundennummer */
    jc_db_col_i64(&row, JC_COL_SESS_GET_ACCOUNT_ID, &s->account_id, 0);
    jc_db_col_i64(&row, JC_COL_SESS_GET_STATE, &st, 0);
    s->state = (jc_sess_state_e)st;
    s->csrf_token = jc_db_col_str(&row, JC_COL_SESS_GET_CSRF_TOKEN, p);
    jc_db_col_i64(&row, JC_COL_SESS_GET_LAST_SEEN, &s->last_seen, 0);
    jc_db_col_i64(&row, JC_COL_SESS_GET_EXPIRES_AT, &s->expires_at, 0);
    s->email = jc_db_col_str(&row, JC_COL_SESS_GET_EMAIL, p);
    s->username = jc_db_col_str(&row, JC_COL_SESS_GET_USERNAME, p);
    jc_db_col_i64(&row, JC_COL_SESS_GET_EMAIL_CONFIRMED_AT,
                  &s->email_confirmed, 0);
    jc_db_col_i64(&row, JC_COL_SESS_GET_CREATED_AT, &s->created_at, 0);
    jc_db_col_i64(&row, JC_COL_SESS_GET_VERIFIED_AT, &s->verified_at, 0);
    if (with_kn) {
        s->kundennummer = jc_db_col_str(&row,
                                        JC_COL_SESS_GET_KN_KUNDENNUMMER, p);
        if (s->kundennummer && !*s->kundennummer) {
            s->kundennummer = NULL;     /* pgsql gives "" for NULL */
        }
    }

    if (now >= s->expires_at || now - s->last_seen >= cfg->idle
        || jc_session_level(s->state) == 0) {
        *expired = 1;
        jc_session_delete(db, s->id_hash, p);
        return JC_DB_NOROW;
    }
    if (now - s->last_seen >= cfg->touch) {
        /* sliding idle timeout without a write on every request; a failed
         * touch (busy) only shortens the idle window, so it is ignored.
         * The condition lets only the first of concurrent requests write. */
        cut = now - cfg->touch;
        args[0] = &now;
        args[1] = s->id_hash;
        args[2] = &cut;
        if (jc_db_exec(db, NULL, JC_SQL_SESS_TOUCH, args, p) == JC_DB_OK) {
            s->last_seen = now;
        }
    }
    return JC_DB_OK;
}

static jc_db_rc_e session_load(jc_db_t *db, jc_session_t *s, int *expired,
                               const char *token, const jc_sess_cfg_t *cfg,
                               int with_kn, apr_int64_t now, apr_pool_t *p)
{
    if (!jc_token_wellformed(token)) {
        memset(s, 0, sizeof(*s));
        *expired = 0;
        return JC_DB_NOROW;
    }
    return jc_session_load_by_hash(db, s, expired,
                                   jc_token_hash(token, strlen(token), p),
                                   with_kn, cfg, now, p);
}

jc_db_rc_e jc_session_load(jc_db_t *db, jc_session_t *s, int *expired,
                           const char *token, const jc_sess_cfg_t *cfg,
                           apr_int64_t now, apr_pool_t *p)
{
    return session_load(db, s, expired, token, cfg, 0, now, p);
}

jc_db_rc_e jc_session_load_kn(jc_db_t *db, jc_session_t *s, int *expired,
                              const char *token, const jc_sess_cfg_t *cfg,
                              apr_int64_t now, apr_pool_t *p)
{
    return session_load(db, s, expired, token, cfg, 1, now, p);
}

jc_db_rc_e jc_session_delete(jc_db_t *db, const char *id_hash,
                             apr_pool_t *p)
{
    return jc_session_delete_n(db, id_hash, NULL, p);
}

jc_db_rc_e jc_session_delete_n(jc_db_t *db, const char *id_hash,
                               int *nrows, apr_pool_t *p)
{
    const void *args[1];

    args[0] = id_hash;
    return jc_db_exec(db, nrows, JC_SQL_SESS_DELETE, args, p);
}

jc_db_rc_e jc_session_drop_account(jc_db_t *db, apr_int64_t account_id,
                                   apr_pool_t *p)
{
    const void *args[1];

    args[0] = &account_id;
    return jc_db_exec(db, NULL, JC_SQL_SESS_DROP_ACCOUNT, args, p);
}

jc_db_rc_e jc_session_drop_others(jc_db_t *db, apr_int64_t account_id,
                                  const char *keep_id_hash, int *nrows,
                                  apr_pool_t *p)
{
    const void *args[2];

    args[0] = &account_id;
    args[1] = keep_id_hash;
    return jc_db_exec(db, nrows, JC_SQL_KONTO_SESS_DROP_OTHERS, args, p);
}

const char *jc_session_user_agent(const char *ua, apr_pool_t *p)
{
    const unsigned char *u = (const unsigned char *)ua;
    size_t n, i = 0, o = 0, chars = 0;
    char *out;

    if (!ua || !*ua) {
        return NULL;
    }
    n = strlen(ua);
    out = apr_palloc(p, (n < JC_SESS_UA_MAX * 4 ? n : JC_SESS_UA_MAX * 4)
                        + 1);
    while (i < n && chars < JC_SESS_UA_MAX) {
        size_t k = jc_utf8_seq(u + i, n - i);

        if (k == 0 || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))
            || (k == 2 && u[i] == 0xC2 && u[i + 1] <= 0x9F)) {
            /* invalid byte or control character: one '?' for it */
            out[o++] = '?';
            i += k ? k : 1;
        }
        else {
            memcpy(out + o, u + i, k);
            o += k;
            i += k;
        }
        chars++;
    }
    out[o] = '\0';
    return out;
}

int jc_session_fresh(const jc_session_t *s, apr_int64_t window,
                     apr_int64_t now)
{
    return s->verified_at > 0 && now - s->verified_at <= window
           && s->verified_at <= now;
}

jc_db_rc_e jc_session_verified(jc_db_t *db, const char *id_hash,
                               apr_int64_t now, apr_pool_t *p)
{
    const void *args[2];
    int n = 0;
    jc_db_rc_e rc;

    args[0] = &now;
    args[1] = id_hash;
    rc = jc_db_exec(db, &n, JC_SQL_SESS_VERIFIED, args, p);
    return rc == JC_DB_OK && n != 1 ? JC_DB_NOROW : rc;
}

int jc_session_require_fresh(jc_result_t *res, const jc_session_t *s,
                             apr_int64_t window, apr_int64_t now,
                             apr_pool_t *p)
{
    if (s->state != JC_SESS_AUTHENTICATED
        || jc_session_fresh(s, window, now)) {
        return 0;
    }
    res->log = apr_psprintf(p, "last check %" APR_INT64_T_FMT " s ago, "
                            "window %" APR_INT64_T_FMT " s",
                            s->verified_at ? now - s->verified_at : -1,
                            window);
    jc_result_set(res, 403, "reauth_required",
                  "Bitte bestätigen Sie diese Änderung zuerst mit Ihrem "
                  "Passwort, einem Code aus Ihrer Authentifizierungs-App "
                  "oder einem Passkey.", NULL);
    return 1;
}

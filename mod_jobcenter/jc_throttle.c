/* Login throttling arithmetic (see jc_throttle.h). */
#include "jc_throttle.h"

_Static_assert(JC_COL_THR_TAKE_FAILURES == JC_COL_THR_ACCT_TAKE_FAILED_LOGINS,
               "jc_thr_take and jc_thr_acct_take return the count alike");

apr_int64_t jc_throttle_delay(const jc_throttle_cfg_t *cfg, apr_int64_t n)
{
    apr_int64_t d, over;

    if (cfg->max_failures > 0 && n >= cfg->max_failures) {
        return cfg->lock_secs;
    }
    if (n <= cfg->free_failures) {
        return 0;
    }
    over = n - cfg->free_failures - 1;
    if (over > 30) {
        return cfg->max_delay;
    }
    d = (apr_int64_t)1 << over;
    return d > cfg->max_delay ? cfg->max_delay : d;
}

/* The current failures and block of a refused row (same transaction). */
static jc_db_rc_e refused(jc_db_t *db, jc_thr_take_t *out,
                          jc_thr_row_e kind, const void *key,
                          const jc_throttle_cfg_t *cfg, apr_int64_t now,
                          apr_pool_t *p)
{
    apr_int64_t until = 0;
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = key;
    rc = jc_db_select1(db, &row, kind == JC_THR_ACCOUNT ? JC_SQL_THR_ACCT_GET
                       : JC_SQL_THR_GET, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    if (kind == JC_THR_ACCOUNT) {
        jc_db_col_i64(&row, JC_COL_THR_ACCT_GET_FAILED_LOGINS, &out->n, 0);
        jc_db_col_i64(&row, JC_COL_THR_ACCT_GET_LOGIN_BLOCKED_UNTIL, &until,
                      0);
    }
    else {
        jc_db_col_i64(&row, JC_COL_THR_GET_FAILURES, &out->n, 0);
        jc_db_col_i64(&row, JC_COL_THR_GET_BLOCKED_UNTIL, &until, 0);
    }
    out->wait = until - now > 0 ? until - now : 1;
    out->locked = cfg->max_failures > 0 && out->n >= cfg->max_failures;
    return JC_DB_OK;
}

jc_db_rc_e jc_throttle_reserve(jc_db_t *db, jc_thr_take_t *out,
                               jc_thr_row_e kind, const void *key,
                               const jc_throttle_cfg_t *cfg,
                               apr_int64_t window, apr_int64_t now,
                               apr_pool_t *p)
{
    apr_int64_t cut = window > 0 ? now - window : 0, until;
    int own = db->tx == NULL;
    const void *args[4];
    jc_db_row_t row;
    jc_db_rc_e rc = JC_DB_OK;

    out->reserved = 0;
    out->n = 0;
    out->wait = 0;
    out->locked = 0;
    if (own) {
        rc = jc_db_begin(db, p);
        if (rc != JC_DB_OK) {
            return rc;
        }
    }
    args[0] = key;
    args[1] = &now;
    args[2] = &cut;
    args[3] = &cut;
    rc = jc_db_select1(db, &row, kind == JC_THR_ACCOUNT ? JC_SQL_THR_ACCT_TAKE
                       : JC_SQL_THR_TAKE, args, p);
    if (rc == JC_DB_OK) {
        /* the count: FAILED_LOGINS or FAILURES, the only column */
        jc_db_col_i64(&row, JC_COL_THR_TAKE_FAILURES, &out->n, 1);
        out->reserved = 1;
        until = now + jc_throttle_delay(cfg, out->n);
        if (until > now) {
            args[0] = &until;
            args[1] = key;
            rc = jc_db_exec(db, NULL, kind == JC_THR_ACCOUNT
                            ? JC_SQL_THR_ACCT_BLOCK : JC_SQL_THR_BLOCK, args,
                            p);
        }
    }
    else if (rc == JC_DB_NOROW) {
        /* blocked (an upsert always gives a row unless refused); for an
         * account also: no such account (the read gives no row either) */
        rc = refused(db, out, kind, key, cfg, now, p);
    }
    if (rc != JC_DB_OK) {
        out->reserved = 0;
        if (own) {
            jc_db_rollback(db, p);
        }
        return rc;
    }
    if (own) {
        if (out->reserved) {
            rc = jc_db_commit(db, p);
            if (rc != JC_DB_OK) {
                out->reserved = 0;
            }
        }
        else {
            jc_db_rollback(db, p);
        }
    }
    return rc;
}

jc_db_rc_e jc_throttle_key_get(jc_db_t *db, jc_thr_key_t *out,
                               const char *key, apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = key;
    rc = jc_db_select1(db, &row, JC_SQL_THR_GET, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    jc_db_col_i64(&row, JC_COL_THR_GET_FAILURES, &out->failures, 0);
    out->has_last = jc_db_col_i64(&row, JC_COL_THR_GET_LAST_FAILURE,
                                  &out->last_failure, 0);
    jc_db_col_i64(&row, JC_COL_THR_GET_BLOCKED_UNTIL, &out->blocked_until,
                  0);
    return JC_DB_OK;
}

jc_db_rc_e jc_throttle_key_clear(jc_db_t *db, const char *key,
                                 apr_pool_t *p)
{
    const void *args[1];

    args[0] = key;
    return jc_db_exec(db, NULL, JC_SQL_THR_CLEAR, args, p);
}

jc_db_rc_e jc_throttle_key_block(jc_db_t *db, const char *key,
                                 apr_int64_t until, apr_pool_t *p)
{
    const void *args[2];

    args[0] = &until;
    args[1] = key;
    return jc_db_exec(db, NULL, JC_SQL_THR_BLOCK, args, p);
}

/* Mail outbox (see jc_outbox.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_metrics.h"
#include "jc_outbox.h"

jc_db_rc_e jc_outbox_enqueue(jc_db_t *db, const jc_mail_t *m,
                             apr_int64_t now, apr_pool_t *p)
{
    const void *args[5];
    jc_db_rc_e rc;

    args[0] = m->rcpt;
    args[1] = m->subject;
    args[2] = m->data;
    args[3] = &now;
    args[4] = &now;
    rc = jc_db_exec(db, NULL, JC_SQL_OUTBOX_INSERT, args, p);
    if (rc == JC_DB_OK) {
        /* counted when written: a transaction rolled back afterwards
         * (rare: its next statement failed) still counts it */
        jc_metrics_inc(JC_M_MAIL_QUEUED);
    }
    return rc;
}

jc_db_rc_e jc_outbox_enqueue_composed(jc_db_t *db, const jc_mail_t *m,
                                      const char *what, apr_int64_t now,
                                      apr_pool_t *p)
{
    if (!m) {
        db->last_error = apr_pstrcat(p, "could not compose ", what, NULL);
        return JC_DB_ERROR;
    }
    return jc_outbox_enqueue(db, m, now, p);
}

apr_int64_t jc_outbox_backoff(const jc_outbox_cfg_t *cfg, int attempts)
{
    apr_int64_t d = cfg->retry_base;
    int i;

    for (i = 1; i < attempts && d < cfg->retry_max; i++) {
        d *= 2;
    }
    return d > cfg->retry_max ? cfg->retry_max : d;
}

static apr_int64_t lease_of(const jc_outbox_cfg_t *cfg)
{
    return cfg->lease > 0 ? cfg->lease : JC_OUTBOX_LEASE_DEF;
}

jc_db_rc_e jc_outbox_fetch_due(jc_db_t *db, jc_outbox_item_t **items,
                               int *n, apr_int64_t now, apr_pool_t *p)
{
    jc_db_res_t res;
    jc_db_rc_e rc;
    const void *args[2];
    int i;

    *items = NULL;
    *n = 0;
    args[0] = &now;
    args[1] = &now;
    rc = jc_db_select(db, &res, JC_SQL_OUTBOX_DUE, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    *items = apr_pcalloc(p, sizeof(jc_outbox_item_t) * (res.nrows + 1));
    for (i = 0; i < res.nrows; i++) {
        jc_outbox_item_t *it = &(*items)[*n];
        jc_db_row_t row;
        apr_int64_t attempts;

        if (jc_db_res_row(&res, i, &row, p) != 0) {
            break;
        }
        jc_db_col_i64(&row, JC_COL_OUTBOX_DUE_ID, &it->id, 0);
        it->rcpt = apr_pstrdup(p, jc_db_col_str(&row, JC_COL_OUTBOX_DUE_RCPT,
                                                 p));
        it->data = apr_pstrdup(p, jc_db_col_str(&row,
                                                 JC_COL_OUTBOX_DUE_MESSAGE, p));
        jc_db_col_i64(&row, JC_COL_OUTBOX_DUE_ATTEMPTS, &attempts, 0);
        it->attempts = (int)attempts;
        if (it->rcpt && it->data) {
            (*n)++;
        }
    }
    return JC_DB_OK;
}

jc_db_rc_e jc_outbox_claim(jc_db_t *db, int *claimed,
                           const jc_outbox_item_t *it, const char *owner,
                           const jc_outbox_cfg_t *cfg, apr_int64_t now,
                           apr_pool_t *p)
{
    apr_int64_t id = it->id;
    apr_int64_t until = now + lease_of(cfg);
    const void *args[5];
    jc_db_rc_e rc;
    int n = 0;

    *claimed = 0;
    args[0] = owner;
    args[1] = &until;
    args[2] = &id;
    args[3] = &now;
    args[4] = &now;
    rc = jc_db_exec(db, &n, JC_SQL_OUTBOX_CLAIM, args, p);
    if (rc == JC_DB_OK) {
        *claimed = n == 1;
    }
    return rc;
}

jc_outbox_outcome_e jc_outbox_send(const jc_outbox_cfg_t *cfg,
                                   const jc_outbox_item_t *it,
                                   const char **err, apr_pool_t *p)
{
    apr_status_t rv;

    *err = NULL;
    if (cfg->transport == JC_MAIL_SMTP) {
        int reply = 0;

        rv = jc_mail_smtp_send_ex(&cfg->smtp, it->rcpt, it->data, err,
                                  &reply, p);
        if (rv == APR_SUCCESS) {
            return JC_OUTBOX_SENT;
        }
        if (reply >= 500 && reply <= 599) {
            /* RFC 5321 4.2.1: permanent negative completion, the same
             * mail will be refused again */
            *err = apr_psprintf(p, "SMTP %d: %s", reply,
                                *err ? *err : "refused");
            return JC_OUTBOX_PARK;
        }
        if (rv == APR_EINVAL) {
            return JC_OUTBOX_PARK;  /* an address no relay will take */
        }
        return JC_OUTBOX_RETRY;
    }
    /* the id keeps names unique; a retry after a crash between writing
     * and recording overwrites the same file */
    rv = jc_mail_spool_write(cfg->spool_dir,
                             apr_psprintf(p, "mail-%010" APR_INT64_T_FMT,
                                          it->id),
                             it->data, p);
    if (rv != APR_SUCCESS) {
        char buf[120];

        *err = apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
        return JC_OUTBOX_RETRY;
    }
    return JC_OUTBOX_SENT;
}

jc_db_rc_e jc_outbox_record(jc_db_t *db, int *recorded,
                            const jc_outbox_item_t *it,
                            jc_outbox_outcome_e outcome, const char *err,
                            const char *owner, const jc_outbox_cfg_t *cfg,
                            apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = it->id;
    apr_int64_t next = now + jc_outbox_backoff(cfg, it->attempts + 1);
    const void *args[4];
    jc_sql_id_e stmt;
    jc_db_rc_e rc;
    int n = 0;

    if (outcome == JC_OUTBOX_SENT) {
        stmt = JC_SQL_OUTBOX_SENT;
        args[0] = &now;
        args[1] = &id;
        args[2] = owner;
    }
    else {
        stmt = outcome == JC_OUTBOX_PARK ? JC_SQL_OUTBOX_PARK
                                         : JC_SQL_OUTBOX_FAILED;
        args[0] = outcome == JC_OUTBOX_PARK ? &now : &next;
        args[1] = err ? err : "unknown error";
        args[2] = &id;
        args[3] = owner;
    }
    rc = jc_db_exec(db, &n, stmt, args, p);
    if (recorded) {
        *recorded = rc == JC_DB_OK && n == 1;
    }
    if (rc == JC_DB_OK && n == 1) {
        jc_metrics_inc(outcome == JC_OUTBOX_SENT ? JC_M_MAIL_SENT
                       : outcome == JC_OUTBOX_PARK ? JC_M_MAIL_PARKED
                       : JC_M_MAIL_RETRY);
    }
    return rc;
}

jc_db_rc_e jc_outbox_deliver_due(jc_db_t *db, int *sent, int *failed,
                                 const jc_outbox_cfg_t *cfg,
                                 const char *owner, apr_int64_t now,
                                 jc_outbox_log_fn *log, void *baton,
                                 apr_pool_t *p)
{
    jc_outbox_item_t *items;
    jc_db_rc_e rc;
    int i, n;

    *sent = *failed = 0;
    rc = jc_outbox_fetch_due(db, &items, &n, now, p);
    for (i = 0; rc == JC_DB_OK && i < n; i++) {
        jc_outbox_outcome_e oc;
        const char *err;
        int claimed = 0;

        rc = jc_outbox_claim(db, &claimed, &items[i], owner, cfg, now, p);
        if (rc != JC_DB_OK || !claimed) {
            continue;
        }
        oc = jc_outbox_send(cfg, &items[i], &err, p);
        rc = jc_outbox_record(db, NULL, &items[i], oc, err, owner, cfg, now,
                              p);
        if (oc == JC_OUTBOX_SENT) {
            (*sent)++;
        }
        else {
            (*failed)++;
        }
        if (log) {
            log(baton, items[i].id, oc, items[i].attempts + 1, err);
        }
        if (oc == JC_OUTBOX_RETRY) {
            /* the relay or spool is failing: leave the rest for later
             * instead of paying a timeout per mail now */
            break;
        }
    }
    return rc;
}

int jc_outbox_unrec_add(jc_outbox_unrec_t *u, const jc_outbox_item_t *it,
                        jc_outbox_outcome_e outcome, const char *err,
                        apr_int64_t now)
{
    jc_outbox_unrec_entry_t *e;

    if (jc_outbox_unrec_has(u, it->id)) {
        return 0;
    }
    if (u->n >= JC_OUTBOX_UNREC_MAX) {
        return -1;
    }
    e = &u->e[u->n++];
    e->id = it->id;
    e->attempts = it->attempts;
    e->outcome = outcome;
    e->at = now;
    apr_cpystrn(e->err, err ? err : "", sizeof(e->err));
    if (u->next_try < now + 1) {
        u->next_try = now + 1;
    }
    return 0;
}

int jc_outbox_unrec_has(const jc_outbox_unrec_t *u, apr_int64_t id)
{
    int i;

    for (i = 0; i < u->n; i++) {
        if (u->e[i].id == id) {
            return 1;
        }
    }
    return 0;
}

jc_db_rc_e jc_outbox_unrec_flush(jc_db_t *db, jc_outbox_unrec_t *u,
                                 const char *owner,
                                 const jc_outbox_cfg_t *cfg,
                                 apr_int64_t now, apr_pool_t *p)
{
    jc_db_rc_e rc = JC_DB_OK;

    if (u->n == 0 || now < u->next_try) {
        return JC_DB_OK;
    }
    while (u->n > 0) {
        jc_outbox_unrec_entry_t *e = &u->e[u->n - 1];
        jc_outbox_item_t it;

        memset(&it, 0, sizeof(it));
        it.id = e->id;
        it.attempts = e->attempts;
        /* a sent mail keeps the time it went out; a failure gets its
         * backoff from now */
        rc = jc_outbox_record(db, NULL, &it, e->outcome,
                              e->err[0] ? e->err : NULL, owner, cfg,
                              e->outcome == JC_OUTBOX_SENT ? e->at : now, p);
        if (rc != JC_DB_OK) {
            break;
        }
        u->n--;
    }
    if (rc != JC_DB_OK) {
        u->delay = u->delay <= 0 ? 1 : u->delay * 2;
        if (u->delay > 8) {
            u->delay = 8;
        }
        u->next_try = now + u->delay;
    }
    else {
        u->delay = 0;
        u->next_try = 0;
    }
    return rc;
}

/* Mail outbox (see jc_outbox.h). */
#include <apr_strings.h>

#include "jc_outbox.h"

jc_db_rc_e jc_outbox_enqueue(jc_db_t *db, const jc_mail_t *m,
                             apr_int64_t now, apr_pool_t *p)
{
    const void *args[5];

    args[0] = m->rcpt;
    args[1] = m->subject;
    args[2] = m->data;
    args[3] = &now;
    args[4] = &now;
    return jc_db_exec(db, NULL, "jc_outbox_insert", args, p);
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

jc_db_rc_e jc_outbox_fetch_due(jc_db_t *db, jc_outbox_item_t **items,
                               int *n, apr_int64_t now, apr_pool_t *p)
{
    jc_db_res_t res;
    jc_db_rc_e rc;
    const void *args[1];
    int i;

    *items = NULL;
    *n = 0;
    args[0] = &now;
    rc = jc_db_select(db, &res, "jc_outbox_due", args, p);
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
        jc_db_col_i64(&row, 0, &it->id, 0);
        it->rcpt = apr_pstrdup(p, jc_db_col_str(&row, 1, p));
        it->data = apr_pstrdup(p, jc_db_col_str(&row, 2, p));
        jc_db_col_i64(&row, 3, &attempts, 0);
        it->attempts = (int)attempts;
        if (it->rcpt && it->data) {
            (*n)++;
        }
    }
    return JC_DB_OK;
}

apr_status_t jc_outbox_send(const jc_outbox_cfg_t *cfg,
                            const jc_outbox_item_t *it, const char **err,
                            apr_pool_t *p)
{
    apr_status_t rv;

    *err = NULL;
    if (cfg->transport == JC_MAIL_SMTP) {
        return jc_mail_smtp_send(&cfg->smtp, it->rcpt, it->data, err, p);
    }
    /* the id keeps names unique; delivery is at-least-once, so a retry
     * after a crash overwrites the same file */
    rv = jc_mail_spool_write(cfg->spool_dir,
                             apr_psprintf(p, "mail-%010" APR_INT64_T_FMT,
                                          it->id),
                             it->data, p);
    if (rv != APR_SUCCESS) {
        char buf[120];

        *err = apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
    }
    return rv;
}

jc_db_rc_e jc_outbox_record(jc_db_t *db, const jc_outbox_item_t *it,
                            int ok, const char *err,
                            const jc_outbox_cfg_t *cfg, apr_int64_t now,
                            apr_pool_t *p)
{
    apr_int64_t id = it->id;
    apr_int64_t next = now + jc_outbox_backoff(cfg, it->attempts + 1);
    const void *args[3];

    if (ok) {
        args[0] = &now;
        args[1] = &id;
        return jc_db_exec(db, NULL, "jc_outbox_sent", args, p);
    }
    args[0] = &next;
    args[1] = err ? err : "unknown error";
    args[2] = &id;
    return jc_db_exec(db, NULL, "jc_outbox_failed", args, p);
}

jc_db_rc_e jc_outbox_deliver_due(jc_db_t *db, int *sent, int *failed,
                                 const jc_outbox_cfg_t *cfg,
                                 apr_int64_t now, jc_outbox_log_fn *log,
                                 void *baton, apr_pool_t *p)
{
    jc_outbox_item_t *items;
    jc_db_rc_e rc;
    int i, n;

    *sent = *failed = 0;
    rc = jc_outbox_fetch_due(db, &items, &n, now, p);
    for (i = 0; rc == JC_DB_OK && i < n; i++) {
        const char *err;
        apr_status_t rv = jc_outbox_send(cfg, &items[i], &err, p);

        rc = jc_outbox_record(db, &items[i], rv == APR_SUCCESS, err, cfg,
                              now, p);
        if (rv == APR_SUCCESS) {
            (*sent)++;
        }
        else {
            (*failed)++;
        }
        if (log) {
            log(baton, items[i].id, rv == APR_SUCCESS, items[i].attempts + 1,
                err);
        }
        if (rv != APR_SUCCESS) {
            /* the relay or spool is failing: leave the rest for later
             * instead of paying a timeout per mail now */
            break;
        }
    }
    return rc;
}

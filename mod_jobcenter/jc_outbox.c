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

apr_int64_t jc_outbox_backoff(const jc_outbox_cfg_t *cfg, int attempts)
{
    apr_int64_t d = cfg->retry_base;
    int i;

    for (i = 1; i < attempts && d < cfg->retry_max; i++) {
        d *= 2;
    }
    return d > cfg->retry_max ? cfg->retry_max : d;
}

jc_db_rc_e jc_outbox_deliver_due(jc_db_t *db, int *sent, int *failed,
                                 const jc_outbox_cfg_t *cfg,
                                 apr_int64_t now, jc_outbox_log_fn *log,
                                 void *baton, apr_pool_t *p)
{
    jc_db_res_t res;
    jc_db_rc_e rc;
    const void *args[3];
    int i;

    *sent = *failed = 0;
    args[0] = &now;
    rc = jc_db_select(db, &res, "jc_outbox_due", args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    for (i = 0; i < res.nrows; i++) {
        jc_db_row_t row;
        apr_int64_t id, attempts, next;
        const char *rcpt, *data, *err = NULL, *name;
        apr_status_t rv;

        if (jc_db_res_row(&res, i, &row, p) != 0) {
            break;
        }
        jc_db_col_i64(&row, 0, &id, 0);
        rcpt = jc_db_col_str(&row, 1, p);
        data = jc_db_col_str(&row, 2, p);
        jc_db_col_i64(&row, 3, &attempts, 0);
        if (!rcpt || !data) {
            continue;
        }
        if (cfg->transport == JC_MAIL_SMTP) {
            rv = jc_mail_smtp_send(&cfg->smtp, rcpt, data, &err, p);
        }
        else {
            /* the id keeps names unique; delivery is at-least-once, so a
             * retry after a crash overwrites the same file */
            name = apr_psprintf(p, "mail-%010" APR_INT64_T_FMT, id);
            rv = jc_mail_spool_write(cfg->spool_dir, name, data, p);
            if (rv != APR_SUCCESS) {
                char buf[120];
                err = apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
            }
        }
        attempts++;
        if (rv == APR_SUCCESS) {
            args[0] = &now;
            args[1] = &id;
            rc = jc_db_exec(db, NULL, "jc_outbox_sent", args, p);
            (*sent)++;
        }
        else {
            next = now + jc_outbox_backoff(cfg, (int)attempts);
            args[0] = &next;
            args[1] = err ? err : "unknown error";
            args[2] = &id;
            rc = jc_db_exec(db, NULL, "jc_outbox_failed", args, p);
            (*failed)++;
        }
        if (log) {
            log(baton, id, rv == APR_SUCCESS, (int)attempts, err);
        }
        if (rc != JC_DB_OK) {
            return rc;
        }
        if (rv != APR_SUCCESS) {
            /* the relay or spool is failing: leave the rest for later
             * instead of paying a timeout per mail now */
            break;
        }
    }
    return JC_DB_OK;
}

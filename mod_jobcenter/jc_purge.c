/* Housekeeping (see jc_purge.h). */
#include <apr_time.h>

#include "jc_purge.h"
#include "jc_sql.h"

jc_db_rc_e jc_purge_run(jc_db_t *db, int *rows, const char **failed_label,
                        apr_interval_time_t *longest,
                        const jc_purge_cfg_t *cfg, apr_int64_t now,
                        apr_pool_t *p)
{
    apr_int64_t idle_cut = now - cfg->idle;
    apr_int64_t thr_cut = now - cfg->throttle_keep;
    apr_int64_t sent_cut = now - cfg->sent_keep;
    /* links stay as long as their account may stay */
    apr_int64_t acct_cut = now - cfg->unconfirmed;
    struct {
        jc_sql_id_e stmt;       /* statement (deletes one batch)         */
        jc_sql_id_e first;      /* run before it, same argument (or
                                 * JC_SQL_NONE)                          */
        const void *args[1];    /* its argument                          */
        int batch;              /* the LIMIT of its statement            */
    } steps[] = {
        { JC_SQL_SESS_PURGE,      JC_SQL_NONE, { &now }, JC_PURGE_BATCH },
        { JC_SQL_SESS_PURGE_IDLE, JC_SQL_NONE, { &idle_cut }, JC_PURGE_BATCH },
        { JC_SQL_TOKEN_PURGE,     JC_SQL_NONE, { &acct_cut }, JC_PURGE_BATCH },
        { JC_SQL_THR_PURGE,       JC_SQL_NONE, { &thr_cut }, JC_PURGE_BATCH },
        { JC_SQL_OUTBOX_PURGE,    JC_SQL_NONE, { &sent_cut }, JC_PURGE_BATCH },
        { JC_SQL_WA_CHAL_PURGE,   JC_SQL_NONE, { &now }, JC_PURGE_BATCH },
        /* the links of the batch of accounts about to go (foreign key) */
        { JC_SQL_ACCT_PURGE,      JC_SQL_ACCT_PURGE_TOKENS, { &acct_cut },
          JC_PURGE_ACCT_BATCH },
    };
    size_t i;

    *rows = 0;
    *failed_label = NULL;
    if (longest) {
        *longest = 0;
    }
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        int batch;

        /* each batch is one short autocommit statement: other writers
         * get the database between two batches */
        for (batch = 0; batch < JC_PURGE_MAX_BATCHES; batch++) {
            apr_time_t t0 = apr_time_now();
            int n = 0, m = 0;
            jc_db_rc_e rc = JC_DB_OK;

            if (steps[i].first != JC_SQL_NONE) {
                rc = jc_db_exec(db, &m, steps[i].first, steps[i].args, p);
                if (rc != JC_DB_OK) {
                    *failed_label = jc_sql_stmt(steps[i].first)->label;
                    return rc;
                }
            }
            rc = jc_db_exec(db, &n, steps[i].stmt, steps[i].args, p);
            if (longest && apr_time_now() - t0 > *longest) {
                *longest = apr_time_now() - t0;
            }
            if (rc != JC_DB_OK) {
                *failed_label = jc_sql_stmt(steps[i].stmt)->label;
                return rc;
            }
            *rows += n + m;
            if (n < steps[i].batch) {
                break;
            }
        }
    }
    return JC_DB_OK;
}

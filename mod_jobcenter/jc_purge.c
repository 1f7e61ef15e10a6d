/* Housekeeping (see jc_purge.h). */
#include "jc_purge.h"

jc_db_rc_e jc_purge_run(jc_db_t *db, int *rows, const char **failed_label,
                        const jc_purge_cfg_t *cfg, apr_int64_t now,
                        apr_pool_t *p)
{
    apr_int64_t idle_cut = now - cfg->idle;
    apr_int64_t thr_cut = now - cfg->throttle_keep;
    apr_int64_t sent_cut = now - cfg->sent_keep;
    /* links stay as long as their account may stay */
    apr_int64_t acct_cut = now - cfg->unconfirmed;
    struct {
        const char *label;      /* statement            */
        const void *args[2];    /* its arguments        */
    } steps[] = {
        { "jc_sess_purge",        { &now, &idle_cut } },
        { "jc_token_purge",       { &acct_cut, NULL } },
        { "jc_thr_purge",         { &thr_cut, NULL } },
        { "jc_outbox_purge",      { &sent_cut, NULL } },
        { "jc_wa_chal_purge",     { &now, NULL } },
        /* tokens of the accounts about to go first (foreign key) */
        { "jc_acct_purge_tokens", { &acct_cut, NULL } },
        { "jc_acct_purge",        { &acct_cut, NULL } },
    };
    size_t i;

    *rows = 0;
    *failed_label = NULL;
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        int n = 0;
        jc_db_rc_e rc = jc_db_exec(db, &n, steps[i].label, steps[i].args, p);

        if (rc != JC_DB_OK) {
            *failed_label = steps[i].label;
            return rc;
        }
        *rows += n;
    }
    return JC_DB_OK;
}

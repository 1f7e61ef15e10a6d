/* Who may add a second factor (see jc_factor.h). */
#include <apr_strings.h>

#include "jc_account.h"
#include "jc_factor.h"

jc_db_rc_e jc_factor_count(jc_db_t *db, apr_int64_t *passkeys,
                           apr_int64_t *totp, apr_int64_t account,
                           apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    *passkeys = 0;
    *totp = 0;
    args[0] = &account;
    args[1] = &account;
    rc = jc_db_select1(db, &row, JC_SQL_SEC_FACTORS, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_SEC_FACTORS_PASSKEYS, passkeys, 0);
        jc_db_col_i64(&row, JC_COL_SEC_FACTORS_TOTP, totp, 0);
    }
    return rc == JC_DB_NOROW ? JC_DB_ERROR : rc;
}

int jc_factor_may_add(jc_db_t *db, jc_result_t *res, const jc_session_t *s,
                      apr_int64_t window, int lock, apr_int64_t now,
                      apr_pool_t *p)
{
    apr_int64_t id = s->account_id, passkeys = 0, totp = 0;
    jc_db_rc_e rc = JC_DB_OK;

    if (s->state == JC_SESS_AUTHENTICATED) {
        return !jc_session_require_fresh(res, s, window, now, p);
    }
    if (s->state != JC_SESS_MFA_SETUP_REQUIRED) {
        res->log = jc_session_state_name(s->state);
        res->state = res->log;
        jc_result_set(res, 403, "state_insufficient",
                      "Bitte schließen Sie zuerst die Anmeldung ab.", NULL);
        return 0;
    }
    if (lock) {
        /* the row lock of every factor change (PostgreSQL holds it to the
         * end of the transaction; SQLite's BEGIN IMMEDIATE holds the
         * database) */
        rc = jc_account_lock(db, id, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_factor_count(db, &passkeys, &totp, id, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 0;
    }
    if (passkeys > 0 || totp > 0) {
        res->log = apr_psprintf(p, "account %" APR_INT64_T_FMT " has a "
                                "factor (passkeys %" APR_INT64_T_FMT
                                ", totp %" APR_INT64_T_FMT "): a password-"
                                "only session may not add one", id,
                                passkeys, totp);
        jc_result_set(res, 409, "factor_exists",
                      "Für Ihr Konto ist bereits ein zweiter Faktor "
                      "eingerichtet. Bitte melden Sie sich erneut an und "
                      "bestätigen Sie die Anmeldung mit diesem Faktor.",
                      NULL);
        return 0;
    }
    return 1;
}

int jc_factor_begin_add(jc_db_t *db, jc_result_t *res, const jc_session_t *s,
                        apr_int64_t reauth_window, apr_int64_t now,
                        apr_pool_t *p)
{
    jc_db_rc_e rc = jc_db_begin(db, p);

    if (jc_db_fail(res, db, rc, p)) {
        return 0;
    }
    if (!jc_factor_may_add(db, res, s, reauth_window, 1, now, p)) {
        jc_db_rollback(db, p);
        return 0;
    }
    return 1;
}

/* Deleting the login account by its owner (see jc_erase.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_erase.h"
#include "jc_fsc_issue.h"
#include "jc_konto.h"
#include "jc_mail.h"
#include "jc_security.h"
#include "jc_staff.h"

/* What goes with the account, in this order after its sessions and its
 * TOTP factor (all take its id). */
static const jc_sql_id_e erase_drops[] = {
    JC_SQL_KONTO_DEL_TOKENS, JC_SQL_KONTO_DEL_EVENTS,
    JC_SQL_KONTO_DEL_PASSKEYS,
    JC_SQL_KONTO_DEL_CHALLENGES, JC_SQL_KONTO_DEL_ONLINE_HIST,
    JC_SQL_KONTO_DEL_ONLINE, JC_SQL_KONTO_FSC_UNLINK, JC_SQL_KONTO_CONV_UNLINK,
    JC_SQL_KONTO_SUB_UNLINK, JC_SQL_KONTO_FILE_UNLINK,
    JC_SQL_KONTO_DRAFT_UNLINK, JC_SQL_KONTO_TUS_UNLINK,
    JC_SQL_KONTO_DEL_ACCOUNT
};

/* The checks before any hash: fresh session, the confirmation, not a staff
 * account. Non-zero and res set when one fails. */
static int erase_allowed(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                         const jc_session_t *s, int confirm, apr_int64_t now,
                         apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    jc_staff_t st;
    jc_db_rc_e rc;

    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)) {
        return 1;
    }
    if (!confirm) {
        jc_result_set(res, 422, "confirm_required",
                      "Bitte bestätigen Sie, dass Sie Ihr Konto endgültig "
                      "löschen möchten.", "confirm");
        return 1;
    }
    rc = jc_staff_load(db, &st, id, p);
    if (rc == JC_DB_OK) {
        jc_result_set(res, 409, "staff_account",
                      "Das Konto einer Mitarbeiterin oder eines Mitarbeiters "
                      "des Jobcenters kann nicht selbst gelöscht werden. "
                      "Bitte wenden Sie sich an die Administration.", NULL);
        return 1;
    }
    return rc != JC_DB_NOROW && jc_db_fail(res, db, rc, p);
}

/* The person profile: the customer record stays, its binding goes, and
 * only a new Freischaltcode can bind it again. In the transaction. */
static jc_db_rc_e release_profile(jc_db_t *db, apr_int64_t id,
                                  int *had_profile, apr_int64_t now,
                                  apr_pool_t *p)
{
    apr_int64_t cust = 0;
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    *had_profile = 0;
    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_KONTO_CUST_OF, args, p);
    if (rc == JC_DB_NOROW) {
        return JC_DB_OK;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    *had_profile = 1;
    jc_db_col_i64(&row, JC_COL_KONTO_CUST_OF_ID, &cust, 0);
    args[0] = &cust;
    rc = jc_db_exec(db, NULL, JC_SQL_KONTO_CUST_RELEASE, args, p);
    if (rc == JC_DB_OK) {
        rc = jc_fsc_void_open(db, cust, now, NULL, p);
    }
    return rc;
}

/* The last mail to the confirmed address (none without one). */
static jc_db_rc_e farewell(jc_db_t *db, const jc_ctx_t *ctx,
                           const jc_session_t *s, int had_profile,
                           apr_int64_t now, apr_pool_t *p)
{
    if (!s->email || !s->email_confirmed) {
        return JC_DB_OK;
    }
    return jc_konto_notice(db, ctx, s->email, "Ihr Konto wurde gelöscht",
        apr_pstrcat(p,
            "Ihr Konto im Portal Jobcenter.Digital mit der "
            "E-Mail-Adresse\n\n", s->email, "\n\n"
            "wurde am ", jc_mail_berlin_time(now, p), " auf Ihren "
            "Wunsch gelöscht. Ihre Anmeldedaten, Passkeys, Ihr zweiter "
            "Faktor und Ihr Verlauf wurden entfernt.\n\n",
            had_profile ? "Ihre Daten als Kundin oder Kunde Ihres "
            "Jobcenters bleiben dort gespeichert, wie es das Gesetz "
            "verlangt. Um sie wieder mit einem Konto zu verbinden, "
            "benötigen Sie einen neuen Freischaltcode von Ihrem "
            "Jobcenter.\n\n" : "",
            "Wenn Sie das nicht waren, wenden Sie sich bitte sofort an "
            "Ihr Jobcenter.", NULL), now, p);
}

void jc_erase_account(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                      const jc_session_t *s, const char *pw, size_t pwlen,
                      int confirm, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    const char *phc = NULL;
    const void *args[1];
    jc_db_rc_e rc;
    size_t i;
    int had_profile = 0;

    jc_result_ok(res);
    if (erase_allowed(db, res, ctx, s, confirm, now, p)
        || jc_konto_check_password(db, res, ctx, s, pw, pwlen, "password",
                                   &phc, now, p)
        || jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    rc = release_profile(db, id, &had_profile, now, p);
    if (rc == JC_DB_OK) {
        rc = jc_session_drop_account(db, id, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_security_totp_drop(db, id, p);
    }
    for (i = 0; rc == JC_DB_OK
                && i < sizeof(erase_drops) / sizeof(erase_drops[0]); i++) {
        args[0] = &id;
        rc = jc_db_exec(db, NULL, erase_drops[i], args, p);
    }
    if (rc == JC_DB_OK) {
        rc = farewell(db, ctx, s, had_profile, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    res->status = 204;
}

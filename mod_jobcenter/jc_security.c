/* The "Sicherheit" page's flows (see jc_security.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_factor.h"
#include "jc_konto.h"
#include "jc_mail.h"
#include "jc_outbox.h"
#include "jc_passkey.h"
#include "jc_security.h"
#include "jc_throttle.h"

void jc_security_list(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_ctx_t *ctx, const jc_session_t *s,
                      apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    jc_db_res_t r;
    jc_db_row_t row;
    jc_db_rc_e rc;
    json_t *keys, *totp = NULL;
    int i;

    jc_result_ok(res);
    *out = NULL;
    rc = jc_security_passkeys(db, &r, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    keys = json_array();
    for (i = 0; i < r.nrows && jc_db_res_row(&r, i, &row, p) == 0; i++) {
        apr_int64_t pk, created = 0, flagged = 0;
        const char *name = jc_db_col_str(&row, JC_COL_SEC_PASSKEYS_NAME,
                                         p);

        jc_db_col_i64(&row, JC_COL_SEC_PASSKEYS_ID, &pk, 0);
        jc_db_col_i64(&row, JC_COL_SEC_PASSKEYS_CREATED_AT, &created, 0);
        jc_db_col_i64(&row, JC_COL_SEC_PASSKEYS_FLAGGED, &flagged, 0);
        json_array_append_new(keys, json_pack(
            "{s:I, s:s, s:I, s:o, s:b}", "id", (json_int_t)pk,
            "name", name ? name : "Passkey", "created_at",
            (json_int_t)created, "last_used_at",
            jc_konto_json_time(&row, JC_COL_SEC_PASSKEYS_LAST_USED_AT),
            "flagged", flagged != 0));
    }
    rc = jc_security_totp_row(db, &row, id, p);
    if (rc == JC_DB_OK) {
        totp = json_pack(
            "{s:o, s:o}", "created_at",
            jc_konto_json_time(&row, JC_COL_SEC_TOTP_CONFIRMED_AT),
            "last_used_at",
            jc_konto_json_time(&row, JC_COL_SEC_TOTP_LAST_USED_AT));
    }
    else if (rc != JC_DB_NOROW) {
        json_decref(keys);
        jc_db_fail(res, db, rc, p);
        return;
    }
    *out = json_pack("{s:o, s:o, s:{s:I, s:I, s:b}}", "passkeys", keys,
                     "totp", totp ? totp : json_null(), "reauth",
                     "verified_at", (json_int_t)s->verified_at,
                     "window", (json_int_t)ctx->reauth_window,
                     "fresh", jc_session_fresh(s, ctx->reauth_window, now));
    if (!*out) {
        jc_result_internal(res, "json_pack of the factor list failed");
    }
}

static void too_many(jc_result_t *res, const jc_ctx_t *ctx,
                     apr_int64_t failed, apr_int64_t wait, apr_pool_t *p)
{
    res->retry_after = wait > 0 ? (long)wait : 1;
    if (ctx->thr_account.max_failures > 0
        && failed >= ctx->thr_account.max_failures) {
        jc_result_set(res, 429, "account_locked",
                      "Ihr Konto ist wegen zu vieler fehlgeschlagener "
                      "Anmeldeversuche vorübergehend gesperrt. Bitte "
                      "versuchen Sie es später erneut.", "password");
        return;
    }
    jc_result_set(res, 429, "too_many_attempts",
                  apr_psprintf(p, "Zu viele falsche Passwörter. Bitte "
                               "warten Sie %ld Sekunden und versuchen Sie "
                               "es dann erneut.", res->retry_after),
                  "password");
}

static void session_gone(jc_result_t *res, jc_db_t *db, apr_pool_t *p)
{
    jc_db_rollback(db, p);
    jc_result_set(res, 401, "not_authenticated",
                  "Bitte melden Sie sich an.", NULL);
}

void jc_security_reauth_password(jc_db_t *db, jc_result_t *res,
                                 const jc_ctx_t *ctx, const jc_session_t *s,
                                 const char *password, size_t password_len,
                                 apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    const char *phc;
    jc_thr_take_t t;
    jc_db_rc_e rc;
    apr_status_t rv;

    jc_result_ok(res);
    if (!password || password_len == 0) {
        jc_result_set(res, 422, "password_missing",
                      "Bitte geben Sie Ihr Passwort ein.", "password");
        return;
    }
    if (jc_konto_password_admit(db, res, ctx, id, &phc, &t, now, p)) {
        return;
    }
    if (!t.reserved) {
        too_many(res, ctx, t.n, t.wait, p);
        return;
    }
    /* the hash outside any transaction */
    rv = phc ? jc_password_verify(phc, password, password_len) : APR_EINVAL;
    jc_hashgate_leave(ctx->hashgate);
    if (rv != APR_SUCCESS) {
        /* the reservation is the counted failure */
        res->log = apr_psprintf(p, "re-authentication: wrong password, "
                                "account %" APR_INT64_T_FMT, id);
        jc_result_set(res, 401, "password_invalid",
                      "Das Passwort ist falsch.", "password");
        return;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    rc = jc_account_login_ok(db, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    jc_security_reauth_finish(db, res, s, now, p);
}

void jc_security_reauth_finish(jc_db_t *db, jc_result_t *res,
                               const jc_session_t *s, apr_int64_t now,
                               apr_pool_t *p)
{
    jc_db_rc_e rc = jc_session_verified(db, s->id_hash, now, p);

    if (rc == JC_DB_NOROW) {
        session_gone(res, db, p);
        return;
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

/* The event, the mail (to the account's address) and the commit of a
 * change. */
static void change_finish(jc_db_t *db, jc_result_t *res,
                          const jc_ctx_t *ctx, const jc_session_t *s,
                          const char *kind, const char *detail,
                          const char *what, apr_int64_t now, apr_pool_t *p)
{
    jc_db_rc_e rc;

    rc = jc_event_add(db, s->account_id, now, kind, detail, p);
    if (rc == JC_DB_OK && s->email) {
        jc_mail_t *m = jc_mail_security_changed(
            ctx->mail_from, s->email, what, now,
            apr_pstrcat(p, ctx->base_url, "/anmeldung.html", NULL),
            apr_time_from_sec(now), p);

        rc = jc_outbox_enqueue_composed(
            db, m, "the mail \"Ihre Sicherheitseinstellungen wurden "
            "geändert\"", now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    res->status = 200;
}

static void id_invalid(jc_result_t *res)
{
    jc_result_set(res, 422, "id_invalid",
                  "Bitte wählen Sie einen Passkey aus der Liste.", "id");
}

static void not_found(jc_result_t *res, jc_db_t *db, apr_int64_t pk,
                      apr_int64_t account, apr_pool_t *p)
{
    jc_db_rollback(db, p);
    res->log = apr_psprintf(p, "passkey %" APR_INT64_T_FMT " is not one of "
                            "account %" APR_INT64_T_FMT, pk, account);
    jc_result_set(res, 404, "passkey_not_found",
                  "Diesen Passkey gibt es in Ihrem Konto nicht (mehr). "
                  "Bitte laden Sie die Seite neu.", "id");
}

static void last_factor(jc_result_t *res, jc_db_t *db, apr_pool_t *p)
{
    jc_db_rollback(db, p);
    jc_result_set(res, 409, "last_factor",
                  "Das ist Ihr einziger Anmeldefaktor. Bitte richten Sie "
                  "zuerst einen weiteren Passkey oder einen zweiten Faktor "
                  "ein, bevor Sie diesen entfernen.", NULL);
}

/* A passkey of the account (in the open transaction): its name and
 * whether it is flagged. JC_DB_NOROW if it is not the account's. */
static jc_db_rc_e own_passkey(jc_db_t *db, const char **name,
                              apr_int64_t *flagged, apr_int64_t pk,
                              apr_int64_t account, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &pk;
    args[1] = &account;
    rc = jc_db_select1(db, &row, JC_SQL_SEC_PASSKEY_GET, args, p);
    if (rc == JC_DB_OK) {
        *name = jc_db_col_str(&row, JC_COL_SEC_PASSKEY_GET_NAME, p);
        if (!*name) {
            *name = "Passkey";
        }
        jc_db_col_i64(&row, JC_COL_SEC_PASSKEY_GET_FLAGGED, flagged, 0);
    }
    return rc;
}

/* The opening of a change to the account's passkey id, in this order: a
 * fresh re-authentication, a valid id, for a rename (renaming) a valid
 * new_name, the change's transaction (jc_account_change_begin), the
 * passkey's *name and *flagged. 1 when answered (res set, nothing open);
 * otherwise 0 and *rc the lookup's result, the transaction open. */
static int passkey_open(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                        const jc_session_t *s, apr_int64_t id, int renaming,
                        const char *new_name, const char **name,
                        apr_int64_t *flagged, jc_db_rc_e *rc,
                        apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t account = s->account_id;

    jc_result_ok(res);
    /* who may change factors first (docs/api.md, route x state), then
     * what was sent */
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)) {
        return 1;
    }
    if (id < 1) {
        id_invalid(res);
        return 1;
    }
    if (renaming && !jc_passkey_name_ok(new_name)) {
        jc_passkey_name_invalid(res);
        return 1;
    }
    if (jc_account_change_begin(db, res, account, now, p)) {
        return 1;
    }
    *rc = own_passkey(db, name, flagged, id, account, p);
    if (*rc == JC_DB_NOROW) {
        not_found(res, db, id, account, p);
        return 1;
    }
    return 0;
}

void jc_security_passkey_rename(jc_db_t *db, jc_result_t *res,
                                const jc_ctx_t *ctx, const jc_session_t *s,
                                apr_int64_t id, const char *name,
                                apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t account = s->account_id, flagged = 0;
    const char *old = NULL;
    const void *args[3];
    jc_db_rc_e rc;

    if (passkey_open(db, res, ctx, s, id, 1, name, &old, &flagged, &rc, now,
                     p)) {
        return;
    }
    if (rc == JC_DB_OK) {
        args[0] = name;
        args[1] = &id;
        args[2] = &account;
        rc = jc_db_exec(db, NULL, JC_SQL_SEC_PASSKEY_RENAME, args, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    change_finish(db, res, ctx, s, JC_EV_PASSKEY_RENAMED,
                  apr_pstrcat(p, "„", old, "“ → „", name, "“", NULL),
                  apr_pstrcat(p, "Der Passkey „", old, "“ wurde in „", name,
                              "“ umbenannt.", NULL), now, p);
}

void jc_security_passkey_delete(jc_db_t *db, jc_result_t *res,
                                const jc_ctx_t *ctx, const jc_session_t *s,
                                apr_int64_t id, apr_int64_t now,
                                apr_pool_t *p)
{
    apr_int64_t account = s->account_id, flagged = 0, keys = 0, totp = 0;
    const char *name = NULL;
    const void *args[2];
    jc_db_rc_e rc;

    if (passkey_open(db, res, ctx, s, id, 0, NULL, &name, &flagged, &rc, now,
                     p)) {
        return;
    }
    if (rc == JC_DB_OK) {
        rc = jc_factor_count(db, &keys, &totp, account, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    /* a flagged passkey is no usable factor: it may always go */
    if (!flagged && keys - 1 + totp < 1) {
        res->log = apr_psprintf(p, "passkey %" APR_INT64_T_FMT " is the "
                                "last factor", id);
        last_factor(res, db, p);
        return;
    }
    args[0] = &id;
    args[1] = &account;
    rc = jc_db_exec(db, NULL, JC_SQL_SEC_PASSKEY_DELETE, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    change_finish(db, res, ctx, s, JC_EV_PASSKEY_REMOVED,
                  apr_pstrcat(p, "„", name, "“", NULL),
                  apr_pstrcat(p, "Der Passkey „", name, "“ wurde entfernt. "
                              "Mit ihm ist keine Anmeldung mehr möglich.",
                              NULL), now, p);
}

void jc_security_totp_delete(jc_db_t *db, jc_result_t *res,
                             const jc_ctx_t *ctx, const jc_session_t *s,
                             apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t account = s->account_id, keys = 0, totp = 0;
    jc_db_rc_e rc;

    jc_result_ok(res);
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)
        || jc_account_change_begin(db, res, account, now, p)) {
        return;
    }
    rc = jc_factor_count(db, &keys, &totp, account, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (totp < 1) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "factor_missing",
                      "Für Ihr Konto ist kein zweiter Faktor mit einer "
                      "Authentifizierungs-App eingerichtet.", NULL);
        return;
    }
    if (keys < 1) {
        res->log = "the TOTP factor is the last factor";
        last_factor(res, db, p);
        return;
    }
    rc = jc_security_totp_drop(db, account, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    change_finish(db, res, ctx, s, JC_EV_TOTP_REMOVED, NULL,
                  "Der zweite Faktor mit einer Authentifizierungs-App "
                  "(TOTP) wurde entfernt. Codes aus der App werden nicht "
                  "mehr angenommen.", now, p);
}

jc_db_rc_e jc_security_totp_drop(jc_db_t *db, apr_int64_t account_id,
                                 apr_pool_t *p)
{
    const void *args[1];

    args[0] = &account_id;
    return jc_db_exec(db, NULL, JC_SQL_SEC_TOTP_DELETE, args, p);
}

jc_db_rc_e jc_security_passkeys(jc_db_t *db, jc_db_res_t *r,
                                apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1];

    args[0] = &account_id;
    return jc_db_select(db, r, JC_SQL_SEC_PASSKEYS, args, p);
}

jc_db_rc_e jc_security_totp_row(jc_db_t *db, jc_db_row_t *row,
                                apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1];

    args[0] = &account_id;
    return jc_db_select1(db, row, JC_SQL_SEC_TOTP, args, p);
}

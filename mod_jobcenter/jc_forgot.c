/* Forgotten credentials: "Passwort vergessen" and the postcode lookup (see
 * jc_forgot.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_forgot.h"
#include "jc_outbox.h"
#include "jc_password.h"
#include "jc_profile.h"
#include "jc_session.h"
#include "jc_setpw.h"
#include "jc_throttle.h"
#include "jc_token.h"

jc_mail_t *jc_forgot_notice(const jc_ctx_t *ctx, const char *rcpt,
                            const char *subject, const char *text,
                            apr_int64_t now, apr_pool_t *p)
{
    if (!rcpt || !text) {
        return NULL;
    }
    return jc_mail_compose(ctx->mail_from, rcpt, subject,
                           apr_pstrcat(p, "Guten Tag,\n\n", text, "\n\n",
                                       jc_mail_closing(p), NULL),
                           apr_time_from_sec(now), p);
}

static void limited(jc_result_t *res, apr_int64_t wait, apr_pool_t *p)
{
    apr_int64_t min;

    res->retry_after = wait > 0 ? (long)wait : 1;
    min = (res->retry_after + 59) / 60;
    jc_result_set(res, 429, "too_many_requests",
                  apr_psprintf(p, "Zu viele Anfragen. Bitte versuchen Sie "
                               "es in %" APR_INT64_T_FMT " %s erneut.", min,
                               min == 1 ? "Minute" : "Minuten"), NULL);
}

int jc_forgot_limit_blocked(jc_db_t *db, jc_result_t *res, const char *key,
                            apr_int64_t max, apr_int64_t window,
                            apr_int64_t now, apr_pool_t *p)
{
    jc_thr_key_t k;
    jc_db_rc_e rc;

    rc = jc_throttle_key_get(db, &k, key, p);
    if (rc == JC_DB_NOROW) {
        return 0;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (k.last_failure >= now - window && k.failures >= max) {
        res->log = apr_psprintf(p, "%s: limit reached", key);
        limited(res, k.last_failure + window - now, p);
        return 1;
    }
    return 0;
}

int jc_forgot_limit_count(jc_db_t *db, jc_result_t *res, const char *key,
                          apr_int64_t max, apr_int64_t window,
                          apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t cut = now - window, last = now;
    const void *args[5];
    jc_thr_key_t k;
    jc_db_row_t row;
    jc_db_rc_e rc;

    /* count and decision in one conditional statement (jc_thr_limit):
     * however many run in parallel, at most max are counted */
    args[0] = key;
    args[1] = &now;
    args[2] = &cut;
    args[3] = &cut;
    args[4] = &max;
    rc = jc_db_select1(db, &row, JC_SQL_THR_LIMIT, args, p);
    if (rc == JC_DB_OK) {
        return 0;
    }
    if (rc == JC_DB_NOROW) {
        rc = jc_throttle_key_get(db, &k, key, p);
        if (rc == JC_DB_OK) {
            last = k.has_last ? k.last_failure : now;
        }
        if (rc == JC_DB_OK || rc == JC_DB_NOROW) {
            jc_db_rollback(db, p);
            res->log = apr_psprintf(p, "%s: limit reached", key);
            limited(res, last + window - now, p);
            return 1;
        }
    }
    jc_db_fail(res, db, rc, p);
    return 1;
}

/* The mail with the link (composed for every address, stored only for a
 * confirmed one). */
static jc_mail_t *request_mail(const jc_ctx_t *ctx, const char *norm,
                               const char *token, apr_int64_t now,
                               apr_pool_t *p)
{
    const char *link = apr_pstrcat(p, ctx->base_url,
                                   "/passwort-neu.html#token=", token, NULL);

    return jc_forgot_notice(ctx, norm, "Neues Passwort festlegen",
        apr_pstrcat(p,
            "für Ihr Konto im Portal Jobcenter.Digital mit der "
            "E-Mail-Adresse\n\n", norm, "\n\n"
            "wurde ein neues Passwort angefordert. Über folgenden Link "
            "können Sie ein neues Passwort festlegen:\n", link, "\n\n"
            "Der Link ist ", apr_ltoa(p, (long)(ctx->reset_ttl / 60)),
            " Minuten gültig und kann nur einmal verwendet werden. Ihr "
            "zweiter Faktor (Passkey oder Authentifizierungs-App) bleibt "
            "eingerichtet und wird bei der nächsten Anmeldung abgefragt.\n\n"
            "Wenn Sie kein neues Passwort angefordert haben, können Sie "
            "diese E-Mail ignorieren. Ihr bisheriges Passwort bleibt "
            "gültig.", NULL), now, p);
}

void jc_forgot_request(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const char *email, const char *client,
                       apr_int64_t now, apr_pool_t *p)
{
    const char *norm = jc_account_normalize_email(email, p);
    const char *kc, *km, *token, *hash;
    apr_int64_t exp = now + ctx->reset_ttl, id = 0, confirmed = 0;
    const void *args[6];
    jc_db_row_t row;
    jc_db_rc_e rc;
    jc_mail_t *m;
    int send = 0;

    jc_result_ok(res);
    if (!norm) {
        jc_result_set(res, 422, "email_invalid",
                      "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
                      "email");
        return;
    }
    kc = apr_pstrcat(p, "pwr-ip:", client ? client : "-", NULL);
    km = apr_pstrcat(p, "pwr-m:", jc_token_hash(norm, strlen(norm), p),
                     NULL);
    if (jc_forgot_limit_blocked(db, res, kc, ctx->reset_max_client,
                                ctx->reset_window, now, p)
        || jc_forgot_limit_blocked(db, res, km, ctx->reset_max_address,
                                   ctx->reset_window, now, p)) {
        return;
    }
    /* the same work for every address: token, hash, link, mail */
    if (jc_token_new(&token, 32, p) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return;
    }
    hash = jc_token_hash(token, strlen(token), p);
    m = request_mail(ctx, norm, token, now, p);
    if (!m) {
        jc_result_internal(res, "could not compose the reset mail");
        return;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (jc_forgot_limit_count(db, res, kc, ctx->reset_max_client,
                              ctx->reset_window, now, p)
        || jc_forgot_limit_count(db, res, km, ctx->reset_max_address,
                                 ctx->reset_window, now, p)) {
        return;
    }
    args[0] = norm;
    rc = jc_db_select1(db, &row, JC_SQL_RST_ACCT, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_RST_ACCT_ID, &id, 0);
        send = jc_db_col_i64(&row, JC_COL_RST_ACCT_EMAIL_CONFIRMED_AT,
                             &confirmed, 0);
    }
    else if (rc == JC_DB_NOROW) {
        rc = JC_DB_OK;
    }
    if (rc == JC_DB_OK && send) {
        /* a new link voids the older unused ones */
        rc = jc_account_token_put(db, id, hash, norm, JC_PURPOSE_RESET, now,
                                  exp, p);
        if (rc == JC_DB_OK) {
            rc = jc_outbox_enqueue(db, m, now, p);
        }
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (send) {
        res->log = apr_psprintf(p, "reset link for account %"
                                APR_INT64_T_FMT, id);
    }
    res->status = 202;
}

/* The link (outside or inside a transaction): its account and address.
 * Sets res (404/410) and returns non-zero when it cannot be used. */
static int link_usable(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const char *token, apr_int64_t *account,
                       const char **email, apr_int64_t *expires_at,
                       apr_int64_t now, apr_pool_t *p)
{
    jc_link_t link;
    jc_db_rc_e rc;

    if (!token || !jc_token_wellformed(token)) {
        jc_result_set(res, 404, "token_invalid",
                      "Der Link ist ungültig. Bitte fordern Sie über "
                      "„Passwort vergessen“ einen neuen Link an.", "token");
        return 1;
    }
    rc = jc_account_token_get(db, &link,
                              jc_token_hash(token, strlen(token), p),
                              JC_PURPOSE_RESET, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "token_invalid",
                      "Der Link ist ungültig oder wurde durch einen neueren "
                      "Link ersetzt. Bitte verwenden Sie den Link aus der "
                      "neuesten E-Mail oder fordern Sie über „Passwort "
                      "vergessen“ einen neuen Link an.", "token");
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    *account = link.account_id;
    *email = link.email;
    *expires_at = link.expires_at;
    if (link.used) {
        jc_db_rollback(db, p);
        jc_result_set(res, 410, "token_used",
                      "Dieser Link wurde bereits verwendet. Ein Link gilt "
                      "nur für eine Änderung. Bitte fordern Sie bei Bedarf "
                      "über „Passwort vergessen“ einen neuen Link an.",
                      "token");
        return 1;
    }
    if (now >= *expires_at) {
        jc_db_rollback(db, p);
        jc_result_set(res, 410, "token_expired",
                      apr_psprintf(p, "Der Link ist abgelaufen (gültig %ld "
                                   "Minuten). Bitte fordern Sie über "
                                   "„Passwort vergessen“ einen neuen Link "
                                   "an.", (long)(ctx->reset_ttl / 60)),
                      "token");
        return 1;
    }
    return 0;
}

void jc_forgot_check(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                     const char *token, apr_int64_t *expires_at,
                     apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t account = 0;
    const char *email = NULL;

    jc_result_ok(res);
    *expires_at = 0;
    link_usable(db, res, ctx, token, &account, &email, expires_at, now, p);
}

/* Inside the transaction: the link once more, then its use (exactly one
 * row), and the address must still be the account's confirmed one.
 * Non-zero and res set (the transaction rolled back) when it cannot be
 * used; JC_DB errors are returned in *rc. */
static int link_take(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                     const char *token, apr_int64_t *account,
                     const char **email, jc_db_rc_e *rc, apr_int64_t now,
                     apr_pool_t *p)
{
    apr_int64_t exp = 0, id = 0, confirmed = 0;
    const void *args[2];
    jc_db_row_t row;

    if (link_usable(db, res, ctx, token, account, email, &exp, now, p)) {
        return 1;
    }
    if (jc_account_token_take(db, res,
                              jc_token_hash(token, strlen(token), p),
                              "Dieser Link wurde bereits verwendet.", rc, now,
                              p)) {
        return 1;
    }
    if (*rc != JC_DB_OK) {
        return 0;
    }
    args[0] = *email;
    *rc = jc_db_select1(db, &row, JC_SQL_RST_ACCT, args, p);
    if (*rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_RST_ACCT_ID, &id, 0);
        jc_db_col_i64(&row, JC_COL_RST_ACCT_EMAIL_CONFIRMED_AT, &confirmed, 0);
    }
    if (*rc == JC_DB_NOROW || (*rc == JC_DB_OK
                               && (id != *account || !confirmed))) {
        jc_db_rollback(db, p);
        res->log = "reset link of an address the account no longer has";
        jc_result_set(res, 404, "token_invalid",
                      "Der Link ist nicht mehr gültig, weil sich Ihre "
                      "E-Mail-Adresse geändert hat. Bitte fordern Sie "
                      "einen neuen Link an.", "token");
        return 1;
    }
    return 0;
}

/* The notice of the new password to the link's address. */
static const jc_mail_t *finish_notice(const jc_ctx_t *ctx, const char *email,
                                      apr_int64_t now, apr_pool_t *p)
{
    return jc_forgot_notice(ctx, email, "Ihr Passwort wurde geändert",
        apr_pstrcat(p,
            "das Passwort Ihres Kontos im Portal Jobcenter.Digital mit "
            "der E-Mail-Adresse\n\n", email, "\n\n"
            "wurde am ", jc_mail_berlin_time(now, p), " über den Link "
            "„Passwort vergessen“ neu festgelegt. Alle Anmeldungen auf "
            "anderen Geräten wurden beendet. Ihr zweiter Faktor bleibt "
            "eingerichtet.\n\n"
            "Wenn Sie das nicht waren, hat möglicherweise eine andere "
            "Person Zugriff auf Ihr E-Mail-Postfach. Ändern Sie bitte "
            "das Passwort Ihres E-Mail-Postfachs, legen Sie über "
            "„Passwort vergessen“ ein neues Passwort fest und wenden "
            "Sie sich an Ihr Jobcenter:\n",
            ctx->base_url, "/anmeldung.html", NULL), now, p);
}

void jc_forgot_finish(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                      const char *token, const char *pw, size_t pwlen,
                      const char *repeat, size_t repeat_len,
                      apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t account = 0, exp = 0;
    const char *email = NULL;
    jc_setpw_t sp = { 0 };
    jc_db_rc_e rc = JC_DB_OK;

    jc_result_ok(res);
    /* the link first (no hashing for a dead link), then the rules and the
     * hash */
    sp.pw = pw;
    sp.pwlen = pwlen;
    sp.repeat = repeat;
    sp.repeat_len = repeat_len;
    if (link_usable(db, res, ctx, token, &account, &email, &exp, now, p)
        || jc_setpw_hash(res, ctx, &sp, p)) {
        return;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)
        || link_take(db, res, ctx, token, &account, &email, &rc, now, p)) {
        return;
    }
    if (rc == JC_DB_OK) {
        /* every session ends; the second factor stays */
        sp.account = account;
        sp.sessions = JC_SETPW_SESSIONS_END_ALL;
        sp.drop_reset_links = 1;
        sp.event = JC_EV_PASSWORD_RESET;
        sp.notify = 1;
        sp.notice = finish_notice(ctx, email, now, p);
        rc = jc_setpw_store(db, &sp, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    res->log = apr_psprintf(p, "password reset for account %"
                            APR_INT64_T_FMT, account);
}

void jc_forgot_lookup(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_ctx_t *ctx, const char *postcode,
                      const char *client, apr_int64_t now, apr_pool_t *p)
{
    const char *key = apr_pstrcat(p, "plz-ip:", client ? client : "-", NULL);
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;
    json_t *hours;
    int i;

    jc_result_ok(res);
    *out = NULL;
    for (i = 0; postcode && postcode[i]; i++) {
        if (postcode[i] < '0' || postcode[i] > '9') {
            break;
        }
    }
    if (!postcode || i != 5 || postcode[i]) {
        jc_result_set(res, 422, "postcode_invalid",
                      "Bitte geben Sie eine Postleitzahl mit 5 Ziffern ein.",
                      "plz");
        return;
    }
    if (jc_forgot_limit_count(db, res, key, ctx->lookup_max,
                              ctx->lookup_window, now, p)) {
        return;
    }
    args[0] = postcode;
    rc = jc_db_select1(db, &row, JC_SQL_JC_BY_POSTCODE, args, p);
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 404, "postcode_unknown",
                      "Für diese Postleitzahl ist uns kein Jobcenter "
                      "bekannt. Bitte wenden Sie sich an das Jobcenter an "
                      "Ihrem Wohnort.", "plz");
        return;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    hours = jc_profile_hours_json(
        jc_db_col_str(&row, JC_COL_JC_GET_OPENING_HOURS, p), p);
    *out = json_pack("{s:{s:s?, s:s?, s:s?, s:s?, s:s?, s:o}}", "jobcenter",
                     "name", jc_db_col_str(&row, JC_COL_JC_GET_NAME, p),
                     "street", jc_db_col_str(&row, JC_COL_JC_GET_STREET, p),
                     "postcode", jc_db_col_str(&row, JC_COL_JC_GET_POSTCODE, p),
                     "city", jc_db_col_str(&row, JC_COL_JC_GET_CITY, p),
                     "phone", jc_db_col_str(&row, JC_COL_JC_GET_PHONE, p),
                     "opening_hours", hours);
    if (!*out) {
        jc_result_internal(res, "json_pack of the jobcenter failed");
    }
}

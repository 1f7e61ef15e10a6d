/* The "Konto" page's flows (see jc_konto.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_forgot.h"
#include "jc_konto.h"
#include "jc_mail.h"
#include "jc_outbox.h"
#include "jc_password.h"
#include "jc_setpw.h"
#include "jc_throttle.h"
#include "jc_token.h"

/* ---- helpers ------------------------------------------------------------ */

/* What a User-Agent names, the first needle found wins (so "Edg/" before
 * "Chrome/", "Chrome/" before "Safari/", "Android" before "Linux"). */
typedef struct {
    const char *needle;  /* a substring of the User-Agent */
    const char *name;    /* what the page shows           */
} ua_name_t;

static const ua_name_t browsers[] = {
    { "Edg/", "Edge" },             { "EdgA/", "Edge" },
    { "EdgiOS/", "Edge" },          { "OPR/", "Opera" },
    { "Firefox/", "Firefox" },      { "FxiOS/", "Firefox" },
    { "SamsungBrowser/", "Samsung Internet" },
    { "Chrome/", "Chrome" },        { "CriOS/", "Chrome" },
    { "Safari/", "Safari" },        { NULL, NULL }
};

static const ua_name_t systems[] = {
    { "iPhone", "iPhone" },         { "iPad", "iPad" },
    { "Android", "Android" },       { "Windows", "Windows" },
    { "CrOS", "ChromeOS" },         { "Mac OS X", "macOS" },
    { "Macintosh", "macOS" },       { "Linux", "Linux" },
    { NULL, NULL }
};

/* The name of the first entry of t whose needle is in ua; NULL: none. */
static const char *ua_find(const char *ua, const ua_name_t *t)
{
    for (; t->needle; t++) {
        if (strstr(ua, t->needle)) {
            return t->name;
        }
    }
    return NULL;
}

const char *jc_konto_device(const char *ua, apr_pool_t *p)
{
    const char *b, *os;

    if (!ua || !*ua) {
        return "Unbekanntes Gerät";
    }
    if (!strncmp(ua, "curl/", 5)) {
        return "Programm (curl)";
    }
    b = ua_find(ua, browsers);
    os = ua_find(ua, systems);
    if (b && os) {
        return apr_pstrcat(p, b, " auf ", os, NULL);
    }
    if (b) {
        return b;
    }
    if (os) {
        return apr_pstrcat(p, "Browser auf ", os, NULL);
    }
    return "Unbekanntes Gerät";
}

const char *jc_konto_session_ref(const char *id_hash, apr_pool_t *p)
{
    const char *s = apr_pstrcat(p, "jc-session:", id_hash, NULL);

    return apr_pstrndup(p, jc_token_hash(s, strlen(s), p), 32);
}

json_t *jc_konto_json_time(const jc_db_row_t *row, int col)
{
    apr_int64_t v;

    return jc_db_col_i64(row, col, &v, 0) ? json_integer((json_int_t)v)
                                          : json_null();
}

json_t *jc_konto_json_str(const jc_db_row_t *row, int col, apr_pool_t *p)
{
    const char *v = jc_db_col_str(row, col, p);

    return v ? json_string(v) : json_null();
}

jc_db_rc_e jc_konto_notice(jc_db_t *db, const jc_ctx_t *ctx,
                           const char *rcpt, const char *subject,
                           const char *text, apr_int64_t now, apr_pool_t *p)
{
    jc_mail_t *m;

    if (!rcpt) {
        return JC_DB_OK;
    }
    m = jc_forgot_notice(ctx, rcpt, subject, text, now, p);
    return jc_outbox_enqueue_composed(
        db, m, apr_pstrcat(p, "the mail \"", subject, "\"", NULL), now, p);
}

static const char *advice(const jc_ctx_t *ctx, apr_pool_t *p)
{
    return apr_pstrcat(p,
        "Wenn Sie das nicht waren, hat möglicherweise eine andere Person "
        "Zugang zu Ihrem Konto. Legen Sie bitte sofort über „Passwort "
        "vergessen“ auf der Anmeldeseite ein neues Passwort fest und "
        "wenden Sie sich an Ihr Jobcenter:\n", ctx->base_url,
        "/anmeldung.html", NULL);
}

int jc_konto_password_admit(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, apr_int64_t id,
                            const char **phc, jc_thr_take_t *t,
                            apr_int64_t now, apr_pool_t *p)
{
    jc_db_rc_e rc;

    rc = jc_account_password_hash(db, id, phc, p);
    if (rc == JC_DB_OK) {
        /* admission for the hash first: a refused request (503 at once)
         * reserved nothing */
        if (jc_hashgate_admit(ctx->hashgate, res)) {
            return 1;
        }
        rc = jc_throttle_reserve(db, t, JC_THR_ACCOUNT, &id,
                                 &ctx->thr_account, 0, now, p);
        if (rc != JC_DB_OK || !t->reserved) {
            jc_hashgate_leave(ctx->hashgate);
        }
    }
    /* no such account (any more), found by either statement */
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 401, "not_authenticated",
                      "Bitte melden Sie sich an.", NULL);
        return 1;
    }
    return jc_db_fail(res, db, rc, p);
}

int jc_konto_check_password(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            const char *pw, size_t pwlen, const char *field,
                            const char **phc, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    jc_thr_take_t t;
    jc_db_rc_e rc;
    apr_status_t rv;

    if (!pw || pwlen == 0) {
        jc_result_set(res, 422, "password_missing",
                      "Bitte geben Sie Ihr aktuelles Passwort ein.", field);
        return 1;
    }
    if (jc_konto_password_admit(db, res, ctx, id, phc, &t, now, p)) {
        return 1;
    }
    if (!t.reserved) {
        res->retry_after = (long)t.wait;
        jc_result_set(res, 429, "too_many_attempts",
                      apr_psprintf(p, "Zu viele falsche Passwörter. Bitte "
                                   "warten Sie %ld Sekunden und versuchen "
                                   "Sie es dann erneut.", res->retry_after),
                      field);
        return 1;
    }
    rv = *phc ? jc_password_verify(*phc, pw, pwlen) : APR_EINVAL;
    jc_hashgate_leave(ctx->hashgate);
    if (rv != APR_SUCCESS) {
        /* the reservation is the counted failure */
        res->log = apr_psprintf(p, "konto: wrong password, account %"
                                APR_INT64_T_FMT, id);
        jc_result_set(res, 401, "password_invalid",
                      "Das Passwort ist falsch.", field);
        return 1;
    }
    /* right: the count (this reservation included) is reset */
    rc = jc_account_login_ok(db, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    return 0;
}

/* ---- GET /konto ---------------------------------------------------------- */

jc_db_rc_e jc_konto_pending_email(jc_db_t *db, json_t **out,
                                  apr_int64_t id, apr_int64_t now,
                                  apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    args[1] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_KONTO_EMAIL_PENDING, args, p);
    *out = json_null();
    if (rc == JC_DB_OK) {
        apr_int64_t exp = 0;

        jc_db_col_i64(&row, JC_COL_KONTO_EMAIL_PENDING_EXPIRES_AT, &exp, 0);
        json_decref(*out);
        *out = json_pack("{s:o, s:I}",
                         "email", jc_konto_json_str(&row,
                             JC_COL_KONTO_EMAIL_PENDING_EMAIL, p),
                         "expires_at", (json_int_t)exp);
    }
    return rc == JC_DB_NOROW ? JC_DB_OK : rc;
}

jc_db_rc_e jc_konto_sessions(jc_db_t *db, json_t **out,
                             const jc_ctx_t *ctx, const jc_session_t *s,
                             int with_refs, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id, idle_cut = now - ctx->sess.idle;
    const void *args[3];
    jc_db_res_t r;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i;

    args[0] = &id;
    args[1] = &now;
    args[2] = &idle_cut;
    rc = jc_db_select(db, &r, JC_SQL_KONTO_SESSIONS, args, p);
    *out = json_array();
    if (rc != JC_DB_OK) {
        return rc;
    }
    for (i = 0; i < r.nrows && jc_db_res_row(&r, i, &row, p) == 0; i++) {
        const char *h = jc_db_col_str(&row, JC_COL_KONTO_SESSIONS_ID_HASH, p);
        const char *ua =
            jc_db_col_str(&row, JC_COL_KONTO_SESSIONS_USER_AGENT, p);
        apr_int64_t created = 0, seen = 0, st = 0;
        json_t *o;

        jc_db_col_i64(&row, JC_COL_KONTO_SESSIONS_CREATED_AT, &created, 0);
        jc_db_col_i64(&row, JC_COL_KONTO_SESSIONS_LAST_SEEN, &seen, 0);
        jc_db_col_i64(&row, JC_COL_KONTO_SESSIONS_STATE, &st, 0);
        o = json_pack("{s:s, s:o, s:o, s:I, s:I}",
                      "device", jc_konto_device(ua, p),
                      "user_agent", ua ? json_string(ua) : json_null(),
                      "client_ip", jc_konto_json_str(&row,
                          JC_COL_KONTO_SESSIONS_CLIENT_IP, p),
                      "created_at", (json_int_t)created,
                      "last_seen", (json_int_t)seen);
        if (!o) {
            continue;
        }
        if (with_refs && h) {
            json_object_set_new(o, "id",
                                json_string(jc_konto_session_ref(h, p)));
            json_object_set_new(o, "current",
                                json_boolean(!strcmp(h, s->id_hash)));
            json_object_set_new(o, "state", json_string(
                jc_session_state_name((jc_sess_state_e)st)));
        }
        else {
            json_object_set_new(o, "current",
                                json_boolean(h && !strcmp(h, s->id_hash)));
        }
        json_array_append_new(*out, o);
    }
    return JC_DB_OK;
}

void jc_konto_get(jc_db_t *db, jc_result_t *res, json_t **out,
                  const jc_ctx_t *ctx, const jc_session_t *s,
                  apr_int64_t now, apr_pool_t *p)
{
    json_t *pend = NULL, *list = NULL;
    jc_db_rc_e rc;

    jc_result_ok(res);
    *out = NULL;
    rc = jc_konto_pending_email(db, &pend, s->account_id, now, p);
    if (rc == JC_DB_OK) {
        rc = jc_konto_sessions(db, &list, ctx, s, 1, now, p);
    }
    if (rc != JC_DB_OK) {
        json_decref(pend);
        json_decref(list);
        jc_db_fail(res, db, rc, p);
        return;
    }
    *out = json_pack("{s:{s:s?, s:s?, s:o, s:I, s:o}, s:o, "
                     "s:{s:I, s:I, s:b}}",
                     "account", "email", s->email, "username", s->username,
                     "email_confirmed_at", s->email_confirmed
                     ? json_integer((json_int_t)s->email_confirmed)
                     : json_null(),
                     "created_at", (json_int_t)s->created_at,
                     "pending_email", pend,
                     "sessions", list,
                     "reauth", "verified_at", (json_int_t)s->verified_at,
                     "window", (json_int_t)ctx->reauth_window,
                     "fresh", jc_session_fresh(s, ctx->reauth_window, now));
    if (!*out) {
        jc_result_internal(res, "json_pack of the account failed");
    }
}

/* ---- password ------------------------------------------------------------ */

/* The notice of a changed password to the confirmed address (none
 * without one). */
static const jc_mail_t *password_notice(const jc_ctx_t *ctx,
                                        const jc_session_t *s,
                                        apr_int64_t now, apr_pool_t *p)
{
    return jc_forgot_notice(ctx, s->email, "Ihr Passwort wurde geändert",
        apr_pstrcat(p,
            "das Passwort Ihres Kontos im Portal Jobcenter.Digital mit "
            "der E-Mail-Adresse\n\n", s->email, "\n\n"
            "wurde am ", jc_mail_berlin_time(now, p), " auf der Seite "
            "„Konto“ geändert. Alle Anmeldungen auf anderen Geräten "
            "wurden beendet.\n\n", advice(ctx, p), NULL), now, p);
}

void jc_konto_password(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const jc_session_t *s, const char *current,
                       size_t current_len, const char *pw, size_t pwlen,
                       const char *repeat, size_t repeat_len,
                       apr_int64_t now, apr_pool_t *p)
{
    jc_setpw_t sp = { 0 };
    const char *old_phc = NULL;
    jc_db_rc_e rc;

    jc_result_ok(res);
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)
        || jc_setpw_rules(res, pw, pwlen, repeat, repeat_len)) {
        return;
    }
    /* one admission for the three hashes (current, same, new); the check
     * inside shares the slot */
    if (jc_hashgate_admit(ctx->hashgate, res)) {
        return;
    }
    if (jc_konto_check_password(db, res, ctx, s, current, current_len,
                                "current_password", &old_phc, now, p)) {
        jc_hashgate_leave(ctx->hashgate);
        return;
    }
    sp.pw = pw;
    sp.pwlen = pwlen;
    sp.skip_rules = 1;
    sp.admitted = 1;
    sp.same_phc = old_phc;
    sp.same_msg = "Das neue Passwort muss sich von Ihrem aktuellen "
                  "Passwort unterscheiden.";
    if (jc_setpw_hash(res, ctx, &sp, p)
        || jc_account_change_begin(db, res, s->account_id, now, p)) {
        return;
    }
    sp.account = s->account_id;
    sp.sessions = JC_SETPW_SESSIONS_END_OTHERS;
    sp.keep_session = s->id_hash;
    sp.drop_reset_links = 1;
    sp.event = JC_EV_PASSWORD_CHANGED;
    sp.notify = s->email && s->email_confirmed;
    sp.notice = sp.notify ? password_notice(ctx, s, now, p) : NULL;
    rc = jc_setpw_store(db, &sp, now, p);
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

/* ---- e-mail address -------------------------------------------------------- */

/* The new address of an e-mail change: given, valid, not the current one.
 * Non-zero and res set otherwise. */
static int email_input_bad(jc_result_t *res, const jc_session_t *s,
                           const char *email, const char *norm)
{
    if (!email || !*email) {
        jc_result_set(res, 422, "email_missing",
                      "Bitte geben Sie Ihre neue E-Mail-Adresse ein.",
                      "email");
        return 1;
    }
    if (!norm) {
        jc_result_set(res, 422, "email_invalid",
                      "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
                      "email");
        return 1;
    }
    if (s->email && !strcmp(norm, s->email)) {
        jc_result_set(res, 422, "email_same",
                      "Das ist bereits Ihre E-Mail-Adresse.", "email");
        return 1;
    }
    return 0;
}

/* In the change's transaction: the mail to the new address. A free one
 * gets the confirmation link (older open ones dropped); one that belongs
 * to another account (*other) learns of the attempt instead, like a
 * registration of a known address, and the answer is the same. */
static jc_db_rc_e email_to_new(jc_db_t *db, const jc_ctx_t *ctx,
                               apr_int64_t id, const char *norm,
                               const char *token, apr_int64_t *other,
                               apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t exp = now + ctx->confirm_ttl;
    jc_db_rc_e rc;
    jc_mail_t *m;

    rc = jc_account_id_by_email(db, other, norm, p);
    if (rc == JC_DB_OK) {
        m = jc_forgot_notice(ctx, norm, "Ihre E-Mail-Adresse",
            apr_pstrcat(p,
                "soeben wurde im Portal Jobcenter.Digital versucht, "
                "folgende E-Mail-Adresse für ein anderes Konto zu "
                "hinterlegen:\n\n", norm, "\n\n"
                "Für diese E-Mail-Adresse besteht bereits ein Konto. Sie "
                "kann nur für ein Konto verwendet werden; es wurde nichts "
                "geändert.\n\n"
                "Wenn Sie das waren und Ihr bisheriges Konto nicht mehr "
                "benötigen, können Sie es nach der Anmeldung auf der Seite "
                "„Konto“ löschen. Wenn Sie das nicht waren, können Sie "
                "diese E-Mail ignorieren.", NULL), now, p);
        return m ? jc_outbox_enqueue(db, m, now, p) : JC_DB_ERROR;
    }
    if (rc != JC_DB_NOROW) {
        return rc;
    }
    rc = jc_account_token_put(db, id, jc_token_hash(token, strlen(token), p),
                              norm, JC_PURPOSE_EMAIL_CHANGE, now, exp, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    return jc_konto_notice(db, ctx, norm, "Bestätigung Ihrer neuen "
                           "E-Mail-Adresse", apr_pstrcat(p,
        "Sie möchten für Ihr Konto im Portal Jobcenter.Digital "
        "folgende neue E-Mail-Adresse verwenden:\n\n", norm, "\n\n"
        "Bitte bestätigen Sie diese E-Mail-Adresse, indem Sie auf "
        "folgenden Link klicken:\n",
        apr_pstrcat(p, ctx->base_url, "/email-aendern.html#token=", token,
                    NULL), "\n\n"
        "Wichtig: Bestätigen Sie Ihre E-Mail-Adresse innerhalb von "
        "24 Stunden. Bis dahin melden Sie sich weiter mit Ihrer "
        "bisherigen E-Mail-Adresse an.", NULL), now, p);
}

void jc_konto_email_request(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            const char *email, const char **pending,
                            apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id, other = 0;
    const char *norm = jc_account_normalize_email(email, p);
    const char *token;
    jc_db_rc_e rc;

    jc_result_ok(res);
    *pending = NULL;
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)
        || email_input_bad(res, s, email, norm)) {
        return;
    }
    if (jc_token_new(&token, 32, p) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return;
    }
    if (jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    rc = email_to_new(db, ctx, id, norm, token, &other, now, p);
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_EMAIL_CHANGE_REQUESTED, norm,
                          p);
    }
    if (rc == JC_DB_OK && s->email && s->email_confirmed) {
        rc = jc_konto_notice(db, ctx, s->email,
                             "Änderung Ihrer E-Mail-Adresse", apr_pstrcat(p,
            "für Ihr Konto im Portal Jobcenter.Digital mit der "
            "E-Mail-Adresse\n\n", s->email, "\n\n"
            "wurde am ", jc_mail_berlin_time(now, p), " eine neue "
            "E-Mail-Adresse angegeben:\n\n", norm, "\n\n"
            "Die neue Adresse gilt erst, wenn sie über den Link in der "
            "E-Mail an diese Adresse bestätigt wurde. Bis dahin bleibt "
            "Ihre bisherige Adresse gültig.\n\n", advice(ctx, p), NULL),
            now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (other) {
        res->log = apr_psprintf(p, "address of account %" APR_INT64_T_FMT
                                " asked for", other);
    }
    *pending = norm;
    res->status = 202;
}

/* In the confirmation's transaction: the link (open, unexpired), its
 * address still free, then its use. *account and *neu: the account and
 * the new address. Non-zero and res set (rolled back) otherwise. */
static int email_link_take(jc_db_t *db, jc_result_t *res, const char *hash,
                           apr_int64_t *account, const char **neu,
                           apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t other = 0;
    jc_db_rc_e rc;
    int r;

    r = jc_account_token_open(db, res, hash, JC_PURPOSE_EMAIL_CHANGE, now,
                              "Dieser Bestätigungslink wurde bereits "
                              "verwendet.",
                              "Der Bestätigungslink ist abgelaufen (gültig 24 "
                              "Stunden). Ihre bisherige E-Mail-Adresse bleibt "
                              "gültig. Bitte geben Sie die neue Adresse auf "
                              "der Seite „Konto“ erneut ein.", account, neu,
                              p);
    if (r < 0) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "token_invalid",
                      "Der Bestätigungslink ist ungültig oder wurde durch "
                      "einen neueren Link ersetzt. Bitte verwenden Sie den "
                      "Link aus der neuesten E-Mail.", "token");
        return 1;
    }
    if (r) {
        return 1;
    }
    rc = jc_account_id_by_email(db, &other, *neu, p);
    if (rc == JC_DB_OK) {
        jc_db_rollback(db, p);
        res->log = apr_psprintf(p, "address held by account %"
                                APR_INT64_T_FMT, other);
        jc_result_set(res, 409, "email_taken",
                      "Diese E-Mail-Adresse wird inzwischen für ein anderes "
                      "Konto verwendet. Ihre bisherige E-Mail-Adresse bleibt "
                      "gültig.", "token");
        return 1;
    }
    if (rc != JC_DB_NOROW && jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (jc_account_token_take(db, res, hash,
                              "Dieser Bestätigungslink wurde bereits "
                              "verwendet.", &rc, now, p)) {
        return 1;
    }
    return jc_db_fail(res, db, rc, p);
}

/* The notice to the old (confirmed) address. */
static jc_db_rc_e email_changed_notice(jc_db_t *db, const jc_ctx_t *ctx,
                                       const char *old, const char *neu,
                                       apr_int64_t now, apr_pool_t *p)
{
    return jc_konto_notice(db, ctx, old, "Ihre E-Mail-Adresse wurde geändert",
        apr_pstrcat(p,
            "die E-Mail-Adresse Ihres Kontos im Portal "
            "Jobcenter.Digital wurde am ", jc_mail_berlin_time(now, p),
            " von\n\n", old, "\n\nin\n\n", neu, "\n\n"
            "geändert. Ab jetzt melden Sie sich mit der neuen Adresse "
            "an; Nachrichten zu Ihrem Konto erhalten Sie nur noch "
            "dort.\n\n", advice(ctx, p), NULL), now, p);
}

void jc_konto_email_confirm(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const char *token,
                            const char **email, apr_int64_t now,
                            apr_pool_t *p)
{
    apr_int64_t account = 0, confirmed = 0;
    const char *neu = NULL, *old = NULL, *hash;
    const void *args[4];
    jc_db_rc_e rc;

    jc_result_ok(res);
    *email = NULL;
    if (!token || !jc_token_wellformed(token)) {
        jc_result_set(res, 404, "token_invalid",
                      "Der Bestätigungslink ist ungültig.", "token");
        return;
    }
    hash = jc_token_hash(token, strlen(token), p);
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)
        || email_link_take(db, res, hash, &account, &neu, now, p)) {
        return;
    }
    rc = jc_account_email_of(db, account, &old, &confirmed, p);
    if (rc == JC_DB_OK) {
        args[0] = neu;
        args[1] = &now;
        args[2] = &now;
        args[3] = &account;
        rc = jc_db_exec(db, NULL, JC_SQL_KONTO_EMAIL_SET, args, p);
        if (rc == JC_DB_CONFLICT) {
            jc_db_rollback(db, p);
            jc_result_set(res, 409, "email_taken",
                          "Diese E-Mail-Adresse wird inzwischen für ein "
                          "anderes Konto verwendet. Ihre bisherige "
                          "E-Mail-Adresse bleibt gültig.", "token");
            return;
        }
    }
    if (rc == JC_DB_OK) {
        /* links sent to the old address or for an older change die */
        args[0] = &account;
        rc = jc_db_exec(db, NULL, JC_SQL_KONTO_TOKENS_DROP_OPEN, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, account, now, JC_EV_EMAIL_CHANGED,
                          old ? apr_pstrcat(p, old, " → ", neu, NULL) : neu,
                          p);
    }
    if (rc == JC_DB_OK && old && confirmed) {
        rc = email_changed_notice(db, ctx, old, neu, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    *email = neu;
}

/* ---- sessions -------------------------------------------------------------- */

void jc_konto_session_end(jc_db_t *db, jc_result_t *res,
                          const jc_ctx_t *ctx, const jc_session_t *s,
                          const char *ref, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id, idle_cut = 0, far = 0;
    const char *target = NULL, *ua = NULL;
    const void *args[3];
    jc_db_res_t r;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i, n = 0;

    jc_result_ok(res);
    if (!ref || strlen(ref) != 32 || strspn(ref, "0123456789abcdef") != 32) {
        jc_result_set(res, 422, "id_invalid",
                      "Bitte wählen Sie eine Sitzung aus der Liste.", "id");
        return;
    }
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)
        || jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    /* every session row of the account, also expired ones (0, 0) */
    args[0] = &id;
    args[1] = &far;
    args[2] = &idle_cut;
    rc = jc_db_select(db, &r, JC_SQL_KONTO_SESSIONS, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    for (i = 0; i < r.nrows && jc_db_res_row(&r, i, &row, p) == 0; i++) {
        const char *h = jc_db_col_str(&row, JC_COL_KONTO_SESSIONS_ID_HASH, p);

        if (h && jc_token_equal(jc_konto_session_ref(h, p), ref)) {
            target = h;
            ua = jc_db_col_str(&row, JC_COL_KONTO_SESSIONS_USER_AGENT, p);
        }
    }
    if (!target) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "session_not_found",
                      "Diese Sitzung gibt es nicht (mehr). Bitte laden Sie "
                      "die Seite neu.", "id");
        return;
    }
    if (!strcmp(target, s->id_hash)) {
        jc_db_rollback(db, p);
        jc_result_set(res, 422, "session_current",
                      "Das ist Ihre aktuelle Sitzung. Sie beenden sie mit "
                      "„Abmelden“.", "id");
        return;
    }
    args[0] = target;
    args[1] = &id;
    rc = jc_db_exec(db, &n, JC_SQL_KONTO_SESS_DELETE, args, p);
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_SESSION_ENDED,
                          jc_konto_device(ua, p), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

void jc_konto_sessions_end_others(jc_db_t *db, jc_result_t *res,
                                  const jc_ctx_t *ctx, const jc_session_t *s,
                                  int *ended, apr_int64_t now,
                                  apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    jc_db_rc_e rc;

    jc_result_ok(res);
    *ended = 0;
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)
        || jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    rc = jc_session_drop_others(db, id, s->id_hash, ended, p);
    if (rc == JC_DB_OK && *ended > 0) {
        rc = jc_event_add(db, id, now, JC_EV_SESSIONS_ENDED,
                          apr_psprintf(p, "%d %s", *ended, *ended == 1
                                       ? "Sitzung" : "Sitzungen"), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

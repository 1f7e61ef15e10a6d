/* The "Konto" page's flows (see jc_konto.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_konto.h"
#include "jc_mail.h"
#include "jc_message.h"
#include "jc_outbox.h"
#include "jc_password.h"
#include "jc_reset.h"
#include "jc_throttle.h"
#include "jc_token.h"

/* ---- helpers ------------------------------------------------------------ */

const char *jc_konto_device(const char *ua, apr_pool_t *p)
{
    const char *b = NULL, *os = NULL;

    if (!ua || !*ua) {
        return "Unbekanntes Gerät";
    }
    if (!strncmp(ua, "curl/", 5)) {
        return "Programm (curl)";
    }
    if (strstr(ua, "Edg/") || strstr(ua, "EdgA/") || strstr(ua, "EdgiOS/")) {
        b = "Edge";
    }
    else if (strstr(ua, "OPR/")) {
        b = "Opera";
    }
    else if (strstr(ua, "Firefox/") || strstr(ua, "FxiOS/")) {
        b = "Firefox";
    }
    else if (strstr(ua, "SamsungBrowser/")) {
        b = "Samsung Internet";
    }
    else if (strstr(ua, "Chrome/") || strstr(ua, "CriOS/")) {
        b = "Chrome";
    }
    else if (strstr(ua, "Safari/")) {
        b = "Safari";
    }
    if (strstr(ua, "iPhone")) {
        os = "iPhone";
    }
    else if (strstr(ua, "iPad")) {
        os = "iPad";
    }
    else if (strstr(ua, "Android")) {
        os = "Android";
    }
    else if (strstr(ua, "Windows")) {
        os = "Windows";
    }
    else if (strstr(ua, "CrOS")) {
        os = "ChromeOS";
    }
    else if (strstr(ua, "Mac OS X") || strstr(ua, "Macintosh")) {
        os = "macOS";
    }
    else if (strstr(ua, "Linux")) {
        os = "Linux";
    }
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

static json_t *time_or_null(const jc_db_row_t *row, int col)
{
    apr_int64_t v;

    return jc_db_col_i64(row, col, &v, 0) ? json_integer((json_int_t)v)
                                          : json_null();
}

static json_t *str_or_null(const jc_db_row_t *row, int col, apr_pool_t *p)
{
    const char *v = jc_db_col_str(row, col, p);

    return v ? json_string(v) : json_null();
}

/* Queue a notice to rcpt (skipped for NULL). */
static jc_db_rc_e notice(jc_db_t *db, const jc_ctx_t *ctx, const char *rcpt,
                         const char *subject, const char *text,
                         apr_int64_t now, apr_pool_t *p)
{
    jc_mail_t *m;

    if (!rcpt) {
        return JC_DB_OK;
    }
    m = jc_reset_notice(ctx, rcpt, subject, text, now, p);
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

/* The account's current password (outside a transaction): throttled and
 * counted like the login. *phc gets the stored hash. Non-zero and res set
 * when it is missing, wrong or blocked. */
static int check_password(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                          const jc_session_t *s, const char *pw,
                          size_t pwlen, const char *field, const char **phc,
                          apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    const void *args[1];
    jc_thr_take_t t;
    jc_db_row_t row;
    jc_db_rc_e rc;
    apr_status_t rv;

    if (!pw || pwlen == 0) {
        jc_result_set(res, 422, "password_missing",
                      "Bitte geben Sie Ihr aktuelles Passwort ein.", field);
        return 1;
    }
    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_SEC_PASSWORD, args, p);
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 401, "not_authenticated",
                      "Bitte melden Sie sich an.", NULL);
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    *phc = jc_db_col_str(&row, 0, p);
    /* admission for the hash first: a refused request (503 at once)
     * reserved nothing */
    if (jc_hashgate_admit(ctx->hashgate, res)) {
        return 1;
    }
    /* this attempt is counted before the hash (jc_throttle_reserve), so
     * parallel guesses cannot pass the limit */
    rc = jc_throttle_reserve(db, &t, JC_THR_ACCOUNT, &id, &ctx->thr_account,
                             0, now, p);
    if (rc != JC_DB_OK || !t.reserved) {
        jc_hashgate_leave(ctx->hashgate);
    }
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 401, "not_authenticated",
                      "Bitte melden Sie sich an.", NULL);
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
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
    rc = jc_db_exec(db, NULL, JC_SQL_ACCT_LOGIN_OK, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    return 0;
}

/* ---- GET /konto ---------------------------------------------------------- */

static jc_db_rc_e pending_email(jc_db_t *db, json_t **out, apr_int64_t id,
                                apr_int64_t now, apr_pool_t *p)
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

        jc_db_col_i64(&row, 1, &exp, 0);
        json_decref(*out);
        *out = json_pack("{s:o, s:I}", "email", str_or_null(&row, 0, p),
                         "expires_at", (json_int_t)exp);
    }
    return rc == JC_DB_NOROW ? JC_DB_OK : rc;
}

/* The account's live sessions; with_refs adds id, current and state (the
 * export leaves them out). */
static jc_db_rc_e sessions(jc_db_t *db, json_t **out, const jc_ctx_t *ctx,
                           const jc_session_t *s, int with_refs,
                           apr_int64_t now, apr_pool_t *p)
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
        const char *h = jc_db_col_str(&row, 0, p);
        const char *ua = jc_db_col_str(&row, 3, p);
        apr_int64_t created = 0, seen = 0, st = 0;
        json_t *o;

        jc_db_col_i64(&row, 1, &created, 0);
        jc_db_col_i64(&row, 2, &seen, 0);
        jc_db_col_i64(&row, 5, &st, 0);
        o = json_pack("{s:s, s:o, s:o, s:I, s:I}",
                      "device", jc_konto_device(ua, p),
                      "user_agent", ua ? json_string(ua) : json_null(),
                      "client_ip", str_or_null(&row, 4, p),
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
    rc = pending_email(db, &pend, s->account_id, now, p);
    if (rc == JC_DB_OK) {
        rc = sessions(db, &list, ctx, s, 1, now, p);
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

void jc_konto_password(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const jc_session_t *s, const char *current,
                       size_t current_len, const char *pw, size_t pwlen,
                       const char *repeat, size_t repeat_len,
                       apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    const char *old_phc = NULL, *phc;
    const void *args[3];
    jc_db_rc_e rc;
    apr_status_t rv;

    jc_result_ok(res);
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)
        || jc_reset_password_rules(res, pw, pwlen, repeat, repeat_len)) {
        return;
    }
    /* one admission for the three hashes (current, same, new); the check
     * inside shares the slot */
    if (jc_hashgate_admit(ctx->hashgate, res)) {
        return;
    }
    if (check_password(db, res, ctx, s, current, current_len,
                       "current_password", &old_phc, now, p)) {
        jc_hashgate_leave(ctx->hashgate);
        return;
    }
    if (jc_password_verify(old_phc, pw, pwlen) == APR_SUCCESS) {
        jc_hashgate_leave(ctx->hashgate);
        jc_result_set(res, 422, "password_same",
                      "Das neue Passwort muss sich von Ihrem aktuellen "
                      "Passwort unterscheiden.", "password");
        return;
    }
    rv = jc_password_hash(&phc, pw, pwlen, &ctx->argon2, p);
    jc_hashgate_leave(ctx->hashgate);
    if (rv != APR_SUCCESS) {
        jc_result_internal(res, "argon2id hashing failed");
        return;
    }
    if (jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    args[0] = phc;
    args[1] = &now;
    args[2] = &id;
    rc = jc_db_exec(db, NULL, JC_SQL_KONTO_SET_PASSWORD, args, p);
    if (rc == JC_DB_OK) {
        args[0] = &id;
        args[1] = s->id_hash;
        rc = jc_db_exec(db, NULL, JC_SQL_KONTO_SESS_DROP_OTHERS, args, p);
    }
    if (rc == JC_DB_OK) {
        args[0] = &id;
        args[1] = JC_PURPOSE_RESET;
        rc = jc_db_exec(db, NULL, JC_SQL_TOKEN_DROP_OPEN, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_PASSWORD_CHANGED, NULL, p);
    }
    if (rc == JC_DB_OK && s->email && s->email_confirmed) {
        rc = notice(db, ctx, s->email, "Ihr Passwort wurde geändert",
            apr_pstrcat(p,
                "das Passwort Ihres Kontos im Portal Jobcenter.Digital mit "
                "der E-Mail-Adresse\n\n", s->email, "\n\n"
                "wurde am ", jc_mail_berlin_time(now, p), " auf der Seite "
                "„Konto“ geändert. Alle Anmeldungen auf anderen Geräten "
                "wurden beendet.\n\n", advice(ctx, p), NULL), now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

/* ---- e-mail address -------------------------------------------------------- */

void jc_konto_email_request(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            const char *email, const char **pending,
                            apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id, exp = now + ctx->confirm_ttl, other;
    const char *norm = jc_account_normalize_email(email, p);
    const char *token, *hash, *link;
    const void *args[6];
    jc_db_row_t row;
    jc_db_rc_e rc;
    jc_mail_t *m;
    int taken;

    jc_result_ok(res);
    *pending = NULL;
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)) {
        return;
    }
    if (!email || !*email) {
        jc_result_set(res, 422, "email_missing",
                      "Bitte geben Sie Ihre neue E-Mail-Adresse ein.",
                      "email");
        return;
    }
    if (!norm) {
        jc_result_set(res, 422, "email_invalid",
                      "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
                      "email");
        return;
    }
    if (s->email && !strcmp(norm, s->email)) {
        jc_result_set(res, 422, "email_same",
                      "Das ist bereits Ihre E-Mail-Adresse.", "email");
        return;
    }
    if (jc_token_new(&token, 32, p) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return;
    }
    hash = jc_token_hash(token, strlen(token), p);
    link = apr_pstrcat(p, ctx->base_url, "/email-aendern.html#token=", token,
                       NULL);
    if (jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    args[0] = norm;
    rc = jc_db_select1(db, &row, JC_SQL_ACCT_ID_BY_EMAIL, args, p);
    taken = rc == JC_DB_OK;
    if (taken) {
        jc_db_col_i64(&row, 0, &other, 0);
        /* like a registration of a known address: the owner of that
         * address learns of it, the answer is the same */
        m = jc_reset_notice(ctx, norm, "Ihre E-Mail-Adresse",
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
        rc = m ? jc_outbox_enqueue(db, m, now, p) : JC_DB_ERROR;
    }
    else if (rc == JC_DB_NOROW) {
        rc = jc_account_token_put(db, id, hash, norm,
                                  JC_PURPOSE_EMAIL_CHANGE, now, exp, p);
        if (rc == JC_DB_OK) {
            rc = notice(db, ctx, norm, "Bestätigung Ihrer neuen "
                        "E-Mail-Adresse", apr_pstrcat(p,
                "Sie möchten für Ihr Konto im Portal Jobcenter.Digital "
                "folgende neue E-Mail-Adresse verwenden:\n\n", norm, "\n\n"
                "Bitte bestätigen Sie diese E-Mail-Adresse, indem Sie auf "
                "folgenden Link klicken:\n", link, "\n\n"
                "Wichtig: Bestätigen Sie Ihre E-Mail-Adresse innerhalb von "
                "24 Stunden. Bis dahin melden Sie sich weiter mit Ihrer "
                "bisherigen E-Mail-Adresse an.", NULL), now, p);
        }
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_EMAIL_CHANGE_REQUESTED, norm,
                          p);
    }
    if (rc == JC_DB_OK && s->email && s->email_confirmed) {
        rc = notice(db, ctx, s->email, "Änderung Ihrer E-Mail-Adresse",
            apr_pstrcat(p,
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
    if (taken) {
        res->log = apr_psprintf(p, "address of account %" APR_INT64_T_FMT
                                " asked for", other);
    }
    *pending = norm;
    res->status = 202;
}

void jc_konto_email_confirm(jc_db_t *db, jc_result_t *res,
                            const jc_ctx_t *ctx, const char *token,
                            const char **email, apr_int64_t now,
                            apr_pool_t *p)
{
    apr_int64_t account = 0, other = 0, confirmed = 0;
    const char *neu = NULL, *old = NULL, *hash;
    const void *args[4];
    jc_db_row_t row;
    jc_db_rc_e rc;
    int n = 0, r;

    jc_result_ok(res);
    *email = NULL;
    if (!token || !jc_token_wellformed(token)) {
        jc_result_set(res, 404, "token_invalid",
                      "Der Bestätigungslink ist ungültig.", "token");
        return;
    }
    hash = jc_token_hash(token, strlen(token), p);
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    r = jc_account_token_open(db, res, hash, JC_PURPOSE_EMAIL_CHANGE, now,
                              "Dieser Bestätigungslink wurde bereits "
                              "verwendet.",
                              "Der Bestätigungslink ist abgelaufen (gültig 24 "
                              "Stunden). Ihre bisherige E-Mail-Adresse bleibt "
                              "gültig. Bitte geben Sie die neue Adresse auf "
                              "der Seite „Konto“ erneut ein.", &account, &neu,
                              p);
    if (r < 0) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "token_invalid",
                      "Der Bestätigungslink ist ungültig oder wurde durch "
                      "einen neueren Link ersetzt. Bitte verwenden Sie den "
                      "Link aus der neuesten E-Mail.", "token");
        return;
    }
    if (r) {
        return;
    }
    args[0] = neu;
    rc = jc_db_select1(db, &row, JC_SQL_ACCT_ID_BY_EMAIL, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, 0, &other, 0);
        jc_db_rollback(db, p);
        res->log = apr_psprintf(p, "address held by account %"
                                APR_INT64_T_FMT, other);
        jc_result_set(res, 409, "email_taken",
                      "Diese E-Mail-Adresse wird inzwischen für ein anderes "
                      "Konto verwendet. Ihre bisherige E-Mail-Adresse bleibt "
                      "gültig.", "token");
        return;
    }
    if (rc != JC_DB_NOROW && jc_db_fail(res, db, rc, p)) {
        return;
    }
    args[0] = &now;
    args[1] = hash;
    rc = jc_db_exec(db, &n, JC_SQL_TOKEN_USE, args, p);
    if (rc == JC_DB_OK && n != 1) {
        jc_db_rollback(db, p);
        jc_result_set(res, 410, "token_used",
                      "Dieser Bestätigungslink wurde bereits verwendet.",
                      "token");
        return;
    }
    if (rc == JC_DB_OK) {
        args[0] = &account;
        rc = jc_db_select1(db, &row, JC_SQL_ONLINE_EMAIL, args, p);
        if (rc == JC_DB_OK) {
            old = jc_db_col_str(&row, 0, p);
            jc_db_col_i64(&row, 1, &confirmed, 0);
        }
    }
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
        rc = notice(db, ctx, old, "Ihre E-Mail-Adresse wurde geändert",
            apr_pstrcat(p,
                "die E-Mail-Adresse Ihres Kontos im Portal "
                "Jobcenter.Digital wurde am ", jc_mail_berlin_time(now, p),
                " von\n\n", old, "\n\nin\n\n", neu, "\n\n"
                "geändert. Ab jetzt melden Sie sich mit der neuen Adresse "
                "an; Nachrichten zu Ihrem Konto erhalten Sie nur noch "
                "dort.\n\n", advice(ctx, p), NULL), now, p);
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
        const char *h = jc_db_col_str(&row, 0, p);

        if (h && jc_token_equal(jc_konto_session_ref(h, p), ref)) {
            target = h;
            ua = jc_db_col_str(&row, 3, p);
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
    const void *args[2];
    jc_db_rc_e rc;

    jc_result_ok(res);
    *ended = 0;
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)
        || jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    args[0] = &id;
    args[1] = s->id_hash;
    rc = jc_db_exec(db, ended, JC_SQL_KONTO_SESS_DROP_OTHERS, args, p);
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

/* ---- export ------------------------------------------------------------------ */

/* The export's records of issues 6 and 7: one select per statement (in
 * this order, X_* index the results), joined in C. */
enum { X_CONVS, X_MSGS, X_MSG_FILES, X_BESCHEIDE, X_TERMINE, X_SUBS,
       X_SUB_FILES, X_N };
static const jc_sql_id_e x_labels[X_N] = {
    JC_SQL_KONTO_X_CONVS, JC_SQL_KONTO_X_MSGS, JC_SQL_KONTO_X_MSG_FILES,
    JC_SQL_KONTO_X_BESCHEIDE, JC_SQL_KONTO_X_TERMINE, JC_SQL_KONTO_X_SUBS,
    JC_SQL_KONTO_X_SUB_FILES
};

static jc_db_rc_e x_rows(jc_db_t *db, jc_db_res_t *rs, apr_int64_t id,
                         apr_pool_t *p)
{
    const void *args[1];
    jc_db_rc_e rc = JC_DB_OK;
    int i;

    args[0] = &id;
    for (i = 0; i < X_N && rc == JC_DB_OK; i++) {
        rc = jc_db_select(db, &rs[i], x_labels[i], args, p);
    }
    return rc;
}

static json_int_t x_int(const jc_db_row_t *row, int col)
{
    apr_int64_t v = 0;

    jc_db_col_i64(row, col, &v, 0);
    return (json_int_t)v;
}

/* The files of rows fr (owner id, name, mime, size[, sha256]) that belong
 * to owner, as [{name, mime, size[, sha256]}]. */
static json_t *x_files(jc_db_res_t *fr, json_int_t owner, int with_sha,
                       apr_pool_t *p)
{
    json_t *files = json_array();
    jc_db_row_t frow;
    int k;

    for (k = 0; k < fr->nrows && jc_db_res_row(fr, k, &frow, p) == 0; k++) {
        json_t *f;

        if (x_int(&frow, 0) != owner) {
            continue;
        }
        f = json_pack("{s:o, s:o, s:I}", "name", str_or_null(&frow, 1, p),
                      "mime", str_or_null(&frow, 2, p),
                      "size", x_int(&frow, 3));
        if (f && with_sha) {
            json_object_set_new(f, "sha256", str_or_null(&frow, 4, p));
        }
        json_array_append_new(files, f);
    }
    return files;
}

/* The account's conversations with their messages (time, author side,
 * text) and attachment names/sizes (not the files). */
static json_t *x_conversations(jc_db_res_t *rs, apr_pool_t *p)
{
    json_t *out = json_array();
    jc_db_row_t row, mrow;
    int i, j;

    for (i = 0; i < rs[X_CONVS].nrows
                && jc_db_res_row(&rs[X_CONVS], i, &row, p) == 0; i++) {
        const char *key = jc_db_col_str(&row, 1, p);
        const char *team = jc_db_col_str(&row, 2, p);
        const jc_anliegen_t *a = jc_msg_anliegen(key ? key : "");
        json_int_t cid = x_int(&row, 0);
        json_t *msgs = json_array();

        for (j = 0; j < rs[X_MSGS].nrows
                    && jc_db_res_row(&rs[X_MSGS], j, &mrow, p) == 0; j++) {
            apr_int64_t staff = 0;

            if (x_int(&mrow, 0) != cid) {
                continue;
            }
            jc_db_col_i64(&mrow, 2, &staff, 0);
            json_array_append_new(msgs, json_pack(
                "{s:I, s:s, s:o, s:o}", "at", x_int(&mrow, 4),
                "from", staff ? "jobcenter" : "kunde",
                "text", str_or_null(&mrow, 3, p), "attachments",
                x_files(&rs[X_MSG_FILES], x_int(&mrow, 1), 0, p)));
        }
        json_array_append_new(out, json_pack(
            "{s:o, s:s, s:o, s:s, s:o, s:o, s:I, s:I, s:o}",
            "subject", str_or_null(&row, 3, p),
            "anliegen", a ? a->label : (key ? key : ""),
            "anliegen_key", str_or_null(&row, 1, p),
            "team", jc_staff_team_text(team ? team : ""),
            "team_key", str_or_null(&row, 2, p),
            "status", str_or_null(&row, 4, p),
            "created_at", x_int(&row, 5), "updated_at", x_int(&row, 6),
            "messages", msgs));
    }
    return out;
}

/* A Bescheid (metadata, not the PDF) of the bound customer. */
static json_t *x_bescheid(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack("{s:o, s:o, s:I, s:I, s:o, s:o}",
                     "title", str_or_null(row, 0, p),
                     "name", str_or_null(row, 1, p), "size", x_int(row, 2),
                     "provided_at", x_int(row, 3),
                     "delivered_on", str_or_null(row, 4, p),
                     "opened_at", time_or_null(row, 5));
}

/* A Termin of the bound customer. */
static json_t *x_termin(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *team = jc_db_col_str(row, 4, p);

    return json_pack("{s:o, s:o, s:o, s:o, s:s, s:I, s:o}",
                     "date", str_or_null(row, 0, p),
                     "time", str_or_null(row, 1, p),
                     "place", str_or_null(row, 2, p),
                     "contact", str_or_null(row, 3, p),
                     "team", jc_staff_team_text(team ? team : ""),
                     "created_at", x_int(row, 5),
                     "seen_at", time_or_null(row, 6));
}

/* An array of one(row) for the rows of r. */
static json_t *x_list(jc_db_res_t *r,
                      json_t *(*one)(const jc_db_row_t *, apr_pool_t *),
                      apr_pool_t *p)
{
    json_t *out = json_array();
    jc_db_row_t row;
    int i;

    for (i = 0; i < r->nrows && jc_db_res_row(r, i, &row, p) == 0; i++) {
        json_array_append_new(out, one(&row, p));
    }
    return out;
}

/* Upload submissions with their files (name, type, size, SHA-256 of the
 * content); the receipt's verification code hash is left out. */
static json_t *x_uploads(jc_db_res_t *rs, apr_pool_t *p)
{
    json_t *out = json_array();
    jc_db_row_t row;
    int i;

    for (i = 0; i < rs[X_SUBS].nrows
                && jc_db_res_row(&rs[X_SUBS], i, &row, p) == 0; i++) {
        json_array_append_new(out, json_pack(
            "{s:o, s:o, s:I, s:o, s:I, s:o, s:o}",
            "reference", str_or_null(&row, 1, p),
            "area", str_or_null(&row, 2, p),
            "submitted_at", x_int(&row, 3),
            "status", str_or_null(&row, 4, p),
            "status_at", x_int(&row, 5),
            "message", str_or_null(&row, 6, p),
            "files", x_files(&rs[X_SUB_FILES], x_int(&row, 0), 1, p)));
    }
    return out;
}

void jc_konto_export(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_ctx_t *ctx, const jc_session_t *s,
                     apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    const void *args[1];
    jc_db_res_t r;
    jc_db_row_t row;
    jc_db_rc_e rc;
    json_t *acct = NULL, *keys = NULL, *totp = NULL, *sess = NULL;
    json_t *events = NULL, *profile = NULL, *online = NULL, *hist = NULL;
    json_t *pend = NULL;
    jc_db_res_t xr[X_N];
    int i;

    jc_result_ok(res);
    *out = NULL;
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)) {
        return;
    }
    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_KONTO_ACCOUNT, args, p);
    if (rc == JC_DB_OK) {
        apr_int64_t created = 0, updated = 0, pwc = 0;

        jc_db_col_i64(&row, 5, &created, 0);
        jc_db_col_i64(&row, 6, &updated, 0);
        jc_db_col_i64(&row, 7, &pwc, 0);
        acct = json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:b}",
                         "id", (json_int_t)id,
                         "email", str_or_null(&row, 0, p),
                         "username", str_or_null(&row, 1, p),
                         "email_confirmed_at", time_or_null(&row, 2),
                         "created_at", (json_int_t)created,
                         "updated_at", (json_int_t)updated,
                         "password_change_required", pwc != 0);
        rc = pending_email(db, &pend, id, now, p);
        if (acct && pend) {
            json_object_set_new(acct, "pending_email", pend);
            pend = NULL;
        }
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_select(db, &r, JC_SQL_SEC_PASSKEYS, args, p);
    }
    if (rc == JC_DB_OK) {
        keys = json_array();
        for (i = 0; i < r.nrows && jc_db_res_row(&r, i, &row, p) == 0;
             i++) {
            apr_int64_t created = 0, flagged = 0;
            const char *name = jc_db_col_str(&row, 1, p);

            jc_db_col_i64(&row, 2, &created, 0);
            jc_db_col_i64(&row, 4, &flagged, 0);
            json_array_append_new(keys, json_pack(
                "{s:s, s:I, s:o, s:b}", "name", name ? name : "Passkey",
                "created_at", (json_int_t)created,
                "last_used_at", time_or_null(&row, 3),
                "flagged", flagged != 0));
        }
        rc = jc_db_select1(db, &row, JC_SQL_SEC_TOTP, args, p);
        if (rc == JC_DB_OK) {
            totp = json_pack("{s:s, s:o, s:o}", "type",
                             "Authentifizierungs-App (TOTP)", "confirmed_at",
                             time_or_null(&row, 0), "last_used_at",
                             time_or_null(&row, 1));
        }
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_OK;
        }
    }
    if (rc == JC_DB_OK) {
        rc = sessions(db, &sess, ctx, s, 0, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_select(db, &r, JC_SQL_KONTO_EVENTS, args, p);
    }
    if (rc == JC_DB_OK) {
        events = json_array();
        for (i = 0; i < r.nrows && jc_db_res_row(&r, i, &row, p) == 0;
             i++) {
            apr_int64_t at = 0;
            const char *kind = jc_db_col_str(&row, 1, p);

            jc_db_col_i64(&row, 0, &at, 0);
            json_array_append_new(events, json_pack(
                "{s:I, s:s, s:s, s:o}", "at", (json_int_t)at,
                "kind", kind ? kind : "", "text", jc_event_text(kind),
                "detail", str_or_null(&row, 2, p)));
        }
        rc = jc_db_select1(db, &row, JC_SQL_PROF_GET, args, p);
        if (rc == JC_DB_OK) {
            profile = json_pack(
                "{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o}}",
                "kundennummer", str_or_null(&row, 0, p),
                "salutation", str_or_null(&row, 1, p),
                "given_name", str_or_null(&row, 2, p),
                "family_name", str_or_null(&row, 3, p),
                "bound_at", time_or_null(&row, 4),
                "jobcenter", "name", str_or_null(&row, 5, p),
                "street", str_or_null(&row, 6, p),
                "postcode", str_or_null(&row, 7, p),
                "city", str_or_null(&row, 8, p),
                "phone", str_or_null(&row, 9, p));
        }
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_OK;
        }
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_select1(db, &row, JC_SQL_ONLINE_GET, args, p);
        if (rc == JC_DB_OK) {
            online = json_pack("{s:o, s:o, s:o, s:o}",
                               "active_since", time_or_null(&row, 0),
                               "text_version", str_or_null(&row, 1, p),
                               "deactivation_requested_at",
                               time_or_null(&row, 2),
                               "deactivation_effective_at",
                               time_or_null(&row, 3));
        }
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_OK;
        }
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_select(db, &r, JC_SQL_KONTO_ONLINE_HIST, args, p);
    }
    if (rc == JC_DB_OK) {
        hist = json_array();
        for (i = 0; i < r.nrows && jc_db_res_row(&r, i, &row, p) == 0;
             i++) {
            apr_int64_t at = 0;

            jc_db_col_i64(&row, 0, &at, 0);
            json_array_append_new(hist, json_pack(
                "{s:I, s:o, s:o, s:o}", "at", (json_int_t)at,
                "action", str_or_null(&row, 1, p),
                "text_version", str_or_null(&row, 2, p),
                "effective_at", time_or_null(&row, 3)));
        }
        rc = x_rows(db, xr, id, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_select1(db, &row, JC_SQL_KONTO_ACCOUNT, args, p);
    }
    if (rc == JC_DB_OK) {
        *out = json_pack(
            "{s:s, s:I, s:o, s:{s:o, s:o}, s:o, s:o, s:o, "
            "s:{s:o, s:o, s:o, s:o}}",
            "format", "jobcenter-digital-auskunft-1",
            "created_at", (json_int_t)now,
            "account", acct ? acct : json_null(),
            "factors", "totp", totp ? totp : json_null(),
            "passkeys", keys,
            "sessions", sess,
            "verlauf", events,
            "person_profile", profile ? profile : json_null(),
            "consents", "terms_accepted_at", time_or_null(&row, 3),
            "email_consent_at", time_or_null(&row, 4),
            "online_kommunikation", online ? online : json_null(),
            "online_kommunikation_history", hist);
        acct = keys = totp = sess = events = profile = online = hist = NULL;
        if (!*out) {
            jc_result_internal(res, "json_pack of the export failed");
            return;
        }
        json_object_set_new(*out, "nachrichten", x_conversations(xr, p));
        json_object_set_new(*out, "bescheide",
                            x_list(&xr[X_BESCHEIDE], x_bescheid, p));
        json_object_set_new(*out, "termine",
                            x_list(&xr[X_TERMINE], x_termin, p));
        json_object_set_new(*out, "uploads", x_uploads(xr, p));
        return;
    }
    json_decref(acct);
    json_decref(keys);
    json_decref(totp);
    json_decref(sess);
    json_decref(events);
    json_decref(profile);
    json_decref(online);
    json_decref(hist);
    json_decref(pend);
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 401, "not_authenticated",
                      "Bitte melden Sie sich an.", NULL);
        return;
    }
    jc_db_fail(res, db, rc, p);
}

/* ---- deletion ------------------------------------------------------------------ */

void jc_konto_delete(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                     const jc_session_t *s, const char *pw, size_t pwlen,
                     int confirm, apr_int64_t now, apr_pool_t *p)
{
    static const jc_sql_id_e drops[] = {
        JC_SQL_SESS_DROP_ACCOUNT, JC_SQL_KONTO_DEL_TOKENS, JC_SQL_KONTO_DEL_EVENTS,
        JC_SQL_SEC_TOTP_DELETE, JC_SQL_KONTO_DEL_PASSKEYS,
        JC_SQL_KONTO_DEL_CHALLENGES, JC_SQL_KONTO_DEL_ONLINE_HIST,
        JC_SQL_KONTO_DEL_ONLINE, JC_SQL_KONTO_FSC_UNLINK, JC_SQL_KONTO_CONV_UNLINK,
        JC_SQL_KONTO_SUB_UNLINK, JC_SQL_KONTO_FILE_UNLINK,
        JC_SQL_KONTO_DRAFT_UNLINK, JC_SQL_KONTO_TUS_UNLINK,
        JC_SQL_KONTO_DEL_ACCOUNT
    };
    apr_int64_t id = s->account_id, cust = 0;
    const char *phc = NULL;
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;
    size_t i;
    int had_profile = 0;

    jc_result_ok(res);
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)) {
        return;
    }
    if (!confirm) {
        jc_result_set(res, 422, "confirm_required",
                      "Bitte bestätigen Sie, dass Sie Ihr Konto endgültig "
                      "löschen möchten.", "confirm");
        return;
    }
    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_STAFF_GET, args, p);
    if (rc == JC_DB_OK) {
        jc_result_set(res, 409, "staff_account",
                      "Das Konto einer Mitarbeiterin oder eines Mitarbeiters "
                      "des Jobcenters kann nicht selbst gelöscht werden. "
                      "Bitte wenden Sie sich an die Administration.", NULL);
        return;
    }
    if (rc != JC_DB_NOROW && jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (check_password(db, res, ctx, s, pw, pwlen, "password", &phc, now,
                       p)) {
        return;
    }
    if (jc_account_change_begin(db, res, id, now, p)) {
        return;
    }
    /* the person profile: the customer record stays, its binding goes,
     * and only a new Freischaltcode can bind it again */
    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_KONTO_CUST_OF, args, p);
    if (rc == JC_DB_OK) {
        had_profile = 1;
        jc_db_col_i64(&row, 0, &cust, 0);
        args[0] = &cust;
        rc = jc_db_exec(db, NULL, JC_SQL_KONTO_CUST_RELEASE, args, p);
        if (rc == JC_DB_OK) {
            args[0] = &now;
            args[1] = &cust;
            rc = jc_db_exec(db, NULL, JC_SQL_FSC_VOID, args, p);
        }
    }
    else if (rc == JC_DB_NOROW) {
        rc = JC_DB_OK;
    }
    for (i = 0; rc == JC_DB_OK && i < sizeof(drops) / sizeof(drops[0]);
         i++) {
        args[0] = &id;
        rc = jc_db_exec(db, NULL, drops[i], args, p);
    }
    if (rc == JC_DB_OK && s->email && s->email_confirmed) {
        rc = notice(db, ctx, s->email, "Ihr Konto wurde gelöscht",
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
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    res->status = 204;
}

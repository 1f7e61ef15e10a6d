/* TOTP second factor flows (see jc_mfa.h). */
#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>

#include "jc_event.h"
#include "jc_factor.h"
#include "jc_mail.h"
#include "jc_mfa.h"
#include "jc_outbox.h"
#include "jc_qr.h"
#include "jc_security.h"
#include "jc_throttle.h"
#include "jc_totp.h"

#define JC_MFA_QR_SCALE 4   /* pixels per module of the set-up QR code */
#define JC_MFA_QR_LABEL "QR-Code zum Einrichten Ihrer Authentifizierungs-App"

static const char *seal_context(apr_int64_t account_id, apr_pool_t *p)
{
    return apr_psprintf(p, "totp:%" APR_INT64_T_FMT, account_id);
}

const char *jc_mfa_code_clean(const char *code, apr_pool_t *p)
{
    char buf[JC_TOTP_DIGITS + 1];
    size_t n = 0;

    if (!code) {
        return NULL;
    }
    for (; *code; code++) {
        if (*code == ' ' || *code == '\t') {
            continue;
        }
        if (*code < '0' || *code > '9' || n >= JC_TOTP_DIGITS) {
            return NULL;
        }
        buf[n++] = *code;
    }
    if (n != JC_TOTP_DIGITS) {
        return NULL;
    }
    return apr_pstrmemdup(p, buf, n);
}

const char *jc_mfa_secret_groups(const char *b32, apr_pool_t *p)
{
    size_t n, i, o = 0;
    char *out;

    if (!b32) {
        return NULL;
    }
    n = strlen(b32);
    out = apr_palloc(p, n + n / 4 + 1);
    for (i = 0; i < n; i++) {
        if (i > 0 && i % 4 == 0) {
            out[o++] = ' ';
        }
        out[o++] = b32[i];
    }
    out[o] = '\0';
    return out;
}

static void code_malformed(jc_result_t *res)
{
    jc_result_set(res, 422, "code_malformed",
                  "Bitte geben Sie den 6-stelligen Code aus Ihrer "
                  "Authentifizierungs-App ein (nur Ziffern).", "code");
}

static void code_invalid(jc_result_t *res)
{
    jc_result_set(res, 401, "code_invalid",
                  "Der Code ist falsch oder abgelaufen.", "code");
}

static void code_used(jc_result_t *res, apr_int64_t account_id,
                      apr_int64_t step, apr_pool_t *p)
{
    res->log = apr_psprintf(p, "TOTP code replayed: account %"
                            APR_INT64_T_FMT ", step %" APR_INT64_T_FMT,
                            account_id, step);
    jc_result_set(res, 401, "code_used",
                  "Dieser Code wurde bereits verwendet. Bitte warten Sie, "
                  "bis Ihre Authentifizierungs-App einen neuen Code "
                  "anzeigt, und geben Sie diesen ein.", "code");
}

static void factor_exists(jc_result_t *res)
{
    jc_result_set(res, 409, "factor_exists",
                  "Für Ihr Konto ist bereits ein zweiter Faktor "
                  "eingerichtet.", NULL);
}

/* The factor row of an account. */
typedef struct {
    const char *sealed;       /* secret_sealed                      */
    int confirmed;            /* confirmed_at is set                */
    apr_int64_t last_step;    /* last accepted step, -1 = none      */
    apr_int64_t failed;       /* consecutive wrong codes            */
    apr_int64_t blocked;      /* blocked_until                      */
} factor_t;

/* The factor row of an account: label jc_totp_get, or jc_totp_lock (the
 * row locked for the open transaction, so the throttle check, the code
 * check and the count of a wrong code are one step and parallel guesses
 * cannot pass the limit; SQLite: BEGIN IMMEDIATE; PostgreSQL: the row
 * lock). */
static jc_db_rc_e factor_read(jc_db_t *db, factor_t *f, apr_int64_t id,
                              jc_sql_id_e label, apr_pool_t *p)
{
    const void *args[1];
    apr_int64_t at;
    jc_db_row_t row;
    jc_db_rc_e rc;

    memset(f, 0, sizeof(*f));
    args[0] = &id;
    rc = jc_db_select1(db, &row, label, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    f->sealed = jc_db_col_str(&row, JC_COL_TOTP_GET_SECRET_SEALED, p);
    f->confirmed = jc_db_col_i64(&row, JC_COL_TOTP_GET_CONFIRMED_AT, &at, 0);
    jc_db_col_i64(&row, JC_COL_TOTP_GET_LAST_STEP, &f->last_step, -1);
    jc_db_col_i64(&row, JC_COL_TOTP_GET_FAILED_CODES, &f->failed, 0);
    jc_db_col_i64(&row, JC_COL_TOTP_GET_BLOCKED_UNTIL, &f->blocked, 0);
    return f->sealed ? JC_DB_OK : JC_DB_ERROR;
}

/* Check code against the sealed secret: the jc_totp_verify() outcome, or
 * APR_EGENERAL (res set to 500) when the secret does not open. */
static apr_status_t check_code(jc_result_t *res, apr_int64_t *step,
                               const jc_ctx_t *ctx, const factor_t *f,
                               apr_int64_t account_id, const char *code,
                               apr_int64_t now, apr_pool_t *p)
{
    unsigned char *key = NULL;
    size_t keylen = 0;
    apr_status_t rv;

    *step = -1;
    if (!ctx->secretbox
        || jc_secretbox_open(&key, &keylen, ctx->secretbox, f->sealed,
                             seal_context(account_id, p), p)
           != APR_SUCCESS) {
        jc_result_internal(res, apr_psprintf(p, "the TOTP secret of account "
                           "%" APR_INT64_T_FMT " does not open (another "
                           "JobcenterSecretKeyFile?)", account_id));
        return APR_EGENERAL;
    }
    rv = jc_totp_verify(step, code, key, keylen, now, JC_TOTP_SHA1,
                        JC_TOTP_DIGITS, f->last_step);
    OPENSSL_cleanse(key, keylen);
    if (rv != APR_SUCCESS && rv != APR_EEXIST && rv != APR_EMISMATCH) {
        jc_result_internal(res, "TOTP verification failed");
        return APR_EGENERAL;
    }
    return rv;
}

static void session_gone(jc_result_t *res, jc_db_t *db, apr_pool_t *p)
{
    jc_db_rollback(db, p);
    jc_result_set(res, 401, "not_authenticated",
                  "Bitte melden Sie sich an.", NULL);
}

void jc_mfa_totp_setup(jc_db_t *db, jc_result_t *res, jc_totp_setup_t *out,
                       const jc_ctx_t *ctx, const jc_session_t *s,
                       apr_int64_t now, apr_pool_t *p)
{
    unsigned char secret[JC_TOTP_SECRET_LEN];
    const char *b32, *sealed = NULL, *uri = NULL, *svg = NULL, *label;
    const void *args[3];
    apr_int64_t id = s->account_id;
    jc_db_rc_e rc;
    int n = 0;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    label = s->email ? s->email : s->username;
    if (!label) {
        label = apr_psprintf(p, "Konto %" APR_INT64_T_FMT, id);
    }
    if (!ctx->secretbox || !ctx->totp_issuer) {
        jc_result_internal(res, "no key for secrets at rest");
        return;
    }
    if (!jc_factor_may_add(db, res, s, ctx->reauth_window, 0, now, p)) {
        return;
    }
    /* the crypto first, outside any transaction */
    if (jc_totp_secret_new(secret, sizeof(secret)) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return;
    }
    b32 = jc_totp_base32_encode(secret, sizeof(secret), p);
    if (jc_secretbox_seal(&sealed, ctx->secretbox, secret, sizeof(secret),
                          seal_context(id, p), p) != APR_SUCCESS
        || jc_totp_uri(&uri, ctx->totp_issuer, label, secret,
                       sizeof(secret), JC_TOTP_SHA1, JC_TOTP_DIGITS, p)
           != APR_SUCCESS
        || jc_qr_svg(&svg, uri, JC_MFA_QR_LABEL, JC_MFA_QR_SCALE, p)
           != APR_SUCCESS) {
        OPENSSL_cleanse(secret, sizeof(secret));
        jc_result_internal(res, "sealing the secret or encoding its URI "
                           "failed");
        return;
    }
    OPENSSL_cleanse(secret, sizeof(secret));

    /* one statement: insert, or replace a pending secret; a confirmed
     * factor is never replaced (0 rows) */
    args[0] = &id;
    args[1] = sealed;
    args[2] = &now;
    rc = jc_db_exec(db, &n, JC_SQL_TOTP_PUT, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (n != 1) {
        factor_exists(res);
        return;
    }
    out->secret = jc_mfa_secret_groups(b32, p);
    out->otpauth_uri = uri;
    out->qr_svg = svg;
}

/* Before the transaction: the set-up to confirm (*f, not confirmed yet)
 * and the code checked against it (*step, its time step). Non-zero and
 * res set otherwise. */
static int totp_code_ok(jc_db_t *db, jc_result_t *res, factor_t *f,
                        apr_int64_t *step, const jc_ctx_t *ctx,
                        apr_int64_t id, const char *clean, apr_int64_t now,
                        apr_pool_t *p)
{
    jc_db_rc_e rc = factor_read(db, f, id, JC_SQL_TOTP_GET, p);
    apr_status_t rv;

    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 409, "setup_missing",
                      "Bitte starten Sie die Einrichtung des zweiten "
                      "Faktors erneut.", NULL);
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (f->confirmed) {
        factor_exists(res);
        return 1;
    }
    rv = check_code(res, step, ctx, f, id, clean, now, p);
    if (rv == APR_EGENERAL) {
        return 1;
    }
    if (rv != APR_SUCCESS) {
        code_invalid(res);
        return 1;
    }
    return 0;
}

/* In the transaction: the set-up confirmed, the session rotated (in
 * mfa_setup_required this completes a login: password and the new
 * factor; a signed-in session keeps its last check), the events.
 * *answered = 1 (rolled back, res set) when a parallel request changed
 * the set-up first. */
static jc_db_rc_e totp_store(jc_db_t *db, jc_result_t *res,
                             jc_login_out_t *out, const jc_ctx_t *ctx,
                             const jc_session_t *s, const factor_t *f,
                             apr_int64_t step, int *answered,
                             apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    int completes = s->state != JC_SESS_AUTHENTICATED, n = 0;
    const void *args[5];
    jc_db_rc_e rc;

    args[0] = &now;
    args[1] = &step;
    args[2] = &now;
    args[3] = &id;
    args[4] = f->sealed;
    rc = jc_db_exec(db, &n, JC_SQL_TOTP_CONFIRM, args, p);
    if (rc == JC_DB_OK && n != 1) {
        /* confirmed or set up anew by a parallel request */
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "setup_missing",
                      "Die Einrichtung wurde inzwischen geändert. Bitte "
                      "starten Sie sie erneut.", NULL);
        *answered = 1;
        return rc;
    }
    if (rc == JC_DB_OK) {
        rc = jc_account_rotate(db, out, ctx, s,
                               completes ? now : s->verified_at, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_TOTP_ADDED, NULL, p);
    }
    if (rc == JC_DB_OK && completes) {
        rc = jc_event_add(db, id, now, JC_EV_LOGIN,
                          "Zweiter Faktor: Authentifizierungs-App", p);
    }
    return rc;
}

void jc_mfa_totp_confirm(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                         const jc_ctx_t *ctx, const jc_session_t *s,
                         const char *code, apr_int64_t now, apr_pool_t *p)
{
    const char *clean = jc_mfa_code_clean(code, p);
    apr_int64_t step;
    factor_t f;
    jc_db_rc_e rc;
    int answered = 0;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    /* who may add a factor first, then what was sent */
    if (!jc_factor_may_add(db, res, s, ctx->reauth_window, 0, now, p)) {
        return;
    }
    if (!clean) {
        code_malformed(res);
        return;
    }
    if (totp_code_ok(db, res, &f, &step, ctx, s->account_id, clean, now,
                     p)) {
        return;
    }
    if (!jc_factor_begin_add(db, res, s, ctx->reauth_window, now, p)) {
        return;
    }
    rc = totp_store(db, res, out, ctx, s, &f, step, &answered, now, p);
    if (answered) {
        return;
    }
    if (rc == JC_DB_NOROW) {
        memset(out, 0, sizeof(*out));
        session_gone(res, db, p);
        return;
    }
    if (rc == JC_DB_OK && s->email) {
        jc_mail_t *m = jc_mail_totp_enabled(
            ctx->mail_from, s->email,
            apr_pstrcat(p, ctx->base_url, "/anmeldung.html", NULL),
            apr_time_from_sec(now), p);

        rc = jc_outbox_enqueue_composed(
            db, m, "the mail \"Zweiter Faktor eingerichtet\"", now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        memset(out, 0, sizeof(*out));
        return;
    }
}

/* Count a wrong code for the account and block it as jc_throttle says,
 * in the open transaction that locked the row (factor_lock); committed
 * by the caller. */
static jc_db_rc_e count_failure(jc_db_t *db, const jc_ctx_t *ctx,
                                apr_int64_t id, apr_int64_t now,
                                apr_pool_t *p)
{
    const void *args[2];
    apr_int64_t n = 0, until;
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_TOTP_FAILED, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_TOTP_FAILED_FAILED_CODES, &n, 0);
        until = now + jc_throttle_delay(&ctx->thr_account, n);
        args[0] = &until;
        args[1] = &id;
        rc = jc_db_exec(db, NULL, JC_SQL_TOTP_BLOCK, args, p);
    }
    return rc;
}

static void too_many(jc_result_t *res, const jc_ctx_t *ctx,
                     const factor_t *f, apr_int64_t now, apr_pool_t *p)
{
    res->retry_after = f->blocked - now > 0 ? (long)(f->blocked - now) : 1;
    if (ctx->thr_account.max_failures > 0
        && f->failed >= ctx->thr_account.max_failures) {
        jc_result_set(res, 429, "account_locked",
                      "Die Anmeldung mit Ihrem Konto ist wegen zu vieler "
                      "falscher Codes vorübergehend gesperrt. Bitte "
                      "versuchen Sie es später erneut.", "code");
        return;
    }
    jc_result_set(res, 429, "too_many_attempts",
                  apr_psprintf(p, "Zu viele falsche Codes. Bitte warten Sie "
                               "%ld Sekunden und versuchen Sie es dann "
                               "erneut.", res->retry_after), "code");
}

/* The code check after the password and for a re-authentication: code
 * format, factor, throttle, the code itself, the replay rule. On success
 * 0 is returned with a transaction open in which the step was accepted
 * (jc_totp_use); otherwise res is set and nothing is left open. */
static int code_accept(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       apr_int64_t id, const char *code, apr_int64_t now,
                       apr_pool_t *p)
{
    const char *clean = jc_mfa_code_clean(code, p);
    apr_int64_t step;
    const void *args[4];
    factor_t f;
    jc_db_rc_e rc;
    apr_status_t rv;
    int n = 0;

    if (!clean) {
        code_malformed(res);
        return 1;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    rc = factor_read(db, &f, id, JC_SQL_TOTP_LOCK, p);
    if (rc == JC_DB_NOROW || (rc == JC_DB_OK && !f.confirmed)) {
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "factor_missing",
                      "Für Ihr Konto ist kein zweiter Faktor eingerichtet. "
                      "Bitte melden Sie sich erneut an.", NULL);
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (f.blocked > now) {
        jc_db_rollback(db, p);
        too_many(res, ctx, &f, now, p);
        return 1;
    }
    rv = check_code(res, &step, ctx, &f, id, clean, now, p);
    if (rv == APR_EGENERAL) {
        jc_db_rollback(db, p);
        return 1;
    }
    if (rv == APR_EMISMATCH) {
        rc = count_failure(db, ctx, id, now, p);
        if (rc == JC_DB_OK) {
            rc = jc_db_commit(db, p);
        }
        if (rc == JC_DB_BUSY) {
            /* the failure could not be counted: do not answer "wrong" */
            jc_db_rollback(db, p);
            jc_result_unavailable(res, db->last_error);
            return 1;
        }
        if (jc_db_fail(res, db, rc, p)) {
            return 1;
        }
        res->log = apr_psprintf(p, "wrong TOTP code, account %"
                                APR_INT64_T_FMT, id);
        code_invalid(res);
        return 1;
    }
    if (rv == APR_EEXIST) {
        jc_db_rollback(db, p);
        code_used(res, id, step, p);
        return 1;
    }

    /* in the transaction that locked the row */
    args[0] = &step;
    args[1] = &now;
    args[2] = &id;
    args[3] = &step;
    rc = jc_db_exec(db, &n, JC_SQL_TOTP_USE, args, p);
    if (rc == JC_DB_OK && n != 1) {
        /* a parallel request accepted this step (or a later one) first */
        jc_db_rollback(db, p);
        code_used(res, id, step, p);
        return 1;
    }
    return jc_db_fail(res, db, rc, p);
}

void jc_mfa_totp_verify(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                        const jc_ctx_t *ctx, const jc_session_t *s,
                        const char *code, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    jc_db_rc_e rc;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    if (s->state != JC_SESS_MFA_REQUIRED) {
        res->log = jc_session_state_name(s->state);
        jc_result_set(res, 409, "mfa_not_required",
                      "Für diese Sitzung ist keine Eingabe eines "
                      "Bestätigungscodes vorgesehen.", NULL);
        return;
    }
    if (code_accept(db, res, ctx, id, code, now, p)) {
        return;
    }
    rc = jc_account_rotate(db, out, ctx, s, now, now, p);
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_LOGIN,
                          "Zweiter Faktor: Authentifizierungs-App", p);
    }
    if (rc == JC_DB_NOROW) {
        memset(out, 0, sizeof(*out));
        session_gone(res, db, p);
        return;
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        memset(out, 0, sizeof(*out));
        return;
    }
}

void jc_mfa_totp_reauth(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                        const jc_session_t *s, const char *code,
                        apr_int64_t now, apr_pool_t *p)
{
    jc_result_ok(res);
    if (code_accept(db, res, ctx, s->account_id, code, now, p)) {
        return;
    }
    jc_security_reauth_finish(db, res, s, now, p);
}

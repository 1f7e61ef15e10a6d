/* Account flows (see jc_account.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>

#include "jc_account.h"
#include "jc_event.h"
#include "jc_field.h"
#include "jc_mail.h"
#include "jc_metrics.h"
#include "jc_outbox.h"
#include "jc_setpw.h"
#include "jc_token.h"

#define JC_PURPOSE_CONFIRM "confirm"
#define JC_EMAIL_MAX 254
#define JC_LOGIN_MAX 254

const char *jc_account_normalize_email(const char *email, apr_pool_t *p)
{
    char *e, *c;
    size_t len;

    if (!email) {
        return NULL;
    }
    while (*email == ' ' || *email == '\t') {
        email++;
    }
    len = strlen(email);
    while (len > 0 && (email[len - 1] == ' ' || email[len - 1] == '\t')) {
        len--;
    }
    if (len == 0 || len > JC_EMAIL_MAX) {
        return NULL;
    }
    e = apr_pstrmemdup(p, email, len);
    for (c = e; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return jc_mail_address_valid(e) ? e : NULL;
}

int jc_account_password_details(jc_result_t *res, const char *pw,
                                size_t pwlen, const char *repeat,
                                size_t repeat_len)
{
    const jc_pw_rule_t *rule;
    int bad, n = 0;

    bad = jc_password_check(pw ? pw : "", pw ? pwlen : 0,
                            repeat ? repeat : "", repeat ? repeat_len : 0);
    for (rule = jc_password_rules(); rule->code; rule++) {
        if (bad & rule->bit) {
            jc_result_detail(res, rule->code,
                             rule->bit == JC_PW_ERR_REPEAT
                             ? "password_repeat" : "password",
                             rule->message);
            n++;
        }
    }
    return n;
}

int jc_account_validate(jc_result_t *res, const jc_register_in_t *in,
                        apr_pool_t *p)
{
    int n = 0;

    if (!in->email || !*in->email) {
        jc_result_detail(res, "email_missing", "email",
                         "Bitte geben Sie Ihre E-Mail-Adresse ein.");
        n++;
    }
    else if (!jc_account_normalize_email(in->email, p)) {
        jc_result_detail(res, "email_invalid", "email",
                         "Bitte geben Sie eine gültige E-Mail-Adresse ein.");
        n++;
    }
    n += jc_account_password_details(res, in->password, in->password_len,
                                     in->password_repeat,
                                     in->password_repeat_len);
    if (in->accept_terms != 1) {
        jc_result_detail(res, "terms_required", "accept_terms",
                         "Bitte stimmen Sie den Nutzungsbedingungen zu.");
        n++;
    }
    if (in->accept_email != 1) {
        jc_result_detail(res, "email_consent_required", "accept_email",
                         "Bitte willigen Sie in die Nutzung Ihrer "
                         "E-Mail-Adresse ein.");
        n++;
    }
    return jc_field_finish(res, n);
}

jc_db_rc_e jc_account_token_put(jc_db_t *db, apr_int64_t account_id,
                                const char *hash, const char *target,
                                const char *purpose, apr_int64_t now,
                                apr_int64_t exp, apr_pool_t *p)
{
    const void *args[6];
    jc_db_rc_e rc;

    rc = jc_account_token_drop_open(db, account_id, purpose, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    args[0] = hash;
    args[1] = &account_id;
    args[2] = target;
    args[3] = purpose;
    args[4] = &now;
    args[5] = &exp;
    return jc_db_exec(db, NULL, JC_SQL_TOKEN_INSERT, args, p);
}

jc_db_rc_e jc_account_token_drop_open(jc_db_t *db, apr_int64_t account_id,
                                      const char *purpose, apr_pool_t *p)
{
    const void *args[2];

    args[0] = &account_id;
    args[1] = purpose;
    return jc_db_exec(db, NULL, JC_SQL_TOKEN_DROP_OPEN, args, p);
}

jc_db_rc_e jc_account_token_get(jc_db_t *db, jc_link_t *out,
                                const char *hash, const char *purpose,
                                apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;
    apr_int64_t used = 0;

    args[0] = hash;
    args[1] = purpose;
    rc = jc_db_select1(db, &row, JC_SQL_TOKEN_GET, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    jc_db_col_i64(&row, JC_COL_TOKEN_GET_ACCOUNT_ID, &out->account_id, 0);
    out->email = jc_db_col_str(&row, JC_COL_TOKEN_GET_EMAIL, p);
    jc_db_col_i64(&row, JC_COL_TOKEN_GET_EXPIRES_AT, &out->expires_at, 0);
    out->used = jc_db_col_i64(&row, JC_COL_TOKEN_GET_USED_AT, &used, 0);
    return JC_DB_OK;
}

jc_db_rc_e jc_account_token_use(jc_db_t *db, const char *hash,
                                apr_int64_t now, int *nrows, apr_pool_t *p)
{
    const void *args[2];

    args[0] = &now;
    args[1] = hash;
    return jc_db_exec(db, nrows, JC_SQL_TOKEN_USE, args, p);
}

int jc_account_token_take(jc_db_t *db, jc_result_t *res, const char *hash,
                          const char *used_msg, jc_db_rc_e *rc,
                          apr_int64_t now, apr_pool_t *p)
{
    int n = 0;

    *rc = jc_account_token_use(db, hash, now, &n, p);
    if (*rc == JC_DB_OK && n != 1) {
        /* a parallel request used it first */
        jc_db_rollback(db, p);
        jc_result_set(res, 410, "token_used", used_msg, "token");
        return 1;
    }
    return 0;
}

int jc_account_token_open(jc_db_t *db, jc_result_t *res, const char *hash,
                          const char *purpose, apr_int64_t now,
                          const char *used_msg, const char *expired_msg,
                          apr_int64_t *account, const char **target,
                          apr_pool_t *p)
{
    jc_link_t link;
    jc_db_rc_e rc;

    rc = jc_account_token_get(db, &link, hash, purpose, p);
    if (rc == JC_DB_NOROW) {
        return -1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    *account = link.account_id;
    if (target) {
        *target = link.email;
    }
    if (link.used) {
        jc_db_rollback(db, p);
        jc_result_set(res, 410, "token_used", used_msg, "token");
        return 1;
    }
    if (now >= link.expires_at) {
        jc_db_rollback(db, p);
        jc_result_set(res, 410, "token_expired", expired_msg, "token");
        return 1;
    }
    return 0;
}

jc_db_rc_e jc_account_insert(jc_db_t *db, apr_int64_t *id,
                             const char *email, const char *phc,
                             apr_int64_t now, apr_pool_t *p)
{
    const void *args[6];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = email;
    args[1] = phc;
    args[2] = &now;
    args[3] = &now;
    args[4] = &now;
    args[5] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_ACCT_INSERT, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_ACCT_INSERT_ID, id, 0);
    }
    return rc;
}

jc_db_rc_e jc_account_mark_confirmed(jc_db_t *db, apr_int64_t id,
                                     apr_int64_t now, int *nrows,
                                     apr_pool_t *p)
{
    const void *args[3];

    args[0] = &now;
    args[1] = &now;
    args[2] = &id;
    return jc_db_exec(db, nrows, JC_SQL_ACCT_CONFIRM, args, p);
}

jc_db_rc_e jc_account_id_by_email(jc_db_t *db, apr_int64_t *id,
                                  const char *norm, apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = norm;
    rc = jc_db_select1(db, &row, JC_SQL_ACCT_ID_BY_EMAIL, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_ACCT_ID_BY_EMAIL_ID, id, 0);
    }
    return rc;
}

jc_db_rc_e jc_account_password_hash(jc_db_t *db, apr_int64_t id,
                                    const char **phc, apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_SEC_PASSWORD, args, p);
    if (rc == JC_DB_OK) {
        *phc = jc_db_col_str(&row, JC_COL_SEC_PASSWORD_PASSWORD_HASH, p);
    }
    return rc;
}

jc_db_rc_e jc_account_email_of(jc_db_t *db, apr_int64_t id,
                               const char **email, apr_int64_t *confirmed_at,
                               apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_ONLINE_EMAIL, args, p);
    if (rc == JC_DB_OK) {
        *email = jc_db_col_str(&row, JC_COL_ONLINE_EMAIL_EMAIL, p);
        jc_db_col_i64(&row, JC_COL_ONLINE_EMAIL_EMAIL_CONFIRMED_AT,
                      confirmed_at, 0);
    }
    return rc;
}

jc_db_rc_e jc_account_login_ok(jc_db_t *db, apr_int64_t id, apr_pool_t *p)
{
    const void *args[1];

    args[0] = &id;
    return jc_db_exec(db, NULL, JC_SQL_ACCT_LOGIN_OK, args, p);
}

jc_db_rc_e jc_account_lock(jc_db_t *db, apr_int64_t id, apr_int64_t now,
                           apr_pool_t *p)
{
    const void *args[2];

    args[0] = &now;
    args[1] = &id;
    return jc_db_exec(db, NULL, JC_SQL_SEC_LOCK, args, p);
}

int jc_account_change_begin(jc_db_t *db, jc_result_t *res, apr_int64_t id,
                            apr_int64_t now, apr_pool_t *p)
{
    jc_db_rc_e rc = jc_db_begin(db, p);

    if (rc == JC_DB_OK) {
        rc = jc_account_lock(db, id, now, p);
    }
    return jc_db_fail(res, db, rc, p);
}

/* Insert a fresh confirmation token (older open ones are dropped) and queue
 * the confirmation mail. Runs inside the caller's transaction. */
static jc_db_rc_e queue_confirmation(jc_db_t *db, const jc_ctx_t *ctx,
                                     apr_int64_t account_id,
                                     const char *email, apr_int64_t now,
                                     apr_pool_t *p)
{
    const char *token, *hash, *link;
    apr_int64_t exp = now + ctx->confirm_ttl;
    jc_mail_t *m;
    jc_db_rc_e rc;

    if (jc_token_new(&token, 32, p) != APR_SUCCESS) {
        db->last_error = "RAND_bytes failed";
        return JC_DB_ERROR;
    }
    hash = jc_token_hash(token, strlen(token), p);
    rc = jc_account_token_put(db, account_id, hash, email, JC_PURPOSE_CONFIRM,
                              now, exp, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    link = apr_pstrcat(p, ctx->base_url, "/email-bestaetigen.html?token=",
                       token, NULL);
    m = jc_mail_confirm(ctx->mail_from, email, link,
                        apr_time_from_sec(now), p);
    return jc_outbox_enqueue_composed(db, m, "the confirmation mail", now, p);
}

/* Look up an account by e-mail; *found = 0 if there is none. */
static jc_db_rc_e find_by_email(jc_db_t *db, jc_db_row_t *row, int *found,
                                const char *email, apr_pool_t *p)
{
    const void *args[1];
    jc_db_rc_e rc;

    args[0] = email;
    rc = jc_db_select1(db, row, JC_SQL_ACCT_BY_EMAIL, args, p);
    *found = (rc == JC_DB_OK);
    return rc == JC_DB_NOROW ? JC_DB_OK : rc;
}

/* The new account with its hash, its Verlauf event and the confirmation
 * mail (in the transaction). JC_DB_CONFLICT when a concurrent
 * registration inserted the address first. */
static jc_db_rc_e register_new(jc_db_t *db, const jc_ctx_t *ctx,
                               const char *email, const char *phc,
                               apr_int64_t now, apr_pool_t *p)
{
    jc_setpw_t sp = { 0 };
    jc_db_rc_e rc;

    rc = jc_account_insert(db, &sp.account, email, phc, now, p);
    if (rc != JC_DB_OK) {
        return rc == JC_DB_NOROW ? JC_DB_ERROR : rc;
    }
    /* the set-password path's rest: a new account has no sessions and
     * no links, only its event */
    sp.written = 1;
    sp.event = JC_EV_REGISTERED;
    rc = jc_setpw_store(db, &sp, now, p);
    if (rc == JC_DB_OK) {
        rc = queue_confirmation(db, ctx, sp.account, email, now, p);
    }
    return rc;
}

/* A known but unconfirmed address: the newest registration wins (the old
 * password and links stop working), so nobody can pre-register someone
 * else's address with a password of their own. */
static jc_db_rc_e register_again(jc_db_t *db, const jc_ctx_t *ctx,
                                 const jc_db_row_t *row, const char *email,
                                 const char *phc, apr_int64_t now,
                                 apr_pool_t *p)
{
    apr_int64_t id = 0;
    const void *args[5];
    jc_db_rc_e rc;

    jc_db_col_i64(row, JC_COL_ACCT_BY_EMAIL_ID, &id, 0);
    args[0] = phc;
    args[1] = &now;
    args[2] = &now;
    args[3] = &now;
    args[4] = &id;
    rc = jc_db_exec(db, NULL, JC_SQL_ACCT_REPASSWORD, args, p);
    if (rc == JC_DB_OK) {
        rc = queue_confirmation(db, ctx, id, email, now, p);
    }
    return rc;
}

/* One attempt in one transaction (committed on success): a new account,
 * a new password for an unconfirmed one, or the "already registered"
 * mail. *created = 1 for a new account. JC_DB_CONFLICT (rolled back)
 * when a concurrent registration of the address won the INSERT. */
static jc_db_rc_e register_attempt(jc_db_t *db, const jc_ctx_t *ctx,
                                   const char *email, const char *phc,
                                   int *created, apr_int64_t now,
                                   apr_pool_t *p)
{
    apr_int64_t confirmed = 0;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int found;

    rc = jc_db_begin(db, p);
    if (rc == JC_DB_OK) {
        rc = find_by_email(db, &row, &found, email, p);
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    if (!found) {
        rc = register_new(db, ctx, email, phc, now, p);
        if (rc == JC_DB_CONFLICT) {
            jc_db_rollback(db, p);
            return rc;
        }
        *created = 1;
    }
    else if (!jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_EMAIL_CONFIRMED_AT,
                            &confirmed, 0)) {
        rc = register_again(db, ctx, &row, email, phc, now, p);
    }
    else {
        jc_mail_t *m = jc_mail_already_registered(
            ctx->mail_from, email,
            apr_pstrcat(p, ctx->base_url, "/anmeldung.html", NULL),
            apr_time_from_sec(now), p);

        rc = m ? jc_outbox_enqueue(db, m, now, p) : JC_DB_ERROR;
    }
    return rc == JC_DB_OK ? jc_db_commit(db, p) : rc;
}

void jc_account_register(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                         const jc_register_in_t *in, apr_int64_t now,
                         apr_pool_t *p)
{
    jc_setpw_t sp = { 0 };
    const char *email;
    jc_db_rc_e rc;
    int attempt, created = 0;

    jc_result_ok(res);
    if (jc_account_validate(res, in, p)) {
        return;
    }
    email = jc_account_normalize_email(in->email, p);
    /* the expensive hash runs before (never inside) the transaction, and
     * for known addresses too, so timing does not tell them apart; it
     * waits for an admission slot or is refused with 503 at once. The
     * rules were checked with the other fields above. */
    sp.pw = in->password;
    sp.pwlen = in->password_len;
    sp.skip_rules = 1;
    if (jc_setpw_hash(res, ctx, &sp, p)) {
        return;
    }
    /* a concurrent registration of the same address makes the INSERT
     * conflict; the second attempt then takes the "known address" path */
    for (attempt = 0; attempt < 2; attempt++) {
        rc = register_attempt(db, ctx, email, sp.phc, &created, now, p);
        if (rc == JC_DB_CONFLICT && attempt == 0) {
            continue;
        }
        if (jc_db_fail(res, db, rc, p)) {
            return;
        }
        if (created) {
            jc_metrics_inc(JC_M_REGISTRATIONS);
        }
        res->status = 202;
        return;
    }
    jc_result_internal(res, "registration conflict twice");
}

void jc_account_confirm(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                        const char *token, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t account_id = 0;
    jc_db_rc_e rc;
    int n = 0, r;

    (void)ctx;
    jc_result_ok(res);
    if (!token || !jc_token_wellformed(token)) {
        jc_result_set(res, 404, "token_invalid",
                      "Der Bestätigungslink ist ungültig. Bitte fordern Sie "
                      "einen neuen Link an.", "token");
        return;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    r = jc_account_token_open(db, res, jc_token_hash(token, strlen(token), p),
                              JC_PURPOSE_CONFIRM, now,
                              "Dieser Bestätigungslink wurde bereits "
                              "verwendet. Ihre E-Mail-Adresse ist bestätigt; "
                              "Sie können sich anmelden.",
                              "Der Bestätigungslink ist abgelaufen (gültig 24 "
                              "Stunden). Bitte fordern Sie einen neuen Link "
                              "an.", &account_id, NULL, p);
    if (r < 0) {
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "token_invalid",
                      "Der Bestätigungslink ist ungültig oder wurde durch "
                      "einen neueren Link ersetzt. Bitte fordern Sie einen "
                      "neuen Link an.", "token");
        return;
    }
    if (r) {
        return;
    }
    if (jc_account_token_take(db, res,
                              jc_token_hash(token, strlen(token), p),
                              "Dieser Bestätigungslink wurde bereits "
                              "verwendet.", &rc, now, p)) {
        return;
    }
    if (rc == JC_DB_OK) {
        rc = jc_account_mark_confirmed(db, account_id, now, &n, p);
    }
    if (rc == JC_DB_OK && n == 1) {
        rc = jc_event_add(db, account_id, now, JC_EV_EMAIL_CONFIRMED, NULL,
                          p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
}

void jc_account_resend(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                       const char *email, apr_int64_t now, apr_pool_t *p)
{
    const char *norm = jc_account_normalize_email(email, p);
    apr_int64_t id, confirmed;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int found;

    jc_result_ok(res);
    if (!norm) {
        jc_result_set(res, 422, "email_invalid",
                      "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
                      "email");
        return;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    rc = find_by_email(db, &row, &found, norm, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (found && !jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_EMAIL_CONFIRMED_AT,
                                &confirmed, 0)) {
        jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_ID, &id, 0);
        rc = queue_confirmation(db, ctx, id, norm, now, p);
        if (rc == JC_DB_OK) {
            rc = jc_db_commit(db, p);
        }
        if (jc_db_fail(res, db, rc, p)) {
            return;
        }
    }
    else {
        jc_db_rollback(db, p);
    }
    res->status = 202;
}

jc_db_rc_e jc_account_client_clear(jc_db_t *db, const char *key,
                                   apr_pool_t *p)
{
    return jc_throttle_key_clear(db, key, p);
}

static void too_many(jc_result_t *res, apr_int64_t wait, int locked,
                     apr_pool_t *p)
{
    res->retry_after = wait > 0 ? (long)wait : 1;
    if (locked) {
        jc_result_set(res, 429, "account_locked",
                      "Ihr Konto ist wegen zu vieler fehlgeschlagener "
                      "Anmeldeversuche vorübergehend gesperrt. Bitte "
                      "versuchen Sie es später erneut.", NULL);
        return;
    }
    jc_result_set(res, 429, "too_many_attempts",
                  apr_psprintf(p, "Zu viele fehlgeschlagene "
                               "Anmeldeversuche. Bitte warten Sie %ld "
                               "Sekunden und versuchen Sie es dann erneut.",
                               res->retry_after), NULL);
}

int jc_account_client_reserve(jc_db_t *db, jc_result_t *res,
                              const jc_ctx_t *ctx, const char *key,
                              apr_int64_t now, apr_pool_t *p)
{
    jc_thr_take_t t;
    jc_db_rc_e rc;

    rc = jc_throttle_reserve(db, &t, JC_THR_KEY, key, &ctx->thr_client,
                             ctx->thr_client.lock_secs, now, p);
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (!t.reserved) {
        jc_db_rollback(db, p);
        res->log = apr_psprintf(p, "client %s blocked", key);
        too_many(res, t.wait, 0, p);
        return 1;
    }
    return 0;
}

/* What the login read of the account (found = 0: unknown login, phc is
 * the dummy hash). */
typedef struct {
    apr_int64_t id, confirmed, pwchange, passkeys, onetime_exp;
    int found, has_totp, has_factor;
    const char *phc, *email;
} login_acct_t;

/* The account of the login, by e-mail when it has an '@' (JC_DB_NOROW
 * when there is none). */
static jc_db_rc_e login_lookup(jc_db_t *db, login_acct_t *a,
                               const char *login, apr_pool_t *p)
{
    apr_int64_t factor_at = 0;
    const void *args[1];
    const char *key;
    jc_db_row_t row;
    jc_db_rc_e rc;

    if (strchr(login, '@')) {
        key = jc_account_normalize_email(login, p);
        if (!key) {
            return JC_DB_NOROW;
        }
        args[0] = key;
        rc = jc_db_select1(db, &row, JC_SQL_ACCT_BY_EMAIL, args, p);
    }
    else {
        args[0] = login;
        rc = jc_db_select1(db, &row, JC_SQL_ACCT_BY_USERNAME, args, p);
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    a->found = 1;
    jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_ID, &a->id, 0);
    a->phc = jc_db_col_str(&row, JC_COL_ACCT_BY_EMAIL_PASSWORD_HASH, p);
    jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_EMAIL_CONFIRMED_AT,
                  &a->confirmed, 0);
    jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_PASSWORD_CHANGE_REQUIRED,
                  &a->pwchange, 0);
    a->email = jc_db_col_str(&row, JC_COL_ACCT_BY_EMAIL_EMAIL, p);
    a->has_totp = jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_CONFIRMED_AT,
                                &factor_at, 0);
    jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_PASSKEYS, &a->passkeys, 0);
    jc_db_col_i64(&row, JC_COL_ACCT_BY_EMAIL_ONETIME_EXPIRES_AT,
                  &a->onetime_exp, 0);
    a->has_factor = a->has_totp || a->passkeys > 0;
    return JC_DB_OK;
}

/* Steps 1 and 2: one write transaction reserves this attempt for the
 * client address and the account (jc_throttle_reserve): whatever runs in
 * parallel, no more attempts reach the hash than the limits allow.
 * Non-zero and res set when refused (nothing reserved then). */
static int login_reserve(jc_db_t *db, jc_result_t *res, login_acct_t *a,
                         const jc_ctx_t *ctx, const char *login,
                         const char *client, apr_int64_t now, apr_pool_t *p)
{
    jc_thr_take_t t;
    jc_db_rc_e rc = jc_db_begin(db, p);

    if (jc_db_fail(res, db, rc, p)
        || jc_account_client_reserve(db, res, ctx, client ? client : "-",
                                     now, p)) {
        return 1;
    }
    rc = login_lookup(db, a, login, p);
    if (rc == JC_DB_OK) {
        rc = jc_throttle_reserve(db, &t, JC_THR_ACCOUNT, &a->id,
                                 &ctx->thr_account, 0, now, p);
        if (rc == JC_DB_OK && !t.reserved) {
            /* the client's reservation goes too: nothing was tried */
            jc_db_rollback(db, p);
            res->log = apr_psprintf(p, "account %" APR_INT64_T_FMT
                                    " blocked", a->id);
            too_many(res, t.wait, t.locked, p);
            return 1;
        }
    }
    else if (rc == JC_DB_NOROW) {
        a->phc = ctx->dummy_hash;
        rc = JC_DB_OK;
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    return jc_db_fail(res, db, rc, p);
}

/* A right password that does not sign in (in the open transaction of
 * step 4, committed here so the counts stay reset): an expired one-time
 * password, only said to whoever knows it, or an unconfirmed address.
 * Non-zero and res set then. */
static int login_refused(jc_db_t *db, jc_result_t *res,
                         const login_acct_t *a, apr_int64_t now,
                         apr_pool_t *p)
{
    /* a one-time password from a letter (issue 5) or of a new staff
     * account (staff-add: the account has its address) expires */
    if (a->pwchange && a->onetime_exp > 0 && now >= a->onetime_exp) {
        if (jc_db_fail(res, db, jc_db_commit(db, p), p)) {
            return 1;
        }
        res->log = "one-time credentials expired";
        jc_result_set(res, 401, "onetime_expired", a->email
                      ? "Ihr Einmal-Passwort ist abgelaufen. Bitte wenden "
                        "Sie sich an die Administration Ihres Jobcenters."
                      : "Ihre Einmal-Zugangsdaten aus dem Brief sind "
                        "abgelaufen. Bitte fordern Sie bei Ihrem Jobcenter "
                        "neue Zugangsdaten an.", NULL);
        return 1;
    }
    if (a->email && !a->confirmed) {
        if (jc_db_fail(res, db, jc_db_commit(db, p), p)) {
            return 1;
        }
        jc_result_set(res, 403, "email_unconfirmed",
                      "Sie haben Ihre E-Mail-Adresse noch nicht bestätigt. "
                      "Bitte klicken Sie auf den Link in der E-Mail, die wir "
                      "Ihnen gesendet haben, oder fordern Sie einen neuen "
                      "Link an.", "login");
        return 1;
    }
    return 0;
}

/* Step 4, right password: the counts (this attempt's reservations
 * included) are reset, the client's row first, in the order of the
 * reservation (PostgreSQL row locks); then the new session (the old one
 * of this browser ends). */
static void login_session(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                          const jc_ctx_t *ctx, const login_acct_t *a,
                          const char *client, const char *user_agent,
                          const char *old_token, apr_int64_t now,
                          apr_pool_t *p)
{
    jc_db_rc_e rc = jc_db_begin(db, p);

    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    rc = jc_account_client_clear(db, client ? client : "-", p);
    if (rc == JC_DB_OK) {
        rc = jc_account_login_ok(db, a->id, p);
    }
    if (jc_db_fail(res, db, rc, p) || login_refused(db, res, a, now, p)) {
        return;
    }
    if (old_token && jc_token_wellformed(old_token)) {
        rc = jc_session_delete(db, jc_token_hash(old_token,
                                                 strlen(old_token), p), p);
    }
    if (rc == JC_DB_OK) {
        /* only the password so far: verified_at waits for the factor */
        jc_sess_meta_t meta = { 0, user_agent, client };

        out->state = jc_session_after_password((int)a->pwchange,
                                               a->email != NULL,
                                               a->has_factor);
        rc = jc_session_create(db, &out->token, &out->csrf, &out->expires_at,
                               a->id, out->state, &meta, &ctx->sess, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        memset(out, 0, sizeof(*out));
        return;
    }
    out->account_id = a->id;
    out->has_totp = a->has_totp;
    out->has_passkey = a->passkeys > 0;
}

void jc_account_login(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                      const jc_ctx_t *ctx, const char *login,
                      const char *password, size_t password_len,
                      const char *client, const char *user_agent,
                      const char *old_token, apr_int64_t now, apr_pool_t *p)
{
    login_acct_t a;
    apr_status_t vrv;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    memset(&a, 0, sizeof(a));
    if (!login || !*login || strlen(login) > JC_LOGIN_MAX) {
        jc_result_set(res, 422, "login_missing",
                      "Bitte geben Sie Ihren Benutzernamen oder Ihre "
                      "E-Mail-Adresse ein.", "login");
        return;
    }
    if (!password || password_len == 0) {
        jc_result_set(res, 422, "password_missing",
                      "Bitte geben Sie Ihr Passwort ein.", "password");
        return;
    }
    /* 0. admission for the hash (jc_hashgate): a slot now or soon, or
     * 503 service_busy at once; a refused attempt reserved nothing, so it
     * is not counted by the throttle and changed nothing. The slot is held
     * until the hash is done (no transaction waits for it). */
    if (jc_hashgate_admit(ctx->hashgate, res)) {
        return;
    }
    /* 1. and 2. the reservations and the account */
    if (login_reserve(db, res, &a, ctx, login, client, now, p)) {
        jc_hashgate_leave(ctx->hashgate);
        return;
    }
    /* 3. the hash, outside any transaction; unknown users pay the same */
    vrv = jc_password_verify(a.phc ? a.phc : ctx->dummy_hash, password,
                             password_len);
    jc_hashgate_leave(ctx->hashgate);
    if (!a.found || vrv != APR_SUCCESS) {
        /* the reservations are the counted failures */
        res->log = a.found ? "wrong password" : "unknown login";
        jc_result_set(res, 401, "invalid_credentials",
                      "Benutzername / E-Mail-Adresse oder Passwort ist "
                      "falsch.", NULL);
        return;
    }
    /* 4. the counts reset, the session */
    login_session(db, res, out, ctx, &a, client, user_agent, old_token, now,
                  p);
}

jc_db_rc_e jc_account_rotate(jc_db_t *db, jc_login_out_t *out,
                             const jc_ctx_t *ctx, const jc_session_t *s,
                             apr_int64_t verified_at, apr_int64_t now,
                             apr_pool_t *p)
{
    return jc_account_rotate_to(db, out, ctx, s, JC_SESS_AUTHENTICATED,
                                verified_at, now, p);
}

jc_db_rc_e jc_account_rotate_to(jc_db_t *db, jc_login_out_t *out,
                                const jc_ctx_t *ctx, const jc_session_t *s,
                                jc_sess_state_e st, apr_int64_t verified_at,
                                apr_int64_t now, apr_pool_t *p)
{
    jc_sess_meta_t meta = { verified_at, s->user_agent, s->client_ip };
    jc_db_rc_e rc;
    int n = 0;

    rc = jc_session_delete_n(db, s->id_hash, &n, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    if (n != 1) {
        return JC_DB_NOROW;
    }
    out->state = st;
    out->account_id = s->account_id;
    return jc_session_create(db, &out->token, &out->csrf, &out->expires_at,
                             s->account_id, st, &meta, &ctx->sess, now, p);
}

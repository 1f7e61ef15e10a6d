/* One-time credentials and the forced flow (see jc_onetime.h). */
#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "jc_onetime.h"
#include "jc_event.h"
#include "jc_field.h"
#include "jc_jobcenter.h"
#include "jc_letter.h"
#include "jc_mail.h"
#include "jc_outbox.h"
#include "jc_password.h"
#include "jc_setpw.h"
#include "jc_token.h"

#define JC_ONETIME_TRIES 8

const char *jc_onetime_username_new(apr_pool_t *p)
{
    int attempt;

    for (attempt = 0; attempt < 64; attempt++) {
        unsigned char b[4];
        apr_uint32_t v;

        if (RAND_bytes(b, sizeof(b)) != 1) {
            return NULL;
        }
        v = ((apr_uint32_t)b[0] << 24) | ((apr_uint32_t)b[1] << 16)
            | ((apr_uint32_t)b[2] << 8) | b[3];
        /* rejection sampling: 4 * 10^9 is the largest multiple of 10^9
         * below 2^32, so every nine-digit value is equally likely */
        if (v >= 4000000000u) {
            continue;
        }
        return apr_psprintf(p, "ba-%09u", (unsigned)(v % 1000000000u));
    }
    return NULL;
}

/* The letter head of cust's jobcenter, the customer in the window. */
static jc_db_rc_e letter_head(jc_db_t *db, jc_letter_head_t *h,
                              const jc_ctx_t *ctx, const jc_customer_t *cust,
                              const char **jc_name, apr_int64_t now,
                              apr_pool_t *p)
{
    jc_jobcenter_in_t jc;
    const char *name;
    jc_db_rc_e rc;

    rc = jc_jobcenter_get(db, &jc, cust->jobcenter_id, p);
    if (rc != JC_DB_OK) {
        return rc == JC_DB_NOROW ? JC_DB_ERROR : rc;
    }
    memset(h, 0, sizeof(*h));
    h->jc_name = jc.name;
    h->jc_street = jc.street;
    h->jc_city = apr_pstrcat(p, jc.postcode, " ", jc.city, NULL);
    h->jc_phone = jc.phone;
    name = apr_pstrcat(p, cust->given_name, " ", cust->family_name, NULL);
    if (cust->salutation && *cust->salutation) {
        name = apr_pstrcat(p, cust->salutation, " ", name, NULL);
    }
    h->recipient[0] = name;
    h->recipient[1] = cust->street;
    h->recipient[2] = apr_pstrcat(p, cust->postcode, " ", cust->city, NULL);
    h->recipient[3] = NULL;
    h->kundennummer = cust->kundennummer;
    h->date = (time_t)now;
    h->login_url = ctx->base_url
        ? apr_pstrcat(p, ctx->base_url, "/anmeldung.html", NULL) : NULL;
    h->info_url = ctx->info_url;
    h->service_phone = ctx->service_phone;
    h->hearing_url = ctx->hearing_url;
    *jc_name = h->jc_name;
    return JC_DB_OK;
}

static void wipe_out(jc_onetime_out_t *out)
{
    if (out->password) {
        OPENSSL_cleanse((void *)out->password, strlen(out->password));
    }
    memset(out, 0, sizeof(*out));
}

/* The customer's bound login account (*acct), its address (*old_email,
 * NULL when none) and whether that is confirmed. Non-zero and res set
 * when there is none (409 customer_unbound) or it is a staff account
 * (409 staff_account). */
static int issue_target(jc_db_t *db, jc_result_t *res,
                        const jc_staff_t *staff, const jc_customer_t *cust,
                        apr_int64_t *acct, const char **old_email,
                        apr_int64_t *confirmed, apr_pool_t *p)
{
    apr_int64_t cid = cust->id, jcid = staff->jobcenter_id, is_staff = 0;
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &cid;
    args[1] = &jcid;
    rc = jc_db_select1(db, &row, JC_SQL_ONETIME_CUST_ACCOUNT, args, p);
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 409, "customer_unbound", "Diese Kundin oder "
                      "dieser Kunde hat noch kein Konto mit den eServices "
                      "verbunden. Stellen Sie bitte einen Freischaltcode "
                      "aus.", NULL);
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    jc_db_col_i64(&row, JC_COL_ONETIME_CUST_ACCOUNT_ID, acct, 0);
    *old_email = jc_db_col_str(&row, JC_COL_ONETIME_CUST_ACCOUNT_EMAIL, p);
    jc_db_col_i64(&row, JC_COL_ONETIME_CUST_ACCOUNT_EMAIL_CONFIRMED_AT,
                  confirmed, 0);
    jc_db_col_i64(&row, JC_COL_ONETIME_CUST_ACCOUNT_STAFF, &is_staff, 0);
    if (*old_email && !**old_email) {
        *old_email = NULL; /* pgsql gives "" for NULL */
    }
    if (is_staff > 0) {
        jc_result_set(res, 409, "staff_account", "Das verbundene Konto ist "
                      "ein Konto von Mitarbeitenden. Dessen Zugangsdaten "
                      "setzt die Administration zurück.", NULL);
        return 1;
    }
    return 0;
}

/* Before any transaction: the one-time password, its hash (sp->phc) and
 * the letter with it (part 2). Non-zero and res set (out wiped) when one
 * of them fails. */
static int issue_password(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                          const jc_customer_t *cust, jc_onetime_out_t *out,
                          jc_letter_head_t *h, const char **jc_name,
                          jc_setpw_t *sp, apr_int64_t now, apr_pool_t *p)
{
    const char *err = NULL;
    jc_db_rc_e rc;

    out->password = jc_staff_gen_password(p);
    if (!out->password) {
        jc_result_internal(res, "RAND_bytes failed");
        return 1;
    }
    /* a generated password: no rules to check, nothing to compare */
    sp->pw = out->password;
    sp->pwlen = strlen(out->password);
    sp->skip_rules = 1;
    if (jc_setpw_hash(res, ctx, sp, p)) {
        wipe_out(out);
        return 1;
    }
    rc = letter_head(db, h, ctx, cust, jc_name, now, p);
    if (jc_db_fail(res, db, rc, p)) {
        wipe_out(out);
        return 1;
    }
    if (jc_letter_credential(p, h, 2, out->password,
                             (time_t)out->expires_at, &out->letter_pass,
                             &out->letter_pass_len, &err) != 0) {
        wipe_out(out);
        jc_result_internal(res, apr_pstrcat(p, "letter 2: ", err ? err : "-",
                                            NULL));
        return 1;
    }
    return 0;
}

/* One attempt with a new username: in one transaction the account gets
 * the username and the hash, loses its factors, links and sessions, and
 * the event, the audit row and the notice are written. JC_DB_CONFLICT
 * (rolled back) when the username is taken. */
static jc_db_rc_e issue_store(jc_db_t *db, const jc_onetime_out_t *out,
                              const jc_setpw_t *sp, apr_int64_t now,
                              apr_pool_t *p)
{
    static const jc_sql_id_e drops[] = {
        JC_SQL_ONETIME_DROP_TOTP, JC_SQL_ONETIME_DROP_PASSKEYS,
        JC_SQL_ONETIME_DROP_CHALLENGES, JC_SQL_ONETIME_DROP_TOKENS
    };
    apr_int64_t acct = sp->account;
    const void *args[5];
    jc_db_rc_e rc = jc_db_begin(db, p);
    size_t i;

    if (rc == JC_DB_OK) {
        args[0] = sp->phc;
        args[1] = out->username;
        args[2] = &out->expires_at;
        args[3] = &now;
        args[4] = &acct;
        rc = jc_db_exec(db, NULL, JC_SQL_ONETIME_ACCOUNT, args, p);
    }
    if (rc == JC_DB_CONFLICT) {
        jc_db_rollback(db, p);
        return rc;
    }
    for (i = 0; rc == JC_DB_OK && i < sizeof(drops) / sizeof(drops[0]);
         i++) {
        args[0] = &acct;
        rc = jc_db_exec(db, NULL, drops[i], args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_setpw_store(db, sp, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    return rc;
}

void jc_onetime_issue(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                    const jc_staff_t *staff, const jc_customer_t *cust,
                    apr_int64_t valid_secs, apr_int64_t now,
                    jc_onetime_out_t *out, apr_pool_t *p)
{
    apr_int64_t acct = 0, confirmed = 0;
    const char *old_email = NULL, *jc_name = NULL, *err = NULL;
    jc_setpw_t sp = { 0 };
    jc_letter_head_t h;
    jc_db_rc_e rc;
    int attempt;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    if (issue_target(db, res, staff, cust, &acct, &old_email, &confirmed,
                     p)) {
        return;
    }
    out->account_id = acct;
    out->expires_at = now + valid_secs;
    /* the expensive hash and the letters before (never inside) the
     * transaction; nothing is stored unless both letters exist */
    if (issue_password(db, res, ctx, cust, out, &h, &jc_name, &sp, now, p)) {
        return;
    }
    sp.account = acct;
    sp.written = 1;
    sp.sessions = JC_SETPW_SESSIONS_END_ALL;
    sp.event = JC_EV_CREDENTIALS_RESET;
    sp.event_detail = jc_name;
    sp.audit_staff = staff->account_id;
    sp.audit_action = "credentials_reset";
    sp.audit_customer = cust->id;
    sp.audit_detail = apr_psprintf(p, "account %" APR_INT64_T_FMT
                                   ", valid until %" APR_INT64_T_FMT,
                                   acct, out->expires_at);
    sp.notify = old_email && confirmed;
    sp.notice = sp.notify ? jc_mail_credentials_reset(
        ctx->mail_from, old_email, jc_name, apr_time_from_sec(now), p)
        : NULL;
    for (attempt = 0; attempt < JC_ONETIME_TRIES; attempt++) {
        out->username = jc_onetime_username_new(p);
        if (!out->username
            || jc_letter_credential(p, &h, 1, out->username,
                                    (time_t)out->expires_at,
                                    &out->letter_user, &out->letter_user_len,
                                    &err) != 0) {
            wipe_out(out);
            jc_result_internal(res, out->username ? "letter 1 failed"
                                                  : "RAND_bytes failed");
            return;
        }
        rc = issue_store(db, out, &sp, now, p);
        if (rc == JC_DB_CONFLICT) {
            continue; /* the username is taken: draw another one */
        }
        if (jc_db_fail(res, db, rc, p)) {
            wipe_out(out);
        }
        return;
    }
    wipe_out(out);
    jc_result_internal(res, "no free one-time username after 8 tries");
}

/* The account's one-time state: its current hash (*cur), its address
 * (*email) and whether it has factors. Non-zero and res set when the
 * change is not (or no longer) required. */
static int onetime_state(jc_db_t *db, jc_result_t *res, apr_int64_t acct,
                         const char **cur, const char **email,
                         apr_int64_t *factors, apr_pool_t *p)
{
    apr_int64_t pwchange = 0;
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &acct;
    rc = jc_db_select1(db, &row, JC_SQL_ONETIME_STATE, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    *cur = jc_db_col_str(&row, JC_COL_ONETIME_STATE_PASSWORD_HASH, p);
    jc_db_col_i64(&row, JC_COL_ONETIME_STATE_PASSWORD_CHANGE_REQUIRED,
                  &pwchange, 0);
    *email = jc_db_col_str(&row, JC_COL_ONETIME_STATE_EMAIL, p);
    jc_db_col_i64(&row, JC_COL_ONETIME_STATE_FACTORS, factors, 0);
    if (!pwchange) {
        jc_result_set(res, 409, "password_change_not_required",
                      "Ihr Passwort muss nicht geändert werden.", NULL);
        return 1;
    }
    return 0;
}

void jc_onetime_set_password(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                           const jc_ctx_t *ctx, const jc_session_t *s,
                           const char *pw, size_t pw_len,
                           const char *repeat, size_t repeat_len,
                           apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t acct = s->account_id, factors = 0;
    const char *cur = NULL, *email = NULL;
    jc_setpw_t sp = { 0 };
    const void *args[3];
    jc_db_rc_e rc;
    int n = 0;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    if (s->state != JC_SESS_PASSWORD_CHANGE_REQUIRED) {
        jc_result_set(res, 409, "password_change_not_required",
                      "Ihr Passwort muss nicht geändert werden.", NULL);
        return;
    }
    if (jc_setpw_rules(res, pw, pw_len, repeat, repeat_len)
        || onetime_state(db, res, acct, &cur, &email, &factors, p)) {
        return;
    }
    /* the one-time password is known to whoever handled the letter (or,
     * for a staff account from `jobcenter-admin staff-add`, whoever saw
     * the tool's output; such an account has its address already) */
    sp.pw = pw;
    sp.pwlen = pw_len;
    sp.skip_rules = 1;
    sp.same_phc = cur;
    sp.same_msg = email && *email
        ? "Das neue Passwort darf nicht Ihr Einmal-Passwort sein. Bitte "
          "wählen Sie ein eigenes Passwort."
        : "Das neue Passwort darf nicht das Einmal-Passwort aus dem Brief "
          "sein. Bitte wählen Sie ein eigenes Passwort.";
    if (jc_setpw_hash(res, ctx, &sp, p)) {
        return;
    }
    rc = jc_db_begin(db, p);
    if (rc == JC_DB_OK) {
        args[0] = sp.phc;
        args[1] = &now;
        args[2] = &acct;
        rc = jc_db_exec(db, &n, JC_SQL_ONETIME_PASSWORD, args, p);
        if (rc == JC_DB_OK && n != 1) {
            rc = JC_DB_NOROW; /* a parallel request changed it first */
        }
    }
    if (rc == JC_DB_OK) {
        rc = jc_account_rotate_to(db, out, ctx, s,
                                  jc_session_after_password(0, email && *email,
                                                            factors > 0),
                                  s->verified_at, now, p);
    }
    if (rc == JC_DB_OK) {
        /* the session was rotated above; the rest of the path */
        sp.account = acct;
        sp.written = 1;
        sp.event = JC_EV_ONETIME_REPLACED;
        rc = jc_setpw_store(db, &sp, now, p);
    }
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        memset(out, 0, sizeof(*out));
        jc_result_set(res, 401, "not_authenticated", "Bitte melden Sie sich "
                      "an.", NULL);
        return;
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        memset(out, 0, sizeof(*out));
    }
}

/* The address and the consent of step 2: 422 validation_failed with a
 * detail per problem (non-zero) when one is missing or wrong. */
static int email_input_bad(jc_result_t *res, const char *email,
                           const char *norm, int consent)
{
    int n = 0;

    if (!email || !*email) {
        jc_result_detail(res, "email_missing", "email",
                         "Bitte geben Sie Ihre E-Mail-Adresse ein.");
        n++;
    }
    else if (!norm) {
        jc_result_detail(res, "email_invalid", "email",
                         "Bitte geben Sie eine gültige E-Mail-Adresse ein.");
        n++;
    }
    if (consent != 1) {
        jc_result_detail(res, "email_consent_required", "accept_email",
                         "Bitte willigen Sie in die Nutzung Ihrer "
                         "E-Mail-Adresse ein.");
        n++;
    }
    return jc_field_finish(res, n);
}

void jc_onetime_set_email(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                        const jc_session_t *s, const char *email,
                        int consent, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t acct = s->account_id, exp = now + ctx->confirm_ttl;
    const char *norm = jc_account_normalize_email(email, p);
    const char *token, *hash, *link;
    const void *args[6];
    apr_int64_t taken = 0;
    jc_mail_t *m;
    jc_db_rc_e rc;
    int n = 0;

    jc_result_ok(res);
    if (s->state != JC_SESS_EMAIL_REQUIRED) {
        jc_result_set(res, 409, "email_not_required",
                      "Für Ihr Konto ist bereits eine E-Mail-Adresse "
                      "hinterlegt.", NULL);
        return;
    }
    if (email_input_bad(res, email, norm, consent)) {
        return;
    }
    if (jc_token_new(&token, 32, p) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return;
    }
    hash = jc_token_hash(token, strlen(token), p);
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    rc = jc_account_id_by_email(db, &taken, norm, p);
    if (rc == JC_DB_OK) {
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "email_taken", "Diese E-Mail-Adresse gehört "
                      "bereits zu einem anderen Konto. Bitte geben Sie eine "
                      "andere E-Mail-Adresse an.", "email");
        return;
    }
    rc = rc == JC_DB_NOROW ? JC_DB_OK : rc;
    if (rc == JC_DB_OK) {
        rc = jc_account_token_put(db, acct, hash, norm, JC_ONETIME_PURPOSE,
                                  now, exp, p);
    }
    if (rc == JC_DB_OK) {
        args[0] = &now;
        args[1] = &now;
        args[2] = &acct;
        rc = jc_db_exec(db, &n, JC_SQL_ONETIME_CONSENT, args, p);
        if (rc == JC_DB_OK && n != 1) {
            rc = JC_DB_ERROR;
            db->last_error = "account has an address already";
        }
    }
    if (rc == JC_DB_OK) {
        link = apr_pstrcat(p, ctx->base_url, "/email-bestaetigen.html?token=",
                           token, NULL);
        m = jc_mail_confirm(ctx->mail_from, norm, link,
                            apr_time_from_sec(now), p);
        rc = m ? jc_outbox_enqueue(db, m, now, p) : JC_DB_ERROR;
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    res->status = 202;
}

void jc_onetime_confirm(jc_db_t *db, jc_result_t *res, int *found,
                      const char *token_hash, apr_int64_t now,
                      apr_pool_t *p)
{
    apr_int64_t acct = 0;
    const char *email = NULL;
    const void *args[4];
    jc_db_rc_e rc;
    int n = 0, r;

    jc_result_ok(res);
    *found = 0;
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        *found = 1;
        return;
    }
    r = jc_account_token_open(db, res, token_hash, JC_ONETIME_PURPOSE, now,
                              "Dieser Bestätigungslink wurde bereits "
                              "verwendet. Ihre E-Mail-Adresse ist bestätigt; "
                              "Sie können sich anmelden.",
                              "Der Bestätigungslink ist abgelaufen (gültig 24 "
                              "Stunden). Bitte melden Sie sich mit Ihren "
                              "Zugangsdaten aus dem Brief an und geben Sie "
                              "Ihre E-Mail-Adresse erneut ein.", &acct,
                              &email, p);
    if (r < 0) {
        jc_db_rollback(db, p);
        return;
    }
    *found = 1;
    if (r) {
        return;
    }
    if (jc_account_token_take(db, res, token_hash,
                              "Dieser Bestätigungslink wurde bereits "
                              "verwendet.", &rc, now, p)) {
        return;
    }
    if (rc == JC_DB_OK) {
        args[0] = email;
        args[1] = &now;
        args[2] = &now;
        args[3] = &acct;
        rc = jc_db_exec(db, &n, JC_SQL_ONETIME_EMAIL, args, p);
    }
    if (rc == JC_DB_CONFLICT) {
        jc_db_rollback(db, p);
        jc_result_set(res, 409, "email_taken", "Diese E-Mail-Adresse gehört "
                      "inzwischen zu einem anderen Konto. Bitte melden Sie "
                      "sich mit Ihren Zugangsdaten aus dem Brief an und "
                      "geben Sie eine andere E-Mail-Adresse an.", "token");
        return;
    }
    if (rc == JC_DB_OK && n != 1) {
        /* the account left the flow (a newer reset deletes open links,
         * so this is a race at most) */
        jc_db_rollback(db, p);
        jc_result_set(res, 404, "token_invalid",
                      "Der Bestätigungslink ist ungültig oder wurde durch "
                      "einen neueren Link ersetzt.", "token");
        return;
    }
    if (rc == JC_DB_OK) {
        /* sessions of the letter flow end: next comes the login with the
         * address (and the new second factor) */
        rc = jc_session_drop_account(db, acct, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, acct, now, JC_EV_EMAIL_CONFIRMED, email, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    jc_db_fail(res, db, rc, p);
}

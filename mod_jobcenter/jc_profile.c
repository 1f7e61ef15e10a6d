/* Person profile: redeeming a Freischaltcode, profile, Verlauf (see
 * jc_profile.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_fsc.h"
#include "jc_profile.h"
#include "jc_throttle.h"

#define JC_FSC_INPUT_MAX 100

static const char MSG_MALFORMED[] =
    "Der Freischaltcode besteht aus Zahlen und Großbuchstaben, zum "
    "Beispiel: HET2-2X8A-UXAS.";
static const char MSG_SECOND_PROFILE[] =
    "Das Anlegen von mehreren Personenprofilen der Agentur für Arbeit / "
    "Jobcenter im selben Konto ist nicht möglich.";
static const char MSG_CUSTOMER_BOUND[] =
    "Für diese Person ist bereits ein anderes Konto freigeschaltet. Jeder "
    "Personenkunde benötigt sein eigenes Konto. Bitte wenden Sie sich an "
    "Ihr Jobcenter.";

static const char *col_text(const jc_db_row_t *row, int col, apr_pool_t *p)
{
    const char *v = jc_db_col_str(row, col, p);

    return v ? v : "";
}

json_t *jc_profile_hours_json(const char *text, apr_pool_t *p)
{
    json_t *hours = json_array();
    char *lines = apr_pstrdup(p, text ? text : ""), *line, *last;

    for (line = apr_strtok(lines, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        apr_size_t n = strlen(line);

        if (n && line[n - 1] == '\r') {
            line[n - 1] = '\0';
        }
        if (*line) {
            json_array_append_new(hours, json_string(line));
        }
    }
    return hours;
}

jc_db_rc_e jc_profile_get(jc_db_t *db, jc_profile_t *prof, int *found,
                          apr_int64_t account_id, apr_pool_t *p)
{
    jc_db_row_t row;
    jc_db_rc_e rc;

    memset(prof, 0, sizeof(*prof));
    *found = 0;
    rc = jc_profile_row(db, &row, account_id, p);
    if (rc == JC_DB_NOROW) {
        return JC_DB_OK;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    *found = 1;
    prof->kundennummer = col_text(&row, JC_COL_PROF_GET_KUNDENNUMMER, p);
    prof->salutation = col_text(&row, JC_COL_PROF_GET_SALUTATION, p);
    prof->given_name = col_text(&row, JC_COL_PROF_GET_GIVEN_NAME, p);
    prof->family_name = col_text(&row, JC_COL_PROF_GET_FAMILY_NAME, p);
    jc_db_col_i64(&row, JC_COL_PROF_GET_BOUND_AT, &prof->bound_at, 0);
    prof->jc_name = col_text(&row, JC_COL_PROF_GET_NAME, p);
    prof->jc_street = col_text(&row, JC_COL_PROF_GET_STREET, p);
    prof->jc_postcode = col_text(&row, JC_COL_PROF_GET_POSTCODE, p);
    prof->jc_city = col_text(&row, JC_COL_PROF_GET_CITY, p);
    prof->jc_phone = col_text(&row, JC_COL_PROF_GET_PHONE, p);
    prof->jc_hours = col_text(&row, JC_COL_PROF_GET_OPENING_HOURS, p);
    return JC_DB_OK;
}

const char *jc_profile_name(const jc_profile_t *prof, apr_pool_t *p)
{
    return apr_pstrcat(p, prof->given_name ? prof->given_name : "",
                       prof->given_name && *prof->given_name ? " " : "",
                       prof->family_name ? prof->family_name : "", NULL);
}

/* Count one failed redemption under key (atomically, so parallel guesses
 * all count) and block the key for the delay the numbers give. Failures
 * older than `window` seconds are forgotten. */
static jc_db_rc_e count_failure(jc_db_t *db, const char *key,
                                const jc_throttle_cfg_t *cfg,
                                apr_int64_t window, apr_int64_t now,
                                apr_pool_t *p)
{
    apr_int64_t cut = now - window, n = 0, until;
    const void *args[3];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = key;
    args[1] = &now;
    args[2] = &cut;
    rc = jc_db_select1(db, &row, JC_SQL_THR_FAIL, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    jc_db_col_i64(&row, JC_COL_THR_FAIL_FAILURES, &n, 1);
    until = now + jc_throttle_delay(cfg, n);
    if (until <= now) {
        return JC_DB_OK;
    }
    return jc_throttle_key_block(db, key, until, p);
}

/* An unknown or used code: counted for the account and the address in
 * the transaction that locked both rows (throttled), then answered 404.
 * undo: the transaction holds other writes (a parallel redemption was
 * noticed after the bind): they are rolled back and the failure counted
 * in a transaction of its own. A failure that cannot be counted is not
 * answered "wrong" (503), so a busy database cannot be used to guess
 * without limits. */
static void invalid_code(jc_db_t *db, jc_result_t *res, const jc_ctx_t *ctx,
                         const char *akey, const char *ckey, const char *why,
                         int undo, apr_int64_t now, apr_pool_t *p)
{
    jc_db_rc_e rc = JC_DB_OK;

    if (undo) {
        jc_db_rollback(db, p);
        rc = jc_db_begin(db, p);
    }
    if (rc == JC_DB_OK) {
        rc = count_failure(db, akey, &ctx->thr_account,
                           ctx->thr_account.lock_secs, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = count_failure(db, ckey, &ctx->thr_client,
                           ctx->thr_client.lock_secs, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (rc != JC_DB_OK) {
        jc_db_fail(res, db, rc, p);
        return;
    }
    res->log = why;
    jc_result_set(res, 404, "fsc_invalid",
                  "Der Freischaltcode ist ungültig oder wurde bereits "
                  "verwendet. Bitte prüfen Sie Ihre Eingabe.", "code");
}

/* Opens the redemption's transaction and locks the throttle rows of both
 * keys in it (jc_thr_lock), so the check, the code look-up and the count
 * of a failure are one step: parallel guesses cannot pass the limits.
 * 429 (rolled back) while either key is blocked. Returns 1 when it
 * answered. */
static int throttled(jc_db_t *db, jc_result_t *res, const char *akey,
                     const char *ckey, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t until, wait = 0;
    const char *keys[2];
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i;

    keys[0] = akey;
    keys[1] = ckey;
    rc = jc_db_begin(db, p);
    for (i = 0; i < 2 && rc == JC_DB_OK; i++) {
        args[0] = keys[i];
        rc = jc_db_select1(db, &row, JC_SQL_THR_LOCK, args, p);
        if (rc == JC_DB_OK
            && jc_db_col_i64(&row, JC_COL_THR_GET_BLOCKED_UNTIL, &until, 0)
            && until - now > wait) {
            wait = until - now;
        }
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (wait <= 0) {
        return 0;
    }
    jc_db_rollback(db, p);
    res->retry_after = (long)wait;
    jc_result_set(res, 429, "too_many_attempts",
                  apr_psprintf(p, "Zu viele ungültige Freischaltcodes. "
                               "Bitte warten Sie %ld Sekunden und "
                               "versuchen Sie es dann erneut.",
                               res->retry_after), "code");
    return 1;
}

/* Roll back and answer a client error. */
static void refuse(jc_db_t *db, jc_result_t *res, int status,
                   const char *code, const char *message, apr_pool_t *p)
{
    jc_db_rollback(db, p);
    jc_result_set(res, status, code, message, "code");
}

/* A Freischaltcode row as the redemption reads it. */
typedef struct {
    apr_int64_t fid, cid, expires, used, voided, owner;
    const char *jc_name;
} code_row_t;

/* In the transaction throttled() opened: the code of hash `norm` (*c),
 * unused, not voided, not expired, its customer not bound. Non-zero and
 * res set (rolled back, an unknown or used code counted) otherwise. */
static int redeem_code(jc_db_t *db, jc_result_t *res, code_row_t *c,
                       const jc_ctx_t *ctx, const char *akey,
                       const char *ckey, apr_int64_t account_id,
                       const char *norm, apr_int64_t now, apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = jc_fsc_hash(norm, p);
    rc = jc_db_select1(db, &row, JC_SQL_PROF_CODE, args, p);
    if (rc == JC_DB_NOROW) {
        invalid_code(db, res, ctx, akey, ckey, "unknown code", 0, now, p);
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    jc_db_col_i64(&row, JC_COL_PROF_CODE_ID, &c->fid, 0);
    jc_db_col_i64(&row, JC_COL_PROF_CODE_CUSTOMER_ID, &c->cid, 0);
    jc_db_col_i64(&row, JC_COL_PROF_CODE_EXPIRES_AT, &c->expires, 0);
    jc_db_col_i64(&row, JC_COL_PROF_CODE_USED_AT, &c->used, 0);
    jc_db_col_i64(&row, JC_COL_PROF_CODE_VOIDED_AT, &c->voided, 0);
    jc_db_col_i64(&row, JC_COL_PROF_CODE_ACCOUNT_ID, &c->owner, 0);
    c->jc_name = col_text(&row, JC_COL_PROF_CODE_NAME, p);
    if (c->used) {
        invalid_code(db, res, ctx, akey, ckey, "code already used", 0, now,
                     p);
        return 1;
    }
    if (c->voided) {
        refuse(db, res, 410, "fsc_voided",
               "Dieser Freischaltcode ist nicht mehr gültig, weil Ihr "
               "Jobcenter Ihnen inzwischen einen neueren Freischaltcode "
               "geschickt hat. Bitte verwenden Sie den Code aus dem "
               "neuesten Schreiben.", p);
        return 1;
    }
    if (now >= c->expires) {
        refuse(db, res, 410, "fsc_expired",
               "Der Freischaltcode ist abgelaufen. Bitte fordern Sie bei "
               "Ihrem Jobcenter einen neuen Freischaltcode an.", p);
        return 1;
    }
    if (c->owner == account_id) {
        refuse(db, res, 409, "profile_linked",
               "Dieses Personenprofil ist bereits mit Ihrem Konto "
               "verbunden.", p);
        return 1;
    }
    if (c->owner) {
        refuse(db, res, 409, "customer_bound", MSG_CUSTOMER_BOUND, p);
        return 1;
    }
    return 0;
}

/* Still in that transaction: the customer bound to the account and the
 * code used (both conditional: a parallel redemption makes one of them
 * miss), the event, the account's throttle cleared, committed. Non-zero
 * and res set otherwise. */
static int redeem_bind(jc_db_t *db, jc_result_t *res, const code_row_t *c,
                       const jc_ctx_t *ctx, const char *akey,
                       const char *ckey, apr_int64_t account_id,
                       apr_int64_t now, apr_pool_t *p)
{
    const void *args[3];
    jc_db_rc_e rc;
    int n = 0;

    args[0] = &account_id;
    args[1] = &now;
    args[2] = &c->cid;
    rc = jc_db_exec(db, &n, JC_SQL_PROF_BIND, args, p);
    if (rc == JC_DB_CONFLICT) {
        /* the UNIQUE account_id: a parallel redemption of another code */
        refuse(db, res, 409, "profile_exists", MSG_SECOND_PROFILE, p);
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (n != 1) {
        refuse(db, res, 409, "customer_bound", MSG_CUSTOMER_BOUND, p);
        return 1;
    }
    args[0] = &now;
    args[1] = &account_id;
    args[2] = &c->fid;
    rc = jc_db_exec(db, &n, JC_SQL_PROF_CODE_USE, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    if (n != 1) {
        invalid_code(db, res, ctx, akey, ckey, "code used in parallel", 1,
                     now, p);
        return 1;
    }
    rc = jc_event_add(db, account_id, now, JC_EV_CODE_REDEEMED, c->jc_name,
                      p);
    if (rc == JC_DB_OK) {
        rc = jc_throttle_key_clear(db, akey, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    return jc_db_fail(res, db, rc, p);
}

void jc_profile_redeem(jc_db_t *db, jc_result_t *res, jc_profile_t *prof,
                       const jc_ctx_t *ctx, apr_int64_t account_id,
                       const char *client, const char *code,
                       apr_int64_t now, apr_pool_t *p)
{
    const char *akey, *ckey;
    char norm[JC_FSC_LEN + 1];
    code_row_t c;
    jc_db_rc_e rc;
    int found = 0;

    jc_result_ok(res);
    memset(prof, 0, sizeof(*prof));
    memset(&c, 0, sizeof(c));
    akey = apr_psprintf(p, JC_PROFILE_THR_ACCOUNT "%" APR_INT64_T_FMT,
                        account_id);
    ckey = apr_pstrcat(p, JC_PROFILE_THR_CLIENT, client ? client : "-",
                       NULL);
    if (throttled(db, res, akey, ckey, now, p)) {
        return;
    }
    if (!code || !*code) {
        refuse(db, res, 422, "fsc_missing",
               "Bitte geben Sie den Freischaltcode ein.", p);
        return;
    }
    if (strlen(code) > JC_FSC_INPUT_MAX || !jc_fsc_normalize(code, norm)) {
        refuse(db, res, 422, "fsc_malformed", MSG_MALFORMED, p);
        return;
    }
    if (redeem_code(db, res, &c, ctx, akey, ckey, account_id, norm, now,
                    p)) {
        return;
    }
    rc = jc_profile_get(db, prof, &found, account_id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    if (found) {
        memset(prof, 0, sizeof(*prof));
        refuse(db, res, 409, "profile_exists", MSG_SECOND_PROFILE, p);
        return;
    }
    if (redeem_bind(db, res, &c, ctx, akey, ckey, account_id, now, p)) {
        return;
    }
    rc = jc_profile_get(db, prof, &found, account_id, p);
    if (rc != JC_DB_OK || !found) {
        /* committed; only the answer could not be read back */
        memset(prof, 0, sizeof(*prof));
        if (rc == JC_DB_OK) {
            rc = JC_DB_ERROR;
            db->last_error = "profile vanished after the redemption";
        }
        jc_db_fail(res, db, rc, p);
        return;
    }
    res->status = 201;
}

jc_db_rc_e jc_profile_events(jc_db_t *db, apr_array_header_t **out,
                             apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1];
    jc_db_res_t rows;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i;

    *out = apr_array_make(p, 16, sizeof(jc_profile_event_t));
    args[0] = &account_id;
    rc = jc_db_select(db, &rows, JC_SQL_EVENT_LIST, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    for (i = 0; i < rows.nrows; i++) {
        jc_profile_event_t *e;

        if (jc_db_res_row(&rows, i, &row, p) != 0) {
            db->last_error = "could not read a Verlauf row";
            return JC_DB_ERROR;
        }
        e = apr_array_push(*out);
        jc_db_col_i64(&row, JC_COL_EVENT_LIST_AT, &e->at, 0);
        e->kind = col_text(&row, JC_COL_EVENT_LIST_KIND, p);
        e->text = jc_event_text(e->kind);
        e->detail = jc_db_col_str(&row, JC_COL_EVENT_LIST_DETAIL, p);
        if (e->detail && !*e->detail) {
            e->detail = NULL;   /* pgsql gives "" for NULL */
        }
    }
    return JC_DB_OK;
}

jc_db_rc_e jc_profile_row(jc_db_t *db, jc_db_row_t *row,
                          apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1];

    args[0] = &account_id;
    return jc_db_select1(db, row, JC_SQL_PROF_GET, args, p);
}

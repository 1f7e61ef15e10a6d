/* Passkey flows (see jc_passkey.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_factor.h"
#include "jc_mail.h"
#include "jc_outbox.h"
#include "jc_passkey.h"
#include "jc_security.h"
#include "jc_token.h"
#include "jc_utf8.h"

#define JC_PK_NAME_DEFAULT "Passkey"
#define JC_PK_THR_PREFIX   "pk:"       /* login_throttle key of passkey
                                        * logins: prefix + address       */

int jc_passkey_name_ok(const char *name)
{
    const char *c;

    if (!name || !jc_utf8_label_ok(name)
        || jc_utf8_chars(name) > JC_PK_NAME_MAX) {
        return 0;
    }
    for (c = name; *c; c++) {
        if (*c != ' ') {
            return 1;       /* not only spaces */
        }
    }
    return 0;
}

void jc_passkey_name_invalid(jc_result_t *res)
{
    jc_result_set(res, 422, "name_invalid",
                  "Bitte geben Sie dem Passkey einen Namen mit 1 bis 64 "
                  "Zeichen (ohne Steuerzeichen).", "name");
}

const char *jc_passkey_err_message(jc_wa_err_e err)
{
    switch (err) {
    case JC_WA_ERR_ORIGIN:
    case JC_WA_ERR_CROSS_ORIGIN:
    case JC_WA_ERR_TOP_ORIGIN:
        return "Der Passkey wurde nicht auf den Seiten des Portals "
               "verwendet. Bitte öffnen Sie das Portal direkt und versuchen "
               "Sie es erneut.";
    case JC_WA_ERR_TYPE:
    case JC_WA_ERR_CHALLENGE:
        return "Die Antwort Ihres Geräts passt nicht zu diesem Vorgang. "
               "Bitte versuchen Sie es erneut.";
    case JC_WA_ERR_UP:
        return "Bitte bestätigen Sie den Vorgang an Ihrem Gerät.";
    case JC_WA_ERR_UV:
        return "Ihr Gerät hat Sie nicht bestätigt (zum Beispiel mit PIN, "
               "Fingerabdruck oder Gesichtserkennung). Bitte versuchen Sie "
               "es erneut und bestätigen Sie den Vorgang an Ihrem Gerät.";
    case JC_WA_ERR_ALG:
    case JC_WA_ERR_KEY_SIZE:
    case JC_WA_ERR_FMT:
        return "Dieser Passkey verwendet ein Verfahren, das das Portal "
               "nicht unterstützt. Bitte verwenden Sie ein anderes Gerät.";
    case JC_WA_ERR_SIGNATURE:
        return "Der Passkey konnte nicht bestätigt werden. Bitte versuchen "
               "Sie es erneut.";
    case JC_WA_ERR_SIGN_COUNT:
        return "Dieser Passkey wurde aus Sicherheitsgründen gesperrt, weil "
               "er möglicherweise kopiert wurde. Bitte melden Sie sich mit "
               "Ihrem Passwort an und wenden Sie sich an Ihr Jobcenter.";
    case JC_WA_ERR_USER_HANDLE:
        return "Der Passkey gehört nicht zu diesem Konto.";
    default:
        return "Der Passkey konnte nicht überprüft werden. Bitte versuchen "
               "Sie es erneut.";
    }
}

/* A verification failure as answer: 401 for a wrong signature, counter
 * or owner, 500 for internal faults, else 400. */
static void wa_fail(jc_result_t *res, jc_wa_err_e err, apr_pool_t *p)
{
    int status = 400;

    if (err == JC_WA_ERR_INTERNAL || err == JC_WA_ERR_STORED_KEY) {
        jc_result_internal(res, apr_psprintf(p, "WebAuthn: %s",
                                             jc_webauthn_err_log(err)));
        return;
    }
    if (err == JC_WA_ERR_SIGNATURE || err == JC_WA_ERR_SIGN_COUNT
        || err == JC_WA_ERR_USER_HANDLE) {
        status = 401;
    }
    if (!res->log) {
        res->log = apr_psprintf(p, "WebAuthn: %s", jc_webauthn_err_log(err));
    }
    jc_result_set(res, status, jc_webauthn_err_code(err),
                  jc_passkey_err_message(err), NULL);
}

static void response_missing(jc_result_t *res, const char *what)
{
    res->log = what;
    jc_result_set(res, 422, "passkey_response_invalid",
                  "Die Antwort Ihres Geräts ist unvollständig oder "
                  "fehlerhaft. Bitte versuchen Sie es erneut.", NULL);
}

static void challenge_invalid(jc_result_t *res)
{
    jc_result_set(res, 400, "challenge_invalid",
                  "Der Vorgang ist abgelaufen oder wurde bereits "
                  "abgeschlossen. Bitte versuchen Sie es erneut.", NULL);
}

static void passkey_unknown(jc_result_t *res, const char *log)
{
    res->log = log;
    jc_result_set(res, 401, "passkey_unknown",
                  "Dieser Passkey ist im Portal nicht für Ihr Konto "
                  "registriert.", NULL);
}

/* base64url member into bytes; 0 on success. */
static int decode(const unsigned char **out, size_t *len, const char *s,
                  size_t max, apr_pool_t *p)
{
    if (!s || !*s) {
        return 1;
    }
    return jc_webauthn_b64u_decode(out, len, s, max, p) != APR_SUCCESS;
}

/* A new challenge, stored (hashed) for purpose, account and session. */
static int challenge_issue(jc_db_t *db, jc_result_t *res, const char **b64u,
                           const char *purpose, const apr_int64_t *account,
                           const char *session_hash, const jc_ctx_t *ctx,
                           apr_int64_t now, apr_pool_t *p)
{
    const unsigned char *raw;
    apr_int64_t expires = now + ctx->wa_challenge_ttl;
    const void *args[6];

    if (jc_webauthn_challenge_new(&raw, b64u, p) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return 1;
    }
    args[0] = jc_token_hash((const char *)raw, JC_WA_CHALLENGE_LEN, p);
    args[1] = purpose;
    args[2] = account;
    args[3] = session_hash;
    args[4] = &now;
    args[5] = &expires;
    return jc_db_fail(res, db, jc_db_exec(db, NULL, JC_SQL_WA_CHAL_INSERT,
                                          args, p), p);
}

/* Take the challenge out of clientDataJSON and use it up: it must have
 * been issued for purpose to this session (session_hash "" = none), be
 * unused and unexpired. Non-zero (res set) otherwise. */
static int challenge_use(jc_db_t *db, jc_result_t *res,
                         const unsigned char **raw, size_t *raw_len,
                         const char *purpose, const char *session_hash,
                         const unsigned char *cd, size_t cd_len,
                         apr_int64_t now, apr_pool_t *p)
{
    json_t *j = json_loadb((const char *)cd, cd_len, JSON_REJECT_DUPLICATES,
                           NULL);
    const char *ch = json_is_object(j)
        ? json_string_value(json_object_get(j, "challenge")) : NULL;
    const void *args[5];
    jc_db_row_t row;
    jc_db_rc_e rc;
    int bad;

    bad = !ch || jc_webauthn_b64u_decode(raw, raw_len, ch,
                                         JC_WA_CHALLENGE_MAX, p)
                 != APR_SUCCESS;
    json_decref(j);
    if (bad) {
        wa_fail(res, JC_WA_ERR_CLIENT_DATA, p);
        return 1;
    }
    args[0] = &now;
    args[1] = jc_token_hash((const char *)*raw, *raw_len, p);
    args[2] = purpose;
    args[3] = &now;
    args[4] = session_hash;
    rc = jc_db_select1(db, &row, JC_SQL_WA_CHAL_USE, args, p);
    if (rc == JC_DB_NOROW) {
        res->log = apr_psprintf(p, "%s challenge unknown, used, expired or "
                                "of another session", purpose);
        challenge_invalid(res);
        return 1;
    }
    return jc_db_fail(res, db, rc, p);
}

static void session_gone(jc_result_t *res, jc_db_t *db, jc_login_out_t *out,
                         apr_pool_t *p)
{
    jc_db_rollback(db, p);
    memset(out, 0, sizeof(*out));
    jc_result_set(res, 401, "not_authenticated",
                  "Bitte melden Sie sich an.", NULL);
}

/* The end of a registration or a passkey login: when rc (the work so
 * far) is JC_DB_OK the commit and out->has_passkey = 1; otherwise, or
 * when the commit fails, res set and *out cleared. */
static void signed_in(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                      jc_db_rc_e rc, apr_pool_t *p)
{
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        memset(out, 0, sizeof(*out));
        return;
    }
    out->has_passkey = 1;
}

/* [{"type":"public-key","id":…}] of the account's passkeys. */
static json_t *credential_list(jc_db_t *db, jc_result_t *res,
                               apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1];
    jc_db_res_t r;
    jc_db_row_t row;
    json_t *arr;
    jc_db_rc_e rc;
    int i;

    args[0] = &account_id;
    rc = jc_db_select(db, &r, JC_SQL_PK_LIST, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return NULL;
    }
    arr = json_array();
    for (i = 0; i < r.nrows; i++) {
        const char *id;

        if (jc_db_res_row(&r, i, &row, p) != 0) {
            break;
        }
        id = jc_db_col_str(&row, JC_COL_PK_LIST_CRED_ID, p);
        if (id) {
            json_array_append_new(arr, json_pack("{s:s, s:s}", "type",
                                                 "public-key", "id", id));
        }
    }
    return arr;
}

/* The account's user handle into *h (jc_pk_handle_get; NULL: none). */
static jc_db_rc_e handle_get(jc_db_t *db, const char **h, apr_int64_t id,
                             apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_PK_HANDLE_GET, args, p);
    if (rc == JC_DB_OK) {
        *h = jc_db_col_str(&row, JC_COL_PK_HANDLE_GET_USER_HANDLE, p);
    }
    return rc;
}

/* The account's user handle; created (32 random bytes) if it has none. */
static const char *user_handle(jc_db_t *db, jc_result_t *res,
                               apr_int64_t id, apr_pool_t *p)
{
    const void *args[2];
    const char *h = NULL;
    jc_db_rc_e rc;

    rc = handle_get(db, &h, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return NULL;
    }
    if (h) {
        return h;
    }
    if (jc_token_new(&h, 32, p) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return NULL;
    }
    args[0] = h;
    args[1] = &id;
    rc = jc_db_exec(db, NULL, JC_SQL_PK_HANDLE_SET, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return NULL;
    }
    /* a parallel request may have set another one first */
    rc = handle_get(db, &h, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return NULL;
    }
    if (!h) {
        jc_result_internal(res, "user handle not stored");
    }
    return h;
}

void jc_passkey_register_options(jc_db_t *db, jc_result_t *res, json_t **out,
                                 const jc_ctx_t *ctx, const jc_session_t *s,
                                 apr_int64_t now, apr_pool_t *p)
{
    const char *handle, *challenge, *label;
    apr_int64_t id = s->account_id;
    json_t *exclude;

    jc_result_ok(res);
    *out = NULL;
    if (!jc_factor_may_add(db, res, s, ctx->reauth_window, 0, now, p)) {
        return;
    }
    handle = user_handle(db, res, id, p);
    if (!handle) {
        return;
    }
    exclude = credential_list(db, res, id, p);
    if (!exclude) {
        return;
    }
    if (challenge_issue(db, res, &challenge, "register", &id, s->id_hash,
                        ctx, now, p)) {
        json_decref(exclude);
        return;
    }
    label = s->email ? s->email : s->username;
    if (!label) {
        label = apr_psprintf(p, "Konto %" APR_INT64_T_FMT, id);
    }
    *out = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}, "
                     "s:[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}], "
                     "s:{s:s, s:b, s:s}, s:s, s:o, s:I}",
                     "challenge", challenge,
                     "rp", "id", ctx->wa_rp_id, "name", ctx->wa_rp_name,
                     "user", "id", handle, "name", label,
                     "displayName", label,
                     "pubKeyCredParams",
                     "type", "public-key", "alg", JC_WA_ALG_ES256,
                     "type", "public-key", "alg", JC_WA_ALG_EDDSA,
                     "type", "public-key", "alg", JC_WA_ALG_RS256,
                     "authenticatorSelection", "residentKey", "required",
                     "requireResidentKey", 1,
                     "userVerification", "required",
                     "attestation", "none",
                     "excludeCredentials", exclude,
                     "timeout", (json_int_t)(ctx->wa_challenge_ttl * 1000));
    if (!*out) {
        jc_result_internal(res, "json_pack of the creation options failed");
    }
}

static const char *hex(const unsigned char *b, size_t n, apr_pool_t *p)
{
    static const char digits[] = "0123456789abcdef";
    char *s = apr_palloc(p, 2 * n + 1);
    size_t i;

    for (i = 0; i < n; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

static void expect_init(jc_wa_expect_t *exp, const jc_ctx_t *ctx,
                        const unsigned char *ch, size_t ch_len)
{
    memset(exp, 0, sizeof(*exp));
    exp->rp_id = ctx->wa_rp_id;
    exp->origins = ctx->wa_origins;
    exp->challenge = ch;
    exp->challenge_len = ch_len;
    exp->require_uv = 1;
}

/* Before the transaction: who may add a passkey, the response decoded,
 * the name, the challenge used and the attestation verified (*cred).
 * Non-zero and res set otherwise; refused verifies (state, stale check,
 * a factor meanwhile) leave the challenge unused. */
static int reg_verified(jc_db_t *db, jc_result_t *res, jc_wa_credential_t *cred,
                        const jc_ctx_t *ctx, const jc_session_t *s,
                        const jc_pk_in_t *in, apr_int64_t now, apr_pool_t *p)
{
    const unsigned char *cd, *att, *ch;
    size_t cd_len, att_len, ch_len;
    jc_wa_expect_t exp;
    jc_wa_err_e err;

    if (!jc_factor_may_add(db, res, s, ctx->reauth_window, 0, now, p)) {
        return 1;
    }
    if (decode(&cd, &cd_len, in->client_data, JC_WA_MAX_CLIENT_DATA, p)
        || decode(&att, &att_len, in->attestation, JC_WA_MAX_ATT_OBJECT, p)) {
        response_missing(res, "clientDataJSON or attestationObject missing "
                         "or not base64url");
        return 1;
    }
    if (in->name && !jc_passkey_name_ok(in->name)) {
        jc_passkey_name_invalid(res);
        return 1;
    }
    if (challenge_use(db, res, &ch, &ch_len, "register", s->id_hash, cd,
                      cd_len, now, p)) {
        return 1;
    }
    expect_init(&exp, ctx, ch, ch_len);
    err = jc_webauthn_register_verify(cred, &exp, cd, cd_len, att, att_len,
                                      p);
    if (err != JC_WA_OK) {
        res->log = apr_psprintf(p, "passkey registration, account %"
                                APR_INT64_T_FMT ": %s", s->account_id,
                                jc_webauthn_err_log(err));
        wa_fail(res, err, p);
        return 1;
    }
    return 0;
}

/* In the transaction: the passkey row, the session rotated (in
 * mfa_setup_required this completes a login: password and the new
 * passkey; a signed-in session keeps its last check), the events.
 * *answered = 1 (rolled back, res set) when the credential id is
 * registered already. */
static jc_db_rc_e reg_store(jc_db_t *db, jc_result_t *res,
                            jc_login_out_t *out, const jc_ctx_t *ctx,
                            const jc_session_t *s,
                            const jc_wa_credential_t *cred, const char *nm,
                            int *answered, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id, alg = cred->alg;
    apr_int64_t count = (apr_int64_t)cred->sign_count;
    int completes = s->state != JC_SESS_AUTHENTICATED;
    const void *args[8];
    jc_db_rc_e rc;

    args[0] = &id;
    args[1] = cred->cred_id_b64u;
    args[2] = cred->public_key_b64u;
    args[3] = &alg;
    args[4] = &count;
    args[5] = nm;
    args[6] = hex(cred->aaguid, JC_WA_AAGUID_LEN, p);
    args[7] = &now;
    rc = jc_db_exec(db, NULL, JC_SQL_PK_INSERT, args, p);
    if (rc == JC_DB_CONFLICT) {
        jc_db_rollback(db, p);
        res->log = apr_psprintf(p, "credential id already registered: %s",
                                cred->cred_id_b64u);
        jc_result_set(res, 409, "passkey_exists",
                      "Dieser Passkey ist bereits im Portal registriert.",
                      NULL);
        *answered = 1;
        return rc;
    }
    if (rc == JC_DB_OK) {
        rc = jc_account_rotate(db, out, ctx, s,
                               completes ? now : s->verified_at, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, id, now, JC_EV_PASSKEY_ADDED,
                          apr_pstrcat(p, "„", nm, "“", NULL), p);
    }
    if (rc == JC_DB_OK && completes) {
        rc = jc_event_add(db, id, now, JC_EV_LOGIN,
                          apr_pstrcat(p, "Zweiter Faktor: Passkey „", nm,
                                      "“", NULL), p);
    }
    return rc;
}

void jc_passkey_register_verify(jc_db_t *db, jc_result_t *res,
                                jc_login_out_t *out, const jc_ctx_t *ctx,
                                const jc_session_t *s, const jc_pk_in_t *in,
                                apr_int64_t now, apr_pool_t *p)
{
    const char *nm = in->name ? in->name : JC_PK_NAME_DEFAULT;
    jc_wa_credential_t cred;
    jc_db_rc_e rc;
    int answered = 0;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    if (reg_verified(db, res, &cred, ctx, s, in, now, p)) {
        return;
    }
    if (!jc_factor_begin_add(db, res, s, ctx->reauth_window, now, p)) {
        return;
    }
    rc = reg_store(db, res, out, ctx, s, &cred, nm, &answered, now, p);
    if (answered) {
        return;
    }
    if (rc == JC_DB_NOROW) {
        session_gone(res, db, out, p);
        return;
    }
    if (rc == JC_DB_OK && s->email) {
        jc_mail_t *m = jc_mail_passkey_enabled(
            ctx->mail_from, s->email,
            apr_pstrcat(p, ctx->base_url, "/anmeldung.html", NULL),
            apr_time_from_sec(now), p);

        rc = jc_outbox_enqueue_composed(
            db, m, "the mail \"Passkey eingerichtet\"", now, p);
    }
    signed_in(db, res, out, rc, p);
}

/* Request options for purpose "login" (s NULL), "assert" or "reauth"
 * (allowCredentials = the session account's passkeys). */
static void options(jc_db_t *db, jc_result_t *res, json_t **out,
                    const jc_ctx_t *ctx, const jc_session_t *s,
                    const char *purpose, apr_int64_t now, apr_pool_t *p)
{
    const char *challenge;
    json_t *allow = NULL;
    apr_int64_t id = s ? s->account_id : 0;

    if (s) {
        allow = credential_list(db, res, id, p);
        if (!allow) {
            return;
        }
        if (json_array_size(allow) == 0) {
            json_decref(allow);
            jc_result_set(res, 409, "passkey_missing",
                          "Für Ihr Konto ist kein Passkey eingerichtet.",
                          NULL);
            return;
        }
    }
    if (challenge_issue(db, res, &challenge, purpose, s ? &id : NULL,
                        s ? s->id_hash : NULL, ctx, now, p)) {
        json_decref(allow);
        return;
    }
    *out = json_pack("{s:s, s:s, s:s, s:I}", "challenge", challenge,
                     "rpId", ctx->wa_rp_id, "userVerification", "required",
                     "timeout", (json_int_t)(ctx->wa_challenge_ttl * 1000));
    if (*out && allow) {
        json_object_set_new(*out, "allowCredentials", allow);
    }
    else {
        json_decref(allow);
    }
    if (!*out) {
        jc_result_internal(res, "json_pack of the request options failed");
    }
}

static void not_mfa_required(jc_result_t *res, const jc_session_t *s)
{
    res->log = jc_session_state_name(s->state);
    jc_result_set(res, 409, "mfa_not_required",
                  "Für diese Sitzung ist keine Bestätigung mit einem "
                  "zweiten Faktor vorgesehen.", NULL);
}

void jc_passkey_get_options(jc_db_t *db, jc_result_t *res, json_t **out,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            apr_int64_t now, apr_pool_t *p)
{
    jc_result_ok(res);
    *out = NULL;
    if (s && s->state != JC_SESS_MFA_REQUIRED) {
        not_mfa_required(res, s);
        return;
    }
    options(db, res, out, ctx, s, s ? "assert" : "login", now, p);
}

void jc_passkey_reauth_options(jc_db_t *db, jc_result_t *res, json_t **out,
                               const jc_ctx_t *ctx, const jc_session_t *s,
                               apr_int64_t now, apr_pool_t *p)
{
    jc_result_ok(res);
    *out = NULL;
    options(db, res, out, ctx, s, "reauth", now, p);
}

/* A stored passkey with what its owner's account says. */
typedef struct {
    apr_int64_t id, account_id, alg, sign_count, flagged, confirmed;
    const char *public_key, *user_handle, *email, *name;
} stored_t;

/* The response's parts decoded into *ain (and the credential id). Non-zero
 * and res set when one is missing or not base64url. */
static int assert_decode(jc_result_t *res, jc_wa_assert_in_t *ain,
                         const unsigned char **cid, size_t *cid_len,
                         const jc_pk_in_t *in, apr_pool_t *p)
{
    memset(ain, 0, sizeof(*ain));
    if (decode(cid, cid_len, in->id, JC_WA_MAX_CRED_ID, p)
        || decode(&ain->client_data, &ain->client_data_len, in->client_data,
                  JC_WA_MAX_CLIENT_DATA, p)
        || decode(&ain->auth_data, &ain->auth_data_len, in->auth_data,
                  JC_WA_MAX_AUTH_DATA, p)
        || decode(&ain->sig, &ain->sig_len, in->signature,
                  JC_WA_MAX_SIGNATURE, p)
        || (in->user_handle && *in->user_handle
            && decode(&ain->user_handle, &ain->user_handle_len,
                      in->user_handle, JC_WA_MAX_USER_HANDLE, p))) {
        response_missing(res, "id, clientDataJSON, authenticatorData, "
                         "signature or userHandle missing or not "
                         "base64url");
        return 1;
    }
    return 0;
}

/* The stored passkey of the credential id (*k) and its owner: the
 * session's account (when there is a session), not flagged, named by the
 * userHandle (required without a session: it is the only statement of
 * who signs in). Non-zero and res set otherwise. */
static int assert_passkey(jc_db_t *db, jc_result_t *res, stored_t *k,
                          const jc_session_t *s, const unsigned char *cid,
                          size_t cid_len, const jc_wa_assert_in_t *ain,
                          apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = jc_webauthn_b64u_encode(cid, cid_len, p);
    rc = jc_db_select1(db, &row, JC_SQL_PK_BY_CRED, args, p);
    if (rc == JC_DB_NOROW) {
        passkey_unknown(res, apr_psprintf(p, "unknown credential id %s",
                                          (const char *)args[0]));
        return 1;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    jc_db_col_i64(&row, JC_COL_PK_BY_CRED_ID, &k->id, 0);
    jc_db_col_i64(&row, JC_COL_PK_BY_CRED_ACCOUNT_ID, &k->account_id, 0);
    k->public_key = jc_db_col_str(&row, JC_COL_PK_BY_CRED_PUBLIC_KEY, p);
    jc_db_col_i64(&row, JC_COL_PK_BY_CRED_ALG, &k->alg, 0);
    jc_db_col_i64(&row, JC_COL_PK_BY_CRED_SIGN_COUNT, &k->sign_count, 0);
    jc_db_col_i64(&row, JC_COL_PK_BY_CRED_FLAGGED, &k->flagged, 0);
    k->user_handle = jc_db_col_str(&row, JC_COL_PK_BY_CRED_USER_HANDLE, p);
    k->email = jc_db_col_str(&row, JC_COL_PK_BY_CRED_EMAIL, p);
    jc_db_col_i64(&row, JC_COL_PK_BY_CRED_EMAIL_CONFIRMED_AT, &k->confirmed, 0);
    k->name = jc_db_col_str(&row, JC_COL_PK_BY_CRED_NAME, p);
    if (s && k->account_id != s->account_id) {
        passkey_unknown(res, apr_psprintf(p, "passkey %" APR_INT64_T_FMT
                                          " is not of account %"
                                          APR_INT64_T_FMT, k->id,
                                          s->account_id));
        return 1;
    }
    if (k->flagged) {
        res->log = apr_psprintf(p, "passkey %" APR_INT64_T_FMT " is flagged",
                                k->id);
        jc_result_set(res, 401, "passkey_blocked",
                      jc_passkey_err_message(JC_WA_ERR_SIGN_COUNT), NULL);
        return 1;
    }
    if ((!s && !ain->user_handle)
        || (ain->user_handle
            && (!k->user_handle
                || strcmp(jc_webauthn_b64u_encode(ain->user_handle,
                                                  ain->user_handle_len, p),
                          k->user_handle) != 0))) {
        res->log = apr_psprintf(p, "userHandle does not name the owner of "
                                "passkey %" APR_INT64_T_FMT, k->id);
        wa_fail(res, JC_WA_ERR_USER_HANDLE, p);
        return 1;
    }
    return 0;
}

/* The signature over the challenge with the stored key; an old counter
 * flags the passkey (a cloned authenticator?). *as: what was signed.
 * Non-zero and res set when it does not verify. */
static int assert_signature(jc_db_t *db, jc_result_t *res,
                            jc_wa_assertion_t *as, const stored_t *k,
                            const jc_ctx_t *ctx, const jc_session_t *s,
                            const jc_wa_assert_in_t *ain,
                            const unsigned char *ch, size_t ch_len,
                            apr_pool_t *p)
{
    jc_wa_credential_t cred;
    jc_wa_expect_t exp;
    jc_wa_err_e err;
    const void *args[1];
    jc_db_rc_e rc;

    memset(&cred, 0, sizeof(cred));
    cred.public_key_b64u = k->public_key;
    cred.alg = (int)k->alg;
    cred.sign_count = (unsigned long)k->sign_count;
    expect_init(&exp, ctx, ch, ch_len);
    exp.require_user_handle = s == NULL;
    err = jc_webauthn_assert_verify(as, &exp, &cred, ain, p);
    if (err == JC_WA_ERR_SIGN_COUNT) {
        args[0] = &k->id;
        rc = jc_db_exec(db, NULL, JC_SQL_PK_FLAG, args, p);
        if (jc_db_fail(res, db, rc, p)) {
            return 1;
        }
        res->log = apr_psprintf(p, "passkey %" APR_INT64_T_FMT " of account %"
                                APR_INT64_T_FMT " flagged: signature counter "
                                "%lu after %" APR_INT64_T_FMT, k->id,
                                k->account_id, as->sign_count, k->sign_count);
        wa_fail(res, err, p);
        return 1;
    }
    if (err != JC_WA_OK) {
        res->log = apr_psprintf(p, "passkey %" APR_INT64_T_FMT ": %s", k->id,
                                jc_webauthn_err_log(err));
        wa_fail(res, err, p);
        return 1;
    }
    return 0;
}

/* Verify an assertion for purpose "login" (s NULL), "assert" or "reauth"
 * (the passkey must be the session account's). On success 0 is returned
 * with a transaction open in which the new counter was stored; *k is the
 * passkey. Otherwise res is set and nothing is left open. */
static int assertion(jc_db_t *db, jc_result_t *res, stored_t *k,
                     const jc_ctx_t *ctx, const jc_session_t *s,
                     const char *purpose, const jc_pk_in_t *in,
                     apr_int64_t now, apr_pool_t *p)
{
    const unsigned char *cid, *ch;
    size_t cid_len, ch_len;
    jc_wa_assert_in_t ain;
    jc_wa_assertion_t as;
    const void *args[5];
    jc_db_rc_e rc;
    apr_int64_t count;
    int n = 0;

    memset(k, 0, sizeof(*k));
    if (assert_decode(res, &ain, &cid, &cid_len, in, p)
        || challenge_use(db, res, &ch, &ch_len, purpose,
                         s ? s->id_hash : "", ain.client_data,
                         ain.client_data_len, now, p)
        || assert_passkey(db, res, k, s, cid, cid_len, &ain, p)
        || assert_signature(db, res, &as, k, ctx, s, &ain, ch, ch_len, p)) {
        return 1;
    }
    if (!s && !k->confirmed) {
        res->log = "passkey login with an unconfirmed e-mail address";
        jc_result_set(res, 403, "email_unconfirmed",
                      "Sie haben Ihre E-Mail-Adresse noch nicht bestätigt. "
                      "Bitte klicken Sie auf den Link in der E-Mail, die wir "
                      "Ihnen gesendet haben.", NULL);
        return 1;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return 1;
    }
    count = (apr_int64_t)as.sign_count;
    args[0] = &count;
    args[1] = &now;
    args[2] = &k->id;
    args[3] = &count;
    args[4] = &count;
    rc = jc_db_exec(db, &n, JC_SQL_PK_USED, args, p);
    if (rc == JC_DB_OK && n != 1) {
        /* a parallel login with this passkey counted first */
        jc_db_rollback(db, p);
        res->log = apr_psprintf(p, "passkey %" APR_INT64_T_FMT ": counter "
                                "%" APR_INT64_T_FMT " taken in parallel",
                                k->id, count);
        wa_fail(res, JC_WA_ERR_SIGNATURE, p);
        return 1;
    }
    return jc_db_fail(res, db, rc, p);
}

/* The passwordless login after a verified assertion (transaction open):
 * end the session sent along, create an authenticated one, record the
 * event, forget the client's failures (this attempt's reservation
 * included). */
static jc_db_rc_e login_session(jc_db_t *db, jc_login_out_t *out,
                                const jc_ctx_t *ctx, const stored_t *k,
                                const char *thr_key,
                                const char *client, const char *user_agent,
                                const char *old_token, apr_int64_t now,
                                apr_pool_t *p)
{
    jc_sess_meta_t meta = { now, user_agent, client };
    jc_db_rc_e rc = JC_DB_OK;

    if (old_token && jc_token_wellformed(old_token)) {
        rc = jc_session_delete(db, jc_token_hash(old_token,
                                                 strlen(old_token), p), p);
    }
    if (rc == JC_DB_OK && thr_key) {
        rc = jc_account_client_clear(db, thr_key, p);
    }
    if (rc == JC_DB_OK) {
        out->state = JC_SESS_AUTHENTICATED;
        out->account_id = k->account_id;
        rc = jc_session_create(db, &out->token, &out->csrf,
                               &out->expires_at, k->account_id, out->state,
                               &meta, &ctx->sess, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, k->account_id, now, JC_EV_LOGIN_PASSKEY,
                          apr_pstrcat(p, "Passkey „", k->name ? k->name
                                      : JC_PK_NAME_DEFAULT, "“", NULL), p);
    }
    return rc;
}

void jc_passkey_get_verify(jc_db_t *db, jc_result_t *res, jc_login_out_t *out,
                           const jc_ctx_t *ctx, const jc_session_t *s,
                           const jc_pk_in_t *in, const char *client,
                           const char *user_agent, const char *old_token,
                           apr_int64_t now, apr_pool_t *p)
{
    const char *thr_key = NULL;
    stored_t k;
    jc_db_rc_e rc;

    jc_result_ok(res);
    memset(out, 0, sizeof(*out));
    if (s && s->state != JC_SESS_MFA_REQUIRED) {
        not_mfa_required(res, s);
        return;
    }
    if (!s) {
        /* failed passwordless logins are throttled per client address */
        thr_key = apr_pstrcat(p, JC_PK_THR_PREFIX, client ? client : "-",
                              NULL);
        /* this attempt is counted before it is evaluated, so parallel
         * attempts cannot pass the limit (jc_throttle_reserve) */
        if (jc_account_client_reserve(db, res, ctx, thr_key, now, p)) {
            return;
        }
    }
    if (assertion(db, res, &k, ctx, s, s ? "assert" : "login", in, now, p)) {
        if (!s && res->status == 403) {
            /* a valid passkey (e-mail not confirmed): not a failure */
            jc_account_client_clear(db, thr_key, p);
        }
        /* otherwise the reservation is the counted failure */
        return;
    }
    if (s) {
        rc = jc_account_rotate(db, out, ctx, s, now, now, p);
        if (rc == JC_DB_NOROW) {
            session_gone(res, db, out, p);
            return;
        }
        if (rc == JC_DB_OK) {
            rc = jc_event_add(db, s->account_id, now, JC_EV_LOGIN,
                              apr_pstrcat(p, "Zweiter Faktor: Passkey „",
                                          k.name ? k.name
                                          : JC_PK_NAME_DEFAULT, "“", NULL),
                              p);
        }
    }
    else {
        rc = login_session(db, out, ctx, &k, thr_key, client,
                           user_agent, old_token, now, p);
    }
    signed_in(db, res, out, rc, p);
}

void jc_passkey_reauth_verify(jc_db_t *db, jc_result_t *res,
                              const jc_ctx_t *ctx, const jc_session_t *s,
                              const jc_pk_in_t *in, apr_int64_t now,
                              apr_pool_t *p)
{
    stored_t k;

    jc_result_ok(res);
    if (assertion(db, res, &k, ctx, s, "reauth", in, now, p)) {
        return;
    }
    jc_security_reauth_finish(db, res, s, now, p);
}

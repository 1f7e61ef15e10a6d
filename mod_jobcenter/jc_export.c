/* The data export (see jc_export.h). */
#include <stddef.h>
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_export.h"
#include "jc_konto.h"
#include "jc_online.h"
#include "jc_profile.h"
#include "jc_security.h"
#include "jc_anliegen.h"
#include "jc_staff.h"

#define J_STR(row, col, p) jc_konto_json_str(row, col, p)
#define J_TIME(row, col) jc_konto_json_time(row, col)

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

/* x_files reads the rows of jc_konto_x_msg_files with the column indexes
 * of jc_konto_x_sub_files (the same columns up to size) */
#define SAME_COL(c, m) \
    (JC_COL_KONTO_X_MSG_FILES_##m == JC_COL_KONTO_X_SUB_FILES_##c)
_Static_assert(SAME_COL(SUBMISSION_ID, MESSAGE_ID) && SAME_COL(NAME, NAME)
               && SAME_COL(MIME, MIME) && SAME_COL(SIZE, SIZE),
               "jc_konto_x_msg_files starts with the columns of "
               "jc_konto_x_sub_files");
#undef SAME_COL

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

        if (x_int(&frow, JC_COL_KONTO_X_SUB_FILES_SUBMISSION_ID) != owner) {
            continue;
        }
        f = json_pack("{s:o, s:o, s:I}",
                      "name", J_STR(&frow, JC_COL_KONTO_X_SUB_FILES_NAME, p),
                      "mime", J_STR(&frow, JC_COL_KONTO_X_SUB_FILES_MIME, p),
                      "size", x_int(&frow, JC_COL_KONTO_X_SUB_FILES_SIZE));
        if (f && with_sha) {
            json_object_set_new(f, "sha256", J_STR(&frow,
                                JC_COL_KONTO_X_SUB_FILES_SHA256, p));
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
        const char *key = jc_db_col_str(&row, JC_COL_MSG_CONV_GET_ANLIEGEN, p);
        const char *team = jc_db_col_str(&row, JC_COL_MSG_CONV_GET_TEAM, p);
        const jc_anliegen_t *a = jc_anliegen_find(key ? key : "");
        json_int_t cid = x_int(&row, JC_COL_MSG_CONV_GET_ID);
        json_t *msgs = json_array();

        for (j = 0; j < rs[X_MSGS].nrows
                    && jc_db_res_row(&rs[X_MSGS], j, &mrow, p) == 0; j++) {
            apr_int64_t staff = 0;

            if (x_int(&mrow, JC_COL_KONTO_X_MSGS_CONVERSATION_ID) != cid) {
                continue;
            }
            jc_db_col_i64(&mrow, JC_COL_KONTO_X_MSGS_STAFF_ACCOUNT, &staff, 0);
            json_array_append_new(msgs, json_pack(
                "{s:I, s:s, s:o, s:o}",
                "at", x_int(&mrow, JC_COL_KONTO_X_MSGS_CREATED_AT),
                "from", staff ? "jobcenter" : "kunde",
                "text", J_STR(&mrow, JC_COL_KONTO_X_MSGS_BODY, p),
                "attachments", x_files(&rs[X_MSG_FILES],
                    x_int(&mrow, JC_COL_KONTO_X_MSGS_ID), 0, p)));
        }
        json_array_append_new(out, json_pack(
            "{s:o, s:s, s:o, s:s, s:o, s:o, s:I, s:I, s:o}",
            "subject", J_STR(&row, JC_COL_MSG_CONV_GET_SUBJECT, p),
            "anliegen", a ? a->label : (key ? key : ""),
            "anliegen_key", J_STR(&row, JC_COL_MSG_CONV_GET_ANLIEGEN, p),
            "team", jc_staff_team_text(team ? team : ""),
            "team_key", J_STR(&row, JC_COL_MSG_CONV_GET_TEAM, p),
            "status", J_STR(&row, JC_COL_MSG_CONV_GET_STATUS, p),
            "created_at", x_int(&row, JC_COL_MSG_CONV_GET_CREATED_AT),
            "updated_at", x_int(&row, JC_COL_MSG_CONV_GET_UPDATED_AT),
            "messages", msgs));
    }
    return out;
}

/* A Bescheid (metadata, not the PDF) of the bound customer. */
static json_t *x_bescheid(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack("{s:o, s:o, s:I, s:I, s:o, s:o}",
                     "title", J_STR(row, JC_COL_KONTO_X_BESCHEIDE_TITLE, p),
                     "name", J_STR(row, JC_COL_KONTO_X_BESCHEIDE_NAME, p),
                     "size", x_int(row, JC_COL_KONTO_X_BESCHEIDE_SIZE),
                     "provided_at",
                     x_int(row, JC_COL_KONTO_X_BESCHEIDE_PROVIDED_AT),
                     "delivered_on",
                     J_STR(row, JC_COL_KONTO_X_BESCHEIDE_DELIVERED_ON, p),
                     "opened_at",
                     J_TIME(row, JC_COL_KONTO_X_BESCHEIDE_OPENED_AT));
}

/* A Termin of the bound customer. */
static json_t *x_termin(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *team = jc_db_col_str(row, JC_COL_KONTO_X_TERMINE_TEAM, p);

    return json_pack("{s:o, s:o, s:o, s:o, s:s, s:I, s:o}",
                     "date", J_STR(row, JC_COL_KONTO_X_TERMINE_TERMIN_DATE, p),
                     "time", J_STR(row, JC_COL_KONTO_X_TERMINE_TERMIN_TIME, p),
                     "place", J_STR(row, JC_COL_KONTO_X_TERMINE_PLACE, p),
                     "contact", J_STR(row, JC_COL_KONTO_X_TERMINE_CONTACT, p),
                     "team", jc_staff_team_text(team ? team : ""),
                     "created_at",
                     x_int(row, JC_COL_KONTO_X_TERMINE_CREATED_AT),
                     "seen_at", J_TIME(row, JC_COL_KONTO_X_TERMINE_SEEN_AT));
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
            "reference", J_STR(&row, JC_COL_KONTO_X_SUBS_REFERENCE, p),
            "area", J_STR(&row, JC_COL_KONTO_X_SUBS_AREA, p),
            "submitted_at", x_int(&row, JC_COL_KONTO_X_SUBS_SUBMITTED_AT),
            "status", J_STR(&row, JC_COL_KONTO_X_SUBS_STATUS, p),
            "status_at", x_int(&row, JC_COL_KONTO_X_SUBS_STATUS_AT),
            "message", J_STR(&row, JC_COL_KONTO_X_SUBS_MESSAGE, p),
            "files", x_files(&rs[X_SUB_FILES],
                             x_int(&row, JC_COL_KONTO_X_SUBS_ID), 1, p)));
    }
    return out;
}

/* The export's parts, filled step by step; each step reads its rows and
 * builds its JSON (NULL until then). */
typedef struct {
    json_t *acct, *keys, *totp, *sess, *events, *profile, *online, *hist;
    jc_db_res_t xr[X_N];
} x_parts_t;

/* The account row with its open e-mail change. */
static jc_db_rc_e x_account(jc_db_t *db, x_parts_t *x, apr_int64_t id,
                            apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t created = 0, updated = 0, pwc = 0;
    const void *args[1];
    jc_db_row_t row;
    json_t *pend = NULL;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_KONTO_ACCOUNT, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    jc_db_col_i64(&row, JC_COL_KONTO_ACCOUNT_CREATED_AT, &created, 0);
    jc_db_col_i64(&row, JC_COL_KONTO_ACCOUNT_UPDATED_AT, &updated, 0);
    jc_db_col_i64(&row, JC_COL_KONTO_ACCOUNT_PASSWORD_CHANGE_REQUIRED, &pwc, 0);
    x->acct = json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:b}",
                        "id", (json_int_t)id,
                        "email", J_STR(&row, JC_COL_KONTO_ACCOUNT_EMAIL, p),
                        "username",
                        J_STR(&row, JC_COL_KONTO_ACCOUNT_USERNAME, p),
                        "email_confirmed_at",
                        J_TIME(&row, JC_COL_KONTO_ACCOUNT_EMAIL_CONFIRMED_AT),
                        "created_at", (json_int_t)created,
                        "updated_at", (json_int_t)updated,
                        "password_change_required", pwc != 0);
    rc = jc_konto_pending_email(db, &pend, id, now, p);
    if (x->acct && pend) {
        json_object_set_new(x->acct, "pending_email", pend);
        pend = NULL;
    }
    json_decref(pend);
    return rc;
}

/* The rows of statement `label` for account id as an array of one(row). */
static jc_db_rc_e x_select_list(jc_db_t *db, json_t **out, jc_sql_id_e label,
                                apr_int64_t id,
                                json_t *(*one)(const jc_db_row_t *,
                                               apr_pool_t *),
                                apr_pool_t *p)
{
    const void *args[1];
    jc_db_res_t r;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select(db, &r, label, args, p);
    if (rc == JC_DB_OK) {
        *out = x_list(&r, one, p);
    }
    return rc;
}

/* The row an owner's read (rc) gave as one(row); none: *out stays
 * NULL. */
static jc_db_rc_e x_one(jc_db_rc_e rc, json_t **out, const jc_db_row_t *row,
                        json_t *(*one)(const jc_db_row_t *, apr_pool_t *),
                        apr_pool_t *p)
{
    if (rc == JC_DB_OK) {
        *out = one(row, p);
    }
    return rc == JC_DB_NOROW ? JC_DB_OK : rc;
}

/* A passkey (name and times, no key material). */
static json_t *x_passkey(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *name = jc_db_col_str(row, JC_COL_SEC_PASSKEYS_NAME, p);

    return json_pack("{s:s, s:I, s:o, s:b}", "name", name ? name : "Passkey",
                     "created_at", x_int(row, JC_COL_SEC_PASSKEYS_CREATED_AT),
                     "last_used_at",
                     J_TIME(row, JC_COL_SEC_PASSKEYS_LAST_USED_AT),
                     "flagged", x_int(row, JC_COL_SEC_PASSKEYS_FLAGGED) != 0);
}

/* The TOTP factor (times only). */
static json_t *x_totp(const jc_db_row_t *row, apr_pool_t *p)
{
    (void)p;
    return json_pack("{s:s, s:o, s:o}", "type",
                     "Authentifizierungs-App (TOTP)", "confirmed_at",
                     J_TIME(row, JC_COL_SEC_TOTP_CONFIRMED_AT),
                     "last_used_at", J_TIME(row, JC_COL_SEC_TOTP_LAST_USED_AT));
}

/* A Verlauf entry with its German text. */
static json_t *x_event(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *kind = jc_db_col_str(row, JC_COL_EVENT_LIST_KIND, p);

    return json_pack("{s:I, s:s, s:s, s:o}",
                     "at", x_int(row, JC_COL_EVENT_LIST_AT),
                     "kind", kind ? kind : "", "text", jc_event_text(kind),
                     "detail", J_STR(row, JC_COL_EVENT_LIST_DETAIL, p));
}

/* The person profile with its Jobcenter. */
static json_t *x_profile(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o}}",
        "kundennummer", J_STR(row, JC_COL_PROF_GET_KUNDENNUMMER, p),
        "salutation", J_STR(row, JC_COL_PROF_GET_SALUTATION, p),
        "given_name", J_STR(row, JC_COL_PROF_GET_GIVEN_NAME, p),
        "family_name", J_STR(row, JC_COL_PROF_GET_FAMILY_NAME, p),
        "bound_at", J_TIME(row, JC_COL_PROF_GET_BOUND_AT),
        "jobcenter", "name", J_STR(row, JC_COL_PROF_GET_NAME, p),
        "street", J_STR(row, JC_COL_PROF_GET_STREET, p),
        "postcode", J_STR(row, JC_COL_PROF_GET_POSTCODE, p),
        "city", J_STR(row, JC_COL_PROF_GET_CITY, p),
        "phone", J_STR(row, JC_COL_PROF_GET_PHONE, p));
}

/* The Online-Kommunikation consent. */
static json_t *x_online(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack("{s:o, s:o, s:o, s:o}",
                     "active_since",
                     J_TIME(row, JC_COL_ONLINE_GET_ACTIVE_SINCE),
                     "text_version",
                     J_STR(row, JC_COL_ONLINE_GET_TEXT_VERSION, p),
                     "deactivation_requested_at",
                     J_TIME(row, JC_COL_ONLINE_GET_DEACTIVATION_REQUESTED_AT),
                     "deactivation_effective_at",
                     J_TIME(row, JC_COL_ONLINE_GET_DEACTIVATION_EFFECTIVE_AT));
}

/* An entry of the Online-Kommunikation history. */
static json_t *x_online_hist(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack("{s:I, s:o, s:o, s:o}",
                     "at", x_int(row, JC_COL_KONTO_ONLINE_HIST_AT),
                     "action", J_STR(row, JC_COL_KONTO_ONLINE_HIST_ACTION, p),
                     "text_version",
                     J_STR(row, JC_COL_KONTO_ONLINE_HIST_TEXT_VERSION, p),
                     "effective_at",
                     J_TIME(row, JC_COL_KONTO_ONLINE_HIST_EFFECTIVE_AT));
}

/* The export object from the parts (they move into it) and the consents
 * of the account row. When json_pack fails, res says so and the result
 * is JC_DB_OK all the same (nothing left to free). */
static jc_db_rc_e x_assemble(jc_db_t *db, jc_result_t *res, json_t **out,
                             x_parts_t *x, apr_int64_t id, apr_int64_t now,
                             apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, JC_SQL_KONTO_ACCOUNT, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    *out = json_pack(
        "{s:s, s:I, s:o, s:{s:o, s:o}, s:o, s:o, s:o, "
        "s:{s:o, s:o, s:o, s:o}}",
        "format", "jobcenter-digital-auskunft-1",
        "created_at", (json_int_t)now,
        "account", x->acct ? x->acct : json_null(),
        "factors", "totp", x->totp ? x->totp : json_null(),
        "passkeys", x->keys,
        "sessions", x->sess,
        "verlauf", x->events,
        "person_profile", x->profile ? x->profile : json_null(),
        "consents",
        "terms_accepted_at",
        J_TIME(&row, JC_COL_KONTO_ACCOUNT_TERMS_ACCEPTED_AT),
        "email_consent_at",
        J_TIME(&row, JC_COL_KONTO_ACCOUNT_EMAIL_CONSENT_AT),
        "online_kommunikation", x->online ? x->online : json_null(),
        "online_kommunikation_history", x->hist);
    memset(x, 0, offsetof(x_parts_t, xr));
    if (!*out) {
        jc_result_internal(res, "json_pack of the export failed");
        return JC_DB_OK;
    }
    json_object_set_new(*out, "nachrichten", x_conversations(x->xr, p));
    json_object_set_new(*out, "bescheide",
                        x_list(&x->xr[X_BESCHEIDE], x_bescheid, p));
    json_object_set_new(*out, "termine",
                        x_list(&x->xr[X_TERMINE], x_termin, p));
    json_object_set_new(*out, "uploads", x_uploads(x->xr, p));
    return JC_DB_OK;
}

static void x_free(x_parts_t *x)
{
    json_decref(x->acct);
    json_decref(x->keys);
    json_decref(x->totp);
    json_decref(x->sess);
    json_decref(x->events);
    json_decref(x->profile);
    json_decref(x->online);
    json_decref(x->hist);
}

void jc_export_account(jc_db_t *db, jc_result_t *res, json_t **out,
                       const jc_ctx_t *ctx, const jc_session_t *s,
                       apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = s->account_id;
    x_parts_t x;
    jc_db_res_t keys;
    jc_db_row_t row;
    jc_db_rc_e rc;

    jc_result_ok(res);
    *out = NULL;
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)) {
        return;
    }
    memset(&x, 0, sizeof(x));
    rc = x_account(db, &x, id, now, p);
    if (rc == JC_DB_OK) {
        rc = jc_security_passkeys(db, &keys, id, p);
    }
    if (rc == JC_DB_OK) {
        x.keys = x_list(&keys, x_passkey, p);
        rc = x_one(jc_security_totp_row(db, &row, id, p), &x.totp, &row,
                   x_totp, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_konto_sessions(db, &x.sess, ctx, s, 0, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = x_select_list(db, &x.events, JC_SQL_KONTO_EVENTS, id, x_event,
                           p);
    }
    if (rc == JC_DB_OK) {
        rc = x_one(jc_profile_row(db, &row, id, p), &x.profile, &row,
                   x_profile, p);
    }
    if (rc == JC_DB_OK) {
        rc = x_one(jc_online_row(db, &row, id, p), &x.online, &row,
                   x_online, p);
    }
    if (rc == JC_DB_OK) {
        rc = x_select_list(db, &x.hist, JC_SQL_KONTO_ONLINE_HIST, id,
                           x_online_hist, p);
    }
    if (rc == JC_DB_OK) {
        rc = x_rows(db, x.xr, id, p);
    }
    if (rc == JC_DB_OK) {
        rc = x_assemble(db, res, out, &x, id, now, p);
    }
    if (rc == JC_DB_OK) {
        return;
    }
    x_free(&x);
    if (rc == JC_DB_NOROW) {
        jc_result_set(res, 401, "not_authenticated",
                      "Bitte melden Sie sich an.", NULL);
        return;
    }
    jc_db_fail(res, db, rc, p);
}

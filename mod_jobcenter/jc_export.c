/* The data export (see jc_export.h). */
#include <stddef.h>
#include <string.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_export.h"
#include "jc_konto.h"
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
        f = json_pack("{s:o, s:o, s:I}", "name", J_STR(&frow, 1, p),
                      "mime", J_STR(&frow, 2, p),
                      "size", x_int(&frow, 3));
        if (f && with_sha) {
            json_object_set_new(f, "sha256", J_STR(&frow, 4, p));
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
        const jc_anliegen_t *a = jc_anliegen_find(key ? key : "");
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
                "text", J_STR(&mrow, 3, p), "attachments",
                x_files(&rs[X_MSG_FILES], x_int(&mrow, 1), 0, p)));
        }
        json_array_append_new(out, json_pack(
            "{s:o, s:s, s:o, s:s, s:o, s:o, s:I, s:I, s:o}",
            "subject", J_STR(&row, 3, p),
            "anliegen", a ? a->label : (key ? key : ""),
            "anliegen_key", J_STR(&row, 1, p),
            "team", jc_staff_team_text(team ? team : ""),
            "team_key", J_STR(&row, 2, p),
            "status", J_STR(&row, 4, p),
            "created_at", x_int(&row, 5), "updated_at", x_int(&row, 6),
            "messages", msgs));
    }
    return out;
}

/* A Bescheid (metadata, not the PDF) of the bound customer. */
static json_t *x_bescheid(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack("{s:o, s:o, s:I, s:I, s:o, s:o}",
                     "title", J_STR(row, 0, p),
                     "name", J_STR(row, 1, p), "size", x_int(row, 2),
                     "provided_at", x_int(row, 3),
                     "delivered_on", J_STR(row, 4, p),
                     "opened_at", J_TIME(row, 5));
}

/* A Termin of the bound customer. */
static json_t *x_termin(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *team = jc_db_col_str(row, 4, p);

    return json_pack("{s:o, s:o, s:o, s:o, s:s, s:I, s:o}",
                     "date", J_STR(row, 0, p),
                     "time", J_STR(row, 1, p),
                     "place", J_STR(row, 2, p),
                     "contact", J_STR(row, 3, p),
                     "team", jc_staff_team_text(team ? team : ""),
                     "created_at", x_int(row, 5),
                     "seen_at", J_TIME(row, 6));
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
            "reference", J_STR(&row, 1, p),
            "area", J_STR(&row, 2, p),
            "submitted_at", x_int(&row, 3),
            "status", J_STR(&row, 4, p),
            "status_at", x_int(&row, 5),
            "message", J_STR(&row, 6, p),
            "files", x_files(&rs[X_SUB_FILES], x_int(&row, 0), 1, p)));
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
    jc_db_col_i64(&row, 5, &created, 0);
    jc_db_col_i64(&row, 6, &updated, 0);
    jc_db_col_i64(&row, 7, &pwc, 0);
    x->acct = json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:b}",
                        "id", (json_int_t)id,
                        "email", J_STR(&row, 0, p),
                        "username", J_STR(&row, 1, p),
                        "email_confirmed_at", J_TIME(&row, 2),
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

/* The row of statement `label` for account id as one(row); none: *out
 * stays NULL. */
static jc_db_rc_e x_select_one(jc_db_t *db, json_t **out, jc_sql_id_e label,
                               apr_int64_t id,
                               json_t *(*one)(const jc_db_row_t *,
                                              apr_pool_t *),
                               apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &id;
    rc = jc_db_select1(db, &row, label, args, p);
    if (rc == JC_DB_OK) {
        *out = one(&row, p);
    }
    return rc == JC_DB_NOROW ? JC_DB_OK : rc;
}

/* A passkey (name and times, no key material). */
static json_t *x_passkey(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *name = jc_db_col_str(row, 1, p);

    return json_pack("{s:s, s:I, s:o, s:b}", "name", name ? name : "Passkey",
                     "created_at", x_int(row, 2),
                     "last_used_at", J_TIME(row, 3),
                     "flagged", x_int(row, 4) != 0);
}

/* The TOTP factor (times only). */
static json_t *x_totp(const jc_db_row_t *row, apr_pool_t *p)
{
    (void)p;
    return json_pack("{s:s, s:o, s:o}", "type",
                     "Authentifizierungs-App (TOTP)", "confirmed_at",
                     J_TIME(row, 0), "last_used_at", J_TIME(row, 1));
}

/* A Verlauf entry with its German text. */
static json_t *x_event(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *kind = jc_db_col_str(row, 1, p);

    return json_pack("{s:I, s:s, s:s, s:o}", "at", x_int(row, 0),
                     "kind", kind ? kind : "", "text", jc_event_text(kind),
                     "detail", J_STR(row, 2, p));
}

/* The person profile with its Jobcenter. */
static json_t *x_profile(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o}}",
        "kundennummer", J_STR(row, 0, p),
        "salutation", J_STR(row, 1, p),
        "given_name", J_STR(row, 2, p),
        "family_name", J_STR(row, 3, p),
        "bound_at", J_TIME(row, 4),
        "jobcenter", "name", J_STR(row, 5, p),
        "street", J_STR(row, 6, p),
        "postcode", J_STR(row, 7, p),
        "city", J_STR(row, 8, p),
        "phone", J_STR(row, 9, p));
}

/* The Online-Kommunikation consent. */
static json_t *x_online(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack("{s:o, s:o, s:o, s:o}",
                     "active_since", J_TIME(row, 0),
                     "text_version", J_STR(row, 1, p),
                     "deactivation_requested_at", J_TIME(row, 2),
                     "deactivation_effective_at", J_TIME(row, 3));
}

/* An entry of the Online-Kommunikation history. */
static json_t *x_online_hist(const jc_db_row_t *row, apr_pool_t *p)
{
    return json_pack("{s:I, s:o, s:o, s:o}", "at", x_int(row, 0),
                     "action", J_STR(row, 1, p),
                     "text_version", J_STR(row, 2, p),
                     "effective_at", J_TIME(row, 3));
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
        "consents", "terms_accepted_at", J_TIME(&row, 3),
        "email_consent_at", J_TIME(&row, 4),
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
    jc_db_rc_e rc;

    jc_result_ok(res);
    *out = NULL;
    if (jc_session_require_fresh(res, s, ctx->reauth_window, now, p)) {
        return;
    }
    memset(&x, 0, sizeof(x));
    rc = x_account(db, &x, id, now, p);
    if (rc == JC_DB_OK) {
        rc = x_select_list(db, &x.keys, JC_SQL_SEC_PASSKEYS, id, x_passkey,
                           p);
    }
    if (rc == JC_DB_OK) {
        rc = x_select_one(db, &x.totp, JC_SQL_SEC_TOTP, id, x_totp, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_konto_sessions(db, &x.sess, ctx, s, 0, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = x_select_list(db, &x.events, JC_SQL_KONTO_EVENTS, id, x_event,
                           p);
    }
    if (rc == JC_DB_OK) {
        rc = x_select_one(db, &x.profile, JC_SQL_PROF_GET, id, x_profile, p);
    }
    if (rc == JC_DB_OK) {
        rc = x_select_one(db, &x.online, JC_SQL_ONLINE_GET, id, x_online, p);
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

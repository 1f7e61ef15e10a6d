/* The citizen's side of the messages (see jc_conversation.h). */
#include <string.h>
#include <apr_strings.h>

#include "jc_conversation.h"
#include "jc_apiurl.h"
#include "jc_event.h"
#include "jc_message_int.h"
#include "jc_online.h"
#include "jc_upload_store.h"

static const char MSG_NO_FILE[] = "Diese Datei gibt es nicht.";
static const char MSG_RESCHEDULED[] = "Für diesen Termin haben Sie bereits um "
                                      "einen neuen Termin gebeten.";

/* The row of jc_msg_conv_get, jc_msg_conv_list, jc_msg_inbox_all/status or
 * jc_msg_staff_conv: the conversation's columns come first in each. */
#define SAME_CONV(l, c) (JC_COL_##l##_##c == JC_COL_MSG_CONV_GET_##c)
#define SAME_CONV_ALL(l) (SAME_CONV(l, ID) && SAME_CONV(l, ANLIEGEN) \
    && SAME_CONV(l, TEAM) && SAME_CONV(l, SUBJECT) && SAME_CONV(l, STATUS) \
    && SAME_CONV(l, CREATED_AT) && SAME_CONV(l, UPDATED_AT))
_Static_assert(SAME_CONV_ALL(MSG_CONV_LIST) && SAME_CONV_ALL(MSG_INBOX_ALL)
               && SAME_CONV_ALL(MSG_STAFF_CONV),
               "jc_msg_conv_json reads every conversation row alike");
#undef SAME_CONV_ALL
#undef SAME_CONV

json_t *jc_msg_conv_json(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *key = col(row, JC_COL_MSG_CONV_GET_ANLIEGEN, p);
    const char *team = col(row, JC_COL_MSG_CONV_GET_TEAM, p);
    const char *st = col(row, JC_COL_MSG_CONV_GET_STATUS, p);
    const jc_anliegen_t *a = jc_anliegen_find(key);

    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
                     "id", (json_int_t)col_i(row, JC_COL_MSG_CONV_GET_ID),
                     "anliegen", key,
                     "anliegen_text", a ? a->label : key, "team", team,
                     "team_text", jc_staff_team_text(team),
                     "subject", col(row, JC_COL_MSG_CONV_GET_SUBJECT, p),
                     "status", st,
                     "created_at", (json_int_t)col_i(row,
                                       JC_COL_MSG_CONV_GET_CREATED_AT),
                     "updated_at", (json_int_t)col_i(row,
                                       JC_COL_MSG_CONV_GET_UPDATED_AT));
}

/* Messages with their attachments into obj as "messages". */
jc_db_rc_e jc_msg_add_messages(jc_db_t *db, json_t *obj, apr_int64_t conv,
                               const char *file_route, apr_pool_t *p)
{
    const void *args[1];
    jc_db_res_t rows, frows;
    jc_db_row_t row;
    json_t *msgs = json_array();
    jc_db_rc_e rc;
    int i, j;

    json_object_set_new(obj, "messages", msgs);
    args[0] = &conv;
    rc = jc_db_select(db, &rows, JC_SQL_MSG_MESSAGES, args, p);
    if (rc == JC_DB_OK) {
        rc = jc_db_select(db, &frows, JC_SQL_MSG_CONV_FILES, args, p);
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    for (i = 0; i < rows.nrows; i++) {
        apr_int64_t mid, staff = 0, read = 0;
        int has_read;
        json_t *m, *files = json_array();

        jc_db_res_row(&rows, i, &row, p);
        mid = col_i(&row, JC_COL_MSG_MESSAGES_ID);
        jc_db_col_i64(&row, JC_COL_MSG_MESSAGES_STAFF_ACCOUNT, &staff, 0);
        has_read = jc_db_col_i64(&row, JC_COL_MSG_MESSAGES_READ_AT, &read, 0);
        m = json_pack("{s:I, s:s, s:s, s:I, s:o, s:o}",
                      "id", (json_int_t)mid,
                      "from", staff ? "jobcenter" : "kunde",
                      "body", col(&row, JC_COL_MSG_MESSAGES_BODY, p),
                      "created_at", (json_int_t)col_i(&row,
                                        JC_COL_MSG_MESSAGES_CREATED_AT),
                      "unread", json_boolean(staff && !has_read),
                      "files", files);
        if (staff) {
            json_object_set_new(m, "staff_name",
                                json_string(col(&row,
                                    JC_COL_MSG_MESSAGES_DISPLAY_NAME, p)));
        }
        for (j = 0; j < frows.nrows; j++) {
            jc_db_row_t fr;

            jc_db_res_row(&frows, j, &fr, p);
            if (col_i(&fr, JC_COL_MSG_CONV_FILES_MESSAGE_ID) != mid) {
                continue;
            }
            json_array_append_new(files, json_pack(
                "{s:I, s:s, s:s, s:I, s:s}",
                "id", (json_int_t)col_i(&fr, JC_COL_MSG_CONV_FILES_ID),
                "name", col(&fr, JC_COL_MSG_CONV_FILES_NAME, p),
                "mime", col(&fr, JC_COL_MSG_CONV_FILES_MIME, p),
                "size", (json_int_t)col_i(&fr, JC_COL_MSG_CONV_FILES_SIZE),
                "href", apr_psprintf(p, "%s?id=%" APR_INT64_T_FMT, file_route,
                                     col_i(&fr, JC_COL_MSG_CONV_FILES_ID))));
        }
        json_array_append_new(msgs, m);
    }
    return JC_DB_OK;
}

int jc_msg_gate(jc_db_t *db, jc_result_t *res, apr_int64_t account_id,
                int need_online, apr_int64_t now, apr_int64_t *customer_id,
                apr_int64_t *jobcenter_id, apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_db_rc_e rc;
    int active = 0;

    args[0] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_CUSTOMER_OF, args, p);
    if (rc == JC_DB_NOROW) {
        return jc_result_set(res, 403, "profile_required",
                             "Für diese Funktion benötigen Sie ein "
                             "Personenprofil. Bitte schalten Sie zuerst die "
                             "eServices mit Ihrem Freischaltcode frei.",
                             NULL);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *customer_id = col_i(&row, JC_COL_MSG_CUSTOMER_OF_ID);
    *jobcenter_id = col_i(&row, JC_COL_MSG_CUSTOMER_OF_JOBCENTER_ID);
    if (need_online) {
        rc = jc_online_active(db, account_id, now, &active, p);
        if (jc_db_fail(res, db, rc, p)) {
            return res->status;
        }
        if (!active) {
            /* the same code as the upload routes, the seed's text */
            return jc_result_set(res, 403, "online_kommunikation_inactive",
                                 "Um Nachrichten zu schreiben, stimmen Sie "
                                 "bitte zuerst der Online-Kommunikation zu. "
                                 "Ohne Ihre explizite Einwilligung stellen "
                                 "wir Ihnen aktiv keine persönlichen Inhalte "
                                 "in Ihr Profil ein. Dazu zählen "
                                 "Schriftstücke (Bescheide, Nachweise, "
                                 "Schreiben), Anträge und Postfachnachrichten "
                                 "im Leistungspostfach.", NULL);
        }
    }
    return 200;
}

/* The conversation answer for id (inside or outside a transaction). */
static int conv_answer(jc_db_t *db, jc_result_t *res, json_t **out,
                       apr_int64_t account_id, apr_int64_t id, int status,
                       apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;
    json_t *c;

    args[0] = &id;
    args[1] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_CONV_GET, args, p);
    if (rc == JC_DB_NOROW) {
        return jc_msg_not_found(res, "conversation_unknown", JC_MSG_NO_CONV);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    c = jc_msg_conv_json(&row, p);
    rc = jc_msg_add_messages(db, c, id, jc_apiurl(p, "messages/file"),
                             p);
    if (rc != JC_DB_OK) {
        json_decref(c);
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    *out = json_pack("{s:o}", "conversation", c);
    return status;
}

/* Move the files of the account's draft to message msg_id and drop the
 * draft (inside the caller's transaction). */
static jc_db_rc_e attach_draft(jc_db_t *db, apr_int64_t account_id,
                               apr_int64_t draft_id, apr_int64_t msg_id,
                               apr_pool_t *p)
{
    const void *args[3];
    jc_db_rc_e rc;

    if (!draft_id) {
        return JC_DB_OK;
    }
    args[0] = &msg_id;
    args[1] = &draft_id;
    args[2] = &account_id;
    rc = jc_db_exec(db, NULL, JC_SQL_MSG_MOVE_FILES, args, p);
    if (rc == JC_DB_OK) {
        rc = jc_upload_draft_delete(db, draft_id, p);
    }
    return rc;
}

/* The draft must be the account's (404 draft_unknown). */
static int check_draft(jc_db_t *db, jc_result_t *res, apr_int64_t account_id,
                       apr_int64_t draft_id, apr_pool_t *p)
{
    jc_up_draft_row_t d;
    jc_db_rc_e rc;

    if (!draft_id) {
        return 0;
    }
    rc = jc_upload_draft_row(db, &d, draft_id, account_id, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return jc_msg_not_found(res, "draft_unknown", "Die Anhänge sind "
                                "nicht mehr vorhanden. Bitte fügen Sie sie "
                                "erneut hinzu.");
    }
    return jc_db_fail(res, db, rc, p) ? res->status : 0;
}

/* Open a conversation with its first message in the open transaction.
 * *conv_id gets the id; JC_DB_CONFLICT for a key used meanwhile. */
static jc_db_rc_e open_conversation(jc_db_t *db, apr_int64_t account_id,
                                    apr_int64_t customer_id,
                                    apr_int64_t jobcenter_id,
                                    const jc_anliegen_t *a, const char *team,
                                    const char *subject, const char *text,
                                    const char *key, apr_int64_t draft_id,
                                    apr_int64_t now, apr_int64_t *conv_id,
                                    apr_pool_t *p)
{
    const void *args[10];
    jc_db_row_t row;
    apr_int64_t mid;
    jc_db_rc_e rc;

    args[0] = &jobcenter_id;
    args[1] = &customer_id;
    args[2] = &account_id;
    args[3] = a->key;
    args[4] = team;
    args[5] = subject;
    args[6] = key;
    args[7] = &now;
    args[8] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_CONV_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    *conv_id = col_i(&row, JC_COL_MSG_CONV_INSERT_ID);
    rc = jc_conversation_msg_add(db, &mid, *conv_id, NULL, text, NULL, now,
                                 p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    rc = attach_draft(db, account_id, draft_id, mid, p);
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, account_id, now, JC_EV_MESSAGE_SENT, a->label, p);
    }
    return rc;
}

/* Send under an idempotency key: an existing conversation of the key is
 * answered with 200; a conflict (parallel send) is looked up again. */
int jc_msg_send_keyed(jc_db_t *db, jc_result_t *res, json_t **out,
                      apr_int64_t account_id, const jc_anliegen_t *a,
                      const char *team, const char *subject,
                      const char *text, const char *key,
                      apr_int64_t draft_id, apr_int64_t termin_id,
                      apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t cust = 0, jcid = 0, conv = 0;
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;
    int attempt;

    for (attempt = 0; attempt < 2; attempt++) {
        rc = jc_db_begin(db, p);
        if (jc_db_fail(res, db, rc, p)) {
            return res->status;
        }
        args[0] = &account_id;
        args[1] = key;
        rc = jc_db_select1(db, &row, JC_SQL_MSG_CONV_BY_KEY, args, p);
        if (rc == JC_DB_OK) {
            conv = col_i(&row, JC_COL_MSG_CONV_BY_KEY_ID);
            jc_db_rollback(db, p);
            return conv_answer(db, res, out, account_id, conv, 200, p);
        }
        if (rc != JC_DB_NOROW) {
            jc_db_fail(res, db, rc, p);
            return res->status;
        }
        if (jc_msg_gate(db, res, account_id, 0, now, &cust, &jcid, p)
            != 200) {
            jc_db_rollback(db, p);
            return res->status;
        }
        if (check_draft(db, res, account_id, draft_id, p)) {
            return res->status;
        }
        rc = open_conversation(db, account_id, cust, jcid, a, team, subject,
                               text, key, draft_id, now, &conv, p);
        if (rc == JC_DB_OK && termin_id) {
            /* the Termin remembers the request, once (a parallel request
             * with another key finds it set and gets 409) */
            int n = 0;

            args[0] = &conv;
            args[1] = &termin_id;
            rc = jc_db_exec(db, &n, JC_SQL_TERMIN_RESCHEDULED, args, p);
            if (rc == JC_DB_OK && n != 1) {
                jc_db_rollback(db, p);
                return jc_result_set(res, 409, "reschedule_requested",
                                     MSG_RESCHEDULED, NULL);
            }
        }
        if (rc == JC_DB_OK) {
            rc = jc_db_commit(db, p);
        }
        if (rc == JC_DB_CONFLICT && attempt == 0) {
            jc_db_rollback(db, p);
            continue;               /* the same key won in parallel */
        }
        if (jc_db_fail(res, db, rc, p)) {
            return res->status;
        }
        return conv_answer(db, res, out, account_id, conv, 201, p);
    }
    return jc_result_internal(res, "idempotent send did not settle");
}

int jc_msg_send(jc_db_t *db, jc_result_t *res, json_t **out,
                const jc_msg_cfg_t *cfg, const jc_msg_send_in_t *in,
                apr_int64_t now, apr_pool_t *p)
{
    const jc_anliegen_t *a = NULL;
    long n;

    (void)cfg;
    *out = NULL;
    if (!jc_upload_key_ok(in->key)) {
        return jc_msg_bad_key(res);
    }
    if (!in->anliegen || !*in->anliegen) {
        jc_result_detail(res, "anliegen_missing", "anliegen",
                         "Bitte wählen Sie ein Anliegen aus.");
    }
    else if (!(a = jc_anliegen_find(in->anliegen))) {
        jc_result_detail(res, "anliegen_invalid", "anliegen",
                         "Bitte wählen Sie ein Anliegen aus der Liste aus.");
    }
    n = in->subject ? jc_msg_chars(in->subject) : 0;
    if (!in->subject || !*in->subject
        || strspn(in->subject, " \t") == strlen(in->subject)) {
        jc_result_detail(res, "subject_missing", "subject",
                         "Bitte geben Sie einen Betreff ein.");
    }
    else if (n < 0 || strpbrk(in->subject, "\r\n\t")) {
        jc_result_detail(res, "subject_invalid", "subject",
                         "Der Betreff enthält ungültige Zeichen.");
    }
    else if (n > JC_MSG_SUBJECT_MAX) {
        jc_result_detail(res, "subject_too_long", "subject",
                         "Der Betreff darf höchstens 100 Zeichen lang sein.");
    }
    jc_msg_check_text(res, in->text);
    if (!in->ack) {
        jc_result_detail(res, "ack_required", "ack",
                         "Bitte bestätigen Sie, dass Sie den Hinweis zur "
                         "Datenverarbeitung nach § 67a / § 67c SGB X zur "
                         "Kenntnis genommen haben.");
    }
    if (jc_msg_validation_result(res)) {
        return res->status;
    }
    return jc_msg_send_keyed(db, res, out, in->account_id, a, a->team,
                             in->subject, in->text, in->key, in->draft_id, 0,
                             now, p);
}

int jc_msg_reply(jc_db_t *db, jc_result_t *res, json_t **out,
                 const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                 apr_int64_t conversation_id, const char *text,
                 const char *key, apr_int64_t draft_id, apr_int64_t now,
                 apr_pool_t *p)
{
    const void *args[5];
    jc_db_row_t row;
    apr_int64_t mid;
    jc_db_rc_e rc;
    const char *neu = "neu";

    (void)cfg;
    *out = NULL;
    if (!jc_upload_key_ok(key)) {
        return jc_msg_bad_key(res);
    }
    jc_msg_check_text(res, text);
    if (jc_msg_validation_result(res)) {
        return res->status;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    args[0] = &conversation_id;
    args[1] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_CONV_GET, args, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return jc_msg_not_found(res, "conversation_unknown", JC_MSG_NO_CONV);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    args[0] = &conversation_id;
    args[1] = key;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_BY_KEY, args, p);
    if (rc == JC_DB_OK) {
        jc_db_rollback(db, p);
        return conv_answer(db, res, out, account_id, conversation_id, 200, p);
    }
    if (rc != JC_DB_NOROW) {
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    if (check_draft(db, res, account_id, draft_id, p)) {
        return res->status;
    }
    rc = jc_conversation_msg_add(db, &mid, conversation_id, NULL, text, key,
                                 now, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc == JC_DB_OK) {
        rc = attach_draft(db, account_id, draft_id, mid, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_conversation_touch(db, conversation_id, neu, now, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (rc == JC_DB_CONFLICT) {
        /* the same key in parallel: answer with what it stored */
        jc_db_rollback(db, p);
        return conv_answer(db, res, out, account_id, conversation_id, 200, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    return conv_answer(db, res, out, account_id, conversation_id, 201, p);
}

static json_t *conv_list_json(const jc_db_row_t *row, apr_pool_t *p)
{
    json_t *c = jc_msg_conv_json(row, p);

    json_object_set_new(c, "unread", json_integer(
                            col_i(row, JC_COL_MSG_CONV_LIST_UNREAD)));
    json_object_set_new(c, "messages", json_integer(
                            col_i(row, JC_COL_MSG_CONV_LIST_MESSAGES)));
    return c;
}

int jc_msg_list(jc_db_t *db, jc_result_t *res, json_t **out,
                apr_int64_t account_id, apr_pool_t *p)
{
    return jc_msg_account_list(db, res, out, "conversations",
                               JC_SQL_MSG_CONV_LIST, account_id,
                               conv_list_json, p);
}

int jc_msg_conversation(jc_db_t *db, jc_result_t *res, json_t **out,
                        apr_int64_t account_id, apr_int64_t conversation_id,
                        apr_int64_t now, apr_pool_t *p)
{
    const void *args[2];
    jc_db_rc_e rc;
    int st;

    *out = NULL;
    st = conv_answer(db, res, out, account_id, conversation_id, 200, p);
    if (st != 200) {
        return st;
    }
    /* opened: the staff messages count as read from now on */
    args[0] = &now;
    args[1] = &conversation_id;
    rc = jc_db_exec(db, NULL, JC_SQL_MSG_MARK_READ, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        json_decref(*out);
        *out = NULL;
        return res->status;
    }
    return 200;
}

/* The row of jc_msg_file_citizen or jc_msg_file_staff. */
#define SAME_FILE(c) (JC_COL_MSG_FILE_STAFF_##c == JC_COL_MSG_FILE_CITIZEN_##c)
_Static_assert(SAME_FILE(STORE_ID) && SAME_FILE(NAME) && SAME_FILE(MIME)
               && SAME_FILE(SIZE),
               "jc_msg_file_answer reads both file rows alike");
#undef SAME_FILE

int jc_msg_file_answer(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                       const jc_msg_cfg_t *cfg, jc_db_rc_e rc,
                       const jc_db_row_t *row, apr_pool_t *p)
{
    if (rc == JC_DB_NOROW) {
        return jc_msg_not_found(res, "file_unknown", MSG_NO_FILE);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    dl->path = jc_store_path(cfg->upload->store,
                             col(row, JC_COL_MSG_FILE_CITIZEN_STORE_ID, p), p);
    dl->name = col(row, JC_COL_MSG_FILE_CITIZEN_NAME, p);
    dl->mime = col(row, JC_COL_MSG_FILE_CITIZEN_MIME, p);
    dl->size = col_i(row, JC_COL_MSG_FILE_CITIZEN_SIZE);
    if (!dl->path) {
        return jc_result_internal(res, "bad store id");
    }
    return 200;
}

int jc_msg_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                apr_int64_t file_id, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;

    args[0] = &file_id;
    args[1] = &account_id;
    return jc_msg_file_answer(db, res, dl, cfg,
                              jc_db_select1(db, &row, JC_SQL_MSG_FILE_CITIZEN,
                                            args, p), &row, p);
}

jc_db_rc_e jc_conversation_msg_add(jc_db_t *db, apr_int64_t *id,
                                   apr_int64_t conversation_id,
                                   const apr_int64_t *staff_account,
                                   const char *text, const char *key,
                                   apr_int64_t now, apr_pool_t *p)
{
    const void *args[5];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &conversation_id;
    args[1] = staff_account;
    args[2] = text;
    args[3] = key;
    args[4] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_INSERT, args, p);
    if (rc == JC_DB_OK) {
        *id = col_i(&row, JC_COL_MSG_INSERT_ID);
    }
    return rc;
}

jc_db_rc_e jc_conversation_touch(jc_db_t *db, apr_int64_t conversation_id,
                                 const char *status, apr_int64_t now,
                                 apr_pool_t *p)
{
    const void *args[3];

    args[0] = status;
    args[1] = &now;
    args[2] = &conversation_id;
    return jc_db_exec(db, NULL, JC_SQL_MSG_CONV_TOUCH, args, p);
}

/* Messages, Postfach, Bescheide, Termine, staff inboxes (see
 * jc_message.h). */
#include <string.h>
#include <time.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_mail.h"
#include "jc_message.h"
#include "jc_online.h"
#include "jc_outbox.h"
#include "jc_upload_store.h"

#define G_LEISTUNG    "Nachrichten an die Leistung"
#define G_VERMITTLUNG "Nachrichten an die Vermittlung"

/* The seed's table "Erklärung zu „Anliegen“", in its order and wording
 * (including its spelling). The only copy: the portal gets it from
 * GET messages/anliegen, the tests parse the seed and compare. */
static const jc_anliegen_t anliegen[] = {
    { "kopien", "Anforderung Kopien", G_LEISTUNG, "leistung" },
    { "bearbeitungsstand", "Anfrage zum Bearbeitungsstand", G_LEISTUNG,
      "leistung" },
    { "weitere_leistungen", "Beantragung von weiteren Leistungen",
      G_LEISTUNG, "leistung" },
    { "miete_heizkosten", "Frage zu Miete und Heizkosten", G_LEISTUNG,
      "leistung" },
    { "fristverlaengerung", "Fristverlängerung", G_LEISTUNG, "leistung" },
    { "bildung_teilhabe", "Informationen und Fragen zu Leistungen für "
      "Bildung und Teilhabe", G_LEISTUNG, "but" },
    { "terminanfrage", "Terminanfrage", G_LEISTUNG, "leistung" },
    { "sonstiges", "Sonstiges", G_LEISTUNG, "leistung" },
    { "arbeitsaufnahme_beratung", "Beratung und Unterstützung bei der "
      "Arbeitsaufnahme/-suche", G_VERMITTLUNG, "vermittlung" },
    { "sprachkurse", "Beratung zu Sprachkursen", G_VERMITTLUNG,
      "vermittlung" },
    { "weiterbildung", "Fragen zu Weiterbildung/ Coaching/ Maßnahmen",
      G_VERMITTLUNG, "vermittlung" },
    { "ortsabwesenheit", "Ortsabwesenheit", G_VERMITTLUNG, "vermittlung" },
    { "arbeitsaufnahme", "Rund um Arbeitsaufnahme/ -suche", G_VERMITTLUNG,
      "vermittlung" },
    { "ausbildung_studium", "Rund um Ausbildung / Studium", G_VERMITTLUNG,
      "vermittlung" },
};
#define N_ANLIEGEN (sizeof(anliegen) / sizeof(anliegen[0]))

static const char MSG_NO_CONV[] = "Diese Nachricht gibt es nicht.";
static const char MSG_NO_FILE[] = "Diese Datei gibt es nicht.";
static const char MSG_RESCHEDULED[] = "Für diesen Termin haben Sie bereits um "
                                      "einen neuen Termin gebeten.";

const jc_anliegen_t *jc_msg_anliegen_all(size_t *n)
{
    *n = N_ANLIEGEN;
    return anliegen;
}

const jc_anliegen_t *jc_msg_anliegen(const char *key)
{
    size_t i;

    for (i = 0; key && i < N_ANLIEGEN; i++) {
        if (!strcmp(anliegen[i].key, key)) {
            return &anliegen[i];
        }
    }
    return NULL;
}

json_t *jc_msg_anliegen_json(void)
{
    json_t *groups = json_array(), *g = NULL, *list = NULL;
    const char *cur = NULL;
    size_t i;

    for (i = 0; i < N_ANLIEGEN; i++) {
        const jc_anliegen_t *a = &anliegen[i];

        if (!cur || strcmp(cur, a->group)) {
            cur = a->group;
            list = json_array();
            g = json_pack("{s:s, s:o}", "label", a->group, "anliegen", list);
            json_array_append_new(groups, g);
        }
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:s, s:s}", "key", a->key, "label", a->label,
            "team", a->team, "team_text", jc_staff_team_text(a->team)));
    }
    return json_pack("{s:o, s:i, s:i}", "groups", groups, "text_max",
                     JC_MSG_TEXT_MAX, "subject_max", JC_MSG_SUBJECT_MAX);
}

long jc_msg_chars(const char *s)
{
    return s ? jc_upload_text_chars(s) : -1;
}

apr_int64_t jc_msg_delivery_days(apr_int64_t provided_days, int region)
{
    apr_int64_t d = provided_days + JC_MSG_DELIVERY_DAYS;

    while (!jc_online_is_workday(d, region)) {
        d++;
    }
    return d;
}

void jc_msg_delivery_day(apr_int64_t provided_at, int region, char buf[11])
{
    char local[11];
    int y, m, d;

    jc_online_local_date(provided_at, local);
    buf[0] = '\0';
    if (sscanf(local, "%4d-%2d-%2d", &y, &m, &d) != 3) {
        return;
    }
    jc_time_civil_from_days(
        jc_msg_delivery_days(jc_time_days_from_civil(y, m, d), region), &y, &m,
        &d);
    apr_snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

/* ---- helpers ------------------------------------------------------------ */

static const char *col(const jc_db_row_t *row, int i, apr_pool_t *p)
{
    const char *v = jc_db_col_str(row, i, p);

    return v ? v : "";
}

static apr_int64_t col_i(const jc_db_row_t *row, int i)
{
    apr_int64_t v = 0;

    jc_db_col_i64(row, i, &v, 0);
    return v;
}

/* Builds the JSON object of one result row. */
typedef json_t *(*row_json_fn)(const jc_db_row_t *row, apr_pool_t *p);

/* Runs the prepared SELECT label with args and returns a JSON array with
 * one object per row, made by fn. On a database failure: NULL, and res
 * holds the error (jc_db_fail). */
static json_t *select_list(jc_db_t *db, jc_result_t *res, jc_sql_id_e label,
                           const void **args, row_json_fn fn, apr_pool_t *p)
{
    jc_db_res_t rows;
    jc_db_row_t row;
    json_t *list;
    jc_db_rc_e rc;
    int i;

    rc = jc_db_select(db, &rows, label, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return NULL;
    }
    list = json_array();
    for (i = 0; i < rows.nrows; i++) {
        jc_db_res_row(&rows, i, &row, p);
        json_array_append_new(list, fn(&row, p));
    }
    return list;
}

/* A citizen's list: select_list with the account id as the one argument,
 * answered as {key: [...]} in *out. */
static int account_list(jc_db_t *db, jc_result_t *res, json_t **out,
                        const char *key, jc_sql_id_e label,
                        apr_int64_t account_id, row_json_fn fn,
                        apr_pool_t *p)
{
    const void *args[1];
    json_t *list;

    *out = NULL;
    args[0] = &account_id;
    list = select_list(db, res, label, args, fn, p);
    if (!list) {
        return res->status;
    }
    *out = json_pack("{s:o}", key, list);
    return 200;
}

static int key_ok(const char *k)
{
    size_t n = k ? strlen(k) : 0, i;

    if (n < JC_UPLOAD_KEY_MIN || n > JC_UPLOAD_KEY_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = k[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

static int bad_key(jc_result_t *res)
{
    return jc_result_set(res, 400, "idempotency_key_invalid",
                         "Die Anfrage enthält keinen gültigen "
                         "Idempotenz-Schlüssel (8 bis 64 Zeichen A-Z, a-z, "
                         "0-9, - und _).", "idempotency_key");
}

static int not_found(jc_result_t *res, const char *code, const char *msg)
{
    return jc_result_set(res, 404, code, msg, NULL);
}

static const char *status_text(const char *s)
{
    if (!strcmp(s, "neu")) {
        return "neu";
    }
    if (!strcmp(s, "in_bearbeitung")) {
        return "in Bearbeitung";
    }
    if (!strcmp(s, "erledigt")) {
        return "erledigt";
    }
    return NULL;
}

/* Text checks of "Ihre Nachricht": adds a detail, returns 1 if bad. */
static int check_text(jc_result_t *res, const char *text)
{
    long n = text ? jc_msg_chars(text) : 0;
    const char *t = text;

    while (t && (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t')) {
        t++;
    }
    if (!t || !*t) {
        jc_result_detail(res, "text_missing", "text",
                         "Bitte geben Sie Ihre Nachricht ein.");
        return 1;
    }
    if (n < 0) {
        jc_result_detail(res, "text_invalid", "text",
                         "Die Nachricht enthält ungültige Zeichen.");
        return 1;
    }
    if (n > JC_MSG_TEXT_MAX) {
        jc_result_detail(res, "text_too_long", "text",
                         "Ihre Nachricht darf höchstens 1000 Zeichen lang "
                         "sein.");
        return 1;
    }
    return 0;
}

/* Finish a validation: 422 with every detail, or 0. */
static int validation_result(jc_result_t *res)
{
    json_t *first;

    if (!res->details || json_array_size(res->details) == 0) {
        return 0;
    }
    first = json_array_get(res->details, 0);
    res->status = 422;
    res->code = "validation_failed";
    res->message = "Bitte prüfen Sie Ihre Eingaben.";
    res->field = json_string_value(json_object_get(first, "field"));
    return 422;
}

/* Queue "Neue Inhalte in Ihrem Profil" to the account when its
 * Online-Kommunikation is active (inside the caller's transaction). */
static jc_db_rc_e notify(jc_db_t *db, const jc_msg_cfg_t *cfg,
                         apr_int64_t account_id, int reminder,
                         apr_int64_t now, int *queued, apr_pool_t *p)
{
    const void *args[1];
    jc_db_row_t row;
    jc_mail_t *m;
    const char *email;
    int active = 0;
    jc_db_rc_e rc;

    if (queued) {
        *queued = 0;
    }
    if (!account_id) {
        return JC_DB_OK;
    }
    rc = jc_online_active(db, account_id, now, &active, p);
    if (rc != JC_DB_OK || !active) {
        return rc;
    }
    args[0] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_ACCT_MAIL, args, p);
    if (rc == JC_DB_NOROW) {
        return JC_DB_OK;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    email = jc_db_col_str(&row, 0, p);
    if (!email || !*email || !jc_db_col_str(&row, 1, p)) {
        return JC_DB_OK;            /* no confirmed address: no mail */
    }
    m = reminder
        ? jc_msg_mail_reminder(cfg->mail_from, email,
                               apr_pstrcat(p, cfg->base_url, "/start.html",
                                           NULL), now, p)
        : jc_msg_mail_new_content(cfg->mail_from, email,
                                  apr_pstrcat(p, cfg->base_url,
                                              "/start.html", NULL), now, p);
    if (!m) {
        return JC_DB_OK;            /* an address the mailer refuses */
    }
    rc = jc_outbox_enqueue(db, m, now, p);
    if (rc == JC_DB_OK && queued) {
        *queued = 1;
    }
    return rc;
}

static jc_db_rc_e audit(jc_db_t *db, const jc_staff_t *st, apr_int64_t now,
                        const char *action, apr_int64_t customer_id,
                        const char *detail, apr_pool_t *p)
{
    const void *args[5];

    args[0] = &st->account_id;
    args[1] = &now;
    args[2] = action;
    args[3] = &customer_id;
    args[4] = detail;
    return jc_db_exec(db, NULL, JC_SQL_AUDIT_ADD, args, p);
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
        args[0] = &draft_id;
        rc = jc_db_exec(db, NULL, JC_SQL_UP_DRAFT_DELETE, args, p);
    }
    return rc;
}

/* The draft must be the account's (404 draft_unknown). */
static int check_draft(jc_db_t *db, jc_result_t *res, apr_int64_t account_id,
                       apr_int64_t draft_id, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    if (!draft_id) {
        return 0;
    }
    args[0] = &draft_id;
    args[1] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_UP_DRAFT_GET, args, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return not_found(res, "draft_unknown", "Die Anhänge sind nicht mehr "
                         "vorhanden. Bitte fügen Sie sie erneut hinzu.");
    }
    return jc_db_fail(res, db, rc, p) ? res->status : 0;
}

/* ---- conversations as JSON --------------------------------------------- */

static json_t *conv_json(const jc_db_row_t *row, apr_pool_t *p)
{
    const char *key = col(row, 1, p), *team = col(row, 2, p);
    const char *st = col(row, 4, p);
    const jc_anliegen_t *a = jc_msg_anliegen(key);

    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
                     "id", (json_int_t)col_i(row, 0), "anliegen", key,
                     "anliegen_text", a ? a->label : key, "team", team,
                     "team_text", jc_staff_team_text(team),
                     "subject", col(row, 3, p), "status", st,
                     "created_at", (json_int_t)col_i(row, 5),
                     "updated_at", (json_int_t)col_i(row, 6));
}

/* Messages with their attachments into obj as "messages". */
static jc_db_rc_e add_messages(jc_db_t *db, json_t *obj, apr_int64_t conv,
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
        mid = col_i(&row, 0);
        jc_db_col_i64(&row, 1, &staff, 0);
        has_read = jc_db_col_i64(&row, 4, &read, 0);
        m = json_pack("{s:I, s:s, s:s, s:I, s:o, s:o}",
                      "id", (json_int_t)mid,
                      "from", staff ? "jobcenter" : "kunde",
                      "body", col(&row, 2, p),
                      "created_at", (json_int_t)col_i(&row, 3),
                      "unread", json_boolean(staff && !has_read),
                      "files", files);
        if (staff) {
            json_object_set_new(m, "staff_name",
                                json_string(col(&row, 5, p)));
        }
        for (j = 0; j < frows.nrows; j++) {
            jc_db_row_t fr;

            jc_db_res_row(&frows, j, &fr, p);
            if (col_i(&fr, 1) != mid) {
                continue;
            }
            json_array_append_new(files, json_pack(
                "{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)col_i(&fr, 0),
                "name", col(&fr, 2, p), "mime", col(&fr, 3, p),
                "size", (json_int_t)col_i(&fr, 4),
                "href", apr_psprintf(p, "%s?id=%" APR_INT64_T_FMT,
                                     file_route, col_i(&fr, 0))));
        }
        json_array_append_new(msgs, m);
    }
    return JC_DB_OK;
}

/* ---- citizen ----------------------------------------------------------- */

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
    *customer_id = col_i(&row, 0);
    *jobcenter_id = col_i(&row, 1);
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
        return not_found(res, "conversation_unknown", MSG_NO_CONV);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    c = conv_json(&row, p);
    rc = add_messages(db, c, id, "/api/v1/messages/file", p);
    if (rc != JC_DB_OK) {
        json_decref(c);
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    *out = json_pack("{s:o}", "conversation", c);
    return status;
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
    *conv_id = col_i(&row, 0);
    args[0] = conv_id;
    args[1] = NULL;
    args[2] = text;
    args[3] = NULL;
    args[4] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc != JC_DB_OK) {
        return rc;
    }
    mid = col_i(&row, 0);
    rc = attach_draft(db, account_id, draft_id, mid, p);
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, account_id, now, JC_EV_MESSAGE_SENT, a->label, p);
    }
    return rc;
}

/* Send under an idempotency key: an existing conversation of the key is
 * answered with 200; a conflict (parallel send) is looked up again. */
static int send_common(jc_db_t *db, jc_result_t *res, json_t **out,
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
            conv = col_i(&row, 0);
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
    if (!key_ok(in->key)) {
        return bad_key(res);
    }
    if (!in->anliegen || !*in->anliegen) {
        jc_result_detail(res, "anliegen_missing", "anliegen",
                         "Bitte wählen Sie ein Anliegen aus.");
    }
    else if (!(a = jc_msg_anliegen(in->anliegen))) {
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
    check_text(res, in->text);
    if (!in->ack) {
        jc_result_detail(res, "ack_required", "ack",
                         "Bitte bestätigen Sie, dass Sie den Hinweis zur "
                         "Datenverarbeitung nach § 67a / § 67c SGB X zur "
                         "Kenntnis genommen haben.");
    }
    if (validation_result(res)) {
        return res->status;
    }
    return send_common(db, res, out, in->account_id, a, a->team, in->subject,
                       in->text, in->key, in->draft_id, 0, now, p);
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
    if (!key_ok(key)) {
        return bad_key(res);
    }
    check_text(res, text);
    if (validation_result(res)) {
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
        return not_found(res, "conversation_unknown", MSG_NO_CONV);
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
    args[0] = &conversation_id;
    args[1] = NULL;
    args[2] = text;
    args[3] = key;
    args[4] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc == JC_DB_OK) {
        mid = col_i(&row, 0);
        rc = attach_draft(db, account_id, draft_id, mid, p);
    }
    if (rc == JC_DB_OK) {
        args[0] = neu;
        args[1] = &now;
        args[2] = &conversation_id;
        rc = jc_db_exec(db, NULL, JC_SQL_MSG_CONV_TOUCH, args, p);
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
    json_t *c = conv_json(row, p);

    json_object_set_new(c, "unread", json_integer(col_i(row, 7)));
    json_object_set_new(c, "messages", json_integer(col_i(row, 8)));
    return c;
}

int jc_msg_list(jc_db_t *db, jc_result_t *res, json_t **out,
                apr_int64_t account_id, apr_pool_t *p)
{
    return account_list(db, res, out, "conversations", JC_SQL_MSG_CONV_LIST,
                        account_id, conv_list_json, p);
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

static int file_answer(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                       const jc_msg_cfg_t *cfg, jc_db_rc_e rc,
                       const jc_db_row_t *row, apr_pool_t *p)
{
    if (rc == JC_DB_NOROW) {
        return not_found(res, "file_unknown", MSG_NO_FILE);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    dl->path = jc_store_path(cfg->upload->store, col(row, 0, p), p);
    dl->name = col(row, 1, p);
    dl->mime = col(row, 2, p);
    dl->size = col_i(row, 3);
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
    return file_answer(db, res, dl, cfg,
                       jc_db_select1(db, &row, JC_SQL_MSG_FILE_CITIZEN, args,
                                     p), &row, p);
}

static const char *date_de(const char *iso, apr_pool_t *p)
{
    if (!iso || strlen(iso) != 10) {
        return "";
    }
    return apr_psprintf(p, "%.2s.%.2s.%.4s", iso + 8, iso + 5, iso);
}

static json_t *bescheid_json(const jc_db_row_t *row, apr_pool_t *p)
{
    apr_int64_t opened = 0, id = col_i(row, 0);
    int has = jc_db_col_i64(row, 6, &opened, 0);
    json_t *b = json_pack("{s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
                          "id", (json_int_t)id, "title", col(row, 1, p),
                          "name", col(row, 2, p),
                          "size", (json_int_t)col_i(row, 3),
                          "provided_at", (json_int_t)col_i(row, 4),
                          "delivered_on", col(row, 5, p),
                          "delivered_on_text", date_de(col(row, 5, p), p),
                          "href", apr_psprintf(p, "/api/v1/bescheide/file?id=%"
                                               APR_INT64_T_FMT, id));

    json_object_set_new(b, "opened_at",
                        has ? json_integer(opened) : json_null());
    return b;
}

int jc_bescheid_list(jc_db_t *db, jc_result_t *res, json_t **out,
                     apr_int64_t account_id, apr_pool_t *p)
{
    return account_list(db, res, out, "bescheide", JC_SQL_BESCHEID_LIST,
                        account_id, bescheid_json, p);
}

int jc_bescheid_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                     const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                     apr_int64_t bescheid_id, apr_int64_t now,
                     apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;
    int st;

    args[0] = &bescheid_id;
    args[1] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_BESCHEID_GET, args, p);
    if (rc == JC_DB_NOROW) {
        return not_found(res, "bescheid_unknown",
                         "Diesen Bescheid gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    dl->path = jc_store_path(cfg->upload->store, col(&row, 0, p), p);
    dl->name = col(&row, 1, p);
    dl->mime = "application/pdf";
    dl->size = col_i(&row, 2);
    if (!dl->path) {
        return jc_result_internal(res, "bad store id");
    }
    args[0] = &now;
    args[1] = &bescheid_id;
    rc = jc_db_exec(db, NULL, JC_SQL_BESCHEID_OPEN, args, p);
    st = jc_db_fail(res, db, rc, p) ? res->status : 200;
    return st;
}

static json_t *termin_json(const jc_db_row_t *row, apr_pool_t *p)
{
    apr_int64_t conv = 0;
    const char *team = col(row, 5, p);
    int has = jc_db_col_i64(row, 7, &conv, 0);
    json_t *t = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
        "id", (json_int_t)col_i(row, 0), "date", col(row, 1, p),
        "date_text", date_de(col(row, 1, p), p), "time", col(row, 2, p),
        "place", col(row, 3, p), "contact", col(row, 4, p), "team", team,
        "team_text", jc_staff_team_text(team),
        "created_at", (json_int_t)col_i(row, 6));

    json_object_set_new(t, "reschedule_conversation",
                        has ? json_integer(conv) : json_null());
    return t;
}

int jc_termin_list(jc_db_t *db, jc_result_t *res, json_t **out,
                   apr_int64_t account_id, apr_pool_t *p)
{
    return account_list(db, res, out, "termine", JC_SQL_TERMIN_LIST,
                        account_id, termin_json, p);
}

int jc_termin_reschedule(jc_db_t *db, jc_result_t *res, json_t **out,
                         const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                         apr_int64_t termin_id, const char *text,
                         const char *key, apr_int64_t now, apr_pool_t *p)
{
    const jc_anliegen_t *a = jc_msg_anliegen("terminanfrage");
    const void *args[2];
    jc_db_row_t row;
    const char *team, *subject, *body;
    jc_db_rc_e rc;

    *out = NULL;
    if (!key_ok(key)) {
        return bad_key(res);
    }
    if (text && *text) {
        check_text(res, text);
        if (validation_result(res)) {
            return res->status;
        }
    }
    args[0] = &termin_id;
    args[1] = &account_id;
    rc = jc_db_select1(db, &row, JC_SQL_TERMIN_GET, args, p);
    if (rc == JC_DB_NOROW) {
        return not_found(res, "termin_unknown", "Diesen Termin gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    /* a Termin asked about before is refused inside the send (409), after
     * the idempotency key was looked up: a retry still gets its 200 */
    team = col(&row, 3, p);
    subject = apr_psprintf(p, "Bitte um Verschiebung des Termins am %s um "
                           "%s Uhr", date_de(col(&row, 1, p), p),
                           col(&row, 2, p));
    body = (text && *text) ? text
           : "Ich bitte um einen neuen Termin.";
    (void)cfg;
    return send_common(db, res, out, account_id, a, team, subject, body, key,
                       0, termin_id, now, p);
}

/* ---- staff --------------------------------------------------------------- */

static json_t *inbox_json(const jc_db_row_t *row, apr_pool_t *p)
{
    json_t *c = conv_json(row, p);
    apr_int64_t assigned = 0;
    const char *st = col(row, 4, p);

    json_object_set_new(c, "status_text", json_string(status_text(st)
                                                      ? status_text(st) : st));
    if (jc_db_col_i64(row, 7, &assigned, 0)) {
        json_object_set_new(c, "assigned_to", json_integer(assigned));
        json_object_set_new(c, "assigned_name", json_string(col(row, 8, p)));
    }
    else {
        json_object_set_new(c, "assigned_to", json_null());
        json_object_set_new(c, "assigned_name", json_null());
    }
    json_object_set_new(c, "customer", json_pack(
        "{s:s, s:s}", "kundennummer", col(row, 9, p), "name",
        apr_pstrcat(p, col(row, 10, p), " ", col(row, 11, p), NULL)));
    json_object_set_new(c, "messages", json_integer(col_i(row, 12)));
    json_object_set_new(c, "attachments", json_integer(col_i(row, 13)));
    return c;
}

/* A decimal number 0..INT64_MAX of at most 18 digits, the whole of
 * [s, end): 1, else 0. */
static int dec_i64(const char *s, const char *end, apr_int64_t *v)
{
    apr_int64_t n = 0;

    if (end <= s || end - s > 18) {
        return 0;
    }
    for (; s < end; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
        n = n * 10 + (*s - '0');
    }
    *v = n;
    return 1;
}

int jc_msg_inbox(jc_db_t *db, jc_result_t *res, json_t **out,
                 const jc_staff_t *st, const char *status,
                 const char *limit, const char *before, apr_pool_t *p)
{
    const void *args[6];
    /* first page: before every row */
    apr_int64_t at = APR_INT64_MAX, id = APR_INT64_MAX, n = JC_INBOX_PAGE_MAX;
    apr_int64_t fetch;
    int with_status = status && *status, k = 0;
    json_t *list, *next = json_null();

    *out = NULL;
    if (with_status && !status_text(status)) {
        return jc_result_set(res, 422, "status_invalid", "Bitte wählen Sie "
                             "einen Status: „neu“, „in Bearbeitung“ oder "
                             "„erledigt“.", "status");
    }
    if (limit && (!dec_i64(limit, limit + strlen(limit), &n) || n < 1
                  || n > JC_INBOX_PAGE_MAX)) {
        return jc_result_set(res, 422, "limit_invalid", "Die Seitengröße "
                             "ist ungültig (1 bis 200).", "limit");
    }
    if (before) {
        const char *dot = strchr(before, '.');

        if (!dot || !dec_i64(before, dot, &at)
            || !dec_i64(dot + 1, dot + 1 + strlen(dot + 1), &id)) {
            return jc_result_set(res, 422, "cursor_invalid", "Die "
                                 "Seitenangabe ist ungültig.", "before");
        }
    }
    /* one row more than the page: whether a next page exists */
    fetch = n + 1;
    args[k++] = &st->jobcenter_id;
    args[k++] = st->team;
    if (with_status) {
        args[k++] = status;
    }
    args[k++] = &at;
    args[k++] = &id;
    args[k++] = &fetch;
    list = select_list(db, res, with_status ? JC_SQL_MSG_INBOX_STATUS
                                            : JC_SQL_MSG_INBOX_ALL,
                       args, inbox_json, p);
    if (!list) {
        return res->status;
    }
    if ((apr_int64_t)json_array_size(list) > n) {
        json_t *last = json_array_get(list, (size_t)n - 1);

        apr_int64_t last_at = (apr_int64_t)json_integer_value(
                          json_object_get(last, "updated_at"));
        apr_int64_t last_id = (apr_int64_t)json_integer_value(
                          json_object_get(last, "id"));

        next = json_string(apr_psprintf(p, "%" APR_INT64_T_FMT ".%"
                                        APR_INT64_T_FMT, last_at, last_id));
        json_array_remove(list, (size_t)n);
    }
    *out = json_pack("{s:o, s:s, s:s, s:o}", "conversations", list, "team",
                     st->team, "team_text", jc_staff_team_text(st->team),
                     "next", next);
    return 200;
}

/* The conversation of the caller's team and jobcenter into *row. */
static int staff_conv(jc_db_t *db, jc_result_t *res, jc_db_row_t *row,
                      const jc_staff_t *st, apr_int64_t id, apr_pool_t *p)
{
    const void *args[3];
    jc_db_rc_e rc;

    args[0] = &id;
    args[1] = &st->jobcenter_id;
    args[2] = st->team;
    rc = jc_db_select1(db, row, JC_SQL_MSG_STAFF_CONV, args, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return not_found(res, "conversation_unknown", MSG_NO_CONV);
    }
    return jc_db_fail(res, db, rc, p) ? res->status : 200;
}

int jc_msg_staff_conversation(jc_db_t *db, jc_result_t *res, json_t **out,
                              const jc_staff_t *st,
                              apr_int64_t conversation_id, apr_pool_t *p)
{
    jc_db_row_t row;
    json_t *c;
    jc_db_rc_e rc;

    *out = NULL;
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        return res->status;
    }
    c = inbox_json(&row, p);
    rc = add_messages(db, c, conversation_id, "/api/v1/staff/messages/file",
                      p);
    if (rc != JC_DB_OK) {
        json_decref(c);
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    *out = json_pack("{s:o}", "conversation", c);
    return 200;
}

/* Re-read the conversation after a change into *out (200). */
static int staff_answer(jc_db_t *db, jc_result_t *res, json_t **out,
                        const jc_staff_t *st, apr_int64_t id, int status,
                        apr_pool_t *p)
{
    int s = jc_msg_staff_conversation(db, res, out, st, id, p);

    return s == 200 ? status : s;
}

int jc_msg_assign(jc_db_t *db, jc_result_t *res, json_t **out,
                  const jc_staff_t *st, apr_int64_t conversation_id,
                  apr_int64_t now, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    *out = NULL;
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        return res->status;
    }
    args[0] = &st->account_id;
    args[1] = &conversation_id;
    rc = jc_db_exec(db, NULL, JC_SQL_MSG_ASSIGN, args, p);
    if (rc == JC_DB_OK) {
        rc = audit(db, st, now, "message_assigned", col_i(&row, 15),
                   apr_psprintf(p, "conversation %" APR_INT64_T_FMT,
                                conversation_id), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    return staff_answer(db, res, out, st, conversation_id, 200, p);
}

int jc_msg_set_status(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_staff_t *st, apr_int64_t conversation_id,
                      const char *status, apr_int64_t now, apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    *out = NULL;
    if (!status || !status_text(status)) {
        return jc_result_set(res, 422, "status_invalid", "Bitte wählen Sie "
                             "einen Status: „neu“, „in Bearbeitung“ oder "
                             "„erledigt“.", "status");
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        return res->status;
    }
    args[0] = status;
    args[1] = &conversation_id;
    rc = jc_db_exec(db, NULL, JC_SQL_MSG_STATUS, args, p);
    if (rc == JC_DB_OK) {
        rc = audit(db, st, now, "message_status", col_i(&row, 15),
                   apr_psprintf(p, "conversation %" APR_INT64_T_FMT ": %s",
                                conversation_id, status), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    return staff_answer(db, res, out, st, conversation_id, 200, p);
}

int jc_msg_staff_reply_check(jc_db_t *db, jc_result_t *res,
                             const jc_staff_t *st,
                             apr_int64_t conversation_id, apr_pool_t *p)
{
    jc_db_row_t row;

    return staff_conv(db, res, &row, st, conversation_id, p);
}

/* Remove the stored files of a reply that was not recorded. */
static void drop_files(const jc_msg_cfg_t *cfg,
                       const apr_array_header_t *files, apr_pool_t *p)
{
    int i;

    for (i = 0; files && i < files->nelts; i++) {
        jc_store_remove(cfg->upload->store,
                        APR_ARRAY_IDX(files, i, const jc_upfile_t).store_id,
                        p);
    }
}

/* The stored files as attachments of staff message msg_id, one audit row
 * each (inside the caller's transaction). */
static jc_db_rc_e add_staff_files(jc_db_t *db, const jc_staff_t *st,
                                  const apr_array_header_t *files,
                                  apr_int64_t msg_id, apr_int64_t customer,
                                  apr_int64_t now, apr_pool_t *p)
{
    const void *args[8];
    jc_db_row_t row;
    jc_db_rc_e rc = JC_DB_OK;
    int i;

    for (i = 0; files && i < files->nelts && rc == JC_DB_OK; i++) {
        const jc_upfile_t *f = &APR_ARRAY_IDX(files, i, const jc_upfile_t);
        apr_int64_t size = (apr_int64_t)f->size;

        args[0] = &st->account_id;
        args[1] = &msg_id;
        args[2] = f->store_id;
        args[3] = f->name;
        args[4] = f->mime;
        args[5] = &size;
        args[6] = f->sha256;
        args[7] = &now;
        rc = jc_db_select1(db, &row, JC_SQL_MSG_FILE_ADD, args, p);
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_ERROR;
        }
        if (rc == JC_DB_OK) {
            rc = audit(db, st, now, "message_file_attached", customer,
                       apr_psprintf(p, "file %" APR_INT64_T_FMT,
                                    col_i(&row, 0)), p);
        }
    }
    return rc;
}

int jc_msg_staff_reply(jc_db_t *db, jc_result_t *res, json_t **out,
                       const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                       apr_int64_t conversation_id, const char *text,
                       const apr_array_header_t *files,
                       apr_int64_t now, apr_pool_t *p)
{
    const void *args[5];
    jc_db_row_t row, mrow;
    apr_int64_t account, customer;
    const char *status = "in_bearbeitung";
    jc_db_rc_e rc;

    *out = NULL;
    check_text(res, text);
    if (validation_result(res)) {
        drop_files(cfg, files, p);
        return res->status;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        drop_files(cfg, files, p);
        return res->status;
    }
    if (staff_conv(db, res, &row, st, conversation_id, p) != 200) {
        drop_files(cfg, files, p);
        return res->status;
    }
    account = col_i(&row, 14);
    customer = col_i(&row, 15);
    if (!strcmp(col(&row, 4, p), "erledigt")) {
        status = "erledigt";
    }
    args[0] = &conversation_id;
    args[1] = &st->account_id;
    args[2] = text;
    args[3] = NULL;
    args[4] = &now;
    rc = jc_db_select1(db, &mrow, JC_SQL_MSG_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (rc == JC_DB_OK) {
        args[0] = status;
        args[1] = &now;
        args[2] = &conversation_id;
        rc = jc_db_exec(db, NULL, JC_SQL_MSG_CONV_TOUCH, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = add_staff_files(db, st, files, col_i(&mrow, 0), customer, now,
                             p);
    }
    if (rc == JC_DB_OK) {
        rc = audit(db, st, now, "message_replied", customer,
                   apr_psprintf(p, "conversation %" APR_INT64_T_FMT,
                                conversation_id), p);
    }
    if (rc == JC_DB_OK && account) {
        /* account 0: the citizen deleted their login account; the answer
         * stays in the customer's conversation, nobody is notified */
        rc = jc_event_add(db, account, now, JC_EV_MESSAGE_RECEIVED,
                          st->jobcenter_name, p);
    }
    if (rc == JC_DB_OK) {
        rc = notify(db, cfg, account, 0, now, NULL, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        /* nothing was recorded: the stored files go too */
        drop_files(cfg, files, p);
        return res->status;
    }
    return staff_answer(db, res, out, st, conversation_id, 201, p);
}

int jc_msg_staff_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                      const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                      apr_int64_t file_id, apr_int64_t now, apr_pool_t *p)
{
    const void *args[3];
    jc_db_row_t row;

    jc_db_rc_e rc;

    args[0] = &file_id;
    args[1] = &st->jobcenter_id;
    args[2] = st->team;
    if (file_answer(db, res, dl, cfg,
                    jc_db_select1(db, &row, JC_SQL_MSG_FILE_STAFF, args, p),
                    &row, p) != 200) {
        return res->status;
    }
    /* reading a customer's document is an action too */
    rc = audit(db, st, now, "message_file_downloaded",
               col_i(&row, 4), apr_psprintf(p, "file %" APR_INT64_T_FMT,
                                            file_id), p);
    return jc_db_fail(res, db, rc, p) ? res->status : 200;
}

/* The customer of the caller's jobcenter, bound to an account. */
static int staff_customer(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                          apr_int64_t customer_id, apr_int64_t *account,
                          apr_pool_t *p)
{
    const void *args[2];
    jc_db_row_t row;
    jc_db_rc_e rc;

    args[0] = &customer_id;
    args[1] = &st->jobcenter_id;
    rc = jc_db_select1(db, &row, JC_SQL_MSG_CUSTOMER_ACCT, args, p);
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return jc_result_set(res, 404, "customer_unknown",
                             "Diese Kundin oder diesen Kunden gibt es "
                             "nicht.", "customer");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *account = col_i(&row, 0);
    if (!*account) {
        jc_db_rollback(db, p);
        return jc_result_set(res, 409, "customer_unbound",
                             "Die Person hat noch kein Personenprofil "
                             "(Freischaltcode nicht eingelöst).", "customer");
    }
    return 200;
}

/* Text of at most max code points, not blank, no control characters. */
static int line_ok(const char *s, long max)
{
    long n;

    if (!s || !*s || strspn(s, " ") == strlen(s) || strpbrk(s, "\r\n\t")) {
        return 0;
    }
    n = jc_msg_chars(s);
    return n > 0 && n <= max;
}

int jc_bescheid_check(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                      apr_int64_t customer_id, const char *title,
                      apr_pool_t *p)
{
    apr_int64_t account = 0;

    if (!line_ok(title, JC_MSG_TITLE_MAX)) {
        return jc_result_set(res, 422, "title_invalid", "Bitte geben Sie "
                             "einen Titel für den Bescheid an (höchstens "
                             "200 Zeichen).", "title");
    }
    return staff_customer(db, res, st, customer_id, &account, p);
}

int jc_bescheid_post(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                     apr_int64_t customer_id, const char *title,
                     const jc_upfile_t *f, apr_int64_t now, apr_pool_t *p)
{
    const void *args[10];
    jc_db_row_t row;
    apr_int64_t account = 0, size = f->size, id = 0;
    char day[11];
    jc_db_rc_e rc;
    json_t *b;

    *out = NULL;
    if (strcmp(f->mime, "application/pdf") != 0) {
        jc_store_remove(cfg->upload->store, f->store_id, p);
        return jc_result_set(res, 415, "bescheid_pdf_only",
                             "Ein Bescheid muss eine PDF-Datei sein.",
                             "file");
    }
    jc_msg_delivery_day(now, cfg->holiday_region, day);
    rc = jc_db_begin(db, p);
    if (!jc_db_fail(res, db, rc, p)
        && jc_bescheid_check(db, res, st, customer_id, title, p) == 200) {
        rc = staff_customer(db, res, st, customer_id, &account, p) == 200
             ? JC_DB_OK : JC_DB_ERROR;
        if (rc == JC_DB_OK) {
            args[0] = &st->jobcenter_id;
            args[1] = &customer_id;
            args[2] = title;
            args[3] = f->store_id;
            args[4] = f->name;
            args[5] = &size;
            args[6] = f->sha256;
            args[7] = &st->account_id;
            args[8] = &now;
            args[9] = day;
            rc = jc_db_select1(db, &row, JC_SQL_BESCHEID_INSERT, args, p);
            if (rc == JC_DB_NOROW) {
                rc = JC_DB_ERROR;
            }
            if (rc == JC_DB_OK) {
                id = col_i(&row, 0);
                rc = audit(db, st, now, "bescheid_posted", customer_id,
                           apr_psprintf(p, "bescheid %" APR_INT64_T_FMT, id),
                           p);
            }
            if (rc == JC_DB_OK) {
                rc = jc_event_add(db, account, now, JC_EV_BESCHEID_RECEIVED,
                                  st->jobcenter_name, p);
            }
            if (rc == JC_DB_OK) {
                rc = notify(db, cfg, account, 0, now, NULL, p);
            }
            if (rc == JC_DB_OK) {
                rc = jc_db_commit(db, p);
            }
            if (!jc_db_fail(res, db, rc, p)) {
                b = json_pack("{s:I, s:s, s:s, s:I, s:I, s:s, s:s}",
                              "id", (json_int_t)id, "title", title,
                              "name", f->name, "size", (json_int_t)size,
                              "provided_at", (json_int_t)now,
                              "delivered_on", day,
                              "delivered_on_text", date_de(day, p));
                *out = json_pack("{s:o}", "bescheid", b);
                return 201;
            }
        }
    }
    /* nothing was recorded: the stored file goes too */
    jc_db_rollback(db, p);
    jc_store_remove(cfg->upload->store, f->store_id, p);
    if (res->status < 400) {
        jc_result_internal(res, "bescheid not stored");
    }
    return res->status;
}

/* YYYY-MM-DD, a real date. */
static int date_ok(const char *s, apr_int64_t *days)
{
    int y, m, d, y2, m2, d2;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-'
        || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12
        || d < 1 || d > 31) {
        return 0;
    }
    *days = jc_time_days_from_civil(y, m, d);
    jc_time_civil_from_days(*days, &y2, &m2, &d2);
    return y == y2 && m == m2 && d == d2;
}

int jc_termin_post(jc_db_t *db, jc_result_t *res, json_t **out,
                   const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                   const jc_termin_in_t *in, apr_int64_t now,
                   apr_pool_t *p)
{
    const void *args[9];
    jc_db_row_t row;
    apr_int64_t account = 0, days = 0, id, today;
    char local[11];
    int y, m, d;
    jc_db_rc_e rc;

    *out = NULL;
    jc_online_local_date(now, local);
    today = sscanf(local, "%4d-%2d-%2d", &y, &m, &d) == 3
            ? jc_time_days_from_civil(y, m, d) : 0;
    if (!in->date || !*in->date) {
        jc_result_detail(res, "date_missing", "date",
                         "Bitte geben Sie das Datum des Termins an.");
    }
    else if (!date_ok(in->date, &days)) {
        jc_result_detail(res, "date_invalid", "date",
                         "Bitte geben Sie ein gültiges Datum an.");
    }
    else if (days < today) {
        jc_result_detail(res, "date_past", "date",
                         "Der Termin darf nicht in der Vergangenheit liegen.");
    }
    if (!in->time || strlen(in->time) != 5 || in->time[2] != ':'
        || sscanf(in->time, "%2d:%2d", &y, &m) != 2 || y < 0 || y > 23
        || m < 0 || m > 59 || !apr_isdigit(in->time[0])
        || !apr_isdigit(in->time[1]) || !apr_isdigit(in->time[3])
        || !apr_isdigit(in->time[4])) {
        jc_result_detail(res, "time_invalid", "time",
                         "Bitte geben Sie die Uhrzeit als HH:MM an.");
    }
    if (!line_ok(in->place, JC_MSG_FIELD_MAX)) {
        jc_result_detail(res, "place_invalid", "place",
                         "Bitte geben Sie den Ort oder die Telefonnummer an "
                         "(höchstens 200 Zeichen).");
    }
    if (!line_ok(in->contact, JC_MSG_FIELD_MAX)) {
        jc_result_detail(res, "contact_invalid", "contact",
                         "Bitte geben Sie die Ansprechperson an (höchstens "
                         "200 Zeichen).");
    }
    if (validation_result(res)) {
        return res->status;
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (staff_customer(db, res, st, in->customer_id, &account, p) != 200) {
        return res->status;
    }
    args[0] = &st->jobcenter_id;
    args[1] = &in->customer_id;
    args[2] = st->team;
    args[3] = in->date;
    args[4] = in->time;
    args[5] = in->place;
    args[6] = in->contact;
    args[7] = &st->account_id;
    args[8] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_TERMIN_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    id = rc == JC_DB_OK ? col_i(&row, 0) : 0;
    if (rc == JC_DB_OK) {
        rc = audit(db, st, now, "termin_posted", in->customer_id,
                   apr_psprintf(p, "termin %" APR_INT64_T_FMT, id), p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_event_add(db, account, now, JC_EV_TERMIN_RECEIVED,
                          st->jobcenter_name, p);
    }
    if (rc == JC_DB_OK) {
        rc = notify(db, cfg, account, 0, now, NULL, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *out = json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:s, s:s}}", "termin",
                     "id", (json_int_t)id, "date", in->date,
                     "date_text", date_de(in->date, p), "time", in->time,
                     "place", in->place, "contact", in->contact,
                     "team", st->team);
    return 201;
}

/* ---- mails and housekeeping ---------------------------------------------- */

jc_mail_t *jc_msg_mail_new_content(const char *from, const char *rcpt,
                                   const char *link, apr_int64_t now,
                                   apr_pool_t *p)
{
    const char *body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n"
        "in Ihrem Profil bei Jobcenter.Digital gibt es neue Inhalte.\n"
        "\n"
        "Bitte melden Sie sich an, um sie anzusehen:\n",
        link, "\n"
        "\n"
        "Aus Gründen des Datenschutzes enthält diese E-Mail keine Inhalte.\n"
        "\n"
        "Diese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht "
        "auf diese E-Mail.\n", NULL);

    return jc_mail_compose(from, rcpt, "Neue Inhalte in Ihrem Profil", body,
                           apr_time_from_sec(now), p);
}

jc_mail_t *jc_msg_mail_reminder(const char *from, const char *rcpt,
                                const char *link, apr_int64_t now,
                                apr_pool_t *p)
{
    const char *body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n"
        "in Ihrem Profil bei Jobcenter.Digital liegt ein Dokument für Sie "
        "bereit, das Sie noch nicht geöffnet haben.\n"
        "\n"
        "Bitte melden Sie sich an, um es anzusehen:\n",
        link, "\n"
        "\n"
        "Aus Gründen des Datenschutzes enthält diese E-Mail keine Inhalte.\n"
        "\n"
        "Diese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht "
        "auf diese E-Mail.\n", NULL);

    return jc_mail_compose(from, rcpt, "Erinnerung: Neue Inhalte in Ihrem "
                           "Profil", body, apr_time_from_sec(now), p);
}

jc_db_rc_e jc_msg_remind_due(jc_db_t *db, int *sent, const jc_msg_cfg_t *cfg,
                             apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t cut = now - (apr_int64_t)cfg->remind_days * 86400;
    const void *args[2];
    jc_db_res_t rows;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i, n = 0;

    *sent = 0;
    if (cfg->remind_days <= 0) {
        return JC_DB_OK;
    }
    args[0] = &cut;
    rc = jc_db_select(db, &rows, JC_SQL_BESCHEID_DUE, args, p);
    if (rc != JC_DB_OK) {
        return rc;
    }
    for (i = 0; i < rows.nrows; i++) {
        apr_int64_t id, account;
        int queued = 0;

        jc_db_res_row(&rows, i, &row, p);
        id = col_i(&row, 0);
        account = col_i(&row, 1);
        rc = jc_db_begin(db, p);
        if (rc != JC_DB_OK) {
            return rc;
        }
        args[0] = &now;
        args[1] = &id;
        rc = jc_db_exec(db, &n, JC_SQL_BESCHEID_REMINDED, args, p);
        if (rc == JC_DB_OK && n == 1) {
            rc = notify(db, cfg, account, 1, now, &queued, p);
        }
        if (rc == JC_DB_OK) {
            rc = jc_db_commit(db, p);
        }
        if (rc != JC_DB_OK) {
            jc_db_rollback(db, p);
            return rc;
        }
        *sent += queued;
    }
    return JC_DB_OK;
}

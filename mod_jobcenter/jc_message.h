/* Messages to the Jobcenter routed by Anliegen (seed "Nachrichten
 * schreiben" and "Erklärung zu „Anliegen“"), the citizen's Postfach
 * (conversations), Bescheide and Termine posted by staff, the staff
 * inboxes of the teams, notification mails ("Neue Inhalte in Ihrem
 * Profil") and the reminder for unopened Bescheide.
 *
 * Attachments are files of the upload pipeline (jc_upsink/jc_upload):
 * the page puts them into an upload draft, and sending the message moves
 * the draft's files to the message in the same transaction.
 * Answers are JSON trees (jansson) for the glue to send.
 * Core: no httpd headers. */
#ifndef JC_MESSAGE_H
#define JC_MESSAGE_H

#include <apr_pools.h>
#include <jansson.h>

#include "jc_db.h"
#include "jc_mail.h"
#include "jc_result.h"
#include "jc_staff.h"
#include "jc_upload.h"
#include "jc_upsink.h"

#define JC_MSG_TEXT_MAX     1000  /* "Ihre Nachricht", code points        */
#define JC_MSG_SUBJECT_MAX  100   /* "Betreff", code points               */
#define JC_MSG_TITLE_MAX    200   /* a Bescheid's title, code points      */
#define JC_MSG_FIELD_MAX    200   /* Termin place/contact, code points    */
#define JC_MSG_DELIVERY_DAYS 4    /* § 37 (2a) SGB X: the fourth day      */
#define JC_MSG_REMIND_DEFAULT 7   /* JobcenterBescheidReminderDays        */
#define JC_MSG_REMIND_MAX   365

/* One row of the seed's Anliegen table. */
typedef struct {
    const char *key;     /* stable key, e.g. "kopien"                       */
    const char *label;   /* the seed's wording, "Anforderung Kopien"        */
    const char *group;   /* "Nachrichten an die Leistung" / "... Vermittlung" */
    const char *team;    /* staff.team: leistung | but | vermittlung        */
} jc_anliegen_t;

/* The table (14 rows, in the seed's order); *n gets the count. */
const jc_anliegen_t *jc_msg_anliegen_all(size_t *n);

/* The row for a key, or NULL. */
const jc_anliegen_t *jc_msg_anliegen(const char *key);

/* {"groups":[{"label":…, "anliegen":[{"key","label","team","team_text"}…]}…]} */
json_t *jc_msg_anliegen_json(void);

/* Characters of a text as the portal counts them: Unicode code points of
 * valid UTF-8 (JavaScript's [...s].length), so "ä" and "😀" count once
 * and a ZWJ emoji sequence counts as its code points (👩‍💻 = 3).
 * -1 for invalid UTF-8 or control characters other than CR, LF, TAB. */
long jc_msg_chars(const char *s);

/* The day a Bescheid provided at `provided_at` counts as delivered, as
 * "YYYY-MM-DD" in buf[11]: the fourth day after the local (server TZ)
 * date of provision (§ 37 (2a) SGB X); when that day is a Saturday, Sunday
 * or a public holiday of the region (jc_holiday_region_e), the next
 * working day (§ 26 (3) SGB X, as the courts apply it to the delivery
 * fiction). */
void jc_msg_delivery_day(apr_int64_t provided_at, int region, char buf[11]);

/* The same from a local date (days since 1970-01-01): the result's days. */
apr_int64_t jc_msg_delivery_days(apr_int64_t provided_days, int region);

/* What the flows need besides the database. */
typedef struct {
    const char *base_url;           /* links in mails, no trailing '/'     */
    const char *mail_from;          /* From of the notification mails      */
    const jc_upload_cfg_t *upload;  /* the upload store and its limits     */
    int remind_days;                /* reminder after N days unopened      */
    int holiday_region;             /* jc_holiday_region_e for the
                                       delivery day                        */
} jc_msg_cfg_t;

/* ---- citizen ----------------------------------------------------------- */

typedef struct {
    apr_int64_t account_id;
    const char *anliegen;           /* key of the Anliegen table           */
    const char *subject;            /* "Betreff"                           */
    const char *text;               /* "Ihre Nachricht"                    */
    int ack;                        /* § 67a/67c acknowledgement ticked    */
    const char *key;                /* idempotency key (8..64 bytes)       */
    apr_int64_t draft_id;           /* upload draft with attachments, 0=none */
} jc_msg_send_in_t;

/* The gate of the citizen's message routes: a person profile (403
 * profile_required) and, for writing (need_online), active
 * Online-Kommunikation (403 online_kommunikation_inactive). Fills *customer_id and
 * *jobcenter_id. */
int jc_msg_gate(jc_db_t *db, jc_result_t *res, apr_int64_t account_id,
                int need_online, apr_int64_t now, apr_int64_t *customer_id,
                apr_int64_t *jobcenter_id, apr_pool_t *p);

/* POST messages: validate (422 validation_failed with every failed field
 * in details), then one transaction: conversation, first message, the
 * draft's files moved to the message, draft removed, Verlauf event.
 * 201 {"conversation":{…}}; 200 with the same conversation for a retry
 * with the same key. */
int jc_msg_send(jc_db_t *db, jc_result_t *res, json_t **out,
                const jc_msg_cfg_t *cfg, const jc_msg_send_in_t *in,
                apr_int64_t now, apr_pool_t *p);

/* POST messages/reply: a citizen message into an own conversation (404
 * otherwise), attachments from a draft as for sending; the conversation
 * goes back to "neu" for its team. 201 / 200 (same key). */
int jc_msg_reply(jc_db_t *db, jc_result_t *res, json_t **out,
                 const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                 apr_int64_t conversation_id, const char *text,
                 const char *key, apr_int64_t draft_id, apr_int64_t now,
                 apr_pool_t *p);

/* GET messages: the account's conversations, newest activity first, with
 * the number of unread staff messages. */
int jc_msg_list(jc_db_t *db, jc_result_t *res, json_t **out,
                apr_int64_t account_id, apr_pool_t *p);

/* GET messages/conversation?id=: the conversation with its messages and
 * attachments; staff messages not read yet get read_at = now (the answer
 * still shows them as unread, "neu"). 404 for another account's. */
int jc_msg_conversation(jc_db_t *db, jc_result_t *res, json_t **out,
                        apr_int64_t account_id, apr_int64_t conversation_id,
                        apr_int64_t now, apr_pool_t *p);

/* An attachment of an own conversation (404 otherwise). */
int jc_msg_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                apr_int64_t file_id, apr_pool_t *p);

/* GET bescheide: the customer's Bescheide, newest first. */
int jc_bescheid_list(jc_db_t *db, jc_result_t *res, json_t **out,
                     apr_int64_t account_id, apr_pool_t *p);

/* A Bescheid's PDF (404 for another customer's); the first download
 * records opened_at. */
int jc_bescheid_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                     const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                     apr_int64_t bescheid_id, apr_int64_t now,
                     apr_pool_t *p);

/* GET termine: the customer's Termine (upcoming first, then past). */
int jc_termin_list(jc_db_t *db, jc_result_t *res, json_t **out,
                   apr_int64_t account_id, apr_pool_t *p);

/* POST termine/verschieben {termin, text, key}: a message with the Anliegen
 * "Terminanfrage" routed to the team that posted the Termin; the Termin
 * remembers the conversation in the same transaction. 201
 * {"conversation":…}, 200 for a retry with the same key; 409
 * reschedule_requested when asked before (also in parallel). */
int jc_termin_reschedule(jc_db_t *db, jc_result_t *res, json_t **out,
                         const jc_msg_cfg_t *cfg, apr_int64_t account_id,
                         apr_int64_t termin_id, const char *text,
                         const char *key, apr_int64_t now, apr_pool_t *p);

/* ---- staff (team of the staff row, own jobcenter only) ---------------- */

/* Largest page of a staff inbox (also the default). */
#define JC_INBOX_PAGE_MAX 200

/* GET staff/messages?status=&limit=&before=: conversations routed to the
 * caller's team of the caller's jobcenter, newest activity first; status
 * "" = all, else neu | in_bearbeitung | erledigt (422 status_invalid).
 * Each with Kundennummer and name. Keyset pages: limit 1..200 (NULL =
 * 200; 422 limit_invalid), before = the "next" cursor of the previous
 * page ("<updated_at>.<id>"; NULL = first page; 422 cursor_invalid).
 * *out gets "next": the cursor of the following page or null. */
int jc_msg_inbox(jc_db_t *db, jc_result_t *res, json_t **out,
                 const jc_staff_t *st, const char *status,
                 const char *limit, const char *before, apr_pool_t *p);

/* GET staff/messages/conversation?id= (404 for other teams/jobcenters). */
int jc_msg_staff_conversation(jc_db_t *db, jc_result_t *res, json_t **out,
                              const jc_staff_t *st,
                              apr_int64_t conversation_id, apr_pool_t *p);

/* POST staff/messages/assign {conversation}: assigned to the caller,
 * status "in_bearbeitung" when it was "neu"; audit row. */
int jc_msg_assign(jc_db_t *db, jc_result_t *res, json_t **out,
                  const jc_staff_t *st, apr_int64_t conversation_id,
                  apr_int64_t now, apr_pool_t *p);

/* POST staff/messages/status {conversation, status}; audit row. */
int jc_msg_set_status(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_staff_t *st, apr_int64_t conversation_id,
                      const char *status, apr_int64_t now, apr_pool_t *p);

/* POST staff/messages/reply {conversation, text}: a staff message into the
 * citizen's Postfach; audit row, and the notification mail when the
 * citizen's Online-Kommunikation is active, all in one transaction.
 * files (jc_upfile_t, NULL = none): attachments the upload sink stored
 * (POST staff/messages/reply-files); they become the message's files in
 * the same transaction, each with a staff_audit row message_file_attached.
 * On any failure the stored files are removed. */
int jc_msg_staff_reply(jc_db_t *db, jc_result_t *res, json_t **out,
                       const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                       apr_int64_t conversation_id, const char *text,
                       const apr_array_header_t *files,
                       apr_int64_t now, apr_pool_t *p);

/* Before a reply's files are read: the conversation must be of the
 * caller's team and jobcenter (404 conversation_unknown). */
int jc_msg_staff_reply_check(jc_db_t *db, jc_result_t *res,
                             const jc_staff_t *st,
                             apr_int64_t conversation_id, apr_pool_t *p);

/* An attachment of a conversation of the caller's team (404 otherwise);
 * the download is audited (message_file_downloaded). */
int jc_msg_staff_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                      const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                      apr_int64_t file_id, apr_int64_t now, apr_pool_t *p);

/* Room for a Bescheid upload: the customer must be of the caller's
 * jobcenter (404 customer_unknown) and bound to an account (409
 * customer_unbound), the title 1..200 characters (422 title_invalid). */
int jc_bescheid_check(jc_db_t *db, jc_result_t *res, const jc_staff_t *st,
                      apr_int64_t customer_id, const char *title,
                      apr_pool_t *p);

/* Record a Bescheid whose PDF the upload sink stored (f): one transaction
 * with the row, audit, Verlauf event and notification mail. A file that is
 * not a PDF is refused (415 bescheid_pdf_only). On any failure the stored
 * file is removed. 201 {"bescheid":{…}}. */
int jc_bescheid_post(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                     apr_int64_t customer_id, const char *title,
                     const jc_upfile_t *f, apr_int64_t now, apr_pool_t *p);

typedef struct {
    apr_int64_t customer_id;
    const char *date;               /* YYYY-MM-DD, today or later          */
    const char *time;               /* HH:MM                               */
    const char *place;              /* place or phone                      */
    const char *contact;            /* contact person                      */
} jc_termin_in_t;

/* POST staff/termine: validate (422 + details), one transaction with the
 * row, audit, Verlauf event and notification mail. 201 {"termin":{…}}. */
int jc_termin_post(jc_db_t *db, jc_result_t *res, json_t **out,
                   const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                   const jc_termin_in_t *in, apr_int64_t now,
                   apr_pool_t *p);

/* ---- mails and housekeeping -------------------------------------------- */

/* The notification: subject "Neue Inhalte in Ihrem Profil", a body with
 * only the link to the portal (no social data). */
jc_mail_t *jc_msg_mail_new_content(const char *from, const char *rcpt,
                                   const char *link, apr_int64_t now,
                                   apr_pool_t *p);

/* The reminder for an unopened Bescheid (no social data either). */
jc_mail_t *jc_msg_mail_reminder(const char *from, const char *rcpt,
                                const char *link, apr_int64_t now,
                                apr_pool_t *p);

/* Watchdog: for up to 50 Bescheide provided remind_days or more ago, not
 * opened and not reminded, queue the reminder (when Online-Kommunikation
 * is active) and set reminder_at, each in its own transaction, so every
 * Bescheid is reminded at most once. *sent counts queued mails. */
jc_db_rc_e jc_msg_remind_due(jc_db_t *db, int *sent, const jc_msg_cfg_t *cfg,
                             apr_int64_t now, apr_pool_t *p);

#endif

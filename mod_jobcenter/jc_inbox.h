/* The staff side of the conversations: the inbox of the caller's team in
 * the caller's jobcenter (jc_staff_t; other teams' and jobcenters'
 * conversations are 404 like unknown ids), assigning, status, replies into
 * the citizen's Postfach with attachments, and attachment downloads.
 * Every change writes a staff_audit row. The citizen's side is
 * jc_conversation. Core: no httpd headers. */
#ifndef JC_INBOX_H
#define JC_INBOX_H

#include <apr_tables.h>

#include "jc_message.h"
#include "jc_staff.h"

/* Largest page of a staff inbox (also the default). */
#define JC_INBOX_PAGE_MAX 200

/* GET staff/messages?status=&limit=&before=: conversations routed to the
 * caller's team of the caller's jobcenter, newest activity first; status
 * "" = all, else neu | in_bearbeitung | erledigt (422 status_invalid).
 * Each with Kundennummer and name. Keyset pages: limit 1..200 (NULL =
 * 200; 422 limit_invalid), before = the "next" cursor of the previous
 * page ("<updated_at>.<id>"; NULL = first page; 422 cursor_invalid).
 * *out gets "next": the cursor of the following page or null. */
int jc_inbox_list(jc_db_t *db, jc_result_t *res, json_t **out,
                  const jc_staff_t *st, const char *status,
                  const char *limit, const char *before, apr_pool_t *p);

/* GET staff/messages/conversation?id= (404 for other teams/jobcenters). */
int jc_inbox_conversation(jc_db_t *db, jc_result_t *res, json_t **out,
                          const jc_staff_t *st,
                          apr_int64_t conversation_id, apr_pool_t *p);

/* POST staff/messages/assign {conversation}: assigned to the caller,
 * status "in_bearbeitung" when it was "neu"; audit row. */
int jc_inbox_assign(jc_db_t *db, jc_result_t *res, json_t **out,
                    const jc_staff_t *st, apr_int64_t conversation_id,
                    apr_int64_t now, apr_pool_t *p);

/* POST staff/messages/status {conversation, status}; audit row. */
int jc_inbox_set_status(jc_db_t *db, jc_result_t *res, json_t **out,
                        const jc_staff_t *st, apr_int64_t conversation_id,
                        const char *status, apr_int64_t now, apr_pool_t *p);

/* POST staff/messages/reply {conversation, text}: a staff message into the
 * citizen's Postfach; audit row, and the notification mail when the
 * citizen's Online-Kommunikation is active, all in one transaction.
 * files (jc_upfile_t, NULL = none): attachments the upload sink stored
 * (POST staff/messages/reply-files); they become the message's files in
 * the same transaction, each with a staff_audit row message_file_attached.
 * On any failure the stored files are removed. */
int jc_inbox_reply(jc_db_t *db, jc_result_t *res, json_t **out,
                   const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                   apr_int64_t conversation_id, const char *text,
                   const apr_array_header_t *files,
                   apr_int64_t now, apr_pool_t *p);

/* Before a reply's files are read: the conversation must be of the
 * caller's team and jobcenter (404 conversation_unknown). */
int jc_inbox_reply_check(jc_db_t *db, jc_result_t *res,
                         const jc_staff_t *st,
                         apr_int64_t conversation_id, apr_pool_t *p);

/* An attachment of a conversation of the caller's team (404 otherwise);
 * the download is audited (message_file_downloaded). */
int jc_inbox_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                  const jc_msg_cfg_t *cfg, const jc_staff_t *st,
                  apr_int64_t file_id, apr_int64_t now, apr_pool_t *p);

#endif

/* The citizen's side of the messages (seed "Nachrichten schreiben"): the
 * gate of the message routes, sending a message to the Jobcenter (a new
 * conversation, routed by its Anliegen), replying into an own
 * conversation, the Postfach (the list and one conversation) and the
 * attachments. The staff side of the same conversations is jc_inbox.
 * Core: no httpd headers. */
#ifndef JC_CONVERSATION_H
#define JC_CONVERSATION_H

#include "jc_message.h"

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

/* Add a message to conversation_id (jc_msg_insert), in the caller's
 * transaction: staff_account (NULL: the citizen) wrote text at now, key
 * (may be NULL) its idempotency key; *id = the message's id.
 * JC_DB_CONFLICT when key was used in the conversation. */
jc_db_rc_e jc_conversation_msg_add(jc_db_t *db, apr_int64_t *id,
                                   apr_int64_t conversation_id,
                                   const apr_int64_t *staff_account,
                                   const char *text, const char *key,
                                   apr_int64_t now, apr_pool_t *p);

/* Set the conversation's status and updated_at (jc_msg_conv_touch), in
 * the caller's transaction. */
jc_db_rc_e jc_conversation_touch(jc_db_t *db, apr_int64_t conversation_id,
                                 const char *status, apr_int64_t now,
                                 apr_pool_t *p);

#endif

/* The mails the message parts send to a citizen: "Neue Inhalte in Ihrem
 * Profil" when staff post a reply, Bescheid or Termin, and the reminder
 * of an unopened Bescheid. Neither carries social data (no subject, text,
 * name, Kundennummer or kind of content): only the link to the portal.
 * Core: no httpd headers. */
#ifndef JC_NOTIFY_H
#define JC_NOTIFY_H

#include "jc_mail.h"
#include "jc_message.h"

/* The notification: subject "Neue Inhalte in Ihrem Profil", a body with
 * only the link to the portal (no social data). */
jc_mail_t *jc_notify_mail_new_content(const char *from, const char *rcpt,
                                      const char *link, apr_int64_t now,
                                      apr_pool_t *p);

/* The reminder for an unopened Bescheid (no social data either). */
jc_mail_t *jc_notify_mail_reminder(const char *from, const char *rcpt,
                                   const char *link, apr_int64_t now,
                                   apr_pool_t *p);

/* Queue the notification (reminder = 0) or the reminder (1) to the
 * account when its Online-Kommunikation is active and its address is
 * confirmed, inside the caller's transaction; nothing for account 0 (the
 * login account was deleted). *queued (may be NULL): 1 if a mail was
 * queued. */
jc_db_rc_e jc_notify_queue(jc_db_t *db, const jc_msg_cfg_t *cfg,
                           apr_int64_t account_id, int reminder,
                           apr_int64_t now, int *queued, apr_pool_t *p);

/* Staff posted something for the citizen of account (an answer, a
 * Termin): the Verlauf entry kind (JC_EV_*_RECEIVED, detail: the
 * Jobcenter's name) and the notification (jc_notify_queue), inside the
 * caller's transaction. Account 0 (the login account was deleted): no
 * entry, no mail. */
jc_db_rc_e jc_notify_posted(jc_db_t *db, const jc_msg_cfg_t *cfg,
                            apr_int64_t account, const char *kind,
                            const char *jobcenter_name, apr_int64_t now,
                            apr_pool_t *p);

#endif

/* Messages between the citizen and the Jobcenter: what the message files
 * share. Each part has its own file, named as people call the thing:
 *
 *   jc_anliegen.[ch]      the seed's Anliegen table ("Erklärung zu
 *                         „Anliegen“"): wording and routing to the teams
 *   jc_conversation.[ch]  the citizen's side (seed "Nachrichten
 *                         schreiben"): sending, replying, the Postfach
 *   jc_inbox.[ch]         the staff side: the team inboxes, assigning,
 *                         status, staff replies with attachments
 *   jc_bescheid.[ch]      Bescheide: posting, listing, download, the
 *                         delivery day, the reminder of unopened ones
 *   jc_termin.[ch]        Termine: posting, listing, asking to reschedule
 *   jc_notify.[ch]        the mails "Neue Inhalte in Ihrem Profil" and the
 *                         reminder, queued when Online-Kommunikation is on
 *   jc_message.[ch]       this: the limits, the configuration every part
 *                         takes, counting characters; jc_message_int.h has
 *                         the helpers the parts share (not for the glue)
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
#include "jc_result.h"
#include "jc_upload.h"

#define JC_MSG_TEXT_MAX     1000  /* "Ihre Nachricht", code points        */
#define JC_MSG_SUBJECT_MAX  100   /* "Betreff", code points               */
#define JC_MSG_TITLE_MAX    200   /* a Bescheid's title, code points      */
#define JC_MSG_FIELD_MAX    200   /* Termin place/contact, code points    */
#define JC_MSG_REMIND_DEFAULT 7   /* JobcenterBescheidReminderDays        */
#define JC_MSG_REMIND_MAX   365

/* Characters of a text as the portal counts them: Unicode code points of
 * valid UTF-8 (JavaScript's [...s].length), so "ä" and "😀" count once
 * and a ZWJ emoji sequence counts as its code points (👩‍💻 = 3).
 * -1 for invalid UTF-8 or control characters other than CR, LF, TAB. */
long jc_msg_chars(const char *s);

/* What the flows need besides the database. */
typedef struct {
    const char *base_url;           /* links in mails, no trailing '/'     */
    const char *mail_from;          /* From of the notification mails      */
    const jc_upload_cfg_t *upload;  /* the upload store and its limits     */
    int remind_days;                /* reminder after N days unopened      */
    int holiday_region;             /* jc_holiday_region_e for the
                                       delivery day                        */
} jc_msg_cfg_t;

#endif

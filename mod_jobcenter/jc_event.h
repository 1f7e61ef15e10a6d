/* The account's own history ("Verlauf"): one row per thing that happened
 * to the account (registration, login, factor added/removed, Freischaltcode
 * redeemed, ...). Written in the same transaction as the change it
 * records. Core: no httpd headers. */
#ifndef JC_EVENT_H
#define JC_EVENT_H

#include <apr_pools.h>

#include "jc_db.h"

/* Stable event kinds (English keys; the Verlauf page shows German text
 * for each, see jc_event_text). Add new kinds here and in jc_event.c. */
#define JC_EV_REGISTERED        "registered"
#define JC_EV_EMAIL_CONFIRMED   "email_confirmed"
#define JC_EV_LOGIN             "login"
#define JC_EV_LOGIN_PASSKEY     "login_passkey"
#define JC_EV_TOTP_ADDED        "totp_added"
#define JC_EV_TOTP_REMOVED      "totp_removed"
#define JC_EV_PASSKEY_ADDED     "passkey_added"
#define JC_EV_PASSKEY_RENAMED   "passkey_renamed"
#define JC_EV_PASSKEY_REMOVED   "passkey_removed"
#define JC_EV_CODE_REDEEMED     "freischaltcode_redeemed"
#define JC_EV_CREDENTIALS_RESET "credentials_reset"
#define JC_EV_ONETIME_REPLACED  "onetime_password_replaced"
#define JC_EV_ONLINE_ACTIVATED  "online_activated"
#define JC_EV_ONLINE_DEACT_REQUESTED "online_deactivation_requested"
#define JC_EV_ONLINE_DEACTIVATED "online_deactivated"
#define JC_EV_MESSAGE_SENT      "message_sent"
#define JC_EV_MESSAGE_RECEIVED  "message_received"
#define JC_EV_BESCHEID_RECEIVED "bescheid_received"
#define JC_EV_TERMIN_RECEIVED   "termin_received"
#define JC_EV_PASSWORD_RESET    "password_reset"
#define JC_EV_PASSWORD_CHANGED  "password_changed"
#define JC_EV_EMAIL_CHANGE_REQUESTED "email_change_requested"
#define JC_EV_EMAIL_CHANGED     "email_changed"
#define JC_EV_SESSION_ENDED     "session_ended"
#define JC_EV_SESSIONS_ENDED    "sessions_ended"
#define JC_EV_UPLOAD_INFECTED   "upload_infected"

/* Record an event for account_id at time `at`. detail may be NULL; it is
 * shown to the account holder, so never pass a secret. */
jc_db_rc_e jc_event_add(jc_db_t *db, apr_int64_t account_id, apr_int64_t at,
                        const char *kind, const char *detail, apr_pool_t *p);

/* The audit log (jc_audit.h) learns which accounts a request's changes
 * touched from the events it records: the glue sets a sink for the
 * thread that runs a route handler, and every jc_event_add that succeeds
 * on that thread reports (account, kind) to it. fn NULL: no sink. The
 * request is handled by one thread from the sink's set to its reset. */
typedef void jc_event_sink_fn(void *ctx, apr_int64_t account_id,
                              const char *kind);
void jc_event_sink_set(jc_event_sink_fn *fn, void *ctx);

/* German text for a kind ("Anmeldung mit Passwort", ...); unknown kinds
 * give "Ereignis". */
const char *jc_event_text(const char *kind);

#endif

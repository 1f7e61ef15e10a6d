/* The account's Verlauf (see jc_event.h). */
#include <string.h>

#include "jc_event.h"

/* This thread's sink (jc_event_sink_set). */
static _Thread_local jc_event_sink_fn *sink_fn;
static _Thread_local void *sink_ctx;

void jc_event_sink_set(jc_event_sink_fn *fn, void *ctx)
{
    sink_fn = fn;
    sink_ctx = fn ? ctx : NULL;
}

jc_db_rc_e jc_event_add(jc_db_t *db, apr_int64_t account_id, apr_int64_t at,
                        const char *kind, const char *detail, apr_pool_t *p)
{
    const void *args[4];
    jc_db_rc_e rc;

    args[0] = &account_id;      /* %lld: binary arguments (jc_db) */
    args[1] = &at;
    args[2] = kind;
    args[3] = detail;           /* NULL becomes SQL NULL */
    rc = jc_db_exec(db, NULL, JC_SQL_EVENT_ADD, args, p);
    if (rc == JC_DB_OK && sink_fn) {
        sink_fn(sink_ctx, account_id, kind);
    }
    return rc;
}

static const struct {
    const char *kind;
    const char *text;
} texts[] = {
    { JC_EV_REGISTERED,      "Konto registriert" },
    { JC_EV_EMAIL_CONFIRMED, "E-Mail-Adresse bestätigt" },
    { JC_EV_LOGIN,           "Anmeldung mit Passwort und zweitem Faktor" },
    { JC_EV_LOGIN_PASSKEY,   "Anmeldung mit Passkey" },
    { JC_EV_TOTP_ADDED,      "Zweiter Faktor (Authenticator-App) eingerichtet" },
    { JC_EV_TOTP_REMOVED,    "Zweiter Faktor (Authenticator-App) entfernt" },
    { JC_EV_PASSKEY_ADDED,   "Passkey eingerichtet" },
    { JC_EV_PASSKEY_RENAMED, "Passkey umbenannt" },
    { JC_EV_PASSKEY_REMOVED, "Passkey entfernt" },
    { JC_EV_CODE_REDEEMED,   "Freischaltcode eingelöst" },
    { JC_EV_CREDENTIALS_RESET, "Zugangsdaten vom Jobcenter zurückgesetzt "
                               "(Einmal-Zugangsdaten per Brief)" },
    { JC_EV_ONETIME_REPLACED, "Einmal-Passwort durch ein eigenes Passwort "
                              "ersetzt" },
    { JC_EV_ONLINE_ACTIVATED, "Online-Kommunikation aktiviert" },
    { JC_EV_ONLINE_DEACT_REQUESTED,
                             "Deaktivierung der Online-Kommunikation beantragt" },
    { JC_EV_ONLINE_DEACTIVATED, "Online-Kommunikation deaktiviert" },
    { JC_EV_UPLOAD_INFECTED, "Datei wegen Schadsoftware abgelehnt oder "
                             "entfernt" },
    { JC_EV_MESSAGE_SENT,    "Nachricht an das Jobcenter gesendet" },
    { JC_EV_MESSAGE_RECEIVED, "Neue Nachricht vom Jobcenter" },
    { JC_EV_BESCHEID_RECEIVED, "Neuer Bescheid bereitgestellt" },
    { JC_EV_TERMIN_RECEIVED, "Neuer Termin vom Jobcenter" },
    { JC_EV_PASSWORD_RESET,  "Passwort über „Passwort vergessen“ neu festgelegt" },
    { JC_EV_PASSWORD_CHANGED, "Passwort geändert" },
    { JC_EV_EMAIL_CHANGE_REQUESTED, "Neue E-Mail-Adresse angegeben" },
    { JC_EV_EMAIL_CHANGED,   "E-Mail-Adresse geändert" },
    { JC_EV_SESSION_ENDED,   "Sitzung auf einem anderen Gerät beendet" },
    { JC_EV_SESSIONS_ENDED,  "Alle anderen Sitzungen beendet" },
};

const char *jc_event_text(const char *kind)
{
    size_t i;

    for (i = 0; kind && i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(texts[i].kind, kind) == 0)
            return texts[i].text;
    return "Ereignis";
}

/* Notification and reminder mails (see jc_notify.h). */
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_notify.h"
#include "jc_online.h"
#include "jc_outbox.h"

/* Queue "Neue Inhalte in Ihrem Profil" to the account when its
 * Online-Kommunikation is active (inside the caller's transaction). */
jc_db_rc_e jc_notify_queue(jc_db_t *db, const jc_msg_cfg_t *cfg,
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
    email = jc_db_col_str(&row, JC_COL_ONLINE_EMAIL_EMAIL, p);
    if (!email || !*email
        || !jc_db_col_str(&row, JC_COL_ONLINE_EMAIL_EMAIL_CONFIRMED_AT, p)) {
        return JC_DB_OK;            /* no confirmed address: no mail */
    }
    m = reminder
        ? jc_notify_mail_reminder(cfg->mail_from, email,
                                  apr_pstrcat(p, cfg->base_url, "/start.html",
                                              NULL), now, p)
        : jc_notify_mail_new_content(cfg->mail_from, email,
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

jc_db_rc_e jc_notify_posted(jc_db_t *db, const jc_msg_cfg_t *cfg,
                            apr_int64_t account, const char *kind,
                            const char *jobcenter_name, apr_int64_t now,
                            apr_pool_t *p)
{
    jc_db_rc_e rc = JC_DB_OK;

    if (account) {
        rc = jc_event_add(db, account, now, kind, jobcenter_name, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_notify_queue(db, cfg, account, 0, now, NULL, p);
    }
    return rc;
}

/* The frame of both mails: the greeting, news (the paragraph that says
 * what is there), ask (the line before the link), the link and the note
 * that the mail carries no content. */
static jc_mail_t *notify_mail(const char *from, const char *rcpt,
                              const char *subject, const char *news,
                              const char *ask, const char *link,
                              apr_int64_t now, apr_pool_t *p)
{
    const char *body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n",
        news, "\n"
        "\n",
        ask, "\n",
        link, "\n"
        "\n"
        "Aus Gründen des Datenschutzes enthält diese E-Mail keine Inhalte.\n"
        "\n"
        "Diese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht "
        "auf diese E-Mail.\n", NULL);

    return jc_mail_compose(from, rcpt, subject, body, apr_time_from_sec(now),
                           p);
}

jc_mail_t *jc_notify_mail_new_content(const char *from, const char *rcpt,
                                      const char *link, apr_int64_t now,
                                      apr_pool_t *p)
{
    return notify_mail(from, rcpt, "Neue Inhalte in Ihrem Profil",
        "in Ihrem Profil bei Jobcenter.Digital gibt es neue Inhalte.",
        "Bitte melden Sie sich an, um sie anzusehen:", link, now, p);
}

jc_mail_t *jc_notify_mail_reminder(const char *from, const char *rcpt,
                                   const char *link, apr_int64_t now,
                                   apr_pool_t *p)
{
    return notify_mail(from, rcpt,
        "Erinnerung: Neue Inhalte in Ihrem Profil",
        "in Ihrem Profil bei Jobcenter.Digital liegt ein Dokument für Sie "
        "bereit, das Sie noch nicht geöffnet haben.",
        "Bitte melden Sie sich an, um es anzusehen:", link, now, p);
}

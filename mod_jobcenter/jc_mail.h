/* Outgoing mail: German templates, RFC 5322 message composition, delivery to
 * a spool directory or an SMTP relay (libcurl). Core: no httpd headers. */
#ifndef JC_MAIL_H
#define JC_MAIL_H

#include <apr_pools.h>
#include <apr_errno.h>
#include <apr_time.h>

/* A composed message ready to store in the outbox and deliver. */
typedef struct {
    const char *rcpt;     /* bare envelope recipient address            */
    const char *subject;  /* UTF-8 subject (unencoded)                  */
    const char *data;     /* full RFC 5322 message, CRLF line endings   */
} jc_mail_t;

/* Build a message: headers From, To, Subject (RFC 2047 =?UTF-8?B?...?=),
 * Date (RFC 5322, UTC), Message-ID (random), MIME-Version, Content-Type
 * text/plain; charset=UTF-8, Content-Transfer-Encoding: base64 (lines of 76),
 * Auto-Submitted: auto-generated. body is UTF-8 with \n line endings.
 * from is e.g. "Jobcenter.Digital <noreply@localhost>".
 * Returns NULL (header injection / bad input) if from, rcpt or subject
 * contain CR or LF, from is not printable ASCII, rcpt fails
 * jc_mail_address_valid(), subject or body is not valid UTF-8, or the body
 * is larger than 1 MiB. Subject words hold <= 39 bytes each (64 chars,
 * header lines <= 76). Body LF, CRLF and lone CR all become CRLF. */
jc_mail_t *jc_mail_compose(const char *from, const char *rcpt,
                           const char *subject, const char *body,
                           apr_time_t now, apr_pool_t *p);

/* Seed text "Bestätigung Ihrer E-Mail-Adresse" with the link.
 * NULL if the link contains control characters or compose fails. */
jc_mail_t *jc_mail_confirm(const char *from, const char *rcpt,
                           const char *link, apr_time_t now, apr_pool_t *p);

/* Informational mail to the owner of an already registered address
 * (someone tried to register it again); link goes to the login page.
 * Subject "Registrierung mit Ihrer E-Mail-Adresse". NULL as for confirm. */
jc_mail_t *jc_mail_already_registered(const char *from, const char *rcpt,
                                      const char *login_link,
                                      apr_time_t now, apr_pool_t *p);

/* Security notice after a TOTP second factor was set up for the account
 * ("Zweiter Faktor eingerichtet"): what changed, and what to do when it was
 * not the account holder; login_link goes to the login page. NULL as for
 * confirm. */
jc_mail_t *jc_mail_totp_enabled(const char *from, const char *rcpt,
                                const char *login_link, apr_time_t now,
                                apr_pool_t *p);

/* The notice "Passkey eingerichtet" (a passkey was registered). NULL on
 * invalid input, like jc_mail_totp_enabled(). */
jc_mail_t *jc_mail_passkey_enabled(const char *from, const char *rcpt,
                                  const char *login_link, apr_time_t now,
                                  apr_pool_t *p);

/* "27.11.2026 um 18:05 Uhr": epoch seconds as German civil time in
 * Europe/Berlin (CET, CEST from the last Sunday of March 01:00 UTC to the
 * last Sunday of October 01:00 UTC), in p. */
const char *jc_mail_berlin_time(apr_int64_t at, apr_pool_t *p);

/* The operator's service lines for the closing of every mail: the phone
 * number (JobcenterServicePhone) and the page about the service for people
 * with hearing impairments (JobcenterHearingImpairedURL); NULL or "" leaves
 * a line out. Call once at start-up (not thread-safe). */
void jc_mail_set_service(const char *phone, const char *hearing_url);

/* "Mit freundlichen Grüßen … Ihr Jobcenter", the no-reply note and the
 * service lines set above, in p. */
const char *jc_mail_closing(apr_pool_t *p);

/* The notice "Ihre Sicherheitseinstellungen wurden geändert": what
 * changed (one German sentence, e.g. "Der Passkey „Laptop“ wurde
 * entfernt."), when (at, Berlin time), and what to do when it was not the
 * account holder; login_link goes to the login page. No secrets. NULL on
 * invalid input, like jc_mail_totp_enabled(). */
jc_mail_t *jc_mail_security_changed(const char *from, const char *rcpt,
                                    const char *what, apr_int64_t at,
                                    const char *login_link, apr_time_t now,
                                    apr_pool_t *p);

/* "Zugangsdaten zurückgesetzt": notice to the address an account had when
 * staff reset its credentials (issue 5). Carries no secret. */
jc_mail_t *jc_mail_credentials_reset(const char *from, const char *rcpt,
                                     const char *jc_name, apr_time_t now,
                                     apr_pool_t *p);

/* Write data into dir as "<name>.eml": written to a temp file in dir, fsync'd,
 * renamed (so readers never see half a file). name must match [A-Za-z0-9_-]+
 * (at most 128 chars; else APR_EINVAL). The file gets mode 0640; an existing
 * <name>.eml is replaced. On failure the temp file is removed. */
apr_status_t jc_mail_spool_write(const char *dir, const char *name,
                                 const char *data, apr_pool_t *p);

/* SMTP relay settings. */
typedef struct {
    const char *url;       /* "smtp://127.0.0.1:25" or "smtps://..."      */
    int starttls;          /* 0 = off, 1 = try, 2 = required              */
    const char *user;      /* NULL = no AUTH                              */
    const char *password;  /* NULL = no AUTH                              */
    const char *from_addr; /* bare envelope sender                        */
    long timeout_sec;      /* whole transfer timeout                      */
    int insecure_tls;      /* 1 = don't verify the server cert (tests)    */
} jc_smtp_t;

/* Send one message. On failure returns APR_EGENERAL and sets *err (in p) to
 * curl's error text. APR_EINVAL (with *err set) if rcpt fails
 * jc_mail_address_valid() or from_addr contains spaces, controls or <>.
 * Only smtp:// and smtps:// URLs are allowed. from_addr NULL sends
 * MAIL FROM:<>; timeout_sec <= 0 means 30 s.
 * Does NOT call curl_global_init(): the module calls it once in its
 * post_config/child_init (tests in their setup) before any send, and
 * curl_global_cleanup() at the end. */
apr_status_t jc_mail_smtp_send(const jc_smtp_t *smtp, const char *rcpt,
                               const char *data, const char **err,
                               apr_pool_t *p);

/* The same; *reply (may be NULL) gets the relay's last SMTP reply code
 * on failure (e.g. 550 for a refused recipient, 451 for a temporary
 * failure), 0 when there was none (no connection, timeout, bad input). */
apr_status_t jc_mail_smtp_send_ex(const jc_smtp_t *smtp, const char *rcpt,
                                  const char *data, const char **err,
                                  int *reply, apr_pool_t *p);

/* Extract the bare address from "Name <addr>" or return s. */
const char *jc_mail_addr_only(const char *s, apr_pool_t *p);

/* 1 if s looks like a deliverable address: 3..254 bytes, one '@', local part
 * 1..64 of printable ASCII without spaces/quotes/<>(),;:\[], domain with a
 * dot-separated labels [A-Za-z0-9-] (no leading/trailing '-'), TLD >= 2.
 * Also refused: a leading, trailing or doubled '.' in the local part, labels
 * over 63 chars, a single-label domain ("localhost") and an all-digit TLD. */
int jc_mail_address_valid(const char *s);

#endif

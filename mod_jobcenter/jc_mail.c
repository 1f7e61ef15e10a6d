/* Outgoing mail: the seed's German templates, RFC 5322 composition (RFC 2047
 * subject, base64 body, CRLF), atomic spool files and SMTP delivery through
 * libcurl. Core: no httpd headers.
 *
 * curl_global_init() is never called here: the module calls it once at
 * startup (tests call it in their setup). */

#include "jc_mail.h"
#include "jc_time.h"
#include "jc_utf8.h"

#include <limits.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define JC_MAIL_MAX_BODY     (1024 * 1024) /* largest accepted body, bytes */
#define JC_MAIL_B64_LINE     76            /* body base64 line length      */
#define JC_MAIL_EW_MAX_BYTES 39            /* raw bytes per encoded-word:
                                            * 52 base64 chars, a 64-char
                                            * word, lines <= 76 chars      */
#define JC_MAIL_MSGID_BYTES  16            /* random bytes in Message-ID   */
#define JC_MAIL_MAX_NAME     128           /* longest spool file name      */
#define JC_MAIL_TIMEOUT_DEF  30L           /* timeout if none configured   */

/* 1 if s contains CR or LF. */
static int jc_mail_has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* Closing lines shared by all templates, with the operator's service lines
 * (JobcenterServicePhone, JobcenterHearingImpairedURL): set once at
 * start-up, before any thread or child exists, read-only afterwards. */
static const char *jc_mail_phone;
static const char *jc_mail_hearing;

void jc_mail_set_service(const char *phone, const char *hearing_url)
{
    jc_mail_phone = phone && *phone && !jc_mail_has_crlf(phone)
                    ? phone : NULL;
    jc_mail_hearing = hearing_url && *hearing_url
                      && !jc_mail_has_crlf(hearing_url) ? hearing_url : NULL;
}

const char *jc_mail_closing(apr_pool_t *p)
{
    const char *s = "Mit freundlichen Grüßen\n"
                    "Ihr Jobcenter\n"
                    "\n"
                    "Bitte antworten Sie nicht auf diese E-Mail: Sie wurde "
                    "automatisch versandt. ";

    if (jc_mail_phone) {
        s = apr_pstrcat(p, s, "Ihre Fragen rund um Ihr Konto beantworten "
                        "wir gern telefonisch:\n"
                        "\n"
                        "Servicenummer: ", jc_mail_phone, "\n", NULL);
    }
    else {
        s = apr_pstrcat(p, s, "Ihre Fragen rund um Ihr Konto beantworten "
                        "wir gern über Ihr Jobcenter.\n", NULL);
    }
    if (jc_mail_hearing) {
        s = apr_pstrcat(p, s, "\n"
                        "Hinweis: Informationen zu unserem Servicetelefon "
                        "für Menschen mit Hörbeeinträchtigungen finden Sie "
                        "auf folgender Seite:\n", jc_mail_hearing, "\n",
                        NULL);
    }
    return s;
}

/* 1 if s is non-empty printable ASCII (space allowed, no controls). */
static int jc_mail_printable_ascii(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    if (*u == '\0') {
        return 0;
    }
    for (; *u; u++) {
        if (*u < 0x20 || *u > 0x7E) {
            return 0;
        }
    }
    return 1;
}

/* 1 if s has no ASCII control characters (C0 or DEL). */
static int jc_mail_no_ctl(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    for (; *u; u++) {
        if (*u < 0x20 || *u == 0x7F) {
            return 0;
        }
    }
    return 1;
}

/* 1 if the arguments every notice needs are there: the recipient, the
 * pool and a text (a link, a name) the body quotes, free of controls. */
static int jc_mail_args_ok(const char *rcpt, const char *text, apr_pool_t *p)
{
    return rcpt != NULL && text != NULL && p != NULL && jc_mail_no_ctl(text);
}

/* Base64 (standard alphabet, padded, no line breaks) of n bytes, in p. */
static char *jc_mail_b64(const unsigned char *in, size_t n, apr_pool_t *p)
{
    char *out = apr_palloc(p, 4 * ((n + 2) / 3) + 1);

    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

/* The Subject header value: RFC 2047 B encoded-words of at most
 * JC_MAIL_EW_MAX_BYTES input bytes each (never splitting a UTF-8 sequence),
 * folded with CRLF SP. s must be valid UTF-8. */
static const char *jc_mail_encode_subject(const char *s, apr_pool_t *p)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    apr_array_header_t *parts = apr_array_make(p, 4, sizeof(const char *));

    while (i < n) {
        size_t start = i;

        while (i < n) {
            size_t k = jc_utf8_seq(u + i, n - i);
            if (k == 0 || i - start + k > JC_MAIL_EW_MAX_BYTES) {
                break;
            }
            i += k;
        }
        if (i == start) {
            return NULL; /* invalid UTF-8; validated by the caller */
        }
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(
            p, start == 0 ? "" : "\r\n ", "=?UTF-8?B?",
            jc_mail_b64(u + start, i - start, p), "?=", NULL);
    }
    return apr_array_pstrcat(p, parts, '\0');
}

/* body with every LF, CR LF or lone CR turned into CR LF, in p. */
static char *jc_mail_crlf(const char *body, size_t *outlen, apr_pool_t *p)
{
    size_t n = strlen(body), i, o = 0;
    char *out = apr_palloc(p, 2 * n + 1);

    for (i = 0; i < n; i++) {
        if (body[i] == '\r') {
            if (i + 1 < n && body[i + 1] == '\n') {
                i++;
            }
            out[o++] = '\r';
            out[o++] = '\n';
        }
        else if (body[i] == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
        }
        else {
            out[o++] = body[i];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* Base64 of n bytes split into CRLF-terminated lines of
 * JC_MAIL_B64_LINE characters, in p. */
static char *jc_mail_b64_lines(const unsigned char *in, size_t n,
                               apr_pool_t *p)
{
    const char *b64 = jc_mail_b64(in, n, p);
    size_t blen = strlen(b64), i, o = 0;
    char *out = apr_palloc(p, blen + 2 * (blen / JC_MAIL_B64_LINE + 1) + 1);

    for (i = 0; i < blen; i += JC_MAIL_B64_LINE) {
        size_t k = blen - i < JC_MAIL_B64_LINE ? blen - i : JC_MAIL_B64_LINE;
        memcpy(out + o, b64 + i, k);
        o += k;
        out[o++] = '\r';
        out[o++] = '\n';
    }
    out[o] = '\0';
    return out;
}

/* RFC 5322 date-time in UTC, e.g. "Tue, 14 Nov 2023 22:13:20 +0000". */
static const char *jc_mail_date(apr_time_t now, apr_pool_t *p)
{
    static const char *const days[] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };
    static const char *const months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };
    apr_time_exp_t tm;

    if (apr_time_exp_gmt(&tm, now) != APR_SUCCESS
        || tm.tm_wday < 0 || tm.tm_wday > 6
        || tm.tm_mon < 0 || tm.tm_mon > 11) {
        return NULL;
    }
    return apr_psprintf(p, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                        days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                        tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "<32 hex digits@jobcenter.digital>" from fresh random bytes, in p. */
static const char *jc_mail_message_id(apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[JC_MAIL_MSGID_BYTES];
    char buf[2 * JC_MAIL_MSGID_BYTES + 1];
    size_t i;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return NULL;
    }
    for (i = 0; i < sizeof(raw); i++) {
        buf[2 * i] = hex[raw[i] >> 4];
        buf[2 * i + 1] = hex[raw[i] & 0x0f];
    }
    buf[sizeof(buf) - 1] = '\0';
    return apr_pstrcat(p, "<", buf, "@jobcenter.digital>", NULL);
}

jc_mail_t *jc_mail_compose(const char *from, const char *rcpt,
                           const char *subject, const char *body,
                           apr_time_t now, apr_pool_t *p)
{
    jc_mail_t *m;
    const char *date, *msgid, *subj, *b64;
    char *crlf_body;
    size_t blen;

    if (from == NULL || rcpt == NULL || subject == NULL || body == NULL
        || p == NULL) {
        return NULL;
    }
    /* Header injection: nothing that ends up in a header may break a line.
     * From is written as is, so it must be printable ASCII; the recipient
     * must be a plain address; the subject is encoded but CR/LF is still
     * refused. */
    if (jc_mail_has_crlf(from) || jc_mail_has_crlf(rcpt)
        || jc_mail_has_crlf(subject)
        || !jc_mail_printable_ascii(from)
        || !jc_mail_address_valid(rcpt)
        || !jc_utf8_valid(subject)) {
        return NULL;
    }
    if (strlen(body) > JC_MAIL_MAX_BODY || !jc_utf8_valid(body)) {
        return NULL;
    }

    date = jc_mail_date(now, p);
    msgid = jc_mail_message_id(p);
    subj = jc_mail_encode_subject(subject, p);
    if (date == NULL || msgid == NULL || subj == NULL) {
        return NULL;
    }
    crlf_body = jc_mail_crlf(body, &blen, p);
    b64 = jc_mail_b64_lines((const unsigned char *)crlf_body, blen, p);

    m = apr_pcalloc(p, sizeof(*m));
    m->rcpt = apr_pstrdup(p, rcpt);
    m->subject = apr_pstrdup(p, subject);
    m->data = apr_pstrcat(p,
        "Date: ", date, "\r\n",
        "From: ", from, "\r\n",
        "To: ", rcpt, "\r\n",
        "Subject: ", subj, "\r\n",
        "Message-ID: ", msgid, "\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=UTF-8\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Auto-Submitted: auto-generated\r\n",
        "\r\n",
        b64, NULL);
    return m;
}

jc_mail_t *jc_mail_confirm(const char *from, const char *rcpt,
                           const char *link, apr_time_t now, apr_pool_t *p)
{
    const char *body;

    if (!jc_mail_args_ok(rcpt, link, p)) {
        return NULL;
    }
    body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n"
        "Sie haben im Portal Jobcenter.Digital folgende E-Mail-Adresse "
        "angegeben:\n"
        "\n",
        rcpt, "\n"
        "\n"
        "Bitte bestätigen Sie diese E-Mail-Adresse, indem Sie auf folgenden "
        "Link klicken:\n",
        link, "\n"
        "\n"
        "Wichtig: Bestätigen Sie Ihre E-Mail-Adresse innerhalb von "
        "24 Stunden.\n"
        "\n",
        jc_mail_closing(p), NULL);
    return jc_mail_compose(from, rcpt, "Bestätigung Ihrer E-Mail-Adresse",
                           body, now, p);
}

jc_mail_t *jc_mail_already_registered(const char *from, const char *rcpt,
                                      const char *login_link,
                                      apr_time_t now, apr_pool_t *p)
{
    const char *body;

    if (!jc_mail_args_ok(rcpt, login_link, p)) {
        return NULL;
    }
    body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n"
        "soeben wurde versucht, im Portal Jobcenter.Digital ein neues Konto "
        "mit folgender E-Mail-Adresse zu registrieren:\n"
        "\n",
        rcpt, "\n"
        "\n"
        "Für diese E-Mail-Adresse besteht bereits ein Konto.\n"
        "\n"
        "Wenn Sie das waren, können Sie sich mit Ihrem bestehenden Konto "
        "anmelden:\n",
        login_link, "\n"
        "\n"
        "Falls Sie Ihr Passwort nicht mehr wissen, nutzen Sie auf der "
        "Anmeldeseite die Funktion „Passwort vergessen“.\n"
        "\n"
        "Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren. "
        "An Ihrem Konto wurde nichts geändert.\n"
        "\n",
        jc_mail_closing(p), NULL);
    return jc_mail_compose(from, rcpt,
                           "Registrierung mit Ihrer E-Mail-Adresse",
                           body, now, p);
}

/* The notice that a factor was added to the account of rcpt: one frame
 * for every factor. added is the paragraph after the address ("wurde
 * soeben ... eingerichtet ..."), factor the factor in "damit der fremde
 * ... entfernt wird". */
static jc_mail_t *jc_mail_factor_added(const char *from, const char *rcpt,
                                       const char *login_link,
                                       const char *subject,
                                       const char *added, const char *factor,
                                       apr_time_t now, apr_pool_t *p)
{
    const char *body;

    if (!jc_mail_args_ok(rcpt, login_link, p)) {
        return NULL;
    }
    body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n"
        "für Ihr Konto im Portal Jobcenter.Digital mit der E-Mail-Adresse\n"
        "\n",
        rcpt, "\n"
        "\n",
        added, "\n"
        "\n"
        "Wenn Sie das waren, müssen Sie nichts weiter tun.\n"
        "\n"
        "Wenn Sie das nicht waren, kennt möglicherweise eine andere Person "
        "Ihr Passwort. Ändern Sie bitte sofort Ihr Passwort (auf der "
        "Anmeldeseite über „Passwort vergessen“) und wenden Sie sich an Ihr "
        "Jobcenter, damit der fremde ", factor, " entfernt wird:\n",
        login_link, "\n"
        "\n",
        jc_mail_closing(p), NULL);
    return jc_mail_compose(from, rcpt, subject, body, now, p);
}

jc_mail_t *jc_mail_totp_enabled(const char *from, const char *rcpt,
                                const char *login_link, apr_time_t now,
                                apr_pool_t *p)
{
    return jc_mail_factor_added(from, rcpt, login_link,
        "Zweiter Faktor eingerichtet",
        "wurde soeben ein zweiter Faktor eingerichtet: eine "
        "Authentifizierungs-App, die 6-stellige Codes (TOTP) erzeugt. Ab "
        "jetzt werden Sie bei jeder Anmeldung mit Ihrem Passwort zusätzlich "
        "nach dem aktuellen Code aus dieser App gefragt.",
        "zweite Faktor", now, p);
}

jc_mail_t *jc_mail_passkey_enabled(const char *from, const char *rcpt,
                                  const char *login_link, apr_time_t now,
                                  apr_pool_t *p)
{
    return jc_mail_factor_added(from, rcpt, login_link,
        "Passkey eingerichtet",
        "wurde soeben ein Passkey eingerichtet. Mit diesem Passkey können "
        "Sie sich ab jetzt ohne Passwort anmelden oder ihn nach dem "
        "Passwort als zweiten Faktor verwenden.",
        "Passkey", now, p);
}

jc_mail_t *jc_mail_credentials_reset(const char *from, const char *rcpt,
                                     const char *jc_name, apr_time_t now,
                                     apr_pool_t *p)
{
    const char *body;

    if (!jc_mail_args_ok(rcpt, jc_name, p)) {
        return NULL;
    }
    body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n"
        "die Zugangsdaten Ihres Kontos im Portal Jobcenter.Digital mit der "
        "E-Mail-Adresse\n"
        "\n",
        rcpt, "\n"
        "\n"
        "wurden soeben vom ", jc_name, " zurückgesetzt. Ihr bisheriges "
        "Passwort, Ihr zweiter Faktor (App-Code/TOTP) und Ihre Passkeys "
        "gelten nicht mehr; alle Anmeldungen wurden beendet. Diese "
        "E-Mail-Adresse ist nicht mehr mit dem Konto verbunden.\n"
        "\n"
        "Neue Einmal-Zugangsdaten (Benutzername und Passwort) erhalten Sie "
        "in zwei getrennten Briefen von Ihrem Jobcenter. Nach der Anmeldung "
        "damit wählen Sie ein eigenes Passwort, geben Ihre E-Mail-Adresse "
        "an und richten den zweiten Faktor neu ein.\n"
        "\n"
        "Wenn Sie keine neuen Zugangsdaten angefordert haben, wenden Sie "
        "sich bitte an Ihr Jobcenter.\n"
        "\n",
        jc_mail_closing(p), NULL);
    return jc_mail_compose(from, rcpt, "Zugangsdaten zurückgesetzt", body,
                           now, p);
}

const char *jc_mail_berlin_time(apr_int64_t at, apr_pool_t *p)
{
    return jc_berlin_datetime_de(at, p);
}

jc_mail_t *jc_mail_security_changed(const char *from, const char *rcpt,
                                    const char *what, apr_int64_t at,
                                    const char *login_link, apr_time_t now,
                                    apr_pool_t *p)
{
    const char *body;

    if (!jc_mail_args_ok(rcpt, login_link, p) || what == NULL
        || !jc_mail_no_ctl(what)) {
        return NULL;
    }
    body = apr_pstrcat(p,
        "Guten Tag,\n"
        "\n"
        "die Sicherheitseinstellungen Ihres Kontos im Portal "
        "Jobcenter.Digital mit der E-Mail-Adresse\n"
        "\n",
        rcpt, "\n"
        "\n"
        "wurden am ", jc_mail_berlin_time(at, p), " geändert:\n"
        "\n",
        what, "\n"
        "\n"
        "Wenn Sie das waren, müssen Sie nichts weiter tun.\n"
        "\n"
        "Wenn Sie das nicht waren, hat möglicherweise eine andere Person "
        "Zugang zu Ihrem Konto. Ändern Sie bitte sofort Ihr Passwort (auf "
        "der Anmeldeseite über „Passwort vergessen“), prüfen Sie auf der "
        "Seite „Sicherheit“ Ihre Passkeys und Ihren zweiten Faktor und "
        "wenden Sie sich an Ihr Jobcenter:\n",
        login_link, "\n"
        "\n",
        jc_mail_closing(p), NULL);
    return jc_mail_compose(from, rcpt,
                           "Ihre Sicherheitseinstellungen wurden geändert",
                           body, now, p);
}

/* 1 if name is 1..JC_MAIL_MAX_NAME characters of [A-Za-z0-9_-]. */
static int jc_mail_spool_name_ok(const char *name)
{
    size_t n;

    for (n = 0; name[n] != '\0'; n++) {
        unsigned char c = (unsigned char)name[n];
        if (n >= JC_MAIL_MAX_NAME
            || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                 || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return 0;
        }
    }
    return n > 0;
}

apr_status_t jc_mail_spool_write(const char *dir, const char *name,
                                 const char *data, apr_pool_t *p)
{
    apr_pool_t *sp;
    apr_file_t *f = NULL, *d = NULL;
    char *tmpl;
    const char *final;
    apr_status_t rv;

    if (dir == NULL || *dir == '\0' || name == NULL || data == NULL
        || p == NULL || !jc_mail_spool_name_ok(name)) {
        return APR_EINVAL;
    }
    rv = apr_pool_create(&sp, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    tmpl = apr_pstrcat(sp, dir, "/.tmp-XXXXXX", NULL);
    final = apr_pstrcat(sp, dir, "/", name, ".eml", NULL);

    /* mkstemp creates the file (0600); tmpl now holds its real name. */
    rv = apr_file_mktemp(&f, tmpl, APR_FOPEN_CREATE | APR_FOPEN_WRITE
                                   | APR_FOPEN_EXCL, sp);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(sp);
        return rv;
    }
    rv = apr_file_perms_set(tmpl, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                  | APR_FPROT_GREAD);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, data, strlen(data), NULL);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_sync(f);
    }
    {
        apr_status_t crv = apr_file_close(f);
        if (rv == APR_SUCCESS) {
            rv = crv;
        }
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_rename(tmpl, final, sp);
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(tmpl, sp);
        apr_pool_destroy(sp);
        return rv;
    }
    /* Best effort: make the rename itself durable. */
    if (apr_file_open(&d, dir, APR_FOPEN_READ, APR_OS_DEFAULT, sp)
        == APR_SUCCESS) {
        (void)apr_file_sync(d);
        apr_file_close(d);
    }
    apr_pool_destroy(sp);
    return APR_SUCCESS;
}

/* Reader state for CURLOPT_READFUNCTION. */
typedef struct {
    const char *data; /* message to upload          */
    size_t len;       /* total bytes in data        */
    size_t pos;       /* bytes handed to curl so far */
} jc_mail_upload_t;

static size_t jc_mail_read_cb(char *buf, size_t size, size_t nitems,
                              void *userdata)
{
    jc_mail_upload_t *u = userdata;
    size_t room = size * nitems;
    size_t left = u->len - u->pos;
    size_t k = left < room ? left : room;

    memcpy(buf, u->data + u->pos, k);
    u->pos += k;
    return k;
}

/* 1 if s may go between <> in an SMTP envelope command. */
static int jc_mail_envelope_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    for (; *u; u++) {
        if (*u <= 0x20 || *u >= 0x7F || *u == '<' || *u == '>') {
            return 0;
        }
    }
    return 1;
}

apr_status_t jc_mail_smtp_send(const jc_smtp_t *smtp, const char *rcpt,
                               const char *data, const char **err,
                               apr_pool_t *p)
{
    return jc_mail_smtp_send_ex(smtp, rcpt, data, err, NULL, p);
}

/* The arguments of a send: APR_SUCCESS, or APR_EINVAL with *err. */
static apr_status_t smtp_args_check(const jc_smtp_t *smtp, const char *rcpt,
                                    const char *data, const char **err,
                                    apr_pool_t *p)
{
    if (smtp == NULL || smtp->url == NULL || rcpt == NULL || data == NULL
        || p == NULL) {
        if (err != NULL && p != NULL) {
            *err = "invalid arguments";
        }
        return APR_EINVAL;
    }
    if (!jc_mail_address_valid(rcpt)
        || (smtp->from_addr != NULL && !jc_mail_envelope_ok(smtp->from_addr))
        || !jc_mail_no_ctl(smtp->url)) {
        if (err != NULL) {
            *err = "invalid envelope address or URL";
        }
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Every option of the transfer: protocols, relay, envelope, upload,
 * timeout, TLS and credentials. The first failure stops. */
static CURLcode smtp_setopts(CURL *c, const jc_smtp_t *smtp,
                             struct curl_slist *rcpts, jc_mail_upload_t *up,
                             char *errbuf, apr_pool_t *p)
{
    long usessl = smtp->starttls == 1 ? (long)CURLUSESSL_TRY
                  : smtp->starttls == 2 ? (long)CURLUSESSL_ALL
                  : (long)CURLUSESSL_NONE;
    CURLcode rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

#if LIBCURL_VERSION_NUM >= 0x075500
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    }
#else
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS,
                              (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
    }
#endif
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_URL, smtp->url);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM,
                              apr_pstrcat(p, "<", smtp->from_addr
                                                  ? smtp->from_addr : "",
                                          ">", NULL));
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_READFUNCTION, jc_mail_read_cb);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_READDATA, up);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                              (curl_off_t)up->len);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_TIMEOUT,
                              smtp->timeout_sec > 0 ? smtp->timeout_sec
                                                    : JC_MAIL_TIMEOUT_DEF);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_USE_SSL, usessl);
    }
    if (rc == CURLE_OK && smtp->user != NULL) {
        rc = curl_easy_setopt(c, CURLOPT_USERNAME, smtp->user);
    }
    if (rc == CURLE_OK && smtp->password != NULL) {
        rc = curl_easy_setopt(c, CURLOPT_PASSWORD, smtp->password);
    }
    if (rc == CURLE_OK && smtp->insecure_tls) {
        rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        if (rc == CURLE_OK) {
            rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
    }
    return rc;
}

apr_status_t jc_mail_smtp_send_ex(const jc_smtp_t *smtp, const char *rcpt,
                                  const char *data, const char **err,
                                  int *reply, apr_pool_t *p)
{
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *rcpts = NULL;
    jc_mail_upload_t up;
    apr_status_t rv;
    CURL *c;
    CURLcode rc;

    if (err != NULL) {
        *err = NULL;
    }
    if (reply != NULL) {
        *reply = 0;
    }
    rv = smtp_args_check(smtp, rcpt, data, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    c = curl_easy_init();
    if (c == NULL) {
        if (err != NULL) {
            *err = "curl_easy_init failed";
        }
        return APR_EGENERAL;
    }
    rcpts = curl_slist_append(NULL, apr_pstrcat(p, "<", rcpt, ">", NULL));
    if (rcpts == NULL) {
        curl_easy_cleanup(c);
        if (err != NULL) {
            *err = "out of memory";
        }
        return APR_ENOMEM;
    }
    up.data = data;
    up.len = strlen(data);
    up.pos = 0;
    errbuf[0] = '\0';
    rc = smtp_setopts(c, smtp, rcpts, &up, errbuf, p);
    if (rc == CURLE_OK) {
        rc = curl_easy_perform(c);
    }
    if (rc != CURLE_OK && reply != NULL) {
        long code = 0;

        /* the last reply of the relay (e.g. 550 to RCPT TO); 0 when it
         * never answered (connection refused, timeout) */
        if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK
            && code > 0 && code < 1000) {
            *reply = (int)code;
        }
    }
    if (rc != CURLE_OK && err != NULL) {
        *err = apr_psprintf(p, "%s (curl %d)",
                            errbuf[0] ? errbuf : curl_easy_strerror(rc),
                            (int)rc);
    }
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? APR_SUCCESS : APR_EGENERAL;
}

const char *jc_mail_addr_only(const char *s, apr_pool_t *p)
{
    const char *lt, *gt;

    if (s == NULL) {
        return NULL;
    }
    lt = strrchr(s, '<');
    if (lt == NULL) {
        return s;
    }
    gt = strchr(lt + 1, '>');
    if (gt == NULL) {
        return s;
    }
    return apr_pstrmemdup(p, lt + 1, (apr_size_t)(gt - lt - 1));
}

/* 1 if c may appear in the local part (printable ASCII minus
 * space " < > ( ) , ; : \ [ ]). */
static int jc_mail_local_char(unsigned char c)
{
    return c > 0x20 && c < 0x7F && strchr("\"<>(),;:\\[]", c) == NULL;
}

int jc_mail_address_valid(const char *s)
{
    const char *at, *d, *label;
    size_t n, local_len, i;
    int labels = 0, tld_alpha = 0;

    if (s == NULL) {
        return 0;
    }
    n = strlen(s);
    if (n < 3 || n > 254) {
        return 0;
    }
    at = strchr(s, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL) {
        return 0;
    }

    /* Local part: 1..64 allowed characters, dot-atom (no leading, trailing
     * or doubled dot). */
    local_len = (size_t)(at - s);
    if (local_len < 1 || local_len > 64 || s[0] == '.'
        || s[local_len - 1] == '.') {
        return 0;
    }
    for (i = 0; i < local_len; i++) {
        if (!jc_mail_local_char((unsigned char)s[i])
            || (s[i] == '.' && s[i + 1] == '.')) {
            return 0;
        }
    }

    /* Domain: labels of 1..63 [A-Za-z0-9-], no '-' at either end, at least
     * two labels, the last (TLD) at least 2 characters with a letter. */
    d = at + 1;
    label = d;
    for (;;) {
        size_t len = 0;
        int alpha = 0;

        while (label[len] != '\0' && label[len] != '.') {
            unsigned char c = (unsigned char)label[len];
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
                alpha = 1;
            }
            else if (!((c >= '0' && c <= '9') || c == '-')) {
                return 0;
            }
            len++;
        }
        if (len < 1 || len > 63 || label[0] == '-' || label[len - 1] == '-') {
            return 0;
        }
        labels++;
        if (label[len] == '\0') {
            tld_alpha = alpha && len >= 2;
            break;
        }
        label += len + 1;
    }
    return labels >= 2 && tld_alpha;
}

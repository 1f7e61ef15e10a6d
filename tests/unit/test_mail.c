/* Unit tests for jc_mail: message composition (CRLF, base64 body, RFC 2047
 * subject, Date, Message-ID), header injection, address checks, spool files
 * and SMTP failure reporting. The SMTP happy path is covered by the HTTP
 * suite against a real server. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <openssl/evp.h>

#include "jc_mail.h"
#include "unit_fixture.h"

#define TMPDIR "/tmp/jc_mail_test_XXXXXX" /* unit_tmpdir */

#define FROM "Jobcenter.Digital <noreply@localhost>"
#define RCPT "max.mustermann@example.org"
#define LINK "https://portal.example.org/email/confirm?token=abcDEF012_-xyz"
#define T0   apr_time_from_sec(1700000000) /* Tue, 14 Nov 2023 22:13:20 */

/* ---- helpers ------------------------------------------------------------ */

/* Decode standard base64 (whitespace and CRLF ignored); NUL-terminated. */
static char *b64_decode(const char *in, size_t *outlen)
{
    size_t n = strlen(in), i, k = 0;
    char *clean = apr_palloc(pool, n + 1);
    unsigned char *out;
    int len;

    for (i = 0; i < n; i++) {
        if (in[i] != '\r' && in[i] != '\n' && in[i] != ' ') {
            clean[k++] = in[i];
        }
    }
    clean[k] = '\0';
    assert_int_equal(k % 4, 0);
    out = apr_palloc(pool, k / 4 * 3 + 1);
    len = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)k);
    assert_true(len >= 0);
    /* EVP_DecodeBlock keeps the zero bytes produced by padding */
    if (k > 0 && clean[k - 1] == '=') {
        len--;
    }
    if (k > 1 && clean[k - 2] == '=') {
        len--;
    }
    out[len] = '\0';
    if (outlen) {
        *outlen = (size_t)len;
    }
    return (char *)out;
}

/* The header block (up to, excluding, the empty line) of a message. */
static char *headers_of(const char *data)
{
    const char *e = strstr(data, "\r\n\r\n");

    assert_non_null(e);
    return apr_pstrndup(pool, data, (size_t)(e - data) + 2);
}

/* The body (after the empty line) of a message. */
static const char *body_of(const char *data)
{
    const char *e = strstr(data, "\r\n\r\n");

    assert_non_null(e);
    return e + 4;
}

/* The unfolded value of header name (e.g. "Subject"), or NULL. */
static char *header_value(const char *data, const char *name)
{
    char *hdrs = headers_of(data);
    char *key = apr_pstrcat(pool, "\r\n", name, ": ", NULL);
    char *h = apr_pstrcat(pool, "\r\n", hdrs, NULL);
    char *v = strstr(h, key), *end, *out;
    size_t i, o = 0;

    if (v == NULL) {
        return NULL;
    }
    v += strlen(key);
    /* the value ends at a CRLF not followed by a space or tab */
    end = v;
    while (!(end[0] == '\r' && end[1] == '\n' && end[2] != ' '
             && end[2] != '\t')) {
        end++;
    }
    out = apr_palloc(pool, (size_t)(end - v) + 1);
    for (i = 0; v + i < end; i++) {
        if (v[i] == '\r' && v[i + 1] == '\n') {
            i++; /* unfold: drop the CRLF, keep the whitespace */
            continue;
        }
        out[o++] = v[i];
    }
    out[o] = '\0';
    return out;
}

/* Decode a sequence of =?UTF-8?B?...?= words separated by whitespace;
 * asserts every word is at most 75 characters and decodes to complete
 * UTF-8 sequences. */
static char *decode_subject(const char *v)
{
    char *out = "";
    const char *s = v;

    while (*s) {
        const char *end;
        char *word, *dec;
        size_t dlen;

        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        assert_int_equal(strncmp(s, "=?UTF-8?B?", 10), 0);
        end = strstr(s + 10, "?=");
        assert_non_null(end);
        assert_true((size_t)(end + 2 - s) <= 75);
        word = apr_pstrndup(pool, s + 10, (size_t)(end - s - 10));
        dec = b64_decode(word, &dlen);
        /* no UTF-8 sequence may be split between words */
        if (dlen > 0) {
            unsigned char first = (unsigned char)dec[0];
            assert_true((first & 0xC0) != 0x80);
        }
        {
            size_t i = dlen;
            /* walk back to the last lead byte and check its length */
            while (i > 0 && ((unsigned char)dec[i - 1] & 0xC0) == 0x80) {
                i--;
            }
            if (i > 0) {
                unsigned char lead = (unsigned char)dec[i - 1];
                size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4
                              : lead >= 0xE0 ? 3 : 2;
                assert_int_equal(dlen - (i - 1), need);
            }
        }
        out = apr_pstrcat(pool, out, dec, NULL);
        s = end + 2;
    }
    return out;
}

/* 1 if every LF is preceded by CR and every CR followed by LF. */
static int crlf_only(const char *s)
{
    size_t i, n = strlen(s);

    for (i = 0; i < n; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) {
            return 0;
        }
        if (s[i] == '\r' && s[i + 1] != '\n') {
            return 0;
        }
    }
    return 1;
}

/* Names of the entries of dir (without . and ..), space-separated, and
 * their count. */
static int list_dir(const char *dir, char **names)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int n = 0;

    *names = "";
    assert_int_equal(apr_dir_open(&d, dir, pool), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0) {
            continue;
        }
        *names = apr_pstrcat(pool, *names, n ? " " : "", fi.name, NULL);
        n++;
    }
    apr_dir_close(d);
    return n;
}

/* ---- composition -------------------------------------------------------- */

static void test_compose_crlf_only(void **state)
{
    jc_mail_t *m;

    (void)state;
    m = jc_mail_compose(FROM, RCPT, "Test", "a\nb\n\nc\n", T0, pool);
    assert_non_null(m);
    assert_true(crlf_only(m->data));
    assert_non_null(strstr(m->data, "\r\n\r\n"));
    /* ends with a complete line */
    assert_int_equal(strcmp(m->data + strlen(m->data) - 2, "\r\n"), 0);
    assert_string_equal(m->rcpt, RCPT);
    assert_string_equal(m->subject, "Test");
}

static void test_compose_headers(void **state)
{
    jc_mail_t *m;
    char *h;

    (void)state;
    m = jc_mail_compose(FROM, RCPT, "Test", "x\n", T0, pool);
    assert_non_null(m);
    h = headers_of(m->data);
    assert_non_null(strstr(h, "From: " FROM "\r\n"));
    assert_non_null(strstr(h, "To: " RCPT "\r\n"));
    assert_non_null(strstr(h, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(h, "Content-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(h, "Content-Transfer-Encoding: base64\r\n"));
    assert_non_null(strstr(h, "Auto-Submitted: auto-generated\r\n"));
    assert_string_equal(header_value(m->data, "Date"),
                        "Tue, 14 Nov 2023 22:13:20 +0000");
    assert_non_null(header_value(m->data, "Subject"));
    assert_non_null(header_value(m->data, "Message-ID"));
}

static void test_compose_date(void **state)
{
    jc_mail_t *m;

    (void)state;
    m = jc_mail_compose(FROM, RCPT, "x", "x", 0, pool);
    assert_non_null(m);
    assert_string_equal(header_value(m->data, "Date"),
                        "Thu, 01 Jan 1970 00:00:00 +0000");
    m = jc_mail_compose(FROM, RCPT, "x", "x", apr_time_from_sec(951782400),
                        pool);
    assert_non_null(m);
    assert_string_equal(header_value(m->data, "Date"),
                        "Tue, 29 Feb 2000 00:00:00 +0000");
    /* sub-second part is ignored */
    m = jc_mail_compose(FROM, RCPT, "x", "x", T0 + 999999, pool);
    assert_string_equal(header_value(m->data, "Date"),
                        "Tue, 14 Nov 2023 22:13:20 +0000");
}

static void test_compose_message_id(void **state)
{
    jc_mail_t *a, *b;
    const char *id;
    size_t i;

    (void)state;
    a = jc_mail_compose(FROM, RCPT, "x", "x", T0, pool);
    b = jc_mail_compose(FROM, RCPT, "x", "x", T0, pool);
    assert_non_null(a);
    assert_non_null(b);
    id = header_value(a->data, "Message-ID");
    assert_int_equal(strlen(id), 1 + 32 + strlen("@jobcenter.digital>"));
    assert_int_equal(id[0], '<');
    for (i = 1; i <= 32; i++) {
        assert_true((id[i] >= '0' && id[i] <= '9')
                    || (id[i] >= 'a' && id[i] <= 'f'));
    }
    assert_string_equal(id + 33, "@jobcenter.digital>");
    assert_string_not_equal(id, header_value(b->data, "Message-ID"));
}

static void test_compose_body_base64(void **state)
{
    static const char body[] =
        "Zeile eins mit \xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f\n"
        "\n"
        "Eine lange Zeile, die l\xc3\xa4nger ist als 76 Zeichen, damit der "
        "Base64-Text sicher auf mehrere Zeilen umbrochen werden muss.\n";
    jc_mail_t *m;
    const char *b, *line;
    char *dec, *want;
    int lines = 0;

    (void)state;
    m = jc_mail_compose(FROM, RCPT, "x", body, T0, pool);
    assert_non_null(m);
    b = body_of(m->data);
    /* lines of exactly 76, the last one 1..76, all base64 characters */
    for (line = b; *line; ) {
        const char *e = strstr(line, "\r\n");
        size_t len;

        assert_non_null(e);
        len = (size_t)(e - line);
        assert_true(len >= 1 && len <= 76);
        if (e[2] != '\0') {
            assert_int_equal(len, 76);
        }
        assert_int_equal(strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "abcdefghijklmnopqrstuvwxyz"
                                      "0123456789+/="), len);
        lines++;
        line = e + 2;
    }
    assert_true(lines >= 3);
    dec = b64_decode(b, NULL);
    want = apr_pstrdup(pool,
        "Zeile eins mit \xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f\r\n"
        "\r\n"
        "Eine lange Zeile, die l\xc3\xa4nger ist als 76 Zeichen, damit der "
        "Base64-Text sicher auf mehrere Zeilen umbrochen werden muss.\r\n");
    assert_string_equal(dec, want);
}

static void test_compose_body_newlines(void **state)
{
    jc_mail_t *m;

    (void)state;
    /* LF, CRLF and lone CR all become CRLF, never doubled */
    m = jc_mail_compose(FROM, RCPT, "x", "a\nb\r\nc\rd", T0, pool);
    assert_non_null(m);
    assert_string_equal(b64_decode(body_of(m->data), NULL),
                        "a\r\nb\r\nc\r\nd");
    /* empty body */
    m = jc_mail_compose(FROM, RCPT, "x", "", T0, pool);
    assert_non_null(m);
    assert_string_equal(body_of(m->data), "");
}

static void test_compose_subject_long(void **state)
{
    /* 50 x "ä" + ASCII + "€": must split into several words without
     * cutting a UTF-8 sequence, every header line <= 76 characters. */
    char *subject = "";
    jc_mail_t *m;
    char *v, *h, *line;
    int i;

    (void)state;
    for (i = 0; i < 50; i++) {
        subject = apr_pstrcat(pool, subject, "\xc3\xa4", NULL);
    }
    subject = apr_pstrcat(pool, subject, " Ende x", "\xe2\x82\xac",
                          "y\xf0\x9f\x98\x80z", NULL);
    m = jc_mail_compose(FROM, RCPT, subject, "x", T0, pool);
    assert_non_null(m);
    v = header_value(m->data, "Subject");
    assert_non_null(strstr(v, "?= =?UTF-8?B?"));
    assert_string_equal(decode_subject(v), subject);
    h = headers_of(m->data);
    for (line = h; *line; ) {
        char *e = strstr(line, "\r\n");
        assert_non_null(e);
        assert_true(e - line <= 76);
        line = e + 2;
    }
}

static void test_compose_subject_plain_ascii(void **state)
{
    jc_mail_t *m;

    (void)state;
    m = jc_mail_compose(FROM, RCPT, "Hallo Welt", "x", T0, pool);
    assert_non_null(m);
    assert_string_equal(decode_subject(header_value(m->data, "Subject")),
                        "Hallo Welt");
}

static void test_compose_rejects_injection(void **state)
{
    (void)state;
    assert_null(jc_mail_compose(FROM, RCPT "\r\nBcc: evil@example.org",
                                "x", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT "\nBcc: evil@example.org",
                                "x", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT "\r", "x", "x", T0, pool));
    assert_null(jc_mail_compose(FROM "\r\nBcc: evil@example.org", RCPT,
                                "x", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT, "Hallo\r\nBcc: e@example.org",
                                "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT, "Hallo\n", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT, "Hallo\r", "x", T0, pool));
    /* the recipient must be a bare address */
    assert_null(jc_mail_compose(FROM, "Max <" RCPT ">", "x", "x", T0,
                                pool));
    assert_null(jc_mail_confirm(FROM, RCPT "\r\nBcc: evil@example.org",
                                LINK, T0, pool));
    assert_null(jc_mail_confirm(FROM, RCPT, LINK "\r\nX: y", T0, pool));
    assert_null(jc_mail_already_registered(FROM, "a@b.de\nX: y", LINK, T0,
                                           pool));
}

static void test_compose_rejects_bad_input(void **state)
{
    (void)state;
    assert_null(jc_mail_compose(NULL, RCPT, "x", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, NULL, "x", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT, NULL, "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT, "x", NULL, T0, pool));
    /* invalid UTF-8 in subject or body */
    assert_null(jc_mail_compose(FROM, RCPT, "a\xc3", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT, "a\xc0\xafz", "x", T0, pool));
    assert_null(jc_mail_compose(FROM, RCPT, "x", "\xff", T0, pool));
    /* raw 8-bit in From cannot go into a header */
    assert_null(jc_mail_compose("J\xc3\xb6" "b <a@b.de>", RCPT, "x", "x", T0,
                                pool));
    assert_null(jc_mail_confirm(FROM, RCPT, NULL, T0, pool));
}

static void test_confirm(void **state)
{
    jc_mail_t *m;
    char *body, *want;

    (void)state;
    m = jc_mail_confirm(FROM, RCPT, LINK, T0, pool);
    assert_non_null(m);
    assert_true(crlf_only(m->data));
    assert_string_equal(m->rcpt, RCPT);
    assert_string_equal(m->subject, "Best\xc3\xa4tigung Ihrer E-Mail-Adresse");
    assert_string_equal(decode_subject(header_value(m->data, "Subject")),
                        "Best\xc3\xa4tigung Ihrer E-Mail-Adresse");
    assert_non_null(strstr(headers_of(m->data), "To: " RCPT "\r\n"));

    body = b64_decode(body_of(m->data), NULL);
    want = apr_pstrcat(pool,
        "Guten Tag,\r\n\r\n"
        "Sie haben im Portal Jobcenter.Digital folgende E-Mail-Adresse "
        "angegeben:\r\n\r\n",
        RCPT, "\r\n\r\n"
        "Bitte best\xc3\xa4tigen Sie diese E-Mail-Adresse, indem Sie auf "
        "folgenden Link klicken:\r\n",
        LINK, "\r\n\r\n"
        "Wichtig: Best\xc3\xa4tigen Sie Ihre E-Mail-Adresse innerhalb von 24 "
        "Stunden.\r\n\r\n"
        "Mit freundlichen Gr\xc3\xbc\xc3\x9f" "en\r\n"
        "Ihr Jobcenter\r\n\r\n"
        "Bitte antworten Sie nicht auf diese E-Mail: Sie wurde automatisch "
        "versandt. Ihre Fragen rund um Ihr Konto beantworten wir gern "
        "\xc3\xbc" "ber Ihr Jobcenter.\r\n", NULL);
    assert_string_equal(body, want);
    assert_non_null(strstr(body, LINK));
}

static void test_already_registered(void **state)
{
    static const char login[] = "https://portal.example.org/login";
    jc_mail_t *m;
    char *body;

    (void)state;
    m = jc_mail_already_registered(FROM, RCPT, login, T0, pool);
    assert_non_null(m);
    assert_true(crlf_only(m->data));
    assert_string_equal(decode_subject(header_value(m->data, "Subject")),
                        "Registrierung mit Ihrer E-Mail-Adresse");
    body = b64_decode(body_of(m->data), NULL);
    assert_int_equal(strncmp(body, "Guten Tag,\r\n\r\n", 14), 0);
    assert_non_null(strstr(body, "Jobcenter.Digital"));
    assert_non_null(strstr(body, RCPT));
    assert_non_null(strstr(body, "bereits ein Konto"));
    assert_non_null(strstr(body, apr_pstrcat(pool, "\r\n", login, "\r\n",
                                             NULL)));
    assert_non_null(strstr(body, "Passwort vergessen"));
    assert_non_null(strstr(body, "ignorieren"));
    assert_non_null(strstr(body, "nichts ge\xc3\xa4ndert"));
    assert_non_null(strstr(body, "Mit freundlichen Gr\xc3\xbc\xc3\x9f" "en"
                                 "\r\nIhr Jobcenter\r\n"));
    assert_non_null(strstr(body, "Bitte antworten Sie nicht auf diese "
                                 "E-Mail"));
    /* no confirmation link in this mail */
    assert_null(strstr(body, "token="));
}

/* ---- addresses ---------------------------------------------------------- */

static void test_address_valid_good(void **state)
{
    static const char *const good[] = {
        "max@example.org",
        "a@bc.de",
        "max.mustermann@example.org",
        "max+tag@sub.example.co.uk",
        "o'brien@example.org",
        "user_1-2@xn--bcher-kva.de",
        "M.Muster@Example.ORG",
        "1234@123.example.com",
        "x@a-b.example",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!jc_mail_address_valid(good[i])) {
            fail_msg("should be valid: %s", good[i]);
        }
    }
}

static void test_address_valid_bad(void **state)
{
    static const char *const bad[] = {
        "", "a", "a@", "@example.org", "max", "max@", "max@example",
        "max@localhost", "max@@example.org", "max@exa@mple.org",
        "ma x@example.org", "max@exa mple.org", " max@example.org",
        "max@example.org ", "max@-example.org", "max@example-.org",
        "max@example.o", "max@example..org", "max@.example.org",
        "max@example.org.", "\"max\"@example.org", "<max@example.org>",
        "max(x)@example.org", "max,y@example.org", "max;y@example.org",
        "max:y@example.org", "max\\y@example.org", "max[1]@example.org",
        "max@example.123", "m\xc3\xa4x@example.org",
        "max@ex\xc3\xa4mple.org", "max@exa_mple.org", ".max@example.org",
        "max.@example.org", "ma..x@example.org", "max@example.org\r\n",
        "max\t@example.org", "max@[127.0.0.1]",
    };
    char local65[80], big[100], label64[100];
    const char *addr;
    size_t i;

    (void)state;
    assert_false(jc_mail_address_valid(NULL));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (jc_mail_address_valid(bad[i])) {
            fail_msg("should be invalid: %s", bad[i]);
        }
    }
    /* local part 64 ok, 65 not */
    memset(local65, 'a', 64);
    strcpy(local65 + 64, "@example.org");
    assert_true(jc_mail_address_valid(local65));
    memset(local65, 'a', 65);
    strcpy(local65 + 65, "@example.org");
    assert_false(jc_mail_address_valid(local65));
    /* label 63 ok, 64 not */
    memset(label64, 'b', 63);
    strcpy(label64 + 63, ".de");
    assert_true(jc_mail_address_valid(apr_pstrcat(pool, "a@", label64,
                                                  NULL)));
    memset(label64, 'b', 64);
    strcpy(label64 + 64, ".de");
    assert_false(jc_mail_address_valid(apr_pstrcat(pool, "a@", label64,
                                                   NULL)));
    /* total 254 ok, 255 not: "a@" + 3 x (63 + ".") + 60 = 254 */
    memset(label64, 'c', 63);
    label64[63] = '\0';
    memset(big, 'd', 61);
    big[60] = '\0';
    addr = apr_pstrcat(pool, "a@", label64, ".", label64, ".", label64, ".",
                       big, NULL);
    assert_int_equal(strlen(addr), 254);
    assert_true(jc_mail_address_valid(addr));
    addr = apr_pstrcat(pool, addr, "d", NULL);
    assert_false(jc_mail_address_valid(addr));
}

static void test_addr_only(void **state)
{
    static const char bare[] = "max@example.org";

    (void)state;
    assert_string_equal(jc_mail_addr_only(FROM, pool), "noreply@localhost");
    assert_string_equal(jc_mail_addr_only("<a@b.de>", pool), "a@b.de");
    assert_string_equal(jc_mail_addr_only("\"Max, M.\" <max@example.org>",
                                          pool), "max@example.org");
    assert_ptr_equal(jc_mail_addr_only(bare, pool), bare);
    assert_string_equal(jc_mail_addr_only("Max <broken", pool),
                        "Max <broken");
    assert_null(jc_mail_addr_only(NULL, pool));
}

/* ---- spool -------------------------------------------------------------- */

static void test_spool_write(void **state)
{
    char *dir = unit_tmpdir(TMPDIR), *names, *path, *content;
    jc_mail_t *m;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    struct stat st;

    (void)state;
    m = jc_mail_confirm(FROM, RCPT, LINK, T0, pool);
    assert_non_null(m);
    assert_int_equal(jc_mail_spool_write(dir, "msg-1_A", m->data, pool),
                     APR_SUCCESS);
    assert_int_equal(list_dir(dir, &names), 1);
    assert_string_equal(names, "msg-1_A.eml");

    path = apr_pstrcat(pool, dir, "/msg-1_A.eml", NULL);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(apr_stat(&fi, path, APR_FINFO_SIZE, pool), APR_SUCCESS);
    assert_int_equal((size_t)fi.size, strlen(m->data));
    assert_int_equal(apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT,
                                   pool), APR_SUCCESS);
    content = apr_pcalloc(pool, (apr_size_t)fi.size + 1);
    assert_int_equal(apr_file_read_full(f, content, (apr_size_t)fi.size, &n),
                     APR_SUCCESS);
    apr_file_close(f);
    assert_string_equal(content, m->data);

    /* a second message: two files, still no temp files */
    assert_int_equal(jc_mail_spool_write(dir, "msg-2", "x\r\n", pool),
                     APR_SUCCESS);
    assert_int_equal(list_dir(dir, &names), 2);
    assert_null(strstr(names, ".tmp-"));
    unit_rm_tmpdir(dir);
}

static void test_spool_replace(void **state)
{
    char *dir = unit_tmpdir(TMPDIR), *names;
    apr_finfo_t fi;

    (void)state;
    assert_int_equal(jc_mail_spool_write(dir, "same", "first\r\n", pool),
                     APR_SUCCESS);
    assert_int_equal(jc_mail_spool_write(dir, "same", "2\r\n", pool),
                     APR_SUCCESS);
    assert_int_equal(list_dir(dir, &names), 1);
    assert_string_equal(names, "same.eml");
    assert_int_equal(apr_stat(&fi, apr_pstrcat(pool, dir, "/same.eml", NULL),
                              APR_FINFO_SIZE, pool), APR_SUCCESS);
    assert_int_equal(fi.size, 3);
    unit_rm_tmpdir(dir);
}

static void test_spool_missing_dir(void **state)
{
    char *dir = unit_tmpdir(TMPDIR), *names;
    char *missing = apr_pstrcat(pool, dir, "/does-not-exist", NULL);

    (void)state;
    assert_int_not_equal(jc_mail_spool_write(missing, "msg", "x\r\n", pool),
                         APR_SUCCESS);
    assert_int_equal(list_dir(dir, &names), 0);
    unit_rm_tmpdir(dir);
}

static void test_spool_bad_name(void **state)
{
    static const char *const bad[] = {
        "", "../x", "a/b", "a.b", "a b", ".tmp-x", "x\n", "\xc3\xa4",
    };
    char *dir = unit_tmpdir(TMPDIR), *names;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(jc_mail_spool_write(dir, bad[i], "x", pool),
                         APR_EINVAL);
    }
    assert_int_equal(jc_mail_spool_write(dir, NULL, "x", pool), APR_EINVAL);
    assert_int_equal(jc_mail_spool_write(NULL, "x", "x", pool), APR_EINVAL);
    assert_int_equal(jc_mail_spool_write(dir, "x", NULL, pool), APR_EINVAL);
    assert_int_equal(list_dir(dir, &names), 0);
    unit_rm_tmpdir(dir);
}

/* ---- SMTP --------------------------------------------------------------- */

static void test_smtp_closed_port(void **state)
{
    jc_smtp_t smtp = { 0 };
    const char *err = NULL;
    jc_mail_t *m;

    (void)state;
    smtp.url = "smtp://127.0.0.1:1";
    smtp.from_addr = "noreply@localhost";
    smtp.timeout_sec = 5;
    m = jc_mail_confirm(FROM, RCPT, LINK, T0, pool);
    assert_non_null(m);
    assert_int_equal(jc_mail_smtp_send(&smtp, m->rcpt, m->data, &err, pool),
                     APR_EGENERAL);
    assert_non_null(err);
    assert_true(strlen(err) > 0);
}

static void test_smtp_closed_port_starttls(void **state)
{
    jc_smtp_t smtp = { 0 };
    const char *err = NULL;

    (void)state;
    smtp.url = "smtp://127.0.0.1:1";
    smtp.from_addr = "noreply@localhost";
    smtp.starttls = 2;
    smtp.user = "user";
    smtp.password = "secret";
    smtp.timeout_sec = 5;
    assert_int_equal(jc_mail_smtp_send(&smtp, RCPT, "x\r\n", &err, pool),
                     APR_EGENERAL);
    assert_non_null(err);
    assert_true(strlen(err) > 0);
}

static void test_smtp_only_smtp_urls(void **state)
{
    /* A misconfigured URL must not turn the upload into a file write. */
    char *dir = unit_tmpdir(TMPDIR), *names;
    jc_smtp_t smtp = { 0 };
    const char *err = NULL;

    (void)state;
    smtp.url = apr_pstrcat(pool, "file://", dir, "/out", NULL);
    smtp.from_addr = "noreply@localhost";
    smtp.timeout_sec = 5;
    assert_int_equal(jc_mail_smtp_send(&smtp, RCPT, "x\r\n", &err, pool),
                     APR_EGENERAL);
    assert_non_null(err);
    assert_int_equal(list_dir(dir, &names), 0);
    unit_rm_tmpdir(dir);
}

static void test_smtp_bad_envelope(void **state)
{
    jc_smtp_t smtp = { 0 };
    const char *err = NULL;

    (void)state;
    smtp.url = "smtp://127.0.0.1:1";
    smtp.from_addr = "noreply@localhost";
    assert_int_equal(jc_mail_smtp_send(&smtp, RCPT "\r\nRCPT TO:<x@y.de>",
                                       "x", &err, pool), APR_EINVAL);
    assert_non_null(err);
    smtp.from_addr = "a>\r\nRCPT TO:<x@y.de";
    assert_int_equal(jc_mail_smtp_send(&smtp, RCPT, "x", &err, pool),
                     APR_EINVAL);
    assert_int_equal(jc_mail_smtp_send(NULL, RCPT, "x", &err, pool),
                     APR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compose_crlf_only),
        cmocka_unit_test(test_compose_headers),
        cmocka_unit_test(test_compose_date),
        cmocka_unit_test(test_compose_message_id),
        cmocka_unit_test(test_compose_body_base64),
        cmocka_unit_test(test_compose_body_newlines),
        cmocka_unit_test(test_compose_subject_long),
        cmocka_unit_test(test_compose_subject_plain_ascii),
        cmocka_unit_test(test_compose_rejects_injection),
        cmocka_unit_test(test_compose_rejects_bad_input),
        cmocka_unit_test(test_confirm),
        cmocka_unit_test(test_already_registered),
        cmocka_unit_test(test_address_valid_good),
        cmocka_unit_test(test_address_valid_bad),
        cmocka_unit_test(test_addr_only),
        cmocka_unit_test(test_spool_write),
        cmocka_unit_test(test_spool_replace),
        cmocka_unit_test(test_spool_missing_dir),
        cmocka_unit_test(test_spool_bad_name),
        cmocka_unit_test(test_smtp_closed_port),
        cmocka_unit_test(test_smtp_closed_port_starttls),
        cmocka_unit_test(test_smtp_only_smtp_urls),
        cmocka_unit_test(test_smtp_bad_envelope),
    };

    return cmocka_run_group_tests_name("jc_mail", tests,
                                       unit_curl_group_setup,
                                       unit_curl_group_teardown);
}

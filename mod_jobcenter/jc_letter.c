/* PDF letters (DIN 5008 form B): the Freischaltcode letter and the two
 * one-time-credential letters (see jc_letter.h), drawn with the shared
 * layout of jc_pdf.c. Core: no httpd headers. */

#include "jc_letter.h"
#include "jc_pdf.h"
#include "jc_qr.h"

#include <string.h>

#include <apr_strings.h>

static int jc_chk_head(const jc_letter_head_t *h, apr_pool_t *p,
                       const char **err)
{
    int i;

    if (h == NULL) {
        *err = "letter: head missing";
        return -1;
    }
    if (jc_pdf_chk(h->jc_name, 1, "jc_name", p, err)
        || jc_pdf_chk(h->jc_street, 0, "jc_street", p, err)
        || jc_pdf_chk(h->jc_city, 0, "jc_city", p, err)
        || jc_pdf_chk(h->jc_phone, 0, "jc_phone", p, err)
        || jc_pdf_chk(h->kundennummer, 0, "kundennummer", p, err)
        || (h->login_url != NULL
            && jc_pdf_chk_ascii(h->login_url, JC_LETTER_URL_MAX, "login_url",
                                p, err))
        || (h->info_url != NULL
            && jc_pdf_chk_ascii(h->info_url, JC_LETTER_URL_MAX, "info_url",
                                p, err))
        || (h->hearing_url != NULL
            && jc_pdf_chk_ascii(h->hearing_url, JC_LETTER_URL_MAX,
                                "hearing_url", p, err))
        || jc_pdf_chk(h->service_phone, 0, "service_phone", p, err)) {
        return -1;
    }
    if (h->recipient[0] == NULL || h->recipient[0][0] == '\0') {
        *err = "letter: recipient missing";
        return -1;
    }
    for (i = 0; i < 6 && h->recipient[i] != NULL; i++) {
        if (jc_pdf_chk(h->recipient[i], 0, "recipient line", p, err)) {
            return -1;
        }
    }
    return 0;
}

static const char *jc_footer_line(const char *name, const char *street,
                                  const char *city, const char *phone,
                                  apr_pool_t *p)
{
    const char *s = name;

    if (street != NULL && *street) {
        s = apr_pstrcat(p, s, " \xc2\xb7 ", street, NULL);
    }
    if (city != NULL && *city) {
        s = apr_pstrcat(p, s, " \xc2\xb7 ", city, NULL);
    }
    if (phone != NULL && *phone) {
        s = apr_pstrcat(p, s, " \xc2\xb7 Telefon ", phone, NULL);
    }
    return s;
}

/* Letterhead, sender line, address window, info block, subject
 * (DIN 5008 form B); leaves the cursor below the subject. */
static void jc_letter_head(jc_pdf_lay_t *L, const jc_letter_head_t *h,
                           const char *subject)
{
    char date[11];
    const char *line;
    HPDF_REAL y_addr, y_info;
    int i;

    L->footer = jc_letter_cp1252(jc_footer_line(h->jc_name, h->jc_street,
                                                h->jc_city, h->jc_phone,
                                                L->p), L->p);
    /* letterhead (top 45 mm) */
    /* every field is clipped to its area: long input cannot push the
     * letter around */
    L->y = FROM_TOP(15);
    jc_pdf_lines(L, L->bold, 15, 18, COL_LEFT, COL_RIGHT - COL_LEFT,
                 h->jc_name, FROM_TOP(42));
    /* sender line at the top of the window (20 mm left, 45 mm down) */
    line = jc_footer_line(h->jc_name, h->jc_street, h->jc_city, NULL, L->p);
    L->y = FROM_TOP(45) - MM(3);
    jc_pdf_lines(L, L->reg, 7, 8, MM(25), MM(75), line, FROM_TOP(45 + 17));
    jc_pdf_hline(L, MM(25), MM(100), L->y - 1.5f, 0.3f, 0.0f);
    /* address: the Anschriftzone starts 17.7 mm into the window */
    L->y = FROM_TOP(45 + 17.7);
    for (i = 0; i < 6 && h->recipient[i] != NULL; i++) {
        jc_pdf_lines(L, L->reg, BODY_SIZE, 12, MM(25), MM(75), h->recipient[i],
                     FROM_TOP(90));
    }
    y_addr = L->y;
    /* info block: 125 mm from the left, 50 mm down */
    L->y = FROM_TOP(50);
    if (h->kundennummer != NULL && *h->kundennummer) {
        jc_pdf_lines(L, L->reg, 9, 12, MM(125), MM(65),
                     apr_pstrcat(L->p, "Kundennummer: ", h->kundennummer, NULL),
                     FROM_TOP(94));
    }
    jc_date_de(h->date, date);
    jc_pdf_lines(L, L->reg, 9, 12, MM(125), MM(65),
                 apr_pstrcat(L->p, "Datum: ", date, NULL), FROM_TOP(94));
    if (h->jc_phone != NULL && *h->jc_phone) {
        jc_pdf_lines(L, L->reg, 9, 12, MM(125), MM(65),
                     apr_pstrcat(L->p, "Telefon: ", h->jc_phone, NULL),
                     FROM_TOP(94));
    }
    y_info = L->y;
    /* subject two lines below the window (98.5 mm) */
    L->y = FROM_TOP(98.5);
    if (y_addr < L->y) {
        L->y = y_addr - BODY_LEAD;
    }
    if (y_info < L->y) {
        L->y = y_info - BODY_LEAD;
    }
    jc_pdf_para_at(L, L->bold, 11, 14, COL_LEFT, COL_RIGHT - COL_LEFT, subject);
    L->y -= 2 * PARA_GAP;
}

static void jc_closing(jc_pdf_lay_t *L, const char *jc_name)
{
    jc_pdf_need(L, 4 * BODY_LEAD);
    L->y -= PARA_GAP;
    jc_pdf_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
                   COL_RIGHT - COL_LEFT, "Mit freundlichen Grüßen");
    jc_pdf_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
                   COL_RIGHT - COL_LEFT, apr_pstrcat(L->p, "Ihr ", jc_name,
                                                      NULL));
}

/* A value set large in Courier-Bold (wrapped by characters if long) */
static void jc_big_value(jc_pdf_lay_t *L, HPDF_REAL x, const char *utf8)
{
    jc_pdf_para_at(L, L->mono_bold, 16, 22, x, COL_RIGHT - x, utf8);
}

/* The QR code of text (printable ASCII), dark modules as filled
 * rectangles (horizontal runs), with its quiet zone, top left at (x, top);
 * side = the whole symbol incl. quiet zone. 0 or -1. */
static int jc_draw_qr(jc_pdf_lay_t *L, const char *text, HPDF_REAL x,
                      HPDF_REAL top, HPDF_REAL *side)
{
    jc_qr_t *qr;
    HPDF_REAL m;
    int n, r, c;

    if (jc_qr_encode(&qr, text, L->p) != APR_SUCCESS) {
        return -1;
    }
    n = qr->width + 2 * JC_QR_QUIET;
    /* at least 0.6 mm a module, at least 35 mm in all */
    m = MM(0.6);
    if (m * (HPDF_REAL)n < MM(35)) {
        m = MM(35) / (HPDF_REAL)n;
    }
    *side = m * (HPDF_REAL)n;
    HPDF_Page_SetGrayFill(L->page, 1.0f);
    HPDF_Page_Rectangle(L->page, x, top - *side, *side, *side);
    HPDF_Page_Fill(L->page);
    HPDF_Page_SetGrayFill(L->page, 0.0f);
    for (r = 0; r < qr->width; r++) {
        const unsigned char *row = qr->dark + (size_t)r * (size_t)qr->width;
        /* row 0 is the top row: PDF y grows upwards */
        HPDF_REAL y = top - (HPDF_REAL)(JC_QR_QUIET + r + 1) * m;

        for (c = 0; c < qr->width; c++) {
            int run = 0;

            while (c + run < qr->width && row[c + run]) {
                run++;
            }
            if (run > 0) {
                HPDF_Page_Rectangle(L->page,
                                    x + (HPDF_REAL)(JC_QR_QUIET + c) * m, y,
                                    (HPDF_REAL)run * m, m);
                c += run;
            }
        }
    }
    HPDF_Page_Fill(L->page);
    L->fresh = 0;
    return 0;
}

/* A letter's document with its head (jc_letter_head): 0, or -1 with
 * *err and the document freed. */
static int jc_letter_start(jc_pdf_lay_t *L, apr_pool_t *p,
                           const jc_letter_head_t *h, const char *subject,
                           const char **err)
{
    if (jc_pdf_begin(L, p, 1, subject, h->jc_name) != 0) {
        if (L->doc != NULL) {
            HPDF_Free(L->doc);
        }
        *err = "letter: libhpdf could not start a document";
        return -1;
    }
    jc_letter_head(L, h, subject);
    return 0;
}

/* The QR code of qr_url on the left, the code large to its right; kept
 * together on one page. 0, or -1 with *err and the document freed. */
static int jc_fsc_code_block(jc_pdf_lay_t *L, const jc_qr_t *probe,
                             const char *qr_url, const char *code_grouped,
                             const char **err)
{
    HPDF_REAL side, top, x;
    int n = probe->width + 2 * JC_QR_QUIET;

    jc_pdf_need(L, (n * 0.6 > 35 ? MM(n * 0.6) : MM(35)) + MM(4));
    top = L->y - MM(1);
    x = COL_LEFT + MM(6) - MM(2);
    if (jc_draw_qr(L, qr_url, x, top, &side) != 0) {
        HPDF_Free(L->doc);
        *err = "letter: drawing the QR code failed";
        return -1;
    }
    L->y = top - MM(8);
    jc_pdf_para_at(L, L->reg, 9, 12, x + side + MM(6), MM(80),
                   "Ihr Freischaltcode:");
    jc_big_value(L, x + side + MM(6), code_grouped);
    if (L->y > top - side) {
        L->y = top - side;
    }
    L->y -= PARA_GAP;
    return 0;
}

/* ---- the letters ----------------------------------------------------- */

int jc_letter_freischaltcode(apr_pool_t *p, const jc_letter_head_t *h,
                             const char *code_grouped, time_t valid_until,
                             const char *qr_url, const char **pdf,
                             apr_size_t *len, const char **err)
{
    static const char subject[] =
        "Freischaltcode für Online-Angebote der Bundesagentur für Arbeit";
    jc_pdf_lay_t L;
    jc_qr_t *probe;
    char until[11];

    *err = NULL;
    if (p == NULL || pdf == NULL || len == NULL) {
        *err = "letter: bad arguments";
        return -1;
    }
    if (jc_chk_head(h, p, err)
        || jc_pdf_chk_ascii(code_grouped, JC_LETTER_CODE_MAX, "code", p, err)
        || jc_pdf_chk_ascii(qr_url, JC_LETTER_URL_MAX, "qr_url", p, err)) {
        return -1;
    }
    if (jc_qr_encode(&probe, qr_url, p) != APR_SUCCESS) {
        *err = "letter: qr_url cannot be encoded as a QR code";
        return -1;
    }
    if (jc_letter_start(&L, p, h, subject, err) != 0) {
        return -1;
    }
    jc_pdf_para(&L, L.reg, "Guten Tag,");
    jc_pdf_para(&L, L.reg,
        "mit dem Freischaltcode legen Sie ein Profil in Ihrem Konto an. "
        "Mit einem Profil können Sie profilbezogene Online-Angebote der "
        "Bundesagentur für Arbeit und Ihres Jobcenters nutzen. Gehen Sie "
        "dazu wie folgt vor:");
    jc_pdf_step(&L, "1.",
        "Scannen Sie den nachfolgenden QR-Code mit Ihrem Smartphone oder "
        "öffnen Sie den Link");
    L.y += PARA_GAP / 2;
    jc_pdf_para_at(&L, L.mono, 9, BODY_LEAD, COL_LEFT + MM(6),
                   COL_RIGHT - COL_LEFT - MM(6), qr_url);

    if (jc_fsc_code_block(&L, probe, qr_url, code_grouped, err) != 0) {
        return -1;
    }

    jc_pdf_step(&L, "2.",
        "Melden Sie sich an Ihrem bestehenden Konto an oder registrieren "
        "Sie ein neues Konto, falls Sie noch kein Konto besitzen.");
    jc_pdf_step(&L, "3.",
        "Falls der Code nicht vorbelegt ist, geben Sie den oben stehenden "
        "Freischaltcode unter „eServices freischalten“ ein. Der "
        "Freischaltcode besteht aus Zahlen und Großbuchstaben.");
    jc_pdf_step(&L, "4.",
        "Bestätigen Sie die Eingabe. Beachten Sie eine mögliche "
        "Fehleranzeige!");
    jc_pdf_step(&L, "5.",
        "Ihr Profil wird automatisch angelegt und für Sie ausgewählt.");
    L.y -= PARA_GAP / 2;
    jc_pdf_para(&L, L.reg,
        "Beachten Sie: Sie können über das Menü Profil > Profil wechseln "
        "das Profil wählen. Dort können Sie auch weitere Profile anlegen. "
        "Das Anlegen von mehreren Personenprofilen der Agentur für Arbeit / "
        "Jobcenter im selben Konto ist nicht möglich. Jeder Personenkunde "
        "benötigt sein eigenes Konto.");
    jc_date_de(valid_until, until);
    jc_pdf_para(&L, L.bold, apr_pstrcat(p,
        "Der Freischaltcode ist gültig bis zum: ", until, NULL));
    jc_closing(&L, h->jc_name);
    return jc_pdf_end(&L, 0, pdf, len, err);
}

/* Where and how to sign in with the credentials, and the service
 * lines the operator configured. */
static void jc_credential_sign_in(jc_pdf_lay_t *L, const jc_letter_head_t *h)
{
    if (h->login_url != NULL) {
        jc_pdf_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
                       COL_RIGHT - COL_LEFT,
                       "Auf dieser Seite können Sie sich anmelden:");
        jc_pdf_para_at(L, L->mono, 9, BODY_LEAD, COL_LEFT + MM(6),
                       COL_RIGHT - COL_LEFT - MM(6), h->login_url);
        L->y -= PARA_GAP;
        jc_pdf_para(L, L->reg,
            "Nach der Anmeldung werden Sie aufgefordert, den Benutzernamen "
            "und das Passwort zu ändern.");
    }
    else {
        jc_pdf_para(L, L->reg,
            "Melden Sie sich mit den Einmal-Zugangsdaten bei "
            "Jobcenter.Digital an. Nach der Anmeldung werden Sie "
            "aufgefordert, den Benutzernamen und das Passwort zu ändern.");
    }
    if (h->service_phone && *h->service_phone) {
        jc_pdf_para(L, L->reg, apr_pstrcat(L->p, "Ihre Fragen rund um Ihr "
            "Konto beantworten wir gern telefonisch: Servicenummer: ",
            h->service_phone, NULL));
    }
    if (h->hearing_url && *h->hearing_url) {
        jc_pdf_para(L, L->reg, apr_pstrcat(L->p, "Hinweis: Informationen "
            "zu unserem Servicetelefon für Menschen mit Hörbeeinträchtigungen "
            "finden Sie auf folgender Seite: ", h->hearing_url, NULL));
    }
}

int jc_letter_credential(apr_pool_t *p, const jc_letter_head_t *h, int part,
                         const char *value, time_t valid_until,
                         const char **pdf, apr_size_t *len, const char **err)
{
    static const char subject[] =
        "Zugangsdaten für Ihr Konto bei der Bundesagentur für Arbeit";
    jc_pdf_lay_t L;
    char until[11];
    const char *c;

    *err = NULL;
    if (p == NULL || pdf == NULL || len == NULL) {
        *err = "letter: bad arguments";
        return -1;
    }
    if (part != 1 && part != 2) {
        *err = "letter: part must be 1 (username) or 2 (password)";
        return -1;
    }
    if (jc_chk_head(h, p, err) || jc_pdf_chk(value, 1, "value", p, err)) {
        return -1;
    }
    for (c = value; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *err = "letter: value contains control characters";
            return -1;
        }
    }
    if (jc_letter_start(&L, p, h, subject, err) != 0) {
        return -1;
    }
    jc_pdf_para(&L, L.reg, "Guten Tag,");
    jc_pdf_para(&L, L.reg,
        "Ihre bisherigen Zugangsdaten (Benutzername und Passwort) für Ihr "
        "Konto bei der Bundesagentur für Arbeit wurden zurückgesetzt.");
    jc_pdf_para(&L, L.reg,
        "Haben Sie mehrere Schreiben angefordert oder erhalten? Dann gilt "
        "immer nur der neueste Brief. Ältere angeforderte "
        "Einmal-Zugangsdaten verlieren auch ihre Gültigkeit.");
    jc_pdf_para(&L, L.reg,
        "Falls Sie zur zusätzlichen Absicherung Ihres Kontos einen zweiten "
        "Faktor (App-Code/TOTP-Verfahren) oder Passkeys eingerichtet "
        "hatten, wurden diese ebenfalls zurückgesetzt und müssen erneut "
        "eingerichtet werden.");
    jc_pdf_para(&L, L.reg, apr_pstrcat(p,
        "Wichtig: Bitte entfernen Sie vor der Neueinrichtung zuerst "
        "veraltete TOTP-Codes und Passkeys von Ihren Geräten, "
        "gegebenenfalls auch aus Ihrem Passwort-Manager.",
        h->info_url && *h->info_url ? " Weitere Informationen finden Sie "
        "unter " : "", h->info_url && *h->info_url ? h->info_url : "",
        h->info_url && *h->info_url ? "." : "", NULL));
    jc_pdf_need(&L, 3 * BODY_LEAD + 22);
    jc_pdf_para(&L, L.reg, part == 1
        ? "Bitte nutzen Sie für die nächste Anmeldung diesen Benutzernamen:"
        : "Bitte nutzen Sie für die nächste Anmeldung dieses Passwort:");
    jc_big_value(&L, COL_LEFT + MM(6), value);
    L.y -= PARA_GAP;
    jc_pdf_para(&L, L.reg, part == 1
        ? "Ein Passwort erhalten Sie in einem anderen Schreiben."
        : "Einen Benutzernamen erhalten Sie in einem anderen Schreiben.");
    jc_date_de(valid_until, until);
    jc_pdf_para(&L, L.bold, apr_pstrcat(p,
        "Die Einmal-Zugangsdaten sind gültig bis zum: ", until, NULL));
    jc_credential_sign_in(&L, h);
    jc_closing(&L, h->jc_name);
    return jc_pdf_end(&L, 0, pdf, len, err);
}

/* The upload receipt "Bestätigung über den Eingang Ihrer Dokumente"
 * (see jc_letter.h, jc_receipt_pdf), drawn with the shared layout of
 * jc_pdf.c. Core: no httpd headers. */

#include "jc_letter.h"
#include "jc_pdf.h"

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

/* label in bold at the column's left, value wrapped beside it */
static void jc_kv(jc_pdf_lay_t *L, const char *label, const char *value)
{
    HPDF_REAL y0;

    jc_pdf_need(L, BODY_LEAD);
    y0 = L->y;
    jc_pdf_para_at(L, L->bold, BODY_SIZE, BODY_LEAD, COL_LEFT, MM(45), label);
    L->y = y0;
    jc_pdf_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT + MM(48),
                   COL_RIGHT - COL_LEFT - MM(48), value);
}

#define FT_NR    COL_LEFT
#define FT_NAME  (COL_LEFT + MM(10))
#define FT_SIZE  (COL_LEFT + MM(112))
#define FT_LEAD  12.0f

static void jc_file_table_head(jc_pdf_lay_t *L)
{
    jc_pdf_need(L, 2 * FT_LEAD);
    jc_pdf_text(L, L->bold, 9, FT_NR, L->y - FT_LEAD * 0.75f, "Nr.", 3);
    jc_pdf_text(L, L->bold, 9, FT_NAME, L->y - FT_LEAD * 0.75f, "Datei", 5);
    jc_pdf_text(L, L->bold, 9, FT_SIZE, L->y - FT_LEAD * 0.75f,
                "Gr\xf6\xdf" "e", 5);
    L->y -= FT_LEAD;
    jc_pdf_hline(L, COL_LEFT, COL_RIGHT, L->y - 1, 0.6f, 0.0f);
    L->y -= 4;
}

static void jc_file_row(jc_pdf_lay_t *L, int nr, const jc_receipt_file_t *f)
{
    apr_array_header_t *name, *size;
    const char *sz = jc_pdf_size_de(f->size, L->p), *paren;
    char hex[65];
    int i, rows, pages;

    for (i = 0; i < 64; i++) {
        hex[i] = (char)((f->sha256_hex[i] >= 'A' && f->sha256_hex[i] <= 'F')
                        ? f->sha256_hex[i] + ('a' - 'A') : f->sha256_hex[i]);
    }
    hex[64] = '\0';
    name = jc_pdf_wrap(L, L->reg, 9, FT_SIZE - FT_NAME - MM(3),
                       jc_letter_cp1252(f->name, L->p));
    /* "1,6 MB" over "(1.572.864 Bytes)" */
    paren = strchr(sz, '(');
    size = apr_array_make(L->p, 2, sizeof(jc_pdf_line_t));
    if (paren != NULL) {
        jc_pdf_line_t *a = apr_array_push(size), *b = apr_array_push(size);

        a->s = sz;
        a->n = (size_t)(paren - sz - 1);
        b->s = paren;
        b->n = strlen(paren);
    }
    else {
        jc_pdf_line_t *a = apr_array_push(size);

        a->s = sz;
        a->n = strlen(sz);
    }
    rows = name->nelts > size->nelts ? name->nelts : size->nelts;
    pages = L->pages->nelts;
    jc_pdf_need(L, (HPDF_REAL)(rows + 1) * FT_LEAD + 6);
    if (L->pages->nelts != pages) {
        jc_file_table_head(L);
    }
    for (i = 0; i < rows; i++) {
        HPDF_REAL base;

        pages = L->pages->nelts;
        jc_pdf_need(L, FT_LEAD);
        if (L->pages->nelts != pages) {
            jc_file_table_head(L);
        }
        base = L->y - FT_LEAD * 0.75f;
        if (i == 0) {
            const char *n = apr_itoa(L->p, nr);

            jc_pdf_text(L, L->reg, 9, FT_NR, base, n, strlen(n));
        }
        if (i < name->nelts) {
            jc_pdf_line_t *ln = &APR_ARRAY_IDX(name, i, jc_pdf_line_t);

            jc_pdf_text(L, L->reg, 9, FT_NAME, base, ln->s, ln->n);
        }
        if (i < size->nelts) {
            jc_pdf_line_t *ln = &APR_ARRAY_IDX(size, i, jc_pdf_line_t);

            jc_pdf_text(L, L->reg, 9, FT_SIZE, base, ln->s, ln->n);
        }
        L->y -= FT_LEAD;
    }
    jc_pdf_need(L, FT_LEAD);
    jc_pdf_text(L, L->reg, 7.5f, FT_NAME, L->y - FT_LEAD * 0.75f,
                "SHA-256:", 8);
    jc_pdf_text(L, L->mono, 7.5f, FT_NAME + MM(14), L->y - FT_LEAD * 0.75f,
                hex, 64);
    L->y -= FT_LEAD;
    jc_pdf_hline(L, COL_LEFT, COL_RIGHT, L->y - 2, 0.3f, 0.6f);
    L->y -= 6;
}

/* The receipt's input within its limits: 0, or -1 with *err. */
static int jc_receipt_check(apr_pool_t *p, const jc_receipt_t *r,
                            const char **err)
{
    int i;

    if (jc_pdf_chk(r->jc_name, 1, "jc_name", p, err)
        || jc_pdf_chk(r->reference, 1, "reference", p, err)
        || jc_pdf_chk(r->area, 1, "area", p, err)
        || jc_pdf_chk(r->message, 0, "message", p, err)
        || jc_pdf_chk(r->verify_code, 1, "verify_code", p, err)
        || jc_pdf_chk_ascii(r->verify_url, JC_LETTER_URL_MAX, "verify_url",
                            p, err)) {
        return -1;
    }
    if (r->nfiles < 1 || r->nfiles > JC_LETTER_FILES_MAX || r->files == NULL) {
        *err = apr_psprintf(p, "receipt: %d files (1..%d allowed)",
                            r->nfiles, JC_LETTER_FILES_MAX);
        return -1;
    }
    if (r->message != NULL) {
        const unsigned char *m = (const unsigned char *)r->message;
        size_t cps = 0;

        for (; *m; m++) {
            cps += (*m & 0xC0) != 0x80;
        }
        if (cps > JC_LETTER_MSG_MAX) {
            *err = apr_psprintf(p, "receipt: message longer than %d "
                                "characters", JC_LETTER_MSG_MAX);
            return -1;
        }
    }
    for (i = 0; i < r->nfiles; i++) {
        const jc_receipt_file_t *f = &r->files[i];
        int k;

        if (jc_pdf_chk(f->name, 1, "file name", p, err)) {
            return -1;
        }
        for (k = 0; f->sha256_hex != NULL && k < 64; k++) {
            if (!apr_isxdigit(f->sha256_hex[k])) {
                break;
            }
        }
        if (f->sha256_hex == NULL || k != 64 || f->sha256_hex[64] != '\0') {
            *err = apr_psprintf(p, "receipt: file %d: sha256_hex is not 64 "
                                "hex digits", i + 1);
            return -1;
        }
    }
    return 0;
}

/* Heading, the confirmation sentence and the submission's key values. */
static void jc_receipt_head(jc_pdf_lay_t *L, const jc_receipt_t *r,
                            const char *title)
{
    apr_pool_t *p = L->p;
    char date[11], hm[6];

    L->footer = jc_letter_cp1252(apr_pstrcat(p, r->jc_name,
        " \xc2\xb7 Eingangsbest\xc3\xa4tigung ", r->reference, NULL), p);
    L->y = FROM_TOP(15);
    jc_pdf_para_at(L, L->bold, 15, 18, COL_LEFT, COL_RIGHT - COL_LEFT,
                   r->jc_name);
    L->y -= MM(8);
    jc_pdf_para_at(L, L->bold, 14, 18, COL_LEFT, COL_RIGHT - COL_LEFT, title);
    L->y -= PARA_GAP;
    jc_date_de(r->at, date);
    jc_pdf_time_de(r->at, hm);
    jc_pdf_para(L, L->reg, apr_pstrcat(p, "Ihre Dokumente wurden am ", date,
        " um ", hm, " Uhr an ", r->jc_name, " übermittelt. Ihre Dokumente "
        "werden schnellstmöglich geprüft und bearbeitet.", NULL));
    jc_kv(L, "Jobcenter", r->jc_name);
    jc_kv(L, "Eingegangen am", apr_pstrcat(p, date, ", ", hm, " Uhr",
                                            NULL));
    jc_kv(L, "Vorgangsnummer", r->reference);
    jc_kv(L, "Bereich", r->area);
    jc_kv(L, "Anzahl Dokumente", apr_itoa(p, r->nfiles));
    L->y -= 2 * PARA_GAP;
}

int jc_receipt_pdf(apr_pool_t *p, const jc_receipt_t *r, const char **pdf,
                   apr_size_t *len, const char **err)
{
    static const char title[] = "Bestätigung über den Eingang Ihrer Dokumente";
    jc_pdf_lay_t L;
    int i;

    *err = NULL;
    if (p == NULL || pdf == NULL || len == NULL || r == NULL) {
        *err = "receipt: bad arguments";
        return -1;
    }
    if (jc_receipt_check(p, r, err) != 0) {
        return -1;
    }
    if (jc_pdf_begin(&L, p, 0, title, r->jc_name) != 0) {
        if (L.doc != NULL) {
            HPDF_Free(L.doc);
        }
        *err = "receipt: libhpdf could not start a document";
        return -1;
    }
    jc_receipt_head(&L, r, title);
    jc_pdf_need(&L, 5 * FT_LEAD);
    jc_pdf_para(&L, L.bold, "Übermittelte Dokumente");
    jc_file_table_head(&L);
    for (i = 0; i < r->nfiles; i++) {
        jc_file_row(&L, i + 1, &r->files[i]);
    }
    L.y -= PARA_GAP;
    jc_pdf_para_at(&L, L.reg, 8, 10, COL_LEFT, COL_RIGHT - COL_LEFT,
        "Der SHA-256-Wert ist der Fingerabdruck einer Datei: Stimmt er mit "
        "dem Wert Ihrer Datei überein, ist sie unverändert angekommen.");
    L.y -= 2 * PARA_GAP;
    if (r->message != NULL && *r->message) {
        jc_pdf_need(&L, 3 * BODY_LEAD);
        jc_pdf_para(&L, L.bold, "Ihre Nachricht");
        jc_pdf_para(&L, L.reg, r->message);
        L.y -= PARA_GAP;
    }
    jc_pdf_need(&L, 5 * BODY_LEAD);
    jc_pdf_para(&L, L.bold, "Prüfung dieser Bestätigung");
    jc_kv(&L, "Prüfcode", r->verify_code);
    jc_pdf_para_at(&L, L.reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
                   COL_RIGHT - COL_LEFT,
                   "Ob diese Bestätigung echt ist, können Sie mit dem "
                   "Prüfcode hier prüfen:");
    jc_pdf_para_at(&L, L.mono, 9, BODY_LEAD, COL_LEFT, COL_RIGHT - COL_LEFT,
                   r->verify_url);
    return jc_pdf_end(&L, 1, pdf, len, err);
}

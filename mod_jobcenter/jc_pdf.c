/* The PDF layout the letters and receipts share (see jc_pdf.h): a small
 * flow layout on libhpdf, the checks of their inputs and German number
 * and date formats.
 *
 * jc_pdf_lay_t holds the document, the fonts, the pages made so far and a
 * cursor (the top of the next line box, in PDF points from the bottom);
 * paragraphs are wrapped to the text width and continue on a new page
 * when the cursor would pass the bottom margin. Page numbers are drawn at
 * the end, when the number of pages is known.
 *
 * libhpdf reports errors through the handler passed to HPDF_New; the
 * first one is kept, later calls fail harmlessly, and every entry point
 * checks it before saving. The document is freed on every path. Core: no
 * httpd headers. */

#include "jc_pdf.h"
#include "jc_time.h"

#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

void jc_date_de(time_t t, char buf[11])
{
    jc_berlin_date_de((apr_int64_t)t, buf);
}

/* "%H:%M" in German time (Europe/Berlin) into buf[6] */
void jc_pdf_time_de(time_t t, char buf[6])
{
    jc_berlin_time_de((apr_int64_t)t, buf);
}

/* 1234567 -> "1.234.567" */
static const char *jc_pdf_group_de(apr_uint64_t v, apr_pool_t *p)
{
    char digits[24], out[32];
    int n, i, o = 0;

    n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            out[o++] = '.';
        }
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return apr_pstrdup(p, out);
}

/* "1,6 MB (1.572.864 Bytes)", decimal units as on the upload page */
const char *jc_pdf_size_de(apr_uint64_t v, apr_pool_t *p)
{
    static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
    long double x = (long double)v;
    char num[32], *c;
    int u = -1;

    if (v < 1000) {
        return apr_psprintf(p, "%" APR_UINT64_T_FMT " %s", v,
                            v == 1 ? "Byte" : "Bytes");
    }
    while (u < 5 && x >= 999.95L) {
        x /= 1000.0L;
        u++;
    }
    snprintf(num, sizeof(num), "%.1Lf", x);
    if ((c = strchr(num, '.')) != NULL) {
        *c = ',';
    }
    return apr_psprintf(p, "%s %s (%s Bytes)", num, unit[u],
                        jc_pdf_group_de(v, p));
}

/* 0 if s is acceptable: present when required, at most
 * JC_LETTER_STR_MAX bytes; else *err names it. */
int jc_pdf_chk(const char *s, int required, const char *what,
               apr_pool_t *p, const char **err)
{
    if (s == NULL || (required && *s == '\0')) {
        if (!required) {
            return 0;
        }
        *err = apr_psprintf(p, "letter: %s missing", what);
        return -1;
    }
    if (strnlen(s, JC_LETTER_STR_MAX + 1) > JC_LETTER_STR_MAX) {
        *err = apr_psprintf(p, "letter: %s longer than %d bytes", what,
                            JC_LETTER_STR_MAX);
        return -1;
    }
    return 0;
}

/* printable ASCII, 1..max bytes */
int jc_pdf_chk_ascii(const char *s, size_t max, const char *what,
                     apr_pool_t *p, const char **err)
{
    size_t n;

    if (s == NULL || *s == '\0') {
        *err = apr_psprintf(p, "letter: %s missing", what);
        return -1;
    }
    for (n = 0; s[n] != '\0'; n++) {
        if (n >= max) {
            *err = apr_psprintf(p, "letter: %s longer than %lu bytes", what,
                                (unsigned long)max);
            return -1;
        }
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e) {
            *err = apr_psprintf(p, "letter: %s is not printable ASCII",
                                what);
            return -1;
        }
    }
    return 0;
}

static void jc_pdf_on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no,
                            void *user_data)
{
    jc_pdf_err_t *e = user_data;

    if (e->error_no == 0) {
        e->error_no = error_no;
        e->detail_no = detail_no;
    }
}

HPDF_REAL jc_pdf_width(HPDF_Font f, HPDF_REAL size, const char *s,
                       size_t n)
{
    HPDF_TextWidth tw;

    if (n == 0) {
        return 0;
    }
    tw = HPDF_Font_TextWidth(f, (const HPDF_BYTE *)s, (HPDF_UINT)n);
    return (HPDF_REAL)tw.width * size / 1000.0f;
}

void jc_pdf_text(jc_pdf_lay_t *L, HPDF_Font f, HPDF_REAL size, HPDF_REAL x,
                 HPDF_REAL baseline, const char *s, size_t n)
{
    char buf[1024];

    if (n == 0) {
        return;
    }
    if (n >= sizeof(buf)) {
        n = sizeof(buf) - 1;   /* lines are wrapped far below this */
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    HPDF_Page_BeginText(L->page);
    HPDF_Page_SetFontAndSize(L->page, f, size);
    HPDF_Page_TextOut(L->page, x, baseline, buf);
    HPDF_Page_EndText(L->page);
    L->fresh = 0;
}

void jc_pdf_hline(jc_pdf_lay_t *L, HPDF_REAL x0, HPDF_REAL x1, HPDF_REAL y,
                  HPDF_REAL width, HPDF_REAL gray)
{
    HPDF_Page_SetLineWidth(L->page, width);
    HPDF_Page_SetGrayStroke(L->page, gray);
    HPDF_Page_MoveTo(L->page, x0, y);
    HPDF_Page_LineTo(L->page, x1, y);
    HPDF_Page_Stroke(L->page);
}

void jc_pdf_page(jc_pdf_lay_t *L)
{
    L->page = HPDF_AddPage(L->doc);
    if (L->page == NULL) {
        return;   /* error recorded; every later call fails harmlessly */
    }
    HPDF_Page_SetSize(L->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    APR_ARRAY_PUSH(L->pages, HPDF_Page) = L->page;
    if (L->letter && L->pages->nelts == 1) {
        /* fold marks at 105 and 210 mm, punch mark at 148.5 mm */
        jc_pdf_hline(L, MM(4), MM(9), FROM_TOP(105), 0.4f, 0.5f);
        jc_pdf_hline(L, MM(4), MM(9), FROM_TOP(210), 0.4f, 0.5f);
        jc_pdf_hline(L, MM(4), MM(11), FROM_TOP(148.5), 0.4f, 0.5f);
    }
    L->y = FOLLOW_TOP;
    L->fresh = 1;
}

/* Make room for h points below the cursor: a new page unless it fits or
 * the page is still empty (content taller than a page flows on). */
void jc_pdf_need(jc_pdf_lay_t *L, HPDF_REAL h)
{
    if (L->y - h < BODY_BOTTOM && !L->fresh) {
        jc_pdf_page(L);
    }
}

int jc_pdf_begin(jc_pdf_lay_t *L, apr_pool_t *p, int letter,
                 const char *title, const char *author)
{
    memset(L, 0, sizeof(*L));
    L->p = p;
    L->letter = letter;
    L->pages = apr_array_make(p, 4, sizeof(HPDF_Page));
    L->doc = HPDF_New(jc_pdf_on_error, &L->err);
    if (L->doc == NULL) {
        return -1;
    }
    HPDF_SetCompressionMode(L->doc, HPDF_COMP_ALL);
    L->reg = HPDF_GetFont(L->doc, "Helvetica", "WinAnsiEncoding");
    L->bold = HPDF_GetFont(L->doc, "Helvetica-Bold", "WinAnsiEncoding");
    L->mono = HPDF_GetFont(L->doc, "Courier", "WinAnsiEncoding");
    L->mono_bold = HPDF_GetFont(L->doc, "Courier-Bold", "WinAnsiEncoding");
    HPDF_SetInfoAttr(L->doc, HPDF_INFO_CREATOR, "mod_jobcenter");
    HPDF_SetInfoAttr(L->doc, HPDF_INFO_TITLE, jc_letter_cp1252(title, p));
    HPDF_SetInfoAttr(L->doc, HPDF_INFO_AUTHOR, jc_letter_cp1252(author, p));
    if (L->err.error_no != 0 || !L->reg || !L->bold || !L->mono
        || !L->mono_bold) {
        return -1;
    }
    jc_pdf_page(L);
    return L->err.error_no != 0 ? -1 : 0;
}

/* Wrap s (CP1252) to width w: words move to the next line whole, a word
 * wider than a line is cut by characters; '\n' ends a line. */
apr_array_header_t *jc_pdf_wrap(jc_pdf_lay_t *L, HPDF_Font f, HPDF_REAL size,
                                HPDF_REAL w, const char *s)
{
    apr_array_header_t *lines = apr_array_make(L->p, 4, sizeof(jc_pdf_line_t));
    const char *c = s;

    while (*c != '\0') {
        const char *end = NULL, *q = c;
        jc_pdf_line_t *ln;

        if (*c == '\n') {               /* empty line */
            ln = apr_array_push(lines);
            ln->s = c;
            ln->n = 0;
            c++;
            continue;
        }
        /* longest run of whole words that fits */
        while (*q != '\0' && *q != '\n') {
            const char *we = q;

            while (*we == ' ') {
                we++;
            }
            while (*we != '\0' && *we != ' ' && *we != '\n') {
                we++;
            }
            if (jc_pdf_width(f, size, c, (size_t)(we - c)) > w) {
                break;
            }
            end = q = we;
        }
        if (end == NULL) {              /* first word too wide: cut it */
            size_t k = 1;

            while (c[k] != '\0' && c[k] != ' ' && c[k] != '\n'
                   && jc_pdf_width(f, size, c, k + 1) <= w) {
                k++;
            }
            end = c + k;
        }
        ln = apr_array_push(lines);
        ln->s = c;
        ln->n = (size_t)(end - c);
        c = end;
        while (*c == ' ') {
            c++;
        }
        if (*c == '\n') {
            c++;
            if (*c == '\0') {
                break;
            }
        }
    }
    return lines;
}

/* UTF-8 text wrapped at x..x+w; advances the cursor. y_min < 0: page
 * breaks between lines; else lines that would reach below y_min are left
 * out (fixed fields such as the address window). */
void jc_pdf_lines(jc_pdf_lay_t *L, HPDF_Font f, HPDF_REAL size,
                  HPDF_REAL lead, HPDF_REAL x, HPDF_REAL w,
                  const char *utf8, HPDF_REAL y_min)
{
    apr_array_header_t *lines = jc_pdf_wrap(L, f, size, w,
                                            jc_letter_cp1252(utf8, L->p));
    int i;

    for (i = 0; i < lines->nelts; i++) {
        jc_pdf_line_t *ln = &APR_ARRAY_IDX(lines, i, jc_pdf_line_t);

        if (y_min >= 0 && L->y - lead < y_min) {
            return;
        }
        if (y_min < 0) {
            jc_pdf_need(L, lead);
        }
        jc_pdf_text(L, f, size, x, L->y - lead * 0.75f, ln->s, ln->n);
        L->y -= lead;
    }
}

/* A paragraph of UTF-8 text at x..x+w, page breaks between lines */
void jc_pdf_para_at(jc_pdf_lay_t *L, HPDF_Font f, HPDF_REAL size,
                    HPDF_REAL lead, HPDF_REAL x, HPDF_REAL w,
                    const char *utf8)
{
    jc_pdf_lines(L, f, size, lead, x, w, utf8, -1);
}

void jc_pdf_para(jc_pdf_lay_t *L, HPDF_Font f, const char *utf8)
{
    jc_pdf_para_at(L, f, BODY_SIZE, BODY_LEAD, COL_LEFT, COL_RIGHT - COL_LEFT,
                   utf8);
    L->y -= PARA_GAP;
}

/* A numbered step: the number in the margin of an indented paragraph */
void jc_pdf_step(jc_pdf_lay_t *L, const char *num, const char *utf8)
{
    jc_pdf_need(L, BODY_LEAD);
    jc_pdf_text(L, L->reg, BODY_SIZE, COL_LEFT, L->y - BODY_LEAD * 0.75f, num,
                strlen(num));
    jc_pdf_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT + MM(6),
                   COL_RIGHT - COL_LEFT - MM(6), utf8);
    L->y -= PARA_GAP / 2;
}

/* Footer on every page, "Seite n von m" when there is more than one (or
 * always, when numbered), then save into pool memory. */
int jc_pdf_end(jc_pdf_lay_t *L, int numbered, const char **pdf,
               apr_size_t *len, const char **err)
{
    int i, rc = -1;
    HPDF_UINT32 size = 0, off = 0;
    char *buf;

    for (i = 0; i < L->pages->nelts && L->err.error_no == 0; i++) {
        L->page = APR_ARRAY_IDX(L->pages, i, HPDF_Page);
        jc_pdf_hline(L, COL_LEFT, COL_RIGHT, MM(17), 0.3f, 0.6f);
        if (L->footer != NULL) {
            /* one line; an absurdly long one is cut at 130 mm */
            apr_array_header_t *fl = jc_pdf_wrap(L, L->reg, 7.5f, MM(130),
                                                 L->footer);

            if (fl->nelts > 0) {
                jc_pdf_line_t *ln = &APR_ARRAY_IDX(fl, 0, jc_pdf_line_t);

                jc_pdf_text(L, L->reg, 7.5f, COL_LEFT, MM(13), ln->s, ln->n);
            }
        }
        if (numbered || L->pages->nelts > 1) {
            const char *pg = apr_psprintf(L->p, "Seite %d von %d", i + 1,
                                          L->pages->nelts);
            HPDF_REAL w = jc_pdf_width(L->reg, 7.5f, pg, strlen(pg));

            jc_pdf_text(L, L->reg, 7.5f, COL_RIGHT - w, MM(13), pg, strlen(pg));
        }
    }
    if (L->err.error_no == 0) {
        HPDF_SaveToStream(L->doc);
        size = HPDF_GetStreamSize(L->doc);
    }
    if (L->err.error_no == 0 && size > 0) {
        buf = apr_palloc(L->p, size);
        HPDF_ResetStream(L->doc);
        while (off < size) {
            HPDF_UINT32 n = size - off;
            HPDF_STATUS st = HPDF_ReadFromStream(L->doc,
                                                 (HPDF_BYTE *)buf + off, &n);

            off += n;
            if (st != HPDF_OK || n == 0) {
                break;
            }
        }
        if (off == size) {
            *pdf = buf;
            *len = size;
            rc = 0;
        }
        else {
            *err = "letter: reading libhpdf's memory stream failed";
        }
    }
    if (rc != 0 && L->err.error_no != 0) {
        *err = apr_psprintf(L->p, "letter: libhpdf error 0x%04X (detail %u)",
                            (unsigned)L->err.error_no,
                            (unsigned)L->err.detail_no);
    }
    else if (rc != 0 && *err == NULL) {
        *err = "letter: libhpdf produced no document";
    }
    HPDF_Free(L->doc);
    L->doc = NULL;
    return rc;
}

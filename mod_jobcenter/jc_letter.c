/* PDF letters (DIN 5008 form B) and upload receipts with libhpdf.
 *
 * A small flow layout: jc_lay_t holds the document, the fonts, the pages
 * made so far and a cursor (the top of the next line box, in PDF points
 * from the bottom); paragraphs are wrapped to the text width and continue
 * on a new page when the cursor would pass the bottom margin. Page
 * numbers are drawn at the end, when the number of pages is known.
 *
 * libhpdf reports errors through the handler passed to HPDF_New; the
 * first one is kept, later calls fail harmlessly, and every entry point
 * checks it before saving. The document is freed on every path. Core: no
 * httpd headers. */

#include "jc_letter.h"
#include "jc_qr.h"
#include "jc_utf8.h"
#include "jc_time.h"

#include <stdio.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <hpdf.h>

#define MM(x)      ((HPDF_REAL)((x) * 72.0 / 25.4))
#define PAGE_W     MM(210)
#define PAGE_H     MM(297)
#define FROM_TOP(mm) (PAGE_H - MM(mm))

/* text column of letters (DIN 5008: 25 mm left, 20 mm right) */
#define COL_LEFT   MM(25)
#define COL_RIGHT  (PAGE_W - MM(20))
#define BODY_BOTTOM MM(25)   /* lowest line box edge; the footer is below */
#define FOLLOW_TOP FROM_TOP(20)

#define BODY_SIZE  10.0f
#define BODY_LEAD  13.5f
#define PARA_GAP   6.0f

/* ---- text conversion ------------------------------------------------- */

/* CP1252 0x80..0x9F and the code points they hold (0: unused) */
static const unsigned short jc_cp1252_hi[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178
};

/* Latin Extended-A (U+0100..U+017F) without accents; '*' = two letters */
static const char jc_latin_ext_a[129] =
    "AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg" "GgGgHhHhIiIiIiIi"
    "Ii**JjKkkLlLlLlL" "lLlNnNnNn*NnOoOo" "OoOoRrRrRrSsSsSs"
    "SsTtTtTtUuUuUuUu" "UuUuWwYyYZzZzZzs";

/* Decode one code point at s (n bytes left); *cp = -1 for invalid bytes.
 * Returns the number of bytes consumed (>= 1). */
static size_t jc_utf8_next(const unsigned char *s, size_t n, long *cp)
{
    size_t k = jc_utf8_seq(s, n);

    if (k == 0) {
        *cp = -1;
        return 1;
    }
    switch (k) {
    case 1: *cp = s[0]; break;
    case 2: *cp = ((long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f); break;
    case 3: *cp = ((long)(s[0] & 0x0f) << 12) | ((long)(s[1] & 0x3f) << 6)
                  | (s[2] & 0x3f); break;
    default: *cp = ((long)(s[0] & 0x07) << 18) | ((long)(s[1] & 0x3f) << 12)
                   | ((long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f); break;
    }
    return k;
}

/* Characters that vanish: zero-width, variation selectors, emoji skin
 * tones and tags, combining marks, soft hyphen. */
static int jc_cp_invisible(long c)
{
    return (c >= 0x200B && c <= 0x200F) || c == 0x2060 || c == 0xFEFF
        || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0x1F3FB && c <= 0x1F3FF)
        || (c >= 0xE0000 && c <= 0xE007F) || (c >= 0x0300 && c <= 0x036F)
        || c == 0x20E3 || c == 0x00AD || (c >= 0x80 && c <= 0x9F);
}

const char *jc_letter_cp1252(const char *utf8, apr_pool_t *p)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n, i = 0;
    char *out, *o;
    int after_zwj = 0;

    if (utf8 == NULL) {
        return "";
    }
    n = strlen(utf8);
    /* every output needs at most as many bytes as its input */
    o = out = apr_palloc(p, n + 1);
    while (i < n) {
        long c;
        int k;

        i += jc_utf8_next(s + i, n - i, &c);
        if (c == 0x200D) {          /* zero width joiner: the next character
                                       belongs to the same emoji */
            after_zwj = 1;
            continue;
        }
        if (after_zwj) {
            after_zwj = 0;
            if (o > out && o[-1] == '?') {
                continue;
            }
        }
        if (c == '\n' || c == 0x2028 || c == 0x2029) {
            *o++ = '\n';
        }
        else if (c == '\t') {
            *o++ = ' ';
        }
        else if ((c >= 0 && c < 0x20) || c == 0x7f || jc_cp_invisible(c)) {
            ;   /* dropped */
        }
        else if (c >= 0x20 && c < 0x80) {
            *o++ = (char)c;
        }
        else if (c >= 0xA0 && c <= 0xFF) {
            *o++ = (char)c;
        }
        else {
            char ch = 0;

            for (k = 0; k < 32; k++) {
                if (jc_cp1252_hi[k] != 0 && jc_cp1252_hi[k] == c) {
                    ch = (char)(0x80 + k);
                    break;
                }
            }
            if (ch == 0 && c >= 0x100 && c <= 0x17F) {
                ch = jc_latin_ext_a[c - 0x100];
                if (ch == '*') {                          /* Ĳ ĳ ŉ */
                    const char *two = c == 0x132 ? "IJ"
                                      : c == 0x133 ? "ij" : "'n";

                    *o++ = two[0];
                    ch = two[1];
                }
            }
            else if (ch == 0 && c >= 0x218 && c <= 0x21B) {
                ch = "SsTt"[c - 0x218];                   /* Ș ș Ț ț */
            }
            else if (ch == 0) {
                switch (c) {
                case 0x2010: case 0x2011: case 0x2012: case 0x2015:
                case 0x2212: case 0x2043:
                    ch = '-'; break;
                case 0x2002: case 0x2003: case 0x2004: case 0x2005:
                case 0x2006: case 0x2007: case 0x2008: case 0x2009:
                case 0x200A: case 0x202F: case 0x205F: case 0x3000:
                    ch = ' '; break;
                case 0x201B: case 0x2032:
                    ch = '\''; break;
                case 0x201F: case 0x2033:
                    ch = '"'; break;
                case 0x2192:
                    *o++ = '-'; ch = '>'; break;
                case 0x2190:
                    *o++ = '<'; ch = '-'; break;
                default:
                    ch = '?'; break;
                }
            }
            *o++ = ch;
        }
    }
    *o = '\0';
    return out;
}

void jc_date_de(time_t t, char buf[11])
{
    jc_berlin_date_de((apr_int64_t)t, buf);
}

/* "%H:%M" in German time (Europe/Berlin) into buf[6] */
static void jc_time_de(time_t t, char buf[6])
{
    jc_berlin_time_de((apr_int64_t)t, buf);
}

/* 1234567 -> "1.234.567" */
static const char *jc_group_de(apr_uint64_t v, apr_pool_t *p)
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
static const char *jc_size_de(apr_uint64_t v, apr_pool_t *p)
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
                        jc_group_de(v, p));
}

/* ---- checks ---------------------------------------------------------- */

/* 0 if s is acceptable: present when required, at most
 * JC_LETTER_STR_MAX bytes; else *err names it. */
static int jc_chk(const char *s, int required, const char *what,
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
static int jc_chk_ascii(const char *s, size_t max, const char *what,
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

static int jc_chk_head(const jc_letter_head_t *h, apr_pool_t *p,
                       const char **err)
{
    int i;

    if (h == NULL) {
        *err = "letter: head missing";
        return -1;
    }
    if (jc_chk(h->jc_name, 1, "jc_name", p, err)
        || jc_chk(h->jc_street, 0, "jc_street", p, err)
        || jc_chk(h->jc_city, 0, "jc_city", p, err)
        || jc_chk(h->jc_phone, 0, "jc_phone", p, err)
        || jc_chk(h->kundennummer, 0, "kundennummer", p, err)
        || (h->login_url != NULL
            && jc_chk_ascii(h->login_url, JC_LETTER_URL_MAX, "login_url",
                            p, err))
        || (h->info_url != NULL
            && jc_chk_ascii(h->info_url, JC_LETTER_URL_MAX, "info_url",
                            p, err))
        || (h->hearing_url != NULL
            && jc_chk_ascii(h->hearing_url, JC_LETTER_URL_MAX,
                            "hearing_url", p, err))
        || jc_chk(h->service_phone, 0, "service_phone", p, err)) {
        return -1;
    }
    if (h->recipient[0] == NULL || h->recipient[0][0] == '\0') {
        *err = "letter: recipient missing";
        return -1;
    }
    for (i = 0; i < 6 && h->recipient[i] != NULL; i++) {
        if (jc_chk(h->recipient[i], 0, "recipient line", p, err)) {
            return -1;
        }
    }
    return 0;
}

/* ---- layout ---------------------------------------------------------- */

typedef struct {
    HPDF_STATUS error_no;       /* first libhpdf error (0: none)          */
    HPDF_STATUS detail_no;      /* its detail code                        */
} jc_pdf_err_t;

typedef struct {
    apr_pool_t  *p;             /* result and scratch allocations         */
    HPDF_Doc     doc;           /* the document (freed by jc_lay_end)     */
    jc_pdf_err_t err;           /* filled by the error handler            */
    HPDF_Font    reg, bold, mono, mono_bold; /* base-14, WinAnsiEncoding */
    apr_array_header_t *pages;  /* HPDF_Page of every page, in order      */
    HPDF_Page    page;          /* current page                           */
    HPDF_REAL    y;             /* top of the next line box (pt, y up)    */
    int          letter;        /* 1: fold marks on page 1                */
    const char  *footer;        /* CP1252 footer line (or NULL)           */
    int          fresh;         /* nothing drawn on the page yet          */
} jc_lay_t;

typedef struct {
    const char *s;              /* start of the line in the paragraph     */
    size_t      n;              /* bytes                                  */
} jc_line_t;

static void jc_pdf_on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no,
                            void *user_data)
{
    jc_pdf_err_t *e = user_data;

    if (e->error_no == 0) {
        e->error_no = error_no;
        e->detail_no = detail_no;
    }
}

static HPDF_REAL jc_width(HPDF_Font f, HPDF_REAL size, const char *s,
                          size_t n)
{
    HPDF_TextWidth tw;

    if (n == 0) {
        return 0;
    }
    tw = HPDF_Font_TextWidth(f, (const HPDF_BYTE *)s, (HPDF_UINT)n);
    return (HPDF_REAL)tw.width * size / 1000.0f;
}

static void jc_text(jc_lay_t *L, HPDF_Font f, HPDF_REAL size, HPDF_REAL x,
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

static void jc_hline(jc_lay_t *L, HPDF_REAL x0, HPDF_REAL x1, HPDF_REAL y,
                     HPDF_REAL width, HPDF_REAL gray)
{
    HPDF_Page_SetLineWidth(L->page, width);
    HPDF_Page_SetGrayStroke(L->page, gray);
    HPDF_Page_MoveTo(L->page, x0, y);
    HPDF_Page_LineTo(L->page, x1, y);
    HPDF_Page_Stroke(L->page);
}

static void jc_lay_page(jc_lay_t *L)
{
    L->page = HPDF_AddPage(L->doc);
    if (L->page == NULL) {
        return;   /* error recorded; every later call fails harmlessly */
    }
    HPDF_Page_SetSize(L->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    APR_ARRAY_PUSH(L->pages, HPDF_Page) = L->page;
    if (L->letter && L->pages->nelts == 1) {
        /* fold marks at 105 and 210 mm, punch mark at 148.5 mm */
        jc_hline(L, MM(4), MM(9), FROM_TOP(105), 0.4f, 0.5f);
        jc_hline(L, MM(4), MM(9), FROM_TOP(210), 0.4f, 0.5f);
        jc_hline(L, MM(4), MM(11), FROM_TOP(148.5), 0.4f, 0.5f);
    }
    L->y = FOLLOW_TOP;
    L->fresh = 1;
}

/* Make room for h points below the cursor: a new page unless it fits or
 * the page is still empty (content taller than a page flows on). */
static void jc_need(jc_lay_t *L, HPDF_REAL h)
{
    if (L->y - h < BODY_BOTTOM && !L->fresh) {
        jc_lay_page(L);
    }
}

static int jc_lay_begin(jc_lay_t *L, apr_pool_t *p, int letter,
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
    jc_lay_page(L);
    return L->err.error_no != 0 ? -1 : 0;
}

/* Wrap s (CP1252) to width w: words move to the next line whole, a word
 * wider than a line is cut by characters; '\n' ends a line. */
static apr_array_header_t *jc_wrap(jc_lay_t *L, HPDF_Font f, HPDF_REAL size,
                                   HPDF_REAL w, const char *s)
{
    apr_array_header_t *lines = apr_array_make(L->p, 4, sizeof(jc_line_t));
    const char *c = s;

    while (*c != '\0') {
        const char *end = NULL, *q = c;
        jc_line_t *ln;

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
            if (jc_width(f, size, c, (size_t)(we - c)) > w) {
                break;
            }
            end = q = we;
        }
        if (end == NULL) {              /* first word too wide: cut it */
            size_t k = 1;

            while (c[k] != '\0' && c[k] != ' ' && c[k] != '\n'
                   && jc_width(f, size, c, k + 1) <= w) {
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
static void jc_lines(jc_lay_t *L, HPDF_Font f, HPDF_REAL size,
                     HPDF_REAL lead, HPDF_REAL x, HPDF_REAL w,
                     const char *utf8, HPDF_REAL y_min)
{
    apr_array_header_t *lines = jc_wrap(L, f, size, w,
                                        jc_letter_cp1252(utf8, L->p));
    int i;

    for (i = 0; i < lines->nelts; i++) {
        jc_line_t *ln = &APR_ARRAY_IDX(lines, i, jc_line_t);

        if (y_min >= 0 && L->y - lead < y_min) {
            return;
        }
        if (y_min < 0) {
            jc_need(L, lead);
        }
        jc_text(L, f, size, x, L->y - lead * 0.75f, ln->s, ln->n);
        L->y -= lead;
    }
}

/* A paragraph of UTF-8 text at x..x+w, page breaks between lines */
static void jc_para_at(jc_lay_t *L, HPDF_Font f, HPDF_REAL size,
                       HPDF_REAL lead, HPDF_REAL x, HPDF_REAL w,
                       const char *utf8)
{
    jc_lines(L, f, size, lead, x, w, utf8, -1);
}

static void jc_para(jc_lay_t *L, HPDF_Font f, const char *utf8)
{
    jc_para_at(L, f, BODY_SIZE, BODY_LEAD, COL_LEFT, COL_RIGHT - COL_LEFT,
               utf8);
    L->y -= PARA_GAP;
}

/* A numbered step: the number in the margin of an indented paragraph */
static void jc_step(jc_lay_t *L, const char *num, const char *utf8)
{
    jc_need(L, BODY_LEAD);
    jc_text(L, L->reg, BODY_SIZE, COL_LEFT, L->y - BODY_LEAD * 0.75f, num,
            strlen(num));
    jc_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT + MM(6),
               COL_RIGHT - COL_LEFT - MM(6), utf8);
    L->y -= PARA_GAP / 2;
}

/* Footer on every page, "Seite n von m" when there is more than one (or
 * always, when numbered), then save into pool memory. */
static int jc_lay_end(jc_lay_t *L, int numbered, const char **pdf,
                      apr_size_t *len, const char **err)
{
    int i, rc = -1;
    HPDF_UINT32 size = 0, off = 0;
    char *buf;

    for (i = 0; i < L->pages->nelts && L->err.error_no == 0; i++) {
        L->page = APR_ARRAY_IDX(L->pages, i, HPDF_Page);
        jc_hline(L, COL_LEFT, COL_RIGHT, MM(17), 0.3f, 0.6f);
        if (L->footer != NULL) {
            /* one line; an absurdly long one is cut at 130 mm */
            apr_array_header_t *fl = jc_wrap(L, L->reg, 7.5f, MM(130),
                                             L->footer);

            if (fl->nelts > 0) {
                jc_line_t *ln = &APR_ARRAY_IDX(fl, 0, jc_line_t);

                jc_text(L, L->reg, 7.5f, COL_LEFT, MM(13), ln->s, ln->n);
            }
        }
        if (numbered || L->pages->nelts > 1) {
            const char *pg = apr_psprintf(L->p, "Seite %d von %d", i + 1,
                                          L->pages->nelts);
            HPDF_REAL w = jc_width(L->reg, 7.5f, pg, strlen(pg));

            jc_text(L, L->reg, 7.5f, COL_RIGHT - w, MM(13), pg, strlen(pg));
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
static void jc_letter_head(jc_lay_t *L, const jc_letter_head_t *h,
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
    jc_lines(L, L->bold, 15, 18, COL_LEFT, COL_RIGHT - COL_LEFT,
             h->jc_name, FROM_TOP(42));
    /* sender line at the top of the window (20 mm left, 45 mm down) */
    line = jc_footer_line(h->jc_name, h->jc_street, h->jc_city, NULL, L->p);
    L->y = FROM_TOP(45) - MM(3);
    jc_lines(L, L->reg, 7, 8, MM(25), MM(75), line, FROM_TOP(45 + 17));
    jc_hline(L, MM(25), MM(100), L->y - 1.5f, 0.3f, 0.0f);
    /* address: the Anschriftzone starts 17.7 mm into the window */
    L->y = FROM_TOP(45 + 17.7);
    for (i = 0; i < 6 && h->recipient[i] != NULL; i++) {
        jc_lines(L, L->reg, BODY_SIZE, 12, MM(25), MM(75), h->recipient[i],
                 FROM_TOP(90));
    }
    y_addr = L->y;
    /* info block: 125 mm from the left, 50 mm down */
    L->y = FROM_TOP(50);
    if (h->kundennummer != NULL && *h->kundennummer) {
        jc_lines(L, L->reg, 9, 12, MM(125), MM(65),
                 apr_pstrcat(L->p, "Kundennummer: ", h->kundennummer, NULL),
                 FROM_TOP(94));
    }
    jc_date_de(h->date, date);
    jc_lines(L, L->reg, 9, 12, MM(125), MM(65),
             apr_pstrcat(L->p, "Datum: ", date, NULL), FROM_TOP(94));
    if (h->jc_phone != NULL && *h->jc_phone) {
        jc_lines(L, L->reg, 9, 12, MM(125), MM(65),
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
    jc_para_at(L, L->bold, 11, 14, COL_LEFT, COL_RIGHT - COL_LEFT, subject);
    L->y -= 2 * PARA_GAP;
}

static void jc_closing(jc_lay_t *L, const char *jc_name)
{
    jc_need(L, 4 * BODY_LEAD);
    L->y -= PARA_GAP;
    jc_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
               COL_RIGHT - COL_LEFT, "Mit freundlichen Grüßen");
    jc_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
               COL_RIGHT - COL_LEFT, apr_pstrcat(L->p, "Ihr ", jc_name,
                                                  NULL));
}

/* A value set large in Courier-Bold (wrapped by characters if long) */
static void jc_big_value(jc_lay_t *L, HPDF_REAL x, const char *utf8)
{
    jc_para_at(L, L->mono_bold, 16, 22, x, COL_RIGHT - x, utf8);
}

/* The QR code of text (printable ASCII), dark modules as filled
 * rectangles (horizontal runs), with its quiet zone, top left at (x, top);
 * side = the whole symbol incl. quiet zone. 0 or -1. */
static int jc_draw_qr(jc_lay_t *L, const char *text, HPDF_REAL x,
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

/* ---- the letters ----------------------------------------------------- */

int jc_letter_freischaltcode(apr_pool_t *p, const jc_letter_head_t *h,
                             const char *code_grouped, time_t valid_until,
                             const char *qr_url, const char **pdf,
                             apr_size_t *len, const char **err)
{
    static const char subject[] =
        "Freischaltcode für Online-Angebote der Bundesagentur für Arbeit";
    jc_lay_t L;
    jc_qr_t *probe;
    char until[11];
    int n;
    HPDF_REAL side, top, x;

    *err = NULL;
    if (p == NULL || pdf == NULL || len == NULL) {
        *err = "letter: bad arguments";
        return -1;
    }
    if (jc_chk_head(h, p, err)
        || jc_chk_ascii(code_grouped, JC_LETTER_CODE_MAX, "code", p, err)
        || jc_chk_ascii(qr_url, JC_LETTER_URL_MAX, "qr_url", p, err)) {
        return -1;
    }
    if (jc_qr_encode(&probe, qr_url, p) != APR_SUCCESS) {
        *err = "letter: qr_url cannot be encoded as a QR code";
        return -1;
    }
    if (jc_lay_begin(&L, p, 1, subject, h->jc_name) != 0) {
        if (L.doc != NULL) {
            HPDF_Free(L.doc);
        }
        *err = "letter: libhpdf could not start a document";
        return -1;
    }
    jc_letter_head(&L, h, subject);
    jc_para(&L, L.reg, "Guten Tag,");
    jc_para(&L, L.reg,
        "mit dem Freischaltcode legen Sie ein Profil in Ihrem Konto an. "
        "Mit einem Profil können Sie profilbezogene Online-Angebote der "
        "Bundesagentur für Arbeit und Ihres Jobcenters nutzen. Gehen Sie "
        "dazu wie folgt vor:");
    jc_step(&L, "1.",
        "Scannen Sie den nachfolgenden QR-Code mit Ihrem Smartphone oder "
        "öffnen Sie den Link");
    L.y += PARA_GAP / 2;
    jc_para_at(&L, L.mono, 9, BODY_LEAD, COL_LEFT + MM(6),
               COL_RIGHT - COL_LEFT - MM(6), qr_url);

    /* QR code on the left, the code to its right; kept together */
    n = probe->width + 2 * JC_QR_QUIET;
    jc_need(&L, (n * 0.6 > 35 ? MM(n * 0.6) : MM(35)) + MM(4));
    top = L.y - MM(1);
    x = COL_LEFT + MM(6) - MM(2);
    if (jc_draw_qr(&L, qr_url, x, top, &side) != 0) {
        HPDF_Free(L.doc);
        *err = "letter: drawing the QR code failed";
        return -1;
    }
    L.y = top - MM(8);
    jc_para_at(&L, L.reg, 9, 12, x + side + MM(6), MM(80),
               "Ihr Freischaltcode:");
    jc_big_value(&L, x + side + MM(6), code_grouped);
    if (L.y > top - side) {
        L.y = top - side;
    }
    L.y -= PARA_GAP;

    jc_step(&L, "2.",
        "Melden Sie sich an Ihrem bestehenden Konto an oder registrieren "
        "Sie ein neues Konto, falls Sie noch kein Konto besitzen.");
    jc_step(&L, "3.",
        "Falls der Code nicht vorbelegt ist, geben Sie den oben stehenden "
        "Freischaltcode unter „eServices freischalten“ ein. Der "
        "Freischaltcode besteht aus Zahlen und Großbuchstaben.");
    jc_step(&L, "4.",
        "Bestätigen Sie die Eingabe. Beachten Sie eine mögliche "
        "Fehleranzeige!");
    jc_step(&L, "5.",
        "Ihr Profil wird automatisch angelegt und für Sie ausgewählt.");
    L.y -= PARA_GAP / 2;
    jc_para(&L, L.reg,
        "Beachten Sie: Sie können über das Menü Profil > Profil wechseln "
        "das Profil wählen. Dort können Sie auch weitere Profile anlegen. "
        "Das Anlegen von mehreren Personenprofilen der Agentur für Arbeit / "
        "Jobcenter im selben Konto ist nicht möglich. Jeder Personenkunde "
        "benötigt sein eigenes Konto.");
    jc_date_de(valid_until, until);
    jc_para(&L, L.bold, apr_pstrcat(p,
        "Der Freischaltcode ist gültig bis zum: ", until, NULL));
    jc_closing(&L, h->jc_name);
    return jc_lay_end(&L, 0, pdf, len, err);
}

int jc_letter_credential(apr_pool_t *p, const jc_letter_head_t *h, int part,
                         const char *value, time_t valid_until,
                         const char **pdf, apr_size_t *len, const char **err)
{
    static const char subject[] =
        "Zugangsdaten für Ihr Konto bei der Bundesagentur für Arbeit";
    jc_lay_t L;
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
    if (jc_chk_head(h, p, err) || jc_chk(value, 1, "value", p, err)) {
        return -1;
    }
    for (c = value; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *err = "letter: value contains control characters";
            return -1;
        }
    }
    if (jc_lay_begin(&L, p, 1, subject, h->jc_name) != 0) {
        if (L.doc != NULL) {
            HPDF_Free(L.doc);
        }
        *err = "letter: libhpdf could not start a document";
        return -1;
    }
    jc_letter_head(&L, h, subject);
    jc_para(&L, L.reg, "Guten Tag,");
    jc_para(&L, L.reg,
        "Ihre bisherigen Zugangsdaten (Benutzername und Passwort) für Ihr "
        "Konto bei der Bundesagentur für Arbeit wurden zurückgesetzt.");
    jc_para(&L, L.reg,
        "Haben Sie mehrere Schreiben angefordert oder erhalten? Dann gilt "
        "immer nur der neueste Brief. Ältere angeforderte "
        "Einmal-Zugangsdaten verlieren auch ihre Gültigkeit.");
    jc_para(&L, L.reg,
        "Falls Sie zur zusätzlichen Absicherung Ihres Kontos einen zweiten "
        "Faktor (App-Code/TOTP-Verfahren) oder Passkeys eingerichtet "
        "hatten, wurden diese ebenfalls zurückgesetzt und müssen erneut "
        "eingerichtet werden.");
    jc_para(&L, L.reg, apr_pstrcat(p,
        "Wichtig: Bitte entfernen Sie vor der Neueinrichtung zuerst "
        "veraltete TOTP-Codes und Passkeys von Ihren Geräten, "
        "gegebenenfalls auch aus Ihrem Passwort-Manager.",
        h->info_url && *h->info_url ? " Weitere Informationen finden Sie "
        "unter " : "", h->info_url && *h->info_url ? h->info_url : "",
        h->info_url && *h->info_url ? "." : "", NULL));
    jc_need(&L, 3 * BODY_LEAD + 22);
    jc_para(&L, L.reg, part == 1
        ? "Bitte nutzen Sie für die nächste Anmeldung diesen Benutzernamen:"
        : "Bitte nutzen Sie für die nächste Anmeldung dieses Passwort:");
    jc_big_value(&L, COL_LEFT + MM(6), value);
    L.y -= PARA_GAP;
    jc_para(&L, L.reg, part == 1
        ? "Ein Passwort erhalten Sie in einem anderen Schreiben."
        : "Einen Benutzernamen erhalten Sie in einem anderen Schreiben.");
    jc_date_de(valid_until, until);
    jc_para(&L, L.bold, apr_pstrcat(p,
        "Die Einmal-Zugangsdaten sind gültig bis zum: ", until, NULL));
    if (h->login_url != NULL) {
        jc_para_at(&L, L.reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
                   COL_RIGHT - COL_LEFT,
                   "Auf dieser Seite können Sie sich anmelden:");
        jc_para_at(&L, L.mono, 9, BODY_LEAD, COL_LEFT + MM(6),
                   COL_RIGHT - COL_LEFT - MM(6), h->login_url);
        L.y -= PARA_GAP;
        jc_para(&L, L.reg,
            "Nach der Anmeldung werden Sie aufgefordert, den Benutzernamen "
            "und das Passwort zu ändern.");
    }
    else {
        jc_para(&L, L.reg,
            "Melden Sie sich mit den Einmal-Zugangsdaten bei "
            "Jobcenter.Digital an. Nach der Anmeldung werden Sie "
            "aufgefordert, den Benutzernamen und das Passwort zu ändern.");
    }
    if (h->service_phone && *h->service_phone) {
        jc_para(&L, L.reg, apr_pstrcat(p, "Ihre Fragen rund um Ihr Konto "
            "beantworten wir gern telefonisch: Servicenummer: ",
            h->service_phone, NULL));
    }
    if (h->hearing_url && *h->hearing_url) {
        jc_para(&L, L.reg, apr_pstrcat(p, "Hinweis: Informationen zu "
            "unserem Servicetelefon für Menschen mit Hörbeeinträchtigungen "
            "finden Sie auf folgender Seite: ", h->hearing_url, NULL));
    }
    jc_closing(&L, h->jc_name);
    return jc_lay_end(&L, 0, pdf, len, err);
}

/* ---- the receipt ----------------------------------------------------- */

/* label in bold at the column's left, value wrapped beside it */
static void jc_kv(jc_lay_t *L, const char *label, const char *value)
{
    HPDF_REAL y0;

    jc_need(L, BODY_LEAD);
    y0 = L->y;
    jc_para_at(L, L->bold, BODY_SIZE, BODY_LEAD, COL_LEFT, MM(45), label);
    L->y = y0;
    jc_para_at(L, L->reg, BODY_SIZE, BODY_LEAD, COL_LEFT + MM(48),
               COL_RIGHT - COL_LEFT - MM(48), value);
}

#define FT_NR    COL_LEFT
#define FT_NAME  (COL_LEFT + MM(10))
#define FT_SIZE  (COL_LEFT + MM(112))
#define FT_LEAD  12.0f

static void jc_file_table_head(jc_lay_t *L)
{
    jc_need(L, 2 * FT_LEAD);
    jc_text(L, L->bold, 9, FT_NR, L->y - FT_LEAD * 0.75f, "Nr.", 3);
    jc_text(L, L->bold, 9, FT_NAME, L->y - FT_LEAD * 0.75f, "Datei", 5);
    jc_text(L, L->bold, 9, FT_SIZE, L->y - FT_LEAD * 0.75f,
            "Gr\xf6\xdf" "e", 5);
    L->y -= FT_LEAD;
    jc_hline(L, COL_LEFT, COL_RIGHT, L->y - 1, 0.6f, 0.0f);
    L->y -= 4;
}

static void jc_file_row(jc_lay_t *L, int nr, const jc_receipt_file_t *f)
{
    apr_array_header_t *name, *size;
    const char *sz = jc_size_de(f->size, L->p), *paren;
    char hex[65];
    int i, rows, pages;

    for (i = 0; i < 64; i++) {
        hex[i] = (char)((f->sha256_hex[i] >= 'A' && f->sha256_hex[i] <= 'F')
                        ? f->sha256_hex[i] + ('a' - 'A') : f->sha256_hex[i]);
    }
    hex[64] = '\0';
    name = jc_wrap(L, L->reg, 9, FT_SIZE - FT_NAME - MM(3),
                   jc_letter_cp1252(f->name, L->p));
    /* "1,6 MB" over "(1.572.864 Bytes)" */
    paren = strchr(sz, '(');
    size = apr_array_make(L->p, 2, sizeof(jc_line_t));
    if (paren != NULL) {
        jc_line_t *a = apr_array_push(size), *b = apr_array_push(size);

        a->s = sz;
        a->n = (size_t)(paren - sz - 1);
        b->s = paren;
        b->n = strlen(paren);
    }
    else {
        jc_line_t *a = apr_array_push(size);

        a->s = sz;
        a->n = strlen(sz);
    }
    rows = name->nelts > size->nelts ? name->nelts : size->nelts;
    pages = L->pages->nelts;
    jc_need(L, (HPDF_REAL)(rows + 1) * FT_LEAD + 6);
    if (L->pages->nelts != pages) {
        jc_file_table_head(L);
    }
    for (i = 0; i < rows; i++) {
        HPDF_REAL base;

        pages = L->pages->nelts;
        jc_need(L, FT_LEAD);
        if (L->pages->nelts != pages) {
            jc_file_table_head(L);
        }
        base = L->y - FT_LEAD * 0.75f;
        if (i == 0) {
            const char *n = apr_itoa(L->p, nr);

            jc_text(L, L->reg, 9, FT_NR, base, n, strlen(n));
        }
        if (i < name->nelts) {
            jc_line_t *ln = &APR_ARRAY_IDX(name, i, jc_line_t);

            jc_text(L, L->reg, 9, FT_NAME, base, ln->s, ln->n);
        }
        if (i < size->nelts) {
            jc_line_t *ln = &APR_ARRAY_IDX(size, i, jc_line_t);

            jc_text(L, L->reg, 9, FT_SIZE, base, ln->s, ln->n);
        }
        L->y -= FT_LEAD;
    }
    jc_need(L, FT_LEAD);
    jc_text(L, L->reg, 7.5f, FT_NAME, L->y - FT_LEAD * 0.75f, "SHA-256:", 8);
    jc_text(L, L->mono, 7.5f, FT_NAME + MM(14), L->y - FT_LEAD * 0.75f, hex,
            64);
    L->y -= FT_LEAD;
    jc_hline(L, COL_LEFT, COL_RIGHT, L->y - 2, 0.3f, 0.6f);
    L->y -= 6;
}

int jc_receipt_pdf(apr_pool_t *p, const jc_receipt_t *r, const char **pdf,
                   apr_size_t *len, const char **err)
{
    static const char title[] = "Bestätigung über den Eingang Ihrer Dokumente";
    jc_lay_t L;
    char date[11], hm[6];
    int i;

    *err = NULL;
    if (p == NULL || pdf == NULL || len == NULL || r == NULL) {
        *err = "receipt: bad arguments";
        return -1;
    }
    if (jc_chk(r->jc_name, 1, "jc_name", p, err)
        || jc_chk(r->reference, 1, "reference", p, err)
        || jc_chk(r->area, 1, "area", p, err)
        || jc_chk(r->message, 0, "message", p, err)
        || jc_chk(r->verify_code, 1, "verify_code", p, err)
        || jc_chk_ascii(r->verify_url, JC_LETTER_URL_MAX, "verify_url", p,
                        err)) {
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

        if (jc_chk(f->name, 1, "file name", p, err)) {
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
    if (jc_lay_begin(&L, p, 0, title, r->jc_name) != 0) {
        if (L.doc != NULL) {
            HPDF_Free(L.doc);
        }
        *err = "receipt: libhpdf could not start a document";
        return -1;
    }
    L.footer = jc_letter_cp1252(apr_pstrcat(p, r->jc_name,
        " \xc2\xb7 Eingangsbest\xc3\xa4tigung ", r->reference, NULL), p);
    L.y = FROM_TOP(15);
    jc_para_at(&L, L.bold, 15, 18, COL_LEFT, COL_RIGHT - COL_LEFT,
               r->jc_name);
    L.y -= MM(8);
    jc_para_at(&L, L.bold, 14, 18, COL_LEFT, COL_RIGHT - COL_LEFT, title);
    L.y -= PARA_GAP;
    jc_date_de(r->at, date);
    jc_time_de(r->at, hm);
    jc_para(&L, L.reg, apr_pstrcat(p, "Ihre Dokumente wurden am ", date,
        " um ", hm, " Uhr an ", r->jc_name, " übermittelt. Ihre Dokumente "
        "werden schnellstmöglich geprüft und bearbeitet.", NULL));
    jc_kv(&L, "Jobcenter", r->jc_name);
    jc_kv(&L, "Eingegangen am", apr_pstrcat(p, date, ", ", hm, " Uhr",
                                             NULL));
    jc_kv(&L, "Vorgangsnummer", r->reference);
    jc_kv(&L, "Bereich", r->area);
    jc_kv(&L, "Anzahl Dokumente", apr_itoa(p, r->nfiles));
    L.y -= 2 * PARA_GAP;
    jc_need(&L, 5 * FT_LEAD);
    jc_para(&L, L.bold, "Übermittelte Dokumente");
    jc_file_table_head(&L);
    for (i = 0; i < r->nfiles; i++) {
        jc_file_row(&L, i + 1, &r->files[i]);
    }
    L.y -= PARA_GAP;
    jc_para_at(&L, L.reg, 8, 10, COL_LEFT, COL_RIGHT - COL_LEFT,
        "Der SHA-256-Wert ist der Fingerabdruck einer Datei: Stimmt er mit "
        "dem Wert Ihrer Datei überein, ist sie unverändert angekommen.");
    L.y -= 2 * PARA_GAP;
    if (r->message != NULL && *r->message) {
        jc_need(&L, 3 * BODY_LEAD);
        jc_para(&L, L.bold, "Ihre Nachricht");
        jc_para(&L, L.reg, r->message);
        L.y -= PARA_GAP;
    }
    jc_need(&L, 5 * BODY_LEAD);
    jc_para(&L, L.bold, "Prüfung dieser Bestätigung");
    jc_kv(&L, "Prüfcode", r->verify_code);
    jc_para_at(&L, L.reg, BODY_SIZE, BODY_LEAD, COL_LEFT,
               COL_RIGHT - COL_LEFT,
               "Ob diese Bestätigung echt ist, können Sie mit dem Prüfcode "
               "hier prüfen:");
    jc_para_at(&L, L.mono, 9, BODY_LEAD, COL_LEFT, COL_RIGHT - COL_LEFT,
               r->verify_url);
    return jc_lay_end(&L, 1, pdf, len, err);
}

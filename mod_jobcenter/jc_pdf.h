/* The PDF layout shared by the letters (jc_letter.c) and the upload
 * receipt (jc_receipt.c): page geometry, a small flow layout on libhpdf
 * (jc_pdf_lay_t: document, fonts, pages, cursor), the checks of their
 * input strings and German number and time formats. Not part of the
 * interface to the glue. Core: no httpd headers. */
#ifndef JC_PDF_H
#define JC_PDF_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <time.h>

#include <hpdf.h>

#include "jc_letter.h"

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

typedef struct {
    HPDF_STATUS error_no;       /* first libhpdf error (0: none)          */
    HPDF_STATUS detail_no;      /* its detail code                        */
} jc_pdf_err_t;

typedef struct {
    apr_pool_t  *p;             /* result and scratch allocations         */
    HPDF_Doc     doc;           /* the document (freed by jc_pdf_end)     */
    jc_pdf_err_t err;           /* filled by the error handler            */
    HPDF_Font    reg, bold, mono, mono_bold; /* base-14, WinAnsiEncoding */
    apr_array_header_t *pages;  /* HPDF_Page of every page, in order      */
    HPDF_Page    page;          /* current page                           */
    HPDF_REAL    y;             /* top of the next line box (pt, y up)    */
    int          letter;        /* 1: fold marks on page 1                */
    const char  *footer;        /* CP1252 footer line (or NULL)           */
    int          fresh;         /* nothing drawn on the page yet          */
} jc_pdf_lay_t;

typedef struct {
    const char *s;              /* start of the line in the paragraph     */
    size_t      n;              /* bytes                                  */
} jc_pdf_line_t;

/* "%H:%M" in German time (Europe/Berlin) into buf[6] */
void jc_pdf_time_de(time_t t, char buf[6]);

/* "1,6 MB (1.572.864 Bytes)", decimal units as on the upload page */
const char *jc_pdf_size_de(apr_uint64_t v, apr_pool_t *p);

/* 0 if s is acceptable: present when required, at most
 * JC_LETTER_STR_MAX bytes; else *err names it. */
int jc_pdf_chk(const char *s, int required, const char *what,
               apr_pool_t *p, const char **err);

/* printable ASCII, 1..max bytes */
int jc_pdf_chk_ascii(const char *s, size_t max, const char *what,
                     apr_pool_t *p, const char **err);

/* Start a document (letter = 1: fold marks on page 1) with its first
 * page: 0 or -1. */
int jc_pdf_begin(jc_pdf_lay_t *L, apr_pool_t *p, int letter,
                 const char *title, const char *author);

/* Footer on every page, "Seite n von m" when there is more than one (or
 * always, when numbered), then save into pool memory; the document is
 * freed. 0, or -1 with *err. */
int jc_pdf_end(jc_pdf_lay_t *L, int numbered, const char **pdf,
               apr_size_t *len, const char **err);

/* A new page (the cursor at its top). */
void jc_pdf_page(jc_pdf_lay_t *L);

/* Make room for h points below the cursor: a new page unless it fits or
 * the page is still empty (content taller than a page flows on). */
void jc_pdf_need(jc_pdf_lay_t *L, HPDF_REAL h);

/* Width of n bytes of s (CP1252) in f at size, in points. */
HPDF_REAL jc_pdf_width(HPDF_Font f, HPDF_REAL size, const char *s,
                       size_t n);

/* n bytes of s (CP1252) at x on the baseline. */
void jc_pdf_text(jc_pdf_lay_t *L, HPDF_Font f, HPDF_REAL size, HPDF_REAL x,
                 HPDF_REAL baseline, const char *s, size_t n);

/* A horizontal line from x0 to x1 at y. */
void jc_pdf_hline(jc_pdf_lay_t *L, HPDF_REAL x0, HPDF_REAL x1, HPDF_REAL y,
                  HPDF_REAL width, HPDF_REAL gray);

/* Wrap s (CP1252) to width w: words move to the next line whole, a word
 * wider than a line is cut by characters; '\n' ends a line. An array of
 * jc_pdf_line_t. */
apr_array_header_t *jc_pdf_wrap(jc_pdf_lay_t *L, HPDF_Font f,
                                HPDF_REAL size, HPDF_REAL w, const char *s);

/* UTF-8 text wrapped at x..x+w; advances the cursor. y_min < 0: page
 * breaks between lines; else lines that would reach below y_min are left
 * out (fixed fields such as the address window). */
void jc_pdf_lines(jc_pdf_lay_t *L, HPDF_Font f, HPDF_REAL size,
                  HPDF_REAL lead, HPDF_REAL x, HPDF_REAL w,
                  const char *utf8, HPDF_REAL y_min);

/* A paragraph of UTF-8 text at x..x+w, page breaks between lines */
void jc_pdf_para_at(jc_pdf_lay_t *L, HPDF_Font f, HPDF_REAL size,
                    HPDF_REAL lead, HPDF_REAL x, HPDF_REAL w,
                    const char *utf8);

/* A body paragraph in the text column, with the paragraph gap after it */
void jc_pdf_para(jc_pdf_lay_t *L, HPDF_Font f, const char *utf8);

/* A numbered step: the number in the margin of an indented paragraph */
void jc_pdf_step(jc_pdf_lay_t *L, const char *num, const char *utf8);

#endif

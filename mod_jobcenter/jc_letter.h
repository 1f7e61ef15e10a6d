/* PDF letters and receipts with libhpdf: the Freischaltcode letter, the
 * two one-time-credential letters and the upload receipt
 * ("Bestätigungs-PDF"). Letters follow DIN 5008 form B on A4. Text is
 * set in the PDF base-14 fonts (Helvetica, Courier) with WinAnsiEncoding
 * (CP1252): German text incl. „ “ – € extracts exactly with pdftotext;
 * other characters are transliterated (ł -> l) or replaced by '?'.
 * Core: no httpd headers. */
#ifndef JC_LETTER_H
#define JC_LETTER_H

#include <apr_pools.h>
#include <time.h>

#define JC_LETTER_STR_MAX   4096 /* longest input string, bytes          */
#define JC_LETTER_CODE_MAX  64   /* longest Freischaltcode (grouped)      */
#define JC_LETTER_URL_MAX   512  /* longest qr_url / verify_url / login_url */
#define JC_LETTER_FILES_MAX 500  /* most files on one receipt             */
#define JC_LETTER_MSG_MAX   1000 /* longest receipt message, code points  */

typedef struct {
    const char *jc_name;        /* "Jobcenter Rems-Murr" (required)      */
    const char *jc_street;      /* "Postfach 1234" or street (or NULL)   */
    const char *jc_city;        /* "71332 Waiblingen" (or NULL)          */
    const char *jc_phone;       /* "07151 9519-0" (or NULL)              */
    const char *recipient[6];   /* NULL-terminated lines: "Frau Erika
                                   Mustermann", street, "PLZ Ort"; at
                                   least one line, at most six           */
    const char *kundennummer;   /* "123A123456" or NULL                  */
    time_t      date;           /* letter date                           */
    /* Added after the first draft; zero-initialised callers get the
     * defaults given here. */
    const char *login_url;      /* credential letters: where to sign in,
                                   printed in the text; NULL: the text
                                   names "Jobcenter.Digital" instead     */
    /* Credential letters, the operator's settings (NULL: line left out):
     * JobcenterInfoURL, JobcenterServicePhone, JobcenterHearingImpairedURL */
    const char *info_url;       /* "Weitere Informationen finden Sie
                                   unter …" after the "Wichtig" note     */
    const char *service_phone;  /* "Servicenummer: …"                     */
    const char *hearing_url;    /* page about the service for people with
                                   hearing impairments                  */
} jc_letter_head_t;

/* Each returns 0 and sets *pdf and *len (allocated in p) or returns -1 and
 * sets *err (English, for the log). Inputs are UTF-8; invalid bytes are
 * drawn as '?'. Refused (-1): missing required strings, any string longer
 * than JC_LETTER_STR_MAX bytes, and the limits named below. */

/* The Freischaltcode letter: the seed's text and numbered steps, the code
 * (printable ASCII, at most JC_LETTER_CODE_MAX) large in Courier, "Der
 * Freischaltcode ist gültig bis zum: DD.MM.YYYY", and a QR code of qr_url
 * (printable ASCII, at most JC_LETTER_URL_MAX) that is also printed. */
int jc_letter_freischaltcode(apr_pool_t *p, const jc_letter_head_t *h,
                             const char *code_grouped /* "Z8TM-YQE6-H578" */,
                             time_t valid_until, const char *qr_url,
                             const char **pdf, apr_size_t *len,
                             const char **err);

/* part 1: the username letter, part 2: the password letter. Each holds
 * only its own value and says that the other part comes in a separate
 * letter. value: non-empty, no control characters. */
int jc_letter_credential(apr_pool_t *p, const jc_letter_head_t *h, int part,
                         const char *value, time_t valid_until,
                         const char **pdf, apr_size_t *len,
                         const char **err);

typedef struct {
    const char  *name;          /* file name as uploaded (UTF-8)          */
    apr_uint64_t size;          /* bytes                                  */
    const char  *sha256_hex;    /* 64 hex digits (printed lower-case)     */
} jc_receipt_file_t;

typedef struct {
    const char *jc_name;        /* "Jobcenter Rems-Murr"                  */
    time_t      at;             /* when the submission was stored         */
    const char *reference;      /* reference number of the submission     */
    const char *area;           /* "Geldleistung" …                       */
    const jc_receipt_file_t *files; /* 1..JC_LETTER_FILES_MAX files       */
    int         nfiles;
    const char *message;        /* or NULL; at most JC_LETTER_MSG_MAX code
                                   points; emoji are drawn as '?'        */
    const char *verify_code;    /* printed for checking the receipt       */
    const char *verify_url;     /* where the receipt can be checked,
                                   printed on it                         */
} jc_receipt_t;

/* The receipt "Bestätigung über den Eingang Ihrer Dokumente": one or more
 * pages with "Seite n von m". */
int jc_receipt_pdf(apr_pool_t *p, const jc_receipt_t *r, const char **pdf,
                   apr_size_t *len, const char **err);

/* "DD.MM.YYYY" in German time (Europe/Berlin, whatever the server's TZ)
 * into buf[11] */
void jc_date_de(time_t t, char buf[11]);

/* UTF-8 -> CP1252 (WinAnsiEncoding) as drawn in the PDFs, in p: letters
 * of Latin Extended-A lose their accents (ł -> l), spaces and dashes
 * outside CP1252 become their ASCII forms, zero-width characters, variation
 * selectors and emoji modifiers vanish, every other character (emoji, CJK,
 * invalid bytes) becomes '?'. Tabs become spaces, '\n' is kept, other
 * control characters vanish. Exposed for the unit tests. */
const char *jc_letter_cp1252(const char *utf8, apr_pool_t *p);

#endif

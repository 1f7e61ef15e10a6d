/* The customer search and the name key (see jc_customer_search.h). */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "jc_customer_search.h"
#include "jc_customer.h"
#include "jc_field.h"
#include "jc_fsc.h"
#include "jc_utf8.h"

/* Latin letters folded for name_key (sorted by code point); the SQL of
 * migration 010 folds existing rows with the same table. */
static const struct {
    unsigned cp;                /* code point                      */
    const char *to;             /* its ASCII lower-case spelling   */
} name_fold[] = {
    { 0x00c0, "a" },  /* À */
    { 0x00c1, "a" },  /* Á */
    { 0x00c2, "a" },  /* Â */
    { 0x00c3, "a" },  /* Ã */
    { 0x00c4, "ae" },  /* Ä */
    { 0x00c5, "a" },  /* Å */
    { 0x00c6, "ae" },  /* Æ */
    { 0x00c7, "c" },  /* Ç */
    { 0x00c8, "e" },  /* È */
    { 0x00c9, "e" },  /* É */
    { 0x00ca, "e" },  /* Ê */
    { 0x00cb, "e" },  /* Ë */
    { 0x00cc, "i" },  /* Ì */
    { 0x00cd, "i" },  /* Í */
    { 0x00ce, "i" },  /* Î */
    { 0x00cf, "i" },  /* Ï */
    { 0x00d1, "n" },  /* Ñ */
    { 0x00d2, "o" },  /* Ò */
    { 0x00d3, "o" },  /* Ó */
    { 0x00d4, "o" },  /* Ô */
    { 0x00d5, "o" },  /* Õ */
    { 0x00d6, "oe" },  /* Ö */
    { 0x00d8, "o" },  /* Ø */
    { 0x00d9, "u" },  /* Ù */
    { 0x00da, "u" },  /* Ú */
    { 0x00db, "u" },  /* Û */
    { 0x00dc, "ue" },  /* Ü */
    { 0x00dd, "y" },  /* Ý */
    { 0x00df, "ss" },  /* ß */
    { 0x00e0, "a" },  /* à */
    { 0x00e1, "a" },  /* á */
    { 0x00e2, "a" },  /* â */
    { 0x00e3, "a" },  /* ã */
    { 0x00e4, "ae" },  /* ä */
    { 0x00e5, "a" },  /* å */
    { 0x00e6, "ae" },  /* æ */
    { 0x00e7, "c" },  /* ç */
    { 0x00e8, "e" },  /* è */
    { 0x00e9, "e" },  /* é */
    { 0x00ea, "e" },  /* ê */
    { 0x00eb, "e" },  /* ë */
    { 0x00ec, "i" },  /* ì */
    { 0x00ed, "i" },  /* í */
    { 0x00ee, "i" },  /* î */
    { 0x00ef, "i" },  /* ï */
    { 0x00f1, "n" },  /* ñ */
    { 0x00f2, "o" },  /* ò */
    { 0x00f3, "o" },  /* ó */
    { 0x00f4, "o" },  /* ô */
    { 0x00f5, "o" },  /* õ */
    { 0x00f6, "oe" },  /* ö */
    { 0x00f8, "o" },  /* ø */
    { 0x00f9, "u" },  /* ù */
    { 0x00fa, "u" },  /* ú */
    { 0x00fb, "u" },  /* û */
    { 0x00fc, "ue" },  /* ü */
    { 0x00fd, "y" },  /* ý */
    { 0x00ff, "y" },  /* ÿ */
    { 0x0100, "a" },  /* Ā */
    { 0x0101, "a" },  /* ā */
    { 0x0102, "a" },  /* Ă */
    { 0x0103, "a" },  /* ă */
    { 0x0104, "a" },  /* Ą */
    { 0x0105, "a" },  /* ą */
    { 0x0106, "c" },  /* Ć */
    { 0x0107, "c" },  /* ć */
    { 0x0108, "c" },  /* Ĉ */
    { 0x0109, "c" },  /* ĉ */
    { 0x010a, "c" },  /* Ċ */
    { 0x010b, "c" },  /* ċ */
    { 0x010c, "c" },  /* Č */
    { 0x010d, "c" },  /* č */
    { 0x010e, "d" },  /* Ď */
    { 0x010f, "d" },  /* ď */
    { 0x0110, "d" },  /* Đ */
    { 0x0111, "d" },  /* đ */
    { 0x0112, "e" },  /* Ē */
    { 0x0113, "e" },  /* ē */
    { 0x0116, "e" },  /* Ė */
    { 0x0117, "e" },  /* ė */
    { 0x0118, "e" },  /* Ę */
    { 0x0119, "e" },  /* ę */
    { 0x011a, "e" },  /* Ě */
    { 0x011b, "e" },  /* ě */
    { 0x011c, "g" },  /* Ĝ */
    { 0x011d, "g" },  /* ĝ */
    { 0x011e, "g" },  /* Ğ */
    { 0x011f, "g" },  /* ğ */
    { 0x0122, "g" },  /* Ģ */
    { 0x0123, "g" },  /* ģ */
    { 0x012a, "i" },  /* Ī */
    { 0x012b, "i" },  /* ī */
    { 0x012e, "i" },  /* Į */
    { 0x012f, "i" },  /* į */
    { 0x0130, "i" },  /* İ */
    { 0x0131, "i" },  /* ı */
    { 0x0136, "k" },  /* Ķ */
    { 0x0137, "k" },  /* ķ */
    { 0x0139, "l" },  /* Ĺ */
    { 0x013a, "l" },  /* ĺ */
    { 0x013b, "l" },  /* Ļ */
    { 0x013c, "l" },  /* ļ */
    { 0x013d, "l" },  /* Ľ */
    { 0x013e, "l" },  /* ľ */
    { 0x0141, "l" },  /* Ł */
    { 0x0142, "l" },  /* ł */
    { 0x0143, "n" },  /* Ń */
    { 0x0144, "n" },  /* ń */
    { 0x0145, "n" },  /* Ņ */
    { 0x0146, "n" },  /* ņ */
    { 0x0147, "n" },  /* Ň */
    { 0x0148, "n" },  /* ň */
    { 0x014c, "o" },  /* Ō */
    { 0x014d, "o" },  /* ō */
    { 0x0150, "o" },  /* Ő */
    { 0x0151, "o" },  /* ő */
    { 0x0152, "oe" },  /* Œ */
    { 0x0153, "oe" },  /* œ */
    { 0x0154, "r" },  /* Ŕ */
    { 0x0155, "r" },  /* ŕ */
    { 0x0158, "r" },  /* Ř */
    { 0x0159, "r" },  /* ř */
    { 0x015a, "s" },  /* Ś */
    { 0x015b, "s" },  /* ś */
    { 0x015e, "s" },  /* Ş */
    { 0x015f, "s" },  /* ş */
    { 0x0160, "s" },  /* Š */
    { 0x0161, "s" },  /* š */
    { 0x0162, "t" },  /* Ţ */
    { 0x0163, "t" },  /* ţ */
    { 0x0164, "t" },  /* Ť */
    { 0x0165, "t" },  /* ť */
    { 0x016a, "u" },  /* Ū */
    { 0x016b, "u" },  /* ū */
    { 0x016e, "u" },  /* Ů */
    { 0x016f, "u" },  /* ů */
    { 0x0170, "u" },  /* Ű */
    { 0x0171, "u" },  /* ű */
    { 0x0172, "u" },  /* Ų */
    { 0x0173, "u" },  /* ų */
    { 0x0178, "y" },  /* Ÿ */
    { 0x0179, "z" },  /* Ź */
    { 0x017a, "z" },  /* ź */
    { 0x017b, "z" },  /* Ż */
    { 0x017c, "z" },  /* ż */
    { 0x017d, "z" },  /* Ž */
    { 0x017e, "z" },  /* ž */
    { 0x0218, "s" },  /* Ș */
    { 0x0219, "s" },  /* ș */
    { 0x021a, "t" },  /* Ț */
    { 0x021b, "t" },  /* ț */
    { 0x1e9e, "ss" },  /* ẞ */
};

static const char *fold_cp(unsigned cp)
{
    size_t lo = 0, hi = sizeof(name_fold) / sizeof(name_fold[0]);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (name_fold[mid].cp == cp) {
            return name_fold[mid].to;
        }
        if (name_fold[mid].cp < cp) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return NULL;
}

const char *jc_name_key(const char *s, apr_pool_t *p)
{
    /* a folded character is at most 2 bytes long and becomes at most 2 */
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;
    const unsigned char *u = (const unsigned char *)s;
    int space = 0;

    while (*u) {
        unsigned cp = 0;
        size_t len = 1;
        const char *to = NULL;

        if (*u == ' ' || *u == '\t' || *u == ',' || *u == '\n'
            || *u == '\r') {
            space = (o > out);
            u++;
            continue;
        }
        if ((*u & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) {
            cp = ((unsigned)(*u & 0x1F) << 6) | (u[1] & 0x3F);
            len = 2;
        }
        else if ((*u & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80
                 && (u[2] & 0xC0) == 0x80) {
            cp = ((unsigned)(*u & 0x0F) << 12)
                 | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
            len = 3;
        }
        if (space) {
            *o++ = ' ';
            space = 0;
        }
        if (len > 1 && (to = fold_cp(cp)) != NULL) {
            size_t n = strlen(to);

            memcpy(o, to, n);
            o += n;
        }
        else if (len == 1) {
            *o++ = (char)apr_tolower(*u);
        }
        else {
            memcpy(o, u, len);
            o += len;
        }
        u += len;
    }
    *o = '\0';
    return out;
}

/* A Kundennummer typed with or without spaces ("123 A 123456"), any case:
 * its canonical form, else NULL. */
static const char *knr_of(const char *q, apr_pool_t *p)
{
    char k[11];
    size_t n = 0;

    for (; *q; q++) {
        if (*q == ' ') {
            continue;
        }
        if (n == 10) {
            return NULL;
        }
        k[n++] = (char)apr_toupper(*q);
    }
    k[n] = '\0';
    return jc_kundennummer_valid(k) ? apr_pstrdup(p, k) : NULL;
}

/* the count of either count_label is read with jc_cust_count_name's
 * column index */
_Static_assert(JC_COL_CUST_COUNT_NAME_N == JC_COL_CUST_COUNT_PLZ_N,
               "jc_cust_count_plz and jc_cust_count_name: the same column");

/* What a query searches: its statements and their arguments. */
typedef struct {
    jc_sql_id_e count_label;    /* JC_SQL_NONE: no count needed           */
    jc_sql_id_e list_label;
    const void *args[5];        /* the query's, then LIMIT and OFFSET     */
    int nargs;                  /* the query's arguments                  */
} search_plan_t;

/* The statements for the trimmed query tq in jobcenter *jobcenter_id:
 * a Kundennummer, a postcode or a prefix of name_key. */
static void search_plan(search_plan_t *sp, const apr_int64_t *jobcenter_id,
                        const char *tq, apr_pool_t *p)
{
    const char *knr;

    sp->args[0] = jobcenter_id;
    sp->nargs = 2;
    if ((knr = knr_of(tq, p)) != NULL) {
        /* at most one row: no count */
        sp->count_label = JC_SQL_NONE;
        sp->list_label = JC_SQL_CUST_SEARCH_KNR;
        sp->args[1] = knr;
    }
    else if (jc_field_postcode_ok(tq)) {
        sp->count_label = JC_SQL_CUST_COUNT_PLZ;
        sp->list_label = JC_SQL_CUST_SEARCH_PLZ;
        sp->args[1] = tq;
    }
    else {
        /* a prefix of name_key: [key, key + U+10FFFF) in byte order */
        const char *key = jc_name_key(tq, p);

        sp->count_label = JC_SQL_CUST_COUNT_NAME;
        sp->list_label = JC_SQL_CUST_SEARCH_NAME;
        sp->args[1] = key;
        sp->args[2] = apr_pstrcat(p, key, "\xF4\x8F\xBF\xBF", NULL);
        sp->nargs = 3;
    }
}

/* The rows of one page into list. When the page itself tells the total,
 * *total gets it and sp->count_label is cleared. 0, or -1 on a database
 * failure (res holds it). */
static int search_page(jc_db_t *db, jc_result_t *res, search_plan_t *sp,
                       apr_int64_t per_page, apr_int64_t offset,
                       json_t *list, apr_int64_t *total, apr_pool_t *p)
{
    jc_db_res_t rs;
    jc_db_row_t row;
    jc_db_rc_e rc;
    int i;

    /* (the Kundennummer's statement takes neither) */
    sp->args[sp->nargs] = &per_page;
    sp->args[sp->nargs + 1] = &offset;
    rc = jc_db_select(db, &rs, sp->list_label, sp->args, p);
    sp->args[sp->nargs] = sp->args[sp->nargs + 1] = NULL;
    if (jc_db_fail(res, db, rc, p)) {
        return -1;
    }
    for (i = 0; i < rs.nrows; i++) {
        jc_customer_t c;

        if (jc_db_res_row(&rs, i, &row, p) != 0) {
            break;
        }
        jc_customer_from_row(&row, &c, p);
        json_array_append_new(list, jc_customer_json(&c));
    }
    /* a page that is not full and not past the end gives the total
     * itself (offset + rows; none on the first page: 0): a search
     * that fits on its page (a surname, a street's postcode) needs
     * no count (on PostgreSQL each statement with a
     * range is planned anew at every run: the count cost as much
     * again, bench/run.sh growth) */
    if (sp->count_label == JC_SQL_NONE || ((offset == 0 || rs.nrows > 0)
                             && rs.nrows < per_page)) {
        *total = offset + rs.nrows;
        sp->count_label = JC_SQL_NONE;
    }
    return 0;
}

void jc_customer_search(jc_db_t *db, jc_result_t *res,
                        apr_int64_t jobcenter_id, const char *q,
                        apr_int64_t page, apr_int64_t per_page, json_t **out,
                        apr_pool_t *p)
{
    jc_db_row_t row;
    const char *tq = jc_field_trim(q ? q : "", p);
    search_plan_t sp;
    apr_int64_t total = 0, offset;
    jc_db_rc_e rc;
    json_t *list;

    *out = NULL;
    if (jc_field_chars(tq) > JC_FIELD_TEXT_MAX || !jc_utf8_valid(tq)) {
        jc_result_set(res, 422, "query_invalid", "Der Suchbegriff ist zu "
                      "lang oder ungültig.", "q");
        return;
    }
    if (page < 1 || page > 100000 || per_page < 1 || per_page > 100) {
        jc_result_set(res, 422, "page_invalid", "Die Seitenangabe ist "
                      "ungültig.", "page");
        return;
    }
    offset = (page - 1) * per_page;
    memset(&sp, 0, sizeof(sp));
    search_plan(&sp, &jobcenter_id, tq, p);
    list = json_array();
    /* pages end at JC_CUST_COUNT_MAX rows (and a Kundennummer's at one):
     * nobody pages through more, and OFFSET costs what it skips */
    if (offset < (sp.count_label != JC_SQL_NONE ? JC_CUST_COUNT_MAX : 1)
        && search_page(db, res, &sp, per_page, offset, list, &total, p)) {
        json_decref(list);
        return;
    }
    if (sp.count_label != JC_SQL_NONE) {
        rc = jc_db_select1(db, &row, sp.count_label, sp.args, p);
        if (jc_db_fail(res, db, rc, p)) {
            json_decref(list);
            return;
        }
        jc_db_col_i64(&row, JC_COL_CUST_COUNT_NAME_N, &total, 0);
    }
    *out = json_pack("{s:o, s:I, s:b, s:I, s:I}", "customers", list,
                     "total", (json_int_t)(total > JC_CUST_COUNT_MAX
                                           ? JC_CUST_COUNT_MAX : total),
                     "total_more", total > JC_CUST_COUNT_MAX,
                     "page", (json_int_t)page,
                     "per_page", (json_int_t)per_page);
}

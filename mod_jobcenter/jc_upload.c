/* Document uploads (see jc_upload.h). */
#include "jc_upload.h"
#include "jc_time.h"
#include "jc_fsc.h"
#include "jc_group.h"
#include "jc_letter.h"
#include "jc_metrics.h"
#include "jc_token.h"
#include "jc_upload_store.h"
#include "jc_upsink.h"
#include "jc_scanhold.h"
#include "jc_utf8.h"

#include <string.h>
#include <time.h>

#include <apr_strings.h>

static const jc_upload_area_t areas[] = {
    { "geldleistung", "Geldleistung", "leistung", "Leistung allgemein" },
    { "vermittlung", "Vermittlung", "vermittlung", "Vermittlung / Beratung" },
    { "but", "Bildung und Teilhabe", "but",
      "Leistung Bildung und Teilhabe" },
    { NULL, NULL, NULL, NULL }
};

static const struct {
    const char *key;
    const char *label;
} statuses[] = {
    { "uebermittelt", "übermittelt" },
    { "in_bearbeitung", "in Bearbeitung" },
    { "erledigt", "erledigt" },
    { NULL, NULL }
};

const jc_upload_area_t *jc_upload_area(const char *k)
{
    const jc_upload_area_t *a;

    for (a = areas; k && a->key; a++) {
        if (!strcmp(a->key, k) || !strcmp(a->label, k)) {
            return a;
        }
    }
    return NULL;
}

const char *jc_upload_status_label(const char *key)
{
    int i;

    for (i = 0; key && statuses[i].key; i++) {
        if (!strcmp(statuses[i].key, key)) {
            return statuses[i].label;
        }
    }
    return NULL;
}

static const char *team_label(const char *team)
{
    const jc_upload_area_t *a;

    for (a = areas; team && a->key; a++) {
        if (!strcmp(a->team, team)) {
            return a->team_label;
        }
    }
    return team;
}

long jc_upload_text_chars(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    long chars = 0;

    while (i < n) {
        size_t k = jc_utf8_seq(u + i, n - i);

        if (k == 0) {
            return -1;
        }
        if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f) && u[i] != '\n'
            && u[i] != '\r' && u[i] != '\t') {
            return -1;
        }
        if (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) {
            return -1;          /* C1 controls */
        }
        i += k;
        chars++;
    }
    return chars;
}

/* "DD.MM.YYYY" and "HH:MM" in German time (Europe/Berlin). */
static const char *date_de(apr_int64_t t, apr_pool_t *p)
{
    char buf[11];

    jc_berlin_date_de(t, buf);
    return apr_pstrdup(p, buf);
}

static const char *time_de(apr_int64_t t, apr_pool_t *p)
{
    char buf[6];

    jc_berlin_time_de(t, buf);
    return apr_pstrdup(p, buf);
}

static int not_found(jc_result_t *res, const char *what)
{
    return jc_result_set(res, 404, "not_found", what, NULL);
}

static const char *const draft_gone =
    "Dieser Upload-Vorgang existiert nicht mehr. Bitte beginnen Sie "
    "erneut mit „Dateien hochladen“.";

/* ---- profile, context, drafts ------------------------------------------ */

int jc_upload_profile(jc_db_t *db, jc_result_t *res,
                      jc_upload_profile_t *out, apr_int64_t account_id,
                      apr_pool_t *p)
{
    const void *args[1] = { &account_id };
    jc_db_row_t row;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_CUSTOMER, args, p);

    memset(out, 0, sizeof(*out));
    if (rc == JC_DB_NOROW) {
        return jc_result_set(res, 403, "profile_required",
                             "Zum Hochladen von Dokumenten benötigen Sie ein "
                             "Personenprofil. Bitte schalten Sie zuerst Ihre "
                             "eServices mit dem Freischaltcode Ihres "
                             "Jobcenters frei.", NULL);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    jc_db_col_i64(&row, 0, &out->customer_id, 0);
    jc_db_col_i64(&row, 1, &out->jobcenter_id, 0);
    out->jc_name = jc_db_col_str(&row, 2, p);
    out->jc_street = jc_db_col_str(&row, 3, p);
    out->jc_city = apr_pstrcat(p, jc_db_col_str(&row, 4, p), " ",
                               jc_db_col_str(&row, 5, p), NULL);
    out->jc_phone = jc_db_col_str(&row, 6, p);
    return 200;
}

static json_t *limits_json(const jc_upload_cfg_t *cfg)
{
    return json_pack("{s:I, s:i, s:I, s:[s,s,s,s], s:s}",
                     "max_file_bytes", (json_int_t)cfg->max_file,
                     "max_files", cfg->max_files,
                     "max_bytes_per_day", (json_int_t)cfg->max_day,
                     "types", "application/pdf", "image/jpeg", "image/png",
                     "image/bmp", "accept",
                     ".pdf,.jpg,.jpeg,.png,.bmp,application/pdf,image/jpeg,"
                     "image/png,image/bmp");
}

static apr_int64_t bytes_today(jc_db_t *db, jc_db_rc_e *rc,
                               apr_int64_t account_id, apr_int64_t now,
                               apr_pool_t *p)
{
    apr_int64_t since = now - 86400, used = 0;
    const void *args[2] = { &account_id, &since };
    jc_db_row_t row;

    *rc = jc_db_select1(db, &row, JC_SQL_UP_BYTES_SINCE, args, p);
    if (*rc == JC_DB_OK) {
        jc_db_col_i64(&row, 0, &used, 0);
    }
    return used;
}

int jc_upload_context(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                      apr_int64_t now, apr_pool_t *p)
{
    jc_upload_profile_t pr;
    json_t *ar = json_array();
    const jc_upload_area_t *a;
    apr_int64_t used;
    jc_db_rc_e rc;

    *out = NULL;
    if (jc_upload_profile(db, res, &pr, account_id, p) != 200) {
        json_decref(ar);
        return res->status;
    }
    used = bytes_today(db, &rc, account_id, now, p);
    if (jc_db_fail(res, db, rc, p)) {
        json_decref(ar);
        return res->status;
    }
    for (a = areas; a->key; a++) {
        json_array_append_new(ar, json_pack("{s:s, s:s}", "key", a->key,
                                            "label", a->label));
    }
    *out = json_pack("{s:s, s:o, s:o, s:I}", "jobcenter", pr.jc_name,
                     "areas", ar, "limits", limits_json(cfg),
                     "bytes_used_today", (json_int_t)used);
    return 200;
}

int jc_upload_draft_create(jc_db_t *db, jc_result_t *res, json_t **out,
                           const jc_upload_cfg_t *cfg,
                           apr_int64_t account_id, const char *area,
                           apr_int64_t now, apr_pool_t *p)
{
    const jc_upload_area_t *a = jc_upload_area(area);
    jc_upload_profile_t pr;
    const void *args[4];
    jc_db_row_t row;
    apr_int64_t id = 0;
    jc_db_rc_e rc;

    *out = NULL;
    if (!a) {
        return jc_result_set(res, 400, "area_invalid", "Bitte wählen Sie "
                             "den zuständigen Bereich aus: „Geldleistung“, "
                             "„Vermittlung“ oder „Bildung und Teilhabe“.",
                             "area");
    }
    if (jc_upload_profile(db, res, &pr, account_id, p) != 200) {
        return res->status;
    }
    args[0] = &account_id;
    args[1] = &pr.customer_id;
    args[2] = a->key;
    args[3] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_UP_DRAFT_INSERT, args, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    jc_db_col_i64(&row, 0, &id, 0);
    *out = json_pack("{s:I, s:s, s:s, s:s, s:[], s:I, s:o}", "draft",
                     (json_int_t)id, "area", a->key, "area_label", a->label,
                     "jobcenter", pr.jc_name, "files", "expires_at",
                     (json_int_t)(now + JC_UPLOAD_DRAFT_TTL), "limits",
                     limits_json(cfg));
    return 201;
}

/* The account's live draft: *count = its files. */
static int draft_get(jc_db_t *db, jc_result_t *res, apr_int64_t *count,
                     const char **area, apr_int64_t account_id,
                     apr_int64_t draft_id, apr_int64_t now, apr_pool_t *p)
{
    const void *args[2] = { &draft_id, &account_id };
    jc_db_row_t row;
    apr_int64_t created = 0;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_DRAFT_GET, args, p);

    if (rc == JC_DB_NOROW) {
        return not_found(res, draft_gone);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    jc_db_col_i64(&row, 3, &created, 0);
    if (created + JC_UPLOAD_DRAFT_TTL <= now) {
        return not_found(res, draft_gone);
    }
    if (area) {
        *area = jc_db_col_str(&row, 1, p);
    }
    jc_db_col_i64(&row, 4, count, 0);
    return 200;
}

int jc_upload_room(jc_db_t *db, jc_result_t *res, jc_upload_room_t *room,
                   const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                   apr_int64_t draft_id, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t count = 0, used;
    jc_db_rc_e rc;

    memset(room, 0, sizeof(*room));
    if (draft_get(db, res, &count, NULL, account_id, draft_id, now, p)
        != 200) {
        return res->status;
    }
    if (count >= cfg->max_files) {
        return jc_result_set(res, 400, "upload_too_many_files",
                             apr_psprintf(p, "Es können höchstens %d "
                                          "Dateien je Sendung hochgeladen "
                                          "werden.", cfg->max_files),
                             "file");
    }
    used = bytes_today(db, &rc, account_id, now, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (used >= cfg->max_day) {
        return jc_result_set(res, 413, "upload_daily_limit",
                             "Sie haben heute bereits so viele Daten "
                             "hochgeladen, wie an einem Tag erlaubt ist. "
                             "Bitte versuchen Sie es morgen erneut.",
                             "file");
    }
    room->files_left = (unsigned)(cfg->max_files - count);
    room->bytes_left = cfg->max_day - used;
    return 200;
}

static json_t *file_json(apr_int64_t id, const char *name, const char *mime,
                         apr_int64_t size, const char *sha)
{
    return json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)id,
                     "name", name, "type", mime, "size", (json_int_t)size,
                     "sha256", sha);
}

static void remove_files(const jc_upload_cfg_t *cfg,
                         const apr_array_header_t *files, apr_pool_t *p)
{
    int i;

    for (i = 0; i < files->nelts; i++) {
        jc_store_remove(cfg->store,
                        APR_ARRAY_IDX(files, i, jc_upfile_t).store_id, p);
    }
}

/* One upload's rows (jc_upload_files_add), as an item of a transaction
 * that may be shared (jc_gbatch). */
typedef struct {
    const jc_upload_cfg_t *cfg;
    apr_int64_t account_id;
    apr_int64_t draft_id;
    const apr_array_header_t *files;
    apr_int64_t now;
    apr_pool_t *p;              /* the uploading request's pool           */
    jc_result_t *res;           /* its result (refusal or failure)        */
    json_t *arr;                /* the rows as JSON once inserted         */
} fa_item_t;

/* Inside an open transaction on db: check the draft again, insert the
 * rows. 201 (it->arr set), a refusal that wrote nothing (4xx, no failed
 * statement), or a failure (the transaction must be rolled back). */
static int files_add_tx(jc_db_t *db, fa_item_t *it)
{
    apr_int64_t count = 0;
    jc_db_rc_e rc = JC_DB_OK;
    json_t *arr;
    int i;

    /* again inside the transaction: a parallel upload may have filled
     * the draft, or the watchdog removed it meanwhile */
    if (draft_get(db, it->res, &count, NULL, it->account_id, it->draft_id,
                  it->now, it->p) != 200) {
        return it->res->status;
    }
    if (count + it->files->nelts > it->cfg->max_files) {
        return jc_result_set(it->res, 400, "upload_too_many_files",
                             apr_psprintf(it->p, "Es können höchstens %d "
                                          "Dateien je Sendung hochgeladen "
                                          "werden.", it->cfg->max_files),
                             "file");
    }
    arr = json_array();
    for (i = 0; i < it->files->nelts; i++) {
        const jc_upfile_t *f = &APR_ARRAY_IDX(it->files, i, jc_upfile_t);
        apr_int64_t size = f->size, id = 0;
        const void *args[8] = { &it->account_id, &it->draft_id, f->store_id,
                                f->name, f->mime, &size, f->sha256,
                                &it->now };
        jc_db_row_t row;

        rc = jc_db_select1(db, &row, JC_SQL_UP_FILE_INSERT, args, it->p);
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_ERROR;
        }
        if (rc != JC_DB_OK) {
            break;
        }
        jc_db_col_i64(&row, 0, &id, 0);
        if (f->held) {
            /* stored while clamd was unreachable: hidden from staff
             * until the upload watchdog has scanned it */
            rc = jc_scan_hold_mark(db, id, it->p);
            if (rc != JC_DB_OK) {
                break;
            }
        }
        json_array_append_new(arr, file_json(id, f->name, f->mime, size,
                                             f->sha256));
        if (f->held) {
            json_object_set_new(json_array_get(arr, json_array_size(arr)
                                               - 1), "scan",
                                json_string("pending"));
        }
    }
    if (jc_db_fail(it->res, db, rc, it->p)) {
        json_decref(arr);
        return it->res->status;
    }
    it->arr = arr;
    return 201;
}

/* The rows of one upload in a transaction of their own. */
static int files_add_solo(jc_db_t *db, fa_item_t *it)
{
    jc_db_rc_e rc = jc_db_begin(db, it->p);

    if (jc_db_fail(it->res, db, rc, it->p)) {
        return it->res->status;
    }
    if (files_add_tx(db, it) != 201) {
        jc_db_rollback(db, it->p);
        return it->res->status;
    }
    rc = jc_db_commit(db, it->p);
    if (jc_db_fail(it->res, db, rc, it->p)) {
        json_decref(it->arr);
        it->arr = NULL;
        return it->res->status;
    }
    return 201;
}

/* ---- rows of concurrent uploads in one SQLite transaction --------------
 * SQLite has one writer at a time: every upload's commit took the write
 * lock (BEGIN IMMEDIATE, other connections retrying meanwhile) and waited
 * for its own WAL fdatasync. The threads of a child hand their rows to one
 * leader instead (jc_gbatch): one BEGIN IMMEDIATE, every upload's draft
 * check and inserts in arrival order (a later one sees the earlier ones'
 * rows, as if they had run one after the other), one COMMIT. A refusal
 * (draft gone, too many files) writes nothing and stands once the batch
 * commits; a failed statement or COMMIT rolls the batch back and every
 * upload of it runs alone as before. PostgreSQL shares WAL flushes between
 * concurrent commits itself and gets no batch. */
#define JC_UP_BATCH_MAX 32

typedef struct {
    jc_db_t *db;                /* the leader's connection                */
    apr_pool_t *p;              /* the leader's pool (the transaction)    */
} fa_leader_t;

static int fa_begin(void *lctx)
{
    fa_leader_t *l = lctx;

    return jc_db_begin(l->db, l->p) == JC_DB_OK ? 0 : -1;
}

static int fa_item(void *lctx, void *iarg)
{
    fa_leader_t *l = lctx;
    fa_item_t *it = iarg;
    int st = files_add_tx(l->db, it);

    if (st == 201) {
        return 0;
    }
    /* a refusal before any insert: nothing written, nothing failed */
    return st >= 400 && st < 500 && !l->db->tx_failed ? 1 : -1;
}

static int fa_commit(void *lctx)
{
    fa_leader_t *l = lctx;

    return jc_db_commit(l->db, l->p) == JC_DB_OK ? 0 : -1;
}

static void fa_rollback(void *lctx)
{
    fa_leader_t *l = lctx;

    jc_db_rollback(l->db, l->p);
}

static const jc_gbatch_ops_t fa_ops = {
    fa_begin, fa_item, fa_commit, fa_rollback
};

int jc_upload_files_add(jc_db_t *db, jc_result_t *res, json_t **out,
                        const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                        apr_int64_t draft_id,
                        const apr_array_header_t *files, apr_int64_t now,
                        apr_pool_t *p)
{
    fa_item_t it;
    const char *dbfile = jc_db_sqlite_file(db);
    jc_gbatch_t *b = NULL;
    int st, i;

    *out = NULL;
    memset(&it, 0, sizeof(it));
    it.cfg = cfg;
    it.account_id = account_id;
    it.draft_id = draft_id;
    it.files = files;
    it.now = now;
    it.p = p;
    it.res = res;
    if (dbfile && *dbfile) {
        b = jc_gbatch_for(dbfile, &fa_ops, JC_UP_BATCH_MAX);
    }
    if (b) {
        fa_leader_t l;

        l.db = db;
        l.p = p;
        switch (jc_gbatch_run(b, &l, &it)) {
        case JC_GB_DONE:
            st = 201;
            break;
        case JC_GB_REFUSED:
            st = res->status;
            break;
        default:
            /* the batch was rolled back: alone, from the start */
            if (it.arr) {
                json_decref(it.arr);
                it.arr = NULL;
            }
            jc_result_ok(res);
            st = files_add_solo(db, &it);
            break;
        }
    }
    else {
        st = files_add_solo(db, &it);
    }
    if (st != 201) {
        remove_files(cfg, files, p);
        return st;
    }
    for (i = 0; i < files->nelts; i++) {
        jc_metrics_inc(JC_M_UPLOAD_FILES);
        jc_metrics_add(JC_M_UPLOAD_BYTES, (apr_uint64_t)
                       APR_ARRAY_IDX(files, i, jc_upfile_t).size);
    }
    *out = json_pack("{s:o}", "files", it.arr);
    return 201;
}

int jc_upload_file_remove(jc_db_t *db, jc_result_t *res,
                          const jc_upload_cfg_t *cfg,
                          apr_int64_t account_id, apr_int64_t draft_id,
                          apr_int64_t file_id, apr_pool_t *p)
{
    const void *args[3] = { &file_id, &draft_id, &account_id };
    const char *store_id;
    jc_db_row_t row;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_FILE_GET_DRAFT, args,
                                  p);

    if (rc == JC_DB_NOROW) {
        return not_found(res, "Diese Datei gibt es in diesem Vorgang "
                         "nicht (mehr).");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    store_id = jc_db_col_str(&row, 0, p);
    args[0] = &file_id;
    rc = jc_db_exec(db, NULL, JC_SQL_UP_FILE_DELETE, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    /* the row is gone first: a failure here leaves an unreferenced file,
     * never a row without its file */
    jc_store_remove(cfg->store, store_id, p);
    return 204;
}

/* ---- submit and receipt ------------------------------------------------ */

static int key_ok(const char *k)
{
    size_t n = k ? strlen(k) : 0, i;

    if (n < JC_UPLOAD_KEY_MIN || n > JC_UPLOAD_KEY_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = k[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* The submission answer for id (also for a replayed submit). */
static int sub_answer(jc_db_t *db, jc_result_t *res, json_t **out,
                      apr_int64_t id, int status, apr_pool_t *p)
{
    const void *args[1] = { &id };
    jc_db_row_t row;
    apr_int64_t nfiles = 0, at = 0;
    const jc_upload_area_t *a;
    const char *jc;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_GET, args, p);

    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    a = jc_upload_area(jc_db_col_str(&row, 2, p));
    jc_db_col_i64(&row, 4, &nfiles, 0);
    jc_db_col_i64(&row, 5, &at, 0);
    jc = jc_db_col_str(&row, 7, p);
    *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
                     "submission", (json_int_t)id,
                     "reference", jc_db_col_str(&row, 1, p),
                     "area", a ? a->key : "", "area_label",
                     a ? a->label : "", "jobcenter", jc,
                     "files", (json_int_t)nfiles,
                     "submitted_at", (json_int_t)at,
                     "date", date_de(at, p),
                     "confirmation", apr_psprintf(p, "Ihre Dokumente wurden "
                         "am %s an %s übermittelt. Ihre Dokumente werden "
                         "schnellstmöglich geprüft und bearbeitet.",
                         date_de(at, p), jc),
                     "receipt", apr_psprintf(p, "/api/v1/uploads/receipt?"
                         "submission=%" APR_INT64_T_FMT, id));
    return status;
}

/* Reference "YYYY-XXXX-XXXX" and verification code "XXXX-XXXX-XXXX". */
static int new_codes(const char **ref, const char **code, apr_int64_t now,
                     apr_pool_t *p)
{
    char a[JC_FSC_LEN + 1], b[JC_FSC_LEN + 1];
    jc_berlin_tm_t tm;

    if (jc_fsc_new(a) != APR_SUCCESS || jc_fsc_new(b) != APR_SUCCESS) {
        return -1;
    }
    jc_berlin_exp(now, &tm);
    *ref = apr_psprintf(p, "%04d-%.4s-%.4s", tm.year, a, a + 4);
    *code = jc_fsc_group(b, p);
    return 0;
}

/* Write the receipt PDF into the store; *store_id. */
static apr_status_t store_pdf(const char **store_id, const char *dir,
                              const char *pdf, apr_size_t len,
                              apr_pool_t *p)
{
    jc_upload_t *u;
    const char *sha;
    apr_status_t rv = jc_upload_open(&u, dir, 0, p);

    if (rv == APR_SUCCESS) {
        rv = jc_upload_write(u, pdf, len);
    }
    if (rv == APR_SUCCESS) {
        rv = jc_upload_commit(u, store_id, &sha);
    }
    return rv;
}

int jc_upload_submit(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_upload_cfg_t *cfg,
                     const jc_upload_submit_in_t *in, apr_int64_t now,
                     apr_pool_t *p)
{
    const void *args[13];
    jc_upload_profile_t pr;
    jc_db_row_t row;
    jc_db_res_t files;
    jc_receipt_t rc_in;
    jc_receipt_file_t *rf;
    const jc_upload_area_t *a;
    const char *area = NULL, *msg = in->message, *ref, *code, *pdf, *err;
    const char *pdf_id = NULL;
    apr_size_t pdflen;
    apr_int64_t count = 0, id = 0, nfiles;
    apr_status_t srv;
    jc_db_rc_e rc;
    long chars;
    int i, attempt;

    *out = NULL;
    if (!key_ok(in->key)) {
        return jc_result_set(res, 400, "idempotency_key_invalid",
                             "Die Anfrage enthält keinen gültigen "
                             "Idempotenz-Schlüssel (8 bis 64 Zeichen A-Z, "
                             "a-z, 0-9, - und _).", "idempotency_key");
    }
    if (msg && *msg) {
        chars = jc_upload_text_chars(msg);
        if (chars < 0) {
            return jc_result_set(res, 400, "message_invalid",
                                 "Die Nachricht enthält ungültige Zeichen.",
                                 "message");
        }
        if (chars > JC_UPLOAD_MSG_MAX) {
            return jc_result_set(res, 400, "message_too_long",
                                 apr_psprintf(p, "Die Nachricht ist zu lang: "
                                              "%ld Zeichen, erlaubt sind "
                                              "höchstens %d.", chars,
                                              JC_UPLOAD_MSG_MAX), "message");
        }
    }
    else {
        msg = NULL;
    }
    /* a retried submit: the submission the first one created */
    args[0] = &in->account_id;
    args[1] = in->key;
    rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_BY_KEY, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, 0, &id, 0);
        return sub_answer(db, res, out, id, 200, p);
    }
    if (rc != JC_DB_NOROW && jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (jc_upload_profile(db, res, &pr, in->account_id, p) != 200) {
        return res->status;
    }
    if (draft_get(db, res, &count, &area, in->account_id, in->draft_id,
                  now, p) != 200) {
        return res->status;
    }
    a = jc_upload_area(area);
    if (count < 1 || !a) {
        return jc_result_set(res, 400, "upload_no_file", "Bitte laden Sie "
                             "mindestens eine Datei hoch.", "file");
    }
    args[0] = &in->draft_id;
    rc = jc_db_select(db, &files, JC_SQL_UP_DRAFT_FILES, args, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    /* the receipt first (no transaction open while it is drawn) */
    rf = apr_pcalloc(p, sizeof(*rf) * (files.nrows > 0 ? files.nrows : 1));
    for (i = 0; i < files.nrows; i++) {
        jc_db_row_t fr;
        apr_int64_t size = 0;

        jc_db_res_row(&files, i, &fr, p);
        rf[i].name = jc_db_col_str(&fr, 2, p);
        jc_db_col_i64(&fr, 4, &size, 0);
        rf[i].size = (apr_uint64_t)size;
        rf[i].sha256_hex = jc_db_col_str(&fr, 5, p);
    }
    for (attempt = 0; attempt < 2; attempt++) {
        if (new_codes(&ref, &code, now, p) != 0) {
            return jc_result_internal(res, "RNG failed");
        }
        memset(&rc_in, 0, sizeof(rc_in));
        rc_in.jc_name = pr.jc_name;
        rc_in.at = (time_t)now;
        rc_in.reference = ref;
        rc_in.area = a->label;
        rc_in.files = rf;
        rc_in.nfiles = files.nrows;
        rc_in.message = msg;
        rc_in.verify_code = code;
        rc_in.verify_url = apr_pstrcat(p, cfg->verify_url, "?ref=", ref,
                                       NULL);
        if (jc_receipt_pdf(p, &rc_in, &pdf, &pdflen, &err) != 0) {
            return jc_result_internal(res, apr_pstrcat(p, "receipt: ", err,
                                                       NULL));
        }
        srv = store_pdf(&pdf_id, cfg->store, pdf, pdflen, p);
        if (srv != APR_SUCCESS && jc_store_is_full(srv)) {
            return jc_store_result_full(res, "receipt store", srv, p);
        }
        if (srv != APR_SUCCESS) {
            return jc_result_internal(res, apr_psprintf(p, "receipt store: "
                                                        "%pm", &srv));
        }
        rc = jc_db_begin(db, p);
        if (rc != JC_DB_OK) {
            break;
        }
        /* the files on the receipt are the draft's files: a file added or
         * removed meanwhile (another tab) makes the client try again */
        {
            apr_int64_t now_count = -1;
            jc_result_t tmp;

            jc_result_ok(&tmp);
            if (draft_get(db, &tmp, &now_count, NULL, in->account_id,
                          in->draft_id, now, p) != 200
                || now_count != files.nrows) {
                jc_db_rollback(db, p);
                jc_store_remove(cfg->store, pdf_id, p);
                if (tmp.status >= 500) {
                    *res = tmp;
                    return res->status;
                }
                return jc_result_set(res, 409, "upload_changed",
                                     "Während des Absendens wurden Dateien "
                                     "hinzugefügt oder entfernt. Bitte "
                                     "prüfen Sie die Dateien und senden "
                                     "Sie erneut.", NULL);
            }
        }
        nfiles = files.nrows;
        args[0] = ref;
        args[1] = a->key;
        args[2] = a->team;
        args[3] = &pr.jobcenter_id;
        args[4] = &pr.customer_id;
        args[5] = &in->account_id;
        args[6] = msg;
        {
            char norm[JC_FSC_LEN + 1];

            jc_fsc_normalize(code, norm);
            args[7] = jc_fsc_hash(norm, p);
        }
        args[8] = in->key;
        args[9] = pdf_id;
        args[10] = &nfiles;
        args[11] = &now;
        args[12] = &now;
        rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_INSERT, args, p);
        if (rc == JC_DB_OK) {
            jc_db_col_i64(&row, 0, &id, 0);
            args[0] = &id;
            args[1] = &in->draft_id;
            rc = jc_db_exec(db, NULL, JC_SQL_UP_FILE_TO_SUB, args, p);
        }
        if (rc == JC_DB_OK) {
            args[0] = &in->draft_id;
            rc = jc_db_exec(db, NULL, JC_SQL_UP_DRAFT_DELETE, args, p);
        }
        if (rc == JC_DB_OK) {
            rc = jc_db_commit(db, p);
        }
        if (rc == JC_DB_OK) {
            return sub_answer(db, res, out, id, 201, p);
        }
        jc_db_rollback(db, p);
        jc_store_remove(cfg->store, pdf_id, p);
        pdf_id = NULL;
        if (rc != JC_DB_CONFLICT) {
            break;
        }
        /* a parallel submit with the same key won: answer with it */
        args[0] = &in->account_id;
        args[1] = in->key;
        rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_BY_KEY, args, p);
        if (rc == JC_DB_OK) {
            jc_db_col_i64(&row, 0, &id, 0);
            return sub_answer(db, res, out, id, 200, p);
        }
        /* else the reference collided: a new one */
    }
    if (pdf_id) {
        jc_store_remove(cfg->store, pdf_id, p);
    }
    jc_db_fail(res, db, rc == JC_DB_OK ? JC_DB_ERROR : rc, p);
    return res->status;
}

int jc_upload_receipt(jc_db_t *db, jc_result_t *res, const char **path,
                      const char **reference, const jc_upload_cfg_t *cfg,
                      apr_int64_t account_id, apr_int64_t submission_id,
                      apr_pool_t *p)
{
    const void *args[1] = { &submission_id };
    jc_db_row_t row;
    apr_int64_t owner = 0;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_GET, args, p);

    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, 10, &owner, 0);
    }
    if (rc == JC_DB_NOROW || (rc == JC_DB_OK && owner != account_id)) {
        return not_found(res, "Diese Sendung gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *path = jc_store_path(cfg->store, jc_db_col_str(&row, 9, p), p);
    *reference = jc_db_col_str(&row, 1, p);
    if (!*path) {
        return jc_result_internal(res, "bad receipt store id");
    }
    return 200;
}

static json_t *files_json(jc_db_t *db, jc_db_rc_e *rc, apr_int64_t sub_id,
                          apr_pool_t *p)
{
    const void *args[1] = { &sub_id };
    jc_db_res_t fr;
    json_t *arr = json_array();
    int i;

    *rc = jc_db_select(db, &fr, JC_SQL_UP_SUB_FILES, args, p);
    for (i = 0; *rc == JC_DB_OK && i < fr.nrows; i++) {
        jc_db_row_t row;
        apr_int64_t id = 0, size = 0;

        jc_db_res_row(&fr, i, &row, p);
        jc_db_col_i64(&row, 0, &id, 0);
        jc_db_col_i64(&row, 4, &size, 0);
        json_array_append_new(arr, file_json(id, jc_db_col_str(&row, 2, p),
                                             jc_db_col_str(&row, 3, p), size,
                                             jc_db_col_str(&row, 5, p)));
    }
    return arr;
}

/* Columns 0..7 of jc_up_sub_get/list as JSON. */
static json_t *sub_json(const jc_db_row_t *row, apr_pool_t *p)
{
    apr_int64_t id = 0, nfiles = 0, at = 0, sat = 0;
    const char *st = jc_db_col_str(row, 3, p);
    const jc_upload_area_t *a = jc_upload_area(jc_db_col_str(row, 2, p));

    jc_db_col_i64(row, 0, &id, 0);
    jc_db_col_i64(row, 4, &nfiles, 0);
    jc_db_col_i64(row, 5, &at, 0);
    jc_db_col_i64(row, 6, &sat, 0);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:I, "
                     "s:s}", "id", (json_int_t)id,
                     "reference", jc_db_col_str(row, 1, p),
                     "area", a ? a->key : "", "area_label",
                     a ? a->label : "", "status", st, "status_label",
                     jc_upload_status_label(st) ? jc_upload_status_label(st)
                                                : st,
                     "files", (json_int_t)nfiles,
                     "submitted_at", (json_int_t)at,
                     "date", date_de(at, p),
                     "status_at", (json_int_t)sat,
                     "time", time_de(at, p));
}

int jc_upload_list(jc_db_t *db, jc_result_t *res, json_t **out,
                   apr_int64_t account_id, apr_pool_t *p)
{
    const void *args[1] = { &account_id };
    jc_db_res_t r;
    json_t *arr;
    jc_db_rc_e rc = jc_db_select(db, &r, JC_SQL_UP_SUB_LIST, args, p);
    int i;

    *out = NULL;
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    arr = json_array();
    for (i = 0; i < r.nrows; i++) {
        jc_db_row_t row;
        json_t *o;
        apr_int64_t id = 0;

        jc_db_res_row(&r, i, &row, p);
        o = sub_json(&row, p);
        jc_db_col_i64(&row, 0, &id, 0);
        json_object_set_new(o, "jobcenter",
                            json_string(jc_db_col_str(&row, 7, p)));
        json_object_set_new(o, "receipt", json_string(apr_psprintf(p,
            "/api/v1/uploads/receipt?submission=%" APR_INT64_T_FMT, id)));
        json_array_append_new(arr, o);
    }
    *out = json_pack("{s:o}", "submissions", arr);
    return 200;
}

int jc_upload_verify(jc_db_t *db, jc_result_t *res, json_t **out,
                     const char *reference, const char *code,
                     apr_pool_t *p)
{
    char norm[JC_FSC_LEN + 1];
    const void *args[1];
    jc_db_row_t row;
    json_t *o, *files;
    apr_int64_t id = 0;
    jc_db_rc_e rc;
    int ok;

    *out = NULL;
    if (!reference || strlen(reference) > 64 || !code) {
        return jc_result_set(res, 400, "receipt_input",
                             "Bitte geben Sie die Vorgangsnummer und den "
                             "Prüfcode vom Bestätigungs-PDF ein.", NULL);
    }
    ok = jc_fsc_normalize(code, norm);
    args[0] = reference;
    rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_BY_REF, args, p);
    if (rc != JC_DB_OK && rc != JC_DB_NOROW) {
        jc_db_fail(res, db, rc, p);
        return res->status;
    }
    /* compare even without a row, so timing tells nothing either */
    if (!jc_token_equal(ok ? jc_fsc_hash(norm, p) : "-",
                        rc == JC_DB_OK ? jc_db_col_str(&row, 14, p) : "+")
        || rc != JC_DB_OK) {
        return jc_result_set(res, 404, "receipt_unknown",
                             "Zu dieser Vorgangsnummer und diesem Prüfcode "
                             "gibt es keine Sendung. Bitte prüfen Sie Ihre "
                             "Eingabe.", "code");
    }
    o = sub_json(&row, p);
    jc_db_col_i64(&row, 0, &id, 0);
    files = files_json(db, &rc, id, p);
    if (jc_db_fail(res, db, rc, p)) {
        json_decref(o);
        json_decref(files);
        return res->status;
    }
    json_object_del(o, "id");
    json_object_del(o, "status_at");
    json_object_set_new(o, "jobcenter",
                        json_string(jc_db_col_str(&row, 7, p)));
    json_object_set_new(o, "file_list", files);
    *out = o;
    return 200;
}

/* ---- staff ------------------------------------------------------------- */

int jc_upload_consent_result(jc_result_t *res)
{
    return jc_result_set(res, 403, "online_kommunikation_inactive",
                         "Um Dokumente hochzuladen, stimmen Sie bitte zuerst "
                         "der Online-Kommunikation zu. Ohne Ihre explizite "
                         "Einwilligung stellen wir Ihnen aktiv keine "
                         "persönlichen Inhalte in Ihr Profil ein. Dazu "
                         "zählen Schriftstücke (Bescheide, Nachweise, "
                         "Schreiben), Anträge und Postfachnachrichten im "
                         "Leistungspostfach.", NULL);
}

int jc_upload_inbox(jc_db_t *db, jc_result_t *res, json_t **out,
                    const jc_upload_staff_t *st, apr_pool_t *p)
{
    const void *args[2] = { &st->jobcenter_id, st->team };
    jc_db_res_t r;
    json_t *arr;
    jc_db_rc_e rc = jc_db_select(db, &r, JC_SQL_UP_INBOX, args, p);
    int i;

    *out = NULL;
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    arr = json_array();
    for (i = 0; i < r.nrows; i++) {
        jc_db_row_t row;
        json_t *o;
        apr_int64_t id = 0;

        jc_db_res_row(&r, i, &row, p);
        o = sub_json(&row, p);
        jc_db_col_i64(&row, 0, &id, 0);
        json_object_set_new(o, "kundennummer",
                            json_string(jc_db_col_str(&row, 7, p)));
        json_object_set_new(o, "customer", json_string(apr_pstrcat(p,
            jc_db_col_str(&row, 8, p), " ", jc_db_col_str(&row, 9, p),
            NULL)));
        json_object_set_new(o, "message",
                            jc_db_col_str(&row, 10, p)
                            ? json_string(jc_db_col_str(&row, 10, p))
                            : json_null());
        json_object_set_new(o, "file_list", files_json(db, &rc, id, p));
        json_array_append_new(arr, o);
        if (rc != JC_DB_OK) {
            json_decref(arr);
            jc_db_fail(res, db, rc, p);
            return res->status;
        }
    }
    *out = json_pack("{s:s, s:o}", "team", team_label(st->team),
                     "submissions", arr);
    return 200;
}

int jc_upload_staff_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                         const jc_upload_cfg_t *cfg,
                         const jc_upload_staff_t *st, apr_int64_t file_id,
                         apr_pool_t *p)
{
    const void *args[1] = { &file_id };
    jc_db_row_t row;
    apr_int64_t jcid = 0, size = 0;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_STAFF_FILE, args, p);

    memset(dl, 0, sizeof(*dl));
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, 4, &jcid, 0);
        if (jcid != st->jobcenter_id
            || strcmp(jc_db_col_str(&row, 5, p), st->team) != 0) {
            rc = JC_DB_NOROW;
        }
    }
    if (rc == JC_DB_NOROW) {
        return not_found(res, "Diese Datei gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    dl->path = jc_store_path(cfg->store, jc_db_col_str(&row, 0, p), p);
    dl->name = jc_db_col_str(&row, 1, p);
    dl->mime = jc_db_col_str(&row, 2, p);
    jc_db_col_i64(&row, 3, &size, 0);
    dl->size = size;
    if (!dl->path) {
        return jc_result_internal(res, "bad store id");
    }
    return 200;
}

int jc_upload_set_status(jc_db_t *db, jc_result_t *res, json_t **out,
                         const jc_upload_staff_t *st,
                         apr_int64_t submission_id, const char *status,
                         apr_int64_t now, apr_pool_t *p)
{
    const void *args[5];
    jc_db_row_t row;
    apr_int64_t jcid = 0, cust = 0;
    const char *old, *team;
    jc_db_rc_e rc;
    int n = 0;

    *out = NULL;
    if (!jc_upload_status_label(status)) {
        return jc_result_set(res, 400, "status_invalid", "Bitte wählen Sie "
                             "einen Status: „übermittelt“, „in Bearbeitung“ "
                             "oder „erledigt“.", "status");
    }
    rc = jc_db_begin(db, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    args[0] = &submission_id;
    rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_GET, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, 11, &jcid, 0);
        team = jc_db_col_str(&row, 12, p);
        if (jcid != st->jobcenter_id || strcmp(team, st->team) != 0) {
            rc = JC_DB_NOROW;
        }
    }
    if (rc == JC_DB_NOROW) {
        jc_db_rollback(db, p);
        return not_found(res, "Diese Sendung gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    old = jc_db_col_str(&row, 3, p);
    jc_db_col_i64(&row, 13, &cust, 0);
    args[0] = status;
    args[1] = &now;
    args[2] = &st->account_id;
    args[3] = &submission_id;
    args[4] = status;
    rc = jc_db_exec(db, &n, JC_SQL_UP_SUB_STATUS, args, p);
    if (rc == JC_DB_OK && n > 0) {
        args[0] = &st->account_id;
        args[1] = &now;
        args[2] = "upload_status";
        args[3] = &cust;
        args[4] = apr_psprintf(p, "%s: %s -> %s", jc_db_col_str(&row, 1, p),
                               old, status);
        rc = jc_db_exec(db, NULL, JC_SQL_UP_AUDIT, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *out = json_pack("{s:I, s:s, s:s, s:b}", "submission",
                     (json_int_t)submission_id, "status", status,
                     "status_label", jc_upload_status_label(status),
                     "changed", n > 0);
    return 200;
}

/* ---- housekeeping ------------------------------------------------------ */

/* Delete one draft's rows in a transaction, then its stored files. */
static jc_db_rc_e purge_one(jc_db_t *db, const jc_upload_cfg_t *cfg,
                            apr_int64_t id, apr_pool_t *p)
{
    const void *args[1] = { &id };
    jc_db_res_t files;
    jc_db_rc_e rc = jc_db_begin(db, p);
    int k;

    if (rc == JC_DB_OK) {
        rc = jc_db_select(db, &files, JC_SQL_UP_DRAFT_FILES, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_exec(db, NULL, JC_SQL_UP_DRAFT_FILES_DELETE, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_exec(db, NULL, JC_SQL_UP_DRAFT_DELETE, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (rc != JC_DB_OK) {
        jc_db_rollback(db, p);
        return rc;
    }
    /* rows first: a crash in between leaves unreferenced files only */
    for (k = 0; k < files.nrows; k++) {
        jc_db_row_t row;

        jc_db_res_row(&files, k, &row, p);
        jc_store_remove(cfg->store, jc_db_col_str(&row, 1, p), p);
    }
    return JC_DB_OK;
}

jc_db_rc_e jc_upload_purge_drafts(jc_db_t *db, unsigned *removed,
                                  const jc_upload_cfg_t *cfg,
                                  apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t before = now - JC_UPLOAD_DRAFT_TTL;
    const void *args[1] = { &before };
    jc_db_res_t r;
    jc_db_rc_e rc = jc_db_select(db, &r, JC_SQL_UP_DRAFTS_OLD, args, p);
    int i;

    *removed = 0;
    /* at most 100 drafts per run; the next run takes the rest */
    for (i = 0; rc == JC_DB_OK && i < r.nrows; i++) {
        jc_db_row_t row;
        apr_int64_t id = 0;

        jc_db_res_row(&r, i, &row, p);
        jc_db_col_i64(&row, 0, &id, 0);
        rc = purge_one(db, cfg, id, p);
        if (rc == JC_DB_OK) {
            (*removed)++;
        }
    }
    return rc;
}

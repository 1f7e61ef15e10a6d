/* Document uploads, the citizen's flow (see jc_upload.h): areas and
 * statuses, the profile, the context, drafts and the files in them.
 * Submitting is jc_upload_submit.c, the Antragsübersicht and receipt
 * verification jc_upload_list.c, the staff inbox jc_upload_staff.c, the
 * draft purge jc_upload_purge.c. */
#include "jc_upload_int.h"
#include "jc_time.h"
#include "jc_group.h"
#include "jc_metrics.h"
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

const char *jc_upload_team_label(const char *team)
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

const char *jc_upload_date_de(apr_int64_t t, apr_pool_t *p)
{
    char buf[11];

    jc_berlin_date_de(t, buf);
    return apr_pstrdup(p, buf);
}

int jc_upload_not_found(jc_result_t *res, const char *what)
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
    jc_db_col_i64(&row, JC_COL_UP_CUSTOMER_ID, &out->customer_id, 0);
    jc_db_col_i64(&row, JC_COL_UP_CUSTOMER_JOBCENTER_ID, &out->jobcenter_id,
                  0);
    out->jc_name = jc_db_col_str(&row, JC_COL_UP_CUSTOMER_NAME, p);
    out->jc_street = jc_db_col_str(&row, JC_COL_UP_CUSTOMER_STREET, p);
    out->jc_city = apr_pstrcat(p,
                               jc_db_col_str(&row, JC_COL_UP_CUSTOMER_POSTCODE,
                                             p), " ",
                               jc_db_col_str(&row, JC_COL_UP_CUSTOMER_CITY, p),
                               NULL);
    out->jc_phone = jc_db_col_str(&row, JC_COL_UP_CUSTOMER_PHONE, p);
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

jc_db_rc_e jc_upload_bytes_since(jc_db_t *db, apr_int64_t *bytes,
                                 apr_int64_t account_id, apr_int64_t since,
                                 apr_pool_t *p)
{
    const void *args[2] = { &account_id, &since };
    jc_db_row_t row;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_BYTES_SINCE, args, p);

    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_UP_BYTES_SINCE_BYTES, bytes, 0);
    }
    return rc;
}

static apr_int64_t bytes_today(jc_db_t *db, jc_db_rc_e *rc,
                               apr_int64_t account_id, apr_int64_t now,
                               apr_pool_t *p)
{
    apr_int64_t used = 0;

    *rc = jc_upload_bytes_since(db, &used, account_id, now - 86400, p);
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
    jc_db_col_i64(&row, JC_COL_UP_DRAFT_INSERT_ID, &id, 0);
    *out = json_pack("{s:I, s:s, s:s, s:s, s:[], s:I, s:o}", "draft",
                     (json_int_t)id, "area", a->key, "area_label", a->label,
                     "jobcenter", pr.jc_name, "files", "expires_at",
                     (json_int_t)(now + JC_UPLOAD_DRAFT_TTL), "limits",
                     limits_json(cfg));
    return 201;
}

jc_db_rc_e jc_upload_draft_row(jc_db_t *db, jc_up_draft_row_t *out,
                               apr_int64_t draft_id, apr_int64_t account_id,
                               apr_pool_t *p)
{
    const void *args[2] = { &draft_id, &account_id };
    jc_db_row_t row;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_DRAFT_GET, args, p);

    if (rc != JC_DB_OK) {
        return rc;
    }
    out->area = jc_db_col_str(&row, JC_COL_UP_DRAFT_GET_AREA, p);
    jc_db_col_i64(&row, JC_COL_UP_DRAFT_GET_CREATED_AT, &out->created_at, 0);
    jc_db_col_i64(&row, JC_COL_UP_DRAFT_GET_FILES, &out->files, 0);
    return JC_DB_OK;
}

jc_db_rc_e jc_upload_draft_delete(jc_db_t *db, apr_int64_t draft_id,
                                  apr_pool_t *p)
{
    const void *args[1] = { &draft_id };

    return jc_db_exec(db, NULL, JC_SQL_UP_DRAFT_DELETE, args, p);
}

jc_db_rc_e jc_upload_draft_files(jc_db_t *db, jc_db_res_t *files,
                                 apr_int64_t draft_id, apr_pool_t *p)
{
    const void *args[1] = { &draft_id };

    return jc_db_select(db, files, JC_SQL_UP_DRAFT_FILES, args, p);
}

jc_db_rc_e jc_upload_file_insert(jc_db_t *db, apr_int64_t *id,
                                 const jc_up_file_new_t *f, apr_int64_t now,
                                 apr_pool_t *p)
{
    const void *args[8] = { &f->account_id, &f->draft_id, f->store_id,
                            f->name, f->mime, &f->size, f->sha256, &now };
    jc_db_row_t row;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_FILE_INSERT, args, p);

    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_UP_FILE_INSERT_ID, id, 0);
    }
    return rc;
}

/* The account's live draft: *count = its files. */
int jc_upload_draft_get(jc_db_t *db, jc_result_t *res, apr_int64_t *count,
                        const char **area, apr_int64_t account_id,
                        apr_int64_t draft_id, apr_int64_t now,
                        apr_pool_t *p)
{
    jc_up_draft_row_t d;
    jc_db_rc_e rc = jc_upload_draft_row(db, &d, draft_id, account_id, p);

    if (rc == JC_DB_NOROW) {
        return jc_upload_not_found(res, draft_gone);
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (d.created_at + JC_UPLOAD_DRAFT_TTL <= now) {
        return jc_upload_not_found(res, draft_gone);
    }
    if (area) {
        *area = d.area;
    }
    *count = d.files;
    return 200;
}

int jc_upload_room(jc_db_t *db, jc_result_t *res, jc_upload_room_t *room,
                   const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                   apr_int64_t draft_id, apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t count = 0, used;
    jc_db_rc_e rc;

    memset(room, 0, sizeof(*room));
    if (jc_upload_draft_get(db, res, &count, NULL, account_id, draft_id,
                            now, p) != 200) {
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

json_t *jc_upload_file_json(apr_int64_t id, const char *name,
                            const char *mime, apr_int64_t size,
                            const char *sha)
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
    if (jc_upload_draft_get(db, it->res, &count, NULL, it->account_id,
                            it->draft_id, it->now, it->p) != 200) {
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
        jc_up_file_new_t nf = { it->account_id, it->draft_id, f->store_id,
                                f->name, f->mime, size, f->sha256 };

        rc = jc_upload_file_insert(db, &id, &nf, it->now, it->p);
        if (rc == JC_DB_NOROW) {
            rc = JC_DB_ERROR;
        }
        if (rc != JC_DB_OK) {
            break;
        }
        if (f->held) {
            /* stored while clamd was unreachable: hidden from staff
             * until the upload watchdog has scanned it */
            rc = jc_scan_hold_mark(db, id, it->p);
            if (rc != JC_DB_OK) {
                break;
            }
        }
        json_array_append_new(arr, jc_upload_file_json(id, f->name,
                                                        f->mime, size,
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
        return jc_upload_not_found(res, "Diese Datei gibt es in diesem "
                                   "Vorgang nicht (mehr).");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    store_id = jc_db_col_str(&row, JC_COL_UP_FILE_GET_DRAFT_STORE_ID, p);
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

int jc_upload_key_ok(const char *k)
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

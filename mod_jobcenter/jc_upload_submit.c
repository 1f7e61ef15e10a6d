/* Submitting a draft ("Absenden"): one transaction that turns the draft
 * into a submission routed to a team of the customer's jobcenter, with
 * the receipt ("Bestätigungs-PDF") drawn and stored before it; and the
 * receipt's download (see jc_upload.h). Core: no httpd headers. */
#include "jc_upload_int.h"
#include "jc_apiurl.h"
#include "jc_fsc.h"
#include "jc_letter.h"
#include "jc_time.h"
#include "jc_upload_store.h"

#include <string.h>
#include <time.h>

#include <apr_strings.h>

jc_db_rc_e jc_upload_sub_get(jc_db_t *db, jc_db_row_t *row,
                             apr_int64_t submission_id, apr_pool_t *p)
{
    const void *args[1] = { &submission_id };

    return jc_db_select1(db, row, JC_SQL_UP_SUB_GET, args, p);
}

/* The submission answer for id (also for a replayed submit). */
static int sub_answer(jc_db_t *db, jc_result_t *res, json_t **out,
                      apr_int64_t id, int status, apr_pool_t *p)
{
    jc_db_row_t row;
    apr_int64_t nfiles = 0, at = 0;
    const jc_upload_area_t *a;
    const char *jc;
    jc_db_rc_e rc = jc_upload_sub_get(db, &row, id, p);

    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    a = jc_upload_area(jc_db_col_str(&row, JC_COL_UP_SUB_GET_AREA, p));
    jc_db_col_i64(&row, JC_COL_UP_SUB_GET_NFILES, &nfiles, 0);
    jc_db_col_i64(&row, JC_COL_UP_SUB_GET_SUBMITTED_AT, &at, 0);
    jc = jc_db_col_str(&row, JC_COL_UP_SUB_GET_NAME, p);
    *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
                     "submission", (json_int_t)id,
                     "reference",
                     jc_db_col_str(&row, JC_COL_UP_SUB_GET_REFERENCE, p),
                     "area", a ? a->key : "", "area_label",
                     a ? a->label : "", "jobcenter", jc,
                     "files", (json_int_t)nfiles,
                     "submitted_at", (json_int_t)at,
                     "date", jc_upload_date_de(at, p),
                     "confirmation", apr_psprintf(p, "Ihre Dokumente wurden "
                         "am %s an %s übermittelt. Ihre Dokumente werden "
                         "schnellstmöglich geprüft und bearbeitet.",
                         jc_upload_date_de(at, p), jc),
                     "receipt", apr_psprintf(p, "%suploads/receipt?"
                         "submission=%" APR_INT64_T_FMT, jc_apiurl_base(),
                         id));
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
    jc_store_file_t *u;
    const char *sha;
    apr_status_t rv = jc_store_file_open(&u, dir, 0, p);

    if (rv == APR_SUCCESS) {
        rv = jc_store_file_write(u, pdf, len);
    }
    if (rv == APR_SUCCESS) {
        rv = jc_store_file_commit(u, store_id, &sha);
    }
    return rv;
}

/* The idempotency key and the message; *msg = the message or NULL. */
static int submit_check_input(jc_result_t *res, const char **msg,
                              const jc_upload_submit_in_t *in,
                              apr_pool_t *p)
{
    long chars;

    *msg = in->message;
    if (!jc_upload_key_ok(in->key)) {
        return jc_result_set(res, 400, "idempotency_key_invalid",
                             "Die Anfrage enthält keinen gültigen "
                             "Idempotenz-Schlüssel (8 bis 64 Zeichen A-Z, "
                             "a-z, 0-9, - und _).", "idempotency_key");
    }
    if (!*msg || !**msg) {
        *msg = NULL;
        return 200;
    }
    chars = jc_upload_text_chars(*msg);
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
    return 200;
}

/* The submission an earlier submit with the same key created: *id, or
 * JC_DB_NOROW. */
static jc_db_rc_e submit_by_key(jc_db_t *db, apr_int64_t *id,
                                const jc_upload_submit_in_t *in,
                                apr_pool_t *p)
{
    const void *args[2] = { &in->account_id, in->key };
    jc_db_row_t row;
    jc_db_rc_e rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_BY_KEY, args, p);

    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_UP_SUB_BY_KEY_ID, id, 0);
    }
    return rc;
}

/* What a submission needs before its transaction: the profile, the
 * draft's area and its files (drawn on the receipt). */
typedef struct {
    jc_upload_profile_t pr;
    const jc_upload_area_t *a;
    jc_receipt_file_t *rf;      /* the draft's files for the receipt      */
    int nfiles;
    const char *msg;            /* the message or NULL                    */
} submit_draft_t;

static int submit_load_draft(jc_db_t *db, jc_result_t *res,
                             submit_draft_t *d,
                             const jc_upload_submit_in_t *in,
                             apr_int64_t now, apr_pool_t *p)
{
    jc_db_res_t files;
    const char *area = NULL;
    apr_int64_t count = 0;
    jc_db_rc_e rc;
    int i;

    if (jc_upload_profile(db, res, &d->pr, in->account_id, p) != 200) {
        return res->status;
    }
    if (jc_upload_draft_get(db, res, &count, &area, in->account_id,
                            in->draft_id, now, p) != 200) {
        return res->status;
    }
    d->a = jc_upload_area(area);
    if (count < 1 || !d->a) {
        return jc_result_set(res, 400, "upload_no_file", "Bitte laden Sie "
                             "mindestens eine Datei hoch.", "file");
    }
    rc = jc_upload_draft_files(db, &files, in->draft_id, p);
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    d->nfiles = files.nrows;
    d->rf = apr_pcalloc(p, sizeof(*d->rf)
                           * (files.nrows > 0 ? files.nrows : 1));
    for (i = 0; i < files.nrows; i++) {
        jc_db_row_t fr;
        apr_int64_t size = 0;

        jc_db_res_row(&files, i, &fr, p);
        d->rf[i].name = jc_db_col_str(&fr, JC_COL_UP_DRAFT_FILES_NAME, p);
        jc_db_col_i64(&fr, JC_COL_UP_DRAFT_FILES_SIZE, &size, 0);
        d->rf[i].size = (apr_uint64_t)size;
        d->rf[i].sha256_hex = jc_db_col_str(&fr,
                                            JC_COL_UP_DRAFT_FILES_SHA256, p);
    }
    return 200;
}

/* New reference and code, the receipt drawn with them and stored:
 * *pdf_id (no transaction is open while it is drawn). */
static int submit_receipt(jc_result_t *res, const char **pdf_id,
                          const char **ref, const char **code,
                          const submit_draft_t *d,
                          const jc_upload_cfg_t *cfg, apr_int64_t now,
                          apr_pool_t *p)
{
    jc_receipt_t rc_in;
    const char *pdf, *err;
    apr_size_t pdflen;
    apr_status_t srv;

    if (new_codes(ref, code, now, p) != 0) {
        return jc_result_internal(res, "RNG failed");
    }
    memset(&rc_in, 0, sizeof(rc_in));
    rc_in.jc_name = d->pr.jc_name;
    rc_in.at = (time_t)now;
    rc_in.reference = *ref;
    rc_in.area = d->a->label;
    rc_in.files = d->rf;
    rc_in.nfiles = d->nfiles;
    rc_in.message = d->msg;
    rc_in.verify_code = *code;
    rc_in.verify_url = apr_pstrcat(p, cfg->verify_url, "?ref=", *ref,
                                   NULL);
    if (jc_receipt_pdf(p, &rc_in, &pdf, &pdflen, &err) != 0) {
        return jc_result_internal(res, apr_pstrcat(p, "receipt: ", err,
                                                   NULL));
    }
    srv = store_pdf(pdf_id, cfg->store, pdf, pdflen, p);
    if (srv != APR_SUCCESS && jc_store_is_full(srv)) {
        return jc_store_result_full(res, "receipt store", srv, p);
    }
    if (srv != APR_SUCCESS) {
        return jc_result_internal(res, apr_psprintf(p, "receipt store: "
                                                    "%pm", &srv));
    }
    return 200;
}

/* In the transaction: the files on the receipt are the draft's files. A
 * file added or removed meanwhile (another tab) makes the client try
 * again: 409 (or the failure), the transaction rolled back and the
 * receipt removed. */
static int submit_draft_unchanged(jc_db_t *db, jc_result_t *res,
                                  const submit_draft_t *d,
                                  const char *pdf_id,
                                  const jc_upload_cfg_t *cfg,
                                  const jc_upload_submit_in_t *in,
                                  apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t now_count = -1;
    jc_result_t tmp;

    jc_result_ok(&tmp);
    if (jc_upload_draft_get(db, &tmp, &now_count, NULL, in->account_id,
                            in->draft_id, now, p) == 200
        && now_count == d->nfiles) {
        return 200;
    }
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

/* In the transaction: the submission row, the draft's files moved to it,
 * the draft deleted, committed. *id = the new submission. */
static jc_db_rc_e submit_insert(jc_db_t *db, apr_int64_t *id,
                                const submit_draft_t *d, const char *ref,
                                const char *code, const char *pdf_id,
                                const jc_upload_submit_in_t *in,
                                apr_int64_t now, apr_pool_t *p)
{
    const void *args[13];
    char norm[JC_FSC_LEN + 1];
    apr_int64_t nfiles = d->nfiles;
    jc_db_row_t row;
    jc_db_rc_e rc;

    jc_fsc_normalize(code, norm);
    args[0] = ref;
    args[1] = d->a->key;
    args[2] = d->a->team;
    args[3] = &d->pr.jobcenter_id;
    args[4] = &d->pr.customer_id;
    args[5] = &in->account_id;
    args[6] = d->msg;
    args[7] = jc_fsc_hash(norm, p);
    args[8] = in->key;
    args[9] = pdf_id;
    args[10] = &nfiles;
    args[11] = &now;
    args[12] = &now;
    rc = jc_db_select1(db, &row, JC_SQL_UP_SUB_INSERT, args, p);
    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_UP_SUB_INSERT_ID, id, 0);
        args[0] = id;
        args[1] = &in->draft_id;
        rc = jc_db_exec(db, NULL, JC_SQL_UP_FILE_TO_SUB, args, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_upload_draft_delete(db, in->draft_id, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    return rc;
}

int jc_upload_submit(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_upload_cfg_t *cfg,
                     const jc_upload_submit_in_t *in, apr_int64_t now,
                     apr_pool_t *p)
{
    submit_draft_t d;
    const char *ref = NULL, *code = NULL, *pdf_id = NULL;
    apr_int64_t id = 0;
    jc_db_rc_e rc;
    int attempt;

    *out = NULL;
    memset(&d, 0, sizeof(d));
    if (submit_check_input(res, &d.msg, in, p) != 200) {
        return res->status;
    }
    /* a retried submit: the submission the first one created */
    rc = submit_by_key(db, &id, in, p);
    if (rc == JC_DB_OK) {
        return sub_answer(db, res, out, id, 200, p);
    }
    if (rc != JC_DB_NOROW && jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    if (submit_load_draft(db, res, &d, in, now, p) != 200) {
        return res->status;
    }
    for (attempt = 0; attempt < 2; attempt++) {
        if (submit_receipt(res, &pdf_id, &ref, &code, &d, cfg, now, p)
            != 200) {
            return res->status;
        }
        rc = jc_db_begin(db, p);
        if (rc != JC_DB_OK) {
            break;
        }
        if (submit_draft_unchanged(db, res, &d, pdf_id, cfg, in, now, p)
            != 200) {
            return res->status;
        }
        rc = submit_insert(db, &id, &d, ref, code, pdf_id, in, now, p);
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
        rc = submit_by_key(db, &id, in, p);
        if (rc == JC_DB_OK) {
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
    jc_db_row_t row;
    apr_int64_t owner = 0;
    jc_db_rc_e rc = jc_upload_sub_get(db, &row, submission_id, p);

    if (rc == JC_DB_OK) {
        jc_db_col_i64(&row, JC_COL_UP_SUB_GET_ACCOUNT_ID, &owner, 0);
    }
    if (rc == JC_DB_NOROW || (rc == JC_DB_OK && owner != account_id)) {
        return jc_upload_not_found(res, "Diese Sendung gibt es nicht.");
    }
    if (jc_db_fail(res, db, rc, p)) {
        return res->status;
    }
    *path = jc_store_path(cfg->store,
                          jc_db_col_str(&row,
                                        JC_COL_UP_SUB_GET_RECEIPT_STORE_ID, p),
                          p);
    *reference = jc_db_col_str(&row, JC_COL_UP_SUB_GET_REFERENCE, p);
    if (!*path) {
        return jc_result_internal(res, "bad receipt store id");
    }
    return 200;
}

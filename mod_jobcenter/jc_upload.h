/* Document uploads ("Dokumente hochladen"): drafts, the files stored in
 * them (jc_upload.c), submitting (one transaction that routes the
 * submission to a team of the customer's jobcenter) and the receipt
 * ("Bestätigungs-PDF", jc_upload_submit.c), its verification and the
 * citizen's Antragsübersicht (jc_upload_list.c), the staff inbox, file
 * downloads and status changes (jc_upload_staff_*, jc_upload_staff.c),
 * and the draft purge (jc_upload_purge.c). The bytes themselves are
 * streamed by jc_upsink into the upload store (jc_store_*,
 * jc_upload_store.c).
 * Answers are JSON trees (jansson) for the glue to send.
 * Core: no httpd headers. */
#ifndef JC_UPLOAD_H
#define JC_UPLOAD_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "jc_db.h"
#include "jc_result.h"

/* Limits and places (directives, see docs/configuration.md). */
typedef struct {
    const char *store;          /* JobcenterUploadStore directory        */
    apr_off_t max_file;         /* JobcenterUploadMaxFileSize, bytes     */
    int max_files;              /* JobcenterUploadMaxFiles, per draft    */
    apr_off_t max_day;          /* JobcenterUploadMaxBytesPerDay, bytes  */
    const char *verify_url;     /* printed on receipts (BaseURL + page)  */
} jc_upload_cfg_t;

#define JC_UPLOAD_DRAFT_TTL 86400   /* drafts are removed after 24 h     */
#define JC_UPLOAD_MSG_MAX   1000    /* message, characters (code points) */
#define JC_UPLOAD_KEY_MIN   8       /* idempotency key length, bytes     */
#define JC_UPLOAD_KEY_MAX   64

/* 1 if k is an idempotency key (uploads, messages, Termin requests):
 * JC_UPLOAD_KEY_MIN..MAX characters of A-Z, a-z, 0-9, '-' and '_'. */
int jc_upload_key_ok(const char *k);

/* An area the citizen can choose and the team it is routed to. */
typedef struct {
    const char *key;            /* "geldleistung", "vermittlung", "but"  */
    const char *label;          /* "Geldleistung", ...                   */
    const char *team;           /* staff.team: "leistung", ...           */
    const char *team_label;     /* "Leistung allgemein", ...             */
} jc_upload_area_t;

/* The area for a key or its German label; NULL if unknown. */
const jc_upload_area_t *jc_upload_area(const char *key_or_label);

/* German label of a status key ("uebermittelt" -> "übermittelt");
 * NULL if unknown. */
const char *jc_upload_status_label(const char *key);

/* The account's person profile: customer and jobcenter. */
typedef struct {
    apr_int64_t customer_id;
    apr_int64_t jobcenter_id;
    const char *jc_name;        /* "Jobcenter Rems-Murr"                 */
    const char *jc_street;
    const char *jc_city;        /* "71332 Waiblingen"                    */
    const char *jc_phone;
} jc_upload_profile_t;

/* The profile bound to the account: 403 profile_required if none. */
int jc_upload_profile(jc_db_t *db, jc_result_t *res,
                      jc_upload_profile_t *out, apr_int64_t account_id,
                      apr_pool_t *p);

/* GET uploads/context: jobcenter, areas, limits. */
int jc_upload_context(jc_db_t *db, jc_result_t *res, json_t **out,
                      const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                      apr_int64_t now, apr_pool_t *p);

/* POST uploads/drafts {area}: a new draft; 201. */
int jc_upload_draft_create(jc_db_t *db, jc_result_t *res, json_t **out,
                           const jc_upload_cfg_t *cfg,
                           apr_int64_t account_id, const char *area,
                           apr_int64_t now, apr_pool_t *p);

/* What a file upload to a draft may still add (checked before the body is
 * read). 404 for a draft that is not the account's (or expired), 400 when
 * the draft already holds max_files files, 413 when the daily allowance
 * is used up. */
typedef struct {
    unsigned files_left;        /* files the draft may still take        */
    apr_off_t bytes_left;       /* bytes the account may still upload    */
} jc_upload_room_t;

int jc_upload_room(jc_db_t *db, jc_result_t *res, jc_upload_room_t *room,
                   const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                   apr_int64_t draft_id, apr_int64_t now, apr_pool_t *p);

/* Record the files a body brought (jc_upfile_t) in the draft, in one
 * transaction that checks the draft and its file count again. On any
 * failure the files are removed from the store. 201 with the files. */
int jc_upload_files_add(jc_db_t *db, jc_result_t *res, json_t **out,
                        const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                        apr_int64_t draft_id,
                        const apr_array_header_t *files, apr_int64_t now,
                        apr_pool_t *p);

/* POST uploads/files/delete {draft, file}: 204. */
int jc_upload_file_remove(jc_db_t *db, jc_result_t *res,
                          const jc_upload_cfg_t *cfg,
                          apr_int64_t account_id, apr_int64_t draft_id,
                          apr_int64_t file_id, apr_pool_t *p);

/* POST uploads/submit. message may be NULL or ""; key is the client's
 * idempotency key. 201 with the submission, or 200 with the one an
 * earlier submit with the same key created. */
typedef struct {
    apr_int64_t account_id;
    apr_int64_t draft_id;
    const char *message;        /* UTF-8, at most 1000 characters       */
    const char *key;            /* idempotency key                      */
} jc_upload_submit_in_t;

int jc_upload_submit(jc_db_t *db, jc_result_t *res, json_t **out,
                     const jc_upload_cfg_t *cfg,
                     const jc_upload_submit_in_t *in, apr_int64_t now,
                     apr_pool_t *p);

/* The receipt PDF of the account's submission: *path in the store. */
int jc_upload_receipt(jc_db_t *db, jc_result_t *res, const char **path,
                      const char **reference, const jc_upload_cfg_t *cfg,
                      apr_int64_t account_id, apr_int64_t submission_id,
                      apr_pool_t *p);

/* GET uploads/submissions: the Antragsübersicht. */
int jc_upload_list(jc_db_t *db, jc_result_t *res, json_t **out,
                   apr_int64_t account_id, apr_pool_t *p);

/* POST receipts/verify {reference, code}: what was received (no message,
 * no personal data beyond what the receipt shows). 404 receipt_unknown
 * for an unknown reference or a wrong code (the same answer). */
int jc_upload_verify(jc_db_t *db, jc_result_t *res, json_t **out,
                     const char *reference, const char *code,
                     apr_pool_t *p);

/* Staff: who asks (the API has checked the staff role). */
typedef struct {
    apr_int64_t account_id;
    apr_int64_t jobcenter_id;
    const char *team;           /* "leistung", "but", "vermittlung"      */
} jc_upload_staff_t;

/* 403 online_kommunikation_inactive: uploads need active
 * Online-Kommunikation (the seed's explanation as the message). */
int jc_upload_consent_result(jc_result_t *res);

/* GET staff/uploads: the team's submissions of its jobcenter, with files. */
int jc_upload_staff_inbox(jc_db_t *db, jc_result_t *res, json_t **out,
                          const jc_upload_staff_t *st, apr_pool_t *p);

/* A file of a submission routed to the caller's team and jobcenter: its
 * path in the store, display name, sniffed type and size. 404 otherwise
 * (also for other teams: nothing tells that the id exists). */
typedef struct {
    const char *path;
    const char *name;
    const char *mime;
    apr_off_t size;
} jc_upload_dl_t;

int jc_upload_staff_file(jc_db_t *db, jc_result_t *res, jc_upload_dl_t *dl,
                         const jc_upload_cfg_t *cfg,
                         const jc_upload_staff_t *st, apr_int64_t file_id,
                         apr_pool_t *p);

/* POST staff/uploads/status {submission, status}: the new status and a
 * staff_audit row in one transaction. 200 with the submission's status. */
int jc_upload_staff_set_status(jc_db_t *db, jc_result_t *res,
                               json_t **out, const jc_upload_staff_t *st,
                               apr_int64_t submission_id,
                               const char *status, apr_int64_t now,
                               apr_pool_t *p);

/* Housekeeping: drafts created before now - JC_UPLOAD_DRAFT_TTL are
 * deleted with their files (rows, then the stored files). *removed =
 * drafts removed. */
jc_db_rc_e jc_upload_purge_drafts(jc_db_t *db, unsigned *removed,
                                  const jc_upload_cfg_t *cfg,
                                  apr_int64_t now, apr_pool_t *p);

/* A draft's row (jc_up_draft_get). */
typedef struct {
    const char *area;           /* area key                               */
    apr_int64_t created_at;     /* epoch seconds                          */
    apr_int64_t files;          /* files recorded in it                   */
} jc_up_draft_row_t;

/* The draft draft_id of account_id into *out (jc_up_draft_get), expired
 * or not; JC_DB_NOROW when it is not the account's or gone. */
jc_db_rc_e jc_upload_draft_row(jc_db_t *db, jc_up_draft_row_t *out,
                               apr_int64_t draft_id, apr_int64_t account_id,
                               apr_pool_t *p);

/* Delete the draft row draft_id (jc_up_draft_delete), in the caller's
 * transaction. */
jc_db_rc_e jc_upload_draft_delete(jc_db_t *db, apr_int64_t draft_id,
                                  apr_pool_t *p);

/* The files of draft draft_id, ordered by id, into *files
 * (jc_up_draft_files; read with JC_COL_UP_DRAFT_FILES_*). */
jc_db_rc_e jc_upload_draft_files(jc_db_t *db, jc_db_res_t *files,
                                 apr_int64_t draft_id, apr_pool_t *p);

/* *bytes = the size of the account's files stored since the epoch second
 * since (jc_up_bytes_since; the daily limit). */
jc_db_rc_e jc_upload_bytes_since(jc_db_t *db, apr_int64_t *bytes,
                                 apr_int64_t account_id, apr_int64_t since,
                                 apr_pool_t *p);

/* A stored file to record in a draft. */
typedef struct {
    apr_int64_t account_id;     /* owner                                  */
    apr_int64_t draft_id;       /* the draft it goes into                 */
    const char *store_id;       /* its id in the store                    */
    const char *name;           /* cleaned display name                   */
    const char *mime;           /* sniffed type                           */
    apr_int64_t size;           /* bytes                                  */
    const char *sha256;         /* hex digest                             */
} jc_up_file_new_t;

/* Insert the upload_file row of f created at now (jc_up_file_insert), in
 * the caller's transaction; *id = its id. */
jc_db_rc_e jc_upload_file_insert(jc_db_t *db, apr_int64_t *id,
                                 const jc_up_file_new_t *f, apr_int64_t now,
                                 apr_pool_t *p);

/* Characters (code points) of valid UTF-8 s, or -1 if s is not valid
 * UTF-8 or holds control characters other than CR, LF and TAB. */
long jc_upload_text_chars(const char *s);

#endif

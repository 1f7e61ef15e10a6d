/* Resumable uploads: the tus 1.0.0 protocol (core, creation, termination,
 * checksum, expiration) on top of the document uploads (jc_upload). An
 * upload is a row of tus_upload (random 32-hex token in its URL, bound to
 * the account and a draft, declared length, the offset stored so far)
 * and a spool file <store>/tmp/<32 hex>.tus (a server-chosen name, never
 * client input). Each PATCH appends to the spool file under an exclusive
 * flock (a second writer gets 423); the SHA-256 of the whole file is
 * carried across resumptions by hashing the stored prefix again when a
 * PATCH starts (the file is the only state: nothing to keep in step with
 * it after a crash); the type is sniffed from the first bytes (the prefix
 * when resuming). When the last byte has arrived the file is fsynced,
 * linked into files/ and recorded in the draft in one transaction with
 * the tus row (no duplicate on a retried final PATCH), exactly like a
 * file of POST uploads/files. Unfinished uploads expire with their draft
 * (jc_tus_purge, batches). Core: no httpd headers. */
#ifndef JC_TUS_H
#define JC_TUS_H

#include <sys/uio.h>

#include <apr_pools.h>
#include <jansson.h>

#include "jc_db.h"
#include "jc_clamd.h"
#include "jc_result.h"
#include "jc_upload.h"

#define JC_TUS_VERSION    "1.0.0"
#define JC_TUS_EXTENSIONS "creation,termination,checksum,expiration"
#define JC_TUS_CHECKSUMS  "sha1,sha256"
#define JC_TUS_TOKEN_LEN  32        /* hex characters of an upload's id   */
#define JC_TUS_SPOOL_SUFFIX ".tus"  /* tmp/<32 hex>.tus                   */

/* One upload (a tus_upload row). */
typedef struct {
    apr_int64_t id;             /* row id                                 */
    const char *token;          /* 32 hex, the last segment of its URL    */
    apr_int64_t account_id;     /* owner                                  */
    apr_int64_t draft_id;       /* the draft the file goes into           */
    const char *spool_id;       /* 32 hex: tmp/<spool_id>.tus             */
    const char *name;           /* cleaned display name                   */
    apr_off_t length;           /* Upload-Length                          */
    apr_off_t offset;           /* bytes stored (fsynced) so far          */
    apr_int64_t file_id;        /* upload_file row once complete, else 0  */
    apr_int64_t expires_at;     /* epoch seconds (the draft's expiry)     */
} jc_tus_t;

/* 1 if s is JC_TUS_TOKEN_LEN lower-case hex characters. */
int jc_tus_token_ok(const char *s);

/* Parse an Upload-Metadata header ("key base64,key base64"): the values
 * of draft (a positive id; 0 if missing or invalid) and filename (or
 * name; cleaned for display, "Dokument" if missing). 0, or 400 with res
 * set for a malformed header. */
int jc_tus_metadata(jc_result_t *res, apr_int64_t *draft, const char **name,
                    const char *hdr, apr_pool_t *p);

/* POST: check the draft (the account's, alive), the number of files in
 * it (stored ones and unfinished uploads), the file size limit and what
 * the account may still upload today (minus the unfinished uploads) for
 * length, then create the spool file and the row. 201 with *out filled;
 * 400/404/413 before anything is created. */
int jc_tus_create(jc_db_t *db, jc_result_t *res, jc_tus_t *out,
                  const jc_upload_cfg_t *cfg, apr_int64_t account_id,
                  apr_int64_t draft_id, const char *name, apr_off_t length,
                  apr_int64_t now, apr_pool_t *p);

/* The account's upload by token: 200, or 404 not_found (unknown, another
 * account's, expired). */
int jc_tus_get(jc_db_t *db, jc_result_t *res, jc_tus_t *out,
               apr_int64_t account_id, const char *token, apr_int64_t now,
               apr_pool_t *p);

/* Wait up to max_ms for a PATCH of t that is still running (its writer
 * holds the spool file's lock: e.g. the server is still reading what
 * arrived before the client's connection broke) to end, so that a HEAD
 * answers the offset that PATCH stores, not an older one (the client
 * would resend bytes the server has). 1 when no PATCH runs (or the
 * upload is finished), 0 if one still does. */
int jc_tus_wait_idle(const jc_upload_cfg_t *cfg, const jc_tus_t *t,
                     int max_ms, apr_pool_t *p);

/* DELETE: the row, then the spool file; a finished upload's file is also
 * taken out of its draft if the draft still exists (a submitted document
 * is never touched). 204, or 423 while a PATCH writes. */
int jc_tus_terminate(jc_db_t *db, jc_result_t *res,
                     const jc_upload_cfg_t *cfg, const jc_tus_t *t,
                     apr_pool_t *p);

/* The file of a finished upload as JSON {id,name,type,size,sha256}, or
 * NULL (not finished, or its file is gone). */
json_t *jc_tus_file_json(jc_db_t *db, const jc_tus_t *t, apr_pool_t *p);

/* ---- one PATCH ---------------------------------------------------------- */

typedef struct jc_tus_w jc_tus_w_t;

/* Begin a PATCH of t at the client's offset: lock the spool file (423
 * upload_locked if another request holds it), read the row again (t is
 * updated: a PATCH may have ended since it was read), compare the offset (409
 * tus_offset_mismatch), check the Upload-Checksum header (NULL = none;
 * 400 tus_checksum_unsupported / tus_checksum_invalid), cut the file back
 * to the stored offset and hash the stored prefix again. 0 or the error
 * status (res set). The lock ends with p or jc_tus_w_end. */
int jc_tus_w_open(jc_tus_w_t **out, jc_result_t *res, jc_db_t *db,
                  const jc_upload_cfg_t *cfg, jc_tus_t *t,
                  apr_off_t client_offset, const char *checksum,
                  apr_int64_t now, apr_pool_t *p);

/* Append body bytes (at most JC_STORE_IOV_MAX buffers): 0, or 413 (past
 * Upload-Length), 415 (type), 500/507 (store); jc_tus_w_result tells. */
int jc_tus_w_feedv(jc_tus_w_t *w, const struct iovec *iov, int n);

/* The body has ended: complete = 1 if it was read to its end. Checks the
 * checksum (460 tus_checksum_mismatch: the PATCH's bytes are dropped),
 * makes the new bytes durable and stores the offset; when the upload is
 * then complete, commits the file into the draft (*file = its JSON).
 * An incomplete body keeps what arrived (without a checksum) and stores
 * that offset. On a refused type (415) the whole upload is removed. t is
 * updated. Returns 204 (or the error status, res set). */
int jc_tus_w_finish(jc_tus_w_t *w, jc_db_t *db, jc_result_t *res,
                    jc_tus_t *t, int complete, json_t **file,
                    const jc_upload_cfg_t *cfg, apr_int64_t now,
                    apr_pool_t *p);

/* The error of the last failed feed (status 200 if none). */
const jc_result_t *jc_tus_w_result(const jc_tus_w_t *w);

/* Scan the completed file with clamd before it joins the draft (set
 * before jc_tus_w_finish; scan NULL: no scan). hold: clamd unreachable
 * stores the file held (upload_file.scan_hold) instead of 503;
 * quarantine: where a flagged file goes (NULL: removed). */
void jc_tus_w_scan(jc_tus_w_t *w, const jc_clamd_cfg_t *scan, int hold,
                   const char *quarantine);

/* After a 422 upload_infected: clamd's finding, *stored (may be NULL)
 * the file's path in the quarantine or NULL (removed). */
const char *jc_tus_w_finding(const jc_tus_w_t *w, const char **stored);

/* Bytes the PATCH appended so far. */
apr_off_t jc_tus_w_bytes(const jc_tus_w_t *w);

/* ---- housekeeping ------------------------------------------------------- */

/* Uploads past their expiry (also those of a deleted account): per batch
 * of JC_PURGE_BATCH rows, delete the rows, then their spool files.
 * *removed = rows removed. */
jc_db_rc_e jc_tus_purge(jc_db_t *db, unsigned *removed,
                        const jc_upload_cfg_t *cfg, apr_int64_t now,
                        apr_pool_t *p);

/* Spool files tmp/<32 hex>.tus unchanged for max_age seconds and not
 * locked (no row can still need them: an upload expires 24 h after its
 * draft was created). *removed counts them. */
apr_status_t jc_tus_sweep(const char *dir, long max_age, unsigned *removed,
                          apr_pool_t *p);

#endif

/* The upload sink: what the input filter feeds a request body into. A raw
 * body is one file; a multipart/form-data body holds one or more file
 * parts (other parts are read and dropped). Each file is typed from its
 * first bytes (jc_sniff; the client's name and Content-Type never decide),
 * hashed and written to a temp file of the upload store (jc_upload_store),
 * then fsynced and renamed at its end. Limits are checked on every chunk:
 * bytes per file, bytes in all (what the account may still upload today),
 * number of files. Any error stops the sink: its temp file is removed, and
 * jc_upsink_abort removes the files it had already committed, so a failed
 * or aborted body leaves nothing behind. With cfg.scan every file is also
 * streamed to clamd (jc_clamd) as it is written and committed only after
 * clamd found nothing in it.
 *
 * Memory is constant: the multipart parser's header buffer, one
 * jc_store_file_t per file (one at a time), the sniff buffer (18 bytes); file
 * data is never copied (kept field values: at most JC_UPSINK_FIELD_BYTES). Core: no httpd headers. */
#ifndef JC_UPSINK_H
#define JC_UPSINK_H

#include <sys/uio.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "jc_clamd.h"
#include "jc_result.h"

/* A file the sink stored (committed into files/ of the store). */
typedef struct {
    const char *store_id;       /* 32 hex: the name in files/             */
    const char *name;           /* cleaned display name (jc_filename)     */
    const char *mime;           /* sniffed type ("application/pdf", ...)  */
    const char *sha256;         /* 64 lower-case hex                      */
    apr_off_t size;             /* bytes                                  */
    int held;                   /* not scanned (clamd was unreachable and
                                   cfg.scan_hold is set): hidden from
                                   staff until the watchdog scanned it    */
} jc_upfile_t;

typedef struct {
    const char *store;          /* upload store directory                 */
    apr_off_t max_file;         /* bytes per file (> 0)                   */
    apr_off_t max_total;        /* bytes of all files of this body (> 0)  */
    unsigned max_files;         /* files this body may add (>= 1)         */
    const char *boundary;       /* multipart boundary; NULL = raw body    */
    const char *raw_name;       /* raw body: the client's file name (for
                                   display only; NULL = "Dokument")       */
    apr_off_t max_file_limit;   /* the configured per-file limit, for the
                                   message when max_file was cut by the
                                   daily limit                            */
    apr_table_t *fields;        /* multipart: non-NULL = keep the values of
                                   named non-file parts here (copied, within
                                   JC_UPSINK_FIELD_BYTES in all); NULL =
                                   drop them                              */
    const jc_clamd_cfg_t *scan; /* NULL: no virus scan; else every file is
                                   streamed to clamd while it is stored
                                   and committed only if clamd finds
                                   nothing (422 upload_infected)          */
    int scan_hold;              /* clamd unreachable: 0 = refuse (503
                                   scan_unavailable), 1 = store the file
                                   as held (jc_upfile_t.held)             */
    const char *quarantine;     /* a flagged file is moved here (with a
                                   .txt beside it); NULL = removed        */
    const char *owner;          /* who uploads, for the quarantine note   */
} jc_upsink_cfg_t;

typedef struct jc_upsink jc_upsink_t;

/* Extra bytes a multipart body may hold beyond its files' data: field
 * values (dropped, or kept in cfg->fields) are capped at this in all. */
#define JC_UPSINK_FIELD_BYTES 65536

/* A sink in p (the request pool: its destruction removes a temp file
 * left open). APR_EINVAL for a bad configuration. */
apr_status_t jc_upsink_create(jc_upsink_t **out, const jc_upsink_cfg_t *cfg,
                              apr_pool_t *p);

/* Feed len more body bytes. Returns 0, or the HTTP status of the error
 * (413 too large, 415 type not allowed, 400 malformed, 500 store error);
 * jc_upsink_result tells the rest. After an error every call returns it. */
int jc_upsink_feed(jc_upsink_t *s, const char *buf, size_t len);

/* The same for n buffers (a raw body goes to the store in one writev;
 * a multipart body is parsed buffer by buffer). */
int jc_upsink_feedv(jc_upsink_t *s, const struct iovec *iov, int n);

/* The body has ended: commit the last file. 0 or the error status (400
 * for an empty raw body or a multipart body without a file). */
int jc_upsink_finish(jc_upsink_t *s);

/* Remove the open temp file and every file already committed. */
void jc_upsink_abort(jc_upsink_t *s);

/* The error (status 200 if none). */
const jc_result_t *jc_upsink_result(const jc_upsink_t *s);

/* The committed files (jc_upfile_t), in body order. */
const apr_array_header_t *jc_upsink_files(const jc_upsink_t *s);

/* The virus clamd reported (422 upload_infected): *file is the file's
 * display name, the return value the signature; NULL if none. *stored is
 * the quarantined file's path (NULL: removed). */
const char *jc_upsink_finding(const jc_upsink_t *s, const char **file,
                              const char **stored);

/* Bytes of file data received so far. */
apr_off_t jc_upsink_bytes(const jc_upsink_t *s);

#endif

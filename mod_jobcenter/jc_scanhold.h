/* Virus scanning around the upload store: the quarantine for flagged
 * files, and the files stored while clamd was unreachable
 * (JobcenterClamdUnavailable hold): their rows carry
 * upload_file.scan_hold = 1, staff statements leave them out, and the
 * upload watchdog scans them later (jc_scan_held_run): clean files are
 * released (scan_hold = 0), flagged ones removed (row, then the file into
 * the quarantine or unlinked) with a Verlauf event for the citizen.
 * Core: no httpd headers. */
#ifndef JC_SCANHOLD_H
#define JC_SCANHOLD_H

#include <apr_pools.h>

#include "jc_clamd.h"
#include "jc_db.h"

/* Move the file at path into qdir (same name) and write note into
 * <name>.txt beside it. *dest = the new path. */
apr_status_t jc_scan_quarantine(const char *qdir, const char *path,
                                const char *note, const char **dest,
                                apr_pool_t *p);

/* Mark a just inserted upload_file row as held (in the caller's
 * transaction). */
jc_db_rc_e jc_scan_hold_mark(jc_db_t *db, apr_int64_t file_id,
                             apr_pool_t *p);

/* One held file the watchdog has dealt with (for the log). */
typedef struct {
    apr_int64_t file_id;
    apr_int64_t account_id;     /* 0: the account was deleted            */
    const char *name;           /* display name                          */
    const char *store_id;
    jc_clamd_verdict_e verdict; /* CLEAN: released; FOUND: removed;
                                   TOO_LARGE / UNAVAILABLE: still held   */
    const char *detail;         /* the signature, or what went wrong     */
    const char *stored;         /* FOUND: its path in the quarantine, or
                                   NULL (unlinked)                       */
} jc_scan_held_t;

typedef struct {
    const jc_clamd_cfg_t *clamd;
    const char *store;          /* upload store                          */
    const char *quarantine;     /* NULL: flagged files are unlinked      */
    unsigned batch;             /* files per run (at most 100)           */
    void (*report)(void *baton, const jc_scan_held_t *f);
    void *baton;
} jc_scan_hold_cfg_t;

/* Scan up to cfg->batch held files, oldest first. Stops at the first file
 * clamd cannot scan (unreachable: the next run tries again). Counts in
 * *released / *removed. */
jc_db_rc_e jc_scan_held_run(jc_db_t *db, unsigned *released,
                            unsigned *removed, const jc_scan_hold_cfg_t *cfg,
                            apr_int64_t now, apr_pool_t *p);

#endif

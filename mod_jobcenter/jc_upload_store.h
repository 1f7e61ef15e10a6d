/* The upload store: a directory outside the web root with tmp/ (files
 * being received, "<32 hex>.part") and files/ (committed files, named by
 * a random 32-hex id, never by client input). A file is written to tmp/
 * while its SHA-256 and size are computed, then fsynced, renamed into
 * files/ and the directory fsynced. Abort, a failure, the byte limit or
 * the destruction of the upload's pool (a client that went away) unlink
 * the temp file. Memory is constant regardless of the file size.
 * Core: no httpd headers. */
#ifndef JC_UPLOAD_STORE_H
#define JC_UPLOAD_STORE_H

#include <sys/uio.h>

#include <apr_errno.h>
#include <apr_pools.h>

#include "jc_result.h"

#define JC_STORE_ID_LEN 32      /* hex characters of a file id (128 bit) */

/* Returned by jc_store_file_write when the byte limit would be exceeded
 * (the glue answers 413; httpd's filter convention is APR_ENOSPC). */
#define JC_STORE_ETOOLARGE (APR_OS_START_USERERR + 601)

typedef struct jc_store_file jc_store_file_t;

/* Create dir/tmp and dir/files (mode 0700) if missing; dir must exist.
 * Call at start-up (as the user that writes uploads). */
apr_status_t jc_store_prepare(const char *dir, apr_pool_t *p);

/* Open a new temp file dir/tmp/<random>.part (O_CREAT|O_EXCL|O_CLOEXEC,
 * 0600) for at most limit bytes (0 = no limit). The temp file is unlinked
 * when p is cleared or destroyed unless committed. */
apr_status_t jc_store_file_open(jc_store_file_t **out, const char *dir,
                                apr_off_t limit, apr_pool_t *p);

/* Append len bytes and hash them. JC_STORE_ETOOLARGE if the size would
 * exceed the limit; on that or any error the temp file is removed and
 * every later call fails with the same status. */
apr_status_t jc_store_file_write(jc_store_file_t *u, const void *buf,
                                 size_t len);

/* The same for several buffers in one writev(2) (at most JC_STORE_IOV_MAX;
 * the limit applies to their sum). The kernel is asked to start writing
 * the new data back (sync_file_range, not waited for): in the first MiB
 * every 128 KiB of whole pages, above it (the pipeline without O_DIRECT)
 * every JC_STORE_WRITEBACK bytes, so the fsync at commit has little left
 * to do. */
#define JC_STORE_IOV_MAX 64
#define JC_STORE_WRITEBACK (8 * 1024 * 1024)
apr_status_t jc_store_file_writev(jc_store_file_t *u, const struct iovec *iov,
                                  int n);

/* Large uploads (above 1 MiB) are written with O_DIRECT from the
 * pipeline's ring (on = 1, the default) or with normal writes (0).
 * Process-wide; set before any upload starts (post_config, tests). A file
 * system that refuses O_DIRECT gets normal writes either way. */
void jc_store_set_direct_io(int on);

/* Bytes written so far. */
apr_off_t jc_store_file_size(const jc_store_file_t *u);

/* fsync, rename to dir/files/<id>, fsync dir/files. *id (32 hex) and
 * *sha256 (64 lower-case hex) in the upload's pool. On failure the temp
 * file is removed. The committed file stays open and locked (flock) until
 * jc_store_file_release or the cleanup of the upload's pool: the caller
 * commits the row that names it before either (jc_store_check.h). */
apr_status_t jc_store_file_commit(jc_store_file_t *u, const char **id,
                                  const char **sha256);

/* Close a committed file (drops its lock); idempotent. */
void jc_store_file_release(jc_store_file_t *u);

/* Close and unlink the temp file (idempotent; nothing after commit). */
void jc_store_file_abort(jc_store_file_t *u);

/* 1 if id is JC_STORE_ID_LEN lower-case hex characters. */
int jc_store_id_ok(const char *id);

/* JC_STORE_ID_LEN random lower-case hex characters (OpenSSL RNG) in p,
 * NULL if the RNG fails; also the ids of resumable uploads (jc_tus). */
char *jc_store_random_id(apr_pool_t *p);

/* Unlink name in the directory dfd if no writer holds its lock (flock,
 * non-blocking): 1 removed, 0 held, gone or not openable. */
int jc_store_unlink_unlocked(int dfd, const char *name);

/* 1 if a file last changed at t is at least age seconds old at now. An age
 * of 0 or less accepts every file: the kernel stamps files with a finer
 * clock than time() reads (multigrain timestamps, Linux 6.13+), so a file
 * written this instant can carry a time a second ahead of now. */
int jc_store_old_enough(apr_int64_t t, apr_int64_t now, long age);

/* fsync of the directory at path (its entries durable). */
apr_status_t jc_store_fsync_dir(const char *path);

/* 1 if the first n characters of s are lower-case hex. */
int jc_store_hex_ok(const char *s, size_t n);

/* The n bytes of b as 2n lower-case hex characters and a NUL in out. */
void jc_store_tohex(char *out, const unsigned char *b, size_t n);

/* dir/files/<id>, or NULL for an invalid id. */
const char *jc_store_path(const char *dir, const char *id, apr_pool_t *p);

/* Remove dir/files/<id>. APR_EINVAL for an invalid id, APR_ENOENT if
 * there is no such file. */
apr_status_t jc_store_remove(const char *dir, const char *id,
                             apr_pool_t *p);

/* Remove temp files dir/tmp/<32 hex>.part whose mtime is at least
 * max_age seconds old (left by a crash; 0 = all). *removed (may be NULL)
 * counts them. Other names are left alone. */
apr_status_t jc_store_cleanup(const char *dir, long max_age,
                              unsigned *removed, apr_pool_t *p);

/* Remove temp files dir/tmp/<32 hex>.part that no writer holds: every
 * writer keeps an exclusive flock(2) on its temp file until it is renamed
 * or removed, and the kernel drops that lock when the writer's process
 * dies (kill -9, crash). Files younger than min_age seconds (ctime) are
 * skipped: a writer takes its lock right after creating the file. Safe to
 * run while uploads are in progress, in any process. */
apr_status_t jc_store_cleanup_orphans(const char *dir, long min_age,
                                      unsigned *removed, apr_pool_t *p);

/* 413 "upload_too_large": "Die Datei ist zu groß. Erlaubt sind höchstens
 * N MB." (limit in bytes, shown in MB rounded down, at least 1). */
int jc_store_result_too_large(jc_result_t *res, apr_off_t limit,
                              apr_pool_t *p);

/* 1 if rv says the file system of the store is full (ENOSPC, EDQUOT). */
int jc_store_is_full(apr_status_t rv);

/* 507 "storage_full" with a German message that the document could not
 * be stored and nothing was kept; the log line names ENOSPC, what failed
 * (what) and rv. */
int jc_store_result_full(jc_result_t *res, const char *what,
                         apr_status_t rv, apr_pool_t *p);

#endif

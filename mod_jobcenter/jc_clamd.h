/* A client of ClamAV's clamd for the INSTREAM command: the bytes of one
 * file are sent while they pass (chunks of a 4-byte big-endian length
 * and the data, after "zINSTREAM\0"), a zero-length chunk ends the
 * stream, and clamd answers "stream: OK", "stream: <signature> FOUND",
 * "INSTREAM size limit exceeded. ERROR" or another "... ERROR" (a NUL
 * ends the reply). clamd is reached over its unix socket (an absolute
 * path) or TCP ("host:port"). Every connect, send and the wait for the
 * reply is bounded by the configured timeout. Core: no httpd headers. */
#ifndef JC_CLAMD_H
#define JC_CLAMD_H

#include <sys/uio.h>

#include <apr_pools.h>
#include <apr_time.h>

typedef struct {
    const char *addr;            /* "/run/clamav/clamd.ctl" or
                                    "127.0.0.1:3310"                     */
    apr_interval_time_t timeout; /* connect, each send, the reply        */
    apr_off_t max_stream;        /* clamd's StreamMaxLength, bytes       */
} jc_clamd_cfg_t;

typedef enum {
    JC_CLAMD_CLEAN = 0,          /* "stream: OK"                         */
    JC_CLAMD_FOUND,              /* "stream: <signature> FOUND"          */
    JC_CLAMD_TOO_LARGE,          /* more than max_stream, or clamd's
                                    "INSTREAM size limit exceeded"       */
    JC_CLAMD_UNAVAILABLE         /* no connection, timeout, broken
                                    connection, clamd's other errors     */
} jc_clamd_verdict_e;

typedef struct jc_clamd jc_clamd_t;

/* Connect and start an INSTREAM (in a subpool of p). APR_SUCCESS, or the
 * error (clamd unreachable: the caller decides what that means). */
apr_status_t jc_clamd_open(jc_clamd_t **out, const jc_clamd_cfg_t *cfg,
                           apr_pool_t *p);

/* Send n buffers as one chunk. After the first failure (or past
 * max_stream) every call returns that error without sending; the verdict
 * is then decided by jc_clamd_finish. */
apr_status_t jc_clamd_sendv(jc_clamd_t *c, const struct iovec *iov, int n);
apr_status_t jc_clamd_send(jc_clamd_t *c, const char *buf, apr_size_t len);

/* End the stream and read the verdict; *detail (may be NULL) gets the
 * signature (FOUND) or what went wrong (the other verdicts), in the pool
 * given to jc_clamd_open. Closes the connection. */
jc_clamd_verdict_e jc_clamd_finish(jc_clamd_t *c, const char **detail);

/* Close without a verdict (the upload failed otherwise). NULL is fine. */
void jc_clamd_close(jc_clamd_t *c);

/* Bytes sent so far. */
apr_off_t jc_clamd_sent(const jc_clamd_t *c);

/* The verdict of one reply of clamd (without or with its NUL); *detail as
 * above, allocated in p. */
jc_clamd_verdict_e jc_clamd_parse(const char *reply, apr_size_t len,
                                  const char **detail, apr_pool_t *p);

/* Scan a stored file (streamed from disk in 256 KiB blocks). A file that
 * cannot be read gives JC_CLAMD_UNAVAILABLE with *err set (else 0). */
jc_clamd_verdict_e jc_clamd_scan_file(const jc_clamd_cfg_t *cfg,
                                      const char *path, const char **detail,
                                      apr_status_t *err, apr_pool_t *p);

#endif

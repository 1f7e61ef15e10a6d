/* bench/mod_bench_fsync.c -- bench only: makes stock mod_dav PUT durable,
 * the "durable peer" of bench/upload.sh (issue 18).
 *
 * An output filter BENCH_FSYNC (enable with `SetOutputFilter BENCH_FSYNC`
 * in the mod_dav <Location>). mod_dav_fs writes a PUT body into a temp
 * file next to the target and renames it into place before the handler
 * writes its response; the filter sees the response's first brigade (so
 * before a byte of the status line leaves the server) and, for a PUT,
 * fsyncs the stored file and then its directory, as the module does
 * before it answers. Nothing else changes: the peer is mod_dav PUT
 * followed by fsync of file and directory by the same request.
 *
 * Built by bench/upload.sh with apxs into the bench's scratch directory. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

module AP_MODULE_DECLARE_DATA bench_fsync_module;

static int fsync_path(request_rec *r, const char *path, int flags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    int rc;

    if (fd < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(errno), r,
                      "bench_fsync: open %s", path);
        return -1;
    }
    rc = fsync(fd);
    if (rc != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(errno), r,
                      "bench_fsync: fsync %s", path);
    }
    close(fd);
    return rc;
}

static apr_status_t bench_fsync_out(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;

    if (r->method_number == M_PUT && r->filename) {
        /* mod_dav_fs: the resource is r->filename plus any path_info
         * (a file that did not exist yet at the directory walk) */
        const char *path = (r->path_info && *r->path_info)
                           ? apr_pstrcat(r->pool, r->filename, r->path_info,
                                         NULL)
                           : r->filename;

        if (fsync_path(r, path, 0) == 0) {
            fsync_path(r, ap_make_dirstr_parent(r->pool, path),
                       O_DIRECTORY);
        }
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void bench_fsync_hooks(apr_pool_t *p)
{
    (void)p;
    ap_register_output_filter("BENCH_FSYNC", bench_fsync_out, NULL,
                              AP_FTYPE_CONTENT_SET);
}

AP_DECLARE_MODULE(bench_fsync) = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    bench_fsync_hooks,
    AP_MODULE_FLAG_NONE
};

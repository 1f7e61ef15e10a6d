/* The upload store (see jc_upload_store.h). Plain POSIX file calls: the
 * temp file needs O_EXCL|O_CLOEXEC and fsync of file and directory. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L  /* O_DIRECTORY, fstatat, dirfd */
#define _DEFAULT_SOURCE          /* flock */
#endif
#include "jc_upload_store.h"
#include "jc_token.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

struct jc_upload {
    const char *dir;          /* store directory                          */
    char *tmp;                /* dir/tmp/<hex>.part                       */
    int fd;                   /* temp file, -1 once closed                */
    EVP_MD_CTX *md;           /* running SHA-256, NULL once freed         */
    apr_off_t size;           /* bytes written                            */
    apr_off_t limit;          /* maximum size, 0 = none                   */
    apr_status_t failed;      /* sticky error, APR_SUCCESS if none        */
    int done;                 /* committed or aborted                     */
    apr_pool_t *pool;         /* the caller's pool                        */
};

static const char st_hex[] = "0123456789abcdef";

static void st_tohex(char *out, const unsigned char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = st_hex[b[i] >> 4];
        out[2 * i + 1] = st_hex[b[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

/* JC_STORE_ID_LEN random hex characters (OpenSSL RNG) into p. */
static char *st_random_id(apr_pool_t *p)
{
    unsigned char raw[JC_STORE_ID_LEN / 2];
    char *id;

    if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
        return NULL;
    }
    id = apr_palloc(p, JC_STORE_ID_LEN + 1);
    st_tohex(id, raw, sizeof(raw));
    return id;
}

static int st_hex_n(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int jc_store_id_ok(const char *id)
{
    return id != NULL && strlen(id) == JC_STORE_ID_LEN
           && st_hex_n(id, JC_STORE_ID_LEN);
}

static apr_status_t st_mkdir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        return APR_FROM_OS_ERROR(errno);
    }
    return APR_SUCCESS;
}

apr_status_t jc_store_prepare(const char *dir, apr_pool_t *p)
{
    apr_status_t rv = st_mkdir(apr_pstrcat(p, dir, "/tmp", NULL));

    return rv != APR_SUCCESS ? rv
                             : st_mkdir(apr_pstrcat(p, dir, "/files", NULL));
}

/* Close, unlink and free; keeps u->failed. */
static void st_discard(jc_upload_t *u)
{
    if (u->fd >= 0) {
        close(u->fd);
        u->fd = -1;
    }
    if (u->tmp && !u->done) {
        unlink(u->tmp);
    }
    if (u->md) {
        EVP_MD_CTX_free(u->md);
        u->md = NULL;
    }
    u->done = 1;
}

static apr_status_t st_cleanup(void *data)
{
    st_discard(data);
    return APR_SUCCESS;
}

apr_status_t jc_upload_open(jc_upload_t **out, const char *dir,
                            apr_off_t limit, apr_pool_t *p)
{
    jc_upload_t *u;
    char *rnd;

    *out = NULL;
    if (dir == NULL || limit < 0) {
        return APR_EINVAL;
    }
    rnd = st_random_id(p);
    if (rnd == NULL) {
        return APR_EGENERAL;
    }
    u = apr_pcalloc(p, sizeof(*u));
    u->dir = dir;
    u->pool = p;
    u->limit = limit;
    u->tmp = apr_pstrcat(p, dir, "/tmp/", rnd, ".part", NULL);
    u->fd = open(u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (u->fd < 0) {
        u->tmp = NULL;          /* not ours: never unlink it */
        return APR_FROM_OS_ERROR(errno);
    }
    apr_pool_cleanup_register(p, u, st_cleanup, apr_pool_cleanup_null);
    /* held while the file is being written: jc_store_cleanup_orphans
     * removes only temp files nobody holds (their writer died) */
    if (flock(u->fd, LOCK_EX | LOCK_NB) != 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        st_discard(u);
        return rv;
    }
    u->md = EVP_MD_CTX_new();
    if (u->md == NULL
        || EVP_DigestInit_ex(u->md, jc_token_sha256_md(), NULL) != 1) {
        st_discard(u);
        return APR_EGENERAL;
    }
    *out = u;
    return APR_SUCCESS;
}

static apr_status_t st_fail(jc_upload_t *u, apr_status_t rv)
{
    st_discard(u);
    u->failed = rv;
    return rv;
}

apr_status_t jc_upload_write(jc_upload_t *u, const void *buf, size_t len)
{
    const char *b = buf;

    if (u->failed != APR_SUCCESS) {
        return u->failed;
    }
    if (u->done) {
        return APR_EINVAL;
    }
    if (u->limit > 0 && (apr_off_t)len > u->limit - u->size) {
        return st_fail(u, JC_STORE_ETOOLARGE);
    }
    if (len > 0 && EVP_DigestUpdate(u->md, buf, len) != 1) {
        return st_fail(u, APR_EGENERAL);
    }
    while (len > 0) {
        ssize_t w = write(u->fd, b, len);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return st_fail(u, APR_FROM_OS_ERROR(errno));
        }
        b += w;
        len -= (size_t)w;
        u->size += w;
    }
    return APR_SUCCESS;
}

apr_off_t jc_upload_size(const jc_upload_t *u)
{
    return u->size;
}

static apr_status_t st_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    apr_status_t rv = APR_SUCCESS;

    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (fsync(fd) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
    }
    close(fd);
    return rv;
}

apr_status_t jc_upload_commit(jc_upload_t *u, const char **id,
                              const char **sha256)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *hex, *nid, *dest;

    *id = NULL;
    *sha256 = NULL;
    if (u->failed != APR_SUCCESS) {
        return u->failed;
    }
    if (u->done) {
        return APR_EINVAL;
    }
    if (EVP_DigestFinal_ex(u->md, md, &mdlen) != 1 || mdlen != 32) {
        return st_fail(u, APR_EGENERAL);
    }
    hex = apr_palloc(u->pool, 65);
    st_tohex(hex, md, 32);
    nid = st_random_id(u->pool);
    if (nid == NULL) {
        return st_fail(u, APR_EGENERAL);
    }
    if (fsync(u->fd) != 0) {
        return st_fail(u, APR_FROM_OS_ERROR(errno));
    }
    /* renamed while still open and locked, so the orphan cleanup never
     * sees it unlocked under its temp name */
    dest = apr_pstrcat(u->pool, u->dir, "/files/", nid, NULL);
    if (rename(u->tmp, dest) != 0) {
        return st_fail(u, APR_FROM_OS_ERROR(errno));
    }
    u->done = 1;                /* the temp name is gone: nothing to unlink */
    if (close(u->fd) != 0) {
        u->fd = -1;
        unlink(dest);
        st_discard(u);
        u->failed = APR_FROM_OS_ERROR(errno);
        return u->failed;
    }
    u->fd = -1;
    st_discard(u);
    {
        apr_status_t rv = st_fsync_dir(apr_pstrcat(u->pool, u->dir,
                                                   "/files", NULL));

        if (rv != APR_SUCCESS) {
            unlink(dest);
            u->failed = rv;
            return rv;
        }
    }
    *id = nid;
    *sha256 = hex;
    return APR_SUCCESS;
}

void jc_upload_abort(jc_upload_t *u)
{
    if (u) {
        st_discard(u);
    }
}

const char *jc_store_path(const char *dir, const char *id, apr_pool_t *p)
{
    if (!jc_store_id_ok(id)) {
        return NULL;
    }
    return apr_pstrcat(p, dir, "/files/", id, NULL);
}

apr_status_t jc_store_remove(const char *dir, const char *id,
                             apr_pool_t *p)
{
    const char *path = jc_store_path(dir, id, p);

    if (path == NULL) {
        return APR_EINVAL;
    }
    if (unlink(path) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    return APR_SUCCESS;
}

apr_status_t jc_store_cleanup(const char *dir, long max_age,
                              unsigned *removed, apr_pool_t *p)
{
    const char *tdir = apr_pstrcat(p, dir, "/tmp", NULL);
    DIR *d;
    struct dirent *e;
    time_t now = time(NULL);
    unsigned n = 0;
    int dfd;

    if (removed) {
        *removed = 0;
    }
    d = opendir(tdir);
    if (d == NULL) {
        return APR_FROM_OS_ERROR(errno);
    }
    dfd = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        struct stat st;

        if (strlen(e->d_name) != JC_STORE_ID_LEN + 5
            || strcmp(e->d_name + JC_STORE_ID_LEN, ".part") != 0
            || !st_hex_n(e->d_name, JC_STORE_ID_LEN)) {
            continue;
        }
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode)
            || (long)(now - st.st_mtime) < max_age) {
            continue;
        }
        if (unlinkat(dfd, e->d_name, 0) == 0) {
            n++;
        }
    }
    closedir(d);
    if (removed) {
        *removed = n;
    }
    return APR_SUCCESS;
}

apr_status_t jc_store_cleanup_orphans(const char *dir, long min_age,
                                      unsigned *removed, apr_pool_t *p)
{
    const char *tdir = apr_pstrcat(p, dir, "/tmp", NULL);
    DIR *d;
    struct dirent *e;
    time_t now = time(NULL);
    unsigned n = 0;
    int dfd;

    if (removed) {
        *removed = 0;
    }
    d = opendir(tdir);
    if (d == NULL) {
        return APR_FROM_OS_ERROR(errno);
    }
    dfd = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        int fd;

        if (strlen(e->d_name) != JC_STORE_ID_LEN + 5
            || strcmp(e->d_name + JC_STORE_ID_LEN, ".part") != 0
            || !st_hex_n(e->d_name, JC_STORE_ID_LEN)) {
            continue;
        }
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode)
            || (long)(now - st.st_ctime) < min_age) {
            continue;
        }
        fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            continue;
        }
        /* a writer holds its lock until rename: free = its writer died */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0
            && unlinkat(dfd, e->d_name, 0) == 0) {
            n++;
        }
        close(fd);
    }
    closedir(d);
    if (removed) {
        *removed = n;
    }
    return APR_SUCCESS;
}

int jc_store_result_too_large(jc_result_t *res, apr_off_t limit,
                              apr_pool_t *p)
{
    apr_off_t mb = limit / (1024 * 1024);

    return jc_result_set(res, 413, "upload_too_large",
                         apr_psprintf(p, "Die Datei ist zu groß. Erlaubt "
                                      "sind höchstens %" APR_OFF_T_FMT
                                      " MB.", mb < 1 ? 1 : mb),
                         "file");
}

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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* The SHA-256 of a large upload is computed in a thread of its own, so
 * hashing overlaps with receiving and writing (one core hashes while the
 * other reads the socket and copies into the page cache). The writer
 * copies each buffer into a ring of JC_HASH_SLOTS slots; the thread
 * digests full slots. A second thread starts writeback of what has been
 * written (sync_file_range(SYNC_FILE_RANGE_WRITE), not waited for): that
 * call can block for 100 ms and more on a busy device queue, and neither
 * the writer nor the hasher may wait for it. Memory: the ring (2 MiB) and
 * the two threads. */
#define JC_HASH_SLOTS 8
#define JC_HASH_SLOT (256 * 1024)
#define JC_HASH_THREAD_AFTER (1024 * 1024) /* inline below this size     */

typedef struct {
    pthread_t th;             /* the hashing thread                       */
    pthread_t wb;             /* the writeback thread                     */
    int wb_running;           /* wb was started                           */
    pthread_mutex_t mu;       /* guards everything below                  */
    pthread_cond_t cv;        /* slot filled / slot freed / stop          */
    pthread_cond_t wcv;       /* more written / stop (writeback thread)   */
    EVP_MD_CTX *md;           /* the digest (owned by the jc_upload_t)    */
    char *ring;               /* JC_HASH_SLOTS * JC_HASH_SLOT bytes       */
    size_t len[JC_HASH_SLOTS];/* bytes in each slot                       */
    int full[JC_HASH_SLOTS];  /* slot handed to the thread                */
    int head;                 /* slot the writer fills                    */
    int tail;                 /* slot the thread digests next             */
    int stop;                 /* no more data: digest the rest and end    */
    int quit;                 /* abandon: end without digesting           */
    int failed;               /* a digest call failed                     */
    int fd;                   /* the temp file (writeback hints)          */
    apr_off_t written;        /* bytes written to fd                      */
    apr_off_t flushed;        /* bytes handed to writeback                */
} jc_hasher_t;

static void *hasher_main(void *arg)
{
    jc_hasher_t *h = arg;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        int t = h->tail;

        while (!h->full[t] && !h->stop && !h->quit) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        if (h->quit || !h->full[t]) {
            break;              /* abandoned, or stopped and drained */
        }
        pthread_mutex_unlock(&h->mu);
        if (EVP_DigestUpdate(h->md, h->ring + (size_t)t * JC_HASH_SLOT,
                             h->len[t]) != 1) {
            h->failed = 1;
        }
        pthread_mutex_lock(&h->mu);
        h->full[t] = 0;
        h->len[t] = 0;
        h->tail = (t + 1) % JC_HASH_SLOTS;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Starts writeback of every JC_STORE_WRITEBACK bytes written, in the
 * background: the fsync at commit then has little left to write. When a
 * call blocked, the next one covers everything written meanwhile. */
static void *writeback_main(void *arg)
{
    jc_hasher_t *h = arg;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        apr_off_t from, to;

        while (h->written - h->flushed < JC_STORE_WRITEBACK && !h->stop
               && !h->quit) {
            pthread_cond_wait(&h->wcv, &h->mu);
        }
        if (h->stop || h->quit) {
            break;              /* the fsync at commit does the rest */
        }
        from = h->flushed;
        to = h->written;
        h->flushed = to;
        pthread_mutex_unlock(&h->mu);
#ifdef SYNC_FILE_RANGE_WRITE
        sync_file_range(h->fd, from, to - from, SYNC_FILE_RANGE_WRITE);
#else
        (void)from;
#endif
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static jc_hasher_t *hasher_start(EVP_MD_CTX *md, int fd, apr_off_t done,
                                 apr_off_t flushed)
{
    jc_hasher_t *h = calloc(1, sizeof(*h));

    if (!h) {
        return NULL;
    }
    h->md = md;
    h->fd = fd;
    h->written = done;
    h->flushed = flushed;
    h->ring = malloc((size_t)JC_HASH_SLOTS * JC_HASH_SLOT);
    if (!h->ring || pthread_mutex_init(&h->mu, NULL) != 0) {
        free(h->ring);
        free(h);
        return NULL;
    }
    if (pthread_cond_init(&h->cv, NULL) != 0) {
        pthread_mutex_destroy(&h->mu);
        free(h->ring);
        free(h);
        return NULL;
    }
    if (pthread_cond_init(&h->wcv, NULL) != 0) {
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(h->ring);
        free(h);
        return NULL;
    }
    if (pthread_create(&h->th, NULL, hasher_main, h) != 0) {
        pthread_cond_destroy(&h->wcv);
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(h->ring);
        free(h);
        return NULL;
    }
    /* without it only the writeback hints are missing: fsync does all */
    h->wb_running = pthread_create(&h->wb, NULL, writeback_main, h) == 0;
    return h;
}

/* Copy len bytes into the ring, handing full slots to the thread. */
static void hasher_add(jc_hasher_t *h, const char *data, size_t len)
{
    pthread_mutex_lock(&h->mu);
    while (len > 0) {
        int s = h->head;
        size_t n;

        while (h->full[s]) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        n = JC_HASH_SLOT - h->len[s];
        if (n > len) {
            n = len;
        }
        pthread_mutex_unlock(&h->mu);
        memcpy(h->ring + (size_t)s * JC_HASH_SLOT + h->len[s], data, n);
        pthread_mutex_lock(&h->mu);
        h->len[s] += n;
        data += n;
        len -= n;
        if (h->len[s] == JC_HASH_SLOT) {
            h->full[s] = 1;
            h->head = (s + 1) % JC_HASH_SLOTS;
            pthread_cond_broadcast(&h->cv);
        }
    }
    pthread_mutex_unlock(&h->mu);
}

/* The writer wrote len more bytes to the file. */
static void hasher_written(jc_hasher_t *h, size_t len)
{
    pthread_mutex_lock(&h->mu);
    h->written += (apr_off_t)len;
    if (h->written - h->flushed >= JC_STORE_WRITEBACK) {
        pthread_cond_signal(&h->wcv);
    }
    pthread_mutex_unlock(&h->mu);
}

/* End the thread: digest what is left (quit = 0) or abandon it. Returns
 * 0, or -1 if a digest call failed. Frees everything but the digest. */
static int hasher_end(jc_hasher_t *h, int quit)
{
    int failed;

    pthread_mutex_lock(&h->mu);
    if (!quit && h->len[h->head] > 0 && !h->full[h->head]) {
        h->full[h->head] = 1;   /* the last, partial slot */
    }
    h->stop = 1;
    h->quit = quit;
    pthread_cond_broadcast(&h->cv);
    pthread_cond_broadcast(&h->wcv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    if (h->wb_running) {
        pthread_join(h->wb, NULL);
    }
    failed = h->failed;
    pthread_cond_destroy(&h->wcv);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h->ring);
    free(h);
    return failed ? -1 : 0;
}

struct jc_upload {
    const char *dir;          /* store directory                          */
    char *tmp;                /* dir/tmp/<hex>.part                       */
    int fd;                   /* temp file, -1 once closed                */
    EVP_MD_CTX *md;           /* running SHA-256, NULL once freed         */
    jc_hasher_t *hasher;      /* hashing thread (large files) or NULL     */
    apr_off_t size;           /* bytes written                            */
    apr_off_t limit;          /* maximum size, 0 = none                   */
    apr_off_t flushed;        /* bytes handed to writeback so far         */
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
    /* threads first: the writeback thread uses the descriptor, whose
     * number another thread of the process may get once it is closed */
    if (u->hasher) {
        hasher_end(u->hasher, 1);
        u->hasher = NULL;
    }
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

/* Start writeback of what was written since the last call once a window
 * is full, without waiting for it: the disk works while more data
 * arrives, and the fsync at commit has little left to do. */
static void st_writeback(jc_upload_t *u, int force)
{
#ifdef SYNC_FILE_RANGE_WRITE
    if (u->size - u->flushed >= (force ? 1 : JC_STORE_WRITEBACK)) {
        sync_file_range(u->fd, u->flushed, u->size - u->flushed,
                        SYNC_FILE_RANGE_WRITE);
        u->flushed = u->size;
    }
#else
    (void)u;
    (void)force;
#endif
}

apr_status_t jc_upload_writev(jc_upload_t *u, const struct iovec *iov,
                              int n)
{
    struct iovec v[JC_STORE_IOV_MAX];
    size_t total = 0;
    apr_off_t before;
    int i, k = 0;

    if (u->failed != APR_SUCCESS) {
        return u->failed;
    }
    if (u->done) {
        return APR_EINVAL;
    }
    if (n < 0 || n > JC_STORE_IOV_MAX) {
        return APR_EINVAL;
    }
    for (i = 0; i < n; i++) {
        total += iov[i].iov_len;
    }
    if (u->limit > 0 && (apr_off_t)total > u->limit - u->size) {
        return st_fail(u, JC_STORE_ETOOLARGE);
    }
    if (!u->hasher && u->size >= JC_HASH_THREAD_AFTER) {
        /* NULL: hash inline */
        u->hasher = hasher_start(u->md, u->fd, u->size, u->flushed);
    }
    for (i = 0; i < n; i++) {
        if (iov[i].iov_len == 0) {
            continue;
        }
        if (!u->hasher
            && EVP_DigestUpdate(u->md, iov[i].iov_base, iov[i].iov_len)
               != 1) {
            return st_fail(u, APR_EGENERAL);
        }
        v[k++] = iov[i];
    }
    /* one system call for all of it; continue after a short write */
    before = u->size;
    i = 0;
    while (total > 0) {
        ssize_t w = writev(u->fd, v + i, k - i);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return st_fail(u, APR_FROM_OS_ERROR(errno));
        }
        total -= (size_t)w;
        u->size += w;
        while (w > 0 && i < k) {
            if ((size_t)w >= v[i].iov_len) {
                w -= (ssize_t)v[i].iov_len;
                i++;
            }
            else {
                v[i].iov_base = (char *)v[i].iov_base + w;
                v[i].iov_len -= (size_t)w;
                w = 0;
            }
        }
    }
    if (u->hasher) {
        /* after writing: the writeback thread may start on it */
        hasher_written(u->hasher, (size_t)(u->size - before));
        for (i = 0; i < n; i++) {
            if (iov[i].iov_len > 0) {
                hasher_add(u->hasher, iov[i].iov_base, iov[i].iov_len);
            }
        }
    }
    else {
        st_writeback(u, 0);
    }
    return APR_SUCCESS;
}

apr_status_t jc_upload_write(jc_upload_t *u, const void *buf, size_t len)
{
    struct iovec v;

    v.iov_base = (void *)buf;
    v.iov_len = len;
    return jc_upload_writev(u, &v, 1);
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
    if (u->hasher) {
        int bad = hasher_end(u->hasher, 0);

        u->hasher = NULL;
        if (bad) {
            return st_fail(u, APR_EGENERAL);
        }
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

/* Remove the temporary files <id>.part below dir/tmp that are regular
 * files and at least age seconds old: by mtime (an abandoned upload), or
 * with orphans by ctime and only when no writer holds the file's lock (a
 * writer keeps it until the rename, so a free lock means it died). */
static apr_status_t sweep_parts(const char *dir, long age, int orphans,
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
            || (long)(now - (orphans ? st.st_ctime : st.st_mtime)) < age) {
            continue;
        }
        if (!orphans) {
            if (unlinkat(dfd, e->d_name, 0) == 0) {
                n++;
            }
            continue;
        }
        fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            continue;
        }
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

apr_status_t jc_store_cleanup(const char *dir, long max_age,
                              unsigned *removed, apr_pool_t *p)
{
    return sweep_parts(dir, max_age, 0, removed, p);
}

apr_status_t jc_store_cleanup_orphans(const char *dir, long min_age,
                                      unsigned *removed, apr_pool_t *p)
{
    return sweep_parts(dir, min_age, 1, removed, p);
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

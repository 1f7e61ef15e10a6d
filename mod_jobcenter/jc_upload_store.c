/* The upload store (see jc_upload_store.h). Plain POSIX file calls: the
 * temp file needs O_EXCL|O_CLOEXEC and fsync of file and directory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE              /* O_DIRECT; O_DIRECTORY, flock, dirfd */
#endif
#include "jc_upload_store.h"
#include "jc_group.h"
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

/* Above JC_PIPE_AFTER bytes an upload goes through a pipeline of its own:
 * the receiving thread only copies each buffer into a ring of
 * JC_PIPE_SLOTS aligned slots; a hashing thread digests full slots and a
 * writing thread writes them to the file, both in slot order and in
 * parallel; a slot is reused once both are done with it. The writing
 * thread uses a second descriptor opened with O_DIRECT, so the data goes
 * from the ring to the device without a copy into the page cache and
 * without dirty pages for the fsync at commit (1 GiB: ~0.25 s of CPU
 * instead of ~0.9 s for write + writeback on the bench machine). File
 * offsets and ring addresses share their alignment (a slot's data starts
 * at its file offset modulo JC_PIPE_ALIGN), so the unaligned head of the
 * first slot and the tail of the last one go through the normal
 * descriptor; a file system without O_DIRECT (open or write fails with
 * EINVAL) gets normal writes from the same thread. Memory: the ring
 * (JC_PIPE_SLOTS * JC_PIPE_SLOT) and the two threads. */
#define JC_PIPE_SLOTS 6
#define JC_PIPE_SLOT (512 * 1024)
#define JC_PIPE_ALIGN 4096
#define JC_PIPE_AFTER (1024 * 1024) /* inline hashing and writes below  */

typedef struct {
    pthread_t hth;            /* the hashing thread                       */
    pthread_t wth;            /* the writing thread                       */
    pthread_mutex_t mu;       /* guards everything below                  */
    pthread_cond_t cv;        /* slot filled / slot done / stop           */
    EVP_MD_CTX *md;           /* the digest (owned by the jc_store_file_t) */
    char *ring;               /* JC_PIPE_SLOTS * JC_PIPE_SLOT bytes       */
    size_t start[JC_PIPE_SLOTS]; /* index of the slot's first byte        */
    size_t len[JC_PIPE_SLOTS];/* bytes in each slot                       */
    apr_off_t off[JC_PIPE_SLOTS]; /* file offset of the first byte        */
    int full[JC_PIPE_SLOTS];  /* handed over, not yet done by both        */
    int hashed[JC_PIPE_SLOTS];
    int written[JC_PIPE_SLOTS];
    int head;                 /* slot the receiver fills                  */
    int htail;                /* slot the hashing thread takes next       */
    int wtail;                /* slot the writing thread takes next       */
    apr_off_t next;           /* file offset of the next byte             */
    int stop;                 /* no more data: finish the rest and end    */
    int quit;                 /* abandon: end without finishing           */
    int hash_failed;          /* a digest call failed                     */
    apr_status_t werr;        /* a write failed (sticky)                  */
    int fd;                   /* the temp file (normal writes)            */
    int dfd;                  /* the same file with O_DIRECT, or -1       */
    apr_off_t flushed;        /* writeback started up to here (no O_DIRECT;
                               * writing thread only)                     */
} jc_pipe_t;

/* Slot s is done by one side: free it when the other is done too. */
static void pipe_done(jc_pipe_t *h, int s)
{
    if (h->hashed[s] && h->written[s]) {
        h->full[s] = h->hashed[s] = h->written[s] = 0;
        h->len[s] = 0;
        h->start[s] = 0;        /* only the very first slot is offset */
    }
    pthread_cond_broadcast(&h->cv);
}

/* Wait for the next slot of one side (*tail, done[] its flags): full and
 * not yet done by this side (one side may be a whole ring ahead of the
 * other, and then finds its slot still full from the last round). -1 when
 * there is none left. Lock held. */
static int pipe_next(jc_pipe_t *h, const int *tail, const int *done)
{
    int t;

    for (;;) {
        t = *tail;
        if (h->quit) {
            return -1;
        }
        if (h->full[t] && !done[t]) {
            return t;
        }
        if (h->stop) {
            return -1;          /* stopped and everything handed over */
        }
        pthread_cond_wait(&h->cv, &h->mu);
    }
}

static void *pipe_hash_main(void *arg)
{
    jc_pipe_t *h = arg;
    int t;

    pthread_mutex_lock(&h->mu);
    while ((t = pipe_next(h, &h->htail, h->hashed)) >= 0) {
        pthread_mutex_unlock(&h->mu);
        if (EVP_DigestUpdate(h->md, h->ring + (size_t)t * JC_PIPE_SLOT
                                    + h->start[t], h->len[t]) != 1) {
            h->hash_failed = 1;
        }
        pthread_mutex_lock(&h->mu);
        h->hashed[t] = 1;
        h->htail = (t + 1) % JC_PIPE_SLOTS;
        pipe_done(h, t);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* pwrite all of buf at off; 0 or errno. */
static int pwrite_all(int fd, const char *buf, size_t n, apr_off_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, buf, n, (off_t)off);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        buf += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

/* Write bytes [s, e) of a slot's memory to the file at off: the aligned
 * middle with O_DIRECT, head and tail (and everything, without O_DIRECT)
 * with normal writes. */
static int pipe_write_slot(jc_pipe_t *h, const char *mem, size_t s, size_t e,
                           apr_off_t off)
{
    size_t a0 = (s + JC_PIPE_ALIGN - 1) & ~(size_t)(JC_PIPE_ALIGN - 1);
    size_t a1 = e & ~(size_t)(JC_PIPE_ALIGN - 1);
    int err;

    if (h->dfd >= 0 && a0 < a1) {
        err = pwrite_all(h->fd, mem + s, a0 - s, off);
        if (err == 0) {
            err = pwrite_all(h->dfd, mem + a0, a1 - a0,
                             off + (apr_off_t)(a0 - s));
            if (err == EINVAL) {
                /* no O_DIRECT here after all: normal writes from now on
                 * (pwrite_all may have written part of it: rewrite all) */
                close(h->dfd);
                h->dfd = -1;
                err = pwrite_all(h->fd, mem + a0, a1 - a0,
                                 off + (apr_off_t)(a0 - s));
            }
        }
        return err != 0 ? err
                        : pwrite_all(h->fd, mem + a1, e - a1,
                                     off + (apr_off_t)(a1 - s));
    }
    return pwrite_all(h->fd, mem + s, e - s, off);
}

/* Normal writes: once JC_STORE_WRITEBACK bytes up to end are not yet
 * handed to writeback, start writing them back without waiting
 * (sync_file_range(SYNC_FILE_RANGE_WRITE)): the disk works while more data
 * arrives, and the fsync at commit does not find the whole file dirty. */
static void writeback_hint(int fd, apr_off_t *flushed, apr_off_t end)
{
#ifdef SYNC_FILE_RANGE_WRITE
    if (end - *flushed >= JC_STORE_WRITEBACK) {
        sync_file_range(fd, *flushed, end - *flushed, SYNC_FILE_RANGE_WRITE);
        *flushed = end;
    }
#else
    (void)fd;
    (void)flushed;
    (void)end;
#endif
}

/* The inline path (the first JC_PIPE_AFTER bytes, written by the request
 * thread): once JC_STORE_EARLY_WB bytes of whole pages are not yet handed
 * to writeback, start writing them back without waiting. The device
 * writes the first blocks of a small upload while the rest still arrives
 * and is hashed, so the fsync at commit has less to wait for (issue 18:
 * 1 MiB in 256 KiB writes, then rename, fsync, directory fsync,
 * interleaved on the bench machine: 1.94 -> 1.71 ms and 2.57 -> 2.31 ms
 * median). Only whole pages: a partial last page would go out twice. */
#define JC_STORE_EARLY_WB (128 * 1024)

static void early_writeback(int fd, apr_off_t *flushed, apr_off_t size)
{
#ifdef SYNC_FILE_RANGE_WRITE
    apr_off_t end = size & ~(apr_off_t)(JC_PIPE_ALIGN - 1);

    if (end - *flushed >= JC_STORE_EARLY_WB) {
        sync_file_range(fd, *flushed, end - *flushed, SYNC_FILE_RANGE_WRITE);
        *flushed = end;
    }
#else
    (void)fd;
    (void)flushed;
    (void)size;
#endif
}

static void *pipe_write_main(void *arg)
{
    jc_pipe_t *h = arg;
    int t;

    pthread_mutex_lock(&h->mu);
    while ((t = pipe_next(h, &h->wtail, h->written)) >= 0) {
        int err = 0;

        pthread_mutex_unlock(&h->mu);
        if (h->werr == APR_SUCCESS) {  /* after a failure: only drain */
            err = pipe_write_slot(h, h->ring + (size_t)t * JC_PIPE_SLOT,
                                  h->start[t], h->start[t] + h->len[t],
                                  h->off[t]);
        }
        if (err == 0 && h->dfd < 0) {
            /* normal writes (no O_DIRECT): writeback hints */
            writeback_hint(h->fd, &h->flushed,
                           h->off[t] + (apr_off_t)h->len[t]);
        }
        pthread_mutex_lock(&h->mu);
        if (err != 0) {
            h->werr = APR_FROM_OS_ERROR(err);
        }
        h->written[t] = 1;
        h->wtail = (t + 1) % JC_PIPE_SLOTS;
        pipe_done(h, t);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static int st_direct_io = 1;

void jc_store_set_direct_io(int on)
{
    st_direct_io = on != 0;
}

/* Start the pipeline for a file of which done bytes are written (tmp is
 * its path, fd its descriptor). NULL on any failure: the caller then
 * hashes and writes inline. */
static jc_pipe_t *pipe_start(EVP_MD_CTX *md, const char *tmp, int fd,
                             apr_off_t done)
{
    jc_pipe_t *h = calloc(1, sizeof(*h));
    void *ring = NULL;

    if (!h) {
        return NULL;
    }
    if (posix_memalign(&ring, JC_PIPE_ALIGN,
                       (size_t)JC_PIPE_SLOTS * JC_PIPE_SLOT) != 0) {
        free(h);
        return NULL;
    }
    h->ring = ring;
    h->md = md;
    h->fd = fd;
    h->next = done;
    /* the first slot starts where its offset falls in a block */
    h->start[0] = (size_t)(done % JC_PIPE_ALIGN);
    h->dfd = st_direct_io ? open(tmp, O_WRONLY | O_DIRECT | O_CLOEXEC) : -1;
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        goto fail;
    }
    if (pthread_cond_init(&h->cv, NULL) != 0) {
        pthread_mutex_destroy(&h->mu);
        goto fail;
    }
    if (pthread_create(&h->hth, NULL, pipe_hash_main, h) != 0) {
        goto fail_cv;
    }
    if (pthread_create(&h->wth, NULL, pipe_write_main, h) != 0) {
        pthread_mutex_lock(&h->mu);
        h->quit = 1;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->hth, NULL);
        goto fail_cv;
    }
    return h;
fail_cv:
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
fail:
    if (h->dfd >= 0) {
        close(h->dfd);
    }
    free(h->ring);
    free(h);
    return NULL;
}

/* Hand the current slot over (it has data). Lock held. */
static void pipe_hand_over(jc_pipe_t *h)
{
    int s = h->head;

    h->off[s] = h->next;
    h->next += (apr_off_t)h->len[s];
    h->full[s] = 1;
    h->head = (s + 1) % JC_PIPE_SLOTS;
    pthread_cond_broadcast(&h->cv);
}

/* Copy len bytes into the ring, handing full slots over. Returns a write
 * failure of the writing thread (sticky), else APR_SUCCESS. */
static apr_status_t pipe_add(jc_pipe_t *h, const char *data, size_t len)
{
    apr_status_t rv;

    pthread_mutex_lock(&h->mu);
    while (len > 0 && h->werr == APR_SUCCESS) {
        int s = h->head;
        size_t n, at;

        while (h->full[s] && h->werr == APR_SUCCESS) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        if (h->werr != APR_SUCCESS) {
            break;
        }
        at = h->start[s] + h->len[s];
        n = JC_PIPE_SLOT - at;
        if (n > len) {
            n = len;
        }
        pthread_mutex_unlock(&h->mu);
        memcpy(h->ring + (size_t)s * JC_PIPE_SLOT + at, data, n);
        pthread_mutex_lock(&h->mu);
        h->len[s] += n;
        data += n;
        len -= n;
        if (h->start[s] + h->len[s] == JC_PIPE_SLOT) {
            pipe_hand_over(h);
        }
    }
    rv = h->werr;
    pthread_mutex_unlock(&h->mu);
    return rv;
}

/* End the threads: finish what is left (quit = 0) or abandon it. Returns
 * APR_SUCCESS, the first write failure, or APR_EGENERAL if a digest call
 * failed. Frees everything but the digest; closes only the O_DIRECT
 * descriptor. */
static apr_status_t pipe_end(jc_pipe_t *h, int quit)
{
    apr_status_t rv;

    pthread_mutex_lock(&h->mu);
    if (!quit && h->len[h->head] > 0 && !h->full[h->head]) {
        pipe_hand_over(h);      /* the last, partial slot */
    }
    h->stop = 1;
    h->quit = quit;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->hth, NULL);
    pthread_join(h->wth, NULL);
    rv = h->werr != APR_SUCCESS ? h->werr
         : h->hash_failed       ? APR_EGENERAL
                                : APR_SUCCESS;
    if (h->dfd >= 0) {
        close(h->dfd);
    }
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h->ring);
    free(h);
    return rv;
}

struct jc_store_file {
    const char *dir;          /* store directory                          */
    char *tmp;                /* dir/tmp/<hex>.part                       */
    int fd;                   /* temp file, -1 once closed                */
    EVP_MD_CTX *md;           /* running SHA-256, NULL once freed         */
    jc_pipe_t *pipe;          /* pipeline (large files) or NULL           */
    apr_off_t size;           /* bytes written                            */
    apr_off_t limit;          /* maximum size, 0 = none                   */
    apr_off_t flushed;        /* bytes handed to writeback so far         */
    apr_status_t failed;      /* sticky error, APR_SUCCESS if none        */
    int done;                 /* committed or aborted                     */
    apr_pool_t *pool;         /* the caller's pool                        */
};

static const char st_hex[] = "0123456789abcdef";

void jc_store_tohex(char *out, const unsigned char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = st_hex[b[i] >> 4];
        out[2 * i + 1] = st_hex[b[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

char *jc_store_random_id(apr_pool_t *p)
{
    unsigned char raw[JC_STORE_ID_LEN / 2];
    char *id;

    if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
        return NULL;
    }
    id = apr_palloc(p, JC_STORE_ID_LEN + 1);
    jc_store_tohex(id, raw, sizeof(raw));
    return id;
}

int jc_store_hex_ok(const char *s, size_t n)
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
           && jc_store_hex_ok(id, JC_STORE_ID_LEN);
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
static void st_discard(jc_store_file_t *u)
{
    /* threads first: the writeback thread uses the descriptor, whose
     * number another thread of the process may get once it is closed */
    if (u->pipe) {
        pipe_end(u->pipe, 1);
        u->pipe = NULL;
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

apr_status_t jc_store_file_open(jc_store_file_t **out, const char *dir,
                                apr_off_t limit, apr_pool_t *p)
{
    jc_store_file_t *u;
    char *rnd;

    *out = NULL;
    if (dir == NULL || limit < 0) {
        return APR_EINVAL;
    }
    rnd = jc_store_random_id(p);
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

static apr_status_t st_fail(jc_store_file_t *u, apr_status_t rv)
{
    st_discard(u);
    u->failed = rv;
    return rv;
}

apr_status_t jc_store_file_writev(jc_store_file_t *u, const struct iovec *iov,
                                  int n)
{
    struct iovec v[JC_STORE_IOV_MAX];
    size_t total = 0;
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
    if (!u->pipe && u->size >= JC_PIPE_AFTER) {
        /* NULL: hash and write inline */
        u->pipe = pipe_start(u->md, u->tmp, u->fd, u->size);
    }
    if (u->pipe) {
        for (i = 0; i < n; i++) {
            apr_status_t rv;

            if (iov[i].iov_len == 0) {
                continue;
            }
            rv = pipe_add(u->pipe, iov[i].iov_base, iov[i].iov_len);
            if (rv != APR_SUCCESS) {
                return st_fail(u, rv);
            }
            u->size += (apr_off_t)iov[i].iov_len;
        }
        return APR_SUCCESS;
    }
    for (i = 0; i < n; i++) {
        if (iov[i].iov_len == 0) {
            continue;
        }
        if (EVP_DigestUpdate(u->md, iov[i].iov_base, iov[i].iov_len) != 1) {
            return st_fail(u, APR_EGENERAL);
        }
        v[k++] = iov[i];
    }
    /* one system call for all of it; continue after a short write */
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
    early_writeback(u->fd, &u->flushed, u->size);
    return APR_SUCCESS;
}

apr_status_t jc_store_file_write(jc_store_file_t *u, const void *buf,
                                 size_t len)
{
    struct iovec v;

    v.iov_base = (void *)buf;
    v.iov_len = len;
    return jc_store_file_writev(u, &v, 1);
}

apr_off_t jc_store_file_size(const jc_store_file_t *u)
{
    return u->size;
}

int jc_store_unlink_unlocked(int dfd, const char *name)
{
    int fd, gone = 0;

    /* read-write: NFS emulates flock with byte-range locks, and LOCK_EX
     * there needs a descriptor open for writing */
    fd = openat(dfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return 0;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dfd, name, 0) == 0) {
        gone = 1;
    }
    close(fd);
    return gone;
}

apr_status_t jc_store_fsync_dir(const char *path)
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

static apr_status_t st_fsync_dir(void *arg)
{
    return jc_store_fsync_dir(arg);
}

/* Make the entry renamed into dir (before ticket t was taken) durable: an
 * fsync of dir that started after the rename, shared with the other
 * threads of the process (jc_gsync: one fsync serves every rename done
 * before it started). */
static apr_status_t st_dirsync(const char *dir, jc_gsync_t *g,
                               apr_uint64_t t)
{
    if (g == NULL) {
        return st_fsync_dir((void *)dir);
    }
    return jc_gsync_wait(g, t, st_fsync_dir, (void *)dir);
}

apr_status_t jc_store_file_commit(jc_store_file_t *u, const char **id,
                                  const char **sha256)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *hex, *nid, *dest, *fdir;
    jc_gsync_t *g;
    apr_uint64_t ticket = 0;
    apr_status_t rv;

    *id = NULL;
    *sha256 = NULL;
    if (u->failed != APR_SUCCESS) {
        return u->failed;
    }
    if (u->done) {
        return APR_EINVAL;
    }
    if (u->pipe) {
        rv = pipe_end(u->pipe, 0);
        u->pipe = NULL;
        if (rv != APR_SUCCESS) {
            return st_fail(u, rv);
        }
    }
    if (EVP_DigestFinal_ex(u->md, md, &mdlen) != 1 || mdlen != 32) {
        return st_fail(u, APR_EGENERAL);
    }
    hex = apr_palloc(u->pool, 65);
    jc_store_tohex(hex, md, 32);
    nid = jc_store_random_id(u->pool);
    if (nid == NULL) {
        return st_fail(u, APR_EGENERAL);
    }
    fdir = apr_pstrcat(u->pool, u->dir, "/files", NULL);
    g = jc_gsync_for(fdir);
    /* Renamed while still open and locked, so the orphan cleanup never
     * sees it unlocked under its temp name; renamed before the file's
     * fsync, so that fsync's journal commit carries the rename too (the
     * rename changes the inode's ctime) and the directory's fsync finds
     * little left to do. Until both fsyncs returned nothing is answered
     * and no row names the file: a crash in between can leave a file
     * in files/ without its data, which no row names and the store
     * reconcile removes like any file without a row. */
    dest = apr_pstrcat(u->pool, fdir, "/", nid, NULL);
    if (rename(u->tmp, dest) != 0) {
        return st_fail(u, APR_FROM_OS_ERROR(errno));
    }
    u->done = 1;                /* the temp name is gone: nothing to unlink */
    if (g) {
        ticket = jc_gsync_ticket(g);
    }
    rv = fsync(u->fd) != 0 ? APR_FROM_OS_ERROR(errno) : APR_SUCCESS;
    if (rv == APR_SUCCESS) {
        rv = st_dirsync(fdir, g, ticket);
    }
    if (rv != APR_SUCCESS) {
        unlink(dest);
        st_discard(u);
        u->failed = rv;
        return rv;
    }
    /* The descriptor, and with it the lock, stays until jc_store_file_release
     * or the pool's cleanup: the row that names the file is committed
     * meanwhile, and the store reconcile removes a file without a row
     * only once it holds that lock itself (jc_store_check.h). The data is
     * on disk (fsync above): a later close has nothing left to report. */
    if (u->md) {
        EVP_MD_CTX_free(u->md);
        u->md = NULL;
    }
    *id = nid;
    *sha256 = hex;
    return APR_SUCCESS;
}

void jc_store_file_release(jc_store_file_t *u)
{
    if (u) {
        st_discard(u);
    }
}

void jc_store_file_abort(jc_store_file_t *u)
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

int jc_store_old_enough(apr_int64_t t, apr_int64_t now, long age)
{
    return age <= 0 || now - t >= (apr_int64_t)age;
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

        if (strlen(e->d_name) != JC_STORE_ID_LEN + 5
            || strcmp(e->d_name + JC_STORE_ID_LEN, ".part") != 0
            || !jc_store_hex_ok(e->d_name, JC_STORE_ID_LEN)) {
            continue;
        }
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode)
            || !jc_store_old_enough(orphans ? st.st_ctime : st.st_mtime,
                                    now, age)) {
            continue;
        }
        if (!orphans) {
            if (unlinkat(dfd, e->d_name, 0) == 0) {
                n++;
            }
            continue;
        }
        n += jc_store_unlink_unlocked(dfd, e->d_name);
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

int jc_store_is_full(apr_status_t rv)
{
    return APR_STATUS_IS_ENOSPC(rv)
#ifdef EDQUOT
           || rv == APR_FROM_OS_ERROR(EDQUOT)
#endif
           ;
}

int jc_store_result_full(jc_result_t *res, const char *what,
                         apr_status_t rv, apr_pool_t *p)
{
    jc_result_set(res, 507, "storage_full",
                  "Das Dokument konnte nicht gespeichert werden, weil der "
                  "Speicherplatz des Jobcenters erschöpft ist. Es wurde "
                  "nichts gespeichert. Bitte versuchen Sie es später "
                  "erneut.", "file");
    res->log = apr_psprintf(p, "upload store full (ENOSPC): %s: %pm", what,
                            &rv);
    return res->status;
}

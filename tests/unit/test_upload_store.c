/* Unit tests for jc_upload_store on a real directory (mkdtemp below
 * build/unit): commit, abort, the byte limit, a pool destroyed before
 * commit (client gone), cleanup of old temp files, removal by id, many
 * threads committing at once (shared directory fsyncs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_group.h"
#include "jc_token.h"
#include "jc_upload_store.h"
#include "unit_fixture.h"

static apr_pool_t *pool;
static char *dir;

static int group_setup(void **state)
{
    if (unit_group_setup(state) != 0
        || (dir = unit_store_make("store")) == NULL) {
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    unit_store_remove(dir);
    return unit_group_teardown(state);
}

/* Number of entries (without . and ..) in dir/sub. */
static int count(const char *sub)
{
    return unit_store_count(dir, sub);
}

static int setup(void **state)
{
    (void)state;
    return unit_store_empty(dir, "tmp") | unit_store_empty(dir, "files");
}

static void test_prepare(void **state)
{
    struct stat st;

    (void)state;
    assert_int_equal(jc_store_prepare(dir, pool), APR_SUCCESS);  /* again */
    assert_int_equal(stat(apr_pstrcat(pool, dir, "/tmp", NULL), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(apr_pstrcat(pool, dir, "/files", NULL), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_not_equal(jc_store_prepare("/nonexistent/x", pool),
                         APR_SUCCESS);
}

static void test_commit(void **state)
{
    apr_pool_t *p;
    jc_store_file_t *u;
    const char *id, *sha, *path;
    char *data = malloc(1 << 20), *back = malloc(1 << 20);
    size_t i, off;
    struct stat st;
    FILE *f;

    (void)state;
    for (i = 0; i < (1 << 20); i++) {
        data[i] = (char)(i * 31 + (i >> 9));
    }
    apr_pool_create(&p, pool);
    assert_int_equal(jc_store_file_open(&u, dir, 1 << 20, p), APR_SUCCESS);
    assert_int_equal(count("tmp"), 1);
    for (off = 0, i = 1; off < (1 << 20); off += i, i = i * 2 + 1) {
        size_t n = i < (1 << 20) - off ? i : (1 << 20) - off;

        assert_int_equal(jc_store_file_write(u, data + off, n), APR_SUCCESS);
    }
    assert_int_equal(jc_store_file_write(u, "", 0), APR_SUCCESS);
    assert_int_equal(jc_store_file_size(u), 1 << 20);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    assert_true(jc_store_id_ok(id));
    assert_string_equal(sha, jc_token_hash(data, 1 << 20, pool));
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("files"), 1);
    path = jc_store_path(dir, id, pool);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 1 << 20);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(back, 1, 1 << 20, f), 1 << 20);
    fclose(f);
    assert_memory_equal(back, data, 1 << 20);
    /* a committed upload cannot be written or committed again, and
     * destroying its pool leaves the file */
    assert_int_not_equal(jc_store_file_write(u, "x", 1), APR_SUCCESS);
    assert_int_not_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    jc_store_file_abort(u);
    apr_pool_destroy(p);
    assert_int_equal(count("files"), 1);
    free(data);
    free(back);
}

static void test_empty_file(void **state)
{
    jc_store_file_t *u;
    const char *id, *sha;

    (void)state;
    assert_int_equal(jc_store_file_open(&u, dir, 0, pool), APR_SUCCESS);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    assert_string_equal(sha, "e3b0c44298fc1c149afbf4c8996fb924"
                             "27ae41e4649b934ca495991b7852b855");
    assert_int_equal(count("files"), 1);
}

static void test_abort(void **state)
{
    apr_pool_t *p;
    jc_store_file_t *u;
    const char *id, *sha;

    (void)state;
    apr_pool_create(&p, pool);
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "%PDF-1.4", 8), APR_SUCCESS);
    assert_int_equal(count("tmp"), 1);
    jc_store_file_abort(u);
    jc_store_file_abort(u);
    assert_int_equal(count("tmp"), 0);
    assert_int_not_equal(jc_store_file_write(u, "x", 1), APR_SUCCESS);
    assert_int_not_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    assert_null(id);
    apr_pool_destroy(p);
    assert_int_equal(count("tmp") + count("files"), 0);
}

/* The request pool goes away without commit (client aborted). */
static void test_pool_gone(void **state)
{
    apr_pool_t *p;
    jc_store_file_t *u;

    (void)state;
    apr_pool_create(&p, pool);
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "abc", 3), APR_SUCCESS);
    assert_int_equal(count("tmp"), 1);
    apr_pool_destroy(p);
    assert_int_equal(count("tmp") + count("files"), 0);
}

static void test_limit(void **state)
{
    apr_pool_t *p;
    jc_store_file_t *u;
    const char *id, *sha;

    (void)state;
    apr_pool_create(&p, pool);
    /* exactly the limit passes */
    assert_int_equal(jc_store_file_open(&u, dir, 10, p), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "12345", 5), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "67890", 5), APR_SUCCESS);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    assert_int_equal(jc_store_remove(dir, id, p), APR_SUCCESS);
    /* one byte more leaves nothing, and every later call fails */
    assert_int_equal(jc_store_file_open(&u, dir, 10, p), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "123456", 6), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "67890", 5), JC_STORE_ETOOLARGE);
    assert_int_equal(count("tmp") + count("files"), 0);
    assert_int_equal(jc_store_file_write(u, "1", 1), JC_STORE_ETOOLARGE);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), JC_STORE_ETOOLARGE);
    assert_null(id);
    assert_null(sha);
    apr_pool_destroy(p);
    assert_int_equal(count("tmp") + count("files"), 0);
}

static void test_result_too_large(void **state)
{
    jc_result_t res;

    (void)state;
    jc_result_ok(&res);
    assert_int_equal(jc_store_result_too_large(&res, 20 * 1024 * 1024, pool),
                     413);
    assert_string_equal(res.code, "upload_too_large");
    assert_string_equal(res.message, "Die Datei ist zu groß. Erlaubt sind "
                        "höchstens 20 MB.");
    jc_store_result_too_large(&res, 1000, pool);
    assert_string_equal(res.message, "Die Datei ist zu groß. Erlaubt sind "
                        "höchstens 1 MB.");
}

/* A temp file as a crash would leave it, age seconds old. */
static void make_tmp(const char *name, long age)
{
    const char *path = apr_pstrcat(pool, dir, "/tmp/", name, NULL);
    struct timespec ts[2];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_cleanup(void **state)
{
    unsigned removed = 99;
    jc_store_file_t *u;
    apr_pool_t *p;

    (void)state;
    make_tmp("0123456789abcdef0123456789abcdef.part", 7200);
    make_tmp("fedcba9876543210fedcba9876543210.part", 3700);
    make_tmp("00000000000000000000000000000000.part", 60);
    /* stamped ahead of time() (multigrain timestamps): still "any age" */
    make_tmp("44444444444444444444444444444444.part", -2);
    make_tmp("keep-me.part", 7200);                     /* not our name */
    make_tmp("0123456789ABCDEF0123456789ABCDEF.part", 7200);
    make_tmp("0123456789abcdef0123456789abcdef", 7200);
    assert_int_equal(mkdir(apr_pstrcat(pool, dir, "/tmp/"
                                       "11111111111111111111111111111111"
                                       ".part", NULL), 0700), 0);
    apr_pool_create(&p, pool);
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);  /* new */
    assert_int_equal(count("tmp"), 9);
    assert_int_equal(jc_store_cleanup(dir, 3600, &removed, pool),
                     APR_SUCCESS);
    assert_int_equal(removed, 2);
    assert_int_equal(count("tmp"), 7);
    assert_int_equal(jc_store_cleanup(dir, 0, &removed, pool), APR_SUCCESS);
    assert_int_equal(removed, 3);      /* 60 s, the future one, the open one */
    assert_int_equal(count("tmp"), 4);
    jc_store_file_abort(u);
    apr_pool_destroy(p);
    rmdir(apr_pstrcat(pool, dir, "/tmp/11111111111111111111111111111111"
                      ".part", NULL));
    assert_int_not_equal(jc_store_cleanup("/nonexistent/x", 0, NULL, pool),
                         APR_SUCCESS);
}

/* Orphans: temp files nobody holds a lock on. A live upload (locked by
 * its jc_store_file_t), a file locked through another descriptor, names that
 * are not ours and a file whose locking writer died (a forked child that
 * exits without cleaning up) are told apart. */
static void test_cleanup_orphans(void **state)
{
    const char *held = "22222222222222222222222222222222.part";
    const char *dead = "33333333333333333333333333333333.part";
    unsigned removed = 99;
    jc_store_file_t *u;
    apr_pool_t *p;
    pid_t pid;
    int fd, st;

    (void)state;
    make_tmp("0123456789abcdef0123456789abcdef.part", 0);    /* orphan */
    make_tmp("keep-me.part", 0);                             /* not ours */
    make_tmp(held, 0);
    fd = open(apr_pstrcat(pool, dir, "/tmp/", held, NULL), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int cfd = open(apr_pstrcat(pool, dir, "/tmp/", dead, NULL),
                       O_WRONLY | O_CREAT | O_EXCL, 0600);

        _exit(cfd >= 0 && flock(cfd, LOCK_EX) == 0 ? 0 : 1);  /* dies */
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(WEXITSTATUS(st), 0);
    apr_pool_create(&p, pool);
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);  /* live */
    assert_int_equal(jc_store_file_write(u, "%PDF-", 5), APR_SUCCESS);
    assert_int_equal(count("tmp"), 5);
    /* too young for a minimum age of an hour: nothing */
    assert_int_equal(jc_store_cleanup_orphans(dir, 3600, &removed, pool),
                     APR_SUCCESS);
    assert_int_equal(removed, 0);
    assert_int_equal(jc_store_cleanup_orphans(dir, 0, &removed, pool),
                     APR_SUCCESS);
    assert_int_equal(removed, 2);      /* the orphan and the dead writer's */
    assert_int_equal(count("tmp"), 3); /* keep-me, held, live */
    assert_int_equal(access(apr_pstrcat(pool, dir, "/tmp/", dead, NULL),
                            F_OK), -1);
    /* the live upload still commits */
    {
        const char *id, *sha;

        assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
        assert_int_equal(count("files"), 1);
    }
    close(fd);                         /* the holder lets go: now an orphan */
    assert_int_equal(jc_store_cleanup_orphans(dir, 0, &removed, pool),
                     APR_SUCCESS);
    assert_int_equal(removed, 1);
    assert_int_equal(count("tmp"), 1); /* keep-me.part */
    apr_pool_destroy(p);
    assert_int_not_equal(jc_store_cleanup_orphans("/nonexistent/x", 0, NULL,
                                                  pool), APR_SUCCESS);
}

/* Files above 1 MiB go through the pipeline (a hashing and a writing
 * thread; O_DIRECT when direct is set): the digest equals the one of the
 * whole buffer, for single writes and writev, whatever the chunking; the
 * file holds exactly the bytes written. The chunk sizes 1, 3, 7 ... make
 * the pipeline start at an offset that is not block-aligned, and the size
 * ends mid-block, so the head and tail paths run too; 21 MiB are many laps
 * of the ring. An abort or a pool destroyed mid-file ends both threads
 * (ASan: no leak). */
static void large_threaded(int direct)
{
    size_t n = 2 * JC_STORE_WRITEBACK + 5 * 1024 * 1024 + 7, off = 0, k = 1;
    char *data = malloc(n);
    const char *id, *sha, *want;
    jc_store_file_t *u;
    apr_pool_t *p;
    size_t i;

    jc_store_set_direct_io(direct);
    assert_non_null(data);
    for (i = 0; i < n; i++) {
        data[i] = (char)(i * 2654435761u >> 13);
    }
    apr_pool_create(&p, pool);
    want = jc_token_hash(data, n, p);
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);
    while (off < n) {           /* chunks of 1, 2, 4 ... 512 KiB, again */
        size_t c = k < n - off ? k : n - off;

        if (c > 3) {
            struct iovec v[3] = { { data + off, 1 }, { data + off + 1, c - 3 },
                                  { data + off + c - 2, 2 } };

            assert_int_equal(jc_store_file_writev(u, v, 3), APR_SUCCESS);
        }
        else {
            assert_int_equal(jc_store_file_write(u, data + off, c), APR_SUCCESS);
        }
        off += c;
        k = k >= 512 * 1024 ? 1 : k * 2 + 1;
    }
    assert_int_equal(jc_store_file_size(u), (apr_off_t)n);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    assert_string_equal(sha, want);
    assert_int_equal(count("tmp"), 0);
    {
        FILE *fp = fopen(jc_store_path(dir, id, p), "rb");
        char *back = malloc(n + 1);

        assert_non_null(fp);
        assert_non_null(back);
        assert_int_equal(fread(back, 1, n + 1, fp), n);
        assert_memory_equal(back, data, n);
        fclose(fp);
        free(back);
    }
    /* abandoned after the threads started: abort (past a writeback
     * window), and pool destruction */
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);
    for (i = 0; i < 3; i++) {
        assert_int_equal(jc_store_file_write(u, data,
                                         JC_STORE_WRITEBACK / 2 + 3),
                         APR_SUCCESS);
    }
    jc_store_file_abort(u);
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, data, 2 * 1024 * 1024), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, data, 1024 * 1024), APR_SUCCESS);
    apr_pool_destroy(p);
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("files"), 1);
    free(data);
    jc_store_set_direct_io(1);
}

static void test_large_threaded(void **state)
{
    (void)state;
    large_threaded(1);
}

static void test_large_threaded_buffered(void **state)
{
    (void)state;
    large_threaded(0);
}

/* A write that fails in the writing thread (here EFBIG from RLIMIT_FSIZE,
 * as ENOSPC would) fails a later jc_store_file_write or the commit with that
 * error, removes the temp file and leaves no file in files/. */
static void test_large_write_error(void **state)
{
    size_t n = 8 * 1024 * 1024, i;
    char *data = malloc(n);
    struct rlimit old, lim;
    const char *id, *sha;
    apr_status_t rv = APR_SUCCESS;
    jc_store_file_t *u;
    int direct;

    (void)state;
    assert_non_null(data);
    memset(data, 'x', n);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    for (direct = 0; direct <= 1; direct++) {
        jc_store_set_direct_io(direct);
        lim = old;
        lim.rlim_cur = 3 * 1024 * 1024 + 100;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        assert_int_equal(jc_store_file_open(&u, dir, 0, pool), APR_SUCCESS);
        for (i = 0; i < 8 && rv == APR_SUCCESS; i++) {
            rv = jc_store_file_write(u, data, n);
        }
        if (rv == APR_SUCCESS) {
            rv = jc_store_file_commit(u, &id, &sha);
        }
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        assert_int_equal(rv, APR_FROM_OS_ERROR(EFBIG));
        assert_int_equal(jc_store_file_write(u, data, 1), rv); /* sticky */
        assert_int_equal(count("tmp"), 0);
        assert_int_equal(count("files"), 0);
        rv = APR_SUCCESS;
    }
    signal(SIGXFSZ, SIG_DFL);
    jc_store_set_direct_io(1);
    free(data);
}

/* Age 0 or less takes every file, also one stamped a second ahead of
 * time(); a positive age compares whole seconds. */
static void test_old_enough(void **state)
{
    (void)state;
    assert_true(jc_store_old_enough(1001, 1000, 0));
    assert_true(jc_store_old_enough(1001, 1000, -5));
    assert_true(jc_store_old_enough(1000, 1000, 0));
    assert_false(jc_store_old_enough(1001, 1000, 1));
    assert_false(jc_store_old_enough(1000, 4599, 3600));
    assert_true(jc_store_old_enough(1000, 4600, 3600));
}

static void test_remove_and_ids(void **state)
{
    jc_store_file_t *u;
    const char *id, *sha;

    (void)state;
    assert_int_equal(jc_store_file_open(&u, dir, 0, pool), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "a", 1), APR_SUCCESS);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    assert_int_equal(jc_store_remove(dir, "../files/x", pool), APR_EINVAL);
    assert_int_equal(jc_store_remove(dir, "", pool), APR_EINVAL);
    assert_int_equal(jc_store_remove(dir, NULL, pool), APR_EINVAL);
    assert_int_equal(jc_store_remove(dir, apr_pstrcat(pool, id, "0", NULL),
                                     pool), APR_EINVAL);
    assert_int_equal(jc_store_remove(dir, apr_pstrndup(pool, id, 31), pool),
                     APR_EINVAL);
    assert_int_equal(jc_store_remove(dir, "0123456789ABCDEF0123456789abcdef",
                                     pool), APR_EINVAL);
    assert_null(jc_store_path(dir, "../../etc/passwd", pool));
    assert_int_equal(count("files"), 1);
    assert_int_equal(jc_store_remove(dir, id, pool), APR_SUCCESS);
    assert_int_equal(count("files"), 0);
    assert_int_equal(jc_store_remove(dir, id, pool), APR_ENOENT);
    assert_true(jc_store_id_ok("0123456789abcdef0123456789abcdef"));
    assert_false(jc_store_id_ok("0123456789abcdef0123456789abcdeg"));
}

static void test_ids_random(void **state)
{
    const char *id1, *id2, *sha;
    jc_store_file_t *u;

    (void)state;
    assert_int_equal(jc_store_file_open(&u, dir, 0, pool), APR_SUCCESS);
    assert_int_equal(jc_store_file_commit(u, &id1, &sha), APR_SUCCESS);
    assert_int_equal(jc_store_file_open(&u, dir, 0, pool), APR_SUCCESS);
    assert_int_equal(jc_store_file_commit(u, &id2, &sha), APR_SUCCESS);
    assert_string_not_equal(id1, id2);
    assert_int_equal(count("files"), 2);
}

/* A committed file stays locked until jc_store_file_release (or the pool's
 * cleanup): the store reconcile must not get its lock while the row that
 * names it is being written. */
static void test_commit_keeps_lock(void **state)
{
    jc_store_file_t *u;
    const char *id, *sha;
    apr_pool_t *p;
    int fd;

    (void)state;
    apr_pool_create(&p, pool);
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "%PDF-1.4 x", 10), APR_SUCCESS);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    fd = open(jc_store_path(dir, id, pool), O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_not_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    jc_store_file_release(u);
    jc_store_file_release(u);       /* idempotent */
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    close(fd);
    /* the pool's cleanup releases too, and never unlinks a committed file */
    assert_int_equal(jc_store_file_open(&u, dir, 0, p), APR_SUCCESS);
    assert_int_equal(jc_store_file_write(u, "%PDF-1.4 y", 10), APR_SUCCESS);
    assert_int_equal(jc_store_file_commit(u, &id, &sha), APR_SUCCESS);
    apr_pool_destroy(p);
    fd = open(jc_store_path(dir, id, pool), O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    close(fd);
    assert_int_equal(count("files"), 2);
}

/* Many threads of one process commit at once (issue 18): every file
 * lands with its bytes, and the fsyncs of files/ are shared (one serves
 * every rename made before it started, jc_gsync): fewer directory fsyncs
 * than commits. */
#define CC_THREADS 16
#define CC_EACH    8

typedef struct {
    int n;                      /* thread number                          */
    int bad;                    /* a call failed                          */
    char ids[CC_EACH][JC_STORE_ID_LEN + 1];
} cc_arg_t;

static void *cc_thread(void *arg)
{
    cc_arg_t *a = arg;
    apr_pool_t *p = NULL;
    int i;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        a->bad = 1;
        return NULL;
    }
    for (i = 0; i < CC_EACH; i++) {
        char body[64];
        jc_store_file_t *u;
        const char *id, *sha;
        int len = snprintf(body, sizeof(body), "%%PDF-1.4 t%d f%d", a->n, i);

        if (jc_store_file_open(&u, dir, 0, p) != APR_SUCCESS
            || jc_store_file_write(u, body, (size_t)len) != APR_SUCCESS
            || jc_store_file_commit(u, &id, &sha) != APR_SUCCESS) {
            a->bad = 1;
            break;
        }
        memcpy(a->ids[i], id, JC_STORE_ID_LEN + 1);
        jc_store_file_release(u);
    }
    apr_pool_destroy(p);
    return NULL;
}

static void test_concurrent_commits(void **state)
{
    pthread_t th[CC_THREADS];
    cc_arg_t args[CC_THREADS];
    jc_gsync_t *g = jc_gsync_for(apr_pstrcat(pool, dir, "/files", NULL));
    jc_gsync_stats_t before, after;
    int i, k;

    (void)state;
    assert_non_null(g);
    jc_gsync_stats(g, &before);
    memset(args, 0, sizeof(args));
    for (i = 0; i < CC_THREADS; i++) {
        args[i].n = i;
        assert_int_equal(pthread_create(&th[i], NULL, cc_thread, &args[i]),
                         0);
    }
    for (i = 0; i < CC_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    jc_gsync_stats(g, &after);
    assert_int_equal(count("files"), CC_THREADS * CC_EACH);
    assert_int_equal(count("tmp"), 0);
    for (i = 0; i < CC_THREADS; i++) {
        assert_int_equal(args[i].bad, 0);
        for (k = 0; k < CC_EACH; k++) {
            char want[64], got[64] = { 0 };
            int len = snprintf(want, sizeof(want), "%%PDF-1.4 t%d f%d", i, k);
            int fd = open(jc_store_path(dir, args[i].ids[k], pool),
                          O_RDONLY | O_CLOEXEC);

            assert_true(fd >= 0);
            assert_int_equal(read(fd, got, sizeof(got)), len);
            assert_string_equal(got, want);
            close(fd);
        }
    }
    print_message("%d commits: %llu fsyncs of files/\n",
                  CC_THREADS * CC_EACH,
                  (unsigned long long)(after.flushes - before.flushes));
    assert_int_equal(after.tickets - before.tickets,
                     (apr_uint64_t)CC_THREADS * CC_EACH);
    assert_int_equal(after.failed, before.failed);
    assert_true(after.flushes - before.flushes >= 1);
    assert_true(after.flushes - before.flushes
                < (apr_uint64_t)CC_THREADS * CC_EACH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_prepare, setup),
        cmocka_unit_test_setup(test_commit, setup),
        cmocka_unit_test_setup(test_commit_keeps_lock, setup),
        cmocka_unit_test_setup(test_empty_file, setup),
        cmocka_unit_test_setup(test_abort, setup),
        cmocka_unit_test_setup(test_pool_gone, setup),
        cmocka_unit_test_setup(test_limit, setup),
        cmocka_unit_test_setup(test_result_too_large, setup),
        cmocka_unit_test_setup(test_cleanup, setup),
        cmocka_unit_test(test_old_enough),
        cmocka_unit_test_setup(test_cleanup_orphans, setup),
        cmocka_unit_test_setup(test_large_threaded, setup),
        cmocka_unit_test_setup(test_large_threaded_buffered, setup),
        cmocka_unit_test_setup(test_large_write_error, setup),
        cmocka_unit_test_setup(test_remove_and_ids, setup),
        cmocka_unit_test_setup(test_ids_random, setup),
        cmocka_unit_test_setup(test_concurrent_commits, setup),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);

    return rc;
}

/* Unit tests for jc_clamd (the INSTREAM client) against a fake clamd: a
 * thread on a unix socket below build/unit that checks the framing
 * ("zINSTREAM\0", 4-byte big-endian lengths, a zero chunk), rebuilds the
 * stream and answers like clamd: "stream: OK", "stream: Test.Sig FOUND"
 * when the stream holds "EVIL", "INSTREAM size limit exceeded. ERROR"
 * (and closes) past its limit, or nothing (timeout). Also reply parsing,
 * the client's own limit, an unreachable address, and the upload sink
 * with scanning: a flagged file (422, nothing stored, quarantine), clamd
 * unreachable (503 fail-closed, or stored and held). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_clamd.h"
#include "jc_scanhold.h"
#include "jc_upload_store.h"
#include "jc_upsink.h"
#include "unit_fixture.h"

enum { FAKE_REPLY, FAKE_SILENT };

static apr_pool_t *pool;
static char *dir;               /* temp dir: socket, store, quarantine    */
static char *sock;              /* the fake clamd's socket                */
static int lfd = -1;            /* its listening socket                   */
static pthread_t thr;
static int mode;                /* FAKE_*                                 */
static size_t fake_limit;       /* the fake's StreamMaxLength             */
static size_t got_len;          /* bytes of the last stream               */
static int got_chunks;          /* its chunks                             */
static int framing_ok;          /* it began with zINSTREAM\0 and ended
                                   with a zero chunk                      */

static int read_full(int fd, void *buf, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t r = read(fd, (char *)buf + off, n - off);

        if (r <= 0) {
            return -1;
        }
        off += (size_t)r;
    }
    return 0;
}

static void *fake_clamd(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        char cmd[10];
        unsigned char hdr[4];
        char *data = NULL;
        size_t len = 0;
        int found = 0, over = 0;
        const char *reply;

        if (fd < 0) {
            return NULL;
        }
        framing_ok = 0;
        got_chunks = 0;
        if (read_full(fd, cmd, sizeof(cmd)) || memcmp(cmd, "zINSTREAM", 10)) {
            close(fd);
            continue;
        }
        for (;;) {
            uint32_t n;

            if (read_full(fd, hdr, 4)) {
                break;
            }
            n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16)
                | ((uint32_t)hdr[2] << 8) | hdr[3];
            if (n == 0) {
                framing_ok = 1;
                break;
            }
            if (len + n > fake_limit) {
                over = 1;
                break;
            }
            data = realloc(data, len + n);
            if (read_full(fd, data + len, n)) {
                break;
            }
            len += n;
            got_chunks++;
        }
        got_len = len;
        if (mode == FAKE_SILENT) {
            /* no answer: until the client gives up and closes */
            while (read(fd, hdr, 1) > 0) {
            }
            close(fd);
            free(data);
            continue;
        }
        for (size_t k = 0; data && k + 4 <= len && !found; k++) {
            found = !memcmp(data + k, "EVIL", 4);
        }
        reply = over ? "INSTREAM size limit exceeded. ERROR"
                : found ? "stream: Test.Sig FOUND" : "stream: OK";
        (void)!write(fd, reply, strlen(reply) + 1);
        close(fd);
        free(data);
    }
}

static int group_setup(void **state)
{
    struct sockaddr_un un;

    signal(SIGPIPE, SIG_IGN);
    if (unit_group_setup(state) != 0
        || (dir = unit_store_make("clamd")) == NULL) {
        return -1;
    }
    mkdir(apr_pstrcat(pool, dir, "/quarantine", NULL), 0700);
    sock = apr_pstrcat(pool, dir, "/c.sock", NULL);
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    if (strlen(sock) >= sizeof(un.sun_path)) {
        return -1;
    }
    strcpy(un.sun_path, sock);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&un, sizeof(un)) != 0
        || listen(lfd, 8) != 0) {
        return -1;
    }
    fake_limit = 1 << 20;
    return pthread_create(&thr, NULL, fake_clamd, NULL) ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    shutdown(lfd, SHUT_RDWR);
    close(lfd);
    pthread_join(thr, NULL);
    unlink(sock);
    unit_store_remove(dir);
    return unit_group_teardown(state);
}

static int setup(void **state)
{
    (void)state;
    mode = FAKE_REPLY;
    fake_limit = 1 << 20;
    return 0;
}

static int count(const char *sub)
{
    return unit_store_count(dir, sub);
}

static jc_clamd_cfg_t cfg_of(const char *addr)
{
    jc_clamd_cfg_t c;

    c.addr = addr;
    c.timeout = apr_time_from_msec(500);
    c.max_stream = 1 << 20;
    return c;
}

static void test_parse(void **state)
{
    const char *d;

    (void)state;
    assert_int_equal(jc_clamd_parse("stream: OK", 10, &d, pool),
                     JC_CLAMD_CLEAN);
    assert_null(d);
    assert_int_equal(jc_clamd_parse("stream: OK\0", 11, &d, pool),
                     JC_CLAMD_CLEAN);
    assert_int_equal(jc_clamd_parse("stream: Eicar-Signature FOUND\0", 30,
                                    &d, pool), JC_CLAMD_FOUND);
    assert_string_equal(d, "Eicar-Signature");
    assert_int_equal(jc_clamd_parse("stream: A B.C FOUND\n", 20, &d, pool),
                     JC_CLAMD_FOUND);
    assert_string_equal(d, "A B.C");
    assert_int_equal(jc_clamd_parse("INSTREAM size limit exceeded. ERROR",
                                    35, &d, pool), JC_CLAMD_TOO_LARGE);
    assert_int_equal(jc_clamd_parse("stream: Can't create temporary file "
                                    "ERROR", 45, &d, pool),
                     JC_CLAMD_UNAVAILABLE);
    assert_non_null(d);
    assert_int_equal(jc_clamd_parse("", 0, &d, pool), JC_CLAMD_UNAVAILABLE);
    assert_int_equal(jc_clamd_parse("stream: FOUND", 13, &d, pool),
                     JC_CLAMD_UNAVAILABLE);
}

/* Several sendv calls of several buffers: the fake rebuilds the stream. */
static void test_stream(void **state)
{
    jc_clamd_cfg_t c = cfg_of(sock);
    jc_clamd_t *cl;
    struct iovec v[3];
    const char *d = NULL;
    static char big[300000];

    (void)state;
    memset(big, 'a', sizeof(big));
    assert_int_equal(jc_clamd_open(&cl, &c, pool), APR_SUCCESS);
    v[0].iov_base = (void *)"%PDF-";
    v[0].iov_len = 5;
    v[1].iov_base = big;
    v[1].iov_len = sizeof(big);
    v[2].iov_base = (void *)"tail";
    v[2].iov_len = 4;
    assert_int_equal(jc_clamd_sendv(cl, v, 3), APR_SUCCESS);
    assert_int_equal(jc_clamd_send(cl, "more", 4), APR_SUCCESS);
    assert_int_equal(jc_clamd_send(cl, "", 0), APR_SUCCESS);
    assert_int_equal(jc_clamd_sent(cl), 5 + sizeof(big) + 4 + 4);
    assert_int_equal(jc_clamd_finish(cl, &d), JC_CLAMD_CLEAN);
    assert_true(framing_ok);
    assert_int_equal(got_len, 5 + sizeof(big) + 4 + 4);
    assert_int_equal(got_chunks, 2);

    /* the finding may be split across chunks */
    assert_int_equal(jc_clamd_open(&cl, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_clamd_send(cl, "%PDF-1.4 EV", 11), APR_SUCCESS);
    assert_int_equal(jc_clamd_send(cl, "IL", 2), APR_SUCCESS);
    assert_int_equal(jc_clamd_finish(cl, &d), JC_CLAMD_FOUND);
    assert_string_equal(d, "Test.Sig");
}

/* clamd's limit (it closes while we send), our own limit, no clamd, and
 * a clamd that never answers. */
static void test_failures(void **state)
{
    jc_clamd_cfg_t c = cfg_of(sock);
    jc_clamd_t *cl;
    const char *d = NULL;
    static char buf[65536];
    int i;
    apr_time_t t0;

    (void)state;
    fake_limit = 100000;
    assert_int_equal(jc_clamd_open(&cl, &c, pool), APR_SUCCESS);
    for (i = 0; i < 16; i++) {
        if (jc_clamd_send(cl, buf, sizeof(buf)) != APR_SUCCESS) {
            break;
        }
    }
    assert_int_equal(jc_clamd_finish(cl, &d), JC_CLAMD_TOO_LARGE);
    assert_non_null(strstr(d, "size limit"));

    c.max_stream = 1000;
    assert_int_equal(jc_clamd_open(&cl, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_clamd_send(cl, buf, 999), APR_SUCCESS);
    assert_int_equal(jc_clamd_send(cl, buf, 2), APR_ENOSPC);
    assert_int_equal(jc_clamd_finish(cl, &d), JC_CLAMD_TOO_LARGE);

    c = cfg_of(apr_pstrcat(pool, dir, "/nothing.sock", NULL));
    assert_int_not_equal(jc_clamd_open(&cl, &c, pool), APR_SUCCESS);
    c = cfg_of("127.0.0.1:1");
    assert_int_not_equal(jc_clamd_open(&cl, &c, pool), APR_SUCCESS);
    c = cfg_of("no-port");
    assert_int_equal(jc_clamd_open(&cl, &c, pool), APR_EINVAL);

    mode = FAKE_SILENT;
    c = cfg_of(sock);
    assert_int_equal(jc_clamd_open(&cl, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_clamd_send(cl, "%PDF-", 5), APR_SUCCESS);
    t0 = apr_time_now();
    assert_int_equal(jc_clamd_finish(cl, &d), JC_CLAMD_UNAVAILABLE);
    assert_true(apr_time_now() - t0 < apr_time_from_msec(1500));
    assert_non_null(strstr(d, "timed out"));
    mode = FAKE_REPLY;
}

static jc_upsink_cfg_t sink_cfg(const jc_clamd_cfg_t *scan)
{
    jc_upsink_cfg_t c;

    memset(&c, 0, sizeof(c));
    c.store = dir;
    c.max_file = 100000;
    c.max_total = 100000;
    c.max_files = 3;
    c.scan = scan;
    return c;
}

static void test_sink(void **state)
{
    jc_clamd_cfg_t av = cfg_of(sock), down;
    jc_upsink_cfg_t c = sink_cfg(&av);
    jc_upsink_t *s;
    const apr_array_header_t *files;
    const char *file = NULL, *stored = NULL;

    (void)state;
    /* clean */
    assert_int_equal(jc_upsink_create(&s, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PDF-1.4 fine", 13), 0);
    assert_int_equal(jc_upsink_finish(s), 0);
    files = jc_upsink_files(s);
    assert_int_equal(files->nelts, 1);
    assert_false(APR_ARRAY_IDX(files, 0, jc_upfile_t).held);
    assert_int_equal(count("files"), 1);
    jc_upsink_abort(s);
    assert_int_equal(count("files"), 0);

    /* flagged: 422, nothing stored */
    assert_int_equal(jc_upsink_create(&s, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PDF-1.4 EVIL", 13), 0);
    assert_int_equal(jc_upsink_finish(s), 422);
    assert_string_equal(jc_upsink_result(s)->code, "upload_infected");
    assert_string_equal(jc_upsink_finding(s, &file, &stored), "Test.Sig");
    assert_string_equal(file, "Dokument");
    assert_null(stored);
    jc_upsink_abort(s);
    assert_int_equal(count("files") + count("tmp"), 0);

    /* flagged, quarantine */
    c.quarantine = apr_pstrcat(pool, dir, "/quarantine", NULL);
    c.owner = "account 7";
    c.raw_name = "böse.pdf";
    assert_int_equal(jc_upsink_create(&s, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PDF-1.4 EVIL", 13), 0);
    assert_int_equal(jc_upsink_finish(s), 422);
    assert_non_null(strstr(jc_upsink_result(s)->message, "„böse.pdf“"));
    assert_non_null(strstr(jc_upsink_result(s)->message, "Test.Sig"));
    jc_upsink_finding(s, &file, &stored);
    assert_non_null(stored);
    jc_upsink_abort(s);
    assert_int_equal(count("files") + count("tmp"), 0);
    assert_int_equal(count("quarantine"), 2);

    /* unreachable: 503 fail-closed, nothing stored */
    down = cfg_of(apr_pstrcat(pool, dir, "/nothing.sock", NULL));
    c = sink_cfg(&down);
    assert_int_equal(jc_upsink_create(&s, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PDF-1.4 fine", 13), 503);
    assert_string_equal(jc_upsink_result(s)->code, "scan_unavailable");
    assert_int_equal(jc_upsink_result(s)->retry_after, 60);
    jc_upsink_abort(s);
    assert_int_equal(count("files") + count("tmp"), 0);

    /* unreachable, hold: stored and marked */
    c.scan_hold = 1;
    assert_int_equal(jc_upsink_create(&s, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PDF-1.4 EVIL", 13), 0);
    assert_int_equal(jc_upsink_finish(s), 0);
    files = jc_upsink_files(s);
    assert_int_equal(files->nelts, 1);
    assert_true(APR_ARRAY_IDX(files, 0, jc_upfile_t).held);
    jc_upsink_abort(s);

    /* clamd's limit below the sink's: the sink's limit follows it */
    av.max_stream = 20;
    c = sink_cfg(&av);
    assert_int_equal(jc_upsink_create(&s, &c, pool), APR_SUCCESS);
    assert_int_equal(jc_upsink_feed(s, "%PDF-1.4 twenty-one b", 21), 413);
    jc_upsink_abort(s);
    assert_int_equal(count("files") + count("tmp"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse, setup),
        cmocka_unit_test_setup(test_stream, setup),
        cmocka_unit_test_setup(test_failures, setup),
        cmocka_unit_test_setup(test_sink, setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

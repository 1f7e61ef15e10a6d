/* Unit tests for jc_group (issue 18): shared flushes (jc_gsync) and shared
 * transactions (jc_gbatch) with many threads, also run under
 * ThreadSanitizer (make -C tests/unit check-tsan).
 *
 * gsync: every thread makes a "change" (a counter under the test's lock,
 * standing for a rename), takes a ticket and waits; the flush records how
 * many changes were complete when it started and, when it ends, that they
 * are durable. Each thread then checks that its own change is durable,
 * i.e. that a flush which started after its change has completed before
 * it was answered; and that the threads shared flushes.
 * gbatch: a fake database (a committed list under a lock; a transaction
 * is the leader's own list) with items that write, refuse, break the
 * transaction or meet a failing commit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>

#include "jc_group.h"

#define NTHREADS 16
#define ROUNDS   60

static void nap_us(long us)
{
    struct timespec ts = { 0, us * 1000 };

    nanosleep(&ts, NULL);
}

/* ---- gsync -------------------------------------------------------------- */

typedef struct {
    pthread_mutex_t mu;       /* the test's lock ("the file system")      */
    apr_uint64_t changes;     /* changes complete                         */
    apr_uint64_t durable;     /* changes 1..durable are on "disk"         */
    int flushing;             /* flushes running now (must stay <= 1)     */
    int overlap;              /* a second flush ran while one did         */
    int fail_next;            /* the next flush fails                     */
    jc_gsync_t *g;
} gs_world_t;

static apr_status_t gs_flush(void *arg)
{
    gs_world_t *w = arg;
    apr_uint64_t upto;
    int fail;

    pthread_mutex_lock(&w->mu);
    upto = w->changes;          /* complete when the flush starts */
    if (++w->flushing > 1) {
        w->overlap = 1;
    }
    fail = w->fail_next;
    w->fail_next = 0;
    pthread_mutex_unlock(&w->mu);
    nap_us(300);                /* the device */
    pthread_mutex_lock(&w->mu);
    w->flushing--;
    if (!fail && upto > w->durable) {
        w->durable = upto;
    }
    pthread_mutex_unlock(&w->mu);
    return fail ? APR_FROM_OS_ERROR(EIO) : APR_SUCCESS;
}

static void *gs_thread(void *arg)
{
    gs_world_t *w = arg;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        apr_uint64_t mine, t;
        apr_status_t rv;

        pthread_mutex_lock(&w->mu);
        mine = ++w->changes;    /* the rename */
        pthread_mutex_unlock(&w->mu);
        t = jc_gsync_ticket(w->g);
        rv = jc_gsync_wait(w->g, t, gs_flush, w);
        pthread_mutex_lock(&w->mu);
        /* answered only once a flush that began after the change ended */
        if (rv != APR_SUCCESS || w->durable < mine) {
            w->overlap = 2;
        }
        pthread_mutex_unlock(&w->mu);
        if (i % 7 == 0) {
            nap_us(100);        /* arrivals spread out a little */
        }
    }
    return NULL;
}

static void test_gsync_concurrent(void **state)
{
    gs_world_t w;
    pthread_t th[NTHREADS];
    jc_gsync_stats_t st;
    int i;

    (void)state;
    memset(&w, 0, sizeof(w));
    pthread_mutex_init(&w.mu, NULL);
    assert_int_equal(jc_gsync_create(&w.g), APR_SUCCESS);
    for (i = 0; i < NTHREADS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, gs_thread, &w), 0);
    }
    for (i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
    }
    assert_int_equal(w.overlap, 0);   /* never two flushes; all durable */
    jc_gsync_stats(w.g, &st);
    assert_int_equal(st.tickets, (apr_uint64_t)NTHREADS * ROUNDS);
    assert_int_equal(st.failed, 0);
    /* shared: far fewer flushes than changes */
    print_message("gsync: %d threads x %d changes, %llu flushes\n",
                  NTHREADS, ROUNDS, (unsigned long long)st.flushes);
    assert_true(st.flushes >= 1);
    assert_true(st.flushes < st.tickets / 2);
    jc_gsync_destroy(w.g);
    pthread_mutex_destroy(&w.mu);
}

/* One thread: the flush runs once per wait that needs it; a ticket
 * already covered costs nothing; a failed flush fails its tickets and
 * the next ticket gets a new flush. */
static void test_gsync_single_and_failure(void **state)
{
    gs_world_t w;
    jc_gsync_stats_t st;
    apr_uint64_t t1, t2, t3;

    (void)state;
    memset(&w, 0, sizeof(w));
    pthread_mutex_init(&w.mu, NULL);
    assert_int_equal(jc_gsync_create(&w.g), APR_SUCCESS);
    w.changes++;
    t1 = jc_gsync_ticket(w.g);
    w.changes++;
    t2 = jc_gsync_ticket(w.g);
    assert_int_equal(jc_gsync_wait(w.g, t2, gs_flush, &w), APR_SUCCESS);
    /* t1 came before the flush started: served by it */
    assert_int_equal(jc_gsync_wait(w.g, t1, gs_flush, &w), APR_SUCCESS);
    jc_gsync_stats(w.g, &st);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(w.durable, 2);
    w.changes++;
    t3 = jc_gsync_ticket(w.g);
    w.fail_next = 1;
    assert_int_equal(jc_gsync_wait(w.g, t3, gs_flush, &w),
                     APR_FROM_OS_ERROR(EIO));
    assert_int_equal(jc_gsync_wait(w.g, t3, gs_flush, &w),
                     APR_FROM_OS_ERROR(EIO));
    w.changes++;
    t3 = jc_gsync_ticket(w.g);
    assert_int_equal(jc_gsync_wait(w.g, t3, gs_flush, &w), APR_SUCCESS);
    jc_gsync_stats(w.g, &st);
    assert_int_equal(st.flushes, 3);
    assert_int_equal(st.failed, 1);
    assert_int_equal(w.durable, 4);
    jc_gsync_destroy(w.g);
    /* one object per key */
    assert_ptr_equal(jc_gsync_for("/a/files"), jc_gsync_for("/a/files"));
    assert_ptr_not_equal(jc_gsync_for("/a/files"), jc_gsync_for("/b/files"));
    pthread_mutex_destroy(&w.mu);
}

/* ---- gbatch ------------------------------------------------------------- */

#define DB_MAX 4096

/* the "database": committed values; a draft may hold at most `limit` */
typedef struct {
    pthread_mutex_t wlock;    /* the write lock (BEGIN IMMEDIATE .. end)  */
    pthread_mutex_t mu;       /* the database's own lock                  */
    int bad;                  /* a thread saw something wrong             */
    int rows[DB_MAX];         /* committed values                         */
    int nrows;
    int limit;                /* refuse beyond this many rows (0 = none)  */
    int commits;              /* transactions committed                   */
    int fail_commit_at;       /* the n-th commit fails (0 = never)        */
    int commit_calls;
    jc_gbatch_t *b;
} db_t;

static db_t db;

/* A leader's connection: its open transaction's pending rows. */
typedef struct {
    int open;
    int pend[64];
    int npend;
} conn_t;

/* An item: one value to insert (or a statement that fails). */
typedef struct {
    int value;
    int breaks;               /* the item's statement fails               */
    int result;               /* 201 written, 400 refused, 0 none         */
} item_t;

static int f_begin(void *lctx)
{
    conn_t *c = lctx;

    pthread_mutex_lock(&db.wlock);
    if (c->open) {
        db.bad = 1;
    }
    c->open = 1;
    c->npend = 0;
    return 0;
}

static int f_item(void *lctx, void *iarg)
{
    conn_t *c = lctx;
    item_t *it = iarg;
    int n;

    if (!c->open) {
        db.bad = 1;
    }
    if (it->breaks) {
        return -1;
    }
    pthread_mutex_lock(&db.mu);
    n = db.nrows;
    pthread_mutex_unlock(&db.mu);
    if (db.limit && n + c->npend >= db.limit) {
        it->result = 400;       /* refused: sees the batch's own rows too */
        return 1;
    }
    c->pend[c->npend++] = it->value;
    it->result = 201;
    return 0;
}

static int f_commit(void *lctx)
{
    conn_t *c = lctx;
    int i, fail;

    pthread_mutex_lock(&db.mu);
    fail = ++db.commit_calls == db.fail_commit_at;
    if (!fail) {
        for (i = 0; i < c->npend; i++) {
            db.rows[db.nrows++] = c->pend[i];
        }
        db.commits++;
    }
    pthread_mutex_unlock(&db.mu);
    nap_us(200);                /* the WAL fdatasync */
    c->open = 0;
    c->npend = 0;
    pthread_mutex_unlock(&db.wlock);
    return fail ? -1 : 0;
}

static void f_rollback(void *lctx)
{
    conn_t *c = lctx;

    c->open = 0;
    c->npend = 0;
    pthread_mutex_unlock(&db.wlock);
}

static const jc_gbatch_ops_t f_ops = { f_begin, f_item, f_commit,
                                       f_rollback };

/* What an uploading request does: batch, or alone when handed back. */
static int add_row(item_t *it)
{
    conn_t mine;
    jc_gb_outcome_e o;

    memset(&mine, 0, sizeof(mine));
    it->result = 0;
    o = jc_gbatch_run(db.b, &mine, it);
    if (o == JC_GB_SOLO) {
        item_t again = *it;

        again.breaks = 0;       /* alone: the statement works this time */
        f_begin(&mine);
        if (f_item(&mine, &again) == 0) {
            if (f_commit(&mine) != 0) {
                return -1;
            }
        }
        else {
            f_rollback(&mine);
        }
        it->result = again.result;
        return 2;
    }
    return o == JC_GB_DONE ? 0 : 1;
}

typedef struct {
    int base;                 /* first value of this thread               */
    int n;                    /* values                                   */
    int breaks_every;         /* every k-th item breaks its batch         */
    int done, refused, failed, solo;
} worker_t;

static void *gb_thread(void *arg)
{
    worker_t *w = arg;
    int i;

    for (i = 0; i < w->n; i++) {
        item_t it = { w->base + i, 0, 0 };
        int r;

        it.breaks = w->breaks_every && i % w->breaks_every == 1;
        r = add_row(&it);
        if (r == 1 && it.result != 400) {
            db.bad = 1;         /* a refusal carries its verdict */
        }
        if (r == 0 && it.result != 201) {
            db.bad = 1;
        }
        w->solo += r >= 2 || r < 0;
        if (r < 0) {
            w->failed++;        /* its commit failed: answered 5xx */
        }
        else if (it.result == 201) {
            w->done++;
        }
        else if (it.result == 400) {
            w->refused++;
        }
        else {
            db.bad = 1;
        }
        if (i % 5 == 0) {
            nap_us(50);
        }
    }
    return NULL;
}

typedef struct {
    int done, refused, failed, solo;
} totals_t;

static totals_t run_workers(int per, int breaks_every, int limit)
{
    pthread_t th[NTHREADS];
    worker_t w[NTHREADS];
    totals_t t = { 0, 0, 0, 0 };
    int i;

    memset(w, 0, sizeof(w));
    db.nrows = 0;
    db.commits = 0;
    db.limit = limit;
    for (i = 0; i < NTHREADS; i++) {
        w[i].base = i * 1000;
        w[i].n = per;
        w[i].breaks_every = breaks_every;
        assert_int_equal(pthread_create(&th[i], NULL, gb_thread, &w[i]), 0);
    }
    for (i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        t.done += w[i].done;
        t.refused += w[i].refused;
        t.failed += w[i].failed;
        t.solo += w[i].solo;
    }
    assert_int_equal(db.bad, 0);
    assert_int_equal(t.done + t.refused + t.failed, NTHREADS * per);
    return t;
}

static void db_init(void)
{
    memset(&db, 0, sizeof(db));
    pthread_mutex_init(&db.mu, NULL);
    pthread_mutex_init(&db.wlock, NULL);
    assert_int_equal(jc_gbatch_create(&db.b, &f_ops, 8), APR_SUCCESS);
}

static void db_done(void)
{
    jc_gbatch_destroy(db.b);
    pthread_mutex_destroy(&db.wlock);
    pthread_mutex_destroy(&db.mu);
}

/* every value committed exactly once */
static void check_rows(int per, int expect)
{
    static unsigned char seen[NTHREADS * 1000];
    int i;

    memset(seen, 0, sizeof(seen));
    assert_int_equal(db.nrows, expect);
    for (i = 0; i < db.nrows; i++) {
        int v = db.rows[i];

        assert_true(v >= 0 && v < NTHREADS * 1000 && v % 1000 < per);
        assert_int_equal(seen[v], 0);
        seen[v] = 1;
    }
}

static void test_gbatch_concurrent(void **state)
{
    jc_gbatch_stats_t st;
    totals_t t;

    (void)state;
    db_init();
    t = run_workers(ROUNDS, 0, 0);
    assert_int_equal(t.refused + t.failed + t.solo, 0);
    check_rows(ROUNDS, NTHREADS * ROUNDS);
    jc_gbatch_stats(db.b, &st);
    print_message("gbatch: %d items in %llu transactions (largest %u)\n",
                  NTHREADS * ROUNDS, (unsigned long long)st.batches,
                  st.largest);
    assert_int_equal(st.items, (apr_uint64_t)NTHREADS * ROUNDS);
    assert_int_equal(st.solo, 0);
    assert_true(st.largest <= 8);
    assert_true(st.batches < st.items / 2);     /* shared commits */
    assert_int_equal(db.commits, (int)st.batches);
    db_done();
}

/* Items that break their batch: the whole batch is handed back and every
 * item of it is done alone; nothing is lost or written twice. */
static void test_gbatch_broken_items(void **state)
{
    jc_gbatch_stats_t st;
    totals_t t;

    (void)state;
    db_init();
    t = run_workers(20, 7, 0);
    assert_int_equal(t.done, NTHREADS * 20);
    check_rows(20, NTHREADS * 20);
    jc_gbatch_stats(db.b, &st);
    /* items 1, 8, 15 of every thread break: at least those ran alone */
    assert_true(st.solo >= (apr_uint64_t)NTHREADS * 3);
    assert_int_equal((int)st.solo, t.solo);
    db_done();
}

/* A limit seen through the batch's own pending rows: exactly `limit` rows
 * are committed, the rest refused; a failing commit hands its batch back
 * (those items then run alone and respect the limit too). */
static void test_gbatch_limit_and_commit_failure(void **state)
{
    totals_t t;

    (void)state;
    db_init();
    db.fail_commit_at = 3;
    t = run_workers(10, 0, 50);
    assert_int_equal(db.nrows, 50);
    assert_int_equal(t.done, 50);
    assert_int_equal(t.refused + t.failed, NTHREADS * 10 - 50);
    assert_true(t.solo >= 1);   /* the batch of the failed commit */
    db_done();
    /* invalid arguments */
    assert_int_equal(jc_gbatch_create(&db.b, &f_ops, 0), APR_EINVAL);
    assert_int_equal(jc_gbatch_create(&db.b, NULL, 4), APR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsync_single_and_failure),
        cmocka_unit_test(test_gsync_concurrent),
        cmocka_unit_test(test_gbatch_concurrent),
        cmocka_unit_test(test_gbatch_broken_items),
        cmocka_unit_test(test_gbatch_limit_and_commit_failure),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

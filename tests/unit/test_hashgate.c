/* Unit tests for jc_hashgate: admission at once while slots are free,
 * a bounded queue, refusal beyond it, the maximum wait, hand-over to
 * waiters, at most `slots` holders under contention, per-slot areas. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_thread_proc.h>

#include "jc_hashgate.h"
#include "jc_password.h"
#include "unit_fixture.h"

typedef struct {
    jc_hashgate_t *g;
    apr_status_t rv;            /* of enter                           */
    apr_interval_time_t hold;   /* how long to hold the slot          */
    volatile apr_uint32_t *in;  /* holders now                        */
    volatile apr_uint32_t *max; /* most holders seen                  */
    int rounds;
} worker_t;

static void *APR_THREAD_FUNC one(apr_thread_t *t, void *data)
{
    worker_t *w = data;
    int i;

    for (i = 0; i < (w->rounds ? w->rounds : 1); i++) {
        w->rv = jc_hashgate_enter(w->g);
        if (w->rv == APR_SUCCESS) {
            apr_uint32_t n = apr_atomic_inc32(w->in) + 1, m;

            while ((m = apr_atomic_read32(w->max)) < n
                   && apr_atomic_cas32(w->max, n, m) != m) {
            }
            apr_sleep(w->hold);
            apr_atomic_dec32(w->in);
            jc_hashgate_leave(w->g);
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static apr_thread_t *start(worker_t *w)
{
    apr_thread_t *t;

    assert_int_equal(apr_thread_create(&t, NULL, one, w, pool), APR_SUCCESS);
    return t;
}

static void join(apr_thread_t *t)
{
    apr_status_t rv;

    assert_int_equal(apr_thread_join(&rv, t), APR_SUCCESS);
}

/* Wait until the gate shows `running` holders and `waiting` queued. */
static void await(jc_hashgate_t *g, int running, int waiting)
{
    jc_hashgate_stats_t st;
    int i;

    for (i = 0; i < 2000; i++) {
        jc_hashgate_stats(g, &st);
        if (st.running == running && st.waiting == waiting) {
            return;
        }
        apr_sleep(1000);
    }
    fail_msg("gate never reached running %d waiting %d (is %d/%d)",
             running, waiting, st.running, st.waiting);
}

static void test_null_gate(void **state)
{
    jc_result_t res;

    (void)state;
    assert_int_equal(jc_hashgate_enter(NULL), APR_SUCCESS);
    jc_hashgate_leave(NULL);
    jc_result_ok(&res);
    assert_int_equal(jc_hashgate_admit(NULL, &res), 0);
    assert_int_equal(res.status, 200);
}

static void test_bad_args(void **state)
{
    jc_hashgate_t *g = NULL;

    (void)state;
    assert_int_equal(jc_hashgate_create(&g, 0, 1, 0, 4096, pool),
                     APR_EINVAL);
    assert_int_equal(jc_hashgate_create(&g, 1, -1, 0, 4096, pool),
                     APR_EINVAL);
}

/* slots 1, queue 1: one runs, one waits, the third is refused at once
 * with 503 service_busy and Retry-After; the waiter gets the slot when
 * it is freed. */
static void test_queue_and_refusal(void **state)
{
    volatile apr_uint32_t in = 0, max = 0;
    jc_hashgate_t *g;
    worker_t a = { 0 }, b = { 0 };
    apr_thread_t *ta, *tb;
    jc_hashgate_stats_t st;
    jc_result_t res;
    apr_time_t t0;

    (void)state;
    assert_int_equal(jc_hashgate_create(&g, 1, 1, apr_time_from_sec(10),
                                        4096, pool), APR_SUCCESS);
    a.g = b.g = g;
    a.in = b.in = &in;
    a.max = b.max = &max;
    a.hold = 200000;
    b.hold = 1000;
    ta = start(&a);
    await(g, 1, 0);
    tb = start(&b);
    await(g, 1, 1);
    t0 = apr_time_now();
    assert_int_equal(jc_hashgate_enter(g), APR_EBUSY);
    assert_true(apr_time_now() - t0 < 50000);
    jc_result_ok(&res);
    assert_int_equal(jc_hashgate_admit(g, &res), 1);
    assert_int_equal(res.status, 503);
    assert_string_equal(res.code, "service_busy");
    assert_true(res.retry_after >= 1);
    assert_non_null(strstr(res.message, "stark ausgelastet"));
    join(ta);
    join(tb);
    assert_int_equal(a.rv, APR_SUCCESS);
    assert_int_equal(b.rv, APR_SUCCESS);
    assert_int_equal(max, 1);
    jc_hashgate_stats(g, &st);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.admitted, 2);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.refused_full, 2);
    /* free again: admitted at once */
    assert_int_equal(jc_hashgate_enter(g), APR_SUCCESS);
    jc_hashgate_leave(g);
}

/* A queued request waits at most max_wait. */
static void test_max_wait(void **state)
{
    volatile apr_uint32_t in = 0, max = 0;
    jc_hashgate_t *g;
    worker_t a = { 0 };
    apr_thread_t *ta;
    jc_hashgate_stats_t st;
    apr_time_t t0, dt;

    (void)state;
    assert_int_equal(jc_hashgate_create(&g, 1, 4, 50000, 4096, pool),
                     APR_SUCCESS);
    a.g = g;
    a.in = &in;
    a.max = &max;
    a.hold = 400000;
    ta = start(&a);
    await(g, 1, 0);
    t0 = apr_time_now();
    assert_int_equal(jc_hashgate_enter(g), APR_TIMEUP);
    dt = apr_time_now() - t0;
    assert_true(dt >= 45000);
    assert_true(dt < 300000);
    join(ta);
    jc_hashgate_stats(g, &st);
    assert_int_equal(st.refused_wait, 1);
    assert_int_equal(st.running, 0);
}

/* Nested enters on one thread share the slot. */
static void test_nested(void **state)
{
    jc_hashgate_t *g;
    jc_hashgate_stats_t st;

    (void)state;
    assert_int_equal(jc_hashgate_create(&g, 1, 0, 0, 4096, pool),
                     APR_SUCCESS);
    assert_int_equal(jc_hashgate_enter(g), APR_SUCCESS);
    assert_int_equal(jc_hashgate_enter(g), APR_SUCCESS);
    jc_hashgate_leave(g);
    jc_hashgate_stats(g, &st);
    assert_int_equal(st.running, 1);
    jc_hashgate_leave(g);
    jc_hashgate_stats(g, &st);
    assert_int_equal(st.running, 0);
}

/* 16 threads x 30 rounds on 3 slots with a long wait: all admitted,
 * never more than 3 at once. */
static void test_contention(void **state)
{
    volatile apr_uint32_t in = 0, max = 0;
    worker_t w[16];
    apr_thread_t *t[16];
    jc_hashgate_t *g;
    jc_hashgate_stats_t st;
    int i;

    (void)state;
    assert_int_equal(jc_hashgate_create(&g, 3, 16, apr_time_from_sec(30),
                                        4096, pool), APR_SUCCESS);
    for (i = 0; i < 16; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].g = g;
        w[i].in = &in;
        w[i].max = &max;
        w[i].hold = 200;
        w[i].rounds = 30;
        t[i] = start(&w[i]);
    }
    for (i = 0; i < 16; i++) {
        join(t[i]);
        assert_int_equal(w[i].rv, APR_SUCCESS);
    }
    assert_true(max <= 3);
    assert_true(max >= 1);
    jc_hashgate_stats(g, &st);
    assert_int_equal(st.admitted, 16 * 30);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.refused_full + st.refused_wait, 0);
}

/* The slot's area serves the hashes of its holder. */
static void test_slot_area(void **state)
{
    static const jc_argon2_params_t prm = { 19456, 2, 1 };
    jc_hashgate_t *g;
    const char *phc = NULL;
    jc_pw_area_t *a;

    (void)state;
    assert_int_equal(jc_hashgate_create(&g, 1, 0, 0, 19456 * 1024, pool),
                     APR_SUCCESS);
    assert_int_equal(jc_hashgate_enter(g), APR_SUCCESS);
    a = jc_password_bind_area(NULL);
    assert_non_null(a);
    jc_password_bind_area(a);
    assert_int_equal(jc_password_hash(&phc, "Abcdefgh123!", 12, &prm, pool),
                     APR_SUCCESS);
    assert_non_null(a->mem);
    jc_hashgate_leave(g);
    assert_null(jc_password_bind_area(NULL));
    assert_int_equal(jc_password_verify(phc, "Abcdefgh123!", 12),
                     APR_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_gate),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_queue_and_refusal),
        cmocka_unit_test(test_max_wait),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_contention),
        cmocka_unit_test(test_slot_area),
    };

    return cmocka_run_group_tests_name("jc_hashgate", tests, unit_group_setup,
                                       unit_group_teardown);
}

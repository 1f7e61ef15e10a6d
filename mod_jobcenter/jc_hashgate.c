/* Admission for password hashing (see jc_hashgate.h). */
#include "jc_hashgate.h"

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "jc_password.h"

struct jc_hashgate_t {
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cv;
    int slots, queue;
    apr_interval_time_t max_wait;
    int running;          /* slots taken (handed-over ones included)   */
    int waiting;          /* threads queued for a slot                 */
    int handed;           /* freed slots handed to waiters, not taken  */
    int *free_idx;        /* stack of free slot indices                */
    int nfree;
    jc_pw_area_t *areas;  /* one per slot                              */
    jc_hashgate_stats_t st;
};

/* The slot index the calling thread holds (-1: none), and how often it
 * entered (a nested enter, e.g. a flow calling another, shares the slot). */
static _Thread_local int jc_hg_slot = -1;
static _Thread_local int jc_hg_depth;

static apr_status_t jc_hg_cleanup(void *data)
{
    jc_hashgate_t *g = data;
    int i;

    for (i = 0; i < g->slots; i++) {
        jc_password_area_release(&g->areas[i]);
    }
    return APR_SUCCESS;
}

apr_status_t jc_hashgate_create(jc_hashgate_t **out, int slots, int queue,
                                apr_interval_time_t max_wait,
                                size_t area_bytes, apr_pool_t *p)
{
    jc_hashgate_t *g;
    apr_status_t rv;
    int i;

    if (slots < 1 || queue < 0 || max_wait < 0) {
        return APR_EINVAL;
    }
    g = apr_pcalloc(p, sizeof(*g));
    rv = apr_thread_mutex_create(&g->mu, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&g->cv, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    g->slots = slots;
    g->queue = queue;
    g->max_wait = max_wait;
    g->free_idx = apr_pcalloc(p, sizeof(int) * (size_t)slots);
    g->areas = apr_pcalloc(p, sizeof(jc_pw_area_t) * (size_t)slots);
    for (i = 0; i < slots; i++) {
        g->free_idx[i] = slots - 1 - i;
        jc_password_area_init(&g->areas[i], area_bytes);
    }
    g->nfree = slots;
    g->st.slots = slots;
    g->st.queue = queue;
    apr_pool_cleanup_register(p, g, jc_hg_cleanup, apr_pool_cleanup_null);
    *out = g;
    return APR_SUCCESS;
}

/* Under the lock: pop a free slot for the calling thread. */
static void jc_hg_take(jc_hashgate_t *g)
{
    jc_hg_slot = g->free_idx[--g->nfree];
    jc_hg_depth = 1;
    g->st.admitted++;
}

apr_status_t jc_hashgate_enter(jc_hashgate_t *g)
{
    apr_time_t deadline;

    if (g == NULL) {
        return APR_SUCCESS;
    }
    if (jc_hg_depth > 0) {
        jc_hg_depth++;
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(g->mu);
    if (g->running < g->slots) {
        g->running++;
        jc_hg_take(g);
        apr_thread_mutex_unlock(g->mu);
        jc_password_bind_area(&g->areas[jc_hg_slot]);
        return APR_SUCCESS;
    }
    if (g->waiting >= g->queue) {
        g->st.refused_full++;
        apr_thread_mutex_unlock(g->mu);
        return APR_EBUSY;
    }
    g->waiting++;
    deadline = apr_time_now() + g->max_wait;
    for (;;) {
        apr_interval_time_t left;

        if (g->handed > 0) {
            /* a slot was handed over: running already counts it */
            g->handed--;
            g->waiting--;
            g->st.queued++;
            jc_hg_take(g);
            apr_thread_mutex_unlock(g->mu);
            jc_password_bind_area(&g->areas[jc_hg_slot]);
            return APR_SUCCESS;
        }
        left = deadline - apr_time_now();
        if (left <= 0) {
            g->waiting--;
            g->st.refused_wait++;
            apr_thread_mutex_unlock(g->mu);
            return APR_TIMEUP;
        }
        apr_thread_cond_timedwait(g->cv, g->mu, left);
    }
}

void jc_hashgate_leave(jc_hashgate_t *g)
{
    if (g == NULL || jc_hg_slot < 0 || --jc_hg_depth > 0) {
        return;
    }
    jc_password_bind_area(NULL);
    apr_thread_mutex_lock(g->mu);
    g->free_idx[g->nfree++] = jc_hg_slot;
    jc_hg_slot = -1;
    if (g->waiting > g->handed) {
        /* hand the slot to a waiter: running stays, nobody overtakes */
        g->handed++;
        apr_thread_cond_signal(g->cv);
    }
    else {
        g->running--;
    }
    apr_thread_mutex_unlock(g->mu);
}

void jc_hashgate_stats(jc_hashgate_t *g, jc_hashgate_stats_t *st)
{
    apr_thread_mutex_lock(g->mu);
    *st = g->st;
    st->running = g->running;
    st->waiting = g->waiting;
    apr_thread_mutex_unlock(g->mu);
}

int jc_hashgate_admit(jc_hashgate_t *g, jc_result_t *res)
{
    apr_status_t rv = jc_hashgate_enter(g);

    if (rv == APR_SUCCESS) {
        return 0;
    }
    res->retry_after = 1;
    res->log = rv == APR_EBUSY ? "password hashing: every slot and queue "
                                 "place taken"
                               : "password hashing: no slot within the "
                                 "maximum wait";
    jc_result_set(res, 503, "service_busy",
                  "Der Dienst ist gerade stark ausgelastet. Bitte versuchen "
                  "Sie es in wenigen Sekunden erneut.", NULL);
    return 1;
}

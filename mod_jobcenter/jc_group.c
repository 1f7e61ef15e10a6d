/* Group commit for the threads of one process (see jc_group.h). One
 * pthread mutex and condition variable per object; process lifetime. */
#include "jc_group.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- registry: one object per key and kind ----------------------------- */

typedef struct jc_greg {
    int kind;                 /* 1 gsync, 2 gbatch                        */
    char *key;                /* directory or database file               */
    void *obj;                /* the jc_gsync_t / jc_gbatch_t             */
    struct jc_greg *next;
} jc_greg_t;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static jc_greg_t *reg_head;

/* The registered object of kind for key, or NULL (reg_mu held). */
static void *reg_find(int kind, const char *key)
{
    jc_greg_t *e;

    for (e = reg_head; e; e = e->next) {
        if (e->kind == kind && strcmp(e->key, key) == 0) {
            return e->obj;
        }
    }
    return NULL;
}

/* Register obj (reg_mu held); 0 if out of memory. */
static int reg_add(int kind, const char *key, void *obj)
{
    jc_greg_t *e = malloc(sizeof(*e));

    if (!e || !(e->key = strdup(key))) {
        free(e);
        return 0;
    }
    e->kind = kind;
    e->obj = obj;
    e->next = reg_head;
    reg_head = e;
    return 1;
}

/* Initialise a mutex and its condition variable: 0, or -1 with nothing
 * left to destroy. */
static int mu_cv_init(pthread_mutex_t *mu, pthread_cond_t *cv)
{
    if (pthread_mutex_init(mu, NULL) != 0) {
        return -1;
    }
    if (pthread_cond_init(cv, NULL) != 0) {
        pthread_mutex_destroy(mu);
        return -1;
    }
    return 0;
}

/* ---- shared flushes ---------------------------------------------------- */

struct jc_gsync {
    pthread_mutex_t mu;       /* guards everything below                  */
    pthread_cond_t cv;        /* a flush ended                            */
    apr_uint64_t seq;         /* the last ticket handed out               */
    apr_uint64_t done;        /* every ticket <= done is flushed          */
    apr_uint64_t failed_upto; /* tickets <= this get fail_rv              */
    apr_status_t fail_rv;     /* status of the last failed flush          */
    int running;              /* a flush is in flight                     */
    jc_gsync_stats_t st;      /* counters                                 */
};

apr_status_t jc_gsync_create(jc_gsync_t **out)
{
    jc_gsync_t *g = calloc(1, sizeof(*g));

    *out = NULL;
    if (!g) {
        return APR_ENOMEM;
    }
    if (mu_cv_init(&g->mu, &g->cv) != 0) {
        free(g);
        return APR_EGENERAL;
    }
    *out = g;
    return APR_SUCCESS;
}

void jc_gsync_destroy(jc_gsync_t *g)
{
    if (g) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
    }
}

jc_gsync_t *jc_gsync_for(const char *key)
{
    jc_gsync_t *g;

    pthread_mutex_lock(&reg_mu);
    g = reg_find(1, key);
    if (!g && jc_gsync_create(&g) == APR_SUCCESS && !reg_add(1, key, g)) {
        jc_gsync_destroy(g);
        g = NULL;
    }
    pthread_mutex_unlock(&reg_mu);
    return g;
}

apr_uint64_t jc_gsync_ticket(jc_gsync_t *g)
{
    apr_uint64_t t;

    pthread_mutex_lock(&g->mu);
    t = ++g->seq;
    g->st.tickets++;
    pthread_mutex_unlock(&g->mu);
    return t;
}

apr_status_t jc_gsync_wait(jc_gsync_t *g, apr_uint64_t t, jc_gsync_fn fn,
                           void *arg)
{
    apr_status_t rv;

    pthread_mutex_lock(&g->mu);
    for (;;) {
        if (t <= g->failed_upto) {
            rv = g->fail_rv;
            break;
        }
        if (t <= g->done) {
            rv = APR_SUCCESS;
            break;
        }
        if (!g->running) {
            /* lead: this flush starts after every ticket handed out so far
             * (each was taken after its change was complete) */
            apr_uint64_t covers = g->seq;

            g->running = 1;
            pthread_mutex_unlock(&g->mu);
            rv = fn(arg);
            pthread_mutex_lock(&g->mu);
            g->running = 0;
            g->st.flushes++;
            if (rv == APR_SUCCESS) {
                if (covers > g->done) {
                    g->done = covers;
                }
            }
            else {
                g->st.failed++;
                g->failed_upto = covers;
                g->fail_rv = rv;
            }
            pthread_cond_broadcast(&g->cv);
            continue;
        }
        pthread_cond_wait(&g->cv, &g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return rv;
}

void jc_gsync_stats(jc_gsync_t *g, jc_gsync_stats_t *st)
{
    pthread_mutex_lock(&g->mu);
    *st = g->st;
    pthread_mutex_unlock(&g->mu);
}

/* ---- shared transactions ----------------------------------------------- */

/* A queued item: on its caller's stack until its outcome is set. */
typedef struct jc_gitem {
    void *iarg;               /* the caller's argument                    */
    int state;                /* 0 queued, 1 in a running batch, 2 done   */
    jc_gb_outcome_e out;      /* set by the leader before state 2         */
    struct jc_gitem *next;    /* queue / batch order                      */
} jc_gitem_t;

struct jc_gbatch {
    pthread_mutex_t mu;       /* guards everything below                  */
    pthread_cond_t cv;        /* a batch ended                            */
    jc_gbatch_ops_t ops;      /* what a leader runs                       */
    unsigned max;             /* items per batch                          */
    jc_gitem_t *head;         /* queue, oldest first                      */
    jc_gitem_t *tail;
    int busy;                 /* a batch is running                       */
    jc_gbatch_stats_t st;     /* counters                                 */
};

apr_status_t jc_gbatch_create(jc_gbatch_t **out, const jc_gbatch_ops_t *ops,
                              unsigned max)
{
    jc_gbatch_t *b;

    *out = NULL;
    if (!ops || !ops->begin || !ops->item || !ops->commit || !ops->rollback
        || max < 1) {
        return APR_EINVAL;
    }
    b = calloc(1, sizeof(*b));
    if (!b) {
        return APR_ENOMEM;
    }
    if (mu_cv_init(&b->mu, &b->cv) != 0) {
        free(b);
        return APR_EGENERAL;
    }
    b->ops = *ops;
    b->max = max;
    *out = b;
    return APR_SUCCESS;
}

void jc_gbatch_destroy(jc_gbatch_t *b)
{
    if (b) {
        pthread_cond_destroy(&b->cv);
        pthread_mutex_destroy(&b->mu);
        free(b);
    }
}

jc_gbatch_t *jc_gbatch_for(const char *key, const jc_gbatch_ops_t *ops,
                           unsigned max)
{
    jc_gbatch_t *b;

    pthread_mutex_lock(&reg_mu);
    b = reg_find(2, key);
    if (!b && jc_gbatch_create(&b, ops, max) == APR_SUCCESS
        && !reg_add(2, key, b)) {
        jc_gbatch_destroy(b);
        b = NULL;
    }
    pthread_mutex_unlock(&reg_mu);
    return b;
}

/* Run one batch (list, detached from the queue) on lctx; sets every
 * item's outcome. No lock held. */
static void gb_lead(jc_gbatch_t *b, void *lctx, jc_gitem_t *list)
{
    jc_gitem_t *it;
    int ok = b->ops.begin(lctx) == 0;

    for (it = list; ok && it; it = it->next) {
        int r = b->ops.item(lctx, it->iarg);

        if (r < 0) {
            b->ops.rollback(lctx);
            ok = 0;
        }
        else {
            it->out = r == 0 ? JC_GB_DONE : JC_GB_REFUSED;
        }
    }
    if (ok && b->ops.commit(lctx) != 0) {
        ok = 0;
    }
    if (!ok) {
        /* nothing of the batch is committed; a refusal may rest on an
         * earlier item's rolled-back rows: every item is done again alone */
        for (it = list; it; it = it->next) {
            it->out = JC_GB_SOLO;
        }
    }
}

jc_gb_outcome_e jc_gbatch_run(jc_gbatch_t *b, void *lctx, void *iarg)
{
    jc_gitem_t me;

    me.iarg = iarg;
    me.state = 0;
    me.out = JC_GB_SOLO;
    me.next = NULL;
    pthread_mutex_lock(&b->mu);
    if (b->tail) {
        b->tail->next = &me;
    }
    else {
        b->head = &me;
    }
    b->tail = &me;
    while (me.state != 2) {
        jc_gitem_t *list, *last, *it, *next;
        unsigned n = 1;

        if (b->busy) {
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        /* lead: take up to max items from the queue (it holds at least
         * this caller's, since no batch is running) */
        list = last = b->head;
        while (n < b->max && last->next) {
            last = last->next;
            n++;
        }
        b->head = last->next;
        if (!b->head) {
            b->tail = NULL;
        }
        last->next = NULL;
        for (it = list; it; it = it->next) {
            it->state = 1;
        }
        b->busy = 1;
        b->st.batches++;
        b->st.items += n;
        if (n > b->st.largest) {
            b->st.largest = n;
        }
        pthread_mutex_unlock(&b->mu);
        gb_lead(b, lctx, list);
        pthread_mutex_lock(&b->mu);
        for (it = list; it; it = next) {
            next = it->next;    /* the item's owner may leave once done */
            if (it->out == JC_GB_SOLO) {
                b->st.solo++;
            }
            it->state = 2;
        }
        b->busy = 0;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return me.out;
}

void jc_gbatch_stats(jc_gbatch_t *b, jc_gbatch_stats_t *st)
{
    pthread_mutex_lock(&b->mu);
    *st = b->st;
    pthread_mutex_unlock(&b->mu);
}

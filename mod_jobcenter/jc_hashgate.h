/* Admission for password hashing: a bounded gate per child. At most
 * `slots` Argon2 hashes run at once (default: the online CPUs); up to
 * `queue` more requests wait for a slot, each at most `max_wait`; anything
 * beyond is refused at once, so requests never pile up behind the hashes.
 * Each slot owns one Argon2 work area (jc_pw_area_t), bound to the thread
 * holding the slot, so a child keeps at most `slots` areas mapped.
 * A counting semaphore on an apr_thread_mutex + apr_thread_cond; a freed
 * slot is handed to a waiter directly (newcomers cannot overtake).
 * Core: no httpd headers. */
#ifndef JC_HASHGATE_H
#define JC_HASHGATE_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "jc_result.h"

typedef struct jc_hashgate_t jc_hashgate_t;

/* Create a gate in p (its cleanup unmaps the areas). area_bytes: the size
 * of one slot's Argon2 area (m_kib * 1024 of the configured cost). */
apr_status_t jc_hashgate_create(jc_hashgate_t **out, int slots, int queue,
                                apr_interval_time_t max_wait,
                                size_t area_bytes, apr_pool_t *p);

/* Take a slot for the calling thread. APR_SUCCESS: admitted (call
 * jc_hashgate_leave afterwards, from the same thread); APR_EBUSY: every
 * slot and queue place is taken (refused at once); APR_TIMEUP: queued but
 * no slot within max_wait. A NULL gate admits everything. */
apr_status_t jc_hashgate_enter(jc_hashgate_t *g);

/* Give the slot back (no-op for a NULL gate). */
void jc_hashgate_leave(jc_hashgate_t *g);

/* Counters since creation, for logs and the bench. */
typedef struct {
    int slots, queue;          /* configuration                        */
    int running, waiting;      /* now                                  */
    apr_uint64_t admitted;     /* slots handed out                     */
    apr_uint64_t queued;       /* of those, after waiting              */
    apr_uint64_t refused_full; /* APR_EBUSY                            */
    apr_uint64_t refused_wait; /* APR_TIMEUP                           */
} jc_hashgate_stats_t;

void jc_hashgate_stats(jc_hashgate_t *g, jc_hashgate_stats_t *st);

/* Enter the gate for a request; on refusal set res to 503 service_busy
 * with Retry-After and return 1 (nothing else was done), else 0. */
int jc_hashgate_admit(jc_hashgate_t *g, jc_result_t *res);

#endif

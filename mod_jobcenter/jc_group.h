/* Group commit for the threads of one process (issue 18): concurrent
 * requests share device flushes instead of queueing one flush each, as
 * databases do for their commits.
 *
 * jc_gsync_t   one flush serves every change made before it started. A
 *              caller makes its change (a rename into a directory), takes
 *              a ticket, and waits until a flush that started after the
 *              ticket has completed; if none is in flight it runs the flush
 *              itself (the leader) for every ticket issued so far. At most
 *              one flush runs at a time; requests that arrive meanwhile are
 *              all served by the next one. Used for the fsync of the upload
 *              store's files/ directory.
 * jc_gbatch_t  one transaction serves several requests' writes. A caller
 *              queues its item; if no batch is running it becomes the
 *              leader, takes the queue (at most max items, its own among
 *              them unless the queue was longer) and runs, on its own
 *              connection: begin, every item's work, commit. An item can
 *              refuse without writing (a 4xx); a failed item or commit
 *              rolls the batch back and every item of it is handed back to
 *              be done alone (JC_GB_SOLO), so a batch never changes an
 *              outcome, only how many commits (SQLite: WAL fdatasyncs and
 *              write-lock hand-overs) it takes. Used for the rows of
 *              concurrent uploads on SQLite.
 *
 * Both are per process (threads of one child: mpm_event/worker); between
 * children the kernel (jbd2 commits) and the database's write lock
 * serialize as before. Objects live for the process (malloc, never freed
 * but by the _destroy calls the unit tests use); jc_gsync_for/jc_gbatch_for
 * keep one per key (a directory, a database file). Core: no httpd
 * headers. */
#ifndef JC_GROUP_H
#define JC_GROUP_H

#include <apr_errno.h>
#include <apr.h>

/* ---- shared flushes ---------------------------------------------------- */

typedef struct jc_gsync jc_gsync_t;

/* The flush (run by the leader, without the lock held). */
typedef apr_status_t (*jc_gsync_fn)(void *arg);

apr_status_t jc_gsync_create(jc_gsync_t **out);
void jc_gsync_destroy(jc_gsync_t *g);

/* The object for key (created on first use; NULL only if out of memory). */
jc_gsync_t *jc_gsync_for(const char *key);

/* Call right after the change is complete (the rename returned). */
apr_uint64_t jc_gsync_ticket(jc_gsync_t *g);

/* Return once a flush that started after ticket t was taken has
 * completed: wait for the one in flight, or run fn(arg) as the leader.
 * APR_SUCCESS, or the status of a failed flush: a failure fails every
 * ticket it could have covered that was not yet answered (conservative:
 * never reports a change durable that may not be). */
apr_status_t jc_gsync_wait(jc_gsync_t *g, apr_uint64_t t, jc_gsync_fn fn,
                           void *arg);

/* Counters since creation (for tests, logs and the bench). */
typedef struct {
    apr_uint64_t tickets;      /* changes announced                     */
    apr_uint64_t flushes;      /* flushes run                           */
    apr_uint64_t failed;       /* of those, failed                      */
} jc_gsync_stats_t;

void jc_gsync_stats(jc_gsync_t *g, jc_gsync_stats_t *st);

/* ---- shared transactions ----------------------------------------------- */

typedef struct jc_gbatch jc_gbatch_t;

/* What the leader runs, on its own connection lctx (the leader's jc_db_t
 * and pool, say); iarg is an item's own argument. */
typedef struct {
    int (*begin)(void *lctx);              /* 0: a transaction is open    */
    int (*item)(void *lctx, void *iarg);   /* 0: written; 1: refused
                                            * without writing; -1: the
                                            * transaction is broken      */
    int (*commit)(void *lctx);             /* 0: committed; else it was
                                            * rolled back                */
    void (*rollback)(void *lctx);
} jc_gbatch_ops_t;

typedef enum {
    JC_GB_DONE = 0,   /* item written and committed                      */
    JC_GB_REFUSED,    /* item refused (its own verdict), batch committed  */
    JC_GB_SOLO        /* nothing of it committed: do it alone             */
} jc_gb_outcome_e;

/* max: items per transaction (>= 1). */
apr_status_t jc_gbatch_create(jc_gbatch_t **out, const jc_gbatch_ops_t *ops,
                              unsigned max);
void jc_gbatch_destroy(jc_gbatch_t *b);

/* The object for key with ops (created on first use; NULL only if out of
 * memory). */
jc_gbatch_t *jc_gbatch_for(const char *key, const jc_gbatch_ops_t *ops,
                           unsigned max);

/* Queue iarg and return its outcome; lctx is used if this caller leads. */
jc_gb_outcome_e jc_gbatch_run(jc_gbatch_t *b, void *lctx, void *iarg);

typedef struct {
    apr_uint64_t items;        /* items run in batches                  */
    apr_uint64_t batches;      /* transactions begun                    */
    apr_uint64_t solo;         /* items handed back (JC_GB_SOLO)        */
    unsigned largest;          /* most items in one batch               */
} jc_gbatch_stats_t;

void jc_gbatch_stats(jc_gbatch_t *b, jc_gbatch_stats_t *st);

#endif

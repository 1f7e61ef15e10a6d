/* The session cache (issue 20): a per-child, per-host, in-memory copy of
 * what jc_session_load returns, so that most session checks read no
 * database row, and node-wide generation counters in shared memory that
 * keep the cache's promises:
 *
 * - an entry is used for at most the cache's TTL
 *   (JobcenterSessionCacheTTL, default 1 s) after the moment its SELECT
 *   started: a session ended on another node (or by another program on
 *   the database, the admin tool) is refused everywhere within the TTL;
 * - a write of this node that ends or changes a session (jc_sql.c's
 *   invalidation table: logout, "end all other sessions", password change
 *   and reset, staff disable, re-authentication, e-mail confirmation,
 *   profile binding, ...) bumps a generation slot of the session or the
 *   account once it is committed (jc_db's write hook), and every child of
 *   the node compares the entry's slots before using it: same-node
 *   changes are seen by the next request, in any child;
 * - a hit still checks the lifetime, the idle timeout and the touch
 *   interval on the copy; an entry whose last_seen is due for the
 *   once-a-minute touch is a miss, so the touch is written as before.
 *
 * Core: APR only, no httpd headers. The generation table lives in memory
 * the glue shares between the children (apr_shm made before the fork);
 * the caches live in the child's pool. */
#ifndef JC_SESSCACHE_H
#define JC_SESSCACHE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "jc_db.h"
#include "jc_session.h"

/* Generation slots per kind (accounts, sessions); a power of two. Two
 * keys that share a slot only cost each other a cache miss. */
#define JC_SESSGEN_SLOTS 4096

/* Entries of a cache: bounds of JobcenterSessionCacheSize. */
#define JC_SESSCACHE_MIN_ENTRIES 64
#define JC_SESSCACHE_MAX_ENTRIES 1048576

/* The node's generation counters (shared memory). Opaque. */
typedef struct jc_sessgen_t jc_sessgen_t;

/* Bytes of shared memory a jc_sessgen_t needs. */
apr_size_t jc_sessgen_size(void);

/* Set up the counters in mem (jc_sessgen_size() bytes, zeroed here). */
jc_sessgen_t *jc_sessgen_init(void *mem);

/* The jc_db write hook that bumps g's counters (install it with
 * jc_db_set_write_hook in every process that writes sessions). */
void jc_sessgen_hook(jc_db_write_hook_t *hook, jc_sessgen_t *g);

/* Slot number of a write (JC_SQL_INV_* kind, key as in jc_sql.h) and the
 * bump of a slot, as the hook calls them; for the unit tests. */
unsigned jc_sessgen_slot(const jc_sessgen_t *g, int kind, const void *key);
void jc_sessgen_bump(jc_sessgen_t *g, unsigned slot);

/* One host's cache in one child. Opaque. */
typedef struct jc_sesscache_t jc_sesscache_t;

/* A cache of about `entries` sessions (rounded up to a power of two,
 * 4-way sets) whose entries live at most ttl; gen: the node's counters.
 * The entry array and its strings are malloc'd and freed by a cleanup on
 * p (the child's pool); the set locks are thread mutexes from p. */
apr_status_t jc_sesscache_create(jc_sesscache_t **sc, jc_sessgen_t *gen,
                                 apr_interval_time_t ttl, int entries,
                                 apr_pool_t *p);

/* Counters of a cache (this child), for logs and tests. */
typedef struct {
    apr_uint64_t hits;       /* checks answered from the cache          */
    apr_uint64_t misses;     /* checks that read the database           */
    apr_uint64_t stale;      /* entries dropped: TTL over or generation  */
    apr_uint64_t skipped;    /* fills not stored (a write ran meanwhile) */
} jc_sesscache_stats_t;
void jc_sesscache_stats(const jc_sesscache_t *sc, jc_sesscache_stats_t *st);

/* A database connection on demand (the glue acquires mod_dbd's only on a
 * cache miss); NULL when there is none (answered as busy). */
typedef jc_db_t *jc_sess_db_fn(void *baton);

/* jc_session_load / jc_session_load_kn (with_kn) through the cache sc
 * (NULL: no cache, every check reads the database). get_db is called
 * only when the database is needed; when it gives NULL the result is
 * JC_DB_BUSY. now: the request time (epoch seconds) as for jc_session_load;
 * the TTL is measured with apr_time_now(). */
jc_db_rc_e jc_session_load_cached(jc_sesscache_t *sc, jc_sess_db_fn *get_db,
                                  void *baton, jc_session_t *s,
                                  int *expired, const char *token,
                                  int with_kn, const jc_sess_cfg_t *cfg,
                                  apr_int64_t now, apr_pool_t *p);

#endif

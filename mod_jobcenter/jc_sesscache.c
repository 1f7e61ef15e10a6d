/* The session cache and the node's generation counters (see
 * jc_sesscache.h).
 *
 * Why a fill cannot keep a revoked session (the counters are read and
 * bumped with sequentially consistent atomics):
 *   writer (any child):  COMMIT; wseq++; gen[slot]++
 *   reader (a miss):     w0 = wseq; SELECT; read gen[*]; w1 = wseq;
 *                        store the entry with those gens only if w0 == w1
 * If the writer's wseq++ came before w0, the COMMIT did too and the
 * SELECT saw the new rows. If it came between w0 and w1, nothing is
 * stored. If it came after w1, so does gen[slot]++, after the reader read
 * the old value: the next lookup finds the entry's generation behind and
 * drops it. Other nodes' writes are bounded by the TTL, counted from the
 * time taken before the SELECT. */
#include <stdlib.h>
#include <string.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "jc_sesscache.h"
#include "jc_sql.h"
#include "jc_token.h"

/* ---- generation counters (shared memory) ------------------------------ */

/* gen[0]: every session of the node; gen[1 .. SLOTS]: accounts;
 * gen[SLOTS + 1 .. 2 * SLOTS]: sessions. */
#define GEN_ACCT 1u
#define GEN_SESS (1u + JC_SESSGEN_SLOTS)
#define GEN_N    (1u + 2u * JC_SESSGEN_SLOTS)

struct jc_sessgen_t {
    volatile apr_uint32_t wseq;        /* bumped before every gen[] bump */
    volatile apr_uint32_t gen[GEN_N];  /* see above                      */
};

apr_size_t jc_sessgen_size(void)
{
    return sizeof(jc_sessgen_t);
}

jc_sessgen_t *jc_sessgen_init(void *mem)
{
    memset(mem, 0, sizeof(jc_sessgen_t));
    return mem;
}

/* Slot of an account id: Fibonacci hashing of the id. */
static unsigned acct_slot(apr_int64_t id)
{
    apr_uint64_t h = (apr_uint64_t)id * APR_UINT64_C(0x9E3779B97F4A7C15);

    return (unsigned)(h >> 40) & (JC_SESSGEN_SLOTS - 1);
}

/* The first 8 hex digits of a SHA-256 hex string (random bits). */
static apr_uint32_t hash_prefix(const char *hex)
{
    apr_uint32_t v = 0;
    int i;

    for (i = 0; i < 8 && hex[i]; i++) {
        char c = hex[i];

        v = (v << 4) | (apr_uint32_t)(c >= 'a' ? c - 'a' + 10
                                      : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return v;
}

static unsigned sess_slot(const char *id_hash)
{
    return (unsigned)hash_prefix(id_hash) & (JC_SESSGEN_SLOTS - 1);
}

unsigned jc_sessgen_slot(const jc_sessgen_t *g, int kind, const void *key)
{
    (void)g;
    if (kind == JC_SQL_INV_ACCT && key) {
        return GEN_ACCT + acct_slot(*(const apr_int64_t *)key);
    }
    if (kind == JC_SQL_INV_SESS && key) {
        return GEN_SESS + sess_slot(key);
    }
    return 0;
}

void jc_sessgen_bump(jc_sessgen_t *g, unsigned slot)
{
    apr_atomic_inc32(&g->wseq);
    apr_atomic_inc32(&g->gen[slot < GEN_N ? slot : 0]);
}

static unsigned hook_slot(void *ctx, int kind, const void *key)
{
    return jc_sessgen_slot(ctx, kind, key);
}

static void hook_bump(void *ctx, unsigned slot)
{
    jc_sessgen_bump(ctx, slot);
}

void jc_sessgen_hook(jc_db_write_hook_t *hook, jc_sessgen_t *g)
{
    hook->slot = hook_slot;
    hook->bump = hook_bump;
    hook->ctx = g;
}

/* ---- the cache (one per host and child) ------------------------------- */

#define WAYS       4   /* entries per set                       */
#define LOCKS      16  /* mutexes, set i uses lock i % LOCKS     */
#define KEYLEN     64  /* SHA-256 hex                            */
#define NSTR       4   /* csrf, email, username, kundennummer    */

/* One cached session. The strings are one malloc'd block, "csrf\0email\0
 * username\0kn\0", each present only when its bit in `have` is set. */
typedef struct {
    char key[KEYLEN];           /* id hash; key[0] == 0: empty slot      */
    apr_time_t filled;          /* taken before the SELECT               */
    apr_uint32_t g_all;         /* gen[0] seen by the fill               */
    apr_uint32_t g_acct;        /* the account's slot                    */
    apr_uint32_t g_sess;        /* the session's slot                    */
    int with_kn;                /* the Kundennummer was loaded           */
    jc_sess_state_e state;      /* the jc_session_t fields ...           */
    apr_int64_t account_id;
    apr_int64_t last_seen;
    apr_int64_t expires_at;
    apr_int64_t email_confirmed;
    apr_int64_t created_at;
    apr_int64_t verified_at;
    char *strs;                 /* malloc'd strings (see above) or NULL  */
    unsigned have;              /* bit i: string i present               */
} sc_entry_t;

struct jc_sesscache_t {
    jc_sessgen_t *gen;                 /* the node's counters (shm)      */
    apr_interval_time_t ttl;           /* longest use of an entry        */
    unsigned nsets;                    /* power of two                   */
    sc_entry_t *e;                     /* nsets * WAYS entries, malloc'd */
    apr_thread_mutex_t *lock[LOCKS];   /* from the child's pool          */
    volatile apr_uint32_t hits;        /* counters (wrap; for logs)      */
    volatile apr_uint32_t misses;
    volatile apr_uint32_t stale;
    volatile apr_uint32_t skipped;
};

static apr_status_t cache_cleanup(void *data)
{
    jc_sesscache_t *sc = data;
    unsigned i;

    for (i = 0; i < sc->nsets * WAYS; i++) {
        free(sc->e[i].strs);
    }
    free(sc->e);
    sc->e = NULL;
    return APR_SUCCESS;
}

apr_status_t jc_sesscache_create(jc_sesscache_t **out, jc_sessgen_t *gen,
                                 apr_interval_time_t ttl, int entries,
                                 apr_pool_t *p)
{
    jc_sesscache_t *sc = apr_pcalloc(p, sizeof(*sc));
    unsigned want, n = LOCKS;
    apr_status_t rv;
    int i;

    *out = NULL;
    if (entries < JC_SESSCACHE_MIN_ENTRIES) {
        entries = JC_SESSCACHE_MIN_ENTRIES;
    }
    if (entries > JC_SESSCACHE_MAX_ENTRIES) {
        entries = JC_SESSCACHE_MAX_ENTRIES;
    }
    want = ((unsigned)entries + WAYS - 1) / WAYS;
    while (n < want) {
        n <<= 1;
    }
    sc->gen = gen;
    sc->ttl = ttl;
    sc->nsets = n;
    /* calloc: pages are only touched (resident) once entries use them */
    sc->e = calloc((size_t)n * WAYS, sizeof(sc_entry_t));
    if (!sc->e) {
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(p, sc, cache_cleanup, apr_pool_cleanup_null);
    for (i = 0; i < LOCKS; i++) {
        rv = apr_thread_mutex_create(&sc->lock[i], APR_THREAD_MUTEX_DEFAULT,
                                     p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    *out = sc;
    return APR_SUCCESS;
}

void jc_sesscache_stats(const jc_sesscache_t *sc, jc_sesscache_stats_t *st)
{
    st->hits = sc->hits;
    st->misses = sc->misses;
    st->stale = sc->stale;
    st->skipped = sc->skipped;
}

static unsigned set_of(const jc_sesscache_t *sc, const char *id_hash)
{
    /* the session slots use the low bits of the same prefix; the set
     * index takes the high ones */
    return (unsigned)(hash_prefix(id_hash) >> 12) & (sc->nsets - 1);
}

static void entry_clear(sc_entry_t *e, char **to_free)
{
    *to_free = e->strs;
    memset(e, 0, sizeof(*e));
}

/* Still valid for this node: TTL and the three generations. */
static int entry_current(const jc_sesscache_t *sc, const sc_entry_t *e,
                         apr_time_t t)
{
    jc_sessgen_t *g = sc->gen;

    return t - e->filled < sc->ttl && t >= e->filled
        && e->g_all == apr_atomic_read32(&g->gen[0])
        && e->g_acct == apr_atomic_read32(&g->gen[GEN_ACCT
                                              + acct_slot(e->account_id)])
        && e->g_sess == apr_atomic_read32(&g->gen[GEN_SESS
                                              + sess_slot(e->key)]);
}

/* Copy a current entry into s (strings into p). */
static void entry_copy(const sc_entry_t *e, jc_session_t *s, int with_kn,
                       apr_pool_t *p)
{
    const char *v[NSTR] = { NULL, NULL, NULL, NULL };
    const char *at = e->strs;
    int i;

    for (i = 0; i < NSTR && at; i++) {
        if (e->have & (1u << i)) {
            size_t n = strlen(at);

            v[i] = apr_pstrmemdup(p, at, n);
            at += n + 1;
        }
    }
    s->account_id = e->account_id;
    s->state = e->state;
    s->csrf_token = v[0];
    s->last_seen = e->last_seen;
    s->expires_at = e->expires_at;
    s->email = v[1];
    s->username = v[2];
    s->email_confirmed = e->email_confirmed;
    s->created_at = e->created_at;
    s->verified_at = e->verified_at;
    s->kundennummer = with_kn ? v[3] : NULL;
}

/* 1: s filled from the cache. */
static int cache_get(jc_sesscache_t *sc, jc_session_t *s, int with_kn,
                     apr_time_t t, apr_pool_t *p)
{
    unsigned set = set_of(sc, s->id_hash), w;
    sc_entry_t *e = sc->e + (apr_size_t)set * WAYS;
    apr_thread_mutex_t *lk = sc->lock[set % LOCKS];
    char *to_free = NULL;
    int hit = 0;

    apr_thread_mutex_lock(lk);
    for (w = 0; w < WAYS; w++, e++) {
        if (e->key[0] && memcmp(e->key, s->id_hash, KEYLEN) == 0) {
            break;
        }
    }
    if (w < WAYS) {
        if (!entry_current(sc, e, t)) {
            entry_clear(e, &to_free);
            apr_atomic_inc32(&sc->stale);
        }
        else if (!with_kn || e->with_kn) {
            entry_copy(e, s, with_kn, p);
            hit = 1;
        }
    }
    apr_thread_mutex_unlock(lk);
    free(to_free);
    return hit;
}

/* Store s (just loaded) unless a write ran since the fill began. */
static void cache_put(jc_sesscache_t *sc, const jc_session_t *s,
                      int with_kn, apr_uint32_t w0, apr_time_t t0)
{
    jc_sessgen_t *g = sc->gen;
    const char *v[NSTR];
    size_t len[NSTR], total = 0;
    sc_entry_t ne, *e, *victim = NULL;
    unsigned set, w, i;
    apr_thread_mutex_t *lk;
    char *to_free = NULL, *at;

    memset(&ne, 0, sizeof(ne));
    /* the generations after the SELECT, then the write sequence */
    ne.g_all = apr_atomic_read32(&g->gen[0]);
    ne.g_acct = apr_atomic_read32(&g->gen[GEN_ACCT
                                          + acct_slot(s->account_id)]);
    ne.g_sess = apr_atomic_read32(&g->gen[GEN_SESS + sess_slot(s->id_hash)]);
    if (apr_atomic_read32(&g->wseq) != w0) {
        apr_atomic_inc32(&sc->skipped);
        return;
    }
    v[0] = s->csrf_token;
    v[1] = s->email;
    v[2] = s->username;
    v[3] = with_kn ? s->kundennummer : NULL;
    for (i = 0; i < NSTR; i++) {
        len[i] = v[i] ? strlen(v[i]) : 0;
        if (v[i]) {
            ne.have |= 1u << i;
            total += len[i] + 1;
        }
    }
    if (total) {
        ne.strs = malloc(total);
        if (!ne.strs) {
            return;
        }
        for (at = ne.strs, i = 0; i < NSTR; i++) {
            if (v[i]) {
                memcpy(at, v[i], len[i] + 1);
                at += len[i] + 1;
            }
        }
    }
    memcpy(ne.key, s->id_hash, KEYLEN);
    ne.filled = t0;
    ne.with_kn = with_kn;
    ne.state = s->state;
    ne.account_id = s->account_id;
    ne.last_seen = s->last_seen;
    ne.expires_at = s->expires_at;
    ne.email_confirmed = s->email_confirmed;
    ne.created_at = s->created_at;
    ne.verified_at = s->verified_at;

    set = set_of(sc, s->id_hash);
    lk = sc->lock[set % LOCKS];
    apr_thread_mutex_lock(lk);
    /* the same key, else an empty way, else the oldest fill */
    for (e = sc->e + (apr_size_t)set * WAYS, w = 0; w < WAYS; w++, e++) {
        if (e->key[0] && memcmp(e->key, ne.key, KEYLEN) == 0) {
            victim = e;
            break;
        }
        if (!victim || (victim->key[0]
                        && (!e->key[0] || e->filled < victim->filled))) {
            victim = e;
        }
    }
    to_free = victim->strs;
    *victim = ne;
    apr_thread_mutex_unlock(lk);
    free(to_free);
}

/* A copy that the session rules would still accept without a write: not
 * past its lifetime or idle timeout, not due for the touch, a known state.
 * Anything else goes to the database (which deletes, touches, ...). */
static int usable(const jc_session_t *s, const jc_sess_cfg_t *cfg,
                  apr_int64_t now)
{
    return now < s->expires_at && now - s->last_seen < cfg->idle
           && now - s->last_seen < cfg->touch
           && jc_session_level(s->state) > 0;
}

jc_db_rc_e jc_session_load_cached(jc_sesscache_t *sc, jc_sess_db_fn *get_db,
                                  void *baton, jc_session_t *s,
                                  int *expired, const char *token,
                                  int with_kn, const jc_sess_cfg_t *cfg,
                                  apr_int64_t now, apr_pool_t *p)
{
    const char *id_hash;
    apr_uint32_t w0 = 0;
    apr_time_t t0 = 0;
    jc_db_t *db;
    jc_db_rc_e rc;

    memset(s, 0, sizeof(*s));
    *expired = 0;
    if (!jc_token_wellformed(token)) {
        return JC_DB_NOROW;
    }
    id_hash = jc_token_hash(token, strlen(token), p);
    if (!id_hash) {
        return JC_DB_ERROR;
    }
    if (sc) {
        t0 = apr_time_now();
        s->id_hash = id_hash;
        if (cache_get(sc, s, with_kn, t0, p) && usable(s, cfg, now)) {
            apr_atomic_inc32(&sc->hits);
            return JC_DB_OK;
        }
        apr_atomic_inc32(&sc->misses);
        w0 = apr_atomic_read32(&sc->gen->wseq);
    }
    db = get_db(baton);
    if (!db) {
        memset(s, 0, sizeof(*s));
        return JC_DB_BUSY;
    }
    rc = jc_session_load_by_hash(db, s, expired, id_hash, with_kn, cfg, now,
                                 p);
    if (sc && rc == JC_DB_OK) {
        cache_put(sc, s, with_kn, w0, t0);
    }
    return rc;
}

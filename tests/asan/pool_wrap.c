/* Only in build/asan/mod_jobcenter.so (`make asan`): mod_jobcenter's pool
 * allocations become malloc blocks of exactly the asked size, so that
 * AddressSanitizer sees an overflow of a pool buffer, and a use of it after
 * its pool was cleared or destroyed. A real APR pool hands out pieces of
 * 8 KiB blocks: writing past a piece lands in the next one, unseen.
 *
 * The module is linked with ld's --wrap=apr_palloc (and the string
 * functions below): the module's own calls come here, APR's internal ones
 * and those of httpd stay untouched. The blocks of a pool are freed by one
 * cleanup, registered on the pool with the module's first allocation from
 * it: cleanups the module registers later run before it (LIFO), as with a
 * real pool, whose memory is released after all cleanups. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>

void *__real_apr_palloc(apr_pool_t *p, apr_size_t size);
char *__real_apr_pvsprintf(apr_pool_t *p, const char *fmt, va_list ap);

void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size);
void *__wrap_apr_pcalloc(apr_pool_t *p, apr_size_t size);
char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s);
char *__wrap_apr_pstrndup(apr_pool_t *p, const char *s, apr_size_t n);
char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n);
void *__wrap_apr_pmemdup(apr_pool_t *p, const void *m, apr_size_t n);
char *__wrap_apr_pstrcat(apr_pool_t *p, ...);
char *__wrap_apr_pvsprintf(apr_pool_t *p, const char *fmt, va_list ap);
char *__wrap_apr_psprintf(apr_pool_t *p, const char *fmt, ...);

typedef struct {
    void **v;
    size_t n, cap;
} blocks_t;

static const char KEY[] = "jc-asan-pool-blocks";

static apr_status_t blocks_free(void *data)
{
    blocks_t *b = data;
    size_t i;

    for (i = 0; i < b->n; i++) {
        free(b->v[i]);
    }
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
    return APR_SUCCESS;
}

void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size)
{
    blocks_t *b = NULL;
    void *m;

    apr_pool_userdata_get((void **)&b, KEY, p);
    if (!b) {
        b = __real_apr_palloc(p, sizeof(*b));
        memset(b, 0, sizeof(*b));
        apr_pool_userdata_setn(b, KEY, NULL, p);
        apr_pool_cleanup_register(p, b, blocks_free, apr_pool_cleanup_null);
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        void **v = realloc(b->v, cap * sizeof(*v));
        if (!v) {
            abort();
        }
        b->v = v;
        b->cap = cap;
    }
    /* malloc(0) may return NULL; a pool never does */
    m = malloc(size ? size : 1);
    if (!m) {
        abort();
    }
    b->v[b->n++] = m;
    return m;
}

void *__wrap_apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    return memset(__wrap_apr_palloc(p, size), 0, size);
}

char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *d;

    if (!s) {
        return NULL;
    }
    d = __wrap_apr_palloc(p, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s)
{
    return s ? __wrap_apr_pstrmemdup(p, s, strlen(s)) : NULL;
}

char *__wrap_apr_pstrndup(apr_pool_t *p, const char *s, apr_size_t n)
{
    return s ? __wrap_apr_pstrmemdup(p, s, strnlen(s, n)) : NULL;
}

void *__wrap_apr_pmemdup(apr_pool_t *p, const void *m, apr_size_t n)
{
    void *d;

    if (!m) {
        return NULL;
    }
    d = __wrap_apr_palloc(p, n);
    memcpy(d, m, n);
    return d;
}

char *__wrap_apr_pstrcat(apr_pool_t *p, ...)
{
    va_list ap;
    const char *s;
    size_t len = 0, k;
    char *d, *w;

    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        len += strlen(s);
    }
    va_end(ap);
    d = w = __wrap_apr_palloc(p, len + 1);
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        k = strlen(s);
        memcpy(w, s, k);
        w += k;
    }
    va_end(ap);
    *w = '\0';
    return d;
}

char *__wrap_apr_pvsprintf(apr_pool_t *p, const char *fmt, va_list ap)
{
    char *s = __real_apr_pvsprintf(p, fmt, ap);

    return s ? __wrap_apr_pstrdup(p, s) : NULL;
}

char *__wrap_apr_psprintf(apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = __wrap_apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return s;
}

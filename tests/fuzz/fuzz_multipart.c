/* libFuzzer target for the streaming multipart/form-data parser
 * (jc_multipart) and what the upload filter applies to its output
 * (jc_filename_clean, jc_sniff over the first bytes of each part).
 *
 * Input: byte 0 picks the split position, the rest is the body for the
 * boundary "fzB". The body is parsed twice: whole, and in two chunks cut
 * at data[0] * len / 255 (each chunk in a buffer of exactly its size, so
 * ASan sees any read past it). Both runs must report the same error and
 * the same digest of events and data; otherwise the target aborts.
 * The first 120 bytes of the body also go through jc_multipart_boundary
 * as a Content-Type value.
 * Build and run: make -C tests/fuzz run */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "jc_filename.h"
#include "jc_multipart.h"
#include "jc_sniff.h"

#include "fuzz_init.h"

typedef struct {
    uint64_t h;               /* FNV-1a over events and data */
    jc_sniff_acc_t acc;       /* first bytes of the current part */
    apr_pool_t *p;
} fz_rec_t;

static void fz_mix(fz_rec_t *r, const void *d, size_t n)
{
    const unsigned char *b = d;
    size_t i;

    for (i = 0; i < n; i++) {
        r->h = (r->h ^ b[i]) * 1099511628211ULL;
    }
}

static void fz_str(fz_rec_t *r, const char *s)
{
    fz_mix(r, s ? s : "\xff", s ? strlen(s) + 1 : 1);
}

static int fz_begin(void *baton, const jc_mp_part_t *part)
{
    fz_rec_t *r = baton;

    fz_mix(r, "B", 1);
    fz_mix(r, &part->index, sizeof(part->index));
    fz_str(r, part->name);
    fz_str(r, part->filename);
    fz_str(r, part->filename_star);
    fz_str(r, part->content_type);
    fz_str(r, jc_filename_display(part->filename_star, part->filename,
                                  r->p));
    memset(&r->acc, 0, sizeof(r->acc));
    return 0;
}

static int fz_data(void *baton, const char *data, size_t len)
{
    fz_rec_t *r = baton;

    if (len == 0) {
        abort();                 /* the parser never calls with 0 bytes */
    }
    fz_mix(r, data, len);
    jc_sniff_add(&r->acc, data, len);
    return 0;
}

static int fz_end(void *baton)
{
    fz_rec_t *r = baton;
    jc_sniff_type_e t = jc_sniff(r->acc.buf, r->acc.len);

    fz_mix(r, "E", 1);
    fz_mix(r, &t, sizeof(t));
    return 0;
}

static jc_mp_err_e fz_run(fz_rec_t *r, const uint8_t *body, size_t len,
                          size_t cut, apr_pool_t *p)
{
    static const jc_mp_limits_t lim = {256, 8, 32};
    jc_mp_callbacks_t cb = {fz_begin, fz_data, fz_end, r};
    size_t pos[3] = {0, cut, len};
    jc_mp_t *mp;
    int i;

    memset(r, 0, sizeof(*r));
    r->h = 14695981039346656037ULL;
    r->p = p;
    if (jc_mp_create(&mp, "fzB", &lim, &cb, p) != JC_MP_OK) {
        abort();
    }
    for (i = 0; i < 2; i++) {
        size_t n = pos[i + 1] - pos[i];
        char *chunk = malloc(n ? n : 1);

        memcpy(chunk, body + pos[i], n);
        (void)jc_mp_feed(mp, chunk, n);
        free(chunk);
    }
    return jc_mp_finish(mp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    fz_rec_t a, b;
    jc_mp_err_e ea, eb;
    const char *boundary;
    size_t n, cut;

    if (size < 1 || size > 70000) {
        return 0;
    }
    apr_pool_create(&p, fz_root);
    n = size - 1;
    cut = (size_t)data[0] * n / 255;
    ea = fz_run(&a, data + 1, n, n, p);
    eb = fz_run(&b, data + 1, n, cut, p);
    if (ea != eb || a.h != b.h) {
        abort();                 /* the split changed the outcome */
    }
    (void)jc_mp_err_message(ea);
    (void)jc_multipart_boundary(&boundary,
                                apr_pstrmemdup(p, (const char *)data + 1,
                                               n < 120 ? n : 120), p);
    apr_pool_destroy(p);
    return 0;
}

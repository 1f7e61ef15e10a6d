/* Shared by the libFuzzer targets that need APR: libFuzzer's start-up hook
 * initialises APR and makes the root pool fz_root; each input gets a
 * subpool of it (destroyed after the input). Header-only: every target is
 * one translation unit; include it once, after the APR headers. */
#ifndef FUZZ_INIT_H
#define FUZZ_INIT_H

#include <apr_general.h>
#include <apr_pools.h>

static apr_pool_t *fz_root;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&fz_root, NULL);
    return 0;
}

#endif

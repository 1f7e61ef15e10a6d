/* bench/hashbench.c -- raw Argon2id cost on this machine, in-process, with
 * the same library and parameters the module uses (libargon2, m=19456 KiB,
 * t=2, p=1 unless given). Built by bench/run.sh into build/bench/hashbench.
 *
 *   hashbench [runs [m t p [threads]]]
 *
 * Prints (one "key: value" line each, for run.sh to parse):
 *   raw_ms:      argon2id_hash_raw, median/min/max of <runs> timed calls
 *   verify_ms:   argon2id_verify of a PHC string (what a login runs)
 *   par_per_s:   <threads> threads hashing at once, hashes per second overall
 * The first call of each kind is an untimed warm-up (page-faults the 19 MiB
 * work area once; glibc then reuses it). */
#define _POSIX_C_SOURCE 200809L
#include <argon2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *PW = "Bench-Passw0rd!";
static const unsigned char SALT[16] = "0123456789abcdef";
static unsigned M = 19456, T = 2, P = 1;
static char PHC[256];

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int h_raw(void)
{
    unsigned char out[32];

    return argon2id_hash_raw(T, M, P, PW, strlen(PW), SALT, sizeof SALT, out,
                             sizeof out) != ARGON2_OK;
}

static int h_verify(void)
{
    return argon2id_verify(PHC, PW, strlen(PW)) != ARGON2_OK;
}

static int run(const char *key, int (*f)(void), int n)
{
    double *t = calloc((size_t)n, sizeof *t);
    int i;

    if (!t || f()) {
        printf("%s: FAILED\n", key);
        return 1;
    }
    for (i = 0; i < n; i++) {
        double s = now_ms();

        if (f()) {
            printf("%s: FAILED\n", key);
            free(t);
            return 1;
        }
        t[i] = now_ms() - s;
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%s: median %.3f min %.3f max %.3f n %d\n", key, t[n / 2], t[0],
           t[n - 1], n);
    free(t);
    return 0;
}

static int per_thread;

static void *worker(void *arg)
{
    int i;

    (void)arg;
    for (i = 0; i < per_thread; i++) {
        if (h_raw()) {
            return (void *)1;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 15, threads = 0, i, bad = 0;
    pthread_t *tid;
    double s, el;

    if (argc >= 5) {
        M = (unsigned)strtoul(argv[2], NULL, 10);
        T = (unsigned)strtoul(argv[3], NULL, 10);
        P = (unsigned)strtoul(argv[4], NULL, 10);
    }
    if (argc >= 6) {
        threads = atoi(argv[5]);
    }
    if (n < 1) {
        n = 1;
    }
    printf("params: argon2id m=%u KiB t=%u p=%u\n", M, T, P);
    if (argon2id_hash_encoded(T, M, P, PW, strlen(PW), SALT, sizeof SALT, 32,
                              PHC, sizeof PHC) != ARGON2_OK) {
        printf("encode: FAILED\n");
        return 1;
    }
    bad |= run("raw_ms", h_raw, n);
    bad |= run("verify_ms", h_verify, n);

    if (threads > 0) {
        tid = calloc((size_t)threads, sizeof *tid);
        per_thread = n;
        s = now_ms();
        for (i = 0; i < threads; i++) {
            pthread_create(&tid[i], NULL, worker, NULL);
        }
        for (i = 0; i < threads; i++) {
            void *rv;

            pthread_join(tid[i], &rv);
            bad |= rv != NULL;
        }
        el = now_ms() - s;
        printf("par_per_s: %.1f threads %d hashes %d wall_ms %.1f\n",
               1000.0 * threads * per_thread / el, threads,
               threads * per_thread, el);
        free(tid);
    }
    return bad;
}

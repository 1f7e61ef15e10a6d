/* jobcenter-admin: command-line tool for operators of mod_jobcenter.
 *
 *   jobcenter-admin hash-password [m t p]   read a password from stdin,
 *                                           print its Argon2id PHC string
 *   jobcenter-admin check-password          read a password from stdin,
 *                                           print the failed criteria
 *   jobcenter-admin gen-key PATH            create a new key file for
 *                                           JobcenterSecretKeyFile (32
 *                                           random bytes as hex, mode 0600);
 *                                           never overwrites a file
 *
 * Database work (demo data, schema) is done by build.sh with the database's
 * own client, through the same SQL files the module uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>

#include "jc_password.h"
#include "jc_secretbox.h"

/* gen-key PATH: exit 0 when created, 1 when PATH exists, 2 otherwise. */
static int gen_key(const char *path, apr_pool_t *p)
{
    char err[120];
    apr_status_t rv = jc_secretbox_key_create(path, p);

    if (rv == APR_SUCCESS) {
        return 0;
    }
    if (rv == APR_EEXIST) {
        fprintf(stderr, "%s exists; not overwritten\n", path);
        return 1;
    }
    fprintf(stderr, "cannot create %s: %s\n", path,
            apr_strerror(rv, err, sizeof(err)));
    return 2;
}

static int read_line(char *buf, size_t n)
{
    size_t len;

    if (!fgets(buf, (int)n, stdin)) {
        return -1;
    }
    len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        buf[--len] = '\0';
    }
    return (int)len;
}

int main(int argc, char **argv)
{
    jc_argon2_params_t prm = { 19456, 2, 1 };
    apr_pool_t *p;
    char pw[256];
    int len, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s hash-password [m t p] | check-password "
                "| gen-key PATH\n", argv[0]);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    if (!strcmp(argv[1], "gen-key")) {
        if (argc != 3) {
            fprintf(stderr, "usage: %s gen-key PATH\n", argv[0]);
            rc = 2;
        }
        else {
            rc = gen_key(argv[2], p);
        }
        apr_pool_destroy(p);
        apr_terminate();
        return rc;
    }
    len = read_line(pw, sizeof(pw));
    if (len < 0) {
        fprintf(stderr, "no password on stdin\n");
        rc = 2;
    }
    else if (!strcmp(argv[1], "hash-password")) {
        const char *phc;

        if (argc == 5) {
            prm.m_kib = (unsigned int)strtoul(argv[2], NULL, 10);
            prm.t_cost = (unsigned int)strtoul(argv[3], NULL, 10);
            prm.lanes = (unsigned int)strtoul(argv[4], NULL, 10);
        }
        if (jc_password_hash(&phc, pw, (size_t)len, &prm, p)
            != APR_SUCCESS) {
            fprintf(stderr, "hashing failed\n");
            rc = 1;
        }
        else {
            printf("%s\n", phc);
        }
    }
    else if (!strcmp(argv[1], "check-password")) {
        int bad = jc_password_check(pw, (size_t)len, NULL, 0);
        const jc_pw_rule_t *r;

        for (r = jc_password_rules(); r->code; r++) {
            if (bad & r->bit) {
                printf("%s: %s\n", r->code, r->message);
            }
        }
        rc = bad ? 1 : 0;
    }
    else {
        fprintf(stderr, "unknown command %s\n", argv[1]);
        rc = 2;
    }
    memset(pw, 0, sizeof(pw));
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}

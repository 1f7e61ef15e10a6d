/* Test driver for tests/unit/letters-reader.sh: writes one PDF of
 * jc_letter to a file so that independent readers (pdftotext, pdftoppm,
 * zbarimg) can check it. Not a cmocka test (built by `make letter_pdf`).
 *
 *   letter_pdf freischaltcode OUT DATE VALID CODE URL
 *   letter_pdf credential OUT DATE VALID PART VALUE [LOGIN_URL]
 *   letter_pdf receipt OUT AT NFILES [MESSAGE]
 *   letter_pdf receipt-sizes OUT AT SIZE...
 *
 * DATE, VALID, AT: epoch seconds. The letter head is fixed (below); the
 * receipt's files are "Kontoauszug-N.pdf" with size N * 1000003 and the
 * SHA-256 of the text "N"; receipt-sizes: one file "Datei-SIZE.pdf" per
 * SIZE (bytes) with the SHA-256 of the text "SIZE". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include "jc_letter.h"

static int write_out(const char *path, const char *pdf, apr_size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(pdf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "letter_pdf: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    const char *pdf = NULL, *err = NULL;
    apr_size_t len = 0;
    int rc;
    jc_letter_head_t h = {
        .jc_name = "Jobcenter Rems-Murr",
        .jc_street = "Postfach 1234",
        .jc_city = "71332 Waiblingen",
        .jc_phone = "07151 9519-0",
        .recipient = { "Frau Erika Müller-Weiß", "Hauptstraße 5",
                       "71332 Waiblingen", NULL },
        .kundennummer = "123A123456",
    };

    if (argc < 5 || apr_initialize() != APR_SUCCESS
        || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        fprintf(stderr, "usage: see the comment in letter_pdf.c\n");
        return 2;
    }
    if (strcmp(argv[1], "freischaltcode") == 0 && argc == 7) {
        h.date = (time_t)atoll(argv[3]);
        rc = jc_letter_freischaltcode(p, &h, argv[5], (time_t)atoll(argv[4]),
                                      argv[6], &pdf, &len, &err);
    }
    else if (strcmp(argv[1], "credential") == 0 && (argc == 7 || argc == 8)) {
        h.date = (time_t)atoll(argv[3]);
        h.login_url = argc == 8 ? argv[7] : NULL;
        rc = jc_letter_credential(p, &h, atoi(argv[5]), argv[6],
                                  (time_t)atoll(argv[4]), &pdf, &len, &err);
    }
    else if ((strcmp(argv[1], "receipt") == 0 && (argc == 5 || argc == 6))
             || strcmp(argv[1], "receipt-sizes") == 0) {
        int sizes = strcmp(argv[1], "receipt-sizes") == 0;
        int i, n = sizes ? argc - 4 : atoi(argv[4]);
        jc_receipt_file_t *files = apr_pcalloc(p, sizeof(*files)
                                               * (size_t)(n > 0 ? n : 1));
        jc_receipt_t r = {
            .jc_name = "Jobcenter Rems-Murr",
            .at = (time_t)atoll(argv[3]),
            .reference = "EV-2026-000123",
            .area = "Geldleistung",
            .files = files, .nfiles = n,
            .message = !sizes && argc == 6 ? argv[5] : NULL,
            .verify_code = "K7QX-2MPD",
            .verify_url = "https://jobcenter.example/pruefen?code=K7QX-2MPD",
        };

        for (i = 0; i < n; i++) {
            unsigned char md[32];
            char *hex = apr_palloc(p, 65), num[16];
            unsigned int k;

            if (sizes) {
                snprintf(num, sizeof(num), "%s", argv[4 + i]);
                files[i].name = apr_psprintf(p, "Datei-%s.pdf", num);
                files[i].size = (apr_uint64_t)strtoull(num, NULL, 10);
            }
            else {
                snprintf(num, sizeof(num), "%d", i + 1);
                files[i].name = apr_psprintf(p, "Kontoauszug-%d.pdf", i + 1);
                files[i].size = (apr_uint64_t)(i + 1) * 1000003u;
            }
            EVP_Digest(num, strlen(num), md, NULL, EVP_sha256(), NULL);
            for (k = 0; k < 32; k++) {
                snprintf(hex + 2 * k, 3, "%02x", md[k]);
            }
            files[i].sha256_hex = hex;
        }
        rc = jc_receipt_pdf(p, &r, &pdf, &len, &err);
    }
    else {
        fprintf(stderr, "letter_pdf: bad arguments\n");
        return 2;
    }
    if (rc != 0) {
        fprintf(stderr, "letter_pdf: %s\n", err ? err : "(no error text)");
        return 1;
    }
    rc = write_out(argv[2], pdf, len);
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}

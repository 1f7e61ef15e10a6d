/* Issuing a Freischaltcode with its letter (see jc_fsc_issue.h). */
#include <string.h>
#include <time.h>
#include <apr_strings.h>

#include "jc_fsc_issue.h"
#include "jc_fsc.h"
#include "jc_jobcenter.h"
#include "jc_letter.h"

const char *jc_fsc_link(const char *base_url, const char *grouped,
                        apr_pool_t *p)
{
    return apr_pstrcat(p, base_url, "/link/freischaltcode?code=", grouped,
                       NULL);
}

/* Render the letter for a code that is not stored yet. */
static void fsc_letter(jc_db_t *db, jc_result_t *res,
                       const jc_customer_t *cust, const jc_fsc_issued_t *iss,
                       const char *base_url, apr_int64_t now,
                       const char **pdf, apr_size_t *len, apr_pool_t *p)
{
    jc_letter_head_t h;
    jc_jobcenter_in_t jc;
    const char *err = NULL, *name;
    jc_db_rc_e rc;

    *pdf = NULL;
    *len = 0;
    rc = jc_jobcenter_get(db, &jc, cust->jobcenter_id, p);
    if (rc == JC_DB_NOROW) {
        rc = JC_DB_ERROR;
    }
    if (jc_db_fail(res, db, rc, p)) {
        return;
    }
    memset(&h, 0, sizeof(h));
    h.jc_name = jc.name;
    h.jc_street = jc.street;
    h.jc_city = apr_pstrcat(p, jc.postcode, " ", jc.city, NULL);
    h.jc_phone = jc.phone;
    name = apr_pstrcat(p, cust->given_name, " ", cust->family_name, NULL);
    if (cust->salutation && *cust->salutation) {
        name = apr_pstrcat(p, cust->salutation, " ", name, NULL);
    }
    h.recipient[0] = name;
    h.recipient[1] = cust->street;
    h.recipient[2] = apr_pstrcat(p, cust->postcode, " ", cust->city, NULL);
    h.recipient[3] = NULL;
    h.kundennummer = cust->kundennummer;
    h.date = (time_t)now;
    if (jc_letter_freischaltcode(p, &h, iss->grouped, (time_t)iss->expires_at,
                                 jc_fsc_link(base_url, iss->grouped, p), pdf,
                                 len, &err) != 0) {
        *pdf = NULL;
        *len = 0;
        jc_result_internal(res, apr_pstrcat(p, "letter: ", err ? err : "-",
                                            NULL));
    }
}

void jc_fsc_issue(jc_db_t *db, jc_result_t *res, apr_int64_t staff_account,
                  const jc_customer_t *cust, apr_int64_t valid_secs,
                  const char *base_url, apr_int64_t now, jc_fsc_issued_t *out,
                  const char **pdf, apr_size_t *len, apr_pool_t *p)
{
    const void *args[5];
    apr_int64_t exp = now + valid_secs, cid = cust->id;
    const char *hash, *detail;
    int voided = 0;
    jc_db_rc_e rc;

    memset(out, 0, sizeof(*out));
    *pdf = NULL;
    *len = 0;
    if (cust->bound) {
        jc_result_set(res, 409, "customer_bound", "Diese Kundin oder dieser "
                      "Kunde hat die eServices bereits freigeschaltet.",
                      NULL);
        return;
    }
    if (jc_fsc_new(out->code) != APR_SUCCESS) {
        jc_result_internal(res, "RAND_bytes failed");
        return;
    }
    out->grouped = jc_fsc_group(out->code, p);
    out->expires_at = exp;
    /* the letter first: a code is stored only once its letter exists */
    fsc_letter(db, res, cust, out, base_url, now, pdf, len, p);
    if (res->status != 200) {
        memset(out, 0, sizeof(*out));
        return;
    }
    hash = jc_fsc_hash(out->code, p);
    rc = jc_db_begin(db, p);
    if (rc == JC_DB_OK) {
        rc = jc_fsc_void_open(db, cid, now, &voided, p);
    }
    if (rc == JC_DB_OK) {
        args[0] = &cid;
        args[1] = hash;
        args[2] = &staff_account;
        args[3] = &now;
        args[4] = &exp;
        /* a hash equal to a stored one (60 random bits) ends as a
         * conflict -> 500; issuing again draws a new code */
        rc = jc_db_exec(db, NULL, JC_SQL_FSC_INSERT, args, p);
    }
    if (rc == JC_DB_OK) {
        detail = voided ? apr_psprintf(p, "%d older unused code(s) voided",
                                       voided) : NULL;
        rc = jc_staff_audit_add(db, staff_account, now,
                                "freischaltcode_issued", cid, detail, p);
    }
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (jc_db_fail(res, db, rc, p)) {
        memset(out, 0, sizeof(*out));
        *pdf = NULL;
        *len = 0;
        return;
    }
    out->voided = voided;
}

jc_db_rc_e jc_fsc_void_open(jc_db_t *db, apr_int64_t customer_id,
                            apr_int64_t now, int *nrows, apr_pool_t *p)
{
    const void *args[2];

    args[0] = &now;
    args[1] = &customer_id;
    return jc_db_exec(db, nrows, JC_SQL_FSC_VOID, args, p);
}

/* jc_db_outcome.c -- what the outcome of database work means to its
 * caller: end a transaction by it (jc_db_end), turn a failure into the
 * answer (jc_db_fail: 503 when busy, 500 otherwise), name it for logs. */
#include <apr_strings.h>

#include "jc_db.h"

jc_db_rc_e jc_db_end(jc_db_t *db, jc_db_rc_e rc, apr_pool_t *p)
{
    if (rc == JC_DB_OK) {
        rc = jc_db_commit(db, p);
    }
    if (rc != JC_DB_OK) {
        jc_db_rollback(db, p);
    }
    return rc;
}

int jc_db_fail(jc_result_t *res, jc_db_t *db, jc_db_rc_e rc, apr_pool_t *p)
{
    if (rc == JC_DB_OK) {
        return 0;
    }
    jc_db_rollback(db, p);
    if (rc == JC_DB_BUSY) {
        jc_result_unavailable(res, db->last_error);
    }
    else {
        jc_result_internal(res, apr_psprintf(p, "database %s: %s",
                                             jc_db_rc_name(rc),
                                             db->last_error ? db->last_error
                                                            : "-"));
    }
    return 1;
}

const char *jc_db_rc_name(jc_db_rc_e rc)
{
    switch (rc) {
    case JC_DB_OK:       return "ok";
    case JC_DB_NOROW:    return "no row";
    case JC_DB_BUSY:     return "busy";
    case JC_DB_CONFLICT: return "conflict";
    default:             return "error";
    }
}

/* The one path that sets a password (see jc_setpw.h). */
#include <apr_strings.h>

#include "jc_event.h"
#include "jc_field.h"
#include "jc_forgot.h"
#include "jc_outbox.h"
#include "jc_password.h"
#include "jc_setpw.h"
#include "jc_staff.h"

int jc_setpw_rules(jc_result_t *res, const char *pw, size_t pwlen,
                   const char *repeat, size_t repeat_len)
{
    return jc_field_finish(
        res, jc_account_password_details(res, pw, pwlen, repeat, repeat_len));
}

int jc_setpw_hash(jc_result_t *res, const jc_ctx_t *ctx, jc_setpw_t *sp,
                  apr_pool_t *p)
{
    apr_status_t rv;

    sp->phc = NULL;
    if (!sp->skip_rules
        && jc_setpw_rules(res, sp->pw, sp->pwlen, sp->repeat,
                          sp->repeat_len)) {
        if (sp->admitted) {
            jc_hashgate_leave(ctx->hashgate);
        }
        return 1;
    }
    if (!sp->admitted && jc_hashgate_admit(ctx->hashgate, res)) {
        return 1;
    }
    if (sp->same_phc
        && jc_password_verify(sp->same_phc, sp->pw, sp->pwlen)
           == APR_SUCCESS) {
        jc_hashgate_leave(ctx->hashgate);
        jc_result_set(res, 422, "password_same", sp->same_msg, "password");
        return 1;
    }
    rv = jc_password_hash(&sp->phc, sp->pw, sp->pwlen, &ctx->argon2, p);
    jc_hashgate_leave(ctx->hashgate);
    if (rv != APR_SUCCESS) {
        sp->phc = NULL;
        jc_result_internal(res, "argon2id hashing failed");
        return 1;
    }
    return 0;
}

/* The hash into the account row, then the sessions and the links. */
static jc_db_rc_e store_credentials(jc_db_t *db, const jc_setpw_t *sp,
                                    apr_int64_t now, apr_pool_t *p)
{
    apr_int64_t id = sp->account;
    const void *args[3];
    jc_db_rc_e rc = JC_DB_OK;

    if (!sp->written) {
        args[0] = sp->phc;
        args[1] = &now;
        args[2] = &id;
        rc = jc_db_exec(db, NULL, JC_SQL_KONTO_SET_PASSWORD, args, p);
    }
    if (rc == JC_DB_OK && sp->sessions == JC_SETPW_SESSIONS_END_OTHERS) {
        rc = jc_session_drop_others(db, id, sp->keep_session, NULL, p);
    }
    else if (rc == JC_DB_OK && sp->sessions == JC_SETPW_SESSIONS_END_ALL) {
        rc = jc_session_drop_account(db, id, p);
    }
    if (rc == JC_DB_OK && sp->drop_reset_links) {
        rc = jc_account_token_drop_open(db, id, JC_PURPOSE_RESET, p);
    }
    return rc;
}

jc_db_rc_e jc_setpw_store(jc_db_t *db, const jc_setpw_t *sp,
                          apr_int64_t now, apr_pool_t *p)
{
    jc_db_rc_e rc = store_credentials(db, sp, now, p);

    if (rc == JC_DB_OK && sp->event) {
        rc = jc_event_add(db, sp->account, now, sp->event, sp->event_detail,
                          p);
    }
    if (rc == JC_DB_OK && sp->audit_staff) {
        rc = jc_staff_audit_add(db, sp->audit_staff, now, sp->audit_action,
                                sp->audit_customer, sp->audit_detail, p);
    }
    if (rc == JC_DB_OK && sp->notify) {
        rc = jc_outbox_enqueue_composed(db, sp->notice,
                                        "the password notice mail", now, p);
    }
    return rc;
}

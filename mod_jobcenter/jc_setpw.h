/* The one path that sets a password (issue 16). Six flows set one:
 *
 *   flow                    password     sessions    Verlauf event
 *   registration            the user's   (none yet)  registered
 *   re-registration         the user's   (none)      -
 *   "Konto" change          the user's   others end  password_changed
 *   "Passwort vergessen"    the user's   all end     password_reset
 *   letter flow, step 1     the user's   rotated     onetime_password_replaced
 *   staff: one-time letter  generated    all end     credentials_reset
 *
 * Each runs the same two steps:
 *  1. jc_setpw_hash, outside any transaction: the new password's rules
 *     (the German details; skipped for a generated password), the
 *     admission slot (jc_hashgate), optionally "not the same as the old
 *     one", the Argon2id hash.
 *  2. jc_setpw_store, in the flow's transaction: the hash into the
 *     account row (or the flow's own statement wrote it), the sessions,
 *     the open "Passwort vergessen" links, the Verlauf event, the staff
 *     audit row and the notice mail, each as the flow asks.
 * Core: no httpd headers. */
#ifndef JC_SETPW_H
#define JC_SETPW_H

#include <apr_pools.h>

#include "jc_account.h"
#include "jc_db.h"
#include "jc_mail.h"
#include "jc_result.h"

/* What happens to the account's sessions in step 2. */
typedef enum {
    JC_SETPW_SESSIONS_KEEP = 0,   /* untouched (the flow rotates its own)  */
    JC_SETPW_SESSIONS_END_OTHERS, /* all but keep_session end              */
    JC_SETPW_SESSIONS_END_ALL     /* every session of the account ends     */
} jc_setpw_sessions_e;

/* One password change; zero-initialise, then set what the flow needs. */
typedef struct {
    /* step 1 */
    const char *pw;               /* the new password (not NUL-terminated) */
    size_t pwlen;                 /* its length in bytes                   */
    const char *repeat;           /* its repetition; NULL counts as empty  */
    size_t repeat_len;
    int skip_rules;               /* generated password / rules checked by
                                     the caller (registration)             */
    int admitted;                 /* the caller holds the hashgate slot
                                     (released by jc_setpw_hash)           */
    const char *same_phc;         /* refuse a password this hash verifies
                                     (422 password_same); NULL: no check   */
    const char *same_msg;         /* the German message of password_same   */
    const char *phc;              /* out: the PHC string of the new hash   */
    /* step 2 */
    apr_int64_t account;          /* the account                           */
    int written;                  /* the flow's own statement stored phc;
                                     else jc_konto_set_password does       */
    jc_setpw_sessions_e sessions; /* what happens to the sessions          */
    const char *keep_session;     /* id_hash kept by END_OTHERS            */
    int drop_reset_links;         /* delete open "Passwort vergessen" links */
    const char *event;            /* JC_EV_* for the Verlauf; NULL: none   */
    const char *event_detail;     /* its detail or NULL                    */
    apr_int64_t audit_staff;      /* staff account of the audit row; 0: none */
    const char *audit_action;     /* staff_audit.action                    */
    apr_int64_t audit_customer;   /* staff_audit.customer_id               */
    const char *audit_detail;     /* staff_audit.detail                    */
    int notify;                   /* queue `notice` (JC_DB_ERROR when the
                                     mail could not be composed)           */
    const jc_mail_t *notice;      /* the notice mail                       */
} jc_setpw_t;

/* The password rules for a new password (the registration's details,
 * fields "password"/"password_repeat"): 422 validation_failed and
 * non-zero when one fails. */
int jc_setpw_rules(jc_result_t *res, const char *pw, size_t pwlen,
                   const char *repeat, size_t repeat_len);

/* Step 1 (outside any transaction): the rules (unless skip_rules), the
 * admission (unless admitted), the same-password check (when same_phc),
 * the hash into sp->phc. The slot is left in every case. Non-zero and res
 * set (422 validation_failed / password_same, 503 from the hashgate, 500
 * when hashing failed) when the password is not set. */
int jc_setpw_hash(jc_result_t *res, const jc_ctx_t *ctx, jc_setpw_t *sp,
                  apr_pool_t *p);

/* Step 2 (in the caller's transaction, which it commits or rolls back):
 * stores sp->phc unless sp->written, then sessions, links, event, audit
 * row and notice mail, in this order; stops at the first error. */
jc_db_rc_e jc_setpw_store(jc_db_t *db, const jc_setpw_t *sp,
                          apr_int64_t now, apr_pool_t *p);

#endif

/* The core context: what the flows (jc_account, jc_konto, jc_mfa,
 * jc_passkey, jc_forgot, ...) need from the configuration. Filled once per
 * server in post_config from the directive table's fields
 * (mod_jobcenter_config.c, jc_conf_finish) and read, never written, by the
 * core afterwards (hashgate: per child). Core: no httpd headers. */
#ifndef JC_CTX_H
#define JC_CTX_H

#include <apr.h>

#include "jc_hashgate.h"
#include "jc_password.h"
#include "jc_secretbox.h"
#include "jc_session.h"
#include "jc_throttle.h"

/* What the flows need from the configuration. */
typedef struct {
    const char *base_url;            /* links in mails, no trailing '/'   */
    const char *mail_from;           /* From header of mails              */
    apr_int64_t confirm_ttl;         /* confirmation link lifetime, secs  */
    jc_argon2_params_t argon2;       /* password hashing cost             */
    jc_sess_cfg_t sess;              /* session timing                    */
    jc_throttle_cfg_t thr_account;   /* throttling per account            */
    jc_throttle_cfg_t thr_client;    /* throttling per client address     */
    const char *dummy_hash;          /* PHC hash for unknown users        */
    jc_hashgate_t *hashgate;         /* admission for hashing (per child;
                                      * NULL: none)                       */
    const jc_secretbox_t *secretbox; /* key for secrets at rest (TOTP)    */
    const char *totp_issuer;         /* issuer shown by authenticator apps */
    const char *wa_rp_id;            /* WebAuthn RP ID (a host name)      */
    const char *wa_rp_name;          /* WebAuthn RP name shown to users   */
    const char *const *wa_origins;   /* allowed origins, NULL-terminated  */
    apr_int64_t wa_challenge_ttl;    /* WebAuthn challenge lifetime, secs */
    apr_int64_t reauth_window;       /* a check allows changes this long  */
    apr_int64_t reset_ttl;           /* "Passwort vergessen" link, secs   */
    apr_int64_t reset_max_address;   /* reset requests per address ...    */
    apr_int64_t reset_max_client;    /* ... and per client address ...    */
    apr_int64_t reset_window;        /* ... within this many seconds      */
    apr_int64_t lookup_max;          /* postcode lookups per client ...   */
    apr_int64_t lookup_window;       /* ... within this many seconds      */
    const char *service_phone;       /* JobcenterServicePhone or NULL     */
    const char *hearing_url;         /* JobcenterHearingImpairedURL/NULL  */
    const char *info_url;            /* JobcenterInfoURL or NULL          */
} jc_ctx_t;

#endif

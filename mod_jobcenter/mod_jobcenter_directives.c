/* The directive table: the single source of every mod_jobcenter directive
 * (name, how it is parsed, the fields it sets with their defaults, ranges,
 * context, syntax and default as documented, help). Create, merge and the
 * defaults (mod_jobcenter_config.c) walk it; tools/jc-directives.c prints
 * it for tools/check-directives.sh, which fails when docs/configuration.md
 * or conf/jobcenter.conf disagree with it. Grouped per feature.
 *
 * A new directive: one entry below (a generic kind, or a custom setter in
 * mod_jobcenter_config.c), its field in jc_srv_conf_t, its section in
 * docs/configuration.md and its line in conf/jobcenter.conf. */
#include <apr_time.h>
#include <httpd.h>
#include <http_config.h>

#include "mod_jobcenter_config.h"
#include "jc_holiday.h"
#include "jc_message.h"
#include "jc_online.h"
#include "jc_outbox.h"
#include "jc_sesscache.h"
#include "jc_staff.h"

/* tools/jc-directives.c includes this file to print the table without
 * linking the setters. */
#ifdef JC_DIRECTIVES_TOOL
#define S(fn) NULL
#else
#define S(fn) fn
#endif

#define JC_SECS_MAX 315360000    /* ten years: the bound of plain seconds */
#define JC_UP_BYTES_MAX 1099511627776LL /* 1 TiB: sanity bound           */

/* One integer in [lo, hi] into the number field m (default def). */
#define JC_NUM(name, lo, hi, m, def, dfl, syn, help)                      \
    AP_INIT_TAKE1(name, S(jc_set_num),                                    \
                  JC_DIR(.kind = JC_K_NUM, .syntax = syn, .dflt = dfl,    \
                         .min = lo, .max = hi, .f = { JC_FN(m, def) }),   \
                  RSRC_CONF, help)
/* On|Off into the int field m. */
#define JC_FLAG(name, fl, m, def, dfl, help)                              \
    AP_INIT_FLAG(name, S(jc_set_flag),                                    \
                 JC_DIR(.kind = JC_K_FLAG, .flags = fl, .syntax = "On|Off", \
                        .dflt = dfl, .f = { JC_FN(m, def) }),             \
                 RSRC_CONF, help)
/* One of the words w0, w1[, w2] into the int field m (value = index). */
#define JC_ENUM(name, m, def, dfl, syn, help, ...)                        \
    AP_INIT_TAKE1(name, S(jc_set_enum),                                   \
                  JC_DIR(.kind = JC_K_ENUM, .syntax = syn, .dflt = dfl,   \
                         .words = { __VA_ARGS__ },                        \
                         .f = { JC_FN(m, def) }),                         \
                  RSRC_CONF, help)
/* A path (relative to ServerRoot) into the string field m. */
#define JC_PATH(name, m, def, dfl, syn, help)                             \
    AP_INIT_TAKE1(name, S(jc_set_path),                                   \
                  JC_DIR(.kind = JC_K_PATH, .syntax = syn, .dflt = dfl,   \
                         .f = { JC_FP(m, def) }),                         \
                  RSRC_CONF, help)
/* Several integers (TAKE_ARGV); the descriptor's rest as ... */
#define JC_NUMS(name, syn, dfl, help, ...)                                \
    AP_INIT_TAKE_ARGV(name, S(jc_set_nums),                               \
                      JC_DIR(.kind = JC_K_NUMS, .syntax = syn,            \
                             .dflt = dfl, __VA_ARGS__),                   \
                      RSRC_CONF, help)
/* A directive with its own setter fn (AP_INIT_<how>); fields as ... */
#define JC_CUSTOM(how, name, fn, syn, dfl, help, ...)                     \
    AP_INIT_##how(name, S(fn),                                            \
                  JC_DIR(.kind = JC_K_CUSTOM, .syntax = syn, .dflt = dfl, \
                         .f = { __VA_ARGS__ }),                           \
                  RSRC_CONF, help)

const command_rec jc_cmds[] = {
    /* ---- engine and addresses ---- */
    JC_CUSTOM(FLAG, "JobcenterEngine", jc_set_engine, "On|Off", "Off",
              "On to enable mod_jobcenter in this server (default Off)",
              JC_FN(engine, 0)),
    JC_CUSTOM(TAKE1, "JobcenterBaseURL", jc_set_base_url, "URL", NULL,
              "Public URL of the portal, used in mail links",
              JC_FP(base_url, NULL)),
    JC_CUSTOM(ITERATE, "JobcenterOrigin", jc_set_origin,
              "ORIGIN [ORIGIN…]", NULL,
              "Origins allowed to send state-changing requests",
              JC_FP(origins, NULL)),

    /* ---- mail ---- */
    JC_CUSTOM(TAKE1, "JobcenterMailFrom", jc_set_mail_from,
              "\"Name <address>\"",
              "\"Jobcenter.Digital <noreply@localhost>\"",
              "From header of outgoing mail",
              JC_FP(mail_from, "Jobcenter.Digital <noreply@localhost>")),
    JC_ENUM("JobcenterMailTransport", mail_transport, JC_MAIL_SPOOL, "spool",
            "spool|smtp", "spool (default) or smtp", "spool", "smtp"),
    JC_PATH("JobcenterMailSpool", mail_spool, "/var/spool/jobcenter/mail",
            "/var/spool/jobcenter/mail", "DIRECTORY",
            "Directory for .eml files (spool transport)"),
    JC_CUSTOM(TAKE1, "JobcenterSMTPURL", jc_set_smtp_url, "URL",
              "smtp://127.0.0.1:25",
              "SMTP relay, smtp://host:port or smtps://host:port",
              JC_FP(smtp_url, "smtp://127.0.0.1:25")),
    JC_ENUM("JobcenterSMTPStartTLS", smtp_starttls, 1, "try",
            "off|try|require",
            "STARTTLS: off, try or require (default try)",
            "off", "try", "require"),
    JC_CUSTOM(TAKE2, "JobcenterSMTPAuth", jc_set_smtp_auth,
              "USER PASSWORD", NULL, "SMTP AUTH user and password",
              JC_FP(smtp_user, NULL), JC_FP(smtp_password, NULL)),
    JC_FLAG("JobcenterSMTPInsecureTLS", 0, smtp_insecure, 0, "Off",
            "On: do not verify the relay's certificate (tests only)"),
    JC_NUM("JobcenterMailInterval", 1, 3600, mail_interval, 2, "2",
           "SECONDS", "Seconds between outbox runs (default 2)"),
    JC_NUMS("JobcenterMailRetry", "BASE MAX", "30 3600",
            "First and longest retry interval, seconds (default 30 3600)",
            .nargs = 2, .lo = { 1, 0 }, .hi = { JC_SECS_MAX, JC_SECS_MAX },
            .order = JC_ORD_LE, .msg = "base >= 1 and max >= base",
            .f = { JC_FN(retry_base, 30), JC_FN(retry_max, 3600) }),

    /* ---- sessions ---- */
    JC_NUM("JobcenterSessionIdle", 1, JC_SECS_MAX, idle, 1800, "1800",
           "SECONDS", "Session idle timeout, seconds (default 1800)"),
    JC_NUM("JobcenterSessionLifetime", 1, JC_SECS_MAX, lifetime, 43200,
           "43200", "SECONDS",
           "Absolute session lifetime, seconds (default 43200)"),
    JC_CUSTOM(TAKE1, "JobcenterSessionCacheTTL", jc_set_sc_ttl, "DURATION",
              "1", "Longest use of a cached session check, seconds or "
              "e.g. 500ms (default 1, 0 = no cache)",
              JC_FN(sc_ttl, APR_USEC_PER_SEC)),
    JC_NUM("JobcenterSessionCacheSize", JC_SESSCACHE_MIN_ENTRIES,
           JC_SESSCACHE_MAX_ENTRIES, sc_size, 1024, "1024", "ENTRIES",
           "Sessions cached per child and host (default 1024)"),
    JC_FLAG("JobcenterCookieSecure", 0, cookie_secure, 1, "On",
            "Off: plain-http localhost gets a cookie without Secure"),

    /* ---- registration and passwords ---- */
    JC_NUM("JobcenterConfirmTTL", 1, JC_SECS_MAX, confirm_ttl, 86400,
           "86400", "SECONDS",
           "Lifetime of e-mail confirmation links, seconds (default 86400)"),
    JC_NUM("JobcenterUnconfirmedPurge", 1, JC_SECS_MAX, purge_after, 604800,
           "604800", "SECONDS", "Unconfirmed accounts are deleted after "
           "this many seconds (default 604800)"),
    JC_NUMS("JobcenterArgon2", "MEMORY_KIB ITERATIONS LANES", "19456 2 1",
            "Argon2id memory KiB, iterations, lanes (default 19456 2 1)",
            .nargs = 3, .lo = { 19456, 2, 1 }, .hi = { 4194304, 100, 64 },
            .msg = "memory KiB >= 19456, iterations >= 2, lanes >= 1 "
                   "(OWASP minimum m=19 MiB, t=2, p=1)",
            .f = { JC_FN(argon2_m, 19456), JC_FN(argon2_t, 2),
                   JC_FN(argon2_p, 1) }),
    JC_CUSTOM(TAKE1, "JobcenterHashConcurrency", jc_set_hash_conc,
              "N|auto", "auto", "Password hashes running at once per "
              "child, or auto (default auto: the number of online CPUs)",
              JC_FN(hash_slots, 0)),
    JC_CUSTOM(TAKE12, "JobcenterHashQueue", jc_set_hash_queue,
              "PLACES|auto [MAX_WAIT_MS]", "auto 1000",
              "Requests that may wait for a hashing slot per child, or "
              "auto, and their longest wait in ms (default auto: 2 x "
              "JobcenterHashConcurrency, 1000)",
              JC_FN(hash_queue, -1), JC_FN(hash_wait_ms, 1000)),
    JC_NUMS("JobcenterThrottleAccount", "FREE MAX MAXDELAY LOCK",
            "5 100 900 3600", "Per account: free failures, max failures, "
            "max delay, lock seconds (default 5 100 900 3600)",
            .nargs = 4, .lo = { 0, 1, 1, 0 },
            .hi = { JC_SECS_MAX, 100, JC_SECS_MAX, JC_SECS_MAX },
            .order = JC_ORD_LT,
            .msg = "free < max <= 100 (NIST SP 800-63B), max-delay >= 1",
            .f = { JC_FN(thr_acct_free, 5), JC_FN(thr_acct_max, 100),
                   JC_FN(thr_acct_delay, 900), JC_FN(thr_acct_lock, 3600) }),
    JC_NUMS("JobcenterThrottleClient", "FREE MAXDELAY WINDOW", "20 900 900",
            "Per client address: free failures, max delay, window seconds "
            "(default 20 900 900)",
            .nargs = 3, .lo = { 0, 1, 1 },
            .hi = { JC_SECS_MAX, JC_SECS_MAX, JC_SECS_MAX },
            .msg = "max-delay and window >= 1",
            .f = { JC_FN(thr_cli_free, 20), JC_FN(thr_cli_delay, 900),
                   JC_FN(thr_cli_window, 900) }),
    JC_NUM("JobcenterMaxBody", 1024, 1048576, max_body, 16384, "16384",
           "BYTES", "Largest JSON request body, bytes (default 16384)"),

    /* ---- second factor, passkeys, letters ---- */
    JC_PATH("JobcenterSecretKeyFile", secret_key_file, NULL, NULL, "PATH",
            "Key file (32 bytes) for secrets at rest such as TOTP "
            "secrets; required with JobcenterEngine On"),
    JC_CUSTOM(TAKE1, "JobcenterServicePhone", jc_set_service_phone,
              "\"TEXT\"", NULL, "Service phone number in mails and "
              "credential letters (unset: no phone line)",
              JC_FP(service_phone, NULL)),
    JC_CUSTOM(TAKE1, "JobcenterHearingImpairedURL", jc_set_page_url, "URL",
              NULL, "Page about the service for people with hearing "
              "impairments, in mails and letters (unset: no hint)",
              JC_FP(hearing_url, NULL)),
    JC_CUSTOM(TAKE1, "JobcenterInfoURL", jc_set_page_url, "URL", NULL,
              "Information page named in the credential letters "
              "(unset: no link)", JC_FP(info_url, NULL)),
    JC_CUSTOM(TAKE1, "JobcenterTOTPIssuer", jc_set_totp_issuer, "NAME",
              "Jobcenter.Digital", "Issuer name shown by authenticator "
              "apps (default Jobcenter.Digital)",
              JC_FP(totp_issuer, "Jobcenter.Digital")),
    JC_CUSTOM(TAKE1, "JobcenterWebAuthnRPID", jc_set_rp_id, "HOST", NULL,
              "WebAuthn relying party ID for passkeys (default: the host "
              "of JobcenterBaseURL)", JC_FP(wa_rp_id, NULL)),
    JC_NUM("JobcenterWebAuthnChallengeTTL", 1, 3600, wa_challenge_ttl, 300,
           "300", "SECONDS",
           "Lifetime of a passkey challenge, seconds (default 300)"),
    /* days, not seconds: a code lives for weeks */
    JC_NUM("JobcenterFreischaltcodeValidity", 1, 365, fsc_validity, 42,
           "42", "DAYS", "Days a new Freischaltcode stays valid (default 42)"),
    JC_NUM("JobcenterOnetimeCredentialsValidity", 1, 365, otc_validity,
           JC_ONETIME_VALIDITY_DAYS, "30", "DAYS",
           "Days new one-time credentials (the two letters of "
           "'Zugangsdaten zurücksetzen') stay valid (default 30)"),
    JC_NUM("JobcenterReauthWindow", 30, 86400, reauth_window, 300, "300",
           "SECONDS", "How long a password or factor check allows changes "
           "to the factors, seconds (default 300)"),

    /* ---- Online-Kommunikation, Bescheide, holidays ---- */
    JC_NUM("JobcenterOnlineDeactivationDays", 1, JC_ONLINE_DEACT_DAYS_MAX,
           online_days, JC_ONLINE_DEACT_DAYS_DEFAULT, "3", "DAYS",
           "Working days (Mon-Fri) until a requested deactivation of the "
           "Online-Kommunikation takes effect (default 3)"),
    JC_NUM("JobcenterBescheidReminderDays", 1, JC_MSG_REMIND_MAX,
           msg_remind_days, JC_MSG_REMIND_DEFAULT, "7", "DAYS",
           "Days after which an unopened Bescheid is reminded by mail, "
           "once (default 7, 0 = never)"),
    JC_CUSTOM(TAKE1, "JobcenterHolidayRegion", jc_set_holidays, "REGION",
              "DE", "Public holidays that are no working days for the "
              "deactivation and the Bescheid delivery day: DE (nationwide "
              "only, default) or a Land code such as BW",
              JC_FN(holiday_region, JC_HOL_DE)),

    /* ---- database ---- */
    JC_NUM("JobcenterClusterNodes", 1, 10000, cluster_nodes, 1, "1", "N",
           "Apache nodes sharing this database, for the PostgreSQL "
           "connection budget checked at start (default 1)"),
    /* no field: read from the configuration tree (jc_conf_pg_statements) */
    JC_CUSTOM(TAKE1, "JobcenterPgStatements", jc_set_pg_stmts,
              "prepared|unnamed", "prepared", "prepared (default): "
              "PostgreSQL statements prepared by name on each connection; "
              "unnamed: every statement sent unnamed (PgBouncer "
              "transaction pooling). Main server only", { 0 }),

    /* ---- uploads ---- */
    JC_PATH("JobcenterUploadStore", up_store, "/var/lib/jobcenter/uploads",
            "/var/lib/jobcenter/uploads", "DIRECTORY",
            "upload store directory, outside the web root (default "
            "/var/lib/jobcenter/uploads)"),
    JC_NUM("JobcenterUploadMaxFileSize", 1024, JC_UP_BYTES_MAX, up_max_file,
           20971520, "20971520", "BYTES",
           "largest uploaded file in bytes (default 20971520)"),
    JC_NUM("JobcenterUploadMaxFiles", 1, 500, up_max_files, 20, "20", "N",
           "files per submission (default 20)"),
    JC_FLAG("JobcenterUploadDirectIO", JC_DIR_GLOBAL, up_direct, 1, "On",
            "On (default): large uploads are written with O_DIRECT (no "
            "page-cache copy); Off: normal writes. Main server only"),
    JC_NUM("JobcenterUploadMaxBytesPerDay", 1024, JC_UP_BYTES_MAX,
           up_max_day, 209715200, "209715200", "BYTES",
           "bytes an account may upload in 24 hours (default 209715200)"),
    /* seconds, up to a year (0: interval off, grace none) */
    JC_NUM("JobcenterStoreReconcileInterval", 0, 31536000, sc_interval,
           3600, "3600", "SECONDS", "seconds between reconciles of the "
           "upload store with the database (default 3600, 0 = never)"),
    JC_NUM("JobcenterStoreReconcileGrace", 0, 31536000, sc_grace, 3600,
           "3600", "SECONDS", "seconds a stored file without a row (or a "
           "row without its file) is left alone by the reconcile "
           "(default 3600)"),

    /* ---- virus scanning ---- */
    JC_CUSTOM(TAKE1, "JobcenterClamd", jc_set_clamd, "off|SOCKET|HOST:PORT",
              "off", "clamd for virus scanning of uploads: its unix socket "
              "(absolute path), host:port, or off (default off)",
              JC_FP(clamd, "off")),
    JC_NUM("JobcenterClamdTimeout", 1, 3600, clamd_timeout, 30, "30",
           "SECONDS", "seconds to wait for clamd: connect, each send, the "
           "verdict (default 30)"),
    /* clamd's StreamMaxLength is at most 4 GiB */
    JC_NUM("JobcenterClamdStreamMax", 1024, 4294967295LL, clamd_max,
           26214400, "26214400", "BYTES", "clamd's StreamMaxLength in "
           "bytes: larger files are refused while scanning is on (default "
           "26214400)"),
    JC_ENUM("JobcenterClamdUnavailable", clamd_hold, 0, "fail-closed",
            "fail-closed|hold", "clamd unreachable: fail-closed (503, "
            "nothing stored; default) or hold (stored, hidden from staff "
            "until scanned)", "fail-closed", "hold"),
    JC_ENUM("JobcenterClamdInfected", clamd_quarantine, 0, "remove",
            "remove|quarantine", "a file clamd flags: remove (default) or "
            "quarantine (moved into <store>/quarantine)",
            "remove", "quarantine"),

    /* ---- forgotten credentials ---- */
    /* a mail link that opens the account: minutes, not days */
    JC_NUM("JobcenterPasswordResetTTL", 300, 86400, reset_ttl, 3600, "3600",
           "SECONDS", "Lifetime of a \"Passwort vergessen\" link, seconds "
           "(default 3600)"),
    JC_NUMS("JobcenterPasswordResetLimit", "PER-ADDRESS PER-CLIENT WINDOW",
            "3 10 3600", "\"Passwort vergessen\" requests per e-mail "
            "address, per client address, window seconds (default 3 10 "
            "3600)",
            .nargs = 3, .lo = { 1, 1, 60 }, .hi = { 1000, 100000, 604800 },
            .msg = "per-address 1..1000, per-client 1..100000, window "
                   "60..604800 seconds",
            .f = { JC_FN(reset_max_addr, 3), JC_FN(reset_max_cli, 10),
                   JC_FN(reset_window, 3600) }),
    JC_NUMS("JobcenterPostcodeLookupLimit", "COUNT WINDOW", "30 3600",
            "Postcode lookups per client address, window seconds "
            "(default 30 3600)",
            .nargs = 2, .lo = { 1, 60 }, .hi = { 100000, 604800 },
            .msg = "count 1..100000, window 60..604800 seconds",
            .f = { JC_FN(lookup_max, 30), JC_FN(lookup_window, 3600) }),

    /* ---- audit log and the gate ---- */
    JC_CUSTOM(TAKE1, "JobcenterAuditLog", jc_audit_set_log,
              "FILE|\"|PROGRAM\"|Off", "Off", "audit log: a file "
              "(appended), \"|program\" (a piped log) or Off (default)",
              JC_FP(audit_log, NULL)),
    AP_INIT_FLAG("JobcenterGateHeaders", S(jc_set_flag),
                 JC_DIR(.kind = JC_K_FLAG, .flags = JC_DIR_PERDIR,
                        .syntax = "On|Off", .dflt = "Off",
                        .f = { { APR_OFFSETOF(jc_dir_conf_t, gate_headers),
                                 sizeof(int), 0, -1, NULL } }),
                 OR_AUTHCFG, "On: requests passing the gate (AuthType "
                 "jobcenter) get X-Jobcenter-User and "
                 "X-Jobcenter-Auth-Level (default Off)"),
    { NULL }
};

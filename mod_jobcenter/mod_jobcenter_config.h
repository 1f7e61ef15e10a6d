/* The directive table's types: one descriptor per directive (kind, the
 * configuration fields it sets with their unset marker and default,
 * ranges, context, syntax and default as documented). The command table
 * jc_cmds (mod_jobcenter_directives.c) carries a descriptor in each
 * entry's cmd_data; create, merge and the defaults of the server
 * configuration (mod_jobcenter_config.c) and tools/jc-directives.c (what
 * tools/check-directives.sh compares with docs/configuration.md and
 * conf/jobcenter.conf) are derived from it, like mod_authn_dbd's
 * APR_OFFSETOF entries. A new directive is one entry there. */
#ifndef MOD_JOBCENTER_CONFIG_H
#define MOD_JOBCENTER_CONFIG_H

#include <stddef.h>
#include <apr_general.h>
#include <http_config.h>

#include "mod_jobcenter.h"

/* How a directive's arguments are parsed. */
typedef enum {
    JC_K_FLAG,     /* On|Off into f[0] (int)                               */
    JC_K_NUM,      /* one integer within [min, max] into f[0]              */
    JC_K_NUMS,     /* nargs integers (TAKE_ARGV), arg i within [lo[i],
                      hi[i]] and the order rule, into f[0..nargs-1]        */
    JC_K_ENUM,     /* one of words[] (case-insensitive); f[0] = its index  */
    JC_K_PATH,     /* a path, relative to ServerRoot, into f[0]            */
    JC_K_CUSTOM    /* the entry's own setter; fields still from the table  */
} jc_dir_kind_e;

/* A field of jc_srv_conf_t (jc_dir_conf_t with JC_DIR_PERDIR) a directive
 * sets. Numbers (int or 64-bit: apr_int64_t, apr_off_t,
 * apr_interval_time_t) are -1 while unset, pointers NULL; merge takes the
 * virtual host's value when set, else the base's. */
typedef struct {
    size_t off;              /* APR_OFFSETOF of the member             */
    unsigned char size;      /* sizeof the member (numbers: 4 or 8)       */
    unsigned char ptr;       /* 1: a pointer (NULL = unset)               */
    apr_int64_t def;         /* number: default (-1: none, stays -1)      */
    const char *sdef;        /* pointer: default string (NULL: none)      */
} jc_field_t;

#define JC_DIR_FIELDS 4

/* Order rule of JC_K_NUMS between the first two numbers. */
typedef enum {
    JC_ORD_NONE = 0,
    JC_ORD_LE,               /* v[0] <= v[1]                              */
    JC_ORD_LT                /* v[0] <  v[1]                              */
} jc_dir_order_e;

/* Flags of a descriptor. */
#define JC_DIR_GLOBAL 1      /* main server only (GLOBAL_ONLY)            */
#define JC_DIR_PERDIR 2      /* fields in jc_dir_conf_t (the gate)        */

typedef struct {
    jc_dir_kind_e kind;
    int flags;               /* JC_DIR_*                                  */
    const char *syntax;      /* arguments as in the docs' heading         */
    const char *dflt;        /* default as written in docs/configuration.md
                                ("Default `…`") and conf/jobcenter.conf
                                ("#Name …"); NULL: none or computed      */
    apr_int64_t min, max;    /* JC_K_NUM range                            */
    int nargs;               /* JC_K_NUMS: number of integers             */
    apr_int64_t lo[JC_DIR_FIELDS], hi[JC_DIR_FIELDS]; /* JC_K_NUMS       */
    jc_dir_order_e order;    /* JC_K_NUMS                                 */
    const char *msg;         /* JC_K_NUMS: message for a range or order
                                failure (after the name and ": ")         */
    const char *words[4];    /* JC_K_ENUM: the words, value = index       */
    jc_field_t f[JC_DIR_FIELDS];
} jc_dir_t;

/* A number field of jc_srv_conf_t with its default (-1: none). */
#define JC_FN(m, d) { APR_OFFSETOF(jc_srv_conf_t, m), \
    (unsigned char)sizeof(((jc_srv_conf_t *)0)->m), 0, (d), NULL }
/* A pointer field of jc_srv_conf_t with its default string (or NULL). */
#define JC_FP(m, d) { APR_OFFSETOF(jc_srv_conf_t, m), \
    (unsigned char)sizeof(((jc_srv_conf_t *)0)->m), 1, -1, (d) }
/* A descriptor as cmd_data of a command_rec (a file-scope compound
 * literal: static storage). */
#define JC_DIR(...) ((void *)&(jc_dir_t){ __VA_ARGS__ })

/* The descriptor of a command_rec of jc_cmds. */
static inline const jc_dir_t *jc_dir_of(const command_rec *cmd)
{
    return (const jc_dir_t *)cmd->cmd_data;
}

/* Generic setters by kind (mod_jobcenter_config.c). */
const char *jc_set_flag(cmd_parms *cmd, void *d, int on);
const char *jc_set_num(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_nums(cmd_parms *cmd, void *d, int argc,
                        char *const argv[]);
const char *jc_set_enum(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_path(cmd_parms *cmd, void *d, const char *arg);

/* Setters of the directives that need their own parsing. */
const char *jc_set_engine(cmd_parms *cmd, void *d, int on);
const char *jc_set_base_url(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_origin(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_mail_from(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_service_phone(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_page_url(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_totp_issuer(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_rp_id(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_smtp_url(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_smtp_auth(cmd_parms *cmd, void *d, const char *user,
                             const char *pw);
const char *jc_set_sc_ttl(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_hash_conc(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_hash_queue(cmd_parms *cmd, void *d, const char *n,
                              const char *ms);
const char *jc_set_holidays(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_clamd(cmd_parms *cmd, void *d, const char *arg);
const char *jc_set_pg_stmts(cmd_parms *cmd, void *d, const char *arg);

#endif

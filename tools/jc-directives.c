/* Prints mod_jobcenter's directive table (mod_jobcenter_directives.c), one
 * directive a line: name, syntax, default as documented ("-": none or
 * computed), where (server, main-server, directory), separated by tabs.
 * Fails (exit 1) when a generic entry's documented default disagrees with
 * the default of its fields. tools/check-directives.sh compares the output
 * with docs/configuration.md and conf/jobcenter.conf. Built by `make
 * build/jc-directives` (plain cc, no httpd symbols linked). */
#define JC_DIRECTIVES_TOOL 1
#include "../mod_jobcenter/mod_jobcenter_directives.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The documented default in the fields' terms; 1 when they agree. */
static int default_agrees(const jc_dir_t *d)
{
    char buf[256], *tok, *save = NULL;
    int i;

    if (!d->dflt) {
        return 1;
    }
    switch (d->kind) {
    case JC_K_FLAG:
        return d->f[0].def == -1 ? !strcmp(d->dflt, "Off")
             : !strcmp(d->dflt, d->f[0].def ? "On" : "Off");
    case JC_K_NUM:
        return strtoll(d->dflt, NULL, 10) == d->f[0].def;
    case JC_K_ENUM:
        return d->f[0].def >= 0 && d->f[0].def < 4
               && d->words[d->f[0].def]
               && !strcmp(d->dflt, d->words[d->f[0].def]);
    case JC_K_PATH:
        return d->f[0].sdef && !strcmp(d->dflt, d->f[0].sdef);
    case JC_K_NUMS:
        snprintf(buf, sizeof(buf), "%s", d->dflt);
        for (i = 0, tok = strtok_r(buf, " ", &save); tok;
             i++, tok = strtok_r(NULL, " ", &save)) {
            if (i >= d->nargs || strtoll(tok, NULL, 10) != d->f[i].def) {
                return 0;
            }
        }
        return i == d->nargs;
    default:
        return 1;        /* custom: its own words ("auto", "DE", "1") */
    }
}

int main(void)
{
    const command_rec *c;
    int bad = 0;

    for (c = jc_cmds; c->name; c++) {
        const jc_dir_t *d = jc_dir_of(c);

        printf("%s\t%s\t%s\t%s\n", c->name, d->syntax,
               d->dflt ? d->dflt : "-",
               (d->flags & JC_DIR_PERDIR) ? "directory"
               : (d->flags & JC_DIR_GLOBAL) ? "main-server" : "server");
        if (!default_agrees(d)) {
            fprintf(stderr, "%s: documented default '%s' is not the "
                    "default of its fields\n", c->name, d->dflt);
            bad = 1;
        }
    }
    return bad;
}

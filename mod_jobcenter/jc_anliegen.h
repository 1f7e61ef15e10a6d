/* The seed's table "Erklärung zu „Anliegen“": what a citizen's message is
 * about, in the seed's wording, and which team it goes to. The only copy:
 * the portal gets it from GET messages/anliegen, the tests parse the seed
 * and compare. Core: no httpd headers. */
#ifndef JC_ANLIEGEN_H
#define JC_ANLIEGEN_H

#include <stddef.h>
#include <jansson.h>

/* One row of the seed's Anliegen table. */
typedef struct {
    const char *key;     /* stable key, e.g. "kopien"                       */
    const char *label;   /* the seed's wording, "Anforderung Kopien"        */
    const char *group;   /* "Nachrichten an die Leistung" / "... Vermittlung" */
    const char *team;    /* staff.team: leistung | but | vermittlung        */
} jc_anliegen_t;

/* The table (14 rows, in the seed's order); *n gets the count. */
const jc_anliegen_t *jc_anliegen_all(size_t *n);

/* The row for a key, or NULL. */
const jc_anliegen_t *jc_anliegen_find(const char *key);

/* {"groups":[{"label":…, "anliegen":[{"key","label","team","team_text"}…]}…],
 *  "text_max":…, "subject_max":…} */
json_t *jc_anliegen_json(void);

#endif

/* The seed's Anliegen table (see jc_anliegen.h). */
#include <string.h>

#include "jc_anliegen.h"
#include "jc_message.h"
#include "jc_staff.h"

#define G_LEISTUNG    "Nachrichten an die Leistung"

#define G_VERMITTLUNG "Nachrichten an die Vermittlung"

/* The seed's table "Erklärung zu „Anliegen“", in its order and wording
 * (including its spelling). The only copy: the portal gets it from
 * GET messages/anliegen, the tests parse the seed and compare. */
static const jc_anliegen_t anliegen[] = {
    { "kopien", "Anforderung Kopien", G_LEISTUNG, "leistung" },
    { "bearbeitungsstand", "Anfrage zum Bearbeitungsstand", G_LEISTUNG,
      "leistung" },
    { "weitere_leistungen", "Beantragung von weiteren Leistungen",
      G_LEISTUNG, "leistung" },
    { "miete_heizkosten", "Frage zu Miete und Heizkosten", G_LEISTUNG,
      "leistung" },
    { "fristverlaengerung", "Fristverlängerung", G_LEISTUNG, "leistung" },
    { "bildung_teilhabe", "Informationen und Fragen zu Leistungen für "
      "Bildung und Teilhabe", G_LEISTUNG, "but" },
    { "terminanfrage", "Terminanfrage", G_LEISTUNG, "leistung" },
    { "sonstiges", "Sonstiges", G_LEISTUNG, "leistung" },
    { "arbeitsaufnahme_beratung", "Beratung und Unterstützung bei der "
      "Arbeitsaufnahme/-suche", G_VERMITTLUNG, "vermittlung" },
    { "sprachkurse", "Beratung zu Sprachkursen", G_VERMITTLUNG,
      "vermittlung" },
    { "weiterbildung", "Fragen zu Weiterbildung/ Coaching/ Maßnahmen",
      G_VERMITTLUNG, "vermittlung" },
    { "ortsabwesenheit", "Ortsabwesenheit", G_VERMITTLUNG, "vermittlung" },
    { "arbeitsaufnahme", "Rund um Arbeitsaufnahme/ -suche", G_VERMITTLUNG,
      "vermittlung" },
    { "ausbildung_studium", "Rund um Ausbildung / Studium", G_VERMITTLUNG,
      "vermittlung" },
};

#define N_ANLIEGEN (sizeof(anliegen) / sizeof(anliegen[0]))

const jc_anliegen_t *jc_anliegen_all(size_t *n)
{
    *n = N_ANLIEGEN;
    return anliegen;
}

const jc_anliegen_t *jc_anliegen_find(const char *key)
{
    size_t i;

    for (i = 0; key && i < N_ANLIEGEN; i++) {
        if (!strcmp(anliegen[i].key, key)) {
            return &anliegen[i];
        }
    }
    return NULL;
}

json_t *jc_anliegen_json(void)
{
    json_t *groups = json_array(), *g = NULL, *list = NULL;
    const char *cur = NULL;
    size_t i;

    for (i = 0; i < N_ANLIEGEN; i++) {
        const jc_anliegen_t *a = &anliegen[i];

        if (!cur || strcmp(cur, a->group)) {
            cur = a->group;
            list = json_array();
            g = json_pack("{s:s, s:o}", "label", a->group, "anliegen", list);
            json_array_append_new(groups, g);
        }
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:s, s:s}", "key", a->key, "label", a->label,
            "team", a->team, "team_text", jc_staff_team_text(a->team)));
    }
    return json_pack("{s:o, s:i, s:i}", "groups", groups, "text_max",
                     JC_MSG_TEXT_MAX, "subject_max", JC_MSG_SUBJECT_MAX);
}

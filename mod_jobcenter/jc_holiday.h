/* German public holidays (gesetzliche Feiertage) for the working-day rules
 * (Online-Kommunikation deactivation, Bescheid delivery day). Pure civil-date
 * arithmetic on proleptic Gregorian y/m/d: no time of day, no time zone.
 *
 * Nationwide: Neujahr, Karfreitag, Ostermontag, Tag der Arbeit, Christi
 * Himmelfahrt, Pfingstmontag, Tag der Deutschen Einheit, 1. and 2.
 * Weihnachtstag. Regional ones by Bundesland as the Länder's
 * Feiertagsgesetze define them from 2023 on, for the whole Land only (see
 * docs/internals.md "Public holidays" for the list and what is left out). */
#ifndef JC_HOLIDAY_H
#define JC_HOLIDAY_H

/* Regions: DE = nationwide holidays only, then the 16 Länder (ISO 3166-2:DE
 * codes without "DE-"). */
typedef enum {
    JC_HOL_DE = 0,
    JC_HOL_BW, JC_HOL_BY, JC_HOL_BE, JC_HOL_BB, JC_HOL_HB, JC_HOL_HH,
    JC_HOL_HE, JC_HOL_MV, JC_HOL_NI, JC_HOL_NW, JC_HOL_RP, JC_HOL_SL,
    JC_HOL_SN, JC_HOL_ST, JC_HOL_SH, JC_HOL_TH,
    JC_HOL_REGIONS                 /* count */
} jc_holiday_region_e;

/* "DE" or one of BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH, any case;
 * -1 for anything else (NULL, "", "DE-BW", "Bayern", ...). */
int jc_holiday_region_parse(const char *s);

/* The code of a region ("DE", "BW", ...); "" for an invalid one. */
const char *jc_holiday_region_code(int region);

/* Easter Sunday of year y (Gregorian computus, anonymous Gregorian
 * algorithm as in Meeus, "Astronomical Algorithms"): *m = 3 or 4. */
void jc_holiday_easter(int y, int *m, int *d);

/* The German name of the public holiday on y-m-d in the region
 * ("Karfreitag", "Allerheiligen", ...), NULL when it is none. An invalid
 * region counts as DE. */
const char *jc_holiday_name(int y, int m, int d, int region);

/* 1 = y-m-d is a public holiday in the region (jc_holiday_name != NULL). */
int jc_holiday_is(int y, int m, int d, int region);

#endif

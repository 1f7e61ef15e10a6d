/* German public holidays (see jc_holiday.h and docs/internals.md). */
#include <stddef.h>
#include <strings.h>

#include "jc_holiday.h"

#define R(x) (1u << (x))
#define ALL  0xffffffffu

static const char *const codes[JC_HOL_REGIONS] = {
    "DE", "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP",
    "SL", "SN", "ST", "SH", "TH"
};

int jc_holiday_region_parse(const char *s)
{
    int i;

    if (s == NULL) {
        return -1;
    }
    for (i = 0; i < JC_HOL_REGIONS; i++) {
        if (strcasecmp(s, codes[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *jc_holiday_region_code(int region)
{
    return region >= 0 && region < JC_HOL_REGIONS ? codes[region] : "";
}

void jc_holiday_easter(int y, int *m, int *d)
{
    int a = y % 19, b = y / 100, c = y % 100, dd = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - dd - g + 15) % 30;
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int mm = (a + 11 * h + 22 * l) / 451;
    int n = h + l - 7 * mm + 114;

    *m = n / 31;
    *d = n % 31 + 1;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* 1-based day of the year */
static int day_of_year(int y, int m, int d)
{
    static const int before[12] = {
        0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
    };

    return before[m - 1] + d + (m > 2 && leap(y));
}

/* 0 = Sunday ... 6 = Saturday (Sakamoto) */
static int weekday(int y, int m, int d)
{
    static const int t[12] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

    if (m < 3) {
        y--;
    }
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

/* Fixed-date holidays: month, day, regions, name. */
static const struct {
    int m, d;
    unsigned regions;
    const char *name;
} fixed[] = {
    { 1, 1, ALL, "Neujahr" },
    { 1, 6, R(JC_HOL_BW) | R(JC_HOL_BY) | R(JC_HOL_ST),
      "Heilige Drei Könige" },
    { 3, 8, R(JC_HOL_BE) | R(JC_HOL_MV), "Internationaler Frauentag" },
    { 5, 1, ALL, "Tag der Arbeit" },
    { 8, 15, R(JC_HOL_SL), "Mariä Himmelfahrt" },
    { 9, 20, R(JC_HOL_TH), "Weltkindertag" },
    { 10, 3, ALL, "Tag der Deutschen Einheit" },
    { 10, 31, R(JC_HOL_BB) | R(JC_HOL_HB) | R(JC_HOL_HH) | R(JC_HOL_MV)
              | R(JC_HOL_NI) | R(JC_HOL_SN) | R(JC_HOL_ST) | R(JC_HOL_SH)
              | R(JC_HOL_TH), "Reformationstag" },
    { 11, 1, R(JC_HOL_BW) | R(JC_HOL_BY) | R(JC_HOL_NW) | R(JC_HOL_RP)
             | R(JC_HOL_SL), "Allerheiligen" },
    { 12, 25, ALL, "1. Weihnachtstag" },
    { 12, 26, ALL, "2. Weihnachtstag" },
};

/* Holidays relative to Easter Sunday: offset in days, regions, name. */
static const struct {
    int off;
    unsigned regions;
    const char *name;
} movable[] = {
    { -2, ALL, "Karfreitag" },
    { 1, ALL, "Ostermontag" },
    { 39, ALL, "Christi Himmelfahrt" },
    { 50, ALL, "Pfingstmontag" },
    { 60, R(JC_HOL_BW) | R(JC_HOL_BY) | R(JC_HOL_HE) | R(JC_HOL_NW)
          | R(JC_HOL_RP) | R(JC_HOL_SL), "Fronleichnam" },
};

const char *jc_holiday_name(int y, int m, int d, int region)
{
    unsigned bit;
    int em, ed, off;
    size_t i;

    if (m < 1 || m > 12 || d < 1 || d > 31) {
        return NULL;
    }
    if (region < 0 || region >= JC_HOL_REGIONS) {
        region = JC_HOL_DE;
    }
    bit = R(region);
    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (fixed[i].m == m && fixed[i].d == d
            && (fixed[i].regions == ALL || (fixed[i].regions & bit))) {
            return fixed[i].name;
        }
    }
    /* Karfreitag (20 March at the earliest) to Fronleichnam (24 June at the
     * latest) lie in the same year as Easter */
    jc_holiday_easter(y, &em, &ed);
    off = day_of_year(y, m, d) - day_of_year(y, em, ed);
    for (i = 0; i < sizeof(movable) / sizeof(movable[0]); i++) {
        if (movable[i].off == off
            && (movable[i].regions == ALL || (movable[i].regions & bit))) {
            return movable[i].name;
        }
    }
    /* Buß- und Bettag: the Wednesday before 23 November (16.-22.11.) */
    if (region == JC_HOL_SN && m == 11 && d >= 16 && d <= 22
        && weekday(y, m, d) == 3) {
        return "Buß- und Bettag";
    }
    return NULL;
}

int jc_holiday_is(int y, int m, int d, int region)
{
    return jc_holiday_name(y, m, d, region) != NULL;
}

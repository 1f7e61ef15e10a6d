/* German time (Europe/Berlin) without the process time zone (see
 * jc_time.h). */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>

#include "jc_time.h"

/* H. Hinnant's days_from_civil / civil_from_days: exact for every
 * proleptic Gregorian date. */
apr_int64_t jc_time_days_from_civil(int y, int m, int d)
{
    apr_int64_t yy = y - (m <= 2);
    apr_int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    apr_int64_t yoe = yy - era * 400;
    apr_int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    apr_int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

void jc_time_civil_from_days(apr_int64_t z, int *y, int *m, int *d)
{
    apr_int64_t era, doe, yoe, doy, mp, yy;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

/* floor division for negative epoch values */
static apr_int64_t floor_div(apr_int64_t a, apr_int64_t b)
{
    apr_int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 0 = Sunday for days since 1970-01-01 (a Thursday) */
static int weekday(apr_int64_t days)
{
    apr_int64_t w = (days + 4) % 7;

    return (int)(w < 0 ? w + 7 : w);
}

/* 01:00 UTC on the last Sunday of month m (31 days: March, October) */
static apr_int64_t last_sunday_0100(int y, int m)
{
    apr_int64_t day = jc_time_days_from_civil(y, m, 31);

    return (day - weekday(day)) * 86400 + 3600;
}

apr_int64_t jc_berlin_dst_start(int y)
{
    return last_sunday_0100(y, 3);
}

apr_int64_t jc_berlin_dst_end(int y)
{
    return last_sunday_0100(y, 10);
}

int jc_berlin_offset(apr_int64_t t)
{
    int y, m, d;

    /* the UTC year decides: the switches are far from New Year */
    jc_time_civil_from_days(floor_div(t, 86400), &y, &m, &d);
    return t >= jc_berlin_dst_start(y) && t < jc_berlin_dst_end(y)
           ? 7200 : 3600;
}

void jc_berlin_exp(apr_int64_t t, jc_berlin_tm_t *tm)
{
    apr_int64_t local, days, secs;

    tm->offset = jc_berlin_offset(t);
    local = t + tm->offset;
    days = floor_div(local, 86400);
    secs = local - days * 86400;
    jc_time_civil_from_days(days, &tm->year, &tm->mon, &tm->mday);
    tm->hour = (int)(secs / 3600);
    tm->min = (int)(secs / 60 % 60);
    tm->sec = (int)(secs % 60);
    tm->wday = weekday(days);
}

apr_int64_t jc_berlin_mktime(int y, int m, int d, int hour, int min,
                             int sec)
{
    apr_int64_t local = jc_time_days_from_civil(y, m, d) * 86400
                        + (apr_int64_t)hour * 3600 + min * 60 + sec;
    apr_int64_t summer = local - 7200;

    /* summer time if that reading is in summer time (the first of a
     * repeated hour); otherwise winter time */
    if (jc_berlin_offset(summer) == 7200) {
        return summer;
    }
    return local - 3600;
}

void jc_berlin_date_de(apr_int64_t t, char buf[11])
{
    jc_berlin_tm_t tm;

    jc_berlin_exp(t, &tm);
    if (tm.year < 0 || tm.year > 9999) {
        memcpy(buf, "00.00.0000", 11);
        return;
    }
    snprintf(buf, 11, "%02d.%02d.%04d", tm.mday, tm.mon, tm.year);
}

void jc_berlin_time_de(apr_int64_t t, char buf[6])
{
    jc_berlin_tm_t tm;

    jc_berlin_exp(t, &tm);
    snprintf(buf, 6, "%02d:%02d", tm.hour, tm.min);
}

void jc_berlin_date_iso(apr_int64_t t, char buf[11])
{
    jc_berlin_tm_t tm;

    jc_berlin_exp(t, &tm);
    if (tm.year < 0 || tm.year > 9999) {
        memcpy(buf, "0000-00-00", 11);
        return;
    }
    snprintf(buf, 11, "%04d-%02d-%02d", tm.year, tm.mon, tm.mday);
}

const char *jc_berlin_datetime_de(apr_int64_t t, apr_pool_t *p)
{
    char date[11], hm[6];

    jc_berlin_date_de(t, date);
    jc_berlin_time_de(t, hm);
    return apr_pstrcat(p, date, " um ", hm, " Uhr", NULL);
}

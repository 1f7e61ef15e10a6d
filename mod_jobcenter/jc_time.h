/* German time (Europe/Berlin) for everything a person reads: dates and
 * times in letters, receipts, mails and preformatted API fields.
 *
 * The conversion is pure arithmetic on epoch seconds with the EU summer
 * time rule (CEST, UTC+2, from the last Sunday of March 01:00 UTC to the
 * last Sunday of October 01:00 UTC; CET, UTC+1, otherwise). It never reads
 * the process time zone (TZ, /etc/localtime): the server may run in any
 * zone, and nothing here calls setenv/tzset, which are not thread-safe.
 * The rule holds in Germany since 1996; earlier instants get it too (the
 * portal stores no earlier times). */
#ifndef JC_TIME_H
#define JC_TIME_H

#include <apr.h>
#include <apr_pools.h>

typedef struct {
    int year;       /* e.g. 2026 */
    int mon;        /* 1..12 */
    int mday;       /* 1..31 */
    int hour;       /* 0..23 */
    int min;        /* 0..59 */
    int sec;        /* 0..59 */
    int wday;       /* 0 = Sunday .. 6 = Saturday */
    int offset;     /* seconds east of UTC: 3600 (CET) or 7200 (CEST) */
} jc_berlin_tm_t;

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
apr_int64_t jc_time_days_from_civil(int y, int m, int d);
void jc_time_civil_from_days(apr_int64_t z, int *y, int *m, int *d);

/* Epoch seconds of the EU summer time switches in year y (01:00 UTC on
 * the last Sunday of March, and of October). */
apr_int64_t jc_berlin_dst_start(int y);
apr_int64_t jc_berlin_dst_end(int y);

/* UTC offset of Berlin at epoch second t: 3600 or 7200. */
int jc_berlin_offset(apr_int64_t t);

/* Break epoch second t down into Berlin wall-clock time. */
void jc_berlin_exp(apr_int64_t t, jc_berlin_tm_t *tm);

/* Epoch seconds of a Berlin wall-clock time. In the hour that does not
 * exist (spring forward, 02:00-02:59) the time counts as CET (= 03:xx
 * CEST); in the repeated hour (fall back) the first (CEST) one. */
apr_int64_t jc_berlin_mktime(int y, int m, int d, int hour, int min,
                             int sec);

/* "DD.MM.YYYY", "HH:MM", "YYYY-MM-DD" of t in Berlin into buf. */
void jc_berlin_date_de(apr_int64_t t, char buf[11]);
void jc_berlin_time_de(apr_int64_t t, char buf[6]);
void jc_berlin_date_iso(apr_int64_t t, char buf[11]);

/* "DD.MM.YYYY um HH:MM Uhr" of t in Berlin, in p. */
const char *jc_berlin_datetime_de(apr_int64_t t, apr_pool_t *p);

#endif

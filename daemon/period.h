/*
 * period.h — pure calendar and period arithmetic (DESIGN §3).
 *
 * Every date computation of nyckel lives here: civil dates as day
 * numbers, months as month indexes, period ids (month, tertial,
 * quarter, half year, year, year to date, rolling twelve months), the
 * periods that contain a month, running periods and their elapsed
 * part, calendar-month addition with end-of-month clamping. No clock:
 * the as-of date is always passed in.
 */
#ifndef NYCKEL_PERIOD_H
#define NYCKEL_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERIOD_YEAR_MIN 1900 /* dates outside are rejected */
#define PERIOD_YEAR_MAX 2199
#define PERIOD_ID_MAX 16         /* longest id "2014-08-YTD" + NUL, rounded */
#define PERIOD_CONTAINING_MAX 32 /* periods that contain one month: <= 29 */
#define PERIOD_EINVAL (-1001)    /* unparseable or out of range */

/* Day number: days since 1970-01-01 (negative before). */
int32_t period_day_from_ymd(int y, int m, int d);
void period_ymd_from_day(int32_t day, int *y, int *m, int *d);

/* Strict "YYYY-MM-DD", a real calendar date within PERIOD_YEAR_MIN..MAX.
 * 0 and *day set, or PERIOD_EINVAL. */
int period_date_parse(const char *s, int32_t *day);
/* Writes "YYYY-MM-DD" and a NUL into out (11 bytes). */
void period_date_format(int32_t day, char out[11]);

/* Month index: year * 12 + (month - 1). */
int32_t period_month_from_ym(int y, int m);
/* The year and the month of the year (1..12) of a month index, by
 * floor division: month indexes of years before year 0 stay consistent
 * (never reached for parsed input, but cheap). Inline: the aggregation
 * asks them millions of times a placement (a call each was a twentieth
 * of its instructions). */
static inline int period_month_year(int32_t month)
{
    return month >= 0 ? month / 12 : -((11 - month) / 12);
}
static inline int period_month_of_year(int32_t month)
{
    return (int)(month - period_month_year(month) * 12) + 1;
}
/* Strict "YYYY-MM" within range. 0 or PERIOD_EINVAL. */
int period_month_parse(const char *s, int32_t *month);
void period_month_format(int32_t month, char out[8]);
int32_t period_month_of_day(int32_t day);
int32_t period_month_first_day(int32_t month);
int period_days_in_month(int32_t month);

/* day + n calendar months, clamped to the end of the target month:
 * 2014-10-31 + 4 = 2015-02-28, 2014-01-31 + 4 = 2014-05-31. n may be
 * negative. */
int32_t period_add_months(int32_t day, int n);

enum period_kind {
    PERIOD_MONTH,   /* "2014-08" */
    PERIOD_TERTIAL, /* "2014-T2": T1 jan-apr, T2 may-aug, T3 sep-dec */
    PERIOD_QUARTER, /* "2014-Q3" */
    PERIOD_HALF,    /* "2014-H1" */
    PERIOD_YEAR,    /* "2014" */
    PERIOD_YTD,     /* "2014-08-YTD": jan-aug 2014 */
    PERIOD_R12,     /* "2014-08-R12": sep 2013-aug 2014 */
};

/* A period is an inclusive range of whole months. */
struct period {
    enum period_kind kind;
    int32_t first_month; /* month index */
    int32_t last_month;  /* month index, inclusive */
};

/* Parse a period id. 0, or PERIOD_EINVAL for anything else (including
 * "2014-13", "2014-T4", "2014-00-YTD", trailing bytes). */
int period_parse(const char *id, struct period *p);
/* Writes the canonical id into out (at least PERIOD_ID_MAX bytes). */
void period_format(const struct period *p, char *out);
/* Make the period of kind k that ends at (or, for the fixed calendar
 * kinds, contains) month m. */
struct period period_of(enum period_kind k, int32_t month);

/* Every period that contains month m: its month, tertial, quarter,
 * half, year; the YTD periods ending at m..december; the R12 periods
 * ending at m..m+11. Writes them to out (cap >= PERIOD_CONTAINING_MAX)
 * and returns the count (at most 29: 5 + 13 - month of year + 12). */
size_t period_containing(int32_t month, struct period *out, size_t cap);

int period_months(const struct period *p);        /* months in it */
int32_t period_first_day(const struct period *p); /* day number */
int32_t period_end_day(const struct period *p);   /* exclusive */
int period_days(const struct period *p);          /* days in it */
bool period_contains_month(const struct period *p, int32_t month);

/* Running: the as-of date lies inside the period. */
bool period_is_running(const struct period *p, int32_t as_of);
/* Days of the period up to and including as_of when running; all of its
 * days otherwise (also when the period lies wholly in the future). */
int period_elapsed_days(const struct period *p, int32_t as_of);
/* Months from the first through the as-of month when running; all of
 * them otherwise. */
int period_elapsed_months(const struct period *p, int32_t as_of);
/* The as-of month when running, the last month otherwise. */
int32_t period_last_month_as_of(const struct period *p, int32_t as_of);

/* A period's place among the PERIOD_YEAR_SLOTS periods whose id carries
 * the year of its last month (period_month_year(p->last_month)): months
 * 0..11, tertials 12..14, quarters 15..18, halves 19..20, the year 21,
 * year to date 22..33 and rolling twelve months 34..45, each by its
 * last month. The year's sequence record (cell.h) keeps one slot each. */
#define PERIOD_YEAR_SLOTS 46
int period_year_slot(const struct period *p);

/* The same period n years later (n < 0: earlier). */
struct period period_shift_years(const struct period *p, int n);

#endif

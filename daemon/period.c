/*
 * period.c — pure calendar and period arithmetic (DESIGN §3).
 *
 * Implements period.h: civil dates as day numbers (days since
 * 1970-01-01) with Howard Hinnant's days_from_civil / civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html), month indexes
 * (year * 12 + month - 1), strict parsing and canonical formatting of
 * dates, months and period ids, the periods containing a month, running
 * periods and their elapsed part, and month addition with end-of-month
 * clamping.
 *
 * Why one module: every other part of nyckel (validation, aggregation,
 * query) agrees on what "2014-08-R12" means only if exactly one piece of
 * code decides it. It reads no clock and allocates nothing, so it is
 * trivially testable and safe to fuzz.
 *
 * Parsing is byte-exact: ids are compared in their canonical form only
 * (no signs, spaces, lower case or short fields), so that an id parsed
 * and formatted again is the same string, and a topic or cell key has
 * exactly one spelling.
 */
#include "period.h"

#include <string.h>

/* Days from 0000-03-01 to 1970-01-01 in Hinnant's shifted calendar. */
#define DAYS_0000_03_01_TO_EPOCH 719468
#define DAYS_PER_ERA 146097 /* days in 400 Gregorian years */

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};

    if (m == 2 && is_leap(y))
        return 29;
    return days[m - 1];
}

int32_t period_day_from_ymd(int y, int m, int d)
{
    /* Hinnant: count years from March so February's leap day is the
     * last day of the shifted year. int64 keeps wild input UB-free. */
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                        /* [0, 399] */
    int64_t mp = m > 2 ? m - 3 : m + 9;                  /* [0, 11] */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */

    return (int32_t)(era * DAYS_PER_ERA + doe - DAYS_0000_03_01_TO_EPOCH);
}

void period_ymd_from_day(int32_t day, int *y, int *m, int *d)
{
    int64_t z = (int64_t)day + DAYS_0000_03_01_TO_EPOCH;
    int64_t era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
    int64_t doe = z - era * DAYS_PER_ERA; /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                      /* [0, 11] */
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;                /* [1, 12] */

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

/* n decimal digits at s into *out; false on any non-digit. Not isdigit():
 * that depends on the locale. */
static bool parse_digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* "YYYY" at s with the year in range. */
static bool parse_year(const char *s, int *y)
{
    return parse_digits(s, 4, y) && *y >= PERIOD_YEAR_MIN &&
           *y <= PERIOD_YEAR_MAX;
}

/* "YYYY-MM" at s (exactly 7 bytes looked at), year and month in range. */
static bool parse_ym(const char *s, int *y, int *m)
{
    return parse_year(s, y) && s[4] == '-' && parse_digits(s + 5, 2, m) &&
           *m >= 1 && *m <= 12;
}

/* Writes v as exactly width zero-padded digits; returns the end. */
static char *put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* Four year digits. Years outside 0000..9999 cannot be written in the
 * fixed-width forms; they come out as "????", which no parser accepts,
 * rather than as a plausible wrong year. */
static char *put_year(char *p, int y)
{
    if (y < 0 || y > 9999) {
        memset(p, '?', 4);
        return p + 4;
    }
    return put_digits(p, y, 4);
}

/* "YYYY-MM" without NUL; returns the end. */
static char *put_ym(char *p, int32_t month)
{
    p = put_year(p, period_month_year(month));
    *p++ = '-';
    return put_digits(p, period_month_of_year(month), 2);
}

int period_date_parse(const char *s, int32_t *day)
{
    int y, m, d;

    if (!s || strlen(s) != 10 || !parse_ym(s, &y, &m) || s[7] != '-' ||
        !parse_digits(s + 8, 2, &d) || d < 1 || d > days_in(y, m))
        return PERIOD_EINVAL;
    *day = period_day_from_ymd(y, m, d);
    return 0;
}

void period_date_format(int32_t day, char out[11])
{
    int y, m, d;
    char *p;

    period_ymd_from_day(day, &y, &m, &d);
    p = put_year(out, y);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p = '\0';
}

int32_t period_month_from_ym(int y, int m)
{
    return (int32_t)y * 12 + (m - 1);
}

int period_month_parse(const char *s, int32_t *month)
{
    int y, m;

    if (!s || strlen(s) != 7 || !parse_ym(s, &y, &m))
        return PERIOD_EINVAL;
    *month = period_month_from_ym(y, m);
    return 0;
}

void period_month_format(int32_t month, char out[8])
{
    *put_ym(out, month) = '\0';
}

int32_t period_month_of_day(int32_t day)
{
    int y, m, d;

    period_ymd_from_day(day, &y, &m, &d);
    return period_month_from_ym(y, m);
}

int32_t period_month_first_day(int32_t month)
{
    return period_day_from_ymd(period_month_year(month),
                               period_month_of_year(month), 1);
}

int period_days_in_month(int32_t month)
{
    return days_in(period_month_year(month), period_month_of_year(month));
}

int32_t period_add_months(int32_t day, int n)
{
    int y, m, d;
    int32_t target;
    int dim;

    period_ymd_from_day(day, &y, &m, &d);
    target = period_month_from_ym(y, m) + n;
    dim = period_days_in_month(target);
    if (d > dim)
        d = dim;
    return period_day_from_ymd(period_month_year(target),
                               period_month_of_year(target), d);
}

/* Months in one block of the fixed calendar kinds, 0 for the others. */
static int block_months(enum period_kind k)
{
    switch (k) {
    case PERIOD_MONTH:
        return 1;
    case PERIOD_TERTIAL:
        return 4;
    case PERIOD_QUARTER:
        return 3;
    case PERIOD_HALF:
        return 6;
    case PERIOD_YEAR:
        return 12;
    case PERIOD_YTD:
    case PERIOD_R12:
        break;
    }
    return 0;
}

struct period period_of(enum period_kind k, int32_t month)
{
    struct period p = {k, month, month};
    int32_t year_first = month - (period_month_of_year(month) - 1);
    int n = block_months(k);

    if (k == PERIOD_YTD) {
        p.first_month = year_first;
    } else if (k == PERIOD_R12) {
        p.first_month = month - 11;
    } else if (n > 0) {
        /* Blocks are aligned to January: T2 is months 5..8. */
        p.first_month = year_first + (month - year_first) / n * n;
        p.last_month = p.first_month + n - 1;
    } else {
        p.kind = PERIOD_MONTH; /* not a kind: the month alone */
    }
    return p;
}

/* "YYYY-Xn" for tertials, quarters and halves: letter and block size. */
static const struct {
    char letter;
    enum period_kind kind;
    int count; /* blocks per year */
} block_ids[] = {
    {'T', PERIOD_TERTIAL, 3},
    {'Q', PERIOD_QUARTER, 4},
    {'H', PERIOD_HALF, 2},
};

int period_parse(const char *id, struct period *p)
{
    size_t len;
    int y, m, n;

    if (!id)
        return PERIOD_EINVAL;
    len = strlen(id);
    if (len == 4 && parse_year(id, &y)) {
        *p = period_of(PERIOD_YEAR, period_month_from_ym(y, 1));
        return 0;
    }
    if (len == 7 && parse_ym(id, &y, &m)) {
        *p = period_of(PERIOD_MONTH, period_month_from_ym(y, m));
        return 0;
    }
    if (len == 7 && parse_year(id, &y) && id[4] == '-' &&
        parse_digits(id + 6, 1, &n)) {
        for (size_t i = 0; i < sizeof block_ids / sizeof block_ids[0]; i++) {
            int size = 12 / block_ids[i].count;

            if (id[5] != block_ids[i].letter || n < 1 || n > block_ids[i].count)
                continue;
            *p = period_of(block_ids[i].kind,
                           period_month_from_ym(y, (n - 1) * size + 1));
            return 0;
        }
        return PERIOD_EINVAL;
    }
    if (len == 11 && parse_ym(id, &y, &m) && id[7] == '-') {
        int32_t month = period_month_from_ym(y, m);

        if (strcmp(id + 8, "YTD") == 0) {
            *p = period_of(PERIOD_YTD, month);
            return 0;
        }
        if (strcmp(id + 8, "R12") == 0) {
            *p = period_of(PERIOD_R12, month);
            return 0;
        }
    }
    return PERIOD_EINVAL;
}

void period_format(const struct period *p, char *out)
{
    char *o = out;
    int moy = period_month_of_year(p->first_month);

    switch (p->kind) {
    case PERIOD_MONTH:
        o = put_ym(o, p->first_month);
        break;
    case PERIOD_TERTIAL:
    case PERIOD_QUARTER:
    case PERIOD_HALF:
        o = put_year(o, period_month_year(p->first_month));
        *o++ = '-';
        for (size_t i = 0; i < sizeof block_ids / sizeof block_ids[0]; i++) {
            if (block_ids[i].kind != p->kind)
                continue;
            *o++ = block_ids[i].letter;
            o = put_digits(o, (moy - 1) / (12 / block_ids[i].count) + 1, 1);
        }
        break;
    case PERIOD_YEAR:
        o = put_year(o, period_month_year(p->first_month));
        break;
    case PERIOD_YTD:
    case PERIOD_R12:
        o = put_ym(o, p->last_month);
        memcpy(o, p->kind == PERIOD_YTD ? "-YTD" : "-R12", 4);
        o += 4;
        break;
    }
    *o = '\0';
}

size_t period_containing(int32_t month, struct period *out, size_t cap)
{
    static const enum period_kind fixed[] = {
        PERIOD_MONTH, PERIOD_TERTIAL, PERIOD_QUARTER, PERIOD_HALF, PERIOD_YEAR,
    };
    int32_t december = month + (12 - period_month_of_year(month));
    size_t n = 0;

    /* Never writes past cap: with a short buffer the list is cut, and
     * the return value is what was written. */
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && n < cap; i++)
        out[n++] = period_of(fixed[i], month);
    for (int32_t end = month; end <= december && n < cap; end++)
        out[n++] = period_of(PERIOD_YTD, end);
    for (int32_t end = month; end <= month + 11 && n < cap; end++)
        out[n++] = period_of(PERIOD_R12, end);
    return n;
}

int period_months(const struct period *p)
{
    return (int)(p->last_month - p->first_month + 1);
}

int32_t period_first_day(const struct period *p)
{
    return period_month_first_day(p->first_month);
}

int32_t period_end_day(const struct period *p)
{
    return period_month_first_day(p->last_month + 1);
}

int period_days(const struct period *p)
{
    return (int)(period_end_day(p) - period_first_day(p));
}

bool period_contains_month(const struct period *p, int32_t month)
{
    return month >= p->first_month && month <= p->last_month;
}

bool period_is_running(const struct period *p, int32_t as_of)
{
    return as_of >= period_first_day(p) && as_of < period_end_day(p);
}

int period_elapsed_days(const struct period *p, int32_t as_of)
{
    if (period_is_running(p, as_of))
        return (int)(as_of - period_first_day(p) + 1);
    return period_days(p);
}

int period_elapsed_months(const struct period *p, int32_t as_of)
{
    if (period_is_running(p, as_of))
        return (int)(period_month_of_day(as_of) - p->first_month + 1);
    return period_months(p);
}

int32_t period_last_month_as_of(const struct period *p, int32_t as_of)
{
    if (period_is_running(p, as_of))
        return period_month_of_day(as_of);
    return p->last_month;
}

struct period period_shift_years(const struct period *p, int n)
{
    struct period q = *p;

    q.first_month += 12 * n;
    q.last_month += 12 * n;
    return q;
}

int period_year_slot(const struct period *p)
{
    int m = period_month_of_year(p->last_month) - 1; /* 0..11 */
    switch (p->kind) {
    case PERIOD_MONTH:
        return m;
    case PERIOD_TERTIAL:
        return 12 + m / 4;
    case PERIOD_QUARTER:
        return 15 + m / 3;
    case PERIOD_HALF:
        return 19 + m / 6;
    case PERIOD_YEAR:
        return 21;
    case PERIOD_YTD:
        return 22 + m;
    case PERIOD_R12:
        return 34 + m;
    }
    return 21; /* not reached: every kind is above */
}

/*
 * test_period.c — unit tests for period.c (DESIGN §3).
 *
 * Table-driven: one row per case, the hand computation in a comment.
 * Two checks compare against deliberately naive reference models
 * instead of tables: a day-by-day walk over the whole supported range
 * (1900-01-01..2199-12-31) for the day numbers, and a brute-force
 * enumeration of candidate periods for period_containing().
 */
#include "period.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* assert_int_equal that names the table row and the expression, since
 * cmocka alone prints neither (and prints negatives as unsigned). */
#define CHECK_INT(row, got, want)                                              \
    do {                                                                       \
        long long got_ = (long long)(got);                                     \
        long long want_ = (long long)(want);                                   \
        if (got_ != want_)                                                     \
            print_error("%s: %s = %lld, want %lld\n", (row), #got, got_,       \
                        want_);                                                \
        assert_true(got_ == want_);                                            \
    } while (0)

#define CHECK_STR(row, got, want)                                              \
    do {                                                                       \
        if (strcmp((got), (want)) != 0)                                        \
            print_error("%s: %s = \"%s\", want \"%s\"\n", (row), #got, (got),  \
                        (want));                                               \
        assert_string_equal((got), (want));                                    \
    } while (0)

/* Expected values are written as text in the tables; these turn them
 * into numbers. ymd() uses sscanf, not the parser under test, so it also
 * takes "2200-01-01" (an end day outside the parseable range). */
static int32_t ymd(const char *s)
{
    int y, m, d;

    assert_int_equal(sscanf(s, "%d-%d-%d", &y, &m, &d), 3);
    return period_day_from_ymd(y, m, d);
}

static int32_t ym(const char *s)
{
    int y, m;

    assert_int_equal(sscanf(s, "%d-%d", &y, &m), 2);
    return period_month_from_ym(y, m);
}

static struct period pid(const char *id)
{
    struct period p;

    if (period_parse(id, &p) != 0)
        print_error("period_parse(\"%s\") failed\n", id);
    assert_int_equal(period_parse(id, &p), 0);
    return p;
}

/* ---- day numbers ------------------------------------------------------ */

/* clang-format off */
static const struct {
    int y, m, d;
    int32_t day;
} day_rows[] = {
    {1970, 1, 1, 0},        /* the epoch */
    {1969, 12, 31, -1},     /* one day before */
    {1970, 1, 2, 1},
    {1971, 1, 1, 365},      /* 1970 not leap */
    {1973, 1, 1, 1096},     /* 365 + 365 + 366 (1972) */
    {2000, 1, 1, 10957},    /* 30 * 365 + 7 leap days 1972..1996 */
    {2000, 2, 29, 11016},   /* 10957 + 31 + 28 */
    {2000, 3, 1, 11017},    /* 10957 + 31 + 29 (2000 % 400 == 0) */
    {2012, 2, 29, 15399},   /* 10957 + 12 * 365 + 3 (00,04,08) + 31 + 28 */
    {2014, 1, 1, 16071},    /* 10957 + 14 * 365 + 4 (00,04,08,12) */
    {2014, 8, 1, 16283},    /* 16071 + 212 (jan..jul) */
    {2014, 9, 1, 16314},    /* 16283 + 31 */
    {1900, 1, 1, -25567},   /* -(70 * 365 + 17 leap days 1904..1968) */
    {1900, 3, 1, -25508},   /* -25567 + 31 + 28 (1900 % 100 == 0) */
    {2199, 12, 31, 84005},  /* 2200-01-01 = 230 * 365 + 56 = 84006; -1 */
};
/* clang-format on */

static void test_day_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(day_rows); i++) {
        char row[32];
        int y, m, d;

        snprintf(row, sizeof row, "%04d-%02d-%02d", day_rows[i].y,
                 day_rows[i].m, day_rows[i].d);
        CHECK_INT(
            row,
            period_day_from_ymd(day_rows[i].y, day_rows[i].m, day_rows[i].d),
            day_rows[i].day);
        period_ymd_from_day(day_rows[i].day, &y, &m, &d);
        CHECK_INT(row, y, day_rows[i].y);
        CHECK_INT(row, m, day_rows[i].m);
        CHECK_INT(row, d, day_rows[i].d);
    }
}

/* Reference model: count days one by one with the textbook leap rule,
 * and check every day of the supported range converts both ways and
 * formats/parses back to itself. */
static void test_day_numbers_walk(void **state)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int32_t day = -25567; /* 1900-01-01, from day_rows */

    (void)state;
    for (int y = PERIOD_YEAR_MIN; y <= PERIOD_YEAR_MAX; y++) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        for (int m = 1; m <= 12; m++) {
            int dim = mdays[m - 1] + (m == 2 && leap);
            int32_t month = period_month_from_ym(y, m);

            assert_int_equal(period_days_in_month(month), dim);
            assert_int_equal(period_month_first_day(month), day);
            for (int d = 1; d <= dim; d++, day++) {
                char text[11], want[40];
                int32_t parsed = 0;
                int yy, mm, dd;

                assert_int_equal(period_day_from_ymd(y, m, d), day);
                period_ymd_from_day(day, &yy, &mm, &dd);
                assert_true(yy == y && mm == m && dd == d);
                assert_int_equal(period_month_of_day(day), month);
                period_date_format(day, text);
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                assert_string_equal(text, want);
                assert_int_equal(period_date_parse(text, &parsed), 0);
                assert_int_equal(parsed, day);
            }
        }
    }
    assert_int_equal(day, 84006); /* 2200-01-01, from day_rows */
}

/* ---- dates ------------------------------------------------------------ */

/* clang-format off */
static const struct {
    const char *s;
    int32_t day;
} date_ok_rows[] = {
    {"1970-01-01", 0},
    {"1969-12-31", -1},
    {"2000-03-01", 11017},
    {"2012-02-29", 15399},  /* 2012 % 4 == 0: leap */
    {"2000-02-29", 11016},  /* 2000 % 400 == 0: leap */
    {"1900-01-01", -25567}, /* first accepted day */
    {"2199-12-31", 84005},  /* last accepted day */
    {"2014-09-01", 16314},
};
/* clang-format on */

static void test_date_parse_ok(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(date_ok_rows); i++) {
        const char *s = date_ok_rows[i].s;
        int32_t day = 12345;
        char out[11];

        CHECK_INT(s, period_date_parse(s, &day), 0);
        CHECK_INT(s, day, date_ok_rows[i].day);
        period_date_format(day, out);
        CHECK_STR(s, out, s);
    }
}

/* clang-format off */
static const char *const date_bad_rows[] = {
    "",
    "2014-02-30",  /* february has 28 */
    "2013-02-29",  /* 2013 % 4 != 0 */
    "1900-02-29",  /* 1900 % 100 == 0 and % 400 != 0: not leap */
    "2100-02-29",  /* idem */
    "2014-04-31",  /* april has 30 */
    "2014-01-32",
    "2014-01-00",
    "2014-00-10",
    "2014-13-01",
    "1899-12-31",  /* before PERIOD_YEAR_MIN */
    "2200-01-01",  /* after PERIOD_YEAR_MAX */
    "2014-1-01",   /* short month */
    "2014-01-1",   /* short day */
    "14-01-01",
    " 2014-01-01", /* leading space */
    "2014-01-01 ", /* trailing byte */
    "2014-01-01\n",
    "2014-01-01T00:00",
    "+014-01-01",  /* sign */
    "2014- 1-01",
    "2014/01/01",
    "20140101",
    "2014-01",     /* a month is not a date */
};
/* clang-format on */

static void test_date_parse_reject(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(date_bad_rows); i++) {
        int32_t day = 777;

        CHECK_INT(date_bad_rows[i], period_date_parse(date_bad_rows[i], &day),
                  PERIOD_EINVAL);
        CHECK_INT(date_bad_rows[i], day, 777); /* untouched on failure */
    }
    assert_int_equal(period_date_parse(NULL, NULL), PERIOD_EINVAL);
}

/* A day number whose year has no four-digit form is written as "????",
 * which is never parsed back; it does not write past the buffer. ("?\?"
 * in the literals: "??-" would be a trigraph.) */
static void test_date_format_out_of_range(void **state)
{
    char out[11];

    (void)state;
    period_date_format(period_day_from_ymd(10000, 1, 1), out);
    assert_string_equal(out, "?\?\?\?-01-01");
    period_date_format(period_day_from_ymd(-1, 12, 31), out);
    assert_string_equal(out, "?\?\?\?-12-31");
    period_date_format(period_day_from_ymd(9999, 12, 31), out);
    assert_string_equal(out, "9999-12-31");
}

/* ---- months ----------------------------------------------------------- */

/* clang-format off */
static const struct {
    const char *s;
    int32_t month;          /* year * 12 + month - 1 */
    int year, month_of_year, days;
    const char *first_day;
} month_rows[] = {
    {"2014-08", 24175, 2014, 8, 31, "2014-08-01"},  /* 2014 * 12 + 7 */
    {"2014-01", 24168, 2014, 1, 31, "2014-01-01"},  /* 2014 * 12 + 0 */
    {"2014-12", 24179, 2014, 12, 31, "2014-12-01"}, /* 2014 * 12 + 11 */
    {"2014-02", 24169, 2014, 2, 28, "2014-02-01"},
    {"2016-02", 24193, 2016, 2, 29, "2016-02-01"},  /* 2016 * 12 + 1 */
    {"1900-02", 22801, 1900, 2, 28, "1900-02-01"},  /* 1900 not leap */
    {"2000-02", 24001, 2000, 2, 29, "2000-02-01"},  /* 2000 leap */
    {"1900-01", 22800, 1900, 1, 31, "1900-01-01"},
    {"2199-12", 26399, 2199, 12, 31, "2199-12-01"}, /* 2199 * 12 + 11 */
};
/* clang-format on */

static void test_month(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(month_rows); i++) {
        const char *s = month_rows[i].s;
        int32_t month = -1;
        char out[8];

        CHECK_INT(s, period_month_parse(s, &month), 0);
        CHECK_INT(s, month, month_rows[i].month);
        CHECK_INT(s,
                  period_month_from_ym(month_rows[i].year,
                                       month_rows[i].month_of_year),
                  month);
        CHECK_INT(s, period_month_year(month), month_rows[i].year);
        CHECK_INT(s, period_month_of_year(month), month_rows[i].month_of_year);
        CHECK_INT(s, period_days_in_month(month), month_rows[i].days);
        CHECK_INT(s, period_month_first_day(month),
                  ymd(month_rows[i].first_day));
        CHECK_INT(s, period_month_of_day(ymd(month_rows[i].first_day)), month);
        period_month_format(month, out);
        CHECK_STR(s, out, s);
    }
}

/* Year and month of year by floor division, around index 0 too (not
 * reached from parsed input, which starts in 1900). */
static void test_month_index_floor(void **state)
{
    (void)state;
    static const struct {
        int32_t month;
        int year, month_of_year;
    } rows[] = {
        {0, 0, 1},    {11, 0, 12},   {12, 1, 1},   {-1, -1, 12},
        {-12, -1, 1}, {-13, -2, 12}, {-24, -2, 1}, {24179, 2014, 12},
    };
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        char s[16];
        snprintf(s, sizeof(s), "%d", rows[i].month);
        CHECK_INT(s, period_month_year(rows[i].month), rows[i].year);
        CHECK_INT(s, period_month_of_year(rows[i].month),
                  rows[i].month_of_year);
        CHECK_INT(s, period_month_from_ym(rows[i].year, rows[i].month_of_year),
                  rows[i].month);
    }
}

/* clang-format off */
static const char *const month_bad_rows[] = {
    "", "2014-13", "2014-00", "2014-8", "2014-08-", "2014-08-01", " 2014-08",
    "2014-08 ", "2014", "1899-12", "2200-01", "2014-T1", "+2014-08",
    "2014_08",
};
/* clang-format on */

static void test_month_parse_reject(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(month_bad_rows); i++) {
        int32_t month = 777;

        CHECK_INT(month_bad_rows[i],
                  period_month_parse(month_bad_rows[i], &month), PERIOD_EINVAL);
        CHECK_INT(month_bad_rows[i], month, 777);
    }
    assert_int_equal(period_month_parse(NULL, NULL), PERIOD_EINVAL);
}

/* ---- period ids ------------------------------------------------------- */

/* clang-format off */
static const struct {
    const char *id;
    enum period_kind kind;
    const char *first, *last;   /* months, inclusive */
    int months, days;
    const char *first_day, *end_day; /* end exclusive */
} period_rows[] = {
    /* months */
    {"2014-08", PERIOD_MONTH, "2014-08", "2014-08", 1, 31,
     "2014-08-01", "2014-09-01"},
    {"2014-02", PERIOD_MONTH, "2014-02", "2014-02", 1, 28, /* not leap */
     "2014-02-01", "2014-03-01"},
    {"2016-02", PERIOD_MONTH, "2016-02", "2016-02", 1, 29, /* leap */
     "2016-02-01", "2016-03-01"},
    {"1900-02", PERIOD_MONTH, "1900-02", "1900-02", 1, 28, /* % 100 */
     "1900-02-01", "1900-03-01"},
    {"2000-02", PERIOD_MONTH, "2000-02", "2000-02", 1, 29, /* % 400 */
     "2000-02-01", "2000-03-01"},
    {"2199-12", PERIOD_MONTH, "2199-12", "2199-12", 1, 31,
     "2199-12-01", "2200-01-01"},
    /* tertials */
    {"2014-T1", PERIOD_TERTIAL, "2014-01", "2014-04", 4, 120,
     "2014-01-01", "2014-05-01"}, /* 31 + 28 + 31 + 30 */
    {"2014-T2", PERIOD_TERTIAL, "2014-05", "2014-08", 4, 123,
     "2014-05-01", "2014-09-01"}, /* 31 + 30 + 31 + 31 */
    {"2014-T3", PERIOD_TERTIAL, "2014-09", "2014-12", 4, 122,
     "2014-09-01", "2015-01-01"}, /* 30 + 31 + 30 + 31 */
    {"2016-T1", PERIOD_TERTIAL, "2016-01", "2016-04", 4, 121,
     "2016-01-01", "2016-05-01"}, /* 31 + 29 + 31 + 30 */
    /* quarters */
    {"2014-Q1", PERIOD_QUARTER, "2014-01", "2014-03", 3, 90,
     "2014-01-01", "2014-04-01"}, /* 31 + 28 + 31 */
    {"2014-Q2", PERIOD_QUARTER, "2014-04", "2014-06", 3, 91,
     "2014-04-01", "2014-07-01"}, /* 30 + 31 + 30 */
    {"2014-Q3", PERIOD_QUARTER, "2014-07", "2014-09", 3, 92,
     "2014-07-01", "2014-10-01"}, /* 31 + 31 + 30 */
    {"2014-Q4", PERIOD_QUARTER, "2014-10", "2014-12", 3, 92,
     "2014-10-01", "2015-01-01"}, /* 31 + 30 + 31 */
    /* halves */
    {"2014-H1", PERIOD_HALF, "2014-01", "2014-06", 6, 181,
     "2014-01-01", "2014-07-01"}, /* Q1 + Q2 = 90 + 91 */
    {"2014-H2", PERIOD_HALF, "2014-07", "2014-12", 6, 184,
     "2014-07-01", "2015-01-01"}, /* Q3 + Q4 = 92 + 92 */
    /* years */
    {"2014", PERIOD_YEAR, "2014-01", "2014-12", 12, 365,
     "2014-01-01", "2015-01-01"},
    {"2016", PERIOD_YEAR, "2016-01", "2016-12", 12, 366, /* 2016 % 4 */
     "2016-01-01", "2017-01-01"},
    {"1900", PERIOD_YEAR, "1900-01", "1900-12", 12, 365, /* not leap */
     "1900-01-01", "1901-01-01"},
    {"2000", PERIOD_YEAR, "2000-01", "2000-12", 12, 366, /* leap */
     "2000-01-01", "2001-01-01"},
    {"2199", PERIOD_YEAR, "2199-01", "2199-12", 12, 365,
     "2199-01-01", "2200-01-01"},
    /* year to date */
    {"2014-01-YTD", PERIOD_YTD, "2014-01", "2014-01", 1, 31,
     "2014-01-01", "2014-02-01"},
    {"2014-08-YTD", PERIOD_YTD, "2014-01", "2014-08", 8, 243,
     "2014-01-01", "2014-09-01"}, /* T1 + T2 = 120 + 123 */
    {"2014-12-YTD", PERIOD_YTD, "2014-01", "2014-12", 12, 365,
     "2014-01-01", "2015-01-01"},
    {"2016-03-YTD", PERIOD_YTD, "2016-01", "2016-03", 3, 91,
     "2016-01-01", "2016-04-01"}, /* 31 + 29 + 31 */
    /* rolling twelve months */
    {"2014-08-R12", PERIOD_R12, "2013-09", "2014-08", 12, 365,
     "2013-09-01", "2014-09-01"}, /* 2013-T3 + 2014-T1 + T2 = 122+120+123 */
    {"2016-02-R12", PERIOD_R12, "2015-03", "2016-02", 12, 366,
     "2015-03-01", "2016-03-01"}, /* (365 - 59) + 31 + 29: has 2016-02-29 */
    {"2016-01-R12", PERIOD_R12, "2015-02", "2016-01", 12, 365,
     "2015-02-01", "2016-02-01"}, /* 2015-02 has 28 */
    {"2014-12-R12", PERIOD_R12, "2014-01", "2014-12", 12, 365,
     "2014-01-01", "2015-01-01"}, /* the year's months, another kind */
    {"2014-01-R12", PERIOD_R12, "2013-02", "2014-01", 12, 365,
     "2013-02-01", "2014-02-01"},
    /* the id's year is in range; its start month may lie before it */
    {"1900-01-R12", PERIOD_R12, "1899-02", "1900-01", 12, 365,
     "1899-02-01", "1900-02-01"}, /* 1899 not leap */
};
/* clang-format on */

static void test_period_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(period_rows); i++) {
        const char *id = period_rows[i].id;
        struct period p = pid(id);
        struct period again;
        char out[PERIOD_ID_MAX];

        CHECK_INT(id, p.kind, period_rows[i].kind);
        CHECK_INT(id, p.first_month, ym(period_rows[i].first));
        CHECK_INT(id, p.last_month, ym(period_rows[i].last));
        CHECK_INT(id, period_months(&p), period_rows[i].months);
        CHECK_INT(id, period_days(&p), period_rows[i].days);
        CHECK_INT(id, period_first_day(&p), ymd(period_rows[i].first_day));
        CHECK_INT(id, period_end_day(&p), ymd(period_rows[i].end_day));
        CHECK_INT(id, period_contains_month(&p, p.first_month), true);
        CHECK_INT(id, period_contains_month(&p, p.last_month), true);
        CHECK_INT(id, period_contains_month(&p, p.first_month - 1), false);
        CHECK_INT(id, period_contains_month(&p, p.last_month + 1), false);

        /* round trip: canonical form is the input */
        memset(out, 'x', sizeof out);
        period_format(&p, out);
        CHECK_STR(id, out, id);
        CHECK_INT(id, strlen(out) < PERIOD_ID_MAX, true);

        /* period_of(kind, last month) makes the same period */
        again = period_of(p.kind, p.last_month);
        CHECK_INT(id, again.kind, p.kind);
        CHECK_INT(id, again.first_month, p.first_month);
        CHECK_INT(id, again.last_month, p.last_month);
    }
}

/* clang-format off */
static const char *const period_bad_rows[] = {
    "",
    "2014-13",     /* month 13 */
    "2014-00",     /* month 0 */
    "2014-T4",     /* three tertials */
    "2014-T0",
    "2014-Q0",
    "2014-Q5",     /* four quarters */
    "2014-H3",     /* two halves */
    "2014-H0",
    "2014-13-YTD",
    "2014-00-YTD",
    "2014-13-R12",
    "2014-00-R12",
    "2014-8",      /* short month */
    "2014-8-YTD",
    "2014-08-",    /* trailing dash */
    "2014-08-Y",
    "2014-08-YTDX",
    "2014-08-R13",
    "2014-08-R1",
    " 2014",       /* leading space */
    "2014 ",       /* trailing space */
    "2014\n",
    "+2014",       /* sign */
    "-2014",
    "201",
    "20140",
    "1899",        /* year out of range */
    "2200",
    "1899-12",
    "2200-01-YTD",
    "1899-12-R12",
    "2014-t1",     /* lower case is not canonical */
    "2014-q1",
    "2014-h1",
    "2014-08-ytd",
    "2014-08-r12",
    "2014-T",
    "2014-T12",
    "2014-X1",     /* unknown letter */
    "2014-M08",
    "2014-02-30",  /* a date is not a period id */
    "2014-08-01",
    "2014-08-YTD-R12",
};
/* clang-format on */

static void test_period_parse_reject(void **state)
{
    struct period p;

    (void)state;
    for (size_t i = 0; i < N_ROWS(period_bad_rows); i++)
        CHECK_INT(period_bad_rows[i], period_parse(period_bad_rows[i], &p),
                  PERIOD_EINVAL);
    assert_int_equal(period_parse(NULL, &p), PERIOD_EINVAL);
}

/* clang-format off */
static const struct {
    enum period_kind kind;
    const char *month;
    const char *id;
} period_of_rows[] = {
    {PERIOD_MONTH, "2014-08", "2014-08"},
    {PERIOD_TERTIAL, "2014-01", "2014-T1"},
    {PERIOD_TERTIAL, "2014-04", "2014-T1"},  /* T1 ends in april */
    {PERIOD_TERTIAL, "2014-05", "2014-T2"},  /* T2 starts in may */
    {PERIOD_TERTIAL, "2014-08", "2014-T2"},
    {PERIOD_TERTIAL, "2014-09", "2014-T3"},
    {PERIOD_TERTIAL, "2014-12", "2014-T3"},
    {PERIOD_QUARTER, "2014-03", "2014-Q1"},
    {PERIOD_QUARTER, "2014-04", "2014-Q2"},
    {PERIOD_QUARTER, "2014-08", "2014-Q3"},
    {PERIOD_QUARTER, "2014-12", "2014-Q4"},
    {PERIOD_HALF, "2014-06", "2014-H1"},
    {PERIOD_HALF, "2014-07", "2014-H2"},
    {PERIOD_YEAR, "2014-01", "2014"},
    {PERIOD_YEAR, "2014-12", "2014"},
    {PERIOD_YTD, "2014-08", "2014-08-YTD"},  /* ends at the month */
    {PERIOD_YTD, "2014-01", "2014-01-YTD"},
    {PERIOD_R12, "2014-08", "2014-08-R12"},
    {PERIOD_R12, "2014-12", "2014-12-R12"},
};
/* clang-format on */

static void test_period_of(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(period_of_rows); i++) {
        struct period p =
            period_of(period_of_rows[i].kind, ym(period_of_rows[i].month));
        struct period want = pid(period_of_rows[i].id);
        char out[PERIOD_ID_MAX];

        period_format(&p, out);
        CHECK_STR(period_of_rows[i].id, out, period_of_rows[i].id);
        CHECK_INT(out, p.kind, want.kind);
        CHECK_INT(out, p.first_month, want.first_month);
        CHECK_INT(out, p.last_month, want.last_month);
    }
}

/* ---- periods containing a month --------------------------------------- */

/* January: 5 fixed + 12 YTD (jan..dec) + 12 R12 (jan..dec) = 29. */
/* clang-format off */
static const char *const containing_jan[] = {
    "2014-01", "2014-T1", "2014-Q1", "2014-H1", "2014",
    "2014-01-YTD", "2014-02-YTD", "2014-03-YTD", "2014-04-YTD",
    "2014-05-YTD", "2014-06-YTD", "2014-07-YTD", "2014-08-YTD",
    "2014-09-YTD", "2014-10-YTD", "2014-11-YTD", "2014-12-YTD",
    "2014-01-R12", "2014-02-R12", "2014-03-R12", "2014-04-R12",
    "2014-05-R12", "2014-06-R12", "2014-07-R12", "2014-08-R12",
    "2014-09-R12", "2014-10-R12", "2014-11-R12", "2014-12-R12",
};
/* clang-format on */

/* August: 5 fixed + 5 YTD (aug..dec) + 12 R12 (2014-08..2015-07) = 22. */
/* clang-format off */
static const char *const containing_aug[] = {
    "2014-08", "2014-T2", "2014-Q3", "2014-H2", "2014",
    "2014-08-YTD", "2014-09-YTD", "2014-10-YTD", "2014-11-YTD",
    "2014-12-YTD",
    "2014-08-R12", "2014-09-R12", "2014-10-R12", "2014-11-R12",
    "2014-12-R12", "2015-01-R12", "2015-02-R12", "2015-03-R12",
    "2015-04-R12", "2015-05-R12", "2015-06-R12", "2015-07-R12",
};
/* clang-format on */

/* December: 5 fixed + 1 YTD + 12 R12 (2014-12..2015-11) = 18. */
/* clang-format off */
static const char *const containing_dec[] = {
    "2014-12", "2014-T3", "2014-Q4", "2014-H2", "2014",
    "2014-12-YTD",
    "2014-12-R12", "2015-01-R12", "2015-02-R12", "2015-03-R12",
    "2015-04-R12", "2015-05-R12", "2015-06-R12", "2015-07-R12",
    "2015-08-R12", "2015-09-R12", "2015-10-R12", "2015-11-R12",
};
/* clang-format on */

/* clang-format off */
static const struct {
    const char *month;
    const char *const *ids;
    size_t count;
} containing_rows[] = {
    {"2014-01", containing_jan, N_ROWS(containing_jan)},
    {"2014-08", containing_aug, N_ROWS(containing_aug)},
    {"2014-12", containing_dec, N_ROWS(containing_dec)},
};
/* clang-format on */

static void test_containing_lists(void **state)
{
    (void)state;
    assert_int_equal(N_ROWS(containing_jan), 29);
    assert_int_equal(N_ROWS(containing_aug), 22);
    assert_int_equal(N_ROWS(containing_dec), 18);
    for (size_t i = 0; i < N_ROWS(containing_rows); i++) {
        struct period out[PERIOD_CONTAINING_MAX];
        const char *row = containing_rows[i].month;
        size_t n = period_containing(ym(row), out, N_ROWS(out));

        CHECK_INT(row, n, containing_rows[i].count);
        for (size_t j = 0; j < n; j++) {
            char id[PERIOD_ID_MAX];

            period_format(&out[j], id);
            CHECK_STR(row, id, containing_rows[i].ids[j]);
        }
    }
}

/* Reference model: every period of every kind that ends within two
 * years of m, kept if it contains m, duplicates dropped. period_containing
 * must list exactly that set, once each, in kind order and, within YTD
 * and R12, by ascending end month. */
static void test_containing_reference(void **state)
{
    (void)state;
    for (int32_t m = period_month_from_ym(1990, 1);
         m <= period_month_from_ym(2030, 12); m++) {
        struct period want[7 * 49];
        struct period got[PERIOD_CONTAINING_MAX];
        size_t n_want = 0;
        size_t n_got = period_containing(m, got, N_ROWS(got));
        char row[8];

        period_month_format(m, row);
        for (int k = PERIOD_MONTH; k <= PERIOD_R12; k++) {
            for (int32_t end = m - 24; end <= m + 24; end++) {
                struct period p = period_of((enum period_kind)k, end);
                bool dup = false;

                if (!period_contains_month(&p, m))
                    continue;
                for (size_t j = 0; j < n_want; j++)
                    dup |= want[j].kind == p.kind &&
                           want[j].first_month == p.first_month &&
                           want[j].last_month == p.last_month;
                if (!dup)
                    want[n_want++] = p;
            }
        }
        /* 5 + (12 - month of year + 1) + 12 */
        CHECK_INT(row, n_got, 5 + 13 - period_month_of_year(m) + 12);
        CHECK_INT(row, n_got, n_want);
        for (size_t j = 0; j < n_got; j++) {
            size_t hits = 0;

            for (size_t w = 0; w < n_want; w++)
                hits += want[w].kind == got[j].kind &&
                        want[w].first_month == got[j].first_month &&
                        want[w].last_month == got[j].last_month;
            CHECK_INT(row, hits, 1);
            if (j > 0) {
                /* enum order is the required order */
                CHECK_INT(row, got[j - 1].kind <= got[j].kind, true);
                if (got[j - 1].kind == got[j].kind)
                    CHECK_INT(row, got[j - 1].last_month < got[j].last_month,
                              true);
            }
        }
    }
}

/* A short buffer is never overrun; the count says what was written. */
static void test_containing_cap(void **state)
{
    struct period out[PERIOD_CONTAINING_MAX + 1];
    struct period guard = {PERIOD_YEAR, -7, -7};
    int32_t jan = ym("2014-01");

    (void)state;
    for (size_t i = 0; i < N_ROWS(out); i++)
        out[i] = guard;
    assert_int_equal(period_containing(jan, out, 3), 3); /* month .. Q */
    assert_int_equal(out[2].kind, PERIOD_QUARTER);
    assert_int_equal(out[3].first_month, -7);
    assert_int_equal(period_containing(jan, out, 0), 0);
    assert_int_equal(period_containing(jan, out, 29), 29);
    assert_int_equal(out[29].first_month, -7);
    assert_int_equal(period_containing(jan, out, N_ROWS(out)), 29);
    assert_int_equal(out[29].first_month, -7);
}

/* ---- running periods -------------------------------------------------- */

/* clang-format off */
static const struct {
    const char *id;
    const char *as_of;
    bool running;
    int elapsed_days, elapsed_months;
    const char *last_month_as_of;
} running_rows[] = {
    /* 243 days jan..aug + 1 = 244; months jan..sep = 9 */
    {"2014", "2014-09-01", true, 244, 9, "2014-09"},
    {"2014", "2014-01-01", true, 1, 1, "2014-01"},      /* first day */
    {"2014", "2014-12-31", true, 365, 12, "2014-12"},   /* last day */
    {"2014", "2015-01-01", false, 365, 12, "2014-12"},  /* past: full */
    {"2014", "2020-06-15", false, 365, 12, "2014-12"},
    {"2014", "2013-12-31", false, 365, 12, "2014-12"},  /* future: full */
    {"2016", "2016-03-01", true, 61, 3, "2016-03"},     /* 31 + 29 + 1 */
    /* sep 30 + oct 31 + nov 30 + dec 31 + jan 31 = 153; + 15 = 168;
     * months 2013-09..2014-02 = 6 */
    {"2014-08-R12", "2014-02-15", true, 168, 6, "2014-02"},
    {"2014-08-R12", "2014-09-01", false, 365, 12, "2014-08"},
    {"2014-08-R12", "2013-08-31", false, 365, 12, "2014-08"},
    {"2016-T1", "2016-03-01", true, 61, 3, "2016-03"},  /* 31 + 29 + 1 */
    {"2014-08-YTD", "2014-08-31", true, 243, 8, "2014-08"},
    {"2014-08-YTD", "2014-09-01", false, 243, 8, "2014-08"},
    {"2014-08", "2014-08-31", true, 31, 1, "2014-08"},
    {"2014-08", "2014-08-01", true, 1, 1, "2014-08"},
    {"2014-08", "2014-07-31", false, 31, 1, "2014-08"},
    {"2014-Q1", "2014-02-28", true, 59, 2, "2014-02"},  /* 31 + 28 */
    {"2014-H2", "2014-10-01", true, 93, 4, "2014-10"},  /* 92 (Q3) + 1 */
};
/* clang-format on */

static void test_running(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(running_rows); i++) {
        char row[40];
        struct period p = pid(running_rows[i].id);
        int32_t as_of = ymd(running_rows[i].as_of);

        snprintf(row, sizeof row, "%s as of %s", running_rows[i].id,
                 running_rows[i].as_of);
        CHECK_INT(row, period_is_running(&p, as_of), running_rows[i].running);
        CHECK_INT(row, period_elapsed_days(&p, as_of),
                  running_rows[i].elapsed_days);
        CHECK_INT(row, period_elapsed_months(&p, as_of),
                  running_rows[i].elapsed_months);
        CHECK_INT(row, period_last_month_as_of(&p, as_of),
                  ym(running_rows[i].last_month_as_of));
    }
}

/* ---- calendar month addition ------------------------------------------ */

/* clang-format off */
static const struct {
    const char *from;
    int n;
    const char *to;
} add_rows[] = {
    {"2014-10-31", 4, "2015-02-28"},  /* feb 2015 has 28: clamp */
    {"2014-01-31", 4, "2014-05-31"},  /* may has 31: no clamp */
    {"2016-02-29", 12, "2017-02-28"}, /* 2017 not leap: clamp */
    {"2016-02-29", 48, "2020-02-29"}, /* 2020 leap */
    {"2014-01-31", 1, "2014-02-28"},
    {"2016-01-31", 1, "2016-02-29"},
    {"2000-01-31", 1, "2000-02-29"},  /* 2000 leap */
    {"1900-01-31", 1, "1900-02-28"},  /* 1900 not leap */
    {"2014-01-31", 2, "2014-03-31"},  /* clamping is not sticky */
    {"2014-08-31", 1, "2014-09-30"},
    {"2014-12-31", 1, "2015-01-31"},  /* year carry */
    {"2014-12-15", 13, "2016-01-15"},
    {"2014-08-15", 0, "2014-08-15"},
    {"2014-03-31", -1, "2014-02-28"}, /* negative, clamp */
    {"2016-03-31", -1, "2016-02-29"},
    {"2014-01-15", -1, "2013-12-15"}, /* negative year borrow */
    {"2014-01-15", -13, "2012-12-15"},
    {"2014-05-31", -24, "2012-05-31"},
    {"2015-02-28", -12, "2014-02-28"},
};
/* clang-format on */

static void test_add_months(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(add_rows); i++) {
        char row[40], out[11];

        snprintf(row, sizeof row, "%s %+d", add_rows[i].from, add_rows[i].n);
        period_date_format(
            period_add_months(ymd(add_rows[i].from), add_rows[i].n), out);
        CHECK_STR(row, out, add_rows[i].to);
    }
}

/* ---- shifting by years ------------------------------------------------ */

/* clang-format off */
static const struct {
    const char *id;
    int n;
    const char *want;
    int days;               /* of the shifted period */
} shift_rows[] = {
    {"2014-08-R12", 1, "2015-08-R12", 365},  /* sep 2014..aug 2015 */
    {"2015-02-R12", 1, "2016-02-R12", 366},  /* gains 2016-02-29 */
    {"2016-02-R12", -1, "2015-02-R12", 365},
    {"2014-08-YTD", 1, "2015-08-YTD", 243},
    {"2014-T2", -2, "2012-T2", 123},
    {"2015-T1", 1, "2016-T1", 121},          /* 120 + leap day */
    {"2014-Q3", 3, "2017-Q3", 92},
    {"2014-H2", -1, "2013-H2", 184},
    {"2014-08", 1, "2015-08", 31},
    {"2015-02", 1, "2016-02", 29},
    {"2014", 0, "2014", 365},
    {"2014", 2, "2016", 366},
    {"2014", -114, "1900", 365},
};
/* clang-format on */

static void test_shift_years(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS(shift_rows); i++) {
        struct period p = pid(shift_rows[i].id);
        struct period q = period_shift_years(&p, shift_rows[i].n);
        char out[PERIOD_ID_MAX];

        period_format(&q, out);
        CHECK_STR(shift_rows[i].id, out, shift_rows[i].want);
        CHECK_INT(out, q.kind, p.kind);
        CHECK_INT(out, period_months(&q), period_months(&p));
        CHECK_INT(out, q.first_month, p.first_month + 12 * shift_rows[i].n);
        CHECK_INT(out, period_days(&q), shift_rows[i].days);
    }
}

/* The slots of a year's sequence record (cell.h): the 46 periods whose
 * id carries 2014 take the slots 0..45, each its own; a period of
 * another year takes the slot of the same period of 2014. */
static void test_year_slot(void **state)
{
    (void)state;
    static const struct {
        const char *id;
        int slot;
    } rows[] = {
        {"2014-01", 0},      {"2014-12", 11},     {"2014-T1", 12},
        {"2014-T3", 14},     {"2014-Q1", 15},     {"2014-Q4", 18},
        {"2014-H1", 19},     {"2014-H2", 20},     {"2014", 21},
        {"2014-01-YTD", 22}, {"2014-12-YTD", 33}, {"2014-01-R12", 34},
        {"2014-08-R12", 41}, {"2014-12-R12", 45}, {"1900-05", 4},
        {"2199-Q3", 17},     {"2013-02-R12", 35},
    };
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        struct period p = pid(rows[i].id);
        CHECK_INT(rows[i].id, period_year_slot(&p), rows[i].slot);
    }

    static const char *const ids[] = {
        "2014-01",     "2014-02",     "2014-03",     "2014-04",
        "2014-05",     "2014-06",     "2014-07",     "2014-08",
        "2014-09",     "2014-10",     "2014-11",     "2014-12",
        "2014-T1",     "2014-T2",     "2014-T3",     "2014-Q1",
        "2014-Q2",     "2014-Q3",     "2014-Q4",     "2014-H1",
        "2014-H2",     "2014",        "2014-01-YTD", "2014-02-YTD",
        "2014-03-YTD", "2014-04-YTD", "2014-05-YTD", "2014-06-YTD",
        "2014-07-YTD", "2014-08-YTD", "2014-09-YTD", "2014-10-YTD",
        "2014-11-YTD", "2014-12-YTD", "2014-01-R12", "2014-02-R12",
        "2014-03-R12", "2014-04-R12", "2014-05-R12", "2014-06-R12",
        "2014-07-R12", "2014-08-R12", "2014-09-R12", "2014-10-R12",
        "2014-11-R12", "2014-12-R12",
    };
    size_t n = N_ROWS(ids);
    assert_int_equal(n, PERIOD_YEAR_SLOTS);
    bool taken[PERIOD_YEAR_SLOTS] = {false};
    for (size_t i = 0; i < n; i++) {
        struct period p = pid(ids[i]);
        int slot = period_year_slot(&p);
        assert_in_range(slot, 0, PERIOD_YEAR_SLOTS - 1);
        CHECK_INT(ids[i], taken[slot], false);
        taken[slot] = true;
        CHECK_INT(ids[i], period_month_year(p.last_month), 2014);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_numbers),
        cmocka_unit_test(test_day_numbers_walk),
        cmocka_unit_test(test_date_parse_ok),
        cmocka_unit_test(test_date_parse_reject),
        cmocka_unit_test(test_date_format_out_of_range),
        cmocka_unit_test(test_month),
        cmocka_unit_test(test_month_index_floor),
        cmocka_unit_test(test_month_parse_reject),
        cmocka_unit_test(test_period_parse),
        cmocka_unit_test(test_period_parse_reject),
        cmocka_unit_test(test_period_of),
        cmocka_unit_test(test_containing_lists),
        cmocka_unit_test(test_containing_reference),
        cmocka_unit_test(test_containing_cap),
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_shift_years),
        cmocka_unit_test(test_year_slot),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_clock.c — the Stockholm civil date of UTC instants around every
 * kind of midnight (winter, summer, both DST switch days, year end),
 * the fixed as-of day, and the midnight timer.
 *
 * Every row is computed by hand: the epoch second from the day number
 * (checked against period_day_from_ymd as well), the local time from
 * the EU rule. 2014's switches: last Sunday of March = 30 March, of
 * October = 26 October, both at 01:00 UTC. Where tzdata is installed, a
 * second test compares every hour from 1996 (when Sweden took the EU
 * end date) to 2037 with localtime_r() as a reference model.
 */
#include "clock.h"
#include "period.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

struct day_case {
    int y, mo, d, h, mi, s; /* the UTC instant */
    int64_t epoch;          /* the same, by hand */
    int ly, lm, ld;         /* expected Stockholm civil date */
};

/* Days: 2014-01-01 is day 16071 (44 years of 365 + 11 leap days = 16071).
 * Seconds: day * 86400 + h * 3600 + m * 60 + s. */
static const struct day_case day_cases[] = {
    /* Winter, CET (+1). 2014-01-15 = 16071 + 14 = 16085;
     * 16085 * 86400 = 1389744000. */
    /* + 82799 = 1389826799: 23:59:59 CET, still the 15th */
    {2014, 1, 15, 22, 59, 59, 1389826799, 2014, 1, 15},
    /* + 82800: 00:00:00 CET on the 16th */
    {2014, 1, 15, 23, 0, 0, 1389826800, 2014, 1, 16},

    /* Summer, CEST (+2). 2014-07-01 = 16071 + 181 = 16252;
     * 16252 * 86400 = 1404172800. */
    /* + 79199 = 1404251999: 23:59:59 CEST */
    {2014, 7, 1, 21, 59, 59, 1404251999, 2014, 7, 1},
    /* + 79200: 00:00:00 CEST on the 2nd */
    {2014, 7, 1, 22, 0, 0, 1404252000, 2014, 7, 2},

    /* The night before the March switch is still CET.
     * 2014-03-29 = 16071 + 87 = 16158; 16158 * 86400 = 1396051200. */
    /* + 81000 = 1396132200: 23:30 CET (CEST would say 00:30 on the 30th) */
    {2014, 3, 29, 22, 30, 0, 1396132200, 2014, 3, 29},
    /* + 82799: 23:59:59 CET */
    {2014, 3, 29, 22, 59, 59, 1396133999, 2014, 3, 29},
    /* + 82800: 00:00 CET, the switch day begins */
    {2014, 3, 29, 23, 0, 0, 1396134000, 2014, 3, 30},
    /* 2014-03-30 = 16159; 16159 * 86400 = 1396137600. */
    /* + 3599 = 1396141199: 01:59:59 CET, one second before the switch */
    {2014, 3, 30, 0, 59, 59, 1396141199, 2014, 3, 30},
    /* + 3600: 03:00:00 CEST, the clocks jump; same day */
    {2014, 3, 30, 1, 0, 0, 1396141200, 2014, 3, 30},
    /* + 79199 = 1396216799: 23:59:59 CEST; the day was 23 hours long */
    {2014, 3, 30, 21, 59, 59, 1396216799, 2014, 3, 30},
    /* + 79200: 00:00 CEST on the 31st */
    {2014, 3, 30, 22, 0, 0, 1396216800, 2014, 3, 31},
    /* A week earlier is not the last Sunday: still CET.
     * 2014-03-23 = 16152; * 86400 = 1395532800; + 81000: 23:30 CET */
    {2014, 3, 23, 22, 30, 0, 1395613800, 2014, 3, 23},

    /* A week before the October switch is still CEST.
     * 2014-10-19 = 16071 + 291 = 16362; * 86400 = 1413676800;
     * + 81000 = 1413757800: 00:30 CEST on the 20th */
    {2014, 10, 19, 22, 30, 0, 1413757800, 2014, 10, 20},
    /* 2014-10-25 = 16368; * 86400 = 1414195200. */
    /* + 79199 = 1414274399: 23:59:59 CEST */
    {2014, 10, 25, 21, 59, 59, 1414274399, 2014, 10, 25},
    /* + 79200: 00:00 CEST, the switch day begins */
    {2014, 10, 25, 22, 0, 0, 1414274400, 2014, 10, 26},
    /* 2014-10-26 = 16369; * 86400 = 1414281600. */
    /* + 3599 = 1414285199: 02:59:59 CEST */
    {2014, 10, 26, 0, 59, 59, 1414285199, 2014, 10, 26},
    /* + 3600: 02:00:00 CET, the clocks go back; same day */
    {2014, 10, 26, 1, 0, 0, 1414285200, 2014, 10, 26},
    /* + 81000 = 1414362600: 23:30 CET (CEST would say 00:30 on the 27th) */
    {2014, 10, 26, 22, 30, 0, 1414362600, 2014, 10, 26},
    /* + 82799: 23:59:59 CET; the day was 25 hours long */
    {2014, 10, 26, 22, 59, 59, 1414364399, 2014, 10, 26},
    /* + 82800: 00:00 CET on the 27th */
    {2014, 10, 26, 23, 0, 0, 1414364400, 2014, 10, 27},

    /* Year end. 2014-12-31 = 16071 + 364 = 16435; * 86400 = 1419984000. */
    /* + 82799 = 1420066799: 23:59:59 CET */
    {2014, 12, 31, 22, 59, 59, 1420066799, 2014, 12, 31},
    /* + 82800: 00:00 CET, new year in Stockholm, not yet in UTC */
    {2014, 12, 31, 23, 0, 0, 1420066800, 2015, 1, 1},

    /* Last Sunday of March 2024 is the 31st itself (weekday 0).
     * 2024-03-30 = 19812; * 86400 = 1711756800; + 81000: 23:30 CET */
    {2024, 3, 30, 22, 30, 0, 1711837800, 2024, 3, 30},
    /* 2024-03-31 = 19813; + 81000 = 1711924200: 00:30 CEST on 1 April */
    {2024, 3, 31, 22, 30, 0, 1711924200, 2024, 4, 1},
    /* Last Sunday of October 2021 is the 31st itself.
     * 2021-10-30 = 18930; * 86400 = 1635552000; + 81000: 00:30 CEST */
    {2021, 10, 30, 22, 30, 0, 1635633000, 2021, 10, 31},
    /* 2021-10-31 = 18931; + 81000 = 1635719400: 23:30 CET */
    {2021, 10, 31, 22, 30, 0, 1635719400, 2021, 10, 31},

    /* Before the epoch the division must floor, not truncate.
     * 1969-12-31 = day -1; -86400 + 82799 = -3601: 23:59:59 CET */
    {1969, 12, 31, 22, 59, 59, -3601, 1969, 12, 31},
    /* -3600: 00:00 CET on 1970-01-01, day 0 */
    {1969, 12, 31, 23, 0, 0, -3600, 1970, 1, 1},
};

static void test_stockholm_day(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(day_cases) / sizeof(day_cases[0]); i++) {
        const struct day_case *c = &day_cases[i];
        int64_t t = (int64_t)period_day_from_ymd(c->y, c->mo, c->d) * 86400 +
                    c->h * 3600 + c->mi * 60 + c->s;
        int32_t want = period_day_from_ymd(c->ly, c->lm, c->ld);
        int32_t got = clock_stockholm_day((time_t)c->epoch);

        if (t != c->epoch || got != want) {
            int y, m, d;
            period_ymd_from_day(got, &y, &m, &d);
            print_error("row %zu: %04d-%02d-%02dT%02d:%02d:%02dZ: epoch "
                        "%lld (computed %lld), day %04d-%02d-%02d, want "
                        "%04d-%02d-%02d\n",
                        i, c->y, c->mo, c->d, c->h, c->mi, c->s,
                        (long long)c->epoch, (long long)t, y, m, d, c->ly,
                        c->lm, c->ld);
        }
        assert_int_equal(t, c->epoch);
        assert_int_equal(got, want);
    }
}

/* Reference model: the host's tzdata through localtime_r. Skipped when
 * the zone file is missing; the table above does not need it. */
static void test_stockholm_day_vs_tzdata(void **state)
{
    const int64_t from = 820454400; /* 1996-01-01T00:00:00Z */
    const int64_t to = 2145916800;  /* 2038-01-01T00:00:00Z */
    const char *old_tz = getenv("TZ");
    char saved[256] = "";
    long mismatches = 0;

    (void)state;
    if (access("/usr/share/zoneinfo/Europe/Stockholm", R_OK) != 0) {
        skip();
        return;
    }
    if (old_tz != NULL)
        snprintf(saved, sizeof(saved), "%s", old_tz);
    setenv("TZ", "Europe/Stockholm", 1);
    tzset();
    /* Each hour and the second before it: every midnight and every
     * switch instant lies on a whole hour. */
    for (int64_t t = from; t < to && (int64_t)(time_t)t == t; t += 3600) {
        for (int64_t u = t - 1; u <= t; u++) {
            time_t tt = (time_t)u;
            struct tm tm;
            assert_non_null(localtime_r(&tt, &tm));
            int32_t want = period_day_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1,
                                               tm.tm_mday);
            if (clock_stockholm_day(tt) != want && mismatches++ < 5)
                print_error("mismatch at %lld\n", (long long)u);
        }
    }
    if (old_tz != NULL)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    assert_int_equal(mismatches, 0);
}

static void test_fixed_day(void **state)
{
    /* 2014-09-01 = 16071 + 243 = 16314 */
    const int32_t day = 16314;

    (void)state;
    assert_int_equal(period_day_from_ymd(2014, 9, 1), day);
    clock_set_fixed(day);
    assert_int_equal(clock_as_of(), day);
    /* No midnight to wait for: the loop rechecks hourly. */
    assert_int_equal(clock_ms_to_midnight(), 3600000);
    /* Day 0, 1970-01-01, is a valid fixed day, not "follow the clock". */
    clock_set_fixed(0);
    assert_int_equal(clock_as_of(), 0);
    assert_int_equal(clock_ms_to_midnight(), 3600000);
    clock_set_fixed(-1);
}

static int64_t test_now_ms(struct timespec *ts)
{
    assert_int_equal(clock_gettime(CLOCK_REALTIME, ts), 0);
    return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/* The real clock: as_of is today's Stockholm day and the timer points
 * at the next Stockholm midnight. Retried if midnight passes mid-test. */
static void test_real_clock(void **state)
{
    (void)state;
    clock_set_fixed(-1);
    for (int attempt = 0; attempt < 3; attempt++) {
        struct timespec a, b;
        int64_t a_ms = test_now_ms(&a);
        int32_t as_of = clock_as_of();
        int64_t ms = clock_ms_to_midnight();
        int64_t b_ms = test_now_ms(&b);
        int32_t today = clock_stockholm_day(a.tv_sec);

        if (clock_stockholm_day(b.tv_sec) != today)
            continue; /* crossed midnight while measuring */
        assert_int_equal(as_of, today);
        /* A Stockholm day lasts 23, 24 or 25 hours. */
        assert_true(ms >= 1);
        assert_true(ms <= 25 * 3600 * 1000);
        /* Midnight M (a whole second) lies in [a_ms + ms, b_ms + ms]:
         * the second before the earliest bound is still today, the
         * latest bound is already tomorrow. */
        assert_int_equal(clock_stockholm_day((time_t)((a_ms + ms) / 1000 - 1)),
                         today);
        assert_int_equal(clock_stockholm_day((time_t)((b_ms + ms) / 1000)),
                         today + 1);
        return;
    }
    fail_msg("midnight kept passing during the test");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stockholm_day),
        cmocka_unit_test(test_stockholm_day_vs_tzdata),
        cmocka_unit_test(test_fixed_day),
        cmocka_unit_test(test_real_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

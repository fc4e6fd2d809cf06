/*
 * clock.c — the as-of date (DESIGN §3): the civil date in
 * Europe/Stockholm, or a fixed day given with --as-of.
 *
 * Why by hand and not TZ/localtime(): the result must not depend on the
 * host's TZ variable, its tzdata package or a tzdata update, and the
 * same instant must give the same day in tests, in --rebuild and in
 * production. Sweden has followed the EU summer-time rule since 1996:
 * CET (UTC+1), and CEST (UTC+2) from the last Sunday of March 01:00 UTC
 * to the last Sunday of October 01:00 UTC. Should the EU abolish the
 * switch, this file is the one place to change.
 *
 * This is the only module that reads the system clock for dates; the
 * aggregation code is handed the day number it returns.
 */
#include "clock.h"

#include "period.h"

#include <time.h>

#define CLOCK_SECONDS_PER_DAY 86400
#define CLOCK_CET_OFFSET_S 3600  /* UTC+1 */
#define CLOCK_CEST_OFFSET_S 7200 /* UTC+2 */
#define CLOCK_SWITCH_UTC_S 3600  /* switches happen at 01:00 UTC */
/* With a fixed day there is no midnight to wait for; the loop just
 * rechecks once an hour. */
#define CLOCK_FIXED_WAIT_MS 3600000

/* Fixed as-of day, or -1: follow the real clock. */
static int32_t clock_fixed_day = -1;

/* Floor division: the day of an instant before 1970 is still the day
 * that contains it. */
static int64_t clock_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* 0 = Sunday .. 6 = Saturday; day 0 (1970-01-01) was a Thursday. */
static int clock_weekday(int32_t day)
{
    return (int)(((int64_t)day % 7 + 7 + 4) % 7);
}

/* Day number of the last Sunday of month m (March or October: 31 days)
 * of year y. */
static int32_t clock_last_sunday(int y, int m)
{
    int32_t last = period_day_from_ymd(y, m, 31);
    return last - clock_weekday(last);
}

/* Seconds east of UTC in Stockholm at the UTC instant t. */
static int clock_stockholm_offset_s(int64_t t)
{
    int32_t utc_day = (int32_t)clock_floor_div(t, CLOCK_SECONDS_PER_DAY);
    int y, m, d;
    int64_t start, end;

    /* The UTC year is the right one: both switches lie far from new
     * year, where UTC and Stockholm can disagree about the year. */
    period_ymd_from_day(utc_day, &y, &m, &d);
    start = (int64_t)clock_last_sunday(y, 3) * CLOCK_SECONDS_PER_DAY +
            CLOCK_SWITCH_UTC_S;
    end = (int64_t)clock_last_sunday(y, 10) * CLOCK_SECONDS_PER_DAY +
          CLOCK_SWITCH_UTC_S;
    return t >= start && t < end ? CLOCK_CEST_OFFSET_S : CLOCK_CET_OFFSET_S;
}

static int32_t clock_stockholm_day_s(int64_t t)
{
    return (int32_t)clock_floor_div(t + clock_stockholm_offset_s(t),
                                    CLOCK_SECONDS_PER_DAY);
}

/* The UTC instant of the Stockholm midnight that starts day `day`.
 * Midnight is 22:00 or 23:00 UTC the evening before, both on the same
 * side of any switch (those are at 01:00 UTC), so the offset in force
 * at the CET guess decides which one it is. */
static int64_t clock_midnight_utc_s(int32_t day)
{
    int64_t local = (int64_t)day * CLOCK_SECONDS_PER_DAY;

    if (clock_stockholm_offset_s(local - CLOCK_CET_OFFSET_S) ==
        CLOCK_CET_OFFSET_S)
        return local - CLOCK_CET_OFFSET_S;
    return local - CLOCK_CEST_OFFSET_S;
}

void clock_set_fixed(int32_t day)
{
    clock_fixed_day = day < 0 ? -1 : day;
}

bool clock_is_fixed(void)
{
    return clock_fixed_day >= 0;
}

int32_t clock_stockholm_day(time_t utc)
{
    return clock_stockholm_day_s((int64_t)utc);
}

int32_t clock_as_of(void)
{
    if (clock_fixed_day >= 0)
        return clock_fixed_day;
    return clock_stockholm_day_s((int64_t)time(NULL));
}

int64_t clock_ms_to_midnight(void)
{
    struct timespec now;
    int64_t now_ms, next_ms, ms;

    if (clock_fixed_day >= 0)
        return CLOCK_FIXED_WAIT_MS;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return CLOCK_FIXED_WAIT_MS; /* cannot happen for REALTIME */
    now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    next_ms =
        clock_midnight_utc_s(clock_stockholm_day_s(now.tv_sec) + 1) * 1000;
    ms = next_ms - now_ms;
    return ms < 1 ? 1 : ms;
}

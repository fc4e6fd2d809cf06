/*
 * clock.h — the as-of date: the civil date in Europe/Stockholm (CET,
 * CEST from the last Sunday of March 01:00 UTC to the last Sunday of
 * October 01:00 UTC), or a fixed date given with --as-of. The only
 * place that reads the system clock for dates; aggregation code is
 * handed the result.
 */
#ifndef NYCKEL_CLOCK_H
#define NYCKEL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Fix the as-of day (day number), or -1 to follow the real clock. */
void clock_set_fixed(int32_t day);
/* True when the day was fixed with clock_set_fixed(day >= 0). */
bool clock_is_fixed(void);
/* Today's as-of day number. */
int32_t clock_as_of(void);
/* The Stockholm civil day number of a UTC instant (pure; for tests). */
int32_t clock_stockholm_day(time_t utc);
/* Milliseconds until the next Stockholm midnight (>= 1); for the loop's
 * rollover timer. With a fixed day: a large value. */
int64_t clock_ms_to_midnight(void);

#endif

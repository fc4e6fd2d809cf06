/*
 * test_member.c — the run counters of member.h: the distinct subjects
 * of a period added up from its months equal the subjects that have a
 * counting month in it, for a hand-computed case and for every period
 * of every kind over many patterns of months.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "member.h"
#include "period.h"

#include <string.h>

#define SPAN 48 /* months 2013-01.. of a pattern */

static int32_t month0(void) { return period_month_from_ym(2013, 1); }

/* The window around month m of the subject whose counting months are the
 * bits of pattern (bit i: month0() + i). */
static member_window window_of(uint64_t pattern, int32_t m)
{
    member_window w = 0;
    for (int d = 0; d <= 22; d++) {
        int32_t i = m - 11 + d - month0();
        if (i >= 0 && i < SPAN && (pattern >> i & 1))
            w |= 1u << d;
    }
    return w;
}

/* Σ over subjects of their run counters of month m. */
static void runs_of(const uint64_t *subjects, size_t n, int32_t m,
                    int64_t *out)
{
    memset(out, 0, MEMBER_RUN_COUNTERS * sizeof(*out));
    for (size_t s = 0; s < n; s++) {
        int64_t c[MEMBER_RUN_COUNTERS];
        member_run_counts(window_of(subjects[s], m), 0, c);
        for (int k = 0; k < MEMBER_RUN_COUNTERS; k++)
            out[k] += c[k];
    }
}

static int64_t distinct_direct(const uint64_t *subjects, size_t n,
                               const struct period *p)
{
    int64_t count = 0;
    for (size_t s = 0; s < n; s++)
        for (int32_t m = p->first_month; m <= p->last_month; m++) {
            int32_t i = m - month0();
            if (i >= 0 && i < SPAN && (subjects[s] >> i & 1)) {
                count++;
                break;
            }
        }
    return count;
}

static int64_t distinct_by_runs(const uint64_t *subjects, size_t n,
                                const struct period *p)
{
    int64_t runs[MEMBER_RUN_MONTHS][MEMBER_RUN_COUNTERS];
    for (int32_t m = p->first_month; m <= p->last_month; m++)
        runs_of(subjects, n, m, runs[m - p->first_month]);
    return member_runs_distinct(p, (const int64_t (*)[MEMBER_RUN_COUNTERS])runs);
}

/* Hand-computed: in Q1 2014 a subject of january and march (one gap of
 * one month inside the quarter) counts once, one of december 2013 and
 * january 2014 once (a run carried in), one of november 2013 and
 * february 2014 once (its gap starts before the quarter). Counters of
 * Q1: START jan 1 (the first), feb 1 (the third), mar 1 (the first
 * again); BOTH jan 1 (the second); GAP1 of march 1 (inside: subtract),
 * GAP2 of february 1 (starts before january: kept). 3 + 1 - 1 = 3. */
static void test_hand_computed(void **state)
{
    (void)state;
    uint64_t jan14 = 12, subjects[3] = {
        (1ull << jan14) | (1ull << (jan14 + 2)),
        (1ull << (jan14 - 1)) | (1ull << jan14),
        (1ull << (jan14 - 2)) | (1ull << (jan14 + 1)),
    };
    struct period q1;
    assert_int_equal(period_parse("2014-Q1", &q1), 0);
    int64_t jan[MEMBER_RUN_COUNTERS], feb[MEMBER_RUN_COUNTERS],
        mar[MEMBER_RUN_COUNTERS];
    runs_of(subjects, 3, q1.first_month, jan);
    runs_of(subjects, 3, q1.first_month + 1, feb);
    runs_of(subjects, 3, q1.first_month + 2, mar);
    assert_int_equal(jan[MEMBER_RUN_START], 1);
    assert_int_equal(jan[MEMBER_RUN_BOTH], 1);
    assert_int_equal(feb[MEMBER_RUN_START], 1);
    assert_int_equal(feb[MEMBER_RUN_GAP1 + 1], 1);
    assert_int_equal(mar[MEMBER_RUN_START], 1);
    assert_int_equal(mar[MEMBER_RUN_GAP1], 1);
    assert_int_equal(distinct_by_runs(subjects, 3, &q1), 3);
    assert_int_equal(distinct_direct(subjects, 3, &q1), 3);
}

/* Every period of every kind within the span, over patterns from a
 * fixed generator: sparse, dense and in between. */
static void test_every_period(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull, subjects[40];
    for (size_t s = 0; s < 40; s++) {
        uint64_t p = 0;
        for (int i = 0; i < SPAN; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (x % 8 < s % 8)
                p |= 1ull << i;
        }
        subjects[s] = p;
    }
    int checked = 0;
    for (int32_t m = month0() + 11; m < month0() + SPAN - 11; m++) {
        struct period pers[PERIOD_CONTAINING_MAX];
        size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
        for (size_t i = 0; i < n; i++) {
            if (pers[i].first_month < month0() + 11)
                continue; /* months before the span's first would count */
            assert_int_equal(distinct_by_runs(subjects, 40, &pers[i]),
                             distinct_direct(subjects, 40, &pers[i]));
            checked++;
        }
    }
    assert_true(checked > 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_every_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * member.h — distinct counts over any window of months (DESIGN §5):
 * one record per (subject, raw slice) holding a signed amount per month
 * (net paid öre for a household, care days for a person); a month counts
 * when its amount is > 0. When a change flips a month, the distinct
 * counters of the periods containing it move by what the subject's
 * months within eleven months either side say — O(1) per period, no
 * per-window member lists.
 */
#ifndef NYCKEL_MEMBER_H
#define NYCKEL_MEMBER_H

#include "cellmap.h"
#include "period.h"

#include <stdint.h>

/* Bits of months m-11..m+11 (bit i: month m - 11 + i counts). */
typedef uint32_t member_window;

/* Add delta to the record at key (db CELLMAP_MEMBERS) in month m. The
 * window around m before and after the change goes to *before and *after
 * (equal when month m did not flip). */
int member_move(struct cellmap *cm, const char *key, int32_t m, int64_t delta,
                member_window *before, member_window *after);

/* What the flip did to period per (which contains m): *distinct +-1 when
 * the subject entered or left the period, *months +-1 for the months it
 * counts in, *long_term +-1 when its months in per crossed
 * long_term_months (0: not computed). */
void member_period_delta(const struct period *per, int32_t m,
                         member_window before, member_window after,
                         int long_term_months, int64_t *distinct,
                         int64_t *months, int64_t *long_term);

/*
 * Distinct counts added up from month cells. A subject's counting months
 * form runs; the subjects of a period P are the runs meeting P less the
 * gaps between runs that lie inside P:
 *
 *   distinct(P) = Σ START over P's months + BOTH of P's first month
 *                 − Σ GAP[g] over P's months j with g <= j − 1 − first
 *
 * with, per month j, START (j counts, j-1 not), BOTH (j-1 and j count)
 * and GAP[g] (j counts after g months that do not, the month before them
 * counts; g <= MEMBER_GAP_MAX, the longest gap inside a period of twelve
 * months). A flip of month m changes these for months m..m+11 only.
 */
#define MEMBER_GAP_MAX 10
enum { MEMBER_RUN_START, MEMBER_RUN_BOTH, MEMBER_RUN_GAP1 };
#define MEMBER_RUN_COUNTERS (MEMBER_RUN_GAP1 + MEMBER_GAP_MAX)
#define MEMBER_RUN_MONTHS 12 /* months m..m+11 */

/* The run counters of month m + j (j < MEMBER_RUN_MONTHS) in window w
 * (around m) as bits: bit k is counter k (at most two are set: START
 * with a GAP, or BOTH). */
unsigned member_run_bits(member_window w, int j);
/* The same into out[MEMBER_RUN_COUNTERS] (0 or 1 each). */
void member_run_counts(member_window w, int j, int64_t *out);

/* distinct(P) above from the run counters of P's months: runs[i] holds
 * those of month first + i. */
int64_t member_runs_distinct(const struct period *p,
                             const int64_t (*runs)[MEMBER_RUN_COUNTERS]);

#endif

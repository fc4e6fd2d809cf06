/*
 * member.c — subjects' month records and distinct-count deltas (see
 * member.h).
 */
#include "member.h"

#include "xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER_REACH 11 /* periods containing m lie within m-11..m+11 */

/* One month of a record; records are sorted by month, never hold 0. */
struct member_month {
    int32_t month;  /* month index */
    int32_t pad;    /* zero */
    int64_t amount; /* net öre, care days, ... */
};

/* The first index of ms[0..n) whose month is >= m (n when none). */
static size_t member_find(const struct member_month *ms, size_t n, int32_t m)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ms[mid].month < m)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The window around m; only the records within it are read (a record
 * of years is long, and a placement moves it month by month). */
static member_window member_mask(const struct member_month *ms, size_t n,
                                 int32_t m)
{
    member_window mask = 0;
    for (size_t i = member_find(ms, n, m - MEMBER_REACH);
         i < n && ms[i].month <= m + MEMBER_REACH; i++)
        if (ms[i].amount > 0)
            mask |= 1u << (ms[i].month - (m - MEMBER_REACH));
    return mask;
}

/* w with month m's own bit (the window's middle) set to on: a move
 * changes no other month of the window. */
static member_window member_with(member_window w, bool on)
{
    member_window bit = 1u << MEMBER_REACH;
    return on ? w | bit : w & ~bit;
}

int member_move(struct cellmap *cm, const char *key, int32_t m, int64_t delta,
                member_window *before, member_window *after)
{
    const void *val;
    size_t len;
    int rc = cellmap_get(cm, CELLMAP_MEMBERS, key, &val, &len);
    if (rc)
        return rc;
    if (len % sizeof(struct member_month))
        return -EPROTO;
    size_t n = len / sizeof(struct member_month);
    const struct member_month *old = val; /* the map's copy, malloc'd */
    *before = member_mask(old, n, m);
    size_t i = member_find(old, n, m);
    bool have = i < n && old[i].month == m;
    if (have ? old[i].amount + delta == 0 : delta == 0) {
        /* the month goes (or, absent, stays away): a shorter record */
        if (!have) {
            *after = *before;
            return 0;
        }
        struct member_month *ms = xmalloc(len);
        memcpy(ms, old, i * sizeof(*ms));
        memcpy(ms + i, old + i + 1, (n - i - 1) * sizeof(*ms));
        *after = member_with(*before, false);
        rc = cellmap_put(cm, CELLMAP_MEMBERS, key, ms, (n - 1) * sizeof(*ms));
        free(ms);
        return rc;
    }
    /* changed in place, or one month longer: edited in the map, no copy
     * of a record of years per month a placement moves */
    size_t got;
    struct member_month *ms = cellmap_edit(
        cm, CELLMAP_MEMBERS, key, have ? len : len + sizeof(*ms), &got, &rc);
    if (!ms)
        return rc;
    if (have) {
        ms[i].amount += delta;
    } else {
        memmove(&ms[i + 1], &ms[i], (n - i) * sizeof(*ms));
        ms[i] = (struct member_month){.month = m, .amount = delta};
    }
    *after = member_with(*before, ms[i].amount > 0);
    return 0;
}

/* Bits set in w. Not __builtin_popcount: without -mpopcnt that is a
 * call into libgcc, a twentieth of a batch of decisions. */
static int member_popcount(member_window w)
{
    uint32_t x = w;
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)((x * 0x01010101u) >> 24);
}

void member_period_delta(const struct period *per, int32_t m,
                         member_window before, member_window after,
                         int long_term_months, int64_t *distinct,
                         int64_t *months, int64_t *long_term)
{
    /* the period's months as bits of the window around m */
    int32_t lo = per->first_month - (m - MEMBER_REACH);
    int32_t hi = per->last_month - (m - MEMBER_REACH);
    if (lo < 0)
        lo = 0;
    if (hi > 2 * MEMBER_REACH)
        hi = 2 * MEMBER_REACH;
    member_window bits = 0;
    if (lo <= hi)
        bits = (member_window)(((uint64_t)1 << (hi + 1)) - ((uint64_t)1 << lo));
    int nb = member_popcount(before & bits);
    int na = member_popcount(after & bits);
    *distinct = (na != 0) - (nb != 0);
    *months = na - nb;
    *long_term = long_term_months
                     ? (na >= long_term_months) - (nb >= long_term_months)
                     : 0;
}

/* True when month m - MEMBER_REACH + d counts in w (d within the window). */
static bool member_on(member_window w, int d)
{
    return d >= 0 && d <= 2 * MEMBER_REACH && (w >> d & 1u);
}

_Static_assert(MEMBER_RUN_COUNTERS <= 32, "run counters fit in bits");

unsigned member_run_bits(member_window w, int j)
{
    int d = MEMBER_REACH + j; /* month m + j in the window */
    if (!member_on(w, d))
        return 0;
    if (member_on(w, d - 1))
        return 1u << MEMBER_RUN_BOTH;
    for (int g = 1; g <= MEMBER_GAP_MAX; g++)
        if (member_on(w, d - 1 - g))
            return 1u << MEMBER_RUN_START | 1u << (MEMBER_RUN_GAP1 + g - 1);
    return 1u << MEMBER_RUN_START;
}

void member_run_counts(member_window w, int j, int64_t *out)
{
    unsigned bits = member_run_bits(w, j);
    for (int k = 0; k < MEMBER_RUN_COUNTERS; k++)
        out[k] = (bits >> k) & 1;
}

int64_t member_runs_distinct(const struct period *p,
                             const int64_t (*runs)[MEMBER_RUN_COUNTERS])
{
    int n = p->last_month - p->first_month + 1;
    int64_t distinct = runs[0][MEMBER_RUN_BOTH];
    for (int i = 0; i < n; i++) {
        distinct += runs[i][MEMBER_RUN_START];
        for (int g = 1; g <= MEMBER_GAP_MAX && g <= i - 1; g++)
            distinct -= runs[i][MEMBER_RUN_GAP1 + g - 1];
    }
    return distinct;
}

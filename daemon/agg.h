/*
 * agg.h — the registry of aggregation domains (DESIGN §4). Each domain
 * (agg_eb.c, later agg_pl.c, agg_inv.c, agg_ec.c) is pure: it turns an
 * event's contribution into cell deltas and cells into metric values,
 * through a cellmap and with the as-of date handed in.
 */
#ifndef NYCKEL_AGG_H
#define NYCKEL_AGG_H

#include "cell.h"
#include "cellmap.h"
#include "event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGG_METRICS_MAX 16

/* One metric value of a slice. Strings are static. */
struct metric {
    const char *id;    /* stable snake_case id */
    const char *label; /* Swedish label */
    const char *unit;  /* "kr", "count", "ratio", "share", "months", "days" */
    bool is_null;      /* zero denominator, or not kept for the slice */
    double value;      /* kronor for "kr" */
};

typedef int (*agg_emit_fn)(void *ctx, const char *topic);

/* Append metric id to out (at *n, advanced): num when ratio is false,
 * else num / den, null when den is 0. */
void agg_metric_set(struct metric *out, size_t *n, const char *id,
                    const char *label, const char *unit, double num, double den,
                    bool ratio);

struct agg_domain {
    const char *name;    /* "eb" */
    const char *rollups; /* dims that can be queried, comma separated */
    /* Add (sign +1) or remove (-1) the contribution of a valid, not
     * deleted event as of the store's as-of day; kinds the domain does
     * not aggregate are ignored. */
    int (*apply)(struct cellmap *m, const struct event *e, int sign,
                 int32_t as_of);
    /* The store's as-of day moves from old_as_of to new_as_of: adjust
     * the contribution of e, an event that agg_asof_mark() listed as
     * depending on it. NULL when the domain keeps no such events. */
    int (*advance)(struct cellmap *m, const struct event *e, int32_t old_as_of,
                   int32_t new_as_of);
    /* The metrics of the cell named by k as of as_of into out
     * (AGG_METRICS_MAX); *n receives the count. */
    int (*metrics)(struct cellmap *m, const struct cell_key_parts *k,
                   int32_t as_of, struct metric *out, size_t *n);
    /* Every topic whose metrics depend on the changed cell k, itself
     * included. */
    int (*affected)(const struct cell_key_parts *k, int32_t as_of,
                    agg_emit_fn emit, void *ctx);
};

/*
 * An accumulator of counter deltas per (period, raw slice), so that an
 * event touching many months (a placement of years) adds to each cell
 * once instead of once per month: O(periods) cell updates, not
 * O(months × 29).
 */
struct agg_acc_entry {
    struct period period;
    int raw; /* the domain's raw slice index */
    int64_t d[CELL_COUNTERS_MAX];
};

struct agg_acc {
    struct agg_acc_entry *slots; /* open addressing, power of two; a
                                  * slot is in use when its key is not 0
                                  * (slots are not zeroed: a placement
                                  * of years fills thousands) */
    uint64_t *keys; /* packed (period, raw) of each slot, 0 = empty:
                     * probing reads 8 bytes a slot, not a whole entry */
    size_t cap, n;
};

void agg_acc_init(struct agg_acc *a);
void agg_acc_free(struct agg_acc *a);
/* The deltas of (period, raw), zero at first. Valid until the next call. */
int64_t *agg_acc_at(struct agg_acc *a, const struct period *p, int raw);

/* All domains, NULL-terminated. */
extern const struct agg_domain *const agg_domains[];

/* The domain called name, or NULL. */
const struct agg_domain *agg_domain_find(const char *name);

/* apply() of every domain. */
int agg_apply(struct cellmap *m, const struct event *e, int sign,
              int32_t as_of);
/* advance() of every domain. */
int agg_advance(struct cellmap *m, const struct event *e, int32_t old_as_of,
                int32_t new_as_of);

/*
 * Point-in-time counts ("active on day D"): a domain keeps, per period,
 * the count on the period's last day in counter last_idx of its cells,
 * and day cells "muni/domain/day/YYYY-MM-DD/slice" with two counters,
 * entries (AGG_DAY_IN) and exits (AGG_DAY_OUT) that day. The count on
 * the as-of day of a running period is then the count on the last day
 * of the month before plus the entries and minus the exits through
 * as_of.
 *
 * Age-band and gender slices are labelled by age at a period's start,
 * and a running period may start in another year than the month before
 * the as-of month (january) or than the as-of month itself (an R12
 * window): for those slices the domain also keeps the month-end counts
 * labelled by the year after and before the month's own
 * (agg_last_add, shift +1 and -1) and day cells labelled by the year
 * before the day's own (agg_day_add, shift -1).
 */
enum { AGG_DAY_IN, AGG_DAY_OUT, AGG_DAY_COUNTERS };

/* True for slices labelled by age (age_band=, gender=). */
bool agg_slice_by_age(const char *slice);

/* Add sign to counter (AGG_DAY_IN or AGG_DAY_OUT) of the day cell of
 * slice, labelled by the day's year + shift (0 or -1). */
int agg_day_add(struct cellmap *m, const char *muni, const char *domain,
                int32_t day, const char *slice, int shift, int counter,
                int sign);
/* Add sign to the month-end count of month in slice labelled by the
 * month's year + shift (+1 or -1). */
int agg_last_add(struct cellmap *m, const char *muni, const char *domain,
                 int32_t month, const char *slice, int shift, int sign);
/* The count on day as_of for slice k (see above); n_counters is the
 * domain's cell width. */
int agg_count_on(struct cellmap *m, const struct cell_key_parts *k,
                 int32_t as_of, int last_idx, size_t n_counters,
                 int64_t *count);
/* The key prefixes of the day and month-end cells agg_count_on() may
 * read as of as_of, each followed by "<when>/<slice>" in a stored key:
 * the as-of month's day cells and the month before's month-end counts.
 * Returns how many were written to out. */
#define AGG_COUNT_PREFIXES 4
size_t agg_count_prefixes(const char *muni, const char *domain, int32_t as_of,
                          char out[AGG_COUNT_PREFIXES][CELL_KEY_MAX]);
/* An affected() for domains with such counts: the cell itself, and when
 * it is the month before the as-of month, every running period (their
 * as-of day count starts from it). */
int agg_affected_with_running(const struct cell_key_parts *k, int32_t as_of,
                              agg_emit_fn emit, void *ctx);

/*
 * Additive sums (paid, care days, cost, ...) are kept in month cells
 * only and a longer period adds up its months when it is read (DESIGN
 * §5): an event then changes one cell per slice for them, not one per
 * period containing its month. The exception is a slice labelled by age
 * (agg_slice_by_age()) of a period starting in another year than it
 * ends, an R12 window across new year: its months' cells are labelled by
 * their own years, so such a period keeps its sums in its own cell.
 */
bool agg_sums_by_month(const struct period *p, const char *slice);
/* True when p starts in another year than it ends (an R12 window across
 * new year): its age-labelled slices keep their own sums. */
bool agg_period_crosses_year(const struct period *p);
/* The n_counters counters of slice's month cell of month m into out. */
int agg_month_read(struct cellmap *m, const char *muni, const char *domain,
                   int32_t month, const char *slice, size_t n_counters,
                   int64_t *out);
/* A memo of month cells for a phase that only reads cells (publishing
 * a commit's updates, answering a query): the quarters, years, years to
 * date and rolling twelve months of a slice read the same months again
 * and again, some 8 700 month reads for the 240 updates of one payment.
 * Attached with cellmap_set_memo(), it keeps every month cell that
 * agg_month_read() reads, by slice, and answers the next read of it;
 * a change of any cell detaches it (cellmap.h). */
struct agg_months;
struct agg_months *agg_months_new(void);
void agg_months_free(struct agg_months **mm);
/* Add the counters idx[0..n_idx) of the month cells of slice for months
 * first..last to sum[idx[i]] (not zeroed here); n_counters is the
 * domain's cell width. */
int agg_sum_months(struct cellmap *m, const char *muni, const char *domain,
                   int32_t first, int32_t last, const char *slice,
                   size_t n_counters, const int *idx, size_t n_idx,
                   int64_t *sum);
/* Emit the topic of every period containing month m whose sums come
 * from month m's cell (agg_sums_by_month()), the month itself included. */
int agg_emit_month_readers(const char *muni, const char *domain, int32_t m,
                           const char *slice, agg_emit_fn emit, void *ctx);

/* The key of subject's member record (eb's households, pl's persons) in
 * raw slice into key[CELL_KEY_MAX]: "muni/domain/subject\x1fslice", or
 * "muni/domain/subject\x1fyear:slice" for an age-labelled one (year > 0,
 * the label year). Subject first, so that the records one event changes,
 * one a raw slice, lie side by side in the store (issue 8: fewer pages a
 * commit); the separator, which no id holds (validate.h), keeps subject
 * and slice apart whatever '/' either holds. 0 or -ENAMETOOLONG. */
int agg_member_key(char *key, const char *muni, const char *domain,
                   const char *subject, int year, const char *slice);

/* Members-db keys "asof/<entity key>" list the events whose contribution
 * depends on the as-of day (open placements); a domain's apply() marks
 * (sign +1) and unmarks (-1) them here. */
#define AGG_ASOF_PREFIX "asof/"
int agg_asof_mark(struct cellmap *m, const struct event *e, int sign);
/* The same for an entity named by its key (entity_key()). */
int agg_asof_mark_key(struct cellmap *m, const char *entity_key, int sign);

#endif

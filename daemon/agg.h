/*
 * agg.h — the registry of aggregation domains (DESIGN §4). Each domain
 * (agg_eb.c, later agg_pl.c, agg_inv.c, agg_ec.c) is pure: it turns an
 * event's contribution into cell deltas and cells into metric values,
 * through a cellmap and with the as-of date handed in.
 */
#ifndef NYCKEL_AGG_H
#define NYCKEL_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "cellmap.h"
#include "event.h"

#define AGG_METRICS_MAX 16

/* One metric value of a slice. Strings are static. */
struct metric {
    const char *id;         /* stable snake_case id */
    const char *label;      /* Swedish label */
    const char *unit;       /* "kr", "count", "ratio", "share", "months", "days" */
    bool is_null;           /* zero denominator, or not kept for the slice */
    double value;           /* kronor for "kr" */
};

typedef int (*agg_emit_fn)(void *ctx, const char *topic);

struct agg_domain {
    const char *name;       /* "eb" */
    const char *rollups;    /* dims that can be queried, comma separated */
    /* Add (sign +1) or remove (-1) the contribution of a valid, not
     * deleted event as of the store's as-of day; kinds the domain does
     * not aggregate are ignored. */
    int (*apply)(struct cellmap *m, const struct event *e, int sign,
                 int32_t as_of);
    /* The store's as-of day moves from old_as_of to new_as_of: adjust
     * the contribution of e, an event that agg_asof_mark() listed as
     * depending on it. NULL when the domain keeps no such events. */
    int (*advance)(struct cellmap *m, const struct event *e,
                   int32_t old_as_of, int32_t new_as_of);
    /* The metrics of the cell named by k as of as_of into out
     * (AGG_METRICS_MAX); *n receives the count. */
    int (*metrics)(struct cellmap *m, const struct cell_key_parts *k,
                   int32_t as_of, struct metric *out, size_t *n);
    /* Every topic whose metrics depend on the changed cell k, itself
     * included. */
    int (*affected)(const struct cell_key_parts *k, int32_t as_of,
                    agg_emit_fn emit, void *ctx);
};

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

/* Members-db keys "asof/<entity key>" list the events whose contribution
 * depends on the as-of day (open placements); a domain's apply() marks
 * (sign +1) and unmarks (-1) them here. */
#define AGG_ASOF_PREFIX "asof/"
int agg_asof_mark(struct cellmap *m, const struct event *e, int sign);

#endif

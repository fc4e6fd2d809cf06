/*
 * agg_inv.c — domain inv, investigations, decisions and referrals
 * (DESIGN §4, definitions in agg_inv.h).
 *
 * Referrals and bistand decisions count where their date falls, in
 * month cells: longer periods add up their months (agg_sums_by_month()).
 * Investigations pair two decisions, so they are kept as case records
 * (members db, "muni/inv/case/<source>\x1f<case>": the opening and the
 * closing decision's day, id and dimensions). A case's figures are a
 * function of its record alone: every change subtracts what the old
 * record contributed and adds the new one, so either decision may come
 * first, be revised or deleted.
 *
 * A case is ongoing in the months s..e from its opening through its
 * closing (open: through the as-of month). Ongoing cases of a period P
 * are those starting in P plus those carried into P's first month f:
 *
 *   ongoing(P) = Σ STARTS over P's months + carry(f)
 *   carry(f)   = CARRY of f's year + Σ (STARTS − ENDS) over jan..f-1
 *
 * with STARTS (cases whose s is the month) and ENDS (whose e is) in
 * month cells and CARRY (cases with s before january ≤ e) in year
 * cells: a case of years changes a cell per slice for s, e and each new
 * year it reaches, not one per period it meets. Age-labelled R12
 * windows across new year keep their own ONGOING. An open case's
 * opening decision is listed as depending on the as-of day, and
 * advance() moves its e with the clock.
 *
 * Granted decisions not executed within three months are a point-in-
 * time count like placements: per period, the count on its last day
 * (kept through the as-of day for decisions not yet executed), and day
 * cells of entries (decided + 3 months) and exits (executed) for the
 * as-of day of a running period.
 */
#include "agg_inv.h"

#include "entity.h"
#include "period.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    INV_REFERRALS,
    INV_OPENED,
    INV_ONGOING,
    INV_CLOSED,
    INV_WITHIN,
    INV_DAYS,   /* Σ close - open, days, paired cases */
    INV_PAIRED, /* closed cases whose opening is known */
    INV_GRANTED,
    INV_REJECTED,
    INV_NOT_EXECUTED, /* count on the period's last day */
    INV_STARTS,       /* month cells: cases ongoing from this month */
    INV_ENDS,         /* month cells: cases ongoing through this month */
    INV_CARRY,        /* year cells: cases ongoing across january 1 */
    INV_COUNTERS
};

/* The sums that month cells keep and longer periods add up. */
static const int inv_sums[] = {
    INV_REFERRALS, INV_OPENED, INV_CLOSED,  INV_WITHIN, INV_DAYS,
    INV_PAIRED,    INV_GRANTED, INV_REJECTED, INV_STARTS};
#define INV_N_SUMS (sizeof(inv_sums) / sizeof(*inv_sums))

#define INV_DEADLINE_MONTHS 4 /* SoL 11 kap. 2 § */
#define INV_EXECUTE_MONTHS 3
#define INV_SLICES_PER_RAW 2

/* What one event, or one side of a case, is sliced by. 0/"" = none. */
struct inv_dims {
    char unit[EVENT_ID_MAX + 1];
    char intervention[EVENT_CODE_MAX + 1];
    int32_t target, gender, birth_year, legal_basis, reporter;
};

/* One decision of a case. */
struct inv_side {
    int32_t day;               /* decided_on; -1: none */
    char id[EVENT_ID_MAX + 1]; /* the decision's entity id */
    struct inv_dims dims;
};

/* A case record as stored (zeroed before filling: stable bytes). */
struct inv_case {
    char source[EVENT_ID_MAX + 1];
    char case_id[EVENT_ID_MAX + 1];
    struct inv_side open, close;
};

enum inv_raw {
    INV_RAW_TOTAL,
    INV_RAW_UNIT,
    INV_RAW_TARGET,
    INV_RAW_LEGAL_BASIS,
    INV_RAW_INTERVENTION,
    INV_RAW_REPORTER,
    INV_RAW_PERSON, /* age band and gender by age at a period's start */
    INV_RAW_COUNT
};

static void inv_dims_of(const struct event *e, struct inv_dims *d)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->unit, sizeof(d->unit), "%s", e->unit);
    if (e->kind == EVENT_REFERRAL) {
        const struct referral *r = &e->u.referral;
        d->target = r->target;
        d->gender = r->gender;
        d->birth_year = r->birth_year;
        d->reporter = r->reporter;
        return;
    }
    const struct decision *x = &e->u.decision;
    snprintf(d->intervention, sizeof(d->intervention), "%s", x->intervention);
    d->target = x->target;
    d->gender = x->gender;
    d->birth_year = x->birth_year;
    d->legal_basis = x->legal_basis;
}

static const char *inv_gender_label(int g, int birth_year, int year)
{
    bool child = year - birth_year < 18;
    if (g == GENDER_F)
        return child ? "flicka" : "kvinna";
    if (g == GENDER_M)
        return child ? "pojke" : "man";
    return "x";
}

/* The slices raw slice r of d stands for, by age at the start of year;
 * 0 when d has no such dim. */
static int inv_slices(const struct inv_dims *d, enum inv_raw r, int year,
                      char out[INV_SLICES_PER_RAW][CELL_SLICE_MAX])
{
    switch (r) {
    case INV_RAW_TOTAL:
        cell_slice_of(out[0], NULL, CELL_TOTAL);
        return 1;
    case INV_RAW_UNIT:
        cell_slice_of(out[0], "unit", d->unit);
        return 1;
    case INV_RAW_TARGET:
        if (!d->target)
            return 0;
        cell_slice_of(out[0], "target", event_enum_name(ENUM_TARGET, d->target));
        return 1;
    case INV_RAW_LEGAL_BASIS:
        if (!d->legal_basis)
            return 0;
        cell_slice_of(out[0], "legal_basis",
                      event_enum_name(ENUM_LEGAL_BASIS, d->legal_basis));
        return 1;
    case INV_RAW_INTERVENTION:
        if (!d->intervention[0])
            return 0;
        cell_slice_of(out[0], "intervention", d->intervention);
        return 1;
    case INV_RAW_REPORTER:
        if (!d->reporter)
            return 0;
        cell_slice_of(out[0], "reporter",
                      event_enum_name(ENUM_REPORTER, d->reporter));
        return 1;
    default:
        if (!d->birth_year)
            return 0;
        cell_slice_of(out[0], "age_band", cell_age_band(d->birth_year, year));
        if (!d->gender)
            return 1;
        cell_slice_of(out[1], "gender",
                      inv_gender_label(d->gender, d->birth_year, year));
        return 2;
    }
}

/* The slices of every raw slice of dims d for the periods containing a
 * month of year: they start in that year or, R12 windows, the year
 * before. Formatted once per month instead of once per period and raw
 * slice, which was a quarter of a decision's cost. */
struct inv_slice_table {
    int year;                /* the month's year */
    int n[INV_RAW_COUNT][2]; /* slices labelled by year - 1, year */
    char s[INV_RAW_COUNT][2][INV_SLICES_PER_RAW][CELL_SLICE_MAX];
};

static void inv_slice_table_make(struct inv_slice_table *t,
                                 const struct inv_dims *d, int year)
{
    t->year = year;
    for (enum inv_raw r = 0; r < INV_RAW_COUNT; r++)
        for (int k = 0; k < 2; k++)
            t->n[r][k] = inv_slices(d, r, year - 1 + k, t->s[r][k]);
}

/* Add delta to the cells of raw slice r (of t's dims) in period per, a
 * period containing a month of t's year. */
static int inv_add_raw(struct cellmap *cm, const char *muni,
                       const struct inv_slice_table *t, enum inv_raw r,
                       const struct period *per, const int64_t *delta)
{
    char key[CELL_KEY_MAX];
    int k = period_month_year(per->first_month) - t->year + 1;
    if (k < 0 || k > 1)
        return -EINVAL; /* not a period containing a month of t's year */
    for (int i = 0; i < t->n[r][k]; i++) {
        int rc = cell_key(key, muni, "inv", per, t->s[r][k][i]);
        if (rc || (rc = cell_add(cm, key, delta, INV_COUNTERS)))
            return rc;
    }
    return 0;
}

/* Add the sums delta to every slice of d for the month of day: to its
 * month cells, and to the own cells of the periods that do not add up
 * month cells (age-labelled R12 windows across new year). */
static int inv_add_sums(struct cellmap *cm, const char *muni,
                        const struct inv_dims *d, int32_t day,
                        const int64_t *delta)
{
    int32_t m = period_month_of_day(day);
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
    struct inv_slice_table t;
    inv_slice_table_make(&t, d, period_month_year(m));
    for (size_t i = 0; i < n; i++) {
        for (enum inv_raw r = 0; r < INV_RAW_COUNT; r++) {
            /* person slices (age_band=, gender=) are labelled by age */
            bool own = pers[i].kind == PERIOD_MONTH ||
                       (r == INV_RAW_PERSON &&
                        agg_period_crosses_year(&pers[i]));
            if (!own)
                continue;
            int rc = inv_add_raw(cm, muni, &t, r, &pers[i], delta);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Add value to counter (a sum) of every slice of d for day's month. */
static int inv_count(struct cellmap *cm, const char *muni,
                     const struct inv_dims *d, int32_t day, int counter,
                     int64_t value)
{
    int64_t delta[INV_COUNTERS] = {0};
    delta[counter] = value;
    return inv_add_sums(cm, muni, d, day, delta);
}

/* ----------------------------------------------------------- cases */

static int inv_case_key(char *key, const char *muni, const char *source,
                        const char *case_id)
{
    int n = snprintf(key, CELLMAP_KEY_MAX, "%s/inv/case/%s\x1f%s", muni, source,
                     case_id);
    return n < 0 || n >= CELLMAP_KEY_MAX ? -ENAMETOOLONG : 0;
}

/* Add delta to every slice of d in period per, labelled by year
 * (per's first year or, R12 windows across new year, the one after). */
static int inv_add_all(struct cellmap *cm, const char *muni,
                       struct inv_slice_table *t, const struct inv_dims *d,
                       int year, const struct period *per,
                       const int64_t *delta)
{
    if (t->year != year)
        inv_slice_table_make(t, d, year);
    for (enum inv_raw r = 0; r < INV_RAW_COUNT; r++) {
        int rc = inv_add_raw(cm, muni, t, r, per, delta);
        if (rc)
            return rc;
    }
    return 0;
}

/* Case c ongoing in months s..e (s <= e) in (sign +1) or out of (-1)
 * the figures: STARTS of s, ENDS of e, CARRY of every year after s's
 * through e's, ONGOING of the age-labelled R12 windows across new year
 * that meet s..e. */
static int inv_ongoing_interval(struct cellmap *cm, const char *muni,
                                const struct inv_case *c, int32_t s,
                                int32_t e, int sign)
{
    const struct inv_dims *d = &c->open.dims;
    struct inv_slice_table t = {.year = 0};
    int64_t delta[INV_COUNTERS] = {0};
    struct period p;
    int rc;
    delta[INV_STARTS] = sign;
    p = period_of(PERIOD_MONTH, s);
    if ((rc = inv_add_all(cm, muni, &t, d, period_month_year(s), &p, delta)))
        return rc;
    delta[INV_STARTS] = 0;
    delta[INV_ENDS] = sign;
    p = period_of(PERIOD_MONTH, e);
    if ((rc = inv_add_all(cm, muni, &t, d, period_month_year(e), &p, delta)))
        return rc;
    delta[INV_ENDS] = 0;
    delta[INV_CARRY] = sign;
    for (int y = period_month_year(s) + 1; y <= period_month_year(e); y++) {
        p = period_of(PERIOD_YEAR, period_month_from_ym(y, 1));
        if ((rc = inv_add_all(cm, muni, &t, d, y, &p, delta)))
            return rc;
    }
    if (!d->birth_year)
        return 0; /* no person slices */
    delta[INV_CARRY] = 0;
    delta[INV_ONGOING] = sign;
    for (int32_t w = s; w <= e + 11; w++) {
        p = period_of(PERIOD_R12, w);
        if (!agg_period_crosses_year(&p))
            continue; /* the window lies in one year: month cells */
        if (t.year != period_month_year(w))
            inv_slice_table_make(&t, d, period_month_year(w));
        if ((rc = inv_add_raw(cm, muni, &t, INV_RAW_PERSON, &p, delta)))
            return rc;
    }
    return 0;
}

static int inv_case_asof_mark(struct cellmap *cm, const struct inv_case *c,
                              int sign)
{
    char ekey[ENTITY_KEY_MAX];
    int rc = entity_key_of(ekey, c->source, EVENT_DECISION, c->open.id);
    return rc ? rc : agg_asof_mark_key(cm, ekey, sign);
}

/* Everything case c contributes, added with sign, as of as_of. */
static int inv_case_contribute(struct cellmap *cm, const char *muni,
                               const struct inv_case *c, int sign,
                               int32_t as_of)
{
    const struct inv_side *o = &c->open, *x = &c->close;
    int rc;
    if (o->day >= 0 &&
        (rc = inv_count(cm, muni, &o->dims, o->day, INV_OPENED, sign)))
        return rc;
    if (x->day >= 0) {
        struct period pers[PERIOD_CONTAINING_MAX];
        size_t n = period_containing(period_month_of_day(x->day), pers,
                                     PERIOD_CONTAINING_MAX);
        int64_t d[INV_COUNTERS] = {0};
        d[INV_CLOSED] = sign;
        if (o->day >= 0) {
            d[INV_PAIRED] = sign;
            d[INV_DAYS] = sign * (int64_t)(x->day - o->day);
            if (x->day <= period_add_months(o->day, INV_DEADLINE_MONTHS))
                d[INV_WITHIN] = sign;
        }
        struct inv_slice_table t;
        inv_slice_table_make(&t, &x->dims,
                             period_month_year(period_month_of_day(x->day)));
        for (size_t i = 0; i < n; i++)
            for (enum inv_raw r = 0; r < INV_RAW_COUNT; r++)
                if ((rc = inv_add_raw(cm, muni, &t, r, &pers[i], d)))
                    return rc;
    }
    if (o->day < 0)
        return 0;
    int32_t end = x->day >= 0 ? x->day : as_of;
    if (end >= o->day &&
        (rc = inv_ongoing_interval(cm, muni, c, period_month_of_day(o->day),
                                   period_month_of_day(end), sign)))
        return rc;
    return x->day < 0 ? inv_case_asof_mark(cm, c, sign) : 0;
}

/* An opening or closing decision in (sign +1) or out of its case. */
static int inv_case_apply(struct cellmap *cm, const struct event *e, int sign,
                          int32_t as_of)
{
    const struct decision *dec = &e->u.decision;
    char key[CELLMAP_KEY_MAX];
    struct inv_case c;
    const void *val;
    size_t len;
    int rc;
    if ((rc = inv_case_key(key, e->municipality, e->source, dec->case_id)) ||
        (rc = cellmap_get(cm, CELLMAP_MEMBERS, key, &val, &len)))
        return rc;
    memset(&c, 0, sizeof(c));
    if (len == sizeof(c)) {
        memcpy(&c, val, sizeof(c));
    } else if (len == 0) {
        snprintf(c.source, sizeof(c.source), "%s", e->source);
        snprintf(c.case_id, sizeof(c.case_id), "%s", dec->case_id);
        c.open.day = c.close.day = -1;
    } else {
        return -EPROTO;
    }
    if ((rc = inv_case_contribute(cm, e->municipality, &c, -1, as_of)))
        return rc;
    struct inv_side *side =
        dec->type == DTYPE_INLEDA_UTREDNING ? &c.open : &c.close;
    if (sign > 0) {
        memset(side, 0, sizeof(*side));
        side->day = dec->decided_on;
        snprintf(side->id, sizeof(side->id), "%s", e->id);
        inv_dims_of(e, &side->dims);
    } else if (side->day >= 0 && strcmp(side->id, e->id) == 0) {
        memset(side, 0, sizeof(*side));
        side->day = -1;
    }
    if ((rc = inv_case_contribute(cm, e->municipality, &c, +1, as_of)))
        return rc;
    if (c.open.day < 0 && c.close.day < 0)
        return cellmap_put(cm, CELLMAP_MEMBERS, key, NULL, 0);
    return cellmap_put(cm, CELLMAP_MEMBERS, key, &c, sizeof(c));
}

/* An open case's ongoing months follow the as-of day. */
static int inv_case_advance(struct cellmap *cm, const struct event *e,
                            int32_t old_as_of, int32_t new_as_of)
{
    char key[CELLMAP_KEY_MAX];
    struct inv_case c;
    const void *val;
    size_t len;
    int rc;
    if ((rc = inv_case_key(key, e->municipality, e->source,
                           e->u.decision.case_id)) ||
        (rc = cellmap_get(cm, CELLMAP_MEMBERS, key, &val, &len)))
        return rc;
    if (len != sizeof(c))
        return 0;
    memcpy(&c, val, sizeof(c));
    if (c.open.day < 0 || c.close.day >= 0 || strcmp(c.open.id, e->id) != 0)
        return 0;
    /* ongoing through the as-of month once opened */
    int32_t first = period_month_of_day(c.open.day);
    if ((old_as_of >= c.open.day) == (new_as_of >= c.open.day) &&
        period_month_of_day(old_as_of) == period_month_of_day(new_as_of))
        return 0; /* the same months */
    if (old_as_of >= c.open.day &&
        (rc = inv_ongoing_interval(cm, e->municipality, &c, first,
                                   period_month_of_day(old_as_of), -1)))
        return rc;
    if (new_as_of >= c.open.day &&
        (rc = inv_ongoing_interval(cm, e->municipality, &c, first,
                                   period_month_of_day(new_as_of), +1)))
        return rc;
    return 0;
}

/* ------------------------------------------- not executed in 3 months */

/*
 * Add sign to the last-day count of every period whose last day lies in
 * [lo, hi) and in the decision's not-executed interval.
 */
static int inv_unexecuted_accrue(struct cellmap *cm, const struct event *e,
                                 int32_t lo, int32_t hi, int sign)
{
    const struct decision *dec = &e->u.decision;
    int32_t from = period_add_months(dec->decided_on, INV_EXECUTE_MONTHS);
    if (lo > from)
        from = lo;
    if (dec->executed_on >= 0 && dec->executed_on < hi)
        hi = dec->executed_on;
    struct inv_dims dims;
    inv_dims_of(e, &dims);
    for (int32_t m = period_month_of_day(from); from < hi; m++) {
        int32_t last = period_month_first_day(m + 1) - 1;
        if (last >= hi)
            break;
        if (last >= from) {
            struct period pers[PERIOD_CONTAINING_MAX];
            size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
            int64_t d[INV_COUNTERS] = {0};
            d[INV_NOT_EXECUTED] = sign;
            struct inv_slice_table t;
            inv_slice_table_make(&t, &dims, period_month_year(m));
            for (size_t i = 0; i < n; i++) {
                if (pers[i].last_month != m)
                    continue;
                for (enum inv_raw r = 0; r < INV_RAW_COUNT; r++) {
                    int rc =
                        inv_add_raw(cm, e->municipality, &t, r, &pers[i], d);
                    if (rc)
                        return rc;
                }
            }
            /* the age-labelled month-end count by the years around m's */
            char s[INV_SLICES_PER_RAW][CELL_SLICE_MAX];
            for (int shift = -1; shift <= 1; shift += 2) {
                int k = inv_slices(&dims, INV_RAW_PERSON,
                                   period_month_year(m) + shift, s);
                for (int i = 0; i < k; i++) {
                    int rc = agg_last_add(cm, e->municipality, "inv", m, s[i],
                                          shift, sign);
                    if (rc)
                        return rc;
                }
            }
        }
    }
    return 0;
}

/* Entries into (day cell IN) and exits from (OUT) the count. */
static int inv_unexecuted_days(struct cellmap *cm, const struct event *e,
                               int32_t day, int counter, int sign)
{
    char s[INV_SLICES_PER_RAW][CELL_SLICE_MAX];
    struct inv_dims dims;
    inv_dims_of(e, &dims);
    int year = period_month_year(period_month_of_day(day));
    for (enum inv_raw r = 0; r < INV_RAW_COUNT; r++) {
        /* shift -1: labelled by the year before, for R12 windows */
        for (int shift = 0; shift >= (r == INV_RAW_PERSON ? -1 : 0); shift--) {
            int n = inv_slices(&dims, r, year + shift, s);
            for (int i = 0; i < n; i++) {
                int rc = agg_day_add(cm, e->municipality, "inv", day, s[i],
                                     shift, counter, sign);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

static int inv_bistand_apply(struct cellmap *cm, const struct event *e,
                             int sign, int32_t as_of)
{
    const struct decision *dec = &e->u.decision;
    struct inv_dims dims;
    inv_dims_of(e, &dims);
    int rc = inv_count(
        cm, e->municipality, &dims, dec->decided_on,
        dec->outcome == OUTCOME_BIFALL ? INV_GRANTED : INV_REJECTED, sign);
    if (rc || dec->outcome != OUTCOME_BIFALL)
        return rc;
    int32_t due = period_add_months(dec->decided_on, INV_EXECUTE_MONTHS);
    bool executed = dec->executed_on >= 0;
    if ((rc = inv_unexecuted_accrue(
             cm, e, due, executed ? dec->executed_on : as_of + 1, sign)))
        return rc;
    if (executed && dec->executed_on <= due)
        return 0; /* executed in time: never counted */
    if ((rc = inv_unexecuted_days(cm, e, due, AGG_DAY_IN, sign)))
        return rc;
    if (executed)
        return inv_unexecuted_days(cm, e, dec->executed_on, AGG_DAY_OUT, sign);
    return agg_asof_mark(cm, e, sign);
}

/* ------------------------------------------------------------ domain */

static int inv_apply(struct cellmap *cm, const struct event *e, int sign,
                     int32_t as_of)
{
    if (e->kind == EVENT_REFERRAL) {
        struct inv_dims dims;
        inv_dims_of(e, &dims);
        return inv_count(cm, e->municipality, &dims, e->u.referral.received_on,
                         INV_REFERRALS, sign);
    }
    if (e->kind != EVENT_DECISION)
        return 0;
    switch (e->u.decision.type) {
    case DTYPE_INLEDA_UTREDNING:
    case DTYPE_AVSLUTA_UTREDNING:
        return inv_case_apply(cm, e, sign, as_of);
    case DTYPE_BISTAND:
        return inv_bistand_apply(cm, e, sign, as_of);
    default:
        return 0;
    }
}

static int inv_advance(struct cellmap *cm, const struct event *e,
                       int32_t old_as_of, int32_t new_as_of)
{
    if (e->kind != EVENT_DECISION || old_as_of == new_as_of)
        return 0;
    const struct decision *dec = &e->u.decision;
    if (dec->type == DTYPE_INLEDA_UTREDNING)
        return inv_case_advance(cm, e, old_as_of, new_as_of);
    if (dec->type != DTYPE_BISTAND || dec->outcome != OUTCOME_BIFALL ||
        dec->executed_on >= 0)
        return 0;
    if (new_as_of > old_as_of)
        return inv_unexecuted_accrue(cm, e, old_as_of + 1, new_as_of + 1, +1);
    return inv_unexecuted_accrue(cm, e, new_as_of + 1, old_as_of + 1, -1);
}

/* agg_metric_set(), null where the figure does not apply to the slice. */
static void inv_set(struct metric *out, size_t *n, const char *id,
                    const char *label, const char *unit, bool applies,
                    double num, double den, bool ratio)
{
    agg_metric_set(out, n, id, label, unit, num, den, ratio);
    if (!applies) {
        out[*n - 1].is_null = true;
        out[*n - 1].value = 0;
    }
}

static int inv_metrics(struct cellmap *cm, const struct cell_key_parts *k,
                       int32_t as_of, struct metric *out, size_t *n)
{
    const struct period *p = &k->period;
    int64_t c[INV_COUNTERS], unexecuted;
    char key[CELL_KEY_MAX];
    int rc;
    if ((rc = cell_key(key, k->muni, "inv", p, k->slice)) ||
        (rc = cell_read(cm, key, c, INV_COUNTERS)))
        return rc;
    if (agg_sums_by_month(p, k->slice)) {
        /* the sums of p's months, then ongoing = starts + carry(first) */
        int32_t jan =
            period_month_from_ym(period_month_year(p->first_month), 1);
        int64_t y[INV_COUNTERS] = {0}, before[INV_COUNTERS] = {0};
        static const int starts_ends[] = {INV_STARTS, INV_ENDS};
        struct period year = period_of(PERIOD_YEAR, jan);
        if (p->kind != PERIOD_MONTH) {
            for (size_t i = 0; i < INV_N_SUMS; i++)
                c[inv_sums[i]] = 0;
            if ((rc = agg_sum_months(cm, k->muni, "inv", p->first_month,
                                     p->last_month, k->slice, INV_COUNTERS,
                                     inv_sums, INV_N_SUMS, c)))
                return rc;
        }
        if ((rc = cell_key(key, k->muni, "inv", &year, k->slice)) ||
            (rc = cell_read(cm, key, y, INV_COUNTERS)) ||
            (rc = agg_sum_months(cm, k->muni, "inv", jan, p->first_month - 1,
                                 k->slice, INV_COUNTERS, starts_ends, 2,
                                 before)))
            return rc;
        c[INV_ONGOING] = c[INV_STARTS] + y[INV_CARRY] + before[INV_STARTS] -
                         before[INV_ENDS];
    }
    unexecuted = c[INV_NOT_EXECUTED];
    if (period_is_running(p, as_of) &&
        (rc = agg_count_on(cm, k, as_of, INV_NOT_EXECUTED, INV_COUNTERS,
                           &unexecuted)))
        return rc;
    /* referrals have no legal basis or intervention; decisions no
     * reporter */
    bool refs =
        !strstr(k->slice, "legal_basis=") && !strstr(k->slice, "intervention=");
    bool decs = !strstr(k->slice, "reporter=");
    double granted = (double)c[INV_GRANTED], rejected = (double)c[INV_REJECTED];
    *n = 0;
    inv_set(out, n, "referrals", "anmälningar/aktualiseringar", "count", refs,
            (double)c[INV_REFERRALS], 1, false);
    inv_set(out, n, "opened", "inledda utredningar", "count", decs,
            (double)c[INV_OPENED], 1, false);
    inv_set(out, n, "referral_conversion",
            "andel anmälningar som leder till utredning", "share", refs && decs,
            (double)c[INV_OPENED], (double)c[INV_REFERRALS], true);
    inv_set(out, n, "ongoing", "utredningar som har pågått", "count", decs,
            (double)c[INV_ONGOING], 1, false);
    inv_set(out, n, "closed", "avslutade utredningar", "count", decs,
            (double)c[INV_CLOSED], 1, false);
    inv_set(out, n, "closed_within_4_months", "varav inom fyra månader",
            "count", decs, (double)c[INV_WITHIN], 1, false);
    inv_set(out, n, "within_4_months_share", "andel inom fyra månader", "share",
            decs, (double)c[INV_WITHIN], (double)c[INV_CLOSED], true);
    inv_set(out, n, "avg_investigation_days",
            "genomsnittligt antal utredningsdagar", "days", decs,
            (double)c[INV_DAYS], (double)c[INV_PAIRED], true);
    inv_set(out, n, "granted", "bifall", "count", decs, granted, 1, false);
    inv_set(out, n, "rejected", "avslag", "count", decs, rejected, 1, false);
    inv_set(out, n, "rejection_share", "andel avslag", "share", decs, rejected,
            granted + rejected, true);
    inv_set(out, n, "not_executed_3_months", "ej verkställda beslut > 3 mån",
            "count", decs, (double)unexecuted, 1, false);
    return 0;
}

/* Emit every period that adds up month cells (agg_sums_by_month()) and
 * starts in month f: its carry is read from f's year. */
static int inv_emit_starting(const struct cell_key_parts *k, int32_t f,
                             agg_emit_fn emit, void *ctx)
{
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n = period_containing(f, pers, PERIOD_CONTAINING_MAX);
    char key[CELL_KEY_MAX];
    int rc;
    for (size_t i = 0; i < n; i++)
        if (pers[i].first_month == f && agg_sums_by_month(&pers[i], k->slice) &&
            ((rc = cell_key(key, k->muni, "inv", &pers[i], k->slice)) ||
             (rc = emit(ctx, key))))
            return rc;
    return 0;
}

/*
 * A month cell m is read by the periods containing it (its sums) and by
 * those starting later in its year (its STARTS and ENDS, for their
 * carry); a year cell by every period starting in its year (CARRY).
 * Month cells also hold the month-end count of the running periods'
 * not-executed figure (agg_affected_with_running()).
 */
static int inv_affected(const struct cell_key_parts *k, int32_t as_of,
                        agg_emit_fn emit, void *ctx)
{
    const struct period *p = &k->period;
    int32_t dec = period_month_from_ym(period_month_year(p->first_month), 12);
    int32_t from = p->first_month + 1;
    int rc = agg_affected_with_running(k, as_of, emit, ctx);
    if (rc)
        return rc;
    if (p->kind == PERIOD_MONTH)
        rc = agg_emit_month_readers(k->muni, "inv", p->first_month, k->slice,
                                    emit, ctx);
    else if (p->kind == PERIOD_YEAR)
        from = p->first_month;
    else
        return 0;
    for (int32_t f = from; f <= dec && rc == 0; f++)
        rc = inv_emit_starting(k, f, emit, ctx);
    return rc;
}

const struct agg_domain agg_inv = {
    .name = "inv",
    .rollups = "unit,target,gender,age_band,legal_basis,intervention,reporter",
    .apply = inv_apply,
    .advance = inv_advance,
    .metrics = inv_metrics,
    .affected = inv_affected,
};

/*
 * agg_pl.c — domain pl, placements (DESIGN §4, see agg_pl.h).
 *
 * Cells per (municipality, period, slice), counters:
 *
 *   PL_CARE_DAYS     vårddygn: dates of the period a placement covers
 *   PL_COST          Σ care days × daily cost, öre
 *   PL_COST_EXT      the same for regi extern
 *   PL_PERSONS       distinct persons with a care day in the period
 *   PL_STARTED       placements starting in the period
 *   PL_ENDED         placements whose (exclusive) end lies in the period
 *   PL_ACTIVE_LAST   placements covering the period's last day
 *
 * The sums (care days, costs, started, ended) are kept in month cells
 * and added up when a longer period is read, persons from the run
 * counters (PL_RUNS, member.h) of the month cells, and the placements
 * active at a period's end from its last month's cell: a placement
 * changes its months' cells, not those of every period containing them.
 * Age-labelled R12 windows across new year keep every counter in their
 * own cells (agg_sums_by_month()).
 *
 * plus day cells "muni/pl/day/YYYY-MM-DD/slice" with the placements
 * starting and ending that day, from which the placements active on the
 * as-of day of a running period are counted at read time: those active
 * on the previous month's last day, plus starts, minus ends, through the
 * as-of day.
 *
 * A placement's days are added month by month ("accrued"); an open one
 * only through the store's as-of day, and advance() accrues the days
 * the clock adds (or removes, when it is set back). Distinct persons use
 * member records of care days per month (member.h), one per raw slice;
 * the gender and age-band slices label a person by age at a period's
 * start, and the periods containing a month start in its year or the
 * year before (R12), so their records are kept per label year.
 */
#include "agg_pl.h"

#include "member.h"
#include "period.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PL_CARE_DAYS,
    PL_COST,
    PL_COST_EXT,
    PL_PERSONS,
    PL_STARTED,
    PL_ENDED,
    PL_ACTIVE_LAST,
    PL_RUNS, /* month cells: MEMBER_RUN_COUNTERS run counters */
    PL_COUNTERS = PL_RUNS + MEMBER_RUN_COUNTERS
};

/* The sums that month cells keep and longer periods add up. */
static const int pl_sums[] = {PL_CARE_DAYS, PL_COST, PL_COST_EXT, PL_STARTED,
                              PL_ENDED};
#define PL_N_SUMS (sizeof(pl_sums) / sizeof(*pl_sums))

enum pl_raw {
    PL_RAW_TOTAL,
    PL_RAW_UNIT,
    PL_RAW_SETTING,
    PL_RAW_REGI,
    PL_RAW_SETTING_REGI,
    PL_RAW_TARGET,
    PL_RAW_LEGAL_BASIS,
    PL_RAW_AGE_BAND, /* labelled by age at a period's start */
    PL_RAW_GENDER,   /* the same: girls and boys become women and men */
    PL_RAW_COUNT
};

/* True for the raw slices labelled by age at a period's start. */
static bool pl_by_age(enum pl_raw r)
{
    return r == PL_RAW_AGE_BAND || r == PL_RAW_GENDER;
}

/* Gender label of someone born in birth_year at the start of year. */
static const char *pl_gender_label(enum gender g, int birth_year, int year)
{
    bool child = year - birth_year < 18;
    switch (g) {
    case GENDER_F:
        return child ? "flicka" : "kvinna";
    case GENDER_M:
        return child ? "pojke" : "man";
    default:
        return "x";
    }
}

/* The slice raw slice r of placement e stands for, age-labelled ones
 * by age at the start of year. */
static void pl_slice(const struct event *e, enum pl_raw r, int year,
                     char out[CELL_SLICE_MAX])
{
    const struct placement *p = &e->u.placement;
    const char *setting = event_enum_name(ENUM_SETTING, p->setting);
    const char *regi = event_enum_name(ENUM_REGI, p->regi);
    switch (r) {
    case PL_RAW_TOTAL:
        cell_slice_of(out, NULL, CELL_TOTAL);
        break;
    case PL_RAW_UNIT:
        cell_slice_of(out, "unit", e->unit);
        break;
    case PL_RAW_SETTING:
        cell_slice_of(out, "setting", setting);
        break;
    case PL_RAW_REGI:
        cell_slice_of(out, "regi", regi);
        break;
    case PL_RAW_SETTING_REGI:
        snprintf(out, CELL_SLICE_MAX, "setting=%s,regi=%s", setting, regi);
        break;
    case PL_RAW_TARGET:
        cell_slice_of(out, "target", event_enum_name(ENUM_TARGET, p->target));
        break;
    case PL_RAW_LEGAL_BASIS:
        cell_slice_of(out, "legal_basis",
                      event_enum_name(ENUM_LEGAL_BASIS, p->legal_basis));
        break;
    case PL_RAW_AGE_BAND:
        cell_slice_of(out, "age_band", cell_age_band(p->birth_year, year));
        break;
    default:
        cell_slice_of(out, "gender",
                      pl_gender_label(p->gender, p->birth_year, year));
        break;
    }
}

/* True when period per keeps raw slice r's figures in its own cell: an
 * age-labelled slice of an R12 window across new year. */
static bool pl_own(const struct period *per, enum pl_raw r)
{
    return pl_by_age(r) && agg_period_crosses_year(per);
}

/* Add d to the cell of e's slice r in period per. */
static int pl_add(struct cellmap *cm, const struct event *e, enum pl_raw r,
                  const struct period *per, const int64_t *d)
{
    char slice[CELL_SLICE_MAX], key[CELL_KEY_MAX];
    pl_slice(e, r, period_month_year(per->first_month), slice);
    int rc = cell_key(key, e->municipality, "pl", per, slice);
    return rc ? rc : cell_add(cm, key, d, PL_COUNTERS);
}

/* Add (sign) one start or end on day to the day cells of e. */
static int pl_day_add(struct cellmap *cm, const struct event *e, int32_t day,
                      int counter, int sign)
{
    char slice[CELL_SLICE_MAX];
    int year = period_month_year(period_month_of_day(day));
    for (enum pl_raw r = 0; r < PL_RAW_COUNT; r++) {
        /* shift -1: labelled by the year before, for R12 windows */
        for (int shift = 0; shift >= (pl_by_age(r) ? -1 : 0); shift--) {
            pl_slice(e, r, year + shift, slice);
            int rc = agg_day_add(cm, e->municipality, "pl", day, slice, shift,
                                 counter, sign);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* started or ended (counter) +sign in every period containing day. */
static int pl_mark(struct cellmap *cm, const struct event *e, int32_t day,
                   int counter, int sign)
{
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n = period_containing(period_month_of_day(day), pers,
                                 PERIOD_CONTAINING_MAX);
    int64_t d[PL_COUNTERS] = {0};
    d[counter] = sign;
    for (size_t i = 0; i < n; i++)
        for (enum pl_raw r = 0; r < PL_RAW_COUNT; r++) {
            if (pers[i].kind != PERIOD_MONTH && !pl_own(&pers[i], r))
                continue; /* added up from the month */
            int rc = pl_add(cm, e, r, &pers[i], d);
            if (rc)
                return rc;
        }
    return pl_day_add(cm, e, day,
                      counter == PL_STARTED ? AGG_DAY_IN : AGG_DAY_OUT, sign);
}

/* The month-end count of month m in the age-labelled slices, labelled
 * by the years around m's (see agg_count_on). */
static int pl_last_aux(struct cellmap *cm, const struct event *e, int32_t m,
                       int sign)
{
    char slice[CELL_SLICE_MAX];
    int year = period_month_year(m);
    for (int shift = -1; shift <= 1; shift += 2)
        for (enum pl_raw r = PL_RAW_AGE_BAND; r <= PL_RAW_GENDER; r++) {
            pl_slice(e, r, year + shift, slice);
            int rc =
                agg_last_add(cm, e->municipality, "pl", m, slice, shift, sign);
            if (rc)
                return rc;
        }
    return 0;
}

/*
 * The member record of e's person in raw slice r: care days per month.
 * An age-labelled one is kept per label, the slice by age at the start
 * of year, so that placements giving different birth years or genders
 * that label the person alike count one person.
 */
static int pl_member_key(char *key, const struct event *e, enum pl_raw r,
                         int year)
{
    char slice[CELL_SLICE_MAX];
    pl_slice(e, r, year, slice);
    return agg_member_key(key, e->municipality, "pl", e->u.placement.person,
                          pl_by_age(r) ? year : 0, slice);
}

/*
 * The slices and member keys of placement e by raw slice and label year,
 * each formatted on first use: a placement of years asks for the same
 * few hundred times (per period and per month), and snprintf was a fifth
 * of its cost.
 */
struct pl_names {
    const struct event *e;
    int first_year;      /* label years first_year.. */
    int n_years;         /* ..first_year + n_years - 1 */
    unsigned char *made; /* [year][raw]: bit 0 slice, bit 1 member key */
    struct pl_name {
        char slice[CELL_SLICE_MAX];
        char member[CELL_KEY_MAX];
    } * v; /* [year][raw] */
};

static void pl_names_init(struct pl_names *nm, const struct event *e,
                          int first_year, int last_year)
{
    nm->e = e;
    nm->first_year = first_year;
    nm->n_years = last_year - first_year + 1;
    size_t n = (size_t)nm->n_years * PL_RAW_COUNT;
    nm->made = xcalloc(n, 1);
    nm->v = xmalloc(n * sizeof(*nm->v));
}

static void pl_names_free(struct pl_names *nm)
{
    free(nm->made);
    free(nm->v);
}

/* Slice (what 1) or member key (what 2) of raw r labelled by year; NULL
 * when the key is too long. */
static const char *pl_name(struct pl_names *nm, enum pl_raw r, int year,
                           int what)
{
    int y = year - nm->first_year;
    if (y < 0 || y >= nm->n_years)
        return NULL; /* outside the years the caller announced */
    size_t i = (size_t)y * PL_RAW_COUNT + r;
    struct pl_name *x = &nm->v[i];
    if (!(nm->made[i] & 1)) {
        pl_slice(nm->e, r, year, x->slice);
        nm->made[i] |= 1;
    }
    if (what == 1)
        return x->slice;
    if (!(nm->made[i] & 2)) {
        if (pl_member_key(x->member, nm->e, r, year))
            return NULL;
        nm->made[i] |= 2;
    }
    return x->member;
}

/* Move the person's care days of month m by days in the member record
 * of raw slice r labelled by year, and accordingly the run counters of
 * the month cells of that label (months m..m+11 of its year) and the
 * distinct persons of the own cells among the periods pers[0..n). */
static int pl_persons(struct cellmap *cm, struct pl_names *nm, enum pl_raw r,
                      int year, int32_t m, int64_t days,
                      const struct period *pers, size_t n, struct agg_acc *acc)
{
    member_window before, after;
    const char *key = pl_name(nm, r, year, 2);
    if (!key)
        return -ENAMETOOLONG;
    int rc = member_move(cm, key, m, days, &before, &after);
    if (rc || before == after)
        return rc;
    for (int j = 0; j < MEMBER_RUN_MONTHS; j++) {
        if (pl_by_age(r) && period_month_year(m + j) != year)
            break; /* the month cells of another label */
        /* the counters that differ: a few bits, not two arrays compared
         * (the compare was a tenth of a long placement's cost) */
        unsigned b = member_run_bits(before, j), a = member_run_bits(after, j);
        unsigned diff = a ^ b;
        if (!diff)
            continue;
        struct period pm = period_of(PERIOD_MONTH, m + j);
        int64_t *d = agg_acc_at(acc, &pm, (int)r);
        for (; diff; diff &= diff - 1) {
            int k = __builtin_ctz(diff);
            d[PL_RUNS + k] += (int64_t)((a >> k) & 1) - (int64_t)((b >> k) & 1);
        }
    }
    if (!pl_by_age(r))
        return 0; /* no own cells */
    for (size_t i = 0; i < n; i++) {
        if (!pl_own(&pers[i], r) ||
            period_month_year(pers[i].first_month) != year)
            continue;
        int64_t persons = 0, unused_months, unused_lt;
        member_period_delta(&pers[i], m, before, after, 0, &persons,
                            &unused_months, &unused_lt);
        if (persons)
            agg_acc_at(acc, &pers[i], (int)r)[PL_PERSONS] += persons;
    }
    return 0;
}

/*
 * Add (sign) the care days of e on the days [lo, hi) it covers: care
 * days, cost, persons and the placements covering each period's last
 * day, month by month.
 */
static int pl_accrue(struct cellmap *cm, const struct event *e, int32_t lo,
                     int32_t hi, int sign)
{
    const struct placement *p = &e->u.placement;
    int32_t s = lo > p->start ? lo : p->start;
    int32_t t = p->end >= 0 && p->end < hi ? p->end : hi;
    /* common: the counters every raw slice shares, per period (raw 0);
     * acc: per (period, raw slice), the persons, and at the end the
     * common counters added to every raw slice. Accumulating the shared
     * counters once instead of once per raw slice made placements of
     * many years several times cheaper. */
    struct agg_acc common, acc;
    int rc = 0;

    if (s >= t)
        return 0;
    struct pl_names nm;
    /* label years: R12 windows start the year before; run counters reach
     * eleven months past the last month */
    pl_names_init(&nm, e, period_month_year(period_month_of_day(s)) - 1,
                  period_month_year(period_month_of_day(t - 1) + 11));
    agg_acc_init(&common);
    agg_acc_init(&acc);
    for (int32_t m = period_month_of_day(s); s < t && rc == 0; m++) {
        int32_t next = period_month_first_day(m + 1);
        int32_t b = t < next ? t : next;
        int64_t days = sign * (int64_t)(b - s);
        bool covers_last = b == next;
        int year = period_month_year(m);
        struct period pers[PERIOD_CONTAINING_MAX];
        size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
        for (size_t i = 0; i < n; i++) {
            /* the month's cell, and the own cells of age-labelled R12
             * windows across new year (pl_own()) */
            if (pers[i].kind != PERIOD_MONTH &&
                !agg_period_crosses_year(&pers[i]))
                continue;
            int64_t *d = agg_acc_at(&common, &pers[i], 0);
            d[PL_CARE_DAYS] += days;
            d[PL_COST] += days * p->daily_cost_ore;
            if (p->regi == REGI_EXTERN)
                d[PL_COST_EXT] += days * p->daily_cost_ore;
            if (covers_last && pers[i].last_month == m)
                d[PL_ACTIVE_LAST] += sign;
        }
        for (enum pl_raw r = 0; r < PL_RAW_COUNT && rc == 0; r++) {
            /* the periods containing m start in its year or, R12
             * windows, the year before: a record for each label */
            for (int y = pl_by_age(r) ? year - 1 : year; y <= year && rc == 0;
                 y++)
                rc = pl_persons(cm, &nm, r, y, m, days, pers, n, &acc);
        }
        if (covers_last && rc == 0)
            rc = pl_last_aux(cm, e, m, sign);
        s = b;
    }
    for (size_t i = 0; i < common.cap && rc == 0; i++) {
        if (!common.keys[i])
            continue;
        for (enum pl_raw r = 0; r < PL_RAW_COUNT; r++) {
            if (common.slots[i].period.kind != PERIOD_MONTH &&
                !pl_own(&common.slots[i].period, r))
                continue;
            int64_t *d = agg_acc_at(&acc, &common.slots[i].period, (int)r);
            for (size_t k = 0; k < PL_COUNTERS; k++)
                d[k] += common.slots[i].d[k];
        }
    }
    agg_acc_free(&common);
    for (size_t i = 0; i < acc.cap && rc == 0; i++) {
        if (!acc.keys[i])
            continue;
        const struct period *per = &acc.slots[i].period;
        const char *slice = pl_name(&nm, (enum pl_raw)acc.slots[i].raw,
                                    period_month_year(per->first_month), 1);
        char key[CELL_KEY_MAX];
        rc = slice ? cell_key(key, e->municipality, "pl", per, slice) : -EINVAL;
        if (rc == 0)
            rc = cell_add(cm, key, acc.slots[i].d, PL_COUNTERS);
    }
    agg_acc_free(&acc);
    pl_names_free(&nm);
    return rc;
}

static int pl_apply(struct cellmap *cm, const struct event *e, int sign,
                    int32_t as_of)
{
    if (e->kind != EVENT_PLACEMENT)
        return 0;
    const struct placement *p = &e->u.placement;
    int rc = pl_accrue(cm, e, p->start, p->end >= 0 ? p->end : as_of + 1, sign);
    if (rc || (rc = pl_mark(cm, e, p->start, PL_STARTED, sign)))
        return rc;
    if (p->end >= 0)
        return pl_mark(cm, e, p->end, PL_ENDED, sign);
    return agg_asof_mark(cm, e, sign);
}

static int pl_advance(struct cellmap *cm, const struct event *e,
                      int32_t old_as_of, int32_t new_as_of)
{
    if (e->kind != EVENT_PLACEMENT || e->u.placement.end >= 0)
        return 0;
    if (new_as_of > old_as_of)
        return pl_accrue(cm, e, old_as_of + 1, new_as_of + 1, +1);
    if (new_as_of < old_as_of)
        return pl_accrue(cm, e, new_as_of + 1, old_as_of + 1, -1);
    return 0;
}

static int pl_metrics(struct cellmap *cm, const struct cell_key_parts *k,
                      int32_t as_of, struct metric *out, size_t *n)
{
    const struct period *p = &k->period;
    int64_t c[PL_COUNTERS], active;
    char key[CELL_KEY_MAX];
    int rc;
    if ((rc = cell_key(key, k->muni, "pl", p, k->slice)) ||
        (rc = cell_read(cm, key, c, PL_COUNTERS)))
        return rc;
    if (agg_sums_by_month(p, k->slice)) {
        /* the sums and run counters of p's months (at most twelve); the
         * active at the end from the last month's cell */
        int64_t runs[MEMBER_RUN_MONTHS][MEMBER_RUN_COUNTERS], mc[PL_COUNTERS];
        if (p->last_month - p->first_month >= MEMBER_RUN_MONTHS)
            return -ERANGE;
        for (size_t i = 0; i < PL_N_SUMS; i++)
            c[pl_sums[i]] = 0;
        for (int32_t m = p->first_month; m <= p->last_month; m++) {
            if ((rc = agg_month_read(cm, k->muni, "pl", m, k->slice,
                                     PL_COUNTERS, mc)))
                return rc;
            for (size_t i = 0; i < PL_N_SUMS; i++)
                c[pl_sums[i]] += mc[pl_sums[i]];
            memcpy(runs[m - p->first_month], &mc[PL_RUNS], sizeof(runs[0]));
        }
        c[PL_PERSONS] = member_runs_distinct(p, runs);
        c[PL_ACTIVE_LAST] = mc[PL_ACTIVE_LAST];
    }
    active = c[PL_ACTIVE_LAST];
    if (period_is_running(p, as_of) &&
        (rc = agg_count_on(cm, k, as_of, PL_ACTIVE_LAST, PL_COUNTERS, &active)))
        return rc;

    double care = (double)c[PL_CARE_DAYS];
    double days = period_elapsed_days(p, as_of);
    double cost_kr = (double)c[PL_COST] / 100.0;
    double annual = days ? care / days : 0;
    *n = 0;
    agg_metric_set(out, n, "care_days", "vårddygn", "count", care, 1, false);
    agg_metric_set(out, n, "annual_placements", "årsplaceringar", "ratio", care,
                   days, true);
    agg_metric_set(out, n, "cost", "kostnad", "kr", cost_kr, 1, false);
    agg_metric_set(out, n, "cost_per_care_day", "snittkostnad per vårddygn",
                   "kr", cost_kr, care, true);
    agg_metric_set(out, n, "cost_per_annual_placement",
                   "kostnad per årsplacering", "kr", cost_kr, annual, true);
    agg_metric_set(out, n, "persons", "placerade personer", "count",
                   (double)c[PL_PERSONS], 1, false);
    agg_metric_set(out, n, "started", "påbörjade", "count",
                   (double)c[PL_STARTED], 1, false);
    agg_metric_set(out, n, "ended", "avslutade", "count", (double)c[PL_ENDED],
                   1, false);
    agg_metric_set(out, n, "active_at_end", "pågående vid periodens slut",
                   "count", (double)active, 1, false);
    agg_metric_set(out, n, "external_cost_share", "andel extern kostnad",
                   "share", (double)c[PL_COST_EXT], (double)c[PL_COST], true);
    return 0;
}

/* A month cell is read by every period containing it (sums, runs, the
 * active at the end of the periods ending with it) and, when it is the
 * month before the as-of month, by the running periods. */
static int pl_affected(const struct cell_key_parts *k, int32_t as_of,
                       agg_emit_fn emit, void *ctx)
{
    int rc = agg_affected_with_running(k, as_of, emit, ctx);
    if (rc || k->period.kind != PERIOD_MONTH)
        return rc;
    return agg_emit_month_readers(k->muni, "pl", k->period.first_month,
                                  k->slice, emit, ctx);
}

const struct agg_domain agg_pl = {
    .name = "pl",
    .rollups = "unit,setting,regi,target,legal_basis,gender,age_band",
    .apply = pl_apply,
    .advance = pl_advance,
    .metrics = pl_metrics,
    .affected = pl_affected,
};

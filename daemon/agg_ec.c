/*
 * agg_ec.c — domain ec, budget against outcome (definitions in
 * agg_ec.h).
 *
 * Cells per (municipality, period, slice) for every period kind hold
 * the outcome (öre: payments by the month they are for, placement care
 * days × daily cost by the day) and the budget of the period's months
 * (Σ of the budgets' monthly profiles). Year-to-date and twelve-month
 * figures are then single reads of the YTD and R12 cells ending at L.
 * Open placements accrue with the as-of day, as in domain pl.
 */
#include "agg_ec.h"

#include "period.h"

#include <stdio.h>
#include <string.h>

enum { EC_OUTCOME, EC_BUDGET, EC_COUNTERS };

/* Add value to counter of the total and the unit slice of period p. */
static int ec_add(struct cellmap *cm, const struct event *e,
                  const struct period *p, const int64_t *d)
{
    char key[CELL_KEY_MAX], unit[CELL_SLICE_MAX];
    int rc;
    snprintf(unit, sizeof(unit), "unit=%s", e->unit);
    if ((rc = cell_key(key, e->municipality, "ec", p, CELL_TOTAL)) ||
        (rc = cell_add(cm, key, d, EC_COUNTERS)) ||
        (rc = cell_key(key, e->municipality, "ec", p, unit)) ||
        (rc = cell_add(cm, key, d, EC_COUNTERS)))
        return rc;
    return 0;
}

/* Add value to counter in every period containing month m. */
static int ec_add_month(struct cellmap *cm, const struct event *e, int32_t m,
                        int counter, int64_t value)
{
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
    int64_t d[EC_COUNTERS] = {0};
    d[counter] = value;
    for (size_t i = 0; i < n; i++) {
        int rc = ec_add(cm, e, &pers[i], d);
        if (rc)
            return rc;
    }
    return 0;
}

/* The cost of placement e's care days in [lo, hi), summed per period
 * first (agg_acc) so that each cell is touched once. */
static int ec_accrue(struct cellmap *cm, const struct event *e, int32_t lo,
                     int32_t hi, int sign)
{
    const struct placement *p = &e->u.placement;
    int32_t s = lo > p->start ? lo : p->start;
    int32_t t = p->end >= 0 && p->end < hi ? p->end : hi;
    struct agg_acc acc;
    int rc = 0;
    if (s >= t)
        return 0;
    agg_acc_init(&acc);
    for (int32_t m = period_month_of_day(s); s < t; m++) {
        int32_t next = period_month_first_day(m + 1);
        int32_t b = t < next ? t : next;
        struct period pers[PERIOD_CONTAINING_MAX];
        size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
        for (size_t i = 0; i < n; i++)
            agg_acc_at(&acc, &pers[i], 0)[EC_OUTCOME] +=
                sign * (int64_t)(b - s) * p->daily_cost_ore;
        s = b;
    }
    for (size_t i = 0; i < acc.cap && rc == 0; i++)
        if (acc.keys[i])
            rc = ec_add(cm, e, &acc.slots[i].period, acc.slots[i].d);
    agg_acc_free(&acc);
    return rc;
}

static int ec_apply(struct cellmap *cm, const struct event *e, int sign,
                    int32_t as_of)
{
    switch (e->kind) {
    case EVENT_PAYMENT:
        return ec_add_month(cm, e, e->u.payment.month, EC_OUTCOME,
                            sign * e->u.payment.amount_ore);
    case EVENT_PLACEMENT: {
        const struct placement *p = &e->u.placement;
        return ec_accrue(cm, e, p->start, p->end >= 0 ? p->end : as_of + 1,
                         sign);
    }
    case EVENT_BUDGET:
        for (int i = 0; i < BUDGET_MONTHS; i++) {
            int rc = ec_add_month(cm, e,
                                  period_month_from_ym(e->u.budget.year, i + 1),
                                  EC_BUDGET, sign * e->u.budget.monthly_ore[i]);
            if (rc)
                return rc;
        }
        return 0;
    default:
        return 0;
    }
}

static int ec_advance(struct cellmap *cm, const struct event *e,
                      int32_t old_as_of, int32_t new_as_of)
{
    if (e->kind != EVENT_PLACEMENT || e->u.placement.end >= 0)
        return 0;
    if (new_as_of > old_as_of)
        return ec_accrue(cm, e, old_as_of + 1, new_as_of + 1, +1);
    if (new_as_of < old_as_of)
        return ec_accrue(cm, e, new_as_of + 1, old_as_of + 1, -1);
    return 0;
}

/* Counters of the slice's cell of period p. */
static int ec_read(struct cellmap *cm, const struct cell_key_parts *k,
                   const struct period *p, int64_t *c)
{
    char key[CELL_KEY_MAX];
    int rc = cell_key(key, k->muni, "ec", p, k->slice);
    return rc ? rc : cell_read(cm, key, c, EC_COUNTERS);
}

static int ec_metrics(struct cellmap *cm, const struct cell_key_parts *k,
                      int32_t as_of, struct metric *out, size_t *n)
{
    const struct period *p = &k->period;
    int32_t last = period_last_month_as_of(p, as_of);
    int year = period_month_year(last);
    struct period ytd = period_of(PERIOD_YTD, last);
    struct period r12 = period_of(PERIOD_R12, last);
    struct period y = period_of(PERIOD_YEAR, last);
    int64_t c[EC_COUNTERS], cy[EC_COUNTERS], cytd[EC_COUNTERS],
        cr12[EC_COUNTERS], cm_[EC_COUNTERS];
    int rc;
    if ((rc = ec_read(cm, k, p, c)) || (rc = ec_read(cm, k, &y, cy)) ||
        (rc = ec_read(cm, k, &ytd, cytd)) || (rc = ec_read(cm, k, &r12, cr12)))
        return rc;
    /* the budget of P's months through L */
    int64_t to_date = 0;
    if (last == p->last_month) {
        to_date = c[EC_BUDGET];
    } else {
        for (int32_t m = p->first_month; m <= last; m++) {
            struct period pm = period_of(PERIOD_MONTH, m);
            if ((rc = ec_read(cm, k, &pm, cm_)))
                return rc;
            to_date += cm_[EC_BUDGET];
        }
    }
    int32_t jan1 = period_day_from_ymd(year, 1, 1);
    int32_t through = period_is_running(&ytd, as_of)
                          ? as_of
                          : period_month_first_day(last + 1) - 1;
    double days = (double)(through - jan1 + 1);
    double year_days = (double)period_days(&y);
    double budget = (double)cy[EC_BUDGET] / 100.0;
    double outcome_ytd = (double)cytd[EC_OUTCOME] / 100.0;
    double forecast = days > 0 ? outcome_ytd / days * year_days : 0;
    double outcome = (double)c[EC_OUTCOME] / 100.0;
    *n = 0;
    agg_metric_set(out, n, "budget", "årsbudget", "kr", budget, 1, false);
    agg_metric_set(out, n, "budget_to_date", "ackumulerad budget", "kr",
                   (double)to_date / 100.0, 1, false);
    agg_metric_set(out, n, "outcome", "utfall", "kr", outcome, 1, false);
    agg_metric_set(out, n, "deviation", "budgetavvikelse", "kr",
                   (double)(to_date - c[EC_OUTCOME]) / 100.0, 1, false);
    agg_metric_set(out, n, "consumed_share", "förbrukat", "share", outcome_ytd,
                   budget, true);
    agg_metric_set(out, n, "forecast", "årsprognos (kostnadstakt)", "kr",
                   forecast, 1, false);
    agg_metric_set(out, n, "forecast_deviation", "prognosavvikelse", "kr",
                   budget - forecast, 1, false);
    agg_metric_set(out, n, "rolling_annual_cost", "rullande årskostnad", "kr",
                   (double)cr12[EC_OUTCOME] / 100.0, 1, false);
    return 0;
}

static int ec_emit(const struct cell_key_parts *k, const struct period *p,
                   agg_emit_fn emit, void *ctx)
{
    char key[CELL_KEY_MAX];
    int rc = cell_key(key, k->muni, "ec", p, k->slice);
    return rc ? rc : emit(ctx, key);
}

/*
 * A changed cell changes its own figures and, through the YTD, R12 and
 * year cells every period reads, those of every period whose last (or
 * as-of) month a YTD or R12 cell ends at, or that lies in a year cell's
 * year.
 */
static int ec_affected(const struct cell_key_parts *k, int32_t as_of,
                       agg_emit_fn emit, void *ctx)
{
    int rc = ec_emit(k, &k->period, emit, ctx);
    if (rc)
        return rc;
    int32_t first = k->period.last_month, last = k->period.last_month;
    if (k->period.kind == PERIOD_YEAR)
        first = k->period.first_month;
    else if (k->period.kind != PERIOD_YTD && k->period.kind != PERIOD_R12)
        return 0;
    for (int32_t e = first; e <= last; e++) {
        struct period pers[PERIOD_CONTAINING_MAX];
        size_t n = period_containing(e, pers, PERIOD_CONTAINING_MAX);
        for (size_t i = 0; i < n; i++) {
            int32_t l = period_last_month_as_of(&pers[i], as_of);
            bool reads = k->period.kind == PERIOD_YEAR
                             ? period_month_year(l) ==
                                   period_month_year(k->period.first_month)
                             : l == e;
            if (reads && (rc = ec_emit(k, &pers[i], emit, ctx)))
                return rc;
        }
    }
    return 0;
}

const struct agg_domain agg_ec = {
    .name = "ec",
    .rollups = "unit",
    .apply = ec_apply,
    .advance = ec_advance,
    .metrics = ec_metrics,
    .affected = ec_affected,
};

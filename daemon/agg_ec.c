/*
 * agg_ec.c — domain ec, budget against outcome (definitions in
 * agg_ec.h).
 *
 * Month cells per (municipality, month, slice) hold the outcome (öre:
 * payments by the month they are for, placement care days × daily cost
 * by the day) and the budget of the month (Σ of the budgets' monthly
 * profiles). Both are sums: every period, year to date and twelve
 * months adds up its months when read (agg_sums_by_month()), at most 23
 * months around L. Open placements accrue with the as-of day, as in
 * domain pl.
 */
#include "agg_ec.h"

#include "period.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { EC_OUTCOME, EC_BUDGET, EC_COUNTERS };

/* Add value to counter of the total and the unit slice of month m. */
static int ec_add_month(struct cellmap *cm, const struct event *e, int32_t m,
                        int counter, int64_t value)
{
    char key[CELL_KEY_MAX], unit[CELL_SLICE_MAX];
    int64_t d[EC_COUNTERS] = {0};
    struct period p = period_of(PERIOD_MONTH, m);
    int rc;
    d[counter] = value;
    cell_slice_of(unit, "unit", e->unit);
    if ((rc = cell_key(key, e->municipality, "ec", &p, CELL_TOTAL)) ||
        (rc = cell_add(cm, key, d, EC_COUNTERS)) ||
        (rc = cell_key(key, e->municipality, "ec", &p, unit)) ||
        (rc = cell_add(cm, key, d, EC_COUNTERS)))
        return rc;
    return 0;
}

/* The cost of placement e's care days in [lo, hi), month by month. */
static int ec_accrue(struct cellmap *cm, const struct event *e, int32_t lo,
                     int32_t hi, int sign)
{
    const struct placement *p = &e->u.placement;
    int32_t s = lo > p->start ? lo : p->start;
    int32_t t = p->end >= 0 && p->end < hi ? p->end : hi;
    for (int32_t m = period_month_of_day(s); s < t; m++) {
        int32_t next = period_month_first_day(m + 1);
        int32_t b = t < next ? t : next;
        int rc = ec_add_month(cm, e, m, EC_OUTCOME,
                              sign * (int64_t)(b - s) * p->daily_cost_ore);
        if (rc)
            return rc;
        s = b;
    }
    return 0;
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

/* The months from lo through hi of a period's figures: at most those of
 * L's twelve-month window and of the rest of its year. */
#define EC_MONTHS_MAX 24

/* Σ of counter over months a..b of months[] (starting at month lo). */
static int64_t ec_sum(int64_t (*months)[EC_COUNTERS], int32_t lo, int32_t a,
                      int32_t b, int counter)
{
    int64_t sum = 0;
    for (int32_t m = a; m <= b; m++)
        sum += months[m - lo][counter];
    return sum;
}

static int ec_metrics(struct cellmap *cm, const struct cell_key_parts *k,
                      int32_t as_of, struct metric *out, size_t *n)
{
    const struct period *p = &k->period;
    int32_t last = period_last_month_as_of(p, as_of);
    int year = period_month_year(last);
    int32_t jan = period_month_from_ym(year, 1), dec = jan + 11;
    int32_t lo = p->first_month < last - 11 ? p->first_month : last - 11;
    int32_t hi = p->last_month > dec ? p->last_month : dec;
    int64_t months[EC_MONTHS_MAX][EC_COUNTERS];
    if (hi - lo + 1 > EC_MONTHS_MAX)
        return -ERANGE;
    for (int32_t m = lo; m <= hi; m++) {
        int rc = agg_month_read(cm, k->muni, "ec", m, k->slice, EC_COUNTERS,
                                months[m - lo]);
        if (rc)
            return rc;
    }
    int64_t outcome_p = ec_sum(months, lo, p->first_month, p->last_month,
                               EC_OUTCOME);
    int64_t to_date = ec_sum(months, lo, p->first_month, last, EC_BUDGET);
    int64_t budget_y = ec_sum(months, lo, jan, dec, EC_BUDGET);
    int64_t outcome_ytd = ec_sum(months, lo, jan, last, EC_OUTCOME);
    int64_t outcome_r12 = ec_sum(months, lo, last - 11, last, EC_OUTCOME);
    struct period ytd = period_of(PERIOD_YTD, last);
    struct period y = period_of(PERIOD_YEAR, last);
    int32_t jan1 = period_day_from_ymd(year, 1, 1);
    int32_t through = period_is_running(&ytd, as_of)
                          ? as_of
                          : period_month_first_day(last + 1) - 1;
    double days = (double)(through - jan1 + 1);
    double year_days = (double)period_days(&y);
    double budget = (double)budget_y / 100.0;
    double ytd_kr = (double)outcome_ytd / 100.0;
    double forecast = days > 0 ? ytd_kr / days * year_days : 0;
    double outcome = (double)outcome_p / 100.0;
    *n = 0;
    agg_metric_set(out, n, "budget", "årsbudget", "kr", budget, 1, false);
    agg_metric_set(out, n, "budget_to_date", "ackumulerad budget", "kr",
                   (double)to_date / 100.0, 1, false);
    agg_metric_set(out, n, "outcome", "utfall", "kr", outcome, 1, false);
    agg_metric_set(out, n, "deviation", "budgetavvikelse", "kr",
                   (double)(to_date - outcome_p) / 100.0, 1, false);
    agg_metric_set(out, n, "consumed_share", "förbrukat", "share", ytd_kr,
                   budget, true);
    agg_metric_set(out, n, "forecast", "årsprognos (kostnadstakt)", "kr",
                   forecast, 1, false);
    agg_metric_set(out, n, "forecast_deviation", "prognosavvikelse", "kr",
                   budget - forecast, 1, false);
    agg_metric_set(out, n, "rolling_annual_cost", "rullande årskostnad", "kr",
                   (double)outcome_r12 / 100.0, 1, false);
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
 * A changed month cell m changes the figures of every period containing
 * m and of every period whose last (or as-of) month L reads it through
 * its year (L in m's year) or its twelve-month window (L in m..m+11).
 */
static int ec_affected(const struct cell_key_parts *k, int32_t as_of,
                       agg_emit_fn emit, void *ctx)
{
    int32_t m = k->period.first_month;
    int rc;
    if (k->period.kind != PERIOD_MONTH)
        return ec_emit(k, &k->period, emit, ctx); /* not kept any more */
    if ((rc = agg_emit_month_readers(k->muni, "ec", m, k->slice, emit, ctx)))
        return rc;
    int32_t jan = period_month_from_ym(period_month_year(m), 1);
    int32_t to = jan + 11 > m + 11 ? jan + 11 : m + 11;
    for (int32_t e = jan; e <= to; e++) {
        struct period pers[PERIOD_CONTAINING_MAX];
        size_t n = period_containing(e, pers, PERIOD_CONTAINING_MAX);
        for (size_t i = 0; i < n; i++)
            if (period_last_month_as_of(&pers[i], as_of) == e &&
                (rc = ec_emit(k, &pers[i], emit, ctx)))
                return rc;
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

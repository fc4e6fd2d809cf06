/*
 * agg_eb.c — domain eb, ekonomiskt bistånd (DESIGN §4).
 *
 * Cells: one per (municipality, period, slice) for every period kind,
 * slices total, unit=U, age_band=B (age of the household's head at the
 * period's start) and category=C (paid only). Counters:
 *
 *   EB_PAID            Σ amount_ore of payments for months in the period
 *   EB_PAID_TEMP       the same for category tillfalligt_boende
 *   EB_HOUSEHOLDS      distinct households with net paid > 0 in some month
 *   EB_HOUSEHOLD_MONTHS Σ over months of households with net paid > 0
 *   EB_LONG_TERM       (R12 cells) households with >= 10 such months
 *
 * The sums (paid, paid_temp, household_months) are kept in the month
 * cells and added up when a longer period is read (agg_sums_by_month()):
 * a payment changes one cell per slice for them. Distinct counts change
 * only in the periods where the household's first month (or its tenth,
 * for long-term) moves, a few of the 29.
 *
 * Distinct counts come from member records, one per (household, raw
 * slice) where a raw slice is total, unit=U or "Y:age_band=B", the band
 * of the head's age at the start of year Y: the household's net paid per
 * month. Age bands follow each period's start, and the periods
 * containing a month start in its year or the year before (R12), so a
 * payment moves the records of both labels; payments of one household
 * giving different birth years that fall in the same band share one
 * record, and the household is counted once. A payment moves one month's net;
 * only when that month's "net > 0" bit flips do the distinct counters of the 29
 * periods containing the month change, decided from the member's months within
 * eleven months either side. Long-term figures of a period are those of
 * the R12 window ending at its last (or as-of) month.
 */
#include "agg_eb.h"

#include "member.h"
#include "period.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    EB_PAID,
    EB_PAID_TEMP,
    EB_HOUSEHOLDS,
    EB_HOUSEHOLD_MONTHS,
    EB_LONG_TERM,
    EB_COUNTERS
};

#define EB_LONG_TERM_MONTHS 10

enum eb_raw { EB_RAW_TOTAL, EB_RAW_UNIT, EB_RAW_AGE_BAND, EB_RAW_COUNT };

/* The slice of kind r for payment e, age bands labelled by the head's age
 * at the start of year. */
static void eb_slice(char *out, enum eb_raw r, const struct event *e, int year)
{
    if (r == EB_RAW_TOTAL)
        cell_slice_of(out, NULL, CELL_TOTAL);
    else if (r == EB_RAW_UNIT)
        cell_slice_of(out, "unit", e->unit);
    else
        cell_slice_of(out, "age_band",
                      cell_age_band(e->u.payment.head_birth_year, year));
}

/*
 * Payment e moves its household's net of its month by delta in the member
 * record of raw slice r (labelled by year for age bands), and the cells
 * of periods pers[0..n) (those labelled by year for age bands) by the
 * paid amounts and the distinct counts that change with it.
 */
static int eb_move(struct cellmap *cm, const struct event *e, enum eb_raw r,
                   int year, int64_t delta, const struct period *pers, size_t n)
{
    const struct payment *pay = &e->u.payment;
    char key[CELL_KEY_MAX], slice[CELL_SLICE_MAX];
    int rc;
    eb_slice(slice, r, e, year);
    if ((rc = agg_member_key(key, e->municipality, "eb", pay->household,
                             r == EB_RAW_AGE_BAND ? year : 0, slice)))
        return rc;
    member_window before, after;
    if ((rc = member_move(cm, key, pay->month, delta, &before, &after)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (r == EB_RAW_AGE_BAND &&
            period_month_year(pers[i].first_month) != year)
            continue;
        bool sums = pers[i].kind == PERIOD_MONTH ||
                    !agg_sums_by_month(&pers[i], slice);
        int64_t d[EB_COUNTERS] = {0}, months = 0;
        if (sums) {
            d[EB_PAID] = delta;
            if (pay->category == CAT_TILLFALLIGT_BOENDE)
                d[EB_PAID_TEMP] = delta;
        }
        if (before != after)
            member_period_delta(
                &pers[i], pay->month, before, after,
                pers[i].kind == PERIOD_R12 ? EB_LONG_TERM_MONTHS : 0,
                &d[EB_HOUSEHOLDS], &months, &d[EB_LONG_TERM]);
        if (sums)
            d[EB_HOUSEHOLD_MONTHS] = months;
        if (cell_is_zero(d, sizeof(d)))
            continue;
        if ((rc = cell_key(key, e->municipality, "eb", &pers[i], slice)) ||
            (rc = cell_add(cm, key, d, EB_COUNTERS)))
            return rc;
    }
    return 0;
}

static int eb_apply(struct cellmap *cm, const struct event *e, int sign,
                    int32_t as_of)
{
    (void)as_of; /* payments do not depend on the as-of day */
    if (e->kind != EVENT_PAYMENT)
        return 0;
    const struct payment *pay = &e->u.payment;
    int64_t delta = sign * pay->amount_ore;
    int32_t m = pay->month;
    int year = period_month_year(m);
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n_pers = period_containing(m, pers, PERIOD_CONTAINING_MAX);
    char key[CELL_KEY_MAX], slice[CELL_SLICE_MAX];
    int rc;

    if ((rc = eb_move(cm, e, EB_RAW_TOTAL, year, delta, pers, n_pers)) ||
        (rc = eb_move(cm, e, EB_RAW_UNIT, year, delta, pers, n_pers)))
        return rc;
    /* the periods containing m start in its year or, R12 windows, the
     * year before: one member record for each label */
    for (int y = year - 1; y <= year; y++)
        if ((rc = eb_move(cm, e, EB_RAW_AGE_BAND, y, delta, pers, n_pers)))
            return rc;
    /* category slices keep only the paid amounts, in month cells */
    snprintf(slice, sizeof(slice), "category=%s",
             event_enum_name(ENUM_CATEGORY, pay->category));
    int64_t d[EB_COUNTERS] = {0};
    d[EB_PAID] = delta;
    if (pay->category == CAT_TILLFALLIGT_BOENDE)
        d[EB_PAID_TEMP] = delta;
    struct period pm = period_of(PERIOD_MONTH, m);
    if ((rc = cell_key(key, e->municipality, "eb", &pm, slice)) ||
        (rc = cell_add(cm, key, d, EB_COUNTERS)))
        return rc;
    return 0;
}

static int eb_metrics(struct cellmap *cm, const struct cell_key_parts *k,
                      int32_t as_of, struct metric *out, size_t *n)
{
    int64_t c[EB_COUNTERS], w[EB_COUNTERS];
    char key[CELL_KEY_MAX];
    int rc;
    const struct period *p = &k->period;
    struct period win =
        period_of(PERIOD_R12, period_last_month_as_of(p, as_of));

    if ((rc = cell_key(key, k->muni, "eb", p, k->slice)) ||
        (rc = cell_read(cm, key, c, EB_COUNTERS)) ||
        (rc = cell_key(key, k->muni, "eb", &win, k->slice)) ||
        (rc = cell_read(cm, key, w, EB_COUNTERS)))
        return rc;
    if (p->kind != PERIOD_MONTH && agg_sums_by_month(p, k->slice)) {
        static const int sums[] = {EB_PAID, EB_PAID_TEMP,
                                   EB_HOUSEHOLD_MONTHS};
        for (size_t i = 0; i < sizeof(sums) / sizeof(*sums); i++)
            c[sums[i]] = 0;
        if ((rc = agg_sum_months(cm, k->muni, "eb", p->first_month,
                                 p->last_month, k->slice, EB_COUNTERS, sums,
                                 sizeof(sums) / sizeof(*sums), c)))
            return rc;
    }

    double paid_kr = (double)c[EB_PAID] / 100.0;
    double hh = (double)c[EB_HOUSEHOLDS];
    double hm = (double)c[EB_HOUSEHOLD_MONTHS];
    double months = period_elapsed_months(p, as_of);
    *n = 0;
    agg_metric_set(out, n, "paid", "utbetalt bistånd", "kr", paid_kr, 1, false);
    agg_metric_set(out, n, "households", "biståndshushåll", "count", hh, 1,
                   false);
    agg_metric_set(out, n, "household_months", "biståndsmånader", "count", hm,
                   1, false);
    agg_metric_set(out, n, "households_per_month", "hushåll per månad, snitt",
                   "ratio", hm, months, true);
    agg_metric_set(out, n, "avg_months", "genomsnittlig biståndstid, mån",
                   "months", hm, hh, true);
    agg_metric_set(out, n, "paid_per_household_month",
                   "bistånd per hushåll och månad", "kr", paid_kr, hm, true);
    agg_metric_set(out, n, "long_term_households",
                   "hushåll med långvarigt bistånd", "count",
                   (double)w[EB_LONG_TERM], 1, false);
    agg_metric_set(out, n, "long_term_share", "andel långvarigt", "share",
                   (double)w[EB_LONG_TERM], (double)w[EB_HOUSEHOLDS], true);
    agg_metric_set(out, n, "temp_housing_share",
                   "andel till tillfälligt boende", "share",
                   (double)c[EB_PAID_TEMP], (double)c[EB_PAID], true);

    if (strncmp(k->slice, "category=", 9) == 0)
        for (size_t i = 1; i < *n; i++) /* only paid is kept per category */
            out[i].is_null = true;
    return 0;
}

static int eb_affected(const struct cell_key_parts *k, int32_t as_of,
                       agg_emit_fn emit, void *ctx)
{
    char key[CELL_KEY_MAX];
    int rc;
    if (k->period.kind == PERIOD_MONTH)
        return agg_emit_month_readers(k->muni, "eb", k->period.first_month,
                                      k->slice, emit, ctx);
    if ((rc = cell_key(key, k->muni, "eb", &k->period, k->slice)) ||
        (rc = emit(ctx, key)))
        return rc;
    if (k->period.kind != PERIOD_R12)
        return 0;
    /* An R12 window carries the long-term figures of every period whose
     * last (or as-of) month is the window's last month. */
    int32_t e = k->period.last_month;
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n = period_containing(e, pers, PERIOD_CONTAINING_MAX);
    for (size_t i = 0; i < n; i++) {
        if (pers[i].kind == PERIOD_R12 && pers[i].last_month == e)
            continue; /* the window itself, emitted above */
        if (period_last_month_as_of(&pers[i], as_of) != e)
            continue;
        if ((rc = cell_key(key, k->muni, "eb", &pers[i], k->slice)) ||
            (rc = emit(ctx, key)))
            return rc;
    }
    return 0;
}

const struct agg_domain agg_eb = {
    .name = "eb",
    .rollups = "unit,age_band,category",
    .apply = eb_apply,
    .metrics = eb_metrics,
    .affected = eb_affected,
};

/*
 * test_agg_ec.c — domain ec (economy) from hand-computed examples
 * (DESIGN §3, §4), black-box through agg_ec.apply/advance/metrics on a
 * cellmap with no backing store.
 *
 * Definitions tested (agg_ec.h), for period P with last month L (the
 * as-of month when P is running), slice total or unit=U, money in kr:
 *   budget              budget amount of L's year
 *   budget_to_date      Σ monthly profile over P's months through L
 *   outcome             payments (by the month they are for) + placement
 *                       care days x daily cost in P (open ones through
 *                       the as-of day)
 *   deviation           budget_to_date − outcome
 *   consumed_share      outcome of L's year through L / budget (null
 *                       without budget)
 *   forecast            that outcome / days from January 1 through the
 *                       as-of day (running) or L's last day (else)
 *                       x days of the year
 *   forecast_deviation  budget − forecast
 *   rolling_annual_cost outcome over the twelve months ending at L
 *
 * Days of 2014 through the end of each month: jan 31, feb 59, mar 90,
 * apr 120, may 151, jun 181, jul 212, aug 243, sep 273, oct 304,
 * nov 334, dec 365. 2015 jan-mar: 90.
 *
 * Fixture "closed" (municipality 0127, as of 2015-06-01, nothing open):
 *   unit ekb, payments: 2013-12 40 000; 2014-01 50 000; 2014-03 30 000;
 *     2014-05 80 000 and a reversal -10 000; 2014-08 120 000;
 *     2014-12 60 000; 2015-02 90 000.
 *   unit barn-unga: payment 2014-05 20 000; placements
 *     pl-1 2014-01-20..2014-02-10 at 2 000/day: jan 20..31 = 12 days
 *          = 24 000, feb 1..9 = 9 days = 18 000;
 *     pl-2 2014-12-15..2015-01-16 at 1 500/day (crosses the year):
 *          dec 15..31 = 17 days = 25 500, jan 1..15 = 15 days = 22 500;
 *     pl-3 2014-04-28..2014-05-03 at 3 000/day (crosses T1/T2):
 *          apr 28..30 = 3 days = 9 000, may 1..2 = 2 days = 6 000.
 *   budgets: ekb 2014 1 200 000 even (100 000 a month);
 *     ekb 2015 1 800 000 even (150 000 a month);
 *     barn-unga 2014 2 400 000 with the profile (thousands)
 *     100 100 150 150 | 300 300 250 150 | 200 250 200 250
 *     (T1 500, T2 1 000, T3 900; H1 1 100, H2 1 300; an even split
 *     would give 800 a tertial).
 *   Monthly outcome (kr):
 *     ekb: 2013-12 40 000; 2014 jan 50 000, mar 30 000, may 70 000,
 *       aug 120 000, dec 60 000; 2015 feb 90 000.
 *     barn-unga: 2014 jan 24 000, feb 18 000, apr 9 000,
 *       may 26 000 (20 000 paid + 6 000 care), dec 25 500;
 *       2015 jan 22 500.
 *   2014 ekb 330 000, barn-unga 102 500, total 432 500.
 *
 * Fixture "running" (unit vuxen, as of 2014-08-15): budget 2014 720 000
 *   even (60 000 a month); payments 2014-01 30 000, 2014-04 25 000,
 *   2014-08 10 000; placement cp-1 2014-02-01..2014-03-01 at 500/day
 *   (28 days = 14 000 in feb); open placement op-1 from 2014-07-01 at
 *   1 000/day (as of 08-15: jul 31 000, aug 15 000).
 *
 * Fixture "issue 5" (unit ifo): budget 2014 280 139 000 kr; outcome to
 *   the end of June 149 989 000 kr: consumed_share 0.54.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"
#include "agg_ec.h"
#include "cell.h"
#include "cellmap.h"
#include "period.h"

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

#define CLOSED_AS_OF "2015-06-01"
#define RUN_AS_OF "2014-08-15"

static int32_t day(const char *s)
{
    int32_t d = 0;
    assert_int_equal(period_date_parse(s, &d), 0);
    return d;
}

static void common(struct event *e, enum event_kind kind, const char *id,
                   const char *unit, uint64_t revision)
{
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    snprintf(e->source, sizeof(e->source), "test");
    snprintf(e->id, sizeof(e->id), "%s", id);
    e->revision = revision;
    snprintf(e->municipality, sizeof(e->municipality), "0127");
    snprintf(e->unit, sizeof(e->unit), "%s", unit);
}

/* A payment of kr kronor for month y-m (negative: a reversal). */
static struct event pay(const char *id, const char *unit, int y, int m,
                        int64_t kr)
{
    struct event e;
    common(&e, EVENT_PAYMENT, id, unit, 1);
    struct payment *p = &e.u.payment;
    snprintf(p->household, sizeof(p->household), "hh-%s", id);
    p->month = period_month_from_ym(y, m);
    p->paid_on = period_month_first_day(p->month);
    p->amount_ore = kr * 100;
    p->reversal = kr < 0;
    p->category = CAT_LIVSUPPEHALLE;
    p->head_birth_year = 1980;
    return e;
}

/* A placement from start to end (exclusive; NULL = open) at kr a day. */
static struct event plc(const char *id, const char *unit, const char *start,
                        const char *end, int64_t kr_per_day)
{
    struct event e;
    common(&e, EVENT_PLACEMENT, id, unit, 1);
    struct placement *p = &e.u.placement;
    snprintf(p->person, sizeof(p->person), "p-%s", id);
    p->gender = GENDER_F;
    p->birth_year = 2003;
    p->setting = SETTING_FAMILJEHEM;
    p->regi = REGI_EGEN;
    p->target = TARGET_BARN_UNGA;
    p->legal_basis = LEGAL_SOL;
    p->start = day(start);
    p->end = end ? day(end) : -1;
    p->daily_cost_ore = kr_per_day * 100;
    return e;
}

/* A budget with monthly amounts in öre; the year's amount is their sum
 * (the validated form). */
static struct event bud_ore(const char *id, const char *unit, int year,
                            uint64_t revision, const int64_t *monthly_ore)
{
    struct event e;
    common(&e, EVENT_BUDGET, id, unit, revision);
    struct budget *b = &e.u.budget;
    b->year = year;
    b->amount_ore = 0;
    for (int i = 0; i < BUDGET_MONTHS; i++) {
        b->monthly_ore[i] = monthly_ore[i];
        b->amount_ore += monthly_ore[i];
    }
    return e;
}

/* A budget of kr kronor split evenly (kr divisible by 12). */
static struct event bud_even(const char *id, const char *unit, int year,
                             int64_t kr)
{
    int64_t m[BUDGET_MONTHS];
    assert_int_equal(kr % 12, 0);
    for (int i = 0; i < BUDGET_MONTHS; i++)
        m[i] = kr / 12 * 100;
    return bud_ore(id, unit, year, 1, m);
}

/* A budget with a profile in thousands of kronor. */
static struct event bud_tkr(const char *id, const char *unit, int year,
                            uint64_t revision, const int tkr[BUDGET_MONTHS])
{
    int64_t m[BUDGET_MONTHS];
    for (int i = 0; i < BUDGET_MONTHS; i++)
        m[i] = (int64_t)tkr[i] * 1000 * 100;
    return bud_ore(id, unit, year, revision, m);
}

static const int barn_unga_tkr[BUDGET_MONTHS] = {100, 100, 150, 150, 300, 300,
                                                 250, 150, 200, 250, 200, 250};

static size_t closed_fixture(struct event *ev)
{
    size_t n = 0;
    ev[n++] = pay("p-1", "ekb", 2014, 1, 50000);
    ev[n++] = pay("p-2", "ekb", 2014, 5, 80000);
    ev[n++] = pay("p-3", "ekb", 2014, 5, -10000);
    ev[n++] = pay("p-4", "ekb", 2014, 8, 120000);
    ev[n++] = pay("p-5", "ekb", 2014, 12, 60000);
    ev[n++] = pay("p-6", "ekb", 2015, 2, 90000);
    ev[n++] = pay("p-7", "ekb", 2013, 12, 40000);
    ev[n++] = pay("p-8", "ekb", 2014, 3, 30000);
    ev[n++] = pay("b-1", "barn-unga", 2014, 5, 20000);
    ev[n++] = plc("pl-1", "barn-unga", "2014-01-20", "2014-02-10", 2000);
    ev[n++] = plc("pl-2", "barn-unga", "2014-12-15", "2015-01-16", 1500);
    ev[n++] = plc("pl-3", "barn-unga", "2014-04-28", "2014-05-03", 3000);
    ev[n++] = bud_even("bud-ekb-2014", "ekb", 2014, 1200000);
    ev[n++] = bud_even("bud-ekb-2015", "ekb", 2015, 1800000);
    ev[n++] = bud_tkr("bud-bu-2014", "barn-unga", 2014, 1, barn_unga_tkr);
    return n;
}

static void apply_all(struct cellmap *m, const struct event *ev, size_t n,
                      int sign, int32_t as_of)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(agg_ec.apply(m, &ev[i], sign, as_of), 0);
}

static struct cellmap *map_of(const struct event *ev, size_t n,
                              const char *as_of)
{
    struct cellmap *m = cellmap_new(NULL, NULL);
    assert_non_null(m);
    apply_all(m, ev, n, +1, day(as_of));
    return m;
}

/* Value of metric id in (period, slice) as of the day given. */
static struct metric metric_of(struct cellmap *m, const char *period,
                               const char *slice, int32_t as_of, const char *id)
{
    char key[CELL_KEY_MAX];
    struct cell_key_parts k;
    struct metric out[AGG_METRICS_MAX];
    size_t n = 0;
    snprintf(key, sizeof(key), "0127/ec/%s/%s", period, slice);
    assert_int_equal(cell_key_split(key, &k), 0);
    assert_int_equal(agg_ec.metrics(m, &k, as_of, out, &n), 0);
    assert_true(n <= AGG_METRICS_MAX);
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].id, id) == 0)
            return out[i];
    fail_msg("%s %s: no metric %s", period, slice, id);
    return out[0];
}

/* Within 1e-12 relative (1e-9 absolute near zero): far below an öre for
 * every figure here, loose only in the last bits of division order. */
static int close_to(double got, double want)
{
    double tol = fabs(want) * 1e-12;
    if (tol < 1e-9)
        tol = 1e-9;
    return fabs(got - want) <= tol;
}

struct row {
    const char *period, *slice, *as_of, *id;
    int is_null;
    double want;
};

/* Checks every row, printing each one that differs; the count of those. */
static int check_rows(struct cellmap *m, const char *name,
                      const struct row *rows, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct metric got =
            metric_of(m, r->period, r->slice, day(r->as_of), r->id);
        int ok = r->is_null ? got.is_null
                            : !got.is_null && close_to(got.value, r->want);
        if (ok)
            continue;
        bad++;
        char want[40], have[40];
        if (r->is_null)
            snprintf(want, sizeof(want), "null");
        else
            snprintf(want, sizeof(want), "%.9f", r->want);
        if (got.is_null)
            snprintf(have, sizeof(have), "null");
        else
            snprintf(have, sizeof(have), "%.9f", got.value);
        print_error("%s row %zu: %s %s %s as of %s: want %s, got %s\n", name, i,
                    r->period, r->slice, r->id, r->as_of, want, have);
    }
    return bad;
}

#define CHECK_ROWS(m, rows)                                                    \
    do {                                                                       \
        int bad_ = check_rows((m), #rows, (rows), N_ROWS(rows));               \
        if (bad_)                                                              \
            fail_msg("%s: %d of %zu rows differ", #rows, bad_, N_ROWS(rows));  \
    } while (0)

/* Every metric id of the domain with its unit. */
static void test_metric_ids(void **state)
{
    (void)state;
    static const char *const ids[][2] = {
        {"budget", "kr"},
        {"budget_to_date", "kr"},
        {"outcome", "kr"},
        {"deviation", "kr"},
        {"consumed_share", "share"},
        {"forecast", "kr"},
        {"forecast_deviation", "kr"},
        {"rolling_annual_cost", "kr"},
    };
    struct cellmap *m = cellmap_new(NULL, NULL);
    for (size_t i = 0; i < N_ROWS(ids); i++) {
        struct metric g =
            metric_of(m, "2014", "total", day(CLOSED_AS_OF), ids[i][0]);
        assert_non_null(g.label);
        assert_string_equal(g.unit, ids[i][1]);
    }
    cellmap_destroy(&m);
}

/* Closed periods of 2014/2015, as of 2015-06-01. */
static const struct row closed_rows[] = {
    /* --- the year 2014, total --- */
    /* 1 200 000 + 2 400 000 */
    {"2014", "total", CLOSED_AS_OF, "budget", 0, 3600000},
    /* all twelve months of both profiles */
    {"2014", "total", CLOSED_AS_OF, "budget_to_date", 0, 3600000},
    /* 330 000 + 102 500 */
    {"2014", "total", CLOSED_AS_OF, "outcome", 0, 432500},
    /* 3 600 000 − 432 500 */
    {"2014", "total", CLOSED_AS_OF, "deviation", 0, 3167500},
    /* 432 500 / 3 600 000 */
    {"2014", "total", CLOSED_AS_OF, "consumed_share", 0, 432500.0 / 3600000},
    /* 432 500 / 365 × 365 */
    {"2014", "total", CLOSED_AS_OF, "forecast", 0, 432500},
    {"2014", "total", CLOSED_AS_OF, "forecast_deviation", 0, 3167500},
    /* jan-dec 2014 */
    {"2014", "total", CLOSED_AS_OF, "rolling_annual_cost", 0, 432500},
    /* --- the year 2014 per unit --- */
    /* ekb: 50 000 + 30 000 + 70 000 + 120 000 + 60 000 = 330 000 */
    {"2014", "unit=ekb", CLOSED_AS_OF, "budget", 0, 1200000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 1200000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "outcome", 0, 330000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "deviation", 0, 870000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "consumed_share", 0, 0.275},
    {"2014", "unit=ekb", CLOSED_AS_OF, "forecast", 0, 330000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "forecast_deviation", 0, 870000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "rolling_annual_cost", 0, 330000},
    /* barn-unga: 24 000 + 18 000 + 9 000 + 26 000 + 25 500 = 102 500 */
    {"2014", "unit=barn-unga", CLOSED_AS_OF, "budget", 0, 2400000},
    {"2014", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 102500},
    {"2014", "unit=barn-unga", CLOSED_AS_OF, "deviation", 0, 2297500},
    {"2014", "unit=barn-unga", CLOSED_AS_OF, "consumed_share", 0,
     102500.0 / 2400000},
    {"2014", "unit=barn-unga", CLOSED_AS_OF, "forecast_deviation", 0, 2297500},

    /* --- tertial 2014-T2 (may-aug), L = aug --- */
    {"2014-T2", "total", CLOSED_AS_OF, "budget", 0, 3600000},
    /* ekb 4 × 100 000 + barn-unga 300 + 300 + 250 + 150 = 1 000 000 */
    {"2014-T2", "total", CLOSED_AS_OF, "budget_to_date", 0, 1400000},
    /* ekb may 70 000 + aug 120 000; barn-unga may 26 000 */
    {"2014-T2", "total", CLOSED_AS_OF, "outcome", 0, 216000},
    /* 1 400 000 − 216 000 */
    {"2014-T2", "total", CLOSED_AS_OF, "deviation", 0, 1184000},
    /* jan-aug: ekb 270 000 + barn-unga 77 000 = 347 000 */
    {"2014-T2", "total", CLOSED_AS_OF, "consumed_share", 0, 347000.0 / 3600000},
    /* 347 000 / 243 × 365 */
    {"2014-T2", "total", CLOSED_AS_OF, "forecast", 0, 347000.0 * 365 / 243},
    {"2014-T2", "total", CLOSED_AS_OF, "forecast_deviation", 0,
     3600000 - 347000.0 * 365 / 243},
    /* sep 2013-aug 2014: 40 000 (2013-12) + 347 000 */
    {"2014-T2", "total", CLOSED_AS_OF, "rolling_annual_cost", 0, 387000},
    /* uneven profile vs even split: may-aug */
    {"2014-T2", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 1000000},
    {"2014-T2", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 400000},
    /* 1 000 000 − 26 000 */
    {"2014-T2", "unit=barn-unga", CLOSED_AS_OF, "deviation", 0, 974000},
    /* T1 jan-apr 100 + 100 + 150 + 150; T3 200 + 250 + 200 + 250 */
    {"2014-T1", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 500000},
    {"2014-T3", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 900000},
    {"2014-H1", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 1100000},
    {"2014-H2", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 1300000},
    /* YTD through may: 100 + 100 + 150 + 150 + 300 */
    {"2014-05-YTD", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0,
     800000},

    /* --- tertial 2014-T1 (jan-apr), L = apr --- */
    /* ekb 400 000 + barn-unga 500 000 */
    {"2014-T1", "total", CLOSED_AS_OF, "budget_to_date", 0, 900000},
    /* ekb 50 000 + 30 000; barn-unga 24 000 + 18 000 + 9 000 */
    {"2014-T1", "total", CLOSED_AS_OF, "outcome", 0, 131000},
    {"2014-T1", "total", CLOSED_AS_OF, "deviation", 0, 769000},
    {"2014-T1", "total", CLOSED_AS_OF, "consumed_share", 0, 131000.0 / 3600000},
    /* 131 000 / 120 × 365 */
    {"2014-T1", "total", CLOSED_AS_OF, "forecast", 0, 131000.0 * 365 / 120},
    /* may 2013-apr 2014: + 40 000 */
    {"2014-T1", "total", CLOSED_AS_OF, "rolling_annual_cost", 0, 171000},

    /* --- month 2014-05 --- */
    {"2014-05", "total", CLOSED_AS_OF, "budget", 0, 3600000},
    /* ekb 100 000 + barn-unga 300 000 */
    {"2014-05", "total", CLOSED_AS_OF, "budget_to_date", 0, 400000},
    /* ekb 80 000 − 10 000; barn-unga 20 000 paid + 2 days × 3 000 */
    {"2014-05", "total", CLOSED_AS_OF, "outcome", 0, 96000},
    {"2014-05", "total", CLOSED_AS_OF, "deviation", 0, 304000},
    /* jan-may: ekb 150 000 + barn-unga 77 000 = 227 000 */
    {"2014-05", "total", CLOSED_AS_OF, "consumed_share", 0, 227000.0 / 3600000},
    /* 227 000 / 151 × 365 */
    {"2014-05", "total", CLOSED_AS_OF, "forecast", 0, 227000.0 * 365 / 151},
    {"2014-05", "total", CLOSED_AS_OF, "forecast_deviation", 0,
     3600000 - 227000.0 * 365 / 151},
    /* jun 2013-may 2014: 40 000 + 227 000 */
    {"2014-05", "total", CLOSED_AS_OF, "rolling_annual_cost", 0, 267000},
    /* payment and placement together in one unit */
    {"2014-05", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 26000},
    {"2014-05", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 300000},
    {"2014-05", "unit=barn-unga", CLOSED_AS_OF, "deviation", 0, 274000},
    /* the reversal nets in its month */
    {"2014-05", "unit=ekb", CLOSED_AS_OF, "outcome", 0, 70000},
    {"2014-05", "unit=ekb", CLOSED_AS_OF, "deviation", 0, 30000},
    /* pl-3 crosses apr/may: 3 days in april, 2 in may */
    {"2014-04", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 9000},
    /* pl-1 crosses jan/feb: 12 + 9 days */
    {"2014-01", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 24000},
    {"2014-02", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 18000},
    {"2014-Q1", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 42000},

    /* --- the year boundary: pl-2 dec 2014 / jan 2015 --- */
    {"2014-12", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 25500},
    {"2014-12", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 250000},
    {"2014-12", "unit=barn-unga", CLOSED_AS_OF, "deviation", 0, 224500},
    {"2014-T3", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 25500},
    {"2014-H2", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 25500},
    {"2015-01", "unit=barn-unga", CLOSED_AS_OF, "outcome", 0, 22500},
    /* no 2015 budget for barn-unga: nothing to consume, all overspend */
    {"2015-01", "unit=barn-unga", CLOSED_AS_OF, "consumed_share", 1, 0},
    {"2015-01", "unit=barn-unga", CLOSED_AS_OF, "budget_to_date", 0, 0},
    {"2015-01", "unit=barn-unga", CLOSED_AS_OF, "deviation", 0, -22500},
    /* 2015-01 total: ekb budget 2015 only; jan outcome 22 500 / 31 × 365 */
    {"2015-01", "total", CLOSED_AS_OF, "budget", 0, 1800000},
    {"2015-01", "total", CLOSED_AS_OF, "forecast", 0, 22500.0 * 365 / 31},

    /* --- rolling across the year boundary: 2015-03, apr 2014-mar 2015 ---
     * ekb may 70 000 + aug 120 000 + dec 60 000 + feb 2015 90 000
     * = 340 000; barn-unga apr 9 000 + may 26 000 + dec 25 500 + jan 2015
     * 22 500 = 83 000 (jan-mar 2014 fall outside) */
    {"2015-03", "total", CLOSED_AS_OF, "rolling_annual_cost", 0, 423000},
    {"2015-03", "unit=ekb", CLOSED_AS_OF, "rolling_annual_cost", 0, 340000},
    {"2015-03", "unit=barn-unga", CLOSED_AS_OF, "rolling_annual_cost", 0,
     83000},
    {"2015-03-R12", "total", CLOSED_AS_OF, "rolling_annual_cost", 0, 423000},
    {"2015-Q1", "total", CLOSED_AS_OF, "rolling_annual_cost", 0, 423000},
    /* the month itself: nothing in march 2015 */
    {"2015-03", "total", CLOSED_AS_OF, "outcome", 0, 0},
    {"2015-03", "total", CLOSED_AS_OF, "budget", 0, 1800000},
    {"2015-03", "total", CLOSED_AS_OF, "budget_to_date", 0, 150000},
    {"2015-03", "total", CLOSED_AS_OF, "deviation", 0, 150000},
    /* jan-mar 2015: 90 000 + 22 500 = 112 500 over 1 800 000 */
    {"2015-03", "total", CLOSED_AS_OF, "consumed_share", 0, 0.0625},
    /* 112 500 / 90 × 365 */
    {"2015-03", "total", CLOSED_AS_OF, "forecast", 0, 456250},
    {"2015-03", "total", CLOSED_AS_OF, "forecast_deviation", 0, 1343750},
    /* R12: budget of L's year (2015); profile apr 2014-mar 2015:
     * ekb 9 × 100 000 + 3 × 150 000 = 1 350 000, barn-unga apr-dec
     * 150 + 300 + 300 + 250 + 150 + 200 + 250 + 200 + 250 = 2 050 000 */
    {"2015-03-R12", "total", CLOSED_AS_OF, "budget", 0, 1800000},
    {"2015-03-R12", "total", CLOSED_AS_OF, "budget_to_date", 0, 3400000},
    {"2015-03-R12", "total", CLOSED_AS_OF, "outcome", 0, 423000},
    {"2015-03-R12", "total", CLOSED_AS_OF, "deviation", 0, 2977000},
    {"2015-03-R12", "total", CLOSED_AS_OF, "consumed_share", 0, 0.0625},
    {"2015-03-R12", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 1350000},
    /* Q1 2015: ekb 3 × 150 000; outcome 112 500 */
    {"2015-Q1", "total", CLOSED_AS_OF, "budget_to_date", 0, 450000},
    {"2015-Q1", "total", CLOSED_AS_OF, "outcome", 0, 112500},
    {"2015-Q1", "total", CLOSED_AS_OF, "deviation", 0, 337500},
    {"2015-Q1", "total", CLOSED_AS_OF, "forecast", 0, 456250},

    /* --- no budget: consumed_share null --- */
    {"2013", "total", CLOSED_AS_OF, "outcome", 0, 40000},
    {"2013", "total", CLOSED_AS_OF, "consumed_share", 1, 0},
    {"2013-12", "unit=ekb", CLOSED_AS_OF, "consumed_share", 1, 0},
    {"2013-12", "unit=ekb", CLOSED_AS_OF, "rolling_annual_cost", 0, 40000},
    {"2014", "unit=nobody", CLOSED_AS_OF, "consumed_share", 1, 0},
    {"2014", "unit=nobody", CLOSED_AS_OF, "outcome", 0, 0},
};

static void test_closed(void **state)
{
    (void)state;
    struct event ev[32];
    size_t n = closed_fixture(ev);
    struct cellmap *m = map_of(ev, n, CLOSED_AS_OF);
    CHECK_ROWS(m, closed_rows);
    cellmap_destroy(&m);
}

/* The same figures with a memo of month cells attached (agg.h), as
 * publishing and queries read them, twice (the second time from the
 * memo); a change of a cell detaches it and the next read sees the
 * change: a payment of 5 000 for 2014-06 makes ekb's 2014 outcome
 * 335 000 and its 2014-06 outcome 5 000. */
static void test_months_memo(void **state)
{
    (void)state;
    struct event ev[32];
    size_t n = closed_fixture(ev);
    struct cellmap *m = map_of(ev, n, CLOSED_AS_OF);
    struct agg_months *mm = agg_months_new();
    cellmap_set_memo(m, mm);
    CHECK_ROWS(m, closed_rows);
    CHECK_ROWS(m, closed_rows);
    assert_ptr_equal(cellmap_memo(m), mm);
    assert_true(close_to(
        metric_of(m, "2014", "unit=ekb", day(CLOSED_AS_OF), "outcome").value,
        330000));

    struct event more = pay("p-9", "ekb", 2014, 6, 5000);
    apply_all(m, &more, 1, +1, day(CLOSED_AS_OF));
    assert_null(cellmap_memo(m));
    assert_true(close_to(
        metric_of(m, "2014", "unit=ekb", day(CLOSED_AS_OF), "outcome").value,
        335000));
    assert_true(close_to(
        metric_of(m, "2014-06", "unit=ekb", day(CLOSED_AS_OF), "outcome").value,
        5000));
    agg_months_free(&mm);
    cellmap_destroy(&m);
}

/* The closed fixture, then ekb's 2014 budget revised from 1 200 000 even
 * to 1 440 000 with the profile (thousands) 100 100 100 100 | 130 130
 * 130 130 | 120 120 140 140, and a 2014 budget of 600 000 even
 * (50 000 a month) for unit lss, which has no costs. */
static const int ekb_rev_tkr[BUDGET_MONTHS] = {100, 100, 100, 100, 130, 130,
                                               130, 130, 120, 120, 140, 140};

static const struct row revised_rows[] = {
    {"2014", "unit=ekb", CLOSED_AS_OF, "budget", 0, 1440000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 1440000},
    /* 1 440 000 − 330 000 */
    {"2014", "unit=ekb", CLOSED_AS_OF, "deviation", 0, 1110000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "consumed_share", 0, 330000.0 / 1440000},
    {"2014", "unit=ekb", CLOSED_AS_OF, "forecast_deviation", 0, 1110000},
    /* may-aug 4 × 130 000; outcome 190 000 */
    {"2014-T2", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 520000},
    {"2014-T2", "unit=ekb", CLOSED_AS_OF, "deviation", 0, 330000},
    {"2014-05", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 130000},
    {"2014-05", "unit=ekb", CLOSED_AS_OF, "deviation", 0, 60000},
    /* the old 100 000 in november is gone */
    {"2014-11", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 140000},
    {"2014-11", "unit=ekb", CLOSED_AS_OF, "budget", 0, 1440000},
    /* total: 1 440 000 + 2 400 000 + 600 000 */
    {"2014", "total", CLOSED_AS_OF, "budget", 0, 4440000},
    {"2014", "total", CLOSED_AS_OF, "budget_to_date", 0, 4440000},
    {"2014", "total", CLOSED_AS_OF, "deviation", 0, 4440000 - 432500},
    /* T2: 520 000 + 1 000 000 + 4 × 50 000 */
    {"2014-T2", "total", CLOSED_AS_OF, "budget_to_date", 0, 1720000},
    {"2014-T2", "total", CLOSED_AS_OF, "deviation", 0, 1720000 - 216000},
    {"2014-T2", "total", CLOSED_AS_OF, "consumed_share", 0, 347000.0 / 4440000},
    {"2014-T2", "total", CLOSED_AS_OF, "forecast_deviation", 0,
     4440000 - 347000.0 * 365 / 243},
    /* apr 2014-mar 2015, ekb: 100 + 4 × 130 + 120 + 120 + 140 + 140
     * = 1 140 000, + 3 × 150 000 = 1 590 000; total + barn-unga 2 050 000
     * + lss 9 × 50 000 */
    {"2015-03-R12", "unit=ekb", CLOSED_AS_OF, "budget_to_date", 0, 1590000},
    {"2015-03-R12", "total", CLOSED_AS_OF, "budget_to_date", 0, 4090000},
    /* lss: budget, no costs */
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "budget", 0, 600000},
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "budget_to_date", 0, 200000},
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "outcome", 0, 0},
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "deviation", 0, 200000},
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "consumed_share", 0, 0},
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "forecast", 0, 0},
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "forecast_deviation", 0, 600000},
    {"2014-T2", "unit=lss", CLOSED_AS_OF, "rolling_annual_cost", 0, 0},
    {"2014", "unit=lss", CLOSED_AS_OF, "outcome", 0, 0},
    {"2014", "unit=lss", CLOSED_AS_OF, "deviation", 0, 600000},
    {"2014-03", "unit=lss", CLOSED_AS_OF, "deviation", 0, 50000},
};

/* Collects a map's non-zero cell and member records. */
static int count_nonzero(void *ctx, enum cellmap_db db, const char *key,
                         const void *val, size_t len)
{
    size_t *n = ctx;
    const unsigned char *b = val;
    int nz = 0;
    if (db == CELLMAP_CELLS)
        nz = !cell_is_zero(val, len);
    else if (db == CELLMAP_MEMBERS)
        for (size_t i = 0; i < len; i++)
            nz |= b[i] != 0;
    if (nz) {
        print_error("left over: %s %s\n",
                    db == CELLMAP_CELLS ? "cell" : "member", key);
        (*n)++;
    }
    return 0;
}

static void assert_all_zero(struct cellmap *m, const char *what)
{
    size_t n = 0;
    assert_int_equal(cellmap_each_dirty(m, CELLMAP_DB_COUNT, count_nonzero, &n),
                     0);
    if (n)
        fail_msg("%s: %zu records left non-zero", what, n);
}

static void test_revised_budget(void **state)
{
    (void)state;
    struct event ev[32];
    size_t n = closed_fixture(ev);
    struct cellmap *m = map_of(ev, n, CLOSED_AS_OF);
    int32_t a = day(CLOSED_AS_OF);
    struct event old = bud_even("bud-ekb-2014", "ekb", 2014, 1200000);
    struct event rev = bud_tkr("bud-ekb-2014", "ekb", 2014, 2, ekb_rev_tkr);
    struct event lss = bud_even("bud-lss-2014", "lss", 2014, 600000);
    assert_int_equal(agg_ec.apply(m, &old, -1, a), 0);
    assert_int_equal(agg_ec.apply(m, &rev, +1, a), 0);
    assert_int_equal(agg_ec.apply(m, &lss, +1, a), 0);
    CHECK_ROWS(m, revised_rows);
    /* and removing everything leaves nothing */
    assert_int_equal(agg_ec.apply(m, &rev, -1, a), 0);
    assert_int_equal(agg_ec.apply(m, &lss, -1, a), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].id, "bud-ekb-2014") != 0)
            assert_int_equal(agg_ec.apply(m, &ev[i], -1, a), 0);
    assert_all_zero(m, "closed fixture removed");
    cellmap_destroy(&m);
}

static size_t running_fixture(struct event *ev)
{
    size_t n = 0;
    ev[n++] = bud_even("bud-vuxen-2014", "vuxen", 2014, 720000);
    ev[n++] = pay("v-1", "vuxen", 2014, 1, 30000);
    ev[n++] = pay("v-2", "vuxen", 2014, 4, 25000);
    ev[n++] = pay("v-3", "vuxen", 2014, 8, 10000);
    ev[n++] = plc("cp-1", "vuxen", "2014-02-01", "2014-03-01", 500);
    ev[n++] = plc("op-1", "vuxen", "2014-07-01", NULL, 1000);
    return n;
}
#define RUN_OPEN 5 /* index of op-1 */

/* As of 2014-08-15: jan-aug outcome 30 000 + 14 000 + 25 000 + 31 000
 * + (10 000 + 15 × 1 000) = 125 000 over jan 1..aug 15 = 227 days. */
static const struct row running_rows[] = {
    {"2014", "total", RUN_AS_OF, "budget", 0, 720000},
    /* jan-aug 8 × 60 000 */
    {"2014", "total", RUN_AS_OF, "budget_to_date", 0, 480000},
    {"2014", "total", RUN_AS_OF, "outcome", 0, 125000},
    {"2014", "total", RUN_AS_OF, "deviation", 0, 355000},
    {"2014", "total", RUN_AS_OF, "consumed_share", 0, 125000.0 / 720000},
    /* 125 000 / 227 × 365 */
    {"2014", "total", RUN_AS_OF, "forecast", 0, 125000.0 * 365 / 227},
    {"2014", "total", RUN_AS_OF, "forecast_deviation", 0,
     720000 - 125000.0 * 365 / 227},
    {"2014", "total", RUN_AS_OF, "rolling_annual_cost", 0, 125000},
    {"2014", "unit=vuxen", RUN_AS_OF, "forecast", 0, 125000.0 * 365 / 227},
    {"2014", "unit=vuxen", RUN_AS_OF, "forecast_deviation", 0,
     720000 - 125000.0 * 365 / 227},
    {"2014-08-YTD", "unit=vuxen", RUN_AS_OF, "forecast", 0,
     125000.0 * 365 / 227},
    {"2014-08-YTD", "unit=vuxen", RUN_AS_OF, "budget_to_date", 0, 480000},
    /* the running month: 10 000 paid + 15 days × 1 000 */
    {"2014-08", "unit=vuxen", RUN_AS_OF, "outcome", 0, 25000},
    {"2014-08", "unit=vuxen", RUN_AS_OF, "budget_to_date", 0, 60000},
    {"2014-08", "unit=vuxen", RUN_AS_OF, "deviation", 0, 35000},
    {"2014-08", "unit=vuxen", RUN_AS_OF, "consumed_share", 0,
     125000.0 / 720000},
    {"2014-08", "unit=vuxen", RUN_AS_OF, "forecast", 0, 125000.0 * 365 / 227},
    {"2014-08", "unit=vuxen", RUN_AS_OF, "rolling_annual_cost", 0, 125000},
    /* T2 may-aug running: jul 31 000 + aug 25 000; profile may-aug */
    {"2014-T2", "unit=vuxen", RUN_AS_OF, "outcome", 0, 56000},
    {"2014-T2", "unit=vuxen", RUN_AS_OF, "budget_to_date", 0, 240000},
    {"2014-T2", "unit=vuxen", RUN_AS_OF, "deviation", 0, 184000},
    /* Q3 jul-sep running: profile through aug */
    {"2014-Q3", "unit=vuxen", RUN_AS_OF, "budget_to_date", 0, 120000},
    {"2014-Q3", "unit=vuxen", RUN_AS_OF, "deviation", 0, 64000},
    {"2014-08-R12", "unit=vuxen", RUN_AS_OF, "budget_to_date", 0, 480000},
    {"2014-08-R12", "unit=vuxen", RUN_AS_OF, "outcome", 0, 125000},
    /* july is over: L = jul, jan-jul 30 000 + 14 000 + 25 000 + 31 000
     * = 100 000 over 212 days */
    {"2014-07", "unit=vuxen", RUN_AS_OF, "outcome", 0, 31000},
    {"2014-07", "unit=vuxen", RUN_AS_OF, "deviation", 0, 29000},
    {"2014-07", "unit=vuxen", RUN_AS_OF, "consumed_share", 0,
     100000.0 / 720000},
    {"2014-07", "unit=vuxen", RUN_AS_OF, "forecast", 0, 100000.0 * 365 / 212},
    {"2014-07", "unit=vuxen", RUN_AS_OF, "forecast_deviation", 0,
     720000 - 100000.0 * 365 / 212},
    {"2014-07", "unit=vuxen", RUN_AS_OF, "rolling_annual_cost", 0, 100000},
    /* february: cp-1's 28 days */
    {"2014-02", "unit=vuxen", RUN_AS_OF, "outcome", 0, 14000},
};

/* After advancing op-1 one day: + 1 000 over 228 days. */
static const struct row running_next_rows[] = {
    {"2014", "total", "2014-08-16", "outcome", 0, 126000},
    {"2014", "total", "2014-08-16", "deviation", 0, 354000},
    {"2014", "total", "2014-08-16", "consumed_share", 0, 126000.0 / 720000},
    {"2014", "total", "2014-08-16", "forecast", 0, 126000.0 * 365 / 228},
    {"2014", "total", "2014-08-16", "forecast_deviation", 0,
     720000 - 126000.0 * 365 / 228},
    {"2014", "total", "2014-08-16", "rolling_annual_cost", 0, 126000},
    {"2014-08", "unit=vuxen", "2014-08-16", "outcome", 0, 26000},
    {"2014-08", "unit=vuxen", "2014-08-16", "deviation", 0, 34000},
    {"2014-T2", "unit=vuxen", "2014-08-16", "outcome", 0, 57000},
    {"2014-07", "unit=vuxen", "2014-08-16", "outcome", 0, 31000},
};

/* After advancing op-1 to 2014-09-01: jul 31 + aug 31 + sep 1 days
 * = 63 000; the year 30 000 + 25 000 + 10 000 + 14 000 + 63 000
 * = 142 000 over 244 days. */
static const struct row running_sep_rows[] = {
    {"2014", "total", "2014-09-01", "outcome", 0, 142000},
    /* jan-sep 9 × 60 000 */
    {"2014", "total", "2014-09-01", "budget_to_date", 0, 540000},
    {"2014", "total", "2014-09-01", "deviation", 0, 398000},
    {"2014", "total", "2014-09-01", "forecast", 0, 142000.0 * 365 / 244},
    {"2014-09", "unit=vuxen", "2014-09-01", "outcome", 0, 1000},
    {"2014-09", "unit=vuxen", "2014-09-01", "deviation", 0, 59000},
    {"2014-T3", "unit=vuxen", "2014-09-01", "outcome", 0, 1000},
    {"2014-T3", "unit=vuxen", "2014-09-01", "budget_to_date", 0, 60000},
    /* august is over: 10 000 + 31 × 1 000; jan-aug 141 000 / 243 days */
    {"2014-08", "unit=vuxen", "2014-09-01", "outcome", 0, 41000},
    {"2014-08", "unit=vuxen", "2014-09-01", "consumed_share", 0,
     141000.0 / 720000},
    {"2014-08", "unit=vuxen", "2014-09-01", "forecast", 0,
     141000.0 * 365 / 243},
    {"2014-T2", "unit=vuxen", "2014-09-01", "outcome", 0, 72000},
    {"2014-09-R12", "unit=vuxen", "2014-09-01", "rolling_annual_cost", 0,
     142000},
};

static void test_running(void **state)
{
    (void)state;
    struct event ev[16];
    size_t n = running_fixture(ev);
    struct cellmap *m = map_of(ev, n, RUN_AS_OF);
    CHECK_ROWS(m, running_rows);
    cellmap_destroy(&m);
}

/* Collects a map's non-zero cells as "key: counters" lines. */
struct dump {
    char *buf;
    size_t len, cap;
};

static int dump_one(void *ctx, enum cellmap_db db, const char *key,
                    const void *val, size_t len)
{
    struct dump *d = ctx;
    if (db != CELLMAP_CELLS || cell_is_zero(val, len))
        return 0;
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s:", key);
    const int64_t *c = val;
    for (size_t i = 0; i < len / sizeof(int64_t); i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %lld",
                      (long long)c[i]);
    line[n++] = '\n';
    if (d->len + (size_t)n + 1 > d->cap) {
        d->cap = (d->len + (size_t)n + 1) * 2;
        d->buf = realloc(d->buf, d->cap);
        assert_non_null(d->buf);
    }
    memcpy(d->buf + d->len, line, (size_t)n);
    d->len += (size_t)n;
    d->buf[d->len] = '\0';
    return 0;
}

static char *dump_of(struct cellmap *m)
{
    struct dump d = {0};
    assert_int_equal(cellmap_each_dirty(m, CELLMAP_CELLS, dump_one, &d), 0);
    if (!d.buf) {
        d.buf = malloc(1);
        assert_non_null(d.buf);
        d.buf[0] = '\0';
    }
    return d.buf;
}

static void assert_same_cells(struct cellmap *a, struct cellmap *b,
                              const char *what)
{
    char *da = dump_of(a), *db = dump_of(b);
    if (strcmp(da, db) != 0) {
        const char *p = da, *q = db;
        while (*p && *p == *q)
            p++, q++;
        while (p > da && p[-1] != '\n')
            p--, q--;
        print_error("%s: cells differ at\n  got:  %.160s\n  want: %.160s\n",
                    what, p, q);
        free(da);
        free(db);
        fail_msg("%s: cells differ", what);
    }
    assert_true(da[0] != '\0');
    free(da);
    free(db);
}

/* An open placement's outcome follows the as-of day: advance by one day
 * adds its daily cost, advancing back takes it away; over a month end
 * the new month gets it; the cells equal a fresh apply at the new day. */
static void test_advance(void **state)
{
    (void)state;
    struct event ev[16];
    size_t n = running_fixture(ev);
    const struct event *op = &ev[RUN_OPEN];
    assert_int_equal(op->u.placement.end, -1);
    assert_non_null(agg_ec.advance);
    struct cellmap *m = map_of(ev, n, RUN_AS_OF);
    int32_t a = day(RUN_AS_OF);
    assert_int_equal(agg_ec.advance(m, op, a, a + 1), 0);
    CHECK_ROWS(m, running_next_rows);
    assert_int_equal(agg_ec.advance(m, op, a + 1, a), 0);
    CHECK_ROWS(m, running_rows);

    int32_t end_aug = day("2014-08-31"), sep1 = day("2014-09-01");
    assert_int_equal(agg_ec.advance(m, op, a, end_aug), 0);
    assert_int_equal(agg_ec.advance(m, op, end_aug, sep1), 0);
    CHECK_ROWS(m, running_sep_rows);
    struct cellmap *fresh = map_of(ev, n, "2014-09-01");
    assert_same_cells(m, fresh, "advanced to 09-01 vs applied as of 09-01");
    cellmap_destroy(&fresh);

    assert_int_equal(agg_ec.advance(m, op, sep1, a), 0);
    CHECK_ROWS(m, running_rows);
    fresh = map_of(ev, n, RUN_AS_OF);
    assert_same_cells(m, fresh, "advanced back vs applied as of 08-15");
    cellmap_destroy(&fresh);

    /* removing as of the day it was last moved to leaves nothing */
    apply_all(m, ev, n, -1, a);
    assert_all_zero(m, "running fixture removed");
    cellmap_destroy(&m);
}

/* Issue 5: a unit with a budget of 280 139 000 kr whose outcome to the
 * end of June is 149 989 000 kr has consumed 0.54 of it in every period
 * ending in June, also when asked later in the year or the next.
 *   budget: 28 013 900 000 öre = 12 × 2 334 491 666 + 8, so jan-aug
 *     2 334 491 667 öre, sep-dec 2 334 491 666 öre;
 *   placement 2014-01-01..2014-07-01 at 500 000 kr a day: 181 days
 *     = 90 500 000 kr (june: 30 days = 15 000 000);
 *   payments jan-may 10 000 000 kr each, jun 9 489 000 kr: 59 489 000;
 *     to the end of june 90 500 000 + 59 489 000 = 149 989 000;
 *   after june: jul 5 000 000, aug 5 000 000, sep 4 000 000. */
static size_t issue5_fixture(struct event *ev)
{
    size_t n = 0;
    int64_t monthly[BUDGET_MONTHS];
    for (int i = 0; i < BUDGET_MONTHS; i++)
        monthly[i] = i < 8 ? 2334491667 : 2334491666;
    ev[n++] = bud_ore("bud-ifo-2014", "ifo", 2014, 1, monthly);
    assert_int_equal(ev[0].u.budget.amount_ore, 28013900000);
    ev[n++] = plc("i-pl", "ifo", "2014-01-01", "2014-07-01", 500000);
    char id[16];
    for (int mo = 1; mo <= 5; mo++) {
        snprintf(id, sizeof(id), "i-%d", mo);
        ev[n++] = pay(id, "ifo", 2014, mo, 10000000);
    }
    ev[n++] = pay("i-6", "ifo", 2014, 6, 9489000);
    ev[n++] = pay("i-7", "ifo", 2014, 7, 5000000);
    ev[n++] = pay("i-8", "ifo", 2014, 8, 5000000);
    ev[n++] = pay("i-9", "ifo", 2014, 9, 4000000);
    return n;
}

#define I5 (149989000.0 / 280139000.0) /* 0.53541... */

static const struct row issue5_rows[] = {
    {"2014-06-YTD", "unit=ifo", "2014-09-10", "consumed_share", 0, I5},
    {"2014-H1", "unit=ifo", "2014-09-10", "consumed_share", 0, I5},
    {"2014-06", "unit=ifo", "2014-09-10", "consumed_share", 0, I5},
    {"2014-Q2", "unit=ifo", "2014-09-10", "consumed_share", 0, I5},
    {"2014-06-YTD", "total", "2014-09-10", "consumed_share", 0, I5},
    {"2014-06-YTD", "unit=ifo", "2015-03-01", "consumed_share", 0, I5},
    {"2014-H1", "unit=ifo", "2015-03-01", "consumed_share", 0, I5},
    {"2014-06", "unit=ifo", "2015-03-01", "consumed_share", 0, I5},
    {"2014-06-YTD", "unit=ifo", "2014-09-10", "budget", 0, 280139000},
    {"2014-06-YTD", "unit=ifo", "2014-09-10", "outcome", 0, 149989000},
    {"2014-H1", "unit=ifo", "2014-09-10", "outcome", 0, 149989000},
    /* june: 9 489 000 + 30 × 500 000 */
    {"2014-06", "unit=ifo", "2014-09-10", "outcome", 0, 24489000},
    /* 6 × 2 334 491 667 öre = 14 006 950 002 öre */
    {"2014-06-YTD", "unit=ifo", "2014-09-10", "budget_to_date", 0,
     140069500.02},
    /* 140 069 500.02 − 149 989 000 */
    {"2014-06-YTD", "unit=ifo", "2014-09-10", "deviation", 0, -9919499.98},
    {"2014-06", "unit=ifo", "2014-09-10", "budget_to_date", 0, 23344916.67},
    /* 149 989 000 / 181 × 365 */
    {"2014-06-YTD", "unit=ifo", "2014-09-10", "forecast", 0,
     149989000.0 * 365 / 181},
    {"2014-H1", "unit=ifo", "2014-09-10", "forecast_deviation", 0,
     280139000 - 149989000.0 * 365 / 181},
    /* jul 2013-jun 2014 */
    {"2014-06", "unit=ifo", "2014-09-10", "rolling_annual_cost", 0, 149989000},
    /* the running year takes the outcome through september:
     * 149 989 000 + 14 000 000 = 163 989 000 over 253 days; the profile
     * through september 8 × 2 334 491 667 + 2 334 491 666 öre */
    {"2014", "unit=ifo", "2014-09-10", "consumed_share", 0,
     163989000.0 / 280139000},
    {"2014", "unit=ifo", "2014-09-10", "forecast", 0, 163989000.0 * 365 / 253},
    {"2014", "unit=ifo", "2014-09-10", "budget_to_date", 0, 210104250.02},
    {"2014", "unit=ifo", "2014-09-10", "outcome", 0, 163989000},
};

static void test_issue5(void **state)
{
    (void)state;
    struct event ev[16];
    size_t n = issue5_fixture(ev);
    struct cellmap *m = map_of(ev, n, "2014-09-10");
    CHECK_ROWS(m, issue5_rows);
    /* as the report shows it: two decimals */
    static const char *const periods[] = {"2014-06-YTD", "2014-H1", "2014-06"};
    for (size_t i = 0; i < N_ROWS(periods); i++) {
        struct metric g = metric_of(m, periods[i], "unit=ifo",
                                    day("2014-09-10"), "consumed_share");
        assert_false(g.is_null);
        if (lround(g.value * 100) != 54)
            fail_msg("%s consumed_share %.6f does not show as 0.54", periods[i],
                     g.value);
    }
    cellmap_destroy(&m);
}

/* Over New Year: unit vuxen, budgets 2014 1 200 000 even (100 000 a
 * month) and 2015 2 400 000 even (200 000 a month); one open placement
 * from 2014-12-01 at 100 kr a day, applied as of 2014-12-31 (31 days
 * = 3 100) and advanced to 2015-01-01 (+ 100 in january 2015). */
static const struct row newyear_before_rows[] = {
    {"2014", "unit=vuxen", "2014-12-31", "outcome", 0, 3100},
    /* 3 100 / 365 × 365 */
    {"2014", "unit=vuxen", "2014-12-31", "forecast", 0, 3100},
    {"2014", "unit=vuxen", "2014-12-31", "forecast_deviation", 0,
     1200000 - 3100},
    {"2015-01", "unit=vuxen", "2014-12-31", "outcome", 0, 0},
    /* dec 2013-nov 2014 + dec: the R12 ending at the as-of month */
    {"2015-02-R12", "unit=vuxen", "2014-12-31", "rolling_annual_cost", 0, 3100},
};

static const struct row newyear_after_rows[] = {
    {"2014", "unit=vuxen", "2015-01-01", "outcome", 0, 3100},
    {"2014-12", "unit=vuxen", "2015-01-01", "outcome", 0, 3100},
    {"2015-01", "unit=vuxen", "2015-01-01", "outcome", 0, 100},
    {"2015", "unit=vuxen", "2015-01-01", "outcome", 0, 100},
    {"2015", "unit=vuxen", "2015-01-01", "budget", 0, 2400000},
    {"2015", "unit=vuxen", "2015-01-01", "budget_to_date", 0, 200000},
    {"2015", "unit=vuxen", "2015-01-01", "deviation", 0, 199900},
    {"2015", "unit=vuxen", "2015-01-01", "consumed_share", 0, 100.0 / 2400000},
    /* 100 / 1 day × 365 */
    {"2015", "unit=vuxen", "2015-01-01", "forecast", 0, 36500},
    {"2015", "unit=vuxen", "2015-01-01", "forecast_deviation", 0,
     2400000 - 36500},
    /* feb 2014-jan 2015 */
    {"2015", "unit=vuxen", "2015-01-01", "rolling_annual_cost", 0, 3200},
    /* 2015-01-R12 (feb 2014-jan 2015), running: profile 11 × 100 000 +
     * 200 000; budget of L's year 2015 */
    {"2015-01-R12", "unit=vuxen", "2015-01-01", "budget_to_date", 0, 1300000},
    {"2015-01-R12", "unit=vuxen", "2015-01-01", "budget", 0, 2400000},
    {"2015-01-R12", "unit=vuxen", "2015-01-01", "deviation", 0, 1296800},
    /* 2015-02-R12 (mar 2014-feb 2015) is running with L = jan 2015:
     * profile mar 2014-jan 2015 = 10 × 100 000 + 200 000 */
    {"2015-02-R12", "unit=vuxen", "2015-01-01", "budget_to_date", 0, 1200000},
    {"2015-02-R12", "unit=vuxen", "2015-01-01", "outcome", 0, 3200},
    {"2015-02-R12", "unit=vuxen", "2015-01-01", "rolling_annual_cost", 0, 3200},
    {"2015-02-R12", "unit=vuxen", "2015-01-01", "forecast", 0, 36500},
    /* 2015-Q1 running, L = jan */
    {"2015-Q1", "unit=vuxen", "2015-01-01", "budget_to_date", 0, 200000},
    {"2015-Q1", "unit=vuxen", "2015-01-01", "outcome", 0, 100},
};

static void test_advance_new_year(void **state)
{
    (void)state;
    struct event ev[] = {
        bud_even("bud-v-2014", "vuxen", 2014, 1200000),
        bud_even("bud-v-2015", "vuxen", 2015, 2400000),
        plc("op-y", "vuxen", "2014-12-01", NULL, 100),
    };
    size_t n = N_ROWS(ev);
    struct cellmap *m = map_of(ev, n, "2014-12-31");
    CHECK_ROWS(m, newyear_before_rows);
    assert_int_equal(
        agg_ec.advance(m, &ev[2], day("2014-12-31"), day("2015-01-01")), 0);
    CHECK_ROWS(m, newyear_after_rows);
    struct cellmap *fresh = map_of(ev, n, "2015-01-01");
    assert_same_cells(m, fresh, "advanced over new year vs applied");
    cellmap_destroy(&fresh);
    assert_int_equal(
        agg_ec.advance(m, &ev[2], day("2015-01-01"), day("2014-12-31")), 0);
    CHECK_ROWS(m, newyear_before_rows);
    /* a placement with an end does not move */
    struct event closed = plc("cl", "vuxen", "2014-12-01", "2015-02-01", 100);
    assert_int_equal(agg_ec.apply(m, &closed, +1, day("2014-12-31")), 0);
    fresh = map_of(ev, n, "2014-12-31");
    assert_int_equal(agg_ec.apply(fresh, &closed, +1, day("2014-12-31")), 0);
    assert_int_equal(
        agg_ec.advance(m, &closed, day("2014-12-31"), day("2015-01-01")), 0);
    assert_same_cells(m, fresh, "advance of a closed placement");
    cellmap_destroy(&fresh);
    cellmap_destroy(&m);
}

/* A leap year: 2016 has 366 days. One payment of 29 000 kr for
 * 2016-02 in unit ekb, no budget. */
static const struct row leap_rows[] = {
    /* as of 2016-03-01, 2016 running: jan 1..mar 1 = 31 + 29 + 1 = 61
     * days; 29 000 / 61 × 366 */
    {"2016", "total", "2016-03-01", "forecast", 0, 29000.0 * 366 / 61},
    /* no budget: null share, forecast_deviation = 0 − forecast */
    {"2016", "total", "2016-03-01", "consumed_share", 1, 0},
    {"2016", "total", "2016-03-01", "forecast_deviation", 0,
     -29000.0 * 366 / 61},
    /* february is over: through feb 29 = 60 days; 29 000 / 60 × 366 */
    {"2016-02", "total", "2016-03-01", "forecast", 0, 176900},
    {"2016-02", "total", "2016-03-01", "outcome", 0, 29000},
    {"2016-02", "total", "2016-03-01", "deviation", 0, -29000},
    /* as of feb 29 itself: 60 days, the year running */
    {"2016", "unit=ekb", "2016-02-29", "forecast", 0, 176900},
};

static void test_leap_year(void **state)
{
    (void)state;
    struct event ev[] = {pay("leap", "ekb", 2016, 2, 29000)};
    struct cellmap *m = map_of(ev, 1, "2016-03-01");
    CHECK_ROWS(m, leap_rows);
    cellmap_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_ids),
        cmocka_unit_test(test_closed),
        cmocka_unit_test(test_months_memo),
        cmocka_unit_test(test_revised_budget),
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_advance),
        cmocka_unit_test(test_issue5),
        cmocka_unit_test(test_advance_new_year),
        cmocka_unit_test(test_leap_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

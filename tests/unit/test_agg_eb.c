/*
 * test_agg_eb.c — domain eb from hand-computed examples (DESIGN §4).
 *
 * The fixture, municipality 0127, all amounts in kronor:
 *   household A (unit ekb, head born 1980): 1000 kr livsuppehalle in
 *     each month 2014-01..2014-10 (ten months);
 *   household B (unit ekb-unga, head born 1995): 2014-03 500 kr boende
 *     and a reversal of -500 kr the same month (net 0: not a
 *     biståndsmånad), 2014-04 300 kr tillfalligt_boende.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"
#include "agg_eb.h"
#include "cell.h"
#include "cellmap.h"
#include "period.h"

static struct event pay(const char *id, const char *unit, const char *hh, int y,
                        int m, int64_t kr, enum eb_category cat, int birth_year)
{
    struct event e;
    memset(&e, 0, sizeof(e));
    e.kind = EVENT_PAYMENT;
    snprintf(e.source, sizeof(e.source), "test");
    snprintf(e.id, sizeof(e.id), "%s", id);
    e.revision = 1;
    snprintf(e.municipality, sizeof(e.municipality), "0127");
    snprintf(e.unit, sizeof(e.unit), "%s", unit);
    snprintf(e.u.payment.household, sizeof(e.u.payment.household), "%s", hh);
    e.u.payment.month = period_month_from_ym(y, m);
    e.u.payment.paid_on = period_month_first_day(e.u.payment.month);
    e.u.payment.amount_ore = kr * 100;
    e.u.payment.reversal = kr < 0;
    e.u.payment.category = cat;
    e.u.payment.head_birth_year = birth_year;
    return e;
}

/* The fixture's events; n receives the count. */
static size_t fixture(struct event *ev)
{
    size_t n = 0;
    char id[16];
    for (int m = 1; m <= 10; m++) {
        snprintf(id, sizeof(id), "a-%d", m);
        ev[n++] =
            pay(id, "ekb", "hh-a", 2014, m, 1000, CAT_LIVSUPPEHALLE, 1980);
    }
    ev[n++] = pay("b-1", "ekb-unga", "hh-b", 2014, 3, 500, CAT_BOENDE, 1995);
    ev[n++] = pay("b-2", "ekb-unga", "hh-b", 2014, 3, -500, CAT_BOENDE, 1995);
    ev[n++] = pay("b-3", "ekb-unga", "hh-b", 2014, 4, 300,
                  CAT_TILLFALLIGT_BOENDE, 1995);
    return n;
}

static struct cellmap *apply_all(const struct event *ev, size_t n)
{
    struct cellmap *m = cellmap_new(NULL, NULL);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(agg_eb.apply(m, &ev[i], +1, 0), 0);
    return m;
}

/* Value of metric id in slice (period, slice) as of the date given. */
static struct metric metric_of(struct cellmap *m, const char *period,
                               const char *slice, const char *as_of,
                               const char *id)
{
    char key[CELL_KEY_MAX];
    struct cell_key_parts k;
    struct metric out[AGG_METRICS_MAX];
    size_t n;
    int32_t day;
    snprintf(key, sizeof(key), "0127/eb/%s/%s", period, slice);
    assert_int_equal(cell_key_split(key, &k), 0);
    assert_int_equal(period_date_parse(as_of, &day), 0);
    assert_int_equal(agg_eb.metrics(m, &k, day, out, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].id, id) == 0)
            return out[i];
    fail_msg("no metric %s", id);
    return out[0];
}

struct row {
    const char *period, *slice, *as_of, *id;
    int is_null;
    double want;
};

static void check_rows(struct cellmap *m, const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct metric got = metric_of(m, r->period, r->slice, r->as_of, r->id);
        if (r->is_null) {
            if (!got.is_null)
                fail_msg("%s %s %s: want null, got %.6f", r->period, r->slice,
                         r->id, got.value);
            continue;
        }
        if (got.is_null || got.value < r->want - 1e-9 ||
            got.value > r->want + 1e-9)
            fail_msg("%s %s %s as of %s: want %.6f, got %s%.6f", r->period,
                     r->slice, r->id, r->as_of, r->want,
                     got.is_null ? "null " : "", got.value);
    }
}

/* The year 2014, closed (as of 2015-06-01). */
static const struct row year_rows[] = {
    /* 10 * 1000 + 500 - 500 + 300 = 10300 kr */
    {"2014", "total", "2015-06-01", "paid", 0, 10300},
    /* A (ten months) and B (April; March nets to 0) */
    {"2014", "total", "2015-06-01", "households", 0, 2},
    /* 10 + 1 */
    {"2014", "total", "2015-06-01", "household_months", 0, 11},
    /* 11 / 12 */
    {"2014", "total", "2015-06-01", "households_per_month", 0, 11.0 / 12},
    /* 11 / 2 */
    {"2014", "total", "2015-06-01", "avg_months", 0, 5.5},
    /* 10300 / 11 */
    {"2014", "total", "2015-06-01", "paid_per_household_month", 0,
     10300.0 / 11},
    /* window jan-dec 2014: A has 10 months (>= 10), B 1 */
    {"2014", "total", "2015-06-01", "long_term_households", 0, 1},
    /* 1 / 2 households of that window */
    {"2014", "total", "2015-06-01", "long_term_share", 0, 0.5},
    /* 300 / 10300 */
    {"2014", "total", "2015-06-01", "temp_housing_share", 0, 300.0 / 10300},
    /* unit ekb is A alone: 10000 kr, 10 months, long-term 1 of 1 */
    {"2014", "unit=ekb", "2015-06-01", "paid", 0, 10000},
    {"2014", "unit=ekb", "2015-06-01", "households", 0, 1},
    {"2014", "unit=ekb", "2015-06-01", "long_term_share", 0, 1},
    {"2014", "unit=ekb", "2015-06-01", "temp_housing_share", 0, 0},
    /* unit ekb-unga is B: 300 kr, 1 household, 1 month */
    {"2014", "unit=ekb-unga", "2015-06-01", "paid", 0, 300},
    {"2014", "unit=ekb-unga", "2015-06-01", "households", 0, 1},
    {"2014", "unit=ekb-unga", "2015-06-01", "avg_months", 0, 1},
    {"2014", "unit=ekb-unga", "2015-06-01", "long_term_households", 0, 0},
    /* age at 2014-01-01: A 2014-1980 = 34 (25-64), B 2014-1995 = 19 (18-20) */
    {"2014", "age_band=25-64", "2015-06-01", "households", 0, 1},
    {"2014", "age_band=18-20", "2015-06-01", "households", 0, 1},
    {"2014", "age_band=18-20", "2015-06-01", "paid", 0, 300},
    /* category slices keep paid only */
    {"2014", "category=livsuppehalle", "2015-06-01", "paid", 0, 10000},
    {"2014", "category=boende", "2015-06-01", "paid", 0, 0},
    {"2014", "category=tillfalligt_boende", "2015-06-01", "paid", 0, 300},
    {"2014", "category=boende", "2015-06-01", "households", 1, 0},
    /* March: 1000 + 500 - 500; only A has net > 0 */
    {"2014-03", "total", "2015-06-01", "paid", 0, 1000},
    {"2014-03", "total", "2015-06-01", "households", 0, 1},
    {"2014-03", "total", "2015-06-01", "households_per_month", 0, 1},
    /* T1 jan-apr: A 4 months, B 1 (April): 5 household-months, 2 hh */
    {"2014-T1", "total", "2015-06-01", "household_months", 0, 5},
    {"2014-T1", "total", "2015-06-01", "households", 0, 2},
    {"2014-T1", "total", "2015-06-01", "households_per_month", 0, 5.0 / 4},
    /* T1's window is may 2013-apr 2014: A has 4 months, not long-term */
    {"2014-T1", "total", "2015-06-01", "long_term_households", 0, 0},
    /* Q2 apr-jun: A 3, B 1 */
    {"2014-Q2", "total", "2015-06-01", "household_months", 0, 4},
    /* H2 jul-dec: A jul-oct = 4 months, 4000 kr */
    {"2014-H2", "total", "2015-06-01", "paid", 0, 4000},
    {"2014-H2", "total", "2015-06-01", "households_per_month", 0, 4.0 / 6},
    /* YTD through may: A 5, B 1; 5000 + 300 kr */
    {"2014-05-YTD", "total", "2015-06-01", "household_months", 0, 6},
    {"2014-05-YTD", "total", "2015-06-01", "paid", 0, 5300},
    /* R12 ending 2015-03 (apr 2014-mar 2015): A apr-oct 7, B apr 1 */
    {"2015-03-R12", "total", "2015-06-01", "household_months", 0, 8},
    {"2015-03-R12", "total", "2015-06-01", "households", 0, 2},
    /* an empty period: zero counts, null ratios */
    {"2013", "total", "2015-06-01", "households", 0, 0},
    {"2013", "total", "2015-06-01", "avg_months", 1, 0},
    {"2013", "total", "2015-06-01", "temp_housing_share", 1, 0},
};

static void test_year_closed(void **state)
{
    (void)state;
    struct event ev[32];
    size_t n = fixture(ev);
    struct cellmap *m = apply_all(ev, n);
    check_rows(m, year_rows, sizeof(year_rows) / sizeof(year_rows[0]));
    cellmap_destroy(&m);
}

/* Running periods divide by the elapsed months and take the long-term
 * window ending at the as-of month. */
static const struct row running_rows[] = {
    /* as of 2014-10-15: jan-oct elapsed = 10 months; 11 / 10 */
    {"2014", "total", "2014-10-15", "households_per_month", 0, 1.1},
    /* window nov 2013-oct 2014: A has 10 */
    {"2014", "total", "2014-10-15", "long_term_households", 0, 1},
    /* as of 2014-09-30: window oct 2013-sep 2014, A has 9: none */
    {"2014", "total", "2014-09-30", "long_term_households", 0, 0},
    {"2014", "total", "2014-09-30", "long_term_share", 0, 0},
    /* 11 / 9 elapsed months */
    {"2014", "total", "2014-09-30", "households_per_month", 0, 11.0 / 9},
    /* T3 sep-dec as of 2014-10-15: A sep, oct = 2 months over 2 elapsed */
    {"2014-T3", "total", "2014-10-15", "households_per_month", 0, 1},
};

static void test_running(void **state)
{
    (void)state;
    struct event ev[32];
    size_t n = fixture(ev);
    struct cellmap *m = apply_all(ev, n);
    check_rows(m, running_rows, sizeof(running_rows) / sizeof(running_rows[0]));
    cellmap_destroy(&m);
}

/* Removing a contribution is the exact inverse: taking away A's May
 * leaves nine months (no long-term household), and removing every
 * event leaves no cell and no member record. */
static void test_remove(void **state)
{
    (void)state;
    struct event ev[32];
    size_t n = fixture(ev);
    struct cellmap *m = apply_all(ev, n);
    assert_int_equal(agg_eb.apply(m, &ev[4], -1, 0), 0); /* a-5: 2014-05 */
    static const struct row rows[] = {
        {"2014", "total", "2015-06-01", "household_months", 0, 10},
        {"2014", "total", "2015-06-01", "long_term_households", 0, 0},
        {"2014", "total", "2015-06-01", "paid", 0, 9300},
        {"2014-05", "total", "2015-06-01", "households", 0, 0},
    };
    check_rows(m, rows, sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < n; i++)
        if (i != 4)
            assert_int_equal(agg_eb.apply(m, &ev[i], -1, 0), 0);
    /* every record the map holds is now zero or empty */
    static const char *const keys[] = {"0127/eb/2014/total",
                                       "0127/eb/2014-03/unit=ekb-unga",
                                       "0127/eb/2014-04-R12/age_band=18-20"};
    for (size_t i = 0; i < 3; i++) {
        const void *val;
        size_t len;
        assert_int_equal(cellmap_get(m, CELLMAP_CELLS, keys[i], &val, &len), 0);
        assert_true(cell_is_zero(val, len));
    }
    const void *val;
    size_t len;
    assert_int_equal(
        cellmap_get(m, CELLMAP_MEMBERS, "0127/eb/hh-b\x1ftotal", &val, &len),
        0);
    assert_int_equal(len, 0);
    cellmap_destroy(&m);
}

/*
 * A household whose payments give different birth years of its head is
 * still one household in an age band they share. Household C (unit ekb):
 * 2014-02 400 kr with head born 1980, 2014-03 600 kr born 1981 and a
 * reversal of -600 kr born 1979 the same month. At the start of 2014 the
 * head is 34, 33 or 35: band 25-64 each time, so March nets to 0 there
 * and C is one household with one month (Feb). Household D (unit ekb)
 * gives born 1989 in 2014-05 and 1990 in 2014-06: 25 (25-64) and 24
 * (21-24), one month in each band.
 */
static void test_birth_years(void **state)
{
    (void)state;
    struct event ev[] = {
        pay("c-1", "ekb", "hh-c", 2014, 2, 400, CAT_BOENDE, 1980),
        pay("c-2", "ekb", "hh-c", 2014, 3, 600, CAT_BOENDE, 1981),
        pay("c-3", "ekb", "hh-c", 2014, 3, -600, CAT_BOENDE, 1979),
        pay("d-1", "ekb", "hh-d", 2014, 5, 100, CAT_BOENDE, 1989),
        pay("d-2", "ekb", "hh-d", 2014, 6, 100, CAT_BOENDE, 1990),
    };
    static const struct row rows[] = {
        /* C (Feb) and D (May) */
        {"2014", "age_band=25-64", "2015-06-01", "households", 0, 2},
        {"2014", "age_band=25-64", "2015-06-01", "household_months", 0, 2},
        {"2014", "age_band=25-64", "2015-06-01", "paid", 0, 500},
        {"2014-03", "age_band=25-64", "2015-06-01", "households", 0, 0},
        /* D in June */
        {"2014", "age_band=21-24", "2015-06-01", "households", 0, 1},
        {"2014", "age_band=21-24", "2015-06-01", "household_months", 0, 1},
        /* the window feb 2014-jan 2015 is labelled by 2014 too */
        {"2015-01-R12", "age_band=25-64", "2015-06-01", "households", 0, 2},
        {"2015-01-R12", "age_band=25-64", "2015-06-01", "household_months", 0,
         2},
        /* the total: C and D, Feb, May and June */
        {"2014", "total", "2015-06-01", "households", 0, 2},
        {"2014", "total", "2015-06-01", "household_months", 0, 3},
    };
    struct cellmap *m = apply_all(ev, sizeof(ev) / sizeof(ev[0]));
    check_rows(m, rows, sizeof(rows) / sizeof(rows[0]));
    cellmap_destroy(&m);
}

/* Collects a map's non-zero cells as "key=counters" lines. */
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
    char line[512];
    int n = snprintf(line, sizeof(line), "%s:", key);
    const int64_t *c = val;
    for (size_t i = 0; i < len / sizeof(int64_t); i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %lld",
                      (long long)c[i]);
    line[n++] = '\n';
    if (d->len + (size_t)n + 1 > d->cap) {
        d->cap = (d->len + (size_t)n + 1) * 2;
        d->buf = realloc(d->buf, d->cap);
    }
    memcpy(d->buf + d->len, line, (size_t)n);
    d->len += (size_t)n;
    d->buf[d->len] = '\0';
    return 0;
}

/* Order does not matter: the fixture applied backwards gives the same
 * cells as forwards. */
static void test_order_independent(void **state)
{
    (void)state;
    struct event ev[32], rev[32];
    size_t n = fixture(ev);
    for (size_t i = 0; i < n; i++)
        rev[i] = ev[n - 1 - i];
    struct cellmap *a = apply_all(ev, n), *b = apply_all(rev, n);
    struct dump da = {0}, db = {0};
    cellmap_each_dirty(a, CELLMAP_CELLS, dump_one, &da);
    cellmap_each_dirty(b, CELLMAP_CELLS, dump_one, &db);
    assert_non_null(da.buf);
    assert_string_equal(da.buf, db.buf);
    free(da.buf);
    free(db.buf);
    cellmap_destroy(&a);
    cellmap_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_year_closed),
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_birth_years),
        cmocka_unit_test(test_order_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_suppress.c — small-number suppression (suppress.h) on the metrics
 * the domains really compute, from hand-made examples:
 *   eb, 3 households in unit ekb (2014-03, 500 kr each; one of them
 *     also 2014-04): with threshold 5 every figure of the slice is
 *     suppressed, households and avg_months among them; exact without;
 *     5 households: nothing suppressed;
 *   every metric of eb, pl and inv rests on some count (a slice with
 *     all counts 1 has nothing left to show), ec on none.
 */
#include "agg.h"
#include "agg_eb.h"
#include "cell.h"
#include "cellmap.h"
#include "period.h"
#include "suppress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

static struct event pay(const char *id, const char *hh, int m, int64_t kr)
{
    struct event e;
    memset(&e, 0, sizeof(e));
    e.kind = EVENT_PAYMENT;
    snprintf(e.source, sizeof(e.source), "test");
    snprintf(e.id, sizeof(e.id), "%s", id);
    e.revision = 1;
    snprintf(e.municipality, sizeof(e.municipality), "0127");
    snprintf(e.unit, sizeof(e.unit), "ekb");
    snprintf(e.u.payment.household, sizeof(e.u.payment.household), "%s", hh);
    e.u.payment.month = period_month_from_ym(2014, m);
    e.u.payment.paid_on = period_month_first_day(e.u.payment.month);
    e.u.payment.amount_ore = kr * 100;
    e.u.payment.category = CAT_LIVSUPPEHALLE;
    e.u.payment.head_birth_year = 1970;
    return e;
}

/* The eb metrics of 0127 unit=ekb in 2014 after n households. */
static size_t eb_slice(size_t n_households, struct metric *out)
{
    struct cellmap *m = cellmap_new(NULL, NULL);
    char id[32], hh[32];
    for (size_t i = 0; i < n_households; i++) {
        snprintf(id, sizeof(id), "p-%zu", i);
        snprintf(hh, sizeof(hh), "hh-%zu", i);
        struct event e = pay(id, hh, 3, 500);
        assert_int_equal(agg_eb.apply(m, &e, +1, 0), 0);
    }
    struct event e = pay("p-x", "hh-0", 4, 500);
    assert_int_equal(agg_eb.apply(m, &e, +1, 0), 0);
    struct cell_key_parts k;
    int32_t as_of;
    size_t n;
    assert_int_equal(cell_key_split("0127/eb/2014/unit=ekb", &k), 0);
    assert_int_equal(period_date_parse("2015-06-01", &as_of), 0);
    assert_int_equal(agg_eb.metrics(m, &k, as_of, out, &n), 0);
    cellmap_destroy(&m);
    return n;
}

static const struct metric *find(const struct metric *m, size_t n,
                                 const char *id, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].id, id) == 0) {
            *at = i;
            return &m[i];
        }
    fail_msg("no metric %s", id);
    return NULL;
}

static void test_three_households(void **state)
{
    (void)state;
    struct metric m[AGG_METRICS_MAX];
    enum suppress_status st[AGG_METRICS_MAX];
    size_t n = eb_slice(3, m), at = 0;
    /* exact first: 3 households, 4 household-months, 4 / 3 */
    assert_int_equal((int)find(m, n, "households", &at)->value, 3);
    assert_true(fabs(find(m, n, "avg_months", &at)->value - 4.0 / 3) < 1e-12);
    /* an admin asking for exact values: nothing applied */
    suppress_slice("eb", m, n, 0, true, st);
    assert_int_equal(st[at], SUPPRESS_OK);
    assert_false(m[at].is_null);
    /* a subscriber, threshold 5 */
    suppress_slice("eb", m, n, SUPPRESS_DEFAULT_BELOW, true, st);
    for (size_t i = 0; i < n; i++) {
        if (st[i] != SUPPRESS_SUPPRESSED || !m[i].is_null)
            fail_msg("%s: status %s, %s", m[i].id,
                     suppress_status_name(st[i]),
                     m[i].is_null ? "null" : "a value");
    }
    find(m, n, "households", &at);
    assert_string_equal(suppress_status_name(st[at]), "suppressed");
    find(m, n, "avg_months", &at);
    assert_string_equal(suppress_status_name(st[at]), "suppressed");
}

static void test_five_households(void **state)
{
    (void)state;
    struct metric m[AGG_METRICS_MAX];
    enum suppress_status st[AGG_METRICS_MAX];
    size_t n = eb_slice(5, m), at = 0;
    suppress_slice("eb", m, n, SUPPRESS_DEFAULT_BELOW, true, st);
    assert_int_equal((int)find(m, n, "households", &at)->value, 5);
    assert_int_equal(st[at], SUPPRESS_OK);
    /* no long-term household: 0 is not small, the share is 0 of 5 */
    find(m, n, "long_term_households", &at);
    assert_int_equal(st[at], SUPPRESS_OK);
    find(m, n, "long_term_share", &at);
    assert_int_equal(st[at], SUPPRESS_OK);
    assert_false(m[at].is_null);
}

static void test_zero_is_not_small(void **state)
{
    (void)state;
    struct metric m[AGG_METRICS_MAX];
    enum suppress_status st[AGG_METRICS_MAX];
    size_t n = 0, at = 0;
    agg_metric_set(m, &n, "households", "", "count", 0, 1, false);
    agg_metric_set(m, &n, "avg_months", "", "months", 0, 0, true);
    suppress_slice("eb", m, n, SUPPRESS_DEFAULT_BELOW, true, st);
    find(m, n, "households", &at);
    assert_int_equal(st[at], SUPPRESS_OK);
    find(m, n, "avg_months", &at);
    assert_int_equal(st[at], SUPPRESS_NULL);
}

/* Every metric of eb, pl and inv is suppressed in a slice whose every
 * count is 1; no metric of ec is. */
static void test_every_metric_has_a_base(void **state)
{
    (void)state;
    static const char *const ids[][12] = {
        {"eb", "paid", "households", "household_months",
         "households_per_month", "avg_months", "paid_per_household_month",
         "long_term_households", "long_term_share", "temp_housing_share"},
        {"pl", "care_days", "annual_placements", "cost", "cost_per_care_day",
         "cost_per_annual_placement", "persons", "started", "ended",
         "active_at_end", "external_cost_share"},
        {"inv", "referrals", "opened", "referral_conversion", "ongoing",
         "closed", "closed_within_4_months", "within_4_months_share",
         "avg_investigation_days", "granted", "rejected", "rejection_share"},
        {"ec", "budget", "budget_to_date", "outcome", "deviation",
         "consumed_share", "forecast", "forecast_deviation",
         "rolling_annual_cost"},
    };
    for (size_t d = 0; d < sizeof(ids) / sizeof(ids[0]); d++) {
        struct metric m[AGG_METRICS_MAX + 1];
        enum suppress_status st[AGG_METRICS_MAX + 1];
        size_t n = 0;
        for (size_t i = 1; i < 12 && ids[d][i]; i++)
            agg_metric_set(m, &n, ids[d][i], "", "count", 1, 1, false);
        if (strcmp(ids[d][0], "inv") == 0)
            agg_metric_set(m, &n, "not_executed_3_months", "", "count", 1, 1,
                           false);
        suppress_slice(ids[d][0], m, n, SUPPRESS_DEFAULT_BELOW, false, st);
        bool ec = strcmp(ids[d][0], "ec") == 0;
        for (size_t i = 0; i < n; i++)
            if ((st[i] == SUPPRESS_SUPPRESSED) == ec)
                fail_msg("%s %s: %s", ids[d][0], m[i].id,
                         suppress_status_name(st[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_households),
        cmocka_unit_test(test_five_households),
        cmocka_unit_test(test_zero_is_not_small),
        cmocka_unit_test(test_every_metric_has_a_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

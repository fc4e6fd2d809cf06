/*
 * suppress.c — small-number suppression (see suppress.h): a table of
 * each metric's bases, and the rule that a metric resting on a small
 * count is not served.
 */
#include "suppress.h"

#include <string.h>

#define SUPPRESS_BASES_MAX 3

struct suppress_rule {
    const char *domain;
    const char *metric;
    const char *bases[SUPPRESS_BASES_MAX]; /* metric ids; NULL-padded */
};

static const struct suppress_rule suppress_rules[] = {
    /* eb: one household's payments are its own */
    {"eb", "paid", {"households"}},
    {"eb", "households", {"households"}},
    {"eb", "household_months", {"households"}},
    {"eb", "households_per_month", {"households"}},
    {"eb", "avg_months", {"households"}},
    {"eb", "paid_per_household_month", {"households"}},
    {"eb", "long_term_households", {"long_term_households", "households"}},
    {"eb", "long_term_share", {"long_term_households", "households"}},
    {"eb", "temp_housing_share", {"households"}},
    /* pl */
    {"pl", "care_days", {"persons"}},
    {"pl", "annual_placements", {"persons"}},
    {"pl", "cost", {"persons"}},
    {"pl", "cost_per_care_day", {"persons"}},
    {"pl", "cost_per_annual_placement", {"persons"}},
    {"pl", "persons", {"persons"}},
    {"pl", "started", {"started", "persons"}},
    {"pl", "ended", {"ended", "persons"}},
    {"pl", "active_at_end", {"active_at_end", "persons"}},
    {"pl", "external_cost_share", {"persons"}},
    /* inv */
    {"inv", "referrals", {"referrals"}},
    {"inv", "opened", {"opened"}},
    {"inv", "referral_conversion", {"opened", "referrals"}},
    {"inv", "ongoing", {"ongoing"}},
    {"inv", "closed", {"closed"}},
    {"inv", "closed_within_4_months", {"closed_within_4_months", "closed"}},
    {"inv", "within_4_months_share", {"closed_within_4_months", "closed"}},
    {"inv", "avg_investigation_days", {"closed"}},
    {"inv", "granted", {"granted"}},
    {"inv", "rejected", {"rejected"}},
    {"inv", "rejection_share", {"rejected", "granted"}},
    {"inv", "not_executed_3_months", {"not_executed_3_months"}},
};

const char *suppress_status_name(enum suppress_status s)
{
    switch (s) {
    case SUPPRESS_OK:
        return "ok";
    case SUPPRESS_NULL:
        return "null";
    default:
        return "suppressed";
    }
}

static const struct suppress_rule *suppress_rule_of(const char *domain,
                                                    const char *metric)
{
    for (size_t i = 0; i < sizeof(suppress_rules) / sizeof(suppress_rules[0]);
         i++)
        if (strcmp(suppress_rules[i].domain, domain) == 0 &&
            strcmp(suppress_rules[i].metric, metric) == 0)
            return &suppress_rules[i];
    return NULL;
}

/* True when metric id of m[0..n) is a count from 1 to below - 1. */
static bool suppress_small(const struct metric *m, size_t n, const char *id,
                           int below)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].id, id) == 0)
            return !m[i].is_null && m[i].value >= 1 &&
                   m[i].value <= (double)below - 1;
    return false;
}

void suppress_slice(const char *domain, struct metric *m, size_t n, int below,
                    bool apply, enum suppress_status *status)
{
    /* decide every status first: a base may itself be suppressed */
    for (size_t i = 0; i < n; i++) {
        status[i] = m[i].is_null ? SUPPRESS_NULL : SUPPRESS_OK;
        const struct suppress_rule *r =
            below > 1 ? suppress_rule_of(domain, m[i].id) : NULL;
        for (size_t b = 0; r && b < SUPPRESS_BASES_MAX && r->bases[b]; b++)
            if (suppress_small(m, n, r->bases[b], below))
                status[i] = SUPPRESS_SUPPRESSED;
    }
    for (size_t i = 0; apply && i < n; i++)
        if (status[i] == SUPPRESS_SUPPRESSED) {
            m[i].is_null = true;
            m[i].value = 0;
        }
}

bool suppress_to_wire(const char *domain, struct metric *m, size_t n, int below,
                      bool with_labels, struct codec_metric *out)
{
    enum suppress_status st[AGG_METRICS_MAX];
    bool clear = true;
    suppress_slice(domain, m, n, below, true, st);
    for (size_t i = 0; i < n; i++) {
        clear = clear && st[i] != SUPPRESS_SUPPRESSED;
        out[i] = (struct codec_metric){.id = m[i].id,
                                       .label = with_labels ? m[i].label : NULL,
                                       .unit = m[i].unit,
                                       .is_null = m[i].is_null,
                                       .value = m[i].value,
                                       .status = suppress_status_name(st[i])};
    }
    return clear;
}

#!/usr/bin/env bash
# DESIGN §4's check against a published municipal report (2014): 13 311
# biståndsmånader over 2 057 households give 1 109.25 households per
# month and 6.47 months on average, read back with nyckel-query --format
# json from a real nyckeld.
#
# Input: 969 households paid in each of January..July 2014 (7 months)
# and 1 088 in January..June (6 months): 969 + 1088 = 2057 households,
# 969 * 7 + 1088 * 6 = 6783 + 6528 = 13311 household-months.
# Every payment is 5 000,00 kr: paid = 13311 * 5000 = 66 555 000 kr.
. "$(dirname "$0")/lib.bash"

awk 'BEGIN {
    n = 0
    for (h = 1; h <= 2057; h++) {
        months = h <= 969 ? 7 : 6
        for (m = 1; m <= months; m++) {
            n++
            printf "{\"kind\":\"payment\",\"source\":\"report-0127\",\"id\":\"p-%d\",\"revision\":1,\"municipality\":\"0127\",\"unit\":\"ekb\",\"household\":\"hh-%04x\",\"month\":\"2014-%02d\",\"paid_on\":\"2014-%02d-25\",\"amount_ore\":500000,\"category\":\"livsuppehalle\",\"head_birth_year\":1975}\n", n, h, m, m
        }
    }
}' >"$NK_TMP/report.jsonl"
assert_eq "$(wc -l <"$NK_TMP/report.jsonl" | tr -d ' ')" 13311 "payment lines"

nk_start
nk_push "$NK_TMP/report.jsonl" || fail "nyckel-push exited $?"

json=$(nk_query --municipality 0127 --domain eb --period 2014 --format json)
echo "$json"
assert_eq "$(echo "$json" | jq -r '.metrics.households')" 2057 households
assert_eq "$(echo "$json" | jq -r '.metrics.household_months')" 13311 household_months
# 13311 / 12 = 1109.25
assert_eq "$(echo "$json" | jq -r '.metrics.households_per_month * 100 | round / 100')" 1109.25 households_per_month
# 13311 / 2057 = 6.4711... -> 6.47
assert_eq "$(echo "$json" | jq -r '.metrics.avg_months * 100 | round / 100')" 6.47 avg_months
assert_eq "$(echo "$json" | jq -r '.metrics.paid')" 66555000 "paid (kr)"
assert_eq "$(echo "$json" | jq -r '.municipality + "/" + .domain + "/" + .period')" 0127/eb/2014 "slice identity"
assert_eq "$(echo "$json" | jq -c '.slice')" '{}' "total slice"
nk_stop

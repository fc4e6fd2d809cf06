#!/usr/bin/env bash
# DESIGN §4 / issue 4's check: 2 100 referrals and 465 opened
# investigations in a year give referral_conversion 0.22 (465 / 2100 =
# 0.2214...), read back with nyckel-query --format json; with 300 of
# them closed, 240 within four months.
. "$(dirname "$0")/lib.bash"

awk 'BEGIN {
    for (i = 1; i <= 2100; i++) {
        m = (i % 12) + 1; d = (i % 28) + 1
        printf "{\"kind\":\"referral\",\"source\":\"report-0127\",\"id\":\"r-%d\",\"revision\":1,\"municipality\":\"0127\",\"unit\":\"barn-unga\",\"person\":\"p-%d\",\"gender\":\"%s\",\"birth_year\":2008,\"received_on\":\"2014-%02d-%02d\",\"reporter\":\"skola\",\"target\":\"barn_unga\"}\n", i, i, i % 2 ? "F" : "M", m, d
    }
    for (i = 1; i <= 465; i++) {
        m = (i % 6) + 1; d = (i % 28) + 1
        printf "{\"kind\":\"decision\",\"source\":\"report-0127\",\"id\":\"open-%d\",\"revision\":1,\"municipality\":\"0127\",\"unit\":\"barn-unga\",\"person\":\"p-%d\",\"gender\":\"F\",\"birth_year\":2008,\"type\":\"inleda_utredning\",\"case\":\"c-%d\",\"decided_on\":\"2014-%02d-%02d\",\"target\":\"barn_unga\",\"legal_basis\":\"SoL\"}\n", i, i, i, m, d
        # the first 300 close: 240 after 3 months (within), 60 after 5
        if (i <= 300)
            printf "{\"kind\":\"decision\",\"source\":\"report-0127\",\"id\":\"close-%d\",\"revision\":1,\"municipality\":\"0127\",\"unit\":\"barn-unga\",\"person\":\"p-%d\",\"gender\":\"F\",\"birth_year\":2008,\"type\":\"avsluta_utredning\",\"case\":\"c-%d\",\"decided_on\":\"2014-%02d-%02d\",\"target\":\"barn_unga\",\"legal_basis\":\"SoL\"}\n", i, i, i, m + (i <= 240 ? 3 : 5), d
    }
}' >"$NK_TMP/inv.jsonl"

nk_start
nk_push "$NK_TMP/inv.jsonl" 2>/dev/null || fail "nyckel-push exited $?"
json=$(nk_query --municipality 0127 --domain inv --period 2014 --format json)
echo "$json"
m() { echo "$json" | jq -r ".metrics.$1"; }
assert_eq "$(m referrals)" 2100 referrals
assert_eq "$(m opened)" 465 opened
assert_eq "$(echo "$json" | jq -r '.metrics.referral_conversion * 100 | round / 100')" 0.22 referral_conversion
assert_eq "$(m closed)" 300 closed
assert_eq "$(m closed_within_4_months)" 240 closed_within_4_months
assert_eq "$(m within_4_months_share)" 0.8 within_4_months_share
# all 465 were open on some day of 2014
assert_eq "$(m ongoing)" 465 ongoing
nk_stop

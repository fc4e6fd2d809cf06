#!/usr/bin/env bash
# DESIGN §4's check for placements: a year with 12 442 care days of
# family-home care costing 8 544 000 kr in all gives 34.09 placements
# on an annual basis and 686.71 kr per care day, read back with
# nyckel-query --format json from a real nyckeld.
#
# Input, all in 2014 (365 days), setting familjehem:
#   33 placements covering the whole year at 686,00 kr a day:
#      33 * 365 = 12 045 days
#   1 placement 2014-03-01..2014-09-17 (200 days) at 729,94 kr a day
#   1 placement 2014-06-01..2014-12-15 (197 days) at 686,00 kr a day
#   days: 12 045 + 200 + 197 = 12 442
#   cost: 68 600 * (12 045 + 197) + 72 994 * 200
#       = 839 801 200 + 14 598 800 = 854 400 000 öre = 8 544 000 kr
#   12 442 / 365 = 34.0876...; 8 544 000 / 12 442 = 686.706...
. "$(dirname "$0")/lib.bash"

pl() { # id start end daily_cost_ore
    printf '{"kind":"placement","source":"report-0127","id":"%s","revision":1,"municipality":"0127","unit":"barn-unga","person":"p-%s","gender":"F","birth_year":2005,"setting":"familjehem","regi":"egen","target":"barn_unga","legal_basis":"SoL","start":"%s","end":"%s","daily_cost_ore":%s}\n' \
        "$1" "$1" "$2" "$3" "$4"
}
{
    for i in $(seq 1 33); do pl "full-$i" 2014-01-01 2015-01-01 68600; done
    pl part-200 2014-03-01 2014-09-17 72994
    pl part-197 2014-06-01 2014-12-15 68600
} >"$NK_TMP/pl.jsonl"

nk_start
nk_push "$NK_TMP/pl.jsonl" 2>/dev/null || fail "nyckel-push exited $?"
json=$(nk_query --municipality 0127 --domain pl --period 2014 --format json)
echo "$json"
assert_eq "$(echo "$json" | jq -r '.metrics.care_days')" 12442 care_days
assert_eq "$(echo "$json" | jq -r '.metrics.cost')" 8544000 "cost (kr)"
assert_eq "$(echo "$json" | jq -r '.metrics.annual_placements * 100 | round / 100')" 34.09 annual_placements
assert_eq "$(echo "$json" | jq -r '.metrics.cost_per_care_day')" 686.71 cost_per_care_day
assert_eq "$(echo "$json" | jq -r '.metrics.persons')" 35 persons
# the familjehem slice is the same
json=$(nk_query --municipality 0127 --domain pl --period 2014 --rollup setting --format json)
assert_eq "$(echo "$json" | jq -r 'select(.slice.setting == "familjehem") | .metrics.care_days')" 12442 "familjehem care_days"
nk_stop

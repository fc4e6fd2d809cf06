#!/usr/bin/env bash
# Domain ec and year-over-year comparison, through a real nyckeld:
# - a unit with budget 280 139 000 kr whose outcome to the end of June
#   is 149 989 000 kr shows consumed_share 0.54 (149989000 / 280139000 =
#   0.5354...);
# - a revised budget replaces the old one; a unit with a budget and no
#   costs has outcome 0 and deviation = budget_to_date;
# - 410 households in jan-jun 2014 and 460 in jan-jun 2015: --compare
#   previous-year on 2015-H1 gives +12.20 % for households (50 / 410),
#   and the earlier value is exactly a plain query of 2014-H1.
NK_AS_OF=2015-12-31
. "$(dirname "$0")/lib.bash"

budget() { # id revision unit year amount_ore
    printf '{"kind":"budget","source":"ec-0127","id":"%s","revision":%s,"municipality":"0127","unit":"%s","year":%s,"amount_ore":%s}\n' "$@"
}
pay() { # id unit household month amount_ore
    printf '{"kind":"payment","source":"ec-0127","id":"%s","revision":1,"municipality":"0127","unit":"%s","household":"%s","month":"%s","paid_on":"%s-25","amount_ore":%s,"category":"livsuppehalle","head_birth_year":1970}\n' "$1" "$2" "$3" "$4" "$4" "$5"
}
{
    budget b-ekb 1 ekb 2014 20000000000
    budget b-ekb 2 ekb 2014 28013900000   # revised: 280 139 000 kr
    budget b-unga 1 ekb-unga 2014 1200000000
    # 410 households paid in jan-jun 2014: one 149 948 100 kr in March
    # and 409 of 100 kr, 149 989 000 kr in all ...
    pay big ekb hh-big 2014-03 14994810000
    for i in $(seq 1 409); do pay "a14-$i" ekb "hh-a$i" 2014-0$((i % 6 + 1)) 10000; done
    # ... and 460 in jan-jun 2015
    for i in $(seq 1 460); do pay "a15-$i" ekb "hh-b$i" 2015-0$((i % 6 + 1)) 10000; done
} >"$NK_TMP/ec.jsonl"

nk_start
nk_push "$NK_TMP/ec.jsonl" 2>/dev/null || fail "push"
q() { nk_query --municipality 0127 "$@" --format json; }

ekb=$(q --domain ec --period 2014-06-YTD --where unit=ekb)
echo "$ekb"
assert_eq "$(echo "$ekb" | jq -r .metrics.outcome)" 149989000 "outcome jan-jun (kr)"
assert_eq "$(echo "$ekb" | jq -r .metrics.budget)" 280139000 "budget after the revision (kr)"
# 149 989 000 / 280 139 000 = 0.5354...
assert_eq "$(echo "$ekb" | jq -r '.metrics.consumed_share * 100 | round / 100')" 0.54 consumed_share
# even split of 28 013 900 000 öre: 2 334 491 666 a month and the 8 öre
# left over one each to may-dec; jan-jun: 6 * 2 334 491 666 + 2 =
# 14 006 949 998 öre
assert_eq "$(echo "$ekb" | jq -r .metrics.budget_to_date)" 140069499.98 "budget_to_date jan-jun (kr)"

unga=$(q --domain ec --period 2014 --where unit=ekb-unga)
assert_eq "$(echo "$unga" | jq -r .metrics.outcome)" 0 "outcome of a unit with no costs"
assert_eq "$(echo "$unga" | jq -r .metrics.deviation)" 12000000 "deviation = the whole budget"
# the unit is listed by a rollup although it has no costs
assert_eq "$(q --domain ec --period 2014-T2 --rollup unit | jq -r '.slice.unit' | sort | tr '\n' ' ')" \
    "ekb ekb-unga " "units of the T2 rollup"

cmp=$(q --domain eb --period 2015-H1 --compare previous-year)
echo "$cmp"
assert_eq "$(echo "$cmp" | jq -r .metrics.households)" 460 "households jan-jun 2015"
assert_eq "$(echo "$cmp" | jq -r .previous.households)" 410 "households jan-jun 2014 (previous)"
# 50 / 410 = 12.195... %
assert_eq "$(echo "$cmp" | jq -r '.change_pct.households * 100 | round / 100')" 12.2 "change of households, %"
plain=$(q --domain eb --period 2014-H1)
assert_eq "$(echo "$cmp" | jq -c .previous)" "$(echo "$plain" | jq -c .metrics)" \
    "previous = a plain query of 2014-H1"

# a running year is compared with the same elapsed part: as of
# 2015-03-15, 2015 against jan-mar 2014, i.e. 2014-03-YTD
nk_stop
NK_AS_OF=2015-03-15
nk_start
cmp=$(q --domain eb --period 2015 --compare previous-year)
plain=$(q --domain eb --period 2014-03-YTD)
assert_eq "$(echo "$cmp" | jq -c .previous)" "$(echo "$plain" | jq -c .metrics)" \
    "previous of running 2015 = 2014-03-YTD"
# jan-mar 2014: i % 6 in {0, 1, 2} for 68 + 69 + 68 = 205 of i = 1..409
# (409 = 6 * 68 + 1, and 409 % 6 = 1), plus hh-big in March: 206
assert_eq "$(echo "$cmp" | jq -r .previous.households)" 206 "households jan-mar 2014"
nk_stop

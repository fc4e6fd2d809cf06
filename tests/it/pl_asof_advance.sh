#!/usr/bin/env bash
# Open placements accrue care days as the clock advances: with the
# as-of day moved on by one (SIGUSR1 to a nyckeld with a fixed --as-of,
# as midnight would), an open placement adds exactly one care day to the
# month, tertial, quarter, half, year, YTD and R12 slices that contain
# the new day and to no other, and an update for each changed slice is
# published. A restart with a later --as-of catches up the same way.
NK_AS_OF=2014-08-15
. "$(dirname "$0")/lib.bash"

cat >"$NK_TMP/pl.jsonl" <<'JSON'
{"kind":"placement","source":"asof-0127","id":"open-1","revision":1,"municipality":"0127","unit":"barn-unga","person":"p-open","gender":"M","birth_year":2006,"setting":"institution","regi":"extern","target":"barn_unga","legal_basis":"LVU","start":"2014-06-10","daily_cost_ore":350000}
{"kind":"placement","source":"asof-0127","id":"closed-1","revision":1,"municipality":"0127","unit":"barn-unga","person":"p-closed","gender":"F","birth_year":2004,"setting":"familjehem","regi":"egen","target":"barn_unga","legal_basis":"SoL","start":"2014-01-01","end":"2014-03-01","daily_cost_ore":80000}
JSON
nk_start
nk_push "$NK_TMP/pl.jsonl" 2>/dev/null || fail "push"

containing="2014-08 2014-T2 2014-Q3 2014-H2 2014 2014-08-YTD 2014-09-YTD
2014-12-YTD 2014-08-R12 2014-12-R12 2015-07-R12"
others="2014-07 2014-T1 2014-Q2 2014-H1 2014-07-YTD 2014-07-R12 2015-08-R12 2013"
care() {
    nk_query --municipality 0127 --domain pl --period "$1" --format json |
        jq -r .metrics.care_days
}
declare -A before
for p in $containing $others; do before[$p]=$(care "$p"); done
# the open placement: 2014-06-10..2014-08-15 = 21 + 31 + 15 = 67 days
assert_eq "${before[2014-08]}" 15 "care days in 2014-08 as of 2014-08-15"
# plus the closed one: jan 31 + feb 28 = 59 days
assert_eq "${before[2014]}" $((67 + 59)) "care days in 2014 as of 2014-08-15"

"$BUILD/nyckel-watch" --query "$NK_QUERY" --pub "$NK_PUB" --municipality 0127 \
    --domain pl --format json --for 6 >"$NK_TMP/watch.jsonl" 2>"$NK_TMP/watch.err" &
WATCH=$!
# nyckel-watch waits for the first heartbeat before it counts as subscribed
sleep 2.5
kill -USR1 "$NK_PID"
sleep 1
for p in $containing; do
    assert_eq "$(care "$p")" $((before[$p] + 1)) "care days in $p after one more day"
done
for p in $others; do
    assert_eq "$(care "$p")" "${before[$p]}" "care days in $p (does not contain 2014-08-16)"
done
wait "$WATCH" || true
for p in $containing; do
    want=$((before[$p] + 1))
    [ -n "$(jq -c --arg p "$p" --argjson w "$want" \
        'select(.period == $p and .slice == {} and .metrics.care_days == $w)' \
        "$NK_TMP/watch.jsonl")" ] ||
        { grep "\"period\":\"$p\"" "$NK_TMP/watch.jsonl" | head -3; cat "$NK_TMP/watch.err"; fail "no update published for $p with care_days $want"; }
    echo "ok: update published for $p"
done
assert_eq "$(nk_query --municipality 0127 --domain pl --period 2014 --format json | jq -r .as_of)" \
    2014-08-16 "as_of after SIGUSR1"

# a restart with a later date catches up: 2014-08-20 is four more days
nk_stop
NK_AS_OF=2014-08-20
nk_start
assert_eq "$(care 2014-08)" $((before[2014-08] + 5)) "care days in 2014-08 after a restart as of 2014-08-20"
# and back again: the days come off
nk_stop
NK_AS_OF=2014-08-15
nk_start
assert_eq "$(care 2014-08)" "${before[2014-08]}" "care days in 2014-08 set back to 2014-08-15"
nk_stop

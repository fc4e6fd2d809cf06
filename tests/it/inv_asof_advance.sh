#!/usr/bin/env bash
# not_executed_3_months moves with the clock and with executed_on: a
# granted decision of 2014-05-16, not executed, crosses three months on
# 2014-08-16 (SIGUSR1 to a nyckeld fixed at 2014-08-15 moves the day on)
# and is counted from then on; executed_on arriving in a later revision
# takes it out again. Both changes are published. An investigation still
# open is ongoing in the new month when the clock reaches it.
NK_AS_OF=2014-08-15
. "$(dirname "$0")/lib.bash"

dec() { # id revision type extra-json
    printf '{"kind":"decision","source":"asof-0127","id":"%s","revision":%s,"municipality":"0127","unit":"barn-unga","person":"p-1","gender":"F","birth_year":2006,"type":"%s","decided_on":"2014-05-16"%s}\n' "$1" "$2" "$3" "$4"
}
dec grant-1 1 bistand ',"outcome":"bifall","intervention":"kontaktfamilj"' >"$NK_TMP/a.jsonl"
# an investigation opened on 2014-08-01, still open
printf '{"kind":"decision","source":"asof-0127","id":"open-1","revision":1,"municipality":"0127","unit":"barn-unga","person":"p-2","gender":"M","birth_year":2007,"type":"inleda_utredning","case":"c-1","decided_on":"2014-08-01"}\n' >>"$NK_TMP/a.jsonl"

nk_start
nk_push "$NK_TMP/a.jsonl" 2>/dev/null || fail "push"
metric() { # period id
    nk_query --municipality 0127 --domain inv --period "$1" --format json |
        jq -r ".metrics.$2"
}
# 2014-05-16 + 3 months = 2014-08-16 > 2014-08-15: not yet
assert_eq "$(metric 2014 not_executed_3_months)" 0 "not executed, as of 2014-08-15"
assert_eq "$(metric 2014-08 not_executed_3_months)" 0 "2014-08, as of 2014-08-15"
assert_eq "$(metric 2014-08 ongoing)" 1 "ongoing in 2014-08"
assert_eq "$(metric 2014-09 ongoing)" 0 "ongoing in 2014-09 (not reached)"

"$BUILD/nyckel-watch" --query "$NK_QUERY" --pub "$NK_PUB" --municipality 0127 \
    --domain inv --format json --for 7 >"$NK_TMP/watch.jsonl" 2>/dev/null &
WATCH=$!
sleep 2.5  # nyckel-watch counts as subscribed after the first heartbeat
kill -USR1 "$NK_PID"
sleep 1
assert_eq "$(metric 2014 not_executed_3_months)" 1 "not executed, as of 2014-08-16"
assert_eq "$(metric 2014-Q3 not_executed_3_months)" 1 "2014-Q3, as of 2014-08-16"
assert_eq "$(metric 2014-07 not_executed_3_months)" 0 "2014-07 ended before the deadline"

dec grant-1 2 bistand ',"outcome":"bifall","intervention":"kontaktfamilj","executed_on":"2014-08-16"' \
    >"$NK_TMP/b.jsonl"
nk_push "$NK_TMP/b.jsonl" 2>/dev/null || fail "push executed_on"
assert_eq "$(metric 2014 not_executed_3_months)" 0 "executed on 2014-08-16"
wait "$WATCH" || true
for w in 1 0; do
    [ -n "$(jq -c --argjson w "$w" \
        'select(.period == "2014" and .slice == {} and .metrics.not_executed_3_months == $w)' \
        "$NK_TMP/watch.jsonl")" ] || fail "no update of 2014 with not_executed_3_months $w"
    echo "ok: update of 2014 with not_executed_3_months $w published"
done

# the open investigation reaches September with the clock
nk_stop
NK_AS_OF=2014-09-02
nk_start
assert_eq "$(metric 2014-09 ongoing)" 1 "ongoing in 2014-09 after the clock reached it"
assert_eq "$(metric 2014-Q3 ongoing)" 1 "ongoing in 2014-Q3 counted once"
nk_stop

#!/usr/bin/env bash
# Slow subscribers: one that stops reading never slows ingestion or
# other subscribers. PUB drops at its high-water mark, and the slow one,
# reading again, sees the gap in the per-slice sequence numbers (an
# update whose prev_seq is not the last it saw) — its cue to resnapshot.
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 51 --kinds payment,placement --from 2012-01 \
    --to 2014-12 --households 1500 >"$NK_TMP/events.jsonl"
nk_start
t0=$(date +%s%N)
"$BUILD/tests/it_peers" slowsub "$NK_PUB" 6 >"$NK_TMP/slow.txt" &
SLOW=$!
"$BUILD/nyckel-watch" --query "$NK_QUERY" --pub "$NK_PUB" --municipality 0127 \
    --domain eb --period 2014 --format json --for 120 >"$NK_TMP/watch.jsonl" 2>/dev/null &
WATCH=$!
sleep 1.5
start=$(date +%s%N)
nk_push "$NK_TMP/events.jsonl" 2>/dev/null || fail "push with a slow subscriber"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "ok: pushed $(wc -l <"$NK_TMP/events.jsonl") events in $ms ms with a subscriber that reads nothing"
# once the slow one reads again, changes to slices whose updates it
# missed arrive with a prev_seq it never saw
# the slow one reads again 6 s after it started; push at 7.5 s
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 7500 ]; do sleep 0.1; done
echo '{"kind":"payment","source":"slow-0127","id":"late-1","revision":1,"municipality":"0127","unit":"ekb","household":"hh-late","month":"2014-03","paid_on":"2014-03-25","amount_ore":100000,"category":"livsuppehalle","head_birth_year":1980}' \
    >"$NK_TMP/late.jsonl"
nk_push "$NK_TMP/late.jsonl" 2>/dev/null || fail "late push"
want=$(nk_metric 2014 paid)
seen=
for _ in $(seq 1 50); do
    if [ -n "$(jq -c --argjson w "$want" 'select(.period == "2014" and .slice == {} and .metrics.paid == $w)' \
        "$NK_TMP/watch.jsonl" 2>/dev/null)" ]; then
        seen=1
        break
    fi
    sleep 0.1
done
kill -TERM "$WATCH" 2>/dev/null || true
wait "$WATCH" || true
[ -n "$seen" ] || { tail -3 "$NK_TMP/watch.jsonl" | cut -c1-300; fail "the live subscriber did not reach the final total $want"; }
echo "ok: the live subscriber followed to the final total"
wait "$SLOW" || fail "it_peers slowsub"
cat "$NK_TMP/slow.txt"
gaps=$(awk '{print $2}' "$NK_TMP/slow.txt")
[ "$gaps" -gt 0 ] || fail "the slow subscriber saw no gap: PUB did not drop at its HWM"
echo "ok: the slow subscriber sees $gaps gaps in the sequence numbers"
nk_stop

#!/usr/bin/env bash
# nyckel-watch shows a total change within a second of the push that
# changed it: snapshot, then a sequenced update.
. "$(dirname "$0")/lib.bash"
"$BUILD/nyckel-gen" --seed 7 --from 2014-01 --to 2014-06 --households 100 \
    --revisions 0 >"$NK_TMP/base.jsonl"
nk_start
nk_push "$NK_TMP/base.jsonl" 2>/dev/null || fail "base push"
paid0=$(nk_metric 2014 paid)

"$BUILD/nyckel-watch" --query "$NK_QUERY" --pub "$NK_PUB" \
    --municipality 0127 --domain eb --period 2014 --format json --for 8 \
    >"$NK_TMP/watch.jsonl" 2>"$NK_TMP/watch.err" &
WATCH=$!
# wait for its snapshot
for _ in $(seq 1 50); do
    grep -q snapshot "$NK_TMP/watch.jsonl" 2>/dev/null && break
    sleep 0.1
done
grep -q snapshot "$NK_TMP/watch.jsonl" || fail "nyckel-watch took no snapshot"
sleep 0.5

echo '{"kind":"payment","source":"watch-0127","id":"w-1","revision":1,"municipality":"0127","unit":"ekb","household":"hh-watch","month":"2014-03","paid_on":"2014-03-25","amount_ore":1234500,"category":"livsuppehalle","head_birth_year":1980}' \
    >"$NK_TMP/one.jsonl"
start=$(date +%s%N)
nk_push "$NK_TMP/one.jsonl" 2>/dev/null || fail "push"
want=$(jq -n "$paid0 + 12345")
seen=
while [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 1000 ]; do
    if [ -n "$(jq -c --argjson w "$want" \
        'select(.period == "2014" and .slice == {} and .metrics.paid == $w)' \
        "$NK_TMP/watch.jsonl" 2>/dev/null)" ]; then
        seen=$(( ($(date +%s%N) - start) / 1000000 ))
        break
    fi
    sleep 0.02
done
[ -n "$seen" ] || { cat "$NK_TMP/watch.jsonl" | tail -5; fail "no update with paid $want within 1 s"; }
echo "ok: nyckel-watch showed paid $want ${seen} ms after the push began"
wait "$WATCH" || fail "nyckel-watch exited $?"
nk_stop

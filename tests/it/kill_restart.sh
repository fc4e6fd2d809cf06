#!/usr/bin/env bash
# nyckeld killed with SIGKILL again and again during a push, restarted
# each time, nyckel-push resending what was not acknowledged: every
# slice ends equal to that of an uninterrupted run (no acknowledged
# event lost, none counted twice).
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 5 --from 2013-01 --to 2014-12 --households 800 \
    >"$NK_TMP/events.jsonl"
lines=$(wc -l <"$NK_TMP/events.jsonl" | tr -d ' ')

nk_start
# small batches, one in flight, a short ack timeout: many commits to
# interrupt, quick resends
nk_push --batch-size 20 --window 1 --ack-timeout 300 --give-up 60 \
    "$NK_TMP/events.jsonl" 2>"$NK_TMP/push.txt" &
PUSH=$!
kills=0
for _ in 1 2 3 4 5 6; do
    sleep 0.$((RANDOM % 4 + 2))
    kill -0 "$PUSH" 2>/dev/null || break
    nk_kill
    kills=$((kills + 1))
    sleep 0.2
    nk_start
done
rc=0
wait "$PUSH" || rc=$?
cat "$NK_TMP/push.txt"
[ "$rc" -eq 0 ] || fail "nyckel-push exited $rc"
[ "$kills" -ge 2 ] || fail "the push ended before nyckeld could be killed twice ($kills)"
echo "ok: nyckeld killed $kills times during the push"
# every event was acknowledged in some run; counted once
sum=$(( $(nk_summary_field "$NK_TMP/push.txt" accepted) +
        $(nk_summary_field "$NK_TMP/push.txt" duplicate) +
        $(nk_summary_field "$NK_TMP/push.txt" stale) ))
assert_eq "$sum" "$lines" "events acknowledged"
nk_snapshot >"$NK_TMP/killed"
nk_stop

rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
nk_push "$NK_TMP/events.jsonl" 2>/dev/null || fail "uninterrupted push"
nk_snapshot >"$NK_TMP/clean"
nk_stop
cmp -s "$NK_TMP/killed" "$NK_TMP/clean" ||
    { diff "$NK_TMP/killed" "$NK_TMP/clean" | head; fail "totals differ from an uninterrupted run"; }
echo "ok: $(wc -l <"$NK_TMP/clean") slices equal to the uninterrupted run"

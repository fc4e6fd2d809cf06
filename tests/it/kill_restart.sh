#!/usr/bin/env bash
# nyckeld killed with SIGKILL at random moments, at least 20 times,
# during a push of all five event kinds, and restarted each time, with
# nyckel-push resending what was not acknowledged: every slice of every
# domain ends equal to that of an uninterrupted run (no acknowledged
# event lost, none counted twice) and --verify finds no difference.
NK_AS_OF=2014-12-31
. "$(dirname "$0")/lib.bash"

# under ASan each batch is slower: fewer events last as many kills
households=600
! nk_asan || households=350
"$BUILD/nyckel-gen" --seed 5 --kinds payment,placement,referral,decision,budget \
    --from 2013-01 --to 2014-12 --households "$households" >"$NK_TMP/events.jsonl"
lines=$(wc -l <"$NK_TMP/events.jsonl" | tr -d ' ')

snapshot() {
    nk_snapshot eb unit
    nk_snapshot pl setting,regi
    nk_snapshot inv reporter
    nk_snapshot ec unit
}

nk_start
# small batches, one in flight, a short ack timeout: many commits to
# interrupt, quick resends
nk_push --batch-size 5 --window 1 --ack-timeout 300 --give-up 60 \
    "$NK_TMP/events.jsonl" 2>"$NK_TMP/push.txt" &
PUSH=$!
kills=0
while [ "$kills" -lt 20 ] && kill -0 "$PUSH" 2>/dev/null; do
    sleep 0.$((RANDOM % 3 + 1))
    nk_kill
    kills=$((kills + 1))
    nk_start
done
rc=0
wait "$PUSH" || rc=$?
cat "$NK_TMP/push.txt"
[ "$rc" -eq 0 ] || fail "nyckel-push exited $rc"
[ "$kills" -ge 20 ] || fail "the push ended after only $kills kills (need 20)"
echo "ok: nyckeld killed $kills times during the push"
# every event was acknowledged in some run; each counted once
sum=$(( $(nk_summary_field "$NK_TMP/push.txt" accepted) +
        $(nk_summary_field "$NK_TMP/push.txt" duplicate) +
        $(nk_summary_field "$NK_TMP/push.txt" stale) ))
assert_eq "$sum" "$lines" "events acknowledged"
snapshot >"$NK_TMP/killed"
nk_stop
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >"$NK_TMP/verify" ||
    { head "$NK_TMP/verify"; fail "--verify after the kills"; }
echo "ok: $(tail -n 1 "$NK_TMP/verify")"

rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
nk_push "$NK_TMP/events.jsonl" 2>/dev/null || fail "uninterrupted push"
snapshot >"$NK_TMP/clean"
nk_stop
cmp -s "$NK_TMP/killed" "$NK_TMP/clean" ||
    { diff "$NK_TMP/killed" "$NK_TMP/clean" | head | cut -c1-300; fail "totals differ from an uninterrupted run"; }
echo "ok: $(wc -l <"$NK_TMP/clean") slices of eb, pl, inv and ec equal to the uninterrupted run"

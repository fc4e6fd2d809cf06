#!/usr/bin/env bash
# nyckel-push killed with SIGKILL mid-push and run again on the same
# spool resumes without loss or double counting: the totals equal those
# of an uninterrupted push.
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 6 --kinds payment,placement --from 2013-01 \
    --to 2014-12 --households 600 >"$NK_TMP/events.jsonl"
nk_start
for round in 1 2 3; do
    # the program itself, not a shell function around it, so that the
    # kill reaches it
    "$BUILD/nyckel-push" --ingest "$NK_INGEST" --spool "$NK_TMP/spool" \
        --batch-size 20 --window 2 "$NK_TMP/events.jsonl" 2>/dev/null &
    PUSH=$!
    sleep 0.$((RANDOM % 4 + 2))
    kill -KILL "$PUSH" 2>/dev/null || true
    wait "$PUSH" 2>/dev/null || true
    echo "ok: nyckel-push killed (round $round), $(ls "$NK_TMP/spool" | grep -c batch || true) batches in its spool"
done
nk_push --give-up 20 "$NK_TMP/events.jsonl" 2>"$NK_TMP/push.txt" || { cat "$NK_TMP/push.txt"; tail -5 "$NK_TMP/nyckeld.log"; fail "final push"; }
cat "$NK_TMP/push.txt"
assert_eq "$(ls "$NK_TMP/spool" | grep -c '\.batch$' || true)" 0 "batches left in the spool"
nk_snapshot eb unit >"$NK_TMP/resumed"
nk_snapshot pl setting >>"$NK_TMP/resumed"
nk_stop
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >/dev/null || fail "--verify"

rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
nk_push "$NK_TMP/events.jsonl" 2>/dev/null || fail "uninterrupted push"
nk_snapshot eb unit >"$NK_TMP/clean"
nk_snapshot pl setting >>"$NK_TMP/clean"
nk_stop
cmp -s "$NK_TMP/resumed" "$NK_TMP/clean" ||
    { diff "$NK_TMP/resumed" "$NK_TMP/clean" | head -4 | cut -c1-300; fail "totals differ"; }
echo "ok: $(wc -l <"$NK_TMP/clean") slices equal to an uninterrupted push"

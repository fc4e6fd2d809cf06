#!/usr/bin/env bash
# SIGTERM under load: nyckeld finishes the batch in hand, closes the
# store and exits 0 within a second; nothing it acknowledged is lost
# (the restarted store verifies clean and the push completes).
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 61 --kinds payment,placement --from 2012-01 \
    --to 2014-12 --households 5000 >"$NK_TMP/events.jsonl"
nk_start
"$BUILD/nyckel-push" --ingest "$NK_INGEST" --spool "$NK_TMP/spool" \
    --give-up 30 "$NK_TMP/events.jsonl" 2>"$NK_TMP/push.txt" &
PUSH=$!
sleep 1.5
kill -0 "$PUSH" || fail "the push ended before the SIGTERM: make it longer"
start=$(date +%s%N)
kill -TERM "$NK_PID"
rc=0
wait "$NK_PID" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
NK_PID=
assert_eq "$rc" 0 "exit status after SIGTERM under load"
echo "ok: stopped ${ms} ms after SIGTERM"
# The stop waits for the batch in hand: a 1000-event batch takes about
# 0.1 s, many times that under AddressSanitizer (2.6 s seen on a slow
# 2-core machine, 5.2 s with another script running beside it), so the
# SAN=1 run allows for one such batch.
limit=1000
if nk_asan; then limit=10000; fi
[ "$ms" -lt "$limit" ] || { tail -5 "$NK_TMP/nyckeld.log"; fail "took ${ms} ms to stop (limit $limit)"; }
grep -q "SIGTERM received, stopping" "$NK_TMP/nyckeld.log" || fail "no stop line in the log"
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >/dev/null || fail "--verify after SIGTERM"
nk_start
wait "$PUSH" || fail "the push did not complete after the restart"
nk_stop
echo "ok: the push completed after the restart; store verifies clean"

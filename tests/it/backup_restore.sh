#!/usr/bin/env bash
# nyckeld --backup DIR taken while nyckeld ingests gives a consistent,
# compacted copy: nyckeld started on it serves it, --verify on it finds
# no difference (its totals are a rebuild of what it holds, up to its
# sequence number), and pushing the rest into the restored store gives
# the totals of an uninterrupted run.
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 41 --kinds payment,placement,referral,decision \
    --from 2013-01 --to 2014-12 --households "$(nk_asan && echo 400 || echo 600)" \
    >"$NK_TMP/events.jsonl"
nk_start
"$BUILD/nyckel-push" --ingest "$NK_INGEST" --spool "$NK_TMP/spool" \
    --batch-size 20 --window 1 "$NK_TMP/events.jsonl" 2>/dev/null &
PUSH=$!
sleep 0.5
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --backup "$NK_TMP/backup" \
    >"$NK_TMP/backup.txt" || fail "--backup during ingestion"
cat "$NK_TMP/backup.txt"
kill -0 "$PUSH" 2>/dev/null || fail "the push ended before the backup: make it longer"
wait "$PUSH" || fail "push"
nk_snapshot eb unit >"$NK_TMP/live"
nk_stop

"$BUILD/nyckeld" --state-dir "$NK_TMP/backup" --verify >"$NK_TMP/verify" ||
    { head "$NK_TMP/verify"; fail "--verify of the backup"; }
echo "ok: backup $(tail -n 1 "$NK_TMP/verify")"

# restore: serve the backup, push everything again (the part it already
# has is duplicate), and the totals are those of the uninterrupted run
mv "$NK_TMP/state" "$NK_TMP/state.live"
cp -r "$NK_TMP/backup" "$NK_TMP/state"
nk_start
before=$(nk_metric 2014 households)
nk_push "$NK_TMP/events.jsonl" 2>"$NK_TMP/push.txt" || fail "push into the restored store"
dup=$(nk_summary_field "$NK_TMP/push.txt" duplicate)
[ "$dup" -gt 0 ] || fail "the restored store held nothing of the push"
echo "ok: the restored store held $dup of the events (households 2014 before the rest: $before)"
nk_snapshot eb unit >"$NK_TMP/restored"
nk_stop
cmp -s "$NK_TMP/live" "$NK_TMP/restored" || fail "restored totals differ"
echo "ok: restored and completed, every slice equals the live store"

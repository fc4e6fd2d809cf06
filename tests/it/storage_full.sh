#!/usr/bin/env bash
# Storage limits (DESIGN §7): the LMDB map grows when full; at the
# configured maximum (--max-db-size) batches are refused with
# storage_full, nothing acknowledged is lost, and ingestion resumes when
# room is made (a restart with a larger maximum): nyckel-push keeps the
# refused batches in its spool and the next run sends them. The totals
# then equal those of an unconstrained run.
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 31 --kinds payment,placement --from 2012-01 \
    --to 2014-12 --households 1500 >"$NK_TMP/events.jsonl"
lines=$(wc -l <"$NK_TMP/events.jsonl" | tr -d ' ')

# nyckel-push gives up after this many seconds without an ack: soon
# once every batch is refused, but not before the store has filled,
# which under AddressSanitizer and the other scripts' load once took a
# batch over 3 s
give_up=3
! nk_asan || give_up=10
nk_start --max-db-size 2M
rc=0
nk_push --give-up "$give_up" --batch-size 200 "$NK_TMP/events.jsonl" 2>"$NK_TMP/push1" || rc=$?
cat "$NK_TMP/push1"
assert_eq "$rc" 1 "nyckel-push exit status when storage stays full"
grep -q "storage_full" "$NK_TMP/nyckeld.log" || fail "nyckeld did not log storage_full"
kill -0 "$NK_PID" || fail "nyckeld died on a full store"
accepted1=$(nk_summary_field "$NK_TMP/push1" accepted)
[ "$accepted1" -gt 0 ] && [ "$accepted1" -lt "$lines" ] ||
    fail "expected some but not all events accepted before the store filled: $accepted1 of $lines"
echo "ok: $accepted1 of $lines events accepted before the store filled; the rest refused"
[ -n "$(ls "$NK_TMP/spool" 2>/dev/null)" ] || fail "refused batches not kept in the spool"
nk_stop

# room is made: a larger maximum; the spool and then the file again
nk_start --max-db-size 256M
nk_push "$NK_TMP/events.jsonl" 2>"$NK_TMP/push2" || { cat "$NK_TMP/push2"; fail "second push"; }
# the map started at 16 MiB and had to grow to take it all
grep -q "store: map grown" "$NK_TMP/nyckeld.log" || fail "the map never grew"
echo "ok: $(grep -c 'store: map grown' "$NK_TMP/nyckeld.log") map growths logged"
nk_snapshot eb unit >"$NK_TMP/resumed"
nk_snapshot pl setting >>"$NK_TMP/resumed"
nk_stop
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >/dev/null || fail "--verify after resuming"

rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
nk_push "$NK_TMP/events.jsonl" 2>/dev/null || fail "clean push"
nk_snapshot eb unit >"$NK_TMP/clean"
nk_snapshot pl setting >>"$NK_TMP/clean"
nk_stop
cmp -s "$NK_TMP/resumed" "$NK_TMP/clean" ||
    { diff "$NK_TMP/resumed" "$NK_TMP/clean" | head -4 | cut -c1-300; fail "totals differ from an unconstrained run"; }
echo "ok: after the store filled and room was made, every slice equals an unconstrained run"

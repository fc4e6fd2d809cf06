#!/usr/bin/env bash
# Power loss, not just a killed process. nyckeld runs under the nkfault
# LD_PRELOAD layer (tests/fault/), which records every write to the
# state directory that is not yet durable; a "power cut" is a SIGKILL
# followed by nkfault-rollback, which throws those writes away (or, in
# every other round, keeps a random half of the dirty pages, as if the
# kernel had written them back in any order).
#
# 1. At least 20 power cuts at random moments during a push of all five
#    event kinds (nyckel-push resending from its spool): every event is
#    acknowledged, the entities stored equal those of an uninterrupted
#    run (none lost), every slice of eb, pl, inv and ec equals that run
#    (none counted twice) and --verify finds no difference.
# 2. Negative control: nyckeld started with NYCKEL_TEST_NOSYNC=1 (LMDB
#    MDB_NOSYNC) acknowledges batches that a power cut then takes away,
#    in most rounds; if not, the harness is broken and the test fails.
# 3. The same rounds with syncing on: an acknowledged batch is never
#    lost, never counted twice.
NK_AS_OF=2014-12-31
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/../fault/fault.bash"
PUSH=
trap '[ -z "$PUSH" ] || kill "$PUSH" 2>/dev/null || true; nk_cleanup' EXIT

MIN_ROUNDS=${PL_MIN_ROUNDS:-20} # power cuts during the push (soak: 100)
MAX_ROUNDS=${PL_MAX_ROUNDS:-40} # then the push may finish undisturbed
PL_HOUSEHOLDS=${PL_HOUSEHOLDS:-75} # size of the pushed history: the push must outlast MIN_ROUNDS cuts
KB_ROUNDS=8     # rounds of the known-batch check, each phase
KB_EVENTS=5     # payments of 1000 kr in a batch
# a slow disk: at most one commit of 5 events per 20 ms on any machine,
# so the push lasts through MIN_ROUNDS cuts however fast the CPU
SLOW_DISK=(NKFAULT_SYNC_DELAY_MS=20)

# rollback arguments for round $1: odd rounds lose every unsynced
# write, even ones keep a random half of the dirty pages
cut_args() {
    if (($1 % 2)); then
        echo ""
    else
        echo "--keep 50 --seed $((RANDOM * 32768 + RANDOM))"
    fi
}

snapshot() {
    nk_snapshot eb unit
    nk_snapshot pl setting,regi
    nk_snapshot inv reporter
    nk_snapshot ec unit
}

# entities: one "key value" line per stored entity (latest revision and
# its wire bytes), sorted
entities() {
    mdb_dump -s entities "$NK_TMP/state" |
        sed -n '/^HEADER=END/,/^DATA=END/p' | sed '1d;$d' | paste -d' ' - - |
        sort
}

# ---- 0. the harness itself, on plain files ----------------------------------
# put FILE TEXT [DD-ARGS...]: write TEXT into FILE with dd under the
# layer (and the environment in put_env)
put_env=()
put() {
    local f=$1 text=$2
    shift 2
    printf %s "$text" |
        env NKFAULT_DIR="$FLT_TMP/self" NKFAULT_UNDO="$FLT_TMP/self.log" \
            LD_PRELOAD="$FLT_LIB" "${put_env[@]}" \
            dd of="$FLT_TMP/self/$f" status=none "$@"
}
sync_file() { # sync_file FILE [--data]
    env NKFAULT_DIR="$FLT_TMP/self" NKFAULT_UNDO="$FLT_TMP/self.log" \
        LD_PRELOAD="$FLT_LIB" sync "${@:2}" "$FLT_TMP/self/$1"
}
mkdir "$FLT_TMP/self"
put f AAAA
sync_file f
put f BB bs=1 seek=1 conv=notrunc
put f CC oflag=append conv=notrunc
put g 1234
put h xxxx
sync_file h --data
put h DD oflag=dsync conv=notrunc
put h EE bs=1 seek=2 conv=notrunc
assert_eq "$(cat "$FLT_TMP"/self/{f,g,h} | tr '\n' ' ')" "ABBACC1234DDEE" "files before the power cut" >/dev/null
"$FLT_ROLLBACK" "$FLT_TMP/self.log" >/dev/null
assert_eq "$(cat "$FLT_TMP/self/f")" AAAA "synced file, then overwritten and appended to"
assert_eq "$(stat -c %s "$FLT_TMP/self/g")" 0 "size of a file never synced"
assert_eq "$(cat "$FLT_TMP/self/h")" DDxx "synced file, an O_DSYNC write, then a plain one"
put_env=(NKFAULT_FAIL_WRITE=1)
put g 1234 2>/dev/null && fail "NKFAULT_FAIL_WRITE=1: the write succeeded"
echo "ok: NKFAULT_FAIL_WRITE=1 fails the first write"

# ---- 1. power cuts during a push ------------------------------------------
"$BUILD/nyckel-gen" --seed 23 --kinds payment,placement,referral,decision,budget \
    --from 2013-01 --to 2014-12 --households "$PL_HOUSEHOLDS" >"$NK_TMP/events.jsonl"
lines=$(wc -l <"$NK_TMP/events.jsonl" | tr -d ' ')

t0=$SECONDS
flt_up "first start" "${SLOW_DISK[@]}"
# small batches, one in flight, a short ack timeout: many commits to
# interrupt, quick resends
nk_push --batch-size 5 --window 1 --ack-timeout 200 --give-up 60 \
    "$NK_TMP/events.jsonl" 2>"$NK_TMP/push.txt" &
PUSH=$!
rounds=0
while kill -0 "$PUSH" 2>/dev/null && [ "$rounds" -lt "$MAX_ROUNDS" ]; do
    sleep "0.$(printf %02d $((RANDOM % 20 + 5)))" # 0.05 to 0.24 s
    rounds=$((rounds + 1))
    # shellcheck disable=SC2046 # cut_args is a list of words
    flt_powerloss $(cut_args "$rounds")
    flt_up "restart after power cut $rounds" "${SLOW_DISK[@]}"
done
rc=0
wait "$PUSH" || rc=$?
PUSH=
cat "$NK_TMP/push.txt"
[ "$rc" -eq 0 ] || fail "nyckel-push exited $rc"
[ "$rounds" -ge "$MIN_ROUNDS" ] ||
    fail "the push ended after only $rounds power cuts (need $MIN_ROUNDS)"
echo "ok: $rounds power cuts during the push ($((SECONDS - t0)) s)"
undone=$(awk '{ n += $2 } END { print n + 0 }' "$NK_TMP/rollback.txt")
kept=$(sed -n 's/.* \([0-9]*\) pages kept.*/\1/p' "$NK_TMP/rollback.txt" |
    awk '{ n += $1 } END { print n + 0 }')
[ "$undone" -gt 0 ] || fail "the power cuts never undid a write: harness broken"
echo "ok: $undone unsynced writes undone in all ($kept dirty pages kept in the even rounds)"
acked=$(($(nk_summary_field "$NK_TMP/push.txt" accepted) +
    $(nk_summary_field "$NK_TMP/push.txt" duplicate) +
    $(nk_summary_field "$NK_TMP/push.txt" stale)))
assert_eq "$acked" "$lines" "events acknowledged"

# one more power cut right after the last ack: all of it must be there
flt_powerloss
nk_start
snapshot >"$NK_TMP/cut.snap" || fail "queries after the power cuts"
nk_stop
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >"$NK_TMP/verify" 2>&1 ||
    { head "$NK_TMP/verify"; fail "--verify after the power cuts"; }
echo "ok: $(tail -n 1 "$NK_TMP/verify")"
entities >"$NK_TMP/cut.ent"

rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
nk_push "$NK_TMP/events.jsonl" 2>/dev/null || fail "uninterrupted push"
snapshot >"$NK_TMP/clean.snap" || fail "queries after the uninterrupted push"
nk_stop
entities >"$NK_TMP/clean.ent"

lost=$(comm -23 "$NK_TMP/clean.ent" "$NK_TMP/cut.ent" | wc -l | tr -d ' ')
extra=$(comm -13 "$NK_TMP/clean.ent" "$NK_TMP/cut.ent" | wc -l | tr -d ' ')
[ "$lost" -eq 0 ] && [ "$extra" -eq 0 ] ||
    fail "entities differ from an uninterrupted run: $lost missing or older, $extra not there"
echo "ok: $(wc -l <"$NK_TMP/clean.ent") entities equal to the uninterrupted run"
cmp -s "$NK_TMP/cut.snap" "$NK_TMP/clean.snap" ||
    {
        diff "$NK_TMP/cut.snap" "$NK_TMP/clean.snap" | head | cut -c1-300
        fail "totals differ from an uninterrupted run"
    }
slices=$(wc -l <"$NK_TMP/clean.snap" | tr -d ' ')
echo "ok: $slices slices of eb, pl, inv and ec equal to the uninterrupted run"

# ---- 2. and 3. a known batch, acknowledged, then the power goes ------------
# batch ROUND: KB_EVENTS payments of 1000 kr for month 2012-ROUND
kb_batch() {
    local r=$1 i
    for i in $(seq 1 "$KB_EVENTS"); do
        printf '{"kind":"payment","source":"powerloss","id":"kb-%d-%d","revision":1,"municipality":"0127","unit":"ekb","household":"hh-kb-%d-%d","month":"2012-%02d","paid_on":"2012-%02d-25","amount_ore":100000,"category":"livsuppehalle","head_birth_year":1980}\n' \
            "$r" "$i" "$r" "$i" "$r" "$r"
    done >"$NK_TMP/kb.jsonl"
}

# payments of month 2012-ROUND counted in the store (paid / 1000 kr)
kb_count() {
    nk_query --municipality 0127 --domain eb --period "$(printf 2012-%02d "$1")" \
        --format json | jq -r '((.metrics.paid // 0) / 1000) | floor'
}

# kb_phase NAME [VAR=VALUE...]: KB_ROUNDS rounds on a fresh store; sets
# kb_lost_rounds, kb_lost, kb_double
kb_phase() {
    local name=$1 r n args
    shift
    rm -rf "$NK_TMP/state" "$NK_TMP/kb-spool"
    : >"$FLT_UNDO"
    kb_lost_rounds=0 kb_lost=0 kb_double=0
    flt_up "$name: start" "$@"
    for r in $(seq 1 "$KB_ROUNDS"); do
        kb_batch "$r"
        "$BUILD/nyckel-push" --ingest "$NK_INGEST" --spool "$NK_TMP/kb-spool" \
            --give-up 10 "$NK_TMP/kb.jsonl" 2>"$NK_TMP/kb-push.txt" ||
            { cat "$NK_TMP/kb-push.txt"; fail "$name: round $r: push"; }
        assert_eq "$(nk_summary_field "$NK_TMP/kb-push.txt" accepted)" \
            "$KB_EVENTS" "$name: round $r: events acknowledged as accepted" >/dev/null
        assert_eq "$(kb_count "$r")" "$KB_EVENTS" "$name: round $r: applied before the cut" >/dev/null
        args=$(cut_args "$r")
        [ "$name" = control ] && args= # the control loses every unsynced write
        # shellcheck disable=SC2086
        flt_powerloss $args
        flt_up "$name: restart after power cut $r" "$@"
        n=$(kb_count "$r")
        if [ "$n" -lt "$KB_EVENTS" ]; then
            kb_lost_rounds=$((kb_lost_rounds + 1))
            kb_lost=$((kb_lost + KB_EVENTS - n))
        elif [ "$n" -gt "$KB_EVENTS" ]; then
            kb_double=$((kb_double + n - KB_EVENTS))
        fi
        echo "$name: round $r: $KB_EVENTS acknowledged, $n there after the power cut"
    done
    nk_kill
}

t0=$SECONDS
kb_phase control NYCKEL_TEST_NOSYNC=1
control_rounds=$kb_lost_rounds control_lost=$kb_lost
[ $((2 * control_rounds)) -gt "$KB_ROUNDS" ] ||
    fail "harness broken: with MDB_NOSYNC only $control_rounds of $KB_ROUNDS power cuts lost acknowledged events"
echo "ok: control (MDB_NOSYNC) lost acknowledged events in $control_rounds of $KB_ROUNDS rounds ($control_lost of $((KB_ROUNDS * KB_EVENTS)) events)"

kb_phase durable
[ "$kb_lost" -eq 0 ] && [ "$kb_double" -eq 0 ] ||
    fail "with syncing on, power cuts lost $kb_lost and double-counted $kb_double acknowledged events"
echo "ok: with syncing on, $KB_ROUNDS power cuts after the ack lost nothing ($((SECONDS - t0)) s for both phases)"

echo "powerloss: $((rounds + 1 + KB_ROUNDS)) power cuts with syncing on," \
    "$((acked + KB_ROUNDS * KB_EVENTS)) acknowledged events, lost 0," \
    "double-counted 0; control failure rate $control_rounds/$KB_ROUNDS" \
    "($((100 * control_rounds / KB_ROUNDS)) %)"

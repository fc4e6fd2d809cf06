#!/usr/bin/env bash
# I/O errors: nyckeld runs under the nkfault LD_PRELOAD layer
# (tests/fault/), which makes its Nth write, or Nth fsync/fdatasync, to
# the state directory fail with EIO: once, or from then on. For N = 1,
# 2, ... until nyckeld gets through its first start and one small batch
# of all five kinds without reaching the Nth, each counted from a fresh
# state directory:
#   - a batch whose commit failed is never acknowledged as accepted:
#     nyckel-push gets a refusal or no ack, and nyckeld either stays up
#     and accepts the resent batch once the fault is gone, or exits
#     non-zero (for systemd to restart it), never by a crash;
#   - then the power goes (nkfault-rollback) and nyckeld restarts
#     without faults: the store holds the batch entirely when it was
#     acknowledged, else entirely or not at all; pushed again, the
#     totals are exactly those of the batch once, and --verify is clean.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/../fault/fault.bash"
PUSH=
trap '[ -z "$PUSH" ] || kill "$PUSH" 2>/dev/null || true; nk_cleanup' EXIT

MAX_N=100 # more writes than that for one start and batch: something's off

# the batch: two events of each kind
"$BUILD/nyckel-gen" --seed 3 --kinds payment,placement,referral,decision,budget \
    --from 2014-01 --to 2014-03 --households 5 >"$NK_TMP/gen.jsonl"
for k in payment placement referral decision budget; do
    grep -m 2 "\"kind\":\"$k\"" "$NK_TMP/gen.jsonl"
done >"$NK_TMP/batch.jsonl"
events=$(wc -l <"$NK_TMP/batch.jsonl" | tr -d ' ')
[ "$events" -eq 10 ] || fail "batch of $events events, want 10"

# the totals of every domain, for a month and a year
totals() {
    local d p
    for d in eb pl inv ec; do
        for p in 2014-01 2014; do
            echo "--municipality 0127 --domain $d --period $p"
        done
    done | nk_query --batch - --format json | jq -c 'del(.seq)'
}

# reference: an empty store, and the batch once
rm -rf "$NK_TMP/state"
nk_start
totals >"$NK_TMP/empty" || fail "queries of an empty store"
nk_push "$NK_TMP/batch.jsonl" 2>/dev/null || fail "reference push"
totals >"$NK_TMP/once" || fail "queries after the reference push"
nk_stop
cmp -s "$NK_TMP/empty" "$NK_TMP/once" && fail "the batch changes no total"

# one_fault KIND N MODE: KIND write|sync, MODE once|persist. Sets
# fault_hit (1 when the layer injected the fault).
one_fault() {
    local kind=$1 n=$2 mode=$3 var outcome rc
    local -a env=(NKFAULT_STATS=1)
    [ "$kind" = write ] && var=NKFAULT_FAIL_WRITE || var=NKFAULT_FAIL_SYNC
    env+=("$var=$n")
    [ "$mode" = once ] || env+=(NKFAULT_PERSIST=1)
    local what="$kind #$n $mode"

    rm -rf "$NK_TMP/state" "$NK_TMP/spool"
    : >"$FLT_UNDO"
    local log_from
    log_from=$(($(wc -c <"$NK_TMP/nyckeld.log") + 1))
    local acked=0 exit_status=running
    fault_at_start=0 rc=0
    flt_start "${env[@]}" || rc=$?
    if [ "$rc" -eq 1 ]; then
        exit_status=$FLT_EXIT
        fault_at_start=1
        outcome="nyckeld exited $FLT_EXIT at start"
    elif [ "$rc" -ne 0 ]; then
        fail "$what: nyckeld neither answers nor exits"
    else
        # push; stop waiting once nyckeld is gone
        "$BUILD/nyckel-push" --ingest "$NK_INGEST" --spool "$NK_TMP/spool" \
            --ack-timeout 300 --give-up 3 "$NK_TMP/batch.jsonl" \
            2>"$NK_TMP/push.txt" &
        PUSH=$!
        while kill -0 "$PUSH" 2>/dev/null && kill -0 "$NK_PID" 2>/dev/null; do
            sleep 0.05
        done
        if ! kill -0 "$NK_PID" 2>/dev/null; then
            exit_status=0
            wait "$NK_PID" || exit_status=$?
            NK_PID=
            sleep 0.3 # an ack sent just before the exit
            kill -TERM "$PUSH" 2>/dev/null || true
        fi
        local push_rc=0
        wait "$PUSH" || push_rc=$?
        PUSH=
        if [ "$push_rc" -eq 0 ]; then
            [ "$(nk_summary_field "$NK_TMP/push.txt" accepted)" = "$events" ] ||
                { cat "$NK_TMP/push.txt"; fail "$what: push exit 0 without $events accepted"; }
            acked=1
        fi
        local refusals
        refusals=$(grep -oE '[0-9]+ retries after a refusal' "$NK_TMP/push.txt" |
            cut -d' ' -f1) || refusals=0
        if [ "$acked" -eq 1 ]; then
            outcome="acknowledged"
        else
            outcome="not acknowledged"
        fi
        [ "$refusals" -eq 0 ] || outcome="$outcome, resent $refusals times after a refusal"
        if [ "$exit_status" = running ]; then
            outcome="$outcome, nyckeld still up"
        else
            outcome="$outcome, nyckeld exited $exit_status"
        fi
    fi
    local log
    log=$(tail -c +"$log_from" "$NK_TMP/nyckeld.log")
    fault_hit=0
    grep -q 'nkfault: .*injected EIO' <<<"$log" && fault_hit=1
    if grep -qE 'Sanitizer|runtime error|Segmentation|Aborted' <<<"$log"; then
        echo "$log" | tail -n 30
        fail "$what: nyckeld crashed"
    fi
    if [ "$exit_status" != running ]; then
        [ "$exit_status" -ne 0 ] || fail "$what: nyckeld exited 0 after a fault"
        [ "$exit_status" -lt 126 ] || fail "$what: nyckeld died of a signal ($exit_status)"
    fi
    if [ "$fault_hit" -eq 0 ]; then
        [ "$acked" -eq 1 ] || fail "$what: no fault injected, yet the batch was not acknowledged"
    elif [ "$exit_status" = running ] && [ "$mode" = once ] && [ "$acked" -eq 0 ]; then
        fail "$what: nyckeld stayed up but did not accept the resent batch"
    fi

    # the power goes; restart without faults
    flt_powerloss
    nk_start
    totals >"$NK_TMP/after" || fail "$what: queries after the restart"
    local state
    if cmp -s "$NK_TMP/after" "$NK_TMP/once"; then
        state="batch there"
    elif cmp -s "$NK_TMP/after" "$NK_TMP/empty"; then
        state="batch not there"
        [ "$acked" -eq 0 ] || fail "$what: the acknowledged batch is lost"
    else
        diff "$NK_TMP/after" "$NK_TMP/once" | head -n 6 | cut -c1-300
        fail "$what: after the restart the batch is partly applied"
    fi
    nk_push "$NK_TMP/batch.jsonl" 2>"$NK_TMP/push2.txt" ||
        { cat "$NK_TMP/push2.txt"; fail "$what: push after the restart"; }
    totals >"$NK_TMP/final" || fail "$what: queries after the second push"
    nk_stop
    cmp -s "$NK_TMP/final" "$NK_TMP/once" ||
        {
            diff "$NK_TMP/final" "$NK_TMP/once" | head -n 6 | cut -c1-300
            fail "$what: totals are not those of the batch once"
        }
    "$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >"$NK_TMP/verify" 2>&1 ||
        { head "$NK_TMP/verify"; fail "$what: --verify"; }
    [ "$fault_hit" -eq 1 ] || outcome="fault not reached: $outcome"
    echo "ok: $what: $outcome; after a power cut: $state; resent: once; verify clean"
}

# lying KIND N: negative control. The Nth write is dropped, or the Nth
# sync skipped, and the call reports success, as a disk (or a store
# ignoring errors) might: the batch is acknowledged, and after a power
# cut the checks above must see it damaged. Sets caught (1 or 0).
lying() {
    local kind=$1 n=$2 var how rc=0
    [ "$kind" = write ] && var=NKFAULT_FAIL_WRITE || var=NKFAULT_FAIL_SYNC
    rm -rf "$NK_TMP/state" "$NK_TMP/spool"
    : >"$FLT_UNDO"
    flt_up "control" NKFAULT_SILENT=1 "$var=$n"
    nk_push --ack-timeout 300 --give-up 3 "$NK_TMP/batch.jsonl" \
        2>"$NK_TMP/push.txt" ||
        { cat "$NK_TMP/push.txt"; fail "control $kind #$n: push failed"; }
    flt_powerloss
    caught=1
    FLT_WAIT_S=3 flt_start || rc=$?
    if [ "$rc" -eq 1 ]; then
        how="nyckeld exited $FLT_EXIT at the restart"
    elif [ "$rc" -eq 2 ]; then
        how="nyckeld cannot answer queries"
    elif ! totals >"$NK_TMP/after"; then
        how="queries failed"
    elif ! cmp -s "$NK_TMP/after" "$NK_TMP/once"; then
        how="totals differ"
    elif ! nk_kill || ! "$BUILD/nyckeld" --state-dir "$NK_TMP/state" \
        --verify >"$NK_TMP/verify" 2>&1; then
        how="--verify failed"
    else
        how="NOT caught"
        caught=0
    fi
    nk_kill
    echo "control: $kind #$n dropped silently, batch acknowledged; after a power cut: $how"
}

t0=$SECONDS
injected=0
declare -A start count # per kind: last N met during the start; N in all
for kind in write sync; do
    start_n=0 # the last N whose fault came during the start
    for mode in once persist; do
        # a start that meets a fault exits, as the once rounds show:
        # persistent faults only from the batch's first write or sync on
        first=1
        [ "$mode" = once ] || first=$((start_n + 1))
        for n in $(seq "$first" "$MAX_N"); do
            one_fault "$kind" "$n" "$mode"
            [ "$fault_hit" -eq 1 ] || break
            injected=$((injected + 1))
            if [ "$fault_at_start" -eq 1 ]; then
                [ "$mode" = once ] && [ "$n" -eq $((start_n + 1)) ] ||
                    fail "$kind #$n $mode: a fault at start, unexpected here"
                start_n=$n
            fi
        done
        [ "$fault_hit" -eq 0 ] || fail "$kind faults still reached at N = $MAX_N"
        [ "$n" -gt 2 ] || fail "only $((n - 1)) ${kind}s for a start and a batch: the layer sees nothing"
    done
    start[$kind]=$start_n count[$kind]=$((n - 1))
done
faults_s=$((SECONDS - t0))

# the controls: each write and sync of the batch, lost silently
controls=0 missed=0
for kind in write sync; do
    for n in $(seq $((start[$kind] + 1)) "${count[$kind]}"); do
        lying "$kind" "$n"
        controls=$((controls + 1))
        missed=$((missed + 1 - caught))
    done
done
[ "$controls" -ge 2 ] || fail "only $controls control rounds"
[ "$missed" -eq 0 ] ||
    fail "harness broken: $missed of $controls silently lost writes or syncs went unnoticed"
echo "ok: control: all $controls silently lost writes and syncs of an acknowledged batch were caught"
echo "io_faults: $injected faults injected (each of the ${count[write]} writes" \
    "and ${count[sync]} syncs of a first start and one batch once, those of" \
    "the batch also persistently; $faults_s s): none acknowledged a failed" \
    "commit, none lost or double-counted an event, --verify clean;" \
    "control: $controls of $controls silently lost writes and syncs caught"

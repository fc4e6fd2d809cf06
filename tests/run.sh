#!/usr/bin/env bash
# Runs every unit test binary given as argument, then every integration
# script tests/it/*.sh (with the seconds each took), and prints one
# closing line "N passed, M failed".
# BUILD names the build directory whose programs the scripts use.
# JOBS (default 2) integration scripts run at a time: most of their time
# is spent waiting (for nyckeld to start, for a timeout, for a clock
# tick), and each has its own ports and temporary directory. The longest
# start first, so that the slots end together.
set -u
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}
export BUILD
cd "$(dirname "$0")/.."
pass=0
fail=0
failed=()
for t in "$@"; do
    name=$(basename "$t")
    if "$t" >"$BUILD/tests/$name.log" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name"
    else
        fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name"
        tail -n 40 "$BUILD/tests/$name.log" | sed 's/^/     /'
    fi
done

# the longest first (seconds measured on a 2-core machine), then the rest
long=(property io_faults powerloss kill_restart storage_full inv_revisions
      backup_restore slow_subscriber shutdown rebuild_verify pl_revisions)
scripts=()
for n in "${long[@]}"; do
    [ -e "tests/it/$n.sh" ] && scripts+=("tests/it/$n.sh")
done
for t in tests/it/*.sh; do
    [ -e "$t" ] || continue
    n=$(basename "$t" .sh)
    [[ " ${long[*]} " == *" $n "* ]] || scripts+=("$t")
done

# run_one SCRIPT: runs it, leaves "ok|FAIL seconds" in its .status file
run_one() {
    local name start rc
    name=$(basename "$1" .sh)
    start=$SECONDS
    timeout 300 bash "$1" >"$BUILD/tests/it_$name.log" 2>&1
    rc=$?
    echo "$rc $((SECONDS - start))" >"$BUILD/tests/it_$name.status"
}

# report NAME: prints the result of a finished script and counts it
report() {
    local rc secs
    read -r rc secs <"$BUILD/tests/it_$1.status"
    rm -f "$BUILD/tests/it_$1.status"
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1)); echo "ok   it/$1 ($secs s)"
    else
        fail=$((fail + 1)); failed+=("it/$1")
        echo "FAIL it/$1 ($secs s)"
        tail -n 40 "$BUILD/tests/it_$1.log" | sed 's/^/     /'
    fi
}

declare -A running=() # pid -> name
next=0
while [ "$next" -lt "${#scripts[@]}" ] || [ "${#running[@]}" -gt 0 ]; do
    while [ "${#running[@]}" -lt "$JOBS" ] && [ "$next" -lt "${#scripts[@]}" ]; do
        t=${scripts[$next]}
        next=$((next + 1))
        run_one "$t" &
        running[$!]=$(basename "$t" .sh)
    done
    wait -n 2>/dev/null || true
    for pid in "${!running[@]}"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            report "${running[$pid]}"
            unset "running[$pid]"
        fi
    done
done
echo
[ "$fail" -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

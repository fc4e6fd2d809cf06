#!/usr/bin/env bash
# Runs every unit test binary given as argument, then every integration
# script tests/it/*.sh (with the seconds each took), and prints one
# closing line "N passed, M failed".
# BUILD names the build directory whose programs the scripts use.
set -u
BUILD=${BUILD:-build}
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
for t in tests/it/*.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .sh)
    start=$SECONDS
    if timeout 300 bash "$t" >"$BUILD/tests/it_$name.log" 2>&1; then
        pass=$((pass + 1)); echo "ok   it/$name ($((SECONDS - start)) s)"
    else
        fail=$((fail + 1)); failed+=("it/$name")
        echo "FAIL it/$name ($((SECONDS - start)) s)"
        tail -n 40 "$BUILD/tests/it_$name.log" | sed 's/^/     /'
    fi
done
echo
[ "$fail" -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

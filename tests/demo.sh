#!/usr/bin/env bash
# make demo: start nyckeld on its embedded default (loopback ports
# 7710-7712, a state directory of its own), feed it nyckel-gen's
# fictional municipality, print the eb totals, then follow them live
# with nyckel-watch while more events stream in. Ends by itself with
# nyckeld stopped; KEEP=1 leaves it running.
set -euo pipefail
BUILD=${BUILD:-build}
KEEP=${KEEP:-}
STATE=${NYCKEL_DEMO_STATE:-$PWD/build/demo-state}
LOG=$PWD/build/demo-nyckeld.log
YEAR=2014
rm -rf "$STATE"
mkdir -p "$(dirname "$LOG")"

# the embedded default must be free
if ss -ltn 2>/dev/null | grep -qE ':(7710|7711|7712)\b'; then
    echo "demo: ports 7710-7712 are in use (is a nyckeld already running?" \
        "stop it with: pkill -TERM nyckeld)" >&2
    exit 1
fi

echo "== starting nyckeld (state $STATE, log $LOG)"
# --publish-interval 2: a watcher that is not an admin sees a slice's
# changes at most every 2 s instead of the default 60 (which keeps a
# single payment from showing in the difference of two totals), so the
# live phase below shows its changes within its 8 seconds.
"$BUILD/nyckeld" --state-dir "$STATE" --as-of "$YEAR-12-31" \
    --publish-interval 2 >"$LOG" 2>&1 &
PID=$!
cleanup() {
    if [ -z "$KEEP" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID"
        wait "$PID" || true
        echo "== nyckeld stopped"
    fi
}
trap cleanup EXIT
for _ in $(seq 1 50); do
    "$BUILD/nyckel-query" --timeout 200 --municipality 0127 --domain eb \
        --period "$YEAR" --format json >/dev/null 2>&1 && break
    sleep 0.1
done

echo "== generating three years of payments, placements, referrals, decisions and budgets for municipality 0127 (nyckel-gen --seed 1)"
"$BUILD/nyckel-gen" --seed 1 --kinds payment,placement,referral,decision,budget --from 2012-01 --to "$YEAR-12" \
    >build/demo-all.jsonl
grep -v "\"month\":\"$YEAR-12\"" build/demo-all.jsonl >build/demo-history.jsonl || true
grep "\"month\":\"$YEAR-12\"" build/demo-all.jsonl >build/demo-live.jsonl || true
echo "   $(wc -l <build/demo-history.jsonl) events up to $YEAR-11," \
    "$(wc -l <build/demo-live.jsonl) more for $YEAR-12 kept for the live phase"

echo "   (x in a table: a figure resting on fewer than 5 persons or households,"
echo "    suppressed for privacy; nyckeld --suppress-below sets the threshold)"
echo "== pushing the history (nyckel-push)"
"$BUILD/nyckel-push" --spool build/demo-spool build/demo-history.jsonl || true

echo
echo "== eb totals $YEAR (nyckel-query)"
"$BUILD/nyckel-query" --municipality 0127 --domain eb --period "$YEAR"
echo
echo "== per unit"
"$BUILD/nyckel-query" --municipality 0127 --domain eb --period "$YEAR" --rollup unit
echo
echo "== placements $YEAR (domain pl), by setting"
"$BUILD/nyckel-query" --municipality 0127 --domain pl --period "$YEAR"
"$BUILD/nyckel-query" --municipality 0127 --domain pl --period "$YEAR" --rollup setting
echo
echo "== investigations and decisions $YEAR (domain inv)"
"$BUILD/nyckel-query" --municipality 0127 --domain inv --period "$YEAR"
echo
echo "== budget against outcome $YEAR per unit (domain ec)"
"$BUILD/nyckel-query" --municipality 0127 --domain ec --period "$YEAR" --rollup unit

echo
echo "== following the $YEAR totals live for 8 s while December's payments stream in (nyckel-watch)"
split -n l/10 build/demo-live.jsonl build/demo-live-part.
(sleep 1.5
 for part in build/demo-live-part.*; do
     "$BUILD/nyckel-push" --quiet --spool build/demo-spool --format json "$part" \
         >/dev/null 2>&1 || true
     sleep 0.5
 done) &
FEEDER=$!
"$BUILD/nyckel-watch" --municipality 0127 --domain eb --period "$YEAR" --for 8 || true
wait "$FEEDER" || true
rm -f build/demo-live-part.*
echo
echo "== eb totals $YEAR after the live phase"
"$BUILD/nyckel-query" --municipality 0127 --domain eb --period "$YEAR"
echo
echo "== budget against outcome $YEAR per unit, the whole year in (domain ec)"
"$BUILD/nyckel-query" --municipality 0127 --domain ec --period "$YEAR" --rollup unit

echo
if [ -n "$KEEP" ]; then
    echo "== nyckeld keeps running (pid $PID). Watch it with:"
    echo "   $BUILD/nyckel-watch --municipality 0127 --domain eb --period $YEAR"
    echo "   and stop it with: kill $PID"
    trap - EXIT
fi

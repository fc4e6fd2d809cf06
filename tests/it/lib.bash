# tests/it/lib.bash — shared by the integration scripts: start the real
# nyckeld on free loopback ports with a temporary state directory, talk
# to it with the real clients, clean up whatever happens.
#
# Use: . "$(dirname "$0")/lib.bash"; nk_start; nk_push FILE; nk_query ...
set -euo pipefail
BUILD=${BUILD:-build}
NK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nyckel-it.XXXXXX")
NK_PID=
NK_AS_OF=${NK_AS_OF:-2015-06-01}
# The scripts check exact figures of a few households as an anonymous
# client: small-number suppression off unless a script turns it on
# (suppression.sh, curve.sh).
export NYCKEL_SUPPRESS_BELOW=${NYCKEL_SUPPRESS_BELOW-0}
# and every change published at once (watch_live.sh, slow_subscriber.sh)
export NYCKEL_PUBLISH_INTERVAL=${NYCKEL_PUBLISH_INTERVAL-0}
# client options of nk_start's readiness query (e.g. CURVE keys)
NK_PROBE_ARGS=()

nk_cleanup() {
    if [ -n "$NK_PID" ] && kill -0 "$NK_PID" 2>/dev/null; then
        kill -KILL "$NK_PID" 2>/dev/null || true
        wait "$NK_PID" 2>/dev/null || true
    fi
    rm -rf "$NK_TMP"
}
trap nk_cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$NK_TMP/nyckeld.log" ]; then
        echo "--- nyckeld log (last 20 lines)" >&2
        tail -n 20 "$NK_TMP/nyckeld.log" >&2
    fi
    exit 1
}

# nk_asan: true when $BUILD's nyckeld runs under AddressSanitizer (the
# SAN=1 build of make check), where every request costs several times
# as much: scripts size their work by it.
# (Not "ldd | grep -q": grep -q stops at the first match, ldd then dies
# of SIGPIPE, and with pipefail the answer was at times "no".)
nk_asan() {
    [[ $(ldd "$BUILD/nyckeld" 2>/dev/null) == *libasan* ]]
}

# assert_eq GOT WANT WHAT
assert_eq() {
    [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
    echo "ok: $3 = $2"
}

# Pick three free ports once; a restart keeps them. They lie below the
# ephemeral range (32768-): a client reconnecting to a port in that range
# while nyckeld is down can connect to itself and take the port.
nk_ports() {
    local base
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        base=$((12000 + RANDOM % 20000))
        if ! (ss -ltn 2>/dev/null | grep -qE ":($base|$((base + 1))|$((base + 2)))\b"); then
            break
        fi
    done
    NK_INGEST=tcp://127.0.0.1:$base
    NK_PUB=tcp://127.0.0.1:$((base + 1))
    NK_QUERY=tcp://127.0.0.1:$((base + 2))
}

# nk_start [nyckeld options...]: start (or restart) nyckeld, wait until
# it answers queries.
nk_start() {
    [ -n "${NK_INGEST:-}" ] || nk_ports
    "$BUILD/nyckeld" --state-dir "$NK_TMP/state" --ingest "$NK_INGEST" \
        --pub "$NK_PUB" --query "$NK_QUERY" --as-of "$NK_AS_OF" \
        --log-level info "$@" >>"$NK_TMP/nyckeld.log" 2>&1 &
    NK_PID=$!
    for _ in $(seq 1 100); do
        kill -0 "$NK_PID" 2>/dev/null || fail "nyckeld exited at start"
        if "$BUILD/nyckel-query" --query "$NK_QUERY" --timeout 200 \
            --municipality 0127 --domain eb --period 2014 --format json \
            "${NK_PROBE_ARGS[@]}" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    fail "nyckeld did not answer within 10 s"
}

# nk_stop: SIGTERM, and it must exit 0.
nk_stop() {
    kill -TERM "$NK_PID"
    local rc=0
    wait "$NK_PID" || rc=$?
    NK_PID=
    [ "$rc" -eq 0 ] || fail "nyckeld exited $rc after SIGTERM"
}

# nk_kill: SIGKILL, no questions.
nk_kill() {
    kill -KILL "$NK_PID" 2>/dev/null || true
    wait "$NK_PID" 2>/dev/null || true
    NK_PID=
}

nk_push() {
    "$BUILD/nyckel-push" --ingest "$NK_INGEST" --spool "$NK_TMP/spool" \
        "$@"
}

nk_query() {
    "$BUILD/nyckel-query" --query "$NK_QUERY" --timeout 5000 "$@"
}

# nk_metric PERIOD METRIC [SLICE-JQ-FILTER]: the value of one metric of
# the total slice of domain eb in municipality 0127.
nk_metric() {
    nk_query --municipality 0127 --domain eb --period "$1" --format json |
        jq -r ".metrics.$2"
}

# nk_snapshot [DOMAIN [ROLLUP...]]: every slice of 0127 in DOMAIN (eb)
# over a set of periods of every kind, totals and each ROLLUP (eb: unit
# age_band category), as sorted JSON lines without sequence numbers, for
# comparing two daemons' states.
# All in one nyckel-query --batch: a refused query fails it.
nk_snapshot() {
    local d=${1:-eb} p r
    shift || true
    local rollups=("$@")
    [ ${#rollups[@]} -gt 0 ] || rollups=(unit age_band category)
    for p in 2011 2012 2013 2014 2014-T1 2014-T2 2014-Q2 2014-Q3 2014-H1 \
        2014-03 2014-06 2014-08 2014-06-YTD 2014-08-YTD 2014-06-R12 \
        2014-08-R12 2015-03-R12; do
        echo "--municipality 0127 --domain $d --period $p"
        for r in "${rollups[@]}"; do
            echo "--municipality 0127 --domain $d --period $p --rollup $r"
        done
    done | nk_query --batch - --format json | jq -c 'del(.seq)' | sort
}

# nk_summary_field FILE WORD: the number before WORD ("accepted", ...)
# in nyckel-push's summary line in FILE.
nk_summary_field() {
    grep -E 'events read:' "$1" | tail -n 1 | grep -oE "[0-9]+ $2" | cut -d' ' -f1
}

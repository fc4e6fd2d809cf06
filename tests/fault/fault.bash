# tests/fault/fault.bash — for the integration scripts that run nyckeld
# under the nkfault LD_PRELOAD layer (tests/it/powerloss.sh,
# tests/it/io_faults.sh). Source it after tests/it/lib.bash.
#
#   flt_start [VAR=VALUE...]   start nyckeld under the layer (state in
#                              $NK_TMP/state, undo log $FLT_UNDO), with
#                              the extra environment given (NKFAULT_*,
#                              NYCKEL_TEST_NOSYNC=1, ...); flt_up is
#                              the same, and fails the test unless
#                              nyckeld answers
#   flt_powerloss [ARGS...]    SIGKILL nyckeld, then nkfault-rollback
#                              [ARGS...]: a power cut
#
# In a sanitizer build the sanitizer runtime is preloaded first (it
# must come first in the library list); the layer itself is not
# instrumented.

FLT_LIB=$BUILD/tests/libnkfault.so
FLT_ROLLBACK=$BUILD/tests/nkfault-rollback
[ -f "$FLT_LIB" ] && [ -x "$FLT_ROLLBACK" ] ||
    fail "$FLT_LIB or $FLT_ROLLBACK missing (make test builds them)"
FLT_PRELOAD=$FLT_LIB
flt_asan=$(ldd "$BUILD/nyckeld" 2>/dev/null | awk '/libasan\.so/ { print $3 }')
[ -z "$flt_asan" ] || FLT_PRELOAD=$flt_asan:$FLT_LIB
# canonical, so that the layer's prefix matches /proc/self/fd
FLT_TMP=$(cd "$NK_TMP" && pwd -P)
FLT_UNDO=$FLT_TMP/undo.log

# flt_start [VAR=VALUE...]: start (or restart) nyckeld under the layer
# and wait until it answers queries: 0. If it exits first: 1, NK_PID
# empty and FLT_EXIT its exit status. If it does not answer within
# FLT_WAIT_S seconds (10): 2, still running.
flt_start() {
    [ -n "${NK_INGEST:-}" ] || nk_ports
    env NKFAULT_DIR="$FLT_TMP/state" NKFAULT_UNDO="$FLT_UNDO" \
        LD_PRELOAD="$FLT_PRELOAD" "$@" \
        "$BUILD/nyckeld" --state-dir "$NK_TMP/state" --ingest "$NK_INGEST" \
        --pub "$NK_PUB" --query "$NK_QUERY" --as-of "$NK_AS_OF" \
        --log-level info >>"$NK_TMP/nyckeld.log" 2>&1 &
    NK_PID=$!
    FLT_EXIT=
    for _ in $(seq 1 $((${FLT_WAIT_S:-10} * 20))); do
        if ! kill -0 "$NK_PID" 2>/dev/null; then
            FLT_EXIT=0
            wait "$NK_PID" || FLT_EXIT=$?
            NK_PID=
            return 1
        fi
        if "$BUILD/nyckel-query" --query "$NK_QUERY" --timeout 200 \
            --municipality 0127 --domain eb --period 2014 --format json \
            >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    return 2
}

# flt_powerloss [ROLLBACK-ARGS...]: the power goes: nyckeld is killed
# (if it still runs) and whatever it wrote that was not durable is
# thrown away. The rollback's summary line goes to $NK_TMP/rollback.txt.
flt_powerloss() {
    nk_kill
    "$FLT_ROLLBACK" "$@" "$FLT_UNDO" >>"$NK_TMP/rollback.txt" ||
        fail "nkfault-rollback failed"
}

# flt_up WHAT [VAR=VALUE...]: flt_start, and nyckeld must answer.
flt_up() {
    local what=$1 rc=0
    shift
    flt_start "$@" || rc=$?
    case $rc in
    0) ;;
    1) fail "$what: nyckeld exited $FLT_EXIT at start" ;;
    *) fail "$what: nyckeld did not answer within ${FLT_WAIT_S:-10} s" ;;
    esac
}

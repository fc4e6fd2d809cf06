#!/usr/bin/env bash
# Bad peers: 100 MB frames, thousands of connect/disconnect cycles, an
# exporter that never reads its acks. nyckeld stays up, its memory stays
# bounded, and another exporter's batch is still acknowledged at once.
. "$(dirname "$0")/lib.bash"
P="$BUILD/tests/it_peers"
rss() { awk '/VmRSS/ {print $2}' "/proc/$NK_PID/status"; }

# Under AddressSanitizer freed memory waits in a quarantine (256 MB by
# default) that would read as growth: keep it small for this test.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8
nk_start
"$P" ack "$NK_INGEST" >/dev/null || fail "first ack"
rss0=$(rss)

"$P" big "$NK_INGEST" 100 || fail "it_peers big"
kill -0 "$NK_PID" || fail "nyckeld died on a 100 MB frame"
"$P" ack "$NK_INGEST" >/dev/null || fail "no ack after a 100 MB frame"
echo "ok: a 100 MB frame is dropped, nyckeld stays up and acks others"

"$P" churn "$NK_INGEST" 3000 || fail "it_peers churn"
kill -0 "$NK_PID" || fail "nyckeld died after 3000 connect/disconnect cycles"
"$P" ack "$NK_INGEST" >/dev/null || fail "no ack after the churn"
echo "ok: 3000 connect/send garbage/disconnect cycles"

"$P" deaf "$NK_INGEST" 5000 &
DEAF=$!
sleep 0.5
"$P" ack "$NK_INGEST" >/dev/null || fail "another exporter got no ack while a deaf one floods"
wait "$DEAF" || fail "it_peers deaf"
kill -0 "$NK_PID" || fail "nyckeld died with a deaf exporter"
echo "ok: an exporter that never reads its 5000 acks does not hold up another"

rss1=$(rss)
echo "ok: resident memory ${rss0} kB at start, ${rss1} kB after the bad peers"
[ "$rss1" -lt $((rss0 + 200000)) ] || fail "memory grew by more than 200 MB"
nk_stop

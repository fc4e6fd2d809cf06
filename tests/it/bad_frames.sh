#!/usr/bin/env bash
# A malformed protobuf frame, an oversized frame, a wrong protocol and a
# batch of mixed good and bad events: nyckeld stays up, good events are
# accepted, each bad one gets its reason (it_frames checks the replies).
. "$(dirname "$0")/lib.bash"
nk_start
"$BUILD/tests/it_frames" "$NK_INGEST" || fail "it_frames"
kill -0 "$NK_PID" || fail "nyckeld died"
# one line per batch with rejections, reason codes only
grep -q "ingest: batch 78: 5 of 8 events rejected: month_out_of_range 1, personnummer 1, unknown_enum 1, negative_amount 1, missing_field 1" "$NK_TMP/nyckeld.log" || fail "no refusal line for batch 78"
! grep -q "19800101" "$NK_TMP/nyckeld.log" || fail "a personnummer reached the log"
# the two good payments of 2014-05: 1234,00 + 1000,00 kr, one household
assert_eq "$(nk_metric 2014-05 paid)" 2234 "paid after the mixed batch"
assert_eq "$(nk_metric 2014-05 households)" 1 "households after the mixed batch"
nk_stop

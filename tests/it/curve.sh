#!/usr/bin/env bash
# CURVE authentication and scopes (issue 7): nyckeld with a server key
# and a keys file of an exporter of 0127, a subscriber of 0127 and an
# admin of every municipality.
#   - no key, a key not in the file: nothing gets in (push fails, the
#     totals do not move, a bare subscriber receives nothing);
#   - the exporter's events of 0180 are rejected one by one with
#     forbidden_municipality, its events of 0127 accepted; it may not
#     query;
#   - the subscriber of 0127, subscribed to everything with a bare ZeroMQ
#     socket (tests/it/it_rawsub.c) while the admin pushes to 0127 and
#     0180, receives 0127's updates and heartbeats and not one message of
#     0180; its query of 0180 is refused, of 0127 answered;
#   - each refused peer is logged once, however often it retries.
. "$(dirname "$0")/lib.bash"

K=$NK_TMP/keys
mkdir -p "$K"
for n in server exporter subscriber admin stranger; do
    (cd "$K" && "$OLDPWD/$BUILD/nyckel-keygen" "$n" >/dev/null 2>&1) ||
        fail "nyckel-keygen $n"
done
[ "$(stat -c %a "$K/server.key")" = 600 ] || fail "server.key is not mode 600"
{
    echo "# clients of the test"
    echo "$(grep -v '^#' "$K/exporter.pub") exporter 0127"
    echo "$(grep -v '^#' "$K/subscriber.pub") subscriber 0127"
    echo "$(grep -v '^#' "$K/admin.pub") admin *"
} >"$K/keys"

as() { # as NAME: the client options of key NAME
    echo --key "$K/$1.key" --server-key "$K/server.pub"
}
# nk_start probes with nyckel-query: as the admin
NK_PROBE_ARGS=($(as admin))
nk_start --curve-secret "$K/server.key" --keys "$K/keys"
grep -q "auth: CURVE on, 3 client keys" "$NK_TMP/nyckeld.log" ||
    fail "no 'CURVE on' line in the log"

pay() { # pay ID MUNICIPALITY AMOUNT_KR
    printf '{"kind":"payment","source":"curve","id":"%s","revision":1,"municipality":"%s","unit":"ekb","household":"hh-%s","month":"2014-03","paid_on":"2014-03-25","amount_ore":%s00,"category":"livsuppehalle","head_birth_year":1970}\n' \
        "$1" "$2" "$1" "$3"
}
paid() { # paid MUNICIPALITY: paid in 2014 as the admin sees it
    nk_query $(as admin) --municipality "$1" --domain eb --period 2014 \
        --format json | jq -r .metrics.paid
}

# the exporter: its own municipality in, another one rejected per event
{ pay e1 0127 100; pay e2 0180 200; pay e3 0127 300; } >"$NK_TMP/mixed.jsonl"
nk_push $(as exporter) "$NK_TMP/mixed.jsonl" >"$NK_TMP/push.txt" 2>&1 || true
assert_eq "$(nk_summary_field "$NK_TMP/push.txt" accepted)" 2 "exporter: events of 0127 accepted"
assert_eq "$(nk_summary_field "$NK_TMP/push.txt" rejected)" 1 "exporter: events of 0180 rejected"
grep -q forbidden_municipality "$NK_TMP/push.txt" ||
    fail "the rejection does not say forbidden_municipality: $(cat "$NK_TMP/push.txt")"
assert_eq "$(paid 0127)" 400 "0127 paid after the exporter's push"
assert_eq "$(paid 0180)" 0 "0180 untouched by the exporter"

# the admin pushes to both
{ pay a1 0127 1000; pay a2 0180 2000; } >"$NK_TMP/admin.jsonl"
nk_push $(as admin) "$NK_TMP/admin.jsonl" >"$NK_TMP/push.txt" 2>&1 ||
    fail "admin push: $(cat "$NK_TMP/push.txt")"
assert_eq "$(paid 0127)" 1400 "0127 paid after the admin's push"
assert_eq "$(paid 0180)" 2000 "0180 paid after the admin's push"

# no key, and a key nyckeld does not know: nothing gets in
pay x1 0127 99999 >"$NK_TMP/intruder.jsonl"
for who in none stranger; do
    if [ "$who" = none ]; then args=(); else args=($(as stranger)); fi
    rm -rf "$NK_TMP/spool-$who"
    if timeout 20 "$BUILD/nyckel-push" --ingest "$NK_INGEST" \
        --spool "$NK_TMP/spool-$who" --give-up 3 "${args[@]}" \
        "$NK_TMP/intruder.jsonl" >"$NK_TMP/push-$who.txt" 2>&1; then
        fail "push with key '$who' succeeded: $(cat "$NK_TMP/push-$who.txt")"
    fi
    echo "ok: push with key '$who' failed: $(tail -n 1 "$NK_TMP/push-$who.txt")"
    if nk_query "${args[@]}" --timeout 2000 --municipality 0127 --domain eb \
        --period 2014 --format json >/dev/null 2>&1; then
        fail "query with key '$who' was answered"
    fi
done
assert_eq "$(paid 0127)" 1400 "0127 paid after the intruders"

# query scopes
nk_query $(as subscriber) --municipality 0127 --domain eb --period 2014 \
    --format json >/dev/null || fail "the subscriber's query of 0127"
rc=0
nk_query $(as subscriber) --municipality 0180 --domain eb --period 2014 \
    --format json >/dev/null 2>"$NK_TMP/q.err" || rc=$?
[ "$rc" -ne 0 ] && grep -q forbidden_municipality "$NK_TMP/q.err" ||
    fail "the subscriber's query of 0180: exit $rc, $(cat "$NK_TMP/q.err")"
echo "ok: the subscriber's query of 0180 refused: $(head -n 1 "$NK_TMP/q.err")"
rc=0
nk_query $(as exporter) --municipality 0127 --domain eb --period 2014 \
    --format json >/dev/null 2>"$NK_TMP/q.err" || rc=$?
[ "$rc" -ne 0 ] && grep -q forbidden "$NK_TMP/q.err" ||
    fail "the exporter's query: exit $rc, $(cat "$NK_TMP/q.err")"
echo "ok: the exporter's query refused"

# live updates: raw subscribers while the admin pushes to both
"$BUILD/tests/it_rawsub" "$NK_PUB" 4 "" $(echo "$(as subscriber)" |
    awk '{print $2, $4}') >"$NK_TMP/sub.txt" &
sub_pid=$!
"$BUILD/tests/it_rawsub" "$NK_PUB" 4 "" >"$NK_TMP/anon.txt" &
anon_pid=$!
"$BUILD/tests/it_rawsub" "$NK_PUB" 4 "" $(echo "$(as stranger)" |
    awk '{print $2, $4}') >"$NK_TMP/stranger.txt" &
stranger_pid=$!
sleep 1.5
{ pay b1 0127 10; pay b2 0180 20; pay b3 0180 30; } >"$NK_TMP/live.jsonl"
nk_push $(as admin) "$NK_TMP/live.jsonl" >/dev/null 2>&1 || fail "live push"
wait "$sub_pid" "$anon_pid" "$stranger_pid"
n_0127=$(grep -c '^0127/' "$NK_TMP/sub.txt" || true)
n_0180=$(grep -c '^0180/' "$NK_TMP/sub.txt" || true)
n_beat=$(grep -c '^heartbeat$' "$NK_TMP/sub.txt" || true)
[ "$n_0127" -gt 0 ] || fail "the subscriber got no update of 0127"
[ "$n_beat" -gt 0 ] || fail "the subscriber got no heartbeat"
assert_eq "$n_0180" 0 "messages of 0180 the subscriber of 0127 received"
other=$(grep -vcE '^(0127/|heartbeat$|received )' "$NK_TMP/sub.txt" || true)
assert_eq "$other" 0 "other messages the subscriber received"
echo "ok: the subscriber of 0127 received $n_0127 updates of 0127 and $n_beat heartbeats"
assert_eq "$(tail -n 1 "$NK_TMP/anon.txt")" "received 0" "messages to a subscriber without a key"
assert_eq "$(tail -n 1 "$NK_TMP/stranger.txt")" "received 0" "messages to a subscriber with an unknown key"

# refusals: logged, once per peer (the intruders retried many times)
n=$(grep -c "auth: refused unknown key" "$NK_TMP/nyckeld.log" || true)
[ "$n" -ge 1 ] || fail "no refusal of the unknown key in the log"
s=$(grep -o "key [^ ]*" "$NK_TMP/nyckeld.log" | sort | uniq -d | head -n 1)
[ -z "$s" ] || fail "a refused key logged more than once: $s"
echo "ok: $n unknown-key refusals logged, none twice"
nk_stop
echo "ok: CURVE: no key and unknown keys get nothing in or out; scopes hold"

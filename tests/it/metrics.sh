#!/usr/bin/env bash
# Self-metrics (issue 7): nyckeld with --metrics-listen on a free
# loopback port.
#   - before anything: every counter 0, and the exposition is valid;
#   - a push with known outcomes (4 accepted, 1 duplicate, 1 stale, 2
#     rejected as bad_date and unknown_enum, in 2 batches): exact
#     counters, a commit histogram of 2, the sequence nyckel-query sees;
#   - it_frames' garbage, oversized and wrong-protocol frames: one batch
#     refused for each reason;
#   - the exposition passes `promtool check metrics` where promtool is
#     installed, and always a strict parser of format 0.0.4 below (which
#     must fail on broken texts: its negative controls);
#   - GET / is 404, POST /metrics 405, the content type is 0.0.4;
#   - nyckel-query --health --format json shows the same counts;
#   - two nyckel-watch subscriptions count while they run, not after;
#   - a second nyckeld on the same metrics port exits 1 saying why;
#   - with CURVE: health for an admin only ("forbidden" for a
#     subscriber), a subscriber's push refused as forbidden, a stranger's
#     handshake counted.
. "$(dirname "$0")/lib.bash"

nk_ports
# a port of its own, free, away from nk_ports' three
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((12000 + RANDOM % 20000))
        case "tcp://127.0.0.1:$p" in "$NK_INGEST" | "$NK_PUB" | "$NK_QUERY") continue ;; esac
        ss -ltn 2>/dev/null | grep -qE ":$p\b" || { echo "$p"; return 0; }
    done
    fail "no free port"
}
MP=$(free_port)
URL=http://127.0.0.1:$MP/metrics

scrape() { curl -sS --max-time 5 "$URL"; }
# m SAMPLE: the value of one sample line, e.g. m 'nyckel_events_total{status="stale"}'
m() { awk -v k="$1" '$1 == k { print $2; n++ } END { if (!n) print "none" }' "$NK_TMP/scrape.txt"; }

# A strict reader of the text exposition format 0.0.4: exit 0 when the
# file is valid, else 1 naming the first fault.
cat >"$NK_TMP/expo.py" <<'EOF'
import math, re, sys
NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*,?)?\})? (\S+)( -?\d+)?$'
                    % (NAME, LABEL, VALUE, LABEL, VALUE))
PAIR = re.compile(r'(%s)=(%s)' % (LABEL, VALUE))
def fault(n, why):
    print('line %d: %s' % (n, why)); sys.exit(1)
def num(s):
    if s in ('+Inf', 'Inf'): return math.inf
    if s == '-Inf': return -math.inf
    if s == 'NaN': return math.nan
    return float(s)
types, helps, done, series = {}, set(), set(), set()
current, hist = None, {}
text = open(sys.argv[1], encoding='utf-8').read()
if not text.endswith('\n'): fault(0, 'no final newline')
for n, line in enumerate(text.split('\n')[:-1], 1):
    if line.startswith('#'):
        p = line.split(' ', 3)
        if len(p) >= 3 and p[1] in ('HELP', 'TYPE'):
            if not re.fullmatch(NAME, p[2]): fault(n, 'bad name ' + p[2])
            if p[2] in done: fault(n, p[2] + ' comes back after other metrics')
            if p[1] == 'HELP':
                if p[2] in helps: fault(n, 'second HELP of ' + p[2])
                helps.add(p[2])
            else:
                if p[2] in types: fault(n, 'second TYPE of ' + p[2])
                if len(p) != 4 or p[3] not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):
                    fault(n, 'bad TYPE line')
                if p[2] not in helps: fault(n, 'TYPE before HELP of ' + p[2])
                types[p[2]] = p[3]
            if current and current != p[2]: done.add(current)
            current = p[2]
        continue
    if not line: fault(n, 'empty line')
    s = SAMPLE.match(line)
    if not s: fault(n, 'not a sample: ' + line)
    name, labels, value = s.group(1), s.group(2) or '', s.group(3)
    try: v = num(value)
    except ValueError: fault(n, 'bad value ' + value)
    fam = name
    for suf in ('_bucket', '_sum', '_count'):
        if name.endswith(suf) and types.get(name[:-len(suf)]) == 'histogram':
            fam = name[:-len(suf)]
    if fam not in types: fault(n, name + ' has no TYPE')
    if fam != current: fault(n, name + ' outside its family')
    if types[fam] == 'counter':
        if not name.endswith('_total'): fault(n, 'counter without _total: ' + name)
        if not v >= 0: fault(n, 'negative counter')
    pairs = PAIR.findall(labels)
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names): fault(n, 'label twice')
    key = (name, tuple(sorted(pairs)))
    if key in series: fault(n, 'series twice: ' + line)
    series.add(key)
    if types[fam] == 'histogram':
        h = hist.setdefault(fam, {'le': [], 'sum': None, 'count': None})
        if name.endswith('_bucket'):
            le = dict(pairs).get('le')
            if le is None: fault(n, 'bucket without le')
            h['le'].append((num(le[1:-1]), v))
        elif name.endswith('_sum'): h['sum'] = v
        else: h['count'] = v
for fam, h in hist.items():
    les = h['le']
    if not les or les[-1][0] != math.inf: fault(0, fam + ': no +Inf bucket')
    if any(a[0] >= b[0] for a, b in zip(les, les[1:])): fault(0, fam + ': le not increasing')
    if any(a[1] > b[1] for a, b in zip(les, les[1:])): fault(0, fam + ': buckets not cumulative')
    if h['count'] is None or h['sum'] is None: fault(0, fam + ': no _sum or _count')
    if les[-1][1] != h['count']: fault(0, fam + ': +Inf bucket is not _count')
print('valid: %d families, %d samples' % (len(types), len(series)))
EOF
check_expo() { # check_expo FILE: the parser, and promtool where there is one
    python3 "$NK_TMP/expo.py" "$1" || fail "exposition invalid: $(cat "$1")"
    if command -v promtool >/dev/null 2>&1; then
        promtool check metrics <"$1" || fail "promtool check metrics"
        echo "ok: promtool check metrics"
    fi
}

# the parser's negative controls: each broken text must be refused
printf '# HELP a_total x\n# TYPE a_total counter\na_total 1\n' >"$NK_TMP/good.txt"
python3 "$NK_TMP/expo.py" "$NK_TMP/good.txt" >/dev/null || fail "parser refuses a valid text"
bad=0
for b in 'a_total{l="x\\t"} 1' 'a_total{l="x"}} 1' 'a_total one' 'b_total 1' 'a_total 1\na_total 2'; do
    printf "# HELP a_total x\n# TYPE a_total counter\n$b\n" >"$NK_TMP/bad.txt"
    if python3 "$NK_TMP/expo.py" "$NK_TMP/bad.txt" >/dev/null; then
        fail "parser accepts a broken text: $b"
    fi
    bad=$((bad + 1))
done
printf '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n' >"$NK_TMP/bad.txt"
! python3 "$NK_TMP/expo.py" "$NK_TMP/bad.txt" >/dev/null || fail "parser accepts falling buckets"
echo "ok: the parser refuses $((bad + 1)) broken texts"

nk_start --metrics-listen "127.0.0.1:$MP"
grep -q "metrics: serving http://127.0.0.1:$MP/metrics" "$NK_TMP/nyckeld.log" ||
    fail "no 'metrics: serving' line in the log"

# before any push
scrape >"$NK_TMP/scrape.txt"
check_expo "$NK_TMP/scrape.txt"
assert_eq "$(m nyckel_events_received_total)" 0 "events received at start"
assert_eq "$(m nyckel_batches_accepted_total)" 0 "batches at start"
assert_eq "$(m nyckel_sequence)" 0 "sequence at start"
assert_eq "$(m nyckel_store_map_size_bytes)" 16777216 "map size at start (16 MiB)"
assert_eq "$(m nyckel_store_max_size_bytes)" 68719476736 "map ceiling (64 GiB)"

# a push with known outcomes, 4 events a batch:
#   u-1 u-2 u-3 accepted, u-1 again a duplicate;
#   u-4 bad_date (30 February), u-5 unknown_enum (category), u-6
#   revision 2 accepted, u-6 revision 1 stale.
pay() { # pay ID REVISION PAID_ON CATEGORY
    printf '{"kind":"payment","source":"met","id":"%s","revision":%s,"municipality":"0127","unit":"ekb","household":"hh-%s","month":"2014-02","paid_on":"%s","amount_ore":100000,"category":"%s","head_birth_year":1970}\n' \
        "$1" "$2" "$1" "$3" "$4"
}
{
    pay u-1 1 2014-02-25 livsuppehalle
    pay u-2 1 2014-02-25 livsuppehalle
    pay u-3 1 2014-02-25 boende
    pay u-1 1 2014-02-25 livsuppehalle
    pay u-4 1 2014-02-30 livsuppehalle
    pay u-5 1 2014-02-25 fika
    pay u-6 2 2014-02-25 ovrigt
    pay u-6 1 2014-02-25 ovrigt
} >"$NK_TMP/events.jsonl"
rc=0
nk_push --batch-size 4 "$NK_TMP/events.jsonl" >"$NK_TMP/push.txt" 2>&1 || rc=$?
assert_eq "$rc" 2 "nyckel-push exit (something rejected)"
assert_eq "$(nk_summary_field "$NK_TMP/push.txt" accepted)" 4 "accepted per nyckel-push"

scrape >"$NK_TMP/scrape.txt"
check_expo "$NK_TMP/scrape.txt"
assert_eq "$(m nyckel_events_received_total)" 8 "events received"
assert_eq "$(m 'nyckel_events_total{status="accepted"}')" 4 "events accepted"
assert_eq "$(m 'nyckel_events_total{status="duplicate"}')" 1 "events duplicate"
assert_eq "$(m 'nyckel_events_total{status="stale"}')" 1 "events stale"
assert_eq "$(m 'nyckel_events_total{status="rejected"}')" 2 "events rejected"
assert_eq "$(m 'nyckel_events_rejected_total{reason="bad_date"}')" 1 "rejected bad_date"
assert_eq "$(m 'nyckel_events_rejected_total{reason="unknown_enum"}')" 1 "rejected unknown_enum"
other=$(awk '/^nyckel_events_rejected_total/ && $1 !~ /bad_date|unknown_enum/ { s += $2 } END { print s + 0 }' "$NK_TMP/scrape.txt")
assert_eq "$other" 0 "rejected for any other reason"
assert_eq "$(m nyckel_batches_accepted_total)" 2 "batches accepted"
assert_eq "$(m nyckel_batch_commit_seconds_count)" 2 "commits timed"
assert_eq "$(m 'nyckel_batch_commit_seconds_bucket{le="+Inf"}')" 2 "commits in the +Inf bucket"
refused=$(awk '/^nyckel_batches_refused_total/ { s += $2 } END { print s + 0 }' "$NK_TMP/scrape.txt")
assert_eq "$refused" 0 "batches refused"
seq=$(nk_query --municipality 0127 --domain eb --period 2014 --format json | jq -r .seq)
[ "$seq" -gt 0 ] || fail "no sequence after the push"
assert_eq "$(m nyckel_sequence)" "$seq" "sequence = the query's"
used=$(m nyckel_store_used_bytes)
[ "$used" -gt 0 ] && [ "$used" -le 16777216 ] || fail "store used bytes: $used"
echo "ok: store used $used bytes"
assert_eq "$(m nyckel_subscriptions)" 0 "subscriptions with no subscriber"

# health over the query socket: the same counts
nk_query --health --format json >"$NK_TMP/health.json" || fail "nyckel-query --health"
h() { jq -r "$1" "$NK_TMP/health.json"; }
assert_eq "$(h .events.received)" 8 "health: events received"
assert_eq "$(h '[.events.accepted, .events.duplicate, .events.stale, .events.rejected] | join(",")')" 4,1,1,2 "health: events by status"
assert_eq "$(h .rejected.bad_date),$(h .rejected.unknown_enum)" 1,1 "health: rejected by reason"
assert_eq "$(h '[.rejected[]] | add')" 2 "health: rejected in all"
assert_eq "$(h .batches.accepted)" 2 "health: batches accepted"
assert_eq "$(h '[.batches.refused[]] | add')" 0 "health: batches refused"
assert_eq "$(h .seq)" "$seq" "health: sequence"
assert_eq "$(h .store.map_bytes)" 16777216 "health: map size"
assert_eq "$(h .version)" "$("$BUILD/nyckeld" --version | awk '{print $2}')" "health: version"
[ "$(h .uptime_ms)" -ge 0 ] && [ "$(h .start_unix_ms)" -gt 1600000000000 ] ||
    fail "health: uptime or start time: $(cat "$NK_TMP/health.json")"
nk_query --health >"$NK_TMP/health.txt" || fail "nyckel-query --health (table)"
grep -qE '^events received +8$' "$NK_TMP/health.txt" &&
    grep -qE '^ +bad_date +1$' "$NK_TMP/health.txt" ||
    fail "health table: $(cat "$NK_TMP/health.txt")"
echo "ok: health table"
rc=0
nk_query --health --municipality 0127 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "--health with a query option: usage error"

# refused batches: it_frames' garbage, 2 MiB and protocol-2 frames
"$BUILD/tests/it_frames" "$NK_INGEST" >"$NK_TMP/frames.txt" || fail "it_frames: $(cat "$NK_TMP/frames.txt")"
scrape >"$NK_TMP/scrape.txt"
check_expo "$NK_TMP/scrape.txt"
for r in malformed oversized protocol; do
    assert_eq "$(m "nyckel_batches_refused_total{reason=\"$r\"}")" 1 "batches refused as $r"
done
assert_eq "$(m 'nyckel_batches_refused_total{reason="internal"}')" 0 "batches refused as internal"

# other paths and methods
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
assert_eq "$(code "http://127.0.0.1:$MP/")" 404 "GET /"
assert_eq "$(code "http://127.0.0.1:$MP/metrics/x")" 404 "GET /metrics/x"
assert_eq "$(code -X POST "$URL")" 405 "POST /metrics"
assert_eq "$(code -X DELETE "$URL")" 405 "DELETE /metrics"
ctype=$(curl -s -o /dev/null -w '%{content_type}' --max-time 5 "$URL")
case "$ctype" in "text/plain; version=0.0.4"*) echo "ok: content type $ctype" ;;
*) fail "content type: $ctype" ;; esac

# subscriptions: two live nyckel-watch (a prefix and heartbeat each)
watchers=()
for d in eb pl; do
    "$BUILD/nyckel-watch" --query "$NK_QUERY" --pub "$NK_PUB" --municipality 0127 \
        --domain "$d" --period 2014 --for 2 --format json >/dev/null 2>&1 &
    watchers+=($!)
done
sleep 1
scrape >"$NK_TMP/scrape.txt"
assert_eq "$(m nyckel_subscriptions)" 4 "subscriptions of two watchers"
wait "${watchers[@]}" || fail "nyckel-watch failed"
sleep 0.3
scrape >"$NK_TMP/scrape.txt"
assert_eq "$(m nyckel_subscriptions)" 0 "subscriptions after they left"

# the metrics port taken: a second nyckeld says so and exits 1
P2=$(free_port)
rc=0
timeout 10 "$BUILD/nyckeld" --state-dir "$NK_TMP/state2" --ingest "tcp://127.0.0.1:$P2" \
    --pub "tcp://127.0.0.1:$((P2 + 1))" --query "tcp://127.0.0.1:$((P2 + 2))" \
    --metrics-listen "127.0.0.1:$MP" >"$NK_TMP/second.log" 2>&1 || rc=$?
assert_eq "$rc" 1 "second nyckeld on a taken metrics port: exit"
grep -q "metrics: bind 127.0.0.1:$MP: Address already in use" "$NK_TMP/second.log" ||
    fail "second nyckeld's log: $(cat "$NK_TMP/second.log")"
echo "ok: $(grep 'metrics: bind' "$NK_TMP/second.log" | cut -d' ' -f4-)"
kill -0 "$NK_PID" || fail "nyckeld died"
nk_stop

# with CURVE: health for an admin only
K=$NK_TMP/keys
mkdir -p "$K"
for n in server subscriber admin stranger; do
    (cd "$K" && "$OLDPWD/$BUILD/nyckel-keygen" "$n" >/dev/null 2>&1) || fail "nyckel-keygen $n"
done
{
    echo "$(grep -v '^#' "$K/subscriber.pub") subscriber 0127"
    echo "$(grep -v '^#' "$K/admin.pub") admin *"
} >"$K/keys"
as() { echo --key "$K/$1.key" --server-key "$K/server.pub"; }
NK_PROBE_ARGS=($(as admin))
nk_start --curve-secret "$K/server.key" --keys "$K/keys" --metrics-listen "127.0.0.1:$MP"
rc=0
nk_query $(as subscriber) --health >/dev/null 2>"$NK_TMP/q.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "forbidden" "$NK_TMP/q.err" ||
    fail "the subscriber's health query: exit $rc, $(cat "$NK_TMP/q.err")"
echo "ok: the subscriber's health query refused: $(head -n 1 "$NK_TMP/q.err")"
pay s-1 1 2014-02-25 boende >"$NK_TMP/sub.jsonl"
nk_push $(as subscriber) --give-up 3 "$NK_TMP/sub.jsonl" >/dev/null 2>&1 || true
nk_query $(as stranger) --timeout 2000 --health >/dev/null 2>&1 &&
    fail "a stranger's health query was answered"
nk_query $(as admin) --health --format json >"$NK_TMP/health.json" ||
    fail "the admin's health query"
assert_eq "$(h .batches.refused.forbidden)" 1 "health: the subscriber's batch refused as forbidden"
[ "$(h .handshakes_refused)" -ge 1 ] || fail "health: no refused handshake counted"
echo "ok: health: $(h .handshakes_refused) handshakes refused"
scrape >"$NK_TMP/scrape.txt"
check_expo "$NK_TMP/scrape.txt"
assert_eq "$(m 'nyckel_batches_refused_total{reason="forbidden"}')" 1 "metrics: batches refused as forbidden"
[ "$(m nyckel_handshakes_refused_total)" -ge 1 ] || fail "metrics: no refused handshake"
nk_stop
echo "ok: self-metrics"

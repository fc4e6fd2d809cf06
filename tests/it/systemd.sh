#!/usr/bin/env bash
# systemd: the unit rates 2.0 or better ("OK") in `systemd-analyze
# security --offline=true` and verifies clean; nyckeld speaks sd_notify
# as its Type=notify unit expects: READY=1 once, and only when its ports
# accept; WATCHDOG=1 at half of WATCHDOG_USEC, and none when
# WATCHDOG_PID names another process; STATUS= with the sequence, its
# rate and the as-of day; STOPPING=1 after SIGTERM. No systemd runs
# here: a python3 receiver stands in for it on a datagram socket, once
# on a path and once on an abstract ('@') address.
. "$(dirname "$0")/lib.bash"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
UNIT=$ROOT/systemd/nyckeld.service
NYCKELD=$(cd "$(dirname "$BUILD/nyckeld")" && pwd)/nyckeld
RECV_PID=

sd_cleanup() {
    if [ -n "$RECV_PID" ]; then
        kill "$RECV_PID" 2>/dev/null || true
        wait "$RECV_PID" 2>/dev/null || true
    fi
    nk_cleanup
}
trap sd_cleanup EXIT

command -v systemd-analyze >/dev/null ||
    fail "systemd-analyze is missing: 'make deps' installs it (package systemd in DEB_PKGS)"

# --- 1. the unit: exposure score and verify -------------------------------

# exposure UNITFILE: the "Overall exposure level" number, e.g. 1.0.
exposure() {
    local out
    out=$(systemd-analyze security --offline=true --no-pager "$1" 2>&1) ||
        fail "systemd-analyze security $1 failed: $out"
    echo "$out" | grep -oE 'Overall exposure level for [^:]+: [0-9]+\.[0-9]+' |
        grep -oE '[0-9]+\.[0-9]+$' || fail "no exposure level in: $out"
}

score=$(exposure "$UNIT")
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
    fail "systemd/nyckeld.service exposure $score, want 2.0 or lower"
echo "ok: systemd/nyckeld.service exposure $score (<= 2.0, OK)"

# Negative control: without its hardening the same service rates badly,
# so the parse above reads a real number.
mkdir -p "$NK_TMP/weak"
printf '[Service]\nType=notify\nExecStart=%s\n' "$NYCKELD" \
    >"$NK_TMP/weak/nyckeld.service"
weak=$(exposure "$NK_TMP/weak/nyckeld.service")
awk -v s="$weak" 'BEGIN { exit !(s > 2.0) }' ||
    fail "negative control: an unhardened unit rates $weak, want > 2.0"
echo "ok: negative control: an unhardened unit rates $weak"

# verify checks ExecStart='s binary, which `make install` puts in
# $(PREFIX)/bin: point it at the one under test. A known-good unit first
# shows whether verify works offline here at all.
mkdir -p "$NK_TMP/ok" "$NK_TMP/unit" "$NK_TMP/typo"
printf '[Service]\nExecStart=/bin/true\n' >"$NK_TMP/ok/nk-control.service"
if ctl=$(systemd-analyze verify "$NK_TMP/ok/nk-control.service" 2>&1) &&
    [ -z "$ctl" ]; then
    sed "s|^ExecStart=/usr/local/bin/nyckeld|ExecStart=$NYCKELD|" "$UNIT" \
        >"$NK_TMP/unit/nyckeld.service"
    grep -q "^ExecStart=$NYCKELD " "$NK_TMP/unit/nyckeld.service" ||
        fail "the unit's ExecStart= is not /usr/local/bin/nyckeld (make install rewrites that path)"
    rc=0
    out=$(systemd-analyze verify "$NK_TMP/unit/nyckeld.service" 2>&1) || rc=$?
    [ "$rc" -eq 0 ] && [ -z "$out" ] ||
        fail "systemd-analyze verify (exit $rc): $out"
    echo "ok: systemd-analyze verify: no complaint"
    # Negative control: a misspelt key is reported.
    sed 's/^NotifyAccess=/NotifyAcces=/' "$NK_TMP/unit/nyckeld.service" \
        >"$NK_TMP/typo/nyckeld.service"
    out=$(systemd-analyze verify "$NK_TMP/typo/nyckeld.service" 2>&1) || true
    [ -n "$out" ] || fail "negative control: verify did not report a misspelt key"
    echo "ok: negative control: verify reports a misspelt key"
else
    echo "skip: systemd-analyze verify: it fails here even on a trivial unit" \
        "(needs a running systemd?): $ctl"
fi

# The dedicated user: nyckel.sysusers, applied by systemd-sysusers to an
# empty root, makes the User= and Group= of the unit, without a login,
# at home in its StateDirectory=.
mkdir -p "$NK_TMP/root/etc" "$NK_TMP/root/usr/lib/sysusers.d"
cp "$ROOT/systemd/nyckel.sysusers" "$NK_TMP/root/usr/lib/sysusers.d/nyckel.conf"
out=$(systemd-sysusers --root="$NK_TMP/root" 2>&1) ||
    fail "systemd-sysusers on systemd/nyckel.sysusers: $out"
user=$(sed -n 's/^User=//p' "$UNIT")
group=$(sed -n 's/^Group=//p' "$UNIT")
state=/var/lib/$(sed -n 's/^StateDirectory=//p' "$UNIT")
pw=$(grep "^$user:" "$NK_TMP/root/etc/passwd") ||
    fail "systemd/nyckel.sysusers does not make the unit's User=$user"
grep -q "^$group:" "$NK_TMP/root/etc/group" ||
    fail "systemd/nyckel.sysusers does not make the unit's Group=$group"
assert_eq "$(echo "$pw" | cut -d: -f6)" "$state" "home of $user"
assert_eq "$(echo "$pw" | cut -d: -f7)" /usr/sbin/nologin "shell of $user"
if grep -q '^DynamicUser=yes' "$UNIT"; then fail "the unit still has DynamicUser=yes"; fi

# --- 2. sd_notify ----------------------------------------------------------

# A stand-in for systemd's notify socket: each datagram's lines, one per
# line with the monotonic arrival time; on READY=1, at once, whether
# each of nyckeld's ports accepts a TCP connection.
cat >"$NK_TMP/recv.py" <<'EOF'
import socket, sys, time
addr, out, ports = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        data = s.recv(4096)
        t = time.monotonic()
        lines = data.decode("utf-8", "replace").split("\n")
        for line in lines:
            if line:
                f.write("%.3f %s\n" % (t, line))
        if "READY=1" in lines:
            refused = []
            for p in ports:
                try:
                    socket.create_connection(("127.0.0.1", int(p)), 1).close()
                except OSError:
                    refused.append(p)
            f.write("%.3f PORTS %s\n" % (t, "refused " + ",".join(refused)
                                         if refused else "accept"))
EOF

nk_ports
port() { echo "${1##*:}"; }
PORTS=$(port "$NK_INGEST"),$(port "$NK_PUB"),$(port "$NK_QUERY")

# start_notified SOCKET OUT WATCHDOG_PID: receiver on SOCKET writing OUT,
# then nyckeld with NOTIFY_SOCKET=SOCKET, WATCHDOG_USEC=400000 and
# WATCHDOG_PID=WATCHDOG_PID ("self": nyckeld's own pid, which the
# wrapper shell hands on by exec).
start_notified() {
    python3 "$NK_TMP/recv.py" "$1" "$2" "$PORTS" &
    RECV_PID=$!
    for _ in $(seq 1 50); do
        grep -q '^listening$' "$2" 2>/dev/null && break
        sleep 0.1
    done
    grep -q '^listening$' "$2" 2>/dev/null || fail "the notify receiver did not start"
    NOTIFY_SOCKET=$1 WATCHDOG_USEC=400000 WD=$3 bash -c \
        'if [ "$WD" = self ]; then WATCHDOG_PID=$$; else WATCHDOG_PID=$WD; fi
         export WATCHDOG_PID; unset WD; exec "$@"' nyckeld \
        "$BUILD/nyckeld" --state-dir "$NK_TMP/state" --ingest "$NK_INGEST" \
        --pub "$NK_PUB" --query "$NK_QUERY" --as-of "$NK_AS_OF" \
        --log-level info >>"$NK_TMP/nyckeld.log" 2>&1 &
    NK_PID=$!
}

# wait_line OUT REGEX WHAT: wait up to 10 s for a line of OUT.
wait_line() {
    for _ in $(seq 1 100); do
        grep -qE "$2" "$1" && return 0
        sleep 0.1
    done
    fail "no $3 within 10 s; got: $(tr '\n' '|' <"$1")"
}

stop_notified() {
    kill -TERM "$NK_PID"
    local rc=0
    wait "$NK_PID" || rc=$?
    NK_PID=
    assert_eq "$rc" 0 "exit status after SIGTERM"
    wait_line "$1" '^[0-9.]+ STOPPING=1$' "STOPPING=1 after SIGTERM"
    grep -qE '^[0-9.]+ STATUS=stopping: SIGTERM$' "$1" ||
        fail "no 'STATUS=stopping: SIGTERM' with STOPPING=1"
    echo "ok: STOPPING=1 and STATUS=stopping: SIGTERM after SIGTERM"
    kill "$RECV_PID" 2>/dev/null || true
    wait "$RECV_PID" 2>/dev/null || true
    RECV_PID=
}

# Run 1: a socket path, the watchdog ours.
OUT=$NK_TMP/notify1.txt
start_notified "$NK_TMP/notify.sock" "$OUT" self
wait_line "$OUT" '^[0-9.]+ READY=1$' "READY=1"
wait_line "$OUT" ' PORTS ' "port check after READY=1"
grep -q ' PORTS accept$' "$OUT" ||
    fail "READY=1 came before the ports accepted: $(grep ' PORTS ' "$OUT")"
echo "ok: READY=1, and at that moment ingest, pub and query accept"
nk_query --municipality 0127 --domain eb --period 2014 \
    --format json >/dev/null || fail "no answer to a query after READY=1"
echo "ok: query answered after READY=1"
t_ready=$(awk '$2 == "READY=1" { print $1; exit }' "$OUT")
grep -E "^$t_ready STATUS=serving; seq [0-9]+; as-of $NK_AS_OF$" "$OUT" >/dev/null ||
    fail "no 'STATUS=serving; seq N; as-of $NK_AS_OF' with READY=1: $(grep ' STATUS=' "$OUT" || true)"
echo "ok: STATUS= with READY=1: $(grep -m1 ' STATUS=' "$OUT" | cut -d' ' -f2-)"

sleep 1.6
n_wd=$(awk -v r="$t_ready" '$2 == "WATCHDOG=1" && $1 > r && $1 <= r + 1.5' \
    "$OUT" | wc -l)
[ "$n_wd" -ge 2 ] ||
    fail "$n_wd WATCHDOG=1 in the 1.5 s after READY=1 (WATCHDOG_USEC=400000: every 200 ms), want >= 2"
gap=$(awk -v r="$t_ready" '$2 == "WATCHDOG=1" && $1 >= r {
        if (p != "" && $1 - p > m) m = $1 - p; p = $1 }
        END { printf "%d", m * 1000 }' "$OUT")
echo "ok: $n_wd WATCHDOG=1 in the 1.5 s after READY=1 (longest gap ${gap} ms, limit 400)"

"$BUILD/nyckel-gen" --seed 7 --households 40 --from 2014-01 --to 2014-03 \
    >"$NK_TMP/events.jsonl"
nk_push "$NK_TMP/events.jsonl" 2>"$NK_TMP/push.txt" || fail "push failed"
wait_line "$OUT" '^[0-9.]+ STATUS=serving; seq [1-9][0-9]*, [0-9.]+ updates/s since start; as-of ' \
    "STATUS= with the sequence after a push"
echo "ok: $(grep -E ' STATUS=serving; seq [1-9]' "$OUT" | tail -n 1 | cut -d' ' -f2-)"
stop_notified "$OUT"
assert_eq "$(grep -c ' READY=1$' "$OUT")" 1 "READY=1 datagrams"

# Run 2 (also the watchdog's negative control): an abstract socket, and
# WATCHDOG_PID naming another process, so nyckeld must not ping.
OUT=$NK_TMP/notify2.txt
start_notified "@nyckel-it-$$-$RANDOM" "$OUT" 1
wait_line "$OUT" '^[0-9.]+ READY=1$' "READY=1 on an abstract socket"
grep -q ' PORTS accept$' "$OUT" || fail "READY=1 came before the ports accepted"
echo "ok: READY=1 on an abstract socket"
sleep 0.7
n_wd=$(grep -c ' WATCHDOG=1$' "$OUT" || true)
assert_eq "$n_wd" 0 "WATCHDOG=1 when WATCHDOG_PID is another process"
stop_notified "$OUT"
grep -q "notify: ready; watchdog every 200 ms" "$NK_TMP/nyckeld.log" ||
    fail "no 'notify: ready; watchdog every 200 ms' in the log"
grep -q "notify: ready; no watchdog" "$NK_TMP/nyckeld.log" ||
    fail "no 'notify: ready; no watchdog' in the log"
echo "ok: the log says when the watchdog is on and when not"

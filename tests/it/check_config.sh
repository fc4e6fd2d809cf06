#!/usr/bin/env bash
# The configuration file and --check-config (issue 7), with the real
# nyckeld:
#   - the example systemd/nyckeld.conf passes --check-config (its state
#     directory overridden by a writable one), and each of its
#     commented-out settings is the built-in default: uncommented, it
#     checks to the same effective settings as no file at all; it shows
#     every setting there is;
#   - precedence file < environment < command line, seen in the printed
#     settings; NYCKEL_CONFIG names the file when --config does not;
#   - a broken file fails with exit 2 and FILE:LINE in the message,
#     unreadable files and NUL bytes too;
#   - missing or bad key files, a state directory that cannot be made and
#     an ipc endpoint in no directory fail with exit 1 and say why,
#     without creating anything; a keys file that does not parse is
#     refused by the daemon's own parser;
#   - nyckeld started with --config runs and answers: the file's CURVE
#     key files, given relative to the file, are in force (a query without
#     a key is not answered), and the command line's endpoints win over
#     the file's.
. "$(dirname "$0")/lib.bash"

N=$BUILD/nyckeld
EXAMPLE=systemd/nyckeld.conf
C=$NK_TMP/conf
mkdir -p "$C"

# check ARGS...: nyckeld --check-config ARGS, stdout in $C/out, stderr in
# $C/err, the exit status in $rc
check() {
    rc=0
    "$N" --check-config "$@" >"$C/out" 2>"$C/err" || rc=$?
}

# expect_rc WANT WHAT: $rc is WANT
expect_rc() {
    [ "$rc" = "$1" ] ||
        fail "$2: exit $rc, want $1; stdout: $(cat "$C/out"); stderr: $(cat "$C/err")"
}

# expect_err TEXT WHAT: stderr holds TEXT (fixed string)
expect_err() {
    grep -qF -- "$1" "$C/err" ||
        fail "$2: stderr lacks '$1': $(cat "$C/err")"
    echo "ok: $2: $1"
}

# setting KEY: its value in the last --check-config's stdout
setting() {
    sed -n "s/^$1 = \{0,1\}//p" "$C/out"
}

# --- the example -------------------------------------------------------
[ -f "$EXAMPLE" ] || fail "no $EXAMPLE"
check --config "$EXAMPLE" --state-dir "$NK_TMP/state"
expect_rc 0 "the example passes --check-config"
assert_eq "$(head -n 1 "$C/out")" "nyckeld: configuration OK" "first line"
assert_eq "$(setting state-dir)" "$NK_TMP/state" "state-dir from argv over the example's"
[ ! -e "$NK_TMP/state" ] || fail "--check-config made the state directory"
grep -q '^state-dir = /var/lib/nyckel$' "$EXAMPLE" ||
    fail "the example does not set state-dir = /var/lib/nyckel"

# every setting the daemon prints is in the example, commented or not
keys=$(sed -n 's/^\([a-z-]*\) =.*/\1/p' "$C/out")
assert_eq "$(echo "$keys" | wc -l)" 14 "settings printed"
for k in $keys; do
    grep -qE "^#?$k =" "$EXAMPLE" || fail "the example lacks $k"
done
echo "ok: the example shows all $(echo "$keys" | wc -l) settings"

# its commented-out values are the built-in defaults
sed 's/^#\([a-z-]* =\)/\1/' "$EXAMPLE" >"$C/uncommented.conf"
[ "$(grep -cE '^[a-z-]+ =' "$C/uncommented.conf")" = 14 ] ||
    fail "uncommenting the example did not give 14 settings"
check --config "$C/uncommented.conf" --state-dir "$NK_TMP/state"
expect_rc 0 "the example uncommented"
tail -n +3 "$C/out" >"$C/with-file"
check --state-dir "$NK_TMP/state"
expect_rc 0 "no file"
tail -n +3 "$C/out" >"$C/without-file"
diff -u "$C/without-file" "$C/with-file" ||
    fail "the example's commented values differ from the defaults"
echo "ok: the example's commented values are the built-in defaults"

# --- precedence --------------------------------------------------------
cat >"$C/p.conf" <<'EOF'
[nyckeld]
state-dir = state
log-level = debug
as-of = 2014-01-01
max-db-size = 1G
map-resident = 0
EOF
check --config "$C/p.conf"
expect_rc 0 "precedence: file"
assert_eq "$(setting state-dir)" "$C/state" "state-dir relative to the file's directory"
assert_eq "$(setting log-level)" debug "log-level from the file"
assert_eq "$(setting as-of)" 2014-01-01 "as-of from the file"
assert_eq "$(setting max-db-size)" 1G "max-db-size from the file"
assert_eq "$(setting map-resident)" 0 "map-resident 0 (never trim) from the file"
assert_eq "$(grep '^# configuration file' "$C/out")" "# configuration file: $C/p.conf" "file named"
rc=0
NYCKEL_LOG_LEVEL=warn NYCKEL_AS_OF=2014-06-30 "$N" --check-config \
    --config "$C/p.conf" --as-of 2015-01-01 >"$C/out" 2>"$C/err" || rc=$?
expect_rc 0 "precedence: environment and argv"
assert_eq "$(setting log-level)" warn "log-level: environment over file"
assert_eq "$(setting as-of)" 2015-01-01 "as-of: argv over environment over file"
rc=0
(cd / && NYCKEL_CONFIG=$C/p.conf "$OLDPWD/$N" --check-config) \
    >"$C/out" 2>"$C/err" || rc=$?
expect_rc 0 "NYCKEL_CONFIG"
assert_eq "$(setting log-level)" debug "NYCKEL_CONFIG names the file"
assert_eq "$(setting state-dir)" "$C/state" "relative to the file, whatever the working directory"

# --- broken files: exit 2, FILE:LINE -----------------------------------
printf '[nyckeld]\n# a comment\nstat-dir = /srv\n' >"$C/b.conf"
check --config "$C/b.conf"
expect_rc 2 "unknown key"
expect_err "nyckeld: $C/b.conf:3: unknown setting 'stat-dir'" "unknown key"
printf '[nyckeld]\nmax-db-size = 1.5G\n' >"$C/b.conf"
check --config "$C/b.conf"
expect_rc 2 "bad value"
expect_err "nyckeld: $C/b.conf:2: max-db-size: '1.5G' is not a size" "bad value"
printf '[nyckled]\n' >"$C/b.conf"
check --config "$C/b.conf"
expect_rc 2 "unknown section"
expect_err "nyckeld: $C/b.conf:1: unknown section '[nyckled]'" "unknown section"
printf '[nyckeld]\nlog-level = info\nlog-level = debug\n' >"$C/b.conf"
check --config "$C/b.conf"
expect_rc 2 "duplicate key"
expect_err "$C/b.conf:3: 'log-level' is already set on line 2" "duplicate key"
printf '[nyckeld]\nstate-dir = a\0b\n' >"$C/b.conf"
check --config "$C/b.conf"
expect_rc 2 "NUL byte"
expect_err "$C/b.conf:2: holds a NUL byte" "NUL byte"
check --config "$C/none.conf"
expect_rc 2 "missing file"
expect_err "nyckeld: --config $C/none.conf: No such file or directory" "missing file"
rc=0
NYCKEL_CONFIG=$C/none.conf "$N" --check-config >"$C/out" 2>"$C/err" || rc=$?
expect_rc 2 "missing NYCKEL_CONFIG file"
expect_err "nyckeld: NYCKEL_CONFIG $C/none.conf: No such file or directory" "missing NYCKEL_CONFIG file"
printf '[nyckeld]\ningest = tcp://0.0.0.0:7710\n' >"$C/b.conf"
check --config "$C/b.conf"
expect_rc 2 "off this host without CURVE"
expect_err "--ingest tcp://0.0.0.0:7710 is reachable from other hosts" "off this host without CURVE"

# --- what the settings name: exit 1 ------------------------------------
K=$C/keys
mkdir -p "$K"
for n in server admin; do
    (cd "$K" && "$OLDPWD/$BUILD/nyckel-keygen" "$n" >/dev/null 2>&1) ||
        fail "nyckel-keygen $n"
done
echo "$(grep -v '^#' "$K/admin.pub") admin *" >"$K/clients"
echo "$(grep -v '^#' "$K/admin.pub") overlord 0127" >"$K/bad-clients"

check --state-dir "$NK_TMP/state" --curve-secret "$K/none.key" --keys "$K/none"
expect_rc 1 "missing key files"
expect_err "nyckeld: curve-secret: $K/none.key: No such file or directory" "missing secret key"
expect_err "nyckeld: keys: $K/none: No such file or directory" "missing keys file"
expect_err "nyckeld: configuration has 2 problems" "problems counted"
[ ! -s "$C/out" ] || fail "stdout after problems: $(cat "$C/out")"

check --state-dir "$NK_TMP/state" --curve-secret "$K/server.key" --keys "$K/bad-clients"
expect_rc 1 "a keys file that does not parse"
expect_err "nyckeld: keys: $K/bad-clients line 1:" "keys file parsed by auth"

cp "$K/server.key" "$K/open.key"
chmod 0644 "$K/open.key"
check --state-dir "$NK_TMP/state" --curve-secret "$K/open.key" --keys "$K/clients"
expect_rc 1 "a secret key others may read"
expect_err "$K/open.key: a secret key must not be readable" "secret key mode"

check --state-dir "$NK_TMP/no/state"
expect_rc 1 "state directory without a parent"
expect_err "state-dir $NK_TMP/no/state: does not exist, and nor does $NK_TMP/no" "state directory without a parent"
[ ! -e "$NK_TMP/no" ] || fail "--check-config made a directory"

check --state-dir "$NK_TMP/state" --pub "ipc://$NK_TMP/no/pub"
expect_rc 1 "ipc endpoint in no directory"
expect_err "pub ipc://$NK_TMP/no/pub: directory $NK_TMP/no: No such file or directory" "ipc endpoint in no directory"

# --- nyckeld started with --config -------------------------------------
# Endpoints the command line overrides, CURVE files relative to the file.
cat >"$K/nyckeld.conf" <<'EOF'
# a test's configuration
[nyckeld]
ingest = tcp://127.0.0.1:1
pub = tcp://127.0.0.1:2
query = tcp://127.0.0.1:3
curve-secret = server.key
keys = clients
max-db-size = 256M
EOF
check --config "$K/nyckeld.conf" --state-dir "$NK_TMP/state"
expect_rc 0 "the test's configuration"
assert_eq "$(setting curve-secret)" "$K/server.key" "curve-secret relative to the file"
assert_eq "$(setting keys)" "$K/clients" "keys relative to the file"

NK_PROBE_ARGS=(--key "$K/admin.key" --server-key "$K/server.pub")
nk_start --config "$K/nyckeld.conf"
grep -q "auth: CURVE on, 1 client keys from $K/clients" "$NK_TMP/nyckeld.log" ||
    fail "CURVE from the file is not on: $(cat "$NK_TMP/nyckeld.log")"
echo "ok: nyckeld --config answers the admin, with the file's CURVE keys"
if nk_query --timeout 1500 --municipality 0127 --domain eb --period 2014 \
    --format json >/dev/null 2>&1; then
    fail "a query without a key was answered"
fi
echo "ok: a query without a key is not answered"
nk_stop
echo "ok: nyckeld --config stopped with exit 0"

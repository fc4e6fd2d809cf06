#!/usr/bin/env bash
# nyckeld --verify recomputes every aggregate from the stored entities
# and finds no difference after ingestion (revisions, tombstones,
# duplicates, the clock moved on); --rebuild writes byte-identical
# cells and member records; a tampered cell makes --verify exit 1 and
# name it, and --rebuild repairs it. A store filling more than half of
# its map rebuilds too (the map grows for the second copy).
NK_AS_OF=2014-08-15
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 21 --kinds payment,placement,referral,decision,budget \
    --from 2013-01 --to 2014-08 --households 300 --duplicates 2 \
    >"$NK_TMP/events.jsonl"
nk_start
nk_push "$NK_TMP/events.jsonl" 2>/dev/null || fail "push"
kill -USR1 "$NK_PID"   # one more day: open placements and cases move on
sleep 0.5
nk_stop

"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >"$NK_TMP/verify1" ||
    { cat "$NK_TMP/verify1"; fail "--verify after ingestion"; }
grep -q "no difference" "$NK_TMP/verify1" || fail "verify summary: $(cat "$NK_TMP/verify1")"
echo "ok: $(tail -n 1 "$NK_TMP/verify1")"

# a database's records (not the map's size: --rebuild may grow the map)
dump() { mdb_dump -s "$1" "$NK_TMP/state" | grep -v '^mapsize='; }
dump cells >"$NK_TMP/cells.before"
dump members >"$NK_TMP/members.before"
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --rebuild >"$NK_TMP/rebuild" ||
    fail "--rebuild: $(cat "$NK_TMP/rebuild")"
echo "ok: $(cat "$NK_TMP/rebuild")"
dump cells >"$NK_TMP/cells.after"
dump members >"$NK_TMP/members.after"
cmp -s "$NK_TMP/cells.before" "$NK_TMP/cells.after" || fail "rebuilt cells differ"
cmp -s "$NK_TMP/members.before" "$NK_TMP/members.after" || fail "rebuilt member records differ"
echo "ok: rebuilt cells and member records are byte-identical ($(grep -c '^ ' "$NK_TMP/cells.after") lines of cells)"

# tamper with the first cell: flip its first byte
awk 'BEGIN { done = 0 }
     /^HEADER=END/ { print; hdr = 1; next }
     !hdr { print; next }
     hdr && n == 0 { key = $0; n = 1; next }
     hdr && n == 1 { v = substr($0, 2); b = substr(v, 1, 2);
                     nb = (b == "ff") ? "fe" : "ff";
                     print key; print " " nb substr(v, 3); print "DATA=END"; exit }' \
    "$NK_TMP/cells.after" >"$NK_TMP/tamper"
hexkey=$(sed -n '/^HEADER=END/{n;p;q}' "$NK_TMP/tamper" | tr -d ' ')
key=$(printf '%b' "$(echo "$hexkey" | sed 's/../\\x&/g')")
mdb_load -s cells -f "$NK_TMP/tamper" "$NK_TMP/state" 2>/dev/null || fail "mdb_load"
if "$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >"$NK_TMP/verify2"; then
    fail "--verify did not notice the tampered cell"
fi
grep -F "cell $key: stored and recomputed differ" "$NK_TMP/verify2" ||
    fail "--verify did not name $key: $(head -3 "$NK_TMP/verify2")"
echo "ok: --verify exits 1 and names the tampered cell $key"
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --rebuild >/dev/null || fail "--rebuild"
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --verify >/dev/null || fail "--verify after the repair"
dump cells >"$NK_TMP/cells.repaired"
cmp -s "$NK_TMP/cells.before" "$NK_TMP/cells.repaired" || fail "repaired cells differ"
echo "ok: --rebuild repaired it"

# A store that fills more than half of its map: the recomputed copy
# does not fit beside the old one until the map grows (it used to fail
# with "database map is full", then to fill the map half-way and start
# again): the map grows first, and the rebuild runs once.
rm -rf "$NK_TMP/state" "$NK_TMP/spool"
"$BUILD/nyckel-gen" --seed 5 --kinds payment,placement,referral,decision,budget \
    --households 600 >"$NK_TMP/big.jsonl"
nk_start
nk_push "$NK_TMP/big.jsonl" 2>/dev/null || fail "push"
nk_stop
dump cells >"$NK_TMP/cells.big"
size=$(stat -c %s "$NK_TMP/state/data.mdb")
"$BUILD/nyckeld" --state-dir "$NK_TMP/state" --rebuild >"$NK_TMP/rebuild2" 2>"$NK_TMP/rebuild2.err" ||
    fail "--rebuild of a $size-byte store: $(cat "$NK_TMP/rebuild2" "$NK_TMP/rebuild2.err")"
grep -q "store: map grown from" "$NK_TMP/rebuild2.err" ||
    fail "the map did not have to grow ($size bytes): the test lost its point"
! grep "starting again" "$NK_TMP/rebuild2.err" ||
    fail "the rebuild filled the map and started again: grow first"
dump cells >"$NK_TMP/cells.big.after"
cmp -s "$NK_TMP/cells.big" "$NK_TMP/cells.big.after" || { diff "$NK_TMP/cells.big" "$NK_TMP/cells.big.after" | head -20; fail "rebuilt cells differ"; }
echo "ok: a $size-byte store rebuilt after growing its map: $(cat "$NK_TMP/rebuild2")"

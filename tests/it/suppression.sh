#!/usr/bin/env bash
# Small-number suppression (issue 7): with the default --suppress-below 5,
# a slice of 3 households shows households and avg_months (and every
# other figure resting on them) as null with status "suppressed" to a
# subscriber, in query results and in live updates alike, and exactly to
# an admin that asks for exact values; a slice of 6 households is served
# as it is; a subscriber asking for exact values is refused. Live, a
# subscriber gets no change of the 3-household slice and at most one
# update a slice per --publish-interval; an admin's exact stream gets
# every change.
#   unit ekb: households a, b, c, 500 kr each in 2014-03, a also 2014-04:
#     3 households, 4 household-months, avg_months 4/3
#   unit soc: households d1..d6, 100 kr each in 2014-05: 6, all months 1
. "$(dirname "$0")/lib.bash"
export NYCKEL_SUPPRESS_BELOW=5 NYCKEL_PUBLISH_INTERVAL=2

K=$NK_TMP/keys
mkdir -p "$K"
for n in server subscriber admin; do
    (cd "$K" && "$OLDPWD/$BUILD/nyckel-keygen" "$n" >/dev/null 2>&1) ||
        fail "nyckel-keygen $n"
done
{
    echo "$(grep -v '^#' "$K/subscriber.pub") subscriber 0127"
    echo "$(grep -v '^#' "$K/admin.pub") admin *"
} >"$K/keys"
as() { echo --key "$K/$1.key" --server-key "$K/server.pub"; }
NK_PROBE_ARGS=($(as admin))
nk_start --curve-secret "$K/server.key" --keys "$K/keys"

pay() { # pay ID UNIT HOUSEHOLD MONTH AMOUNT_KR
    printf '{"kind":"payment","source":"sup","id":"%s","revision":1,"municipality":"0127","unit":"%s","household":"%s","month":"%s","paid_on":"%s-25","amount_ore":%s00,"category":"livsuppehalle","head_birth_year":1970}\n' \
        "$1" "$2" "$3" "$4" "$4" "$5"
}
{
    pay a1 ekb a 2014-03 500
    pay a2 ekb a 2014-04 500
    pay b1 ekb b 2014-03 500
    pay c1 ekb c 2014-03 500
    for i in 1 2 3 4 5 6; do pay "d$i" soc "d$i" 2014-05 100; done
} >"$NK_TMP/events.jsonl"
nk_push $(as admin) "$NK_TMP/events.jsonl" >/dev/null 2>&1 || fail "push"

unit() { # unit WHO UNIT [--exact]: the eb 2014 slice of UNIT as JSON
    local who=$1 u=$2
    shift 2
    nk_query $(as "$who") --municipality 0127 --domain eb --period 2014 \
        --rollup unit --format json "$@" | jq -c "select(.slice.unit == \"$u\")"
}

s=$(unit subscriber ekb)
assert_eq "$(jq -r .metrics.households <<<"$s")" null "households of 3 to a subscriber"
assert_eq "$(jq -r .status.households <<<"$s")" suppressed "status of households of 3"
assert_eq "$(jq -r .metrics.avg_months <<<"$s")" null "avg_months of 3 to a subscriber"
assert_eq "$(jq -r .status.avg_months <<<"$s")" suppressed "status of avg_months of 3"
assert_eq "$(jq -r '[.status[] | select(. != "suppressed")] | length' <<<"$s")" 0 \
    "figures of the 3 households not suppressed"
assert_eq "$(jq -r '[.metrics[] | select(. != null)] | length' <<<"$s")" 0 \
    "values of the 3 households shown"

s=$(unit subscriber soc)
assert_eq "$(jq -r .metrics.households <<<"$s")" 6 "households of 6 to a subscriber"
assert_eq "$(jq -r .status.households <<<"$s")" ok "status of households of 6"
assert_eq "$(jq -r .metrics.avg_months <<<"$s")" 1 "avg_months of 6"

s=$(unit admin ekb)
assert_eq "$(jq -r .status.households <<<"$s")" suppressed "households of 3 to an admin not asking"
s=$(unit admin ekb --exact)
assert_eq "$(jq -r .metrics.households <<<"$s")" 3 "households of 3 to an admin, exact"
assert_eq "$(jq -r .status.households <<<"$s")" ok "status of households, exact"
assert_eq "$(jq -r '.metrics.avg_months * 3 | round' <<<"$s")" 4 "avg_months * 3, exact"

rc=0
unit subscriber ekb --exact >/dev/null 2>"$NK_TMP/q.err" || rc=$?
[ "$rc" -ne 0 ] && grep -q forbidden "$NK_TMP/q.err" ||
    fail "a subscriber's --exact: exit $rc, $(cat "$NK_TMP/q.err")"
echo "ok: a subscriber asking for exact values is refused"

# table: a suppressed value is "x"
nk_query $(as subscriber) --municipality 0127 --domain eb --period 2014 \
    --where unit=ekb --format table >"$NK_TMP/table.txt"
grep -qE 'biståndshushåll.* x *$|households.* x *$' "$NK_TMP/table.txt" ||
    fail "no x for suppressed households in the table: $(cat "$NK_TMP/table.txt")"
echo "ok: the table shows x for suppressed households"

# CSV: suppressed values are empty like null ones; the last column says
# which are suppressed
nk_query $(as subscriber) --municipality 0127 --domain eb --period 2014 \
    --rollup unit --format csv >"$NK_TMP/q.csv"
head -1 "$NK_TMP/q.csv" | grep -q ',suppressed$' ||
    fail "no suppressed column in the CSV header: $(head -1 "$NK_TMP/q.csv")"
row=$(grep '^0127,eb,2014,unit=ekb,' "$NK_TMP/q.csv")
tr ';' '\n' <<<"${row##*,}" | grep -qx households ||
    fail "households of 3 not named suppressed in the CSV: $row"
assert_eq "$(grep '^0127,eb,2014,unit=soc,' "$NK_TMP/q.csv" | awk -F, '{print $NF}')" "" \
    "nothing suppressed in the soc row"
echo "ok: the CSV names the suppressed values of the 3 households"

# live updates: a subscriber's stream shows no change that would show a
# suppressed figure, and at most one update a slice per interval (2 s
# here), the latest state; the admins' exact stream ("!", --exact) shows
# every change at once. Three pushes to soc within the interval, one to
# ekb (still 3 households).
watch() { # watch WHO OUT [--exact]
    local who=$1 out=$2
    shift 2
    "$BUILD/nyckel-watch" --pub "$NK_PUB" --query "$NK_QUERY" $(as "$who") \
        --municipality 0127 --domain eb --period 2014 --rollup unit --for 7 \
        --format json "$@" >"$out" 2>"$out.err" &
}
watch subscriber "$NK_TMP/sub.jsonl"
sub_pid=$!
watch admin "$NK_TMP/admin.jsonl" --exact
admin_pid=$!
sleep 2.5 # the initial push's updates are more than an interval old
for e in 1 2 3; do
    pay "s$e" soc "d$e" 2014-05 50 >"$NK_TMP/more.jsonl"
    nk_push $(as admin) "$NK_TMP/more.jsonl" >/dev/null 2>&1 || fail "push $e"
done
pay c2 ekb c 2014-06 700 >"$NK_TMP/more.jsonl"
nk_push $(as admin) "$NK_TMP/more.jsonl" >/dev/null 2>&1 || fail "ekb push"
wait "$sub_pid" || fail "subscriber's nyckel-watch: $(cat "$NK_TMP/sub.jsonl.err")"
wait "$admin_pid" || fail "admin's nyckel-watch: $(cat "$NK_TMP/admin.jsonl.err")"
lines() { jq -c "select(.slice.unit == \"$2\")" "$1"; }
# the snapshot line, then the updates
assert_eq "$(lines "$NK_TMP/sub.jsonl" ekb | wc -l)" 1 \
    "ekb lines (snapshot, no update) a subscriber saw"
assert_eq "$(lines "$NK_TMP/sub.jsonl" ekb | jq -r .status.households)" suppressed \
    "households of 3 in a subscriber's snapshot"
n=$(lines "$NK_TMP/sub.jsonl" soc | wc -l)
[ "$n" -ge 2 ] && [ "$n" -le 3 ] ||
    fail "a subscriber saw $n soc lines, want the snapshot and 1 or 2 updates"
echo "ok: three soc changes within the interval reached a subscriber in $((n - 1)) update(s)"
assert_eq "$(lines "$NK_TMP/sub.jsonl" soc | tail -n 1 | jq -r .metrics.paid)" 750 \
    "soc paid a subscriber saw last (the latest state)"
assert_eq "$(lines "$NK_TMP/admin.jsonl" soc | wc -l)" 4 \
    "soc lines the admin saw (snapshot and every change)"
assert_eq "$(lines "$NK_TMP/admin.jsonl" ekb | tail -n 1 | jq -r .metrics.paid)" 2700 \
    "ekb paid the admin saw last, exact"
assert_eq "$(lines "$NK_TMP/admin.jsonl" ekb | tail -n 1 | jq -r .metrics.households)" 3 \
    "ekb households the admin saw, exact"
rc=0
"$BUILD/nyckel-watch" --pub "$NK_PUB" --query "$NK_QUERY" $(as subscriber) \
    --municipality 0127 --domain eb --period 2014 --for 1 --format json \
    --exact >/dev/null 2>"$NK_TMP/w.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a subscriber's nyckel-watch --exact was served"
echo "ok: a subscriber's nyckel-watch --exact is refused: $(head -n 1 "$NK_TMP/w.err")"
nk_stop
echo "ok: small counts suppressed for subscribers, exact for an admin who asks"

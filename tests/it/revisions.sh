#!/usr/bin/env bash
# DESIGN §2 end to end: the same file twice changes nothing and the
# second run reports every event as duplicate; a higher revision of a
# payment moves the totals by exactly the difference; a tombstone removes
# it; the same events delivered out of order give the same slices.
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 3 --from 2014-01 --to 2014-06 --households 150 \
    --revisions 0 --tombstones 0 >"$NK_TMP/a.jsonl"
lines=$(wc -l <"$NK_TMP/a.jsonl" | tr -d ' ')
[ "$lines" -gt 500 ] || fail "too few generated events: $lines"

nk_start
nk_push "$NK_TMP/a.jsonl" 2>"$NK_TMP/push1.txt" || fail "first push"
assert_eq "$(nk_summary_field "$NK_TMP/push1.txt" accepted)" "$lines" "first push: accepted"
nk_snapshot >"$NK_TMP/snap1"
[ -s "$NK_TMP/snap1" ] || fail "empty snapshot"

nk_push "$NK_TMP/a.jsonl" 2>"$NK_TMP/push2.txt" || fail "second push"
assert_eq "$(nk_summary_field "$NK_TMP/push2.txt" duplicate)" "$lines" "second push: duplicate"
assert_eq "$(nk_summary_field "$NK_TMP/push2.txt" accepted)" 0 "second push: accepted"
nk_snapshot >"$NK_TMP/snap2"
cmp -s "$NK_TMP/snap1" "$NK_TMP/snap2" || fail "totals changed after a duplicate push"
echo "ok: duplicate push left every slice unchanged"

# a higher revision of the first payment: +1 000,00 kr
first=$(head -n 1 "$NK_TMP/a.jsonl")
month=$(echo "$first" | jq -r .month)
amount=$(echo "$first" | jq -r .amount_ore)
echo "$first" | jq -c '.revision = 2 | .amount_ore += 100000' >"$NK_TMP/rev2.jsonl"
paid0=$(nk_metric "$month" paid)
nk_push "$NK_TMP/rev2.jsonl" 2>/dev/null || fail "revision push"
paid1=$(nk_metric "$month" paid)
assert_eq "$(jq -n "$paid1 - $paid0 | . * 100 | round")" 100000 "revision 2 moved paid by (öre)"

# a stale revision 1 again changes nothing
nk_push "$NK_TMP/a.jsonl" 2>"$NK_TMP/push3.txt" || fail "third push"
assert_eq "$(nk_summary_field "$NK_TMP/push3.txt" stale)" 1 "old revision reported stale"
assert_eq "$(nk_metric "$month" paid)" "$paid1" "paid after the stale revision"

# tombstone: the payment no longer contributes
echo "$first" | jq -c '.revision = 3 | .deleted = true' >"$NK_TMP/rev3.jsonl"
nk_push "$NK_TMP/rev3.jsonl" 2>/dev/null || fail "tombstone push"
paid2=$(nk_metric "$month" paid)
assert_eq "$(jq -n "($paid0 - $paid2) * 100 | round")" "$amount" "tombstone removed the payment (öre)"
nk_snapshot >"$NK_TMP/final_in_order"
nk_stop

# out of order: a fresh daemon fed the tombstone first, then revision 2,
# then the file backwards, gives the same slices
rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
cat "$NK_TMP/rev3.jsonl" "$NK_TMP/rev2.jsonl" >"$NK_TMP/late.jsonl"
tac "$NK_TMP/a.jsonl" >>"$NK_TMP/late.jsonl"
nk_push "$NK_TMP/late.jsonl" 2>"$NK_TMP/push4.txt" || fail "out-of-order push"
assert_eq "$(nk_summary_field "$NK_TMP/push4.txt" stale)" 2 "revisions 2 and 1 after the tombstone: stale"
nk_snapshot >"$NK_TMP/final_out_of_order"
cmp -s "$NK_TMP/final_in_order" "$NK_TMP/final_out_of_order" ||
    { diff "$NK_TMP/final_in_order" "$NK_TMP/final_out_of_order" | head; fail "out-of-order totals differ"; }
echo "ok: out-of-order delivery gives the same $(wc -l <"$NK_TMP/final_in_order") slices"
nk_stop

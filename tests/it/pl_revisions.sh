#!/usr/bin/env bash
# Revising a placement's end date (later, earlier, years back, closing
# an open one) or deleting it leaves every pl slice equal to what a
# fresh daemon fed only the final states computes.
NK_AS_OF=2014-08-15
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 11 --kinds placement --from 2011-01 --to 2014-08 \
    --revisions 0 --tombstones 0 >"$NK_TMP/gen.jsonl"
# the latest revision of each placement (the generator closes some later)
jq -c --slurp 'group_by(.id)[] | max_by(.revision)' "$NK_TMP/gen.jsonl" \
    >"$NK_TMP/a.jsonl"
n=$(wc -l <"$NK_TMP/a.jsonl" | tr -d ' ')
[ "$n" -gt 100 ] || fail "too few placements: $n"

# a higher revision of every fifth placement:
#   closed ones: end moved 40 days earlier (but not before start) or, for
#   every tenth, 400 days later; open ones: closed on 2014-05-31;
# and every seventh deleted
jq -c --slurp '
  def day(s): s | strptime("%Y-%m-%d") | mktime;
  def date(t): t | strftime("%Y-%m-%d");
  to_entries[] | .key as $i | .value |
  if $i % 7 == 3 then .revision += 1 | .deleted = true
  elif $i % 5 == 0 then
    .revision += 1 |
    if .end == null then .end = date([day("2014-05-31"), day(.start)] | max)
    elif $i % 10 == 0 then .end = date(day(.end) + 400 * 86400)
    else .end = date([day(.end) - 40 * 86400, day(.start)] | max) end
  else empty end' "$NK_TMP/a.jsonl" >"$NK_TMP/rev.jsonl"
revs=$(wc -l <"$NK_TMP/rev.jsonl" | tr -d ' ')
[ "$revs" -gt 20 ] || fail "too few revisions: $revs"
echo "ok: $n placements, $revs revisions"

nk_start
nk_push "$NK_TMP/gen.jsonl" 2>/dev/null || fail "push"
nk_push "$NK_TMP/rev.jsonl" 2>"$NK_TMP/push.err" || { cat "$NK_TMP/push.err"; fail "push revisions"; }
nk_snapshot pl unit setting setting,regi gender age_band >"$NK_TMP/revised"
nk_stop

# the final states only: the revised lines and the untouched originals
jq -r '.id' "$NK_TMP/rev.jsonl" | sort >"$NK_TMP/rev.ids"
jq -c --rawfile ids "$NK_TMP/rev.ids" \
    'select(.id as $id | ($ids | split("\n") | index($id)) | not)' \
    "$NK_TMP/a.jsonl" >"$NK_TMP/final.jsonl"
cat "$NK_TMP/rev.jsonl" >>"$NK_TMP/final.jsonl"
assert_eq "$(wc -l <"$NK_TMP/final.jsonl" | tr -d ' ')" "$n" "final states"

rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
nk_push "$NK_TMP/final.jsonl" 2>/dev/null || fail "push final"
nk_snapshot pl unit setting setting,regi gender age_band >"$NK_TMP/fresh"
nk_stop
[ "$(wc -l <"$NK_TMP/fresh")" -gt 100 ] || fail "too few slices"
cmp -s "$NK_TMP/revised" "$NK_TMP/fresh" ||
    { diff "$NK_TMP/revised" "$NK_TMP/fresh" | head -6 | cut -c1-300; fail "revised and fresh slices differ"; }
echo "ok: $(wc -l <"$NK_TMP/fresh") pl slices equal to a fresh daemon fed the final states"

#!/usr/bin/env bash
# Investigations pair two decisions: the close arriving before the open,
# a revised open date and a deleted case each give the same inv slices
# as a fresh daemon fed only the final states.
NK_AS_OF=2014-08-15
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 13 --kinds referral,decision --from 2012-01 \
    --to 2014-08 --revisions 0 --tombstones 0 >"$NK_TMP/gen.jsonl"
jq -c --slurp 'group_by(.id)[] | max_by(.revision)' "$NK_TMP/gen.jsonl" \
    >"$NK_TMP/a.jsonl"
n=$(wc -l <"$NK_TMP/a.jsonl" | tr -d ' ')
# every third opening moved 20 days earlier (within its year); every seventh case deleted
# (both of its decisions)
jq -c --slurp '
  def day(s): s | strptime("%Y-%m-%d") | mktime;
  def date(t): t | strftime("%Y-%m-%d");
  [.[] | select(.kind == "decision" and .case != null)] as $d |
  ($d | map(.case) | unique) as $cases |
  ($cases | to_entries | map(select(.key % 7 == 3) | .value)) as $gone |
  $d[] |
  if (.case as $c | $gone | index($c)) then .revision += 1 | .deleted = true
  elif .type == "inleda_utredning" and ((.id | explode | add) % 3 == 0) then
    .revision += 1 |
    .decided_on = date([day(.decided_on) - 20 * 86400,
                        day(.decided_on[0:4] + "-01-01")] | max)
  else empty end' "$NK_TMP/a.jsonl" >"$NK_TMP/rev.jsonl"
revs=$(wc -l <"$NK_TMP/rev.jsonl" | tr -d ' ')
[ "$revs" -gt 50 ] || fail "too few revisions: $revs"
echo "ok: $n events, $revs revisions"

nk_start
# closes before opens: the file backwards, then the revisions
tac "$NK_TMP/gen.jsonl" >"$NK_TMP/back.jsonl"
nk_push "$NK_TMP/back.jsonl" 2>/dev/null || fail "push"
nk_push "$NK_TMP/rev.jsonl" 2>"$NK_TMP/push.err" || { head -5 "$NK_TMP/push.err"; fail "push revisions"; }
nk_snapshot inv unit target reporter gender age_band >"$NK_TMP/revised"
nk_stop

jq -r '.id' "$NK_TMP/rev.jsonl" | sort >"$NK_TMP/rev.ids"
jq -c --rawfile ids "$NK_TMP/rev.ids" \
    'select(.id as $id | ($ids | split("\n") | index($id)) | not)' \
    "$NK_TMP/a.jsonl" >"$NK_TMP/final.jsonl"
grep -v '"deleted":true' "$NK_TMP/rev.jsonl" >>"$NK_TMP/final.jsonl" || true

rm -rf "$NK_TMP/state" "$NK_TMP/spool"
nk_start
nk_push "$NK_TMP/final.jsonl" 2>/dev/null || fail "push final"
nk_snapshot inv unit target reporter gender age_band >"$NK_TMP/fresh"
nk_stop
[ "$(wc -l <"$NK_TMP/fresh")" -gt 100 ] || fail "too few slices"
cmp -s "$NK_TMP/revised" "$NK_TMP/fresh" ||
    { diff "$NK_TMP/revised" "$NK_TMP/fresh" | head -6 | cut -c1-400; fail "revised and fresh slices differ"; }
echo "ok: $(wc -l <"$NK_TMP/fresh") inv slices equal to a fresh daemon fed the final states"

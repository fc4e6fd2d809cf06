#!/usr/bin/env bash
# nyckel-query --batch: many queries over one connection give exactly
# what the same queries asked one by one give, in the order of the
# lines (json and table; CSV with its header again only when the
# columns change); blank and comment lines are skipped; a query nyckeld
# refuses is reported with its line while the rest are answered (exit
# 2); a line that is no query stops the run before anything is asked
# (exit 2, nothing printed); no answer is exit 1; query options on the
# command line are refused with --batch.
# shellcheck disable=SC2086 # queries split at blanks, as --batch splits them
. "$(dirname "$0")/lib.bash"

"$BUILD/nyckel-gen" --seed 11 --kinds payment,placement,referral,decision,budget \
    --from 2014-01 --to 2014-12 --households 40 >"$NK_TMP/gen.jsonl"
nk_start
nk_push "$NK_TMP/gen.jsonl" 2>/dev/null || fail "push"

queries=(
    "-m 0127 -d eb -p 2014"
    "-m 0127 -d pl -p 2014 -r setting"
    "--municipality 0127 --domain inv,ec --period 2014-T2"
    "-m 0127 -d eb -p 2014-01 --period-to 2014-04 -r unit"
    "-m 0127 -d eb -p 2014-06-R12 -w unit=ekb -r unit"
    "-m 0127 -d eb -p 2014-H2 --compare previous-year"
    "-m 0180 -d eb -p 2014"
)
printf '%s\n' "${queries[@]}" >"$NK_TMP/batch"

# one by one: word splitting of each line, as --batch splits it
singles() { # FORMAT
    local q i=0
    for q in "${queries[@]}"; do
        [ "$1" = table ] && [ "$i" -gt 0 ] && echo
        # shellcheck disable=SC2086
        nk_query $q --format "$1" || fail "single query '$q'"
        i=$((i + 1))
    done
}
# json_of I...: the answers of queries I... asked one by one, as json
json_of() {
    local i
    for i; do nk_query ${queries[$i]} --format json || fail "query $i"; done
}
for f in json table; do
    singles "$f" >"$NK_TMP/singles.$f"
    nk_query --batch "$NK_TMP/batch" --format "$f" >"$NK_TMP/batch.$f" ||
        fail "--batch --format $f exited $?"
    cmp "$NK_TMP/singles.$f" "$NK_TMP/batch.$f" ||
        { diff "$NK_TMP/singles.$f" "$NK_TMP/batch.$f" | head; fail "--batch --format $f differs from the queries one by one"; }
    echo "ok: --batch --format $f equals ${#queries[@]} single queries ($(wc -l <"$NK_TMP/batch.$f") lines)"
done
[ "$(jq -s 'map(select(.domain == "pl" and .slice.setting)) | length' "$NK_TMP/batch.json")" -gt 0 ] ||
    fail "the data has no placement settings: the comparison shows little"

# CSV: the header once while the columns stay, again after a blank line
# when they change (eb, then pl)
printf '%s\n' "-m 0127 -d eb -p 2014" "-m 0127 -d eb -p 2014-T2 -r unit" \
    "-m 0127 -d pl -p 2014" "-m 0127 -d pl -p 2014-H1" >"$NK_TMP/csvq"
nk_query --batch "$NK_TMP/csvq" --format csv >"$NK_TMP/batch.csv" ||
    fail "--batch --format csv exited $?"
{
    nk_query -m 0127 -d eb -p 2014 --format csv
    nk_query -m 0127 -d eb -p 2014-T2 -r unit --format csv | tail -n +2
    echo
    nk_query -m 0127 -d pl -p 2014 --format csv
    nk_query -m 0127 -d pl -p 2014-H1 --format csv | tail -n +2
} >"$NK_TMP/singles.csv"
cmp "$NK_TMP/singles.csv" "$NK_TMP/batch.csv" ||
    { diff "$NK_TMP/singles.csv" "$NK_TMP/batch.csv" | head; fail "--batch --format csv differs"; }
assert_eq "$(grep -c '^municipality,' "$NK_TMP/batch.csv")" 2 "csv headers for two column sets"
[ "$(wc -l <"$NK_TMP/batch.csv")" -gt 6 ] || fail "csv: too few rows to show anything"

# blank and comment lines, from standard input
{
    echo "# the totals"
    echo
    echo "  ${queries[0]}   # eb of 2014"
    echo "${queries[1]}"
} | nk_query --batch - --format json >"$NK_TMP/comments.json" ||
    fail "--batch - with comments exited $?"
json_of 0 1 >"$NK_TMP/want.json"
cmp -s "$NK_TMP/comments.json" "$NK_TMP/want.json" ||
    fail "blank and comment lines are not skipped"
echo "ok: blank lines and comments skipped, queries from standard input"

# a refused query amid others: its line reported, the rest answered
printf '%s\n' "${queries[0]}" "-m 0127 -d zz -p 2014" "${queries[2]}" >"$NK_TMP/refused"
rc=0
nk_query --batch "$NK_TMP/refused" --format json >"$NK_TMP/refused.out" \
    2>"$NK_TMP/refused.err" || rc=$?
assert_eq "$rc" 2 "exit status with a refused query"
grep -q "^nyckel-query: $NK_TMP/refused:2: unknown_domain" "$NK_TMP/refused.err" ||
    fail "refusal not reported with its line: $(cat "$NK_TMP/refused.err")"
json_of 0 2 >"$NK_TMP/want.json"
cmp -s "$NK_TMP/refused.out" "$NK_TMP/want.json" ||
    fail "the queries around a refused one were not all answered"
echo "ok: a refused query is reported as line 2, the others answered"

# a line that is no query: nothing asked, nothing printed
for bad in "-m 0127 --format csv" "-m 0127 -p" "-d eb -p 2014" "-m 0127 2014" \
    "-m 0127 --period-to 2014"; do
    printf '%s\n' "${queries[0]}" "$bad" >"$NK_TMP/bad"
    rc=0
    nk_query --batch "$NK_TMP/bad" >"$NK_TMP/bad.out" 2>"$NK_TMP/bad.err" || rc=$?
    [ "$rc" -eq 2 ] || fail "line '$bad': exit $rc, want 2"
    [ ! -s "$NK_TMP/bad.out" ] || fail "line '$bad': something was asked and printed"
    grep -q "$NK_TMP/bad:2: " "$NK_TMP/bad.err" ||
        fail "line '$bad': no FILE:LINE in '$(head -n1 "$NK_TMP/bad.err")'"
    echo "ok: '$bad' refused before asking: $(head -n1 "$NK_TMP/bad.err")"
done

# the command line
rc=0
nk_query --batch "$NK_TMP/batch" -m 0127 2>/dev/null >/dev/null || rc=$?
assert_eq "$rc" 2 "--batch with --municipality"
rc=0
nk_query --batch "$NK_TMP/no-such-file" 2>/dev/null >/dev/null || rc=$?
assert_eq "$rc" 2 "--batch of a missing file"
rc=0
nk_query --batch /dev/null >"$NK_TMP/empty.out" || rc=$?
assert_eq "$rc:$(wc -c <"$NK_TMP/empty.out")" "0:0" "--batch of an empty file"

# no answer: exit 1
nk_stop
rc=0
"$BUILD/nyckel-query" --query "$NK_QUERY" --timeout 300 --batch "$NK_TMP/batch" \
    >/dev/null 2>"$NK_TMP/gone.err" || rc=$?
assert_eq "$rc" 1 "--batch without nyckeld"
grep -q "batch:1: no answer" "$NK_TMP/gone.err" || fail "no answer: $(cat "$NK_TMP/gone.err")"

#!/usr/bin/env bash
# manpages — the man pages that `make man` makes with help2man from each
# program's own --help and --version plus man/<program>.h2m (issue 7):
# nyckeld.8 and one page in section 1 per client. Each page exists,
# renders without a single groff warning (-ww), has NAME, SYNOPSIS,
# DESCRIPTION, OPTIONS, FILES (not nyckel-gen), SEE ALSO and, for
# nyckeld, EXAMPLES, each exactly once, carries the program's section
# and `--version`, and shows every long option that the program's --help
# lists as an option item (the tag of a .TP or .HP), so an option added
# to --help without a rebuilt page, or an option list that help2man
# takes for prose, is caught.
#
# Negative controls: doctored copies of nyckeld.8 (an option renamed
# away, OPTIONS dropped, OPTIONS twice, a bad request, another version)
# must each fail the same check. Uses $BUILD/man/*, $BUILD/<program> and
# groff (groff-base); leaves no files behind; about a second.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 1

fail() {
    echo "FAIL manpages: $*" >&2
    exit 1
}

command -v groff >/dev/null || fail "groff is missing (Debian package groff-base)"
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# The long options that PROG --help lists: those an option line starts
# with ("  -h, --help", "      --state-dir DIR", "  --seed N").
listed_options() {
    "$1" --help | sed -nE 's/^ {1,10}(-[[:alnum:]], )?(--[[:alnum:]][[:alnum:]-]*).*/\2/p' |
        sort -u
}

# The option items of a page, as plain text: the tag line after each .TP
# and the text of each .HP, without font escapes.
option_items() {
    awk '/^\.TP/ { tag = 1; next } tag { print; tag = 0; next }
         /^\.HP/ { hp = 1; next } hp { print; hp = 0 }' "$1" |
        sed -E 's/\\f([BIRP]|\(..)//g; s/\\[,/&%]//g; s/\\-/-/g'
}

# check_page PAGE PROG SECTION: print every problem of PAGE, the page of
# PROG in SECTION; status 1 if there is one.
check_page() {
    local page=$1 prog=$2 sect=$3 name bad=0 warn s n th version opt
    name=$(basename "$prog")
    [ -s "$page" ] || { echo "$page: missing or empty (make man)"; return 1; }

    warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warn" ] || { echo "$page: groff warns: $warn"; bad=1; }

    local want=(NAME SYNOPSIS DESCRIPTION OPTIONS "SEE ALSO")
    [ "$name" = nyckel-gen ] || want+=(FILES)
    [ "$name" != nyckeld ] || want+=(EXAMPLES)
    for s in "${want[@]}"; do
        n=$(grep -cE "^\.SH \"?$s\"?\$" "$page")
        [ "$n" -eq 1 ] || { echo "$page: section $s $n times, want once"; bad=1; }
    done

    # .TH NYCKELD "8" "November 2026" "nyckeld 0.1.0" "System ..."
    th=$(grep -m1 '^\.TH ' "$page")
    [ "$(echo "$th" | awk -F'"' '{ print $2 }')" = "$sect" ] ||
        { echo "$page: .TH section is not $sect: $th"; bad=1; }
    version=$("$prog" --version | head -n 1)
    [ "$(echo "$th" | awk -F'"' '{ print $6 }')" = "$version" ] ||
        { echo "$page: .TH is not of '$version' (stale page?): $th"; bad=1; }
    grep -A1 '^\.SH NAME' "$page" | grep -q 'manual page for' &&
        { echo "$page: NAME is help2man's placeholder (no [NAME] in man/$name.h2m?)"; bad=1; }

    option_items "$page" >"$tmp/items"
    for opt in $(listed_options "$prog"); do
        grep -qE -- "(^|[ ,])$opt([ =,]|\$)" "$tmp/items" ||
            { echo "$page: $opt of --help is not an option item"; bad=1; }
    done
    return "$bad"
}

progs=("$BUILD/nyckeld")
for c in clients/nyckel-*.c; do
    progs+=("$BUILD/$(basename "$c" .c)")
done
[ "${#progs[@]}" -ge 6 ] || fail "found only ${progs[*]}"
for p in "${progs[@]}"; do
    [ -x "$p" ] || fail "$p is not built"
done
[ "$(listed_options "$BUILD/nyckeld" | wc -l)" -ge 15 ] ||
    fail "listed_options finds too few options in nyckeld --help"

# --- negative controls on doctored copies of nyckeld.8
page8=$BUILD/man/nyckeld.8
[ -s "$page8" ] || fail "$page8 is missing (make BUILD=$BUILD man)"
control() {
    local what=$1 expect=$2 out
    shift 2
    sed "$@" "$page8" >"$tmp/nyckeld.8"
    if out=$(check_page "$tmp/nyckeld.8" "$BUILD/nyckeld" 8); then
        fail "control: $what passed"
    fi
    echo "$out" | grep -q -- "$expect" ||
        fail "control: $what failed for another reason: $out"
    echo "ok: control: $what is caught"
}
control "a page without --backup" "--backup of --help" -e 's/\\-\\-backup/\\-\\-bkup/g'
control "a page without OPTIONS" "section OPTIONS 0 times" -e '/^\.SH OPTIONS/d'
control "a page with two OPTIONS" "section OPTIONS 2 times" -e 's/^\.SH FILES$/.SH OPTIONS/'
# shellcheck disable=SC2016 # a sed address, not a variable
control "a page with a bad request" "groff warns" -e '$a .XX not a macro'
control "a page of another version" "stale page" -e '/^\.TH /s/nyckeld [0-9][^"]*/nyckeld 0.0.0-old/'

# --- the real pages
for p in "${progs[@]}"; do
    name=$(basename "$p")
    sect=1
    [ "$name" = nyckeld ] && sect=8
    out=$(check_page "$BUILD/man/$name.$sect" "$p" "$sect") || fail "$out"
    echo "ok: $name.$sect ($(listed_options "$p" | wc -l) long options)"
done
echo "ok manpages"

#!/usr/bin/env bash
# Property test (issue 6): seeded random streams of all five event kinds
# — revisions, tombstones, duplicates, out-of-order and late delivery,
# entities moving between municipalities and units — pushed through a
# running nyckeld; every slice of every domain, for periods of every kind
# (running ones at the as-of date too), must equal an independent, naive
# recompute from the final entity states (tests/prop/model.py).
#
# Each seed has its own municipality codes, so one nyckeld serves many
# seeds. The seeds are split in chunks, each with a fresh nyckeld at its
# own as-of date; in every second chunk the clock is moved on with
# SIGUSR1 between pushes. Negative controls: the model with a deliberate
# error (PROP_BREAK=1..4) must disagree with nyckeld.
#
#   SEEDS=200 (how many; 100 under ASan)  PROP_SEED=1 (the first)
#   PROP_KINDS=2 (period kinds per seed, of 7, rotating with the seed)
#   PROP_CHUNK=SEEDS/4 (seeds per nyckeld)  PROP_AS_OF, PROP_ADVANCE
#   (the as-of date and the days the clock is moved, instead of each
#   chunk's own)  PROP_JOBS=2 (parallel queries)  PROP_KEEP=DIR (keep the
#   work files)
#
# A failing chunk prints the command that runs one of its seeds alone.
. "$(dirname "$0")/lib.bash"

# Under AddressSanitizer nyckeld takes about three times as long for a
# push: half the seeds there.
if nk_asan; then
    SEEDS=${SEEDS:-100}
else
    SEEDS=${SEEDS:-200}
fi
PROP_SEED=${PROP_SEED:-1}
PROP_KINDS=${PROP_KINDS:-2}
# four chunks (as-of dates) unless told
PROP_CHUNK=${PROP_CHUNK:-$(((SEEDS + 3) / 4))}
PROP_JOBS=${PROP_JOBS:-2}
MODEL=(python3 "$(dirname "$0")/../prop/model.py")
# as-of dates of the chunks, in turn: mid-month, new year's day, a leap
# day, new year's eve, a month's last day, a month's first day
AS_OFS=(2015-06-17 2016-01-01 2016-02-29 2015-12-31 2014-03-31 2017-09-01)
command -v python3 >/dev/null || fail "python3 is needed (make deps)"
[ "$PROP_CHUNK" -ge 1 ] && [ "$PROP_CHUNK" -le 5000 ] ||
    fail "PROP_CHUNK must be 1-5000 (municipality codes)"

# the negative controls (model.py PROP_BREAK), unless too few seeds to
# expect each to show
controls=(1 2 3 4)
[ "$SEEDS" -ge 20 ] || { controls=(); echo "negative controls skipped: fewer than 20 seeds"; }
declare -A proven=()

t0=$(date +%s)
total_bad=0
chunk=0
first=$PROP_SEED
last_seed=$((PROP_SEED + SEEDS - 1))
while [ "$first" -le "$last_seed" ]; do
    last=$((first + PROP_CHUNK - 1))
    [ "$last" -le "$last_seed" ] || last=$last_seed
    as_of=${PROP_AS_OF:-${AS_OFS[$((chunk % ${#AS_OFS[@]}))]}}
    advance=${PROP_ADVANCE:-$((chunk % 2 == 1 ? 3 : 0))}
    W=$NK_TMP/chunk$chunk
    mkdir -p "$W"
    ts=$(date +%s)
    "${MODEL[@]}" gen --work "$W" --seeds "$first-$last" --as-of "$as_of" \
        --kinds "$PROP_KINDS" --files 4 || fail "model gen"

    # a fresh nyckeld, as of some days earlier when the clock is moved
    rm -rf "$NK_TMP/state" "$NK_TMP"/spool*
    NK_AS_OF=$(date -d "$as_of - $advance days" +%F)
    nk_start
    push() { # FILE SPOOL
        "$BUILD/nyckel-push" --ingest "$NK_INGEST" --spool "$NK_TMP/$2" \
            --batch-size 200 "$1" >"$W/push.$2.out" 2>&1 ||
            { cat "$W/push.$2.out"; fail "nyckel-push $1"; }
    }
    # two exporters at once, then one more; the late events last
    push "$W/push-0.jsonl" spool0 &
    p0=$!
    push "$W/push-1.jsonl" spool1 &
    p1=$!
    wait "$p0" || fail "push 0"
    wait "$p1" || fail "push 1"
    push "$W/push-2.jsonl" spool2
    # the clock moves on, one SIGUSR1 and one day at a time
    day=$NK_AS_OF
    for _ in $(seq 1 "$advance"); do
        day=$(date -d "$day + 1 day" +%F)
        kill -USR1 "$NK_PID"
        for _ in $(seq 1 100); do
            got=$(nk_query --municipality 0127 --domain eb --period 2014 \
                --format json | jq -r .as_of)
            [ "$got" = "$day" ] && break
            sleep 0.05
        done
        [ "$got" = "$day" ] || fail "as-of did not move to $day (got $got)"
    done
    push "$W/push-3.jsonl" spool3
    # everything once more: all duplicate or stale
    push "$W/push-0.jsonl" spool0
    grep -q " 0 accepted, " "$W/push.spool0.out" ||
        fail "a redelivery was accepted: $(cat "$W/push.spool0.out")"

    tq=$(date +%s)
    # the queries (lines "MUNICIPALITY PERIOD PERIOD-TO ROLLUP|-"), in
    # PROP_JOBS parts, each one nyckel-query --batch
    awk '{ printf "-m %s -p %s --period-to %s", $1, $2, $3
           if ($4 != "-") printf " -r %s", $4
           print "" }' "$W/queries.txt" >"$W/queries.batch"
    split -n "l/$PROP_JOBS" -d "$W/queries.batch" "$W/q."
    jobs_=()
    for part in "$W"/q.*; do
        {
            "$BUILD/nyckel-query" --query "$NK_QUERY" --timeout 20000 \
                --batch "$part" --format json >"$part.out" 2>"$part.err" ||
                echo "QUERYFAIL $part: exit $?: $(head -c 300 "$part.err" | tr '\n' ' ')" >>"$part.out"
        } &
        jobs_+=($!)
    done
    for j in "${jobs_[@]}"; do wait "$j" || true; done
    if ! kill -0 "$NK_PID" 2>/dev/null; then
        grep -m1 -A14 "ERROR: " "$NK_TMP/nyckeld.log" >&2 || true
        fail "nyckeld died during the queries"
    fi
    nk_stop
    tc=$(date +%s)
    echo "chunk $chunk: seeds $first-$last as of $as_of (clock moved $advance days): $(wc -l <"$W/stream.jsonl") events pushed in $((tq - ts)) s, $(wc -l <"$W/queries.txt") queries answered $(cat "$W"/q.*.out | wc -l) slices in $((tc - tq)) s"

    [ -z "${PROP_KEEP:-}" ] || { mkdir -p "$PROP_KEEP" && cp -r "$W" "$PROP_KEEP/"; }
    if ! "${MODEL[@]}" check --work "$W" --diffs-out "$W/diffs" \
        "$W"/q.*.out; then
        total_bad=$((total_bad + 1))
        echo "FAIL: chunk $chunk differs (seeds $first-$last); one seed again: SEEDS=1 PROP_SEED=<seed> PROP_KINDS=$PROP_KINDS PROP_AS_OF=$as_of PROP_ADVANCE=$advance bash $0"
    fi

    # negative controls: a model with a deliberate error must find
    # differences that the true model does not, or the comparison proves
    # nothing; each is tried on the chunks until it has
    LC_ALL=C sort "$W/diffs" >"$W/diffs.sorted"
    for b in "${controls[@]}"; do
        [ -z "${proven[$b]:-}" ] || continue
        PROP_BREAK=$b "${MODEL[@]}" check --work "$W" --max-diffs 0 \
            --seeds "$(seq -s, "$first" "$((last < first + 19 ? last : first + 19))")" \
            --diffs-out "$W/control.$b" "$W"/q.*.out >/dev/null 2>&1 || true
        LC_ALL=C sort "$W/control.$b" |
            LC_ALL=C comm -13 "$W/diffs.sorted" - >"$W/control.$b.new"
        if [ -s "$W/control.$b.new" ]; then
            proven[$b]=1
            echo "ok: negative control PROP_BREAK=$b differs in $(wc -l <"$W/control.$b.new") more values, e.g. seed $(sed -n 1p "$W/control.$b.new")"
        fi
    done
    echo "chunk $chunk: compared in $(($(date +%s) - tc)) s"
    rm -rf "$W"
    first=$((last + 1))
    chunk=$((chunk + 1))
done
for b in "${controls[@]}"; do
    [ -n "${proven[$b]:-}" ] ||
        fail "negative control PROP_BREAK=$b found nothing in $SEEDS seeds: the comparison cannot fail"
done
[ "$total_bad" -eq 0 ] || fail "$total_bad of $chunk chunks differ"
echo "ok: $SEEDS seeds ($PROP_SEED-$last_seed) in $chunk chunks, $PROP_KINDS period kinds each, equal to the model in $(($(date +%s) - t0)) s"

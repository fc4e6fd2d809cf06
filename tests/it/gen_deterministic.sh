#!/usr/bin/env bash
# gen_deterministic — nyckel-gen (DESIGN §8) is deterministic, writes valid
# JSON Lines, never writes anything personnummer-shaped, keeps the entity
# rules of DESIGN §2, and gives realistic volumes: for --seed 1,
# 800..1500 households a month in 2014 (distinct households with net
# paid > 0 after revisions, tombstones and reversals; DESIGN §4
# "households_per_month").
#
# Uses $BUILD/nyckel-gen (BUILD defaults to build) and python3; leaves no
# files behind; exits non-zero with a message on the first failure. The
# personnummer, JSON and realism checks are first run on planted bad
# input to prove they can fail.
set -u
BUILD=${BUILD:-build}
GEN=$BUILD/nyckel-gen
ALL_KINDS=payment,placement,referral,decision,budget

fail() {
    echo "FAIL gen_deterministic: $*" >&2
    exit 1
}

[ -x "$GEN" ] || fail "$GEN is not built"
command -v python3 >/dev/null || fail "python3 is missing"
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# Every line parses as a JSON object.
json_ok() {
    python3 -c '
import json, sys
for n, line in enumerate(sys.stdin, 1):
    try:
        if not isinstance(json.loads(line), dict):
            raise ValueError("not an object")
    except ValueError as e:
        sys.exit("line %d: %s" % (n, e))
' <"$1"
}

# Id-like fields (ids, households, persons, cases, sources, units) that
# look like a personnummer: YYMMDD-NNNN, YYMMDDNNNN, YYYYMMDDNNNN, ...
pnr_hits() {
    grep -oE '"(id|household|person|case|source|unit|municipality)":"[^"]*"' \
        "$1" | grep -E '[0-9]{6}[-+]?[0-9]{4}'
}

# --- negative controls: the checks catch what they are meant to catch
printf '%s\n' '{"kind":"payment","id":"p-1","household":"hh-8001011234"}' \
    >"$tmp/bad_pnr"
pnr_hits "$tmp/bad_pnr" >/dev/null || fail "control: planted personnummer not found"
printf '%s\n' '{"kind":"payment"}' '{"kind":' >"$tmp/bad_json"
json_ok "$tmp/bad_json" 2>/dev/null && fail "control: broken JSON accepted"

# --- version and refusals
"$GEN" --version | grep -q '^nyckel-gen [0-9]' || fail "--version"
"$GEN" --households 0 >/dev/null 2>&1 && fail "--households 0 accepted"
"$GEN" --kinds payment,bogus >/dev/null 2>&1 && fail "--kinds bogus accepted"

# --- determinism: same seed and options, same bytes; another seed differs
"$GEN" --seed 1 >"$tmp/a" || fail "run --seed 1"
"$GEN" --seed 1 >"$tmp/b" || fail "second run --seed 1"
cmp -s "$tmp/a" "$tmp/b" || fail "--seed 1 twice gives different output"
"$GEN" --seed 2 >"$tmp/c" || fail "run --seed 2"
cmp -s "$tmp/a" "$tmp/c" && fail "--seed 2 gives the same output as --seed 1"
[ -s "$tmp/a" ] || fail "--seed 1 wrote nothing"

opts=(--seed 7 --municipality 0127,0180 --municipality 1280 --households 500
      --from 2013-11 --to 2014-02 --duplicates 3 --revisions 10
      --reversals 4 --tombstones 2 --units ekb,ekb-unga,ekb-etablering,ekb-norr
      --kinds "$ALL_KINDS")
"$GEN" "${opts[@]}" >"$tmp/d" || fail "run with options"
"$GEN" "${opts[@]}" >"$tmp/e" || fail "second run with options"
cmp -s "$tmp/d" "$tmp/e" || fail "same options twice give different output"

# All kinds at the defaults; the payments are those of the payment-only
# run: adding a kind changes no other kind's lines.
"$GEN" --seed 1 --kinds "$ALL_KINDS" >"$tmp/k" || fail "run --kinds all"
grep '"kind":"payment"' "$tmp/k" | cmp -s - "$tmp/a" ||
    fail "payments change when other kinds are added"

# --count stops after N lines, which are the first N of the full stream.
"$GEN" --seed 1 --count 1000 >"$tmp/f" || fail "run --count 1000"
[ "$(wc -l <"$tmp/f")" -eq 1000 ] || fail "--count 1000 wrote $(wc -l <"$tmp/f") lines"
head -n 1000 "$tmp/a" | cmp -s - "$tmp/f" || fail "--count output is not a prefix"
# --live without pacing goes on past --to and stops at --count.
timeout 60 "$GEN" --seed 1 --to 2012-06 --live 0 --count 40000 \
    --kinds "$ALL_KINDS" >"$tmp/g" ||
    fail "--live 0 --count 40000 did not end by itself"
[ "$(wc -l <"$tmp/g")" -eq 40000 ] || fail "--live --count 40000 wrote $(wc -l <"$tmp/g") lines"
grep -q '"month":"2012-08"' "$tmp/g" || fail "--live did not go past --to"

# --- every line is JSON; nothing personnummer-shaped
for f in a c d g k; do
    json_ok "$tmp/$f" || fail "invalid JSON in output $f"
    hits=$(pnr_hits "$tmp/$f" | head -n 3)
    [ -z "$hits" ] || fail "personnummer-shaped values in output $f: $hits"
done

# --- entity rules and realism: check.py PAYMENTS ALL [MORE...] checks
# the entity rules on every file, the 2014 payment volumes of PAYMENTS (a
# --seed 1 default run) and the 2014 volumes of the other kinds in ALL.
cat >"$tmp/check.py" <<'EOF'
import collections, json, sys

# Fields that identify what an entity is about: kept by every revision.
IDENTITY = {
    "payment": ("household", "month", "category"),
    "placement": ("person", "start", "setting", "regi", "target"),
    "referral": ("person", "received_on", "target"),
    "decision": ("person", "type", "decided_on"),
    "budget": ("year",),
}

def load(path):
    return [json.loads(line) for line in open(path)]

def check_entities(events):
    """Revisions start at 1 and never go down in the stream; a later
    revision keeps the identity fields; only reversals are negative;
    budget profiles add up."""
    seen = {}
    for e in events:
        kind = e["kind"]
        if kind == "payment":
            assert e["category"] in ("livsuppehalle", "boende",
                                     "tillfalligt_boende", "ovrigt"), e
            assert (e["amount_ore"] < 0) == bool(e.get("reversal")), e
            assert 18 <= int(e["month"][:4]) - e["head_birth_year"] <= 81, e
        elif kind == "placement":
            assert "end" not in e or e["end"] > e["start"], e
            assert e["daily_cost_ore"] > 0, e
        elif kind == "budget" and "monthly_ore" in e:
            assert len(e["monthly_ore"]) == 12, e
            assert sum(e["monthly_ore"]) == e["amount_ore"], e
        k = (e["source"], kind, e["id"])
        if k not in seen:
            assert e["revision"] == 1, e
        else:
            f = seen[k]
            assert e["revision"] >= f["revision"], ("stale", e)
            for field in ("municipality", "unit") + IDENTITY[kind]:
                assert e[field] == f[field], (field, e)
        seen[k] = e

def latest(events):
    out = {}
    for e in events:
        k = (e["source"], e["kind"], e["id"])
        if k not in out or e["revision"] > out[k]["revision"]:
            out[k] = e
    return [e for e in out.values() if not e.get("deleted")]

def within(lo, hi, value, what):
    if not lo <= value <= hi:
        sys.exit("%s: %s, want %s..%s" % (what, value, lo, hi))

payments, others = load(sys.argv[1]), load(sys.argv[2])
for events in [payments, others] + [load(p) for p in sys.argv[3:]]:
    check_entities(events)

net = collections.Counter()
for e in latest(payments):
    net[(e["municipality"], e["household"], e["month"])] += e["amount_ore"]
per_month = collections.defaultdict(set)
for (mun, hh, month), v in net.items():
    if v > 0:
        per_month[month].add((mun, hh))
months = ["2014-%02d" % m for m in range(1, 13)]
hm = sum(len(per_month[m]) for m in months)
year = set().union(*(per_month[m] for m in months))
months_of = collections.Counter(h for m in months for h in per_month[m])
long_term = sum(1 for h in year if months_of[h] >= 10)
avg = hm / 12
print("2014 payments: %d events, %.1f households/month, %d households, "
      "%.2f months each, long-term share %.3f"
      % (sum(1 for e in payments if e["month"].startswith("2014")), avg,
         len(year), hm / len(year), long_term / len(year)))
within(800, 1500, round(avg, 1), "households per month in 2014")
within(0.15, 0.40, round(long_term / len(year), 3), "long-term share 2014")

if others:
    live = latest(others)
    count = collections.Counter()
    for e in live:
        day = {"placement": "start", "referral": "received_on",
               "decision": "decided_on"}.get(e["kind"])
        if day and e[day].startswith("2014"):
            count[e["kind"]] += 1
        if e["kind"] == "budget" and e["year"] == 2014:
            count["budget"] += 1
    print("2014 others: %s" % dict(sorted(count.items())))
    within(50, 400, count["placement"], "placements started in 2014")
    within(1500, 6000, count["referral"], "referrals in 2014")
    within(1500, 10000, count["decision"], "decisions in 2014")
    within(3, 24, count["budget"], "budgets for 2014")
EOF
"$GEN" --seed 1 --households 300 >"$tmp/small" || fail "run --households 300"
python3 "$tmp/check.py" "$tmp/small" "$tmp/d" "$tmp/g" >/dev/null 2>&1 &&
    fail "control: 300 households passed the realism check"
python3 "$tmp/check.py" "$tmp/a" "$tmp/k" "$tmp/c" "$tmp/d" "$tmp/g" ||
    fail "entity rules or realism"

echo "ok gen_deterministic"

#!/usr/bin/env python3
"""Property test model for nyckeld (issue 6): random event streams and an
independent, deliberately naive recompute of every metric.

    model.py gen   --work DIR --seeds FIRST-LAST --as-of DATE [--kinds K]
                   [--files N]
    model.py check --work DIR [--seeds LIST] [--max-diffs N]
                   [--diffs-out FILE] RESULTS...
    model.py show  --work DIR --muni CODE [--kind KIND]   (final states)

`gen` writes, for every seed, a stream of all five event kinds (payments,
placements, decisions, referrals, budgets) with revisions, tombstones,
resurrections, exact duplicates, identities moving between municipalities
and units, and dates years back; all seeds' lines are shuffled together
into DIR/push-*.jsonl (nyckel-push input). DIR/queries.txt lists the
nyckel-query invocations (municipality, period, period_to, rollup) and
DIR/seeds.json what `check` needs besides the stream: each seed's
municipalities and queried period ranges, and the as-of date.

`check` reads only DIR/stream.jsonl (every line pushed) and the query
results. It takes the final entity states (the highest revision of each
(source, kind, id); a tombstone drops the entity), recomputes every
metric of every domain for every queried period and slice by plain loops
over entities (and days, months), and compares with what nyckeld
answered: null against null, numbers to 1e-9 relative, kronor to the öre.
It prints the first differences with seed, slice, metric, expected, got,
and exits 1 when there is any.

PROP_BREAK=N (negative control) perturbs one computation of the model:
1 pl end date inclusive, 2 eb household-months with net paid 0 counted,
3 inv investigation days counted inclusively, 4 ec rolling annual cost
over 11 months. The comparison must then find differences that the true
model does not.
"""

import calendar
import datetime as dt
import json
import os
import random
import sys
from collections import defaultdict

BREAK = int(os.environ.get("PROP_BREAK", "0") or 0)

# ------------------------------------------------------------ calendar


def D(s):
    return dt.date.fromisoformat(s)


def iso(d):
    return d.isoformat()


def mi_of(y, m):
    """month index"""
    return y * 12 + (m - 1)


def mi_of_date(d):
    return mi_of(d.year, d.month)


def mi_year(mi):
    return mi // 12


def mi_month(mi):
    return mi % 12 + 1


def mi_str(mi):
    return "%04d-%02d" % (mi_year(mi), mi_month(mi))


def mi_parse(s):
    y, m = s.split("-")
    return mi_of(int(y), int(m))


def mi_first_day(mi):
    return dt.date(mi_year(mi), mi_month(mi), 1)


def mi_last_day(mi):
    y, m = mi_year(mi), mi_month(mi)
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def add_months(d, n):
    """d + n calendar months, clamped to the end of the target month."""
    mi = mi_of_date(d) + n
    y, m = mi_year(mi), mi_month(mi)
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def days_in_year(y):
    return 366 if calendar.isleap(y) else 365


KINDS = ["month", "tertial", "quarter", "half", "year", "ytd", "r12"]


class Period:
    """An inclusive range of whole months, with its id."""

    def __init__(self, kind, first, last):
        self.kind, self.first, self.last = kind, first, last

    @staticmethod
    def ending(kind, mi):
        """The period of kind that contains (calendar kinds) or ends at
        (ytd, r12) month mi."""
        y, m = mi_year(mi), mi_month(mi)
        if kind == "month":
            return Period(kind, mi, mi)
        if kind in ("tertial", "quarter", "half", "year"):
            size = {"tertial": 4, "quarter": 3, "half": 6, "year": 12}[kind]
            f = mi_of(y, 1) + ((m - 1) // size) * size
            return Period(kind, f, f + size - 1)
        if kind == "ytd":
            return Period(kind, mi_of(y, 1), mi)
        if kind == "r12":
            return Period(kind, mi - 11, mi)
        raise ValueError(kind)

    def next(self):
        return Period.ending(self.kind, self.last + 1)

    def id(self):
        y, m = mi_year(self.last), mi_month(self.last)
        if self.kind == "month":
            return mi_str(self.first)
        if self.kind == "tertial":
            return "%04d-T%d" % (y, (m - 1) // 4 + 1)
        if self.kind == "quarter":
            return "%04d-Q%d" % (y, (m - 1) // 3 + 1)
        if self.kind == "half":
            return "%04d-H%d" % (y, (m - 1) // 6 + 1)
        if self.kind == "year":
            return "%04d" % y
        if self.kind == "ytd":
            return "%s-YTD" % mi_str(self.last)
        return "%s-R12" % mi_str(self.last)

    def first_day(self):
        return mi_first_day(self.first)

    def last_day(self):
        return mi_last_day(self.last)

    def months(self):
        return range(self.first, self.last + 1)

    def days(self):
        d, end, out = self.first_day(), self.last_day(), []
        while d <= end:
            out.append(d)
            d += dt.timedelta(days=1)
        return out

    def running(self, A):
        return self.first_day() <= A <= self.last_day()

    def start_year(self):
        return mi_year(self.first)


def period_range(p, p_to):
    out = [p]
    while out[-1].last < p_to.last:
        out.append(out[-1].next())
    return out


# --------------------------------------------------------------- slices


def age_band(birth_year, year):
    age = year - birth_year
    for top, name in ((12, "0-12"), (17, "13-17"), (20, "18-20"),
                      (24, "21-24"), (64, "25-64")):
        if age <= top:
            return name
    return "65+"


def gender_label(g, birth_year, year):
    if g == "X":
        return "x"
    child = year - birth_year < 18
    if g == "F":
        return "flicka" if child else "kvinna"
    return "pojke" if child else "man"


def sl(**kv):
    return tuple(sorted(kv.items()))


TOTAL = ()

ROLLUPS = {
    "eb": ["unit", "age_band", "category"],
    "pl": ["unit", "setting", "regi", "setting,regi", "target",
           "legal_basis", "gender", "age_band"],
    "inv": ["unit", "target", "gender", "age_band", "legal_basis",
            "intervention", "reporter"],
    "ec": ["unit"],
}
QUERY_ROLLUPS = ["-", "unit", "age_band", "category", "setting", "regi",
                 "setting,regi", "target", "legal_basis", "gender",
                 "intervention", "reporter"]
DOMAINS = ["eb", "pl", "inv", "ec"]

MONEY = {"paid", "paid_per_household_month", "cost", "cost_per_care_day",
         "cost_per_annual_placement", "budget", "budget_to_date", "outcome",
         "deviation", "forecast", "forecast_deviation", "rolling_annual_cost"}

METRICS = {
    "eb": ["paid", "households", "household_months", "households_per_month",
           "avg_months", "paid_per_household_month", "long_term_households",
           "long_term_share", "temp_housing_share"],
    "pl": ["care_days", "annual_placements", "cost", "cost_per_care_day",
           "cost_per_annual_placement", "persons", "started", "ended",
           "active_at_end", "external_cost_share"],
    "inv": ["referrals", "opened", "referral_conversion", "ongoing", "closed",
            "closed_within_4_months", "within_4_months_share",
            "avg_investigation_days", "granted", "rejected",
            "rejection_share", "not_executed_3_months"],
    "ec": ["budget", "budget_to_date", "outcome", "deviation",
           "consumed_share", "forecast", "forecast_deviation",
           "rolling_annual_cost"],
}


def ratio(num, den):
    return None if den == 0 else num / den


def kr(ore):
    return ore / 100.0


# ------------------------------------------------------- the generator

UNITS = ["ekb", "barn-unga", "vuxen", "lss-boende"]
CATEGORIES = ["livsuppehalle", "boende", "tillfalligt_boende", "ovrigt"]
SETTINGS = ["institution", "familjehem", "jourhem", "stodboende",
            "skyddat_boende", "bostad_sarskild_service", "annat"]
TARGETS = ["barn_unga", "vuxna_missbruk", "psykisk_funktionsnedsattning",
           "lss", "ensamkommande", "vald_nara_relation"]
LEGAL = ["SoL", "LVU", "LVM", "LSS"]
REPORTERS = ["polis", "skola", "halso_sjukvard", "socialtjanst", "enskild",
             "annan"]
INTERVENTIONS = ["kontaktperson", "hemtjanst", "boendestod", "mbh-oppen"]


def munis_of(seed):
    """A seed's municipalities: unique among 5 000 consecutive seeds."""
    base = 2 * (seed % 5000)
    r = random.Random(seed * 7919 + 1)
    n = 2 if r.random() < 0.3 else 1
    return ["%04d" % (base + i) for i in range(n)]


class Gen:
    def __init__(self, seed, A):
        self.seed, self.A = seed, A
        self.r = random.Random(seed)
        r = self.r
        self.munis = munis_of(seed)
        self.sources = ["procapita-%d" % seed, "treserva-%d" % seed][
            : r.choice([1, 2])]
        self.units = r.sample(UNITS, r.choice([1, 2, 3]))
        years_back = r.choice([1, 2, 3, 4, 5])
        self.lo = dt.date(A.year - years_back, r.randint(1, 12), 1)
        self.lines = []
        self.next_id = defaultdict(int)

    # -- helpers
    def date_between(self, a, b):
        if b < a:
            b = a
        return a + dt.timedelta(days=self.r.randint(0, (b - a).days))

    def muni(self):
        return self.r.choice(self.munis) if self.r.random() < 0.3 else \
            self.munis[0]

    def unit(self):
        return self.r.choice(self.units)

    def new_id(self, kind, source):
        self.next_id[(kind, source)] += 1
        # the same small ids in every kind and source: identity is the triple
        return str(self.next_id[(kind, source)])

    def emit(self, versions):
        """versions: the bodies of one entity, in revision order; some
        become tombstones, revision numbers grow with gaps."""
        r = self.r
        rev = r.choice([1, 1, 1, 2, 5, 1000])
        out = []
        for i, body in enumerate(versions):
            if i:
                rev += r.choice([1, 1, 2, 3, 17, 1 << r.randint(10, 40)])
            ev = dict(body)
            ev["revision"] = rev
            out.append(ev)
        # a tombstone somewhere: at the end (entity gone) or in between
        # (deleted, then revived by a higher revision)
        if r.random() < 0.15:
            last = out[-1]
            pos = r.randint(1, len(out))
            tomb = {"kind": last["kind"], "source": last["source"],
                    "id": last["id"], "deleted": True,
                    # a tombstone's other fields need not match
                    "municipality": self.muni(), "unit": self.unit()}
            if pos == len(out):
                tomb["revision"] = last["revision"] + r.choice([1, 9])
                out.append(tomb)
            else:
                # between revision pos-1 and pos: renumber the rest
                tomb["revision"] = out[pos - 1]["revision"] + 1
                for ev in out[pos:]:
                    ev["revision"] += 2
                out.insert(pos, tomb)
        elif r.random() < 0.03:
            # a tombstone that arrives for an entity never seen otherwise
            last = out[-1]
            tomb = {"kind": last["kind"], "source": last["source"],
                    "id": last["id"] + "x", "deleted": True,
                    "municipality": self.muni(), "unit": self.unit(),
                    "revision": 3}
            out.append(tomb)
        for ev in out:
            self.lines.append(ev)
            if r.random() < 0.15:  # exact duplicate
                self.lines.append(ev)

    def revisions(self, make, mutate):
        """make() the first body; then 0-3 mutated revisions."""
        r = self.r
        v = [make()]
        if r.random() < 0.4:
            for _ in range(r.choice([1, 1, 2, 3])):
                v.append(mutate(dict(v[-1])))
        return v

    def common(self, kind, source=None):
        source = source or self.r.choice(self.sources)
        return {"kind": kind, "source": source,
                "id": self.new_id(kind, source),
                "municipality": self.muni(), "unit": self.unit()}

    def move(self, ev):
        """a revision may move the entity to another unit or
        municipality"""
        r = self.r
        if r.random() < 0.15:
            ev["unit"] = self.unit()
        if r.random() < 0.1:
            ev["municipality"] = r.choice(self.munis)
        return ev

    # -- kinds
    def payments(self):
        r, A = self.r, self.A
        lo_mi, hi_mi = mi_of_date(self.lo), mi_of_date(A)
        for h in range(r.randint(1, 4)):
            hh = "hh-%d-%d" % (self.seed, h) if r.random() < 0.9 else \
                "hh-shared-%d" % h  # the same pseudonym in every seed
            by = r.randint(1935, min(1998, A.year - 10))
            if r.random() < 0.1:
                by = r.randint(A.year - 25, A.year - 17)  # young heads
            unit, muni = self.unit(), self.muni()
            n = r.choice([1, 2, 3, 6, 10, 11, 12, 14])
            start = r.randint(lo_mi, hi_mi)
            months = [m for m in range(start, min(start + n, hi_mi + 1))
                      if r.random() > 0.12]
            source = r.choice(self.sources)
            if r.random() < 0.05:  # assistance paid ahead for next month
                months.append(hi_mi + 1)
            for m in months:
                for _ in range(r.choice([1, 1, 1, 2])):
                    # now and then booked by the other system
                    self.payment(source if r.random() < 0.8 else
                                 r.choice(self.sources), hh, by, unit, muni,
                                 m)

    def payment(self, source, hh, by, unit, muni, m):
        r = self.r

        def body(m, amount, reversal):
            y = mi_year(m)
            hby = by if r.random() < 0.85 else r.randint(by - 3, by + 3)
            hby = min(hby, y)
            paid_mi = m - r.choice([0, 0, 0, 1])
            ev = self.common("payment", source)
            ev.update({"municipality": muni if r.random() < 0.9 else
                       self.muni(), "unit": unit if r.random() < 0.85 else
                       self.unit(), "household": hh, "month": mi_str(m),
                       "paid_on": iso(mi_first_day(paid_mi) +
                                      dt.timedelta(days=r.randint(0, 27))),
                       "amount_ore": amount,
                       "category": r.choices(CATEGORIES, [5, 3, 2, 1])[0],
                       "head_birth_year": hby})
            if reversal:
                ev["reversal"] = True
            if r.random() < 0.5:
                ev["head_gender"] = r.choice("FMX")
            return ev

        amount = r.choice([0, r.randint(1, 99), r.randint(100_00, 15_000_00),
                           r.randint(100_00, 15_000_00)])
        first = body(m, amount, False)

        def mutate(ev):
            k = r.randint(0, 6)
            if k == 0:
                ev["amount_ore"] = r.randint(0, 20_000_00)
                ev.pop("reversal", None)
            elif k == 1:
                nm = mi_parse(ev["month"]) + r.choice([-25, -1, 1, 2])
                nm = max(mi_of_date(self.lo) - 24, min(nm, mi_of_date(self.A)))
                ev["month"] = mi_str(nm)
                ev["head_birth_year"] = min(ev["head_birth_year"],
                                            mi_year(nm))
                ev["paid_on"] = iso(mi_first_day(nm))
            elif k == 2:
                ev["category"] = r.choice(CATEGORIES)
            elif k == 3:
                ev["household"] = ev["household"] + "b"
            elif k == 4:
                ev["head_birth_year"] = max(1890, min(  # nyckeld's range
                    mi_year(mi_parse(ev["month"])),
                    ev["head_birth_year"] + r.choice([-30, -1, 1])))
            else:
                self.move(ev)
            return ev

        self.emit(self.revisions(lambda: first, mutate))
        # a reversal of this payment: its own row, negative amount
        if amount > 0 and r.random() < 0.15:
            rev = body(m, -amount if r.random() < 0.6 else
                       -r.randint(1, amount), True)
            rev["household"] = first["household"]
            rev["municipality"], rev["unit"] = first["municipality"], \
                first["unit"]
            self.emit([rev])

    def placements(self):
        r, A = self.r, self.A
        persons = []
        for _ in range(r.randint(1, 6)):
            if persons and r.random() < 0.3:
                p = r.choice(persons)
            else:
                child = r.random() < 0.7
                p = ("p-%d-%d" % (self.seed, len(persons)),
                     r.choice("FFMMX"),
                     r.randint(A.year - 17, A.year) if child else
                     r.randint(1950, A.year - 18))
                persons.append(p)
            self.placement(p)

    def placement(self, p):
        r, A = self.r, self.A
        person, gender, by = p

        def clampby(ev):
            ev["birth_year"] = min(ev["birth_year"], D(ev["start"]).year)

        def make():
            ev = self.common("placement")
            start = self.date_between(self.lo - dt.timedelta(days=500),
                                      A + dt.timedelta(days=10))
            if r.random() < 0.2:
                start = A - dt.timedelta(days=r.randint(0, 3))
            end = None
            if r.random() < 0.65:
                end = start + dt.timedelta(days=r.choice(
                    [0, 1, r.randint(2, 40), r.randint(30, 400),
                     r.randint(300, 1500)]))
            ev.update({"person": person, "gender": gender, "birth_year": by,
                       "setting": r.choice(SETTINGS),
                       "regi": r.choice(["egen", "extern"]),
                       "target": r.choice(TARGETS),
                       "legal_basis": r.choice(LEGAL), "start": iso(start),
                       "daily_cost_ore": r.choice([0, r.randint(1, 99),
                                                   r.randint(500_00,
                                                             9_000_00)])})
            if end is not None:
                ev["end"] = iso(end)
            clampby(ev)
            return ev

        def mutate(ev):
            k = r.randint(0, 7)
            start = D(ev["start"])
            if k <= 2:  # the end: set, moved (also years back), removed
                c = r.randint(0, 3)
                if c == 0:
                    ev.pop("end", None)
                elif c == 1 and "end" in ev:
                    e = D(ev["end"]) + dt.timedelta(
                        days=r.choice([-400, -40, -1, 1, 40, 400]))
                    ev["end"] = iso(max(e, start))
                else:
                    ev["end"] = iso(self.date_between(start, A +
                                                      dt.timedelta(days=60)))
            elif k == 3:
                s = start + dt.timedelta(days=r.choice([-700, -30, -1, 1,
                                                        30]))
                if "end" in ev and D(ev["end"]) < s:
                    s = D(ev["end"])
                ev["start"] = iso(s)
                clampby(ev)
            elif k == 4:
                ev["daily_cost_ore"] = r.randint(0, 9_000_00)
            elif k == 5:
                f = r.choice(["setting", "regi", "target", "legal_basis"])
                ev[f] = r.choice({"setting": SETTINGS,
                                  "regi": ["egen", "extern"],
                                  "target": TARGETS, "legal_basis": LEGAL}[f])
            elif k == 6:
                ev["gender"] = r.choice("FMX")
                ev["birth_year"] = min(D(ev["start"]).year,
                                       ev["birth_year"] + r.choice([-5, 1]))
            else:
                self.move(ev)
            return ev

        self.emit(self.revisions(make, mutate))

    def subject(self, ev, adult=None):
        """person (with gender) or household (gender optional);
        birth year optional"""
        r, A = self.r, self.A
        if r.random() < 0.8:
            ev["person"] = "p-%d-%d" % (self.seed, r.randint(0, 9))
            ev["gender"] = r.choice("FFMMX")
        else:
            ev["household"] = "hh-%d-%d" % (self.seed, r.randint(0, 9))
            if r.random() < 0.5:
                ev["gender"] = r.choice("FMX")
        if r.random() < 0.8:
            ev["birth_year"] = r.randint(A.year - 19, A.year - 6) \
                if r.random() < 0.6 else r.randint(1940, A.year - 20)

    def decision_fields(self, ev, with_intervention):
        r = self.r
        if r.random() < 0.7:
            ev["legal_basis"] = r.choice(LEGAL)
        if r.random() < 0.7:
            ev["target"] = r.choice(TARGETS)
        if with_intervention and r.random() < 0.7:
            ev["intervention"] = r.choice(INTERVENTIONS)

    def fix_by(self, ev, date_field):
        if "birth_year" in ev:
            ev["birth_year"] = min(ev["birth_year"], D(ev[date_field]).year)

    def decisions(self):
        r, A = self.r, self.A
        # investigations: at most one opening and one closing per
        # (source, case); the opening's dates never after the closing's
        for c in range(r.randint(0, 4)):
            source = r.choice(self.sources)
            case = "c%d" % (c if r.random() < 0.7 else c + 100)
            o_hi = self.date_between(self.lo, A - dt.timedelta(days=5))
            o_lo = o_hi - dt.timedelta(days=r.choice([0, 10, 60]))
            c_lo = o_hi + dt.timedelta(days=r.choice(
                [0, 1, r.randint(2, 100), r.randint(100, 140),
                 r.randint(110, 130), r.randint(140, 400)]))
            c_lo = min(c_lo, A)
            c_hi = min(c_lo + dt.timedelta(days=r.choice([0, 5, 40])), A)
            muni, unit = self.muni(), self.unit()
            base = {}
            self.subject(base)
            for typ, lo, hi, p in (("inleda_utredning", o_lo, o_hi, 0.85),
                                   ("avsluta_utredning", c_lo, c_hi, 0.65)):
                if r.random() >= p:
                    continue

                def make(typ=typ, lo=lo, hi=hi):
                    ev = self.common("decision", source)
                    ev["municipality"], ev["unit"] = muni, unit
                    if r.random() < 0.2:
                        ev["unit"] = self.unit()
                    ev.update(base)
                    if r.random() < 0.2:
                        for f in ("person", "household", "gender",
                                  "birth_year"):
                            ev.pop(f, None)
                        self.subject(ev)
                    ev.update({"type": typ, "case": case,
                               "decided_on": iso(self.date_between(lo, hi))})
                    self.decision_fields(ev, r.random() < 0.3)
                    self.fix_by(ev, "decided_on")
                    return ev

                def mutate(ev, lo=lo, hi=hi):
                    k = r.randint(0, 4)
                    if k <= 1:
                        ev["decided_on"] = iso(self.date_between(lo, hi))
                        self.fix_by(ev, "decided_on")
                    elif k == 2:
                        self.decision_fields(ev, True)
                    elif k == 3:
                        for f in ("person", "household", "gender",
                                  "birth_year"):
                            ev.pop(f, None)
                        self.subject(ev)
                        self.fix_by(ev, "decided_on")
                    else:
                        self.move(ev)
                    return ev

                self.emit(self.revisions(make, mutate))
        # decisions not to open: no figure counts them
        for _ in range(r.choice([0, 0, 1])):
            ev = self.common("decision")
            self.subject(ev)
            ev.update({"type": "ej_inleda_utredning",
                       "decided_on": iso(self.date_between(self.lo, A))})
            if r.random() < 0.5:
                ev["case"] = "c%d" % r.randint(0, 3)
            self.decision_fields(ev, False)
            self.fix_by(ev, "decided_on")
            self.emit([ev])
        # bistånd decisions: granted or rejected, executed or not
        for _ in range(r.randint(0, 4)):
            def make():
                ev = self.common("decision")
                self.subject(ev)
                d = self.date_between(self.lo, A)
                if r.random() < 0.3:  # near the 3-month line
                    d = add_months(A, -3) + dt.timedelta(
                        days=r.randint(-2, 2))
                ev.update({"type": "bistand",
                           "outcome": r.choice(["bifall", "bifall", "avslag"]),
                           "decided_on": iso(d)})
                if r.random() < 0.5:
                    ev["executed_on"] = iso(self.date_between(
                        d, min(A, d + dt.timedelta(days=r.choice([0, 30, 95,
                                                                  300])))))
                self.decision_fields(ev, True)
                self.fix_by(ev, "decided_on")
                return ev

            def mutate(ev):
                k = r.randint(0, 4)
                d = D(ev["decided_on"])
                if k == 0:
                    ev["outcome"] = r.choice(["bifall", "avslag"])
                elif k == 1:  # executed later, or the date taken back
                    if "executed_on" in ev and r.random() < 0.3:
                        del ev["executed_on"]
                    else:
                        ev["executed_on"] = iso(self.date_between(d, A))
                elif k == 2:
                    nd = d - dt.timedelta(days=r.choice([1, 40, 400]))
                    ev["decided_on"] = iso(nd)
                    self.fix_by(ev, "decided_on")
                elif k == 3:
                    self.decision_fields(ev, True)
                else:
                    self.move(ev)
                return ev

            self.emit(self.revisions(make, mutate))

    def referrals(self):
        r, A = self.r, self.A
        for _ in range(r.randint(0, 6)):
            def make():
                ev = self.common("referral")
                ev.update({"person": "p-%d-%d" % (self.seed, r.randint(0, 9)),
                           "gender": r.choice("FFMMX"),
                           "birth_year": r.randint(A.year - 18, A.year - 1)
                           if r.random() < 0.8 else r.randint(1940, 1999),
                           "received_on": iso(self.date_between(self.lo, A)),
                           "reporter": r.choice(REPORTERS),
                           "target": r.choice(TARGETS)})
                self.fix_by(ev, "received_on")
                return ev

            def mutate(ev):
                k = r.randint(0, 3)
                if k == 0:
                    ev["received_on"] = iso(self.date_between(
                        self.lo - dt.timedelta(days=800), A))
                    self.fix_by(ev, "received_on")
                elif k == 1:
                    ev["reporter"] = r.choice(REPORTERS)
                    ev["target"] = r.choice(TARGETS)
                elif k == 2:
                    ev["gender"] = r.choice("FMX")
                    ev["birth_year"] = r.randint(1940, D(ev["received_on"]).year)
                else:
                    self.move(ev)
                return ev

            self.emit(self.revisions(make, mutate))

    def budgets(self):
        r, A = self.r, self.A
        # at most one budget per (unit, year) in all the seed's
        # municipalities: the id names both; revisions keep them
        keys = set()
        for _ in range(r.randint(0, 3)):
            unit = self.unit()
            year = r.randint(self.lo.year, A.year)
            if (unit, year) in keys:
                continue
            keys.add((unit, year))
            source = r.choice(self.sources)
            muni = self.muni()

            def body():
                amount = r.choice([r.randint(1_000_000_00, 50_000_000_00),
                                   r.randint(-1000, 1000),
                                   r.randint(1, 50_000_000_00)])
                ev = {"kind": "budget", "source": source,
                      "id": "b-%s-%d" % (unit, year), "municipality": muni,
                      "unit": unit, "year": year, "amount_ore": amount}
                if r.random() < 0.4:
                    w = [r.randint(0, 10) for _ in range(12)]
                    s = sum(w) or 1
                    prof = [amount * x // s for x in w]
                    prof[r.randint(0, 11)] += amount - sum(prof)
                    ev["monthly_ore"] = prof
                return ev

            def mutate(ev):
                nonlocal muni
                if r.random() < 0.2:
                    muni = r.choice(self.munis)
                return body()

            self.emit(self.revisions(body, mutate))

    def run(self):
        self.payments()
        self.placements()
        self.decisions()
        self.referrals()
        self.budgets()
        for ev in self.lines:
            check_valid(ev)
        return self.lines


def check_valid(ev):
    """nyckeld's field rules (README "Input: events"): every generated
    event must be accepted, or the stream tests the wrong thing."""
    def by_ok(by, date_year):
        return 1890 <= by <= date_year

    bad = None
    k = ev["kind"]
    if ev.get("deleted"):
        pass
    elif k == "payment":
        if not by_ok(ev["head_birth_year"], mi_year(mi_parse(ev["month"]))):
            bad = "head_birth_year"
        elif ev["amount_ore"] < 0 and not ev.get("reversal"):
            bad = "amount_ore"
    elif k == "placement":
        if "end" in ev and ev["end"] < ev["start"]:
            bad = "end"
        elif not by_ok(ev["birth_year"], D(ev["start"]).year):
            bad = "birth_year"
    elif k == "decision":
        if ("person" in ev) == ("household" in ev):
            bad = "person/household"
        elif "person" in ev and "gender" not in ev:
            bad = "gender"
        elif ev.get("executed_on", "9") < ev["decided_on"]:
            bad = "executed_on"
        elif "birth_year" in ev and not by_ok(ev["birth_year"],
                                              D(ev["decided_on"]).year):
            bad = "birth_year"
    elif k == "referral":
        if not by_ok(ev["birth_year"], D(ev["received_on"]).year):
            bad = "birth_year"
    elif k == "budget":
        if "monthly_ore" in ev and sum(ev["monthly_ore"]) != ev["amount_ore"]:
            bad = "monthly_ore"
    if bad:
        raise SystemExit("model: generated an invalid %s (%s): %s" %
                         (k, bad, json.dumps(ev)))


# ---------------------------------------------------------- query plan

RANGE_MAX = {"month": 8, "tertial": 4, "quarter": 4, "half": 3, "year": 3,
             "ytd": 14, "r12": 14}


def plan(seed, A, lo, n_kinds):
    """The period ranges a seed asks for: n_kinds kinds (rotating with
    the seed so that all are covered), each one range of 1..N periods of
    that kind ending at a running period, one after it or one in the
    past."""
    r = random.Random(seed * 31 + 7)
    start = seed % len(KINDS)
    kinds = [KINDS[(start + i) % len(KINDS)] for i in range(n_kinds)]
    out = []
    a_mi = mi_of_date(A)
    for k in kinds:
        c = r.random()
        if c < 0.45:
            end_mi = a_mi  # running
        elif c < 0.6:
            end_mi = a_mi + r.randint(1, 13)  # running R12/YTD or future
        else:
            end_mi = r.randint(mi_of_date(lo) - 6, a_mi)
        last = Period.ending(k, end_mi)
        n = r.randint(1, RANGE_MAX[k])
        first = last
        for _ in range(n - 1):  # YTD and R12 periods follow month by month
            first = Period.ending(k, first.last - 1 if k in ("ytd", "r12")
                                  else first.first - 1)
        out.append((first.id(), last.id(), k))
    return out


def period_parse(s):
    """id -> Period (only the forms this model writes)"""
    if s.endswith("-YTD"):
        return Period.ending("ytd", mi_parse(s[:-4]))
    if s.endswith("-R12"):
        return Period.ending("r12", mi_parse(s[:-4]))
    if len(s) == 4:
        return Period.ending("year", mi_of(int(s), 12))
    y, rest = int(s[:4]), s[5:]
    if rest[0] == "T":
        return Period.ending("tertial", mi_of(y, int(rest[1]) * 4))
    if rest[0] == "Q":
        return Period.ending("quarter", mi_of(y, int(rest[1]) * 3))
    if rest[0] == "H":
        return Period.ending("half", mi_of(y, int(rest[1]) * 6))
    return Period.ending("month", mi_of(y, int(rest)))


def cmd_gen(args):
    work, A = args["work"], D(args["as_of"])
    first, last = (int(x) for x in args["seeds"].split("-"))
    n_kinds = int(args.get("kinds", 3))
    n_files = int(args.get("files", 4))
    seeds = {}
    lines = []
    queries = []
    for seed in range(first, last + 1):
        g = Gen(seed, A)
        ls = g.run()
        lines.extend(ls)
        ranges = plan(seed, A, g.lo, n_kinds)
        seeds[seed] = {"munis": g.munis, "ranges": ranges}
        for m in g.munis:
            for p, pt, _ in ranges:
                for ru in QUERY_ROLLUPS:
                    queries.append("%s %s %s %s" % (m, p, pt, ru))
    rnd = random.Random(first * 1000003 + last)
    texts = [json.dumps(ev, separators=(",", ":")) for ev in lines]
    with open(os.path.join(work, "stream.jsonl"), "w") as f:
        f.write("".join(t + "\n" for t in texts))
    # delivery: shuffled (out of order: stale revisions arrive after
    # newer ones), split over n_files pushes; a third of the events dated
    # more than two years back are held for the last push (late)
    rnd.shuffle(texts)
    old = str(A.year - 2)
    late = [t for t in texts if rnd.random() < 0.33 and any(
        ('"%s":"%s' % (f, y)) in t for f in ("month", "start", "decided_on",
                                             "received_on")
        for y in [str(int(old) - i) for i in range(8)])]
    late_set = set(id(t) for t in late)
    rest = [t for t in texts if id(t) not in late_set]
    files = [[] for _ in range(n_files)]
    for i, t in enumerate(rest):
        files[i % n_files].append(t)
    files[-1].extend(late)
    for i, fl in enumerate(files):
        with open(os.path.join(work, "push-%d.jsonl" % i), "w") as f:
            f.write("".join(t + "\n" for t in fl))
    rnd.shuffle(queries)
    with open(os.path.join(work, "queries.txt"), "w") as f:
        f.write("".join(q + "\n" for q in queries))
    with open(os.path.join(work, "seeds.json"), "w") as f:
        json.dump({"as_of": args["as_of"], "seeds": seeds}, f)
    print("model: %d seeds, %d events (%d late), %d queries" %
          (last - first + 1, len(texts), len(late), len(queries)))


# ------------------------------------------------------ final states


def final_states(path):
    """Highest revision per (source, kind, id); tombstones drop."""
    best = {}
    with open(path) as f:
        for line in f:
            ev = json.loads(line)
            key = (ev["source"], ev["kind"], ev["id"])
            old = best.get(key)
            if old is None or ev["revision"] > old["revision"]:
                best[key] = ev
            elif ev["revision"] == old["revision"] and ev != old:
                raise SystemExit("model: %s revision %d with two contents"
                                 % (key, ev["revision"]))
    by_muni = defaultdict(lambda: defaultdict(list))
    for ev in best.values():
        if not ev.get("deleted"):
            by_muni[ev["municipality"]][ev["kind"]].append(ev)
    return by_muni


# ------------------------------------------------------ the recompute
#
# Every function below takes the final entities of one municipality and
# computes one slice of one period by looking at every entity, and at
# every day or month it covers, without any of nyckeld's machinery.


def elapsed_months(p, A):
    if p.running(A):
        return mi_of_date(A) - p.first + 1
    return p.last - p.first + 1


def elapsed_days(p, A):
    if p.running(A):
        return (A - p.first_day()).days + 1
    return (p.last_day() - p.first_day()).days + 1


def last_month_as_of(p, A):
    return mi_of_date(A) if p.running(A) else p.last


# -- eb


def eb_slices(ev, label_year):
    return [TOTAL, sl(unit=ev["unit"]),
            sl(age_band=age_band(ev["head_birth_year"], label_year)),
            sl(category=ev["category"])]


def eb_net(pays, months, label_year, s):
    """net paid per (household, month) of slice s"""
    net = defaultdict(int)
    for ev in pays:
        m = mi_parse(ev["month"])
        if m in months and s in eb_slices(ev, label_year):
            net[(ev["household"], m)] += ev["amount_ore"]
    return net


def eb_metrics(ents, p, s, A):
    pays = ents.get("payment", [])
    Y = p.start_year()
    months = set(p.months())
    paid = sum(ev["amount_ore"] for ev in pays
               if mi_parse(ev["month"]) in months and s in eb_slices(ev, Y))
    temp = sum(ev["amount_ore"] for ev in pays
               if mi_parse(ev["month"]) in months and s in eb_slices(ev, Y)
               and ev["category"] == "tillfalligt_boende")
    net = eb_net(pays, months, Y, s)
    hm = 0
    for m in sorted(months):
        hm += len({h for (h, mm), v in net.items() if mm == m and
                   (v >= 0 if BREAK == 2 else v > 0)})
    hh = len({h for (h, mm), v in net.items() if v > 0})
    L = last_month_as_of(p, A)
    window = set(range(L - 11, L + 1))
    wnet = eb_net(pays, window, mi_year(L - 11), s)
    per_h = defaultdict(int)
    for (h, mm), v in wnet.items():
        if v > 0:
            per_h[h] += 1
    lt = sum(1 for h, n in per_h.items() if n >= 10)
    whh = len(per_h)
    out = {
        "paid": kr(paid),
        "households": hh,
        "household_months": hm,
        "households_per_month": ratio(hm, elapsed_months(p, A)),
        "avg_months": ratio(hm, hh),
        "paid_per_household_month": None if hm == 0 else kr(paid) / hm,
        "long_term_households": lt,
        "long_term_share": ratio(lt, whh),
        "temp_housing_share": ratio(temp, paid),
    }
    if s and s[0][0] == "category":
        out = {k: (v if k == "paid" else None) for k, v in out.items()}
    return out


# -- pl


def pl_slices(ev, Y):
    return [TOTAL, sl(unit=ev["unit"]), sl(setting=ev["setting"]),
            sl(regi=ev["regi"]), sl(setting=ev["setting"], regi=ev["regi"]),
            sl(target=ev["target"]), sl(legal_basis=ev["legal_basis"]),
            sl(gender=gender_label(ev["gender"], ev["birth_year"], Y)),
            sl(age_band=age_band(ev["birth_year"], Y))]


def pl_covers(ev, d, A):
    """is day d a care day of placement ev"""
    start = D(ev["start"])
    if "end" in ev:
        end = D(ev["end"])
        if BREAK == 1:
            end += dt.timedelta(days=1)
        return start <= d < end
    return start <= d <= A


def pl_care_days(ev, p, A):
    """the placement's care days in p, counted day by day over the part
    of p the placement can touch"""
    start = D(ev["start"])
    lo = max(start, p.first_day())
    n = 0
    d = lo
    last = p.last_day()
    while d <= last:
        if pl_covers(ev, d, A):
            n += 1
        elif d > start:
            break  # a placement's care days are contiguous
        d += dt.timedelta(days=1)
    return n


def pl_metrics(ents, p, s, A, cache):
    pls = ents.get("placement", [])
    Y = p.start_year()
    care = cost = ext = started = ended = active = 0
    persons = set()
    X = A if p.running(A) else p.last_day()
    for ev in pls:
        if s not in pl_slices(ev, Y):
            continue
        key = (ev["source"], ev["id"], p.id())
        if key not in cache:
            cache[key] = pl_care_days(ev, p, A)
        n = cache[key]
        care += n
        c = n * ev["daily_cost_ore"]
        cost += c
        if ev["regi"] == "extern":
            ext += c
        if n > 0:
            persons.add(ev["person"])
        if p.first_day() <= D(ev["start"]) <= p.last_day():
            started += 1
        if "end" in ev and p.first_day() <= D(ev["end"]) <= p.last_day():
            ended += 1
        if pl_covers(ev, X, A):
            active += 1
    annual = care / elapsed_days(p, A)
    return {
        "care_days": care,
        "annual_placements": annual,
        "cost": kr(cost),
        "cost_per_care_day": None if care == 0 else kr(cost) / care,
        "cost_per_annual_placement": None if annual == 0 else
        kr(cost) / annual,
        "persons": len(persons),
        "started": started,
        "ended": ended,
        "active_at_end": active,
        "external_cost_share": ratio(ext, cost),
    }


# -- inv


def inv_decision_slices(ev, Y):
    out = [TOTAL, sl(unit=ev["unit"])]
    if "target" in ev:
        out.append(sl(target=ev["target"]))
    # an age band needs the birth year, a gender label both (README,
    # agg_inv.h: "when birth year and gender are given")
    if "birth_year" in ev:
        out.append(sl(age_band=age_band(ev["birth_year"], Y)))
        if "gender" in ev:
            out.append(sl(gender=gender_label(ev["gender"], ev["birth_year"],
                                              Y)))
    if "legal_basis" in ev:
        out.append(sl(legal_basis=ev["legal_basis"]))
    if "intervention" in ev:
        out.append(sl(intervention=ev["intervention"]))
    return out


def inv_referral_slices(ev, Y):
    return [TOTAL, sl(unit=ev["unit"]), sl(target=ev["target"]),
            sl(gender=gender_label(ev["gender"], ev["birth_year"], Y)),
            sl(age_band=age_band(ev["birth_year"], Y)),
            sl(reporter=ev["reporter"])]


def inv_metrics(ents, p, s, A):
    decs = ents.get("decision", [])
    refs = ents.get("referral", [])
    Y = p.start_year()
    pf, pl_ = p.first_day(), p.last_day()

    def inp(d):
        return pf <= D(d) <= pl_

    openings = {}
    for ev in decs:
        if ev["type"] == "inleda_utredning":
            openings[(ev["municipality"], ev["source"], ev["case"])] = ev
    referrals = sum(1 for ev in refs if inp(ev["received_on"])
                    and s in inv_referral_slices(ev, Y))
    opened = ongoing = closed = within = known = days = 0
    granted = rejected = not_exec = 0
    D_ = A if p.running(A) else pl_
    for ev in decs:
        if s not in inv_decision_slices(ev, Y):
            continue
        t = ev["type"]
        dec = D(ev["decided_on"])
        if t == "inleda_utredning":
            if inp(ev["decided_on"]):
                opened += 1
            close = None
            for c in decs:
                if c["type"] == "avsluta_utredning" and \
                        (c["municipality"], c["source"], c["case"]) == \
                        (ev["municipality"], ev["source"], ev["case"]):
                    close = D(c["decided_on"])
            end = close if close is not None else A
            # open on at least one day of p: the days dec..end and the
            # days of p overlap
            if max(dec, pf) <= min(end, pl_):
                ongoing += 1
        elif t == "avsluta_utredning":
            if not inp(ev["decided_on"]):
                continue
            closed += 1
            o = openings.get((ev["municipality"], ev["source"], ev["case"]))
            if o is not None:
                od = D(o["decided_on"])
                known += 1
                days += (dec - od).days + (1 if BREAK == 3 else 0)
                due = add_months(od, 4)
                if dec <= due:
                    within += 1
        elif t == "bistand":
            if inp(ev["decided_on"]):
                if ev["outcome"] == "bifall":
                    granted += 1
                else:
                    rejected += 1
            if ev["outcome"] == "bifall" and add_months(dec, 3) <= D_:
                if "executed_on" in ev:
                    if D_ < D(ev["executed_on"]):
                        not_exec += 1
                elif D_ <= A:
                    not_exec += 1
    out = {
        "referrals": referrals,
        "opened": opened,
        "referral_conversion": ratio(opened, referrals),
        "ongoing": ongoing,
        "closed": closed,
        "closed_within_4_months": within,
        "within_4_months_share": ratio(within, closed),
        "avg_investigation_days": ratio(days, known),
        "granted": granted,
        "rejected": rejected,
        "rejection_share": ratio(rejected, granted + rejected),
        "not_executed_3_months": not_exec,
    }
    key = s[0][0] if s else None
    if key == "reporter":  # decisions have no reporter
        for k in out:
            if k != "referrals":
                out[k] = None
    if key in ("legal_basis", "intervention"):  # referrals have neither
        out["referrals"] = None
        out["referral_conversion"] = None
    return out


# -- ec


def budget_profile(ev):
    if "monthly_ore" in ev:
        return ev["monthly_ore"]
    a = ev["amount_ore"]
    q, r = divmod(a, 12)  # floor division, also for negative amounts
    return [q + (1 if i >= 12 - r else 0) for i in range(12)]


def ec_outcome(ents, p, s, A, cache):
    """eb.paid + pl.cost of slice s (total or unit) in period p, öre"""
    out = 0
    months = set(p.months())
    for ev in ents.get("payment", []):
        if mi_parse(ev["month"]) in months and s in (TOTAL,
                                                      sl(unit=ev["unit"])):
            out += ev["amount_ore"]
    for ev in ents.get("placement", []):
        if s in (TOTAL, sl(unit=ev["unit"])):
            key = (ev["source"], ev["id"], p.id())
            if key not in cache:
                cache[key] = pl_care_days(ev, p, A)
            out += cache[key] * ev["daily_cost_ore"]
    return out


def ec_metrics(ents, p, s, A, cache):
    buds = [ev for ev in ents.get("budget", [])
            if s in (TOTAL, sl(unit=ev["unit"]))]
    L = last_month_as_of(p, A)
    YL = mi_year(L)
    budget = sum(ev["amount_ore"] for ev in buds if ev["year"] == YL)
    btd = 0
    for m in p.months():
        if m > L:
            continue
        for ev in buds:
            if ev["year"] == mi_year(m):
                btd += budget_profile(ev)[mi_month(m) - 1]
    outcome = ec_outcome(ents, p, s, A, cache)
    ytd = Period.ending("ytd", L)
    out_ytd = ec_outcome(ents, ytd, s, A, cache)
    if ytd.running(A):
        days = (A - ytd.first_day()).days + 1
    else:
        days = (ytd.last_day() - ytd.first_day()).days + 1
    forecast = out_ytd / days * days_in_year(YL)
    r12 = Period.ending("r12", L)
    if BREAK == 4:
        r12 = Period("r12", L - 10, L)
    rolling = ec_outcome(ents, r12, s, A, cache)
    return {
        "budget": kr(budget),
        "budget_to_date": kr(btd),
        "outcome": kr(outcome),
        "deviation": kr(btd - outcome),
        "consumed_share": ratio(out_ytd, budget),
        "forecast": kr(forecast),
        "forecast_deviation": kr(budget - forecast),
        "rolling_annual_cost": kr(rolling),
    }


def slice_values(ents, domain, p, A):
    """Every slice of domain that some entity of the municipality could
    fall in during p (its rollup values, labelled for p)."""
    Y = p.start_year()
    out = {TOTAL}
    if domain == "eb":
        for ev in ents.get("payment", []):
            out.update(eb_slices(ev, Y))
            # the long-term window's households, banded at its start
            L = last_month_as_of(p, A)
            out.update(eb_slices(ev, mi_year(L - 11)))
    elif domain == "pl":
        for ev in ents.get("placement", []):
            out.update(pl_slices(ev, Y))
    elif domain == "inv":
        for ev in ents.get("decision", []):
            out.update(inv_decision_slices(ev, Y))
        for ev in ents.get("referral", []):
            out.update(inv_referral_slices(ev, Y))
    else:
        for kind in ("payment", "placement", "budget"):
            for ev in ents.get(kind, []):
                out.add(sl(unit=ev["unit"]))
    return out


def rollup_of(s):
    """the rollup a slice belongs to ("setting,regi" in that order)"""
    keys = [k for k, _ in s]
    if keys == ["regi", "setting"]:
        return "setting,regi"
    return ",".join(keys) if s else "-"


def metrics_of(domain, ents, p, s, A, cache):
    if domain == "eb":
        return eb_metrics(ents, p, s, A)
    if domain == "pl":
        return pl_metrics(ents, p, s, A, cache)
    if domain == "inv":
        return inv_metrics(ents, p, s, A)
    return ec_metrics(ents, p, s, A, cache)


# ------------------------------------------------------------ compare


def same(metric, want, got):
    if want is None or got is None:
        return want is None and got is None
    if metric in MONEY:
        return abs(want - got) <= 0.00501 + 1e-9 * abs(want)
    return abs(want - got) <= 1e-9 * max(abs(want), abs(got)) + 1e-12


def fmt(v):
    return "null" if v is None else repr(v)


def slice_key(d):
    """the daemon's slice object as our tuple; setting,regi in order"""
    return tuple(sorted(d.items()))


def slice_name(s):
    return ",".join("%s=%s" % kv for kv in s) if s else "total"


def cmd_check(args, results):
    work = args["work"]
    meta = json.load(open(os.path.join(work, "seeds.json")))
    A = D(meta["as_of"])
    seeds = {int(k): v for k, v in meta["seeds"].items()}
    if args.get("seeds"):
        only = set(int(x) for x in args["seeds"].split(","))
        seeds = {k: v for k, v in seeds.items() if k in only}
    max_diffs = int(args.get("max_diffs", 10))
    states = final_states(os.path.join(work, "stream.jsonl"))

    # what nyckeld answered: (muni, domain, period, slice) -> metrics
    got = {}
    by_period = defaultdict(set)
    errors = []
    for path in results:
        with open(path) as f:
            for line in f:
                if line.startswith("QUERYFAIL"):
                    errors.append(line.strip())
                    continue
                o = json.loads(line)
                if o.get("as_of") != meta["as_of"] and not errors:
                    errors.append("answer as of %s, not %s" %
                                  (o.get("as_of"), meta["as_of"]))
                k = (o["municipality"], o["domain"], o["period"],
                     slice_key(o["slice"]))
                if k in got and got[k] != o["metrics"]:
                    errors.append("two answers for %s" % (k,))
                got[k] = o["metrics"]
                by_period[k[:3]].add(k[3])
    diffs = []
    n_slices = n_values = n_nonzero = 0
    nonzero = defaultdict(int)
    seen = set()
    for seed in sorted(seeds):
        info = seeds[seed]
        for muni in info["munis"]:
            ents = states.get(muni, {})
            cache = {}
            for p_id, pt_id, _ in info["ranges"]:
                for p in period_range(period_parse(p_id), period_parse(pt_id)):
                    for domain in DOMAINS:
                        answered = by_period[(muni, domain, p.id())]
                        want_slices = slice_values(ents, domain, p, A) | \
                            answered
                        for s in sorted(want_slices):
                            if s != TOTAL and rollup_of(s) not in \
                                    ROLLUPS[domain]:
                                continue
                            key = (muni, domain, p.id(), s)
                            seen.add(key)
                            want = metrics_of(domain, ents, p, s, A, cache)
                            g = got.get(key)
                            n_slices += 1
                            if g is None:
                                # no cell: only right when nothing is there
                                if s == TOTAL or any(
                                        v not in (None, 0, 0.0)
                                        for v in want.values()):
                                    diffs.append((seed, key, "(slice)", {
                                        k: v for k, v in want.items()
                                        if v not in (None, 0)}, "no slice"))
                                continue
                            if set(g) != set(METRICS[domain]):
                                diffs.append((seed, key, "(metric ids)",
                                              sorted(METRICS[domain]),
                                              sorted(g)))
                                continue
                            for m in METRICS[domain]:
                                n_values += 1
                                if want[m] not in (None, 0):
                                    n_nonzero += 1
                                    nonzero[domain] += 1
                                if not same(m, want[m], g[m]):
                                    diffs.append((seed, key, m, want[m],
                                                  g[m]))
    # every answer was compared
    munis = {m for v in seeds.values() for m in v["munis"]}
    extra = [k for k in got if k[0] in munis and k not in seen]
    for k in extra[:max_diffs]:
        errors.append("unexpected slice in the answer: %s/%s/%s/%s" %
                      (k[0], k[1], k[2], slice_name(k[3])))
    for e in errors[:max_diffs]:
        print("model: ERROR %s" % e)
    for seed, key, m, want, g in diffs[:max_diffs]:
        muni, domain, pid, s = key
        print("model: DIFF seed %d municipality %s %s %s slice %s metric %s:"
              " expected %s, got %s" % (seed, muni, domain, pid,
                                        slice_name(s), m, fmt(want), fmt(g)))
    if args.get("diffs_out"):
        with open(args["diffs_out"], "w") as f:
            for seed, key, m, want, g in diffs:
                f.write("%d %s %s %s %s %s\n" % (seed, key[0], key[1], key[2],
                                                 slice_name(key[3]), m))
    kinds = defaultdict(int)
    for seed, key, m, want, g in diffs:
        kinds["%s %s %s" % (key[1], rollup_of(key[3]), m)] += 1
    if kinds:
        print("model: differences by domain, rollup, metric: " + ", ".join(
            "%s: %d" % kv for kv in sorted(kinds.items(),
                                           key=lambda kv: -kv[1])[:12]))
    bad_seeds = sorted({d[0] for d in diffs})
    print("model: %d seeds, %d slices, %d values compared (%d non-zero: %s)"
          "; %d differences in %d seeds%s; %d errors" %
          (len(seeds), n_slices, n_values, n_nonzero,
           " ".join("%s %d" % kv for kv in sorted(nonzero.items())),
           len(diffs), len(bad_seeds),
           (" (" + " ".join(str(s) for s in bad_seeds[:20]) + ")")
           if bad_seeds else "", len(errors)))
    return 1 if diffs or errors or n_values == 0 else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("gen", "check", "show"):
        print(__doc__)
        return 2
    args, rest = {}, []
    it = iter(argv[2:])
    for a in it:
        if a.startswith("--"):
            args[a[2:].replace("-", "_")] = next(it)
        else:
            rest.append(a)
    if argv[1] == "gen":
        cmd_gen(args)
        return 0
    if argv[1] == "show":  # the final states of one municipality
        states = final_states(os.path.join(args["work"], "stream.jsonl"))
        for kind, evs in sorted(states.get(args["muni"], {}).items()):
            if args.get("kind") in (None, kind):
                for ev in sorted(evs, key=lambda e: (e["source"], e["id"])):
                    print(json.dumps(ev, separators=(",", ":")))
        return 0
    return cmd_check(args, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

/*
 * test_agg_pl.c — domain pl (placements) from hand-computed examples
 * (DESIGN §3, §4, §5), black-box through agg_pl.apply/advance/metrics
 * on a cellmap with no backing store.
 *
 * Definitions tested, for period P, slice S and as-of day A:
 *   care_days: dates d in P with start <= d < end; an open placement
 *     counts start <= d <= A; one with an end counts all its days, also
 *     those after A. annual_placements = care_days / elapsed days of P
 *     (days 1..A when P contains A, all days otherwise). cost = care days
 *     x daily cost. persons: distinct persons with >= 1 care day in P.
 *     started / ended: start / (exclusive) end inside P. active_at_end:
 *     placements covering D (A when P is running, else P's last day):
 *     start <= D < end, open ones start <= D <= A. Age and gender labels
 *     by the year of P's first month.
 *
 * Fixtures (municipality 0127; costs in kronor per day):
 *   closed (as of 2016-06-01, every placement has an end):
 *     pl-1 anna  F 2003 familjehem/egen   barn_unga SoL barn-unga
 *          2014-12-20..2015-01-10 (last care day 01-09)   1000 kr
 *     pl-2 bo    M 1996 institution/extern barn_unga LVU barn-unga
 *          2013-11-01..2014-03-01 (last care day 02-28)   3500 kr
 *     pl-3 cia   F 1970 stodboende/extern vuxna_missbruk LVM vuxen
 *          2014-03-15..2014-05-01                         1200 kr
 *     pl-4 anna  F 2003 jourhem/egen      barn_unga SoL barn-unga
 *          2015-02-01..2015-03-01                          800 kr
 *     pl-5 dan   M 2010 familjehem/egen   barn_unga SoL barn-unga
 *          2015-06-10..2015-06-10 (zero length)            500 kr
 *     pl-6 eva   F 1990 skyddat_boende/extern vald_nara_relation SoL
 *          vuxen 2015-02-10..2015-02-20                   1500 kr
 *   running (as of 2014-08-15):
 *     ru-1 fia   F 2000 institution/extern barn_unga LVU barn-unga
 *          2014-08-01..open                               2500 kr
 *     ru-2 gus   M 1950 bostad_sarskild_service/egen
 *          psykisk_funktionsnedsattning LSS lss 2013-12-01..open 500 kr
 *     ru-3 hal   X 1985 annat/egen ensamkommande SoL vuxen
 *          2014-08-10..2014-09-10 (ends after A)          1000 kr
 *     ru-4 ida   F 2005 jourhem/egen barn_unga SoL barn-unga
 *          2014-08-20..2014-08-25 (starts after A)         900 kr
 *     ru-5 jon   M 2008 jourhem/egen barn_unga SoL barn-unga
 *          2014-08-20..open (starts after A)               900 kr
 *     ru-6 lo    F 1999 familjehem/egen barn_unga SoL barn-unga
 *          2014-08-15..2014-08-15 (zero length on A)       700 kr
 *   labels (as of 2014-01-15 and 2014-08-15): persons whose gender label
 *     or age band changes at a new year, placed on A, in running periods
 *     whose first month lies in A's year or the year before.
 *   design check: DESIGN §4's 12 442 vårddygn and 8 544 tkr in 2014.
 *   advance: one open placement, moved a day (and more) at a time and
 *     compared with a map where it was applied at the new day directly.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"
#include "agg_pl.h"
#include "cell.h"
#include "cellmap.h"
#include "period.h"

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

#define CLOSED_AS_OF "2016-06-01"
#define RUN_AS_OF "2014-08-15"
#define DC_AS_OF "2015-03-01"

/* One placement of a fixture; end NULL = open. */
struct pl_spec {
    const char *id, *unit, *person;
    enum gender gender;
    int birth_year;
    enum setting setting;
    enum regi regi;
    enum target target;
    enum legal_basis legal_basis;
    const char *start, *end; /* "YYYY-MM-DD" */
    int64_t daily_cost_ore;
};

static int32_t day(const char *s)
{
    int32_t d = 0;
    assert_int_equal(period_date_parse(s, &d), 0);
    return d;
}

static struct event mk(const struct pl_spec *s, uint64_t revision)
{
    struct event e;
    memset(&e, 0, sizeof(e));
    e.kind = EVENT_PLACEMENT;
    snprintf(e.source, sizeof(e.source), "test");
    snprintf(e.id, sizeof(e.id), "%s", s->id);
    e.revision = revision;
    snprintf(e.municipality, sizeof(e.municipality), "0127");
    snprintf(e.unit, sizeof(e.unit), "%s", s->unit);
    struct placement *p = &e.u.placement;
    snprintf(p->person, sizeof(p->person), "%s", s->person);
    p->gender = s->gender;
    p->birth_year = s->birth_year;
    p->setting = s->setting;
    p->regi = s->regi;
    p->target = s->target;
    p->legal_basis = s->legal_basis;
    p->start = day(s->start);
    p->end = s->end ? day(s->end) : -1;
    p->daily_cost_ore = s->daily_cost_ore;
    return e;
}

static void apply_specs(struct cellmap *m, const struct pl_spec *s, size_t n,
                        int sign, int32_t as_of)
{
    for (size_t i = 0; i < n; i++) {
        struct event e = mk(&s[i], 1);
        assert_int_equal(agg_pl.apply(m, &e, sign, as_of), 0);
    }
}

static struct cellmap *map_of(const struct pl_spec *s, size_t n,
                              const char *as_of)
{
    struct cellmap *m = cellmap_new(NULL, NULL);
    assert_non_null(m);
    apply_specs(m, s, n, +1, day(as_of));
    return m;
}

static const struct pl_spec closed_fx[] = {
    {"pl-1", "barn-unga", "anna", GENDER_F, 2003, SETTING_FAMILJEHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2014-12-20", "2015-01-10", 100000},
    {"pl-2", "barn-unga", "bo", GENDER_M, 1996, SETTING_INSTITUTION,
     REGI_EXTERN, TARGET_BARN_UNGA, LEGAL_LVU, "2013-11-01", "2014-03-01",
     350000},
    {"pl-3", "vuxen", "cia", GENDER_F, 1970, SETTING_STODBOENDE, REGI_EXTERN,
     TARGET_VUXNA_MISSBRUK, LEGAL_LVM, "2014-03-15", "2014-05-01", 120000},
    {"pl-4", "barn-unga", "anna", GENDER_F, 2003, SETTING_JOURHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2015-02-01", "2015-03-01", 80000},
    {"pl-5", "barn-unga", "dan", GENDER_M, 2010, SETTING_FAMILJEHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2015-06-10", "2015-06-10", 50000},
    {"pl-6", "vuxen", "eva", GENDER_F, 1990, SETTING_SKYDDAT_BOENDE,
     REGI_EXTERN, TARGET_VALD_NARA_RELATION, LEGAL_SOL, "2015-02-10",
     "2015-02-20", 150000},
};

static const struct pl_spec running_fx[] = {
    {"ru-1", "barn-unga", "fia", GENDER_F, 2000, SETTING_INSTITUTION,
     REGI_EXTERN, TARGET_BARN_UNGA, LEGAL_LVU, "2014-08-01", NULL, 250000},
    {"ru-2", "lss", "gus", GENDER_M, 1950, SETTING_BOSTAD_SARSKILD_SERVICE,
     REGI_EGEN, TARGET_PSYKISK_FUNKTIONSNEDSATTNING, LEGAL_LSS, "2013-12-01",
     NULL, 50000},
    {"ru-3", "vuxen", "hal", GENDER_X, 1985, SETTING_ANNAT, REGI_EGEN,
     TARGET_ENSAMKOMMANDE, LEGAL_SOL, "2014-08-10", "2014-09-10", 100000},
    {"ru-4", "barn-unga", "ida", GENDER_F, 2005, SETTING_JOURHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2014-08-20", "2014-08-25", 90000},
    {"ru-5", "barn-unga", "jon", GENDER_M, 2008, SETTING_JOURHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2014-08-20", NULL, 90000},
    {"ru-6", "barn-unga", "lo", GENDER_F, 1999, SETTING_FAMILJEHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2014-08-15", "2014-08-15", 70000},
};

/* The metrics of (period, slice) as of the day given, into out. */
static size_t metrics_of(struct cellmap *m, const char *period,
                         const char *slice, int32_t as_of, struct metric *out)
{
    char key[CELL_KEY_MAX];
    struct cell_key_parts k;
    size_t n = 0;
    snprintf(key, sizeof(key), "0127/pl/%s/%s", period, slice);
    assert_int_equal(cell_key_split(key, &k), 0);
    assert_int_equal(agg_pl.metrics(m, &k, as_of, out, &n), 0);
    assert_true(n <= AGG_METRICS_MAX);
    return n;
}

/* Value of metric id; fails when metrics() does not give it. */
static struct metric metric_of(struct cellmap *m, const char *period,
                               const char *slice, int32_t as_of, const char *id)
{
    struct metric out[AGG_METRICS_MAX];
    size_t n = metrics_of(m, period, slice, as_of, out);
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].id, id) == 0)
            return out[i];
    fail_msg("%s %s: no metric %s", period, slice, id);
    return out[0];
}

/* Within 1e-12 relative (1e-9 absolute near zero): the figures below are
 * exact up to the last bits of the division order. */
static int close_to(double got, double want)
{
    double tol = fabs(want) * 1e-12;
    if (tol < 1e-9)
        tol = 1e-9;
    return fabs(got - want) <= tol;
}

struct row {
    const char *period, *slice, *as_of, *id;
    int is_null;
    double want;
};

/* Checks every row, printing each one that differs; the count of those. */
static int check_rows(struct cellmap *m, const char *name,
                      const struct row *rows, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct metric got =
            metric_of(m, r->period, r->slice, day(r->as_of), r->id);
        int ok = r->is_null ? got.is_null
                            : !got.is_null && close_to(got.value, r->want);
        if (ok)
            continue;
        bad++;
        char want[32], have[32];
        if (r->is_null)
            snprintf(want, sizeof(want), "null");
        else
            snprintf(want, sizeof(want), "%.9f", r->want);
        if (got.is_null)
            snprintf(have, sizeof(have), "null");
        else
            snprintf(have, sizeof(have), "%.9f", got.value);
        print_error("%s row %zu: %s %s %s as of %s: want %s, got %s\n", name, i,
                    r->period, r->slice, r->id, r->as_of, want, have);
    }
    return bad;
}

#define CHECK_ROWS(m, rows)                                                    \
    do {                                                                       \
        int bad_ = check_rows((m), #rows, (rows), N_ROWS(rows));               \
        if (bad_)                                                              \
            fail_msg("%s: %d of %zu rows differ", #rows, bad_, N_ROWS(rows));  \
    } while (0)

/* Every metric id of the domain, with its unit, in any order. */
static void test_metric_ids(void **state)
{
    (void)state;
    static const char *const ids[][2] = {
        {"care_days", "count"},
        {"annual_placements", "ratio"},
        {"cost", "kr"},
        {"cost_per_care_day", "kr"},
        {"cost_per_annual_placement", "kr"},
        {"persons", "count"},
        {"started", "count"},
        {"ended", "count"},
        {"active_at_end", "count"},
        {"external_cost_share", "share"},
    };
    struct cellmap *m = map_of(closed_fx, N_ROWS(closed_fx), CLOSED_AS_OF);
    struct metric out[AGG_METRICS_MAX];
    size_t n = metrics_of(m, "2014", "total", day(CLOSED_AS_OF), out);
    assert_int_equal(n, N_ROWS(ids));
    for (size_t i = 0; i < N_ROWS(ids); i++) {
        size_t j = 0;
        while (j < n && strcmp(out[j].id, ids[i][0]) != 0)
            j++;
        if (j == n)
            fail_msg("no metric %s", ids[i][0]);
        assert_non_null(out[j].label);
        if (strcmp(out[j].unit, ids[i][1]) != 0)
            fail_msg("%s: unit %s, want %s", ids[i][0], out[j].unit, ids[i][1]);
    }
    cellmap_destroy(&m);
}

/* The closed fixture: every metric, year boundaries, slices, distinct
 * persons, a zero-length placement and empty periods. */
static const struct row closed_rows[] = {
    /* 2014, total: pl-1 12 (12-20..31) + pl-2 59 (jan 31 + feb 28) +
     * pl-3 47 (mar 15..31 = 17, apr 30) = 118 */
    {"2014", "total", CLOSED_AS_OF, "care_days", 0, 118},
    /* 118 / 365 */
    {"2014", "total", CLOSED_AS_OF, "annual_placements", 0, 118.0 / 365},
    /* 12 x 1000 + 59 x 3500 + 47 x 1200 = 12000 + 206500 + 56400 */
    {"2014", "total", CLOSED_AS_OF, "cost", 0, 274900},
    /* 274900 / 118 = 2329.66... */
    {"2014", "total", CLOSED_AS_OF, "cost_per_care_day", 0, 274900.0 / 118},
    /* 274900 / (118 / 365) = 850316.1... */
    {"2014", "total", CLOSED_AS_OF, "cost_per_annual_placement", 0,
     274900.0 / (118.0 / 365)},
    /* anna, bo, cia */
    {"2014", "total", CLOSED_AS_OF, "persons", 0, 3},
    /* pl-1 (12-20), pl-3 (03-15); pl-2 started in 2013 */
    {"2014", "total", CLOSED_AS_OF, "started", 0, 2},
    /* pl-2 (end 03-01), pl-3 (end 05-01); pl-1 ends 2015-01-10 */
    {"2014", "total", CLOSED_AS_OF, "ended", 0, 2},
    /* on 2014-12-31 only pl-1 (12-20 <= 12-31 < 2015-01-10) */
    {"2014", "total", CLOSED_AS_OF, "active_at_end", 0, 1},
    /* extern: pl-2 206500 + pl-3 56400 = 262900 of 274900 */
    {"2014", "total", CLOSED_AS_OF, "external_cost_share", 0,
     262900.0 / 274900},

    /* pl-1 across the year boundary, alone in slice setting=familjehem
     * (pl-5 is familjehem too but has no care days): 12 days in 2014
     * (12-20..31), 9 in 2015 (01-01..09) */
    {"2014-12", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 12},
    {"2015-01", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    /* T3 = sep-dec 2014, T1 = jan-apr 2015 */
    {"2014-T3", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 12},
    {"2015-T1", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    {"2014-Q4", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 12},
    {"2015-Q1", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    {"2014-H2", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 12},
    {"2015-H1", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    {"2014", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 12},
    {"2015", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    /* YTD: jan-dec 2014 has 12; jan 2015 and jan-mar 2015 have 9;
     * jan-nov 2014 none */
    {"2014-12-YTD", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 12},
    {"2015-01-YTD", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    {"2015-03-YTD", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    {"2014-11-YTD", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 0},
    /* R12: 2014-12-R12 = jan-dec 2014: 12; 2015-01-R12 = feb 2014-jan
     * 2015: 12 + 9 = 21; 2015-11-R12 = dec 2014-nov 2015: 21;
     * 2015-12-R12 = jan-dec 2015: 9; 2014-11-R12 = dec 2013-nov 2014: 0 */
    {"2014-12-R12", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 12},
    {"2015-01-R12", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 21},
    {"2015-11-R12", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 21},
    {"2015-12-R12", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 9},
    {"2014-11-R12", "setting=familjehem", CLOSED_AS_OF, "care_days", 0, 0},
    /* feb 2014-jan 2015 has 365 days: 21 / 365 */
    {"2015-01-R12", "setting=familjehem", CLOSED_AS_OF, "annual_placements", 0,
     21.0 / 365},
    /* oct 31 + nov 30 + dec 31 = 92 days: 12 / 92 */
    {"2014-Q4", "setting=familjehem", CLOSED_AS_OF, "annual_placements", 0,
     12.0 / 92},
    /* 9 / 31 */
    {"2015-01", "setting=familjehem", CLOSED_AS_OF, "annual_placements", 0,
     9.0 / 31},
    /* 12 x 1000; 9 x 1000; 21 x 1000 */
    {"2014", "setting=familjehem", CLOSED_AS_OF, "cost", 0, 12000},
    {"2015", "setting=familjehem", CLOSED_AS_OF, "cost", 0, 9000},
    {"2015-01-R12", "setting=familjehem", CLOSED_AS_OF, "cost", 0, 21000},
    {"2015-01-R12", "setting=familjehem", CLOSED_AS_OF, "persons", 0, 1},
    /* started 2014-12-20, ended 2015-01-10 */
    {"2014-12", "setting=familjehem", CLOSED_AS_OF, "started", 0, 1},
    {"2014-12", "setting=familjehem", CLOSED_AS_OF, "ended", 0, 0},
    {"2015-01", "setting=familjehem", CLOSED_AS_OF, "started", 0, 0},
    {"2015-01", "setting=familjehem", CLOSED_AS_OF, "ended", 0, 1},
    {"2015-01-R12", "setting=familjehem", CLOSED_AS_OF, "ended", 0, 1},
    {"2015-01-R12", "setting=familjehem", CLOSED_AS_OF, "started", 0, 1},
    /* active on the last day: 2014-12-31 yes; 2015-01-31 no (ended 01-10) */
    {"2014-12", "setting=familjehem", CLOSED_AS_OF, "active_at_end", 0, 1},
    {"2014-T3", "setting=familjehem", CLOSED_AS_OF, "active_at_end", 0, 1},
    {"2014-Q4", "setting=familjehem", CLOSED_AS_OF, "active_at_end", 0, 1},
    {"2014-12-R12", "setting=familjehem", CLOSED_AS_OF, "active_at_end", 0, 1},
    {"2015-01", "setting=familjehem", CLOSED_AS_OF, "active_at_end", 0, 0},
    {"2015-01-R12", "setting=familjehem", CLOSED_AS_OF, "active_at_end", 0, 0},

    /* The exclusive end: pl-2 ends 2014-03-01, its last care day is
     * 02-28. It is active at the end of February, ended in March. */
    {"2014-02", "setting=institution", CLOSED_AS_OF, "care_days", 0, 28},
    {"2014-02", "setting=institution", CLOSED_AS_OF, "active_at_end", 0, 1},
    {"2014-02", "setting=institution", CLOSED_AS_OF, "ended", 0, 0},
    {"2014-03", "setting=institution", CLOSED_AS_OF, "care_days", 0, 0},
    {"2014-03", "setting=institution", CLOSED_AS_OF, "ended", 0, 1},
    {"2014-03", "setting=institution", CLOSED_AS_OF, "active_at_end", 0, 0},
    /* 59 x 3500; 2013: nov 30 + dec 31 = 61 days, 61 x 3500 */
    {"2014", "setting=institution", CLOSED_AS_OF, "cost", 0, 206500},
    {"2013", "setting=institution", CLOSED_AS_OF, "cost", 0, 213500},

    /* Gender and age follow the year of the period's first month. bo,
     * born 1996, is 17 in 2013 (pojke, 13-17) and 18 in 2014 (man,
     * 18-20). */
    {"2013", "gender=pojke", CLOSED_AS_OF, "care_days", 0, 61},
    {"2013", "gender=man", CLOSED_AS_OF, "care_days", 0, 0},
    {"2014", "gender=man", CLOSED_AS_OF, "care_days", 0, 59},
    {"2014", "gender=pojke", CLOSED_AS_OF, "care_days", 0, 0},
    {"2014", "gender=man", CLOSED_AS_OF, "persons", 0, 1},
    {"2013", "age_band=13-17", CLOSED_AS_OF, "care_days", 0, 61},
    {"2014", "age_band=18-20", CLOSED_AS_OF, "care_days", 0, 59},
    {"2014", "age_band=13-17", CLOSED_AS_OF, "care_days", 0, 0},
    /* mar 2013-feb 2014 starts in 2013: bo is pojke for all 61 + 59 */
    {"2014-02-R12", "gender=pojke", CLOSED_AS_OF, "care_days", 0, 120},
    {"2014-02-R12", "gender=man", CLOSED_AS_OF, "care_days", 0, 0},
    /* jan-feb 2014 starts in 2014: man, 31 + 28 */
    {"2014-02-YTD", "gender=man", CLOSED_AS_OF, "care_days", 0, 59},
    /* cia, born 1970: 44 in 2014, kvinna, 25-64 */
    {"2014", "gender=kvinna", CLOSED_AS_OF, "care_days", 0, 47},
    {"2014", "age_band=25-64", CLOSED_AS_OF, "care_days", 0, 47},
    /* anna, born 2003: 11 in 2014, flicka, 0-12 */
    {"2014", "gender=flicka", CLOSED_AS_OF, "care_days", 0, 12},
    {"2014", "age_band=0-12", CLOSED_AS_OF, "care_days", 0, 12},

    /* Other slices in 2014 */
    /* barn-unga: pl-1 12 + pl-2 59; vuxen: pl-3 47 */
    {"2014", "unit=barn-unga", CLOSED_AS_OF, "care_days", 0, 71},
    {"2014", "unit=barn-unga", CLOSED_AS_OF, "persons", 0, 2},
    {"2014", "unit=vuxen", CLOSED_AS_OF, "cost", 0, 56400},
    /* 56400 / 47 */
    {"2014", "unit=vuxen", CLOSED_AS_OF, "cost_per_care_day", 0, 1200},
    /* extern: pl-2 59 + pl-3 47 = 106 days, 262900 kr, all of it extern */
    {"2014", "regi=extern", CLOSED_AS_OF, "care_days", 0, 106},
    {"2014", "regi=extern", CLOSED_AS_OF, "cost", 0, 262900},
    {"2014", "regi=extern", CLOSED_AS_OF, "external_cost_share", 0, 1},
    {"2014", "regi=egen", CLOSED_AS_OF, "external_cost_share", 0, 0},
    {"2014", "regi=egen", CLOSED_AS_OF, "care_days", 0, 12},
    {"2014", "setting=stodboende,regi=extern", CLOSED_AS_OF, "care_days", 0,
     47},
    {"2014", "setting=stodboende,regi=egen", CLOSED_AS_OF, "care_days", 0, 0},
    {"2014", "setting=familjehem,regi=egen", CLOSED_AS_OF, "cost", 0, 12000},
    {"2014", "target=barn_unga", CLOSED_AS_OF, "care_days", 0, 71},
    /* pl-3 in T1 (jan-apr): 17 + 30; in Q1 17; in Q2 30 */
    {"2014-T1", "target=vuxna_missbruk", CLOSED_AS_OF, "care_days", 0, 47},
    {"2014-Q1", "target=vuxna_missbruk", CLOSED_AS_OF, "care_days", 0, 17},
    {"2014-Q2", "target=vuxna_missbruk", CLOSED_AS_OF, "care_days", 0, 30},
    /* april: 30 days, active on 04-30, ended in may (end 05-01) */
    {"2014-04", "legal_basis=LVM", CLOSED_AS_OF, "care_days", 0, 30},
    {"2014-04", "legal_basis=LVM", CLOSED_AS_OF, "active_at_end", 0, 1},
    {"2014-04", "legal_basis=LVM", CLOSED_AS_OF, "ended", 0, 0},
    {"2014-05", "legal_basis=LVM", CLOSED_AS_OF, "ended", 0, 1},
    /* pl-2 in november 2013: 30 days, started */
    {"2013-11", "legal_basis=LVU", CLOSED_AS_OF, "care_days", 0, 30},
    {"2013-11", "legal_basis=LVU", CLOSED_AS_OF, "started", 0, 1},

    /* 2015: pl-1 9 + pl-4 28 + pl-6 10 + pl-5 0 = 47 days;
     * 9000 + 22400 + 15000 = 46400 kr, extern 15000 (pl-6) */
    {"2015", "total", CLOSED_AS_OF, "care_days", 0, 47},
    {"2015", "total", CLOSED_AS_OF, "cost", 0, 46400},
    {"2015", "total", CLOSED_AS_OF, "external_cost_share", 0, 15000.0 / 46400},
    /* anna (twice) and eva; dan has no care day */
    {"2015", "total", CLOSED_AS_OF, "persons", 0, 2},
    /* pl-4, pl-5, pl-6 */
    {"2015", "total", CLOSED_AS_OF, "started", 0, 3},
    /* pl-1 (jan), pl-6 (feb), pl-4 (mar), pl-5 (jun) */
    {"2015", "total", CLOSED_AS_OF, "ended", 0, 4},
    {"2015", "total", CLOSED_AS_OF, "active_at_end", 0, 0},
    /* february: pl-4 28 + pl-6 10 = 38; anna and eva; pl-6 ended 02-20;
     * on 02-28 pl-4 (02-01..03-01) is active */
    {"2015-02", "total", CLOSED_AS_OF, "care_days", 0, 38},
    {"2015-02", "total", CLOSED_AS_OF, "persons", 0, 2},
    {"2015-02", "total", CLOSED_AS_OF, "started", 0, 2},
    {"2015-02", "total", CLOSED_AS_OF, "ended", 0, 1},
    {"2015-02", "total", CLOSED_AS_OF, "active_at_end", 0, 1},
    /* 28 x 800 + 10 x 1500 = 22400 + 15000 = 37400; / 38 */
    {"2015-02", "total", CLOSED_AS_OF, "cost_per_care_day", 0, 37400.0 / 38},
    /* 37400 / (38 / 28) */
    {"2015-02", "total", CLOSED_AS_OF, "cost_per_annual_placement", 0,
     37400.0 / (38.0 / 28)},
    /* march: no care day, pl-4 ended (end 03-01) */
    {"2015-03", "total", CLOSED_AS_OF, "care_days", 0, 0},
    {"2015-03", "total", CLOSED_AS_OF, "ended", 0, 1},
    {"2015-03", "total", CLOSED_AS_OF, "persons", 0, 0},
    {"2015-03", "total", CLOSED_AS_OF, "cost_per_care_day", 1, 0},
    /* Persons are distinct: anna's pl-1 (9) and pl-4 (28) in Q1 2015 are
     * one person (12 in 2015: flicka); eva (25 in 2015) is kvinna */
    {"2015-Q1", "gender=flicka", CLOSED_AS_OF, "care_days", 0, 37},
    {"2015-Q1", "gender=flicka", CLOSED_AS_OF, "persons", 0, 1},
    {"2015-Q1", "gender=kvinna", CLOSED_AS_OF, "persons", 0, 1},
    {"2015-Q1", "age_band=25-64", CLOSED_AS_OF, "care_days", 0, 10},
    {"2015-Q1", "total", CLOSED_AS_OF, "persons", 0, 2},
    /* feb 2014-jan 2015: bo (feb 2014), cia, anna: 28 + 47 + 21 = 96 */
    {"2015-01-R12", "total", CLOSED_AS_OF, "persons", 0, 3},
    {"2015-01-R12", "total", CLOSED_AS_OF, "care_days", 0, 96},

    /* pl-5, zero length on 2015-06-10: no care day, started and ended in
     * june, never active */
    {"2015-06", "total", CLOSED_AS_OF, "care_days", 0, 0},
    {"2015-06", "total", CLOSED_AS_OF, "started", 0, 1},
    {"2015-06", "total", CLOSED_AS_OF, "ended", 0, 1},
    {"2015-06", "total", CLOSED_AS_OF, "active_at_end", 0, 0},
    {"2015-06", "total", CLOSED_AS_OF, "persons", 0, 0},
    /* 0 / 30 days */
    {"2015-06", "total", CLOSED_AS_OF, "annual_placements", 0, 0},
    {"2015-06", "total", CLOSED_AS_OF, "cost", 0, 0},
    {"2015-06", "total", CLOSED_AS_OF, "cost_per_care_day", 1, 0},
    {"2015-06", "total", CLOSED_AS_OF, "external_cost_share", 1, 0},
    /* dan, born 2010, is 5: pojke, 0-12 */
    {"2015", "gender=pojke", CLOSED_AS_OF, "started", 0, 1},
    {"2015", "gender=pojke", CLOSED_AS_OF, "care_days", 0, 0},
    /* 0-12 in 2015: anna 9 + 28 and dan 0; started pl-4, pl-5; ended pl-1,
     * pl-4, pl-5 */
    {"2015", "age_band=0-12", CLOSED_AS_OF, "care_days", 0, 37},
    {"2015", "age_band=0-12", CLOSED_AS_OF, "persons", 0, 1},
    {"2015", "age_band=0-12", CLOSED_AS_OF, "started", 0, 2},
    {"2015", "age_band=0-12", CLOSED_AS_OF, "ended", 0, 3},

    /* An empty period: zero counts, null ratios; annual_placements is
     * 0 / 366 days (2012 is a leap year), not null */
    {"2012", "total", CLOSED_AS_OF, "care_days", 0, 0},
    {"2012", "total", CLOSED_AS_OF, "annual_placements", 0, 0},
    {"2012", "total", CLOSED_AS_OF, "cost", 0, 0},
    {"2012", "total", CLOSED_AS_OF, "cost_per_care_day", 1, 0},
    {"2012", "total", CLOSED_AS_OF, "cost_per_annual_placement", 1, 0},
    {"2012", "total", CLOSED_AS_OF, "persons", 0, 0},
    {"2012", "total", CLOSED_AS_OF, "started", 0, 0},
    {"2012", "total", CLOSED_AS_OF, "ended", 0, 0},
    {"2012", "total", CLOSED_AS_OF, "active_at_end", 0, 0},
    {"2012", "total", CLOSED_AS_OF, "external_cost_share", 1, 0},
    /* an empty slice of a busy period */
    {"2014", "setting=annat", CLOSED_AS_OF, "care_days", 0, 0},
    {"2014", "setting=annat", CLOSED_AS_OF, "cost_per_care_day", 1, 0},
    {"2014", "setting=annat", CLOSED_AS_OF, "external_cost_share", 1, 0},
    {"2014", "gender=x", CLOSED_AS_OF, "persons", 0, 0},
    {"2014", "age_band=65+", CLOSED_AS_OF, "care_days", 0, 0},
};

static void test_closed(void **state)
{
    (void)state;
    struct cellmap *m = map_of(closed_fx, N_ROWS(closed_fx), CLOSED_AS_OF);
    CHECK_ROWS(m, closed_rows);
    cellmap_destroy(&m);
}

/* The running fixture as of 2014-08-15. Elapsed days of 2014:
 * jan 31 + feb 28 + mar 31 + apr 30 + may 31 + jun 30 + jul 31 = 212,
 * + 15 = 227. */
static const struct row running_rows[] = {
    /* ru-1 15 (08-01..15) + ru-2 227 + ru-3 31 (08-10..09-09, all of it:
     * it has an end) + ru-4 5 (08-20..24, has an end) + ru-5 0 (open,
     * starts after A) + ru-6 0 = 278 */
    {"2014", "total", RUN_AS_OF, "care_days", 0, 278},
    /* 278 / 227 */
    {"2014", "total", RUN_AS_OF, "annual_placements", 0, 278.0 / 227},
    /* 15 x 2500 + 227 x 500 + 31 x 1000 + 5 x 900
     * = 37500 + 113500 + 31000 + 4500 */
    {"2014", "total", RUN_AS_OF, "cost", 0, 186500},
    {"2014", "total", RUN_AS_OF, "cost_per_care_day", 0, 186500.0 / 278},
    {"2014", "total", RUN_AS_OF, "cost_per_annual_placement", 0,
     186500.0 / (278.0 / 227)},
    /* fia, gus, hal, ida; jon and lo have no care day */
    {"2014", "total", RUN_AS_OF, "persons", 0, 4},
    /* ru-1, ru-3, ru-4, ru-5, ru-6; ru-2 started in 2013 */
    {"2014", "total", RUN_AS_OF, "started", 0, 5},
    /* ru-3 (09-10), ru-4 (08-25), ru-6 (08-15): end dates in 2014 */
    {"2014", "total", RUN_AS_OF, "ended", 0, 3},
    /* on 08-15: ru-1, ru-2 (open, started), ru-3 (08-10 <= 15 < 09-10);
     * not ru-4, ru-5 (start 08-20), ru-6 (15 < 15 is false) */
    {"2014", "total", RUN_AS_OF, "active_at_end", 0, 3},
    /* extern: ru-1 37500 */
    {"2014", "total", RUN_AS_OF, "external_cost_share", 0, 37500.0 / 186500},
    /* august, running with 15 elapsed days: ru-1 15 + ru-2 15 + ru-3 22
     * (08-10..31) + ru-4 5 = 57; 57 / 15 = 3.8 */
    {"2014-08", "total", RUN_AS_OF, "care_days", 0, 57},
    {"2014-08", "total", RUN_AS_OF, "annual_placements", 0, 3.8},
    /* 37500 + 15 x 500 + 22 x 1000 + 4500 = 37500 + 7500 + 22000 + 4500 */
    {"2014-08", "total", RUN_AS_OF, "cost", 0, 71500},
    {"2014-08", "total", RUN_AS_OF, "persons", 0, 4},
    {"2014-08", "total", RUN_AS_OF, "started", 0, 5},
    /* ru-4 (08-25), ru-6 (08-15) */
    {"2014-08", "total", RUN_AS_OF, "ended", 0, 2},
    {"2014-08", "total", RUN_AS_OF, "active_at_end", 0, 3},
    /* september lies after A (not running, all 30 days): ru-3 09-01..09
     * = 9; 9 / 30; its last day 09-30 is after A, so the open ones are
     * not active then */
    {"2014-09", "total", RUN_AS_OF, "care_days", 0, 9},
    {"2014-09", "total", RUN_AS_OF, "annual_placements", 0, 0.3},
    {"2014-09", "total", RUN_AS_OF, "cost", 0, 9000},
    {"2014-09", "total", RUN_AS_OF, "persons", 0, 1},
    {"2014-09", "total", RUN_AS_OF, "ended", 0, 1},
    {"2014-09", "total", RUN_AS_OF, "active_at_end", 0, 0},
    /* T2 may-aug, elapsed 31 + 30 + 31 + 15 = 107: ru-2 107 + 15 + 22 + 5 */
    {"2014-T2", "total", RUN_AS_OF, "care_days", 0, 149},
    {"2014-T2", "total", RUN_AS_OF, "annual_placements", 0, 149.0 / 107},
    {"2014-T2", "total", RUN_AS_OF, "active_at_end", 0, 3},
    /* Q3 jul-sep, elapsed 31 + 15 = 46: ru-2 46 + 15 + 31 + 5 = 97 */
    {"2014-Q3", "total", RUN_AS_OF, "care_days", 0, 97},
    {"2014-Q3", "total", RUN_AS_OF, "annual_placements", 0, 97.0 / 46},
    /* H2 jul-dec: the same days, the same elapsed part */
    {"2014-H2", "total", RUN_AS_OF, "annual_placements", 0, 97.0 / 46},
    /* jan-aug: 278 less ru-3's 9 september days; elapsed 227 */
    {"2014-08-YTD", "total", RUN_AS_OF, "care_days", 0, 269},
    {"2014-08-YTD", "total", RUN_AS_OF, "annual_placements", 0, 269.0 / 227},
    {"2014-08-YTD", "total", RUN_AS_OF, "active_at_end", 0, 3},
    /* jan-jul, over: ru-2 212 of 212 days; active on 07-31 */
    {"2014-07-YTD", "total", RUN_AS_OF, "care_days", 0, 212},
    {"2014-07-YTD", "total", RUN_AS_OF, "annual_placements", 0, 1},
    {"2014-07-YTD", "total", RUN_AS_OF, "active_at_end", 0, 1},
    /* sep 2013-aug 2014, elapsed sep 30 + oct 31 + nov 30 + dec 31 = 122,
     * + 227 = 349: ru-2 31 + 227 = 258, + 15 + 22 + 5 = 300 */
    {"2014-08-R12", "total", RUN_AS_OF, "care_days", 0, 300},
    {"2014-08-R12", "total", RUN_AS_OF, "annual_placements", 0, 300.0 / 349},
    /* jan-dec 2014 R12 is running too: as the year */
    {"2014-12-R12", "total", RUN_AS_OF, "care_days", 0, 278},
    {"2014-12-R12", "total", RUN_AS_OF, "annual_placements", 0, 278.0 / 227},
    /* 2013, closed: ru-2's december, active on 2013-12-31 */
    {"2013", "total", RUN_AS_OF, "care_days", 0, 31},
    {"2013", "total", RUN_AS_OF, "annual_placements", 0, 31.0 / 365},
    {"2013", "total", RUN_AS_OF, "active_at_end", 0, 1},
    {"2013", "gender=man", RUN_AS_OF, "care_days", 0, 31},
    /* 2015 lies after A: nothing yet; 0 / 365 */
    {"2015", "total", RUN_AS_OF, "care_days", 0, 0},
    {"2015", "total", RUN_AS_OF, "annual_placements", 0, 0},
    {"2015", "total", RUN_AS_OF, "active_at_end", 0, 0},
    {"2015", "total", RUN_AS_OF, "persons", 0, 0},
    {"2015", "total", RUN_AS_OF, "cost_per_care_day", 1, 0},
    /* flicka in 2014: fia (14) 15 + ida (9) 5 + lo (15) 0 = 20 */
    {"2014", "gender=flicka", RUN_AS_OF, "care_days", 0, 20},
    {"2014", "gender=flicka", RUN_AS_OF, "persons", 0, 2},
    {"2014", "gender=flicka", RUN_AS_OF, "started", 0, 3},
    {"2014", "gender=flicka", RUN_AS_OF, "active_at_end", 0, 1},
    /* hal, gender X */
    {"2014", "gender=x", RUN_AS_OF, "care_days", 0, 31},
    {"2014", "gender=x", RUN_AS_OF, "cost", 0, 31000},
    /* gus (64) 227 + hal (29) 31 */
    {"2014", "gender=man", RUN_AS_OF, "care_days", 0, 227},
    {"2014", "age_band=25-64", RUN_AS_OF, "care_days", 0, 258},
    /* jon: starts 08-20, after A: started, no day, not active yet */
    {"2014-08", "gender=pojke", RUN_AS_OF, "started", 0, 1},
    {"2014-08", "gender=pojke", RUN_AS_OF, "care_days", 0, 0},
    {"2014-08", "gender=pojke", RUN_AS_OF, "active_at_end", 0, 0},
    /* jourhem in august: ru-4 5 + ru-5 0; neither active on 08-15 */
    {"2014-08", "setting=jourhem", RUN_AS_OF, "care_days", 0, 5},
    {"2014-08", "setting=jourhem", RUN_AS_OF, "started", 0, 2},
    {"2014-08", "setting=jourhem", RUN_AS_OF, "ended", 0, 1},
    {"2014-08", "setting=jourhem", RUN_AS_OF, "active_at_end", 0, 0},
    {"2014", "setting=bostad_sarskild_service,regi=egen", RUN_AS_OF,
     "care_days", 0, 227},
    {"2014", "setting=bostad_sarskild_service,regi=egen", RUN_AS_OF,
     "active_at_end", 0, 1},
    {"2014-08", "legal_basis=LSS", RUN_AS_OF, "care_days", 0, 15},
    {"2013-12", "target=psykisk_funktionsnedsattning", RUN_AS_OF, "care_days",
     0, 31},
    {"2014-08-R12", "target=psykisk_funktionsnedsattning", RUN_AS_OF,
     "care_days", 0, 258},
    /* 227 x 500 */
    {"2014", "unit=lss", RUN_AS_OF, "cost", 0, 113500},
    {"2014", "unit=lss", RUN_AS_OF, "cost_per_care_day", 0, 500},
    {"2014-08", "regi=extern", RUN_AS_OF, "care_days", 0, 15},
    {"2014-08", "regi=extern", RUN_AS_OF, "external_cost_share", 0, 1},
    {"2014-08", "regi=extern", RUN_AS_OF, "active_at_end", 0, 1},
    /* the zero-length ru-6 on A: started and ended, never active */
    {"2014-08", "setting=familjehem", RUN_AS_OF, "started", 0, 1},
    {"2014-08", "setting=familjehem", RUN_AS_OF, "ended", 0, 1},
    {"2014-08", "setting=familjehem", RUN_AS_OF, "active_at_end", 0, 0},
    {"2014-08", "setting=familjehem", RUN_AS_OF, "care_days", 0, 0},
};

static void test_running(void **state)
{
    (void)state;
    struct cellmap *m = map_of(running_fx, N_ROWS(running_fx), RUN_AS_OF);
    CHECK_ROWS(m, running_rows);
    cellmap_destroy(&m);
}

/* Labels of running periods: age and gender go by the year of the
 * period's first month also for the placements active on A. max, born
 * 1996, is pojke (17) in 2013 and man (18) in 2014; nea, born 2001, is
 * 0-12 in 2013 and 13-17 in 2014. As of 2014-01-15 both are placed. */
static const struct pl_spec label_jan_fx[] = {
    {"tu-1", "barn-unga", "max", GENDER_M, 1996, SETTING_INSTITUTION, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2013-10-01", NULL, 200000},
    {"tu-2", "barn-unga", "nea", GENDER_F, 2001, SETTING_FAMILJEHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2013-11-15", "2014-03-01", 80000},
};

#define JAN_AS_OF "2014-01-15"

static const struct row label_jan_rows[] = {
    /* 2014 and 2014-01 are running; in 2014 max is man, 18-20 */
    {"2014", "gender=man", JAN_AS_OF, "care_days", 0, 15},
    {"2014", "gender=man", JAN_AS_OF, "active_at_end", 0, 1},
    {"2014", "gender=pojke", JAN_AS_OF, "active_at_end", 0, 0},
    {"2014", "age_band=18-20", JAN_AS_OF, "active_at_end", 0, 1},
    {"2014-01", "gender=man", JAN_AS_OF, "active_at_end", 0, 1},
    {"2014-01", "gender=pojke", JAN_AS_OF, "active_at_end", 0, 0},
    {"2014-T1", "age_band=18-20", JAN_AS_OF, "active_at_end", 0, 1},
    /* nea is 13 in 2014: 13-17, no longer 0-12 */
    {"2014", "age_band=0-12", JAN_AS_OF, "active_at_end", 0, 0},
    {"2014-Q1", "age_band=13-17", JAN_AS_OF, "active_at_end", 0, 1},
    {"2014", "gender=flicka", JAN_AS_OF, "active_at_end", 0, 1},
    {"2014", "total", JAN_AS_OF, "active_at_end", 0, 2},
    /* feb 2013-jan 2014 starts in 2013: max pojke (13-17), nea 0-12 */
    {"2014-01-R12", "gender=pojke", JAN_AS_OF, "active_at_end", 0, 1},
    {"2014-01-R12", "gender=man", JAN_AS_OF, "active_at_end", 0, 0},
    {"2014-01-R12", "age_band=0-12", JAN_AS_OF, "active_at_end", 0, 1},
    /* 2013, over: max pojke on 2013-12-31 */
    {"2013", "gender=pojke", JAN_AS_OF, "active_at_end", 0, 1},
};

/* ove, born 1996, placed from 2014-03-01 (open); as of 2014-08-15 the
 * running sep 2013-aug 2014 labels him by 2013: pojke, 13-17. */
static const struct pl_spec label_r12_fx[] = {
    {"tu-3", "barn-unga", "ove", GENDER_M, 1996, SETTING_INSTITUTION, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2014-03-01", NULL, 200000},
};

static const struct row label_r12_rows[] = {
    /* mar 31 + apr 30 + may 31 + jun 30 + jul 31 + aug 1..15 = 168 */
    {"2014-08-R12", "gender=pojke", RUN_AS_OF, "care_days", 0, 168},
    {"2014-08-R12", "gender=pojke", RUN_AS_OF, "persons", 0, 1},
    {"2014-08-R12", "gender=pojke", RUN_AS_OF, "active_at_end", 0, 1},
    {"2014-08-R12", "gender=man", RUN_AS_OF, "active_at_end", 0, 0},
    {"2014-08-R12", "age_band=13-17", RUN_AS_OF, "active_at_end", 0, 1},
    /* the running year and YTD label him by 2014: man */
    {"2014", "gender=man", RUN_AS_OF, "active_at_end", 0, 1},
    {"2014-08-YTD", "gender=man", RUN_AS_OF, "active_at_end", 0, 1},
};

static void test_running_labels(void **state)
{
    (void)state;
    struct cellmap *m = map_of(label_jan_fx, N_ROWS(label_jan_fx), JAN_AS_OF);
    int bad =
        check_rows(m, "label_jan_rows", label_jan_rows, N_ROWS(label_jan_rows));
    cellmap_destroy(&m);
    m = map_of(label_r12_fx, N_ROWS(label_r12_fx), RUN_AS_OF);
    bad +=
        check_rows(m, "label_r12_rows", label_r12_rows, N_ROWS(label_r12_rows));
    cellmap_destroy(&m);
    if (bad)
        fail_msg("%d label rows differ", bad);
}

/*
 * One person, counted once in a slice that placements giving different
 * birth years or genders all label alike (as of 2016-06-01):
 *   per M 1997 2015-02-01..2015-03-01 and M 1996 2015-05-01..2015-06-01:
 *     at the start of 2015 18 and 19, both 18-20 and "man";
 *   ulf M 2000 2015-02-01..2015-03-01 and X 2000 2015-04-01..2015-05-01:
 *     15 both times (13-17), "pojke" and then "x".
 */
static const struct pl_spec person_fx[] = {
    {"pa-1", "vuxen", "per", GENDER_M, 1997, SETTING_ANNAT, REGI_EGEN,
     TARGET_ENSAMKOMMANDE, LEGAL_SOL, "2015-02-01", "2015-03-01", 10000},
    {"pa-2", "vuxen", "per", GENDER_M, 1996, SETTING_ANNAT, REGI_EGEN,
     TARGET_ENSAMKOMMANDE, LEGAL_SOL, "2015-05-01", "2015-06-01", 10000},
    {"pa-3", "barn-unga", "ulf", GENDER_M, 2000, SETTING_JOURHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2015-02-01", "2015-03-01", 10000},
    {"pa-4", "barn-unga", "ulf", GENDER_X, 2000, SETTING_JOURHEM, REGI_EGEN,
     TARGET_BARN_UNGA, LEGAL_SOL, "2015-04-01", "2015-05-01", 10000},
};

static const struct row person_rows[] = {
    {"2015", "age_band=18-20", CLOSED_AS_OF, "persons", 0, 1},
    /* 28 + 31 */
    {"2015", "age_band=18-20", CLOSED_AS_OF, "care_days", 0, 59},
    {"2015", "gender=man", CLOSED_AS_OF, "persons", 0, 1},
    {"2015-H1", "gender=man", CLOSED_AS_OF, "persons", 0, 1},
    /* the window feb 2015-jan 2016 is labelled by 2015 too */
    {"2016-01-R12", "age_band=18-20", CLOSED_AS_OF, "persons", 0, 1},
    {"2015", "age_band=13-17", CLOSED_AS_OF, "persons", 0, 1},
    {"2015", "gender=pojke", CLOSED_AS_OF, "persons", 0, 1},
    {"2015", "gender=x", CLOSED_AS_OF, "persons", 0, 1},
    {"2015", "total", CLOSED_AS_OF, "persons", 0, 2},
};

static void test_person_labels(void **state)
{
    (void)state;
    struct cellmap *m = map_of(person_fx, N_ROWS(person_fx), CLOSED_AS_OF);
    CHECK_ROWS(m, person_rows);
    cellmap_destroy(&m);
}

/* DESIGN §4's check: 12 442 vårddygn of familjehem in 2014 costing
 * 8 544 000 kr. 33 placements over the whole year (33 x 365 = 12045
 * days) and one of 197 days at 686 kr/day, one of 200 days at
 * 729.94 kr/day: 12045 + 197 + 200 = 12442 days;
 * 68600 x 12242 + 72994 x 200 = 839801200 + 14598800 = 854400000 öre. */
static struct cellmap *design_map(void)
{
    struct cellmap *m = cellmap_new(NULL, NULL);
    struct pl_spec s = {
        "",        "barn-unga",        "",           GENDER_F,
        2005,      SETTING_FAMILJEHEM, REGI_EGEN,    TARGET_BARN_UNGA,
        LEGAL_SOL, "2014-01-01",       "2015-01-01", 68600};
    char id[16], person[16];
    s.id = id;
    s.person = person;
    for (int i = 0; i < 35; i++) {
        snprintf(id, sizeof(id), "dc-%d", i);
        snprintf(person, sizeof(person), "p-%d", i);
        if (i == 33) {
            /* day of year 1 to 201 (jan-jun = 181, + 20): 200 days */
            s.end = "2014-07-20";
            s.daily_cost_ore = 72994;
        } else if (i == 34) {
            /* day of year 60 (31 + 28 + 1) to 257 (jan-aug = 243, + 14) */
            s.start = "2014-03-01";
            s.end = "2014-09-14";
            s.daily_cost_ore = 68600;
        }
        struct event e = mk(&s, 1);
        assert_int_equal(agg_pl.apply(m, &e, +1, day(DC_AS_OF)), 0);
    }
    return m;
}

static const struct row design_rows[] = {
    {"2014", "total", DC_AS_OF, "care_days", 0, 12442},
    /* 12442 / 365 = 34.0876... */
    {"2014", "total", DC_AS_OF, "annual_placements", 0, 12442.0 / 365},
    {"2014", "total", DC_AS_OF, "cost", 0, 8544000},
    /* 8544000 / 12442 = 686.7063... */
    {"2014", "total", DC_AS_OF, "cost_per_care_day", 0, 8544000.0 / 12442},
    /* 8544000 / (12442 / 365) = 250647.8... */
    {"2014", "total", DC_AS_OF, "cost_per_annual_placement", 0,
     8544000.0 / (12442.0 / 365)},
    {"2014", "total", DC_AS_OF, "persons", 0, 35},
    {"2014", "total", DC_AS_OF, "started", 0, 35},
    /* the 200- and 197-day ones; the 33 end on 2015-01-01, in 2015 */
    {"2014", "total", DC_AS_OF, "ended", 0, 2},
    {"2015-01", "total", DC_AS_OF, "ended", 0, 33},
    {"2014", "total", DC_AS_OF, "active_at_end", 0, 33},
    {"2014", "total", DC_AS_OF, "external_cost_share", 0, 0},
    {"2014", "setting=familjehem", DC_AS_OF, "care_days", 0, 12442},
    {"2014", "setting=familjehem", DC_AS_OF, "annual_placements", 0,
     12442.0 / 365},
    {"2014", "setting=familjehem", DC_AS_OF, "cost_per_care_day", 0,
     8544000.0 / 12442},
};

static double round2(double v)
{
    return round(v * 100) / 100;
}

static void test_design_check(void **state)
{
    (void)state;
    struct cellmap *m = design_map();
    CHECK_ROWS(m, design_rows);
    int32_t a = day(DC_AS_OF);
    /* as a report prints them: 34.09 placeringar, 686.71 kr per dygn */
    struct metric ap = metric_of(m, "2014", "total", a, "annual_placements");
    struct metric cd = metric_of(m, "2014", "total", a, "cost_per_care_day");
    assert_false(ap.is_null);
    assert_false(cd.is_null);
    assert_true(close_to(round2(ap.value), 34.09));
    assert_true(close_to(round2(cd.value), 686.71));
    cellmap_destroy(&m);
}

/* Collects a map's non-zero cells as "key: counters" lines. */
struct dump {
    char *buf;
    size_t len, cap;
};

static int dump_one(void *ctx, enum cellmap_db db, const char *key,
                    const void *val, size_t len)
{
    struct dump *d = ctx;
    if (db != CELLMAP_CELLS || cell_is_zero(val, len))
        return 0;
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s:", key);
    const int64_t *c = val;
    for (size_t i = 0; i < len / sizeof(int64_t); i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %lld",
                      (long long)c[i]);
    line[n++] = '\n';
    if (d->len + (size_t)n + 1 > d->cap) {
        d->cap = (d->len + (size_t)n + 1) * 2;
        d->buf = realloc(d->buf, d->cap);
        assert_non_null(d->buf);
    }
    memcpy(d->buf + d->len, line, (size_t)n);
    d->len += (size_t)n;
    d->buf[d->len] = '\0';
    return 0;
}

/* The non-zero cells of m, malloc'd ("" when none). */
static char *dump_of(struct cellmap *m)
{
    struct dump d = {0};
    assert_int_equal(cellmap_each_dirty(m, CELLMAP_CELLS, dump_one, &d), 0);
    if (!d.buf) {
        d.buf = malloc(1);
        assert_non_null(d.buf);
        d.buf[0] = '\0';
    }
    return d.buf;
}

/* Prints the first line where two dumps differ and fails. */
static void assert_same_cells(struct cellmap *a, struct cellmap *b,
                              const char *what)
{
    char *da = dump_of(a), *db = dump_of(b);
    if (strcmp(da, db) != 0) {
        const char *p = da, *q = db;
        while (*p && *p == *q)
            p++, q++;
        while (p > da && p[-1] != '\n')
            p--, q--;
        print_error("%s: cells differ at\n  got:  %.120s\n  want: %.120s\n",
                    what, p, q);
        free(da);
        free(db);
        fail_msg("%s: cells differ", what);
    }
    assert_true(da[0] != '\0');
    free(da);
    free(db);
}

/* Counts non-zero cell and member records (the as-of marks and person
 * months included). */
static int count_nonzero(void *ctx, enum cellmap_db db, const char *key,
                         const void *val, size_t len)
{
    size_t *n = ctx;
    const unsigned char *b = val;
    int nz = 0;
    if (db == CELLMAP_CELLS)
        nz = !cell_is_zero(val, len);
    else if (db == CELLMAP_MEMBERS)
        for (size_t i = 0; i < len; i++)
            nz |= b[i] != 0;
    if (nz) {
        print_error("left over: %s %s\n",
                    db == CELLMAP_CELLS ? "cell" : "member", key);
        (*n)++;
    }
    return 0;
}

static void assert_all_zero(struct cellmap *m, const char *what)
{
    size_t n = 0;
    assert_int_equal(cellmap_each_dirty(m, CELLMAP_DB_COUNT, count_nonzero, &n),
                     0);
    if (n)
        fail_msg("%s: %zu records left non-zero", what, n);
}

/* The placement the advance tests move: kim, born 2012 (pojke, 0-12 in
 * every period here), familjehem/extern, open, 1234.50 kr a day. */
static struct pl_spec kim(const char *start)
{
    struct pl_spec s = {"adv-1",     "barn-unga",
                        "kim",       GENDER_M,
                        2012,        SETTING_FAMILJEHEM,
                        REGI_EXTERN, TARGET_BARN_UNGA,
                        LEGAL_SOL,   start,
                        NULL,        123450};
    return s;
}

/* Before and after advancing kim (start 2014-05-10) from 2014-08-31 to
 * 2014-09-01: care days through 08-31 are may 10..31 = 22, jun 30,
 * jul 31, aug 31 = 114. */
static const struct row adv_before_rows[] = {
    {"2014", "total", "2014-08-31", "care_days", 0, 114},
    {"2014-08", "total", "2014-08-31", "care_days", 0, 31},
    {"2014-08", "total", "2014-08-31", "active_at_end", 0, 1},
    /* september lies after A: its last day 09-30 is after A */
    {"2014-09", "total", "2014-08-31", "care_days", 0, 0},
    {"2014-09", "total", "2014-08-31", "persons", 0, 0},
    {"2014-09", "total", "2014-08-31", "active_at_end", 0, 0},
    {"2014-T3", "total", "2014-08-31", "active_at_end", 0, 0},
    /* 114 x 1234.50 */
    {"2014", "total", "2014-08-31", "cost", 0, 140733},
    {"2014", "total", "2014-08-31", "external_cost_share", 0, 1},
};

static const struct row adv_after_rows[] = {
    /* september: one day, elapsed 1: 1 / 1 */
    {"2014-09", "total", "2014-09-01", "care_days", 0, 1},
    {"2014-09", "total", "2014-09-01", "annual_placements", 0, 1},
    {"2014-09", "total", "2014-09-01", "cost", 0, 1234.5},
    {"2014-09", "total", "2014-09-01", "persons", 0, 1},
    {"2014-09", "total", "2014-09-01", "active_at_end", 0, 1},
    {"2014-09", "total", "2014-09-01", "started", 0, 0},
    {"2014-09", "gender=pojke", "2014-09-01", "care_days", 0, 1},
    {"2014-09", "setting=familjehem,regi=extern", "2014-09-01", "persons", 0,
     1},
    /* august is over: unchanged, still active on its last day 08-31 */
    {"2014-08", "total", "2014-09-01", "care_days", 0, 31},
    {"2014-08", "total", "2014-09-01", "annual_placements", 0, 1},
    {"2014-08", "total", "2014-09-01", "active_at_end", 0, 1},
    /* T2 may-aug is over: 114 over 123 days (31 + 30 + 31 + 31) */
    {"2014-T2", "total", "2014-09-01", "care_days", 0, 114},
    {"2014-T2", "total", "2014-09-01", "annual_placements", 0, 114.0 / 123},
    {"2014-T3", "total", "2014-09-01", "care_days", 0, 1},
    {"2014-T3", "total", "2014-09-01", "active_at_end", 0, 1},
    /* Q3 jul-sep: 31 + 31 + 1 = 63 over 63 elapsed days */
    {"2014-Q3", "total", "2014-09-01", "care_days", 0, 63},
    {"2014-Q3", "total", "2014-09-01", "annual_placements", 0, 1},
    {"2014-H2", "total", "2014-09-01", "care_days", 0, 63},
    /* the year: 115 over 243 + 1 = 244 elapsed days; 115 x 1234.50 */
    {"2014", "total", "2014-09-01", "care_days", 0, 115},
    {"2014", "total", "2014-09-01", "annual_placements", 0, 115.0 / 244},
    {"2014", "total", "2014-09-01", "cost", 0, 141967.5},
    {"2014", "total", "2014-09-01", "cost_per_care_day", 0, 1234.5},
    {"2014", "total", "2014-09-01", "active_at_end", 0, 1},
    {"2014", "total", "2014-09-01", "persons", 0, 1},
    {"2014", "total", "2014-09-01", "started", 0, 1},
    {"2014", "total", "2014-09-01", "ended", 0, 0},
    {"2014-09-YTD", "total", "2014-09-01", "care_days", 0, 115},
    /* jan-aug is over: 114 over 243 days */
    {"2014-08-YTD", "total", "2014-09-01", "care_days", 0, 114},
    {"2014-08-YTD", "total", "2014-09-01", "annual_placements", 0, 114.0 / 243},
    {"2014-09-R12", "total", "2014-09-01", "care_days", 0, 115},
    {"2014-08-R12", "total", "2014-09-01", "care_days", 0, 114},
    {"2015-08-R12", "total", "2014-09-01", "care_days", 0, 1},
    /* sep 2014-aug 2015 is running on 09-01: active on A */
    {"2015-08-R12", "total", "2014-09-01", "active_at_end", 0, 1},
};

static void test_advance_rows(void **state)
{
    (void)state;
    struct pl_spec s = kim("2014-05-10");
    struct event e = mk(&s, 1);
    struct cellmap *m = cellmap_new(NULL, NULL);
    assert_int_equal(agg_pl.apply(m, &e, +1, day("2014-08-31")), 0);
    CHECK_ROWS(m, adv_before_rows);
    assert_int_equal(
        agg_pl.advance(m, &e, day("2014-08-31"), day("2014-09-01")), 0);
    CHECK_ROWS(m, adv_after_rows);
    assert_int_equal(
        agg_pl.advance(m, &e, day("2014-09-01"), day("2014-08-31")), 0);
    CHECK_ROWS(m, adv_before_rows);
    cellmap_destroy(&m);
}

#define ADV_FIRST_YEAR 2013
#define ADV_YEARS 4
#define ADV_KINDS 7
#define ADV_PERIODS (ADV_YEARS * 12 * ADV_KINDS)

/* Every period of each kind ending in (or containing) a month of
 * 2013..2016, some more than once. */
static size_t adv_periods(struct period *out)
{
    size_t n = 0;
    for (int i = 0; i < ADV_YEARS * 12; i++) {
        int32_t month =
            period_month_from_ym(ADV_FIRST_YEAR + i / 12, 1 + i % 12);
        for (int k = PERIOD_MONTH; k <= PERIOD_R12; k++)
            out[n++] = period_of((enum period_kind)k, month);
    }
    return n;
}

struct adv_snap {
    double care_days, cost, persons, active_at_end, started, ended;
};

static struct adv_snap snap_of(struct cellmap *m, const struct period *p,
                               const char *slice, int32_t as_of)
{
    char id[PERIOD_ID_MAX];
    struct metric out[AGG_METRICS_MAX];
    struct adv_snap s = {0};
    period_format(p, id);
    size_t n = metrics_of(m, id, slice, as_of, out);
    for (size_t i = 0; i < n; i++) {
        double v = out[i].is_null ? -1 : out[i].value;
        if (strcmp(out[i].id, "care_days") == 0)
            s.care_days = v;
        else if (strcmp(out[i].id, "cost") == 0)
            s.cost = v;
        else if (strcmp(out[i].id, "persons") == 0)
            s.persons = v;
        else if (strcmp(out[i].id, "active_at_end") == 0)
            s.active_at_end = v;
        else if (strcmp(out[i].id, "started") == 0)
            s.started = v;
        else if (strcmp(out[i].id, "ended") == 0)
            s.ended = v;
    }
    return s;
}

/* One open placement starting on start, applied as of a, advanced to
 * b = a + 1: in every period containing b (when b >= start) one more
 * care day, 1234.50 kr more, the person counted and the placement
 * active at the end; every other period unchanged. Then the cells equal
 * those of a map where it was applied as of b directly; advancing back
 * gives those of a map applied as of a. */
static void check_advance_one_day(const char *start, const char *as_of)
{
    static const char *const slices[] = {"total", "gender=pojke",
                                         "setting=familjehem,regi=extern"};
    struct pl_spec s = kim(start);
    struct event e = mk(&s, 1);
    int32_t a = day(as_of), b = a + 1, first = day(start);
    struct period *ps = calloc(ADV_PERIODS, sizeof(*ps));
    struct adv_snap *before = calloc(ADV_PERIODS * 3, sizeof(*before));
    assert_non_null(ps);
    assert_non_null(before);
    size_t np = adv_periods(ps);
    struct cellmap *m = cellmap_new(NULL, NULL);
    assert_int_equal(agg_pl.apply(m, &e, +1, a), 0);
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < 3; j++)
            before[i * 3 + j] = snap_of(m, &ps[i], slices[j], a);
    assert_int_equal(agg_pl.advance(m, &e, a, b), 0);
    int bad = 0;
    for (size_t i = 0; i < np; i++) {
        int inside = period_first_day(&ps[i]) <= b &&
                     b < period_end_day(&ps[i]) && b >= first;
        for (size_t j = 0; j < 3; j++) {
            struct adv_snap o = before[i * 3 + j];
            struct adv_snap g = snap_of(m, &ps[i], slices[j], b);
            struct adv_snap w = o;
            if (inside) {
                w.care_days += 1;
                w.cost += 1234.5;
                w.persons = 1;
                w.active_at_end = 1;
            }
            if (close_to(g.care_days, w.care_days) &&
                close_to(g.cost, w.cost) && g.persons == w.persons &&
                g.active_at_end == w.active_at_end && g.started == w.started &&
                g.ended == w.ended)
                continue;
            char id[PERIOD_ID_MAX];
            period_format(&ps[i], id);
            print_error("start %s, %s -> +1: %s %s: care_days %g -> %g "
                        "(want %g), cost %g -> %g (want %g), persons %g "
                        "(want %g), active %g (want %g), started %g, "
                        "ended %g\n",
                        start, as_of, id, slices[j], o.care_days, g.care_days,
                        w.care_days, o.cost, g.cost, w.cost, g.persons,
                        w.persons, g.active_at_end, w.active_at_end, g.started,
                        g.ended);
            bad++;
        }
    }
    if (bad)
        fail_msg("start %s, advance %s -> +1: %d period/slice pairs wrong",
                 start, as_of, bad);
    struct cellmap *fresh_b = cellmap_new(NULL, NULL);
    assert_int_equal(agg_pl.apply(fresh_b, &e, +1, b), 0);
    assert_same_cells(m, fresh_b, "advanced a -> a+1 vs applied as of a+1");
    assert_int_equal(agg_pl.advance(m, &e, b, a), 0);
    struct cellmap *fresh_a = cellmap_new(NULL, NULL);
    assert_int_equal(agg_pl.apply(fresh_a, &e, +1, a), 0);
    assert_same_cells(m, fresh_a, "advanced back vs applied as of a");
    cellmap_destroy(&fresh_a);
    cellmap_destroy(&fresh_b);
    cellmap_destroy(&m);
    free(before);
    free(ps);
}

static void test_advance_periods(void **state)
{
    (void)state;
    /* into a new month, tertial (T2 -> T3), the same quarter and year */
    check_advance_one_day("2014-05-10", "2014-08-31");
    /* within a month */
    check_advance_one_day("2014-05-10", "2014-06-14");
    /* into a new year: 2015-01, T1, Q1, H1, 2015, its YTDs and R12s */
    check_advance_one_day("2014-05-10", "2014-12-31");
    /* onto its first day: from nothing to one care day */
    check_advance_one_day("2014-09-10", "2014-09-09");
    /* before its start: nothing changes */
    check_advance_one_day("2014-09-10", "2014-08-31");
}

/* The daemon may be down for days: moving many days at once equals
 * applying at the new day, and moving back restores the cells. */
static void test_advance_many_days(void **state)
{
    (void)state;
    static const char *const moves[][3] = {
        /* start, from, to */
        {"2014-05-10", "2014-08-15", "2014-10-03"},
        {"2014-05-10", "2014-12-20", "2015-02-02"},
        {"2014-09-10", "2014-08-01", "2014-11-30"},
    };
    for (size_t i = 0; i < N_ROWS(moves); i++) {
        struct pl_spec s = kim(moves[i][0]);
        struct event e = mk(&s, 1);
        int32_t a = day(moves[i][1]), b = day(moves[i][2]);
        struct cellmap *m = cellmap_new(NULL, NULL);
        struct cellmap *fa = cellmap_new(NULL, NULL);
        struct cellmap *fb = cellmap_new(NULL, NULL);
        assert_int_equal(agg_pl.apply(m, &e, +1, a), 0);
        assert_int_equal(agg_pl.apply(fa, &e, +1, a), 0);
        assert_int_equal(agg_pl.apply(fb, &e, +1, b), 0);
        assert_int_equal(agg_pl.advance(m, &e, a, b), 0);
        assert_same_cells(m, fb, moves[i][2]);
        assert_int_equal(agg_pl.advance(m, &e, b, a), 0);
        assert_same_cells(m, fa, moves[i][1]);
        cellmap_destroy(&fb);
        cellmap_destroy(&fa);
        cellmap_destroy(&m);
    }
}

/* Removing each placement as of the day it was added with leaves every
 * cell and member record zero, also after the day has moved on. */
static void test_remove_all(void **state)
{
    (void)state;
    int32_t a = day(RUN_AS_OF);
    struct cellmap *m = cellmap_new(NULL, NULL);
    apply_specs(m, closed_fx, N_ROWS(closed_fx), +1, a);
    apply_specs(m, running_fx, N_ROWS(running_fx), +1, a);
    assert_int_equal((int)metric_of(m, "2014", "total", a, "care_days").value,
                     118 + 278);
    apply_specs(m, running_fx, N_ROWS(running_fx), -1, a);
    apply_specs(m, closed_fx, N_ROWS(closed_fx), -1, a);
    assert_all_zero(m, "removed as of A");
    cellmap_destroy(&m);

    /* open ones advanced by five days are removed as of the new day */
    m = cellmap_new(NULL, NULL);
    apply_specs(m, running_fx, N_ROWS(running_fx), +1, a);
    for (size_t i = 0; i < N_ROWS(running_fx); i++) {
        if (running_fx[i].end)
            continue;
        struct event e = mk(&running_fx[i], 1);
        assert_int_equal(agg_pl.advance(m, &e, a, a + 5), 0);
    }
    /* 278 + 5 (ru-1) + 5 (ru-2) + 1 (ru-5 starts 08-20 = A + 5) */
    assert_int_equal(
        (int)metric_of(m, "2014", "total", a + 5, "care_days").value,
        278 + 5 + 5 + 1);
    apply_specs(m, running_fx, N_ROWS(running_fx), -1, a + 5);
    assert_all_zero(m, "removed as of A + 5");
    cellmap_destroy(&m);
}

/* A revision: the old contribution removed, the new one added, as the
 * entity module does; the cells equal a map with only the new one. */
static void test_revise(void **state)
{
    (void)state;
    static const struct pl_spec revs[][2] = {
        /* the end date moved later (after A) */
        {{"rv-1", "vuxen", "ola", GENDER_M, 1980, SETTING_INSTITUTION,
          REGI_EXTERN, TARGET_VUXNA_MISSBRUK, LEGAL_LVM, "2014-02-03",
          "2014-06-01", 300000},
         {"rv-1", "vuxen", "ola", GENDER_M, 1980, SETTING_INSTITUTION,
          REGI_EXTERN, TARGET_VUXNA_MISSBRUK, LEGAL_LVM, "2014-02-03",
          "2014-09-15", 300000}},
        /* an open placement is given its end date afterwards */
        {{"rv-2", "barn-unga", "pia", GENDER_F, 2006, SETTING_FAMILJEHEM,
          REGI_EGEN, TARGET_BARN_UNGA, LEGAL_SOL, "2013-10-07", NULL, 65000},
         {"rv-2", "barn-unga", "pia", GENDER_F, 2006, SETTING_FAMILJEHEM,
          REGI_EGEN, TARGET_BARN_UNGA, LEGAL_SOL, "2013-10-07", "2014-07-01",
          65000}},
        /* an end date withdrawn; setting, regi and cost corrected */
        {{"rv-3", "barn-unga", "rut", GENDER_F, 1998, SETTING_JOURHEM,
          REGI_EGEN, TARGET_BARN_UNGA, LEGAL_LVU, "2014-01-20", "2014-03-01",
          90000},
         {"rv-3", "barn-unga", "rut", GENDER_F, 1998, SETTING_INSTITUTION,
          REGI_EXTERN, TARGET_BARN_UNGA, LEGAL_LVU, "2014-01-20", NULL,
          310000}},
    };
    int32_t a = day(RUN_AS_OF);
    for (size_t i = 0; i < N_ROWS(revs); i++) {
        struct event old = mk(&revs[i][0], 1), neu = mk(&revs[i][1], 2);
        struct cellmap *m = cellmap_new(NULL, NULL);
        struct cellmap *fresh = cellmap_new(NULL, NULL);
        /* a bystander that both maps hold */
        apply_specs(m, closed_fx, 1, +1, a);
        apply_specs(fresh, closed_fx, 1, +1, a);
        assert_int_equal(agg_pl.apply(m, &old, +1, a), 0);
        assert_int_equal(agg_pl.apply(m, &old, -1, a), 0);
        assert_int_equal(agg_pl.apply(m, &neu, +1, a), 0);
        assert_int_equal(agg_pl.apply(fresh, &neu, +1, a), 0);
        assert_same_cells(m, fresh, revs[i][0].id);
        cellmap_destroy(&fresh);
        cellmap_destroy(&m);
    }

    /* rv-1 in figures: feb 3..28 = 26, mar 31, apr 30, may 31 = 118 days
     * before; + jun 30, jul 31, aug 31, sep 1..14 = 14: 224 after */
    struct event old = mk(&revs[0][0], 1), neu = mk(&revs[0][1], 2);
    struct cellmap *m = cellmap_new(NULL, NULL);
    assert_int_equal(agg_pl.apply(m, &old, +1, a), 0);
    static const struct row before[] = {
        {"2014", "total", RUN_AS_OF, "care_days", 0, 118},
        {"2014-06", "total", RUN_AS_OF, "ended", 0, 1},
        {"2014-05", "total", RUN_AS_OF, "active_at_end", 0, 1},
        {"2014-06", "total", RUN_AS_OF, "active_at_end", 0, 0},
    };
    CHECK_ROWS(m, before);
    assert_int_equal(agg_pl.apply(m, &old, -1, a), 0);
    assert_int_equal(agg_pl.apply(m, &neu, +1, a), 0);
    static const struct row after[] = {
        {"2014", "total", RUN_AS_OF, "care_days", 0, 224},
        /* 224 x 3000 */
        {"2014", "total", RUN_AS_OF, "cost", 0, 672000},
        {"2014-06", "total", RUN_AS_OF, "ended", 0, 0},
        {"2014-09", "total", RUN_AS_OF, "ended", 0, 1},
        {"2014-06", "total", RUN_AS_OF, "active_at_end", 0, 1},
        /* on A, 08-15 */
        {"2014-08", "total", RUN_AS_OF, "active_at_end", 0, 1},
        {"2014-09", "total", RUN_AS_OF, "care_days", 0, 14},
        {"2014", "total", RUN_AS_OF, "started", 0, 1},
        {"2014", "total", RUN_AS_OF, "persons", 0, 1},
    };
    CHECK_ROWS(m, after);
    cellmap_destroy(&m);
}

/* Order does not matter: both fixtures applied backwards give the same
 * cells as forwards. */
static void test_order_independent(void **state)
{
    (void)state;
    int32_t a = day(RUN_AS_OF);
    struct cellmap *f = cellmap_new(NULL, NULL), *r = cellmap_new(NULL, NULL);
    apply_specs(f, closed_fx, N_ROWS(closed_fx), +1, a);
    apply_specs(f, running_fx, N_ROWS(running_fx), +1, a);
    for (size_t i = N_ROWS(running_fx); i-- > 0;)
        apply_specs(r, &running_fx[i], 1, +1, a);
    for (size_t i = N_ROWS(closed_fx); i-- > 0;)
        apply_specs(r, &closed_fx[i], 1, +1, a);
    assert_same_cells(f, r, "backwards vs forwards");
    cellmap_destroy(&f);
    cellmap_destroy(&r);
}

/* Kinds the domain does not aggregate leave no cell. */
static void test_other_kinds(void **state)
{
    (void)state;
    struct event e;
    memset(&e, 0, sizeof(e));
    e.kind = EVENT_PAYMENT;
    snprintf(e.source, sizeof(e.source), "test");
    snprintf(e.id, sizeof(e.id), "pay-1");
    e.revision = 1;
    snprintf(e.municipality, sizeof(e.municipality), "0127");
    snprintf(e.unit, sizeof(e.unit), "ekb");
    snprintf(e.u.payment.household, sizeof(e.u.payment.household), "hh");
    e.u.payment.month = period_month_from_ym(2014, 3);
    e.u.payment.paid_on = day("2014-03-25");
    e.u.payment.amount_ore = 100000;
    e.u.payment.category = CAT_LIVSUPPEHALLE;
    e.u.payment.head_birth_year = 1980;
    struct cellmap *m = cellmap_new(NULL, NULL);
    assert_int_equal(agg_pl.apply(m, &e, +1, day(RUN_AS_OF)), 0);
    assert_all_zero(m, "payment in pl");
    cellmap_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_ids),
        cmocka_unit_test(test_closed),
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_running_labels),
        cmocka_unit_test(test_person_labels),
        cmocka_unit_test(test_design_check),
        cmocka_unit_test(test_advance_rows),
        cmocka_unit_test(test_advance_periods),
        cmocka_unit_test(test_advance_many_days),
        cmocka_unit_test(test_remove_all),
        cmocka_unit_test(test_revise),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_other_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_agg_inv.c — domain inv (referrals, investigations, decisions) from
 * hand-computed examples (DESIGN §3, §4, §5; the definitions are those
 * of agg_inv.h), black-box through agg_inv.apply/advance/metrics on a
 * cellmap with no backing store.
 *
 * Fixtures (municipality 0127, source "test"):
 *   cases, as of 2015-06-01; every decision by person F born 2000
 *   (flicka, 13-17 in 2014 and 2015), target barn_unga, unit barn-unga
 *   unless noted:
 *     c1 opened 2014-10-31 closed 2015-02-28  120 days, within (02-28)
 *     c2 opened 2014-10-31 closed 2015-03-01  121 days, not within
 *     c3 opened 2014-01-31 closed 2014-05-31  120 days, within (05-31)
 *     c4 opened 2014-01-31 closed 2014-06-01  121 days, not within
 *     c5 opened 2014-03-15 closed 2014-07-15  122 days, within (07-15),
 *        closed by unit vuxen
 *     c6 opened 2014-03-15 closed 2014-07-16  123 days, not within,
 *        closed by unit vuxen
 *     c7 closed 2014-09-10, opening unknown; closed for a household (no
 *        gender, no birth year)
 *     c8 ej_inleda_utredning 2014-04-02: counts nowhere
 *     c9 opened 2014-11-20, still open
 *   conversion, as of 2015-06-01: 2 100 referrals in 2014, 175 a month
 *     (reporters polis, skola, ... in turn; targets barn_unga and
 *     vald_nara_relation in turn), and 465 investigations opened, 39 a
 *     month jan-sep and 38 oct-dec, none closed; everyone M born 2005
 *     (pojke, 0-12).
 *   bistand, as of 2015-06-01, person M born 1980 (man, 25-64), SoL,
 *   target vuxna_missbruk, unit vuxen; "+3 m" is decided_on + 3 months:
 *     b1 bifall 2014-01-10 kontaktperson never executed      +3 m 04-10
 *     b2 bifall 2014-01-10 kontaktperson executed 2014-05-20 +3 m 04-10
 *     b3 avslag 2014-02-03 kontaktperson
 *     b4 avslag 2014-02-20 boendestod
 *     b5 bifall 2014-06-30 boendestod executed 2014-07-05    +3 m 09-30
 *     b6 bifall 2014-11-30 boendestod never executed    +3 m 2015-02-28
 *   advance: an open investigation (opened 2014-03-20) and a closed one
 *     (2014-01-10..2014-02-15) as the as-of day moves from 2014-05-10 to
 *     2014-09-01; b1 alone as it moves from 2014-04-09 to 2014-05-02.
 *   order, revisions and deletes: the cases, the bistand decisions and
 *     six referrals, compared as dumps of every non-zero cell.
 */
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"
#include "agg_inv.h"
#include "cell.h"
#include "cellmap.h"
#include "entity.h"
#include "period.h"
/* clang-format on */

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))
#define ASOF "2015-06-01" /* the as-of day of the closed fixtures */
#define EV_MAX 3000       /* events of the largest fixture */

#define OPEN DTYPE_INLEDA_UTREDNING
#define CLOSE DTYPE_AVSLUTA_UTREDNING

static int32_t day(const char *s)
{
    int32_t d = 0;
    assert_int_equal(period_date_parse(s, &d), 0);
    return d;
}

static struct event base(enum event_kind kind, const char *id, const char *unit)
{
    struct event e;
    memset(&e, 0, sizeof(e));
    e.kind = kind;
    snprintf(e.source, sizeof(e.source), "test");
    snprintf(e.id, sizeof(e.id), "%s", id);
    e.revision = 1;
    snprintf(e.municipality, sizeof(e.municipality), "0127");
    snprintf(e.unit, sizeof(e.unit), "%s", unit);
    return e;
}

/* Decision "<case>-open" or "<case>-close" (by type) of person F born
 * 2000 about target barn_unga. */
static struct event inv(enum decision_type type, const char *case_id,
                        const char *unit, const char *decided_on)
{
    char id[EVENT_ID_MAX + 1];
    snprintf(id, sizeof(id), "%s-%s", case_id,
             type == OPEN    ? "open"
             : type == CLOSE ? "close"
                             : "other");
    struct event e = base(EVENT_DECISION, id, unit);
    struct decision *d = &e.u.decision;
    snprintf(d->person, sizeof(d->person), "p-%s", case_id);
    d->gender = GENDER_F;
    d->birth_year = 2000;
    d->type = type;
    snprintf(d->case_id, sizeof(d->case_id), "%s", case_id);
    d->target = TARGET_BARN_UNGA;
    d->decided_on = day(decided_on);
    d->executed_on = -1;
    return e;
}

/* Bistand decision id of person M born 1980 under SoL, unit vuxen;
 * executed_on NULL: not executed. */
static struct event bistand(const char *id, enum outcome outcome,
                            const char *intervention, const char *decided_on,
                            const char *executed_on)
{
    struct event e = base(EVENT_DECISION, id, "vuxen");
    struct decision *d = &e.u.decision;
    snprintf(d->person, sizeof(d->person), "p-%s", id);
    d->gender = GENDER_M;
    d->birth_year = 1980;
    d->type = DTYPE_BISTAND;
    d->outcome = outcome;
    snprintf(d->intervention, sizeof(d->intervention), "%s", intervention);
    d->legal_basis = LEGAL_SOL;
    d->target = TARGET_VUXNA_MISSBRUK;
    d->decided_on = day(decided_on);
    d->executed_on = executed_on ? day(executed_on) : -1;
    return e;
}

/* Referral id about person M born 2005, unit barn-unga. */
static struct event referral(const char *id, int32_t received_on,
                             enum reporter reporter, enum target target)
{
    struct event e = base(EVENT_REFERRAL, id, "barn-unga");
    struct referral *r = &e.u.referral;
    snprintf(r->person, sizeof(r->person), "p-%s", id);
    r->gender = GENDER_M;
    r->birth_year = 2005;
    r->received_on = received_on;
    r->reporter = reporter;
    r->target = target;
    return e;
}

/* The cases fixture (see the file header); n receives the count. */
static size_t cases(struct event *ev)
{
    size_t n = 0;
    ev[n++] = inv(OPEN, "c1", "barn-unga", "2014-10-31");
    ev[n++] = inv(CLOSE, "c1", "barn-unga", "2015-02-28");
    ev[n++] = inv(OPEN, "c2", "barn-unga", "2014-10-31");
    ev[n++] = inv(CLOSE, "c2", "barn-unga", "2015-03-01");
    ev[n++] = inv(OPEN, "c3", "barn-unga", "2014-01-31");
    ev[n++] = inv(CLOSE, "c3", "barn-unga", "2014-05-31");
    ev[n++] = inv(OPEN, "c4", "barn-unga", "2014-01-31");
    ev[n++] = inv(CLOSE, "c4", "barn-unga", "2014-06-01");
    ev[n++] = inv(OPEN, "c5", "barn-unga", "2014-03-15");
    ev[n++] = inv(CLOSE, "c5", "vuxen", "2014-07-15");
    ev[n++] = inv(OPEN, "c6", "barn-unga", "2014-03-15");
    ev[n++] = inv(CLOSE, "c6", "vuxen", "2014-07-16");
    struct event c7 = inv(CLOSE, "c7", "barn-unga", "2014-09-10");
    memset(c7.u.decision.person, 0, sizeof(c7.u.decision.person));
    snprintf(c7.u.decision.household, sizeof(c7.u.decision.household), "hh-c7");
    c7.u.decision.gender = GENDER_NONE;
    c7.u.decision.birth_year = 0;
    ev[n++] = c7;
    ev[n++] = inv(DTYPE_EJ_INLEDA_UTREDNING, "c8", "barn-unga", "2014-04-02");
    ev[n++] = inv(OPEN, "c9", "barn-unga", "2014-11-20");
    return n;
}

/* The bistand fixture (see the file header). */
static size_t bistands(struct event *ev)
{
    size_t n = 0;
    ev[n++] =
        bistand("b1", OUTCOME_BIFALL, "kontaktperson", "2014-01-10", NULL);
    ev[n++] = bistand("b2", OUTCOME_BIFALL, "kontaktperson", "2014-01-10",
                      "2014-05-20");
    ev[n++] =
        bistand("b3", OUTCOME_AVSLAG, "kontaktperson", "2014-02-03", NULL);
    ev[n++] = bistand("b4", OUTCOME_AVSLAG, "boendestod", "2014-02-20", NULL);
    ev[n++] =
        bistand("b5", OUTCOME_BIFALL, "boendestod", "2014-06-30", "2014-07-05");
    ev[n++] = bistand("b6", OUTCOME_BIFALL, "boendestod", "2014-11-30", NULL);
    return n;
}

/* The conversion fixture (see the file header). */
static size_t conversion(struct event *ev)
{
    size_t n = 0, i = 0;
    char id[32];
    for (int mo = 1; mo <= 12; mo++) {
        int32_t first = period_day_from_ymd(2014, mo, 1);
        for (int k = 0; k < 175; k++, i++) {
            snprintf(id, sizeof(id), "r-%zu", i);
            ev[n++] = referral(
                id, first + k % 28, (enum reporter)(REPORTER_POLIS + i % 6),
                i % 2 ? TARGET_VALD_NARA_RELATION : TARGET_BARN_UNGA);
        }
    }
    i = 0;
    for (int mo = 1; mo <= 12; mo++) {
        int per_month = mo <= 9 ? 39 : 38;
        for (int k = 0; k < per_month; k++, i++) {
            char date[11], case_id[32];
            period_date_format(period_day_from_ymd(2014, mo, 1 + k % 28), date);
            snprintf(case_id, sizeof(case_id), "k%zu", i);
            struct event e = inv(OPEN, case_id, "barn-unga", date);
            e.u.decision.gender = GENDER_M;
            e.u.decision.birth_year = 2005;
            e.u.decision.legal_basis = LEGAL_SOL;
            ev[n++] = e;
        }
    }
    return n;
}

static void apply_all(struct cellmap *m, const struct event *ev, size_t n,
                      int sign, int32_t as_of)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(agg_inv.apply(m, &ev[i], sign, as_of), 0);
}

static struct cellmap *map_of(const struct event *ev, size_t n,
                              const char *as_of)
{
    struct cellmap *m = cellmap_new(NULL, NULL);
    assert_non_null(m);
    apply_all(m, ev, n, +1, day(as_of));
    return m;
}

static void advance(struct cellmap *m, const struct event *e, const char *from,
                    const char *to)
{
    assert_int_equal(agg_inv.advance(m, e, day(from), day(to)), 0);
}

/* Whether apply() listed e as depending on the as-of day. */
static bool is_marked(struct cellmap *m, const struct event *e)
{
    char ekey[ENTITY_KEY_MAX], key[CELLMAP_KEY_MAX];
    const void *val;
    size_t len;
    assert_int_equal(entity_key(ekey, e), 0);
    snprintf(key, sizeof(key), "%s%s", AGG_ASOF_PREFIX, ekey);
    assert_int_equal(cellmap_get(m, CELLMAP_MEMBERS, key, &val, &len), 0);
    return len > 0;
}

struct row {
    const char *period, *slice, *as_of, *id;
    int is_null;
    double want;
};

/* Metric r->id of r's cell into *got; false (and a message) when
 * metrics() fails or has no such metric. */
static bool metric_of(struct cellmap *m, const struct row *r,
                      struct metric *got)
{
    char key[CELL_KEY_MAX];
    struct cell_key_parts k;
    struct metric out[AGG_METRICS_MAX];
    size_t n = 0;
    snprintf(key, sizeof(key), "0127/inv/%s/%s", r->period, r->slice);
    assert_int_equal(cell_key_split(key, &k), 0);
    int rc = agg_inv.metrics(m, &k, day(r->as_of), out, &n);
    if (rc) {
        print_error("%s as of %s: metrics() = %d\n", key, r->as_of, rc);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].id, r->id) == 0) {
            *got = out[i];
            return true;
        }
    print_error("%s as of %s: no metric %s\n", key, r->as_of, r->id);
    return false;
}

/* Checks every row and reports each mismatch before failing. */
static void check_rows(struct cellmap *m, const struct row *rows, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct metric got;
        if (!metric_of(m, r, &got)) {
            bad++;
            continue;
        }
        double diff = got.value - r->want;
        bool ok = r->is_null ? got.is_null
                             : !got.is_null && diff < 1e-9 && diff > -1e-9;
        if (ok)
            continue;
        bad++;
        if (r->is_null)
            print_error("row %zu: %s %s %s as of %s: want null, got %.6f\n", i,
                        r->period, r->slice, r->id, r->as_of, got.value);
        else
            print_error("row %zu: %s %s %s as of %s: want %.6f, got %s%.6f\n",
                        i, r->period, r->slice, r->id, r->as_of, r->want,
                        got.is_null ? "null " : "", got.value);
    }
    assert_int_equal(bad, 0);
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

/* Every non-zero cell of m, malloc'd ("" when none). */
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

/* Fails, showing both, when a and b hold different non-zero cells. */
static void assert_same_cells(struct cellmap *a, struct cellmap *b)
{
    char *da = dump_of(a), *db = dump_of(b);
    if (strcmp(da, db) != 0)
        print_error("cells differ:\n--- got\n%s--- want\n%s", da, db);
    bool same = strcmp(da, db) == 0;
    free(da);
    free(db);
    assert_true(same);
}

/* m advanced to `to` equals a map of ev[0..n) applied at `to`. */
static void assert_as_fresh(struct cellmap *m, const struct event *ev, size_t n,
                            const char *to)
{
    struct cellmap *fresh = map_of(ev, n, to);
    assert_same_cells(m, fresh);
    cellmap_destroy(&fresh);
}

/* Every metric is there once, with its unit; an empty map has zero
 * counts and null ratios. */
static void test_units_and_empty(void **state)
{
    (void)state;
    static const struct {
        const char *id, *unit;
        int is_null;
    } want[] = {
        {"referrals", "count", 0},
        {"opened", "count", 0},
        {"referral_conversion", "share", 1},
        {"ongoing", "count", 0},
        {"closed", "count", 0},
        {"closed_within_4_months", "count", 0},
        {"within_4_months_share", "share", 1},
        {"avg_investigation_days", "days", 1},
        {"granted", "count", 0},
        {"rejected", "count", 0},
        {"rejection_share", "share", 1},
        {"not_executed_3_months", "count", 0},
    };
    struct cellmap *m = cellmap_new(NULL, NULL);
    struct cell_key_parts k;
    struct metric out[AGG_METRICS_MAX];
    size_t n = 0;
    assert_int_equal(cell_key_split("0127/inv/2014/total", &k), 0);
    assert_int_equal(agg_inv.metrics(m, &k, day(ASOF), out, &n), 0);
    assert_true(n <= AGG_METRICS_MAX);
    for (size_t w = 0; w < N_ROWS(want); w++) {
        size_t seen = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(out[i].id, want[w].id) != 0)
                continue;
            seen++;
            assert_non_null(out[i].label);
            assert_string_equal(out[i].unit, want[w].unit);
            assert_int_equal(out[i].is_null, want[w].is_null);
            if (!want[w].is_null)
                assert_true(out[i].value == 0);
        }
        if (seen != 1)
            fail_msg("metric %s seen %zu times", want[w].id, seen);
    }
    cellmap_destroy(&m);
}

/* The four-month deadline, investigation days and ongoing counts of the
 * cases fixture (every figure as of 2015-06-01). */
static const struct row case_rows[] = {
    /* opened: c1-c6 and c9; c7 has no opening, c8 is ej_inleda */
    {"2014", "total", ASOF, "opened", 0, 7},
    {"2014-10", "total", ASOF, "opened", 0, 2}, /* c1, c2 on 10-31 */
    {"2014-01", "total", ASOF, "opened", 0, 2}, /* c3, c4 on 01-31 */
    {"2014-03", "total", ASOF, "opened", 0, 2}, /* c5, c6 on 03-15 */
    {"2014-04", "total", ASOF, "opened", 0, 0}, /* c8 ej_inleda only */
    {"2014-11", "total", ASOF, "opened", 0, 1}, /* c9 */
    {"2015", "total", ASOF, "opened", 0, 0},
    /* 2015-02: c1, 10-31 + 4 m = 02-28 (clamped) >= 02-28: within;
     * 120 days (nov 30 + dec 31 + jan 31 + feb 28) */
    {"2015-02", "total", ASOF, "closed", 0, 1},
    {"2015-02", "total", ASOF, "closed_within_4_months", 0, 1},
    {"2015-02", "total", ASOF, "within_4_months_share", 0, 1},
    {"2015-02", "total", ASOF, "avg_investigation_days", 0, 120},
    /* 2015-03: c2, 03-01 > 02-28: not within; 121 days */
    {"2015-03", "total", ASOF, "closed", 0, 1},
    {"2015-03", "total", ASOF, "closed_within_4_months", 0, 0},
    {"2015-03", "total", ASOF, "within_4_months_share", 0, 0},
    {"2015-03", "total", ASOF, "avg_investigation_days", 0, 121},
    /* 2015-Q1: c1, c2; 1 / 2; (120 + 121) / 2 */
    {"2015-Q1", "total", ASOF, "closed", 0, 2},
    {"2015-Q1", "total", ASOF, "closed_within_4_months", 0, 1},
    {"2015-Q1", "total", ASOF, "within_4_months_share", 0, 0.5},
    {"2015-Q1", "total", ASOF, "avg_investigation_days", 0, 120.5},
    /* 2014-05: c3, 01-31 + 4 m = 05-31 >= 05-31: within; 120 days
     * (feb 28 + mar 31 + apr 30 + may 31) */
    {"2014-05", "total", ASOF, "closed", 0, 1},
    {"2014-05", "total", ASOF, "closed_within_4_months", 0, 1},
    {"2014-05", "total", ASOF, "avg_investigation_days", 0, 120},
    /* 2014-06: c4, 06-01 > 05-31: not within; 121 days */
    {"2014-06", "total", ASOF, "closed", 0, 1},
    {"2014-06", "total", ASOF, "closed_within_4_months", 0, 0},
    {"2014-06", "total", ASOF, "within_4_months_share", 0, 0},
    {"2014-06", "total", ASOF, "avg_investigation_days", 0, 121},
    /* 2014-07: c5 on 03-15 + 4 m = 07-15 (within, 16 + 30 + 31 + 30 +
     * 15 = 122 days), c6 a day later (not, 123); 1 / 2; 245 / 2 */
    {"2014-07", "total", ASOF, "closed", 0, 2},
    {"2014-07", "total", ASOF, "closed_within_4_months", 0, 1},
    {"2014-07", "total", ASOF, "within_4_months_share", 0, 0.5},
    {"2014-07", "total", ASOF, "avg_investigation_days", 0, 122.5},
    /* 2014-09: c7, opening unknown: closed, not within, no days */
    {"2014-09", "total", ASOF, "closed", 0, 1},
    {"2014-09", "total", ASOF, "closed_within_4_months", 0, 0},
    {"2014-09", "total", ASOF, "within_4_months_share", 0, 0},
    {"2014-09", "total", ASOF, "avg_investigation_days", 1, 0},
    /* 2014-08: nothing closed: shares null */
    {"2014-08", "total", ASOF, "closed", 0, 0},
    {"2014-08", "total", ASOF, "within_4_months_share", 1, 0},
    {"2014-08", "total", ASOF, "avg_investigation_days", 1, 0},
    /* 2014: c3, c4, c5, c6, c7; within c3, c5: 2 / 5;
     * days (120 + 121 + 122 + 123) / 4 known openings = 121.5 */
    {"2014", "total", ASOF, "closed", 0, 5},
    {"2014", "total", ASOF, "closed_within_4_months", 0, 2},
    {"2014", "total", ASOF, "within_4_months_share", 0, 0.4},
    {"2014", "total", ASOF, "avg_investigation_days", 0, 121.5},
    /* 2014-Q2 apr-jun: c3, c4 */
    {"2014-Q2", "total", ASOF, "closed", 0, 2},
    {"2014-Q2", "total", ASOF, "within_4_months_share", 0, 0.5},
    {"2014-Q2", "total", ASOF, "avg_investigation_days", 0, 120.5},
    /* 2014-T2 may-aug: c3, c4, c5, c6: 2 / 4; 486 / 4 */
    {"2014-T2", "total", ASOF, "closed", 0, 4},
    {"2014-T2", "total", ASOF, "within_4_months_share", 0, 0.5},
    {"2014-T2", "total", ASOF, "avg_investigation_days", 0, 121.5},
    /* 2014-H2 jul-dec: c5, c6, c7: 1 / 3; (122 + 123) / 2 */
    {"2014-H2", "total", ASOF, "closed", 0, 3},
    {"2014-H2", "total", ASOF, "within_4_months_share", 0, 1.0 / 3},
    {"2014-H2", "total", ASOF, "avg_investigation_days", 0, 122.5},
    /* 2015-03-R12 apr 2014-mar 2015: c3-c7, c1, c2 = 7 closed; within
     * c3, c5, c1: 3 / 7; days (120+121+122+123+120+121) / 6 = 727 / 6 */
    {"2015-03-R12", "total", ASOF, "closed", 0, 7},
    {"2015-03-R12", "total", ASOF, "closed_within_4_months", 0, 3},
    {"2015-03-R12", "total", ASOF, "within_4_months_share", 0, 3.0 / 7},
    {"2015-03-R12", "total", ASOF, "avg_investigation_days", 0, 727.0 / 6},
    /* 2015 running as of 06-01: c1, c2 closed; 1 / 2; 241 / 2 */
    {"2015", "total", ASOF, "closed", 0, 2},
    {"2015", "total", ASOF, "within_4_months_share", 0, 0.5},
    {"2015", "total", ASOF, "avg_investigation_days", 0, 120.5},
    /* ongoing: open on some day of the period, closing day included */
    {"2014-01", "total", ASOF, "ongoing", 0, 2}, /* c3, c4 */
    {"2014-02", "total", ASOF, "ongoing", 0, 2}, /* c3, c4 */
    {"2014-03", "total", ASOF, "ongoing", 0, 4}, /* c3-c6 */
    {"2014-05", "total", ASOF, "ongoing", 0, 4}, /* c3 to 05-31, c4-c6 */
    {"2014-06", "total", ASOF, "ongoing", 0, 3}, /* c4 06-01, c5, c6 */
    {"2014-07", "total", ASOF, "ongoing", 0, 2}, /* c5, c6 */
    {"2014-08", "total", ASOF, "ongoing", 0, 0}, /* closed earlier */
    {"2014-09", "total", ASOF, "ongoing", 0, 0}, /* c7: no opening */
    {"2014-10", "total", ASOF, "ongoing", 0, 2}, /* c1, c2 */
    {"2014-11", "total", ASOF, "ongoing", 0, 3}, /* c1, c2, c9 */
    {"2015-02", "total", ASOF, "ongoing", 0, 3}, /* c1 02-28, c2, c9 */
    {"2015-03", "total", ASOF, "ongoing", 0, 2}, /* c2 03-01, c9 */
    {"2015-04", "total", ASOF, "ongoing", 0, 1}, /* c9 */
    {"2015-06", "total", ASOF, "ongoing", 0, 1}, /* c9 through A */
    {"2015-07", "total", ASOF, "ongoing", 0, 0}, /* after A */
    {"2015-H2", "total", ASOF, "ongoing", 0, 0}, /* after A */
    {"2015", "total", ASOF, "ongoing", 0, 3},    /* c1, c2, c9 */
    {"2014", "total", ASOF, "ongoing", 0, 7},    /* c1-c6, c9 */
    {"2014-Q3", "total", ASOF, "ongoing", 0, 2}, /* c5, c6 in july */
    {"2014-T3", "total", ASOF, "ongoing", 0, 3}, /* c1, c2, c9 */
    {"2013", "total", ASOF, "ongoing", 0, 0},
    /* slices: opened and ongoing by the opening decision (all
     * barn-unga), closed, within and days by the closing one (c5, c6
     * vuxen; c3, c4, c7 barn-unga in 2014) */
    {"2014", "unit=vuxen", ASOF, "opened", 0, 0},
    {"2014", "unit=vuxen", ASOF, "ongoing", 0, 0},
    {"2014", "unit=vuxen", ASOF, "closed", 0, 2},
    {"2014", "unit=vuxen", ASOF, "closed_within_4_months", 0, 1},
    {"2014", "unit=vuxen", ASOF, "avg_investigation_days", 0, 122.5},
    {"2014", "unit=barn-unga", ASOF, "opened", 0, 7},
    {"2014", "unit=barn-unga", ASOF, "ongoing", 0, 7},
    {"2014", "unit=barn-unga", ASOF, "closed", 0, 3},
    {"2014", "unit=barn-unga", ASOF, "within_4_months_share", 0, 1.0 / 3},
    {"2014", "unit=barn-unga", ASOF, "avg_investigation_days", 0, 120.5},
    {"2014-07", "unit=barn-unga", ASOF, "closed", 0, 0},
    {"2014-07", "unit=barn-unga", ASOF, "within_4_months_share", 1, 0},
    /* F born 2000 is 14 at 2014-01-01: flicka, 13-17; c7's household
     * has no gender slice: closed c3-c6, within c3, c5 */
    {"2014", "gender=flicka", ASOF, "opened", 0, 7},
    {"2014", "gender=flicka", ASOF, "ongoing", 0, 7},
    {"2014", "gender=flicka", ASOF, "closed", 0, 4},
    {"2014", "gender=flicka", ASOF, "within_4_months_share", 0, 0.5},
    {"2014", "gender=flicka", ASOF, "avg_investigation_days", 0, 121.5},
    {"2014", "age_band=13-17", ASOF, "opened", 0, 7},
    {"2014", "age_band=13-17", ASOF, "closed", 0, 4},
    {"2015", "gender=flicka", ASOF, "ongoing", 0, 3},
    {"2014", "target=barn_unga", ASOF, "opened", 0, 7},
    {"2014", "target=barn_unga", ASOF, "closed", 0, 5},
    /* no referrals, no bistand: conversion and rejection share null */
    {"2014", "total", ASOF, "referrals", 0, 0},
    {"2014", "total", ASOF, "referral_conversion", 1, 0},
    {"2014", "total", ASOF, "granted", 0, 0},
    {"2014", "total", ASOF, "rejection_share", 1, 0},
    {"2014", "total", ASOF, "not_executed_3_months", 0, 0},
    /* figures that do not apply to the slice are null */
    {"2014", "reporter=polis", ASOF, "opened", 1, 0},
    {"2014", "reporter=polis", ASOF, "ongoing", 1, 0},
    {"2014", "reporter=polis", ASOF, "closed", 1, 0},
    {"2014", "intervention=kontaktperson", ASOF, "referrals", 1, 0},
};

static void test_cases(void **state)
{
    (void)state;
    struct event ev[32];
    size_t n = cases(ev);
    struct cellmap *m = map_of(ev, n, ASOF);
    check_rows(m, case_rows, N_ROWS(case_rows));
    /* only c9's opening (still open) depends on the as-of day */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(is_marked(m, &ev[i]),
                         strcmp(ev[i].id, "c9-open") == 0);
    cellmap_destroy(&m);
}

/* DESIGN's figures: 465 / 2100 = 0.2214 (0.22). */
static const struct row conversion_rows[] = {
    {"2014", "total", ASOF, "referrals", 0, 2100}, /* 12 * 175 */
    {"2014", "total", ASOF, "opened", 0, 465},     /* 9 * 39 + 3 * 38 */
    {"2014", "total", ASOF, "referral_conversion", 0, 465.0 / 2100},
    {"2014-01", "total", ASOF, "referrals", 0, 175},
    {"2014-01", "total", ASOF, "opened", 0, 39},
    {"2014-01", "total", ASOF, "referral_conversion", 0, 39.0 / 175},
    {"2014-12", "total", ASOF, "referral_conversion", 0, 38.0 / 175},
    /* Q4: 3 * 175 = 525 referrals, 3 * 38 = 114 opened */
    {"2014-Q4", "total", ASOF, "referrals", 0, 525},
    {"2014-Q4", "total", ASOF, "referral_conversion", 0, 114.0 / 525},
    /* T3 sep-dec: 4 * 175 = 700; 39 + 3 * 38 = 153 */
    {"2014-T3", "total", ASOF, "opened", 0, 153},
    {"2014-T3", "total", ASOF, "referral_conversion", 0, 153.0 / 700},
    /* YTD jan-jun: 6 * 175 = 1050; 6 * 39 = 234 */
    {"2014-06-YTD", "total", ASOF, "referrals", 0, 1050},
    {"2014-06-YTD", "total", ASOF, "referral_conversion", 0, 234.0 / 1050},
    /* R12 apr 2014-mar 2015: 9 * 175 = 1575; 6 * 39 + 3 * 38 = 348 */
    {"2015-03-R12", "total", ASOF, "referrals", 0, 1575},
    {"2015-03-R12", "total", ASOF, "opened", 0, 348},
    {"2015-03-R12", "total", ASOF, "referral_conversion", 0, 348.0 / 1575},
    /* nothing in 2015: conversion null */
    {"2015", "total", ASOF, "referrals", 0, 0},
    {"2015", "total", ASOF, "referral_conversion", 1, 0},
    /* reporters in turn: 2100 / 6 = 350 each; january i = 0..174,
     * i % 6 == 0: 0, 6, ..., 174 = 30; decisions have no reporter */
    {"2014", "reporter=polis", ASOF, "referrals", 0, 350},
    {"2014", "reporter=annan", ASOF, "referrals", 0, 350},
    {"2014-01", "reporter=polis", ASOF, "referrals", 0, 30},
    {"2014", "reporter=polis", ASOF, "opened", 1, 0},
    {"2014", "reporter=polis", ASOF, "referral_conversion", 1, 0},
    {"2014", "reporter=polis", ASOF, "granted", 1, 0},
    /* targets in turn: 1050 each; every opening is barn_unga */
    {"2014", "target=barn_unga", ASOF, "referrals", 0, 1050},
    {"2014", "target=barn_unga", ASOF, "opened", 0, 465},
    {"2014", "target=barn_unga", ASOF, "referral_conversion", 0, 465.0 / 1050},
    {"2014", "target=vald_nara_relation", ASOF, "referrals", 0, 1050},
    {"2014", "target=vald_nara_relation", ASOF, "opened", 0, 0},
    {"2014", "target=vald_nara_relation", ASOF, "referral_conversion", 0, 0},
    {"2014", "unit=barn-unga", ASOF, "referral_conversion", 0, 465.0 / 2100},
    /* M born 2005 is 9 at 2014-01-01: pojke, 0-12 */
    {"2014", "gender=pojke", ASOF, "referrals", 0, 2100},
    {"2014", "gender=pojke", ASOF, "opened", 0, 465},
    {"2014", "age_band=0-12", ASOF, "referral_conversion", 0, 465.0 / 2100},
    /* legal basis is a decision dimension: referrals do not apply */
    {"2014", "legal_basis=SoL", ASOF, "opened", 0, 465},
    {"2014", "legal_basis=SoL", ASOF, "referrals", 1, 0},
    {"2014", "legal_basis=SoL", ASOF, "referral_conversion", 1, 0},
    /* none closed: every opening is ongoing through A = 2015-06-01 */
    {"2014-01", "total", ASOF, "ongoing", 0, 39},
    {"2014-02", "total", ASOF, "ongoing", 0, 78}, /* 39 + 39 */
    {"2014-12", "total", ASOF, "ongoing", 0, 465},
    {"2014", "total", ASOF, "ongoing", 0, 465},
    {"2015", "total", ASOF, "ongoing", 0, 465},
    {"2015-06", "total", ASOF, "ongoing", 0, 465},
    {"2015-07", "total", ASOF, "ongoing", 0, 0},
    {"2013", "total", ASOF, "ongoing", 0, 0},
    {"2014", "total", ASOF, "closed", 0, 0},
    {"2014", "total", ASOF, "within_4_months_share", 1, 0},
    {"2014", "total", ASOF, "avg_investigation_days", 1, 0},
};

static void test_conversion(void **state)
{
    (void)state;
    struct event *ev = calloc(EV_MAX, sizeof(*ev));
    assert_non_null(ev);
    size_t n = conversion(ev);
    assert_int_equal(n, 2100 + 465);
    struct cellmap *m = map_of(ev, n, ASOF);
    check_rows(m, conversion_rows, N_ROWS(conversion_rows));
    /* as rounded in a report */
    struct metric got;
    assert_true(metric_of(m, &conversion_rows[2], &got));
    assert_int_equal((long)(got.value * 100 + 0.5), 22);
    cellmap_destroy(&m);
    free(ev);
}

/* Granted, rejected and the three-month execution deadline, as of
 * 2015-06-01 (D = the period's last day, or A when running). */
static const struct row bistand_rows[] = {
    /* bifall b1, b2, b5, b6; avslag b3, b4: 2 / 6 */
    {"2014", "total", ASOF, "granted", 0, 4},
    {"2014", "total", ASOF, "rejected", 0, 2},
    {"2014", "total", ASOF, "rejection_share", 0, 2.0 / 6},
    {"2014-01", "total", ASOF, "granted", 0, 2}, /* b1, b2 */
    {"2014-01", "total", ASOF, "rejection_share", 0, 0},
    {"2014-02", "total", ASOF, "rejected", 0, 2}, /* b3, b4 */
    {"2014-02", "total", ASOF, "rejection_share", 0, 1},
    {"2014-03", "total", ASOF, "granted", 0, 0},
    {"2014-03", "total", ASOF, "rejection_share", 1, 0},
    {"2014-H1", "total", ASOF, "granted", 0, 3}, /* b1, b2, b5 */
    {"2014-H2", "total", ASOF, "granted", 0, 1}, /* b6 */
    /* kontaktperson b1, b2 bifall, b3 avslag: 1 / 3 */
    {"2014", "intervention=kontaktperson", ASOF, "granted", 0, 2},
    {"2014", "intervention=kontaktperson", ASOF, "rejected", 0, 1},
    {"2014", "intervention=kontaktperson", ASOF, "rejection_share", 0, 1.0 / 3},
    {"2014", "intervention=kontaktperson", ASOF, "referrals", 1, 0},
    {"2014", "intervention=kontaktperson", ASOF, "referral_conversion", 1, 0},
    /* boendestod in february: b4 avslag only */
    {"2014-02", "intervention=boendestod", ASOF, "rejection_share", 0, 1},
    {"2014", "intervention=boendestod", ASOF, "granted", 0, 2}, /* b5 b6 */
    {"2014", "unit=vuxen", ASOF, "granted", 0, 4},
    {"2014", "legal_basis=SoL", ASOF, "rejected", 0, 2},
    {"2014", "target=vuxna_missbruk", ASOF, "rejection_share", 0, 2.0 / 6},
    /* M born 1980 is 34 at 2014-01-01 */
    {"2014", "gender=man", ASOF, "granted", 0, 4},
    {"2014", "age_band=25-64", ASOF, "rejected", 0, 2},
    {"2014", "reporter=polis", ASOF, "granted", 1, 0},
    {"2014", "reporter=polis", ASOF, "rejection_share", 1, 0},
    /* not executed: decided_on + 3 m <= D < executed_on (none: D <= A).
     * b1, b2: 01-10 + 3 m = 04-10; b5 executed before 09-30; b6:
     * 11-30 + 3 m = 2015-02-28 (clamped) */
    {"2014-03", "total", ASOF, "not_executed_3_months", 0, 0}, /* 03-31 */
    {"2014-04", "total", ASOF, "not_executed_3_months", 0, 2}, /* b1 b2 */
    {"2014-05", "total", ASOF, "not_executed_3_months", 0, 1}, /* b1 */
    {"2014-T1", "total", ASOF, "not_executed_3_months", 0, 2}, /* 04-30 */
    {"2014-Q1", "total", ASOF, "not_executed_3_months", 0, 0}, /* 03-31 */
    {"2014-Q2", "total", ASOF, "not_executed_3_months", 0, 1}, /* 06-30 */
    {"2014-T2", "total", ASOF, "not_executed_3_months", 0, 1}, /* 08-31 */
    {"2014-09", "total", ASOF, "not_executed_3_months", 0, 1}, /* b1 */
    {"2014", "total", ASOF, "not_executed_3_months", 0, 1},    /* 12-31 */
    {"2015-01", "total", ASOF, "not_executed_3_months", 0, 1}, /* b1 */
    {"2015-02", "total", ASOF, "not_executed_3_months", 0, 2}, /* b1 b6 */
    {"2015-05", "total", ASOF, "not_executed_3_months", 0, 2},
    {"2015-06", "total", ASOF, "not_executed_3_months", 0, 2}, /* D = A */
    {"2015", "total", ASOF, "not_executed_3_months", 0, 2},    /* D = A */
    {"2015-07", "total", ASOF, "not_executed_3_months", 0, 0}, /* > A */
    {"2013", "total", ASOF, "not_executed_3_months", 0, 0},
    {"2014-04", "intervention=kontaktperson", ASOF, "not_executed_3_months", 0,
     2},
    {"2015-02", "intervention=boendestod", ASOF, "not_executed_3_months", 0, 1},
};

static void test_bistand(void **state)
{
    (void)state;
    struct event ev[16];
    size_t n = bistands(ev);
    struct cellmap *m = map_of(ev, n, ASOF);
    check_rows(m, bistand_rows, N_ROWS(bistand_rows));
    /* only the granted decisions without executed_on, b1 and b6, depend
     * on the as-of day */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(is_marked(m, &ev[i]), strcmp(ev[i].id, "b1") == 0 ||
                                                   strcmp(ev[i].id, "b6") == 0);
    cellmap_destroy(&m);
}

/* b1 (bifall 2014-01-10, never executed) as the as-of day reaches
 * 01-10 + 3 months = 2014-04-10. */
static const struct row ne_0409_rows[] = {
    /* running periods take D = A = 04-09 < 04-10 */
    {"2014", "total", "2014-04-09", "not_executed_3_months", 0, 0},
    {"2014-04", "total", "2014-04-09", "not_executed_3_months", 0, 0},
    {"2014-T1", "total", "2014-04-09", "not_executed_3_months", 0, 0},
    {"2014-03", "total", "2014-04-09", "not_executed_3_months", 0, 0},
    {"2014", "total", "2014-04-09", "granted", 0, 1},
};

static const struct row ne_0410_rows[] = {
    /* D = A = 04-10 >= 04-10 */
    {"2014", "total", "2014-04-10", "not_executed_3_months", 0, 1},
    {"2014-04", "total", "2014-04-10", "not_executed_3_months", 0, 1},
    {"2014-T1", "total", "2014-04-10", "not_executed_3_months", 0, 1},
    {"2014-Q2", "total", "2014-04-10", "not_executed_3_months", 0, 1},
    {"2014-H1", "total", "2014-04-10", "not_executed_3_months", 0, 1},
    {"2014-04-YTD", "total", "2014-04-10", "not_executed_3_months", 0, 1},
    {"2014-04-R12", "total", "2014-04-10", "not_executed_3_months", 0, 1},
    /* closed: D = 03-31 */
    {"2014-03", "total", "2014-04-10", "not_executed_3_months", 0, 0},
    {"2014-Q1", "total", "2014-04-10", "not_executed_3_months", 0, 0},
    /* future: D = 05-31 > A */
    {"2014-05", "total", "2014-04-10", "not_executed_3_months", 0, 0},
    {"2014", "total", "2014-04-10", "granted", 0, 1},
};

static const struct row ne_0502_rows[] = {
    {"2014-04", "total", "2014-05-02", "not_executed_3_months", 0, 1},
    {"2014-05", "total", "2014-05-02", "not_executed_3_months", 0, 1},
    {"2014-T1", "total", "2014-05-02", "not_executed_3_months", 0, 1},
    {"2014-T2", "total", "2014-05-02", "not_executed_3_months", 0, 1},
    {"2014-06", "total", "2014-05-02", "not_executed_3_months", 0, 0},
};

static void test_not_executed_advance(void **state)
{
    (void)state;
    struct event ev[16];
    bistands(ev);
    struct event *b1 = &ev[0];
    struct cellmap *m = map_of(b1, 1, "2014-04-09");
    assert_true(is_marked(m, b1));
    check_rows(m, ne_0409_rows, N_ROWS(ne_0409_rows));

    advance(m, b1, "2014-04-09", "2014-04-10");
    check_rows(m, ne_0410_rows, N_ROWS(ne_0410_rows));
    struct cellmap *fresh = map_of(b1, 1, "2014-04-10");
    assert_same_cells(m, fresh);
    cellmap_destroy(&fresh);

    advance(m, b1, "2014-04-10", "2014-05-02");
    check_rows(m, ne_0502_rows, N_ROWS(ne_0502_rows));
    fresh = map_of(b1, 1, "2014-05-02");
    assert_same_cells(m, fresh);
    cellmap_destroy(&fresh);
    cellmap_destroy(&m);
}

/* b2 first arrives without executed_on, then a revision sets it to
 * 2014-05-20: it leaves the periods whose D is on or after 05-20. */
static const struct row unexecuted_b2_rows[] = {
    {"2014-04", "total", ASOF, "not_executed_3_months", 0, 1},
    {"2014-05", "total", ASOF, "not_executed_3_months", 0, 1},
    {"2014", "total", ASOF, "not_executed_3_months", 0, 1},
    {"2015", "total", ASOF, "not_executed_3_months", 0, 1},
};

static const struct row executed_b2_rows[] = {
    /* 04-10 <= 04-30 < 05-20 */
    {"2014-04", "total", ASOF, "not_executed_3_months", 0, 1},
    {"2014-T1", "total", ASOF, "not_executed_3_months", 0, 1},
    /* 05-31, 08-31, 12-31 >= 05-20 */
    {"2014-05", "total", ASOF, "not_executed_3_months", 0, 0},
    {"2014-T2", "total", ASOF, "not_executed_3_months", 0, 0},
    {"2014", "total", ASOF, "not_executed_3_months", 0, 0},
    {"2015", "total", ASOF, "not_executed_3_months", 0, 0},
    {"2014", "total", ASOF, "granted", 0, 1},
};

static void test_executed_revision(void **state)
{
    (void)state;
    struct event v1 =
        bistand("b2", OUTCOME_BIFALL, "kontaktperson", "2014-01-10", NULL);
    struct event v2 = bistand("b2", OUTCOME_BIFALL, "kontaktperson",
                              "2014-01-10", "2014-05-20");
    v2.revision = 2;
    struct cellmap *m = map_of(&v1, 1, ASOF);
    assert_true(is_marked(m, &v1));
    check_rows(m, unexecuted_b2_rows, N_ROWS(unexecuted_b2_rows));
    apply_all(m, &v1, 1, -1, day(ASOF));
    apply_all(m, &v2, 1, +1, day(ASOF));
    assert_false(is_marked(m, &v2));
    check_rows(m, executed_b2_rows, N_ROWS(executed_b2_rows));
    struct cellmap *fresh = map_of(&v2, 1, ASOF);
    assert_same_cells(m, fresh);
    /* advancing an executed decision changes nothing */
    advance(m, &v2, ASOF, "2015-08-01");
    assert_same_cells(m, fresh);
    cellmap_destroy(&fresh);
    cellmap_destroy(&m);
}

/* One bifall decided 2014-01-10 (+3 m = 04-10) with executed_on, alone
 * in a map applied as of as_of: not_executed_3_months of period. */
static const struct {
    const char *executed_on, *as_of, *period;
    double want;
} execution_cases[] = {
    /* executed on the due day: 04-10 <= D < 04-10 is empty */
    {"2014-04-10", "2014-04-10", "2014-04", 0},
    {"2014-04-10", ASOF, "2014-04", 0},
    /* a day later: running D = A = 04-10 is in [04-10, 04-11) */
    {"2014-04-11", "2014-04-10", "2014-04", 1},
    {"2014-04-11", "2014-04-10", "2014", 1},
    /* but no month's last day is: 04-30 >= 04-11 */
    {"2014-04-11", ASOF, "2014-04", 0},
    {"2014-04-11", ASOF, "2014-T1", 0},
    /* executed after A = 04-15: running D = A in [04-10, 05-20) */
    {"2014-05-20", "2014-04-15", "2014-04", 1},
    {"2014-05-20", "2014-04-15", "2014", 1},
    {"2014-05-20", "2014-04-15", "2014-03", 0},
    /* with an executed_on the formula has no D <= A condition: a
     * future month, D = 05-31 in [04-10, 06-15) */
    {"2014-06-15", "2014-04-15", "2014-05", 1},
    {"2014-06-15", "2014-04-15", "2014-06", 0},
};

static void test_execution_boundaries(void **state)
{
    (void)state;
    size_t bad = 0;
    for (size_t i = 0; i < N_ROWS(execution_cases); i++) {
        struct event e = bistand("bx", OUTCOME_BIFALL, "kontaktperson",
                                 "2014-01-10", execution_cases[i].executed_on);
        struct cellmap *m = map_of(&e, 1, execution_cases[i].as_of);
        struct row r = {
            execution_cases[i].period, "total", execution_cases[i].as_of,
            "not_executed_3_months",   0,       execution_cases[i].want};
        struct metric got = {0};
        if (!metric_of(m, &r, &got) || got.is_null || got.value != r.want) {
            print_error("case %zu: executed %s, %s as of %s: want %.0f, "
                        "got %s%.0f\n",
                        i, execution_cases[i].executed_on, r.period, r.as_of,
                        r.want, got.is_null ? "null " : "", got.value);
            bad++;
        }
        cellmap_destroy(&m);
    }
    assert_int_equal(bad, 0);
}

/* Labels by age at the period's start (DESIGN §5) for people who turn
 * 18 in 2015 (born 1997: 17 at 2014-01-01, 18 at 2015-01-01):
 *   L1 F opened 2014-11-20, still open;
 *   L2 F opened 2014-10-01, closed 2015-01-15 (31 + 30 + 31 + 14 = 106
 *      days; 10-01 + 4 m = 2015-02-01: within);
 *   bL M bifall 2014-10-01 never executed (+3 m = 2015-01-01);
 *   rL M referral 2014-12-28.
 * R12 periods are labelled by the year of their first month. */
static size_t label_events(struct event *ev)
{
    size_t n = 0;
    ev[n++] = inv(OPEN, "L1", "barn-unga", "2014-11-20");
    ev[n++] = inv(OPEN, "L2", "barn-unga", "2014-10-01");
    ev[n++] = inv(CLOSE, "L2", "barn-unga", "2015-01-15");
    for (size_t i = 0; i < n; i++)
        ev[i].u.decision.birth_year = 1997;
    ev[n] = bistand("bL", OUTCOME_BIFALL, "kontaktperson", "2014-10-01", NULL);
    ev[n++].u.decision.birth_year = 1997;
    ev[n] = referral("rL", day("2014-12-28"), REPORTER_SKOLA, TARGET_BARN_UNGA);
    ev[n++].u.referral.birth_year = 1997;
    return n;
}

static const struct row label_rows[] = {
    /* ongoing and opened: L1, L2 */
    {"2014", "gender=flicka", ASOF, "ongoing", 0, 2},
    {"2014", "age_band=13-17", ASOF, "ongoing", 0, 2},
    {"2014", "gender=flicka", ASOF, "opened", 0, 2},
    {"2015", "gender=kvinna", ASOF, "ongoing", 0, 2},
    {"2015", "age_band=18-20", ASOF, "ongoing", 0, 2},
    {"2015", "gender=flicka", ASOF, "ongoing", 0, 0},
    {"2015-02", "gender=kvinna", ASOF, "ongoing", 0, 1}, /* L1 */
    {"2015-Q2", "gender=kvinna", ASOF, "ongoing", 0, 1}, /* L1 to A */
    /* feb 2014-jan 2015 starts in 2014: flicka */
    {"2015-01-R12", "gender=flicka", ASOF, "ongoing", 0, 2},
    {"2015-01-R12", "gender=kvinna", ASOF, "ongoing", 0, 0},
    /* jul 2014-jun 2015, running */
    {"2015-06-R12", "gender=flicka", ASOF, "ongoing", 0, 2},
    {"2015-06-R12", "gender=kvinna", ASOF, "ongoing", 0, 0},
    /* closed: L2 on 2015-01-15 */
    {"2015", "gender=kvinna", ASOF, "closed", 0, 1},
    {"2015", "gender=kvinna", ASOF, "closed_within_4_months", 0, 1},
    {"2015", "gender=kvinna", ASOF, "avg_investigation_days", 0, 106},
    {"2015", "gender=flicka", ASOF, "closed", 0, 0},
    {"2015-01-R12", "gender=flicka", ASOF, "closed", 0, 1},
    {"2015-01-R12", "gender=flicka", ASOF, "avg_investigation_days", 0, 106},
    /* not executed from 2015-01-01 on */
    {"2014", "gender=pojke", ASOF, "granted", 0, 1},
    {"2014", "gender=pojke", ASOF, "not_executed_3_months", 0, 0},
    {"2015-01", "gender=man", ASOF, "not_executed_3_months", 0, 1},
    {"2015-01", "gender=pojke", ASOF, "not_executed_3_months", 0, 0},
    {"2015-01", "age_band=18-20", ASOF, "not_executed_3_months", 0, 1},
    {"2015-01-R12", "gender=pojke", ASOF, "not_executed_3_months", 0, 1},
    {"2015-01-R12", "gender=man", ASOF, "not_executed_3_months", 0, 0},
    {"2015-06-R12", "gender=pojke", ASOF, "not_executed_3_months", 0, 1},
    {"2015-06-R12", "gender=man", ASOF, "not_executed_3_months", 0, 0},
    {"2015", "gender=man", ASOF, "not_executed_3_months", 0, 1},
    {"2015-06", "gender=man", ASOF, "not_executed_3_months", 0, 1},
    /* the referral */
    {"2014", "gender=pojke", ASOF, "referrals", 0, 1},
    {"2014", "gender=man", ASOF, "referrals", 0, 0},
    /* dec 2014-nov 2015 starts in 2014 */
    {"2015-11-R12", "gender=pojke", ASOF, "referrals", 0, 1},
};

#define A7 "2015-07-02"
static const struct row label_a7_rows[] = {
    {"2015-07", "gender=kvinna", A7, "ongoing", 0, 1}, /* L1 */
    /* aug 2014-jul 2015 starts in 2014 */
    {"2015-07-R12", "gender=flicka", A7, "ongoing", 0, 2},
    {"2015-07-R12", "gender=kvinna", A7, "ongoing", 0, 0},
    {"2015-07", "gender=man", A7, "not_executed_3_months", 0, 1},
    {"2015-06", "gender=man", A7, "not_executed_3_months", 0, 1},
    {"2015-07-R12", "gender=pojke", A7, "not_executed_3_months", 0, 1},
    {"2015-07-R12", "gender=man", A7, "not_executed_3_months", 0, 0},
};

static void test_age_labels(void **state)
{
    (void)state;
    struct event ev[8];
    size_t n = label_events(ev);
    struct cellmap *m = map_of(ev, n, ASOF);
    check_rows(m, label_rows, N_ROWS(label_rows));
    /* L1's opening and bL depend on the day */
    assert_true(is_marked(m, &ev[0]));
    assert_true(is_marked(m, &ev[3]));
    advance(m, &ev[0], ASOF, A7);
    advance(m, &ev[3], ASOF, A7);
    check_rows(m, label_a7_rows, N_ROWS(label_a7_rows));
    assert_as_fresh(m, ev, n, A7);
    cellmap_destroy(&m);
}

/* o1 opened 2014-03-20, not closed; o2 2014-01-10..2014-02-15. */
static size_t ongoing_events(struct event *ev)
{
    size_t n = 0;
    ev[n++] = inv(OPEN, "o1", "barn-unga", "2014-03-20");
    ev[n++] = inv(OPEN, "o2", "barn-unga", "2014-01-10");
    ev[n++] = inv(CLOSE, "o2", "barn-unga", "2014-02-15");
    return n;
}

#define A1 "2014-05-10"
static const struct row ongoing_a1_rows[] = {
    {"2014-01", "total", A1, "ongoing", 0, 1}, /* o2 */
    {"2014-02", "total", A1, "ongoing", 0, 1}, /* o2 through 02-15 */
    {"2014-03", "total", A1, "ongoing", 0, 1}, /* o1; o2 closed */
    {"2014-04", "total", A1, "ongoing", 0, 1},
    {"2014-05", "total", A1, "ongoing", 0, 1}, /* o1 through A */
    {"2014-06", "total", A1, "ongoing", 0, 0}, /* after A */
    {"2014-Q1", "total", A1, "ongoing", 0, 2},
    {"2014-Q2", "total", A1, "ongoing", 0, 1},
    {"2014-Q3", "total", A1, "ongoing", 0, 0},
    {"2014-T2", "total", A1, "ongoing", 0, 1},
    {"2014-H1", "total", A1, "ongoing", 0, 2},
    {"2014", "total", A1, "ongoing", 0, 2},
    {"2014-05-YTD", "total", A1, "ongoing", 0, 2},
    {"2014-06-YTD", "total", A1, "ongoing", 0, 2},
    {"2014-05-R12", "total", A1, "ongoing", 0, 2},
    {"2015", "total", A1, "ongoing", 0, 0},
};

/* A2: june is reached; Q2, T2, the year already had o1 */
#define A2 "2014-06-03"
static const struct row ongoing_a2_rows[] = {
    {"2014-05", "total", A2, "ongoing", 0, 1},
    {"2014-06", "total", A2, "ongoing", 0, 1}, /* +1 */
    {"2014-07", "total", A2, "ongoing", 0, 0},
    {"2014-Q2", "total", A2, "ongoing", 0, 1},
    {"2014-Q3", "total", A2, "ongoing", 0, 0},
    {"2014-T2", "total", A2, "ongoing", 0, 1},
    {"2014", "total", A2, "ongoing", 0, 2},
    {"2014-06-YTD", "total", A2, "ongoing", 0, 2},
    {"2014-06-R12", "total", A2, "ongoing", 0, 2},
    {"2014-03", "total", A2, "ongoing", 0, 1},
};

/* A3: july and a new quarter and half */
#define A3 "2014-07-02"
static const struct row ongoing_a3_rows[] = {
    {"2014-06", "total", A3, "ongoing", 0, 1},
    {"2014-07", "total", A3, "ongoing", 0, 1}, /* +1 */
    {"2014-08", "total", A3, "ongoing", 0, 0},
    {"2014-Q3", "total", A3, "ongoing", 0, 1}, /* +1 */
    {"2014-H2", "total", A3, "ongoing", 0, 1}, /* +1 */
    {"2014-T2", "total", A3, "ongoing", 0, 1},
    {"2014", "total", A3, "ongoing", 0, 2},
    {"2014-07-YTD", "total", A3, "ongoing", 0, 2},
    {"2014-02", "total", A3, "ongoing", 0, 1}, /* o2 unchanged */
};

/* A4: o1 closed on 2014-07-15: 03-20 + 4 m = 07-20 >= 07-15: within;
 * 11 + 30 + 31 + 30 + 15 = 117 days */
#define A4 "2014-07-20"
static const struct row ongoing_a4_rows[] = {
    {"2014-07", "total", A4, "ongoing", 0, 1},
    {"2014-07", "total", A4, "closed", 0, 1},
    {"2014-07", "total", A4, "closed_within_4_months", 0, 1},
    {"2014-07", "total", A4, "avg_investigation_days", 0, 117},
    {"2014", "total", A4, "closed", 0, 2}, /* o2 and o1 */
    /* o2: 01-10..02-15 = 21 + 15 = 36 days; (36 + 117) / 2 */
    {"2014", "total", A4, "avg_investigation_days", 0, 76.5},
    {"2014", "total", A4, "ongoing", 0, 2},
};

/* A5: the clock moves on past o1's closing */
#define A5 "2014-09-01"
static const struct row ongoing_a5_rows[] = {
    {"2014-07", "total", A5, "ongoing", 0, 1},
    {"2014-08", "total", A5, "ongoing", 0, 0},
    {"2014-09", "total", A5, "ongoing", 0, 0},
    {"2014-Q3", "total", A5, "ongoing", 0, 1},
    {"2014-T3", "total", A5, "ongoing", 0, 0},
    {"2014", "total", A5, "ongoing", 0, 2},
};

static void test_ongoing_advance(void **state)
{
    (void)state;
    struct event ev[8];
    size_t n = ongoing_events(ev);
    struct event *o1 = &ev[0];
    struct cellmap *m = map_of(ev, n, A1);
    assert_true(is_marked(m, o1));
    assert_false(is_marked(m, &ev[1]));
    assert_false(is_marked(m, &ev[2]));
    check_rows(m, ongoing_a1_rows, N_ROWS(ongoing_a1_rows));

    advance(m, o1, A1, A2);
    assert_as_fresh(m, ev, n, A2);
    /* the daemon does not advance o2; doing so changes nothing */
    advance(m, &ev[1], A1, A2);
    advance(m, &ev[2], A1, A2);
    assert_as_fresh(m, ev, n, A2);
    check_rows(m, ongoing_a2_rows, N_ROWS(ongoing_a2_rows));

    advance(m, o1, A2, A3);
    assert_as_fresh(m, ev, n, A3);
    check_rows(m, ongoing_a3_rows, N_ROWS(ongoing_a3_rows));

    advance(m, o1, A3, A4); /* same month */
    assert_as_fresh(m, ev, n, A4);

    ev[n++] = inv(CLOSE, "o1", "barn-unga", "2014-07-15");
    apply_all(m, &ev[n - 1], 1, +1, day(A4));
    assert_false(is_marked(m, o1));
    assert_as_fresh(m, ev, n, A4);
    check_rows(m, ongoing_a4_rows, N_ROWS(ongoing_a4_rows));

    /* o1 no longer depends on the day: advancing it is harmless */
    advance(m, o1, A4, A5);
    assert_as_fresh(m, ev, n, A5);
    check_rows(m, ongoing_a5_rows, N_ROWS(ongoing_a5_rows));
    cellmap_destroy(&m);
}

/* The cases, the bistand decisions and six referrals. */
static size_t mixed(struct event *ev)
{
    size_t n = cases(ev);
    n += bistands(ev + n);
    char id[16];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof(id), "r-%d", i);
        ev[n++] =
            referral(id, period_day_from_ymd(2014, 2 + 2 * i, 5),
                     (enum reporter)(REPORTER_POLIS + i), TARGET_BARN_UNGA);
    }
    return n;
}

/* Order does not matter: a closing decision may come before its
 * opening. */
static void test_order_independent(void **state)
{
    (void)state;
    struct event ev[64], rev[64], mix[64];
    size_t n = mixed(ev), k = 0;
    for (size_t i = 0; i < n; i++)
        rev[i] = ev[n - 1 - i];
    for (size_t i = 1; i < n; i += 2)
        mix[k++] = ev[i];
    for (size_t i = 0; i < n; i += 2)
        mix[k++] = ev[i];
    struct cellmap *a = map_of(ev, n, ASOF), *b = map_of(rev, n, ASOF),
                   *c = map_of(mix, n, ASOF);
    char *da = dump_of(a);
    assert_true(da[0] != '\0');
    free(da);
    assert_same_cells(b, a);
    assert_same_cells(c, a);
    check_rows(c, bistand_rows, N_ROWS(bistand_rows));
    cellmap_destroy(&a);
    cellmap_destroy(&b);
    cellmap_destroy(&c);
    /* the cases alone, backwards: every closing before its opening */
    n = cases(ev);
    for (size_t i = 0; i < n; i++)
        rev[i] = ev[n - 1 - i];
    b = map_of(rev, n, ASOF);
    check_rows(b, case_rows, N_ROWS(case_rows));
    cellmap_destroy(&b);
}

/* c5 closed first, then opened: the closing alone is a closed case of
 * unknown opening (no days, not within, not ongoing). */
static const struct row close_first_rows[] = {
    {"2014-07", "unit=vuxen", ASOF, "closed", 0, 1},
    {"2014-07", "unit=vuxen", ASOF, "closed_within_4_months", 0, 0},
    {"2014-07", "unit=vuxen", ASOF, "avg_investigation_days", 1, 0},
    {"2014-04", "total", ASOF, "ongoing", 0, 0},
    {"2014", "total", ASOF, "opened", 0, 0},
};

static const struct row close_then_open_rows[] = {
    {"2014-07", "unit=vuxen", ASOF, "closed", 0, 1},
    {"2014-07", "unit=vuxen", ASOF, "closed_within_4_months", 0, 1},
    {"2014-07", "unit=vuxen", ASOF, "avg_investigation_days", 0, 122},
    {"2014-04", "total", ASOF, "ongoing", 0, 1},
    {"2014", "total", ASOF, "opened", 0, 1},
};

static void test_close_before_open(void **state)
{
    (void)state;
    struct event open = inv(OPEN, "c5", "barn-unga", "2014-03-15");
    struct event close = inv(CLOSE, "c5", "vuxen", "2014-07-15");
    struct cellmap *m = map_of(&close, 1, ASOF);
    check_rows(m, close_first_rows, N_ROWS(close_first_rows));
    apply_all(m, &open, 1, +1, day(ASOF));
    assert_false(is_marked(m, &open));
    check_rows(m, close_then_open_rows, N_ROWS(close_then_open_rows));
    struct event both[2] = {open, close};
    assert_as_fresh(m, both, 2, ASOF);
    cellmap_destroy(&m);
}

/* Revised opening dates: c5 moves from 03-15 to 04-01 (rev 2: 29 + 31 +
 * 30 + 15 = 105 days, 04-01 + 4 m = 08-01: within) and then to 03-10
 * (rev 3: 21 + 30 + 31 + 30 + 15 = 127 days, 07-10 < 07-15: not
 * within); open c9 moves from 2014-11-20 to 2015-01-05. */
static const struct row revised_rows[] = {
    {"2014-07", "total", ASOF, "closed", 0, 1},
    {"2014-07", "total", ASOF, "closed_within_4_months", 0, 1},
    {"2014-07", "total", ASOF, "avg_investigation_days", 0, 105},
    {"2014-03", "total", ASOF, "opened", 0, 0},
    {"2014-04", "total", ASOF, "opened", 0, 1},
    {"2014-03", "total", ASOF, "ongoing", 0, 0},
    {"2014-11", "total", ASOF, "ongoing", 0, 0},
    {"2014-12", "total", ASOF, "ongoing", 0, 0},
    {"2015-01", "total", ASOF, "ongoing", 0, 1},
    {"2015-06", "total", ASOF, "ongoing", 0, 1},
    {"2015", "total", ASOF, "opened", 0, 1},
};

static const struct row revised_again_rows[] = {
    {"2014-07", "total", ASOF, "closed_within_4_months", 0, 0},
    {"2014-07", "total", ASOF, "within_4_months_share", 0, 0},
    {"2014-07", "total", ASOF, "avg_investigation_days", 0, 127},
    {"2014-03", "total", ASOF, "opened", 0, 1},
    {"2014-04", "total", ASOF, "opened", 0, 0},
    {"2014-03", "total", ASOF, "ongoing", 0, 1},
};

static void revise(struct cellmap *m, struct event *e, const char *decided_on)
{
    apply_all(m, e, 1, -1, day(ASOF));
    e->revision++;
    e->u.decision.decided_on = day(decided_on);
    apply_all(m, e, 1, +1, day(ASOF));
}

static void test_revised_open_date(void **state)
{
    (void)state;
    struct event ev[3] = {
        inv(OPEN, "c5", "barn-unga", "2014-03-15"),
        inv(CLOSE, "c5", "vuxen", "2014-07-15"),
        inv(OPEN, "c9", "barn-unga", "2014-11-20"),
    };
    struct cellmap *m = map_of(ev, 3, ASOF);
    revise(m, &ev[0], "2014-04-01");
    revise(m, &ev[2], "2015-01-05");
    assert_true(is_marked(m, &ev[2]));
    check_rows(m, revised_rows, N_ROWS(revised_rows));
    assert_as_fresh(m, ev, 3, ASOF);
    revise(m, &ev[0], "2014-03-10");
    check_rows(m, revised_again_rows, N_ROWS(revised_again_rows));
    assert_as_fresh(m, ev, 3, ASOF);
    cellmap_destroy(&m);
}

/* Deleting c4's closing reopens it: ongoing through A = 2015-06-01
 * (2015-06: c4 and c9). */
static const struct row reopened_rows[] = {
    {"2015-06", "total", ASOF, "ongoing", 0, 2},
    {"2014-06", "total", ASOF, "closed", 0, 0},
    {"2014", "total", ASOF, "closed", 0, 4},
    {"2014-Q3", "total", ASOF, "ongoing", 0, 3}, /* c4, c5, c6 */
};

static void test_reopened(void **state)
{
    (void)state;
    struct event ev[32], rest[32];
    size_t n = cases(ev), k = 0;
    struct cellmap *m = map_of(ev, n, ASOF);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ev[i].id, "c4-close") == 0)
            apply_all(m, &ev[i], 1, -1, day(ASOF));
        else
            rest[k++] = ev[i];
    }
    assert_true(is_marked(m, &ev[6])); /* c4-open */
    check_rows(m, reopened_rows, N_ROWS(reopened_rows));
    assert_as_fresh(m, rest, k, ASOF);
    cellmap_destroy(&m);
}

/* Removing every event (in another order) leaves no non-zero cell and
 * no event marked as depending on the as-of day. */
static void test_delete_all(void **state)
{
    (void)state;
    struct event ev[64];
    size_t n = mixed(ev);
    struct cellmap *m = map_of(ev, n, ASOF);
    for (size_t i = 0; i < n; i += 2)
        apply_all(m, &ev[i], 1, -1, day(ASOF));
    for (size_t i = n - (n % 2 ? 2 : 1); i < n; i -= 2)
        apply_all(m, &ev[i], 1, -1, day(ASOF));
    char *d = dump_of(m);
    if (d[0] != '\0')
        print_error("cells left:\n%s", d);
    assert_string_equal(d, "");
    free(d);
    for (size_t i = 0; i < n; i++)
        assert_false(is_marked(m, &ev[i]));
    cellmap_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_and_empty),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_conversion),
        cmocka_unit_test(test_bistand),
        cmocka_unit_test(test_not_executed_advance),
        cmocka_unit_test(test_executed_revision),
        cmocka_unit_test(test_execution_boundaries),
        cmocka_unit_test(test_age_labels),
        cmocka_unit_test(test_ongoing_advance),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_close_before_open),
        cmocka_unit_test(test_revised_open_date),
        cmocka_unit_test(test_reopened),
        cmocka_unit_test(test_delete_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

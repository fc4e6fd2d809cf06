/*
 * nyckel-gen.c — deterministic synthetic case-system events for demos and
 * benchmarks (DESIGN §8): JSON Lines on stdout in the input format of
 * nyckel-push, one event per line, field names as in DESIGN §2.
 *
 * Why: a fictional municipality of about 100 000 inhabitants with
 * realistic volumes lets the daemon, the dashboards and the benchmarks be
 * exercised without touching real case data. Same seed and options give
 * byte-identical output, so a demo or a benchmark can be replayed.
 *
 * Shape of the program: options → one struct gen → for every month of the
 * history, every municipality, every enabled kind: that kind's month
 * function emits the kind's events of the month ("a block"), roughly in
 * date order. Each kind is one set of functions in the kind table
 * (gen_kinds[]): payments (domain eb) first and in most detail, then
 * placements (pl), referrals and decisions (inv, one model) and budgets
 * (ec). A new kind is its functions and a row in the table.
 *
 * Payments model households on ekonomiskt bistånd. Each household has a
 * "career": a pattern of months on assistance (spells and gaps, up to
 * GEN_SPAN_MAX months) drawn from a fixed base distribution: recurrent
 * short spells for most, long continuous spells for some. Careers start
 * at a constant rate; the households kept are exactly the --households
 * careers with at least one month inside --from..--to (rejection sampling
 * over a wide start interval), so the population is stationary over the
 * range and the arrival rate for the live phase follows from the number
 * of draws. Every household-month gives one to three payment rows
 * (livsuppehalle, plus boende or tillfalligt_boende, plus sometimes
 * ovrigt). Some rows later get a corrected revision, a tombstone or a
 * reversal row of their own; some lines are sent twice.
 *
 * Placements, referrals and decisions are stories known when they begin
 * (a placement's end, an investigation's closing): every revision is
 * rendered then and queued for the day the source would send it (struct
 * dueq). Budgets follow the costs the other kinds booked (struct ledger).
 *
 * Determinism: a splitmix64 generator, keyed per purpose (population,
 * household, household-month, row noise, episode, referral) from the
 * seed and stable indexes, so e.g. changing --revisions does not change
 * the amounts, and adding a kind does not change the others' lines.
 * Only integer arithmetic and IEEE +,-,*,/ on doubles (no libm) feed the
 * data. The clock is read only to pace --live, never for content.
 *
 * Privacy: household and person ids are pseudonyms "hh-"/"ps-" + one
 * letter + 7 hex digits from a keyed 32-bit bijection (unique, never a
 * run of more than 7 digits); entity ids are a prefix + at least 6
 * digits, grouped by 9 past 999 999 999, so nothing looks like a
 * personnummer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cli.h"

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define GEN_MUNI_MAX 16               /* municipalities per run (4 id bits) */
#define GEN_UNITS_MAX 16              /* --units entries */
#define GEN_UNIT_LEN_MAX 32           /* unit code, bytes without NUL */
#define GEN_LINE_MAX 1024             /* one JSON line incl. newline and NUL */
#define GEN_SPAN_MAX 128              /* longest career, months (mask bits) */
#define GEN_HOUSEHOLDS_MAX 1000000u   /* --households ceiling */
#define GEN_LOCAL_MAX (1u << 28)      /* households per municipality, ever */
#define GEN_RANGE_MAX 1200            /* history months ceiling (100 years) */
#define GEN_YEAR_MIN 1971             /* earliest --from year */
#define GEN_YEAR_MAX 9000             /* latest --to year */
#define GEN_LIVE_LAST (9999 * 12 + 9) /* live phase ends after 9999-10 */
#define GEN_RATE_MAX 10000000.0       /* --live ceiling, events per second */
#define PPM 1000000u                  /* probabilities are parts per million */

/* ---------------------------------------------------------------------
 * Pseudo-random numbers: splitmix64 (Steele, Lea, Flood 2014). Small,
 * fast, good enough for synthetic data, and trivially keyed.
 */

struct rng {
    uint64_t s; /* state; any value is valid */
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
    r->s += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(r->s);
}

/* A generator for one purpose: the seed and up to four indexes, so each
 * household, month or row has its own stream independent of the others. */
static struct rng rng_keyed(uint64_t seed, uint64_t a, uint64_t b, uint64_t c,
                            uint64_t d)
{
    uint64_t h = mix64(seed ^ UINT64_C(0x6e79636b656c2d67)); /* "nyckel-g" */
    h = mix64(h ^ a);
    h = mix64((h + UINT64_C(0x9e3779b97f4a7c15)) ^ b);
    h = mix64((h + UINT64_C(0xd1b54a32d192ed03)) ^ c);
    h = mix64((h + UINT64_C(0x8cb92ba72f3d8dd7)) ^ d);
    return (struct rng){h};
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    uint64_t limit = -n % n; /* 2^64 mod n: values below are rejected */
    for (;;) {
        uint64_t x = rng_next(r);
        if (x >= limit)
            return x % n;
    }
}

/* Uniform integer in [lo, hi], lo <= hi. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* True with probability ppm / 1 000 000. */
static bool rng_ppm(struct rng *r, uint32_t ppm)
{
    return rng_below(r, PPM) < ppm;
}

/* Number of successes before the first failure, each success having
 * probability cont_ppm, at most cap: a geometric with mean p / (1 - p). */
static int rng_geom(struct rng *r, uint32_t cont_ppm, int cap)
{
    int n = 0;
    while (n < cap && rng_ppm(r, cont_ppm))
        n++;
    return n;
}

/* Purposes of keyed generators: the first index of rng_keyed(). */
enum rng_tag {
    TAG_CAREER = 1, /* population draw n of a municipality */
    TAG_HOUSEHOLD,  /* fixed attributes of a household */
    TAG_MONTH,      /* payment rows of a household-month */
    TAG_NOISE,      /* correction/tombstone/reversal of one row */
    TAG_DUP,        /* duplicate re-send of one line */
    TAG_LIVE,       /* careers of households arriving in the live phase */
    TAG_SCALE,      /* careers sampled to size the municipality */
    TAG_PLACEMENT,  /* placement episodes of a month */
    TAG_INV,        /* referrals of a month */
    TAG_BUDGET,     /* budget of a unit and year */
};

/* ---------------------------------------------------------------------
 * Calendar: day numbers (days since 1970-01-01) and month indexes
 * (year * 12 + month - 1), as in daemon/period.h. Proleptic Gregorian,
 * integer only (H. Hinnant's civil algorithms).
 */

static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int month_year(int32_t mi)
{
    return mi / 12;
}
static int month_num(int32_t mi)
{
    return mi % 12 + 1;
}

static int32_t month_first_day(int32_t mi)
{
    return days_from_civil(month_year(mi), month_num(mi), 1);
}

static int month_days(int32_t mi)
{
    return (int)(month_first_day(mi + 1) - month_first_day(mi));
}

static int32_t month_of_day(int32_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return y * 12 + m - 1;
}

/* Move a Saturday or Sunday back to the Friday: payouts are bank days. */
static int32_t to_weekday(int32_t day)
{
    int wd = (int)(((day + 4) % 7 + 7) % 7); /* 0 Sunday .. 6 Saturday */
    if (wd == 6)
        return day - 1;
    if (wd == 0)
        return day - 2;
    return day;
}

/* ---------------------------------------------------------------------
 * Output: one JSON object per line, built with snprintf. Every value is
 * generated or checked at option parsing (digits, [a-z0-9_-]), so no
 * string needs escaping.
 */

struct jl {
    char buf[GEN_LINE_MAX]; /* the line being built, NUL-terminated */
    size_t len;             /* bytes in buf, < GEN_LINE_MAX */
};

/* A line longer than GEN_LINE_MAX is a bug in this file, not bad input. */
static void jl_overflow(void)
{
    fputs("nyckel-gen: internal error: JSON line over "
          "GEN_LINE_MAX bytes\n",
          stderr);
    abort();
}

static void jl_begin(struct jl *j, const char *kind)
{
    int n = snprintf(j->buf, sizeof j->buf, "{\"kind\":\"%s\"", kind);
    if (n < 0 || (size_t)n >= sizeof j->buf)
        jl_overflow();
    j->len = (size_t)n;
}

static void jl_str(struct jl *j, const char *key, const char *val)
{
    size_t room = sizeof j->buf - j->len;
    int n = snprintf(j->buf + j->len, room, ",\"%s\":\"%s\"", key, val);
    if (n < 0 || (size_t)n >= room)
        jl_overflow();
    j->len += (size_t)n;
}

static void jl_int(struct jl *j, const char *key, int64_t val)
{
    size_t room = sizeof j->buf - j->len;
    int n = snprintf(j->buf + j->len, room, ",\"%s\":%" PRId64, key, val);
    if (n < 0 || (size_t)n >= room)
        jl_overflow();
    j->len += (size_t)n;
}

static void jl_true(struct jl *j, const char *key)
{
    size_t room = sizeof j->buf - j->len;
    int n = snprintf(j->buf + j->len, room, ",\"%s\":true", key);
    if (n < 0 || (size_t)n >= room)
        jl_overflow();
    j->len += (size_t)n;
}

static void jl_date(struct jl *j, const char *key, int32_t day)
{
    int y, m, d;
    char s[16];
    civil_from_days(day, &y, &m, &d);
    snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, d);
    jl_str(j, key, s);
}

static void jl_month(struct jl *j, const char *key, int32_t mi)
{
    char s[16];
    snprintf(s, sizeof s, "%04d-%02d", month_year(mi), month_num(mi));
    jl_str(j, key, s);
}

static void jl_end(struct jl *j)
{
    if (j->len + 3 > sizeof j->buf)
        jl_overflow();
    j->buf[j->len++] = '}';
    j->buf[j->len++] = '\n';
    j->buf[j->len] = '\0';
}

/* Entity id "<prefix>-000042": at least six digits; from 10^9 on the
 * digits are grouped by nine with '.', so no run of ten digits (a
 * personnummer shape) can ever appear. */
static void entity_id(char *buf, size_t size, const char *prefix, uint64_t num)
{
    if (num < UINT64_C(1000000000))
        snprintf(buf, size, "%s-%06" PRIu64, prefix, num);
    else
        snprintf(buf, size, "%s-%" PRIu64 ".%09" PRIu64, prefix,
                 num / UINT64_C(1000000000) % UINT64_C(1000000000),
                 num % UINT64_C(1000000000));
}

/* ---------------------------------------------------------------------
 * Options.
 */

enum gen_kind_id {
    KIND_PAYMENT,
    KIND_PLACEMENT,
    KIND_DECISION,
    KIND_REFERRAL,
    KIND_BUDGET,
    KIND_COUNT
};

static const char *const kind_names[KIND_COUNT] = {
    "payment", "placement", "decision", "referral", "budget",
};

struct gen_opts {
    uint64_t seed;              /* --seed */
    char muni[GEN_MUNI_MAX][5]; /* kommunkoder, 4 digits */
    size_t n_muni;              /* 1..GEN_MUNI_MAX */
    int32_t from, to;           /* month indexes, from <= to */
    uint32_t households;        /* per municipality over the range */
    char unit[GEN_UNITS_MAX][GEN_UNIT_LEN_MAX + 1]; /* unit codes */
    size_t n_unit;                                  /* 1..GEN_UNITS_MAX */
    uint32_t revisions_ppm;                         /* rows later corrected */
    uint32_t reversals_ppm;                         /* rows later reversed */
    uint32_t tombstones_ppm;                        /* rows later deleted */
    uint32_t duplicates_ppm;                        /* lines sent twice */
    bool live;                                      /* --live given */
    double live_rate;                               /* events/s, 0 = unpaced */
    uint64_t count;                                 /* --count, 0 = unlimited */
    bool kind[KIND_COUNT];                          /* --kinds */
};

static void usage(FILE *f)
{
    fputs(
        "Usage: nyckel-gen [OPTION]... > events.jsonl\n"
        "\n"
        "Writes deterministic synthetic case-system events as JSON Lines\n"
        "(the input format of nyckel-push) for a fictional municipality of\n"
        "about 100 000 inhabitants. Same seed and options, same bytes.\n"
        "\n"
        "Options:\n"
        "  --seed N             random seed (default 1)\n"
        "  --municipality KOD   kommunkod, 4 digits; repeat or comma list\n"
        "                       for several (default 0127); source is\n"
        "                       \"gen-KOD\"\n"
        "  --from YYYY-MM       first month of the history (default 2012-01)\n"
        "  --to YYYY-MM         last month of the history (default 2014-12)\n"
        "  --households N       households ever on assistance during the\n"
        "                       history, per municipality (default 3000;\n"
        "                       about 1 100 a month over 36 months)\n"
        "  --units LIST         comma list of unit codes (default\n"
        "                       \"ekb,ekb-unga,ekb-etablering\"): the first\n"
        "                       is general, the second takes young adults\n"
        "                       (18-24), the third establishment, further\n"
        "                       ones share the general households\n"
        "  --revisions PCT      share of payments later corrected with a\n"
        "                       higher revision (default 5); also of\n"
        "                       placements (end date fixed) and referrals\n"
        "                       (reporter fixed)\n"
        "  --reversals PCT      share of payments later reversed by a row\n"
        "                       of their own, negative, reversal:true\n"
        "                       (default 2)\n"
        "  --tombstones PCT     share of payments, placements, referrals\n"
        "                       and decisions later deleted (default 1)\n"
        "  --duplicates PCT     share of lines sent again, same revision\n"
        "                       (default 0)\n"
        "  --live RATE          after the history, go on with the months\n"
        "                       after --to at RATE events/s (0: no pacing),\n"
        "                       flushing every line, until killed or --count\n"
        "  --count N            stop after N events in all\n"
        "  --kinds LIST         comma list of payment, placement, referral,\n"
        "                       decision, budget (default payment)\n"
        "\n"
        "Per year at the defaults: about 24 000 payments (1 100 households a\n"
        "month); with --kinds: about 130 placements started (300 persons in\n"
        "care), 3 000 referrals, 5 000 decisions and a budget per unit.\n"
        "Placements, referrals and decisions scale with the municipality's\n"
        "size as the payment population implies it. Without --live, payment\n"
        "corrections of the history are sent after it; what happens to\n"
        "other kinds after --to is not (open placements stay open).\n"
        "\n"
        "  --help               this text\n"
        "  --version            print the version\n"
        "nyckel-gen connects to nothing; the connection options of every\n"
        "nyckel client are accepted (both key options or neither):\n",
        f);
    cli_conn_help(f, 2, 23, 0);
}

/* Print what is wrong (and the value, when there is one); returns -1. */
static int opt_error(const char *what, const char *val)
{
    if (*val)
        fprintf(stderr, "nyckel-gen: %s: '%s'\n", what, val);
    else
        fprintf(stderr, "nyckel-gen: %s\n", what);
    fputs("Try 'nyckel-gen --help'.\n", stderr);
    return -1;
}

/* Strict unsigned decimal in [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Decimal number in [lo, hi] ("2", "0.5"). */
static int parse_double(const char *s, double lo, double hi, double *out)
{
    if ((*s < '0' || *s > '9') && *s != '.')
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_pct(const char *s, uint32_t *ppm)
{
    double v;
    if (parse_double(s, 0.0, 100.0, &v))
        return -1;
    *ppm = (uint32_t)(v * 10000.0 + 0.5);
    return 0;
}

/* "YYYY-MM" into a month index. */
static int parse_month(const char *s, int32_t *out)
{
    if (strlen(s) != 7 || s[4] != '-')
        return -1;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = atoi(s);
    int m = atoi(s + 5);
    if (y < GEN_YEAR_MIN || y > GEN_YEAR_MAX || m < 1 || m > 12)
        return -1;
    *out = y * 12 + m - 1;
    return 0;
}

/* Next comma-separated item of *p into item[size]; -1 when an item is
 * empty or too long, 0 at the end of the list (item ""), 1 for an item. */
static int next_item(const char **p, char *item, size_t size)
{
    const char *s = *p;
    if (!*s)
        return 0;
    size_t n = strcspn(s, ",");
    if (n == 0 || n >= size)
        return -1;
    memcpy(item, s, n);
    item[n] = '\0';
    s += n;
    if (*s == ',') {
        s++;
        if (!*s)
            return -1;
    }
    *p = s;
    return 1;
}

static int add_municipalities(struct gen_opts *o, const char *list)
{
    char item[8];
    int rc;
    while ((rc = next_item(&list, item, sizeof item)) == 1) {
        if (strlen(item) != 4 || strspn(item, "0123456789") != 4)
            return -1;
        for (size_t i = 0; i < o->n_muni; i++)
            if (!strcmp(o->muni[i], item))
                return -1;
        if (o->n_muni == GEN_MUNI_MAX)
            return -1;
        memcpy(o->muni[o->n_muni++], item, 5);
    }
    return rc;
}

/* A unit code is 1..GEN_UNIT_LEN_MAX of [a-z0-9_-] with no run of more
 * than four digits: safe in JSON and never personnummer-shaped. */
static bool unit_ok(const char *u)
{
    int digits = 0;
    if (!*u)
        return false;
    for (; *u; u++) {
        bool digit = *u >= '0' && *u <= '9';
        if (!digit && !(*u >= 'a' && *u <= 'z') && *u != '-' && *u != '_')
            return false;
        digits = digit ? digits + 1 : 0;
        if (digits > 4)
            return false;
    }
    return true;
}

static int set_units(struct gen_opts *o, const char *list)
{
    char item[GEN_UNIT_LEN_MAX + 1];
    int rc;
    o->n_unit = 0;
    while ((rc = next_item(&list, item, sizeof item)) == 1) {
        if (!unit_ok(item) || o->n_unit == GEN_UNITS_MAX)
            return -1;
        for (size_t i = 0; i < o->n_unit; i++)
            if (!strcmp(o->unit[i], item))
                return -1;
        memcpy(o->unit[o->n_unit++], item, strlen(item) + 1);
    }
    return rc || o->n_unit == 0 ? -1 : 0;
}

static int set_kinds(struct gen_opts *o, const char *list)
{
    char item[32];
    int rc;
    memset(o->kind, 0, sizeof o->kind);
    bool any = false;
    while ((rc = next_item(&list, item, sizeof item)) == 1) {
        int k = 0;
        while (k < KIND_COUNT && strcmp(kind_names[k], item))
            k++;
        if (k == KIND_COUNT)
            return -1;
        o->kind[k] = true;
        any = true;
    }
    return rc || !any ? -1 : 0;
}

enum {
    OPT_SEED = 256,
    OPT_MUNI,
    OPT_FROM,
    OPT_TO,
    OPT_HOUSEHOLDS,
    OPT_UNITS,
    OPT_REVISIONS,
    OPT_REVERSALS,
    OPT_TOMBSTONES,
    OPT_DUPLICATES,
    OPT_LIVE,
    OPT_COUNT,
    OPT_KINDS,
    OPT_HELP,
    OPT_VERSION,
};

/* Parse argv into *o. Returns 0 to run, 1 when --help or --version was
 * printed, -1 after printing what is wrong. */
static int opts_parse(int argc, char **argv, struct gen_opts *o)
{
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, OPT_SEED},
        {"municipality", required_argument, NULL, OPT_MUNI},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"households", required_argument, NULL, OPT_HOUSEHOLDS},
        {"units", required_argument, NULL, OPT_UNITS},
        {"revisions", required_argument, NULL, OPT_REVISIONS},
        {"reversals", required_argument, NULL, OPT_REVERSALS},
        {"tombstones", required_argument, NULL, OPT_TOMBSTONES},
        {"duplicates", required_argument, NULL, OPT_DUPLICATES},
        {"live", required_argument, NULL, OPT_LIVE},
        {"count", required_argument, NULL, OPT_COUNT},
        {"kinds", required_argument, NULL, OPT_KINDS},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        /* accepted like every nyckel client's; nyckel-gen only writes */
        CLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_conn conn = {0};
    const char *why;
    uint64_t v;

    memset(o, 0, sizeof *o);
    o->seed = 1;
    parse_month("2012-01", &o->from);
    parse_month("2014-12", &o->to);
    o->households = 3000;
    set_units(o, "ekb,ekb-unga,ekb-etablering");
    o->revisions_ppm = 5 * 10000;
    o->reversals_ppm = 2 * 10000;
    o->tombstones_ppm = 1 * 10000;
    o->duplicates_ppm = 0;
    o->kind[KIND_PAYMENT] = true;

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        const char *a = optarg;
        if (cli_conn_option(&conn, c, a))
            continue;
        switch (c) {
        case OPT_SEED:
            if (parse_u64(a, 0, UINT64_MAX, &o->seed))
                return opt_error("--seed wants a number", a);
            break;
        case OPT_MUNI:
            if (add_municipalities(o, a))
                return opt_error("--municipality wants distinct 4-digit "
                                 "codes, at most 16",
                                 a);
            break;
        case OPT_FROM:
            if (parse_month(a, &o->from))
                return opt_error("--from wants YYYY-MM", a);
            break;
        case OPT_TO:
            if (parse_month(a, &o->to))
                return opt_error("--to wants YYYY-MM", a);
            break;
        case OPT_HOUSEHOLDS:
            if (parse_u64(a, 1, GEN_HOUSEHOLDS_MAX, &v))
                return opt_error("--households wants 1..1000000", a);
            o->households = (uint32_t)v;
            break;
        case OPT_UNITS:
            if (set_units(o, a))
                return opt_error("--units wants a comma list of distinct "
                                 "codes of [a-z0-9_-], at most 16",
                                 a);
            break;
        case OPT_REVISIONS:
            if (parse_pct(a, &o->revisions_ppm))
                return opt_error("--revisions wants a percentage", a);
            break;
        case OPT_REVERSALS:
            if (parse_pct(a, &o->reversals_ppm))
                return opt_error("--reversals wants a percentage", a);
            break;
        case OPT_TOMBSTONES:
            if (parse_pct(a, &o->tombstones_ppm))
                return opt_error("--tombstones wants a percentage", a);
            break;
        case OPT_DUPLICATES:
            if (parse_pct(a, &o->duplicates_ppm))
                return opt_error("--duplicates wants a percentage", a);
            break;
        case OPT_LIVE:
            if (parse_double(a, 0.0, GEN_RATE_MAX, &o->live_rate))
                return opt_error("--live wants events per second", a);
            o->live = true;
            break;
        case OPT_COUNT:
            if (parse_u64(a, 1, UINT64_MAX, &o->count))
                return opt_error("--count wants a positive number", a);
            break;
        case OPT_KINDS:
            if (set_kinds(o, a))
                return opt_error("--kinds wants a comma list of payment, "
                                 "placement, decision, referral, budget",
                                 a);
            break;
        case OPT_HELP:
            usage(stdout);
            return 1;
        case OPT_VERSION:
            puts("nyckel-gen " NYCKEL_VERSION);
            return 1;
        default:
            return opt_error("unknown option or missing value",
                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return opt_error("unexpected argument", argv[optind]);
    if ((why = cli_conn_check(&conn)))
        return opt_error(why, "");
    if (o->n_muni == 0)
        add_municipalities(o, "0127");
    if (o->from > o->to)
        return opt_error("--from is after --to", "");
    if (o->to - o->from + 1 > GEN_RANGE_MAX)
        return opt_error("history longer than 100 years", "");
    if ((uint64_t)o->revisions_ppm + o->reversals_ppm + o->tombstones_ppm > PPM)
        return opt_error("--revisions + --reversals + --tombstones "
                         "over 100",
                         "");
    return 0;
}

/* ---------------------------------------------------------------------
 * The emitter: counts lines, stops at --count, paces and flushes in the
 * live phase.
 */

struct out {
    uint64_t lines;      /* lines written */
    uint64_t limit;      /* stop after this many, 0 = no limit */
    bool live;           /* in the live phase: pace and flush */
    double rate;         /* live lines per second, 0 = unpaced */
    uint64_t live_lines; /* lines written in the live phase */
    struct timespec t0;  /* CLOCK_MONOTONIC at the live phase start */
    bool done;           /* limit reached or stdout failed: stop */
};

static void out_pace(struct out *o)
{
    double due = (double)o->live_lines / o->rate; /* s after t0 */
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - o->t0.tv_sec) +
                         (double)(now.tv_nsec - o->t0.tv_nsec) / 1e9;
        double wait = due - elapsed;
        if (wait <= 0)
            return;
        struct timespec ts;
        ts.tv_sec = (time_t)wait;
        ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    }
}

/* Write one complete line buf[0..len). */
static void out_write(struct out *o, const char *buf, size_t len)
{
    if (o->done)
        return;
    if (o->live && o->rate > 0)
        out_pace(o);
    if (fwrite(buf, 1, len, stdout) != len || (o->live && fflush(stdout))) {
        o->done = true;
        return;
    }
    o->lines++;
    if (o->live)
        o->live_lines++;
    if (o->limit && o->lines >= o->limit)
        o->done = true;
}

static void out_line(struct out *o, const struct jl *j)
{
    out_write(o, j->buf, j->len);
}

static void out_go_live(struct out *o)
{
    fflush(stdout);
    o->live = true;
    clock_gettime(CLOCK_MONOTONIC, &o->t0);
}

/* ---------------------------------------------------------------------
 * Memory: growable arrays. Their sizes follow from the option ceilings
 * (households, months, municipalities); out of memory aborts.
 */

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / elem) {
        fputs("nyckel-gen: array size overflow\n", stderr);
        abort();
    }
    void *q = realloc(p, n * elem);
    if (!q) {
        fputs("nyckel-gen: out of memory\n", stderr);
        abort();
    }
    *cap = n;
    return q;
}

/* ---------------------------------------------------------------------
 * Generator state.
 */

struct household;
struct pay;
struct pending;
struct care;
struct person;

/* Payments (domain eb) of one municipality. */
struct eb_state {
    struct household *hh; /* population, ordered by local index */
    size_t n_hh, cap_hh;
    uint32_t next_local;   /* local index of the next new household */
    uint64_t draws;        /* career draws made for the population */
    uint64_t window;       /* start positions those draws covered,
                            * months: arrivals = draws / window a month */
    uint64_t arrivals_acc; /* live arrivals carried over, draws units */
    uint64_t next_num;     /* next entity number, "p-<num>" */
    struct pay *rows;      /* this block's regular rows */
    size_t n_rows, cap_rows;
    struct pending *pend; /* corrections, tombstones, reversals to come */
    size_t n_pend, cap_pend;
    struct pay *dups; /* lines to send again at the end of the block */
    size_t n_dups, cap_dups;
    uint8_t ledger_unit[GEN_UNITS_MAX]; /* opt.unit index → ledger index */
};

/* Lines rendered ahead, each due on a day. Kinds whose entities are
 * known when they begin (placements, referrals, decisions, budgets)
 * render every revision at once and send each in the block of its day. */
struct due {
    int32_t day;    /* day number the source sends the line */
    uint64_t order; /* push order: tie-break within a day */
    char *line;     /* JSON line with newline, owned */
    size_t len;     /* bytes of line */
};

struct dueq {
    struct due *v; /* queued lines, in push order */
    size_t n, cap;
    uint64_t next_order; /* order of the next line pushed */
    uint32_t tag;        /* enum gen_kind_id, keys the duplicates */
};

/* Costs per unit and month that budgets (domain ec) are based on:
 * payments and placements add what they send. */
#define LEDGER_UNITS 24  /* distinct unit codes */
#define LEDGER_MONTHS 24 /* months kept, a ring */

struct ledger {
    char unit[LEDGER_UNITS][GEN_UNIT_LEN_MAX + 1]; /* unit codes */
    size_t n_unit;                                 /* registered */
    bool profile[LEDGER_UNITS]; /* budget with a seasonal month profile */
    int64_t cost_ore[LEDGER_UNITS][LEDGER_MONTHS]; /* slot month % ring */
    int32_t month[LEDGER_MONTHS]; /* month index in each slot, -1 none */
};

/* Placements (domain pl) of one municipality. */
struct pl_state {
    struct dueq q;        /* placement lines to send */
    uint64_t next_num;    /* next entity number, "pl-<num>" */
    uint32_t next_person; /* person counter of this kind */
    uint64_t episodes;    /* episodes drawn: keys their generators */
    struct care *care;    /* placements that may still have care days */
    size_t n_care, cap_care;
};

#define INV_RING 4096 /* recent persons that may be referred again */

/* Referrals and decisions (domain inv) of one municipality: one model,
 * two kinds; ids are counted whether or not a kind is sent. */
struct inv_state {
    struct dueq ref_q;    /* referral lines to send */
    struct dueq dec_q;    /* decision lines to send */
    uint64_t next_ref;    /* "r-<num>" */
    uint64_t next_dec;    /* "d-<num>" */
    uint64_t next_case;   /* "u-<num>", investigations */
    uint32_t next_person; /* person counter of this kind */
    uint64_t referrals;   /* referrals drawn: keys their generators */
    struct person *ring;  /* INV_RING recent persons */
    size_t n_ring;        /* filled slots, <= INV_RING */
    int32_t done_month;   /* last month generated, -1 none */
};

/* Budgets (domain ec) of one municipality. */
struct bu_state {
    struct dueq q;     /* budget lines to send */
    uint64_t next_num; /* "b-<num>" */
};

struct muni {
    char code[5];         /* kommunkod */
    uint64_t code_num;    /* the same as a number: keys generators */
    char source[16];      /* "gen-<code>" */
    uint32_t ordinal;     /* position in --municipality, < 16 */
    uint32_t hh_key;      /* key of the household pseudonyms */
    uint32_t person_key;  /* key of the person pseudonyms */
    struct ledger ledger; /* costs for budgets */
    struct eb_state eb;   /* payments */
    struct pl_state pl;   /* placements */
    struct inv_state inv; /* referrals and decisions */
    struct bu_state bu;   /* budgets */
};

struct gen {
    struct gen_opts opt; /* immutable after parsing */
    double scale;        /* size against the 100 000-inhabitant model */
    struct muni muni[GEN_MUNI_MAX];
    size_t n_muni;
    struct out out;
};

/* One event kind: its functions, called in table order. */
struct gen_kind {
    enum gen_kind_id id;
    /* Prepare the kind's state for mu (population and the like). */
    void (*init)(struct gen *g, struct muni *mu);
    /* Emit the kind's events of month block m for mu: history and live. */
    void (*month)(struct gen *g, struct muni *mu, int32_t m);
    /* After the history (no live phase): emit events scheduled for block
     * m, if any. Returns true while some remain for later blocks. */
    bool (*drain)(struct gen *g, struct muni *mu, int32_t m);
    /* Release the kind's state for mu. */
    void (*fini)(struct muni *mu);
};

/* ---------------------------------------------------------------------
 * Pseudonyms: "hh-" (households) or "ps-" (persons) + a letter a..p + 7
 * hex digits, from a keyed bijection of 32 bits (municipality ordinal
 * << 28 | local index). A bijection keeps them unique; the letter keeps
 * every digit run at most 7 long.
 */

static uint32_t perm32(uint32_t x, uint32_t key)
{
    x ^= key;
    x *= UINT32_C(0x9e3779b1);
    x ^= x >> 15;
    x *= UINT32_C(0x85ebca77);
    x ^= x >> 13;
    x += key ^ UINT32_C(0x5bd1e995);
    x *= UINT32_C(0xc2b2ae3d);
    x ^= x >> 16;
    return x;
}

static void household_id(char *buf, size_t size, uint32_t v)
{
    snprintf(buf, size, "hh-%c%07" PRIx32, (char)('a' + (v >> 28)),
             v & UINT32_C(0x0fffffff));
}

static void person_id(char *buf, size_t size, uint32_t v)
{
    snprintf(buf, size, "ps-%c%07" PRIx32, (char)('a' + (v >> 28)),
             v & UINT32_C(0x0fffffff));
}

/* Person pseudonym number n of a kind (0 placements, 1 referrals and
 * decisions): 26 bits of counter under the municipality's 4 bits. */
static uint32_t person_new(const struct muni *mu, uint32_t kind_bit,
                           uint32_t *counter)
{
    if (*counter >= (UINT32_C(1) << 26)) {
        fputs("nyckel-gen: person numbers exhausted\n", stderr);
        exit(1);
    }
    uint32_t local = kind_bit << 26 | (*counter)++;
    return perm32(mu->ordinal << 28 | local, mu->person_key);
}

/* ---------------------------------------------------------------------
 * The cost ledger.
 */

static void ledger_init(struct ledger *l)
{
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < LEDGER_MONTHS; i++)
        l->month[i] = -1;
}

/* Index of unit code u, registered on first use. */
static uint8_t ledger_unit(struct ledger *l, const char *u, bool profile)
{
    for (size_t i = 0; i < l->n_unit; i++)
        if (!strcmp(l->unit[i], u))
            return (uint8_t)i;
    if (l->n_unit == LEDGER_UNITS) {
        fputs("nyckel-gen: too many units\n", stderr);
        exit(1);
    }
    snprintf(l->unit[l->n_unit], sizeof l->unit[0], "%s", u);
    l->profile[l->n_unit] = profile;
    return (uint8_t)l->n_unit++;
}

static void ledger_add(struct ledger *l, uint8_t unit, int32_t m, int64_t ore)
{
    size_t slot = (size_t)m % LEDGER_MONTHS;
    if (l->month[slot] != m) {
        for (size_t i = 0; i < LEDGER_UNITS; i++)
            l->cost_ore[i][slot] = 0;
        l->month[slot] = m;
    }
    l->cost_ore[unit][slot] += ore;
}

/* Cost of unit in month m into *ore; false when m is not kept. */
static bool ledger_get(const struct ledger *l, uint8_t unit, int32_t m,
                       int64_t *ore)
{
    size_t slot = (size_t)m % LEDGER_MONTHS;
    if (l->month[slot] != m)
        return false;
    *ore = l->cost_ore[unit][slot];
    return true;
}

/* ---------------------------------------------------------------------
 * The due queue (struct dueq).
 */

static void dueq_push(struct dueq *q, int32_t day, const struct jl *j)
{
    q->v = grow(q->v, &q->cap, q->n + 1, sizeof *q->v);
    char *s = malloc(j->len);
    if (!s) {
        fputs("nyckel-gen: out of memory\n", stderr);
        abort();
    }
    memcpy(s, j->buf, j->len);
    q->v[q->n++] = (struct due){day, q->next_order++, s, j->len};
}

static int due_cmp(const void *a, const void *b)
{
    const struct due *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Send every line due before the end of month m, by day; a line chosen
 * to be sent twice (--duplicates) goes again right after itself, before
 * any later revision of its entity. */
static void dueq_send(struct gen *g, const struct muni *mu, struct dueq *q,
                      int32_t m)
{
    int32_t end = month_first_day(m + 1);
    struct due *now = NULL;
    size_t n_now = 0, cap_now = 0, keep = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->v[i].day < end) {
            now = grow(now, &cap_now, n_now + 1, sizeof *now);
            now[n_now++] = q->v[i];
        } else {
            q->v[keep++] = q->v[i];
        }
    }
    q->n = keep;
    if (n_now)
        qsort(now, n_now, sizeof *now, due_cmp);
    for (size_t i = 0; i < n_now; i++) {
        out_write(&g->out, now[i].line, now[i].len);
        if (!g->opt.duplicates_ppm)
            continue;
        struct rng r = rng_keyed(g->opt.seed, TAG_DUP, mu->code_num,
                                 (uint64_t)q->tag << 56 ^ now[i].order, 1);
        if (rng_ppm(&r, g->opt.duplicates_ppm))
            out_write(&g->out, now[i].line, now[i].len);
    }
    for (size_t i = 0; i < n_now; i++)
        free(now[i].line);
    free(now);
}

static void dueq_free(struct dueq *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->v[i].line);
    free(q->v);
    memset(q, 0, sizeof *q);
}

/* How many events of a month with mean lambda: a binomial with 4 lambda
 * + 8 trials, close to Poisson without libm. */
static uint32_t rng_count(struct rng *r, double lambda)
{
    if (!(lambda > 0))
        return 0;
    uint32_t trials = (uint32_t)(4.0 * lambda) + 8;
    uint32_t ppm = (uint32_t)(lambda / trials * PPM + 0.5);
    uint32_t n = 0;
    for (uint32_t i = 0; i < trials; i++)
        n += rng_ppm(r, ppm);
    return n;
}

/* ---------------------------------------------------------------------
 * Payments (domain eb).
 */

enum category {
    CAT_LIVSUPPEHALLE,
    CAT_BOENDE,
    CAT_TILLFALLIGT_BOENDE,
    CAT_OVRIGT,
};

static const char *const category_names[] = {
    "livsuppehalle",
    "boende",
    "tillfalligt_boende",
    "ovrigt",
};

enum hh_size { SIZE_SINGLE, SIZE_SINGLE_PARENT, SIZE_COUPLE, SIZE_FAMILY };

/* Monthly livsuppehälle before income, kr, by enum hh_size: roughly the
 * 2014 riksnorm plus household costs for 1, 1+2, 2 and 2+2 persons. */
static const int norm_kr[] = {4600, 8200, 7800, 11600};
/* Monthly rent range, kr, by enum hh_size. */
static const int rent_lo_kr[] = {3200, 5200, 4500, 6200};
static const int rent_hi_kr[] = {5600, 7800, 6800, 8800};

enum housing { HOUSING_OWN, HOUSING_RENT, HOUSING_TEMP };

struct household {
    uint32_t local;     /* index within its municipality */
    uint32_t hh;        /* pseudonym value, see household_id() */
    int32_t start;      /* month index of the first month on assistance */
    uint64_t mask[2];   /* bit k: on assistance in month start + k */
    int16_t birth_year; /* of the head of household */
    char gender;        /* head: 'F', 'M' or 'X' */
    uint8_t unit;       /* index into opt.unit */
    uint8_t size;       /* enum hh_size */
    uint8_t housing;    /* enum housing */
    uint16_t topup_pm;  /* share of the norm not covered by income, ‰ */
    int32_t rent_kr;    /* monthly rent when HOUSING_RENT, kr */
};

/* One payment line as it will be (or was) sent. */
struct pay {
    uint64_t num;       /* entity number; 0 = assign when sent */
    uint64_t revision;  /* >= 1 */
    uint32_t local;     /* household local index (noise keys) */
    uint32_t hh;        /* household pseudonym value */
    int32_t month;      /* month index the assistance is for */
    int32_t paid_on;    /* day number */
    int64_t amount_ore; /* < 0 only for reversals */
    int16_t birth_year; /* head of household */
    char gender;        /* head: 'F', 'M', 'X' */
    uint8_t unit;       /* index into opt.unit */
    uint8_t category;   /* enum category */
    uint8_t row;        /* row number within the household-month */
    bool reversal;      /* a reversal row of its own */
    bool deleted;       /* tombstone */
    uint32_t order;     /* tie-break when sorting a block */
};

/* A line due in a later block (or later in this one). */
struct pending {
    int32_t block; /* month index of the block to send it in */
    struct pay p;  /* the line; p.num 0 for a new reversal */
};

static bool career_active(const struct household *h, int32_t m)
{
    int64_t k = (int64_t)m - h->start;
    if (k < 0 || k >= GEN_SPAN_MAX)
        return false;
    return (h->mask[k >> 6] >> (k & 63)) & 1;
}

static void mask_set(uint64_t mask[2], int k)
{
    mask[k >> 6] |= UINT64_C(1) << (k & 63);
}

/* Spell lengths of recurrent short-term households, months 1..12:
 * per mille, mostly 1-6 months. */
static const uint16_t short_spell_pm[12] = {
    170, 190, 160, 130, 100, 75, 50, 40, 30, 25, 18, 12,
};

/* The career model, ppm. Tuned so that --households 3000 over 36
 * months gives about 1 100 households a month, 2 100 a year with 6.4
 * months each, and a long-term share (>= 10 months of 12) of 25-27 %,
 * like the 2014 report in DESIGN §4 (1 109 a month, 6.47 months). */
#define CAREER_LONG_PPM 260000u        /* long-term households */
#define CAREER_LONG_PRE_PPM 250000u    /* ... with a short spell before */
#define CAREER_LONG_MEAN_CONT 980000u  /* ... months past 10: mean 49 */
#define CAREER_LONG_GAP_PPM 20000u     /* ... a month off inside the spell */
#define CAREER_MORE_SPELLS_PPM 870000u /* recurrent: one more spell */
#define CAREER_SPELLS_MAX 10           /* ... spells at most */
#define CAREER_GAP_CONT 780000u        /* ... gap months past 1: mean 3.5 */

/* One career from the base distribution into mask (bit 0 always set).
 * Returns the span in months, 1..GEN_SPAN_MAX. */
static int career_draw(struct rng *r, uint64_t mask[2])
{
    int pos = 0, last = 0;
    mask[0] = mask[1] = 0;
    if (rng_ppm(r, CAREER_LONG_PPM)) {
        if (rng_ppm(r, CAREER_LONG_PRE_PPM)) {
            int len = (int)rng_range(r, 1, 4);
            for (int k = 0; k < len; k++)
                mask_set(mask, pos + k);
            pos += len + (int)rng_range(r, 1, 6);
        }
        int len = 10 + rng_geom(r, CAREER_LONG_MEAN_CONT, 200);
        if (len > GEN_SPAN_MAX - pos)
            len = GEN_SPAN_MAX - pos;
        for (int k = 0; k < len; k++)
            if (k == 0 || k == len - 1 || !rng_ppm(r, CAREER_LONG_GAP_PPM))
                mask_set(mask, pos + k);
        last = pos + len - 1;
    } else {
        int spells =
            1 + rng_geom(r, CAREER_MORE_SPELLS_PPM, CAREER_SPELLS_MAX - 1);
        for (int s = 0; s < spells; s++) {
            if (s > 0)
                pos = last + 2 + rng_geom(r, CAREER_GAP_CONT, 60);
            if (pos >= GEN_SPAN_MAX)
                break;
            int u = (int)rng_below(r, 1000), len = 1;
            while (len < 12 && u >= short_spell_pm[len - 1])
                u -= short_spell_pm[len++ - 1];
            if (len > GEN_SPAN_MAX - pos)
                len = GEN_SPAN_MAX - pos;
            for (int k = 0; k < len; k++)
                mask_set(mask, pos + k);
            last = pos + len - 1;
        }
    }
    return last + 1;
}

/* Fixed attributes of household local, whose career starts at month
 * start and spans span months. */
static void household_fill(const struct gen *g, const struct muni *mu,
                           struct household *h, uint32_t local, int span)
{
    const struct gen_opts *o = &g->opt;
    struct rng r = rng_keyed(o->seed, TAG_HOUSEHOLD, mu->code_num, local, 0);
    h->local = local;
    h->hh = perm32(mu->ordinal << 28 | local, mu->hh_key);

    /* Age of the head at the first month: 18-80, skewed to 25-45. */
    int u = (int)rng_below(&r, 1000), age;
    if (u < 210)
        age = (int)rng_range(&r, 18, 24);
    else if (u < 700)
        age = (int)rng_range(&r, 25, 45);
    else if (u < 975)
        age = (int)rng_range(&r, 46, 64);
    else
        age = (int)rng_range(&r, 65, 80);
    if (age + (span - 1) / 12 > 80)
        age = 80 - (span - 1) / 12;
    h->birth_year = (int16_t)(month_year(h->start) - age);
    bool young = age <= 24;

    u = (int)rng_below(&r, 1000);
    if (u < 5)
        h->gender = 'X';
    else
        h->gender = u < (young ? 425 : 480) ? 'F' : 'M';

    u = (int)rng_below(&r, 1000);
    if (young)
        h->size = u < 880 ? SIZE_SINGLE : SIZE_SINGLE_PARENT;
    else
        h->size = u < 540   ? SIZE_SINGLE
                  : u < 750 ? SIZE_SINGLE_PARENT
                  : u < 830 ? SIZE_COUPLE
                            : SIZE_FAMILY;

    u = (int)rng_below(&r, 1000);
    int temp_pm = h->size == SIZE_SINGLE && h->gender == 'M' ? 60 : 20;
    h->housing = u < temp_pm ? HOUSING_TEMP
                 : u < 600   ? HOUSING_RENT
                             : HOUSING_OWN;
    h->topup_pm = (uint16_t)rng_range(&r, 450, 1000);
    h->rent_kr =
        (int32_t)rng_range(&r, rent_lo_kr[h->size], rent_hi_kr[h->size]);

    /* Units: young adults to the second unit, a share of the others to
     * the third (etablering), the rest over the first and any further. */
    size_t nu = o->n_unit;
    if (young && nu >= 2 && rng_ppm(&r, 900000))
        h->unit = 1;
    else if (!young && nu >= 3 && rng_ppm(&r, 140000))
        h->unit = 2;
    else {
        size_t extra = nu > 3 ? nu - 3 : 0;
        size_t pick = (size_t)rng_below(&r, 1 + extra);
        h->unit = (uint8_t)(pick ? 2 + pick : 0);
    }
}

static struct household *eb_add_household(struct muni *mu)
{
    struct eb_state *eb = &mu->eb;
    if (eb->next_local >= GEN_LOCAL_MAX) {
        fputs("nyckel-gen: household numbers exhausted\n", stderr);
        exit(1);
    }
    eb->hh = grow(eb->hh, &eb->cap_hh, eb->n_hh + 1, sizeof *eb->hh);
    struct household *h = &eb->hh[eb->n_hh++];
    memset(h, 0, sizeof *h);
    return h;
}

/* The population: the first --households careers, drawn with a start
 * uniform over every month from which a career could still reach --from
 * up to --to, that have a month on assistance inside the history. */
static void eb_init(struct gen *g, struct muni *mu)
{
    const struct gen_opts *o = &g->opt;
    struct eb_state *eb = &mu->eb;
    int32_t first = o->from - GEN_SPAN_MAX + 1;
    eb->window = (uint64_t)(o->to - first + 1);
    eb->next_num = 1;
    for (size_t i = 0; i < o->n_unit; i++)
        eb->ledger_unit[i] = ledger_unit(&mu->ledger, o->unit[i], true);
    while (eb->n_hh < o->households) {
        struct rng r =
            rng_keyed(o->seed, TAG_CAREER, mu->code_num, eb->draws++, 0);
        struct household cand;
        memset(&cand, 0, sizeof cand);
        int span = career_draw(&r, cand.mask);
        cand.start = first + (int32_t)rng_below(&r, eb->window);
        int32_t lo = cand.start > o->from ? cand.start : o->from;
        int32_t hi =
            cand.start + span - 1 < o->to ? cand.start + span - 1 : o->to;
        bool inside = false;
        for (int32_t m = lo; m <= hi && !inside; m++)
            inside = career_active(&cand, m);
        if (!inside)
            continue;
        struct household *h = eb_add_household(mu);
        *h = cand;
        household_fill(g, mu, h, eb->next_local++, span);
    }
}

/* Append one regular row of household h to the block. */
static void eb_add_row(struct eb_state *eb, const struct household *h,
                       int32_t m, enum category cat, int32_t paid_on,
                       int64_t amount_kr, uint8_t row)
{
    eb->rows = grow(eb->rows, &eb->cap_rows, eb->n_rows + 1, sizeof *eb->rows);
    struct pay *p = &eb->rows[eb->n_rows];
    memset(p, 0, sizeof *p);
    p->revision = 1;
    p->local = h->local;
    p->hh = h->hh;
    p->month = m;
    p->paid_on = paid_on;
    p->amount_ore = amount_kr * 100;
    p->birth_year = h->birth_year;
    p->gender = h->gender;
    p->unit = h->unit;
    p->category = (uint8_t)cat;
    p->row = row;
    p->order = (uint32_t)eb->n_rows;
    eb->n_rows++;
}

/* The one to three payment rows of household h for month m. */
static void eb_household_month(const struct gen *g, const struct muni *mu,
                               struct eb_state *eb, const struct household *h,
                               int32_t m)
{
    struct rng r =
        rng_keyed(g->opt.seed, TAG_MONTH, mu->code_num, h->local, (uint64_t)m);
    bool first = !career_active(h, m - 1);
    int32_t d0 = month_first_day(m);
    int dim = month_days(m);
    uint8_t row = 0;

    /* Ongoing households are mostly paid in the last days of the month
     * before; a new application is decided and paid during the month. */
    int32_t payday;
    if (first)
        payday = d0 + (int32_t)rng_range(&r, 2, dim - 3);
    else if (rng_ppm(&r, 800000))
        payday = d0 - 1 - (int32_t)rng_range(&r, 0, 5);
    else
        payday = d0 + (int32_t)rng_range(&r, 0, 9);
    payday = to_weekday(payday);

    int64_t livs = (int64_t)norm_kr[h->size] * h->topup_pm / 1000;
    livs = livs * rng_range(&r, 920, 1080) / 1000;
    if (first && rng_ppm(&r, 400000)) /* part of a month */
        livs = livs * rng_range(&r, 400, 1000) / 1000;
    if (livs < 300)
        livs = 300;
    eb_add_row(eb, h, m, CAT_LIVSUPPEHALLE, payday, livs, row++);

    if (h->housing == HOUSING_RENT && rng_ppm(&r, 900000)) {
        int64_t share = h->topup_pm + 250 > 1000 ? 1000 : h->topup_pm + 250;
        eb_add_row(eb, h, m, CAT_BOENDE, payday,
                   (int64_t)h->rent_kr * share / 1000, row++);
    } else if (h->housing == HOUSING_TEMP && rng_ppm(&r, 850000)) {
        int32_t day = to_weekday(d0 + (int32_t)rng_range(&r, 0, dim - 1));
        eb_add_row(eb, h, m, CAT_TILLFALLIGT_BOENDE, day,
                   rng_range(&r, 2500, 12000), row++);
    }
    if (rng_ppm(&r, 110000)) {
        int32_t day = to_weekday(d0 + (int32_t)rng_range(&r, 0, dim - 1));
        eb_add_row(eb, h, m, CAT_OVRIGT, day, rng_range(&r, 300, 3000), row++);
    }
}

/* Write p as one line. */
static void eb_write(struct gen *g, const struct muni *mu, const struct pay *p)
{
    struct jl j;
    char id[48], hh[16];
    entity_id(id, sizeof id, "p", p->num);
    household_id(hh, sizeof hh, p->hh);
    char gender[2] = {p->gender, '\0'};

    jl_begin(&j, "payment");
    jl_str(&j, "source", mu->source);
    jl_str(&j, "id", id);
    jl_int(&j, "revision", (int64_t)p->revision);
    jl_str(&j, "municipality", mu->code);
    jl_str(&j, "unit", g->opt.unit[p->unit]);
    jl_str(&j, "household", hh);
    jl_month(&j, "month", p->month);
    jl_date(&j, "paid_on", p->paid_on);
    jl_int(&j, "amount_ore", p->amount_ore);
    jl_str(&j, "category", category_names[p->category]);
    jl_int(&j, "head_birth_year", p->birth_year);
    jl_str(&j, "head_gender", gender);
    if (p->reversal)
        jl_true(&j, "reversal");
    if (p->deleted)
        jl_true(&j, "deleted");
    jl_end(&j);
    out_line(&g->out, &j);
}

/* Send p and decide whether it is sent once more at the end of the
 * block (--duplicates). */
static void eb_send(struct gen *g, struct muni *mu, const struct pay *p)
{
    struct eb_state *eb = &mu->eb;
    eb_write(g, mu, p);
    if (!g->opt.duplicates_ppm)
        return;
    struct rng r =
        rng_keyed(g->opt.seed, TAG_DUP, mu->code_num, p->num, p->revision);
    if (rng_ppm(&r, g->opt.duplicates_ppm)) {
        eb->dups =
            grow(eb->dups, &eb->cap_dups, eb->n_dups + 1, sizeof *eb->dups);
        eb->dups[eb->n_dups++] = *p;
    }
}

static void eb_pend(struct eb_state *eb, int32_t block, const struct pay *p)
{
    eb->pend = grow(eb->pend, &eb->cap_pend, eb->n_pend + 1, sizeof *eb->pend);
    eb->pend[eb->n_pend].block = block;
    eb->pend[eb->n_pend].p = *p;
    eb->n_pend++;
}

/* Decide the later life of regular row p sent in block m: a corrected
 * revision, a tombstone, or a reversal row of its own (exclusive, with
 * the --revisions, --tombstones and --reversals shares). */
static void eb_schedule(struct gen *g, struct muni *mu, const struct pay *p,
                        int32_t m)
{
    const struct gen_opts *o = &g->opt;
    struct rng r = rng_keyed(o->seed, TAG_NOISE, mu->code_num, p->local,
                             (uint64_t)p->month << 8 | p->row);
    uint64_t u = rng_below(&r, PPM);
    struct pay q = *p;

    if (u < o->revisions_ppm) {
        /* The case worker fixes the amount: up or down 2-25 %. */
        int64_t pm = rng_range(&r, 20, 250);
        if (!rng_ppm(&r, 600000))
            pm = -pm;
        int64_t kr = p->amount_ore / 100 * (1000 + pm) / 1000;
        q.amount_ore = (kr < 100 ? 100 : kr) * 100;
        q.revision = 2;
        eb_pend(&mu->eb, m + (int32_t)rng_range(&r, 0, 2), &q);
    } else if (u < (uint64_t)o->revisions_ppm + o->tombstones_ppm) {
        q.revision = 2;
        q.deleted = true;
        eb_pend(&mu->eb, m + (int32_t)rng_range(&r, 0, 3), &q);
    } else if (u < (uint64_t)o->revisions_ppm + o->tombstones_ppm +
                       o->reversals_ppm) {
        /* Repaid or wrongly paid: all of it, or a part. */
        int64_t kr = p->amount_ore / 100;
        if (!rng_ppm(&r, 500000))
            kr = kr * rng_range(&r, 100, 900) / 1000;
        if (kr < 1)
            kr = 1;
        q.num = 0;
        q.revision = 1;
        q.reversal = true;
        q.amount_ore = -kr * 100;
        q.paid_on = to_weekday(p->paid_on + (int32_t)rng_range(&r, 5, 45));
        int32_t block = month_of_day(q.paid_on);
        eb_pend(&mu->eb, block > m ? block : m, &q);
    }
}

/* Send the duplicates collected so far. They go before any later
 * revision of the same entity, so each one is a true duplicate. */
static void eb_send_dups(struct gen *g, struct muni *mu)
{
    struct eb_state *eb = &mu->eb;
    for (size_t i = 0; i < eb->n_dups; i++)
        eb_write(g, mu, &eb->dups[i]);
    eb->n_dups = 0;
}

/* Send the lines scheduled for block m and their duplicates. */
static void eb_send_due(struct gen *g, struct muni *mu, int32_t m)
{
    struct eb_state *eb = &mu->eb;
    size_t keep = 0;
    for (size_t i = 0; i < eb->n_pend; i++) {
        struct pending *pe = &eb->pend[i];
        if (pe->block != m || g->out.done) {
            eb->pend[keep++] = *pe;
            continue;
        }
        if (!pe->p.num)
            pe->p.num = eb->next_num++;
        eb_send(g, mu, &pe->p);
    }
    eb->n_pend = keep;
    eb_send_dups(g, mu);
}

static int pay_cmp(const void *a, const void *b)
{
    const struct pay *x = a, *y = b;
    if (x->paid_on != y->paid_on)
        return x->paid_on < y->paid_on ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Live phase: the households whose careers start in month m (the rate
 * of the history), and forget those whose careers are over. */
static void eb_live_arrivals(struct gen *g, struct muni *mu, int32_t m)
{
    struct eb_state *eb = &mu->eb;
    size_t keep = 0;
    for (size_t i = 0; i < eb->n_hh; i++)
        if ((int64_t)eb->hh[i].start + GEN_SPAN_MAX > m)
            eb->hh[keep++] = eb->hh[i];
    eb->n_hh = keep;

    eb->arrivals_acc += eb->draws;
    uint64_t n = eb->arrivals_acc / eb->window;
    eb->arrivals_acc %= eb->window;
    for (uint64_t i = 0; i < n; i++) {
        struct rng r =
            rng_keyed(g->opt.seed, TAG_LIVE, mu->code_num, eb->next_local, 0);
        struct household *h = eb_add_household(mu);
        int span = career_draw(&r, h->mask);
        h->start = m;
        household_fill(g, mu, h, eb->next_local++, span);
    }
}

/* Block m of payments: the rows of every household on assistance in m,
 * in paid_on order, their duplicates, then the lines scheduled for m
 * (corrections, tombstones, reversals) and theirs. */
static void eb_month(struct gen *g, struct muni *mu, int32_t m)
{
    struct eb_state *eb = &mu->eb;
    if (m > g->opt.to)
        eb_live_arrivals(g, mu, m);
    eb->n_rows = 0;
    for (size_t i = 0; i < eb->n_hh; i++)
        if (career_active(&eb->hh[i], m))
            eb_household_month(g, mu, eb, &eb->hh[i], m);
    qsort(eb->rows, eb->n_rows, sizeof *eb->rows, pay_cmp);
    for (size_t i = 0; i < eb->n_rows; i++)
        ledger_add(&mu->ledger, eb->ledger_unit[eb->rows[i].unit], m,
                   eb->rows[i].amount_ore);
    for (size_t i = 0; i < eb->n_rows && !g->out.done; i++) {
        struct pay *p = &eb->rows[i];
        p->num = eb->next_num++;
        eb_send(g, mu, p);
        eb_schedule(g, mu, p, m);
    }
    eb_send_dups(g, mu);
    eb_send_due(g, mu, m);
}

static bool eb_drain(struct gen *g, struct muni *mu, int32_t m)
{
    eb_send_due(g, mu, m);
    return mu->eb.n_pend > 0 && !g->out.done;
}

static void eb_fini(struct muni *mu)
{
    struct eb_state *eb = &mu->eb;
    free(eb->hh);
    free(eb->rows);
    free(eb->pend);
    free(eb->dups);
    memset(eb, 0, sizeof *eb);
}

/* ---------------------------------------------------------------------
 * Shared by placements, referrals and decisions.
 */

enum target {
    T_BARN_UNGA,
    T_VUXNA_MISSBRUK,
    T_PSYKISK,
    T_LSS,
    T_ENSAMKOMMANDE,
    T_VALD,
};

static const char *const target_names[] = {
    "barn_unga", "vuxna_missbruk", "psykisk_funktionsnedsattning",
    "lss",       "ensamkommande",  "vald_nara_relation",
};

/* The unit (verksamhet) that handles a target group. */
static const char *const target_unit[] = {
    "barn-unga", "vuxen", "vuxen", "funktionsstod", "barn-unga", "vuxen",
};

enum legal { L_SOL, L_LVU, L_LVM, L_LSS };

static const char *const legal_names[] = {"SoL", "LVU", "LVM", "LSS"};

/* A person in placements, referrals or decisions. */
struct person {
    uint32_t pid; /* pseudonym value, see person_id() */
    int16_t birth_year;
    char gender;        /* 'F', 'M', 'X' */
    uint8_t target;     /* enum target */
    int32_t case_until; /* day an open investigation closes, 0 none */
};

/* A new person of target group t whose story begins on day. */
static struct person person_draw(const struct muni *mu, struct rng *r,
                                 enum target t, int32_t day, uint32_t kind_bit,
                                 uint32_t *counter)
{
    struct person p;
    int y, mo, d, age;
    civil_from_days(day, &y, &mo, &d);
    int u = (int)rng_below(r, 1000);
    int female_pm;
    switch (t) {
    case T_BARN_UNGA:
        age = u < 250   ? (int)rng_range(r, 0, 6)
              : u < 500 ? (int)rng_range(r, 7, 12)
                        : (int)rng_range(r, 13, 17);
        female_pm = 470;
        break;
    case T_ENSAMKOMMANDE:
        age = (int)rng_range(r, 14, 17);
        female_pm = 150;
        break;
    case T_VUXNA_MISSBRUK:
        age = (int)rng_range(r, 21, 64);
        female_pm = 300;
        break;
    case T_VALD:
        age = (int)rng_range(r, 18, 64);
        female_pm = 920;
        break;
    case T_PSYKISK:
        age = (int)rng_range(r, 21, 64);
        female_pm = 450;
        break;
    default: /* T_LSS */
        age = (int)rng_range(r, 18, 64);
        female_pm = 420;
        break;
    }
    p.pid = person_new(mu, kind_bit, counter);
    p.birth_year = (int16_t)(y - age);
    u = (int)rng_below(r, 1000);
    p.gender = u < 2 ? 'X' : u < 2 + female_pm ? 'F' : 'M';
    p.target = (uint8_t)t;
    p.case_until = 0;
    return p;
}

/* The common fields of a line of kind for municipality mu. */
static void jl_common(struct jl *j, const struct muni *mu, const char *kind,
                      const char *prefix, uint64_t num, uint64_t revision,
                      const char *unit)
{
    char id[48];
    entity_id(id, sizeof id, prefix, num);
    jl_begin(j, kind);
    jl_str(j, "source", mu->source);
    jl_str(j, "id", id);
    jl_int(j, "revision", (int64_t)revision);
    jl_str(j, "municipality", mu->code);
    jl_str(j, "unit", unit);
}

static void jl_person(struct jl *j, const struct person *p)
{
    char pid[16], gender[2] = {p->gender, '\0'};
    person_id(pid, sizeof pid, p->pid);
    jl_str(j, "person", pid);
    jl_str(j, "gender", gender);
    jl_int(j, "birth_year", p->birth_year);
}

/* ---------------------------------------------------------------------
 * Placements (domain pl). Episodes start at about 11 a month at scale 1
 * (a target group, then one placement or two in a row: jourhem before a
 * familjehem); about 100 persons are in care at a time and some 130
 * placements start a year. A placement is sent when it starts (open),
 * again when it ends (end set, a few days late), sometimes once more
 * with the end date fixed (--revisions) or deleted (--tombstones).
 */

enum setting {
    S_INSTITUTION,
    S_FAMILJEHEM,
    S_JOURHEM,
    S_STODBOENDE,
    S_SKYDDAT,
    S_BSS,
    S_ANNAT,
};

static const char *const setting_names[] = {
    "institution", "familjehem",     "jourhem",
    "stodboende",  "skyddat_boende", "bostad_sarskild_service",
    "annat",
};

/* Share in external regi by setting, per mille. */
static const uint16_t extern_pm[] = {850, 200, 250, 400, 750, 350, 500};

#define PL_EPISODES_PER_MONTH 11.0 /* at scale 1 */
#define PL_BURN_IN_MONTHS 120      /* episodes before --from, for stock */
#define PL_DAYS_MAX 3650           /* longest placement, days */

/* A placement as it is (finally) known, for the ledger. */
struct care {
    int32_t start;     /* first care day */
    int32_t end;       /* exclusive */
    int64_t daily_ore; /* cost per care day */
    uint8_t unit;      /* ledger index */
};

struct plac {
    uint8_t setting;    /* enum setting */
    uint8_t legal;      /* enum legal */
    bool external;      /* regi extern */
    int32_t start, end; /* day numbers, end exclusive */
    int64_t daily_kr;   /* cost per care day, kr */
};

/* Setting, legal basis, cost and length of one placement of person p
 * starting on start; jourhem says whether it follows a jourhem stay. */
static void pl_draw(struct rng *r, const struct person *p, int32_t start,
                    bool after_jourhem, struct plac *pc)
{
    int y, mo, d;
    civil_from_days(start, &y, &mo, &d);
    int age = y - p->birth_year;
    int u = (int)rng_below(r, 1000);
    int days;
    pc->legal = L_SOL;
    switch ((enum target)p->target) {
    case T_BARN_UNGA:
        if (age <= 12 && !after_jourhem && u < 350)
            pc->setting = S_JOURHEM;
        else if (age <= 12)
            pc->setting = rng_ppm(r, 850000) ? S_FAMILJEHEM : S_INSTITUTION;
        else
            pc->setting = u < 450                ? S_INSTITUTION
                          : u < 800              ? S_FAMILJEHEM
                          : u < 920 && age >= 16 ? S_STODBOENDE
                                                 : S_JOURHEM;
        if (rng_ppm(r, 300000))
            pc->legal = L_LVU;
        break;
    case T_ENSAMKOMMANDE:
        pc->setting = u < 600   ? S_INSTITUTION
                      : u < 850 ? S_STODBOENDE
                                : S_FAMILJEHEM;
        break;
    case T_VUXNA_MISSBRUK:
        pc->setting = u < 800 ? S_INSTITUTION : S_STODBOENDE;
        if (pc->setting == S_INSTITUTION && rng_ppm(r, 150000))
            pc->legal = L_LVM;
        break;
    case T_VALD:
        pc->setting = S_SKYDDAT;
        break;
    case T_PSYKISK:
        pc->setting = u < 500 ? S_BSS : u < 800 ? S_INSTITUTION : S_STODBOENDE;
        break;
    default: /* T_LSS */
        pc->setting = S_BSS;
        pc->legal = L_LSS;
        break;
    }
    bool sis = pc->setting == S_INSTITUTION &&
               (pc->legal == L_LVU || pc->legal == L_LVM) && rng_ppm(r, 500000);
    bool child = p->target == T_BARN_UNGA || p->target == T_ENSAMKOMMANDE;
    pc->external = sis || rng_ppm(r, extern_pm[pc->setting] * 1000u);
    switch (pc->setting) {
    case S_INSTITUTION:
        pc->daily_kr = sis     ? rng_range(r, 4800, 6200)
                       : child ? rng_range(r, 3200, 5200)
                               : rng_range(r, 1800, 3200);
        days = sis     ? (int)rng_range(r, 60, 270)
               : child ? (int)rng_range(r, 30, 360)
                       : (int)rng_range(r, 28, 180);
        break;
    case S_FAMILJEHEM:
        pc->daily_kr =
            pc->external ? rng_range(r, 1500, 2300) : rng_range(r, 650, 1000);
        days = (2 + rng_geom(r, 962963, 110)) * 30 + (int)rng_below(r, 30);
        break;
    case S_JOURHEM:
        pc->daily_kr = rng_range(r, 1000, 1700);
        days = (int)rng_range(r, 30, 150);
        break;
    case S_STODBOENDE:
        pc->daily_kr = rng_range(r, 1100, 2100);
        days = (int)rng_range(r, 90, 540);
        break;
    case S_SKYDDAT:
        pc->daily_kr = rng_range(r, 1300, 2300);
        days = (int)rng_range(r, 14, 120);
        break;
    case S_BSS:
        pc->daily_kr = rng_range(r, 2200, 4800);
        days = 365 + (rng_geom(r, 983607, 90)) * 30 + (int)rng_below(r, 30);
        break;
    default:
        pc->daily_kr = rng_range(r, 500, 2500);
        days = (int)rng_range(r, 30, 180);
        break;
    }
    if (days > PL_DAYS_MAX)
        days = PL_DAYS_MAX;
    pc->start = start;
    pc->end = start + days;
    if (child) { /* care for the young ends at 21 at the latest */
        int32_t limit = days_from_civil(p->birth_year + 21, 1, 1);
        if (pc->end > limit)
            pc->end = limit > start + 14 ? limit : start + 14;
    }
}

/* Render placement pc of person p: its lines into the queue, its care
 * into the ledger list. Placements over before --from are skipped. */
static void pl_render(struct gen *g, struct muni *mu, struct rng *r,
                      const struct person *p, const struct plac *pc)
{
    const struct gen_opts *o = &g->opt;
    struct pl_state *pl = &mu->pl;
    if (pc->end <= month_first_day(o->from))
        return;
    const char *unit = target_unit[p->target];
    uint8_t lunit = ledger_unit(&mu->ledger, unit, false);
    uint64_t num = pl->next_num++;
    struct jl j;

    uint64_t u = rng_below(r, PPM);
    bool fixed = u < o->revisions_ppm;
    bool deleted = !fixed && u < (uint64_t)o->revisions_ppm + o->tombstones_ppm;
    int32_t end = pc->end, day = pc->start;

    for (int rev = 1; rev <= 3; rev++) {
        if (rev == 2 && deleted) {
            day = pc->start + (int32_t)rng_range(r, 1, 30);
        } else if (rev == 2) {
            day = end + (int32_t)rng_range(r, 0, 10); /* registered late */
        } else if (rev == 3) {
            if (!fixed)
                break;
            day += (int32_t)rng_range(r, 5, 40);
            int32_t shift = (int32_t)rng_range(r, 1, 10);
            end = rng_ppm(r, 500000) || end - shift <= pc->start ? end + shift
                                                                 : end - shift;
        }
        jl_common(&j, mu, "placement", "pl", num, (uint64_t)rev, unit);
        jl_person(&j, p);
        jl_str(&j, "setting", setting_names[pc->setting]);
        jl_str(&j, "regi", pc->external ? "extern" : "egen");
        jl_str(&j, "target", target_names[p->target]);
        jl_str(&j, "legal_basis", legal_names[pc->legal]);
        jl_date(&j, "start", pc->start);
        if (rev > 1 && !deleted)
            jl_date(&j, "end", end);
        jl_int(&j, "daily_cost_ore", pc->daily_kr * 100);
        if (rev == 2 && deleted)
            jl_true(&j, "deleted");
        jl_end(&j);
        dueq_push(&pl->q, day, &j);
        if (rev == 2 && deleted)
            break;
    }
    if (!deleted) {
        pl->care =
            grow(pl->care, &pl->cap_care, pl->n_care + 1, sizeof *pl->care);
        pl->care[pl->n_care++] =
            (struct care){pc->start, end, pc->daily_kr * 100, lunit};
    }
}

/* Placement episodes starting in month m. */
static void pl_episodes(struct gen *g, struct muni *mu, int32_t m)
{
    struct pl_state *pl = &mu->pl;
    struct rng mr =
        rng_keyed(g->opt.seed, TAG_PLACEMENT, mu->code_num, (uint64_t)m, 0);
    uint32_t n = rng_count(&mr, PL_EPISODES_PER_MONTH * g->scale);
    for (uint32_t i = 0; i < n; i++) {
        struct rng r = rng_keyed(g->opt.seed, TAG_PLACEMENT, mu->code_num,
                                 (uint64_t)m, 1 + pl->episodes++);
        int u = (int)rng_below(&r, 1000);
        enum target t = u < 620   ? T_BARN_UNGA
                        : u < 720 ? T_ENSAMKOMMANDE
                        : u < 860 ? T_VUXNA_MISSBRUK
                        : u < 930 ? T_VALD
                        : u < 970 ? T_PSYKISK
                                  : T_LSS;
        int32_t start = month_first_day(m) +
                        (int32_t)rng_below(&r, (uint64_t)month_days(m));
        struct person p = person_draw(mu, &r, t, start, 0, &pl->next_person);
        struct plac pc;
        pl_draw(&r, &p, start, false, &pc);
        pl_render(g, mu, &r, &p, &pc);
        if (pc.setting == S_JOURHEM && rng_ppm(&r, 900000)) {
            struct plac next;
            pl_draw(&r, &p, pc.end, true, &next);
            pl_render(g, mu, &r, &p, &next);
        }
    }
}

static void pl_init(struct gen *g, struct muni *mu)
{
    struct pl_state *pl = &mu->pl;
    pl->q.tag = KIND_PLACEMENT;
    pl->next_num = 1;
    for (size_t i = 0; i < 3; i++) /* budgets for all three units */
        ledger_unit(&mu->ledger,
                    target_unit[i == 0   ? T_BARN_UNGA
                                : i == 1 ? T_VUXNA_MISSBRUK
                                         : T_LSS],
                    false);
    for (int32_t m = g->opt.from - PL_BURN_IN_MONTHS; m < g->opt.from; m++)
        pl_episodes(g, mu, m);
}

/* Care days of month m into the ledger; forget placements that ended. */
static void pl_ledger(struct muni *mu, int32_t m)
{
    struct pl_state *pl = &mu->pl;
    int32_t lo = month_first_day(m), hi = month_first_day(m + 1);
    size_t keep = 0;
    for (size_t i = 0; i < pl->n_care; i++) {
        const struct care *c = &pl->care[i];
        int32_t a = c->start > lo ? c->start : lo;
        int32_t b = c->end < hi ? c->end : hi;
        if (b > a)
            ledger_add(&mu->ledger, c->unit, m,
                       (int64_t)(b - a) * c->daily_ore);
        if (c->end > hi)
            pl->care[keep++] = *c;
    }
    pl->n_care = keep;
}

static void pl_month(struct gen *g, struct muni *mu, int32_t m)
{
    pl_episodes(g, mu, m);
    pl_ledger(mu, m);
    dueq_send(g, mu, &mu->pl.q, m);
}

/* Lines dated after --to are not known at the end of the history:
 * placements still open then stay open. */
static bool pl_drain(struct gen *g, struct muni *mu, int32_t m)
{
    (void)g;
    (void)m;
    dueq_free(&mu->pl.q);
    return false;
}

static void pl_fini(struct muni *mu)
{
    dueq_free(&mu->pl.q);
    free(mu->pl.care);
    memset(&mu->pl, 0, sizeof mu->pl);
}

/* ---------------------------------------------------------------------
 * Referrals and decisions (domain inv). About 250 referrals a month at
 * scale 1 (thousands a year), a third about a person referred before.
 * Each gets a decision within two weeks whether to open an
 * investigation (about a third do, unless one is already open); an
 * investigation closes after 1-8 months, three in four within four
 * months; about half end in a decision on an intervention (bistand),
 * mostly granted, most of those executed within two months (a second
 * revision sets executed_on), some never. --revisions fixes a
 * referral's reporter, --tombstones deletes referrals and decisions.
 */

enum reporter { R_POLIS, R_SKOLA, R_HALSO, R_SOCIALTJANST, R_ENSKILD, R_ANNAN };

static const char *const reporter_names[] = {
    "polis", "skola", "halso_sjukvard", "socialtjanst", "enskild", "annan",
};

/* Reporter shares per mille: children, adults. */
static const uint16_t reporter_child_pm[] = {280, 200, 120, 140, 120, 140};
static const uint16_t reporter_adult_pm[] = {250, 0, 300, 150, 200, 100};

static const char *const intervention_child[] = {
    "kontaktperson", "familjebehandling", "oppenvard_ungdom", "familjehem",
    "hvb",
};
static const char *const intervention_adult[] = {
    "oppenvard_missbruk",
    "behandlingshem",
    "boendestod",
    "skyddat_boende",
};

#define INV_REFERRALS_PER_MONTH 250.0 /* at scale 1 */
#define INV_BURN_IN_MONTHS 9          /* investigations open at --from */

static enum reporter reporter_draw(struct rng *r, bool child)
{
    const uint16_t *pm = child ? reporter_child_pm : reporter_adult_pm;
    int u = (int)rng_below(r, 1000), k = 0;
    while (k < R_ANNAN && u >= pm[k])
        u -= pm[k++];
    return (enum reporter)k;
}

/* One decision line. case_num 0: no case; executed 0: not executed. */
struct dec {
    const char *type;         /* decision type */
    uint64_t case_num;        /* investigation, 0 none */
    const char *outcome;      /* bistand only, else NULL */
    const char *intervention; /* bistand only, else NULL */
    enum legal legal;
    int32_t decided_on;
    int32_t executed_on; /* 0: not (yet) executed */
};

/* Render decision d about person p (the next decision number) with its
 * revisions into the queue when decisions are sent. Decisions decided
 * before --from are skipped unless keep_early (an open investigation). */
static void inv_decision(struct gen *g, struct muni *mu, struct rng *r,
                         const struct person *p, const struct dec *d,
                         bool keep_early)
{
    struct inv_state *inv = &mu->inv;
    const struct gen_opts *o = &g->opt;
    if (d->decided_on < month_first_day(o->from) && !keep_early)
        return;
    uint64_t num = inv->next_dec++;
    /* Drawn whether or not decisions are sent, so that the other
     * draws of the story stay the same. */
    bool deleted = rng_ppm(r, o->tombstones_ppm);
    int32_t last = d->executed_on ? d->executed_on : d->decided_on;
    int32_t tomb_day = last + (int32_t)rng_range(r, 1, 20);
    if (!o->kind[KIND_DECISION])
        return;

    /* rev 1 when decided, rev 2 when executed, then the tombstone. */
    int revs = (d->executed_on ? 2 : 1) + deleted;
    char case_id[48];
    entity_id(case_id, sizeof case_id, "u", d->case_num);
    for (int rev = 1; rev <= revs; rev++) {
        bool tomb = deleted && rev == revs;
        bool executed = d->executed_on && rev >= 2;
        int32_t day = tomb       ? tomb_day
                      : executed ? d->executed_on
                                 : d->decided_on;
        struct jl j;
        jl_common(&j, mu, "decision", "d", num, (uint64_t)rev,
                  target_unit[p->target]);
        jl_person(&j, p);
        jl_str(&j, "type", d->type);
        if (d->case_num)
            jl_str(&j, "case", case_id);
        if (d->outcome)
            jl_str(&j, "outcome", d->outcome);
        if (d->intervention)
            jl_str(&j, "intervention", d->intervention);
        jl_str(&j, "legal_basis", legal_names[d->legal]);
        jl_str(&j, "target", target_names[p->target]);
        jl_date(&j, "decided_on", d->decided_on);
        if (executed)
            jl_date(&j, "executed_on", d->executed_on);
        if (tomb)
            jl_true(&j, "deleted");
        jl_end(&j);
        dueq_push(&inv->dec_q, day, &j);
    }
}

/* The investigation opened on day open for person p, its closing and
 * the decision on an intervention. */
static void inv_investigation(struct gen *g, struct muni *mu, struct rng *r,
                              struct person *p, int32_t open)
{
    struct inv_state *inv = &mu->inv;
    bool child = p->target == T_BARN_UNGA || p->target == T_ENSAMKOMMANDE;
    uint64_t case_num = inv->next_case++;
    int32_t days = rng_ppm(r, 760000) ? (int32_t)rng_range(r, 25, 120)
                                      : (int32_t)rng_range(r, 121, 240);
    int32_t close = to_weekday(open + days);
    if (close <= open)
        close = open + 1;
    p->case_until = close;

    struct dec d = {"inleda_utredning", case_num, NULL, NULL, L_SOL, open, 0};
    inv_decision(g, mu, r, p, &d, close >= month_first_day(g->opt.from));
    d = (struct dec){
        "avsluta_utredning", case_num, NULL, NULL, L_SOL, close, 0};
    inv_decision(g, mu, r, p, &d, false);
    if (!rng_ppm(r, 520000))
        return;

    d.type = "bistand";
    d.decided_on = to_weekday(close + (int32_t)rng_range(r, 0, 5));
    if (d.decided_on < close)
        d.decided_on = close;
    bool granted = rng_ppm(r, 930000);
    d.outcome = granted ? "bifall" : "avslag";
    if (child) {
        size_t k = (size_t)rng_below(r, 5);
        d.intervention = intervention_child[k];
        d.legal = k >= 3 && rng_ppm(r, 200000) ? L_LVU : L_SOL;
    } else {
        d.intervention = intervention_adult[rng_below(r, 4)];
        d.legal = p->target == T_LSS ? L_LSS : L_SOL;
    }
    d.executed_on = 0;
    if (granted) {
        int u = (int)rng_below(r, 1000);
        if (u < 820)
            d.executed_on = d.decided_on + (int32_t)rng_range(r, 0, 60);
        else if (u < 900)
            d.executed_on = d.decided_on + (int32_t)rng_range(r, 61, 150);
    }
    inv_decision(g, mu, r, p, &d, false);
}

/* One referral received in month m and what follows from it. */
static void inv_referral(struct gen *g, struct muni *mu, int32_t m)
{
    const struct gen_opts *o = &g->opt;
    struct inv_state *inv = &mu->inv;
    struct rng r = rng_keyed(o->seed, TAG_INV, mu->code_num, (uint64_t)m,
                             1 + inv->referrals++);
    int32_t received =
        month_first_day(m) + (int32_t)rng_below(&r, (uint64_t)month_days(m));
    struct person *p;
    struct person fresh;
    if (inv->n_ring > 0 && rng_ppm(&r, 330000)) {
        p = &inv->ring[rng_below(&r, inv->n_ring)];
    } else {
        int u = (int)rng_below(&r, 1000);
        enum target t = u < 780   ? T_BARN_UNGA
                        : u < 800 ? T_ENSAMKOMMANDE
                        : u < 900 ? T_VUXNA_MISSBRUK
                        : u < 960 ? T_VALD
                        : u < 985 ? T_PSYKISK
                                  : T_LSS;
        fresh = person_draw(mu, &r, t, received, 1, &inv->next_person);
        size_t slot = inv->n_ring < INV_RING ? inv->n_ring++
                                             : (size_t)rng_below(&r, INV_RING);
        inv->ring[slot] = fresh;
        p = &inv->ring[slot];
    }
    bool child = p->target == T_BARN_UNGA || p->target == T_ENSAMKOMMANDE;

    /* The referral. */
    if (received >= month_first_day(o->from)) {
        uint64_t num = inv->next_ref++;
        uint64_t u = rng_below(&r, PPM);
        bool fixed = u < o->revisions_ppm;
        bool deleted =
            !fixed && u < (uint64_t)o->revisions_ppm + o->tombstones_ppm;
        enum reporter rep = reporter_draw(&r, child);
        int32_t day = received;
        for (int rev = 1; rev <= 1 + (fixed || deleted); rev++) {
            struct jl j;
            if (rev == 2) {
                day += (int32_t)rng_range(&r, 1, 20);
                if (fixed)
                    rep = (enum reporter)((rep + 1 + rng_below(&r, 5)) % 6);
            }
            if (!o->kind[KIND_REFERRAL])
                continue;
            jl_common(&j, mu, "referral", "r", num, (uint64_t)rev,
                      target_unit[p->target]);
            jl_person(&j, p);
            jl_date(&j, "received_on", received);
            jl_str(&j, "reporter", reporter_names[rep]);
            jl_str(&j, "target", target_names[p->target]);
            if (rev == 2 && deleted)
                jl_true(&j, "deleted");
            jl_end(&j);
            dueq_push(&inv->ref_q, day, &j);
        }
    }

    /* Förhandsbedömning: a referral about someone under investigation
     * joins that investigation, no decision of its own. */
    if (p->case_until > received)
        return;
    int32_t decided = to_weekday(received + (int32_t)rng_range(&r, 0, 14));
    if (decided < received)
        decided = received;
    if (rng_ppm(&r, child ? 340000 : 300000)) {
        inv_investigation(g, mu, &r, p, decided);
    } else {
        struct dec d = {
            "ej_inleda_utredning", 0, NULL, NULL, L_SOL, decided, 0};
        inv_decision(g, mu, &r, p, &d, false);
    }
}

static void inv_generate(struct gen *g, struct muni *mu, int32_t m)
{
    struct inv_state *inv = &mu->inv;
    if (inv->done_month == m)
        return;
    inv->done_month = m;
    struct rng mr =
        rng_keyed(g->opt.seed, TAG_INV, mu->code_num, (uint64_t)m, 0);
    uint32_t n = rng_count(&mr, INV_REFERRALS_PER_MONTH * g->scale);
    for (uint32_t i = 0; i < n; i++)
        inv_referral(g, mu, m);
}

/* Both kinds share the model: the first of them to run sets it up. */
static void inv_init(struct gen *g, struct muni *mu)
{
    struct inv_state *inv = &mu->inv;
    if (inv->ring)
        return;
    inv->ref_q.tag = KIND_REFERRAL;
    inv->dec_q.tag = KIND_DECISION;
    inv->next_ref = inv->next_dec = inv->next_case = 1;
    inv->done_month = -1;
    inv->ring = calloc(INV_RING, sizeof *inv->ring);
    if (!inv->ring) {
        fputs("nyckel-gen: out of memory\n", stderr);
        abort();
    }
    for (int32_t m = g->opt.from - INV_BURN_IN_MONTHS; m < g->opt.from; m++)
        inv_generate(g, mu, m);
}

static void ref_month(struct gen *g, struct muni *mu, int32_t m)
{
    inv_generate(g, mu, m);
    dueq_send(g, mu, &mu->inv.ref_q, m);
}

static void dec_month(struct gen *g, struct muni *mu, int32_t m)
{
    inv_generate(g, mu, m);
    dueq_send(g, mu, &mu->inv.dec_q, m);
}

/* As for placements: what would happen after --to is not sent. */
static bool inv_drain(struct gen *g, struct muni *mu, int32_t m)
{
    (void)g;
    (void)m;
    dueq_free(&mu->inv.ref_q);
    dueq_free(&mu->inv.dec_q);
    return false;
}

static void inv_fini(struct muni *mu)
{
    dueq_free(&mu->inv.ref_q);
    dueq_free(&mu->inv.dec_q);
    free(mu->inv.ring);
    memset(&mu->inv, 0, sizeof mu->inv);
}

/* ---------------------------------------------------------------------
 * Budgets (domain ec): one per unit and year, sent at the start of the
 * year (or of the history), from the costs of the twelve months before
 * (or the first month times twelve), 3-5 % short of them as municipal
 * budgets for ekonomiskt bistånd tend to be. Payment units get a
 * seasonal month profile, placement units an even one. A quarter get a
 * supplementary budget in June: a second revision, 2-8 % more.
 */

#define BU_NOMINAL_KR 10000000 /* a unit with no costs yet, at scale 1 */

/* Seasonal profile of payments, per mille of the year: summer and
 * December a little heavier. */
static const uint16_t season_pm[12] = {82, 80, 83, 81, 83, 86,
                                       88, 87, 82, 83, 81, 84};

static void jl_profile(struct jl *j, int64_t amount_ore)
{
    size_t room = sizeof j->buf - j->len;
    int n = snprintf(j->buf + j->len, room, ",\"monthly_ore\":[");
    if (n < 0 || (size_t)n >= room)
        jl_overflow();
    j->len += (size_t)n;
    int64_t left = amount_ore;
    for (int k = 0; k < 12; k++) {
        /* whole kronor; December takes what rounding left */
        int64_t v =
            k < 11 ? amount_ore / 100 * season_pm[k] / 1000 * 100 : left;
        left -= v;
        room = sizeof j->buf - j->len;
        n = snprintf(j->buf + j->len, room, "%s%" PRId64, k ? "," : "", v);
        if (n < 0 || (size_t)n >= room)
            jl_overflow();
        j->len += (size_t)n;
    }
    if (j->len + 1 >= sizeof j->buf)
        jl_overflow();
    j->buf[j->len++] = ']';
    j->buf[j->len] = '\0';
}

static void bu_init(struct gen *g, struct muni *mu)
{
    mu->bu.q.tag = KIND_BUDGET;
    mu->bu.next_num = 1;
    if (mu->ledger.n_unit == 0) /* no cost kinds: the payment units */
        for (size_t i = 0; i < g->opt.n_unit; i++)
            ledger_unit(&mu->ledger, g->opt.unit[i], true);
}

static void bu_month(struct gen *g, struct muni *mu, int32_t m)
{
    struct bu_state *bu = &mu->bu;
    struct ledger *l = &mu->ledger;
    if (month_num(m) == 1 || m == g->opt.from) {
        int year = month_year(m);
        for (size_t i = 0; i < l->n_unit; i++) {
            struct rng r = rng_keyed(g->opt.seed, TAG_BUDGET, mu->code_num,
                                     (uint64_t)year, i);
            int64_t base = 0, v;
            bool full = true;
            for (int32_t k = m - 12; k < m && full; k++) {
                full = ledger_get(l, (uint8_t)i, k, &v);
                base += full ? v : 0;
            }
            if (!full)
                base = ledger_get(l, (uint8_t)i, m, &v) ? v * 12 : 0;
            if (base <= 0)
                base = (int64_t)(BU_NOMINAL_KR * g->scale) * 100;
            int64_t tkr = base / 100 * rng_range(&r, 950, 970) / 1000 / 1000;
            int64_t amount = (tkr < 1 ? 1 : tkr) * 100000;
            bool extra = rng_ppm(&r, 250000) && month_num(m) <= 6;
            int64_t amount2 =
                amount / 100000 * rng_range(&r, 1020, 1080) / 1000 * 100000;
            uint64_t num = bu->next_num++;
            for (int rev = 1; rev <= 1 + extra; rev++) {
                struct jl j;
                int64_t a = rev == 1 ? amount : amount2;
                jl_common(&j, mu, "budget", "b", num, (uint64_t)rev,
                          l->unit[i]);
                jl_int(&j, "year", year);
                jl_int(&j, "amount_ore", a);
                if (l->profile[i])
                    jl_profile(&j, a);
                jl_end(&j);
                dueq_push(&bu->q,
                          rev == 1 ? month_first_day(m)
                                   : days_from_civil(year, 6, 15),
                          &j);
            }
        }
    }
    dueq_send(g, mu, &bu->q, m);
}

/* As for placements: a supplementary budget after --to is not sent. */
static bool bu_drain(struct gen *g, struct muni *mu, int32_t m)
{
    (void)g;
    (void)m;
    dueq_free(&mu->bu.q);
    return false;
}

static void bu_fini(struct muni *mu)
{
    dueq_free(&mu->bu.q);
    memset(&mu->bu, 0, sizeof mu->bu);
}

/* ---------------------------------------------------------------------
 * Size: the volumes of placements, referrals and decisions follow the
 * size of the municipality that the payment population implies, 1.0 for
 * about 1 100 households a month (100 000 inhabitants). Expected
 * households a month = households * E[months on assistance of a career]
 * / E[start months from which a career reaches the history], from 20 000
 * careers of the base distribution (see eb_init).
 */

#define SCALE_SAMPLES 20000
#define SCALE_HOUSEHOLDS_PER_MONTH 1100.0

static double gen_scale(const struct gen_opts *o)
{
    uint64_t active = 0, hits = 0;
    int range = (int)(o->to - o->from + 1);
    for (uint64_t i = 0; i < SCALE_SAMPLES; i++) {
        struct rng r = rng_keyed(o->seed, TAG_SCALE, i, 0, 0);
        uint64_t mask[2];
        int span = career_draw(&r, mask);
        int prev = -1;
        for (int k = 0; k < span; k++) {
            if (!((mask[k >> 6] >> (k & 63)) & 1))
                continue;
            active++;
            /* start months [from - k, to - k], union over active k */
            hits += (uint64_t)(prev < 0 || k - prev > range ? range : k - prev);
            prev = k;
        }
    }
    return (double)o->households * (double)active / (double)hits /
           SCALE_HOUSEHOLDS_PER_MONTH;
}

/* ---------------------------------------------------------------------
 * The kinds, in the order their events appear within a month block.
 */

static const struct gen_kind gen_kinds[] = {
    {KIND_PAYMENT, eb_init, eb_month, eb_drain, eb_fini},
    {KIND_PLACEMENT, pl_init, pl_month, pl_drain, pl_fini},
    {KIND_REFERRAL, inv_init, ref_month, inv_drain, inv_fini},
    {KIND_DECISION, inv_init, dec_month, inv_drain, inv_fini},
    {KIND_BUDGET, bu_init, bu_month, bu_drain, bu_fini},
};

#define N_GEN_KINDS (sizeof gen_kinds / sizeof gen_kinds[0])

/* Every enabled kind of every municipality, block m. */
static void gen_block(struct gen *g, int32_t m)
{
    for (size_t i = 0; i < g->n_muni && !g->out.done; i++)
        for (size_t k = 0; k < N_GEN_KINDS && !g->out.done; k++)
            if (g->opt.kind[gen_kinds[k].id])
                gen_kinds[k].month(g, &g->muni[i], m);
}

/* Lines scheduled after the history; true while some remain. */
static bool gen_drain(struct gen *g, int32_t m)
{
    bool more = false;
    for (size_t i = 0; i < g->n_muni && !g->out.done; i++)
        for (size_t k = 0; k < N_GEN_KINDS && !g->out.done; k++)
            if (g->opt.kind[gen_kinds[k].id] &&
                gen_kinds[k].drain(g, &g->muni[i], m))
                more = true;
    return more;
}

int main(int argc, char **argv)
{
    static struct gen g;
    static char outbuf[1 << 16];
    int rc = opts_parse(argc, argv, &g.opt);
    if (rc)
        return rc < 0 ? 2 : 0;
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    g.out.limit = g.opt.count;
    g.out.rate = g.opt.live_rate;
    g.n_muni = g.opt.n_muni;
    g.scale = gen_scale(&g.opt);
    uint32_t hh_key = (uint32_t)mix64(g.opt.seed ^ UINT64_C(0x68682d6b6579));
    uint32_t person_key =
        (uint32_t)mix64(g.opt.seed ^ UINT64_C(0x70732d6b6579));
    for (size_t i = 0; i < g.n_muni; i++) {
        struct muni *mu = &g.muni[i];
        memcpy(mu->code, g.opt.muni[i], sizeof mu->code);
        mu->code_num = strtoull(mu->code, NULL, 10);
        snprintf(mu->source, sizeof mu->source, "gen-%s", mu->code);
        mu->ordinal = (uint32_t)i;
        mu->hh_key = hh_key;
        mu->person_key = person_key;
        ledger_init(&mu->ledger);
        for (size_t k = 0; k < N_GEN_KINDS; k++)
            if (g.opt.kind[gen_kinds[k].id])
                gen_kinds[k].init(&g, mu);
    }

    for (int32_t m = g.opt.from; m <= g.opt.to && !g.out.done; m++)
        gen_block(&g, m);
    if (g.opt.live) {
        out_go_live(&g.out);
        for (int32_t m = g.opt.to + 1; m <= GEN_LIVE_LAST && !g.out.done; m++)
            gen_block(&g, m);
    } else {
        for (int32_t m = g.opt.to + 1; gen_drain(&g, m); m++)
            ;
    }

    rc = 0;
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "nyckel-gen: write to stdout: %s\n", strerror(errno));
        rc = 1;
    }
    for (size_t i = 0; i < g.n_muni; i++)
        for (size_t k = 0; k < N_GEN_KINDS; k++)
            if (g.opt.kind[gen_kinds[k].id])
                gen_kinds[k].fini(&g.muni[i]);
    return rc;
}

/*
 * test_lib_format.c — libnyckel's output formats (nyckel_sub.h): JSON
 * numbers and lines (DESIGN §8), CSV quoting, the Swedish table, slice
 * names, the metric fallback table and year-on-year comparisons (also
 * their wire conversion). Table-driven; expected texts are
 * written out by hand. Every JSON line is also parsed back with jansson,
 * and a negative control shows that this check rejects broken JSON.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "nyckel_sub.h"
/* libnyckel's private wire conversion, for test_wire_comparison */
#include "../../clients/lib/sub_wire.h"

/* ------------------------------------------------------------ helpers */

struct capture {
    FILE *f;
    char *buf;
    size_t len;
};

static void cap_open(struct capture *c)
{
    memset(c, 0, sizeof *c);
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

/* Closes the stream; c->buf holds the text (free with cap_free). */
static const char *cap_text(struct capture *c)
{
    assert_int_equal(fclose(c->f), 0);
    c->f = NULL;
    return c->buf;
}

static void cap_free(struct capture *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* The slice of DESIGN §4's check: 13311 biståndsmånader, 2057 hushåll. */
static const struct nyckel_metric eb_metrics[] = {
    {.id = "paid",
     .label = "utbetalt bistånd, kr",
     .unit = "kr",
     .value = 853.3},
    {.id = "households",
     .label = "biståndshushåll",
     .unit = "count",
     .value = 2057},
    {.id = "household_months",
     .label = "biståndsmånader",
     .unit = "count",
     .value = 13311},
    /* 13311 / 12 = 1109.25 */
    {.id = "households_per_month",
     .label = "hushåll per månad, snitt",
     .unit = "ratio",
     .value = 13311.0 / 12},
    /* 13311 / 2057 = 6.471074380165289... */
    {.id = "avg_months",
     .label = "genomsnittlig biståndstid, mån",
     .unit = "months",
     .value = 13311.0 / 2057},
    {.id = "long_term_share",
     .label = "andel långvarigt",
     .unit = "share",
     .value = 0.25},
    {.id = "temp_housing_share",
     .label = "andel till tillfälligt boende",
     .unit = "share",
     .is_null = 1},
};

static const struct nyckel_dim unit_ekb[] = {{"unit", "ekb"}};
static const struct nyckel_dim setting_regi[] = {{"setting", "institution"},
                                                 {"regi", "extern"}};

static struct nyckel_slice eb_slice(void)
{
    struct nyckel_slice s = {
        .municipality = "0127",
        .domain = "eb",
        .period = "2014",
        .n_metrics = sizeof eb_metrics / sizeof eb_metrics[0],
        .metrics = eb_metrics,
        .seq = 7,
    };
    return s;
}

/* ------------------------------------------------------------ numbers */

struct number_case {
    const char *unit; /* NULL: look up (domain, id) */
    const char *domain;
    const char *id;
    int is_null;
    double value;
    const char *want;
};

static void test_number(void **state)
{
    (void)state;
    static const struct number_case cases[] = {
        /* kr: exactly two decimals */
        {"kr", "eb", "paid", 0, 853.3, "853.30"},
        {"kr", "eb", "paid", 0, 8544000, "8544000.00"},
        {"kr", "eb", "paid", 0, -1234.5, "-1234.50"},
        {"kr", "eb", "paid", 0, -0.001, "0.00"}, /* no "-0.00" */
        {"kr", "eb", "paid", 0, 0.125, "0.12"},  /* 0.125 is exact: even */
        {"kr", "eb", "paid", 0, 1e15, "1e+15"},  /* beyond fixed: shortest */
        /* count: an integer */
        {"count", "eb", "households", 0, 2057, "2057"},
        {"count", "eb", "households", 0, 0, "0"},
        {"count", "eb", "households", 0, -0.0, "0"},
        /* other units: shortest round-trip form */
        {"ratio", "eb", "x", 0, 13311.0 / 12, "1109.25"},
        {"months", "eb", "x", 0, 13311.0 / 2057, "6.471074380165289"},
        {"share", "eb", "x", 0, 0.1, "0.1"},
        {"ratio", "eb", "x", 0, 1.0 / 3, "0.3333333333333333"},    /* 16 */
        {"ratio", "eb", "x", 0, 0.1 + 0.2, "0.30000000000000004"}, /* 17 */
        {"days", "inv", "x", 0, 95, "95"},
        {"share", "eb", "x", 0, 1e-7, "1e-07"},
        {"ratio", "eb", "x", 0, -0.0, "0"},
        {"ratio", "eb", "x", 0, 34.1, "34.1"},
        /* null and never NaN */
        {"kr", "eb", "paid", 1, 0, "null"},
        {"ratio", "eb", "x", 0, NAN, "null"},
        {"ratio", "eb", "x", 0, INFINITY, "null"},
        {"count", "eb", "x", 0, -INFINITY, "null"},
        /* no unit on the wire: DESIGN §4 fallback, else shortest */
        {NULL, "eb", "paid", 0, 853.3, "853.30"},
        {NULL, "pl", "care_days", 0, 12442, "12442"},
        {NULL, NULL, "cost", 0, 8544000, "8544000.00"},
        {NULL, "eb", "no_such_metric", 0, 853.3, "853.3"},
        {"furlongs", "eb", "paid", 0, 853.3, "853.3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct number_case *c = &cases[i];
        struct nyckel_metric m = {.id = c->id,
                                  .unit = c->unit,
                                  .is_null = c->is_null,
                                  .value = c->value};
        char buf[32];
        int n = nyckel_format_number(buf, sizeof buf, &m, c->domain);
        if (n < 0 || strcmp(buf, c->want) != 0)
            fail_msg("case %zu: got '%s' (%d), want '%s'", i, buf, n, c->want);
        assert_int_equal(n, (int)strlen(c->want));
        /* every text is a JSON value */
        json_error_t err;
        json_t *j = json_loads(buf, JSON_DECODE_ANY, &err);
        assert_non_null(j);
        json_decref(j);
    }
}

static void test_number_small_buffer(void **state)
{
    (void)state;
    struct nyckel_metric m = {.id = "paid", .unit = "kr", .value = 853.3};
    char buf[7];
    assert_int_equal(nyckel_format_number(buf, 6, &m, "eb"), -ENOSPC);
    assert_string_equal(buf, "");
    assert_int_equal(nyckel_format_number(buf, 7, &m, "eb"), 6); /* 853.30 */
    assert_string_equal(buf, "853.30");
}

/* ------------------------------------------------------------ names */

static void test_slice_name(void **state)
{
    (void)state;
    struct nyckel_slice s = eb_slice();
    char buf[64];
    assert_int_equal(nyckel_slice_name(&s, buf, sizeof buf), 5);
    assert_string_equal(buf, "total");
    s.dims = unit_ekb;
    s.n_dims = 1;
    assert_int_equal(nyckel_slice_name(&s, buf, sizeof buf), 8);
    assert_string_equal(buf, "unit=ekb");
    s.dims = setting_regi;
    s.n_dims = 2;
    nyckel_slice_name(&s, buf, sizeof buf);
    assert_string_equal(buf, "setting=institution,regi=extern");
    /* too small: truncated, terminated, -ENOSPC */
    assert_int_equal(nyckel_slice_name(&s, buf, 8), -ENOSPC);
    assert_string_equal(buf, "setting");
}

static void test_metric_info(void **state)
{
    (void)state;
    const char *label = NULL, *unit = NULL;
    assert_int_equal(
        nyckel_metric_info("eb", "households_per_month", &label, &unit), 0);
    assert_string_equal(label, "hushåll per månad, snitt");
    assert_string_equal(unit, "ratio");
    assert_int_equal(nyckel_metric_info("pl", "cost", NULL, &unit), 0);
    assert_string_equal(unit, "kr");
    /* "cost" is pl's, not eb's */
    assert_int_equal(nyckel_metric_info("eb", "cost", &label, &unit), -ENOENT);
    assert_null(label);
    assert_null(unit);
}

/* ------------------------------------------------------------ JSON */

static void assert_valid_json_line(const char *line)
{
    json_error_t err;
    json_t *j = json_loads(line, 0, &err);
    if (!j)
        fail_msg("not JSON (%s): %s", err.text, line);
    json_decref(j);
}

static void test_json_line(void **state)
{
    (void)state;
    struct capture c;
    struct nyckel_slice s = eb_slice();
    cap_open(&c);
    assert_int_equal(nyckel_format_json(c.f, &s, 12, "2014-09-01"), 0);
    const char *got = cap_text(&c);
    assert_string_equal(
        got, "{\"municipality\":\"0127\",\"domain\":\"eb\",\"period\":\"2014\","
             "\"slice\":{},\"seq\":12,\"as_of\":\"2014-09-01\",\"metrics\":{"
             "\"paid\":853.30,\"households\":2057,\"household_months\":13311,"
             "\"households_per_month\":1109.25,"
             "\"avg_months\":6.471074380165289,\"long_term_share\":0.25,"
             "\"temp_housing_share\":null}}\n");
    assert_valid_json_line(got);

    /* read back: numbers are the doubles that were written */
    json_t *j = json_loads(got, 0, NULL);
    json_t *m = json_object_get(j, "metrics");
    assert_true(json_real_value(json_object_get(m, "avg_months")) ==
                13311.0 / 2057);
    assert_true(json_is_null(json_object_get(m, "temp_housing_share")));
    assert_int_equal(json_integer_value(json_object_get(m, "households")),
                     2057);
    json_decref(j);
    cap_free(&c);
}

static void test_json_dims_and_escaping(void **state)
{
    (void)state;
    static const struct nyckel_dim dims[] = {
        {"setting", "institution"},
        {"regi", "ex\"t\\ern\n"},
        {"regi", "again"},            /* repeated key: written once */
        {"unit", "bad\xff utf8 åäö"}, /* invalid byte becomes U+FFFD */
    };
    static const struct nyckel_metric ms[] = {
        {.id = "cost", .unit = "kr", .value = 8544000},
        {.id = "cost", .unit = "kr", .value = 1}, /* repeated id: once */
        {.id = "q\"uote", .unit = "count", .value = 3},
    };
    struct nyckel_slice s = {
        .municipality = "0127",
        .domain = "pl",
        .period = "2014-T2",
        .n_dims = 4,
        .dims = dims,
        .n_metrics = 3,
        .metrics = ms,
    };
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_json(c.f, &s, 3, NULL), 0);
    const char *got = cap_text(&c);
    assert_string_equal(
        got, "{\"municipality\":\"0127\",\"domain\":\"pl\",\"period\":"
             "\"2014-T2\",\"slice\":{\"setting\":\"institution\",\"regi\":"
             "\"ex\\\"t\\\\ern\\n\",\"unit\":\"bad\xef\xbf\xbd utf8 åäö\"},"
             "\"seq\":3,\"as_of\":null,\"metrics\":{\"cost\":8544000.00,"
             "\"q\\\"uote\":3}}\n");
    assert_valid_json_line(got);
    cap_free(&c);
}

/* Negative control: the validity check above does reject broken JSON. */
static void test_json_check_can_fail(void **state)
{
    (void)state;
    json_error_t err;
    json_t *j = json_loads("{\"metrics\":{\"paid\":853.30}", 0, &err);
    assert_null(j);
    j = json_loads("{\"metrics\":{\"paid\":nan}}", 0, &err);
    assert_null(j);
}

static void test_json_result(void **state)
{
    (void)state;
    struct nyckel_slice slices[2] = {eb_slice(), eb_slice()};
    slices[1].dims = unit_ekb;
    slices[1].n_dims = 1;
    struct nyckel_result r = {.protocol = 1,
                              .seq = 99,
                              .as_of = "2014-09-01",
                              .n_slices = 2,
                              .slices = slices};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_json_result(c.f, &r), 0);
    const char *got = cap_text(&c);
    const char *nl = strchr(got, '\n');
    assert_non_null(nl);
    assert_non_null(strstr(nl + 1, "\"slice\":{\"unit\":\"ekb\"},\"seq\":99,"));
    assert_string_equal(strchr(nl + 1, '\n'), "\n"); /* two lines exactly */
    cap_free(&c);
}

/* ------------------------------------------------------------ CSV */

static void test_csv(void **state)
{
    (void)state;
    static const struct nyckel_metric pl_ms[] = {
        {.id = "care_days", .unit = "count", .value = 12442},
        /* 12442 / 365 = 34.087671232876716... */
        {.id = "annual_placements", .unit = "ratio", .value = 12442.0 / 365},
        {.id = "cost", .unit = "kr", .value = 8544000},
    };
    static const struct nyckel_metric eb_ms[] = {
        {.id = "paid", .unit = "kr", .value = 853.3},
        {.id = "cost", .unit = "kr", .is_null = 1},
    };
    static const struct nyckel_dim odd[] = {{"unit", "a \"b\"\nc"}};
    struct nyckel_slice slices[3] = {
        {.municipality = "0127",
         .domain = "pl",
         .period = "2014",
         .n_dims = 2,
         .dims = setting_regi,
         .n_metrics = 3,
         .metrics = pl_ms},
        {.municipality = "0127",
         .domain = "eb",
         .period = "2014",
         .n_metrics = 2,
         .metrics = eb_ms},
        {.municipality = "0127",
         .domain = "eb",
         .period = "2014",
         .n_dims = 1,
         .dims = odd,
         .n_metrics = 1,
         .metrics = eb_ms},
    };
    struct nyckel_result r = {
        .seq = 5, .as_of = "2014-09-01", .n_slices = 3, .slices = slices};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_csv(c.f, &r), 0);
    assert_string_equal(
        cap_text(&c),
        "municipality,domain,period,slice,seq,as_of,care_days,"
        "annual_placements,cost,paid\n"
        "0127,pl,2014,\"setting=institution,regi=extern\",5,2014-09-01,"
        "12442,34.087671232876716,8544000.00,\n"
        "0127,eb,2014,total,5,2014-09-01,,,,853.30\n"
        "0127,eb,2014,\"unit=a \"\"b\"\"\nc\",5,2014-09-01,,,,853.30\n");
    cap_free(&c);
}

/* A quote alone (no comma, no line break) also forces quoting. */
static void test_csv_quote_only(void **state)
{
    (void)state;
    static const struct nyckel_metric ms[] = {
        {.id = "a\"b", .unit = "count", .value = 1}};
    static const struct nyckel_dim dims[] = {{"unit", "x\"y"}};
    struct nyckel_slice s = {.municipality = "0127",
                             .domain = "eb",
                             .period = "2014",
                             .n_dims = 1,
                             .dims = dims,
                             .n_metrics = 1,
                             .metrics = ms};
    struct nyckel_result r = {
        .seq = 1, .as_of = "2014-09-01", .n_slices = 1, .slices = &s};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_csv(c.f, &r), 0);
    assert_string_equal(
        cap_text(&c), "municipality,domain,period,slice,seq,as_of,\"a\"\"b\"\n"
                      "0127,eb,2014,\"unit=x\"\"y\",1,2014-09-01,1\n");
    cap_free(&c);
}

/* A suppressed value is an empty cell like a null one; a last column,
 * there only when something is suppressed, names which are. */
static void test_csv_suppressed(void **state)
{
    (void)state;
    static const struct nyckel_metric few[] = {
        {.id = "paid", .unit = "kr", .is_null = 1, .status = "suppressed"},
        {.id = "households",
         .unit = "count",
         .is_null = 1,
         .status = "suppressed"},
        {.id = "temp_housing_share",
         .unit = "share",
         .is_null = 1,
         .status = "null"},
    };
    static const struct nyckel_metric many[] = {
        {.id = "paid", .unit = "kr", .value = 600, .status = "ok"},
        {.id = "households", .unit = "count", .value = 6, .status = "ok"},
        {.id = "temp_housing_share",
         .unit = "share",
         .is_null = 1,
         .status = "null"},
    };
    static const struct nyckel_dim ekb[] = {{"unit", "ekb"}};
    static const struct nyckel_dim soc[] = {{"unit", "soc"}};
    struct nyckel_slice slices[2] = {
        {.municipality = "0127",
         .domain = "eb",
         .period = "2014",
         .n_dims = 1,
         .dims = ekb,
         .n_metrics = 3,
         .metrics = few},
        {.municipality = "0127",
         .domain = "eb",
         .period = "2014",
         .n_dims = 1,
         .dims = soc,
         .n_metrics = 3,
         .metrics = many},
    };
    struct nyckel_result r = {
        .seq = 7, .as_of = "2014-09-01", .n_slices = 2, .slices = slices};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_csv(c.f, &r), 0);
    assert_string_equal(
        cap_text(&c),
        "municipality,domain,period,slice,seq,as_of,paid,households,"
        "temp_housing_share,suppressed\n"
        "0127,eb,2014,unit=ekb,7,2014-09-01,,,,paid;households\n"
        "0127,eb,2014,unit=soc,7,2014-09-01,600.00,6,,\n");
    cap_free(&c);

    /* nothing suppressed: no such column */
    r.n_slices = 1;
    r.slices = &slices[1];
    cap_open(&c);
    assert_int_equal(nyckel_format_csv(c.f, &r), 0);
    assert_string_equal(cap_text(&c),
                        "municipality,domain,period,slice,seq,as_of,paid,"
                        "households,temp_housing_share\n"
                        "0127,eb,2014,unit=soc,7,2014-09-01,600.00,6,\n");
    cap_free(&c);
}

/* ------------------------------------------------------------ comparison */

/* A compared slice (Query.compare_previous_year): previous in the order
 * received, change_pct matched to it. */
static const struct nyckel_metric cmp_metrics[] = {
    {.id = "paid", .unit = "kr", .value = 853.3},
    {.id = "households", .unit = "count", .value = 2057},
    {.id = "avg_months", .unit = "months", .value = 13311.0 / 2057},
    {.id = "temp_housing_share", .unit = "share", .is_null = 1},
};
static const struct nyckel_metric cmp_previous[] = {
    {.id = "paid", .unit = "kr", .value = 760},
    {.id = "households", .value = 1834}, /* no unit: the metric's count */
    {.id = "avg_months", .unit = "months", .value = 0},
    {.id = "temp_housing_share", .unit = "share", .is_null = 1},
};
static const struct nyckel_metric cmp_change[] = {
    {.id = "paid", .value = 500.0 / 41}, /* kr, yet no two decimals */
    {.id = "households", .value = -2.5},
    {.id = "avg_months", .is_null = 1}, /* earlier value 0 */
    {.id = "temp_housing_share", .is_null = 1},
};

static struct nyckel_slice cmp_slice(void)
{
    struct nyckel_slice s = {
        .municipality = "0127",
        .domain = "eb",
        .period = "2014",
        .n_metrics = 4,
        .metrics = cmp_metrics,
        .seq = 7,
        .n_previous = 4,
        .previous = cmp_previous,
        .change_pct = cmp_change,
    };
    return s;
}

struct json_cmp_case {
    const char *name;
    size_t n_previous; /* of cmp_previous / cmp_change */
    const char *want;
};

static void test_json_compared(void **state)
{
    (void)state;
    /* clang-format off */
    static const struct json_cmp_case cases[] = {
        {"compared", 4,
         "{\"municipality\":\"0127\",\"domain\":\"eb\",\"period\":\"2014\","
         "\"slice\":{},\"seq\":12,\"as_of\":\"2015-06-01\",\"metrics\":{"
         "\"paid\":853.30,\"households\":2057,"
         "\"avg_months\":6.471074380165289,\"temp_housing_share\":null},"
         "\"previous\":{\"paid\":760.00,\"households\":1834,\"avg_months\":0,"
         "\"temp_housing_share\":null},"
         "\"change_pct\":{\"paid\":12.195121951219512,\"households\":-2.5,"
         "\"avg_months\":null,\"temp_housing_share\":null}}\n"},
        {"first two compared", 2,
         "{\"municipality\":\"0127\",\"domain\":\"eb\",\"period\":\"2014\","
         "\"slice\":{},\"seq\":12,\"as_of\":\"2015-06-01\",\"metrics\":{"
         "\"paid\":853.30,\"households\":2057,"
         "\"avg_months\":6.471074380165289,\"temp_housing_share\":null},"
         "\"previous\":{\"paid\":760.00,\"households\":1834},"
         "\"change_pct\":{\"paid\":12.195121951219512,\"households\":-2.5}}\n"},
        {"not compared: no keys", 0,
         "{\"municipality\":\"0127\",\"domain\":\"eb\",\"period\":\"2014\","
         "\"slice\":{},\"seq\":12,\"as_of\":\"2015-06-01\",\"metrics\":{"
         "\"paid\":853.30,\"households\":2057,"
         "\"avg_months\":6.471074380165289,\"temp_housing_share\":null}}\n"},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nyckel_slice s = cmp_slice();
        s.n_previous = cases[i].n_previous;
        struct capture c;
        cap_open(&c);
        assert_int_equal(nyckel_format_json(c.f, &s, 12, "2015-06-01"), 0);
        const char *got = cap_text(&c);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %s:\n got  %s want %s", cases[i].name, got,
                     cases[i].want);
        assert_valid_json_line(got);
        cap_free(&c);
    }

    /* read back: the change is the double that was sent */
    struct nyckel_slice s = cmp_slice();
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_json(c.f, &s, 1, "x"), 0);
    json_t *j = json_loads(cap_text(&c), 0, NULL);
    json_t *chg = json_object_get(j, "change_pct");
    assert_true(json_real_value(json_object_get(chg, "paid")) == 500.0 / 41);
    assert_true(json_is_null(json_object_get(chg, "avg_months")));
    json_decref(j);
    cap_free(&c);
}

/* A repeated id in previous is written once, like in metrics. */
static void test_json_compared_repeated(void **state)
{
    (void)state;
    static const struct nyckel_metric ms[] = {
        {.id = "care_days", .unit = "count", .value = 10}};
    static const struct nyckel_metric prev[] = {
        {.id = "care_days", .unit = "count", .value = 8},
        {.id = "care_days", .unit = "count", .value = 99},
    };
    static const struct nyckel_metric chg[] = {
        {.id = "care_days", .value = 25},
        {.id = "care_days", .value = -90},
    };
    struct nyckel_slice s = {.municipality = "0127",
                             .domain = "pl",
                             .period = "2014-T2",
                             .n_metrics = 1,
                             .metrics = ms,
                             .n_previous = 2,
                             .previous = prev,
                             .change_pct = chg};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_json(c.f, &s, 3, "2014-09-01"), 0);
    assert_string_equal(
        cap_text(&c),
        "{\"municipality\":\"0127\",\"domain\":\"pl\",\"period\":\"2014-T2\","
        "\"slice\":{},\"seq\":3,\"as_of\":\"2014-09-01\",\"metrics\":{"
        "\"care_days\":10},\"previous\":{\"care_days\":8},"
        "\"change_pct\":{\"care_days\":25}}\n");
    cap_free(&c);
}

struct csv_cmp_case {
    const char *name;
    size_t n_slices; /* of the three below */
    const char *want;
};

static void test_csv_compared(void **state)
{
    (void)state;
    static const struct nyckel_metric ekb_ms[] = {
        {.id = "paid", .unit = "kr", .value = 100},
        {.id = "households", .unit = "count", .value = 3},
    };
    static const struct nyckel_metric ekb_prev[] = {
        {.id = "households", .unit = "count", .value = 0},
        {.id = "paid", .unit = "kr", .value = 80},
    };
    static const struct nyckel_metric ekb_chg[] = {
        {.id = "households", .is_null = 1}, /* from 0 */
        {.id = "paid", .value = 25},
    };
    struct nyckel_slice slices[3] = {cmp_slice(), cmp_slice(), cmp_slice()};
    slices[1].dims = unit_ekb;
    slices[1].n_dims = 1;
    slices[1].n_metrics = 2;
    slices[1].metrics = ekb_ms;
    slices[1].n_previous = 2;
    slices[1].previous = ekb_prev;
    slices[1].change_pct = ekb_chg;
    slices[2].dims = setting_regi; /* not compared: empty cells */
    slices[2].n_dims = 2;
    slices[2].n_previous = 0;

    /* clang-format off */
    static const struct csv_cmp_case cases[] = {
        {"one compared slice", 1,
         "municipality,domain,period,slice,seq,as_of,paid,households,"
         "avg_months,temp_housing_share,prev_paid,change_pct_paid,"
         "prev_households,change_pct_households,prev_avg_months,"
         "change_pct_avg_months,prev_temp_housing_share,"
         "change_pct_temp_housing_share\n"
         "0127,eb,2014,total,5,2015-06-01,853.30,2057,6.471074380165289,,"
         "760.00,12.195121951219512,1834,-2.5,0,,,\n"},
        {"other order, null change, uncompared slice", 3,
         "municipality,domain,period,slice,seq,as_of,paid,households,"
         "avg_months,temp_housing_share,prev_paid,change_pct_paid,"
         "prev_households,change_pct_households,prev_avg_months,"
         "change_pct_avg_months,prev_temp_housing_share,"
         "change_pct_temp_housing_share\n"
         "0127,eb,2014,total,5,2015-06-01,853.30,2057,6.471074380165289,,"
         "760.00,12.195121951219512,1834,-2.5,0,,,\n"
         "0127,eb,2014,unit=ekb,5,2015-06-01,100.00,3,,,80.00,25,0,,,,,\n"
         "0127,eb,2014,\"setting=institution,regi=extern\",5,2015-06-01,"
         "853.30,2057,6.471074380165289,,,,,,,,,\n"},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nyckel_result r = {.seq = 5,
                                  .as_of = "2015-06-01",
                                  .n_slices = cases[i].n_slices,
                                  .slices = slices};
        struct capture c;
        cap_open(&c);
        assert_int_equal(nyckel_format_csv(c.f, &r), 0);
        const char *got = cap_text(&c);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %s:\ngot:\n%swant:\n%s", cases[i].name, got,
                     cases[i].want);
        cap_free(&c);
    }

    /* no slice compared: the header stays as it was */
    struct nyckel_result r = {
        .seq = 5, .as_of = "2015-06-01", .n_slices = 1, .slices = &slices[2]};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_csv(c.f, &r), 0);
    assert_string_equal(cap_text(&c),
                        "municipality,domain,period,slice,seq,as_of,paid,"
                        "households,avg_months,temp_housing_share\n"
                        "0127,eb,2014,\"setting=institution,regi=extern\",5,"
                        "2015-06-01,853.30,2057,6.471074380165289,\n");
    cap_free(&c);
}

static void test_table_compared(void **state)
{
    (void)state;
    struct nyckel_slice slices[2] = {cmp_slice(), cmp_slice()};
    slices[1].dims = unit_ekb;
    slices[1].n_dims = 1;
    slices[1].n_previous = 1; /* only paid compared */
    struct nyckel_result r = {
        .seq = 12, .as_of = "2015-06-01", .n_slices = 2, .slices = slices};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_table(c.f, &r, NYCKEL_FORMAT_SEQ_ROW), 0);
    /* clang-format off */
    static const char want[] =
        "kommun 0127  period 2014  as_of 2015-06-01  seq 12\n"
        "\n"
        "eb                  ekonomiskt bistånd                  total       2013  förändring     unit=ekb       2013  förändring\n"
        "paid                utbetalt bistånd, kr            853,30 kr  760,00 kr     +12,2 %    853,30 kr  760,00 kr     +12,2 %\n"
        "households          biståndshushåll                     2 057      1 834      -2,5 %        2 057                       \n"
        "avg_months          genomsnittlig biståndstid, mån   6,47 mån   0,00 mån           –     6,47 mån                       \n"
        "temp_housing_share  andel till tillfälligt boende           –          –           –            –                       \n"
        "seq                 senaste ändring                         7                                   7                       \n";
    /* clang-format on */
    const char *got = cap_text(&c);
    if (strcmp(got, want) != 0)
        fail_msg("got:\n%swant:\n%s", got, want);
    cap_free(&c);

    static const struct {
        double value;
        int is_null;
        const char *want;
    } changes[] = {
        {500.0 / 41, 0, "+12,2 %"}, {-2.5, 0, "-2,5 %"},
        {0.04, 0, "0,0 %"},         {-0.04, 0, "0,0 %"},
        {1234.56, 0, "+1 234,6 %"}, {0, 1, "-"}, /* ASCII null */
    };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        struct nyckel_metric m = {.id = "x", .label = "x", .unit = "count"};
        struct nyckel_metric chg = {.id = "x",
                                    .value = changes[i].value,
                                    .is_null = changes[i].is_null};
        struct nyckel_slice s = {.domain = "eb",
                                 .period = "2014-T2",
                                 .n_metrics = 1,
                                 .metrics = &m,
                                 .n_previous = 1,
                                 .previous = &m,
                                 .change_pct = &chg};
        struct nyckel_result one = {.n_slices = 1, .slices = &s};
        cap_open(&c);
        assert_int_equal(
            nyckel_format_table(c.f, &one,
                                NYCKEL_FORMAT_NO_HEADER | NYCKEL_FORMAT_ASCII),
            0);
        got = cap_text(&c);
        /* the previous column is headed by the period a year earlier */
        if (!strstr(got, "2013-T2  förändring\n"))
            fail_msg("case %zu: no heading in:\n%s", i, got);
        /* the change is the last column */
        char tail[32];
        snprintf(tail, sizeof tail, " %s\n", changes[i].want);
        size_t got_len = strlen(got), tail_len = strlen(tail);
        if (got_len < tail_len || strcmp(got + got_len - tail_len, tail) != 0)
            fail_msg("case %zu: want '%s' last in:\n%s", i, changes[i].want,
                     got);
        cap_free(&c);
    }
}

/* libnyckel's wire conversion: previous as received, change_pct matched
 * to it by id whatever its order; one not sent, or sent without a value,
 * is null; everything freed with the slice (ASan in `make check`). */
static void test_wire_comparison(void **state)
{
    (void)state;
    /* protobuf-c's strings are char *; the conversion only reads them */
    Nyckel__Metric m = NYCKEL__METRIC__INIT;
    m.id = (char *)"paid";
    m.unit = (char *)"kr";
    m.has_value = 1;
    m.value = 853.3;
    Nyckel__Metric p[3] = {NYCKEL__METRIC__INIT, NYCKEL__METRIC__INIT,
                           NYCKEL__METRIC__INIT};
    p[0].id = (char *)"paid";
    p[0].unit = (char *)"kr";
    p[0].has_value = 1;
    p[0].value = 760;
    p[1].id = (char *)"households";
    p[1].has_value = 1;
    p[1].value = 0;
    p[2].id = (char *)"avg_months"; /* null */
    Nyckel__Metric ch[3] = {NYCKEL__METRIC__INIT, NYCKEL__METRIC__INIT,
                            NYCKEL__METRIC__INIT};
    ch[0].id = (char *)"households"; /* sent without value: null */
    ch[1].id = (char *)"paid";
    ch[1].has_value = 1;
    ch[1].value = 500.0 / 41;
    ch[2].id = (char *)"no_previous"; /* no previous of that id: dropped */
    ch[2].has_value = 1;
    ch[2].value = 1;
    Nyckel__Metric *mp[] = {&m};
    Nyckel__Metric *pp[] = {&p[0], &p[1], &p[2]};
    Nyckel__Metric *cp[] = {&ch[0], &ch[1], &ch[2]};
    Nyckel__Slice src = NYCKEL__SLICE__INIT;
    src.municipality = (char *)"0127";
    src.domain = (char *)"eb";
    src.period = (char *)"2014";
    src.n_metrics = 1;
    src.metrics = mp;
    src.n_previous = 3;
    src.previous = pp;
    src.n_change_pct = 3;
    src.change_pct = cp;

    struct nyckel_slice s;
    sub_wire_slice_from_pb(&s, &src);
    assert_int_equal(s.n_previous, 3);
    assert_string_equal(s.previous[0].id, "paid");
    assert_string_equal(s.previous[0].unit, "kr");
    assert_true(s.previous[0].value == 760);
    assert_string_equal(s.previous[1].id, "households");
    assert_null(s.previous[1].unit);
    assert_false(s.previous[1].is_null);
    assert_true(s.previous[2].is_null);
    assert_string_equal(s.change_pct[0].id, "paid");
    assert_false(s.change_pct[0].is_null);
    assert_true(s.change_pct[0].value == 500.0 / 41);
    assert_string_equal(s.change_pct[1].id, "households");
    assert_true(s.change_pct[1].is_null);
    assert_string_equal(s.change_pct[2].id, "avg_months");
    assert_true(s.change_pct[2].is_null);
    sub_wire_slice_fini(&s);
    assert_int_equal(s.n_previous, 0);
    assert_null(s.previous);

    /* no comparison sent: none held */
    src.n_previous = 0;
    src.n_change_pct = 0;
    sub_wire_slice_from_pb(&s, &src);
    assert_int_equal(s.n_previous, 0);
    assert_null(s.previous);
    assert_null(s.change_pct);
    sub_wire_slice_fini(&s);
}

/* ------------------------------------------------------------ table */

static void test_table(void **state)
{
    (void)state;
    struct nyckel_slice slices[2] = {eb_slice(), eb_slice()};
    slices[1].dims = unit_ekb;
    slices[1].n_dims = 1;
    struct nyckel_result r = {
        .seq = 12, .as_of = "2014-09-01", .n_slices = 2, .slices = slices};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_table(c.f, &r, NYCKEL_FORMAT_SEQ_ROW), 0);
    const char *got = cap_text(&c);
    /* Columns right-aligned to the widest cell ("853,30 kr"); labels
     * counted in characters, not bytes (å, ä, ö, –). */
    /* clang-format off */
    static const char want[] =
        "kommun 0127  period 2014  as_of 2014-09-01  seq 12\n"
        "\n"
        "eb                    ekonomiskt bistånd                  total   unit=ekb\n"
        "paid                  utbetalt bistånd, kr            853,30 kr  853,30 kr\n"
        "households            biståndshushåll                     2 057      2 057\n"
        "household_months      biståndsmånader                    13 311     13 311\n"
        "households_per_month  hushåll per månad, snitt         1 109,25   1 109,25\n"
        "avg_months            genomsnittlig biståndstid, mån   6,47 mån   6,47 mån\n"
        "long_term_share       andel långvarigt                   25,0 %     25,0 %\n"
        "temp_housing_share    andel till tillfälligt boende           –          –\n"
        "seq                   senaste ändring                         7          7\n";
    /* clang-format on */
    assert_string_equal(got, want);
    cap_free(&c);

    struct nyckel_result empty = {.seq = 1, .as_of = ""};
    cap_open(&c);
    assert_int_equal(nyckel_format_table(c.f, &empty, NYCKEL_FORMAT_ASCII), 0);
    assert_string_equal(
        cap_text(&c), "kommun –  period –  as_of –  seq 1\n\n(inga värden)\n");
    cap_free(&c);
}

/* Two domains, two periods: one block per domain in order of first
 * appearance, columns named by period; units from DESIGN §4 when the
 * message carried none. */
static void test_table_domains(void **state)
{
    (void)state;
    static const struct nyckel_metric eb[] = {
        {.id = "paid", .unit = "kr", .value = 1.5},
        {.id = "households", .value = 3},
    };
    static const struct nyckel_metric pl[] = {
        {.id = "care_days", .value = 12442},
        {.id = "external_cost_share", .value = 0.4567},
    };
    struct nyckel_slice s[3] = {
        {.municipality = "0127",
         .domain = "eb",
         .period = "2014-01",
         .n_metrics = 2,
         .metrics = eb},
        {.municipality = "0127",
         .domain = "pl",
         .period = "2014-01",
         .n_metrics = 2,
         .metrics = pl},
        {.municipality = "0127",
         .domain = "eb",
         .period = "2014-02",
         .n_metrics = 2,
         .metrics = eb},
    };
    struct nyckel_result r = {
        .seq = 9, .as_of = "2014-03-01", .n_slices = 3, .slices = s};
    struct capture c;
    cap_open(&c);
    assert_int_equal(nyckel_format_table(c.f, &r, 0), 0);
    assert_string_equal(
        cap_text(&c),
        "kommun 0127  period 2014-01, 2014-02  as_of 2014-03-01  seq 9\n"
        "\n"
        "eb          ekonomiskt bistånd    2014-01 total  2014-02 total\n"
        "paid        utbetalt bistånd, kr        1,50 kr        1,50 kr\n"
        "households  biståndshushåll                   3              3\n"
        "\n"
        "pl                   placeringar, vård utanför hemmet  2014-01 total\n"
        "care_days            vårddygn                                 12 442\n"
        "external_cost_share  andel extern kostnad                     45,7 "
        "%\n");
    cap_free(&c);
}

static void test_table_values(void **state)
{
    (void)state;
    static const struct {
        const char *unit;
        double value;
        const char *want;
    } cases[] = {
        {"kr", 8544000, "8 544 000,00 kr"},
        {"kr", -1234567.891, "-1 234 567,89 kr"},
        {"kr", 999, "999,00 kr"},
        {"count", 12442, "12 442"},
        {"count", 100000, "100 000"},
        {"share", 0.341, "34,1 %"},
        {"days", 95.34, "95,3 d"},
        {"ratio", 34.087671, "34,09"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nyckel_metric m = {.id = "x",
                                  .label = "x",
                                  .unit = cases[i].unit,
                                  .value = cases[i].value};
        struct nyckel_slice s = {.municipality = "0127",
                                 .domain = "pl",
                                 .period = "2014",
                                 .n_metrics = 1,
                                 .metrics = &m};
        struct nyckel_result r = {.n_slices = 1, .slices = &s};
        struct capture c;
        cap_open(&c);
        assert_int_equal(nyckel_format_table(c.f, &r, NYCKEL_FORMAT_NO_HEADER),
                         0);
        const char *got = cap_text(&c);
        if (!strstr(got, cases[i].want))
            fail_msg("case %zu: want '%s' in:\n%s", i, cases[i].want, got);
        cap_free(&c);
    }
}

/* ------------------------------------------------------------ errors */

static void test_output_failure(void **state)
{
    (void)state;
    FILE *ro = fopen("/dev/null", "r"); /* writes fail */
    assert_non_null(ro);
    struct nyckel_slice s = eb_slice();
    struct nyckel_result r = {
        .seq = 1, .as_of = "2014-09-01", .n_slices = 1, .slices = &s};
    setvbuf(ro, NULL, _IONBF, 0);
    assert_int_equal(nyckel_format_json(ro, &s, 1, "x"), -EIO);
    assert_int_equal(nyckel_format_csv(ro, &r), -EIO);
    assert_int_equal(nyckel_format_table(ro, &r, 0), -EIO);
    fclose(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_number_small_buffer),
        cmocka_unit_test(test_slice_name),
        cmocka_unit_test(test_metric_info),
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_json_dims_and_escaping),
        cmocka_unit_test(test_json_check_can_fail),
        cmocka_unit_test(test_json_result),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_quote_only),
        cmocka_unit_test(test_csv_suppressed),
        cmocka_unit_test(test_json_compared),
        cmocka_unit_test(test_json_compared_repeated),
        cmocka_unit_test(test_csv_compared),
        cmocka_unit_test(test_table_compared),
        cmocka_unit_test(test_wire_comparison),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_domains),
        cmocka_unit_test(test_table_values),
        cmocka_unit_test(test_output_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_stats.c — nyckeld's self-metrics (stats.h): the Prometheus text
 * of known values line by line, the histogram's cumulative buckets and
 * where a commit time falls, label values escaped, the subscription
 * gauge that never goes below 0, and a batch's counts landing in the
 * right counters. The HTTP endpoint and the counts of a real push are
 * tests/it/metrics.sh.
 */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

/* stats_render(v) as a malloc'd string. */
static char *render(const struct stats_values *v)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(stats_render(out, v), 0);
    assert_int_equal(fclose(out), 0);
    return text;
}

/* True when text has line as a whole line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

/* Known values: every row below must be a line of the exposition. */
static void test_render_lines(void **state)
{
    (void)state;
    struct stats_values v;
    memset(&v, 0, sizeof(v));
    v.version = "0.1.0";
    v.start_time_s = 1700000000.25;
    v.uptime_s = 12.5;
    v.events_received = 6;
    v.events[STATS_ACCEPTED] = 3;
    v.events[STATS_DUPLICATE] = 1;
    v.events[STATS_REJECTED] = 2;
    v.rejected[REASON_BAD_DATE] = 1;
    v.rejected[REASON_FORBIDDEN_MUNICIPALITY] = 1;
    v.batches_accepted = 2;
    v.batches_refused[STATS_REFUSED_STORAGE_FULL] = 4;
    v.batches_refused[STATS_REFUSED_TOO_MANY_EVENTS] = 1;
    v.seq = 8148;
    v.map_bytes = 16777216;       /* 16 MiB */
    v.used_bytes = 94208;         /* 23 pages of 4096 */
    v.max_bytes = 68719476736ULL; /* 64 GiB */
    v.subscriptions = 3;
    v.handshakes_refused = 7;
    char *t = render(&v);

    static const char *const lines[] = {
        "# HELP nyckel_build_info nyckeld's version as a label; the value "
        "is always 1.",
        "# TYPE nyckel_build_info gauge",
        "nyckel_build_info{version=\"0.1.0\"} 1",
        "# TYPE nyckel_start_time_seconds gauge",
        "nyckel_start_time_seconds 1700000000.25",
        "nyckel_uptime_seconds 12.5",
        "# TYPE nyckel_events_received_total counter",
        "nyckel_events_received_total 6",
        "# TYPE nyckel_events_total counter",
        "nyckel_events_total{status=\"accepted\"} 3",
        "nyckel_events_total{status=\"duplicate\"} 1",
        "nyckel_events_total{status=\"stale\"} 0",
        "nyckel_events_total{status=\"rejected\"} 2",
        "# TYPE nyckel_events_rejected_total counter",
        "nyckel_events_rejected_total{reason=\"missing_field\"} 0",
        "nyckel_events_rejected_total{reason=\"bad_date\"} 1",
        "nyckel_events_rejected_total{reason=\"forbidden_municipality\"} 1",
        "# TYPE nyckel_batches_accepted_total counter",
        "nyckel_batches_accepted_total 2",
        "# TYPE nyckel_batches_refused_total counter",
        "nyckel_batches_refused_total{reason=\"malformed\"} 0",
        "nyckel_batches_refused_total{reason=\"too_many_events\"} 1",
        "nyckel_batches_refused_total{reason=\"storage_full\"} 4",
        "nyckel_batches_refused_total{reason=\"internal\"} 0",
        "# TYPE nyckel_batch_commit_seconds histogram",
        "nyckel_batch_commit_seconds_bucket{le=\"+Inf\"} 0",
        "nyckel_batch_commit_seconds_sum 0",
        "nyckel_batch_commit_seconds_count 0",
        "# TYPE nyckel_sequence gauge",
        "nyckel_sequence 8148",
        "nyckel_store_map_size_bytes 16777216",
        "nyckel_store_used_bytes 94208",
        "nyckel_store_max_size_bytes 68719476736",
        "# TYPE nyckel_subscriptions gauge",
        "nyckel_subscriptions 3",
        "# TYPE nyckel_handshakes_refused_total counter",
        "nyckel_handshakes_refused_total 7",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (!has_line(t, lines[i]))
            fail_msg("missing line: %s\n--- got:\n%s", lines[i], t);
    /* "ok" is not a reason: REASON_OK is never listed */
    assert_null(strstr(t, "reason=\"ok\""));
    /* a negative control of has_line: a prefix is not a line */
    assert_false(has_line(t, "nyckel_sequence 814"));
    free(t);
}

/* Every sample line belongs to the family of the # TYPE above it, and
 * every family has its # HELP first: the shape promtool checks. */
static void test_render_shape(void **state)
{
    (void)state;
    struct stats_values v;
    memset(&v, 0, sizeof(v));
    v.version = "x";
    char *t = render(&v), *save = NULL;
    char family[128] = "", helped[128] = "";
    size_t samples = 0, families = 0;
    for (char *line = strtok_r(t, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128], type[32];
        if (sscanf(line, "# HELP %127s", name) == 1) {
            snprintf(helped, sizeof(helped), "%s", name);
        } else if (sscanf(line, "# TYPE %127s %31s", name, type) == 2) {
            assert_string_equal(name, helped);
            snprintf(family, sizeof(family), "%s", name);
            families++;
        } else {
            size_t n = strlen(family);
            assert_true(n > 0);
            assert_memory_equal(line, family, n);
            const char *rest = line + n;
            if (strncmp(rest, "_bucket", 7) == 0)
                rest += 7;
            else if (strncmp(rest, "_sum", 4) == 0)
                rest += 4;
            else if (strncmp(rest, "_count", 6) == 0)
                rest += 6;
            assert_true(*rest == ' ' || *rest == '{');
            samples++;
        }
    }
    /* build_info, start, uptime, received, events, rejected, batches
     * accepted, refused, commit histogram, sequence, map, used, max,
     * subscriptions, handshakes = 15 */
    assert_int_equal(families, 15);
    /* 4 (build_info .. received) + 4 statuses + 18 reasons + 1 + 7
     * refusals + (8 + 1 buckets + sum + count = 11) + 6 = 51 */
    assert_int_equal(samples, 51);
    free(t);
}

struct histogram_case {
    uint64_t bucket[STATS_COMMIT_BUCKETS]; /* not cumulative */
    uint64_t count;
    double sum;
    const char *lines[STATS_COMMIT_BUCKETS + 3]; /* cumulative, +Inf,
                                                    sum, count */
};

static const struct histogram_case histogram_cases[] = {
    /* 1 + 2 = 3 by 0.005; 3 + 0 ... = 3; + 1 = 4 by 5; + 1 over 5 s =
     * 5 in all: +Inf equals the count */
    {{1, 2, 0, 0, 0, 0, 0, 1},
     5,
     6.5,
     {"nyckel_batch_commit_seconds_bucket{le=\"0.001\"} 1",
      "nyckel_batch_commit_seconds_bucket{le=\"0.005\"} 3",
      "nyckel_batch_commit_seconds_bucket{le=\"0.01\"} 3",
      "nyckel_batch_commit_seconds_bucket{le=\"0.05\"} 3",
      "nyckel_batch_commit_seconds_bucket{le=\"0.1\"} 3",
      "nyckel_batch_commit_seconds_bucket{le=\"0.5\"} 3",
      "nyckel_batch_commit_seconds_bucket{le=\"1\"} 3",
      "nyckel_batch_commit_seconds_bucket{le=\"5\"} 4",
      "nyckel_batch_commit_seconds_bucket{le=\"+Inf\"} 5",
      "nyckel_batch_commit_seconds_sum 6.5",
      "nyckel_batch_commit_seconds_count 5"}},
    /* one in each bucket: 1, 2, ..., 8 cumulative, none above 5 s; the
     * sum is printed as given */
    {{1, 1, 1, 1, 1, 1, 1, 1},
     8,
     0.0125,
     {"nyckel_batch_commit_seconds_bucket{le=\"0.001\"} 1",
      "nyckel_batch_commit_seconds_bucket{le=\"0.005\"} 2",
      "nyckel_batch_commit_seconds_bucket{le=\"0.01\"} 3",
      "nyckel_batch_commit_seconds_bucket{le=\"0.05\"} 4",
      "nyckel_batch_commit_seconds_bucket{le=\"0.1\"} 5",
      "nyckel_batch_commit_seconds_bucket{le=\"0.5\"} 6",
      "nyckel_batch_commit_seconds_bucket{le=\"1\"} 7",
      "nyckel_batch_commit_seconds_bucket{le=\"5\"} 8",
      "nyckel_batch_commit_seconds_bucket{le=\"+Inf\"} 8",
      "nyckel_batch_commit_seconds_sum 0.0125",
      "nyckel_batch_commit_seconds_count 8"}},
};

static void test_render_histogram(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(histogram_cases) / sizeof(*histogram_cases);
         c++) {
        const struct histogram_case *h = &histogram_cases[c];
        struct stats_values v;
        memset(&v, 0, sizeof(v));
        v.version = "x";
        memcpy(v.commit_bucket, h->bucket, sizeof(v.commit_bucket));
        v.commit_count = h->count;
        v.commit_seconds_sum = h->sum;
        char *t = render(&v);
        /* the rows in this order, one after another */
        const char *p = strstr(t, h->lines[0]);
        assert_non_null(p);
        for (size_t i = 0; i < sizeof(h->lines) / sizeof(*h->lines); i++) {
            size_t n = strlen(h->lines[i]);
            if (strncmp(p, h->lines[i], n) != 0 || p[n] != '\n')
                fail_msg("case %zu row %zu: want %s, got %.80s", c, i,
                         h->lines[i], p);
            p += n + 1;
        }
        free(t);
    }
}

struct escape_case {
    const char *version; /* a label value */
    const char *line;    /* its sample line */
};

static const struct escape_case escape_cases[] = {
    {"0.1.0", "nyckel_build_info{version=\"0.1.0\"} 1"},
    /* " -> \", \ -> \\, line feed -> \n; nothing else changes */
    {"1.0\"rc\"", "nyckel_build_info{version=\"1.0\\\"rc\\\"\"} 1"},
    {"a\\b", "nyckel_build_info{version=\"a\\\\b\"} 1"},
    {"a\nb", "nyckel_build_info{version=\"a\\nb\"} 1"},
    {"\\\"\n", "nyckel_build_info{version=\"\\\\\\\"\\n\"} 1"},
    {"tab\there, åäö", "nyckel_build_info{version=\"tab\there, åäö\"} 1"},
    {"", "nyckel_build_info{version=\"\"} 1"},
};

static void test_render_escaping(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(escape_cases) / sizeof(*escape_cases); i++) {
        struct stats_values v;
        memset(&v, 0, sizeof(v));
        v.version = escape_cases[i].version;
        char *t = render(&v);
        if (!has_line(t, escape_cases[i].line))
            fail_msg("case %zu: no line %s", i, escape_cases[i].line);
        free(t);
    }
}

/* Batches into a real stats: the counters and where commit times fall
 * (a bucket's bound is inclusive: le). */
static void test_add_batch(void **state)
{
    (void)state;
    struct stats *s = stats_new(NULL);
    struct stats_batch b;
    struct stats_values v;

    memset(&b, 0, sizeof(b));
    b.events = 6;
    b.status[STATS_ACCEPTED] = 3;
    b.status[STATS_DUPLICATE] = 1;
    b.status[STATS_REJECTED] = 2;
    b.rejected[REASON_BAD_DATE] = 1;
    b.rejected[REASON_UNKNOWN_ENUM] = 1;
    b.commit_s = 0.001; /* exactly the first bound: bucket 0 */
    stats_add_batch(s, &b);
    b.commit_s = 0.0011; /* just above: bucket 1 */
    stats_add_batch(s, &b);
    b.commit_s = 7; /* above the last bound: only in the count */
    stats_add_batch(s, &b);
    memset(&b, 0, sizeof(b));
    b.events = 1000;
    b.refused = true;
    b.refusal = STATS_REFUSED_STORAGE_FULL;
    b.commit_s = 0.5; /* a refused batch has no commit */
    stats_add_batch(s, &b);
    memset(&b, 0, sizeof(b));
    b.refused = true;
    b.refusal = STATS_REFUSED_MALFORMED;
    stats_add_batch(s, &b);
    stats_add_batch(NULL, &b); /* NULL-safe */
    stats_set_store(s, 8148, 1 << 24, 94208, 1ULL << 36);

    stats_snapshot(s, &v);
    assert_int_equal(v.events_received, 3 * 6 + 1000);
    assert_int_equal(v.events[STATS_ACCEPTED], 9);
    assert_int_equal(v.events[STATS_DUPLICATE], 3);
    assert_int_equal(v.events[STATS_STALE], 0);
    assert_int_equal(v.events[STATS_REJECTED], 6);
    assert_int_equal(v.rejected[REASON_BAD_DATE], 3);
    assert_int_equal(v.rejected[REASON_UNKNOWN_ENUM], 3);
    assert_int_equal(v.batches_accepted, 3);
    assert_int_equal(v.batches_refused[STATS_REFUSED_STORAGE_FULL], 1);
    assert_int_equal(v.batches_refused[STATS_REFUSED_MALFORMED], 1);
    assert_int_equal(v.commit_bucket[0], 1);
    assert_int_equal(v.commit_bucket[1], 1);
    for (int i = 2; i < STATS_COMMIT_BUCKETS; i++)
        assert_int_equal(v.commit_bucket[i], 0);
    assert_int_equal(v.commit_count, 3);
    /* 0.001 + 0.0011 + 7 = 7.0021 */
    assert_true(v.commit_seconds_sum > 7.00209 &&
                v.commit_seconds_sum < 7.00211);
    assert_int_equal(v.seq, 8148);
    assert_int_equal(v.map_bytes, 1 << 24);
    assert_int_equal(v.used_bytes, 94208);
    assert_int_equal(v.max_bytes, 1ULL << 36);
    assert_int_equal(v.handshakes_refused, 0); /* no auth: none */
    assert_non_null(v.version);
    assert_true(v.start_time_s > 1e9);
    assert_true(v.uptime_s >= 0 && v.uptime_s < 60);
    stats_destroy(&s);
    assert_null(s);
    stats_destroy(&s); /* NULL-safe */
}

struct sub_case {
    int64_t delta;
    uint64_t after;
};

static void test_subscriptions(void **state)
{
    (void)state;
    /* 2 + 1 = 3; - 1 = 2; - 5 would be -3: stays at 0; + 1 = 1 */
    static const struct sub_case cases[] = {
        {2, 2}, {1, 3}, {-1, 2}, {-5, 0}, {-1, 0}, {1, 1}, {0, 1},
    };
    struct stats *s = stats_new(NULL);
    struct stats_values v;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        stats_subscriptions_add(s, cases[i].delta);
        stats_snapshot(s, &v);
        assert_int_equal(v.subscriptions, cases[i].after);
    }
    stats_subscriptions_add(NULL, 1); /* NULL-safe */
    stats_destroy(&s);
}

static void test_names(void **state)
{
    (void)state;
    /* the IngestAck reasons (README, Protocol in brief) */
    static const char *const refusals[STATS_REFUSALS] = {
        "malformed",    "oversized", "protocol", "too_many_events",
        "storage_full", "forbidden", "internal",
    };
    for (int i = 0; i < STATS_REFUSALS; i++)
        assert_string_equal(stats_refusal_name((enum stats_refusal)i),
                            refusals[i]);
    assert_string_equal(stats_refusal_name(STATS_REFUSALS), "unknown");
    assert_string_equal(stats_status_name(STATS_STALE), "stale");
    assert_string_equal(stats_status_name(STATS_STATUSES), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_lines),
        cmocka_unit_test(test_render_shape),
        cmocka_unit_test(test_render_histogram),
        cmocka_unit_test(test_render_escaping),
        cmocka_unit_test(test_add_batch),
        cmocka_unit_test(test_subscriptions),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

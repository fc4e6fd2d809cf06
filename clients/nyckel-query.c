/*
 * nyckel-query — one snapshot query to nyckeld, printed as a table,
 * JSON lines (DESIGN §8) or CSV; with --batch, many queries (a file's
 * lines) over one connection; or, with --health, nyckeld's own
 * counters (issue 7) as a table or one JSON object.
 *
 * Exit status: 0 success, 1 no answer (or another runtime failure: a
 * key nyckeld refuses, an unreadable key file), 2 usage error or query
 * refused by nyckeld.
 */
#include "lib/cli.h"
#include "nyckel_sub.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define PROG "nyckel-query"
#define EXIT_NO_ANSWER 1
#define EXIT_USAGE 2

enum format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

/* One query's options: the command line's, or a --batch line's. */
struct qopts {
    const char *municipality;
    const char *domains[NYCKEL_QUERY_MAX_LIST];
    size_t n_domains;
    const char *period;
    const char *period_to;
    const char *rollup;
    struct nyckel_dim filters[NYCKEL_QUERY_MAX_LIST];
    size_t n_filters;
    int compare;
    int exact;                                  /* --exact */
    char *owned[2 * NYCKEL_QUERY_MAX_LIST + 2]; /* strings to free */
    size_t n_owned;
};

struct opts {
    struct qopts q;
    int health;        /* --health */
    const char *batch; /* --batch FILE; "-" is stdin */
    enum format format;
    struct cli_conn conn; /* --query, --key, ... */
    const char *query_ep;
    int timeout_ms;
    char *csv_header; /* --batch --format csv: the header printed last */
};

/* Where a usage error is, in front of its message: "" for the command
 * line, "FILE:LINE: " for a --batch line. */
static char error_at[320];

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: " PROG " --municipality CODE [options]\n"
        "   or: " PROG " --batch FILE [--format F] [options]\n"
        "   or: " PROG " --health [--format table|json] [options]\n"
        "Ask nyckeld for key ratios of one municipality and print them.\n"
        "\n"
        "Options:\n"
        "  -m, --municipality CODE  kommunkod, e.g. 0127 (required)\n"
        "  -d, --domain D           eb, pl, inv or ec; repeat or comma list\n"
        "                           (default: every domain)\n"
        "  -p, --period P           period id: 2014, 2014-08, 2014-T2,\n"
        "                           2014-Q3, 2014-H1, 2014-08-YTD, "
        "2014-08-R12\n"
        "      --period-to P        every period of the same kind up to P\n"
        "  -r, --rollup R           slices: unit, age_band, setting,regi, ...\n"
        "                           (default: the totals)\n"
        "  -w, --where K=V          keep slices whose dimension K is V "
        "(repeat)\n"
        "      --compare previous-year\n"
        "                           also each value one year earlier and the\n"
        "                           change in percent\n"
        "      --exact              unsuppressed values (admin keys only):\n"
        "                           otherwise a count from 1 to nyckeld's\n"
        "                           --suppress-below - 1, and what rests on\n"
        "                           it, is null with status suppressed\n"
        "                           (\"x\" in a table)\n"
        "  -f, --format F           table (default), json or csv\n"
        "      --batch FILE         instead of one query, one per line of\n"
        "                           FILE (- for standard input), with the\n"
        "                           query options above (-m, -d, -p,\n"
        "                           --period-to, -r, -w, --compare, --exact)\n"
        "                           split at blanks; # starts a comment.\n"
        "                           Asked over one connection in turn and\n"
        "                           printed one after the other (csv: the\n"
        "                           header again, after a blank line, only\n"
        "                           when the columns change); a refused\n"
        "                           query is reported with its line, and\n"
        "                           the rest go on\n"
        "      --health             instead: nyckeld's own counters (events,\n"
        "                           batches, commit time, store,\n"
        "                           subscriptions, refused handshakes); needs\n"
        "                           an admin key with CURVE; as a table or\n"
        "                           one JSON object\n"
        "  -t, --timeout MS         wait this long for the answer (default "
        "%d)\n",
        NYCKEL_SUB_DEFAULT_TIMEOUT_MS);
    cli_conn_help(out, 6, 27, CLI_USES_QUERY | CLI_USES_KEYS);
    fputs("  -h, --help               this text\n"
          "  -V, --version            print the version\n"
          "\n"
          "Exit status: 0 ok (--health: nyckeld answered), 1 no answer from\n"
          "nyckeld (also: it refused this client's key, or a key file cannot\n"
          "be read), 2 usage error or query refused.\n",
          out);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": %s", error_at);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* Remember s for freeing at exit; 0, or -1 when there are too many. */
static int keep(struct qopts *o, char *s)
{
    if (o->n_owned == sizeof o->owned / sizeof o->owned[0]) {
        free(s);
        return -1;
    }
    o->owned[o->n_owned++] = s;
    return 0;
}

static int add_domains(struct qopts *o, const char *arg)
{
    char *copy = strdup(arg);
    if (!copy) {
        perror(PROG);
        exit(EXIT_FAILURE);
    }
    if (keep(o, copy))
        return usage_error("too many --domain options");
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (o->n_domains == NYCKEL_QUERY_MAX_LIST)
            return usage_error("at most %d domains", NYCKEL_QUERY_MAX_LIST);
        o->domains[o->n_domains++] = tok;
    }
    return 0;
}

static int add_filter(struct qopts *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return usage_error("--where wants KEY=VALUE, not '%s'", arg);
    if (o->n_filters == NYCKEL_QUERY_MAX_LIST)
        return usage_error("at most %d --where filters", NYCKEL_QUERY_MAX_LIST);
    char *copy = strdup(arg);
    if (!copy) {
        perror(PROG);
        exit(EXIT_FAILURE);
    }
    if (keep(o, copy))
        return usage_error("too many --where options");
    copy[eq - arg] = '\0';
    o->filters[o->n_filters].key = copy;
    o->filters[o->n_filters].value = copy + (eq - arg) + 1;
    o->n_filters++;
    return 0;
}

static int parse_ms(const char *arg, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v <= 0 || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

enum {
    OPT_PERIOD_TO = 256,
    OPT_COMPARE,
    OPT_COMPARE_PY,
    OPT_HEALTH,
    OPT_EXACT,
    OPT_BATCH,
};

/* The options of one query: on the command line and on --batch lines. */
#define QUERY_SHORTOPTS "m:d:p:r:w:"
#define QUERY_LONGOPTS                                                         \
    {"municipality", required_argument, NULL, 'm'},                            \
        {"domain", required_argument, NULL, 'd'},                              \
        {"period", required_argument, NULL, 'p'},                              \
        {"period-to", required_argument, NULL, OPT_PERIOD_TO},                 \
        {"rollup", required_argument, NULL, 'r'},                              \
        {"where", required_argument, NULL, 'w'},                               \
        {"compare", required_argument, NULL, OPT_COMPARE},                     \
        {"compare-previous-year", no_argument, NULL, OPT_COMPARE_PY},          \
    {                                                                          \
        "exact", no_argument, NULL, OPT_EXACT                                  \
    }

/* Takes query option c with arg into q: 0, an exit status after a
 * message, or -1 when c is not a query option. */
static int query_option(struct qopts *q, int c, const char *arg)
{
    switch (c) {
    case 'm':
        q->municipality = arg;
        return 0;
    case 'd':
        return add_domains(q, arg);
    case 'p':
        q->period = arg;
        return 0;
    case OPT_PERIOD_TO:
        q->period_to = arg;
        return 0;
    case 'r':
        q->rollup = strcmp(arg, "total") == 0 ? NULL : arg;
        return 0;
    case 'w':
        return add_filter(q, arg);
    case OPT_COMPARE:
        /* the one comparison there is; named so that others can come */
        if (strcmp(arg, "previous-year") != 0)
            return usage_error("--compare wants 'previous-year' (the only "
                               "comparison), not '%s'",
                               arg);
        q->compare = 1;
        return 0;
    case OPT_COMPARE_PY:
        q->compare = 1;
        return 0;
    case OPT_EXACT:
        q->exact = 1;
        return 0;
    default:
        return -1;
    }
}

/* A query needs a municipality, and --period-to a --period: -1 when q
 * has them, else an exit status after a message. */
static int query_complete(const struct qopts *q)
{
    if (!q->municipality || !*q->municipality)
        return usage_error("--municipality is required");
    if (q->period_to && !q->period)
        return usage_error("--period-to needs --period");
    return -1;
}

/* The message for getopt's ':' (a value missing) or '?'. */
static int option_error(int c, char **argv)
{
    if (c == ':') {
        if (optopt == OPT_COMPARE)
            return usage_error("--compare needs a value: previous-year");
        return usage_error("option '%s' needs a value", argv[optind - 1]);
    }
    return usage_error("unknown option '%s'", argv[optind - 1]);
}

static int query_given(const struct qopts *q)
{
    return q->municipality || q->n_domains || q->period || q->period_to ||
           q->rollup || q->n_filters || q->compare || q->exact;
}

/* Returns -1 to go on, or an exit status. */
static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        QUERY_LONGOPTS,
        {"format", required_argument, NULL, 'f'},
        {"health", no_argument, NULL, OPT_HEALTH},
        {"batch", required_argument, NULL, OPT_BATCH},
        CLI_CONN_LONGOPTS,
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    const char *why;

    o->format = FORMAT_TABLE;
    o->query_ep = NYCKEL_SUB_DEFAULT_QUERY;
    o->timeout_ms = NYCKEL_SUB_DEFAULT_TIMEOUT_MS;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" QUERY_SHORTOPTS "f:t:hV", longopts,
                            NULL)) != -1) {
        if (cli_conn_option(&o->conn, c, optarg))
            continue;
        if ((rc = query_option(&o->q, c, optarg)) >= 0) {
            if (rc)
                return rc;
            continue;
        }
        switch (c) {
        case OPT_HEALTH:
            o->health = 1;
            break;
        case OPT_BATCH:
            o->batch = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "table") == 0)
                o->format = FORMAT_TABLE;
            else if (strcmp(optarg, "json") == 0)
                o->format = FORMAT_JSON;
            else if (strcmp(optarg, "csv") == 0)
                o->format = FORMAT_CSV;
            else
                return usage_error("unknown format '%s' (table, json or csv)",
                                   optarg);
            break;
        case 't':
            if (parse_ms(optarg, &o->timeout_ms))
                return usage_error("--timeout wants milliseconds > 0, not '%s'",
                                   optarg);
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf(PROG " " NYCKEL_VERSION "\n");
            return EXIT_SUCCESS;
        default:
            return option_error(c, argv);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if ((why = cli_conn_check(&o->conn)))
        return usage_error("%s", why);
    if (o->conn.query)
        o->query_ep = o->conn.query;
    if (o->health) {
        if (query_given(&o->q) || o->batch)
            return usage_error("--health asks for nyckeld's own counters: "
                               "it takes no query options");
        if (o->format == FORMAT_CSV)
            return usage_error("--health prints a table or json, not csv");
        return -1;
    }
    if (o->batch) {
        if (query_given(&o->q))
            return usage_error("with --batch the queries are the lines of %s: "
                               "no query options on the command line",
                               o->batch);
        return -1;
    }
    return query_complete(&o->q);
}

/* ------------------------------------------------------------ batch */

#define BATCH_MAX_WORDS 64

/* Parses one --batch line (error_at set) into q, which keeps pointers
 * into line. -1 for a query, 0 for a line with none (blank or a
 * comment), else an exit status after a message. */
static int parse_line(char *line, struct qopts *q)
{
    static const struct option longopts[] = {
        QUERY_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    char *argv[BATCH_MAX_WORDS + 2];
    int argc = 0, c, rc;
    char *save = NULL;

    static char prog[] = PROG;

    argv[argc++] = prog;
    for (char *w = strtok_r(line, " \t\r\n", &save); w && *w != '#';
         w = strtok_r(NULL, " \t\r\n", &save)) {
        if (argc == BATCH_MAX_WORDS + 1)
            return usage_error("more than %d words", BATCH_MAX_WORDS);
        argv[argc++] = w;
    }
    argv[argc] = NULL;
    if (argc == 1)
        return 0;
    optind = 0; /* glibc: start afresh */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" QUERY_SHORTOPTS, longopts, NULL)) !=
           -1) {
        if ((rc = query_option(q, c, optarg)) > 0)
            return rc;
        if (rc < 0)
            return c == '?' ? usage_error("'%s' is not a query option",
                                          argv[optind - 1])
                            : option_error(c, argv);
    }
    if (optind < argc)
        return usage_error("unexpected word '%s'", argv[optind]);
    return query_complete(q);
}

/* The queries of a --batch file: the text of each line that holds one
 * (parsed again when it is asked: a line costs its length, not a
 * struct qopts), NUL-terminated, one after the other. */
struct batch {
    char *text;
    size_t len, cap;
    size_t *start; /* n offsets into text */
    size_t *line_no;
    size_t n, cap_n;
};

static void *batch_grow(void *p, size_t n, size_t size)
{
    p = realloc(p, n * size);
    if (!p) {
        perror(PROG);
        exit(EXIT_FAILURE);
    }
    return p;
}

static void batch_add(struct batch *b, const char *line, size_t len, size_t no)
{
    if (b->n == b->cap_n) {
        b->cap_n = b->cap_n ? 2 * b->cap_n : 64;
        b->start = batch_grow(b->start, b->cap_n, sizeof *b->start);
        b->line_no = batch_grow(b->line_no, b->cap_n, sizeof *b->line_no);
    }
    while (b->len + len + 1 > b->cap) {
        b->cap = b->cap ? 2 * b->cap : 4096;
        b->text = batch_grow(b->text, b->cap, 1);
    }
    memcpy(b->text + b->len, line, len + 1);
    b->start[b->n] = b->len;
    b->line_no[b->n++] = no;
    b->len += len + 1;
}

static void qopts_free(struct qopts *q)
{
    for (size_t k = 0; k < q->n_owned; k++)
        free(q->owned[k]);
    memset(q, 0, sizeof *q);
}

/* Query i of b parsed into q, which keeps pointers into a copy of its
 * line (freed by qopts_free()). -1, or an exit status after a message. */
static int batch_query(const struct batch *b, size_t i, struct qopts *q)
{
    char *copy = strdup(b->text + b->start[i]);
    if (!copy) {
        perror(PROG);
        exit(EXIT_FAILURE);
    }
    memset(q, 0, sizeof *q);
    keep(q, copy); /* the first slot: never full */
    int rc = parse_line(copy, q);
    return rc == 0 ? EXIT_USAGE : rc; /* 0: it held a query when read */
}

static void batch_free(struct batch *b)
{
    free(b->text);
    free(b->start);
    free(b->line_no);
}

/* Reads o->batch whole into b, checking every line: -1, or an exit
 * status after a message (a line that is not a query: nothing is asked
 * then). */
static int batch_read(const struct opts *o, struct batch *b)
{
    int stdin_ = strcmp(o->batch, "-") == 0;
    FILE *in = stdin_ ? stdin : fopen(o->batch, "r");
    const char *name = stdin_ ? "(stdin)" : o->batch;
    int status = -1;
    size_t no = 0, size = 0;
    char *line = NULL, *copy = NULL;
    ssize_t len;

    if (!in) {
        fprintf(stderr, PROG ": %s: %s\n", o->batch, strerror(errno));
        return EXIT_USAGE;
    }
    for (;;) {
        errno = 0;
        if ((len = getline(&line, &size, in)) < 0) {
            if (errno) {
                fprintf(stderr, PROG ": %s: %s\n", name, strerror(errno));
                status = EXIT_FAILURE;
            }
            break;
        }
        no++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        /* parse_line cuts its line into words: a copy is parsed */
        copy = batch_grow(copy, (size_t)len + 1, 1);
        memcpy(copy, line, (size_t)len + 1);
        struct qopts q = {0};
        snprintf(error_at, sizeof error_at, "%s:%zu: ", name, no);
        int rc = parse_line(copy, &q);
        qopts_free(&q);
        if (rc > 0) {
            status = rc;
            break;
        }
        if (rc < 0)
            batch_add(b, line, (size_t)len, no);
    }
    error_at[0] = '\0';
    free(line);
    free(copy);
    if (!stdin_)
        fclose(in);
    return status;
}

/* ------------------------------------------------------------ health */

/* "16.0 MiB" of n bytes into buf. */
static const char *health_bytes(char *buf, size_t size, uint64_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}

/* "3 d 04:05:06" of ms into buf. */
static const char *health_duration(char *buf, size_t size, uint64_t ms)
{
    unsigned long long s = ms / 1000;
    if (s >= 86400)
        snprintf(buf, size, "%llu d %02llu:%02llu:%02llu", s / 86400,
                 s / 3600 % 24, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60,
                 s % 60);
    return buf;
}

static void health_row(int indent, const char *label, uint64_t v)
{
    printf("%*s%-*s %12llu\n", indent, "", 28 - indent, label,
           (unsigned long long)v);
}

static int health_table(const struct nyckel_result *r)
{
    const struct nyckel_health *h = r->health;
    char a[32], b[32], c[32], since[32] = "?";
    time_t t0 = (time_t)(h->start_unix_ms / 1000);
    struct tm tm;
    if (gmtime_r(&t0, &tm))
        strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S UTC", &tm);

    printf("nyckeld %s, up %s (since %s), seq %llu, as-of %s\n\n",
           *h->version ? h->version : "?",
           health_duration(a, sizeof a, h->uptime_ms), since,
           (unsigned long long)r->seq, *r->as_of ? r->as_of : "?");
    health_row(0, "events received", h->events_received);
    health_row(2, "accepted", h->events_accepted);
    health_row(2, "duplicate", h->events_duplicate);
    health_row(2, "stale", h->events_stale);
    health_row(2, "rejected", h->events_rejected);
    for (size_t i = 0; i < h->n_rejected; i++)
        if (h->rejected[i].value)
            health_row(4, h->rejected[i].name, h->rejected[i].value);
    health_row(0, "batches accepted", h->batches_accepted);
    if (h->batches_accepted)
        printf("  %-26s %9.1f ms\n", "commit time, average",
               h->commit_seconds_sum * 1e3 / (double)h->batches_accepted);
    uint64_t refused = 0;
    for (size_t i = 0; i < h->n_batches_refused; i++)
        refused += h->batches_refused[i].value;
    health_row(0, "batches refused", refused);
    for (size_t i = 0; i < h->n_batches_refused; i++)
        if (h->batches_refused[i].value)
            health_row(2, h->batches_refused[i].name,
                       h->batches_refused[i].value);
    health_row(0, "subscriptions", h->subscriptions);
    health_row(0, "refused handshakes", h->handshakes_refused);
    printf("%-28s %s of %s, %s in use (%.1f %%)\n", "store map",
           health_bytes(a, sizeof a, h->map_bytes),
           health_bytes(b, sizeof b, h->max_bytes),
           health_bytes(c, sizeof c, h->used_bytes),
           h->map_bytes ? 100.0 * (double)h->used_bytes / (double)h->map_bytes
                        : 0.0);
    return ferror(stdout) ? -EIO : 0;
}

static json_t *health_counts(const struct nyckel_count *c, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, c[i].name, json_integer((json_int_t)c[i].value));
    return o;
}

/* One JSON object and a newline. */
static int health_json(const struct nyckel_result *r)
{
    const struct nyckel_health *h = r->health;
    json_t *o = json_pack(
        "{s:s, s:I, s:s, s:I, s:I,"
        " s:{s:I, s:I, s:I, s:I, s:I}, s:o,"
        " s:{s:I, s:o}, s:f,"
        " s:{s:I, s:I, s:I}, s:I, s:I}",
        "version", h->version, "seq", (json_int_t)r->seq, "as_of", r->as_of,
        "start_unix_ms", (json_int_t)h->start_unix_ms, "uptime_ms",
        (json_int_t)h->uptime_ms, "events", "received",
        (json_int_t)h->events_received, "accepted",
        (json_int_t)h->events_accepted, "duplicate",
        (json_int_t)h->events_duplicate, "stale", (json_int_t)h->events_stale,
        "rejected", (json_int_t)h->events_rejected, "rejected",
        health_counts(h->rejected, h->n_rejected), "batches", "accepted",
        (json_int_t)h->batches_accepted, "refused",
        health_counts(h->batches_refused, h->n_batches_refused),
        "commit_seconds_sum", h->commit_seconds_sum, "store", "map_bytes",
        (json_int_t)h->map_bytes, "used_bytes", (json_int_t)h->used_bytes,
        "max_bytes", (json_int_t)h->max_bytes, "subscriptions",
        (json_int_t)h->subscriptions, "handshakes_refused",
        (json_int_t)h->handshakes_refused);
    if (!o)
        return -EIO;
    int rc = json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10)) ||
                     fputc('\n', stdout) == EOF
                 ? -EIO
                 : 0;
    json_decref(o);
    return rc;
}

/* ------------------------------------------------------------ asking */

/* The message and exit status for rc, a failure to reach nyckeld. */
static int conn_failed(struct opts *o, int rc)
{
    if (cli_conn_fail(stderr, PROG, &o->conn, o->query_ep, rc))
        return EXIT_FAILURE;
    if (rc == NYCKEL_SUB_ETIMEOUT) {
        fprintf(stderr,
                PROG ": %sno answer from %s within %d ms (is nyckeld "
                     "running?)\n",
                error_at, o->query_ep, o->timeout_ms);
        return EXIT_NO_ANSWER;
    }
    if (rc == -EINVAL || rc == -EPROTONOSUPPORT) {
        fprintf(stderr, PROG ": cannot use query endpoint '%s': %s\n",
                o->query_ep, nyckel_sub_strerror(rc));
        return EXIT_USAGE;
    }
    fprintf(stderr, PROG ": %s: %s\n", o->query_ep, nyckel_sub_strerror(rc));
    return EXIT_FAILURE;
}

/* Loads the keys and connects: 0, or an exit status after a message. */
static int open_session(struct opts *o, struct nyckel_query_session **s)
{
    char why[512];
    int rc = cli_conn_load(&o->conn, why, sizeof why);

    if (rc) {
        fprintf(stderr, PROG ": %s\n", why);
        return EXIT_FAILURE;
    }
    rc = nyckel_query_session_open(o->query_ep, cli_conn_curve(&o->conn), s);
    return rc ? conn_failed(o, rc) : 0;
}

/* --batch --format csv: r's rows, after its header when that is not
 * the one printed last (then after a blank line too); nothing for an
 * answer without rows. 0 or -errno (-EIO: see errno). */
static int csv_batched(struct opts *o, const struct nyckel_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return -errno;
    int rc = nyckel_format_csv(m, r);
    if (fclose(m) != 0 && rc == 0)
        rc = -ENOMEM;
    const char *nl = rc ? NULL : memchr(buf, '\n', len);
    size_t head = nl ? (size_t)(nl - buf) + 1 : len;
    if (rc == 0 && head < len) {
        if (!o->csv_header || strlen(o->csv_header) != head ||
            memcmp(o->csv_header, buf, head) != 0) {
            if ((o->csv_header && putchar('\n') == EOF) ||
                fwrite(buf, 1, head, stdout) != head)
                rc = -EIO;
            free(o->csv_header);
            o->csv_header = strndup(buf, head);
            if (!o->csv_header)
                rc = rc ? rc : -ENOMEM;
        }
        if (rc == 0 && fwrite(buf + head, 1, len - head, stdout) != len - head)
            rc = -EIO;
    }
    free(buf);
    return rc;
}

/* Asks qo (or, with --health, for the counters) over s and prints the
 * answer. 0; EXIT_USAGE when nyckeld refused the query (the next may
 * go on); another exit status when nothing more can be asked. */
static int answer(struct opts *o, struct nyckel_query_session *s,
                  const struct qopts *qo)
{
    struct nyckel_query q = {
        .municipality = qo->municipality,
        .n_domains = qo->n_domains,
        .domains = qo->domains,
        .period = qo->period,
        .period_to = qo->period_to,
        .rollup = qo->rollup,
        .n_filters = qo->n_filters,
        .filters = qo->filters,
        .compare_previous_year = qo->compare,
        .health = o->health,
        .exact = qo->exact,
    };
    struct nyckel_result *r = NULL;
    int rc = nyckel_query_session_run(s, &q, o->timeout_ms, &r);

    if (rc)
        return conn_failed(o, rc);
    if (r->error) {
        fprintf(stderr, PROG ": %s%s: %s\n", error_at, r->error,
                r->text && *r->text ? r->text : "query refused");
        nyckel_result_destroy(&r);
        return EXIT_USAGE;
    }
    if (qo->compare) {
        size_t i = 0;
        while (i < r->n_slices && r->slices[i].n_previous == 0)
            i++;
        if (r->n_slices && i == r->n_slices)
            fprintf(stderr, PROG ": note: nyckeld sent no previous-year "
                                 "values (an older nyckeld?)\n");
    }

    if (o->health)
        rc = o->format == FORMAT_JSON ? health_json(r) : health_table(r);
    else
        switch (o->format) {
        case FORMAT_JSON:
            rc = nyckel_format_json_result(stdout, r);
            break;
        case FORMAT_CSV:
            rc = o->batch ? csv_batched(o, r) : nyckel_format_csv(stdout, r);
            break;
        case FORMAT_TABLE:
            rc = nyckel_format_table(stdout, r, 0);
            break;
        }
    nyckel_result_destroy(&r);
    if (rc == 0 && fflush(stdout) != 0)
        rc = -errno;
    if (rc) {
        fprintf(stderr, PROG ": writing output: %s\n",
                rc == -EIO ? strerror(errno ? errno : EIO)
                           : nyckel_sub_strerror(rc));
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

/* --batch: every line's query in turn over one connection. A refused
 * query is reported and the rest are asked (exit status 2 at the end);
 * no answer, or anything else, ends the run. */
static int run_batch(struct opts *o)
{
    struct batch b = {0};
    struct nyckel_query_session *s = NULL;
    int status = batch_read(o, &b);
    const char *name = strcmp(o->batch, "-") == 0 ? "(stdin)" : o->batch;

    if (status < 0 && b.n)
        status = open_session(o, &s);
    if (status < 0)
        status = EXIT_SUCCESS;
    for (size_t i = 0; s && i < b.n; i++) {
        snprintf(error_at, sizeof error_at, "%s:%zu: ", name, b.line_no[i]);
        if (i > 0 && o->format == FORMAT_TABLE)
            putchar('\n');
        struct qopts q;
        int rc = batch_query(&b, i, &q);
        if (rc < 0)
            rc = answer(o, s, &q);
        qopts_free(&q);
        if (rc == EXIT_USAGE)
            status = rc;
        else if (rc) {
            status = rc;
            break;
        }
    }
    error_at[0] = '\0';
    nyckel_query_session_close(&s);
    batch_free(&b);
    return status;
}

static int run(struct opts *o)
{
    struct nyckel_query_session *s = NULL;
    int status = open_session(o, &s);

    if (status == 0)
        status = answer(o, s, &o->q);
    nyckel_query_session_close(&s);
    return status;
}

int main(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    int status = parse(argc, argv, &o);
    if (status < 0)
        status = o.batch ? run_batch(&o) : run(&o);
    for (size_t i = 0; i < o.q.n_owned; i++)
        free(o.q.owned[i]);
    cli_conn_fini(&o.conn);
    free(o.csv_header);
    return status;
}
